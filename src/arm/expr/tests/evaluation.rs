//! Property and index access, unknown propagation, lazy functions and error codes.

use serde_json::json;

use super::{assert_err, check, err, eval, reason, TestScope};
use crate::arm::expr::{evaluate_string, ExprErrorCode};
use crate::arm::unknown::{is_unknown, unknown_reason};

#[test]
fn member_and_index_chains() {
    check(&[
        ("[parameters('obj').one]", json!("a")),
        ("[parameters('obj').Two.Three[2].Four]", json!("deep")),
        ("[parameters('obj')['Two']['Three'][0]]", json!(1)),
        ("[parameters('arr')[1]]", json!("two")),
        (
            "[parameters('arr')[sub(length(parameters('arr')), 1)]]",
            json!("three"),
        ),
    ]);
    assert_eq!(
        eval("[createArray(createObject('k', 'v'))[0].k]"),
        json!("v")
    );
    assert_eq!(eval("[json('{\"a\":[10,20]}').a[1]]"), json!(20));
}

#[test]
fn property_lookup_is_case_insensitive() {
    check(&[
        ("[parameters('obj').ONE]", json!("a")),
        ("[parameters('obj').two.three[2].four]", json!("deep")),
        ("[parameters('obj')['tWo'].THREE[1]]", json!(2)),
        ("[resourceGroup().LOCATION]", json!("westeurope")),
    ]);
}

#[test]
fn missing_property_and_bad_index_are_evaluation_errors() {
    // offset of the property name
    assert_err("[parameters('obj').missing]", ExprErrorCode::Evaluation, 19);
    assert!(err("[parameters('obj').missing]")
        .message
        .contains("one, Two, nullProp"));
    assert_err(
        "[parameters('obj')['missing']]",
        ExprErrorCode::Evaluation,
        19,
    );
    assert_err("[parameters('arr')[3]]", ExprErrorCode::Evaluation, 19);
    assert_err("[parameters('arr')[-1]]", ExprErrorCode::Evaluation, 19);
    assert_err("[parameters('arr')['x']]", ExprErrorCode::Evaluation, 19);
    assert_err(
        "[parameters('prefix').length]",
        ExprErrorCode::Evaluation,
        22,
    );
    assert_err(
        "[parameters('obj').nullProp.x]",
        ExprErrorCode::Evaluation,
        28,
    );
    assert_err("[parameters('obj')[0]]", ExprErrorCode::Evaluation, 19);
}

#[test]
fn undeclared_parameters_and_variables_are_errors_at_the_name() {
    assert_err("[parameters('nope')]", ExprErrorCode::Evaluation, 12);
    assert_err("[variables('nope')]", ExprErrorCode::Evaluation, 11);
    assert!(err("[parameters('nope')]")
        .message
        .contains("no parameter 'nope'"));
}

#[test]
fn member_and_index_access_on_unknown_stay_unknown() {
    let r = reason("[reference('myPip').dnsSettings.fqdn]");
    assert_eq!(
        r,
        "reference('myPip'): resource 'myPip' runtime state is not in the input"
    );
    assert!(is_unknown(&eval("[parameters('noValue')[0].x]")));
    assert!(is_unknown(&eval(
        "[parameters('arr')[parameters('noValue')]]"
    )));
    assert_eq!(
        eval("[reference('myVnet').addressSpace.addressPrefixes[0]]"),
        json!("10.0.0.0/16")
    );
    assert_eq!(
        eval("[reference('myVnet', '2020-01-01', 'Full').properties.addressSpace.addressPrefixes[0]]"),
        json!("10.0.0.0/16")
    );
}

#[test]
fn properties_missing_from_runtime_state_views_are_unknown() {
    assert_eq!(
        reason("[reference('myNic').ipConfigurations[0].properties.privateIPAddress]"),
        "'properties' of nic 'myNic' is runtime state, not in the template"
    );
    assert_eq!(
        eval("[reference('myNic').ipConfigurations[0].name]"),
        json!("ip1")
    );
    assert_eq!(
        eval("[contains(reference('myNic'), 'ipConfigurations')]"),
        json!(true)
    );
    assert!(is_unknown(&eval(
        "[contains(reference('myNic'), 'provisioningState')]"
    )));
    assert!(is_unknown(&eval(
        "[tryGet(reference('myNic'), 'provisioningState')]"
    )));
    // A template's own object still reports a missing property as a bug.
    assert_err("[parameters('obj').missing]", ExprErrorCode::Evaluation, 19);
}

#[test]
fn unknown_propagates_through_eager_functions_with_its_reason() {
    assert_eq!(
        reason("[concat('a', parameters('noValue'))]"),
        "parameter 'noValue' has no value"
    );
    assert_eq!(
        reason("[toLower(concat(parameters('noValue'), 'x'))]"),
        "parameter 'noValue' has no value"
    );
    assert_eq!(
        reason("[length(variables('unknownVar'))]"),
        "variable 'unknownVar' is undecidable"
    );
    // Deep: equality with an unknown nested inside is undecidable.
    assert!(is_unknown(&eval(
        "[equals(createArray(parameters('noValue')), createArray(1))]"
    )));
    assert!(is_unknown(&eval(
        "[string(createObject('a', parameters('noValue')))]"
    )));
}

#[test]
fn containers_keep_unknowns_inside() {
    let v = eval("[createArray('a', parameters('noValue'))]");
    assert_eq!(v[0], json!("a"));
    assert_eq!(
        unknown_reason(&v[1]),
        Some("parameter 'noValue' has no value")
    );
    let v = eval("[createObject('known', 1, 'unknown', parameters('noValue'))]");
    assert_eq!(v["known"], json!(1));
    assert!(is_unknown(&v["unknown"]));
    assert!(is_unknown(&eval(
        "[createObject(parameters('noValue'), 1)]"
    )));
    assert_eq!(
        eval("[length(createArray(parameters('noValue'), 1))]"),
        json!(2)
    );
}

#[test]
fn if_is_lazy() {
    check(&[
        ("[if(true, 'yes', parameters('undeclared'))]", json!("yes")),
        ("[if(false, div(1, 0), 'no')]", json!("no")),
        ("[if(equals('a', 'a'), 'yes', 'no')]", json!("yes")),
        ("[if(equals('a', 'b'), 'yes', 'no')]", json!("no")),
        (
            "[if(equals('a', 'a'), json('{\"test\": \"value1\"}'), json('null'))]",
            json!({"test": "value1"}),
        ),
    ]);
    assert_err(
        "[if(true, parameters('undeclared'), 'x')]",
        ExprErrorCode::Evaluation,
        21,
    );
    assert_err("[if('yes', 1, 2)]", ExprErrorCode::ArgumentType, 4);
}

#[test]
fn if_with_unknown_condition() {
    assert_eq!(
        reason("[if(parameters('noValue'), 'a', 'b')]"),
        "parameter 'noValue' has no value"
    );
    assert_eq!(
        eval("[if(parameters('noValue'), 'same', 'same')]"),
        json!("same")
    );
    // An untaken-branch error under an unknown condition is not a template bug.
    assert!(is_unknown(&eval(
        "[if(parameters('noValue'), 'a', parameters('undeclared'))]"
    )));
}

#[test]
fn and_or_short_circuit_on_known_values() {
    check(&[
        ("[and(bool('true'), bool('false'))]", json!(false)),
        ("[or(bool('true'), bool('false'))]", json!(true)),
        ("[and(true, true, true)]", json!(true)),
        ("[or(false, false, false)]", json!(false)),
        ("[and(parameters('noValue'), false)]", json!(false)),
        ("[or(parameters('noValue'), true)]", json!(true)),
        ("[and(false, parameters('undeclared'))]", json!(false)),
        ("[or(true, div(1, 0))]", json!(true)),
    ]);
    assert!(is_unknown(&eval("[and(true, parameters('noValue'))]")));
    assert!(is_unknown(&eval("[or(false, parameters('noValue'))]")));
    assert_err("[and(true, 'x')]", ExprErrorCode::ArgumentType, 11);
    assert_err("[or(true)]", ExprErrorCode::ArgumentCount, 1);
}

#[test]
fn coalesce_stops_at_the_first_non_null_or_unknown() {
    check(&[
        (
            "[coalesce(parameters('obj').nullProp, null(), 'default')]",
            json!("default"),
        ),
        ("[coalesce(null(), 1)]", json!(1)),
        (
            "[coalesce(null(), createObject('first', 'default'))]",
            json!({"first": "default"}),
        ),
        ("[coalesce(null(), createArray(1))]", json!([1])),
        ("[empty(coalesce(null(), null()))]", json!(true)),
        ("[coalesce('', 'x')]", json!("")),
        ("[coalesce('x', parameters('undeclared'))]", json!("x")),
    ]);
    assert!(is_unknown(&eval(
        "[coalesce(null(), parameters('noValue'), 'x')]"
    )));
}

#[test]
fn argument_count_errors() {
    assert_err("[concat()]", ExprErrorCode::ArgumentCount, 1);
    assert_err("[not(true, false)]", ExprErrorCode::ArgumentCount, 11);
    assert_err("[utcNow('u', 'x')]", ExprErrorCode::ArgumentCount, 13);
    assert_err("[createObject('a')]", ExprErrorCode::ArgumentCount, 1);
    assert_err(
        "[resourceId('Microsoft.Network/virtualNetworks')]",
        ExprErrorCode::ArgumentCount,
        1,
    );
    let e = err("[equals(1)]");
    assert!(e.message.contains("exactly 2 arguments"), "{}", e.message);
}

#[test]
fn argument_type_errors_point_at_the_argument() {
    assert_err("[add(1, 'two')]", ExprErrorCode::ArgumentType, 8);
    assert_err("[toLower(1)]", ExprErrorCode::ArgumentType, 9);
    assert_err(
        "[concat('a', createArray(1))]",
        ExprErrorCode::ArgumentType,
        13,
    );
    assert_err(
        "[concat(createArray(1), 'a')]",
        ExprErrorCode::ArgumentType,
        24,
    );
    assert_err("[not('true')]", ExprErrorCode::ArgumentType, 5);
    assert_err("[length(1)]", ExprErrorCode::ArgumentType, 8);
    let e = err("[add(1, 'two')]");
    assert_eq!(
        e.message,
        "function 'add' expects argument 2 to be an integer, but it is a string 'two'"
    );
}

#[test]
fn results_beyond_the_size_limits_are_too_large() {
    assert_err("[range(0, 10001)]", ExprErrorCode::TooLarge, 1);
    assert_err("[padLeft('x', 100000000, '0')]", ExprErrorCode::TooLarge, 1);
    let scope = TestScope::new();
    let big = "[concat(range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10000), range(0, 10))]";
    let e = evaluate_string(big, &scope).unwrap_err();
    assert_eq!(e.code, ExprErrorCode::TooLarge);
    let e = evaluate_string("[split(padLeft('', 200000, ','), ',')]", &scope).unwrap_err();
    assert_eq!(e.code, ExprErrorCode::TooLarge);
}

#[test]
fn deep_values_are_too_deep() {
    let mut scope = TestScope::new();
    let mut deep = json!(1);
    for _ in 0..300 {
        deep = json!([deep]);
    }
    scope.params.insert("deep".into(), deep);
    let e = evaluate_string("[parameters('deep')]", &scope).unwrap_err();
    assert_eq!((e.code, e.offset), (ExprErrorCode::TooDeep, 1));
}

#[test]
fn repeated_huge_values_exhaust_the_budget_not_the_machine() {
    let mut scope = TestScope::new();
    scope
        .params
        .insert("big".into(), json!("x".repeat(8 * 1024 * 1024)));
    let args = ["parameters('big')"; 10].join(", ");
    let e = evaluate_string(&format!("[createArray({args})]"), &scope).unwrap_err();
    assert_eq!(e.code, ExprErrorCode::TooLarge);
}
