//! LOAD: turn a symbolic location (file + JSON pointer) into a line and column.
//!
//! Findings keep locations symbolic (a path of keys into the document) and resolve them only
//! when a report needs them. This module walks the already-validated JSON text to the byte
//! offset of a pointer; it never builds a tree and never interprets values.

/// A text with its line starts, for offset -> line/column conversion.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { line_starts }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(exact) => exact,
            Err(next) => next.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = text
            .get(start..offset.min(text.len()))
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line + 1, column)
    }
}

/// Escapes one key for use in a JSON pointer (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Byte offset where the value at `pointer` starts in `text` (which must be valid JSON with
/// comments already blanked). Returns the deepest offset reached when a token is missing, so a
/// location is always usable.
pub fn pointer_offset(text: &str, pointer: &str) -> usize {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    if pointer.is_empty() {
        return pos;
    }
    for raw in pointer.split('/').skip(1) {
        let token = unescape_pointer_token(raw);
        let next = match bytes.get(pos) {
            Some(b'{') => find_member(bytes, pos, &token),
            Some(b'[') => token
                .parse::<usize>()
                .ok()
                .and_then(|index| find_element(bytes, pos, index)),
            _ => None,
        };
        match next {
            Some(found) => pos = found,
            None => return pos,
        }
    }
    pos
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// End (exclusive) of the string starting at `pos` (which holds the opening quote).
fn skip_string(bytes: &[u8], pos: usize) -> usize {
    let mut i = pos + 1;
    while let Some(b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// End (exclusive) of the value starting at `pos`. Iterative, so nesting depth costs no stack.
fn skip_value(bytes: &[u8], pos: usize) -> usize {
    let mut depth = 0usize;
    let mut i = pos;
    while let Some(b) = bytes.get(i) {
        match b {
            b'"' => {
                i = skip_string(bytes, i);
                if depth == 0 {
                    return i;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth <= 1 {
                    return i + 1;
                }
                depth -= 1;
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn find_member(bytes: &[u8], object_start: usize, key: &str) -> Option<usize> {
    let mut pos = skip_ws(bytes, object_start + 1);
    while bytes.get(pos) == Some(&b'"') {
        let key_end = skip_string(bytes, pos);
        let raw_key = bytes.get(pos + 1..key_end.saturating_sub(1))?;
        let matches = if raw_key.contains(&b'\\') {
            std::str::from_utf8(raw_key)
                .ok()
                .and_then(|k| serde_json::from_str::<String>(&format!("\"{k}\"")).ok())
                .is_some_and(|k| k == key)
        } else {
            raw_key == key.as_bytes()
        };
        pos = skip_ws(bytes, key_end);
        if bytes.get(pos) != Some(&b':') {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
        if matches {
            return Some(pos);
        }
        pos = skip_ws(bytes, skip_value(bytes, pos));
        if bytes.get(pos) == Some(&b',') {
            pos = skip_ws(bytes, pos + 1);
        }
    }
    None
}

fn find_element(bytes: &[u8], array_start: usize, index: usize) -> Option<usize> {
    let mut pos = skip_ws(bytes, array_start + 1);
    for _ in 0..index {
        if matches!(bytes.get(pos), Some(b']') | None) {
            return None;
        }
        pos = skip_ws(bytes, skip_value(bytes, pos));
        if bytes.get(pos) != Some(&b',') {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
    }
    match bytes.get(pos) {
        Some(b']') | None => None,
        Some(_) => Some(pos),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
}
