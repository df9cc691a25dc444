//! Turns problems into miette diagnostics for the terminal.
//!
//! The snippet is a small window of the file around the problem, never the whole file: a
//! problem on a 100 MB single-line export shows about a hundred characters of that line, with
//! the real line and column. Text from the input is made safe to print: messages, help and
//! file names go through [`escape::terminal`] (an ANSI escape in a hostile template could
//! rewrite the terminal, a newline in a name could forge a line of the log), and in the
//! snippet every character it escapes becomes a visible replacement, line by line. Only
//! `main.rs` prints what this module builds.

use std::fmt;

use miette::{
    Diagnostic, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{InputProblem, Severity, Span};
use crate::escape::{self, is_terminal_unsafe};

/// Characters of the problem's line shown on each side of it.
const WINDOW_CHARS: usize = 60;
/// Most characters of one line a snippet shows.
const MAX_LINE_CHARS: usize = 160;

/// One problem, ready for a miette report handler.
#[derive(Debug)]
pub struct RenderedProblem {
    code: &'static str,
    message: String,
    help: String,
    severity: Severity,
    snippet: Option<Snippet>,
    location: String,
}

impl From<&InputProblem> for RenderedProblem {
    fn from(problem: &InputProblem) -> Self {
        let location = match &problem.span {
            Some(span) => format!("{}:{}:{}", problem.path, span.line, span.column),
            None => problem.path.clone(),
        };
        let snippet = match (&problem.source, &problem.span) {
            (Some(text), Some(span)) => Some(Snippet::new(&problem.path, text, span)),
            _ => None,
        };
        Self {
            code: problem.code.as_str(),
            message: printable(&problem.message),
            help: printable(&problem.help),
            severity: problem.severity,
            snippet,
            location: printable(&location),
        }
    }
}

impl fmt::Display for RenderedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for RenderedProblem {}

impl Diagnostic for RenderedProblem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let snippet = self.snippet.as_ref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some("here".to_owned()),
            snippet.label.0,
            snippet.label.1,
        ))))
    }
}

/// `text` as one line for the terminal: see [`escape::terminal`].
fn printable(text: &str) -> String {
    escape::terminal(text).into_owned()
}

/// A few lines of a file around a problem, each cut to a window, made printable.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// 0-based line number (in the file) of the snippet's first line.
    first_line: usize,
    /// Index (in the snippet) of the line holding the label.
    label_line: usize,
    /// 0-based column (in characters, in the file) where the label starts.
    label_column: usize,
    /// Label offset and length in `text`.
    label: (usize, usize),
}

impl Snippet {
    fn new(name: &str, source: &str, span: &Span) -> Self {
        let offset = floor_boundary(source, span.offset.min(source.len()));
        let end = floor_boundary(source, offset.saturating_add(span.len).min(source.len()));
        let bytes = source.as_bytes();
        // Walk left at most WINDOW_CHARS characters, or to the line start.
        let mut left = offset;
        let mut steps = 0;
        while left > 0 && bytes.get(left - 1) != Some(&b'\n') && steps < WINDOW_CHARS {
            left = floor_boundary(source, left - 1);
            steps += 1;
        }
        let left_cut = left > 0 && bytes.get(left - 1) != Some(&b'\n');
        let label_end = end.max(offset);
        let label_chars = source.get(offset..end).map_or(0, |l| l.chars().count());
        let right_max = (WINDOW_CHARS + label_chars).min(MAX_LINE_CHARS - steps);
        let line_end = line_end_from(source, offset, right_max);
        let right = line_end.0;
        let mut builder = Builder::default();
        // Neighbouring lines give context only when they are short enough to show whole.
        let previous = (!left_cut && left > 0)
            .then(|| line_start_within(source, left - 1, MAX_LINE_CHARS))
            .filter(|(_, cut)| !cut);
        let has_previous = previous.is_some();
        if let Some((prev_start, _)) = previous {
            builder.push_line(source, prev_start, left - 1, false, false);
        }
        let label_line = builder.lines;
        let label_start = builder.push_line_with_label(
            source,
            (left, right),
            (left_cut, line_end.1),
            (offset, label_end.min(right)),
        );
        if right < source.len() && !line_end.1 {
            let next_start = right + 1;
            let (next_end, cut) = line_end_from(source, next_start, MAX_LINE_CHARS);
            if next_start < source.len() && !cut {
                builder.push_line(source, next_start, next_end, false, false);
            }
        }
        let first_line = span.line.saturating_sub(1 + usize::from(has_previous));
        Self {
            name: printable(name),
            text: builder.text,
            first_line,
            label_line,
            label_column: span.column.saturating_sub(1),
            label: label_start,
        }
    }
}

/// Accumulates printable snippet lines.
#[derive(Default)]
struct Builder {
    text: String,
    lines: usize,
}

impl Builder {
    fn push_line(&mut self, source: &str, from: usize, to: usize, left_cut: bool, right_cut: bool) {
        self.push_line_with_label(source, (from, to), (left_cut, right_cut), (from, from));
    }

    /// Pushes `source[from..to]`, returning where `label` lands in the snippet text.
    fn push_line_with_label(
        &mut self,
        source: &str,
        (from, to): (usize, usize),
        (left_cut, right_cut): (bool, bool),
        (label_from, label_to): (usize, usize),
    ) -> (usize, usize) {
        if self.lines > 0 {
            self.text.push('\n');
        }
        self.lines += 1;
        if left_cut {
            self.text.push('…');
        }
        let mut label = (self.text.len(), 0);
        let mut label_end = None;
        let slice = source.get(from..to).unwrap_or_default();
        for (i, c) in slice.char_indices() {
            if from + i == label_from {
                label.0 = self.text.len();
            }
            if from + i == label_to {
                label_end = Some(self.text.len());
            }
            match c {
                '\t' | '\r' => self.text.push(' '),
                c if is_terminal_unsafe(c) => self.text.push('\u{FFFD}'),
                c => self.text.push(c),
            }
        }
        if label_from >= to {
            label.0 = self.text.len();
        }
        let end = label_end.unwrap_or(self.text.len());
        label.1 = end.saturating_sub(label.0);
        if right_cut {
            self.text.push('…');
        }
        label
    }
}

/// End of the line starting at or containing `from` (exclusive, before the newline), walking
/// at most `max` characters; true when the line was cut.
fn line_end_from(source: &str, from: usize, max: usize) -> (usize, bool) {
    let rest = source.get(from..).unwrap_or_default();
    for (count, (i, c)) in rest.char_indices().enumerate() {
        if c == '\n' {
            return (from + i, false);
        }
        if count >= max {
            return (from + i, true);
        }
    }
    (source.len(), false)
}

/// Start of the line ending at `end` (the newline's offset), at most `max` characters back;
/// true when the line was cut.
fn line_start_within(source: &str, end: usize, max: usize) -> (usize, bool) {
    let head = source.get(..end).unwrap_or_default();
    for (count, (i, c)) in head.char_indices().rev().enumerate() {
        if c == '\n' {
            return (i + 1, false);
        }
        if count >= max {
            return (i, true);
        }
    }
    (0, false)
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let column = if inner.line() == self.label_line && span.offset() == self.label.0 {
            self.label_column
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet(source: &str, offset: usize, len: usize) -> Snippet {
        let prefix = &source[..offset];
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().unwrap().chars().count() + 1;
        let span = Span {
            offset,
            len,
            line,
            column,
        };
        Snippet::new("f.json", source, &span)
    }

    #[test]
    fn a_long_line_is_cut_to_a_window_around_the_label() {
        let source = format!(
            "{{\"a\": \"{}X{}\"}}",
            "y".repeat(500_000),
            "z".repeat(500_000)
        );
        let offset = source.find('X').unwrap();
        let s = snippet(&source, offset, 1);
        assert!(s.text.len() < 400, "{}", s.text.len());
        assert_eq!(&s.text[s.label.0..s.label.0 + s.label.1], "X");
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!((s.first_line, s.label_column), (0, offset));
    }

    #[test]
    fn neighbouring_lines_and_control_characters() {
        let source = "{\n  \"a\": \"\u{1b}[31mred\",\n  \"b\": 1\n}";
        let offset = source.find("\"b\"").unwrap();
        let s = snippet(source, offset, 3);
        assert_eq!(s.text, "  \"a\": \"\u{FFFD}[31mred\",\n  \"b\": 1\n}");
        assert_eq!(&s.text[s.label.0..s.label.0 + s.label.1], "\"b\"");
        assert_eq!((s.first_line, s.label_line), (1, 1));
        assert_eq!(printable("a\u{1b}b\u{202E}"), "a\\u{1b}b\\u{202e}");
    }

    proptest::proptest! {
        /// Any text, any span (even past the end or inside a character): rendering never
        /// panics and stays short.
        #[test]
        fn any_span_of_any_text_renders_briefly(
            text in "(\\PC|[\r\n\t\u{1b}\u{202e}é😀]){0,400}",
            offset in 0usize..500,
            len in 0usize..50,
            line in 0usize..5,
            column in 0usize..500,
        ) {
            let problem = InputProblem {
                span: Some(Span { offset, len, line, column }),
                source: Some(std::sync::Arc::new(text.clone())),
                ..InputProblem::whole_file(
                    crate::diagnostic::ProblemCode::MalformedJson,
                    Severity::Error,
                    "f.json",
                    "m",
                    "h",
                )
            };
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            );
            let mut out = String::new();
            handler
                .render_report(&mut out, &RenderedProblem::from(&problem))
                .unwrap();
            proptest::prop_assert!(out.len() < 4096, "{}", out.len());
            proptest::prop_assert!(!out.contains('\u{1b}'), "an escape character reached the output");
        }
    }

    #[test]
    fn values_in_a_diagnostic_cannot_start_a_line() {
        let source = "{\n  \"a\": 1\n}";
        let problem = InputProblem {
            span: Some(Span {
                offset: 4,
                len: 3,
                line: 2,
                column: 3,
            }),
            source: Some(std::sync::Arc::new(source.to_owned())),
            ..InputProblem::whole_file(
                crate::diagnostic::ProblemCode::DanglingReference,
                Severity::Warning,
                "dir\n::error::x/\u{1b}[2Jf.json",
                "no NSG 'n\n::notice::0 VMs: 0 unhealthy'",
                "add\rit",
            )
        };
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        let mut out = String::new();
        handler
            .render_report(&mut out, &RenderedProblem::from(&problem))
            .unwrap();
        assert!(!out.contains(['\u{1b}', '\r']), "{out}");
        assert!(
            out.lines().all(|l| !l.trim_start().starts_with("::")),
            "{out}"
        );
        assert!(out.contains("n\\u{a}::notice::0 VMs"), "{out}");
        assert!(
            out.contains("dir\\u{a}::error::x/\\u{1b}[2Jf.json"),
            "{out}"
        );
        assert!(
            out.contains("\"a\": 1"),
            "the snippet still shows its lines: {out}"
        );
    }

    #[test]
    fn a_label_at_the_end_of_the_text_is_empty() {
        let s = snippet("{\"a\": ", 6, 0);
        assert_eq!(s.label, (6, 0));
    }
}
