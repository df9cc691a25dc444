//! Unit tests of template expansion under hostile or tricky input: per-iteration variables,
//! cycles, copy counts, links that escape, the work budget.

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{expand_template, ArmExpansion, ArmResource, DeploymentContext};
use crate::arm::unknown::unknown_reason;
use crate::diagnostic::ProblemCode;
use crate::load::{parse_document, Document, Roots};

fn doc(json: &Value) -> Arc<Document> {
    let text = serde_json::to_string_pretty(json).unwrap();
    Arc::new(parse_document(Path::new("t.json"), "t.json", text.into_bytes()).unwrap())
}

/// A document of `text` that kept no tree, as a big template does: it is expanded from its
/// text.
fn tree_less(text: &str) -> Arc<Document> {
    let parsed = parse_document(Path::new("t.json"), "t.json", text.as_bytes().to_vec()).unwrap();
    Arc::new(Document {
        json: Value::Null,
        tree_dropped: true,
        ..parsed
    })
}

/// The expansion of `doc`, owning its strings (so that it may outlive the text).
fn expand_doc(doc: &Arc<Document>) -> ArmExpansion<'static> {
    let text = doc.text();
    let expansion = expand_template(
        doc,
        &text,
        None,
        &DeploymentContext::default(),
        &Roots::default(),
    );
    ArmExpansion {
        resources: expansion
            .resources
            .into_iter()
            .map(|r| ArmResource {
                value: r.value.into_owned(),
                ..r
            })
            .collect(),
        problems: expansion.problems,
        linked_files: expansion.linked_files,
    }
}

fn expand(json: &Value) -> ArmExpansion<'static> {
    expand_doc(&doc(json))
}

/// [`expand`] of a template that kept no tree (see [`tree_less`]).
fn expand_text(json: &Value) -> ArmExpansion<'static> {
    expand_doc(&tree_less(&serde_json::to_string_pretty(json).unwrap()))
}

fn names<'a>(expansion: &'a ArmExpansion<'_>) -> Vec<&'a str> {
    expansion
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect()
}

fn with_code<'a>(
    expansion: &'a ArmExpansion<'_>,
    code: ProblemCode,
) -> Vec<&'a crate::diagnostic::InputProblem> {
    expansion
        .problems
        .iter()
        .filter(|p| p.code == code)
        .collect()
}

fn codes(expansion: &ArmExpansion) -> Vec<ProblemCode> {
    expansion.problems.iter().map(|p| p.code).collect()
}

#[test]
fn a_variable_reading_copy_index_is_evaluated_per_iteration() {
    let expansion = expand(&json!({
        "variables": {
            "plain": "p",
            "indexed": "[concat(variables('plain'), '-', string(copyIndex()))]",
            "copy": [{"name": "list", "count": 2, "input": "[copyIndex('list')]"}]
        },
        "resources": [
            // Read outside any loop first: copyIndex() fails there, which must not be cached.
            {"type": "t", "name": "[variables('plain')]"},
            {"type": "t", "name": "[concat(variables('indexed'), '/', string(variables('list')))]",
             "copy": {"name": "c", "count": 3}}
        ]
    }));
    assert_eq!(
        names(&expansion),
        vec!["p", "p-0/[0,1]", "p-1/[0,1]", "p-2/[0,1]"]
    );
    assert!(expansion.problems.is_empty(), "{:?}", expansion.problems);
}

#[test]
fn a_variable_failing_outside_a_loop_still_works_inside_one() {
    let expansion = expand(&json!({
        "variables": {"i": "[copyIndex()]"},
        "resources": [
            {"type": "t", "name": "[string(variables('i'))]"},
            {"type": "t", "name": "[string(variables('i'))]", "copy": {"name": "c", "count": 2}}
        ]
    }));
    let names = names(&expansion);
    assert_eq!(&names[1..], &["0", "1"]);
    assert_eq!(codes(&expansion), vec![ProblemCode::Evaluation]);
}

#[test]
fn a_cycle_is_one_problem_and_unknown_values() {
    let expansion = expand(&json!({
        "variables": {"a": "[variables('b')]", "b": "[variables('a')]", "self": "[variables('self')]"},
        "resources": [
            {"type": "t", "name": "[variables('a')]", "copy": {"name": "c", "count": 5}},
            {"type": "t", "name": "[variables('b')]"},
            {"type": "t", "name": "[variables('self')]"}
        ]
    }));
    let cycles: Vec<&str> = expansion
        .problems
        .iter()
        .filter(|p| p.code == ProblemCode::VariableCycle)
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(cycles.len(), 2, "{cycles:?}");
    assert!(cycles[0].contains("a -> b -> a"), "{cycles:?}");
    assert!(cycles[1].contains("self -> self"), "{cycles:?}");
    assert_eq!(codes(&expansion).len(), 2, "{:?}", expansion.problems);
    // A name the input does not decide reads as written.
    assert_eq!(names(&expansion)[0], "[variables('a')]");
}

#[test]
fn bad_copy_counts_are_copy_count_problems_and_one_instance() {
    for count in [
        json!(-1),
        json!(801),
        json!(1e30),
        json!("many"),
        json!(1.5),
    ] {
        let expansion = expand(&json!({
            "resources": [{"type": "t", "name": "n", "copy": {"name": "c", "count": count}}]
        }));
        assert_eq!(codes(&expansion), vec![ProblemCode::CopyCount], "{count}");
        assert_eq!(expansion.resources.len(), 1, "{count}");
        assert!(!expansion.resources[0].assumptions.is_empty());
    }
}

#[test]
fn nested_property_copies_stop_at_the_budget() {
    let mut input = json!({"v": "[copyIndex('p1')]"});
    for i in 1..=4 {
        input = json!({"copy": [{"name": format!("p{i}"), "count": 800, "input": input}]});
    }
    let expansion = expand(&json!({
        "resources": [{"type": "t", "name": "n", "properties": {"x": input}}]
    }));
    assert!(
        codes(&expansion).contains(&ProblemCode::TooLarge),
        "{:?}",
        expansion.problems
    );
    assert_eq!(expansion.resources.len(), 1);
}

#[test]
fn references_to_undeclared_resources_are_dangling_once_per_property() {
    let expansion = expand(&json!({
        "resources": [
            {"type": "Microsoft.Network/virtualNetworks", "name": "vnet",
             "properties": {"subnets": [{"name": "app", "properties": {}}]}},
            {"type": "Microsoft.Network/networkInterfaces", "name": "[concat('nic', copyIndex())]",
             "copy": {"name": "c", "count": 3},
             "properties": {"ipConfigurations": [{"name": "ip", "properties": {
                 "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app')]"},
                 "publicIPAddress": {"id": "[resourceId('Microsoft.Network/publicIPAddresses', 'gone')]"}}}]}}
        ]
    }));
    let dangling = with_code(&expansion, ProblemCode::DanglingReference);
    assert_eq!(dangling.len(), 1, "{:?}", expansion.problems);
    assert!(dangling[0].message.contains("publicIPAddresses/gone"));
}

/// A problem deep inside a resource is located at its own string: through objects, arrays
/// and keys that need escaping in a JSON pointer.
#[test]
fn problems_deep_in_a_resource_point_at_their_string() {
    let template = json!({
        "resources": [
            {"type": "t", "name": "n", "properties": {
                "list": [{"b": "fine"}, {"b": "[bogus('x')]"}],
                "odd~/key": {"e": ["[concat('a',]"]}
            }}
        ]
    });
    let document = doc(&template);
    let expansion = expand_doc(&document);
    let text = document.text();
    let inside = |needle: &str| {
        let start = text.find(needle).unwrap();
        start..start + needle.len()
    };
    let offsets: Vec<usize> = expansion
        .problems
        .iter()
        .map(|p| p.span.as_ref().unwrap().offset)
        .collect();
    assert_eq!(offsets.len(), 2, "{:?}", expansion.problems);
    assert!(
        inside("\"[bogus('x')]\"").contains(&offsets[0]),
        "{offsets:?}"
    );
    assert!(
        inside("\"[concat('a',]\"").contains(&offsets[1]),
        "{offsets:?}"
    );
}

/// Everything an expansion gives, as text to compare.
fn summary(expansion: &ArmExpansion<'_>) -> String {
    let mut out = String::new();
    for r in &expansion.resources {
        out.push_str(&format!(
            "{} | {} | {} | {} | {} | {} | {:?}\n",
            r.resource_type, r.name, r.declared_name, r.id, r.pointer, r.value, r.assumptions
        ));
    }
    for p in &expansion.problems {
        out.push_str(&format!(
            "{:?} {:?} {} | {} | {:?}\n",
            p.code, p.severity, p.message, p.help, p.span
        ));
    }
    out
}

/// What a template deploys, read from its tree or from its text alike: copy loops,
/// conditions, `existing`, child resources, property copies, errors, a type that only
/// evaluates to a deployment, nested deployments and `reference()`.
#[test]
fn declarations_expand_to_what_they_deploy_from_a_tree_or_from_text() {
    let rule = |name: &str, priority: Value| {
        json!({"name": name, "properties": {"priority": priority, "access": "Allow",
            "direction": "Inbound", "protocol": "Tcp", "sourceAddressPrefix": "*",
            "destinationPortRanges": ["22", "[parameters('port')]"]}})
    };
    let plain = json!({
        "parameters": {"port": {"type": "string", "defaultValue": "3389"},
                       "on": {"type": "bool", "defaultValue": false}},
        "variables": {"vnet": "net", "tags": {"owner": "[concat('team-', 'a')]"}},
        "resources": [
            {"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg",
             "tags": "[variables('tags')]",
             "properties": {"securityRules": [rule("a", json!(100)), rule("b", json!("[add(100, 10)]"))]},
             "resources": [
                 {"type": "securityRules", "name": "child", "properties": {"priority": 300}},
                 {"type": "securityRules", "name": "[concat('c', copyIndex())]",
                  "copy": {"name": "c", "count": 2}, "properties": {"priority": "[add(400, copyIndex())]"}}
             ]},
            {"type": "Microsoft.Network/virtualNetworks", "name": "[variables('vnet')]",
             "properties": {"copy": [{"name": "subnets", "count": 2,
                 "input": {"name": "[concat('s', copyIndex('subnets'))]"}}],
                 "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "skipped",
             "condition": "[parameters('on')]"},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "maybe",
             "condition": "[utcNow()]", "dependsOn": ["nsg"], "comments": "c"},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "old", "existing": true},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "[bogus()]",
             "properties": {"a": ["[concat('x',]", {"b": "[[literal]"}], "n": 1, "z": null}},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "n-[x]", "id": "mine"},
            "not an object"
        ]
    });
    let expansion = expand(&plain);
    assert_eq!(
        names(&expansion),
        vec![
            "nsg",
            "nsg/child",
            "nsg/c0",
            "nsg/c1",
            "net",
            "maybe",
            "[bogus()]",
            "n-[x]"
        ],
    );
    let value = |i: usize| expansion.resources[i].value.to_value();
    let nsg = value(0);
    assert_eq!(nsg["tags"], json!({"owner": "team-a"}));
    assert_eq!(
        nsg["properties"]["securityRules"][1]["properties"]["priority"],
        json!(110)
    );
    assert_eq!(
        nsg["properties"]["securityRules"][0]["properties"]["destinationPortRanges"],
        json!(["22", "3389"])
    );
    assert!(nsg.get("resources").is_none(), "{nsg}");
    assert_eq!(
        expansion.resources[1].resource_type,
        "Microsoft.Network/networkSecurityGroups/securityRules"
    );
    assert_eq!(value(3)["properties"]["priority"], json!(401));
    assert_eq!(
        value(4)["properties"],
        json!({"subnets": [{"name": "s0"}, {"name": "s1"}],
               "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}})
    );
    let maybe = value(5);
    assert!(
        maybe.get("dependsOn").is_none()
            && maybe.get("comments").is_none()
            && maybe.get("condition").is_none()
    );
    assert_eq!(expansion.resources[5].assumptions.len(), 1);
    assert!(expansion.resources[5].assumptions[0].contains("condition cannot be decided"));
    assert_eq!(value(6)["properties"]["a"][1], json!({"b": "[literal]"}));
    assert_eq!(value(6)["properties"]["z"], Value::Null);
    // A declared `id` keeps its place and takes the resource id.
    let declared_id = value(7);
    let keys: Vec<&String> = declared_id.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["type", "name", "id"]);
    assert!(declared_id["id"]
        .as_str()
        .unwrap()
        .ends_with("/publicIPAddresses/n-[x]"));
    assert_eq!(
        codes(&expansion),
        vec![ProblemCode::UnknownFunction, ProblemCode::ExpressionSyntax]
    );

    let deployments = [
        // A type that only evaluates to a deployment.
        json!({
            "parameters": {"kind": {"type": "string",
                "defaultValue": "[concat('Microsoft.Resources/', 'deploy', 'ments')]"}},
            "resources": [
                {"type": "Microsoft.Network/publicIPAddresses", "name": "first"},
                {"type": "[parameters('kind')]", "name": "inner", "properties": {"mode": "Incremental",
                 "template": {"resources": [{"type": "Microsoft.Network/publicIPAddresses", "name": "nested"}]}}}
            ]
        }),
        json!({
            "resources": [
                {"type": "Microsoft.Resources/deployments", "name": "inner", "properties": {
                    "mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                    "template": {"resources": [{"type": "Microsoft.Network/publicIPAddresses", "name": "nested"}]}}}
            ]
        }),
    ];
    for template in &deployments {
        let expansion = expand(template);
        assert_eq!(names(&expansion).last(), Some(&"nested"), "{template}");
        let deployment = expansion
            .resources
            .iter()
            .find(|r| r.name == "inner")
            .unwrap();
        assert!(deployment.value.to_value()["properties"]
            .get("template")
            .is_none());
    }
    // reference() to a resource declared later: resolved by a second pass.
    let referencing = json!({
        "resources": [
            {"type": "Microsoft.Network/publicIPAddresses", "name": "a",
             "properties": {"x": "[reference('b').y]"}},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "b", "properties": {"y": 1}}
        ]
    });
    let expansion = expand(&referencing);
    assert_eq!(
        expansion.resources[0].value.to_value()["properties"]["x"],
        json!(1)
    );
    assert!(expansion.problems.is_empty(), "{:?}", expansion.problems);

    for template in [&plain, &deployments[0], &deployments[1], &referencing] {
        let from_tree = summary(&expand(template));
        assert!(!from_tree.is_empty());
        assert_eq!(summary(&expand_text(template)), from_tree, "{template}");
    }
}

/// A key repeated in a declaration counts once, with its last value, whether the template
/// is read from its tree or from its text: the first value is never evaluated.
#[test]
fn repeated_keys_count_once_with_their_last_value() {
    let text = r#"{"resources": [
        {"type": "Microsoft.Network/publicIPAddresses", "name": "[bogus()]", "name": "ip",
         "properties": {"x": "[bogus('first')]", "n": 1, "x": "[concat('y', 'z')]"},
         "id": "declared", "tags": {"a": "1", "a": "[concat('2')]"}},
        {"type": "Microsoft.Network/publicIPAddresses", "name": "two", "condition": false,
         "condition": true, "properties": {"copy": 1, "copy": [{"name": "list", "count": 2,
         "input": "[copyIndex('list')]"}]}}
    ]}"#;
    let from_tree =
        Arc::new(parse_document(Path::new("t.json"), "t.json", text.as_bytes().to_vec()).unwrap());
    let from_tree = expand_doc(&from_tree);
    assert!(from_tree.problems.is_empty(), "{:?}", from_tree.problems);
    assert_eq!(names(&from_tree), vec!["ip", "two"]);
    let first = from_tree.resources[0].value.to_value();
    assert_eq!(first["properties"], json!({"x": "yz", "n": 1}));
    assert_eq!(first["tags"], json!({"a": "2"}));
    assert_eq!(
        from_tree.resources[1].value.to_value()["properties"],
        json!({"list": [0, 1]})
    );
    assert_eq!(summary(&expand_doc(&tree_less(text))), summary(&from_tree));

    // The template's own members too: the last `resources` is the one deployed.
    let text = r#"{"resources": [{"type": "t", "name": "first"}], "p": [],
        "resources": {"s": {"type": "t", "name": "last"}}}"#;
    let from_tree =
        Arc::new(parse_document(Path::new("t.json"), "t.json", text.as_bytes().to_vec()).unwrap());
    for document in [from_tree, tree_less(text)] {
        let expansion = expand_doc(&document);
        assert_eq!(names(&expansion), vec!["last"]);
        assert_eq!(expansion.resources[0].pointer, "/resources/s");
    }
}

/// A property copy names its arrays as a map insert would: a name already there keeps its
/// place, and a later key of the same name takes it over.
#[test]
fn property_copies_take_the_place_of_keys_they_name() {
    let expansion = expand(&json!({"resources": [
        {"type": "t", "name": "n", "properties": {
            "list": "before", "keep": 1,
            "copy": [{"name": "list", "count": 1, "input": "x"},
                     {"name": "fresh", "count": 1, "input": "y"}],
            "fresh": "after"}}
    ]}));
    assert_eq!(
        serde_json::to_string(&expansion.resources[0].value.to_value()["properties"]).unwrap(),
        r#"{"list":["x"],"keep":1,"fresh":"after"}"#
    );
}

/// When the work budget runs out part way, the expansion stops at the same place whether the
/// template is read from its tree or from its text.
#[test]
fn the_budget_runs_out_where_it_does_from_a_tree_or_from_text() {
    let big = json!([{"name": "big", "count": 800, "input": "x".repeat(1000)}]);
    let resources: Vec<Value> = (0..40)
        .map(|i| {
            json!({"type": "Microsoft.Network/publicIPAddresses", "name": format!("ip{i}"),
            "properties": {"x": "[variables('big')]", "after": ["literal", {"n": i}]}})
        })
        .collect();
    let template = json!({"variables": {"copy": big}, "resources": resources});
    let from_tree = expand(&template);
    assert!(
        codes(&from_tree).contains(&ProblemCode::TooLarge),
        "{:?}",
        from_tree.problems
    );
    assert_eq!(summary(&expand_text(&template)), summary(&from_tree));
}

/// A template that kept no tree and whose text does not parse expands to nothing, with the
/// parse error as its one problem.
#[test]
fn a_text_that_does_not_parse_is_the_one_problem() {
    let good = tree_less(r#"{"resources": []}"#);
    let text = r#"{"resources": [}"#;
    let broken = Arc::new(Document {
        source: Arc::new(crate::source::Source::new(
            good.path.clone(),
            good.display.clone(),
            Arc::new(text.to_owned()),
            Arc::new(crate::source::LineIndex::new(text)),
        )),
        ..Document::clone(&good)
    });
    let expansion = expand_doc(&broken);
    assert!(expansion.resources.is_empty());
    assert_eq!(expansion.problems.len(), 1, "{:?}", expansion.problems);
    assert!(expansion.problems[0].span.is_some());
}

/// Parameter and variable names are matched ASCII-case-insensitively, however long.
#[test]
fn names_match_in_any_case_and_length() {
    let long = format!("Param_{}", "X".repeat(90));
    let mut parameters = serde_json::Map::new();
    parameters.insert(
        "Short_Name".to_owned(),
        json!({"type": "string", "defaultValue": "s"}),
    );
    parameters.insert(long.clone(), json!({"type": "string", "defaultValue": "l"}));
    let expansion = expand(&json!({
        "parameters": parameters,
        "variables": {"Mixed_Var": "[concat(parameters('SHORT_NAME'), parameters('short_name'))]"},
        "resources": [
            {"type": "t", "name": format!("[concat(variables('mixed_VAR'), parameters('{}'))]", long.to_lowercase())}
        ]
    }));
    assert_eq!(names(&expansion), vec!["ssl"]);
    assert!(expansion.problems.is_empty(), "{:?}", expansion.problems);
}

/// Ids are compared trimmed, without a trailing slash and in any case; a dangling one is
/// located at its own `id` property, through arrays and nested keys.
#[test]
fn dangling_references_compare_ids_loosely_and_point_at_the_id() {
    let template = json!({
        "resources": [
            {"type": "Microsoft.Network/virtualNetworks", "name": "vnet",
             "properties": {"subnets": [{"name": "App", "properties": {}}]}},
            {"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg"},
            {"type": "Microsoft.Network/networkInterfaces", "name": "nic",
             "properties": {
                 "networkSecurityGroup": {"id": " /SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/resourceGroups/JITSCAN-RG/providers/Microsoft.Network/networkSecurityGroups/NSG/ "},
                 "ipConfigurations": [
                     {"name": "a", "properties": {"subnet": {"id": "[concat(resourceId('Microsoft.Network/virtualNetworks', 'vnet'), '/SUBNETS/app/')]"}}},
                     {"name": "b", "properties": {"publicIPAddress": {"ID": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/gone"}}}
                 ]}}
        ]
    });
    let document = doc(&template);
    let expansion = expand_doc(&document);
    let dangling = with_code(&expansion, ProblemCode::DanglingReference);
    assert_eq!(dangling.len(), 1, "{:?}", expansion.problems);
    let text = document.text();
    let id = text.find("\"/subscriptions/s/resourceGroups/g").unwrap();
    assert_eq!(dangling[0].span.as_ref().unwrap().offset, id);
}

/// The evaluated value of `pointer` in the resource named `name`.
fn value_at(expansion: &ArmExpansion<'_>, name: &str, pointer: &str) -> Value {
    let resource = expansion
        .resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no resource {name}"));
    resource
        .value
        .to_value()
        .pointer(pointer)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_string_parameter_without_value_names_resources_but_decides_nothing() {
    let expansion = expand(&json!({
        "parameters": {
            "vm": {"type": "string"},
            "count": {"type": "int"},
            "env": {"type": "String"}
        },
        "resources": [
            {"type": "Microsoft.Network/networkInterfaces", "name": "[format('{0}-nic', parameters('vm'))]",
             "properties": {
                "id1": "[resourceId('Microsoft.Network/networkInterfaces', concat(parameters('vm'), '-nic'))]",
                "lower": "[toLower(parameters('vm'))]",
                "same": "[equals(parameters('env'), 'prod')]",
                "chosen": "[if(equals(parameters('env'), 'prod'), '10.0.0.0/8', '*')]",
                "cut": "[substring(parameters('vm'), 0, 3)]",
                "n": "[parameters('count')]"
             }},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "pip",
             "condition": "[parameters('env')]"},
            {"type": "Microsoft.Network/publicIPAddresses", "name": "[concat('p', copyIndex())]",
             "copy": {"name": "c", "count": "[parameters('env')]"}}
        ]
    }));
    let nic = "[parameters('vm')]-nic";
    let id = value_at(&expansion, nic, "/properties/id1");
    assert!(
        id.as_str()
            .unwrap()
            .ends_with("/networkInterfaces/[parameters('vm')]-nic"),
        "{id}"
    );
    assert_eq!(
        value_at(&expansion, nic, "/properties/lower"),
        json!("[parameters('vm')]")
    );
    for decisive in ["same", "chosen", "cut"] {
        let value = value_at(&expansion, nic, &format!("/properties/{decisive}"));
        assert!(
            unknown_reason(&value)
                .is_some_and(|r| r.contains("parameter 'env'") || r.contains("parameter 'vm'")),
            "{decisive}: {value}"
        );
    }
    // Only strings are left symbolic.
    assert!(unknown_reason(&value_at(&expansion, nic, "/properties/n")).is_some());
    let pip = expansion
        .resources
        .iter()
        .find(|r| r.name == "pip")
        .unwrap();
    assert!(
        pip.assumptions
            .iter()
            .any(|a| a.contains("parameter 'env'")),
        "{:?}",
        pip.assumptions
    );
    let copied = expansion.resources.iter().find(|r| r.name == "p0").unwrap();
    assert!(
        copied
            .assumptions
            .iter()
            .any(|a| a.contains("copy count is unknown") && a.contains("'env'")),
        "{:?}",
        copied.assumptions
    );
    let nic_resource = expansion.resources.iter().find(|r| r.name == nic).unwrap();
    assert!(
        nic_resource
            .assumptions
            .iter()
            .any(|a| a.contains("parameter 'vm' has no value")),
        "{:?}",
        nic_resource.assumptions
    );
}

#[test]
fn nested_outputs_are_read_through_reference_in_every_spelling() {
    let module = |scope: &str| {
        json!({
            "type": "Microsoft.Resources/deployments", "name": format!("net-{scope}"),
            "properties": {
                "expressionEvaluationOptions": {"scope": scope},
                "parameters": {"vnet": {"value": "v"}},
                "template": {
                    "parameters": {"vnet": {"type": "string", "defaultValue": "unused"}},
                    "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "[parameters('vnet')]",
                        "properties": {"subnets": [{"name": "a", "properties": {}}]}}],
                    "outputs": {
                        "subnet": {"type": "string", "value": "[reference(resourceId('Microsoft.Network/virtualNetworks', parameters('vnet'))).subnets[0].id]"},
                        "secret": {"type": "securestring", "value": "x"},
                        "list": {"type": "array", "copy": {"count": 2, "input": "[concat('s', copyIndex())]"}}
                    }
                }
            }
        })
    };
    let expansion = expand(&json!({
        "parameters": {"vnet": {"type": "string", "defaultValue": "outer"}},
        "resources": [
            {"type": "t", "name": "reader", "properties": {
                "inner": "[reference(resourceId('Microsoft.Resources/deployments', 'net-inner'), '2022-09-01').outputs.subnet.value]",
                "byName": "[reference('net-inner').outputs.list.value]",
                "secret": "[reference('net-inner').outputs.secret.value]",
                "outer": "[reference('net-outer').outputs.subnet.value]"
            }},
            module("inner"),
            module("outer")
        ]
    }));
    let inner = value_at(&expansion, "reader", "/properties/inner");
    assert!(
        inner
            .as_str()
            .unwrap()
            .ends_with("/virtualNetworks/v/subnets/a"),
        "{inner}"
    );
    assert_eq!(
        value_at(&expansion, "reader", "/properties/byName"),
        json!(["s0", "s1"])
    );
    assert!(unknown_reason(&value_at(&expansion, "reader", "/properties/secret")).is_some());
    // Outer scope: the nested template reads the parent's parameter 'vnet' = outer.
    let outer = value_at(&expansion, "reader", "/properties/outer");
    assert!(
        outer
            .as_str()
            .unwrap()
            .ends_with("/virtualNetworks/outer/subnets/a"),
        "{outer}"
    );
    assert!(expansion.problems.is_empty(), "{:?}", expansion.problems);
}
