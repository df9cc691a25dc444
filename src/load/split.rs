//! LOAD: parse one big JSON document on every core.
//!
//! An export of a large subscription is one file holding tens of thousands of resources in
//! one array (`value`, `data`, `data.rows`, a bare array). serde_json parses a file on one
//! thread, so a single big export would leave the other cores idle during the most expensive
//! step of a scan. Here the outer structure of a big document is read first, keeping every
//! big array's elements as raw text, and the elements are then parsed in parallel and put
//! back in place. The tree built is exactly the one `serde_json::from_str::<Value>` builds
//! (same keys in the same order, the last of repeated keys, same numbers).
//!
//! Anything out of the ordinary (a syntax error, nesting near serde_json's depth limit) falls
//! back to the plain one-thread parse, so its error, position and limits are the reference.

use rayon::prelude::*;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Containers whose text is shorter than this are parsed in one piece.
const SPLIT_MIN_BYTES: usize = 1 << 20;
/// How many levels of containers are opened to find the big arrays (`data` -> `rows`).
const SPLIT_MAX_DEPTH: usize = 3;
/// serde_json refuses nesting deeper than 128; a split document whose pieces come near that
/// is parsed in one piece so the limit applies to the whole, as it does without splitting.
const SAFE_DEPTH: usize = 100;

/// Parses `text` as [`Value`], in parallel when it is big. Errors are those of serde_json's
/// own parse of the whole text.
pub(crate) fn parse_value(text: &str) -> Result<Value, serde_json::Error> {
    if text.len() >= SPLIT_MIN_BYTES {
        if let Some(value) = split(text, 0) {
            return Ok(value);
        }
    }
    serde_json::from_str(text)
}

/// The tree of `text` built in pieces, or None when the plain parse should decide.
fn split(text: &str, depth: usize) -> Option<Value> {
    if depth >= SPLIT_MAX_DEPTH || text.len() < SPLIT_MIN_BYTES {
        return whole(text, depth);
    }
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).ok()?;
            let values: Option<Vec<Value>> = items
                .par_iter()
                .map(|item| split(item.get(), depth + 1))
                .collect();
            Some(Value::Array(values?))
        }
        Some(b'{') => {
            let Members(members) = serde_json::from_str(text).ok()?;
            let mut map = Map::new();
            for (key, raw) in members {
                // The same insertion order as serde_json's own visitor: a repeated key keeps
                // its first place and its last value.
                map.insert(key, split(raw.get(), depth + 1)?);
            }
            Some(Value::Object(map))
        }
        _ => whole(text, depth),
    }
}

/// A piece parsed in one go, refused when it nests deep enough that the whole document might
/// exceed serde_json's limit.
fn whole(text: &str, depth: usize) -> Option<Value> {
    let value: Value = serde_json::from_str(text).ok()?;
    (depth == 0 || nesting(&value) + depth < SAFE_DEPTH).then_some(value)
}

/// How deep containers nest in `value` (iterative: a deep value costs no stack).
fn nesting(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

/// An object's members in file order, values kept as raw text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = access.next_entry::<String, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(serde::de::Error::custom("expected an object"))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn big_export(rows: usize) -> String {
        let row = r#"{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n%", "type": "microsoft.network/networksecuritygroups", "properties": {"securityRules": [{"name": "a", "properties": {"priority": 100, "access": "Allow", "n": 1.5e3, "big": 18446744073709551615, "neg": -12, "s": "\u00e9\"x"}}]}, "dup": 1, "dup": 2}"#;
        let items: Vec<String> = (0..rows)
            .map(|i| row.replace('%', &i.to_string()))
            .collect();
        format!(
            "{{\n \"totalRecords\": {rows},\n \"data\": {{\"columns\": [], \"rows\": [{}]}},\n \"count\": 1, \"count\": 2\n}}",
            items.join(",\n")
        )
    }

    #[test]
    fn a_big_document_parses_to_the_same_tree_as_serde_json() {
        let text = big_export(10_000);
        assert!(text.len() > SPLIT_MIN_BYTES * 2);
        let split = split(&text, 0).expect("split path taken");
        let plain: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(split, plain);
        // Same key order and repeated-key handling, as serialized text.
        assert_eq!(
            serde_json::to_string(&split).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        assert_eq!(parse_value(&text).unwrap(), plain);
    }

    #[test]
    fn a_syntax_error_in_one_element_reports_serde_jsons_own_error() {
        let mut text = big_export(10_000);
        let at = text.len() / 2;
        let comma = text[at..].find(',').unwrap() + at;
        text.replace_range(comma..=comma, ";");
        let split_err = parse_value(&text).unwrap_err();
        let plain_err = serde_json::from_str::<Value>(&text).unwrap_err();
        assert_eq!(split_err.to_string(), plain_err.to_string());
        assert_eq!(
            (split_err.line(), split_err.column()),
            (plain_err.line(), plain_err.column())
        );
    }

    #[test]
    fn deep_nesting_inside_a_big_array_hits_the_same_limit_as_a_plain_parse() {
        let deep = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        let mut items = vec!["{\"pad\": \"".to_owned() + &"x".repeat(SPLIT_MIN_BYTES) + "\"}"];
        items.push(deep);
        let text = format!("{{\"value\": [{}]}}", items.join(","));
        let plain = serde_json::from_str::<Value>(&text);
        let split = parse_value(&text);
        assert!(plain.is_err(), "the plain parse refuses this depth");
        assert_eq!(
            split.unwrap_err().to_string(),
            plain.unwrap_err().to_string()
        );
    }

    #[test]
    fn small_documents_take_the_plain_path() {
        assert_eq!(
            parse_value("[1, {\"a\": 2}]").unwrap(),
            serde_json::json!([1, {"a": 2}])
        );
        assert!(parse_value("[1,").is_err());
    }
}
