//! The real binary: suppressions from jitscan.yaml and Azure tags (with expiry), config
//! diagnostics, several outputs from one scan, and `explain`.

use std::path::Path;

use predicates::prelude::*;

use crate::support::{jitscan, root};

const OPEN_VM: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";

fn folder_with_open_vm(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(OPEN_VM), dir.path().join("vm.json")).unwrap();
    if let Some(text) = config {
        std::fs::write(dir.path().join("jitscan.yaml"), text).unwrap();
    }
    dir
}

fn report(dir: &Path, extra: &[&str], code: i32) -> serde_json::Value {
    let as_of: &[&str] = if extra.contains(&"--as-of") {
        &[]
    } else {
        &["--as-of", "2026-11-24"]
    };
    let out = jitscan()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .args(as_of)
        .args(extra)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn a_config_suppression_marks_findings_and_passes_the_gate() {
    let dir = folder_with_open_vm(Some("suppressions:\n  - rule: JIT001\n    resource: vm-ssh-*\n    reason: bastion replacement scheduled\n    expires: 2027-01-31\n"));
    let r = report(dir.path(), &[], 0);
    let finding = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT001")
        .unwrap();
    assert_eq!(finding["suppressed"], true);
    assert_eq!(finding["suppression"]["kind"], "config");
    assert!(finding["suppression"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("bastion replacement scheduled"));
    assert_eq!(
        r["vms"][0]["classification"], "unhealthy",
        "suppression never changes the verdict"
    );
}

#[test]
fn an_expired_suppression_no_longer_applies_and_says_so() {
    let dir = folder_with_open_vm(Some("suppressions:\n  - rule: mgmt-port-open-to-internet\n    resource: '*'\n    reason: temporary\n    expires: 2026-11-23\n"));
    let r = report(dir.path(), &[], 1);
    let finding = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT001")
        .unwrap();
    assert_eq!(finding["suppressed"], false);
    assert!(finding["suppressionNotes"][0]
        .as_str()
        .unwrap()
        .contains("expired on 2026-11-23"));
    // The same entry is still valid the day it expires.
    report(dir.path(), &["--as-of", "2026-11-23"], 0);
}

/// The open VM's folder with `tag` as its `jitscan-ignore` tag.
fn folder_with_ignore_tag(tag: &str) -> tempfile::TempDir {
    let dir = folder_with_open_vm(None);
    let path = dir.path().join("vm.json");
    let mut template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let vm = template["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "Microsoft.Compute/virtualMachines")
        .unwrap();
    vm["tags"] = serde_json::json!({ "jitscan-ignore": tag });
    std::fs::write(&path, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    dir
}

fn jit001(report: &serde_json::Value) -> serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT001")
        .unwrap()
        .clone()
}

#[test]
fn the_jitscan_ignore_tag_suppresses_listed_rules_with_its_reason() {
    let dir = folder_with_ignore_tag("JIT001, JIT003: bastion subnet only");
    let finding = jit001(&report(dir.path(), &[], 0));
    assert_eq!(finding["suppression"]["kind"], "tag");
    let reason = finding["suppression"]["reason"].as_str().unwrap();
    assert!(reason.starts_with("bastion subnet only"), "{reason}");
}

/// A pull request must not pass its own gate with a bare tag: without a reason the tag does
/// not suppress, the gate fails, and the finding says why.
#[test]
fn a_jitscan_ignore_tag_without_a_reason_does_not_suppress() {
    for tag in ["JIT001", "*", "JIT001:", "JIT001:   "] {
        let dir = folder_with_ignore_tag(tag);
        let finding = jit001(&report(dir.path(), &[], 1));
        assert!(finding["suppression"].is_null(), "{tag}: {finding}");
        let notes = finding["suppressionNotes"].to_string();
        assert!(notes.contains("without a reason"), "{tag}: {notes}");
    }
}

#[test]
fn config_problems_are_all_reported_with_lines_and_exit_2() {
    let dir = folder_with_open_vm(Some("suppressions:\n  - rule: JIT999\n    resource: x\n    reason: r\n  - rule: JIT001\n    resource: x\n  - rule: JIT002\n    resource: x\n    reason: r\n    expires: next week\n"));
    jitscan()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `JIT999`"))
        .stderr(predicate::str::contains("`reason` is missing"))
        .stderr(predicate::str::contains(
            "`expires: next week` is not a date",
        ))
        .stderr(predicate::str::contains("jitscan.yaml:2:1"))
        .stderr(predicate::str::contains("jitscan.yaml:10:1"))
        .stderr(predicate::str::contains("3 problem(s)"));
}

#[test]
fn several_outputs_from_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let other = dir.path().join("copy.json");
    let assert = jitscan()
        .args([
            "scan", OPEN_VM, "--format", "table", "--format", "json", "--output",
        ])
        .arg(&json_path)
        .arg("--output")
        .arg(&other)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("CLASSIFICATION"),
        "table went to stdout: {stdout}"
    );
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
    assert_eq!(a["schemaVersion"], 5);
    assert_eq!(
        a, b,
        "an --output without its own --format takes the format of its extension"
    );
    jitscan()
        .args(["scan", OPEN_VM, "--format", "table", "--format", "json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only one report"));
}

#[test]
fn explain_a_rule_and_a_vm() {
    jitscan()
        .args(["explain", "JIT001"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("## How to fix"));
    jitscan()
        .args(["explain", "NOPE"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("JIT004"));
    jitscan()
        .args([
            "explain",
            "fixtures/arm/specific-source-only-is-healthy.json",
            "--vm",
            "vm-specific",
            "--port",
            "22",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "allow-ssh-partner  Allow  skipped: source does not match",
        ))
        .stdout(predicate::str::contains(
            "DenyAllInBound (default)  Deny  <- matches, decides",
        ));
    jitscan()
        .args([
            "explain",
            "fixtures/arm/specific-source-only-is-healthy.json",
            "--vm",
            "vm-specific",
            "--port",
            "22",
            "--source",
            "203.0.113.5",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "allow-ssh-partner  Allow  <- matches, decides",
        ));
    jitscan()
        .args(["explain", "fixtures/arm", "--vm", "no-such-vm"])
        .assert()
        .code(2);
}

#[test]
fn html_and_sarif_reports_come_from_the_same_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (html, sarif) = (dir.path().join("r.html"), dir.path().join("r.sarif"));
    jitscan()
        .args(["scan", OPEN_VM, "--format", "html", "--output"])
        .arg(&html)
        .args(["--format", "sarif", "--output"])
        .arg(&sarif)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("vm-ssh-open"));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "JIT001"));
}
