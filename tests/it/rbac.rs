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

use crate::support::verdicts::scan_json;
use crate::support::{root, Run};

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

const DAVE: &str = "d4d4d4d4-0000-4000-8000-000000000004";

/// The principals a finding of `rule` on `vm_name` names (by id, in its message).
fn named_by(report: &Value, rule: &str, vm_name: &str) -> BTreeSet<String> {
    let all = [ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE, HEIDI];
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule && f["vmName"] == vm_name)
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(messages.len() <= 1, "one {rule} finding per VM");
    all.iter()
        .filter(|p| messages.iter().any(|m| m.contains(*p)))
        .map(|p| (*p).to_owned())
        .collect()
}

fn ids(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// JIT012-JIT014 name the principals worked out by hand from the role files (the same
/// derivation as fixtures/expected/rbac.yaml, which asserts the rule ids).
#[test]
fn access_findings_name_the_principals_worked_out_by_hand() {
    let report = scan_shape("az-cli");
    // vm-1 is JIT-covered. Bypassers (see bypassers_by_route_with_deny_and_not_actions) minus
    // requesters (alice, carol, frank, grace, heidi): bob (nsgRule at nsg-1) and erin.
    assert_eq!(named_by(&report, "JIT012", "vm-1"), ids(&[BOB, ERIN]));
    // vm-2: port 22 exposed and no JIT policy, so no requesters: every bypasser.
    assert_eq!(
        named_by(&report, "JIT012", "vm-2"),
        ids(&[ALICE, ERIN, FRANK, GRACE, HEIDI])
    );
    // Guests (`#EXT#` in the User's name: heidi) and service principals (erin), both VMs.
    for vm_name in ["vm-1", "vm-2"] {
        assert_eq!(named_by(&report, "JIT013", vm_name), ids(&[ERIN, HEIDI]));
    }
    // NSG write from an assignment at the subscription: on nsg-1 only alice (frank's Owner is
    // denied there, bob's scope is nsg-1 itself); on nsg-19 alice and frank (grace and heidi
    // hold theirs at rg-app).
    assert_eq!(named_by(&report, "JIT014", "vm-1"), ids(&[ALICE]));
    assert_eq!(named_by(&report, "JIT014", "vm-2"), ids(&[ALICE, FRANK]));
    let jit012 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT012" && f["vmName"] == "vm-1")
        .unwrap();
    assert_eq!(jit012["level"], "warning");
    assert_eq!(jit012["confidence"], "certain");
    // Without role exports none of them is raised.
    let plain = scan_json(&[root().join("fixtures/rbac/resources.json")], None);
    assert!(plain["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| !["JIT012", "JIT013", "JIT014"].contains(&f["ruleId"].as_str().unwrap())));
}

fn explain_principal(vm_name: &str, principal: &str) -> String {
    let dir = root().join("fixtures/rbac");
    let ran = crate::support::jitscan()
        .arg("explain")
        .arg(dir.join("resources.json"))
        .arg(dir.join("common"))
        .arg(dir.join("az-cli"))
        .args(["--vm", vm_name, "--principal", principal, "--port", "22"])
        .run();
    assert_eq!(ran.code, 0, "explain failed: {}", ran.stderr);
    ran.stdout_text()
}

/// The answer line `can <question>: yes|no` and the lines under it.
fn answer<'a>(text: &'a str, question: &str) -> Vec<&'a str> {
    let head = format!("  can {question}: ");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("{question} in:\n{text}"));
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("    ")))
        .collect()
}

#[test]
fn explain_principal_says_which_assignment_grants_or_why_none_does() {
    // dave: "JIT Requester" (initiate only) at rg-app covers the policy, but nothing gives him
    // read on the VM: no requester, and the explanation says why.
    let dave = explain_principal("vm-1", DAVE);
    let request = answer(&dave, "request JIT");
    assert!(request[0].ends_with("no"), "{request:?}");
    assert!(request
        .iter()
        .any(|l| l.contains("Microsoft.Compute/virtualMachines/read")));
    assert!(answer(&dave, "bypass JIT by nsgRule")[0].ends_with("no"));
    // frank (Owner at S, given in upper case): requests and changes JIT, bypasses by
    // nsgAssociation and publicIp, but the deny assignment at nsg-1 stops his NSG write.
    let frank = explain_principal("vm-1", &FRANK.to_ascii_uppercase());
    for q in [
        "request JIT",
        "change JIT",
        "bypass JIT by nsgAssociation",
        "bypass JIT by publicIp",
    ] {
        let a = answer(&frank, q);
        assert!(a[0].ends_with("yes"), "{q}: {a:?}");
        assert!(a.iter().any(|l| l.contains("role Owner at")), "{q}: {a:?}");
    }
    let nsg = answer(&frank, "bypass JIT by nsgRule");
    assert!(nsg[0].ends_with("no"), "{nsg:?}");
    assert!(nsg
        .iter()
        .any(|l| l.contains("by deny assignment protect nsg-1 rules")));
    // bob on vm-2: his Network Contributor at nsg-1 does not cover nsg-19 (whole segments);
    // no JIT policy lists vm-2.
    let bob = explain_principal("vm-2", BOB);
    let nsg = answer(&bob, "bypass JIT by nsgRule");
    assert!(nsg[0].ends_with("no"), "{nsg:?}");
    assert!(nsg
        .iter()
        .any(|l| l.contains("its scope does not cover") && l.contains("nsg-19")));
    assert!(answer(&bob, "request JIT")
        .iter()
        .any(|l| l.contains("no JIT policy lists the VM")));
    // heidi's Contributor carries a condition: the answer says it is not evaluated.
    let heidi = explain_principal("vm-1", HEIDI);
    let a = answer(&heidi, "bypass JIT by publicIp");
    assert!(a[0].ends_with("yes") && a.iter().any(|l| l.contains("conditional")));
    // A principal with no assignment at all.
    let nobody = explain_principal("vm-1", "00000000-1111-2222-3333-444444444444");
    assert!(nobody.contains("no role assignment or PIM eligibility of this principal was read"));
}
