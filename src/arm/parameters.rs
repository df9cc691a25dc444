//! ARM: parameter values from a parameters file, and whether that file fits its template.
//!
//! A parameters file that sets a name the template does not declare, leaves out a parameter
//! the template requires, gives a value of the wrong type or one outside `allowedValues` is a
//! `parameters-mismatch` warning located in the parameters file; the scan goes on with what
//! matches. This module never evaluates expressions.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::problems::{to_input_problem, PendingProblem};
use crate::diagnostic::{InputProblem, ProblemCode};
use crate::load::Document;
use crate::source::escape_pointer_token;

/// `{"parameters": {"x": {"value": ..}}}` or the bare `{"x": {"value": ..}}` form.
pub(crate) fn values(json: &Value) -> HashMap<String, Value> {
    entries(json)
        .map(|(_, m)| {
            m.iter()
                .filter(|(k, _)| is_parameter_name(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The entries of a parameters document, with the pointer of the object holding them.
fn entries(json: &Value) -> Option<(&'static str, &Map<String, Value>)> {
    match json.get("parameters").and_then(Value::as_object) {
        Some(map) => Some(("/parameters", map)),
        None => json.as_object().map(|map| ("", map)),
    }
}

fn is_parameter_name(key: &str) -> bool {
    !key.starts_with('$') && key != "contentVersion"
}

/// Every way `params` does not match the parameters `template` declares (its `parameters`
/// section, `declared`).
pub(crate) fn mismatches(
    template: &Document,
    declared: Option<&Value>,
    params: &Document,
) -> Vec<InputProblem> {
    let Some((base, given)) = entries(&params.json) else {
        return Vec::new();
    };
    let declared: HashMap<String, (&String, &Value)> = declared
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), (k, v)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut report = |pointer: String, message: String| {
        out.push(to_input_problem(
            params,
            PendingProblem::at(&pointer, ProblemCode::ParametersMismatch, message),
        ));
    };
    let tname = &template.display;
    for (name, entry) in given.iter().filter(|(k, _)| is_parameter_name(k)) {
        let pointer = format!("{base}/{}", escape_pointer_token(name));
        let Some((_, decl)) = declared.get(&name.to_ascii_lowercase()) else {
            report(
                pointer,
                format!("the parameters file sets '{name}', which {tname} does not declare"),
            );
            continue;
        };
        let Some(value) = entry.get("value") else {
            if entry.get("reference").is_none() {
                report(
                    pointer,
                    format!("the entry for '{name}' has neither `value` nor `reference`"),
                );
            }
            continue;
        };
        let value_pointer = format!("{pointer}/value");
        let ty = decl.get("type").and_then(Value::as_str).unwrap_or("");
        if !type_matches(ty, value) {
            report(
                value_pointer,
                format!(
                    "'{name}' is declared as {ty} in {tname}, but the parameters file gives {}",
                    kind(value)
                ),
            );
        } else if let Some(allowed) = decl.get("allowedValues").and_then(Value::as_array) {
            if !allowed.iter().any(|a| same_value(a, value)) {
                report(
                    value_pointer,
                    format!("the value of '{name}' is not one of its allowedValues in {tname}"),
                );
            }
        }
    }
    let mut required: Vec<&String> = declared
        .values()
        .filter(|(_, decl)| decl.get("defaultValue").is_none())
        .map(|(name, _)| *name)
        .filter(|name| !given.keys().any(|k| k.eq_ignore_ascii_case(name)))
        .collect();
    required.sort();
    for name in required {
        report(
            base.to_owned(),
            format!("the parameters file does not set '{name}', which {tname} requires (it has no defaultValue); its value is unknown"),
        );
    }
    out
}

/// Whether `value` fits ARM parameter type `ty` (lenient where ARM converts: numbers and
/// booleans written as strings, null for anything).
fn type_matches(ty: &str, value: &Value) -> bool {
    if value.is_null() {
        return true;
    }
    match ty.to_ascii_lowercase().as_str() {
        "string" | "securestring" => value.is_string(),
        "int" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_str()
                    .is_some_and(|s| s.trim().parse::<i64>().is_ok())
        }
        "bool" => {
            value.is_boolean()
                || value.as_str().is_some_and(|s| {
                    s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
                })
        }
        "object" | "secureobject" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    }
}

fn same_value(allowed: &Value, value: &Value) -> bool {
    match (allowed, value) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
