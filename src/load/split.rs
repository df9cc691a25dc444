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
//!
//! The same outer reading serves documents of any size over 64 KB ([`outline`]). An export's
//! item array is located and only its first items parsed, to tell what the document is; the
//! items themselves are read later, a batch at a time (`export`), so no tree of a whole export
//! is ever built. A template is only checked to be valid JSON: its tree is built once, when
//! its environment is.

use std::path::Path;

use rayon::prelude::*;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The visits of numbers, booleans and null for a visitor that only checks them (see
/// [`Valid`]): each gives `$value`.
macro_rules! checked_scalars {
    ($out:ty, $value:expr) => {
        fn visit_unit<E>(self) -> Result<$out, E> {
            Ok($value)
        }

        fn visit_bool<E>(self, _: bool) -> Result<$out, E> {
            Ok($value)
        }

        fn visit_u64<E>(self, _: u64) -> Result<$out, E> {
            Ok($value)
        }

        fn visit_i64<E>(self, _: i64) -> Result<$out, E> {
            Ok($value)
        }

        fn visit_f64<E>(self, _: f64) -> Result<$out, E> {
            Ok($value)
        }
    };
}

/// Containers whose text is shorter than this are parsed in one piece.
const SPLIT_MIN_BYTES: usize = 1 << 20;

/// Exports at least this long are read item by item (see [`outline`]), and templates this
/// long are parsed only when their environment is built rather than held from loading on:
/// smaller than the split threshold because what it saves is memory (the trees of many files
/// at once), not time.
const DEFER_MIN_BYTES: usize = 64 << 10;

/// `JITSCAN_SPLIT_MIN_BYTES` when set: a testing knob that lowers both thresholds, so the
/// whole test suite can be run with every document split and deferred (`.ci/run` does),
/// proving that reading item by item changes no verdict, location or diagnostic.
fn knob() -> Option<usize> {
    static MIN: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| {
        std::env::var("JITSCAN_SPLIT_MIN_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
    })
}

fn split_min_bytes() -> usize {
    knob().unwrap_or(SPLIT_MIN_BYTES)
}

pub(crate) fn defer_min_bytes() -> usize {
    knob().unwrap_or(DEFER_MIN_BYTES)
}

/// How many levels of containers are opened to find the big arrays (`data` -> `rows`).
const SPLIT_MAX_DEPTH: usize = 3;
/// serde_json refuses nesting deeper than 128; a split document whose pieces come near that
/// is parsed in one piece so the limit applies to the whole, as it does without splitting.
const SAFE_DEPTH: usize = 100;

/// Parses `text` as [`Value`], in parallel when it is big. Errors are those of serde_json's
/// own parse of the whole text.
pub(crate) fn parse_value(text: &str) -> Result<Value, serde_json::Error> {
    if text.len() >= split_min_bytes() {
        if let Some(value) = split(text, 0) {
            return Ok(value);
        }
    }
    serde_json::from_str(text)
}

/// The tree of `text` built in pieces, or None when the plain parse should decide.
fn split(text: &str, depth: usize) -> Option<Value> {
    if depth >= SPLIT_MAX_DEPTH || text.len() < split_min_bytes() {
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
            let members = members(text, ItemKeys::None).ok()?;
            let mut map = Map::new();
            for (key, member) in members {
                let Member::Raw(raw) = member else {
                    return None;
                };
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

/// The item array of a big export, left unparsed: where it is and where each element's
/// text lies. Exports are read element by element from it (see `export`), so a whole tree of
/// the file never exists: its elements are parsed a batch at a time, turned into the model and
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    /// JSON pointer of the array: `""` (a bare array), `/value`, `/data` or `/data/rows`.
    pub pointer: String,
    /// Byte range of each element in the document's text, in order.
    pub elements: Vec<std::ops::Range<usize>>,
}

/// Elements of the item array parsed for sniffing what the document is.
pub(crate) const PREVIEW_ELEMENTS: usize = 16;

/// The text of the previewed elements, at most: an element longer than what is left of it
/// is passed over, so a hostile first item cannot make the preview a tree of gigabytes.
const PREVIEW_MAX_BYTES: usize = 16 << 20;

/// For a big document whose bulk is one array where exports keep their items (a bare array,
/// `value`, `data` or `data.rows`): the document with that array cut to those of its first
/// [`PREVIEW_ELEMENTS`] elements that fit in [`PREVIEW_MAX_BYTES`], and where all its
/// elements are. None for anything else
/// (a template, a small file, invalid JSON, a repeated key on the way to the array): those are
/// parsed whole.
#[cfg(test)]
pub(crate) fn preview(text: &str) -> Option<(Value, Deferred)> {
    match outline(text, Path::new("")) {
        Outline::Export(value, deferred) => Some((value, deferred)),
        Outline::Template(_) | Outline::Whole => None,
    }
}

/// What a document is, as far as loading needs to know before any tree of it is built.
#[derive(Debug)]
pub(crate) enum Outline {
    /// A big export: its head, with the item array cut to (at most) its first
    /// [`PREVIEW_ELEMENTS`] elements, and where all the items are.
    Export(Value, Deferred),
    /// A big ARM template, its whole text checked to be valid JSON: its tree is built only
    /// when its environment is. With where each element of its `resources` starts, when
    /// that was found in the same pass.
    Template(Option<Vec<usize>>),
    /// A small document, or anything else: parsed whole.
    Whole,
}

/// The [`Outline`] of `text` (the file at `path`). Building no tree for a big template
/// until it is expanded saves its parse at loading (a template is parsed once, not twice).
pub(crate) fn outline(text: &str, path: &Path) -> Outline {
    if text.len() < defer_min_bytes() {
        return Outline::Whole;
    }
    let base = text.as_ptr() as usize;
    let range_of = |raw: &RawValue| {
        let start = (raw.get().as_ptr() as usize).saturating_sub(base);
        start..start + raw.get().len()
    };
    let array = |items: Vec<&RawValue>, pointer: &str| -> Option<(Value, Deferred)> {
        let mut left = PREVIEW_MAX_BYTES;
        let preview = items
            .iter()
            .take(PREVIEW_ELEMENTS)
            .filter(|item| {
                let fits = item.get().len() <= left;
                if fits {
                    left -= item.get().len();
                }
                fits
            })
            .map(|item| serde_json::from_str(item.get()))
            .collect::<Result<Vec<Value>, _>>()
            .ok()?;
        let elements = items.iter().map(|item| range_of(item)).collect();
        Some((
            Value::Array(preview),
            Deferred {
                pointer: pointer.to_owned(),
                elements,
            },
        ))
    };
    let export = |found: Option<(Value, Deferred)>| {
        found.map_or(Outline::Whole, |(value, deferred)| {
            Outline::Export(value, deferred)
        })
    };
    match text.trim_start().as_bytes().first() {
        Some(b'[') => export(
            serde_json::from_str(text)
                .ok()
                .and_then(|items| array(items, "")),
        ),
        Some(b'{') => {
            // A template (`$schema` first, as templates put it) is read and checked in one
            // pass; an export, or a document whose head says otherwise, as below.
            if schema_first(text) {
                match head(text) {
                    Ok(head) if !head.item_keys => {
                        return if head.is_template(path) {
                            Outline::Template(head.resource_starts(text))
                        } else {
                            Outline::Whole
                        };
                    }
                    Ok(_) => {}
                    Err(_) => return Outline::Whole,
                }
            }
            // One pass over the text: the members as raw text, an item array's elements too.
            let Ok(members) = members(text, ItemKeys::Top) else {
                return Outline::Whole;
            };
            let item_array = members.iter().any(|(key, member)| {
                matches!(
                    (key.as_str(), member),
                    ("value" | "data", Member::Items(_)) | ("data", Member::Table(_))
                )
            });
            if !item_array {
                return template_outline(text, &members, path);
            }
            export((|| {
                let mut map = Map::new();
                let mut deferred = None;
                for (key, member) in members {
                    // A repeated key keeps its first place and last value, as serde_json does;
                    // a repeated `value` or `data` could hide the items: parsed whole instead.
                    if map.contains_key(&key) && matches!(key.as_str(), "value" | "data") {
                        return None;
                    }
                    let value = match member {
                        Member::Items(items) if deferred.is_none() => {
                            let (value, found) = array(items, &format!("/{key}"))?;
                            deferred = Some(found);
                            value
                        }
                        Member::Table(inner) if deferred.is_none() => {
                            let mut table = Map::new();
                            for (k, member) in inner {
                                if table.contains_key(&k) && k == "rows" {
                                    return None;
                                }
                                let value = match member {
                                    Member::Items(items) if deferred.is_none() => {
                                        let (value, found) = array(items, "/data/rows")?;
                                        deferred = Some(found);
                                        value
                                    }
                                    member => member.whole(2)?,
                                };
                                table.insert(k, value);
                            }
                            Value::Object(table)
                        }
                        member => member.whole(1)?,
                    };
                    map.insert(key, value);
                }
                deferred.map(|d| (Value::Object(map), d))
            })())
        }
        _ => Outline::Whole,
    }
}

/// [`Outline::Template`] when the members make the document what [`sniff`] calls a
/// template, and the whole text is valid JSON; [`Outline::Whole`] otherwise (the plain
/// parse then decides, with serde_json's own error for invalid JSON).
///
/// [`sniff`]: super::sniff::sniff
fn template_outline(text: &str, members: &[(String, Member<'_>)], path: &Path) -> Outline {
    // The last of repeated keys, as serde_json keeps it; a non-string reads as absent.
    let string = |name: &str| match members.iter().rev().find(|(key, _)| key == name) {
        Some((_, Member::Raw(raw))) => serde_json::from_str::<String>(raw.get()).ok(),
        _ => None,
    };
    let head = Head {
        schema: string("$schema"),
        id: string("id"),
        has_resources: members.iter().any(|(key, _)| key == "resources"),
        item_keys: false,
        resources_members: 0,
        terraform: members.iter().any(|(key, _)| key == "terraform_version"),
        first_keys: None,
    };
    if head.is_template(path) && serde_json::from_str::<Valid>(text).is_ok() {
        Outline::Template(None)
    } else {
        Outline::Whole
    }
}

/// What tells a template from other documents at the top of one (see [`sniff`]).
///
/// [`sniff`]: super::sniff::sniff
#[derive(Debug, Default)]
struct Head {
    /// The last `$schema`, when a string.
    schema: Option<String>,
    /// The last `id`, when a string.
    id: Option<String>,
    /// A `resources` member.
    has_resources: bool,
    /// A `value` or `data` member, where exports keep their items.
    item_keys: bool,
    /// How many `resources` members there are.
    resources_members: usize,
    /// A `terraform_version` member: a Terraform state or plan, whose `resources` are not a
    /// template's (see [`super::sniff::Foreign`]).
    terraform: bool,
    /// Where the first key of each element of `resources` lies in memory, when every
    /// element is an object whose first key is read straight from the text (see
    /// [`Head::resource_starts`]).
    first_keys: Option<Vec<usize>>,
}

impl Head {
    /// A template, as [`sniff`] decides it, and not a parameters file (by its schema or the
    /// name of the file at `path`).
    ///
    /// [`sniff`]: super::sniff::sniff
    fn is_template(&self, path: &Path) -> bool {
        let schema = self
            .schema
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let is_resource = self
            .id
            .as_deref()
            .is_some_and(|id| id.contains("/providers/"));
        let is_template =
            (self.has_resources && !is_resource) || schema.contains("deploymenttemplate");
        let parameters =
            schema.contains("deploymentparameters") || super::sniff::is_parameters_name(path);
        let foreign = self.terraform || super::sniff::foreign_source(path).is_some();
        is_template && !parameters && !foreign
    }

    /// Byte offsets in `text` (the text the head was read from) of the elements of its one
    /// `resources` array: each is the `{` before its first key. None when that cannot be
    /// told for every element, or `resources` is repeated (a pointer then needs the walk).
    fn resource_starts(&self, text: &str) -> Option<Vec<usize>> {
        if self.resources_members != 1 {
            return None;
        }
        let base = text.as_ptr() as usize;
        self.first_keys
            .as_ref()?
            .iter()
            .map(|&address| {
                // The key's text starts after its opening quote.
                let quote = address.checked_sub(base)?.checked_sub(1)?;
                let before = text.get(..quote)?.trim_end_matches([' ', '\t', '\n', '\r']);
                before.ends_with('{').then(|| before.len() - 1)
            })
            .collect()
    }
}

/// Whether the first member of the object `text` is `$schema`, as templates and parameters
/// files start.
fn schema_first(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"$schema\""))
}

/// The [`Head`] of the object `text`, read in one pass that also checks the whole text as
/// [`Valid`] does: Err when a `Value` parse would fail.
fn head(text: &str) -> Result<Head, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let head = (&mut deserializer).deserialize_map(HeadVisitor)?;
    deserializer.end()?;
    Ok(head)
}

/// Reads a [`Head`] (see [`head`]).
struct HeadVisitor;

impl<'de> Visitor<'de> for HeadVisitor {
    type Value = Head;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Head, A::Error> {
        let mut head = Head::default();
        while let Some(key) = access.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "$schema" => head.schema = access.next_value::<MaybeString>()?.0,
                "id" => head.id = access.next_value::<MaybeString>()?.0,
                "resources" => {
                    head.has_resources = true;
                    head.resources_members += 1;
                    head.first_keys = access.next_value::<FirstKeys>()?.0;
                }
                other => {
                    head.item_keys |= matches!(other, "value" | "data");
                    head.terraform |= other == "terraform_version";
                    access.next_value::<Valid>()?;
                }
            }
        }
        Ok(head)
    }
}

/// Any JSON value, checked as [`Valid`] checks it. For an array of objects, the address of
/// each one's first key when it is read straight from the text (no escapes): None for
/// anything else.
struct FirstKeys(Option<Vec<usize>>);

impl<'de> serde::Deserialize<'de> for FirstKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstKeysVisitor;
        impl<'de> Visitor<'de> for FirstKeysVisitor {
            type Value = FirstKeys;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }

            checked_scalars!(FirstKeys, FirstKeys(None));

            fn visit_str<E>(self, _: &str) -> Result<FirstKeys, E> {
                Ok(FirstKeys(None))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstKeys, A::Error> {
                let mut keys = Some(Vec::new());
                while let Some(FirstKey(key)) = seq.next_element::<FirstKey>()? {
                    keys = keys.zip(key).map(|(mut keys, key)| {
                        keys.push(key);
                        keys
                    });
                }
                Ok(FirstKeys(keys))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstKeys, A::Error> {
                while map.next_entry::<Valid, Valid>()?.is_some() {}
                Ok(FirstKeys(None))
            }
        }
        deserializer.deserialize_any(FirstKeysVisitor)
    }
}

/// Any JSON value, checked as [`Valid`] checks it; for an object whose first key is read
/// straight from the text, that key's address.
struct FirstKey(Option<usize>);

impl<'de> serde::Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstKeyVisitor;
        impl<'de> Visitor<'de> for FirstKeyVisitor {
            type Value = FirstKey;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }

            checked_scalars!(FirstKey, FirstKey(None));

            fn visit_str<E>(self, _: &str) -> Result<FirstKey, E> {
                Ok(FirstKey(None))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstKey, A::Error> {
                while seq.next_element::<Valid>()?.is_some() {}
                Ok(FirstKey(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstKey, A::Error> {
                let Some(KeyAddress(first)) = map.next_key::<KeyAddress>()? else {
                    return Ok(FirstKey(None));
                };
                map.next_value::<Valid>()?;
                while map.next_entry::<Valid, Valid>()?.is_some() {}
                Ok(FirstKey(first))
            }
        }
        deserializer.deserialize_any(FirstKeyVisitor)
    }
}

/// A string, with its address when it is read straight from the text.
struct KeyAddress(Option<usize>);

impl<'de> serde::Deserialize<'de> for KeyAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyAddressVisitor;
        impl<'de> Visitor<'de> for KeyAddressVisitor {
            type Value = KeyAddress;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<KeyAddress, E> {
                Ok(KeyAddress(Some(key.as_ptr() as usize)))
            }

            fn visit_str<E>(self, _: &str) -> Result<KeyAddress, E> {
                Ok(KeyAddress(None))
            }
        }
        deserializer.deserialize_str(KeyAddressVisitor)
    }
}

/// Any JSON value, checked as [`Valid`] checks it; kept when it is a string.
struct MaybeString(Option<String>);

impl<'de> serde::Deserialize<'de> for MaybeString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaybeStringVisitor;
        impl<'de> Visitor<'de> for MaybeStringVisitor {
            type Value = MaybeString;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }

            checked_scalars!(MaybeString, MaybeString(None));

            fn visit_str<E>(self, text: &str) -> Result<MaybeString, E> {
                Ok(MaybeString(Some(text.to_owned())))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeString, A::Error> {
                while seq.next_element::<Valid>()?.is_some() {}
                Ok(MaybeString(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeString, A::Error> {
                while map.next_entry::<Valid, Valid>()?.is_some() {}
                Ok(MaybeString(None))
            }
        }
        deserializer.deserialize_any(MaybeStringVisitor)
    }
}

/// Any JSON, read and checked as a `Value` parse reads it (strings, numbers, the depth
/// limit) without building anything: a parse that succeeds here succeeds as a `Value`.
struct Valid;

impl<'de> serde::Deserialize<'de> for Valid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValidVisitor;
        impl<'de> Visitor<'de> for ValidVisitor {
            type Value = Valid;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }

            checked_scalars!(Valid, Valid);

            fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
                Ok(Valid)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Valid, A::Error> {
                while seq.next_element::<Valid>()?.is_some() {}
                Ok(Valid)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Valid, A::Error> {
                while map.next_entry::<Valid, Valid>()?.is_some() {}
                Ok(Valid)
            }
        }
        deserializer.deserialize_any(ValidVisitor)
    }
}

/// A member of the top object of a big document (or of its `data` object), read in the one
/// pass that also finds an export's items.
enum Member<'a> {
    /// Any value, as raw text.
    Raw(&'a RawValue),
    /// An array where exports keep their items (`value`, `data`, `data.rows`): its elements
    /// as raw text.
    Items(Vec<&'a RawValue>),
    /// The `data` object of a Resource Graph table: its members (`rows` as items).
    Table(Vec<(String, Member<'a>)>),
    /// Anything else under an item key (a string, a number, an object under `value`): not an
    /// export to read item by item.
    Other,
}

impl Member<'_> {
    /// The member as a whole tree, `depth` containers down (see [`whole`]); None for what
    /// cannot be rebuilt, which makes the document parsed whole.
    fn whole(self, depth: usize) -> Option<Value> {
        match self {
            Member::Raw(raw) => whole(raw.get(), depth),
            Member::Items(items) => items
                .iter()
                .map(|item| whole(item.get(), depth + 1))
                .collect::<Option<Vec<Value>>>()
                .map(Value::Array),
            Member::Table(_) | Member::Other => None,
        }
    }
}

/// Which keys of an object hold an export's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemKeys {
    /// None: every member is raw text.
    None,
    /// `value` and `data`: a document's top object.
    Top,
    /// `rows`: a Resource Graph table (`data`).
    Table,
}

/// The members of the object that is the whole of `text`, in file order: under the item keys
/// as [`ItemsSeed`] reads them, anything else as raw text.
fn members(text: &str, keys: ItemKeys) -> Result<Vec<(String, Member<'_>)>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = (&mut deserializer).deserialize_map(MembersVisitor { keys })?;
    deserializer.end()?;
    Ok(members)
}

/// Reads an object's members (see [`members`]).
struct MembersVisitor {
    keys: ItemKeys,
}

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(String, Member<'de>)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = access.next_key::<String>()? {
            let items = match self.keys {
                ItemKeys::None => false,
                ItemKeys::Top => matches!(key.as_str(), "value" | "data"),
                ItemKeys::Table => key == "rows",
            };
            let member = if items {
                access.next_value_seed(ItemsSeed {
                    table: self.keys == ItemKeys::Top && key == "data",
                })?
            } else {
                Member::Raw(access.next_value()?)
            };
            members.push((key, member));
        }
        Ok(members)
    }
}

/// The value under an item key: an array's elements as raw text, the members of a `data`
/// object, or [`Member::Other`].
struct ItemsSeed {
    table: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for ItemsSeed {
    type Value = Member<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<&'de RawValue>()? {
            items.push(item);
        }
        Ok(Member::Items(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        if self.table {
            return MembersVisitor {
                keys: ItemKeys::Table,
            }
            .visit_map(access)
            .map(Member::Table);
        }
        serde::de::IgnoredAny::deserialize(serde::de::value::MapAccessDeserializer::new(access))?;
        Ok(Member::Other)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }
}

#[cfg(test)]
mod tests {
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

    /// A hostile first item (here a 17 MB array of numbers, a tree of hundreds of megabytes)
    /// is not parsed for the preview; the items after it are, and all are located.
    #[test]
    fn a_preview_passes_over_an_item_too_big_for_it() {
        let vm = r#"{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm", "type": "microsoft.compute/virtualmachines"}"#;
        let numbers = vec!["1"; (PREVIEW_MAX_BYTES / 2) + 1].join(",");
        let huge = format!(r#"{{"id": "/subscriptions/s/providers/x/y/big", "n": [{numbers}]}}"#);
        let text = format!(r#"{{"value": [{huge}, {vm}, {vm}]}}"#);
        let (head, deferred) = preview(&text).expect("a big REST list is deferred");
        assert_eq!(deferred.elements.len(), 3);
        assert_eq!(&text[deferred.elements[0].clone()], huge);
        let shown = head["value"].as_array().unwrap();
        assert_eq!(shown.len(), 2, "the huge item is left out of the preview");
        assert_eq!(shown[0]["type"], "microsoft.compute/virtualmachines");
    }

    #[test]
    fn a_big_export_is_previewed_with_its_item_array_located() {
        let text = big_export(10_000);
        let (head, deferred) = preview(&text).expect("a big table export is deferred");
        assert_eq!(deferred.pointer, "/data/rows");
        assert_eq!(deferred.elements.len(), 10_000);
        let plain: Value = serde_json::from_str(&text).unwrap();
        let rows = plain["data"]["rows"].as_array().unwrap();
        for (i, range) in deferred.elements.iter().enumerate().step_by(997) {
            let element: Value = serde_json::from_str(&text[range.clone()]).unwrap();
            assert_eq!(&element, &rows[i]);
        }
        assert_eq!(
            head["data"]["rows"].as_array().unwrap().as_slice(),
            &rows[..PREVIEW_ELEMENTS]
        );
        assert_eq!(head["count"], plain["count"]);
        assert_eq!(head["totalRecords"], 10_000);

        let bare = format!(
            "[{}]",
            text.split_once("\"rows\": [")
                .unwrap()
                .1
                .rsplit_once("]},")
                .unwrap()
                .0
        );
        let (_, deferred) = preview(&bare).expect("a bare array is deferred");
        assert_eq!(
            (deferred.pointer.as_str(), deferred.elements.len()),
            ("", 10_000)
        );
        let list = format!("{{\"value\": {bare}, \"nextLink\": null}}");
        let (head, deferred) = preview(&list).expect("a REST list is deferred");
        assert_eq!(
            (deferred.pointer.as_str(), deferred.elements.len()),
            ("/value", 10_000)
        );
        assert_eq!(head["nextLink"], Value::Null);
    }

    #[test]
    fn what_is_not_an_item_array_is_not_deferred() {
        let text = big_export(10_000);
        let template = text.replacen("\"data\"", "\"resources\"", 1);
        assert_eq!(preview(&template), None);
        let repeated = text.replacen("\"totalRecords\"", "\"data\": 1, \"data\"", 1);
        assert_eq!(preview(&repeated), None);
        let repeated = text.replacen("\"columns\"", "\"rows\": [], \"columns\"", 1);
        assert_eq!(preview(&repeated), None);
        if knob().is_none() {
            assert_eq!(preview("[1, 2]"), None, "small");
        }
        let mut broken = text.clone();
        broken.push(',');
        assert_eq!(preview(&broken), None);
    }

    /// A big template builds no tree at loading, unless the plain parse must decide: invalid
    /// JSON of any kind serde_json refuses (syntax, a number out of range, nesting past its
    /// limit), a parameters file, or a REST resource that merely has `resources`.
    #[test]
    fn a_big_template_is_only_checked_at_loading() {
        let resources: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"type": "Microsoft.Network/publicIPAddresses", "name": "ip{i}", "properties": {{}}}}"#))
            .collect();
        let template = format!(
            r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": [{}]}}"#,
            resources.join(", ")
        );
        let path = Path::new("main.json");
        assert!(matches!(outline(&template, path), Outline::Template(_)));
        let without_schema = template.replacen("\"$schema\"", "\"$comment\"", 1);
        assert!(matches!(
            outline(&without_schema, path),
            Outline::Template(_)
        ));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for broken in [
            template.replacen("\"ip0\"", "1e400", 1),
            template.replacen("\"ip0\"", &deep, 1),
            template.replacen("\"ip0\"", "\"\\x\"", 1),
            format!("{template} x"),
        ] {
            assert!(serde_json::from_str::<Value>(&broken).is_err());
            assert!(matches!(outline(&broken, path), Outline::Whole));
        }
        assert!(matches!(
            outline(&template, Path::new("main.parameters.json")),
            Outline::Whole
        ));
        let resource = template.replacen(
            "\"contentVersion\"",
            "\"id\": \"/subscriptions/s/providers/Microsoft.Compute/virtualMachines/v\", \"contentVersion\"",
            1,
        )
        .replacen("deploymentTemplate", "vm", 1);
        assert!(matches!(outline(&resource, path), Outline::Whole));
    }

    #[test]
    fn small_documents_take_the_plain_path() {
        assert_eq!(
            parse_value("[1, {\"a\": 2}]").unwrap(),
            serde_json::json!([1, {"a": 2}])
        );
        assert!(parse_value("[1,").is_err());
    }

    fn outline_summary(outline: Outline) -> String {
        match outline {
            Outline::Export(mut head, deferred) => format!(
                "export {} at {} with {} items",
                {
                    // The general case's extra member.
                    if let Some(map) = head.as_object_mut() {
                        map.shift_remove("contentVersion");
                    }
                    head
                },
                deferred.pointer,
                deferred.elements.len()
            ),
            Outline::Template(_) => "template".to_owned(),
            Outline::Whole => "whole".to_owned(),
        }
    }

    /// A document whose first member is `$schema` is outlined in the one pass that checks
    /// it; the same members after another one take the general pass. Both tell the same,
    /// repeated keys included (the last counts; a non-string reads as absent).
    #[test]
    fn the_one_pass_head_agrees_with_the_general_outline() {
        let items: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/ip{i}", "properties": {{}}}}"#))
            .collect();
        let items = items.join(", ");
        let template = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#""#;
        let parameters = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#""#;
        let id = r#""id": "/subscriptions/s/providers/Microsoft.Compute/virtualMachines/v""#;
        let cases = [
            (template, format!(r#""resources": [{items}]"#), "template"),
            (
                template,
                format!(r#"{parameters}, "resources": [{items}]"#),
                "whole",
            ),
            (
                parameters,
                format!(r#""$schema": 5, "resources": [{items}]"#),
                "template",
            ),
            (
                r#""$schema": "x""#,
                format!(r#"{id}, "resources": [{items}]"#),
                "whole",
            ),
            (
                r#""$schema": "x""#,
                format!(r#"{id}, "id": [1], "resources": [{items}]"#),
                "template",
            ),
            (template, format!(r#""value": [{items}]"#), "export"),
            (
                r#""$schema": "x""#,
                format!(r#""data": {{"rows": [{items}]}}"#),
                "export",
            ),
            (
                template,
                format!(r#""resources": [{items}], "x": 1e400"#),
                "whole",
            ),
        ];
        let path = Path::new("main.json");
        for (first, rest, expected) in cases {
            let one_pass = format!("{{{first}, {rest}}}");
            let general = format!("{{\"contentVersion\": \"1.0.0.0\", {first}, {rest}}}");
            assert!(schema_first(&one_pass) && !schema_first(&general));
            let found = outline_summary(outline(&one_pass, path));
            assert!(found.starts_with(expected), "{first}: {found}");
            assert_eq!(found, outline_summary(outline(&general, path)), "{first}");
        }
    }

    /// The one pass that checks a big template also finds where each of its resources
    /// starts, the place a walk of the text finds; when it cannot tell for every one (a
    /// repeated `resources`, an element that is not an object or whose first key has an
    /// escape), it finds none.
    #[test]
    fn resource_starts_are_the_places_a_walk_finds() {
        let resources: Vec<String> = (0..1_500)
            .map(|i| {
                format!(
                    "\n    {{ \"type\": \"Microsoft.Network/publicIPAddresses\",\t\"name\": \"ip{i}\", \"properties\": {{\"a\": [1, {{\"b\": \"x\"}}]}}}}"
                )
            })
            .collect();
        let template = format!(
            "{{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [{}\n]}}",
            resources.join(",")
        );
        let path = Path::new("main.json");
        let starts = match outline(&template, path) {
            Outline::Template(Some(starts)) => starts,
            other => {
                assert!(matches!(other, Outline::Template(Some(_))), "{other:?}");
                return;
            }
        };
        assert_eq!(starts.len(), 1_500);
        let walk = crate::source::LineIndex::new(&template);
        for (i, &start) in starts.iter().enumerate() {
            let pointer = format!("/resources/{i}");
            assert_eq!(start, walk.pointer_offset(&template, &pointer));
            assert_eq!(template.as_bytes()[start], b'{');
        }
        for (from, to) in [
            ("\"resources\": [", "\"resources\": [], \"resources\": ["),
            ("{ \"type\": \"Microsoft.Network/publicIPAddresses\",\t\"name\": \"ip7\"", "{ \"t\\u0079pe\": \"Microsoft.Network/publicIPAddresses\",\t\"name\": \"ip7\""),
            ("\n    { \"type\": \"Microsoft.Network/publicIPAddresses\",\t\"name\": \"ip9\", \"properties\": {\"a\": [1, {\"b\": \"x\"}]}}", "\n    \"not an object\""),
            ("\n    { \"type\": \"Microsoft.Network/publicIPAddresses\",\t\"name\": \"ip9\", \"properties\": {\"a\": [1, {\"b\": \"x\"}]}}", "{}"),
        ] {
            let changed = template.replacen(from, to, 1);
            assert_ne!(changed, template);
            assert!(matches!(outline(&changed, path), Outline::Template(None)), "{to}");
        }
        let general =
            template.replacen("{\"$schema\"", "{\"contentVersion\": \"1\", \"$schema\"", 1);
        assert!(matches!(outline(&general, path), Outline::Template(None)));
    }
}
