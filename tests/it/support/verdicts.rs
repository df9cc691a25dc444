//! The library side of the tests: a scan's JSON report, and its comparison with the verdicts
//! written by hand in `fixtures/expected`, `fixtures/exports/expected` and the corpus labels.

use std::path::{Path, PathBuf};

use jitscan::eval::addresses::items_cover_public;
use jitscan::model::address::AddressItem;
use jitscan::report::json;
use jitscan::scan::{scan, ScanOptions};
use serde_json::Value;

/// Scans `paths` (with an optional parameters file) and returns the JSON report as a Value.
pub fn scan_json(paths: &[PathBuf], parameters: Option<PathBuf>) -> Value {
    let options = ScanOptions {
        paths: paths.to_vec(),
        parameters,
        ..ScanOptions::default()
    };
    let result = scan(&options);
    serde_json::from_str(&json::render(&result)).expect("report is valid JSON")
}

fn check(
    problems: &mut Vec<String>,
    context: &str,
    what: &str,
    got: &Value,
    want: Option<&serde_yaml::Value>,
) {
    let Some(want) = want else { return };
    let want_json: Value = serde_json::to_value(want).unwrap();
    if got != &want_json {
        problems.push(format!(
            "{context}: {what}: expected {want_json}, got {got}"
        ));
    }
}

/// Path kinds that lead from the Internet to a port entry (DNAT only from Internet-wide
/// sources: judged by coverage, `0.0.0.0/1` + `128.0.0.0/1` as `*`, see docs/verdicts.md).
fn path_kinds(port: &Value) -> Value {
    let internet_wide = |sources: &Value| {
        let items: Vec<AddressItem> = sources
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| AddressItem::parse(s.as_str().unwrap()).ok())
            .collect();
        items_cover_public(&items)
    };
    let mut kinds: Vec<String> = port["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] != "firewallDnat" || internet_wide(&p["sources"]))
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds.dedup();
    serde_json::to_value(kinds).unwrap()
}

/// Compares one VM entry of the report with an expectation (`name`, `kind`, `classification`,
/// optional `jitEnabled`, `confidence`, and `ports` keyed by port number). Returns mismatches.
pub fn compare_vm(context: &str, actual: &Value, expected: &serde_yaml::Value) -> Vec<String> {
    let mut problems = Vec::new();
    for field in ["kind", "classification", "jitEnabled", "confidence"] {
        check(
            &mut problems,
            context,
            field,
            &actual[field],
            expected.get(field),
        );
    }
    let Some(ports) = expected.get("ports").and_then(|p| p.as_mapping()) else {
        return problems;
    };
    for (port, want) in ports {
        let port_number = port.as_u64().unwrap();
        let Some(got) = actual["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["port"] == port_number)
        else {
            problems.push(format!(
                "{context}: port {port_number} missing from the report"
            ));
            continue;
        };
        for field in ["nsgVerdict", "internetExposed", "confidence"] {
            check(
                &mut problems,
                context,
                &format!("port {port_number} {field}"),
                &got[field],
                want.get(field),
            );
        }
        check(
            &mut problems,
            context,
            &format!("port {port_number} paths"),
            &path_kinds(got),
            want.get("paths"),
        );
    }
    problems
}

/// Lists files with the given extension directly in `dir`, sorted.
pub fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    out.sort();
    out
}
