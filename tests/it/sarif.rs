//! The SARIF log is read by GitHub code scanning and other tools: real output validates against
//! the SARIF 2.1.0 schema (tests/data/sarif/, see SOURCES.md), carries what code scanning needs
//! (help, `security-severity`, regions, fingerprints), keeps its fingerprints when unrelated
//! lines move, and is byte-identical for the same input.

use std::path::{Path, PathBuf};

use jitscan::report::sarif::{render, render_relative_to, FINGERPRINT_KEY};
use jitscan::scan::{scan, ScanOptions};
use serde_json::Value;

use crate::support::{corpus_dir, root};

const SCHEMA: &str = include_str!("../data/sarif/sarif-schema-2.1.0.json");
const FIXTURE: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";

fn options(paths: Vec<PathBuf>) -> ScanOptions {
    ScanOptions {
        paths,
        ..ScanOptions::default()
    }
}

/// The SARIF log of a scan of `paths`, with URIs relative to `base`.
fn sarif(paths: Vec<PathBuf>, base: &Path) -> Value {
    let text = render_relative_to(&scan(&options(paths)), Some(base));
    serde_json::from_str(&text).expect("SARIF is valid JSON")
}

/// fixtures/arm plus ../shared/corpus (which must exist unless JITSCAN_SKIP_CORPUS=1).
fn corpus_and_fixtures() -> Vec<PathBuf> {
    let mut paths = vec![root().join("fixtures/arm")];
    paths.extend(corpus_dir());
    paths
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA.trim_start_matches('\u{feff}')).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path))
        .take(20)
        .collect()
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn fingerprints(log: &Value) -> Vec<(String, u64)> {
    results(log)
        .iter()
        .map(|r| {
            let fp = r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap();
            (fp.to_owned(), line)
        })
        .collect()
}

#[test]
fn corpus_and_fixture_log_validates_against_the_sarif_schema() {
    let log = sarif(corpus_and_fixtures(), &root());
    assert!(results(&log).len() > 10, "expected findings in the scan");
    let errors = schema_errors(&validator(), &log);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn schema_check_is_live_it_rejects_broken_logs() {
    let validator = validator();
    let log = sarif(vec![root().join(FIXTURE)], &root());
    assert!(validator.is_valid(&log));
    let mut no_message = log.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&no_message));
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad_level));
    let mut bad_uri = log;
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"] = "a b\\c.json".into();
    assert!(
        !validator.is_valid(&bad_uri),
        "a raw space must not pass as a URI"
    );
}

#[test]
fn rules_and_results_carry_what_code_scanning_needs() {
    let log = sarif(corpus_and_fixtures(), &root());
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "jitscan");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), jitscan::rules::REGISTRY.len());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .is_some_and(|m| m.contains("## How to fix")),
            "{id}"
        );
        assert!(
            rule["help"]["text"]
                .as_str()
                .is_some_and(|t| !t.contains("## ") && !t.is_empty()),
            "{id}"
        );
        let props = &rule["properties"];
        assert!(
            props["tags"]
                .as_array()
                .unwrap()
                .contains(&"security".into()),
            "{id}"
        );
        let severity: f64 = props["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity), "{id}: {severity}");
        let problem = props["problem.severity"].as_str().unwrap();
        assert!(
            ["error", "warning", "recommendation"].contains(&problem),
            "{id}"
        );
    }
    for (i, result) in results(&log).iter().enumerate() {
        let rule_id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule_id, "result {i}");
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["region"]["startLine"].as_u64().unwrap() >= 1,
            "result {i}"
        );
        assert_eq!(
            location["artifactLocation"]["uriBaseId"], "%SRCROOT%",
            "result {i}"
        );
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.contains(' ') && !uri.contains('\\') && !uri.starts_with('/'),
            "{uri}"
        );
        let fp = result["partialFingerprints"][FINGERPRINT_KEY]
            .as_str()
            .unwrap();
        assert!(
            fp.len() == 64 && fp.chars().all(|c| c.is_ascii_hexdigit()),
            "result {i}"
        );
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["kind"],
            "resource"
        );
        assert!(result["message"]["text"]
            .as_str()
            .is_some_and(|t| t.len() > 10));
    }
    let mut fps: Vec<String> = fingerprints(&log).into_iter().map(|(fp, _)| fp).collect();
    let total = fps.len();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), total, "two results share a fingerprint");
    let artifacts = run["artifacts"].as_array().unwrap();
    assert!(artifacts
        .iter()
        .any(|a| a["location"]["uri"].as_str().unwrap().contains("%20")));
    assert!(artifacts.iter().any(|a| a["location"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("../shared/")));
}

#[test]
fn fingerprints_survive_blank_lines_inserted_above() {
    let original = std::fs::read_to_string(root().join(FIXTURE)).unwrap();
    let before_dir = tempfile::tempdir().unwrap();
    let after_dir = tempfile::tempdir().unwrap();
    let name = "ssh open.json";
    std::fs::write(before_dir.path().join(name), &original).unwrap();
    std::fs::write(after_dir.path().join(name), format!("\n\n\n\n\n{original}")).unwrap();
    let before = sarif(vec![before_dir.path().join(name)], before_dir.path());
    let after = sarif(vec![after_dir.path().join(name)], after_dir.path());
    let (before_fps, after_fps) = (fingerprints(&before), fingerprints(&after));
    assert!(!before_fps.is_empty(), "the fixture must raise findings");
    assert_eq!(before_fps.len(), after_fps.len());
    for ((fp_a, line_a), (fp_b, line_b)) in before_fps.iter().zip(&after_fps) {
        assert_eq!(fp_a, fp_b);
        assert_eq!(line_a + 5, *line_b);
    }
    let uri = &results(&after)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "ssh%20open.json");
}

#[test]
fn same_input_gives_byte_identical_logs() {
    let options = options(vec![root().join("fixtures/arm")]);
    let first = render(&scan(&options));
    assert!(first.ends_with("}\n"));
    for _ in 0..3 {
        assert_eq!(first, render(&scan(&options)));
    }
}

#[test]
fn input_problems_become_notifications_and_fail_the_invocation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"resources\": [\n    {,\n",
    )
    .unwrap();
    let log = sarif(vec![dir.path().to_path_buf()], dir.path());
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    let note = notes
        .iter()
        .find(|n| n["descriptor"]["id"] == "jitscan::input::malformed-json")
        .expect("a malformed-json notification");
    assert_eq!(note["level"], "error");
    let location = &note["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "broken.json");
    assert!(location["region"]["startLine"].as_u64().unwrap() >= 2);
    assert!(schema_errors(&validator(), &log).is_empty());
    let ok = sarif(vec![root().join(FIXTURE)], &root());
    assert_eq!(ok["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn a_tag_suppression_is_reported_as_external_with_its_reason() {
    let mut template: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(FIXTURE)).unwrap()).unwrap();
    let vm = template["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "Microsoft.Compute/virtualMachines")
        .unwrap();
    vm["tags"] = serde_json::json!({ "jitscan-ignore": "JIT001: reachable only over the VPN" });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suppressed.json");
    std::fs::write(&path, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    let log = sarif(vec![path], dir.path());
    let jit001: Vec<&Value> = results(&log)
        .iter()
        .filter(|r| r["ruleId"] == "JIT001")
        .collect();
    assert!(!jit001.is_empty());
    for result in jit001 {
        let suppression = &result["suppressions"][0];
        assert_eq!(suppression["kind"], "external");
        let justification = suppression["justification"].as_str().unwrap();
        assert!(justification.contains("jitscan-ignore"), "{justification}");
        assert!(
            justification.contains("reachable only over the VPN"),
            "{justification}"
        );
    }
    assert!(schema_errors(&validator(), &log).is_empty());
}
