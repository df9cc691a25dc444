//! Array and set functions: `array`, `createArray`, `union`, `intersection`, `flatten`.
//!
//! `union` and `intersection` work on arrays (order-preserving, duplicates dropped by deep
//! equality, in linear time through canonical keys) or on objects (`union` merges nested
//! objects recursively, later arguments winning, as Microsoft documents).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::super::args::Args;
use super::super::value::{canonical_key, deep_equal, find_key, lookup};
use super::super::{ExprError, MAX_VALUE_DEPTH};
use crate::arm::unknown::{first_unknown_inside, is_unknown, unknown};

/// `array(value)`: an array stays as it is; anything else becomes a one-element array.
pub(crate) fn array(args: &Args) -> Result<Value, ExprError> {
    Ok(match args.get(0) {
        Value::Array(items) => Value::Array(items.clone()),
        other => Value::Array(vec![other.clone()]),
    })
}

/// `createArray(...)`: unknown arguments stay inside the array.
pub(crate) fn create_array(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Array(args.values.clone()))
}

/// `union(a, b, ...)` of arrays or of objects (null arguments are skipped).
pub(crate) fn union(args: &Args) -> Result<Value, ExprError> {
    match args.values.iter().find(|v| !v.is_null()) {
        Some(Value::Array(_)) => union_arrays(args),
        Some(Value::Object(_)) => {
            let mut merged = Map::new();
            for i in 0..args.len() {
                match args.get(i) {
                    Value::Null => {}
                    Value::Object(map) => merge_into(&mut merged, map, 0),
                    _ => return Err(args.type_error(i, "an object, like the first argument")),
                }
            }
            Ok(Value::Object(merged))
        }
        Some(_) => Err(args.type_error(0, "an array or an object")),
        None => Ok(Value::Null),
    }
}

fn union_arrays(args: &Args) -> Result<Value, ExprError> {
    if let Some(reason) = args.values.iter().find_map(|v| first_unknown_inside(v)) {
        return Ok(unknown(reason));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for i in 0..args.len() {
        let items = match args.get(i) {
            Value::Null => continue,
            Value::Array(items) => items,
            _ => return Err(args.type_error(i, "an array, like the first argument")),
        };
        for item in items {
            if seen.insert(canonical_key(item)) {
                out.push(item.clone());
                args.check_array_len(out.len())?;
            }
        }
    }
    Ok(Value::Array(out))
}

/// Merges `from` into `into`: nested objects recursively, everything else replaced. Keys match
/// case-insensitively (ARM objects are case-insensitive); the first spelling is kept.
fn merge_into(into: &mut Map<String, Value>, from: &Map<String, Value>, depth: usize) {
    for (key, value) in from {
        let existing = find_key(into, key);
        let slot = existing.and_then(|k| into.get_mut(&k));
        match (slot, value) {
            (Some(Value::Object(old)), Value::Object(new))
                if depth < MAX_VALUE_DEPTH && !is_unknown(value) && !is_unknown_map(old) =>
            {
                merge_into(old, new, depth + 1);
            }
            (Some(slot), _) => *slot = value.clone(),
            (None, _) => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

fn is_unknown_map(map: &Map<String, Value>) -> bool {
    map.len() == 1 && is_unknown(&Value::Object(map.clone()))
}

/// `intersection(a, b, ...)` of arrays or of objects.
pub(crate) fn intersection(args: &Args) -> Result<Value, ExprError> {
    match args.get(0) {
        Value::Array(first) => {
            let mut others = Vec::new();
            for i in 1..args.len() {
                let items = args.array(i)?;
                others.push(items.iter().map(canonical_key).collect::<HashSet<_>>());
            }
            let mut seen = HashSet::new();
            let out = first
                .iter()
                .filter(|item| {
                    let key = canonical_key(item);
                    others.iter().all(|set| set.contains(&key)) && seen.insert(key)
                })
                .cloned()
                .collect();
            Ok(Value::Array(out))
        }
        Value::Object(first) => {
            let mut others = Vec::new();
            for i in 1..args.len() {
                others.push(args.object(i)?);
            }
            let out = first
                .iter()
                .filter(|(key, value)| {
                    others
                        .iter()
                        .all(|map| lookup(map, key).is_some_and(|v| deep_equal(v, value)))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(Value::Object(out))
        }
        _ => Err(args.type_error(0, "an array or an object")),
    }
}

/// `flatten(arrayOfArrays)`: one level of nesting removed.
pub(crate) fn flatten(args: &Args) -> Result<Value, ExprError> {
    let mut out = Vec::new();
    for item in args.array(0)? {
        match item {
            Value::Array(inner) => {
                args.check_array_len(out.len().saturating_add(inner.len()))?;
                out.extend(inner.iter().cloned());
            }
            other if is_unknown(other) => return Ok(other.clone()),
            _ => return Err(args.type_error(0, "an array of arrays")),
        }
    }
    Ok(Value::Array(out))
}
