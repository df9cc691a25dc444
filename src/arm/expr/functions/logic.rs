//! Logical and comparison functions: `not`, `bool`, `true`, `false`, `equals`, `greater`,
//! `greaterOrEquals`, `less`, `lessOrEquals`. (`if`, `and`, `or` and `coalesce` are lazy and
//! live in the evaluator.)
//!
//! `equals` compares deeply and case-sensitively; ordering of strings follows .NET's invariant
//! culture as far as ARM's documented examples show (`greater('A', 'a')` is true).

use std::cmp::Ordering;

use serde_json::Value;

use super::super::args::Args;
use super::super::value::{as_int, compare_strings, deep_equal};
use super::super::ExprError;

/// `not(bool)`.
pub(crate) fn not(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(!args.bool(0)?))
}

/// `bool(value)`: `'true'`/`'false'` (any case), integers (0 is false), bools.
pub(crate) fn bool(args: &Args) -> Result<Value, ExprError> {
    match args.get(0) {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(args.eval_error(0, format!("'{s}' is not 'true' or 'false'"))),
        },
        v => match as_int(v) {
            Some(n) => Ok(Value::Bool(n != 0)),
            None => Err(args.type_error(0, "a string or an integer")),
        },
    }
}

/// `true()`.
pub(crate) fn true_value(_args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(true))
}

/// `false()`.
pub(crate) fn false_value(_args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(false))
}

/// `equals(a, b)`.
pub(crate) fn equals(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(deep_equal(args.get(0), args.get(1))))
}

/// `greater(a, b)`.
pub(crate) fn greater(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(order(args)? == Ordering::Greater))
}

/// `greaterOrEquals(a, b)`.
pub(crate) fn greater_or_equals(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(order(args)? != Ordering::Less))
}

/// `less(a, b)`.
pub(crate) fn less(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(order(args)? == Ordering::Less))
}

/// `lessOrEquals(a, b)`.
pub(crate) fn less_or_equals(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Bool(order(args)? != Ordering::Greater))
}

/// Orders two integers (or numbers) or two strings; other pairs are type errors.
fn order(args: &Args) -> Result<Ordering, ExprError> {
    match (args.get(0), args.get(1)) {
        (Value::String(a), Value::String(b)) => Ok(compare_strings(a, b)),
        (Value::String(_), _) => Err(args.type_error(1, "a string, like the first argument")),
        (Value::Number(a), Value::Number(b)) => match (as_int(args.get(0)), as_int(args.get(1))) {
            (Some(x), Some(y)) => Ok(x.cmp(&y)),
            _ => {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal))
            }
        },
        (Value::Number(_), _) => Err(args.type_error(1, "a number, like the first argument")),
        _ => Err(args.type_error(0, "an integer or a string")),
    }
}
