//! Grammar, escapes, literals, error codes and offsets of the parser.

use serde_json::json;

use super::{assert_err, check, eval, TestScope};
use crate::arm::expr::{
    evaluate_string, is_expression, parse, Expr, ExprErrorCode, MAX_EXPRESSION_BYTES,
};

#[test]
fn error_codes_have_stable_names() {
    let names: Vec<&str> = [
        ExprErrorCode::Syntax,
        ExprErrorCode::UnknownFunction,
        ExprErrorCode::ArgumentCount,
        ExprErrorCode::ArgumentType,
        ExprErrorCode::TooDeep,
        ExprErrorCode::TooLarge,
        ExprErrorCode::Evaluation,
    ]
    .iter()
    .map(ExprErrorCode::as_str)
    .collect();
    assert_eq!(
        names,
        [
            "syntax",
            "unknown-function",
            "argument-count",
            "argument-type",
            "too-deep",
            "too-large",
            "evaluation"
        ]
    );
}

#[test]
fn expression_detection_follows_arm() {
    assert!(is_expression("[concat('a')]"));
    assert!(!is_expression("[[concat('a')]"));
    assert!(!is_expression("concat('a')"));
    assert!(!is_expression("[concat('a')"));
    assert!(!is_expression(" [concat('a')]"));
}

#[test]
fn plain_strings_and_escaped_brackets_are_literals() {
    let scope = TestScope::new();
    assert_eq!(evaluate_string("hello", &scope).unwrap(), json!("hello"));
    assert_eq!(
        evaluate_string("[[test value]", &scope).unwrap(),
        json!("[test value]")
    );
    assert_eq!(
        evaluate_string("[[concat('a')]", &scope).unwrap(),
        json!("[concat('a')]")
    );
    assert_eq!(
        evaluate_string("[test] value", &scope).unwrap(),
        json!("[test] value")
    );
    assert_eq!(
        evaluate_string("[[no closing", &scope).unwrap(),
        json!("[[no closing")
    );
    assert_eq!(evaluate_string("", &scope).unwrap(), json!(""));
}

#[test]
fn string_literals_unescape_doubled_quotes() {
    check(&[
        ("[concat('it''s', ' ok')]", json!("it's ok")),
        ("['''']", json!("'")),
        ("['']", json!("")),
        ("['a]b[c']", json!("a]b[c")),
        ("['é ✓ 😀']", json!("é ✓ 😀")),
    ]);
}

#[test]
fn literals_and_bare_keywords() {
    check(&[
        ("[42]", json!(42)),
        ("[-7]", json!(-7)),
        ("[true]", json!(true)),
        ("[FALSE]", json!(false)),
        ("[null]", json!(null)),
        ("[true()]", json!(true)),
        ("[equals(false(), false)]", json!(true)),
        ("[createArray(null(), null)]", json!([null, null])),
    ]);
}

#[test]
fn whitespace_between_tokens_and_case_insensitive_function_names() {
    check(&[
        ("[ CONCAT ( 'a' ,\t'b' ) ]", json!("ab")),
        ("[toUPPER('x')]", json!("X")),
        ("[Parameters('prefix')]", json!("pre")),
        ("[parameters('obj') . one]", json!("a")),
    ]);
}

#[test]
fn nested_calls_and_chains_build_the_expected_tree() {
    let expr = parse("[parameters('x').a[0]['b']]").unwrap();
    let Expr::Index {
        target,
        index,
        offset,
    } = expr
    else {
        panic!("outer node should be an index");
    };
    assert_eq!(offset, 21);
    assert_eq!(
        *index,
        Expr::String {
            value: "b".into(),
            offset: 22
        }
    );
    let Expr::Index { target, .. } = *target else {
        panic!("then an index")
    };
    let Expr::Property {
        target,
        name,
        offset,
    } = *target
    else {
        panic!("then a property")
    };
    assert_eq!((name.as_str(), offset), ("a", 17));
    assert!(matches!(*target, Expr::Call { ref name, offset: 1, .. } if name == "parameters"));
}

#[test]
fn syntax_errors_point_at_the_offending_character() {
    assert_err("[concat('a',]", ExprErrorCode::Syntax, 12);
    assert_err("[concat('a' 'b')]", ExprErrorCode::Syntax, 12);
    assert_err("[concat('a']", ExprErrorCode::Syntax, 11);
    assert_err("[concat(,'a')]", ExprErrorCode::Syntax, 8);
    assert_err("[concat('abc)]", ExprErrorCode::Syntax, 8);
    assert_err("[]", ExprErrorCode::Syntax, 1);
    assert_err("[concat('a') 'b']", ExprErrorCode::Syntax, 13);
    assert_err("[parameters('x').]", ExprErrorCode::Syntax, 17);
    assert_err("[parameters('x')[]]", ExprErrorCode::Syntax, 17);
    assert_err("[parameters('x')[0]", ExprErrorCode::Syntax, 18);
    assert_err("[foo]", ExprErrorCode::Syntax, 4);
    assert_err("[concat('a') + 'b']", ExprErrorCode::Syntax, 13);
    assert_err("[1.5]", ExprErrorCode::Syntax, 1);
    assert_err("[é(]", ExprErrorCode::UnknownFunction, 1);
}

#[test]
fn unknown_function_is_reported_at_its_name() {
    assert_err("[concatt('a')]", ExprErrorCode::UnknownFunction, 1);
    assert_err(
        "[concat('a', lenght('b'))]",
        ExprErrorCode::UnknownFunction,
        13,
    );
    // Reported even in a branch that would never be evaluated.
    assert_err(
        "[if(true, 'a', typo())]",
        ExprErrorCode::UnknownFunction,
        15,
    );
}

#[test]
fn user_defined_functions_parse_and_stay_unknown() {
    let v = eval("[contoso.uniqueName('x')]");
    assert!(crate::arm::unknown::is_unknown(&v));
}

#[test]
fn parse_refuses_non_expressions() {
    assert_eq!(parse("[[x]").unwrap_err().code, ExprErrorCode::Syntax);
    assert_eq!(parse("plain").unwrap_err().code, ExprErrorCode::Syntax);
}

#[test]
fn over_long_expressions_are_too_large() {
    let s = format!("['{}']", "a".repeat(MAX_EXPRESSION_BYTES));
    assert_err(&s, ExprErrorCode::TooLarge, 0);
}

#[test]
fn ten_thousand_nested_calls_are_too_deep_and_fast() {
    let started = std::time::Instant::now();
    let s = format!("[{}'x'{}]", "concat(".repeat(10_000), ")".repeat(10_000));
    let e = parse(&s).unwrap_err();
    assert_eq!(e.code, ExprErrorCode::TooDeep);
    assert_eq!(e.offset, 1 + 7 * 128);
    let s = format!("[parameters('obj'){}]", ".a".repeat(10_000));
    assert_eq!(parse(&s).unwrap_err().code, ExprErrorCode::TooDeep);
    let s = format!(
        "[{}0{}]",
        "parameters('arr')[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_eq!(parse(&s).unwrap_err().code, ExprErrorCode::TooDeep);
    assert!(
        started.elapsed().as_secs() < 2,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let s = format!("[{}'x'{}]", "concat(".repeat(127), ")".repeat(127));
    assert_eq!(eval(&s), json!("x"));
}

#[test]
fn deepest_allowed_expression_evaluates_within_half_the_default_stack() {
    // Debug builds use a few KiB per level; the default thread stack is 2 MiB.
    let worker = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let ifs = format!("[{}'x'{}]", "if(true, ".repeat(127), ", 'y')".repeat(127));
            let arrays = format!("[{}1{}]", "createArray(".repeat(127), ")".repeat(127));
            (eval(&ifs), eval(&arrays).is_array())
        });
    let (ifs, arrays) = worker.unwrap().join().unwrap();
    assert_eq!(ifs, json!("x"));
    assert!(arrays);
}
