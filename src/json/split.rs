//! JSON: parse one big document on every core.
//!
//! An export of a large subscription is one file holding tens of thousands of resources in
//! one array (`value`, `data`, `data.rows`, a bare array). serde_json parses a text on one
//! thread, so a single big document would leave the other cores idle during the most
//! expensive step of a scan. Here the outer structure of a big document is read first,
//! keeping every big array's elements and every big object's members as raw text, and those
//! are then parsed in parallel and put back in place. The tree built is exactly the one
//! `serde_json::from_str::<Value>` builds (same keys in the same order, the last of repeated
//! keys, same numbers).
//!
//! Anything out of the ordinary (a syntax error, nesting near serde_json's depth limit) falls
//! back to the plain one-thread parse, so its error, position and limits are the reference.

use rayon::prelude::*;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// How many levels of containers are opened to find the big arrays (`data` -> `rows`).
const SPLIT_MAX_DEPTH: usize = 3;
/// serde_json refuses nesting deeper than 128; a split document whose pieces come near that
/// is parsed in one piece so the limit applies to the whole, as it does without splitting.
const SAFE_DEPTH: usize = 100;

/// Parses `text` as [`Value`], in parallel pieces when it is at least `min_bytes` long (see
/// [`crate::limits::Limits::split_min_bytes`]). Errors are those of serde_json's own parse
/// of the whole text.
pub fn parse_value(text: &str, min_bytes: usize) -> Result<Value, serde_json::Error> {
    if text.len() >= min_bytes {
        if let Some(value) = split(text, 0, min_bytes) {
            return Ok(value);
        }
    }
    serde_json::from_str(text)
}

/// The tree of `text`, `depth` containers down, built in pieces (those shorter than
/// `min_bytes` in one), or None when the plain parse should decide.
fn split(text: &str, depth: usize, min_bytes: usize) -> Option<Value> {
    if depth >= SPLIT_MAX_DEPTH || text.len() < min_bytes {
        return whole(text, depth);
    }
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).ok()?;
            let values: Option<Vec<Value>> = items
                .par_iter()
                .map(|item| split(item.get(), depth + 1, min_bytes))
                .collect();
            Some(Value::Array(values?))
        }
        Some(b'{') => {
            let mut map = Map::new();
            for (key, raw) in members(text).ok()? {
                // The same insertion order as serde_json's own visitor: a repeated key keeps
                // its first place and its last value.
                map.insert(key, split(raw.get(), depth + 1, min_bytes)?);
            }
            Some(Value::Object(map))
        }
        _ => whole(text, depth),
    }
}

/// The text of a piece `depth` containers down parsed in one go, refused (None) when it does
/// not parse, or nests deep enough that the whole document might exceed serde_json's limit.
pub(crate) fn whole(text: &str, depth: usize) -> Option<Value> {
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

/// The members of the object that is the whole of `text`, in file order (repeated keys
/// included), each value as raw text.
fn members(text: &str) -> Result<Vec<(String, &RawValue)>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = (&mut deserializer).deserialize_map(MembersVisitor)?;
    deserializer.end()?;
    Ok(members)
}

/// Reads an object's members (see [`members`]).
struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = access.next_key::<String>()? {
            members.push((key, access.next_value()?));
        }
        Ok(members)
    }
}

/// Inputs shared by the tests of the JSON readers (here and `load::defer`).
#[cfg(test)]
pub(crate) mod test_inputs {
    /// A Resource Graph table export of `rows` rows, with repeated keys, big and negative
    /// numbers and escaped strings in every row.
    pub(crate) fn big_export(rows: usize) -> String {
        let row = r#"{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n%", "type": "microsoft.network/networksecuritygroups", "properties": {"securityRules": [{"name": "a", "properties": {"priority": 100, "access": "Allow", "n": 1.5e3, "big": 18446744073709551615, "neg": -12, "s": "\u00e9\"x"}}]}, "dup": 1, "dup": 2}"#;
        let items: Vec<String> = (0..rows)
            .map(|i| row.replace('%', &i.to_string()))
            .collect();
        format!(
            "{{\n \"totalRecords\": {rows},\n \"data\": {{\"columns\": [], \"rows\": [{}]}},\n \"count\": 1, \"count\": 2\n}}",
            items.join(",\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::test_inputs::big_export;
    use super::*;

    /// The default threshold, as a scan uses it.
    const MIN: usize = 1 << 20;

    /// `text` parsed in pieces at every threshold given gives serde_json's own result: the
    /// same tree, in the same key order (compared as text), or the same error at the same
    /// place.
    fn agrees_with_serde_json(text: &str, thresholds: &[usize]) {
        let plain = serde_json::from_str::<Value>(text);
        for &min in thresholds {
            match (&plain, parse_value(text, min)) {
                (Ok(plain), Ok(split)) => {
                    assert_eq!(&split, plain, "threshold {min}");
                    assert_eq!(
                        serde_json::to_string(&split).unwrap(),
                        serde_json::to_string(plain).unwrap(),
                        "threshold {min}: key order"
                    );
                }
                (Err(plain), Err(split)) => {
                    assert_eq!(split.to_string(), plain.to_string(), "threshold {min}");
                    assert_eq!(
                        (split.line(), split.column(), split.classify()),
                        (plain.line(), plain.column(), plain.classify()),
                        "threshold {min}"
                    );
                }
                (plain, split) => {
                    panic!("threshold {min}: serde_json gave {plain:?}, the split parse {split:?}")
                }
            }
        }
    }

    #[test]
    fn a_big_document_parses_to_the_same_tree_as_serde_json() {
        let text = big_export(10_000);
        assert!(text.len() > MIN * 2);
        let split = split(&text, 0, MIN).expect("split path taken");
        assert_eq!(split, serde_json::from_str::<Value>(&text).unwrap());
        agrees_with_serde_json(&text, &[MIN, 1]);
    }

    #[test]
    fn a_syntax_error_in_one_element_reports_serde_jsons_own_error() {
        let mut text = big_export(10_000);
        let at = text.len() / 2;
        let comma = text[at..].find(',').unwrap() + at;
        text.replace_range(comma..=comma, ";");
        assert!(serde_json::from_str::<Value>(&text).is_err());
        agrees_with_serde_json(&text, &[MIN, 1]);
    }

    #[test]
    fn deep_nesting_inside_a_big_array_hits_the_same_limit_as_a_plain_parse() {
        let deep = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        let pad = "{\"pad\": \"".to_owned() + &"x".repeat(MIN) + "\"}";
        let text = format!("{{\"value\": [{pad},{deep}]}}");
        assert!(serde_json::from_str::<Value>(&text).is_err(), "too deep");
        agrees_with_serde_json(&text, &[MIN, 1]);
    }

    #[test]
    fn small_documents_take_the_plain_path() {
        assert_eq!(
            parse_value("[1, {\"a\": 2}]", MIN).unwrap(),
            serde_json::json!([1, {"a": 2}])
        );
        assert!(parse_value("[1,", MIN).is_err());
    }

    /// Hostile shapes, each split at every level (threshold 1) and at a few sizes between:
    /// nesting at, under and over serde_json's limit at every depth the split opens,
    /// repeated keys at each level, escapes serde_json refuses in keys and values (a lone
    /// surrogate, a control character), numbers out of range, trailing text, and what is not
    /// a container at all.
    #[test]
    fn hostile_shapes_give_serde_jsons_tree_or_error() {
        let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let mut texts = vec![
            String::new(),
            " ".to_owned(),
            "1".to_owned(),
            "\"x\"".to_owned(),
            "null".to_owned(),
            "[]".to_owned(),
            "{}".to_owned(),
            " [ ] ".to_owned(),
            "[1] x".to_owned(),
            "{\"a\": 1} {".to_owned(),
            "[1,]".to_owned(),
            "{\"a\": 1,}".to_owned(),
            "{\"a\" 1}".to_owned(),
            "[1e400]".to_owned(),
            "{\"a\": [1, -1e400]}".to_owned(),
            "[18446744073709551616, -9223372036854775809, 1.0e-400]".to_owned(),
            r#"["\ud800"]"#.to_owned(),
            r#"{"\udc00": 1}"#.to_owned(),
            r#"{"a": {"b": "\ud83d\ude00", "c": "\x"}}"#.to_owned(),
            "[\"tab\there\"]".to_owned(),
            "{\"a\": 1, \"b\": 2, \"a\": 3}".to_owned(),
            "{\"a\": {\"x\": 1, \"x\": [2]}, \"b\": [{\"y\": 1, \"y\": 2}], \"a\": {\"z\": 3}}"
                .to_owned(),
            "{\"\": 1, \"\": {\"\": 2}}".to_owned(),
            "{\"a\\u0062\": 1, \"ab\": 2}".to_owned(),
        ];
        for n in [1, 2, 3, 4, 97, 98, 99, 100, 101, 126, 127, 128, 129, 5_000] {
            texts.push(nest(n));
            texts.push(objects(n));
            for m in [1, 2, 3] {
                // The deep piece under `m` levels that are split open.
                texts.push(format!(
                    "{}{}{}",
                    "{\"v\": [0, ".repeat(m),
                    nest(n),
                    "]}".repeat(m)
                ));
                texts.push(format!(
                    "{}{}{}",
                    "[0, ".repeat(m),
                    objects(n),
                    "]".repeat(m)
                ));
            }
        }
        for text in &texts {
            let thresholds = [1, 2, 5, text.len().max(1), text.len() + 1];
            agrees_with_serde_json(text, &thresholds);
        }
    }
}
