//! Numeric functions on ARM's 64-bit integers: `add`, `sub`, `mul`, `div`, `mod`, `min`, `max`,
//! `int`, `float`, `range`.
//!
//! Arithmetic is checked: overflow and division by zero are evaluation errors, never wrapped or
//! panicking. `div` truncates toward zero and `mod` keeps the dividend's sign, as in .NET.

use serde_json::{Number, Value};

use super::super::args::Args;
use super::super::value::{as_int, integral_f64};
use super::super::{ExprError, MAX_RANGE_COUNT};

/// `add(a, b)`.
pub(crate) fn add(args: &Args) -> Result<Value, ExprError> {
    arithmetic(args, i64::checked_add)
}

/// `sub(a, b)`.
pub(crate) fn sub(args: &Args) -> Result<Value, ExprError> {
    arithmetic(args, i64::checked_sub)
}

/// `mul(a, b)`.
pub(crate) fn mul(args: &Args) -> Result<Value, ExprError> {
    arithmetic(args, i64::checked_mul)
}

/// `div(a, b)`: integer division.
pub(crate) fn div(args: &Args) -> Result<Value, ExprError> {
    if args.int(1)? == 0 {
        return Err(args.eval_error(1, "division by zero"));
    }
    arithmetic(args, i64::checked_div)
}

/// `mod(a, b)`: remainder of integer division.
pub(crate) fn modulo(args: &Args) -> Result<Value, ExprError> {
    if args.int(1)? == 0 {
        return Err(args.eval_error(1, "division by zero"));
    }
    arithmetic(args, i64::checked_rem)
}

fn arithmetic(args: &Args, op: fn(i64, i64) -> Option<i64>) -> Result<Value, ExprError> {
    let (a, b) = (args.int(0)?, args.int(1)?);
    op(a, b)
        .map(Value::from)
        .ok_or_else(|| args.call_error(format!("{a} and {b} overflow a 64-bit integer")))
}

/// `min(array)` or `min(a, b, ...)`.
pub(crate) fn min(args: &Args) -> Result<Value, ExprError> {
    extreme(args, |a, b| a < b)
}

/// `max(array)` or `max(a, b, ...)`.
pub(crate) fn max(args: &Args) -> Result<Value, ExprError> {
    extreme(args, |a, b| a > b)
}

fn extreme(args: &Args, better: fn(i64, i64) -> bool) -> Result<Value, ExprError> {
    let mut best: Option<i64> = None;
    let mut consider = |n: i64| {
        if best.is_none_or(|b| better(n, b)) {
            best = Some(n);
        }
    };
    if let [Value::Array(items)] = args.values.as_slice() {
        for item in items {
            consider(as_int(item).ok_or_else(|| args.type_error(0, "an array of integers"))?);
        }
    } else {
        for i in 0..args.len() {
            consider(args.int(i)?);
        }
    }
    best.map(Value::from)
        .ok_or_else(|| args.eval_error(0, "the array is empty"))
}

/// `int(value)`: from an integer or a decimal string (surrounding spaces allowed).
pub(crate) fn int(args: &Args) -> Result<Value, ExprError> {
    match args.get(0) {
        Value::String(s) => s
            .trim()
            .trim_start_matches('+')
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| args.eval_error(0, format!("'{s}' is not an integer"))),
        Value::Number(n) => match as_int(args.get(0)) {
            Some(i) => Ok(Value::from(i)),
            None => round_half_even(n.as_f64().unwrap_or(0.0))
                .map(Value::from)
                .ok_or_else(|| args.eval_error(0, format!("{n} does not fit an integer"))),
        },
        _ => Err(args.type_error(0, "a string or a number")),
    }
}

/// .NET `Convert.ToInt64(double)`: rounds to the nearest integer, ties to even.
fn round_half_even(f: f64) -> Option<i64> {
    let floor = f.floor();
    let diff = f - floor;
    let rounded = if diff > 0.5 || (diff == 0.5 && floor % 2.0 != 0.0) {
        floor + 1.0
    } else {
        floor
    };
    integral_f64(rounded)
}

/// `float(value)`: from a number or a decimal string.
pub(crate) fn float(args: &Args) -> Result<Value, ExprError> {
    let f = match args.get(0) {
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| args.eval_error(0, format!("'{s}' is not a number")))?,
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        _ => return Err(args.type_error(0, "a string or a number")),
    };
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| args.eval_error(0, "the value is not a finite number"))
}

/// `range(startIndex, count)`.
pub(crate) fn range(args: &Args) -> Result<Value, ExprError> {
    let (start, count) = (args.int(0)?, args.int(1)?);
    if count < 0 {
        return Err(args.eval_error(1, format!("count {count} is negative")));
    }
    if count > MAX_RANGE_COUNT {
        return Err(args.too_large(format!(
            "{count} integers; ARM allows at most {MAX_RANGE_COUNT}"
        )));
    }
    if start
        .checked_add(count)
        .is_none_or(|end| end > i64::from(i32::MAX))
    {
        return Err(args.eval_error(
            0,
            "the sum of startIndex and count must be no greater than 2147483647",
        ));
    }
    Ok(Value::Array(
        (start..start + count).map(Value::from).collect(),
    ))
}
