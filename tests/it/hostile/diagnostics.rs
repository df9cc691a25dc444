//! Every kind of input problem is a diagnostic with a stable code, a help line and the line
//! and column of the character at fault, including inside JSON strings with escapes. All the
//! problems of one file are reported together, not only the first.

use super::inputs::*;
use crate::support::*;

/// Scans `text` as `name` next to the good template; returns the scan and the file's record.
fn scan_text(name: &str, text: &str) -> (Ran, serde_json::Value) {
    let dir = folder_with_good();
    std::fs::write(dir.path().join(name), text).unwrap();
    let scan = scan(name, &[dir.path()]);
    let record = input(&scan.report, name).clone();
    assert_good_reported(&scan);
    (scan, record)
}

#[test]
fn malformed_json_says_where_and_what_was_expected() {
    let text = "{\n  \"resources\": [\n    {\"type\": \"x\" \"name\": \"y\"}\n  ]\n}\n";
    let (scan, record) = scan_text("malformed.json", text);
    assert_eq!(scan.code, 2);
    let d = diagnostic(&record, "malformed-json");
    assert!(d["message"].as_str().unwrap().contains("expected"), "{d:#}");
    assert!(!d["help"].as_str().unwrap().is_empty());
    assert_eq!(at(d), find(text, "\"name\""));
}

#[test]
fn a_template_without_resources_is_a_warning_at_the_template() {
    let text = "{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"contentVersion\": \"1.0.0.0\"\n}\n";
    let (scan, record) = scan_text("empty-template.json", text);
    assert_eq!(scan.code, 1);
    assert_eq!(record["status"], "scanned");
    assert_eq!(at(diagnostic(&record, "no-resources")), (1, 1));
}

#[test]
fn expression_errors_point_at_the_character_through_json_escapes() {
    // `\"`, `\u0041` and `\\` before the error: each is several characters in the file but one
    // in the expression, so the column must be mapped back through them.
    let variables = r#"{
    "escaped": "[concat('\"q\"', '\u0041\\', concatt('x'))]",
    "count": "[length('a', 'b')]",
    "syntax": "[concat('a',, 'b')]"
  }"#;
    let resources = format!(
        "[{}]",
        nsg(
            "[concat(variables('escaped'), variables('count'), variables('syntax'))]",
            ""
        )
    );
    let text = template(variables, &resources);
    let (scan, record) = scan_text("expressions.json", &text);
    assert_eq!(scan.code, 1);
    assert_eq!(
        at(diagnostic(&record, "unknown-function")),
        find(&text, "concatt(")
    );
    assert_eq!(
        at(diagnostic(&record, "argument-count")),
        find(&text, "'b')]\",\n    \"syntax")
    );
    assert_eq!(
        at(diagnostic(&record, "expression-syntax")),
        find(&text, ", 'b')]\"\n")
    );
}

#[test]
fn bad_cidr_port_range_and_priority_point_at_the_property() {
    let rules = [
        rule(
            "bad-cidr",
            "100",
            "10.0.0.300/24",
            "destinationPortRange",
            "\"22\"",
        ),
        rule(
            "bad-port",
            "110",
            "*",
            "destinationPortRanges",
            "[\"22\", \"80-\"]",
        ),
        rule(
            "bad-priority",
            "99",
            "*",
            "destinationPortRange",
            "\"3389\"",
        ),
        rule("negative", "-5", "*", "destinationPortRange", "\"3389\""),
    ]
    .join(",");
    let text = template("{}", &format!("[{}]", nsg("nsg", &rules)));
    let (scan, record) = scan_text("rules.json", &text);
    assert_eq!(scan.code, 1);
    assert_eq!(
        at(diagnostic(&record, "bad-prefix")),
        find(&text, "\"10.0.0.300/24\"")
    );
    assert_eq!(
        at(diagnostic(&record, "bad-port-range")),
        find(&text, "\"80-\"")
    );
    let priorities: Vec<(u64, u64)> = record["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "jitscan::input::bad-priority")
        .map(at)
        .collect();
    assert_eq!(priorities, vec![find(&text, "99,"), find(&text, "-5,")]);
}

#[test]
fn two_rules_with_one_priority_and_direction_are_reported() {
    let rules = [
        rule("first", "200", "*", "destinationPortRange", "\"22\""),
        rule("second", "200", "*", "destinationPortRange", "\"3389\""),
    ]
    .join(",");
    let text = template("{}", &format!("[{}]", nsg("nsg", &rules)));
    let (scan, record) = scan_text("duplicate.json", &text);
    assert_eq!(scan.code, 1);
    let d = diagnostic(&record, "duplicate-priority");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("'first' and 'second'"),
        "{d:#}"
    );
    assert_eq!(at(d).0, find(&text, "\"second\"").0);
}

#[test]
fn references_to_undeclared_resources_are_dangling_at_the_property() {
    let resources = r#"[
    {"type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-04-01", "name": "nic",
     "properties": {
       "networkSecurityGroup": {"id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'no-such-nsg')]"},
       "ipConfigurations": [{"name": "ip", "properties": {
         "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'no-such-subnet')]"}}}]}},
    {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-03-01", "name": "vm",
     "properties": {"networkProfile": {"networkInterfaces": [
       {"id": "[resourceId('Microsoft.Network/networkInterfaces', 'nic')]"},
       {"id": "[resourceId('Microsoft.Network/networkInterfaces', 'no-such-nic')]"}]}}}
  ]"#;
    let text = template("{}", resources);
    let (scan, record) = scan_text("dangling.json", &text);
    assert_eq!(scan.code, 1);
    let mut found: Vec<(u64, u64)> = record["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "jitscan::input::dangling-reference")
        .map(at)
        .collect();
    found.sort();
    let mut want = vec![
        find(
            &text,
            "\"[resourceId('Microsoft.Network/networkSecurityGroups', 'no-such-nsg')]\"",
        ),
        find(
            &text,
            "\"[resourceId('Microsoft.Network/virtualNetworks/subnets'",
        ),
        find(
            &text,
            "\"[resourceId('Microsoft.Network/networkInterfaces', 'no-such-nic')]\"",
        ),
    ];
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn all_problems_of_a_file_are_collected() {
    let variables = r#"{"a": "[variables('a')]", "b": "[nosuchfunction()]"}"#;
    let rules = rule(
        "r",
        "5000",
        "300.1.1.1",
        "destinationPortRange",
        "\"99999\"",
    );
    let resources = format!(
        "[{}]",
        nsg("[concat(variables('a'), variables('b'))]", &rules).replacen(
            "\"location\"",
            "\"copy\": {\"name\": \"c\", \"count\": -1},\n      \"location\"",
            1
        )
    );
    let text = template(variables, &resources);
    let (_, record) = scan_text("many.json", &text);
    let mut found = codes(&record);
    found.sort();
    found.dedup();
    for code in [
        "variable-cycle",
        "unknown-function",
        "copy-count",
        "bad-priority",
        "bad-prefix",
        "bad-port-range",
    ] {
        assert!(
            found.iter().any(|c| c.ends_with(code)),
            "{code} missing from {found:?}"
        );
    }
}
