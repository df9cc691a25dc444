//! The HTML report's "who can open it": each VM card lists, grouped by route, the principals the
//! JSON report of the same scan lists in its `access`; the first page ranks the principals that
//! can bypass JIT; a hostile display name is text, not markup; without role inputs the report
//! has none of it.
//!
//! The environment is fixtures/rbac (its principals and why each can or cannot are in
//! tests/it/rbac.rs and docs/verdicts.md, "Who can open the ports (RBAC)").

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{jitscan, Run};

const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const BOB: &str = "b2b2b2b2-0000-4000-8000-000000000002";
const CAROL: &str = "c3c3c3c3-0000-4000-8000-000000000003";
const DAVE: &str = "d4d4d4d4-0000-4000-8000-000000000004";
const ERIN: &str = "e5e5e5e5-0000-4000-8000-000000000005";

/// The role exports of the az CLI shape, with the environment they judge.
const RBAC: [&str; 3] = [
    "fixtures/rbac/resources.json",
    "fixtures/rbac/common",
    "fixtures/rbac/az-cli",
];

/// One run of the binary writing the JSON and the HTML report of the same scan.
fn scan_both(paths: &[&Path]) -> (Value, String) {
    let work = tempfile::tempdir().unwrap();
    let json = work.path().join("r.json");
    let html = work.path().join("r.html");
    let ran = jitscan()
        .arg("scan")
        .args(paths)
        .args(["--as-of", "2026-01-15", "--format", "json", "-o"])
        .arg(&json)
        .args(["--format", "html", "-o"])
        .arg(&html)
        .run();
    assert!(ran.code == 0 || ran.code == 1, "{}", ran.stderr);
    let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (report, std::fs::read_to_string(&html).unwrap())
}

fn rbac_scan() -> (Value, String) {
    let paths: Vec<&Path> = RBAC.iter().map(Path::new).collect();
    scan_both(&paths)
}

/// The card of the VM whose heading is `name` (full card or the card inside a compact row).
fn card<'a>(html: &'a str, name: &str) -> &'a str {
    let heading = format!("-h\">{name}</h4>");
    let at = html
        .find(&heading)
        .unwrap_or_else(|| panic!("no card for {name}"));
    let len = html[at..].find("</article>").expect("card end");
    &html[at..at + len]
}

/// `data-principal` of every row of the card's `<tbody data-route="key">`, sorted; `None` when
/// the card has no such group.
fn listed(card: &str, key: &str) -> Option<Vec<String>> {
    let start = card.find(&format!("<tbody data-route=\"{key}\">"))?;
    let body = &card[start..];
    let body = &body[..body.find("</tbody>").expect("tbody end")];
    let mut ids: Vec<String> = body
        .split("data-principal=\"")
        .skip(1)
        .filter_map(|s| s.split_once('"').map(|(id, _)| id.to_owned()))
        .collect();
    ids.sort();
    Some(ids)
}

/// The JSON `access` of a VM, as `group key -> sorted principal ids`, bypassers by route.
fn json_groups(report: &Value, name: &str) -> BTreeMap<String, Vec<String>> {
    let vm = report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} in the JSON"));
    let access = &vm["access"];
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for list in ["jitRequesters", "jitChangers", "bypassers"] {
        for g in access[list].as_array().unwrap() {
            let key = g["route"].as_str().unwrap_or(list).to_owned();
            let id = g["principalId"].as_str().unwrap().to_owned();
            groups.entry(key).or_default().push(id);
        }
    }
    for ids in groups.values_mut() {
        ids.sort();
    }
    groups
}

const ROUTES: [&str; 5] = [
    "nsgRule",
    "nsgAssociation",
    "publicIp",
    "loadBalancerNat",
    "firewallDnat",
];

#[test]
fn each_card_lists_the_principals_of_the_json_access_by_route() {
    let (report, html) = rbac_scan();
    let mut rows = 0;
    for name in ["vm-1", "vm-2"] {
        let card = card(&html, name);
        assert!(card.contains("Who can open it"), "{name}");
        let want = json_groups(&report, name);
        for key in ["jitRequesters", "jitChangers"] {
            // Always shown, empty or not: an empty group says why.
            let got = listed(card, key).unwrap_or_else(|| panic!("{name}: {key} group"));
            assert_eq!(
                got,
                want.get(key).cloned().unwrap_or_default(),
                "{name} {key}"
            );
            rows += got.len();
        }
        for key in ROUTES {
            // A route is shown when someone can take it.
            let got = listed(card, key);
            assert_eq!(got, want.get(key).cloned(), "{name} {key}");
            rows += got.map_or(0, |g| g.len());
        }
    }
    assert!(rows > 10, "the fixture lists many grants, got {rows}");
}

#[test]
fn the_groups_hold_the_principals_azure_rbac_allows() {
    let (_, html) = rbac_scan();
    let vm1 = card(&html, "vm-1");
    // nsg-1's deny assignment denies NSG writes to everyone but alice and bob: only they can
    // write a rule on vm-1's NSG.
    assert_eq!(
        listed(vm1, "nsgRule").unwrap(),
        vec![ALICE.to_owned(), BOB.to_owned()]
    );
    // carol has initiate and read at rg-app; dave has initiate without read on the VM.
    let requesters = listed(vm1, "jitRequesters").unwrap();
    assert!(requesters.contains(&CAROL.to_owned()), "{requesters:?}");
    assert!(!requesters.contains(&DAVE.to_owned()), "{requesters:?}");
    // vm-2: no JIT policy lists it, so no requesters; erin writes NICs (Microsoft.Network/*/write)
    // but not NSGs (notActions), so she changes the association, not the rules.
    let vm2 = card(&html, "vm-2");
    assert!(vm2.contains("No JIT policy lists this VM"));
    assert_eq!(listed(vm2, "jitRequesters").unwrap(), Vec::<String>::new());
    assert!(listed(vm2, "nsgAssociation")
        .unwrap()
        .contains(&ERIN.to_owned()));
    assert!(!listed(vm2, "nsgRule").unwrap().contains(&ERIN.to_owned()));
}

#[test]
fn the_first_page_ranks_the_principals_by_the_vms_they_can_bypass_jit_on() {
    let (report, html) = rbac_scan();
    let start = html.find("id=\"widest-reach\"").expect("widest reach");
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap()];
    // Per principal, the VMs whose bypassers name it, from the JSON.
    let mut vms_of: BTreeMap<String, usize> = BTreeMap::new();
    for vm in report["vms"].as_array().unwrap() {
        let mut ids: Vec<&str> = vm["access"]["bypassers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["principalId"].as_str().unwrap())
            .collect();
        ids.dedup();
        for id in ids {
            *vms_of.entry(id.to_owned()).or_default() += 1;
        }
    }
    let rows: Vec<&str> = table.split("<tr data-principal=\"").skip(1).collect();
    assert_eq!(rows.len(), vms_of.len().min(15));
    let mut last = usize::MAX;
    for row in rows {
        let (id, rest) = row.split_once('"').unwrap();
        // The fourth cell is the VM count, in bold.
        let count: usize = rest
            .split("<strong>")
            .nth(1)
            .and_then(|s| s.split_once("</strong>"))
            .map(|(n, _)| n.parse().unwrap())
            .unwrap();
        assert_eq!(Some(&count), vms_of.get(id), "{id}");
        assert!(count <= last, "ranked by VMs");
        last = count;
    }
    // bob's only grant is on nsg-1 (vm-1's NSG): one VM; grace is Contributor only through PIM.
    assert_eq!(vms_of.get(BOB), Some(&1));
    assert!(table.contains("PIM-eligible only"));
}

#[test]
fn the_scope_names_the_role_sources_and_the_built_in_copies() {
    let (report, html) = rbac_scan();
    let start = html.find("id=\"role-sources\"").expect("role sources");
    let scope = &html[start..html[start..].find("id=\"unread\"").unwrap() + start];
    for s in report["accessInputs"]["sources"].as_array().unwrap() {
        let file = s["path"].as_str().unwrap().rsplit('/').next().unwrap();
        assert!(scope.contains(file), "{file}");
    }
    // bob's Network Contributor and frank's Owner are cited but not exported: jitscan's copy.
    for role in report["accessInputs"]["builtInDefinitionsFromJitscan"]
        .as_array()
        .unwrap()
    {
        assert!(scope.contains(&format!("<strong>{}</strong>", role.as_str().unwrap())));
    }
    assert!(scope.contains("<strong>Network Contributor</strong>"));
}

#[test]
fn a_hostile_display_name_is_text() {
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("az-role-assignment-list.json");
    // Contributor at the subscription: a bypasser of both VMs, so it shows on every card.
    let assignment = serde_json::json!([{
        "id": "/subscriptions/11111111-aaaa-bbbb-cccc-000000000001/providers/Microsoft.Authorization/roleAssignments/99999999-0000-4000-8000-0000000000ff",
        "principalId": "ffffffff-0000-4000-8000-0000000000ff",
        "principalName": "<script>alert(1)</script>\"'&<b>",
        "principalType": "<img src=x onerror=alert(2)>",
        "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
        "roleDefinitionName": "Contributor",
        "scope": "/subscriptions/11111111-aaaa-bbbb-cccc-000000000001",
        "type": "Microsoft.Authorization/roleAssignments"
    }]);
    std::fs::write(&export, assignment.to_string()).unwrap();
    let resources = Path::new("fixtures/rbac/resources.json");
    let (report, html) = scan_both(&[resources, &export]);
    assert!(!report["vms"][0]["access"]["bypassers"]
        .as_array()
        .unwrap()
        .is_empty());
    // Askama writes numeric references.
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;&#60;b&#62;"));
    assert!(html.contains("<td>&#60;img src=x onerror=alert(2)&#62;</td>"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>"));
    // The page's own inline script is the only one.
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn no_access_section_without_role_inputs() {
    let (report, html) = scan_both(&[Path::new("fixtures/rbac/resources.json")]);
    assert!(report.get("accessInputs").is_none());
    for absent in [
        "Who can open it",
        "data-route=",
        "id=\"widest-reach\"",
        "id=\"role-sources\"",
    ] {
        assert!(!html.contains(absent), "{absent}");
    }
}
