//! LOAD: the diagnostics of a file that could not be read, decoded or parsed.
//!
//! Each one carries the file's text (decoded lossily when the bytes were not valid) and a span
//! at the first byte that went wrong, so the terminal shows where and the JSON report gives a
//! line and column. Nothing here reads files or parses JSON.

use std::sync::Arc;

use super::decode::{self, DecodeError};
use crate::diagnostic::{InputProblem, ProblemCode, Severity, Span, Text};
use crate::source::LineIndex;

/// JSON nesting serde_json accepts (its recursion limit); deeper input is refused, not parsed.
pub(crate) const MAX_JSON_DEPTH: usize = 128;

/// A problem spanning `len` bytes at `offset` of `text`.
pub(crate) fn located_in_text(
    problem: InputProblem,
    text: Text,
    lines: &LineIndex,
    offset: usize,
    len: usize,
) -> InputProblem {
    let offset = offset.min(text.len());
    let len = len.min(text.len() - offset);
    let (line, column) = lines.line_col(&text, offset);
    InputProblem {
        span: Some(Span {
            offset,
            len,
            line,
            column,
        }),
        source: Some(text),
        ..problem
    }
}

/// The bytes are not valid in their encoding.
pub(crate) fn encoding_problem(display: &str, bytes: &[u8], err: &DecodeError) -> InputProblem {
    let DecodeError::InvalidEncoding { encoding, offset } = err;
    let (message, help) = match decode::describe_undecodable(bytes) {
        Some(what) if what.contains("UTF-16") => (
            format!("{what}: invalid {encoding} at byte {offset}"),
            "add a byte-order mark, or save the file as UTF-8",
        ),
        Some(what) => (
            what,
            "scan JSON text files only: ARM templates, parameters files and exports",
        ),
        None => (
            format!("invalid {encoding} at byte {offset}"),
            "save the file as UTF-8 (or UTF-16 with a byte-order mark)",
        ),
    };
    let problem = InputProblem::whole_file(
        ProblemCode::Encoding,
        Severity::Error,
        display,
        message,
        help,
    );
    let (text, bad) = decode::decode_lossy(bytes);
    let text: Text = Arc::new(text);
    let lines = LineIndex::new(&text);
    let len = text
        .get(bad..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8);
    located_in_text(problem, text, &lines, bad, len)
}

/// The text is not valid JSON (or nests deeper than jitscan parses).
pub(crate) fn json_problem(
    display: &str,
    text: &Text,
    lines: &LineIndex,
    err: &serde_json::Error,
) -> InputProblem {
    let offset = offset_of_line_col(text, err.line().max(1), err.column().max(1));
    let full = err.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(head, _)| head)
        .to_owned();
    let too_deep = message.contains("recursion limit");
    let (code, message, help) = if text.trim().is_empty() {
        (
            ProblemCode::MalformedJson,
            "malformed JSON: the file is empty".to_owned(),
            "an ARM template is a JSON object with `resources`; remove the empty file or fill it",
        )
    } else if too_deep {
        (
            ProblemCode::TooLarge,
            format!("JSON nested deeper than {MAX_JSON_DEPTH} levels; the file was not parsed"),
            "no ARM template or export nests this deep: check that the file is what you meant to scan",
        )
    } else if err.classify() == serde_json::error::Category::Eof {
        (
            ProblemCode::MalformedJson,
            format!("malformed JSON: {message}"),
            "the file ends before the JSON does: it may be truncated; check that every { and [ is closed",
        )
    } else {
        (
            ProblemCode::MalformedJson,
            format!("malformed JSON: {message}"),
            "fix the JSON at this position (a missing comma, an extra trailing comma, or an unquoted key are common causes)",
        )
    };
    let problem = InputProblem::whole_file(code, Severity::Error, display, message, help);
    // At the end of the file, point at the last character there is.
    let (offset, len) = if offset >= text.len() {
        let last = text.trim_end().char_indices().last();
        last.map_or((0, 0), |(i, c)| (i, c.len_utf8()))
    } else {
        let len = text
            .get(offset..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        (offset, len)
    };
    located_in_text(problem, Arc::clone(text), lines, offset, len)
}

/// Byte offset of serde_json's 1-based line and column (a byte count from the line start,
/// pointing just past the byte that was read last).
fn offset_of_line_col(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
