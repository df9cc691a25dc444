//! The remediation plan on generated REST exports, one behaviour each, with the expected
//! changes worked out by hand from Azure's NSG rules (docs/verdicts.md): inbound rules in
//! priority order, first match wins; `Internet` is every address outside the virtual network;
//! Azure rejects two inbound rules of one NSG with the same priority.

use std::path::Path;

use jitscan::policy::remediation::{Operation, Proof, VmPlan};
use jitscan::scan::ScanOptions;
use serde_json::{json, Value};

const SUB: &str =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-app/providers";

/// One inbound TCP rule from `source` to `ports` (a string or a list of port items).
fn rule(name: &str, priority: u32, access: &str, source: &str, ports: Value) -> Value {
    let mut props = json!({"protocol": "Tcp", "sourcePortRange": "*", "sourceAddressPrefix": source,
        "destinationAddressPrefix": "*", "access": access, "priority": priority, "direction": "Inbound"});
    if ports.is_array() {
        props["destinationPortRanges"] = ports;
    } else {
        props["destinationPortRange"] = ports;
    }
    json!({"name": name, "id": format!("{SUB}/Microsoft.Network/networkSecurityGroups/nsg-app/securityRules/{name}"), "properties": props})
}

/// A REST export: one NSG `nsg-app` with `rules` on the NIC of each VM `(name, private IP,
/// os)`, each NIC with a public IP, all in one subnet without an NSG.
fn export(dir: &Path, rules: Vec<Value>, vms: &[(&str, &str, &str)]) {
    let mut items = vec![
        json!({"name": "nsg-app", "id": format!("{SUB}/Microsoft.Network/networkSecurityGroups/nsg-app"),
            "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
            "properties": {"securityRules": rules}}),
        json!({"name": "vnet-app", "id": format!("{SUB}/Microsoft.Network/virtualNetworks/vnet-app"),
            "type": "Microsoft.Network/virtualNetworks", "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                "subnets": [{"name": "snet-app", "id": format!("{SUB}/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app"),
                    "properties": {"addressPrefix": "10.1.0.0/24"}}]}}),
    ];
    for (name, ip, os) in vms {
        let nic = format!("{SUB}/Microsoft.Network/networkInterfaces/nic-{name}");
        let pip = format!("{SUB}/Microsoft.Network/publicIPAddresses/pip-{name}");
        items.push(json!({"name": format!("pip-{name}"), "id": pip, "type": "Microsoft.Network/publicIPAddresses",
            "location": "westeurope", "sku": {"name": "Standard"},
            "properties": {"publicIPAllocationMethod": "Static", "ipAddress": "20.1.2.3"}}));
        items.push(json!({"name": format!("nic-{name}"), "id": nic, "type": "Microsoft.Network/networkInterfaces",
            "location": "westeurope",
            "properties": {"networkSecurityGroup": {"id": format!("{SUB}/Microsoft.Network/networkSecurityGroups/nsg-app")},
                "ipConfigurations": [{"name": "ipconfig1", "id": format!("{nic}/ipConfigurations/ipconfig1"),
                    "properties": {"privateIPAllocationMethod": "Static", "privateIPAddress": ip,
                        "subnet": {"id": format!("{SUB}/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app")},
                        "publicIPAddress": {"id": pip}}}]}}));
        items.push(
            json!({"name": name, "id": format!("{SUB}/Microsoft.Compute/virtualMachines/{name}"),
            "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
            "properties": {"storageProfile": {"osDisk": {"osType": os}},
                "networkProfile": {"networkInterfaces": [{"id": nic}]}}}),
        );
    }
    std::fs::write(
        dir.join("export.json"),
        serde_json::to_string_pretty(&json!({ "value": items })).unwrap(),
    )
    .unwrap();
}

fn plans(dir: &Path) -> Vec<VmPlan> {
    jitscan::policy::run(&ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..ScanOptions::default()
    })
    .plans
}

fn props(change: &Option<Value>) -> Value {
    change.as_ref().unwrap()["properties"].clone()
}

/// `allow-web-and-winrm` opens 80, 443 and WinRM (5985-5986) from anywhere: the management
/// ports are taken out of it and the web service stays open.
#[test]
fn a_multi_purpose_rule_is_narrowed_and_the_web_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        vec![rule(
            "allow-web-and-winrm",
            100,
            "Allow",
            "*",
            json!(["80", "443", "5985-5986"]),
        )],
        &[("vm-web", "10.1.0.4", "Windows")],
    );
    let plans = plans(dir.path());
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(plan.proof, Proof::Proven, "{:?}", plan.proof);
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    let change = &plan.changes[0];
    assert_eq!(change.operation, Operation::Modify);
    assert_eq!(
        props(&change.after)["destinationPortRanges"],
        json!(["80", "443"])
    );
    assert_eq!(
        props(&change.before)["destinationPortRanges"],
        json!(["80", "443", "5985-5986"])
    );
    assert!(plan.collateral.is_empty(), "{:?}", plan.collateral);
}

/// A range holding SSH is split around it: `20-25` becomes `20-21` and `23-25`.
#[test]
fn a_range_is_split_around_the_management_port() {
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        vec![rule(
            "allow-ftp-ssh-smtp",
            120,
            "Allow",
            "Internet",
            json!("20-25"),
        )],
        &[("vm-ftp", "10.1.0.4", "Linux")],
    );
    let plans = plans(dir.path());
    let change = &plans[0].changes[0];
    assert_eq!(change.operation, Operation::Modify);
    assert_eq!(
        props(&change.after)["destinationPortRanges"],
        json!(["20-21", "23-25"])
    );
    assert!(props(&change.after).get("destinationPortRange").is_none());
    assert_eq!(plans[0].proof, Proof::Proven);
}

/// The office's allow for 203.0.113.7 on RDP sits behind the any-source allow: removing the
/// any-source allow (it opens nothing else) keeps the office's access, where a deny for the
/// Internet ahead of it would have cut it.
#[test]
fn a_named_source_allow_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        vec![
            rule("allow-rdp-any", 200, "Allow", "*", json!("3389")),
            rule(
                "allow-rdp-office",
                500,
                "Allow",
                "203.0.113.7",
                json!("3389"),
            ),
        ],
        &[("vm-rdp", "10.1.0.4", "Windows")],
    );
    let plans = plans(dir.path());
    let plan = &plans[0];
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    assert_eq!(plan.changes[0].operation, Operation::Delete);
    assert_eq!(
        plan.changes[0].before.as_ref().unwrap()["name"],
        "allow-rdp-any"
    );
    assert!(plan.collateral.is_empty(), "{:?}", plan.collateral);
    assert_eq!(plan.proof, Proof::Proven);
}

/// Two VMs behind one NSG whose SSH allow also serves the corporate range (a later rule denies
/// 10.0.0.0/8 everything): removing the allow would cut the corporate range, so each VM gets
/// a deny for the Internet at its own address, ahead of the allow at 200, and the two denies
/// get different priorities (199 and 198: the highest free ones below 200).
#[test]
fn two_denies_on_one_nsg_get_unique_priorities() {
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        vec![
            rule("allow-ssh-any", 200, "Allow", "*", json!("22")),
            rule("deny-corp", 300, "Deny", "10.0.0.0/8", json!("*")),
        ],
        &[("vm-a", "10.1.0.4", "Linux"), ("vm-b", "10.1.0.5", "Linux")],
    );
    let plans = plans(dir.path());
    assert_eq!(plans.len(), 2);
    let mut priorities = Vec::new();
    for plan in &plans {
        assert_eq!(
            plan.proof,
            Proof::Proven,
            "{}: {:?}",
            plan.vm_name,
            plan.proof
        );
        assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
        let change = &plan.changes[0];
        assert_eq!(change.operation, Operation::Add);
        let after = props(&change.after);
        assert_eq!(after["sourceAddressPrefix"], "Internet");
        assert_eq!(after["access"], "Deny");
        assert_eq!(after["destinationPortRange"], "22");
        let ip = if plan.vm_name == "vm-a" {
            "10.1.0.4"
        } else {
            "10.1.0.5"
        };
        assert_eq!(after["destinationAddressPrefix"], ip);
        priorities.push(after["priority"].as_u64().unwrap());
        assert!(plan.collateral.is_empty(), "{:?}", plan.collateral);
    }
    priorities.sort_unstable();
    assert_eq!(priorities, vec![198, 199]);
}

/// When every edit changes something else, the one that changes least is taken and the plan
/// lists what it changes: removing the any-source SSH allow cuts the corporate range
/// 10.0.0.0/8 (denied at 300 once nothing allows it at 200); a deny for the Internet ahead of
/// it would cut the partner 198.51.100.7 (allowed at 400) instead. One change each: the first
/// tried (the removal) is kept, with its collateral listed, and the plan is proven.
#[test]
fn collateral_is_listed_when_no_edit_is_free_of_it() {
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        vec![
            rule("allow-ssh-any", 200, "Allow", "*", json!("22")),
            rule("deny-corp", 300, "Deny", "10.0.0.0/8", json!("*")),
            rule(
                "allow-ssh-partner",
                400,
                "Allow",
                "198.51.100.7",
                json!("22"),
            ),
        ],
        &[("vm-c", "10.1.0.4", "Linux")],
    );
    let plans = plans(dir.path());
    let plan = &plans[0];
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    assert_eq!(plan.changes[0].operation, Operation::Delete);
    assert_eq!(
        plan.collateral,
        vec!["vm-c (nic-vm-c/ipconfig1): port 22 from 10.0.0.0/8 now denied".to_owned()]
    );
    assert_eq!(plan.proof, Proof::Proven);
}

/// A VM with a public IP and no NSG anywhere (JIT002) gets an NSG on its NIC, and the plan
/// says every inbound port from the Internet is now denied.
#[test]
fn a_vm_without_any_nsg_is_closed_too() {
    let options = ScanOptions {
        paths: vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/arm/no-nsg-with-public-ip-not-applicable.json")],
        ..ScanOptions::default()
    };
    let plans = jitscan::policy::run(&options).plans;
    assert_eq!(plans.len(), 1, "{plans:?}");
    let plan = &plans[0];
    assert_eq!(plan.finding, "JIT002");
    assert_eq!(plan.changes[0].resource, "networkSecurityGroup");
    assert!(
        plan.collateral[0].contains("every inbound port"),
        "{:?}",
        plan.collateral
    );
    assert_eq!(plan.proof, Proof::Proven, "{:?}", plan.proof);
}

/// The `changes` of remediation.json, applied to the export as a team would apply them
/// (add the `after` rule, replace a rule by its `after`, delete a rule), give an export in
/// which every VM jitscan planned for is healthy: the proof, reproduced by a fresh scan.
/// Every rule body carries what Azure's `SecurityRulePropertiesFormat` requires, and the
/// az script quotes every value.
#[test]
fn applying_the_changes_to_the_export_reproduces_the_proof() {
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        vec![
            rule(
                "allow-web-and-winrm",
                100,
                "Allow",
                "*",
                json!(["80", "443", "5985-5986"]),
            ),
            rule("allow-ssh-any", 200, "Allow", "*", json!("22")),
            rule("deny-corp", 300, "Deny", "10.0.0.0/8", json!("*")),
            rule(
                "allow-rdp-office",
                500,
                "Allow",
                "203.0.113.7",
                json!("3389"),
            ),
        ],
        &[
            ("vm-a", "10.1.0.4", "Linux"),
            ("vm-b", "10.1.0.5", "Windows"),
        ],
    );
    let out = tempfile::tempdir().unwrap();
    let status = assert_cmd::Command::cargo_bin("jitscan")
        .unwrap()
        .args(["policy", "--out"])
        .arg(out.path())
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("remediation.json")).unwrap(),
    )
    .unwrap();
    let changes = plan["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    let mut export: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("export.json")).unwrap())
            .unwrap();
    let nsg = export["value"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["type"] == "Microsoft.Network/networkSecurityGroups")
        .unwrap();
    let rules = nsg["properties"]["securityRules"].as_array_mut().unwrap();
    for change in changes {
        assert_eq!(change["resource"], "securityRule", "{change}");
        assert!(change["nsgId"].as_str().unwrap().ends_with("/nsg-app"));
        for body in [&change["before"], &change["after"]] {
            if body.is_null() {
                continue;
            }
            let props = &body["properties"];
            for required in ["protocol", "access", "priority", "direction"] {
                assert!(
                    props.get(required).is_some(),
                    "{required} missing in {body}"
                );
            }
            assert!(
                props.get("destinationPortRange").is_some()
                    ^ props.get("destinationPortRanges").is_some()
            );
        }
        let name = |b: &Value| b["name"].as_str().unwrap().to_owned();
        match change["operation"].as_str().unwrap() {
            "add" => rules.push(change["after"].clone()),
            "modify" => {
                let wanted = name(&change["before"]);
                let slot = rules
                    .iter_mut()
                    .find(|r| r["name"] == wanted.as_str())
                    .unwrap();
                *slot = change["after"].clone();
            }
            "delete" => {
                let wanted = name(&change["before"]);
                rules.retain(|r| r["name"] != wanted.as_str());
            }
            other => panic!("{other}"),
        }
    }
    let priorities: Vec<u64> = rules
        .iter()
        .map(|r| r["properties"]["priority"].as_u64().unwrap())
        .collect();
    let mut unique = priorities.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), priorities.len(), "{priorities:?}");
    let applied = tempfile::tempdir().unwrap();
    std::fs::write(applied.path().join("export.json"), export.to_string()).unwrap();
    let scan = assert_cmd::Command::cargo_bin("jitscan")
        .unwrap()
        .args(["scan", "--format", "json"])
        .arg(applied.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&scan.stdout).unwrap();
    for vm in report["vms"].as_array().unwrap() {
        assert_eq!(vm["classification"], "healthy", "{}", vm["name"]);
    }
    assert_eq!(scan.status.code(), Some(0));
    let script = std::fs::read_to_string(out.path().join("nsg-changes.sh")).unwrap();
    assert!(
        script.contains("--resource-group 'rg-app' --nsg-name 'nsg-app'"),
        "{script}"
    );
    assert!(
        out.path()
            .join("nsg-changes/rg-app.template.json")
            .is_file()
            || !changes.iter().any(|c| c["operation"] != "delete")
    );
}

/// An allow at priority 100 whose port the input does not decide can be neither narrowed nor
/// preceded by a deny (no priority is free ahead of 100): the plan says so, with what would
/// make room, and is not proven.
#[test]
fn no_free_priority_and_undecided_ports_are_said_not_guessed() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut template: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("fixtures/arm/ssh-open-to-any-with-public-ip.json"))
            .unwrap(),
    )
    .unwrap();
    template["parameters"]["sshPort"] = json!({"type": "int"});
    for resource in template["resources"].as_array_mut().unwrap() {
        if resource["type"] == "Microsoft.Network/networkSecurityGroups" {
            resource["properties"]["securityRules"][0]["properties"]["destinationPortRange"] =
                json!("[parameters('sshPort')]");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.json"), template.to_string()).unwrap();
    let plans = plans(dir.path());
    let plan = &plans[0];
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert!(matches!(plan.proof, Proof::NotProven(_)));
    assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
    assert!(
        plan.notes[0].contains("no priority is free"),
        "{}",
        plan.notes[0]
    );
    assert!(plan.notes[0].contains("renumber"), "{}", plan.notes[0]);
}

/// `allow-web-halves` (199) admits 443 from 0.0.0.0/1 and 128.0.0.0/1: every address, the
/// Internet spelled in two halves, not a partner's range. The SSH allow from `*` at 200 also
/// serves the corporate range 10.0.0.0/8 (denied at 300 once nothing allows it), so removing
/// it has collateral and a deny for the Internet ahead of it is wanted. The deny goes after
/// the rules that allow *specific* sources; the halves are not specific, so the deny may go
/// ahead of them: 199 is taken, 198 is the highest free priority below 200. A deny for 22 does
/// not touch 443, so nothing else changes. (When the halves counted as specific, no priority
/// was left between 199 and 200, and the allow was removed with the corporate range cut.)
#[test]
fn sources_covering_the_internet_are_not_specific_for_the_deny_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let mut web = rule("allow-web-halves", 199, "Allow", "*", json!("443"));
    let web_props = web["properties"].as_object_mut().unwrap();
    web_props.remove("sourceAddressPrefix");
    web_props.insert(
        "sourceAddressPrefixes".to_owned(),
        json!(["0.0.0.0/1", "128.0.0.0/1"]),
    );
    export(
        dir.path(),
        vec![
            web,
            rule("allow-ssh-any", 200, "Allow", "*", json!("22")),
            rule("deny-corp", 300, "Deny", "10.0.0.0/8", json!("*")),
        ],
        &[("vm-halves", "10.1.0.4", "Linux")],
    );
    let plans = plans(dir.path());
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    let change = &plan.changes[0];
    assert_eq!(change.operation, Operation::Add, "{change:?}");
    let after = props(&change.after);
    assert_eq!(after["access"], "Deny");
    assert_eq!(after["sourceAddressPrefix"], "Internet");
    assert_eq!(after["destinationPortRange"], "22");
    assert_eq!(after["destinationAddressPrefix"], "10.1.0.4");
    assert_eq!(after["priority"], 198);
    assert!(plan.collateral.is_empty(), "{:?}", plan.collateral);
    assert_eq!(plan.proof, Proof::Proven, "{:?}", plan.proof);
}
