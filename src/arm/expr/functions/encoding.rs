//! Encoding functions: `base64`, `base64ToString`, `base64ToJson`, `dataUri`,
//! `dataUriToString`, `uriComponent`, `uriComponentToString`, `uri`.
//!
//! Implemented here (a few dozen lines each) rather than with extra crates, following the .NET
//! behaviour ARM documents: UTF-8 text, standard base64 with padding, `Uri.EscapeDataString`
//! escaping, and RFC 3986 reference resolution for `uri`. Invalid input is an evaluation error.

use serde_json::Value;

use super::super::args::Args;
use super::super::ExprError;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `base64(s)`.
pub(crate) fn base64(args: &Args) -> Result<Value, ExprError> {
    let s = args.string(0)?;
    args.check_string_len(s.len().saturating_add(2) / 3 * 4)?;
    Ok(Value::String(encode_base64(s.as_bytes())))
}

/// `base64ToString(b64)`: invalid UTF-8 becomes U+FFFD, as .NET decodes.
pub(crate) fn base64_to_string(args: &Args) -> Result<Value, ExprError> {
    let bytes = decode_base64(args.string(0)?)
        .ok_or_else(|| args.eval_error(0, "the value is not valid base64"))?;
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `base64ToJson(b64)`.
pub(crate) fn base64_to_json(args: &Args) -> Result<Value, ExprError> {
    let bytes = decode_base64(args.string(0)?)
        .ok_or_else(|| args.eval_error(0, "the value is not valid base64"))?;
    super::objects::parse_lenient(&String::from_utf8_lossy(&bytes))
        .map_err(|e| args.eval_error(0, format!("the decoded text is not valid JSON: {e}")))
}

/// `dataUri(s)`: `data:text/plain;charset=utf8;base64,...`.
pub(crate) fn data_uri(args: &Args) -> Result<Value, ExprError> {
    let s = args.string(0)?;
    args.check_string_len(s.len().saturating_add(2) / 3 * 4 + 40)?;
    Ok(Value::String(format!(
        "data:text/plain;charset=utf8;base64,{}",
        encode_base64(s.as_bytes())
    )))
}

/// `dataUriToString(dataUri)`: base64 or percent-encoded payloads.
pub(crate) fn data_uri_to_string(args: &Args) -> Result<Value, ExprError> {
    let uri = args.string(0)?;
    let rest = uri
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("data:"))
        .and_then(|_| uri.get(5..))
        .ok_or_else(|| {
            args.eval_error(
                0,
                "the value is not a data URI (it must start with 'data:')",
            )
        })?;
    let (header, payload) = rest
        .split_once(',')
        .ok_or_else(|| args.eval_error(0, "the data URI has no ',' before its data"))?;
    let bytes = if header
        .rsplit(';')
        .next()
        .is_some_and(|p| p.eq_ignore_ascii_case("base64"))
    {
        decode_base64(payload)
            .ok_or_else(|| args.eval_error(0, "the data URI's data is not valid base64"))?
    } else {
        percent_decode(payload)
    };
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `uriComponent(s)`: like .NET `Uri.EscapeDataString` (only `A-Za-z0-9-_.~` stay as they are).
pub(crate) fn uri_component(args: &Args) -> Result<Value, ExprError> {
    let s = args.string(0)?;
    args.check_string_len(s.len().saturating_mul(3))?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(Value::String(out))
}

/// `uriComponentToString(s)`: decodes `%XX` escapes (malformed ones stay as they are).
pub(crate) fn uri_component_to_string(args: &Args) -> Result<Value, ExprError> {
    let bytes = percent_decode(args.string(0)?);
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `uri(baseUri, relativeUri)`: RFC 3986 section 5 reference resolution.
pub(crate) fn uri(args: &Args) -> Result<Value, ExprError> {
    let (base, relative) = (args.string(0)?, args.string(1)?);
    let resolved = super::uri_resolve::resolve(base, relative)
        .ok_or_else(|| args.eval_error(0, format!("'{base}' is not an absolute URI")))?;
    args.string_result(resolved)
}

fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let index = ((n >> shift) & 63) as usize;
                out.push(char::from(BASE64.get(index).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with optional padding; white space is ignored (as .NET does).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits, mut padding) = (0u32, 0u32, 0usize);
    for c in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if c == b'=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return None;
        }
        let v = BASE64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    (padding <= 2).then_some(out)
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
