//! String functions, with the examples of Microsoft's "String functions for ARM templates".

use serde_json::json;

use super::{assert_err, check, err};
use crate::arm::expr::ExprErrorCode;

#[test]
fn concat_strings_and_arrays() {
    check(&[
        ("[concat('prefix', '-', 'x')]", json!("prefix-x")),
        (
            "[concat(createArray('1-1', '1-2', '1-3'), createArray('2-1', '2-2', '2-3'))]",
            json!(["1-1", "1-2", "1-3", "2-1", "2-2", "2-3"]),
        ),
        ("[concat('a', 1, true, null())]", json!("a1True")),
        (
            "[concat(createArray(1), null(), createArray(2))]",
            json!([1, 2]),
        ),
    ]);
}

#[test]
fn contains_on_strings_objects_and_arrays() {
    check(&[
        ("[contains('OneTwoThree', 'e')]", json!(true)),
        ("[contains('OneTwoThree', 'z')]", json!(false)),
        ("[contains('OneTwoThree', 'one')]", json!(false)),
        (
            "[contains(createObject('one', 'a', 'two', 'b'), 'one')]",
            json!(true),
        ),
        (
            "[contains(createObject('one', 'a', 'two', 'b'), 'ONE')]",
            json!(true),
        ),
        (
            "[contains(createObject('one', 'a', 'two', 'b'), 'a')]",
            json!(false),
        ),
        ("[contains(parameters('arr'), 'three')]", json!(true)),
        ("[contains(parameters('arr'), 'four')]", json!(false)),
        ("[contains(parameters('arr'), 'THREE')]", json!(false)),
        ("[contains(createArray(1, 2), 2)]", json!(true)),
    ]);
}

#[test]
fn starts_and_ends_with_ignore_case() {
    check(&[
        ("[startsWith('abcdef', 'ab')]", json!(true)),
        ("[startsWith('abcdef', 'A')]", json!(true)),
        ("[startsWith('abcdef', 'e')]", json!(false)),
        ("[endsWith('abcdef', 'ef')]", json!(true)),
        ("[endsWith('abcdef', 'F')]", json!(true)),
        ("[endsWith('abcdef', 'e')]", json!(false)),
    ]);
}

#[test]
fn first_last_index_of() {
    check(&[
        ("[first(parameters('arr'))]", json!("one")),
        ("[first('One Two Three')]", json!("O")),
        ("[last(parameters('arr'))]", json!("three")),
        ("[last('One Two Three')]", json!("e")),
        ("[first('')]", json!("")),
        ("[first(createArray())]", json!(null)),
        ("[last('')]", json!("")),
        ("[indexOf('test', 't')]", json!(0)),
        ("[lastIndexOf('test', 't')]", json!(3)),
        ("[indexOf('abcdef', 'CD')]", json!(2)),
        ("[lastIndexOf('abcdef', 'AB')]", json!(0)),
        ("[indexOf('abcdef', 'z')]", json!(-1)),
        ("[indexOf('ééx', 'X')]", json!(2)),
        ("[indexOf(parameters('arr'), 'two')]", json!(1)),
        ("[lastIndexOf(createArray(1, 2, 1), 1)]", json!(2)),
        ("[indexOf(parameters('arr'), 'TWO')]", json!(-1)),
    ]);
}

#[test]
fn length_of_strings_arrays_objects() {
    check(&[
        ("[length(parameters('arr'))]", json!(3)),
        ("[length('One Two Three')]", json!(13)),
        ("[length(json('{\"propA\": \"one\", \"propB\": \"two\", \"propC\": \"three\", \"propD\": {\"propD-1\": \"sub\", \"propD-2\": \"sub\"}}'))]", json!(4)),
        ("[length('é😀')]", json!(2)),
    ]);
}

#[test]
fn pad_replace_split_trim_case() {
    check(&[
        ("[padLeft('123', 10, '0')]", json!("0000000123")),
        ("[padLeft(7, 3, '0')]", json!("007")),
        ("[padLeft('abc', 2)]", json!("abc")),
        ("[padLeft('x', 3)]", json!("  x")),
        ("[replace('123-123-1234', '-', '')]", json!("1231231234")),
        (
            "[replace('123-123-1234', '1234', 'xxxx')]",
            json!("123-123-xxxx"),
        ),
        (
            "[split('one,two,three', ',')]",
            json!(["one", "two", "three"]),
        ),
        (
            "[split('one;two,three', createArray(',', ';'))]",
            json!(["one", "two", "three"]),
        ),
        ("[split('a,,b', ',')]", json!(["a", "", "b"])),
        ("[split('', ',')]", json!([""])),
        ("[trim('    one two three   ')]", json!("one two three")),
        ("[toLower('One Two Three')]", json!("one two three")),
        ("[toUpper('One Two Three')]", json!("ONE TWO THREE")),
    ]);
    assert_err("[padLeft('1', 3, 'ab')]", ExprErrorCode::Evaluation, 17);
    assert_err("[replace('abc', '', 'x')]", ExprErrorCode::Evaluation, 16);
}

#[test]
fn substring_take_skip() {
    check(&[
        ("[substring('one two three', 4, 3)]", json!("two")),
        ("[substring('one two three', 4)]", json!("two three")),
        ("[substring('abc', 3, 0)]", json!("")),
        ("[take(parameters('arr'), 2)]", json!(["one", "two"])),
        ("[take('one two three', 2)]", json!("on")),
        ("[take('abc', -1)]", json!("")),
        (
            "[take(parameters('arr'), 10)]",
            json!(["one", "two", "three"]),
        ),
        ("[skip(parameters('arr'), 2)]", json!(["three"])),
        ("[skip('one two three', 4)]", json!("two three")),
        ("[skip('abc', -5)]", json!("abc")),
        ("[skip('abc', 5)]", json!("")),
        ("[skip(parameters('arr'), 9)]", json!([])),
    ]);
    let e = err("[substring('1234567890', 0, 11)]");
    assert_eq!((e.code, e.offset), (ExprErrorCode::Evaluation, 1));
    assert!(
        e.message.contains("index 0, length 11, string length 10"),
        "{}",
        e.message
    );
    assert_err("[substring('abc', -1, 1)]", ExprErrorCode::Evaluation, 1);
    assert_err("[substring('abc', 1, -1)]", ExprErrorCode::Evaluation, 1);
}

#[test]
fn string_conversion() {
    check(&[
        (
            "[string(json('{\"valueA\": 10, \"valueB\": \"Example Text\"}'))]",
            json!("{\"valueA\":10,\"valueB\":\"Example Text\"}"),
        ),
        (
            "[string(createArray('a', 'b', 'c'))]",
            json!("[\"a\",\"b\",\"c\"]"),
        ),
        ("[string(5)]", json!("5")),
        ("[string(true)]", json!("True")),
        ("[string(createArray(true))]", json!("[true]")),
        ("[string('x')]", json!("x")),
    ]);
}

#[test]
fn join_elements() {
    check(&[
        ("[join(createArray('a', 'b', 'c'), ',')]", json!("a,b,c")),
        ("[join(createArray(), '-')]", json!("")),
        ("[join(createArray('a', 1), '-')]", json!("a-1")),
    ]);
    assert_err(
        "[join(createArray(createArray()), ',')]",
        ExprErrorCode::ArgumentType,
        6,
    );
}
