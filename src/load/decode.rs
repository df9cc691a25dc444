//! LOAD: turn the bytes of a file into JSON text.
//!
//! Exports and templates arrive as UTF-8 (with or without BOM) or UTF-16 LE/BE with a BOM
//! (PowerShell's `Out-File` default), and ARM templates may carry `//` and `/* */` comments,
//! which ARM accepts but serde_json does not. Comments are replaced by spaces, byte for byte, so
//! every byte offset, line and column in the decoded text still points where the user looks.
//! This module only decodes; it never parses JSON.

/// Why a file's bytes could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes are not valid in the detected encoding; `offset` is the first bad byte.
    InvalidEncoding {
        /// The encoding that was tried ("UTF-8", "UTF-16LE", ...).
        encoding: &'static str,
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
}

/// Decodes bytes to text: BOM sniffing for UTF-8 and UTF-16 LE/BE, UTF-8 otherwise.
/// The BOM is dropped; the returned text starts at the first character after it.
pub fn decode_text(bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return decode_utf8(rest, 3);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes, "UTF-16LE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes, "UTF-16BE");
    }
    decode_utf8(bytes, 0)
}

/// [`decode_text`] without copying UTF-8 input: the buffer becomes the text. On failure the
/// bytes come back with the error, for the diagnostic.
pub fn decode_owned(bytes: Vec<u8>) -> Result<String, (DecodeError, Vec<u8>)> {
    let utf8_bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    if !utf8_bom && (bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])) {
        return decode_text(&bytes).map_err(|err| (err, bytes));
    }
    let mut bytes = bytes;
    if utf8_bom {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|err| {
        let offset = err.utf8_error().valid_up_to() + if utf8_bom { 3 } else { 0 };
        let mut bytes = err.into_bytes();
        if utf8_bom {
            bytes.splice(0..0, [0xEF, 0xBB, 0xBF]);
        }
        (
            DecodeError::InvalidEncoding {
                encoding: "UTF-8",
                offset,
            },
            bytes,
        )
    })
}

fn decode_utf8(bytes: &[u8], bom_len: usize) -> Result<String, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => Err(DecodeError::InvalidEncoding {
            encoding: "UTF-8",
            offset: err.valid_up_to() + bom_len,
        }),
    }
}

fn decode_utf16(
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
    encoding: &'static str,
) -> Result<String, DecodeError> {
    if bytes.len() % 2 != 0 {
        return Err(DecodeError::InvalidEncoding {
            encoding,
            offset: bytes.len() + 1,
        });
    }
    let units = bytes.chunks_exact(2).map(|pair| {
        unit([
            pair.first().copied().unwrap_or(0),
            pair.get(1).copied().unwrap_or(0),
        ])
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for (index, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(ch) => text.push(ch),
            Err(_) => {
                return Err(DecodeError::InvalidEncoding {
                    encoding,
                    offset: 2 + index * 2,
                })
            }
        }
    }
    Ok(text)
}

/// The text for a diagnostic about bytes that did not decode: invalid sequences replaced by
/// U+FFFD, and the byte offset in that text of the first replacement (so the snippet points at
/// the bad byte while everything before it keeps its line and column).
pub fn decode_lossy(bytes: &[u8]) -> (String, usize) {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return lossy_utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return lossy_utf16(rest, u16::from_be_bytes);
    }
    let rest = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let bad = match std::str::from_utf8(rest) {
        Ok(text) => text.len(),
        Err(err) => err.valid_up_to(),
    };
    (String::from_utf8_lossy(rest).into_owned(), bad)
}

fn lossy_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> (String, usize) {
    let units = bytes.chunks_exact(2).map(|pair| {
        unit([
            pair.first().copied().unwrap_or(0),
            pair.get(1).copied().unwrap_or(0),
        ])
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut bad = None;
    for decoded in char::decode_utf16(units) {
        let ch = decoded.unwrap_or_else(|_| {
            bad.get_or_insert(text.len());
            char::REPLACEMENT_CHARACTER
        });
        text.push(ch);
    }
    if bytes.len() % 2 != 0 {
        bad.get_or_insert(text.len());
        text.push(char::REPLACEMENT_CHARACTER);
    }
    let bad = bad.unwrap_or(text.len());
    (text, bad)
}

/// What undecodable bytes look like, for the message: binary data (a NUL byte, which no JSON
/// text holds outside UTF-16), UTF-16 without a byte-order mark, or text in another encoding.
pub fn describe_undecodable(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(8192)).unwrap_or(bytes);
    let nul = head.iter().position(|b| *b == 0)?;
    let utf16_like = head.len() >= 4
        && (head.iter().skip(1).step_by(2).take(16).all(|b| *b == 0)
            || head.iter().step_by(2).take(16).all(|b| *b == 0));
    Some(if utf16_like {
        "the file looks like UTF-16 without a byte-order mark".to_owned()
    } else {
        format!("the file holds binary data (a NUL byte at offset {nul}), not JSON text")
    })
}

/// The offset of the first `//` or `/*` outside a string, if any. Jumps from quote to quote
/// (memchr), so a big export whose strings hold URLs (`https://...`) is cleared quickly.
pub fn first_comment(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        // Outside a string: the next quote or slash.
        let j = i + memchr::memchr2(b'"', b'/', bytes.get(i..)?)?;
        if bytes.get(j) == Some(&b'/') {
            if matches!(bytes.get(j + 1), Some(b'/' | b'*')) {
                return Some(j);
            }
            i = j + 1;
            continue;
        }
        // Inside the string that opens at j: its closing quote (escapes skipped).
        let mut k = j + 1;
        loop {
            let m = k + memchr::memchr2(b'"', b'\\', bytes.get(k..)?)?;
            if bytes.get(m) == Some(&b'\\') {
                k = m + 2;
            } else {
                i = m + 1;
                break;
            }
        }
    }
}

/// Replaces `//` line comments and `/* */` block comments outside strings with spaces
/// (newlines inside block comments are kept), so offsets are unchanged. Returns the text
/// untouched when it has no comments, which is the common case and costs one quick scan.
// Every index below is checked against `bytes.len()` by the loop conditions.
#[allow(clippy::indexing_slicing)]
pub fn blank_comments(text: String) -> String {
    let Some(first) = first_comment(text.as_bytes()) else {
        return text;
    };
    let mut bytes = text.into_bytes();
    // Nothing before the first comment is inside one, and it ends outside any string.
    let mut i = first;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match (b, bytes.get(i + 1).copied()) {
            (b'"', _) => {
                in_string = true;
                i += 1;
            }
            (b'/', Some(b'/')) => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    bytes[i] = b' ';
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                let mut j = i;
                while j < bytes.len() {
                    if bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/') {
                        bytes[j] = b' ';
                        bytes[j + 1] = b' ';
                        j += 2;
                        break;
                    }
                    if bytes[j] != b'\n' && bytes[j] != b'\r' {
                        bytes[j] = b' ';
                    }
                    j += 1;
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes outside strings were replaced by ASCII spaces, and a comment's multi-byte
    // characters are replaced whole (every byte of them), so the text stays valid UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick scan finds what a byte-by-byte walk finds.
    #[test]
    fn first_comment_is_found_outside_strings_only() {
        fn slow(text: &str) -> Option<usize> {
            let bytes = text.as_bytes();
            let (mut i, mut in_string) = (0, false);
            while i < bytes.len() {
                match (in_string, bytes[i], bytes.get(i + 1)) {
                    (true, b'\\', _) => i += 1,
                    (true, b'"', _) => in_string = false,
                    (false, b'"', _) => in_string = true,
                    (false, b'/', Some(b'/' | b'*')) => return Some(i),
                    _ => {}
                }
                i += 1;
            }
            None
        }
        for text in [
            r#"{"a": "https://x/y"}"#,
            r#"{"a": "b"} // c"#,
            r#"{"a": "\"//"} /* c */"#,
            r#"{"a": "\\"} // after an escaped backslash"#,
            r#"{"a": "unterminated // not a comment"#,
            r#"{"a": "x\"#,
            "/",
            "a/",
            "/* at the start */ {}",
            r#"{"a": 1} / 2"#,
            "",
        ] {
            assert_eq!(first_comment(text.as_bytes()), slow(text), "{text}");
        }
    }

    #[test]
    fn utf8_bom_is_dropped() {
        assert_eq!(decode_text(b"\xEF\xBB\xBF{}").unwrap(), "{}");
    }

    #[test]
    fn utf16_le_and_be_with_bom_decode() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("{\"a\":1}".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode_text(&le).unwrap(), "{\"a\":1}");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("{\"é\":1}".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(decode_text(&be).unwrap(), "{\"é\":1}");
    }

    #[test]
    fn invalid_utf8_reports_offset() {
        let err = decode_text(b"{\"a\":\xFF}").unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidEncoding {
                encoding: "UTF-8",
                offset: 5
            }
        );
    }

    #[test]
    fn lossy_decoding_points_at_the_first_bad_byte() {
        assert_eq!(decode_lossy(b"ab\n\xFFc"), ("ab\n\u{FFFD}c".to_owned(), 3));
        let (text, bad) = decode_lossy(&[0xFF, 0xFE, b'{', 0, 0x00, 0xD8, b'}', 0]);
        assert_eq!((text.as_str(), bad), ("{\u{FFFD}}", 1));
        assert!(describe_undecodable(&[0x7B, 0, 0x22, 0, 0x61, 0])
            .unwrap()
            .contains("UTF-16"));
        assert!(
            describe_undecodable(&[0x89, b'P', b'N', b'G', 0, 1, 2, 3, 4, 5])
                .unwrap()
                .contains("binary")
        );
        assert_eq!(describe_undecodable(b"{\"a\": 1}"), None);
    }

    #[test]
    fn odd_utf16_length_is_an_error() {
        assert!(decode_text(&[0xFF, 0xFE, 0x7B]).is_err());
    }

    #[test]
    fn comments_become_spaces_and_keep_offsets() {
        let text = "{ // note é\n \"a\": /* x\n y */ \"//not\" }".to_owned();
        let out = blank_comments(text.clone());
        assert_eq!(out.len(), text.len());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "//not");
        assert_eq!(out.find("\"a\""), text.find("\"a\""));
        assert_eq!(out.matches('\n').count(), 2);
    }

    #[test]
    fn escaped_quote_in_string_does_not_end_it() {
        let out = blank_comments(r#"{"a": "x\" // y"}"#.to_owned());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "x\" // y");
    }

    #[test]
    fn unterminated_block_comment_blanks_to_end() {
        let out = blank_comments("{} /* open".to_owned());
        assert_eq!(out.trim(), "{}");
    }
}
