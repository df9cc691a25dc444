//! Unit tests of the merge, on policies built in memory.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::config::policy::AllowedSources;
use crate::model::JitPolicyVm;
use crate::policy::document::PortRule;
use crate::source::LineIndex;
use crate::source::Origin;
use crate::source::Source;

const SCOPE: &str = "/subscriptions/s/resourceGroups/rg";

fn vm_id(name: &str) -> String {
    format!("{SCOPE}/providers/Microsoft.Compute/virtualMachines/{name}")
}

fn policy(name: &str, file: &str, vms: Vec<JitPolicyVm>) -> JitPolicy {
    let text = Arc::new(String::from("{}"));
    let lines = Arc::new(LineIndex::new(&text));
    let source = Source::new(file.into(), file.to_owned(), text, lines);
    JitPolicy {
        id: format!("{SCOPE}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/{name}"),
        name: name.to_owned(),
        location: Some("westeurope".to_owned()),
        kind: None,
        entry_origins: Vec::new(),
        virtual_machines: vms,
        requests: Vec::new(),
        requests_listed: false,
        from_template: false,
        origin: Origin {
            document: Arc::new(source),
            pointer: "".into(),
        },
    }
}

fn listed(name: &str, ports: Vec<Value>) -> JitPolicyVm {
    JitPolicyVm {
        id: vm_id(name),
        pointer: "/properties/virtualMachines/0".into(),
        ports_json: Value::Array(ports).to_string().into_boxed_str(),
        public_ip_address: None,
    }
}

fn group(vms: Vec<PolicyVm>) -> Group {
    let mut group = Group::new("s".to_owned(), "rg".to_owned(), "westeurope".to_owned());
    for vm in vms {
        group.add(vm);
    }
    group
}

fn target(name: &str, ports: &[u16]) -> PolicyVm {
    PolicyVm {
        id: vm_id(name).to_uppercase(),
        name: name.to_owned(),
        ports: ports
            .iter()
            .map(|&number| PortRule {
                number,
                protocol: "*".to_owned(),
                allowed: AllowedSources::PerRequest,
                max_request_time: "PT3H".to_owned(),
            })
            .collect(),
        from_template: false,
    }
}

/// A VM the policy lists twice (and in another case), with the port number once as a
/// string: one entry, the later entry's new port appended, and jitscan adds only 5985.
#[test]
fn duplicate_entries_become_one_and_only_missing_ports_are_added() {
    let rdp = json!({"number": "3389", "protocol": "TCP", "allowedSourceAddressPrefix": "*", "maxRequestAccessDuration": "PT1H"});
    let ssh = json!({"number": 22, "protocol": "TCP", "allowedSourceAddressPrefix": "*", "maxRequestAccessDuration": "PT1H"});
    let mut twice = listed("vm-a", vec![rdp.clone(), ssh.clone()]);
    twice.id = twice.id.to_lowercase();
    let existing = policy(
        "default",
        "p.json",
        vec![listed("vm-a", vec![rdp.clone()]), twice],
    );
    let merged = merged(group(vec![target("vm-a", &[22, 3389, 5985])]), &[&existing]);
    assert_eq!(merged.entries.len(), 1);
    let entry = &merged.entries[0];
    assert_eq!(entry.id, vm_id("vm-a"));
    assert_eq!(entry.ports[0], rdp);
    assert_eq!(entry.ports[1], ssh);
    assert_eq!(entry.ports[2]["number"], 5985);
    assert_eq!(entry.ports.len(), 3);
    assert_eq!(
        merged.changes,
        [
            PolicyChange::MergedDuplicateEntries {
                id: vm_id("vm-a"),
                ports: vec![22]
            },
            PolicyChange::AddedPorts {
                id: vm_id("vm-a"),
                name: "vm-a".to_owned(),
                ports: vec![5985]
            },
        ]
    );
}

/// Of two policies in one scope, Defender's `default` is merged with, whatever the order.
#[test]
fn the_default_policy_is_chosen_and_its_name_is_kept() {
    let other = policy("custom", "a.json", vec![listed("vm-x", Vec::new())]);
    let default = policy("default", "b.json", vec![listed("vm-y", Vec::new())]);
    let merged = merged(group(vec![target("vm-z", &[22])]), &[&other, &default]);
    assert_eq!(merged.name, "default");
    assert_eq!(merged.existing.unwrap().sources, ["b.json"]);
    let ids: Vec<&str> = merged.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [vm_id("vm-y"), vm_id("vm-z").to_uppercase()]);
    let only_custom = super::merged(group(vec![target("vm-z", &[22])]), &[&other]);
    assert_eq!(only_custom.name, "custom");
    assert!(crate::policy::document::rest_path(&only_custom)
        .ends_with("/jitNetworkAccessPolicies/custom?api-version=2020-01-01"));
}
