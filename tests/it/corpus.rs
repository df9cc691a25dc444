//! The scanner over the real-world templates in `../shared/corpus`: every file is accounted
//! for, nothing panics, and the VMs hand-labelled in `tests/data/corpus_labels.yaml` (derived by
//! reading each template against docs/verdicts.md) get those verdicts.
//!
//! The corpus lives outside the repository. When it is absent the test fails with a clear
//! message, unless JITSCAN_SKIP_CORPUS=1 says to skip it on purpose.

use std::path::{Path, PathBuf};

use crate::support::verdicts::{compare_vm, scan_json};
use crate::support::{corpus_dir, root};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_file_is_accounted_for() {
    let Some(dir) = corpus_dir() else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let report = scan_json(std::slice::from_ref(&dir), None);
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(
        inputs.len(),
        files.len(),
        "every file found must appear in inputs"
    );
    for input in inputs {
        let status = input["status"].as_str().unwrap();
        assert!(["scanned", "skipped", "failed"].contains(&status));
        if status != "scanned" {
            assert!(
                input["reason"].is_string(),
                "{} has no reason",
                input["path"]
            );
        }
    }
    let templates = inputs.iter().filter(|i| i["kind"] == "armTemplate").count();
    assert!(templates >= 60, "only {templates} templates recognised");
    assert_eq!(
        report["summary"]["inputsFailed"], 0,
        "no corpus file is malformed"
    );
}

#[test]
fn hand_labelled_corpus_vms_get_their_verdicts() {
    let Some(dir) = corpus_dir() else { return };
    let labels: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root().join("tests/data/corpus_labels.yaml")).unwrap(),
    )
    .unwrap();
    let labels = labels["labels"].as_sequence().unwrap();
    assert!(labels.len() >= 20);
    let report = scan_json(std::slice::from_ref(&dir), None);
    let mut failures = Vec::new();
    for label in labels {
        let file = label["file"].as_str().unwrap();
        let vm = label["vm"].as_str().unwrap();
        let path = format!("{}/{file}", dir.display()).replace('\\', "/");
        let found = report["vms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == vm && v["source"]["path"].as_str().unwrap().ends_with(file));
        match found {
            Some(actual) => failures.extend(compare_vm(&format!("{file}/{vm}"), actual, label)),
            None => failures.push(format!("{path}: VM {vm} not in the report")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
