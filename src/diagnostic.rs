//! Input problems: what is wrong with a file, where, and how to fix it.
//!
//! Input problems are diagnostics, not findings. Each has a stable code
//! (`jitscan::input::...`), a message, a help line and, when the problem sits at a place in the
//! file, a byte span resolved to line and column while the file's text is at hand. The
//! terminal renders them with miette (see `main.rs`); JSON, SARIF and HTML list them in the
//! inputs section. This module holds data only: no I/O, no printing.

pub mod render;

use std::sync::Arc;

/// Stable codes for input problems. The string form is part of the JSON report contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemCode {
    /// The file or directory could not be read.
    Unreadable,
    /// The bytes are not valid UTF-8 / UTF-16.
    Encoding,
    /// The text is not valid JSON.
    MalformedJson,
    /// A template with no `resources`.
    NoResources,
    /// An ARM expression does not parse.
    ExpressionSyntax,
    /// An ARM expression calls a function that does not exist.
    UnknownFunction,
    /// An ARM function got the wrong number of arguments.
    ArgumentCount,
    /// An ARM function got an argument of the wrong type.
    ArgumentType,
    /// An ARM expression failed while evaluating (missing property, division by zero, ...).
    Evaluation,
    /// Nesting or size beyond jitscan's bounds.
    TooLarge,
    /// A `copy` loop with a bad or excessive count.
    CopyCount,
    /// Variables that refer to each other in a cycle.
    VariableCycle,
    /// A parameters file that does not match its template.
    ParametersMismatch,
    /// A linked template that cannot be resolved to a local file.
    LinkedTemplate,
    /// A port or port range that does not parse.
    BadPortRange,
    /// An address prefix that does not parse.
    BadPrefix,
    /// A security rule priority outside 100-4096.
    BadPriority,
    /// Two rules with the same priority and direction in one NSG.
    DuplicatePriority,
    /// A reference to a resource that is not in the input.
    DanglingReference,
    /// A problem in the jitscan.yaml configuration.
    Config,
    /// Two copies of one resource in an export disagree.
    ExportConflict,
    /// A path that resolves outside the scanned paths (a symbolic link, a linked template).
    OutsideRoots,
}

impl ProblemCode {
    /// The stable code string, e.g. `jitscan::input::malformed-json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unreadable => "jitscan::input::unreadable",
            Self::Encoding => "jitscan::input::encoding",
            Self::MalformedJson => "jitscan::input::malformed-json",
            Self::NoResources => "jitscan::input::no-resources",
            Self::ExpressionSyntax => "jitscan::input::expression-syntax",
            Self::UnknownFunction => "jitscan::input::unknown-function",
            Self::ArgumentCount => "jitscan::input::argument-count",
            Self::ArgumentType => "jitscan::input::argument-type",
            Self::Evaluation => "jitscan::input::expression-evaluation",
            Self::TooLarge => "jitscan::input::too-large",
            Self::CopyCount => "jitscan::input::copy-count",
            Self::VariableCycle => "jitscan::input::variable-cycle",
            Self::ParametersMismatch => "jitscan::input::parameters-mismatch",
            Self::LinkedTemplate => "jitscan::input::linked-template",
            Self::BadPortRange => "jitscan::input::bad-port-range",
            Self::BadPrefix => "jitscan::input::bad-prefix",
            Self::BadPriority => "jitscan::input::bad-priority",
            Self::DuplicatePriority => "jitscan::input::duplicate-priority",
            Self::DanglingReference => "jitscan::input::dangling-reference",
            Self::Config => "jitscan::config::invalid",
            Self::ExportConflict => "jitscan::input::export-conflict",
            Self::OutsideRoots => "jitscan::input::outside-scan-roots",
        }
    }
}

/// How bad a problem is: an error means the file could not be scanned at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The file was scanned; something in it was ignored or became unknown.
    Warning,
    /// The file could not be scanned.
    Error,
}

/// Where a problem sits in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Byte offset into the decoded text.
    pub offset: usize,
    /// Length in bytes (at least 0).
    pub len: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

/// A file's whole decoded text, shared by its document, its locations and its diagnostics.
/// An `Arc<String>` rather than an `Arc<str>`: the bytes read from the file become the text
/// without being copied (input files can be hundreds of megabytes).
pub type Text = Arc<String>;

/// One problem with one input file.
#[derive(Debug, Clone)]
pub struct InputProblem {
    /// Stable code.
    pub code: ProblemCode,
    /// Error (file failed) or warning (file scanned, something skipped or unknown).
    pub severity: Severity,
    /// What is wrong, specifically.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The file, as displayed in reports.
    pub path: String,
    /// Where in the file, when known.
    pub span: Option<Span>,
    /// The file's decoded text, kept only for files with problems so the terminal can show
    /// a snippet.
    pub source: Option<Text>,
}

impl InputProblem {
    /// A problem with no position (the whole file).
    pub fn whole_file(
        code: ProblemCode,
        severity: Severity,
        path: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            help: help.into(),
            path: path.to_owned(),
            span: None,
            source: None,
        }
    }
}
