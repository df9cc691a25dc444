//! Array and object functions, with the examples of Microsoft's "Array functions" and "Object
//! functions" pages.

use serde_json::json;

use super::{assert_err, check, eval, TestScope};
use crate::arm::expr::{evaluate_string, ExprErrorCode};
use crate::arm::unknown::is_unknown;

#[test]
fn array_and_create_array() {
    check(&[
        ("[array(1)]", json!([1])),
        ("[array('efgh')]", json!(["efgh"])),
        (
            "[array(createObject('a', 'b', 'c', 'd'))]",
            json!([{"a": "b", "c": "d"}]),
        ),
        ("[array(parameters('arr'))]", json!(["one", "two", "three"])),
        ("[createArray('a', 'b', 'c')]", json!(["a", "b", "c"])),
        ("[createArray(1, 2, 3)]", json!([1, 2, 3])),
        (
            "[createArray(parameters('arr'))]",
            json!([["one", "two", "three"]]),
        ),
        ("[createArray()]", json!([])),
    ]);
}

#[test]
fn empty_values() {
    check(&[
        ("[empty(createArray())]", json!(true)),
        ("[empty(json('{}'))]", json!(true)),
        ("[empty('')]", json!(true)),
        ("[empty(null())]", json!(true)),
        ("[empty(json('null'))]", json!(true)),
        ("[empty(parameters('arr'))]", json!(false)),
        ("[empty(' ')]", json!(false)),
    ]);
    assert_err("[empty(1)]", ExprErrorCode::ArgumentType, 7);
}

#[test]
fn union_of_objects_and_arrays() {
    let first = "json('{\"one\": \"a\", \"two\": \"b\", \"three\": \"c1\"}')";
    let second = "json('{\"three\": \"c2\", \"four\": \"d\", \"five\": \"e\"}')";
    assert_eq!(
        eval(&format!("[union({first}, {second})]")),
        json!({"one": "a", "two": "b", "three": "c2", "four": "d", "five": "e"})
    );
    check(&[
        (
            "[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]",
            json!(["one", "two", "three", "four"]),
        ),
        (
            "[union(createArray(1, 1), createArray(json('1.0')))]",
            json!([1]),
        ),
        (
            "[union(createObject('A', 1), createObject('a', 2))]",
            json!({"A": 2}),
        ),
    ]);
}

#[test]
fn union_merges_nested_objects_but_not_nested_arrays() {
    let mut scope = TestScope::new();
    scope.vars.insert(
        "firstObject".into(),
        json!({"property": {"one": "a", "two": "b", "three": "c1"}, "nestedArray": [1, 2]}),
    );
    scope.vars.insert(
        "secondObject".into(),
        json!({"property": {"three": "c2", "four": "d", "five": "e"}, "nestedArray": [3, 4]}),
    );
    scope
        .vars
        .insert("firstArray".into(), json!([["one", "two"], ["three"]]));
    scope
        .vars
        .insert("secondArray".into(), json!([["three"], ["four", "two"]]));
    let objects = "[union(variables('firstObject'), variables('secondObject'))]";
    assert_eq!(
        evaluate_string(objects, &scope).unwrap(),
        json!({"property": {"one": "a", "two": "b", "three": "c2", "four": "d", "five": "e"}, "nestedArray": [3, 4]})
    );
    let arrays = "[union(variables('firstArray'), variables('secondArray'))]";
    assert_eq!(
        evaluate_string(arrays, &scope).unwrap(),
        json!([["one", "two"], ["three"], ["four", "two"]])
    );
}

#[test]
fn union_with_unknowns() {
    let v = eval("[union(createObject('a', 1), createObject('b', parameters('noValue')))]");
    assert_eq!(v["a"], json!(1));
    assert!(is_unknown(&v["b"]));
    assert!(is_unknown(&eval(
        "[union(createArray(1), createArray(parameters('noValue')))]"
    )));
    assert!(is_unknown(&eval(
        "[union(createArray(1), parameters('noValue'))]"
    )));
    assert_err(
        "[union(createArray(1), 'x')]",
        ExprErrorCode::ArgumentType,
        23,
    );
}

#[test]
fn intersection_of_objects_and_arrays() {
    let first = "json('{\"one\": \"a\", \"two\": \"b\", \"three\": \"c\"}')";
    let second = "json('{\"one\": \"a\", \"two\": \"z\", \"three\": \"c\"}')";
    assert_eq!(
        eval(&format!("[intersection({first}, {second})]")),
        json!({"one": "a", "three": "c"})
    );
    check(&[(
        "[intersection(parameters('arr'), createArray('two', 'three'))]",
        json!(["two", "three"]),
    )]);
}

#[test]
fn create_object_items_object_keys() {
    check(&[
        (
            "[createObject('intProp', 1, 'stringProp', 'abc', 'boolProp', true(), 'arrayProp', createArray('a', 'b', 'c'), 'objectProp', createObject('key1', 'value1'))]",
            json!({"intProp": 1, "stringProp": "abc", "boolProp": true, "arrayProp": ["a", "b", "c"], "objectProp": {"key1": "value1"}}),
        ),
        ("[createObject()]", json!({})),
        ("[objectKeys(createObject('b', 1, 'a', 2))]", json!(["b", "a"])),
    ]);
    let entities = "json('{\"item002\": {\"enabled\": false, \"displayName\": \"Example item 2\", \"number\": 200}, \"item001\": {\"enabled\": true, \"displayName\": \"Example item 1\", \"number\": 300}}')";
    assert_eq!(
        eval(&format!("[items({entities})]")),
        json!([
            {"key": "item001", "value": {"displayName": "Example item 1", "enabled": true, "number": 300}},
            {"key": "item002", "value": {"displayName": "Example item 2", "enabled": false, "number": 200}}
        ])
    );
    assert_eq!(
        eval(&format!("[items({entities})[1].value.displayName]")),
        json!("Example item 2")
    );
    assert_err("[createObject(1, 'a')]", ExprErrorCode::ArgumentType, 14);
}

#[test]
fn json_and_null() {
    check(&[
        ("[json('{\"a\": \"b\"}')]", json!({"a": "b"})),
        ("[json('\"test\"')]", json!("test")),
        ("[json('true')]", json!(true)),
        ("[json('3')]", json!(3)),
        ("[json('[1, 2, 3]')]", json!([1, 2, 3])),
        (
            "[json(concat('{\"a\": \"', 'demo value', '\"}'))]",
            json!({"a": "demo value"}),
        ),
        ("[json('{''one'': ''a''}')]", json!({"one": "a"})),
        ("[null()]", json!(null)),
        ("[empty(null())]", json!(true)),
    ]);
    assert_err("[json('{oops')]", ExprErrorCode::Evaluation, 6);
}

#[test]
fn flatten_shallow_merge_try_get() {
    check(&[
        ("[flatten(createArray(createArray(1, 2), createArray(3)))]", json!([1, 2, 3])),
        (
            "[shallowMerge(createArray(createObject('a', 1, 'b', createObject('x', 1)), createObject('b', createObject('y', 2))))]",
            json!({"a": 1, "b": {"y": 2}}),
        ),
        ("[tryGet(parameters('obj'), 'Two', 'Three', 2, 'Four')]", json!("deep")),
        ("[tryGet(parameters('obj'), 'missing')]", json!(null)),
        ("[tryGet(parameters('arr'), 7)]", json!(null)),
    ]);
}
