//! Encoding, URI and hashing functions.

use serde_json::json;

use super::{assert_err, check, eval};
use crate::arm::expr::ExprErrorCode;

#[test]
fn base64_round_trips() {
    check(&[
        ("[base64('one, two, three')]", json!("b25lLCB0d28sIHRocmVl")),
        (
            "[base64ToString('b25lLCB0d28sIHRocmVl')]",
            json!("one, two, three"),
        ),
        (
            "[base64ToJson('eydvbmUnOiAnYScsICd0d28nOiAnYid9')]",
            json!({"one": "a", "two": "b"}),
        ),
        (
            "[base64ToJson(base64('{\"one\": \"a\", \"two\": \"b\"}'))]",
            json!({"one": "a", "two": "b"}),
        ),
        ("[base64('')]", json!("")),
        ("[base64('ab')]", json!("YWI=")),
        ("[base64ToString(base64('é✓😀'))]", json!("é✓😀")),
    ]);
    assert_err(
        "[base64ToString('not base64!')]",
        ExprErrorCode::Evaluation,
        16,
    );
    assert_err(
        "[base64ToJson(base64('{x'))]",
        ExprErrorCode::Evaluation,
        14,
    );
}

#[test]
fn data_uris() {
    check(&[
        (
            "[dataUri('Hello')]",
            json!("data:text/plain;charset=utf8;base64,SGVsbG8="),
        ),
        (
            "[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]",
            json!("Hello, World!"),
        ),
        (
            "[dataUriToString(dataUri('round trip'))]",
            json!("round trip"),
        ),
        ("[dataUriToString('data:text/plain,a%20b')]", json!("a b")),
    ]);
    assert_err("[dataUriToString('Hello')]", ExprErrorCode::Evaluation, 17);
}

#[test]
fn uri_functions() {
    check(&[
        ("[uri('http://contoso.com/resources/', 'nested/azuredeploy.json')]", json!("http://contoso.com/resources/nested/azuredeploy.json")),
        ("[uri('http://contoso.org/firstpath', 'myscript.sh')]", json!("http://contoso.org/myscript.sh")),
        ("[uri('http://contoso.org/firstpath/azuredeploy.json/', 'myscript.sh')]", json!("http://contoso.org/firstpath/azuredeploy.json/myscript.sh")),
        ("[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]", json!("http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json")),
        ("[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')]", json!("http://contoso.com/resources/nested/azuredeploy.json")),
        ("[uriComponent('a b~é')]", json!("a%20b~%C3%A9")),
        ("[uriComponentToString('100%')]", json!("100%")),
    ]);
    assert_err("[uri('relative/path', 'x')]", ExprErrorCode::Evaluation, 5);
}

#[test]
fn unique_string_is_deterministic_and_shaped_like_azures() {
    let a = eval("[uniqueString(resourceGroup().id)]");
    assert_eq!(a, eval("[uniqueString(resourceGroup().id)]"));
    let text = a.as_str().unwrap();
    assert_eq!(text.len(), 13);
    assert!(
        text.chars()
            .all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c)),
        "{text}"
    );
    assert_ne!(
        a,
        eval("[uniqueString(resourceGroup().id, deployment().name)]")
    );
    assert_ne!(
        eval("[uniqueString('ab', 'c')]"),
        eval("[uniqueString('a', 'bc')]")
    );
    assert_err("[uniqueString(1)]", ExprErrorCode::ArgumentType, 14);
}

#[test]
fn guid_is_deterministic_and_shaped_like_a_guid() {
    let g = eval("[guid(subscription().subscriptionId)]");
    assert_eq!(g, eval("[guid(subscription().subscriptionId)]"));
    let text = g.as_str().unwrap();
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    assert_eq!(groups, vec![8, 4, 4, 4, 12], "{text}");
    assert!(text
        .chars()
        .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(g, eval("[guid(resourceGroup().id, deployment().name)]"));
}
