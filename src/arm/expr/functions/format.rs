//! `format(formatString, args...)`: .NET composite formatting (`System.String.Format`), which
//! is what ARM documents: `{index[,alignment][:formatString]}` items, `{{` and `}}` escapes.
//!
//! Supported format strings for numbers: the standard `D`, `N`, `F`, `X` (any precision) and
//! `G` (short values), and custom patterns made of `0`, `#` and `,` (`{0:000}`, `{0:#,0}`),
//! rendered with the invariant culture. Other valid specifiers make the result an unknown
//! (not an error): a specifier jitscan does not render is not a template bug.

use serde_json::Value;

use super::super::args::Args;
use super::super::value::{as_int, to_arm_string};
use super::super::ExprError;
use crate::arm::unknown::unknown;

/// Largest index, alignment or precision accepted (the limits .NET itself enforces are of the
/// same order; more could only build absurd strings).
const MAX_FORMAT_NUMBER: usize = 1_000_000;

/// One `{...}` item.
struct Item {
    index: usize,
    width: i64,
    spec: String,
}

/// Why an item could not be rendered.
enum Failure {
    /// A malformed pattern or an invalid specifier: a template bug.
    Invalid(String),
    /// A valid specifier jitscan does not render.
    Unsupported(String),
}

/// `format(formatString, arg1, arg2, ...)`.
pub(crate) fn format(args: &Args) -> Result<Value, ExprError> {
    let pattern = args.string(0)?;
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => {
                return Err(args.eval_error(
                    0,
                    "unexpected '}' in the format string (write '}}' for a literal brace)",
                ))
            }
            '{' => match render_item(args, &mut chars) {
                Ok(text) => {
                    args.check_string_len(out.len().saturating_add(text.len()))?;
                    out.push_str(&text);
                }
                Err(Failure::Invalid(message)) => return Err(args.eval_error(0, message)),
                Err(Failure::Unsupported(spec)) => {
                    return Ok(unknown(format!(
                        "format(): the format specifier '{spec}' is not evaluated offline"
                    )))
                }
            },
            other => out.push(other),
        }
    }
    Ok(Value::String(out))
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn render_item(args: &Args, chars: &mut Chars<'_>) -> Result<String, Failure> {
    let item = parse_item(chars)?;
    let Some(value) = args.values.get(item.index + 1) else {
        return Err(Failure::Invalid(format!(
            "format item {{{}}} has no value: only {} values follow the format string",
            item.index,
            args.len().saturating_sub(1)
        )));
    };
    let text = render(value, &item.spec)?;
    Ok(align(text, item.width))
}

/// Parses `index[,alignment][:spec]}` (the `{` already consumed).
fn parse_item(chars: &mut Chars<'_>) -> Result<Item, Failure> {
    let index = number(chars)
        .ok_or_else(|| invalid("a format item must start with an argument index, as in {0}"))?;
    skip_spaces(chars);
    let mut width = 0i64;
    if chars.peek() == Some(&',') {
        chars.next();
        skip_spaces(chars);
        let negative = chars.peek() == Some(&'-');
        if negative {
            chars.next();
        }
        let w = number(chars).ok_or_else(|| invalid("expected an alignment number after ','"))?;
        let w = i64::try_from(w).unwrap_or(0);
        width = if negative { -w } else { w };
        skip_spaces(chars);
    }
    let mut spec = String::new();
    if chars.peek() == Some(&':') {
        chars.next();
        loop {
            match chars.peek() {
                Some('}') | None => break,
                Some('{') => return Err(invalid("'{' is not allowed inside a format specifier")),
                Some(&c) => {
                    spec.push(c);
                    chars.next();
                }
            }
        }
    }
    match chars.next() {
        Some('}') => Ok(Item { index, width, spec }),
        _ => Err(invalid("a format item is not closed with '}'")),
    }
}

fn invalid(message: &str) -> Failure {
    Failure::Invalid(message.to_owned())
}

fn number(chars: &mut Chars<'_>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        let next = n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize);
        n = Some(next.min(MAX_FORMAT_NUMBER));
    }
    n.filter(|&n| n < MAX_FORMAT_NUMBER)
}

fn skip_spaces(chars: &mut Chars<'_>) {
    while chars.peek() == Some(&' ') {
        chars.next();
    }
}

fn align(text: String, width: i64) -> String {
    let have = text.chars().count();
    let want = usize::try_from(width.unsigned_abs()).unwrap_or(0);
    if have >= want {
        return text;
    }
    let pad = " ".repeat(want - have);
    if width > 0 {
        pad + &text
    } else {
        text + &pad
    }
}

/// Renders one value with its format specifier.
fn render(value: &Value, spec: &str) -> Result<String, Failure> {
    match value {
        Value::Number(n) => match as_int(value) {
            Some(i) if n.is_i64() || n.is_u64() || !spec.is_empty() => format_int(i, spec),
            _ => format_float(n.as_f64().unwrap_or(0.0), spec),
        },
        other => Ok(to_arm_string(other)),
    }
}

/// A standard specifier: letter and optional precision.
fn standard(spec: &str) -> Option<(char, Option<usize>)> {
    let mut chars = spec.chars();
    let letter = chars.next().filter(char::is_ascii_alphabetic)?;
    let rest = chars.as_str();
    if rest.is_empty() {
        return Some((letter, None));
    }
    if rest.len() > 9 || !rest.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok().map(|p| (letter, Some(p)))
}

fn format_int(n: i64, spec: &str) -> Result<String, Failure> {
    if spec.is_empty() {
        return Ok(n.to_string());
    }
    let Some((letter, precision)) = standard(spec) else {
        return custom_int(n, spec);
    };
    if precision.is_some_and(|p| p > MAX_FORMAT_NUMBER) {
        return Err(invalid("the precision of a format specifier is too large"));
    }
    let sign = if n < 0 { "-" } else { "" };
    let digits = n.unsigned_abs().to_string();
    let decimals = |p: Option<usize>| match p.unwrap_or(2) {
        0 => String::new(),
        p => format!(".{}", "0".repeat(p)),
    };
    Ok(match letter {
        'D' | 'd' => format!("{sign}{}", zero_pad(&digits, precision.unwrap_or(0))),
        'N' | 'n' => format!("{sign}{}{}", group_thousands(&digits), decimals(precision)),
        'F' | 'f' => format!("{sign}{digits}{}", decimals(precision)),
        'X' => zero_pad(&format!("{n:X}"), precision.unwrap_or(0)),
        'x' => zero_pad(&format!("{n:x}"), precision.unwrap_or(0)),
        'G' | 'g' if precision.is_none_or(|p| p == 0 || p >= digits.len()) => n.to_string(),
        'G' | 'g' | 'C' | 'c' | 'E' | 'e' | 'P' | 'p' | 'B' | 'b' => {
            return Err(Failure::Unsupported(spec.to_owned()))
        }
        _ => {
            return Err(Failure::Invalid(format!(
                "'{spec}' is not a valid format specifier for an integer"
            )))
        }
    })
}

/// Custom numeric patterns made only of `0`, `#` and `,`.
fn custom_int(n: i64, spec: &str) -> Result<String, Failure> {
    if !spec.chars().all(|c| matches!(c, '0' | '#' | ',')) || spec.ends_with(',') {
        return Err(Failure::Unsupported(spec.to_owned()));
    }
    let zeros = spec.chars().filter(|&c| c == '0').count();
    let mut digits = n.unsigned_abs().to_string();
    if n == 0 && zeros == 0 {
        digits.clear();
    }
    let mut body = zero_pad(&digits, zeros);
    if spec.contains(',') {
        body = group_thousands(&body);
    }
    Ok(if n < 0 { format!("-{body}") } else { body })
}

fn format_float(f: f64, spec: &str) -> Result<String, Failure> {
    if spec.is_empty() {
        return Ok(f.to_string());
    }
    let sign = if f < 0.0 { "-" } else { "" };
    match standard(spec) {
        Some((letter @ ('F' | 'f' | 'N' | 'n'), precision)) => {
            let p = precision.unwrap_or(2);
            if p > 100 {
                return Err(Failure::Unsupported(spec.to_owned()));
            }
            let fixed = format!("{:.*}", p, f.abs());
            let (whole, fraction) = fixed.split_once('.').unwrap_or((fixed.as_str(), ""));
            let whole = if letter.eq_ignore_ascii_case(&'n') {
                group_thousands(whole)
            } else {
                whole.to_owned()
            };
            let dot = if fraction.is_empty() { "" } else { "." };
            Ok(format!("{sign}{whole}{dot}{fraction}"))
        }
        Some(('D' | 'd' | 'X' | 'x', _)) => Err(Failure::Invalid(format!(
            "'{spec}' is only valid for integers"
        ))),
        _ => Err(Failure::Unsupported(spec.to_owned())),
    }
}

fn zero_pad(digits: &str, width: usize) -> String {
    let missing = width.saturating_sub(digits.len());
    format!("{}{digits}", "0".repeat(missing))
}

fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
