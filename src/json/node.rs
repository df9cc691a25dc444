//! JSON: the light tree the model reads resources from.
//!
//! A resource is read field by field, a few dozen lookups each, and then dropped. A
//! `serde_json::Value` costs more than that reading: with `preserve_order` every object is an
//! `IndexMap` whose keys are hashed with SipHash when built and again on every lookup, and
//! every string is copied out of the input. A [`Node`] keeps an object as its list of entries
//! in file order (resources have a few dozen keys at most, so a scan beats hashing), and
//! borrows every string that has no escape from the text it was parsed from. Parsing a big
//! export's items straight into nodes takes under half the time of parsing them into
//! `Value`s (figures in docs/performance.md). Objects and
//! arrays are gathered on a reused [`Scratch`] and stored at exactly their size.
//!
//! Templates' expressions evaluate to `Value`s. A template is read as nodes (a big one from
//! its text with [`Node::parse_unique`], with repeated keys resolved as serde_json resolves
//! them) and evaluated to nodes, so its literal strings stay borrowed from the text; an
//! evaluated `Value` becomes a node with [`Node::from_owned`], which moves its strings.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};

/// A JSON value whose strings borrow from the text (or `Value`) it was read from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Node<'a> {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(Number),
    /// A string (borrowed unless it had escapes).
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object: its entries in file order. A repeated key keeps every entry; lookups find
    /// the last, as serde_json keeps the last.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// The `null` that absent fields read as.
pub static NULL: Node<'static> = Node::Null;

impl<'a> Node<'a> {
    /// A view of `value` that borrows all its strings.
    pub fn from_value(value: &'a Value) -> Self {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::String(Cow::Borrowed(s)),
            Value::Array(items) => Node::Array(items.iter().map(Node::from_value).collect()),
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// `text` parsed as serde_json parses it into a `Value`: a key repeated in an object keeps
    /// its first place and takes its last value, and the errors are serde_json's own.
    pub fn parse_unique(text: &'a str) -> Result<Self, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let node = Seed::<true> {
            scratch: &mut Scratch::default(),
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(node)
    }

    /// The same JSON as a `Value` (for the rare paths that compare whole resources).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.as_ref().to_owned()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_ref().to_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// The same node owning all its strings (copied only where borrowed).
    pub fn into_owned(self) -> Node<'static> {
        match self {
            Node::Null => Node::Null,
            Node::Bool(b) => Node::Bool(b),
            Node::Number(n) => Node::Number(n),
            Node::String(s) => Node::String(Cow::Owned(s.into_owned())),
            Node::Array(items) => Node::Array(items.into_iter().map(Node::into_owned).collect()),
            Node::Object(entries) => Node::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// The field `key` of an object (exact match; the last entry when repeated).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, when this is an array.
    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, when this is an object.
    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Node<'a>)]> {
        match self {
            Node::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// True for an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// The boolean, when this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as u64, when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as i64, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Node::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => n.as_f64(),
            _ => None,
        }
    }
}

/// Compact JSON, exactly as `serde_json::Value` prints it.
impl fmt::Display for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

impl Node<'static> {
    /// `value` as a node, its strings moved rather than copied.
    pub fn from_owned(value: Value) -> Self {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Number(n),
            Value::String(s) => Node::String(Cow::Owned(s)),
            Value::Array(items) => Node::Array(items.into_iter().map(Node::from_owned).collect()),
            Value::Object(map) => Node::Object(
                map.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Node::from_owned(v)))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Seed::<false> {
            scratch: &mut Scratch::default(),
        }
        .deserialize(deserializer)
    }
}

impl<'a> Node<'a> {
    /// `text` parsed as `serde_json::from_str::<Node>` parses it (same node, same errors),
    /// with `scratch` as the room its objects and arrays are gathered in: a caller that reads
    /// many documents in a row passes the same scratch to each and grows it once.
    pub fn parse_with(text: &'a str, scratch: &mut Scratch<'a>) -> Result<Self, serde_json::Error> {
        scratch.clear();
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let node = Seed::<false> { scratch }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(node)
    }
}

/// Room for the objects and arrays being read: the entries (or items) of each open one sit
/// on a stack, nested ones above their parent's, and move into a `Vec` of exactly their
/// number when it closes. Pushed one by one into their own `Vec`s instead, they reallocate
/// three or four times per object and leave a quarter of the room unused on average, a large
/// share of the time spent reading a big export's items.
#[derive(Debug, Default)]
pub struct Scratch<'a> {
    entries: Vec<(Cow<'a, str>, Node<'a>)>,
    items: Vec<Node<'a>>,
}

impl Scratch<'_> {
    /// Forgets anything a failed read left behind (its capacity stays).
    fn clear(&mut self) {
        self.entries.clear();
        self.items.clear();
    }
}

/// Reads a node; with `UNIQUE`, a repeated key replaces the value of its first entry.
struct Seed<'s, 'de, const UNIQUE: bool> {
    scratch: &'s mut Scratch<'de>,
}

impl<'de, const UNIQUE: bool> DeserializeSeed<'de> for Seed<'_, 'de, UNIQUE> {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_any(NodeVisitor::<UNIQUE> {
            scratch: self.scratch,
        })
    }
}

/// Entries of an object looked for by a scan before an index is built: most objects have a
/// few keys, where comparing them costs less than hashing.
const SCANNED_ENTRIES: usize = 16;

struct NodeVisitor<'s, 'de, const UNIQUE: bool> {
    scratch: &'s mut Scratch<'de>,
}

impl<'de, const UNIQUE: bool> Visitor<'de> for NodeVisitor<'_, 'de, UNIQUE> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Node<'de>, E> {
        // As serde_json::Value: a float JSON can hold is always finite.
        Ok(Number::from_f64(n).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let scratch = self.scratch;
        let start = scratch.items.len();
        while let Some(item) = seq.next_element_seed(Seed::<UNIQUE> {
            scratch: &mut *scratch,
        })? {
            scratch.items.push(item);
        }
        Ok(Node::Array(scratch.items.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let scratch = self.scratch;
        let start = scratch.entries.len();
        // With UNIQUE, the place of each key (from `start`) once there are more than a
        // scan's worth.
        let mut index: Option<crate::map::Map<Cow<'de, str>, usize>> = None;
        while let Some(Key(key)) = map.next_key()? {
            let value = map.next_value_seed(Seed::<UNIQUE> {
                scratch: &mut *scratch,
            })?;
            if UNIQUE {
                let entries = scratch.entries.get_mut(start..).unwrap_or_default();
                let earlier = match &mut index {
                    Some(index) => index.get(&key).copied(),
                    None => entries.iter().position(|(k, _)| *k == key),
                };
                if let Some(slot) = earlier.and_then(|at| entries.get_mut(at)) {
                    slot.1 = value;
                    continue;
                }
                if let Some(index) = &mut index {
                    index.insert(key.clone(), entries.len());
                } else if entries.len() == SCANNED_ENTRIES {
                    let mut built = crate::map::Map::default();
                    built.reserve(2 * SCANNED_ENTRIES);
                    for (at, (k, _)) in entries.iter().enumerate() {
                        built.insert(k.clone(), at);
                    }
                    built.insert(key.clone(), entries.len());
                    index = Some(built);
                }
            }
            scratch.entries.push((key, value));
        }
        Ok(Node::Object(scratch.entries.drain(start..).collect()))
    }
}

/// An object key, borrowed unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }

            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each text is read as a node and as a Value: the same JSON both ways.
    #[test]
    fn nodes_read_what_values_read() {
        for text in [
            r#"{"a": 1, "b": [true, null, -2, 3.5, 1e300], "c": {"d": "e\u00e9\n\"x\""}}"#,
            r#"[{"id": "/subscriptions/s", "properties": {}}, [], {}]"#,
            r#""plain""#,
            r#"{"k\u0041y": "value with \\ escape", "n": 18446744073709551615}"#,
            "-0",
        ] {
            let node: Node = serde_json::from_str(text).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(node.to_value(), value, "{text}");
            assert_eq!(Node::from_value(&value), node, "{text}");
            assert_eq!(node.to_string(), value.to_string(), "{text}");
        }
    }

    /// One scratch, passed to document after document, some of them broken half-way: each
    /// reads as `serde_json::from_str` reads it alone, so nothing a failed read left on the
    /// scratch leaks into the next node.
    #[test]
    fn a_reused_scratch_reads_each_document_as_a_fresh_parse_does() {
        let texts = [
            r#"{"a": [1, {"b": [2, 3], "c": {}}], "d": "e"}"#,
            r#"{"a": [1, {"b": [2, "#,
            r#"[[], [[1], {"x": [null]}], {"k": 1, "k": 2}]"#,
            r#"{"deep": {"er": {"est": [{"a": 1}, {"a": 2, "b": {"c": [true]}}]}}, "n": 1e3}"#,
            r#"[1, 2"#,
            r#"{"after": "errors", "list": [1, 2, 3]}"#,
            "7",
            "{} trailing",
        ];
        let mut scratch = Scratch::default();
        for text in texts {
            let reused = Node::parse_with(text, &mut scratch).map_err(|e| e.to_string());
            let fresh = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
            assert_eq!(reused.map(|n| n.to_value()), fresh, "{text}");
        }
    }

    /// Any JSON value: scalars (strings with escapes and non-ASCII among them), nested
    /// arrays and objects, keys that repeat within an object.
    fn any_json() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scalar = prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            (-1e12f64..1e12).prop_map(|f| format!("{f:e}")),
            "[a-c\"\\\n\t\u{e9}/ ]{0,6}".prop_map(|s| Value::String(s).to_string()),
        ];
        scalar.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec(("[a-d]{1,2}", inner), 0..6).prop_map(|entries| {
                    let entries: Vec<String> = entries
                        .into_iter()
                        .map(|(k, v)| format!("{}: {v}", Value::String(k)))
                        .collect();
                    format!("{{{}}}", entries.join(", "))
                }),
            ]
        })
    }

    proptest::proptest! {
        /// Documents read one after another with one scratch, some cut short: each reads as
        /// a fresh serde_json parse of it alone does (value or error), as a plain node and as
        /// a node with unique keys.
        #[test]
        fn any_document_reads_with_a_reused_scratch_as_serde_json_reads_it(
            documents in proptest::collection::vec((any_json(), 0usize..4), 1..8)
        ) {
            let mut scratch = Scratch::default();
            for (text, cut) in &documents {
                // A quarter of the documents lose their last bytes (at a character boundary).
                let end = if *cut == 0 {
                    text.char_indices().nth(text.chars().count() * 2 / 3).map_or(0, |(i, _)| i)
                } else {
                    text.len()
                };
                let text = &text[..end];
                let fresh = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
                let reused = Node::parse_with(text, &mut scratch).map_err(|e| e.to_string());
                proptest::prop_assert_eq!(reused.map(|n| n.to_value()), fresh.clone(), "{}", text);
                let unique = Node::parse_unique(text).map_err(|e| e.to_string());
                proptest::prop_assert_eq!(unique.map(|n| n.to_value()), fresh, "{}", text);
            }
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text = r#"{"name": "vm1", "esc": "a\tb"}"#;
        let node: Node = serde_json::from_str(text).unwrap();
        let Node::Object(entries) = &node else {
            panic!("an object")
        };
        assert!(matches!(entries[0].0, Cow::Borrowed("name")));
        assert!(matches!(entries[0].1, Node::String(Cow::Borrowed("vm1"))));
        assert!(matches!(&entries[1].1, Node::String(Cow::Owned(s)) if s == "a\tb"));
    }

    #[test]
    fn a_repeated_key_reads_as_its_last_value_like_serde_json() {
        let text = r#"{"a": 1, "a": 2}"#;
        let node: Node = serde_json::from_str(text).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(node.get("a").and_then(Node::as_u64), Some(2));
        assert_eq!(value["a"], json!(2));
    }

    #[test]
    fn errors_are_serde_jsons() {
        for text in ["{\"a\": }", "[1, 2", &"[".repeat(200)] {
            let node = serde_json::from_str::<Node>(text).unwrap_err();
            let value = serde_json::from_str::<Value>(text).unwrap_err();
            assert_eq!(node.to_string(), value.to_string());
        }
    }

    /// Read for ARM evaluation, a repeated key keeps its first place and takes its last value
    /// as serde_json's map does, in objects of any size (past the scanned few, an index).
    #[test]
    fn unique_nodes_resolve_repeated_keys_as_serde_json_does() {
        let many: String = (0..40)
            .map(|i| format!("\"k{}\": {i}", i % 23))
            .collect::<Vec<_>>()
            .join(", ");
        for text in [
            r#"{"a": 1, "b": 2, "a": 3}"#.to_owned(),
            r#"{"a": {"x": 1, "x": [2, {"y": 1, "y": 2}]}, "b": 2, "a": {"z": 0}}"#.to_owned(),
            r#"[{"k": 1, "K": 2, "k": 3}, {"\u0061": 1, "a": 2}]"#.to_owned(),
            format!("{{{many}}}"),
            format!("{{\"outer\": {{{many}}}, \"outer\": [{{{many}}}]}}"),
            r#"{"n": 1.5, "s": "t\"q", "e": [], "o": {}}"#.to_owned(),
        ] {
            let node = Node::parse_unique(&text).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(node.to_value(), value, "{text}");
            assert_eq!(node.to_string(), value.to_string(), "{text}");
            assert_eq!(Node::from_owned(value.clone()), node, "{text}");
            assert_eq!(node.clone().into_owned(), node, "{text}");
        }
    }

    #[test]
    fn unique_nodes_fail_as_values_do_and_borrow_plain_strings() {
        for text in ["{\"a\": }", "[1, 2", "{} x", &"[".repeat(200), ""] {
            let node = Node::parse_unique(text).unwrap_err();
            let value = serde_json::from_str::<Value>(text).unwrap_err();
            assert_eq!(node.to_string(), value.to_string(), "{text}");
        }
        let node = Node::parse_unique(r#"{"name": "vm1", "esc": "a\tb"}"#).unwrap();
        assert!(matches!(
            node.get("name"),
            Some(Node::String(Cow::Borrowed("vm1")))
        ));
        assert!(matches!(node.get("esc"), Some(Node::String(Cow::Owned(s))) if s == "a\tb"));
        assert!(matches!(
            node.into_owned().get("name"),
            Some(Node::String(Cow::Owned(s))) if s == "vm1"
        ));
    }
}
