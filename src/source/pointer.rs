//! SOURCE: JSON pointers (RFC 6901): build them, and resolve one to the byte offset of its value.
//!
//! Findings and diagnostics keep locations symbolic and resolve them only when a report needs
//! them, which can be once per VM, rule and problem. A walk from the top of the text for each
//! one is quadratic on a big template (a 100 MB file with 100,000 resources), so containers
//! whose text is long get an index of their entries the first time they are looked into, and
//! later lookups jump straight to the entry. Everything here is iterative (nesting costs no
//! stack) and tolerates any text: a missing token stops at the deepest value found.
//! This module never parses values and never allocates more than the containers it indexes.

use crate::map::Map;
use std::sync::Mutex;

/// Escapes one key for use in a JSON pointer (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `parent` followed by `/` and `token` escaped (RFC 6901): a child pointer, built with one
/// allocation.
pub fn child_pointer(parent: &str, token: &str) -> String {
    let mut out = String::with_capacity(parent.len() + 1 + token.len());
    out.push_str(parent);
    out.push('/');
    if token.bytes().any(|b| matches!(b, b'~' | b'/')) {
        out.push_str(&escape_pointer_token(token));
    } else {
        out.push_str(token);
    }
    out
}

/// `parent` followed by `/` and an array index.
pub fn index_pointer(parent: &str, index: usize) -> String {
    // Digits from the last: a usize has at most 20.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = index;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        start -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = digits.get(start..).unwrap_or_default();
    let mut out = String::with_capacity(parent.len() + 1 + digits.len());
    out.push_str(parent);
    out.push('/');
    out.extend(digits.iter().map(|&d| char::from(d)));
    out
}

/// Containers whose text is at least this long keep an index of their entries.
const INDEX_MIN_BYTES: usize = 4096;

/// Indexes of the entries of long containers, by the offset of their opening bracket.
#[derive(Debug, Default)]
pub(crate) struct ContainerCache {
    entries: Mutex<Map<usize, Entries>>,
}

/// Where each entry of one container starts.
#[derive(Debug)]
enum Entries {
    /// Offsets of an array's elements, in order.
    Elements(Vec<usize>),
    /// Offsets of an object's member values by decoded key (a repeated key: the last one, as
    /// the parsed document keeps it).
    Members(Map<String, usize>),
}

impl Entries {
    fn find(&self, token: &str) -> Option<usize> {
        match self {
            Entries::Elements(starts) => token
                .parse::<usize>()
                .ok()
                .and_then(|index| starts.get(index).copied()),
            Entries::Members(members) => members.get(token).copied(),
        }
    }
}

/// Byte offset where the value at `pointer` starts in `text` (JSON with comments blanked).
/// Returns the deepest offset reached when a token is missing, so a location is always usable.
pub(crate) fn resolve(text: &str, pointer: &str, cache: &ContainerCache) -> usize {
    resolve_from(text, skip_ws(text.as_bytes(), 0), pointer, cache)
}

/// As [`resolve`], with `pointer` taken relative to the value starting at byte `start`.
pub(crate) fn resolve_from(
    text: &str,
    start: usize,
    pointer: &str,
    cache: &ContainerCache,
) -> usize {
    let bytes = text.as_bytes();
    let mut pos = start;
    if pointer.is_empty() {
        return pos;
    }
    for raw in pointer.split('/').skip(1) {
        let token = unescape_pointer_token(raw);
        let next = match bytes.get(pos) {
            Some(b'{' | b'[') => lookup(bytes, pos, &token, cache),
            _ => None,
        };
        match next {
            Some(found) => pos = found,
            None => return pos,
        }
    }
    pos
}

fn lookup(bytes: &[u8], start: usize, token: &str, cache: &ContainerCache) -> Option<usize> {
    if let Ok(map) = cache.entries.lock() {
        if let Some(entries) = map.get(&start) {
            return entries.find(token);
        }
    }
    let mut inner = Vec::new();
    let (entries, end) = scan_container(bytes, start, Some((&mut inner, true)));
    let found = entries.find(token);
    if end.saturating_sub(start) >= INDEX_MIN_BYTES || !inner.is_empty() {
        if let Ok(mut map) = cache.entries.lock() {
            map.extend(inner);
            if end.saturating_sub(start) >= INDEX_MIN_BYTES {
                map.insert(start, entries);
            }
        }
    }
    found
}

/// Containers found inside the one being scanned, indexed in the same pass: the list they go
/// to, and whether objects are looked into too (one level: an item's `properties`).
type Inner<'v> = (&'v mut Vec<(usize, Entries)>, bool);

/// The entries of the container opening at `start`, and the offset just past it. With
/// `inner`, an object's arrays (any length) and, one level down, its long objects are indexed
/// in the same pass and added to the list (by their offsets): a template's `resources` is
/// walked once, not once to pass over it and again to index it, and an NSG's rules are found
/// with one walk of the NSG rather than one for it, one for its `properties` and one per
/// default rule.
fn scan_container(bytes: &[u8], start: usize, mut inner: Option<Inner<'_>>) -> (Entries, usize) {
    let is_object = bytes.get(start) == Some(&b'{');
    let mut elements = Vec::new();
    let mut members = Map::default();
    let mut pos = skip_ws(bytes, start + 1);
    loop {
        match bytes.get(pos) {
            None => break,
            Some(b'}' | b']') => {
                pos += 1;
                break;
            }
            Some(_) => {}
        }
        let value_start = if is_object {
            if bytes.get(pos) != Some(&b'"') {
                break;
            }
            let key_end = skip_string(bytes, pos);
            let key = decode_key(bytes.get(pos + 1..key_end.saturating_sub(1)).unwrap_or(&[]));
            pos = skip_ws(bytes, key_end);
            if bytes.get(pos) != Some(&b':') {
                break;
            }
            let value_start = skip_ws(bytes, pos + 1);
            members.insert(key, value_start);
            value_start
        } else {
            elements.push(pos);
            pos
        };
        let value_end = match (&mut inner, bytes.get(value_start)) {
            (Some((found, _)), Some(b'[')) if is_object => {
                // Kept whatever its length: the scan is done, and the element offsets cost
                // little (an NSG's six default rules, 3 KB, were scanned again for each).
                let (entries, end) = scan_container(bytes, value_start, None);
                found.push((value_start, entries));
                end
            }
            (Some((found, true)), Some(b'{')) if is_object => {
                let (entries, end) = scan_container(bytes, value_start, Some((found, false)));
                if end.saturating_sub(value_start) >= INDEX_MIN_BYTES {
                    found.push((value_start, entries));
                }
                end
            }
            _ => skip_value(bytes, value_start),
        };
        pos = skip_ws(bytes, value_end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b'}' | b']') => {
                pos += 1;
                break;
            }
            _ => break,
        }
    }
    let entries = if is_object {
        Entries::Members(members)
    } else {
        Entries::Elements(elements)
    };
    (entries, pos)
}

/// The decoded text of a raw key (between its quotes).
fn decode_key(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !raw.contains(&b'\\') {
        return text.into_owned();
    }
    serde_json::from_str::<String>(&format!("\"{text}\"")).unwrap_or_else(|_| text.into_owned())
}

/// Unescapes one pointer token (`~1` is `/`, `~0` is `~`); borrowed when it has neither.
pub(crate) fn unescape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

pub(crate) fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// End (exclusive) of the string starting at `pos` (which holds the opening quote).
pub(crate) fn skip_string(bytes: &[u8], pos: usize) -> usize {
    let mut i = pos + 1;
    // From escape to escape: most strings have none, and memchr reads many bytes at a time.
    while let Some(found) = bytes
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        let at = i + found;
        if bytes.get(at) == Some(&b'"') {
            return at + 1;
        }
        i = at + 2;
    }
    bytes.len()
}

/// Bytes that end a run of bytes [`skip_value`] can pass over inside a container: quotes and
/// brackets.
fn structural(b: u8) -> bool {
    matches!(b, b'"' | b'{' | b'}' | b'[' | b']')
}

/// End (exclusive) of the value starting at `pos`. Iterative, so nesting depth costs no stack.
fn skip_value(bytes: &[u8], pos: usize) -> usize {
    let mut depth = 0usize;
    let mut i = pos;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = skip_string(bytes, i);
                if depth == 0 {
                    return i;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            // A scalar right before its container's closing bracket ends there.
            b'}' | b']' if depth == 0 => return i,
            b'}' | b']' => {
                if depth == 1 {
                    return i + 1;
                }
                depth -= 1;
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
        if depth > 0 {
            // Inside a container only quotes and brackets matter: pass over the rest.
            let run = bytes.get(i..).map_or(0, |rest| {
                rest.iter()
                    .position(|&b| structural(b))
                    .unwrap_or(rest.len())
            });
            i += run;
        }
    }
    bytes.len()
}

/// Length in bytes of the value starting at `pos`, for a label: a whole scalar (a quoted
/// string, a number, `true`...) up to `max` bytes, or 1 for an object or array.
pub(crate) fn scalar_len(text: &str, pos: usize, max: usize) -> usize {
    let bytes = text.as_bytes();
    let len = match bytes.get(pos) {
        None => 0,
        Some(b'{' | b'[') => 1,
        Some(_) => skip_value(bytes, pos).saturating_sub(pos).max(1),
    };
    let mut len = len.min(max);
    while len > 1 && !text.is_char_boundary(pos + len) {
        len -= 1;
    }
    len
}

/// Byte offset in `text` of the character that starts at byte `decoded` of the decoded value
/// of the JSON string whose opening quote is at `quote`. Escapes (`\"`, `\n`, `\u0041`, a
/// surrogate pair) count as the character they stand for, so an offset inside an ARM
/// expression lands on the character the user wrote. Offsets past the end clamp to the
/// closing quote.
pub(crate) fn raw_offset_in_string(text: &str, quote: usize, decoded: usize) -> usize {
    let bytes = text.as_bytes();
    if bytes.get(quote) != Some(&b'"') {
        return quote.min(text.len());
    }
    let mut raw = quote + 1;
    let mut seen = 0usize;
    while seen < decoded {
        match bytes.get(raw) {
            None | Some(b'"') => break,
            Some(b'\\') => {
                let (raw_len, decoded_len) = escape_lengths(bytes, raw);
                raw += raw_len;
                seen += decoded_len;
            }
            Some(&b) => {
                let len = utf8_len(b);
                raw += len;
                seen += len;
            }
        }
    }
    raw.min(text.len())
}

/// Raw and decoded byte lengths of the escape starting at `pos` (a backslash).
fn escape_lengths(bytes: &[u8], pos: usize) -> (usize, usize) {
    if bytes.get(pos + 1) != Some(&b'u') {
        return (2, 1);
    }
    let unit = |at: usize| -> Option<u32> {
        let hex = bytes.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    match unit(pos + 2) {
        Some(high @ 0xD800..=0xDBFF)
            if bytes.get(pos + 6) == Some(&b'\\') && bytes.get(pos + 7) == Some(&b'u') =>
        {
            match unit(pos + 8) {
                Some(0xDC00..=0xDFFF) => (12, 4),
                _ => (6, char_len(high)),
            }
        }
        Some(code) => (6, char_len(code)),
        None => (2, 1),
    }
}

fn char_len(code: u32) -> usize {
    char::from_u32(code).map_or(3, char::len_utf8)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xFF => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod pointer_building {
    use super::*;

    #[test]
    fn child_pointers_escape_as_rfc_6901_says() {
        assert_eq!(child_pointer("/a", "b"), "/a/b");
        assert_eq!(child_pointer("", "x/y~z"), "/x~1y~0z");
        assert_eq!(index_pointer("/resources", 12), "/resources/12");
    }

    #[test]
    fn index_pointers_write_every_number_in_decimal() {
        assert_eq!(index_pointer("", 0), "/0");
        assert_eq!(index_pointer("/a", 9), "/a/9");
        assert_eq!(index_pointer("/a", 10), "/a/10");
        assert_eq!(index_pointer("/a", 1_000_007), "/a/1000007");
        assert_eq!(
            index_pointer("/a", usize::MAX),
            format!("/a/{}", usize::MAX)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_map_back_to_the_raw_text() {
        // The decoded value is `a"b[x]`; `[` is decoded byte 3.
        let text = r#"{"k": "a\"b[x]"}"#;
        let quote = text.find("\"a").unwrap();
        assert_eq!(&text[raw_offset_in_string(text, quote, 3)..][..1], "[");
        let text = r#"{"k": "\u0041\u00e9[x]"}"#;
        let quote = text.find("\"\\u").unwrap();
        // decoded: 'A' (1 byte), 'é' (2 bytes), '[' at byte 3.
        assert_eq!(&text[raw_offset_in_string(text, quote, 3)..][..1], "[");
        let text = r#"{"k": "\ud83d\ude00é["}"#;
        let quote = text.find("\"\\u").unwrap();
        assert_eq!(&text[raw_offset_in_string(text, quote, 6)..][..1], "[");
        assert_eq!(raw_offset_in_string(text, quote, 999), text.len() - 2);
    }

    /// A number or literal last in its object ends before the closing brace: the walk of an
    /// object read its next sibling's members as its own when an object nested in the one
    /// being indexed ended with `22}`.
    #[test]
    fn a_scalar_last_in_its_container_ends_before_the_bracket() {
        let text = r#"{"a": {"n": 22}, "b": {"t": true}, "c": [1, null], "d": {"v": "x"}}"#;
        for (pointer, expect) in [
            ("/a/n", "22"),
            ("/b/t", "true"),
            ("/c/1", "null"),
            ("/d/v", "\"x\""),
            ("/d", "{"),
        ] {
            let cache = ContainerCache::default();
            let at = resolve(text, pointer, &cache);
            assert_eq!(&text[at..at + expect.len()], expect, "{pointer}");
        }
        assert_eq!(
            skip_value(text.as_bytes(), text.find("22").unwrap()),
            text.find("22}").unwrap() + 2
        );
        assert_eq!(skip_value(b"[1,2]", 0), 5);
    }

    #[test]
    fn big_containers_are_indexed_once() {
        let items: Vec<String> = (0..2000).map(|i| format!("{{\"n\": {i}}}")).collect();
        let text = format!("{{\"r\": [{}], \"z\": 1}}", items.join(", "));
        let cache = ContainerCache::default();
        let at = resolve(&text, "/r/1999/n", &cache);
        assert_eq!(&text[at..at + 4], "1999");
        assert_eq!(cache.entries.lock().unwrap().len(), 2);
        let at = resolve(&text, "/z", &cache);
        assert_eq!(&text[at..at + 1], "1");
    }
}
