//! ARM template expression language: the `"[concat(parameters('prefix'), '-vm')]"` strings of
//! the ARM stage, parsed into an [`Expr`] and evaluated against a [`Scope`] that knows the
//! template around the expression.
//!
//! Two outcomes are kept strictly apart:
//! - an [`ExprError`] is a *template bug* (bad syntax, unknown function, wrong argument count or
//!   type, a missing property, division by zero...) and becomes a user diagnostic, with the
//!   byte offset of the offending character inside the expression string;
//! - an *unknown value* ([`crate::arm::unknown`]) is what an expression evaluates to when the
//!   input alone cannot decide it (`listKeys()`, `utcNow()`, a `reference()` to runtime state).
//!   Unknowns propagate through functions but are never errors.
//!
//! This module must not read files, must not touch the network, and must not panic on any input:
//! parsing and evaluation are bounded in nesting depth, string length, array length and the
//! total amount of data one evaluation may touch (see the `MAX_*` constants).
//!
//! Facts about the language come from Microsoft's ARM template function reference. Where the
//! offline result cannot be Azure's (uniqueString, guid), the function documents it.

mod args;
mod eval;
mod functions;
mod lex;
mod parse;
mod value;

#[cfg(test)]
mod tests;

use serde_json::Value;

/// Deepest nesting of calls, property accesses and indexes a parsed expression may have.
pub(crate) const MAX_PARSE_DEPTH: usize = 128;
/// Deepest nesting in all of one chain of evaluation: expression levels, plus the JSON levels
/// and expression levels of the variables and parameters it reads, and theirs. Each level is
/// a few stack frames, so this bound (not the per-expression one) keeps a chain of variables
/// whose expressions each nest deeply from exhausting the stack of a worker thread.
pub const MAX_TOTAL_DEPTH: usize = 256;
/// Longest expression string accepted, in bytes (1 MiB).
pub(crate) const MAX_EXPRESSION_BYTES: usize = 1024 * 1024;
/// Longest string an evaluation may produce, in bytes (16 MiB).
pub(crate) const MAX_STRING_BYTES: usize = 16 * 1024 * 1024;
/// Most elements an evaluation may put in one array.
pub(crate) const MAX_ARRAY_ELEMENTS: usize = 100_000;
/// Largest `range()` count ARM allows.
pub(crate) const MAX_RANGE_COUNT: i64 = 10_000;
/// Deepest nesting of arrays and objects a value may have while being evaluated.
pub(crate) const MAX_VALUE_DEPTH: usize = 256;
/// Total size (string bytes plus one per JSON node) of all values one evaluation may read or
/// produce; a bound on time and memory for hostile templates that reuse huge variables.
pub(crate) const MAX_EVALUATION_WEIGHT: usize = 64 * 1024 * 1024;

/// A parsed expression. Every node carries the byte offset (inside the original string,
/// counting the leading `[`) of the token that starts it, so evaluation errors can point at it.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal `'text'` (with `''` already unescaped to `'`).
    String {
        /// The unescaped text.
        value: String,
        /// Offset of the opening quote.
        offset: usize,
    },
    /// An integer literal such as `42` or `-1`.
    Int {
        /// The value.
        value: i64,
        /// Offset of the first character (the sign or first digit).
        offset: usize,
    },
    /// A bare `true` or `false` (ARM also accepts the calls `true()` and `false()`).
    Bool {
        /// The value.
        value: bool,
        /// Offset of the keyword.
        offset: usize,
    },
    /// A bare `null` (ARM also accepts the call `null()`).
    Null {
        /// Offset of the keyword.
        offset: usize,
    },
    /// A function call `name(arg, ...)`. The name keeps the template's spelling; lookup is
    /// case-insensitive. A dotted name (`ns.fn`) is a user-defined function.
    Call {
        /// The function name as written.
        name: String,
        /// The arguments, in order.
        args: Vec<Expr>,
        /// Offset of the first character of the name.
        offset: usize,
    },
    /// A property access `target.name` (case-insensitive lookup, as ARM objects are).
    Property {
        /// The value whose property is read.
        target: Box<Expr>,
        /// The property name.
        name: String,
        /// Offset of the property name.
        offset: usize,
    },
    /// An index `target[index]`: an integer on an array, a string on an object.
    Index {
        /// The array or object being indexed.
        target: Box<Expr>,
        /// The index expression.
        index: Box<Expr>,
        /// Offset of the `[`.
        offset: usize,
    },
}

impl Expr {
    /// Byte offset of the token that starts this node.
    pub fn offset(&self) -> usize {
        match self {
            Expr::String { offset, .. }
            | Expr::Int { offset, .. }
            | Expr::Bool { offset, .. }
            | Expr::Null { offset }
            | Expr::Call { offset, .. }
            | Expr::Property { offset, .. }
            | Expr::Index { offset, .. } => *offset,
        }
    }
}

/// A template bug found while parsing or evaluating (NOT an undecidable value).
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What kind of problem it is; stable, for diagnostic codes.
    pub code: ExprErrorCode,
    /// Human, specific description of the problem.
    pub message: String,
    /// Byte offset inside the original string (including the leading `[`) of the problem; 0 if
    /// not applicable.
    pub offset: usize,
}

impl ExprError {
    /// Builds an error.
    pub(crate) fn new(code: ExprErrorCode, offset: usize, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            offset,
        }
    }
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (at offset {}, {})",
            self.message,
            self.offset,
            self.code.as_str()
        )
    }
}

impl std::error::Error for ExprError {}

/// The kinds of [`ExprError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprErrorCode {
    /// The text is not a well-formed expression.
    Syntax,
    /// A function name that ARM does not define.
    UnknownFunction,
    /// Too few or too many arguments for the function.
    ArgumentCount,
    /// An argument of the wrong type for the function.
    ArgumentType,
    /// Expression nesting deeper than 128 levels, or a value nested deeper than 256 levels.
    TooDeep,
    /// An input or result beyond the size limits.
    TooLarge,
    /// Any other failure ARM itself would report while evaluating (missing property, index out
    /// of range, division by zero, undeclared parameter...).
    Evaluation,
}

impl ExprErrorCode {
    /// Stable kebab-case name, used in diagnostic codes.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExprErrorCode::Syntax => "syntax",
            ExprErrorCode::UnknownFunction => "unknown-function",
            ExprErrorCode::ArgumentCount => "argument-count",
            ExprErrorCode::ArgumentType => "argument-type",
            ExprErrorCode::TooDeep => "too-deep",
            ExprErrorCode::TooLarge => "too-large",
            ExprErrorCode::Evaluation => "evaluation",
        }
    }
}

/// What evaluation needs from the template around the expression.
pub trait Scope {
    /// Value of parameters('name') (already resolved: parameters file value, else defaultValue,
    /// else an unknown marker). Err(message) when the template declares no such parameter.
    fn parameter(&self, name: &str) -> Result<Value, String>;
    /// Value of variables('name') (the scope evaluates lazily and detects cycles). Err when
    /// undeclared/cyclic.
    fn variable(&self, name: &str) -> Result<Value, String>;
    /// copyIndex() / copyIndex('loop') without the offset. Err when not inside such a loop.
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String>;
    /// The deployment context for resourceGroup(), subscription(), deployment(), resourceId().
    fn context(&self) -> &crate::arm::context::DeploymentContext;
    /// reference(target, apiVersion?, 'Full'?): the scope returns what the template itself
    /// decides (e.g. the properties of a resource declared in the same template) or an unknown
    /// marker.
    fn reference(&self, target: &Value, full: bool) -> Value;
    /// True once a parameter has been left symbolic in this deployment (see
    /// `unknown::symbolic`): only then do calls check their arguments for one.
    fn symbolic_in_use(&self) -> bool {
        false
    }
    /// Levels of nesting already open around evaluations in this scope (an expression reading
    /// a variable whose value holds another expression...), counted against
    /// [`MAX_TOTAL_DEPTH`]. Scopes whose lookups never evaluate anything keep the default.
    fn open_levels(&self) -> usize {
        0
    }
    /// Opens `levels` more levels of nesting (an evaluator calling a function that may look
    /// up a variable); pair with [`Scope::close_levels_by`].
    fn open_levels_by(&self, _levels: usize) {}
    /// Closes levels opened with [`Scope::open_levels_by`].
    fn close_levels_by(&self, _levels: usize) {}
}

/// True when the JSON string is an expression: starts with '[' and ends with ']' and does not
/// start with "[[".
pub fn is_expression(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// Parse a whole expression string including the outer brackets ("[concat('a', 'b')]").
pub fn parse(s: &str) -> Result<Expr, ExprError> {
    parse::parse_expression(s, MAX_PARSE_DEPTH)
}

/// Evaluate a parsed expression.
pub fn evaluate(expr: &Expr, scope: &dyn Scope) -> Result<Value, ExprError> {
    eval::Evaluator::new(scope).eval(expr)
}

/// Convenience for template walking: if `s` is an expression, parse+evaluate it; if it is an
/// escaped literal (starts with "[[" and ends with "]"), return it with the first '[' removed;
/// otherwise return `Value::String(s)` unchanged.
///
/// ARM only unescapes `[[` in a string that would otherwise be an expression (ending with `]`);
/// `"[[abc"` is left as it is, exactly as Azure deploys it.
pub fn evaluate_string(s: &str, scope: &dyn Scope) -> Result<Value, ExprError> {
    evaluate_string_metered(s, scope).0
}

/// [`evaluate_string`], also returning the work the evaluation did (string bytes plus one per
/// JSON node it read or produced, at least the expression's length), so a caller can bound
/// the total work of many evaluations.
pub fn evaluate_string_metered(s: &str, scope: &dyn Scope) -> (Result<Value, ExprError>, usize) {
    if is_expression(s) {
        let room = MAX_TOTAL_DEPTH.saturating_sub(scope.open_levels());
        let expr = match parse::parse_expression(s, MAX_PARSE_DEPTH.min(room)) {
            Ok(expr) => expr,
            Err(err) => return (Err(err), s.len()),
        };
        let evaluator = eval::Evaluator::new(scope);
        let result = evaluator.eval(&expr);
        return (result, evaluator.used().saturating_add(s.len()));
    }
    (literal_string(s), s.len())
}

fn literal_string(s: &str) -> Result<Value, ExprError> {
    if s.starts_with("[[") && s.ends_with(']') {
        return Ok(Value::String(s.get(1..).unwrap_or_default().to_owned()));
    }
    Ok(Value::String(s.to_owned()))
}
