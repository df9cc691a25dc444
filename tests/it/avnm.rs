//! Azure Virtual Network Manager security admin rules (`fixtures/avnm/`): beyond the verdicts
//! `fixtures::` compares, the reports must name the admin rule that decided (evidence, JIT001's
//! message) and say why a verdict is undecided (group membership, commit); the reports of these
//! inputs validate against the JSON schema.

use serde_json::Value;

use crate::support::verdicts::scan_json;
use crate::support::{root, Run};

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
    crate::support::assert_valid_report(&scan_json(&[root().join("fixtures/avnm")], None));
}

fn findings_of<'a>(report: &'a Value, rule: &str, vm: &str) -> Vec<&'a Value> {
    let id = report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == vm)
        .unwrap()["id"]
        .clone();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule && f["vmId"] == id)
        .collect()
}

/// A VM a JIT policy covers stays healthy (Defender's rule: JIT enabled), but an AlwaysAllow
/// admin rule opens 22 ahead of every NSG rule, JIT's deny rules included: JIT007 says so,
/// naming the policy and the admin rule; the VM outside the group gets nothing.
#[test]
fn an_always_allow_rule_over_a_jit_covered_vm_says_jit_is_bypassed() {
    let report = report("always-allow-ssh-bypasses-jit.json");
    let vm = report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "vm-jump")
        .unwrap();
    assert_eq!(vm["classification"], "healthy");
    assert_eq!(vm["reasonCode"], "jitEnabled");
    let found = findings_of(&report, "JIT007", "vm-jump");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["port"], 22);
    assert_eq!(found[0]["confidence"], "certain");
    let message = found[0]["message"].as_str().unwrap();
    for said in [
        "is covered by JIT policy 'westeurope/default', but its port 22 (SSH) is open to the Internet",
        "AlwaysAllow security admin rule 'always-allow-ssh' (priority 5) of 'avnm-ops/sac-ops/rc-break-glass'",
        "no NSG rule and no JIT policy",
        "reachable via publicIp 'pip-vm-jump'",
    ] {
        assert!(message.contains(said), "{said:?} not in {message}");
    }
    assert!(findings_of(&report, "JIT007", "vm-app").is_empty());
    assert!(findings_of(&report, "JIT001", "vm-jump").is_empty());
}

/// Where the input does not show the AlwaysAllow rule in effect, JIT007 says the port may be
/// open, with the reason, and never states it.
#[test]
fn an_always_allow_rule_that_may_not_apply_is_said_to_maybe_bypass() {
    let report = report("group-members-not-in-input.json");
    let found = findings_of(&report, "JIT007", "vm-members-unknown");
    assert_eq!(found.len(), 3, "{found:?}");
    for f in found {
        let message = f["message"].as_str().unwrap();
        assert_eq!(f["confidence"], "unknown", "{message}");
        assert!(message.contains("may be open to the Internet"), "{message}");
        assert!(message.contains("network group"), "{message}");
        assert!(!message.contains("is open to the Internet"), "{message}");
    }
}

/// The HTML fix of a VM whose port an AlwaysAllow rule opens does not promise that enabling JIT
/// closes that port.
#[test]
fn the_html_fix_says_jit_leaves_an_admin_opened_port_open() {
    let ran = crate::support::jitscan()
        .args([
            "scan",
            "fixtures/avnm/always-allow-rdp-over-nsg-deny.json",
            "--format",
            "html",
        ])
        .run();
    let html = ran.stdout_text();
    assert!(
        html.contains("Except 3389 (RDP): a security admin rule opens it ahead of every NSG rule"),
        "{}",
        html.len()
    );
}
