//! Templates that parse but ask for unbounded work: huge copy counts, cycles, deep nesting,
//! values that double, deployments that deploy themselves, a parameters file for another
//! template. Each ends with a located warning and a bounded result; the file is still
//! scanned, and the good template beside it too.

use super::inputs::*;
use crate::support::*;

#[test]
fn copy_count_of_a_billion_is_refused_and_evaluated_once() {
    let dir = folder_with_good();
    let resources = format!(
        "[{}]",
        nsg("[concat('nsg-', copyIndex())]", "").replacen(
            "\"location\"",
            "\"copy\": {\"name\": \"many\", \"count\": 1000000000},\n      \"location\"",
            1
        )
    );
    let text = template("{}", &resources);
    std::fs::write(dir.path().join("copy.json"), &text).unwrap();
    let scan = scan("copy count 1,000,000,000", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "copy.json");
    assert_eq!(record["status"], "scanned");
    let d = diagnostic(record, "copy-count");
    assert_eq!(at(d), find(&text, "1000000000"));
    assert!(scan.elapsed.as_secs() < 600);
    assert_good_reported(&scan);
}

#[test]
fn variables_in_a_cycle_are_reported_once_at_the_declaration() {
    let dir = folder_with_good();
    let variables = r#"{
    "a": "[variables('b')]",
    "b": "[concat(variables('c'), '-x')]",
    "c": "[variables('a')]"
  }"#;
    let resources = format!("[{}]", nsg("[variables('a')]", ""));
    let text = template(variables, &resources);
    std::fs::write(dir.path().join("cycle.json"), &text).unwrap();
    let scan = scan("variable cycle", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "cycle.json");
    assert_eq!(record["status"], "scanned");
    let d = diagnostic(record, "variable-cycle");
    assert!(
        d["message"].as_str().unwrap().contains("a -> b -> c -> a"),
        "{d:#}"
    );
    assert_eq!(at(d), find(&text, "\"[variables('a')]\""));
    let cycles = codes(record)
        .iter()
        .filter(|c| c.ends_with("variable-cycle"))
        .count();
    assert_eq!(cycles, 1);
    assert_good_reported(&scan);
}

#[test]
fn an_expression_nested_10_000_deep_stops_at_the_depth_limit() {
    let dir = folder_with_good();
    let mut expression = "'x'".to_owned();
    for _ in 0..10_000 {
        expression = format!("concat({expression})");
    }
    let resources = format!("[{}]", nsg(&format!("[{expression}]"), ""));
    let text = template("{}", &resources);
    std::fs::write(dir.path().join("deep-expression.json"), &text).unwrap();
    let scan = scan("expression nested 10,000 deep", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "deep-expression.json");
    let d = diagnostic(record, "too-large");
    // The parser stops at the 129th call: 1 for '[' plus 128 times "concat(".
    let string_start = text.find("\"[concat").unwrap();
    assert_eq!(at(d), line_col(&text, string_start + 1 + 1 + 128 * 7));
    assert_good_reported(&scan);
}

#[test]
fn concat_doubling_64_times_is_bounded() {
    let dir = folder_with_good();
    let mut variables = vec!["\"v0\": \"x\"".to_owned()];
    for i in 1..=64 {
        variables.push(format!(
            "\"v{i}\": \"[concat(variables('v{p}'), variables('v{p}'))]\"",
            p = i - 1
        ));
    }
    let variables = format!("{{\n    {}\n  }}", variables.join(",\n    "));
    // As the issue puts it: one resource reads v64.
    let text = template(&variables, &format!("[{}]", nsg("[variables('v64')]", "")));
    std::fs::write(dir.path().join("doubling.json"), &text).unwrap();
    // And with the lookups in increasing order, so nesting stays shallow and the string
    // really grows until the size limit stops it.
    let tags: Vec<String> = (1..=64)
        .map(|i| format!("\"t{i}\": \"[length(variables('v{i}'))]\""))
        .collect();
    let resource = nsg("grows", "").replacen(
        "\"location\"",
        &format!("\"tags\": {{{}}},\n      \"location\"", tags.join(", ")),
        1,
    );
    let growing = template(&variables, &format!("[{resource}]"));
    std::fs::write(dir.path().join("doubling-in-order.json"), &growing).unwrap();
    let scan = scan("concat doubling 64 times", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "doubling.json");
    assert_eq!(record["status"], "scanned");
    assert!(!codes(record).is_empty(), "{record:#}");
    let record = input(&scan.report, "doubling-in-order.json");
    let d = diagnostic(record, "too-large");
    assert!(
        d["message"].as_str().unwrap().contains("string of"),
        "{d:#}"
    );
    assert_eq!(at(d), find(&growing, "concat(variables('v24')"));
    assert_good_reported(&scan);
}

#[test]
fn a_parameters_file_that_does_not_match_its_template() {
    let dir = folder_with_good();
    let template_text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "port": {"type": "int", "defaultValue": 22},
    "required": {"type": "string"},
    "sku": {"type": "string", "defaultValue": "Basic", "allowedValues": ["Basic", "Standard"]}
  },
  "resources": [{"type": "Microsoft.Network/publicIPAddresses", "name": "pip", "properties": {}}]
}
"#;
    let params_text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "port": {"value": "twenty-two"},
    "prot": {"value": 22},
    "sku": {"value": "Premium"}
  }
}
"#;
    std::fs::write(dir.path().join("app.json"), template_text).unwrap();
    std::fs::write(dir.path().join("app.parameters.json"), params_text).unwrap();
    let scan = scan("parameters mismatch", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "app.parameters.json");
    assert_eq!(record["status"], "scanned");
    let found: Vec<(u64, u64, String)> = record["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "jitscan::input::parameters-mismatch")
        .map(|d| {
            let (l, c) = at(d);
            (l, c, d["message"].as_str().unwrap().to_owned())
        })
        .collect();
    let expect = |needle: &str, message: &str| {
        let (l, c) = find(params_text, needle);
        assert!(
            found
                .iter()
                .any(|(fl, fc, m)| (*fl, *fc) == (l, c) && m.contains(message)),
            "no '{message}' at {l}:{c} in {found:#?}"
        );
    };
    expect("\"twenty-two\"", "declared as int");
    expect("{\"value\": 22}", "does not declare");
    expect("\"Premium\"", "allowedValues");
    expect("{\n    \"port\"", "does not set 'required'");
    assert_eq!(input(&scan.report, "app.json")["status"], "scanned");
    assert_good_reported(&scan);
}

#[test]
fn deeply_nested_child_resources_are_expanded_within_bounds() {
    let dir = folder_with_good();
    // 60 levels of children is as deep as the 128-level JSON limit allows.
    let mut child = "{\"type\": \"leaf\", \"name\": \"leaf\"}".to_owned();
    for i in 0..60 {
        child = format!("{{\"type\": \"t{i}\", \"name\": \"n{i}\", \"resources\": [{child}]}}");
    }
    let text = template("{}", &format!("[{child}]"));
    std::fs::write(dir.path().join("children.json"), &text).unwrap();
    let scan = scan("deeply nested child resources", &[dir.path()]);
    assert_eq!(scan.code, 1);
    assert_eq!(input(&scan.report, "children.json")["status"], "scanned");
    assert_good_reported(&scan);
}

#[test]
fn nested_deployments_that_recurse_stop_at_the_depth_limit() {
    let dir = folder_with_good();
    // A template that links itself, 800 times per level.
    let self_link = template(
        "{}",
        r#"[{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "[concat('again-', copyIndex())]", "copy": {"name": "c", "count": 800}, "properties": {"mode": "Incremental", "templateLink": {"relativePath": "recurse.json"}}}]"#,
    );
    std::fs::write(dir.path().join("recurse.json"), &self_link).unwrap();
    // Inline templates nested 20 deep.
    let mut inner = "{\"resources\": [{\"type\": \"Microsoft.Network/publicIPAddresses\", \"name\": \"pip\", \"properties\": {}}]}".to_owned();
    for i in 0..20 {
        inner = format!("{{\"resources\": [{{\"type\": \"Microsoft.Resources/deployments\", \"name\": \"d{i}\", \"properties\": {{\"mode\": \"Incremental\", \"template\": {inner}}}}}]}}");
    }
    std::fs::write(dir.path().join("inline.json"), &inner).unwrap();
    let scan = scan("recursive nested deployments", &[dir.path()]);
    assert_eq!(scan.code, 1);
    for name in ["recurse.json", "inline.json"] {
        let record = input(&scan.report, name);
        assert_eq!(record["status"], "scanned");
        let d = diagnostic(record, "too-large");
        assert!(
            codes(record)
                .iter()
                .all(|c| c.ends_with("too-large") || c.ends_with("no-resources")),
            "{record:#}"
        );
        assert!(d["line"].as_u64().unwrap() >= 1);
    }
    assert_good_reported(&scan);
}

/// Regression: 69 variables, each an expression nested 120 deep around the previous one,
/// overflowed the stack (a crash, exit 134) before the total nesting was bounded.
#[test]
fn variables_whose_expressions_nest_deeply_do_not_overflow_the_stack() {
    let dir = folder_with_good();
    let mut variables = vec!["\"v0\": \"x\"".to_owned()];
    for i in 1..70 {
        let mut e = format!("variables('v{}')", i - 1);
        for _ in 0..120 {
            e = format!("concat({e})");
        }
        variables.push(format!("\"v{i}\": \"[{e}]\""));
    }
    let variables = format!("{{{}}}", variables.join(",\n"));
    let text = template(&variables, &format!("[{}]", nsg("[variables('v69')]", "")));
    std::fs::write(dir.path().join("stack.json"), &text).unwrap();
    let scan = scan("deep variable chain", &[dir.path()]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    let d = diagnostic(input(&scan.report, "stack.json"), "too-large");
    assert!(d["message"].as_str().unwrap().contains("nesting"), "{d:#}");
    assert_good_reported(&scan);
}
