//! Export fixtures (`fixtures/exports/`): each case is scanned as one environment and its JSON
//! report compared with `fixtures/exports/expected/<case>.yaml`, verdicts worked out by hand.
//! One environment exported three ways (REST, Resource Graph, az CLI) must give identical
//! verdicts; the missing-reference case must list what is missing in the scope.

use crate::support::root;
use crate::support::verdicts::{compare_vm, files_in, scan_json};
use serde_json::Value;

fn expectations() -> Vec<(String, serde_yaml::Value)> {
    files_in(&root().join("fixtures/exports/expected"), "yaml")
        .into_iter()
        .map(|f| {
            (
                f.file_stem().unwrap().to_string_lossy().to_string(),
                serde_yaml::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap(),
            )
        })
        .collect()
}

fn check_case(name: &str, expected: &serde_yaml::Value, report: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let want = expected["vms"].as_sequence().unwrap();
    let got = report["vms"].as_array().unwrap();
    let mut want_names: Vec<&str> = want.iter().map(|v| v["name"].as_str().unwrap()).collect();
    let mut got_names: Vec<&str> = got.iter().map(|v| v["name"].as_str().unwrap()).collect();
    want_names.sort_unstable();
    got_names.sort_unstable();
    if want_names != got_names {
        return vec![format!(
            "{name}: VMs: expected {want_names:?}, got {got_names:?}"
        )];
    }
    for w in want {
        let vm_name = w["name"].as_str().unwrap();
        let g = got.iter().find(|v| v["name"] == vm_name).unwrap();
        failures.extend(compare_vm(&format!("{name}/{vm_name}"), g, w));
        if let Some(state) = w.get("powerState").and_then(|s| s.as_str()) {
            if g["powerState"] != state {
                failures.push(format!(
                    "{name}/{vm_name}: powerState expected {state}, got {}",
                    g["powerState"]
                ));
            }
        }
    }
    let missing: Vec<String> = report["missingReferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reference"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let want_missing: Vec<String> = expected
        .get("missing")
        .and_then(|m| m.as_sequence())
        .map(|m| {
            m.iter()
                .map(|v| v.as_str().unwrap().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    if missing.len() != want_missing.len()
        || !want_missing
            .iter()
            .all(|id| missing.iter().any(|m| m.contains(id.as_str())))
    {
        failures.push(format!(
            "{name}: missing references: expected {want_missing:?}, got {missing:?}"
        ));
    }
    if report["summary"]["inputsFailed"] != 0 {
        failures.push(format!("{name}: an input failed"));
    }
    failures
}

#[test]
fn every_export_case_matches_its_hand_derived_verdicts() {
    let cases = expectations();
    assert!(cases.len() >= 8, "only {} export cases", cases.len());
    let mut failures = Vec::new();
    for (name, expected) in &cases {
        let folder = root()
            .join("fixtures")
            .join(expected["fixture"].as_str().unwrap());
        let report = scan_json(std::slice::from_ref(&folder), None);
        failures.extend(check_case(name, expected, &report));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn one_environment_exported_three_ways_gives_identical_verdicts() {
    let verdicts = |shape: &str| -> Vec<Value> {
        let report = scan_json(
            &[root().join("fixtures/exports/env-three-ways").join(shape)],
            None,
        );
        let mut vms: Vec<Value> = report["vms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| serde_json::json!({
                "id": v["id"].as_str().unwrap().to_ascii_lowercase(),
                "classification": v["classification"],
                "confidence": v["confidence"],
                "ports": v["ports"].as_array().unwrap().iter().map(|p| (p["port"].clone(), p["nsgVerdict"].clone(), p["internetExposed"].clone())).collect::<Vec<_>>(),
            }))
            .collect();
        vms.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        vms
    };
    let rest = verdicts("rest");
    assert!(rest.len() >= 9);
    assert_eq!(
        rest,
        verdicts("resource-graph"),
        "Resource Graph differs from REST"
    );
    assert_eq!(rest, verdicts("az-cli"), "az CLI differs from REST");
}

#[test]
fn inputs_are_reported_with_their_export_kind() {
    let report = scan_json(&[root().join("fixtures/exports/env-three-ways")], None);
    let kinds: std::collections::BTreeSet<&str> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for kind in ["restExport", "resourceGraphExport", "azCliExport"] {
        assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
    }
}

/// A Resource Graph item that does not affect access (a storage account), `i`-th of the
/// padding, as an object or as a table row in `columns`' order.
fn filler(i: usize, columns: Option<&[String]>) -> Value {
    let id = format!(
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-pad/providers/Microsoft.Storage/storageAccounts/pad{i}"
    );
    let object = serde_json::json!({
        "id": id,
        "name": format!("pad{i}"),
        "type": "microsoft.storage/storageaccounts",
        "subscriptionId": "11111111-2222-3333-4444-555555555555",
        "properties": {"padding": "x".repeat(120)},
    });
    match columns {
        Some(columns) => Value::Array(columns.iter().map(|c| object[c].clone()).collect()),
        None => object,
    }
}

/// Exports over 64 KB are read item by item, never as one tree (these, over a megabyte, are
/// also split for parallel parsing). Each Resource
/// Graph layout (bare rows, object array, table), padded past that size with resources that
/// do not affect access and with two more copies of a network security group (one identical,
/// one with its rules removed), gives exactly the VMs and findings of the small file (the
/// first copy of a resource is the one used), and reports the changed copy, and only it, as a
/// conflict.
#[test]
fn big_exports_read_item_by_item_give_the_verdicts_of_small_ones() {
    for (case, pointer) in [
        ("bare-rows", ""),
        ("rest-object-array", "/data"),
        ("table", "/data/rows"),
    ] {
        let file = files_in(
            &root().join(format!("fixtures/exports/arg-formats/{case}")),
            "json",
        )
        .remove(0);
        let small: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let columns: Option<Vec<String>> = small.pointer("/data/columns").map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        });
        let items = small.pointer(pointer).unwrap().as_array().unwrap().clone();
        let column = |name: &str| {
            columns
                .as_ref()
                .map(|c| c.iter().position(|n| n == name).unwrap())
        };
        let type_of = |item: &Value| match column("type") {
            Some(i) => item[i].clone(),
            None => item["type"].clone(),
        };
        let rules_of = |item: &Value| match column("properties") {
            Some(i) => item[i]["securityRules"].clone(),
            None => item["properties"]["securityRules"].clone(),
        };
        let nsg = items
            .iter()
            .find(|i| {
                type_of(i) == "microsoft.network/networksecuritygroups"
                    && rules_of(i).as_array().is_some_and(|r| !r.is_empty())
            })
            .unwrap()
            .clone();
        let mut changed = nsg.clone();
        let properties = match column("properties") {
            Some(i) => &mut changed[i],
            None => &mut changed["properties"],
        };
        properties["securityRules"] = Value::Array(Vec::new());

        let mut big_items = items.clone();
        big_items.push(nsg);
        big_items.push(changed);
        big_items.extend((0..7000).map(|i| filler(i, columns.as_deref())));
        let mut big = small.clone();
        *big.pointer_mut(pointer).unwrap() = Value::Array(big_items);

        let (small_dir, big_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let name = file.file_name().unwrap();
        let small_text = serde_json::to_string_pretty(&small).unwrap();
        let big_text = serde_json::to_string_pretty(&big).unwrap();
        assert!(
            big_text.len() > 1 << 20,
            "{case}: big enough to be read item by item"
        );
        std::fs::write(small_dir.path().join(name), small_text).unwrap();
        std::fs::write(big_dir.path().join(name), big_text).unwrap();

        let report = |dir: &tempfile::TempDir| {
            let report = scan_json(&[dir.path().to_path_buf()], None);
            let text = serde_json::to_string(&report)
                .unwrap()
                .replace(&dir.path().display().to_string(), "DIR");
            serde_json::from_str::<Value>(&text).unwrap()
        };
        let (small_report, big_report) = (report(&small_dir), report(&big_dir));
        assert!(small_report["vms"].as_array().unwrap().len() > 5);
        assert_eq!(big_report["vms"], small_report["vms"], "{case}");
        assert_eq!(big_report["findings"], small_report["findings"], "{case}");
        let conflicts: Vec<&Value> = big_report["inputs"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "jitscan::input::export-conflict")
            .collect();
        assert_eq!(conflicts.len(), 1, "{case}: {conflicts:?}");
        assert!(small_report["inputs"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .is_empty());
    }
}
