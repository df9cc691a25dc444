//! Azure Virtual Network Manager security admin rules (`fixtures/avnm/`): beyond the verdicts
//! `fixtures::` compares, the reports must name the admin rule that decided (evidence, JIT001's
//! message) and say why a verdict is undecided (group membership, commit); the reports of these
//! inputs validate against the JSON schema.

use serde_json::Value;

use crate::support::root;
use crate::support::verdicts::scan_json;
use jitscan::report::json::SCHEMA;

fn report(name: &str) -> Value {
    scan_json(&[root().join("fixtures/avnm").join(name)], None)
}

fn port<'a>(report: &'a Value, vm: &str, port: u64) -> &'a Value {
    let vm = report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == vm)
        .unwrap();
    vm["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == port)
        .unwrap()
}

#[test]
fn an_always_allow_rule_is_the_deciding_evidence_and_named_by_jit001() {
    for (file, vm, number, rule) in [
        (
            "always-allow-rdp-over-nsg-deny.json",
            "vm-rdp",
            3389,
            "always-allow-rdp",
        ),
        (
            "resource-graph-always-allow-committed.json",
            "vm-ops-jump",
            22,
            "always-allow-ssh",
        ),
    ] {
        let report = report(file);
        let evidence = port(&report, vm, number)["evidence"].as_array().unwrap();
        // The admin rule ends evaluation: no NSG rule is evidence for this port.
        assert_eq!(evidence.len(), 1, "{file}: {evidence:?}");
        let e = &evidence[0];
        assert_eq!(e["level"], "networkManager", "{file}");
        assert_eq!(e["rule"], rule, "{file}");
        assert_eq!(e["access"], "Allow", "{file}");
        assert!(
            e["note"].as_str().unwrap().contains("AlwaysAllow"),
            "{file}"
        );
        assert!(e["source"]["line"].as_u64().unwrap() > 1, "{file}");
        let finding = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["ruleId"] == "JIT001" && f["port"] == number)
            .unwrap();
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("security admin rule '{rule}' (AlwaysAllow")),
            "{file}: {message}"
        );
    }
}

#[test]
fn a_deny_rule_is_the_deciding_evidence_of_a_closed_port() {
    let report = report("deny-ssh-admin-over-nsg-allow.json");
    let evidence = port(&report, "vm-in-group", 22)["evidence"]
        .as_array()
        .unwrap();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert_eq!(evidence[0]["rule"], "deny-ssh-internet");
    assert_eq!(evidence[0]["access"], "Deny");
    assert_eq!(evidence[0]["priority"], 50);
    // The VM outside the group is decided by its NSG alone.
    let outside = port(&report, "vm-outside", 22)["evidence"]
        .as_array()
        .unwrap();
    assert!(outside.iter().all(|e| e["level"] != "networkManager"));
}

#[test]
fn undecided_membership_and_commits_say_why() {
    let members = report("group-members-not-in-input.json");
    let reason = members["vms"][0]["confidenceReason"].as_str().unwrap();
    assert!(reason.contains("network group"), "{reason}");
    let draft = report("configuration-not-committed.json");
    for number in [22, 3389] {
        let reason = port(&draft, "vm-uncommitted", number)["confidenceReason"]
            .as_str()
            .unwrap();
        assert!(
            reason.contains("'sac-draft'") && reason.contains("commit"),
            "{reason}"
        );
    }
    let script = report("always-allow-ssh-nested-script-commit.json");
    let reason = port(&script, "vm-ssh", 22)["confidenceReason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("ds-commit-sac-platform"), "{reason}");
}

#[test]
fn admin_rule_reports_validate_against_the_schema() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let report = scan_json(&[root().join("fixtures/avnm")], None);
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .take(20)
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}
