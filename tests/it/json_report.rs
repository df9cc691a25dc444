//! The JSON report is a contract: real output validates against the shipped JSON Schema, and
//! the same input gives byte-identical output.

use crate::support::root;
use crate::support::verdicts::scan_json;
use jitscan::report::json::{render, SCHEMA};
use jitscan::scan::{scan, ScanOptions};

#[test]
fn fixture_reports_validate_against_the_schema() {
    let mut paths = vec![root().join("fixtures/arm")];
    let corpus = root().join("../shared/corpus");
    if corpus.is_dir() {
        paths.push(corpus);
    }
    let report = scan_json(&paths, None);
    assert!(report["vms"].as_array().unwrap().len() > 30);
    crate::support::assert_valid_report(&report);
}

#[test]
fn schema_rejects_a_report_missing_required_keys() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut report = scan_json(&[root().join("fixtures/arm/nsg-closed-healthy.json")], None);
    assert!(validator.is_valid(&report));
    report["vms"][0]
        .as_object_mut()
        .unwrap()
        .remove("classification");
    assert!(!validator.is_valid(&report));
}

#[test]
fn same_input_gives_byte_identical_reports() {
    let options = ScanOptions {
        paths: vec![root().join("fixtures/arm")],
        ..ScanOptions::default()
    };
    let first = render(&scan(&options));
    for _ in 0..3 {
        assert_eq!(first, render(&scan(&options)));
    }
}

#[test]
fn every_finding_matches_its_rules_declared_metadata() {
    let options = ScanOptions {
        paths: vec![
            root().join("fixtures/arm"),
            root().join("fixtures/exports"),
            root().join("fixtures/avnm"),
            // Role exports: JIT012-JIT014 are raised only with them.
            root().join("fixtures/rbac"),
        ],
        ..ScanOptions::default()
    };
    let result = scan(&options);
    let mut seen = std::collections::BTreeSet::new();
    for finding in &result.findings {
        let rule = jitscan::rules::find_rule(finding.rule.id).unwrap();
        assert!(
            std::ptr::eq(rule, finding.rule),
            "{} is not the registered rule",
            finding.rule.id
        );
        assert_eq!(
            finding.level, rule.level,
            "{} emitted at a level other than its default",
            rule.id
        );
        assert!(
            finding.message.as_str().contains(&finding.vm_name),
            "{}: the message names the VM",
            rule.id
        );
        if let Some(port) = finding.port {
            assert!(
                finding.message.as_str().contains(&port.to_string()),
                "{}: the message names the port",
                rule.id
            );
        }
        seen.insert(rule.id);
    }
    let all: std::collections::BTreeSet<&str> =
        jitscan::rules::REGISTRY.iter().map(|r| r.id).collect();
    assert_eq!(seen, all, "every rule fires on at least one fixture");
}

/// The report is written in pieces, in parallel (see `report::json::write`); its text must be
/// exactly serde_json's own pretty layout of the same tree: with lists longer than one batch
/// of entries (six copies of a copy-loop fixture at 700 VMs each: 4,200 VMs and as many
/// findings), with no VM at all, and with VMs but no finding.
#[test]
fn report_text_is_serde_jsons_pretty_layout() {
    let many = tempfile::tempdir().unwrap();
    let template =
        std::fs::read_to_string(root().join("fixtures/arm/copy-loop-three-vms.json")).unwrap();
    for i in 0..6 {
        let text = template.replace("\"count\": \"[parameters('vmCount')]\"", "\"count\": 700");
        assert_ne!(text, template);
        std::fs::write(many.path().join(format!("t{i}.json")), text).unwrap();
    }
    let empty = tempfile::tempdir().unwrap();
    let cases = [
        (vec![many.path().to_path_buf()], 4200),
        (vec![empty.path().to_path_buf()], 0),
        (vec![root().join("fixtures/arm/nsg-closed-healthy.json")], 1),
    ];
    for (paths, vms) in cases {
        let text = render(&scan(&ScanOptions {
            paths,
            ..ScanOptions::default()
        }));
        let tree: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(tree["vms"].as_array().unwrap().len(), vms);
        assert_eq!(text, serde_json::to_string_pretty(&tree).unwrap() + "\n");
    }
}
