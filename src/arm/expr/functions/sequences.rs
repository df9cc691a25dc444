//! Functions that work on strings and arrays alike (and objects where ARM says so): `concat`,
//! `length`, `empty`, `contains`, `first`, `last`, `take`, `skip`, `indexOf`, `lastIndexOf`.
//!
//! Strings are handled as sequences of Unicode characters. .NET counts UTF-16 code units, so
//! positions differ from Azure's only for characters outside the Basic Multilingual Plane.
//! Searches run in linear time (no quadratic scans on hostile input).

use serde_json::Value;

use super::super::args::Args;
use super::super::value::{deep_equal, fold, lookup};
use super::super::ExprError;
use crate::arm::unknown::{first_unknown_inside, missing_runtime_property, unknown};

/// `concat(...)`: strings (integers and bools are written out, null is empty) or arrays.
pub(crate) fn concat(args: &Args) -> Result<Value, ExprError> {
    let arrays = args
        .values
        .iter()
        .find(|v| !v.is_null())
        .is_some_and(Value::is_array);
    if arrays {
        let mut out = Vec::new();
        for i in 0..args.len() {
            match args.get(i) {
                Value::Null => {}
                Value::Array(items) => {
                    args.check_array_len(out.len().saturating_add(items.len()))?;
                    out.extend(items.iter().cloned());
                }
                _ => return Err(args.type_error(i, "an array, like the first argument")),
            }
        }
        return Ok(Value::Array(out));
    }
    let mut out = String::new();
    for i in 0..args.len() {
        let piece = args.text(i)?;
        args.check_string_len(out.len().saturating_add(piece.len()))?;
        out.push_str(&piece);
    }
    Ok(Value::String(out))
}

/// `length(value)`: characters of a string, elements of an array, properties of an object.
pub(crate) fn length(args: &Args) -> Result<Value, ExprError> {
    let n = match args.get(0) {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => return Err(args.type_error(0, "a string, array or object")),
    };
    Ok(Value::from(n))
}

/// `empty(value)`: null, `""`, `[]` and `{}` are empty.
pub(crate) fn empty(args: &Args) -> Result<Value, ExprError> {
    let is_empty = match args.get(0) {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => return Err(args.type_error(0, "a string, array or object")),
    };
    Ok(Value::Bool(is_empty))
}

/// `contains(container, item)`: substring (case-sensitive), array element, object key
/// (case-insensitive). Unknown values nested in the container only matter when they could be
/// the item searched for.
pub(crate) fn contains(args: &Args) -> Result<Value, ExprError> {
    if let Some(reason) = first_unknown_inside(args.get(1)) {
        return Ok(unknown(reason));
    }
    let found = match args.get(0) {
        Value::String(s) => s.contains(args.text(1)?.as_str()),
        Value::Object(map) => {
            let key = args.text(1)?;
            if lookup(map, &key).is_some() {
                return Ok(Value::Bool(true));
            }
            if let Some(runtime) = missing_runtime_property(map, &key) {
                return Ok(runtime);
            }
            false
        }
        Value::Array(items) => {
            if items.iter().any(|item| deep_equal(item, args.get(1))) {
                return Ok(Value::Bool(true));
            }
            if let Some(reason) = items.iter().find_map(first_unknown_inside) {
                return Ok(unknown(reason));
            }
            false
        }
        _ => return Err(args.type_error(0, "a string, array or object")),
    };
    Ok(Value::Bool(found))
}

/// `first(value)`: first character or element; `""` or null when empty.
pub(crate) fn first(args: &Args) -> Result<Value, ExprError> {
    match args.get(0) {
        Value::String(s) => Ok(Value::String(
            s.chars().next().map(String::from).unwrap_or_default(),
        )),
        Value::Array(items) => Ok(items.first().cloned().unwrap_or(Value::Null)),
        _ => Err(args.type_error(0, "a string or array")),
    }
}

/// `last(value)`: last character or element; `""` or null when empty.
pub(crate) fn last(args: &Args) -> Result<Value, ExprError> {
    match args.get(0) {
        Value::String(s) => Ok(Value::String(
            s.chars().last().map(String::from).unwrap_or_default(),
        )),
        Value::Array(items) => Ok(items.last().cloned().unwrap_or(Value::Null)),
        _ => Err(args.type_error(0, "a string or array")),
    }
}

/// `take(value, count)`: the first `count` characters or elements (clamped to 0..=length).
pub(crate) fn take(args: &Args) -> Result<Value, ExprError> {
    let count = clamp_count(args.int(1)?);
    match args.get(0) {
        Value::String(s) => Ok(Value::String(s.chars().take(count).collect())),
        Value::Array(items) => Ok(Value::Array(items.iter().take(count).cloned().collect())),
        _ => Err(args.type_error(0, "a string or array")),
    }
}

/// `skip(value, count)`: all but the first `count` characters or elements.
pub(crate) fn skip(args: &Args) -> Result<Value, ExprError> {
    let count = clamp_count(args.int(1)?);
    match args.get(0) {
        Value::String(s) => Ok(Value::String(s.chars().skip(count).collect())),
        Value::Array(items) => Ok(Value::Array(items.iter().skip(count).cloned().collect())),
        _ => Err(args.type_error(0, "a string or array")),
    }
}

fn clamp_count(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

/// `indexOf(string, find)` (case-insensitive) or `indexOf(array, item)`; -1 when absent.
pub(crate) fn index_of(args: &Args) -> Result<Value, ExprError> {
    position(args, false)
}

/// `lastIndexOf(string, find)` (case-insensitive) or `lastIndexOf(array, item)`.
pub(crate) fn last_index_of(args: &Args) -> Result<Value, ExprError> {
    position(args, true)
}

fn position(args: &Args, from_end: bool) -> Result<Value, ExprError> {
    let found = match args.get(0) {
        Value::Array(items) => {
            let item = args.get(1);
            if from_end {
                items.iter().rposition(|v| deep_equal(v, item))
            } else {
                items.iter().position(|v| deep_equal(v, item))
            }
        }
        Value::String(s) => {
            let (haystack, needle) = (fold(s), fold(args.string(1)?));
            let byte = if from_end {
                haystack.rfind(&needle)
            } else {
                haystack.find(&needle)
            };
            byte.map(|b| haystack.get(..b).map_or(0, |p| p.chars().count()))
        }
        _ => return Err(args.type_error(0, "a string or array")),
    };
    Ok(found.map_or(Value::from(-1), Value::from))
}
