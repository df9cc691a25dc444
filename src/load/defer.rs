//! LOAD: leave the bulk of a big document unparsed until it is needed.
//!
//! A big export is one file holding tens of thousands of resources in one array (`value`,
//! `data`, `data.rows`, a bare array); its tree would be several times its text. Here the
//! item array is located and only its first items parsed, to tell what the document is; the
//! items themselves are read later, a batch at a time (`export`), so no tree of a whole export
//! is ever built. A big template is only checked to be valid JSON: its tree is built once,
//! when its environment is, so a scan of many templates never holds every tree at once.
//!
//! A big object is read once, from the top: what tells a template from other documents is
//! kept, the whole text checked as a `Value` parse checks it, and where each resource starts
//! noted, all in that one pass ([`head`]). The pass stops at a member where exports keep
//! their items (`value`, `data`); the members are then read as raw text, an item array's
//! elements too ([`members`]), to preview the export. Reading every big object's members as
//! raw text first and checking a template's text after would read big templates twice.

use std::cell::Cell;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::sniff::{self, DocumentKind};
use crate::json::split::whole;

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

/// Elements of the item array parsed for sniffing what the document is. Not a limit a scan
/// may change: what the first elements are decides what the document is.
pub(crate) const PREVIEW_ELEMENTS: usize = 16;

/// The text of the previewed elements, at most: an element longer than what is left of it
/// is passed over, so a hostile first item cannot make the preview a tree of gigabytes.
const PREVIEW_MAX_BYTES: usize = 16 << 20;

/// What a document is, as far as loading needs to know before any tree of it is built.
#[derive(Debug)]
pub(crate) enum Outline {
    /// A big export: its head, with the item array cut to (at most) its first
    /// [`PREVIEW_ELEMENTS`] elements that fit in [`PREVIEW_MAX_BYTES`], and where all the
    /// items are.
    Export(Value, Deferred),
    /// A big ARM template, its whole text checked to be valid JSON: its tree is built only
    /// when its environment is. With where each element of its `resources` starts, when that
    /// could be told for every one.
    Template(Option<Vec<usize>>),
    /// A small document, or anything else (invalid JSON, a repeated key on the way to the
    /// item array, neither an export nor a template): parsed whole.
    Whole,
}

/// The [`Outline`] of `text` (the file at `path`): [`Outline::Whole`] when it is shorter
/// than `min_bytes` (see [`crate::limits::Limits::defer_min_bytes`]).
pub(crate) fn outline(text: &str, path: &Path, min_bytes: usize) -> Outline {
    if text.len() < min_bytes {
        return Outline::Whole;
    }
    let export = |found: Option<(Value, Deferred)>| {
        found.map_or(Outline::Whole, |(value, deferred)| {
            Outline::Export(value, deferred)
        })
    };
    match text.trim_start().as_bytes().first() {
        Some(b'[') => export(
            serde_json::from_str(text)
                .ok()
                .and_then(|items| item_array(text, items, "")),
        ),
        Some(b'{') => match head(text) {
            Some(Top::Head(head)) if head.is_template(path) => {
                Outline::Template(head.resource_starts(text))
            }
            Some(Top::Head(_)) | None => Outline::Whole,
            Some(Top::ItemKeys) => match members(text, ItemKeys::Top) {
                Ok(members) => export(export_head(text, members)),
                Err(_) => Outline::Whole,
            },
        },
        _ => Outline::Whole,
    }
}

/// The previewed item array of `text` whose elements are `items`, and where they all are.
fn item_array(text: &str, items: Vec<&RawValue>, pointer: &str) -> Option<(Value, Deferred)> {
    let base = text.as_ptr() as usize;
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
    let elements = items
        .iter()
        .map(|item| {
            let start = (item.get().as_ptr() as usize).saturating_sub(base);
            start..start + item.get().len()
        })
        .collect();
    Some((
        Value::Array(preview),
        Deferred {
            pointer: pointer.to_owned(),
            elements,
        },
    ))
}

/// The head of an export whose top object has the members `members`: every member whole,
/// but the first item array (`value`, `data` or `data.rows`) previewed. None when there is
/// no item array, or the head cannot be rebuilt as serde_json would build it (the document
/// is then parsed whole).
fn export_head(text: &str, members: Vec<(String, Member<'_>)>) -> Option<(Value, Deferred)> {
    let mut map = Map::new();
    let mut deferred = None;
    for (key, member) in members {
        // A repeated key keeps its first place and last value, as serde_json does; a
        // repeated `value` or `data` could hide the items: parsed whole instead.
        if map.contains_key(&key) && matches!(key.as_str(), "value" | "data") {
            return None;
        }
        let value = match member {
            Member::Items(items) if deferred.is_none() => {
                let (value, found) = item_array(text, items, &format!("/{key}"))?;
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
                            let (value, found) = item_array(text, items, "/data/rows")?;
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
}

/// What the one pass over a big object tells (see [`head`]).
enum Top {
    /// Its members hold no export items: what tells a template, the text checked.
    Head(Head),
    /// A `value` or `data` member, where exports keep their items: read no further.
    ItemKeys,
}

/// What tells a template from other documents at the top of one: the members [`sniff`]
/// reads, as the whole tree has them (the last of repeated keys; only strings, as sniff
/// reads nothing else of them).
///
/// [`sniff`]: super::sniff::sniff
#[derive(Debug, Default)]
struct Head {
    /// The last `$schema`, when a string.
    schema: Option<String>,
    /// The last `id`, when a string.
    id: Option<String>,
    /// How many `resources` members there are.
    resources: usize,
    /// A `terraform_version` member (a Terraform state or plan).
    terraform: bool,
    /// Where the first key of each element of `resources` lies in memory, when every
    /// element is an object whose first key is read straight from the text (see
    /// [`Head::resource_starts`]).
    first_keys: Option<Vec<usize>>,
}

impl Head {
    /// A template, as [`sniff`] tells it from these members (and the file's `path`).
    ///
    /// [`sniff`]: super::sniff::sniff
    fn is_template(&self, path: &Path) -> bool {
        let mut top = Map::new();
        let string = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
        if self.schema.is_some() {
            top.insert("$schema".to_owned(), string(&self.schema));
        }
        if self.id.is_some() {
            top.insert("id".to_owned(), string(&self.id));
        }
        if self.resources > 0 {
            top.insert("resources".to_owned(), Value::Null);
        }
        if self.terraform {
            top.insert("terraform_version".to_owned(), Value::Null);
        }
        sniff::sniff(&Value::Object(top), path) == DocumentKind::Template
    }

    /// Byte offsets in `text` (the text the head was read from) of the elements of its one
    /// `resources` array: each is the `{` before its first key. None when that cannot be
    /// told for every element, or `resources` is repeated (a pointer then needs the walk).
    fn resource_starts(&self, text: &str) -> Option<Vec<usize>> {
        if self.resources != 1 {
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

/// The [`Top`] of the object `text`, read in one pass that also checks the whole text as
/// [`Valid`] does, unless an item key comes first; None when a `Value` parse would fail.
fn head(text: &str) -> Option<Top> {
    let item_keys = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = (&mut deserializer)
        .deserialize_map(HeadVisitor {
            item_keys: &item_keys,
        })
        .and_then(|head| deserializer.end().map(|()| head));
    match read {
        Ok(head) => Some(Top::Head(head)),
        Err(_) if item_keys.get() => Some(Top::ItemKeys),
        Err(_) => None,
    }
}

/// Reads a [`Head`] (see [`head`]); stops, with an error and `item_keys` set, at a `value` or
/// `data` member.
struct HeadVisitor<'a> {
    item_keys: &'a Cell<bool>,
}

impl<'de> Visitor<'de> for HeadVisitor<'_> {
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
                    head.resources += 1;
                    head.first_keys = access.next_value::<FirstKeys>()?.0;
                }
                "value" | "data" => {
                    self.item_keys.set(true);
                    return Err(serde::de::Error::custom("an export's item key"));
                }
                other => {
                    head.terraform |= other == "terraform_version";
                    access.next_value::<Valid>()?;
                }
            }
        }
        Ok(head)
    }
}

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
    use crate::json::split::test_inputs::big_export;

    /// The default threshold, as a scan uses it.
    const MIN: usize = 64 << 10;

    /// For a big document whose bulk is one array where exports keep their items: the
    /// document with that array previewed, and where all its elements are.
    fn preview(text: &str) -> Option<(Value, Deferred)> {
        match outline(text, Path::new(""), MIN) {
            Outline::Export(value, deferred) => Some((value, deferred)),
            Outline::Template(_) | Outline::Whole => None,
        }
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
        assert_eq!(preview("[1, 2]"), None, "small");
        assert!(matches!(
            outline("[1, 2]", Path::new(""), 1),
            Outline::Export(..)
        ));
        let mut broken = text.clone();
        broken.push(',');
        assert_eq!(preview(&broken), None);
    }

    /// A big template builds no tree at loading, unless the plain parse must decide: invalid
    /// JSON of any kind serde_json refuses (syntax, a number out of range, nesting past its
    /// limit, a lone surrogate), a parameters file, or a REST resource that merely has
    /// `resources`.
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
        assert!(matches!(
            outline(&template, path, MIN),
            Outline::Template(Some(_))
        ));
        let without_schema = template.replacen("\"$schema\"", "\"$comment\"", 1);
        assert!(matches!(
            outline(&without_schema, path, MIN),
            Outline::Template(_)
        ));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for broken in [
            template.replacen("\"ip0\"", "1e400", 1),
            template.replacen("\"ip0\"", &deep, 1),
            template.replacen("\"ip0\"", "\"\\x\"", 1),
            template.replacen("\"ip0\"", "\"\\ud800\"", 1),
            format!("{template} x"),
        ] {
            assert!(serde_json::from_str::<Value>(&broken).is_err());
            assert!(matches!(outline(&broken, path, MIN), Outline::Whole));
        }
        assert!(matches!(
            outline(&template, Path::new("main.parameters.json"), MIN),
            Outline::Whole
        ));
        let resource = template.replacen(
            "\"contentVersion\"",
            "\"id\": \"/subscriptions/s/providers/Microsoft.Compute/virtualMachines/v\", \"contentVersion\"",
            1,
        )
        .replacen("deploymentTemplate", "vm", 1);
        assert!(matches!(outline(&resource, path, MIN), Outline::Whole));
        assert!(matches!(
            outline(&template, path, usize::MAX),
            Outline::Whole
        ));
    }

    /// A document with no item key is outlined as a template exactly when [`sniff`] calls
    /// its parsed tree a template, whatever the order of its members, repeated keys included
    /// (the last counts; a non-string reads as absent).
    ///
    /// [`sniff`]: super::sniff::sniff
    #[test]
    fn a_template_is_outlined_as_sniff_tells_it() {
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
            (
                template,
                format!(r#""terraform_version": "1", "resources": [{items}]"#),
                "whole",
            ),
            (template, format!(r#""value": [{items}]"#), "export"),
            (
                template,
                format!(r#""value": 5, "resources": [{items}]"#),
                "whole",
            ),
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
            // Reversed, the last of repeated keys is another: only sniff's word counts.
            for (text, reversed) in [
                (format!("{{{first}, {rest}}}"), false),
                (
                    format!("{{\"contentVersion\": \"1.0.0.0\", {first}, {rest}}}"),
                    false,
                ),
                (format!("{{{rest}, {first}}}"), true),
            ] {
                let found = match outline(&text, path, MIN) {
                    Outline::Export(..) => "export",
                    Outline::Template(_) => "template",
                    Outline::Whole => "whole",
                };
                assert!(reversed || found == expected, "{first}: {found}");
                // A document with an item key is never outlined as a template: it is an
                // export (its head sniffed again once previewed, see `deferrable`), or parsed
                // whole.
                let item_keys = text.contains("\"value\"") || text.contains("\"data\"");
                if let (Ok(tree), false) = (serde_json::from_str::<Value>(&text), item_keys) {
                    assert_eq!(
                        found == "template",
                        sniff::sniff(&tree, path) == DocumentKind::Template,
                        "{first}"
                    );
                }
            }
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
        let starts = match outline(&template, path, MIN) {
            Outline::Template(Some(starts)) => starts,
            other => panic!("{other:?}"),
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
            assert!(matches!(outline(&changed, path, MIN), Outline::Template(None)), "{to}");
        }
        // Wherever `$schema` is (or without one), the same pass finds the same places.
        let shifted = "{\"contentVersion\": \"1\", ";
        let general = template.replacen('{', shifted, 1);
        let general_starts: Vec<usize> = match outline(&general, path, MIN) {
            Outline::Template(Some(starts)) => starts,
            other => panic!("{other:?}"),
        };
        let shift = shifted.len() - 1;
        assert!(general_starts
            .iter()
            .zip(&starts)
            .all(|(g, s)| *g == s + shift));
    }
}
