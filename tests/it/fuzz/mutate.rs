//! Mutations of real templates for the loader fuzz target: byte flips, truncations, splices
//! of another template, duplicated byte ranges and JSON subtrees, strings swapped for ARM
//! expression fragments, numbers swapped for extreme values. Deterministic from a seed, so a
//! failing case can be replayed.

use serde_json::Value;

use super::grammar::{expression, Rng};

/// Interesting numbers for counts, priorities and ports.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e9",
    "1000000000",
    "801",
    "800",
    "4097",
    "99",
    "65536",
    "-9223372036854775808",
    "18446744073709551616",
    "1.5",
    "1e400",
    "null",
    "\"80-\"",
    "\"*\"",
    "\"10.0.0.300/33\"",
];

/// Applies `count` random mutations to `base`, drawing from `others` for splices.
pub fn mutate(rng: &mut Rng, base: &[u8], others: &[Vec<u8>], count: usize) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..count {
        bytes = match rng.below(10) {
            9 => encode(rng, bytes),
            0 => flip(rng, bytes),
            1 => truncate(rng, bytes),
            2 => splice(rng, bytes, others),
            3 => duplicate_range(rng, bytes),
            4..=6 => structural(rng, &bytes).unwrap_or(bytes),
            7 => insert_fragment(rng, bytes),
            _ => swap_number(rng, bytes),
        };
    }
    bytes
}

fn flip(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..=rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.below(bytes.len());
        bytes[i] = match rng.below(4) {
            0 => bytes[i] ^ (1 << rng.below(8)),
            1 => {
                let special = b"{}[]\",:\\'";
                special[rng.below(special.len())]
            }
            2 => 0xFF,
            _ => rng.next() as u8,
        };
    }
    bytes
}

/// What the decoder must handle: BOMs, UTF-16 both ways, CRLF and lone CR line ends, `//` and
/// `/* */` comments (unterminated too).
fn encode(rng: &mut Rng, bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match rng.below(6) {
        0 => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        1 => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
        2 => [0xEF, 0xBB, 0xBF].into_iter().chain(bytes).collect(),
        3 => text.replace('\n', "\r\n").into_bytes(),
        4 => text.replace('\n', "\r").into_bytes(),
        _ => {
            let mut bytes = bytes;
            let comment: &[u8] =
                [&b"// note \xC3\xA9\n"[..], b"/* multi\nline */", b"/* open"][rng.below(3)];
            let at = rng.below(bytes.len() + 1);
            bytes.splice(at..at, comment.iter().copied());
            bytes
        }
    }
}

fn truncate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    let keep = rng.below(bytes.len() + 1);
    bytes.truncate(keep);
    bytes
}

fn splice(rng: &mut Rng, mut bytes: Vec<u8>, others: &[Vec<u8>]) -> Vec<u8> {
    let Some(other) = others.get(rng.below(others.len().max(1))) else {
        return bytes;
    };
    let from = rng.below(other.len() + 1);
    let to = (from + rng.below(2048)).min(other.len());
    let at = rng.below(bytes.len() + 1);
    bytes.splice(at..at, other[from..to].iter().copied());
    bytes
}

fn duplicate_range(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    let from = rng.below(bytes.len());
    let to = (from + rng.below(512)).min(bytes.len());
    let chunk: Vec<u8> = bytes[from..to].to_vec();
    let at = rng.below(bytes.len() + 1);
    bytes.splice(at..at, chunk);
    bytes
}

fn insert_fragment(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    let fragment = expression(rng, 3);
    let at = rng.below(bytes.len() + 1);
    bytes.splice(at..at, fragment.into_bytes());
    bytes
}

fn swap_number(rng: &mut Rng, bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let digits: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    let Some(&at) = digits.get(rng.below(digits.len().max(1))) else {
        return bytes;
    };
    let end = text[at..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |n| at + n);
    let mut out = text[..at].to_owned();
    out.push_str(NUMBERS[rng.below(NUMBERS.len())]);
    out.push_str(&text[end..]);
    out.into_bytes()
}

/// Mutations that keep the JSON valid: a string becomes an expression, a subtree is
/// duplicated (or nested in itself), a copy loop or condition is added somewhere.
fn structural(rng: &mut Rng, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(bytes).ok()?;
    let nodes = count(&json);
    let target = rng.below(nodes.max(1));
    let choice = rng.below(5);
    let mut donor = None;
    if choice == 1 {
        donor = nth(&json, rng.below(nodes.max(1))).cloned();
    }
    let mut index = 0;
    edit(&mut json, target, &mut index, &mut |value| match choice {
        0 => *value = Value::String(format!("[{}]", expression(rng, 4))),
        1 => {
            if let Some(d) = donor.take() {
                *value = match value {
                    Value::Array(items) => {
                        items.push(d);
                        Value::Array(std::mem::take(items))
                    }
                    Value::Object(map) => {
                        map.insert(format!("k{}", rng.below(100)), d);
                        Value::Object(std::mem::take(map))
                    }
                    _ => d,
                };
            }
        }
        2 => {
            if let Value::Object(map) = value {
                let count = NUMBERS[rng.below(NUMBERS.len())];
                let copy = format!("{{\"name\": \"c{}\", \"count\": {count}}}", rng.below(3));
                if let Ok(copy) = serde_json::from_str(&copy) {
                    map.insert("copy".to_owned(), copy);
                }
            }
        }
        3 => {
            if let Value::Object(map) = value {
                map.insert(
                    "condition".to_owned(),
                    Value::String(format!("[{}]", expression(rng, 3))),
                );
            }
        }
        _ => {
            let inner = value.take();
            *value = if rng.below(2) == 0 {
                Value::Array(vec![inner])
            } else {
                serde_json::json!({ "resources": [inner], "type": "Microsoft.Resources/deployments", "name": "d", "properties": { "template": { "resources": [] } } })
            };
        }
    });
    serde_json::to_vec_pretty(&json).ok()
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

fn nth(value: &Value, n: usize) -> Option<&Value> {
    let mut stack = vec![value];
    let mut i = 0;
    while let Some(v) = stack.pop() {
        if i == n {
            return Some(v);
        }
        i += 1;
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => stack.extend(map.values().rev()),
            _ => {}
        }
    }
    None
}

fn edit(
    value: &mut Value,
    target: usize,
    index: &mut usize,
    f: &mut dyn FnMut(&mut Value),
) -> bool {
    if *index == target {
        f(value);
        return true;
    }
    *index += 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| edit(v, target, index, f)),
        Value::Object(map) => map.values_mut().any(|v| edit(v, target, index, f)),
        _ => false,
    }
}
