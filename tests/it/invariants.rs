//! Invariants every report keeps, whatever the input: over every fixture folder, the corpus
//! (`../shared/corpus`) and generated environments, scanned with `--format json`.
//!
//! - `certain` means certain: no port is `deny` or `allow` with confidence `certain` and no
//!   evidence. An NSG verdict is the deciding rules of the NSGs on the path; with none of them
//!   shown, nothing decided it (a scale set or VM whose network interfaces the input does not
//!   decide was reported `deny`/`certain` that way). The one verdict reached with no NSG is
//!   `unfiltered`, when no NSG is on the path and that is decided: it shows no evidence.
//! - Every `unknown` names its reason: a port or VM with confidence `unknown` has a
//!   `confidenceReason`.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::{corpus_dir, root, scan};

#[allow(dead_code, clippy::all)]
#[path = "../../benches/gen/mod.rs"]
mod gen;

/// What in `report` (of the input labelled `label`) breaks an invariant, one line each.
fn violations(label: &str, report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(vms) = report["vms"].as_array() else {
        return vec![format!("{label}: the report has no vms")];
    };
    for vm in vms {
        let name = format!("{label}: {} ({})", vm["name"], vm["id"]);
        if vm["confidence"] == "unknown" && !has_reason(vm) {
            out.push(format!("{name}: confidence unknown without a reason"));
        }
        for port in vm["ports"].as_array().into_iter().flatten() {
            let at = format!("{name} port {}", port["port"]);
            let verdict = port["nsgVerdict"].as_str().unwrap_or("?");
            let certain = port["confidence"] == "certain";
            let evidence = port["evidence"].as_array().map_or(0, Vec::len);
            if certain && matches!(verdict, "deny" | "allow") && evidence == 0 {
                out.push(format!("{at}: {verdict} (certain) with no evidence"));
            }
            if certain && verdict == "unfiltered" && evidence != 0 {
                out.push(format!("{at}: unfiltered (certain) yet an NSG is shown"));
            }
            if port["confidence"] == "unknown" && !has_reason(port) {
                out.push(format!("{at}: confidence unknown without a reason"));
            }
        }
    }
    out
}

fn has_reason(entry: &Value) -> bool {
    entry["confidenceReason"]
        .as_str()
        .is_some_and(|r| !r.trim().is_empty())
}

/// Scans `path` and lists what breaks an invariant; asserts the scan saw some VM.
fn check(path: &Path) -> Vec<String> {
    let ran = scan("invariants", &[path]);
    assert!(
        ran.report.is_object(),
        "{}: no JSON report (exit {}): {}",
        path.display(),
        ran.code,
        ran.stderr
    );
    let label = path.display().to_string();
    assert!(
        ran.report["vms"].as_array().is_some_and(|v| !v.is_empty()),
        "{label}: no VM found"
    );
    violations(&label, &ran.report)
}

fn assert_none(found: &[String]) {
    assert!(
        found.is_empty(),
        "{} invariant violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn fixtures_are_never_certain_without_evidence() {
    let mut found = Vec::new();
    for folder in ["arm", "exports", "linked", "hostile", "policy"] {
        found.extend(check(&root().join("fixtures").join(folder)));
    }
    assert_none(&found);
}

#[test]
fn corpus_is_never_certain_without_evidence() {
    let Some(dir) = corpus_dir() else {
        eprintln!("\n!!! ../shared/corpus is ABSENT: the invariants were NOT checked on it !!!\n");
        return;
    };
    assert_none(&check(&dir));
}

/// The benchmark's generator, small: `az group export` templates and the three export layouts
/// of one tenant (NSGs of tens of rules, public IPs, load-balancer NAT, firewall DNAT, JIT).
#[test]
fn generated_environments_are_never_certain_without_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let mut found = Vec::new();
    for (vms, per_rg, seed) in [(12, 3, 7), (40, 20, 11)] {
        let plan = gen::Plan::new(vms, per_rg, seed);
        let templates = dir.path().join(format!("templates-{vms}"));
        gen::template::write(&plan, &templates);
        found.extend(check(&templates));
        for layout in [
            gen::export::Layout::RestPages,
            gen::export::Layout::ResourceGraph,
            gen::export::Layout::AzCli,
        ] {
            let out = dir.path().join(format!("{}-{vms}", layout.name()));
            gen::export::write(&plan, &out, layout);
            found.extend(check(&out));
        }
    }
    assert_none(&found);
}

/// How a generated VM or scale set lists its network interfaces.
#[derive(Clone, Copy)]
enum NicList {
    /// Written out.
    Decided,
    /// A copy loop whose count is a parameter with no value.
    CopyOfUnknownCount,
    /// An `if()` on a parameter with no value.
    IfOnUnknown,
    /// The ipConfigurations of the (one, decided) NIC are an `if()` on a parameter with no value.
    IpConfigsIfOnUnknown,
}

/// Small templates generated here, one per combination of machine kind, NIC list shape, NSG
/// (none, NIC, subnet) and public IP: the shapes the benchmark's generator does not write.
#[test]
fn generated_nic_shapes_are_never_certain_without_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let lists = [
        NicList::Decided,
        NicList::CopyOfUnknownCount,
        NicList::IfOnUnknown,
        NicList::IpConfigsIfOnUnknown,
    ];
    let mut n = 0;
    for scale_set in [false, true] {
        for list in lists {
            for nsg in ["none", "nic", "subnet"] {
                for public in [false, true] {
                    n += 1;
                    let template = shape(scale_set, list, nsg, public);
                    let path = dir.path().join(format!("shape-{n:02}.json"));
                    std::fs::write(&path, serde_json::to_vec_pretty(&template).unwrap()).unwrap();
                }
            }
        }
    }
    let mut found = check(dir.path());
    // Every machine of the folder is reported: one per template.
    let report = scan("shapes", &[dir.path()]).report;
    let count = report["vms"].as_array().map_or(0, Vec::len);
    if count != n {
        found.push(format!("{n} templates, {count} machines reported"));
    }
    assert_none(&found);
}

/// One template: a VNet (with an NSG on its subnet when `nsg` is "subnet"), an NSG allowing 22
/// from `*`, and a VM (with one NIC resource) or a scale set listing its NICs as `list` says.
fn shape(scale_set: bool, list: NicList, nsg: &str, public: bool) -> Value {
    let nsg_ref = json!({"id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg')]"});
    let mut subnet = json!({"addressPrefix": "10.0.1.0/24"});
    if nsg == "subnet" {
        subnet["networkSecurityGroup"] = nsg_ref.clone();
    }
    let mut ip_config = json!({
        "name": "ipc",
        "properties": {"subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]"}}
    });
    if public {
        if scale_set {
            ip_config["properties"]["publicIPAddressConfiguration"] = json!({"name": "pip"});
        } else {
            ip_config["properties"]["publicIPAddress"] =
                json!({"id": "[resourceId('Microsoft.Network/publicIPAddresses', 'pip')]"});
        }
    }
    let ip_configs = match list {
        NicList::IpConfigsIfOnUnknown => {
            json!("[if(parameters('flag'), variables('ipConfigs'), createArray())]")
        }
        _ => json!([ip_config.clone()]),
    };
    let mut nic_props = json!({"ipConfigurations": ip_configs});
    if nsg == "nic" {
        nic_props["networkSecurityGroup"] = nsg_ref;
    }
    let mut resources = vec![
        json!({
            "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
            "name": "nsg", "location": "westeurope",
            "properties": {"securityRules": [{"name": "ssh", "properties": {
                "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22",
                "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                "access": "Allow", "priority": 100, "direction": "Inbound"}}]}
        }),
        json!({
            "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01",
            "name": "vnet", "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "snet", "properties": subnet}]}
        }),
        json!({
            "type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-09-01",
            "name": "pip", "location": "westeurope", "sku": {"name": "Basic"},
            "properties": {"publicIPAllocationMethod": "Static"}
        }),
    ];
    let nic = json!({"name": "nic", "properties": nic_props.clone()});
    let network = if scale_set {
        let nic = nic.clone();
        match list {
            NicList::CopyOfUnknownCount => json!({"copy": [{
                "name": "networkInterfaceConfigurations",
                "count": "[parameters('count')]",
                "input": nic
            }]}),
            NicList::IfOnUnknown => json!({
                "networkInterfaceConfigurations": "[if(parameters('flag'), createArray(variables('nic')), createArray())]"
            }),
            _ => json!({"networkInterfaceConfigurations": [nic]}),
        }
    } else {
        resources.push(json!({
            "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01",
            "name": "nic", "location": "westeurope", "properties": nic_props
        }));
        let reference = json!({"id": "[resourceId('Microsoft.Network/networkInterfaces', 'nic')]"});
        match list {
            NicList::CopyOfUnknownCount => json!({"copy": [{
                "name": "networkInterfaces",
                "count": "[parameters('count')]",
                "input": reference
            }]}),
            NicList::IfOnUnknown => json!({
                "networkInterfaces": "[if(parameters('flag'), createArray(variables('nicRef')), createArray())]"
            }),
            _ => json!({"networkInterfaces": [reference]}),
        }
    };
    let machine = if scale_set {
        json!({
            "type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2023-03-01",
            "name": "machine", "location": "westeurope", "sku": {"name": "Standard_B2s", "capacity": 2},
            "properties": {"virtualMachineProfile": {"networkProfile": network}}
        })
    } else {
        json!({
            "type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-03-01",
            "name": "machine", "location": "westeurope",
            "properties": {"networkProfile": network}
        })
    };
    resources.push(machine);
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"count": {"type": "int"}, "flag": {"type": "bool"}},
        "variables": {
            "ipConfigs": [ip_config],
            "nic": nic,
            "nicRef": {"id": "[resourceId('Microsoft.Network/networkInterfaces', 'nic')]"}
        },
        "resources": resources
    })
}
