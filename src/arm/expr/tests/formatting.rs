//! `format()`: .NET composite formatting.

use serde_json::json;

use super::{assert_err, check, reason};
use crate::arm::expr::ExprErrorCode;

#[test]
fn documented_example() {
    check(&[(
        "[format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', parameters('num'))]",
        json!("Hello, User. Formatted number: 8,175,133"),
    )]);
}

#[test]
fn standard_numeric_specifiers() {
    check(&[
        ("[format('{0:N0}', 8175133)]", json!("8,175,133")),
        ("[format('{0:N}', 1234)]", json!("1,234.00")),
        ("[format('{0:N1}', -1234567)]", json!("-1,234,567.0")),
        ("[format('{0:D3}', 7)]", json!("007")),
        ("[format('{0:D3}', -7)]", json!("-007")),
        ("[format('{0:d}', 42)]", json!("42")),
        ("[format('{0:X}', 255)]", json!("FF")),
        ("[format('{0:x4}', 255)]", json!("00ff")),
        ("[format('{0:X}', -1)]", json!("FFFFFFFFFFFFFFFF")),
        ("[format('{0:F2}', 3)]", json!("3.00")),
        ("[format('{0:G}', 12)]", json!("12")),
        ("[format('{0:N2}', float('1234.567'))]", json!("1,234.57")),
    ]);
}

#[test]
fn custom_numeric_patterns() {
    check(&[
        ("[format('vm{0:00}', 5)]", json!("vm05")),
        ("[format('{0:000}', 1234)]", json!("1234")),
        ("[format('{0:#,0}', 1234567)]", json!("1,234,567")),
        ("[format('{0:#}', 0)]", json!("")),
    ]);
}

#[test]
fn escapes_alignment_and_non_numbers() {
    check(&[
        ("[format('{{{0}}}', 'x')]", json!("{x}")),
        (
            "[format('{0,5}|{1,-5}|', 'ab', 'cd')]",
            json!("   ab|cd   |"),
        ),
        ("[format('{0} {0}', 'twice')]", json!("twice twice")),
        ("[format('{0}-{1}', true, null())]", json!("True-")),
        ("[format('{0:D3}', 'text')]", json!("text")),
        ("[format('no items')]", json!("no items")),
    ]);
}

#[test]
fn malformed_format_strings_are_errors_at_the_format_string() {
    assert_err("[format('{1}', 'a')]", ExprErrorCode::Evaluation, 8);
    assert_err("[format('{0', 'a')]", ExprErrorCode::Evaluation, 8);
    assert_err("[format('a}b', 'a')]", ExprErrorCode::Evaluation, 8);
    assert_err("[format('{x}', 'a')]", ExprErrorCode::Evaluation, 8);
    assert_err("[format('{0:Q}', 1)]", ExprErrorCode::Evaluation, 8);
    assert_err("[format(1, 'a')]", ExprErrorCode::ArgumentType, 8);
}

#[test]
fn unsupported_specifiers_are_unknown_not_errors() {
    assert!(reason("[format('{0:E2}', 1234)]").contains("'E2'"));
    assert!(reason("[format('{0:0.00}', 1)]").contains("'0.00'"));
}
