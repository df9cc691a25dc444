//! JSON value helpers with ARM semantics: type names for messages, case-insensitive property
//! lookup, deep equality, .NET-like string comparison and conversion, canonical keys for
//! de-duplication, and the size/depth measure behind the evaluation limits.
//!
//! Every recursion here is bounded by [`MAX_VALUE_DEPTH`]; values deeper than that are refused
//! by [`measure`] before any other helper sees them.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::MAX_VALUE_DEPTH;
use crate::arm::unknown::is_unknown;

/// ARM's name for the type of `value`, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) if is_unknown(value) => "unknown",
        Value::Object(_) => "object",
    }
}

/// The integer in `value`, if it is one (an integral float counts, as in ARM's JSON).
pub(crate) fn as_int(value: &Value) -> Option<i64> {
    let n = match value {
        Value::Number(n) => n,
        _ => return None,
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    integral_f64(n.as_f64()?)
}

/// `f` as an integer when it is integral and within the 64-bit range.
pub(crate) fn integral_f64(f: f64) -> Option<i64> {
    let limit = -(i64::MIN as f64);
    (f.fract() == 0.0 && (-limit..limit).contains(&f)).then_some(f as i64)
}

/// Looks `name` up in `map` the way ARM does: exact match first, then case-insensitively.
pub(crate) fn lookup<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(v) = map.get(name) {
        return Some(v);
    }
    let folded = fold(name);
    map.iter().find(|(k, _)| fold(k) == folded).map(|(_, v)| v)
}

/// The key in `map` that matches `name` case-insensitively.
pub(crate) fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    let folded = fold(name);
    map.keys().find(|k| fold(k) == folded).cloned()
}

/// Lower-cases char by char, keeping one char per char so char indices stay aligned.
pub(crate) fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Deep equality as ARM's `equals`: strings case-sensitive, numbers by value, objects by key
/// set (order-insensitive), arrays element by element.
pub(crate) fn deep_equal(a: &Value, b: &Value) -> bool {
    equal_at(a, b, 0)
}

fn equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal_at(p, q, depth + 1))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal_at(v, w, depth + 1)))
        }
        _ => a == b,
    }
}

fn numbers_equal(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64()) {
        (Some(p), Some(q)) => p == q,
        _ => x.as_f64() == y.as_f64() && x.as_f64().is_some(),
    }
}

/// Compares strings like .NET's invariant culture does for ASCII text: alphabetical ignoring
/// case first, then lower case before upper case (so `greater('A', 'a')` is true, as the ARM
/// documentation shows).
pub(crate) fn compare_strings(a: &str, b: &str) -> Ordering {
    let folded = a.chars().map(fold_char).cmp(b.chars().map(fold_char));
    if folded != Ordering::Equal {
        return folded;
    }
    for (x, y) in a.chars().zip(b.chars()) {
        if x != y {
            return if x.is_lowercase() {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
    }
    Ordering::Equal
}

/// ARM's `string()` of a value: strings unchanged, `True`/`False`, integers in decimal, null as
/// the empty string, arrays and objects as compact JSON.
pub(crate) fn to_arm_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => {
            let mut out = String::new();
            write_json(value, &mut out, 0, false);
            out
        }
    }
}

/// A string that is equal for deep-equal values (object keys sorted, integral numbers as
/// integers), for linear-time de-duplication in `union` and `intersection`.
pub(crate) fn canonical_key(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out, 0, true);
    out
}

fn write_json(value: &Value, out: &mut String, depth: usize, canonical: bool) {
    if depth > MAX_VALUE_DEPTH {
        out.push_str("null");
        return;
    }
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out, depth + 1, canonical);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if canonical {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_json(item, out, depth + 1, canonical);
            }
            out.push('}');
        }
        Value::Number(n) if canonical => match as_int(value) {
            Some(i) => out.push_str(&i.to_string()),
            None => out.push_str(&n.to_string()),
        },
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Size of a value for the evaluation budget: string and key bytes plus one per node.
/// `Err(true)` when deeper than [`MAX_VALUE_DEPTH`], `Err(false)` when heavier than `limit`.
pub(crate) fn measure(value: &Value, limit: usize) -> Result<usize, bool> {
    let mut total = 0usize;
    measure_at(value, 0, limit, &mut total)?;
    Ok(total)
}

fn measure_at(value: &Value, depth: usize, limit: usize, total: &mut usize) -> Result<(), bool> {
    if depth > MAX_VALUE_DEPTH {
        return Err(true);
    }
    *total = total.saturating_add(1);
    match value {
        Value::String(s) => *total = total.saturating_add(s.len()),
        Value::Array(items) => {
            for item in items {
                measure_at(item, depth + 1, limit, total)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                *total = total.saturating_add(key.len());
                measure_at(item, depth + 1, limit, total)?;
            }
        }
        _ => {}
    }
    if *total > limit {
        return Err(false);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invariant_comparison_puts_lower_case_first() {
        assert_eq!(compare_strings("A", "a"), Ordering::Greater);
        assert_eq!(compare_strings("a", "B"), Ordering::Less);
        assert_eq!(compare_strings("abc", "abc"), Ordering::Equal);
        assert_eq!(compare_strings("ab", "abc"), Ordering::Less);
    }

    #[test]
    fn deep_equality_ignores_key_order_and_number_form() {
        assert!(deep_equal(
            &json!({"a": 1, "b": [1.0]}),
            &json!({"b": [1], "a": 1})
        ));
        assert!(!deep_equal(&json!("a"), &json!("A")));
        assert_eq!(
            canonical_key(&json!({"b": 1.0, "a": "x"})),
            canonical_key(&json!({"a": "x", "b": 1}))
        );
    }

    #[test]
    fn measure_refuses_deep_and_heavy_values() {
        let mut deep = json!(1);
        for _ in 0..(MAX_VALUE_DEPTH + 2) {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(measure(&deep, usize::MAX), Err(true));
        assert_eq!(measure(&json!("abcdef"), 3), Err(false));
        assert_eq!(measure(&json!({"ab": "cd"}), 100), Ok(6));
    }

    #[test]
    fn arm_string_conversion() {
        assert_eq!(to_arm_string(&json!(true)), "True");
        assert_eq!(
            to_arm_string(&json!({"valueA": 10, "valueB": "Example Text"})),
            "{\"valueA\":10,\"valueB\":\"Example Text\"}"
        );
        assert_eq!(to_arm_string(&Value::Null), "");
    }
}
