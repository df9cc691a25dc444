//! MODEL: reading fields from evaluated JSON the way Azure's JSON varies.
//!
//! Templates nest values under `properties`; az CLI output flattens them into the resource;
//! key casing differs between sources (`privateIPAddress` vs `privateIpAddress`). These helpers
//! look keys up exactly first, then case-insensitively, and turn unknown markers into
//! [`Decided::Unknown`].

use serde_json::Value;

use super::types::Decided;
use crate::arm::unknown::unknown_reason;

/// `value[key]`, exact match first, then ASCII case-insensitive.
pub fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The resource's properties: nested `properties`, or the resource itself when flattened.
pub fn props(value: &Value) -> &Value {
    match get_ci(value, "properties") {
        Some(p) if p.is_object() => p,
        _ => value,
    }
}

/// A string field: None when absent or null; numbers and booleans are stringified.
pub fn text(value: &Value, key: &str) -> Option<Decided<String>> {
    decided_text(get_ci(value, key)?)
}

/// A value as a decided string (None for null).
pub fn decided_text(value: &Value) -> Option<Decided<String>> {
    if let Some(reason) = unknown_reason(value) {
        return Some(Decided::Unknown(reason.to_owned()));
    }
    match value {
        Value::Null => None,
        Value::String(s) => Some(Decided::Known(s.clone())),
        Value::Number(n) => Some(Decided::Known(n.to_string())),
        Value::Bool(b) => Some(Decided::Known(b.to_string())),
        other => Some(Decided::Known(other.to_string())),
    }
}

/// The `id` of a sub-resource reference `{ "id": ... }` under `key` (or a bare id string).
pub fn reference_id(value: &Value, key: &str) -> Option<Decided<String>> {
    let field = get_ci(value, key)?;
    match field {
        Value::Object(_) if unknown_reason(field).is_none() => decided_text(get_ci(field, "id")?),
        other => decided_text(other),
    }
}

/// The elements of an array field (empty when absent or not an array).
pub fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    get_ci(value, key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Known ids of an array of `{ "id": ... }` references, lower-cased.
pub fn reference_keys(value: &Value, key: &str) -> Vec<String> {
    items(value, key)
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(s.as_str()),
            other => get_ci(other, "id").and_then(Value::as_str),
        })
        .map(super::types::key)
        .collect()
}

/// The string items of a field that may be a string or an array of strings, as decided values.
pub fn string_list(value: &Value, key: &str) -> Option<Decided<Vec<String>>> {
    let field = get_ci(value, key)?;
    if let Some(reason) = unknown_reason(field) {
        return Some(Decided::Unknown(reason.to_owned()));
    }
    match field {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(Decided::Known(vec![s.clone()])),
        Value::Array(list) if list.is_empty() => None,
        Value::Array(list) => {
            let mut out = Vec::with_capacity(list.len());
            for item in list {
                match decided_text(item) {
                    Some(Decided::Known(s)) => out.push(s),
                    Some(Decided::Unknown(r)) => return Some(Decided::Unknown(r)),
                    None => {}
                }
            }
            Some(Decided::Known(out))
        }
        other => Some(Decided::Known(vec![other.to_string()])),
    }
}

/// The parent id of a child resource id (`.../nsg/securityRules/r` -> `.../nsg`).
pub fn parent_key(id: &str) -> String {
    let k = super::types::key(id);
    let mut parts: Vec<&str> = k.split('/').collect();
    parts.truncate(parts.len().saturating_sub(2));
    parts.join("/")
}

/// The last segment of an id.
pub fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
