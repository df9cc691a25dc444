//! Shared helpers of the hostile-input tests: a scan folder holding one good template next to
//! the bad input, templates written as text, and lookups into a report (inputs, diagnostics,
//! lines and columns). The binary is run by `crate::support`.

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{root, Ran};

/// The good template put next to every bad input: one unhealthy VM.
pub const GOOD_FIXTURE: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";
/// The VM the good template declares.
pub const GOOD_VM: &str = "vm-ssh-open";

/// A temporary folder holding `good.json` (a copy of [`GOOD_FIXTURE`]).
pub fn folder_with_good() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(GOOD_FIXTURE), dir.path().join("good.json")).unwrap();
    dir
}

/// The `inputs` record whose path ends with `name`.
pub fn input<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no input {name} in {:#}", report["inputs"]))
}

/// The first diagnostic of `record` with `code` (a short name: `malformed-json`).
pub fn diagnostic<'a>(record: &'a Value, code: &str) -> &'a Value {
    let full = format!("jitscan::input::{code}");
    record["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == full.as_str())
        .unwrap_or_else(|| panic!("no {full} in {:#}", record["diagnostics"]))
}

/// Every diagnostic code of `record`.
pub fn codes(record: &Value) -> Vec<String> {
    record["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Line and column of a diagnostic.
pub fn at(diagnostic: &Value) -> (u64, u64) {
    (
        diagnostic["line"].as_u64().unwrap(),
        diagnostic["column"].as_u64().unwrap(),
    )
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line as u64, column as u64)
}

/// Line and column of the first occurrence of `needle` in `text`.
pub fn find(text: &str, needle: &str) -> (u64, u64) {
    line_col(
        text,
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in text")),
    )
}

/// The good template was scanned and its VM reported, whatever happened to the bad input.
pub fn assert_good_reported(scan: &Ran) {
    let good = input(&scan.report, "good.json");
    assert_eq!(good["status"], "scanned", "{good:#}");
    assert_eq!(good["vmCount"], 1, "{good:#}");
    let vms = scan.report["vms"].as_array().unwrap();
    assert!(
        vms.iter().any(|v| v["name"] == GOOD_VM),
        "the good VM is missing from {vms:#?}"
    );
}

/// A template (as text) with the given JSON members around `resources`.
pub fn template(variables: &str, resources: &str) -> String {
    format!(
        "{{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"contentVersion\": \"1.0.0.0\",\n  \"variables\": {variables},\n  \"resources\": {resources}\n}}\n"
    )
}

/// One NSG resource with the given name expression and security rules.
pub fn nsg(name: &str, rules: &str) -> String {
    format!(
        "{{\n      \"type\": \"Microsoft.Network/networkSecurityGroups\",\n      \"apiVersion\": \"2023-04-01\",\n      \"name\": \"{name}\",\n      \"location\": \"westeurope\",\n      \"properties\": {{ \"securityRules\": [{rules}] }}\n    }}"
    )
}

/// One inbound TCP rule.
pub fn rule(name: &str, priority: &str, source: &str, port_field: &str, ports: &str) -> String {
    format!(
        "\n        {{\"name\": \"{name}\", \"properties\": {{\"priority\": {priority}, \"direction\": \"Inbound\", \"access\": \"Allow\", \"protocol\": \"Tcp\", \"sourceAddressPrefix\": \"{source}\", \"sourcePortRange\": \"*\", \"destinationAddressPrefix\": \"*\", \"{port_field}\": {ports}}}}}"
    )
}
