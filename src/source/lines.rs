//! SOURCE: turn a symbolic location (file + JSON pointer) into a line and column.
//!
//! Findings keep locations symbolic (a path of keys into the document) and resolve them only
//! when a report needs them. [`LineIndex`] holds what makes that cheap on any file, however
//! big or however long its lines (a minified export is one line): line starts, character
//! counts at fixed byte intervals, and the entry indexes of long containers (see `pointer`).
//! This module never builds a tree and never interprets values.

use crate::map::Map;
use std::sync::Mutex;

use super::pointer::{self, ContainerCache};

/// Character counts are remembered every this many bytes, so a column on a very long line
/// costs at most one block of counting.
const CHAR_MARK_BYTES: usize = 4096;

/// A text's line starts and location caches, for offset -> line/column and pointer -> offset.
#[derive(Debug)]
pub struct LineIndex {
    line_starts: LineStarts,
    /// Number of characters before byte `i * CHAR_MARK_BYTES`; empty for an ASCII text,
    /// whose characters are its bytes.
    char_marks: Vec<usize>,
    containers: ContainerCache,
    /// Line and column of every pointer asked for: reports ask for the same NSG rule once
    /// per VM and port that it decides.
    places: Mutex<Map<Box<str>, (usize, usize)>>,
    /// Where the elements of a big export's item array start, known from loading it: the
    /// array's pointer and the offsets. A pointer into it goes straight to its element.
    items: Option<(String, Vec<usize>)>,
}

impl Clone for LineIndex {
    fn clone(&self) -> Self {
        Self {
            line_starts: self.line_starts.clone(),
            char_marks: self.char_marks.clone(),
            containers: ContainerCache::default(),
            places: Mutex::default(),
            items: self.items.clone(),
        }
    }
}

/// The byte offsets where lines start. A text of up to 4 GiB (every file jitscan reads: see
/// `read::MAX_FILE_BYTES`) keeps them in 32 bits: a pretty-printed file has a line every few
/// dozen bytes, so this is the biggest part of the index.
#[derive(Debug, Clone)]
enum LineStarts {
    Short(Vec<u32>),
    Long(Vec<usize>),
}

impl LineStarts {
    fn of(text: &str) -> Self {
        Self::with_width(text, u32::try_from(text.len()).is_ok())
    }

    /// The line starts of `text`, in 32 bits when `short`.
    fn with_width(text: &str, short: bool) -> Self {
        let bytes = text.as_bytes();
        // Counted first, so the list is allocated once at its size.
        let lines = 1 + memchr::memchr_iter(b'\n', bytes).count();
        let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        if short {
            let mut short = Vec::with_capacity(lines);
            short.extend(starts.map(|start| u32::try_from(start).unwrap_or(u32::MAX)));
            LineStarts::Short(short)
        } else {
            let mut long = Vec::with_capacity(lines);
            long.extend(starts);
            LineStarts::Long(long)
        }
    }

    /// The line (0-based) that holds byte `offset`, and where it starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        fn find<T: Copy + Ord>(starts: &[T], offset: T) -> (usize, T) {
            let line = match starts.binary_search(&offset) {
                Ok(exact) => exact,
                Err(next) => next.saturating_sub(1),
            };
            (line, starts.get(line).copied().unwrap_or(offset))
        }
        match self {
            LineStarts::Short(starts) => {
                let offset32 = u32::try_from(offset).unwrap_or(u32::MAX);
                let (line, start) = find(starts, offset32);
                (line, usize::try_from(start).unwrap_or(0))
            }
            LineStarts::Long(starts) => find(starts, offset),
        }
    }
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let line_starts = LineStarts::of(text);
        let mut char_marks = Vec::new();
        if !text.is_ascii() {
            char_marks.reserve(text.len() / CHAR_MARK_BYTES + 1);
            let mut chars = 0usize;
            for block in text.as_bytes().chunks(CHAR_MARK_BYTES) {
                char_marks.push(chars);
                chars += count_chars(block);
            }
        }
        Self {
            line_starts,
            char_marks,
            containers: ContainerCache::default(),
            places: Mutex::default(),
            items: None,
        }
    }

    /// Also knows where the elements of the array at `pointer` start (byte offsets in the
    /// text), so locations inside them cost no walk from the top of a big file.
    pub fn with_items(mut self, pointer: &str, starts: Vec<usize>) -> Self {
        self.items = Some((pointer.to_owned(), starts));
        self
    }

    /// The line and column of `pointer` when already resolved.
    pub fn known_place(&self, pointer: &str) -> Option<(usize, usize)> {
        self.places
            .lock()
            .ok()
            .and_then(|m| m.get(pointer).copied())
    }

    /// 1-based line and column of the value at `pointer` in `text`, remembered.
    pub fn pointer_line_col(&self, text: &str, pointer: &str) -> (usize, usize) {
        if let Some(found) = self
            .places
            .lock()
            .ok()
            .and_then(|m| m.get(pointer).copied())
        {
            return found;
        }
        let place = self.line_col(text, self.pointer_offset(text, pointer));
        if let Ok(mut places) = self.places.lock() {
            places.insert(pointer.into(), place);
        }
        place
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let (line, start) = self.line_starts.line_of(offset);
        let column = self
            .chars_before(text, offset)
            .saturating_sub(self.chars_before(text, start));
        (line + 1, column + 1)
    }

    /// Byte offset where the value at `pointer` starts in `text` (the text this index was
    /// built from). Missing tokens stop at the deepest value found.
    pub fn pointer_offset(&self, text: &str, pointer: &str) -> usize {
        if let Some((prefix, starts)) = &self.items {
            let inside = pointer
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_prefix('/'));
            if let Some(rest) = inside {
                let (index, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                if let Some(&start) = index.parse::<usize>().ok().and_then(|i| starts.get(i)) {
                    return pointer::resolve_from(text, start, tail, &self.containers);
                }
            }
        }
        pointer::resolve(text, pointer, &self.containers)
    }

    /// Number of characters in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        if self.char_marks.is_empty() {
            // ASCII (or empty): one character per byte.
            return offset.min(text.len());
        }
        let block = offset / CHAR_MARK_BYTES;
        let base = self.char_marks.get(block).copied().unwrap_or(0);
        let from = block * CHAR_MARK_BYTES;
        let tail = text.as_bytes().get(from.min(offset)..offset).unwrap_or(&[]);
        base + count_chars(tail)
    }
}

/// Characters in UTF-8 bytes: the bytes that are not continuation bytes (`10xxxxxx`, which
/// read as signed are below -64). Written so the compiler can count many bytes at a time.
fn count_chars(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| usize::from(i8::from_ne_bytes([b]) >= -64))
        .sum()
}

/// Byte offset where the value at `pointer` starts in `text` (which must be valid JSON with
/// comments already blanked). Returns the deepest offset reached when a token is missing, so a
/// location is always usable. For repeated lookups in one document use
/// [`LineIndex::pointer_offset`], which remembers what it scanned.
pub fn pointer_offset(text: &str, pointer: &str) -> usize {
    pointer::resolve(text, pointer, &ContainerCache::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line starts kept in 32 or 64 bits find the same line for every offset.
    #[test]
    fn line_starts_of_either_width_agree() {
        let text = "{\n  \"a\": 1,\n\n  \"b\": [\n    2\n  ]\n}\nlast";
        let (short, long) = (
            LineStarts::with_width(text, true),
            LineStarts::with_width(text, false),
        );
        assert!(matches!(short, LineStarts::Short(_)) && matches!(long, LineStarts::Long(_)));
        for offset in 0..=text.len() + 2 {
            let expected_line = text
                .get(..offset.min(text.len()))
                .unwrap()
                .matches('\n')
                .count();
            assert_eq!(
                short.line_of(offset.min(text.len())).0,
                expected_line,
                "{offset}"
            );
            assert_eq!(short.line_of(offset), long.line_of(offset), "{offset}");
        }
    }

    const DOC: &str = "{\n  \"a\": 1,\n  \"r\": [\n    {\"n\": \"x\"},\n    {\"a/b\": {\"deep\": [true, \"é\"]}}\n  ]\n}";

    fn at(pointer: &str) -> (usize, usize) {
        let offset = pointer_offset(DOC, pointer);
        LineIndex::new(DOC).line_col(DOC, offset)
    }

    #[test]
    fn finds_members_and_elements() {
        assert_eq!(at(""), (1, 1));
        assert_eq!(at("/a"), (2, 8));
        assert_eq!(at("/r/0"), (4, 5));
        assert_eq!(at("/r/1/a~1b/deep/1"), (5, 29));
    }

    #[test]
    fn missing_token_stops_at_deepest_known() {
        assert_eq!(at("/r/7"), at("/r"));
        assert_eq!(at("/zz"), (1, 1));
    }

    #[test]
    fn escaped_keys_are_compared_decoded() {
        let doc = r#"{"a\"b": 1, "c": 2}"#;
        assert_eq!(pointer_offset(doc, "/c"), 17);
        assert_eq!(pointer_offset(doc, "/a\"b"), 9);
    }

    #[test]
    fn known_item_starts_give_the_same_places_as_a_walk() {
        let index = LineIndex::new(DOC).with_items("/r", vec![25, 41]);
        for pointer in [
            "/r/0",
            "/r/1",
            "/r/1/a~1b/deep/1",
            "/r/0/n",
            "/a",
            "/r",
            "/r/9",
            "",
        ] {
            assert_eq!(
                index.pointer_offset(DOC, pointer),
                pointer_offset(DOC, pointer),
                "{pointer}"
            );
        }
    }

    #[test]
    fn characters_are_counted_as_utf8_decodes_them() {
        for text in [
            "",
            "abc",
            "é",
            "日本語",
            "a\u{1F600}b",
            "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}",
        ] {
            assert_eq!(
                count_chars(text.as_bytes()),
                text.chars().count(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn columns_in_ascii_text_are_byte_offsets() {
        let text = format!("{}\nb", "a".repeat(10_000));
        let index = LineIndex::new(&text);
        assert!(index.char_marks.is_empty());
        assert_eq!(index.line_col(&text, 9_000), (1, 9_001));
        assert_eq!(index.line_col(&text, 10_001), (2, 1));
        assert_eq!(index.line_col(&text, 50_000), (2, 2), "clamped to the end");
    }

    #[test]
    fn columns_on_a_long_line_count_characters() {
        let text = format!("{}x", "é".repeat(10_000));
        let index = LineIndex::new(&text);
        assert_eq!(index.line_col(&text, 20_000), (1, 10_001));
        assert_eq!(index.line_col(&text, 8_192), (1, 4_097));
        let text = format!("ab\n{}", "é".repeat(5_000));
        let index = LineIndex::new(&text);
        assert_eq!(index.line_col(&text, 3 + 9_000), (2, 4_501));
    }
}
