//! Every hand-written fixture in `fixtures/arm` is scanned and its JSON report compared with
//! `fixtures/expected/<name>.yaml`, whose verdicts were worked out by hand from
//! docs/verdicts.md and Azure's documentation. All mismatches are listed together.
use crate::support::root;
use crate::support::verdicts::{compare_vm, files_in, scan_json};

#[test]
fn every_fixture_matches_its_hand_derived_verdicts() {
    let expected_files = files_in(&root().join("fixtures/expected"), "yaml");
    assert!(
        expected_files.len() >= 30,
        "expected at least 30 fixtures, found {}",
        expected_files.len()
    );
    let mut failures = Vec::new();
    for file in &expected_files {
        let expected: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let fixture = root()
            .join("fixtures")
            .join(expected["fixture"].as_str().unwrap());
        let parameters = expected
            .get("parametersFile")
            .and_then(|p| p.as_str())
            .map(|p| root().join("fixtures").join(p));
        let report = scan_json(std::slice::from_ref(&fixture), parameters);
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
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
            failures.push(format!(
                "{name}: VMs: expected {want_names:?}, got {got_names:?}"
            ));
            continue;
        }
        for want in want_vms {
            let vm_name = want["name"].as_str().unwrap();
            let got = got_vms.iter().find(|v| v["name"] == vm_name).unwrap();
            failures.extend(compare_vm(&format!("{name}/{vm_name}"), got, want));
        }
        let failed_inputs = report["summary"]["inputsFailed"].as_u64().unwrap();
        if failed_inputs != 0 {
            failures.push(format!("{name}: {failed_inputs} input(s) failed"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
