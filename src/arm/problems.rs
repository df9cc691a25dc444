//! ARM: problems found while expanding a template, and their diagnostics.
//!
//! Problems are collected while evaluating, located by the JSON pointer of the value that
//! caused them (and, for an expression, the byte range of the offending token inside the
//! decoded string), and turned into located diagnostics once the document is at hand.
//! Repeats (the same problem in every iteration of a copy loop) are kept once, and a template
//! cannot make the list grow without bound. This module never evaluates anything.

use crate::map::Set;

use super::expr::{ExprError, ExprErrorCode};
use crate::diagnostic::{InputProblem, ProblemCode, Severity};
use crate::load::Document;

/// Most distinct problems one scope keeps; the rest are counted in one last problem.
const MAX_PROBLEMS: usize = 500;

/// A problem found while evaluating, located by pointer within the template document.
#[derive(Debug, Clone)]
pub(crate) struct PendingProblem {
    /// Pointer of the value that caused it.
    pub pointer: String,
    /// Stable code.
    pub code: ProblemCode,
    /// What is wrong.
    pub message: String,
    /// Byte range inside the decoded string at `pointer` (an expression's token), if any.
    pub range: Option<(usize, usize)>,
}

impl PendingProblem {
    /// A problem at the value at `pointer`.
    pub fn at(pointer: &str, code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            code,
            message: message.into(),
            range: None,
        }
    }

    /// An expression error in the string `text` at `pointer`, located at the token the error
    /// offset points at.
    pub fn expression(pointer: &str, text: &str, error: ExprError) -> Self {
        use ExprErrorCode as C;
        let code = match error.code {
            C::Syntax => ProblemCode::ExpressionSyntax,
            C::UnknownFunction => ProblemCode::UnknownFunction,
            C::ArgumentCount => ProblemCode::ArgumentCount,
            C::ArgumentType => ProblemCode::ArgumentType,
            C::TooDeep | C::TooLarge => ProblemCode::TooLarge,
            C::Evaluation => ProblemCode::Evaluation,
        };
        let start = error.offset.min(text.len());
        Self {
            pointer: pointer.to_owned(),
            code,
            message: error.message,
            range: Some((start, token_end(text, start))),
        }
    }
}

/// What makes two problems the same: place, range inside it, code.
type ProblemKey = (String, Option<(usize, usize)>, ProblemCode);

/// Collects problems once each, up to [`MAX_PROBLEMS`].
#[derive(Debug, Default)]
pub(crate) struct ProblemLog {
    problems: Vec<PendingProblem>,
    seen: Set<ProblemKey>,
    dropped: usize,
}

impl ProblemLog {
    /// Records `problem` unless the same one (place and code) is already recorded.
    pub fn push(&mut self, problem: PendingProblem) {
        let key = (problem.pointer.clone(), problem.range, problem.code);
        if self.seen.contains(&key) {
            return;
        }
        if self.problems.len() >= MAX_PROBLEMS {
            self.dropped += 1;
            return;
        }
        self.seen.insert(key);
        self.problems.push(problem);
    }

    /// Takes the problems recorded so far (with one more counting those not kept).
    pub fn take(&mut self) -> Vec<PendingProblem> {
        let mut out = std::mem::take(&mut self.problems);
        if self.dropped > 0 {
            out.push(PendingProblem::at(
                "",
                ProblemCode::TooLarge,
                format!(
                    "{} more problems in this template are not listed (at most {MAX_PROBLEMS} are)",
                    self.dropped
                ),
            ));
            self.dropped = 0;
        }
        out
    }
}

/// The diagnostic for `pending`, located in `doc`.
pub(crate) fn to_input_problem(doc: &Document, pending: PendingProblem) -> InputProblem {
    let span = match pending.range {
        Some((start, end)) => doc.span_in_string(&pending.pointer, start, end),
        None => doc.span_of_value(&pending.pointer),
    };
    InputProblem {
        span: Some(span),
        source: Some(doc.text()),
        ..InputProblem::whole_file(
            pending.code,
            Severity::Warning,
            &doc.display,
            pending.message,
            help(pending.code),
        )
    }
}

/// The help line for a problem code raised by the ARM stage.
pub(crate) fn help(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::UnknownFunction => {
            "check the function name against the ARM template function reference"
        }
        ProblemCode::ExpressionSyntax => {
            "fix the expression: brackets, quotes ('' escapes a quote) and commas must balance"
        }
        ProblemCode::ArgumentCount | ProblemCode::ArgumentType => {
            "check the function's arguments against the ARM template function reference"
        }
        ProblemCode::VariableCycle => {
            "break the cycle: a variable cannot depend on itself, directly or through others"
        }
        ProblemCode::CopyCount => {
            "use a count from 0 to 800 (ARM's limit); split bigger loops into several resources"
        }
        ProblemCode::TooLarge => {
            "values that depend on this are reported as unknown; check for runaway copy loops, nesting or self-referencing deployments"
        }
        ProblemCode::NoResources => "add the resources, or remove the file from the scan",
        ProblemCode::LinkedTemplate => {
            "scan the linked template's folder too, or use a relativePath that exists beside this template"
        }
        ProblemCode::DanglingReference => {
            "declare the referenced resource in this template, or scan it together with the template that does; until then the verdict cannot see it"
        }
        ProblemCode::ParametersMismatch => {
            "make the parameters file match the template's `parameters` (names, types, allowed values)"
        }
        _ => "values that depend on this expression are reported as unknown",
    }
}

/// End (exclusive) of the token of an expression that starts at byte `start` of `text`: a
/// name, a quoted string, a number, or one character.
pub(crate) fn token_end(text: &str, start: usize) -> usize {
    let Some(rest) = text.get(start..) else {
        return start;
    };
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return start;
    };
    let end = match first {
        '\'' => {
            let mut end = rest.len();
            let mut iter = rest.char_indices().skip(1).peekable();
            while let Some((i, c)) = iter.next() {
                if c == '\'' {
                    if iter.peek().is_some_and(|(_, n)| *n == '\'') {
                        iter.next();
                        continue;
                    }
                    end = i + 1;
                    break;
                }
            }
            end
        }
        c if c.is_alphanumeric() || matches!(c, '_' | '$' | '-') => chars
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '$' | '.')))
            .map_or(rest.len(), |(i, _)| i),
        c => c.len_utf8(),
    };
    start + end.min(256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_names_strings_and_numbers() {
        let text = "[concatt('a''b', 12)]";
        assert_eq!(token_end(text, 1), 8);
        assert_eq!(token_end(text, 9), 15);
        assert_eq!(token_end(text, 17), 19);
        assert_eq!(token_end(text, 0), 1);
        assert_eq!(token_end(text, 99), 99);
    }

    #[test]
    fn repeats_are_kept_once_and_the_list_is_bounded() {
        let mut log = ProblemLog::default();
        for _ in 0..3 {
            log.push(PendingProblem::at("/a", ProblemCode::CopyCount, "x"));
        }
        for i in 0..(MAX_PROBLEMS + 10) {
            log.push(PendingProblem::at(
                &format!("/b/{i}"),
                ProblemCode::Evaluation,
                "y",
            ));
        }
        let taken = log.take();
        assert_eq!(taken.len(), MAX_PROBLEMS + 1);
        assert!(taken
            .last()
            .is_some_and(|p| p.message.starts_with("11 more problems")));
    }
}
