//! Logical, comparison and numeric functions.

use serde_json::json;

use super::{assert_err, check, eval};
use crate::arm::expr::ExprErrorCode;

#[test]
fn bool_not_true_false() {
    check(&[
        ("[bool('true')]", json!(true)),
        ("[bool('false')]", json!(false)),
        ("[bool('TRUE')]", json!(true)),
        ("[bool(1)]", json!(true)),
        ("[bool(0)]", json!(false)),
        ("[not(bool('true'))]", json!(false)),
        ("[not(equals(1, 2))]", json!(true)),
        ("[true()]", json!(true)),
        ("[false()]", json!(false)),
    ]);
    assert_err("[bool('yes')]", ExprErrorCode::Evaluation, 6);
    assert_err("[bool(createArray())]", ExprErrorCode::ArgumentType, 6);
}

#[test]
fn equals_is_deep_and_case_sensitive() {
    check(&[
        ("[equals(1, 1)]", json!(true)),
        ("[equals('a', 'a')]", json!(true)),
        ("[equals('a', 'A')]", json!(false)),
        (
            "[equals(createArray('a', 'b'), createArray('a', 'b'))]",
            json!(true),
        ),
        (
            "[equals(createArray('a', 'b'), createArray('b', 'a'))]",
            json!(false),
        ),
        (
            "[equals(createObject('a', 'b'), createObject('a', 'b'))]",
            json!(true),
        ),
        (
            "[equals(json('{\"a\":1,\"b\":2}'), json('{\"b\":2,\"a\":1}'))]",
            json!(true),
        ),
        ("[equals(1, '1')]", json!(false)),
        ("[equals(null(), null())]", json!(true)),
    ]);
}

#[test]
fn ordering_of_ints_and_strings() {
    check(&[
        ("[greater(1, 2)]", json!(false)),
        ("[greater('A', 'a')]", json!(true)),
        ("[greaterOrEquals(1, 2)]", json!(false)),
        ("[greaterOrEquals('A', 'a')]", json!(true)),
        ("[less(1, 2)]", json!(true)),
        ("[less('A', 'a')]", json!(false)),
        ("[lessOrEquals(1, 2)]", json!(true)),
        ("[lessOrEquals('A', 'a')]", json!(false)),
        ("[less('apple', 'Banana')]", json!(true)),
        ("[greaterOrEquals(3, 3)]", json!(true)),
    ]);
    assert_err("[greater(1, 'a')]", ExprErrorCode::ArgumentType, 12);
    assert_err("[less(createArray(), 1)]", ExprErrorCode::ArgumentType, 6);
}

#[test]
fn arithmetic() {
    check(&[
        ("[add(5, 3)]", json!(8)),
        ("[sub(7, 3)]", json!(4)),
        ("[mul(5, 3)]", json!(15)),
        ("[div(8, 3)]", json!(2)),
        ("[div(-7, 2)]", json!(-3)),
        ("[mod(7, 3)]", json!(1)),
        ("[mod(-7, 3)]", json!(-1)),
    ]);
    assert_err("[div(1, 0)]", ExprErrorCode::Evaluation, 8);
    assert_err("[mod(1, 0)]", ExprErrorCode::Evaluation, 8);
    assert_err(
        "[add(9223372036854775807, 1)]",
        ExprErrorCode::Evaluation,
        1,
    );
    assert_err(
        "[div(-9223372036854775808, -1)]",
        ExprErrorCode::Evaluation,
        1,
    );
}

#[test]
fn min_max_int_float_range() {
    check(&[
        ("[max(createArray(0, 3, 2, 5, 4))]", json!(5)),
        ("[max(0, 3, 2, 5, 4)]", json!(5)),
        ("[min(createArray(0, 3, 2, 5, 4))]", json!(0)),
        ("[min(0, 3, 2, 5, 4)]", json!(0)),
        ("[min(7)]", json!(7)),
        ("[int('4')]", json!(4)),
        ("[int(' -12 ')]", json!(-12)),
        ("[int(5)]", json!(5)),
        ("[float('3.0')]", json!(3.0)),
        ("[float(3)]", json!(3.0)),
        ("[range(5, 3)]", json!([5, 6, 7])),
        ("[range(0, 0)]", json!([])),
        ("[length(range(1, 10000))]", json!(10000)),
    ]);
    assert_err("[max(createArray())]", ExprErrorCode::Evaluation, 5);
    assert_err("[max(createArray('a'))]", ExprErrorCode::ArgumentType, 5);
    assert_err("[int('four')]", ExprErrorCode::Evaluation, 5);
    assert_err("[range(0, -1)]", ExprErrorCode::Evaluation, 10);
    assert_err("[range(2147483647, 1)]", ExprErrorCode::Evaluation, 7);
    assert_eq!(eval("[int(json('2.5'))]"), json!(2));
}
