//! Every hand-written fixture in `fixtures/arm` is scanned and its JSON report compared with
//! `fixtures/expected/<name>.yaml`, whose verdicts were worked out by hand from
//! docs/verdicts.md and Azure's documentation: the VMs, their verdicts, and exactly the
//! findings each VM raises (`findings:`, from the rule catalogue). Every rule of the catalogue
//! is asserted by at least one fixture. All mismatches are listed together.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::root;
use crate::support::verdicts::{compare_vm, files_in, scan_json};

/// The expected files, parsed, with their names.
fn expectations() -> Vec<(String, serde_yaml::Value)> {
    files_in(&root().join("fixtures/expected"), "yaml")
        .into_iter()
        .map(|file| {
            let name = file.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            (name, serde_yaml::from_str(&text).unwrap())
        })
        .collect()
}

/// A finding as the expected files write it: `JIT001 22` for a port, `JIT005` for the VM.
fn finding_label(finding: &Value) -> String {
    let rule = finding["ruleId"].as_str().unwrap();
    match finding["port"].as_u64() {
        Some(port) => format!("{rule} {port}"),
        None => rule.to_owned(),
    }
}

/// The labels listed under `key` of an expected VM entry (`None` when the key is absent).
fn labels(want: &serde_yaml::Value, key: &str) -> Option<Vec<String>> {
    let list = want.get(key)?.as_sequence()?;
    Some(
        list.iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect(),
    )
}

/// The expected `findings:` of one VM against the report's findings for it, both sorted.
/// `knownWrongFindings:` lists findings jitscan raises against the hand derivation: they must
/// still be raised (so a fix is noticed and the key deleted), and are no part of `findings:`.
fn compare_findings(
    context: &str,
    report: &Value,
    vm: &Value,
    want: &serde_yaml::Value,
) -> Vec<String> {
    let Some(mut derived) = labels(want, "findings") else {
        return vec![format!(
            "{context}: no `findings:` list in the expected file"
        )];
    };
    let known_wrong = labels(want, "knownWrongFindings").unwrap_or_default();
    derived.extend(known_wrong.iter().cloned());
    derived.sort();
    let mut got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["vmId"] == vm["id"])
        .map(finding_label)
        .collect();
    got.sort();
    if derived == got {
        return Vec::new();
    }
    let note = if known_wrong.iter().any(|k| !got.contains(k)) {
        " (a knownWrongFindings entry is no longer raised: delete it if the fix is right)"
    } else {
        ""
    };
    vec![format!(
        "{context}: findings: expected {derived:?}, got {got:?}{note}"
    )]
}

/// Mismatches between one fixture's report and its expected file.
fn check_fixture(name: &str, expected: &serde_yaml::Value) -> Vec<String> {
    let fixture = root()
        .join("fixtures")
        .join(expected["fixture"].as_str().unwrap());
    let parameters: Option<PathBuf> = expected
        .get("parametersFile")
        .and_then(|p| p.as_str())
        .map(|p| root().join("fixtures").join(p));
    let report = scan_json(std::slice::from_ref(&fixture), parameters);
    let want_vms = expected["vms"].as_sequence().unwrap();
    let got_vms = report["vms"].as_array().unwrap();
    let mut want_names: Vec<&str> = want_vms
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    let mut got_names: Vec<&str> = got_vms
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    want_names.sort_unstable();
    got_names.sort_unstable();
    if want_names != got_names {
        return vec![format!(
            "{name}: VMs: expected {want_names:?}, got {got_names:?}"
        )];
    }
    let mut failures = Vec::new();
    for want in want_vms {
        let vm_name = want["name"].as_str().unwrap();
        let got = got_vms.iter().find(|v| v["name"] == vm_name).unwrap();
        let context = format!("{name}/{vm_name}");
        failures.extend(compare_vm(&context, got, want));
        failures.extend(compare_findings(&context, &report, got, want));
    }
    let failed_inputs = report["summary"]["inputsFailed"].as_u64().unwrap();
    if failed_inputs != 0 {
        failures.push(format!("{name}: {failed_inputs} input(s) failed"));
    }
    failures
}

#[test]
fn every_fixture_matches_its_hand_derived_verdicts() {
    let expected = expectations();
    assert!(
        expected.len() >= 30,
        "expected at least 30 fixtures, found {}",
        expected.len()
    );
    let failures: Vec<String> = expected
        .iter()
        .flat_map(|(name, want)| check_fixture(name, want))
        .collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// ruff's habit: a rule no fixture asserts is a rule nothing checks. A new rule needs a fixture
/// in `fixtures/arm` whose expected file lists its findings.
#[test]
fn every_rule_is_asserted_by_some_fixture() {
    let asserted: Vec<String> = expectations()
        .iter()
        .flat_map(|(_, want)| want["vms"].as_sequence().unwrap().clone())
        .filter_map(|vm| vm.get("findings").and_then(|f| f.as_sequence()).cloned())
        .flatten()
        .map(|f| {
            let label = f.as_str().unwrap();
            label.split(' ').next().unwrap().to_owned()
        })
        .collect();
    let unasserted: Vec<&str> = jitscan::rules::REGISTRY
        .iter()
        .map(|rule| rule.id)
        .filter(|id| !asserted.iter().any(|a| a == id))
        .collect();
    assert!(
        unasserted.is_empty(),
        "no fixture in fixtures/expected lists a finding of {unasserted:?}"
    );
    let known: Vec<&str> = jitscan::rules::REGISTRY.iter().map(|r| r.id).collect();
    let unknown: Vec<&String> = asserted
        .iter()
        .filter(|a| !known.contains(&a.as_str()))
        .collect();
    assert!(unknown.is_empty(), "findings of unknown rules: {unknown:?}");
}
