//! Who can open the door: role exports read in az CLI and Resource Graph shapes, judged by
//! Azure's RBAC rules (docs/verdicts.md, "Who can open the ports (RBAC)").
//!
//! The environment (fixtures/rbac/resources.json): subscription S, resource group rg-app.
//! - vm-1: NIC nic-vm1 (public IP pip-vm1) in subnet snet-app, whose NSG is nsg-1 (denies 22);
//!   the JIT policy `default` lists vm-1 port 22.
//! - vm-2: NIC nic-vm2 (public IP pip-vm2, NSG nsg-19 allowing 22 from Internet) in snet-other
//!   (no NSG); no JIT policy lists it.
//!
//! The principals and their assignments (az-cli/ and resource-graph/ hold the same ones):
//! - alice (User): Contributor at S.
//! - bob (User): Network Contributor at `.../networkSecurityGroups/nsg-1`, cited by the
//!   tenant-level definition id; Network Contributor is not in the definitions exported, so it
//!   comes from jitscan's copy, as does Owner.
//! - carol (User): custom "JIT Requester" (exactly initiate/action) and Reader, both at rg-app.
//! - dave (User): custom "JIT Requester" at rg-app only (no read on the VM).
//! - erin (ServicePrincipal): custom "Network Writer Without NSGs" at S: actions
//!   `Microsoft.Network/*/write`, notActions `Microsoft.Network/networkSecurityGroups/*`.
//! - frank (User): Owner at S.
//! - grace (Group): Contributor at rg-app, PIM-eligible only (common/role-eligibility...).
//! - heidi (guest User): Contributor at rg-app with a condition.
//! - a deny assignment at nsg-1 (common/deny-assignments.json) denies NSG and NSG rule write to
//!   everyone except alice and bob.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::root;
use crate::support::verdicts::scan_json;

const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const BOB: &str = "b2b2b2b2-0000-4000-8000-000000000002";
const CAROL: &str = "c3c3c3c3-0000-4000-8000-000000000003";
const ERIN: &str = "e5e5e5e5-0000-4000-8000-000000000005";
const FRANK: &str = "f6f6f6f6-0000-4000-8000-000000000006";
const GRACE: &str = "a7a7a7a7-0000-4000-8000-000000000007";
const HEIDI: &str = "a8a8a8a8-0000-4000-8000-000000000008";

fn scan_shape(shape: &str) -> Value {
    let dir = root().join("fixtures/rbac");
    let paths: Vec<PathBuf> = vec![
        dir.join("resources.json"),
        dir.join("common"),
        dir.join(shape),
    ];
    scan_json(&paths, None)
}

fn vm<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} in the report"))
}

/// (principal, route) pairs of one list.
fn pairs(access: &Value, list: &str) -> BTreeSet<(String, String)> {
    access[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["principalId"].as_str().unwrap().to_owned(),
                g["route"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect()
}

fn entry<'a>(access: &'a Value, list: &str, principal: &str) -> &'a Value {
    access[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["principalId"] == principal)
        .unwrap_or_else(|| panic!("{principal} in {list}"))
}

#[test]
fn requesters_need_initiate_on_the_policy_and_read_on_the_vm() {
    let report = scan_shape("az-cli");
    let access = &vm(&report, "vm-1")["access"];
    // alice and frank: `*` (Contributor, Owner) at S covers the policy and the VM, inherited
    // from the subscription. carol: the custom role with exactly initiate/action plus Reader
    // (`*/read`). grace: Contributor, but only eligible. heidi: Contributor with a condition.
    // Not bob (Network Contributor has no Microsoft.Security action), not dave (initiate but no
    // read on the VM), not erin (network writes only).
    let want = set(&[
        (ALICE, ""),
        (CAROL, ""),
        (FRANK, ""),
        (GRACE, ""),
        (HEIDI, ""),
    ]);
    assert_eq!(pairs(access, "jitRequesters"), want);
    assert_eq!(entry(access, "jitRequesters", GRACE)["eligible"], true);
    assert_eq!(entry(access, "jitRequesters", GRACE)["conditional"], false);
    assert_eq!(entry(access, "jitRequesters", HEIDI)["conditional"], true);
    assert_eq!(entry(access, "jitRequesters", HEIDI)["eligible"], false);
    assert_eq!(
        entry(access, "jitRequesters", CAROL)["roleName"],
        "JIT Requester"
    );
    assert_eq!(entry(access, "jitRequesters", ALICE)["eligible"], false);
    // Changers: write/delete on the policy: `*` roles only (carol's custom role and Reader
    // cannot write it).
    let want = set(&[(ALICE, ""), (FRANK, ""), (GRACE, ""), (HEIDI, "")]);
    assert_eq!(pairs(access, "jitChangers"), want);
}

#[test]
fn bypassers_by_route_with_deny_and_not_actions() {
    let report = scan_shape("az-cli");
    let access = &vm(&report, "vm-1")["access"];
    // nsgRule on nsg-1: the deny assignment at nsg-1 takes NSG write away from everyone but
    // its excluded alice and bob: frank (Owner), grace and heidi (Contributor) lose it; bob
    // keeps it from Network Contributor at nsg-1 itself. erin never had it (notActions).
    // nsgAssociation (write on nic-vm1, snet-app or vnet-app; the deny is about NSGs only):
    // alice, frank, grace, heidi and erin (`Microsoft.Network/*/write` is not taken away by
    // `networkSecurityGroups/*`). bob's scope (nsg-1) covers neither the NIC nor the subnet.
    // publicIp: NIC write and publicIPAddresses/join/action: the `*` roles; erin's role has
    // no join action (`*/write` does not match `join/action`).
    let want = set(&[
        (ALICE, "nsgRule"),
        (BOB, "nsgRule"),
        (ALICE, "nsgAssociation"),
        (ERIN, "nsgAssociation"),
        (FRANK, "nsgAssociation"),
        (GRACE, "nsgAssociation"),
        (HEIDI, "nsgAssociation"),
        (ALICE, "publicIp"),
        (FRANK, "publicIp"),
        (GRACE, "publicIp"),
        (HEIDI, "publicIp"),
    ]);
    assert_eq!(pairs(access, "bypassers"), want);
    let bob = entry(access, "bypassers", BOB);
    assert_eq!(bob["roleName"], "Network Contributor");
    assert_eq!(
        bob["roleDefinitionId"],
        "/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7"
    );
}

#[test]
fn a_scope_covers_by_whole_segments_and_no_policy_means_no_requesters() {
    let report = scan_shape("az-cli");
    let access = &vm(&report, "vm-2")["access"];
    // No JIT policy lists vm-2: nobody requests or changes JIT for it, and the report says so.
    assert!(access["jitRequesters"].as_array().unwrap().is_empty());
    assert!(access["jitChangers"].as_array().unwrap().is_empty());
    assert!(access["note"].as_str().unwrap().contains("no JIT policy"));
    // nsgRule on nsg-19: bob's scope `.../nsg-1` does not cover `.../nsg-19`, and the deny at
    // nsg-1 does not either: frank, grace, heidi keep NSG write here.
    let rule_writers: BTreeSet<String> = pairs(access, "bypassers")
        .into_iter()
        .filter(|(_, r)| r == "nsgRule")
        .map(|(p, _)| p)
        .collect();
    let want: BTreeSet<String> = [ALICE, FRANK, GRACE, HEIDI]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(rule_writers, want);
}

#[test]
fn az_cli_and_resource_graph_shapes_give_the_same_answers() {
    let cli = scan_shape("az-cli");
    let graph = scan_shape("resource-graph");
    for name in ["vm-1", "vm-2"] {
        let (a, b) = (&vm(&cli, name)["access"], &vm(&graph, name)["access"]);
        for list in ["jitRequesters", "jitChangers", "bypassers"] {
            // Display names are only in az CLI output; everything else is the same.
            let strip = |v: &Value| -> Vec<Value> {
                v[list]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| {
                        let mut g = g.clone();
                        g.as_object_mut().unwrap().remove("displayName");
                        g
                    })
                    .collect()
            };
            assert_eq!(strip(a), strip(b), "{name} {list}");
        }
    }
    let inputs = &cli["accessInputs"];
    assert_eq!(
        inputs["roleAssignments"], 9,
        "8 assignments and 1 eligibility"
    );
    let from_copy: Vec<&str> = inputs["builtInDefinitionsFromJitscan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(from_copy, ["Network Contributor", "Owner"]);
    assert_eq!(
        graph["accessInputs"]["builtInDefinitionsFromJitscan"],
        inputs["builtInDefinitionsFromJitscan"]
    );
    crate::support::assert_valid_report(&cli);
    crate::support::assert_valid_report(&graph);
}

#[test]
fn role_files_are_scanned_inputs_and_reports_without_them_carry_no_access() {
    let report = scan_shape("resource-graph");
    let input = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["path"]
                .as_str()
                .unwrap()
                .ends_with("authorizationresources.json")
        })
        .unwrap();
    assert_eq!(input["status"], "scanned");
    assert!(input["reason"]
        .as_str()
        .unwrap()
        .contains("8 roleAssignments"));
    let plain = scan_json(&[root().join("fixtures/rbac/resources.json")], None);
    assert!(plain.get("accessInputs").is_none());
    assert!(vm(&plain, "vm-1").get("access").is_none());
}

/// Evaluation is indexed by scope (by design, not timing): with many assignments on other
/// resources, a VM's lookup meets only those whose scope covers it.
#[test]
fn evaluation_looks_up_only_the_scopes_above_a_resource() {
    use jitscan::rbac::read::{record, ItemKind, Record};
    use jitscan::rbac::Directory;
    let origin = || jitscan::source::Origin {
        document: std::sync::Arc::new(jitscan::source::Source::new(
            PathBuf::from("x.json"),
            "x.json".into(),
            std::sync::Arc::new(String::new()),
            std::sync::Arc::new(jitscan::source::LineIndex::new("")),
        )),
        pointer: "".into(),
    };
    let mut records: Vec<(String, Record)> = Vec::new();
    for i in 0..20_000 {
        let value = serde_json::json!({
            "id": format!("/subscriptions/s/resourceGroups/rg-{i}/providers/Microsoft.Authorization/roleAssignments/{i}"),
            "principalId": format!("p{i}"),
            "roleDefinitionId": "b24988ac-6180-42a0-ab88-20f7382dd24c",
            "scope": format!("/subscriptions/s/resourceGroups/rg-{i}"),
        });
        let node = jitscan::json::Node::from_value(&value);
        records.push((
            "x.json".into(),
            record(ItemKind::RoleAssignment, &node, origin()),
        ));
    }
    let dir = Directory::build(records);
    let vm = "/subscriptions/s/resourceGroups/rg-7/providers/Microsoft.Compute/virtualMachines/vm";
    assert_eq!(dir.assignments_covering(vm).len(), 1);
    let other =
        "/subscriptions/s/resourceGroups/rg-70/providers/Microsoft.Compute/virtualMachines/vm";
    assert_eq!(dir.assignments_covering(other).len(), 1);
}
