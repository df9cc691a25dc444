//! String functions: `string`, `split`, `replace`, `substring`, `startsWith`, `endsWith`,
//! `toLower`, `toUpper`, `trim`, `padLeft`, `join`.
//!
//! Semantics follow .NET's `System.String` methods that ARM uses (ordinal `replace` and
//! `split`, case-insensitive `startsWith`/`endsWith`), counted in Unicode characters. Every
//! result size is checked before it is built.

use serde_json::Value;

use super::super::args::Args;
use super::super::value::{fold, to_arm_string};
use super::super::ExprError;

/// Most `input bytes × delimiter bytes` steps `split` with several delimiters may take.
const MAX_SPLIT_WORK: usize = 50_000_000;

/// `string(value)`.
pub(crate) fn string(args: &Args) -> Result<Value, ExprError> {
    args.string_result(to_arm_string(args.get(0)))
}

/// `split(input, delimiter)` with one delimiter or an array of them (empty ones ignored).
pub(crate) fn split(args: &Args) -> Result<Value, ExprError> {
    let input = args.string(0)?;
    let delimiters: Vec<&str> = match args.get(1) {
        Value::String(d) => vec![d.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| args.type_error(1, "an array of strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(args.type_error(1, "a string or an array of strings")),
    };
    let delimiters: Vec<&str> = delimiters.into_iter().filter(|d| !d.is_empty()).collect();
    let pieces: Vec<&str> = match delimiters.as_slice() {
        [] => vec![input],
        [one] => input.split(*one).collect(),
        many => {
            let delimiter_bytes: usize = many.iter().map(|d| d.len()).sum();
            if input.len().saturating_mul(delimiter_bytes) > MAX_SPLIT_WORK {
                return Err(args.too_large("more splitting work than jitscan allows"));
            }
            split_on_any(input, many)
        }
    };
    args.check_array_len(pieces.len())?;
    Ok(Value::Array(
        pieces
            .into_iter()
            .map(|p| Value::String(p.to_owned()))
            .collect(),
    ))
}

/// Splits at every position where one of `delimiters` starts (the first listed wins), like
/// .NET's `String.Split(string[], None)`.
fn split_on_any<'s>(input: &'s str, delimiters: &[&str]) -> Vec<&'s str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < input.len() {
        let rest = input.get(at..).unwrap_or_default();
        if let Some(d) = delimiters.iter().find(|d| rest.starts_with(**d)) {
            pieces.push(input.get(start..at).unwrap_or_default());
            at += d.len();
            start = at;
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    pieces.push(input.get(start..).unwrap_or_default());
    pieces
}

/// `replace(original, old, new)`: every ordinal occurrence.
pub(crate) fn replace(args: &Args) -> Result<Value, ExprError> {
    let (original, old, new) = (args.string(0)?, args.string(1)?, args.string(2)?);
    if old.is_empty() {
        return Err(args.eval_error(1, "the string to replace must not be empty"));
    }
    let count = original.matches(old).count();
    let len = original
        .len()
        .saturating_sub(count.saturating_mul(old.len()))
        .saturating_add(count.saturating_mul(new.len()));
    args.check_string_len(len)?;
    Ok(Value::String(original.replace(old, new)))
}

/// `substring(s, startIndex?, length?)`: out-of-range positions are errors, as in ARM.
pub(crate) fn substring(args: &Args) -> Result<Value, ExprError> {
    let s = args.string(0)?;
    let total = s.chars().count();
    let start = if args.len() > 1 { args.int(1)? } else { 0 };
    let length = if args.len() > 2 {
        args.int(2)?
    } else {
        i64::try_from(total)
            .unwrap_or(i64::MAX)
            .saturating_sub(start)
    };
    let fits = |n: i64| usize::try_from(n).ok().filter(|&n| n <= total);
    let (Some(from), Some(count)) = (fits(start), fits(length)) else {
        return Err(out_of_range(args, start, length, total));
    };
    if from + count > total {
        return Err(out_of_range(args, start, length, total));
    }
    Ok(Value::String(s.chars().skip(from).take(count).collect()))
}

fn out_of_range(args: &Args, start: i64, length: i64, total: usize) -> ExprError {
    args.call_error(format!(
        "the index and length parameters must refer to a location within the string; index {start}, length {length}, string length {total}"
    ))
}

/// `startsWith(s, prefix)`, case-insensitive.
pub(crate) fn starts_with(args: &Args) -> Result<Value, ExprError> {
    let (s, find) = (args.string(0)?, args.string(1)?);
    Ok(Value::Bool(fold(s).starts_with(&fold(find))))
}

/// `endsWith(s, suffix)`, case-insensitive.
pub(crate) fn ends_with(args: &Args) -> Result<Value, ExprError> {
    let (s, find) = (args.string(0)?, args.string(1)?);
    Ok(Value::Bool(fold(s).ends_with(&fold(find))))
}

/// `toLower(s)`.
pub(crate) fn to_lower(args: &Args) -> Result<Value, ExprError> {
    args.string_result(args.string(0)?.to_lowercase())
}

/// `toUpper(s)`.
pub(crate) fn to_upper(args: &Args) -> Result<Value, ExprError> {
    args.string_result(args.string(0)?.to_uppercase())
}

/// `trim(s)`: leading and trailing white space.
pub(crate) fn trim(args: &Args) -> Result<Value, ExprError> {
    Ok(Value::String(args.string(0)?.trim().to_owned()))
}

/// `padLeft(value, totalLength, paddingCharacter?)`: value is a string or an integer; the
/// padding character defaults to a space and must be a single character.
pub(crate) fn pad_left(args: &Args) -> Result<Value, ExprError> {
    let value = match args.get(0) {
        Value::String(s) => s.clone(),
        Value::Number(_) if args.int(0).is_ok() => args.text(0)?,
        _ => return Err(args.type_error(0, "a string or an integer")),
    };
    let total = args.int(1)?;
    let pad = if args.len() > 2 {
        let text = args.string(2)?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => return Err(args.eval_error(2, "the padding must be exactly one character")),
        }
    } else {
        ' '
    };
    let have = value.chars().count();
    let missing = usize::try_from(total).unwrap_or(0).saturating_sub(have);
    args.check_string_len(
        value
            .len()
            .saturating_add(missing.saturating_mul(pad.len_utf8())),
    )?;
    let mut out: String = std::iter::repeat_n(pad, missing).collect();
    out.push_str(&value);
    Ok(Value::String(out))
}

/// `join(array, delimiter)`: elements written as by `concat`.
pub(crate) fn join(args: &Args) -> Result<Value, ExprError> {
    let items = args.array(0)?;
    let delimiter = args.string(1)?;
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(delimiter);
        }
        match item {
            Value::String(s) => out.push_str(s),
            Value::Number(_) | Value::Bool(_) | Value::Null => out.push_str(&to_arm_string(item)),
            _ => return Err(args.type_error(0, "an array of strings")),
        }
        args.check_string_len(out.len())?;
    }
    Ok(Value::String(out))
}
