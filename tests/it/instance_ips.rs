//! A scale set's per-instance public IP: the reason a port gives when the SKU is assumed or
//! unknown names what it rests on, and a Standard instance IP is marked closed without an NSG.
//! (The verdicts themselves are in fixtures/expected/vmss-instance-ip-*.yaml.)

use serde_json::Value;

use crate::support::root;
use crate::support::verdicts::scan_json;

/// The ports of the one scale set a fixture deploys.
fn ports(fixture: &str) -> Vec<Value> {
    let report = scan_json(
        &[root().join(format!("fixtures/arm/vmss-instance-ip-{fixture}.json"))],
        None,
    );
    let vms = report["vms"].as_array().unwrap();
    assert_eq!(vms.len(), 1, "{fixture}: one scale set");
    vms[0]["ports"].as_array().unwrap().clone()
}

fn reason(port: &Value) -> &str {
    port["confidenceReason"].as_str().unwrap_or_default()
}

#[test]
fn assumed_basic_says_so_and_why() {
    for port in ports("no-sku-assumed-basic") {
        let why = reason(&port);
        assert_eq!(port["confidence"], "assumed", "{port}");
        assert!(why.contains("'pip-render'"), "{why}");
        assert!(why.contains("assumed Basic"), "{why}");
        assert!(why.contains("2025-09-30"), "{why}");
    }
}

#[test]
fn unknown_sku_names_the_load_balancer_it_waits_for() {
    for port in ports("lb-outside-input-unknown") {
        let why = reason(&port);
        assert!(
            why.contains("'lb-shared-edge', which is not in the input"),
            "{why}"
        );
    }
    for port in ports("lb-sku-parameter-unknown") {
        let why = reason(&port);
        assert!(why.contains("'lb-batch'") && why.contains("lbSku"), "{why}");
    }
}

#[test]
fn a_decided_sku_is_certain_and_standard_is_marked_closed() {
    for fixture in ["prefix-behind-standard-lb", "explicit-standard-sku"] {
        for port in ports(fixture) {
            assert_eq!(port["confidence"], "certain", "{fixture}: {port}");
            let instance_ip = port["paths"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["kind"] == "publicIp")
                .unwrap();
            assert_eq!(instance_ip["reaches"], false, "{fixture}: {instance_ip}");
            assert!(
                instance_ip["note"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Standard SKU"),
                "{fixture}: {instance_ip}"
            );
        }
    }
    // With an NSG on the path the SKU decides nothing: no assumption is made.
    for port in ports("no-sku-nsg-decides") {
        assert_eq!(port["confidence"], "certain", "{port}");
    }
}

/// The assumed-Basic fixture with its `publicIPAddressConfiguration` replaced by `config`
/// (and a string parameter `perInstanceIp` without value), scanned: its ports.
fn ports_with_config(config: Value) -> Vec<Value> {
    let path = root().join("fixtures/arm/vmss-instance-ip-no-sku-assumed-basic.json");
    let mut template: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    template["parameters"]["perInstanceIp"] = serde_json::json!({ "type": "string" });
    let vmss = template["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "Microsoft.Compute/virtualMachineScaleSets")
        .unwrap();
    vmss["properties"]["virtualMachineProfile"]["networkProfile"]
        ["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"][0]["properties"]
        ["publicIPAddressConfiguration"] = config;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("template.json");
    std::fs::write(&file, template.to_string()).unwrap();
    let report = scan_json(&[file], None);
    report["vms"][0]["ports"].as_array().unwrap().clone()
}

#[test]
fn a_null_configuration_is_no_public_ip_and_an_undecided_one_is_unknown() {
    for port in ports_with_config(Value::Null) {
        assert_eq!(port["internetExposed"], false, "{port}");
        assert_eq!(port["confidence"], "certain", "{port}");
        assert_eq!(port["paths"].as_array().unwrap().len(), 0, "{port}");
    }
    let undecided = serde_json::json!(
        "[if(equals(parameters('perInstanceIp'), 'yes'), json('{\"name\": \"pip\"}'), json('null'))]"
    );
    for port in ports_with_config(undecided) {
        assert_eq!(port["confidence"], "unknown", "{port}");
        assert!(
            reason(&port).contains("publicIPAddressConfiguration"),
            "{port}"
        );
    }
}
