//! Object functions: `createObject`, `items`, `objectKeys`, `shallowMerge`, `tryGet`, `json`,
//! `null`.
//!
//! `createObject` keeps unknown values inside the object it builds (only an unknown *key*
//! makes the whole object unknown). `json` parses strictly; its nesting is bounded by
//! serde_json's recursion limit.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::super::args::{given, Args};
use super::super::value::{as_int, fold, lookup};
use super::super::ExprError;
use crate::arm::unknown::{is_unknown, missing_runtime_property};

/// `createObject(key1, value1, key2, value2, ...)`.
pub(crate) fn create_object(args: &Args) -> Result<Value, ExprError> {
    if args.len() % 2 != 0 {
        return Err(args.count_error(format!(
            "takes key/value pairs (an even number of arguments), but {}",
            given(args.len())
        )));
    }
    let mut map = Map::new();
    for pair in 0..args.len() / 2 {
        let key = args.get(2 * pair);
        if is_unknown(key) {
            return Ok(key.clone());
        }
        let key = args.string(2 * pair)?;
        map.insert(key.to_owned(), args.get(2 * pair + 1).clone());
    }
    Ok(Value::Object(map))
}

/// `items(object)`: `[{"key": k, "value": v}, ...]` sorted by key (case-insensitively, then
/// ordinally), as Microsoft's example shows.
pub(crate) fn items(args: &Args) -> Result<Value, ExprError> {
    let mut entries: Vec<(&String, &Value)> = args.object(0)?.iter().collect();
    entries.sort_by(|a, b| key_order(a.0, b.0));
    Ok(Value::Array(
        entries
            .into_iter()
            .map(|(k, v)| {
                let mut item = Map::new();
                item.insert("key".to_owned(), Value::String(k.clone()));
                item.insert("value".to_owned(), v.clone());
                Value::Object(item)
            })
            .collect(),
    ))
}

fn key_order(a: &str, b: &str) -> Ordering {
    fold(a).cmp(&fold(b)).then_with(|| a.cmp(b))
}

/// `objectKeys(object)`: the keys, in the object's order.
pub(crate) fn object_keys(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Array(
        args.object(0)?
            .keys()
            .map(|k| Value::String(k.clone()))
            .collect(),
    ))
}

/// `shallowMerge(arrayOfObjects)`: top-level properties, later objects winning.
pub(crate) fn shallow_merge(args: &Args) -> Result<Value, ExprError> {
    let mut merged = Map::new();
    for item in args.array(0)? {
        match item {
            Value::Object(_) if is_unknown(item) => return Ok(item.clone()),
            Value::Object(map) => {
                for (k, v) in map {
                    merged.insert(k.clone(), v.clone());
                }
            }
            _ => return Err(args.type_error(0, "an array of objects")),
        }
    }
    Ok(Value::Object(merged))
}

/// `tryGet(value, keyOrIndex, ...)`: the nested value, or null when any step is missing.
pub(crate) fn try_get(args: &Args) -> Result<Value, ExprError> {
    let mut current = args.get(0);
    for i in 1..args.len() {
        if is_unknown(current) {
            return Ok(current.clone());
        }
        let step = match (current, args.get(i)) {
            (Value::Object(map), Value::String(key)) => match lookup(map, key) {
                Some(found) => Some(found),
                None => return Ok(missing_runtime_property(map, key).unwrap_or(Value::Null)),
            },
            (Value::Array(items), index) => match as_int(index) {
                Some(n) => usize::try_from(n).ok().and_then(|n| items.get(n)),
                None => return Err(args.type_error(i, "an integer index for an array")),
            },
            (Value::Object(_), _) => return Err(args.type_error(i, "a string key for an object")),
            _ => None,
        };
        match step {
            Some(next) => current = next,
            None => return Ok(Value::Null),
        }
    }
    Ok(current.clone())
}

/// `json(text)`: parses JSON text; `json('null')` is null.
pub(crate) fn json(args: &Args) -> Result<Value, ExprError> {
    parse_lenient(args.string(0)?)
        .map_err(|e| args.eval_error(0, format!("the string is not valid JSON: {e}")))
}

/// Parses JSON text, also accepting single-quoted strings as ARM's JSON reader does (the
/// documented `base64ToJson` example decodes `{'one': 'a', 'two': 'b'}`).
pub(crate) fn parse_lenient(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|strict| {
        if !text.contains('\'') {
            return Err(strict);
        }
        serde_json::from_str(&single_to_double_quotes(text)).map_err(|_| strict)
    })
}

/// Rewrites `'text'` string literals as `"text"` (escaping inner `"`), leaving double-quoted
/// strings untouched.
fn single_to_double_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(s) = chars.next() {
                    out.push(s);
                    if s == '\\' {
                        if let Some(escaped) = chars.next() {
                            out.push(escaped);
                        }
                    } else if s == '"' {
                        break;
                    }
                }
            }
            '\'' => {
                out.push('"');
                while let Some(s) = chars.next() {
                    match s {
                        '\\' => match chars.next() {
                            Some('\'') => out.push('\''),
                            Some(escaped) => {
                                out.push('\\');
                                out.push(escaped);
                            }
                            None => out.push_str("\\\\"),
                        },
                        '\'' => break,
                        '"' => out.push_str("\\\""),
                        other => out.push(other),
                    }
                }
                out.push('"');
            }
            other => out.push(other),
        }
    }
    out
}

/// `null()`.
pub(crate) fn null(_args: &Args) -> Result<Value, ExprError> {
    Ok(Value::Null)
}
