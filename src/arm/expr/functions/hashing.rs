//! Deterministic name builders: `uniqueString` and `guid`.
//!
//! Both are pure functions of their arguments, like Azure's, so names built from them link up
//! inside one scan. They are NOT Azure's values: Azure uses its own hash (and, for `guid`, a
//! name-based UUID) that jitscan does not reproduce. Here both hash the arguments joined by
//! `-` with SHA-256. The shape matches Azure's: 13 characters of `[a-z2-7]` for
//! `uniqueString`, a lower-case 36-character GUID for `guid`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::super::args::Args;
use super::super::ExprError;

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// `uniqueString(base, ...)`: 13 characters of `[a-z2-7]`.
pub(crate) fn unique_string(args: &Args) -> Result<Value, ExprError> {
    let digest = hash_arguments(args)?;
    let mut bits: u128 = 0;
    for byte in digest.iter().take(9) {
        bits = (bits << 8) | u128::from(*byte);
    }
    let text: String = (0..13)
        .map(|i| {
            let index = ((bits >> (67 - 5 * i)) & 31) as usize;
            char::from(BASE32.get(index).copied().unwrap_or(b'a'))
        })
        .collect();
    Ok(Value::String(text))
}

/// `guid(base, ...)`: a version-5-shaped, lower-case GUID.
pub(crate) fn guid(args: &Args) -> Result<Value, ExprError> {
    let digest = hash_arguments(args)?;
    let mut bytes = [0u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    bytes[6] = (bytes[6] & 0x0F) | 0x50;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default().to_owned();
    Ok(Value::String(format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )))
}

fn hash_arguments(args: &Args) -> Result<Vec<u8>, ExprError> {
    let mut hasher = Sha256::new();
    for i in 0..args.len() {
        if i > 0 {
            hasher.update(b"-");
        }
        hasher.update(args.string(i)?.as_bytes());
    }
    Ok(hasher.finalize().to_vec())
}
