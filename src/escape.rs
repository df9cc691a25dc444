//! Ground floor: every value from the input is data, never control or markup. One escape per
//! output kind, and this is its only home; it depends on nothing in the crate.
//!
//! jitscan runs in CI on pull requests from forks, so names from the input (VMs, NICs, NSGs,
//! rules, descriptions, file paths, parameter values) are written by whoever opened the pull
//! request. Each function makes one value inert for one kind of output:
//!
//! - [`terminal`]: text for a terminal or a CI log. Control characters (newlines, tabs and
//!   carriage returns included), C1 controls, bidirectional and line-separator characters
//!   become visible `\u{..}` text, so a value can neither emit an escape sequence nor start a
//!   line of its own (a forged summary, a workflow command).
//! - [`ci_log`]: a guard over a *whole* text written for people to standard output or error.
//!   The GitHub Actions runner executes a line whose text (leading whitespace trimmed) starts
//!   with `::` and holds a second `::`, and a line holding `##[` anywhere (Azure Pipelines'
//!   `##vso[` and TeamCity's `##teamcity[` work the same way). jitscan never prints such a line
//!   on purpose, so every such line is neutralised, whatever put it there. [`ci_log_json`] is
//!   the same guard for serialized JSON (SARIF on standard output), which also writes the
//!   controls and bidi characters JSON leaves raw as `\uXXXX` escapes.
//! - [`markdown`]: Markdown metacharacters escaped, so a name never becomes a link, an image,
//!   HTML, a heading or a table cell boundary; controls as in [`terminal`]. Values must never
//!   be put inside code spans, where no escape works.
//! - [`sarif_text`]: SARIF 2.1.0 §3.11.6 reads `[text](target)` in a plain-text message as an
//!   embedded link, so the brackets (and the backslash that escapes them) of a value are
//!   escaped.
//! - [`url_path_segment`], [`shell_word`], [`arm_expression_string`] and [`arm_literal`]: the
//!   suggested JIT policy documents put names from the input into a REST request path, an
//!   `az` command line and ARM template strings, where a `/`, `?`, `'` or leading `[` would
//!   change the request, the command or the expression.
//!
//! Escape a value where it is inserted, not the sentence around it: jitscan's own words may
//! use the markup (a Markdown heading, a SARIF embedded link) the values must not. Finding
//! messages are built once and shared by the JSON, HTML and SARIF reports, which escape
//! differently, so they keep their values marked (`rules::Message`) and each report escapes
//! the marked parts its own way. Terminal escaping needs no such care: jitscan's words hold no
//! control characters, so a whole reason or message may go through [`terminal`].
//!
//! Plain values pass through borrowed: nearly every name needs no change.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// Whether `c` must not reach a terminal raw: a C0 or C1 control or DEL (newline, tab and
/// carriage return included), a bidirectional mark, embedding, override or isolate, or a
/// line or paragraph separator.
pub fn is_terminal_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Appends the visible form of an unsafe character: `\u{1b}`.
fn push_visible(out: &mut String, c: char) {
    let _ = write!(out, "{}", c.escape_unicode());
}

/// `value` for a terminal or a CI log: every character of [`is_terminal_unsafe`] written as
/// visible `\u{..}` text. Borrowed when there is none.
pub fn terminal(value: &str) -> Cow<'_, str> {
    if !value.chars().any(is_terminal_unsafe) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if is_terminal_unsafe(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A whole rendered HTML page with the characters of [`is_terminal_unsafe`] (newlines
/// excepted, which only the page's own markup holds) written as visible `\u{..}` text. Askama
/// escapes markup but leaves controls and bidi overrides raw: a numeric reference would put
/// the same override back in the DOM, where it reorders the text around a name.
pub fn html_page(page: String) -> String {
    if !page.chars().any(|c| c != '\n' && is_terminal_unsafe(c)) {
        return page;
    }
    let mut out = String::with_capacity(page.len() + 16);
    for c in page.chars() {
        if c != '\n' && is_terminal_unsafe(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Every line of `text` made unable to act as a CI workflow command: a line that, leading
/// whitespace trimmed, starts with `::` and holds another `::` gets its first `:` written as
/// `\u{3a}`; every `##[` (or `##` letters `[`, as in `##vso[`) gets its second `#` written as
/// `\u{23}`. Lines end at `\n` or `\r`, as the runner reads them. A single `::`, as in the
/// prefixes `::/0` and `2001:db8::/32`, is no command and stays as it is.
pub fn ci_log(text: &str) -> Cow<'_, str> {
    guard_lines(text, "\\u{23}", true)
}

/// Serialized JSON made inert when printed to a terminal or a CI log, parsing to the same
/// value: the second `#` of every `##[` (or `##vso[`...) written as the JSON escape `\u0023`,
/// and every character of [`is_terminal_unsafe`] that JSON leaves raw (DEL, C1 controls, bidi
/// and line separators) written as `\uXXXX`. Outside strings JSON holds only `\n`, `\r`, `\t`
/// and spaces, which stay; `#` and the rest occur only inside strings, where the escapes are
/// valid. A line of JSON cannot start with `::` (strings never span lines), so that half of
/// [`ci_log`] is not needed.
pub fn ci_log_json(json: &str) -> Cow<'_, str> {
    let raw_unsafe = |c: char| is_terminal_unsafe(c) && !matches!(c, '\n' | '\r' | '\t');
    let guarded = guard_lines(json, "\\u0023", false);
    if !guarded.contains(raw_unsafe) {
        return guarded;
    }
    let mut out = String::with_capacity(guarded.len() + 16);
    for c in guarded.chars() {
        if raw_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn guard_lines<'t>(text: &'t str, hash: &str, commands: bool) -> Cow<'t, str> {
    let lines = || text.split_inclusive(['\n', '\r']);
    if !lines().any(|l| (commands && is_command(l)) || v1_marker(l, 0).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for line in lines() {
        let mut rest = line;
        if commands && is_command(line) {
            let body = line.trim_start();
            out.push_str(line.get(..line.len() - body.len()).unwrap_or_default());
            out.push_str("\\u{3a}");
            rest = body.get(1..).unwrap_or_default();
        }
        let mut from = 0;
        while let Some(second) = v1_marker(rest, from) {
            out.push_str(rest.get(from..second).unwrap_or_default());
            out.push_str(hash);
            from = second + 1;
        }
        out.push_str(rest.get(from..).unwrap_or_default());
    }
    Cow::Owned(out)
}

/// A GitHub Actions workflow command line: `::name args::value` after leading whitespace.
fn is_command(line: &str) -> bool {
    line.trim_start()
        .strip_prefix("::")
        .is_some_and(|rest| rest.contains("::"))
}

/// Byte offset of the second `#` of the first `##[` or `##letters[` in `line` at or after
/// `from`.
fn v1_marker(line: &str, from: usize) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = from;
    while let Some(found) = bytes.get(i..)?.windows(2).position(|w| w == b"##") {
        let second = i + found + 1;
        let tail = bytes.get(second + 1..).unwrap_or_default();
        let letters = tail
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if tail.get(letters) == Some(&b'[') {
            return Some(second);
        }
        i = second;
    }
    None
}

/// Markdown metacharacters a value's character is escaped from with a backslash. `:` and
/// `.` break the autolinking of bare URLs and addresses; `$` keeps GitHub from reading math.
const MARKDOWN_PUNCTUATION: &[char] = &[
    '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|', '~', '$', ':',
];

/// `value` as inert Markdown text (never inside a code span): Markdown metacharacters
/// backslash-escaped, `<`, `>` and `&` as entities (which also hold inside HTML blocks, where
/// backslashes do not), and characters of [`is_terminal_unsafe`] as visible `\u{..}` text.
pub fn markdown(value: &str) -> Cow<'_, str> {
    let special = |c: char| {
        MARKDOWN_PUNCTUATION.contains(&c) || matches!(c, '<' | '>' | '&') || is_terminal_unsafe(c)
    };
    if !value.chars().any(special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if MARKDOWN_PUNCTUATION.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c if is_terminal_unsafe(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `value` for the plain text of a SARIF message (`message.text`): `\`, `[` and `]` escaped
/// with a backslash, so no embedded link comes from it.
pub fn sarif_text(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '[', ']']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if matches!(c, '\\' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// `value` as one segment of a URL path (RFC 3986 §2): every byte but the unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so `/`, `?`, `#` and `%` in a name can
/// neither add a segment, start the query or fragment, nor decode to something else.
pub fn url_path_segment(value: &str) -> Cow<'_, str> {
    // A bare `.` or `..` segment is resolved away by clients: its dots are encoded too.
    let dot_segment = value == "." || value == "..";
    let kept = |b: u8| {
        (b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'.'))
            && !(dot_segment && b == b'.')
    };
    if value.bytes().all(kept) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if kept(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    Cow::Owned(out)
}

/// `value` as one word of a POSIX shell command line: always in single quotes, where the
/// shell reads every character literally, a `'` written as `'\''` (close, escaped quote,
/// reopen). The word is the value exactly, controls included; a document that shows the
/// command escapes those for its own kind (JSON does).
pub fn shell_word(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// `value` as the text of a string literal inside an ARM template expression (`'...'`):
/// each `'` doubled.
pub fn arm_expression_string(value: &str) -> Cow<'_, str> {
    if value.contains('\'') {
        Cow::Owned(value.replace('\'', "''"))
    } else {
        Cow::Borrowed(value)
    }
}

/// `value` as a literal JSON string value of an ARM template: ARM evaluates a string that
/// starts with `[` and ends with `]` as an expression, and reads `[[` at the start of such a
/// string as a literal `[`, so that value gets one more `[` (any other is read as written).
pub fn arm_literal(value: &str) -> Cow<'_, str> {
    if value.starts_with('[') && value.ends_with(']') {
        Cow::Owned(format!("[{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// `value` unchanged, for text whose serializer does the escaping (a JSON string), where a
/// function of this shape is asked for.
pub fn verbatim(value: &str) -> Cow<'_, str> {
    Cow::Borrowed(value)
}

#[cfg(test)]
#[path = "escape_tests.rs"]
mod tests;

/// A writer for a report printed to standard output, where a CI log may read it: every
/// complete line goes through `guard` ([`ci_log`] for HTML, [`ci_log_json`] for JSON) before
/// it is written. Reports written to files need none of this, and do not pay for it.
pub struct GuardedLines<W: io::Write> {
    inner: W,
    pending: Vec<u8>,
    guard: fn(&str) -> Cow<'_, str>,
}

impl<W: io::Write> GuardedLines<W> {
    /// Wraps `inner`; `guard` is applied to each line.
    pub fn new(inner: W, guard: fn(&str) -> Cow<'_, str>) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            guard,
        }
    }

    /// Writes `bytes` (whole lines, or the last part of the text) through the guard. The
    /// reports are UTF-8 text and a newline never splits a character; anything else is
    /// written as it is.
    fn write_guarded(&mut self, bytes: &[u8]) -> io::Result<()> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.inner.write_all((self.guard)(text).as_bytes()),
            Err(_) => self.inner.write_all(bytes),
        }
    }
}

impl<W: io::Write> io::Write for GuardedLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last) = self.pending.iter().rposition(|b| *b == b'\n') {
            let rest = self.pending.split_off(last + 1);
            let lines = std::mem::replace(&mut self.pending, rest);
            self.write_guarded(&lines)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.write_guarded(&rest)?;
        self.inner.flush()
    }
}
