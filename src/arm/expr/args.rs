//! The evaluated arguments of one function call, with typed accessors that turn a wrong type
//! into an `argument-type` error pointing at the offending argument.
//!
//! Function implementations read their inputs only through [`Args`], so none of them indexes a
//! vector directly or invents its own error wording.

use serde_json::{Map, Value};

use super::value::{as_int, type_name};
use super::{Expr, ExprError, ExprErrorCode, Scope, MAX_ARRAY_ELEMENTS, MAX_STRING_BYTES};

/// Evaluated arguments of a call to `name`.
pub(crate) struct Args<'a> {
    /// The function name as written in the template.
    pub name: &'a str,
    /// Offset of the function name.
    pub offset: usize,
    /// The argument values, in order.
    pub values: Vec<Value>,
    /// The argument expressions (for the offset of each).
    pub exprs: &'a [Expr],
    /// The template around the expression.
    pub scope: &'a dyn Scope,
}

impl<'a> Args<'a> {
    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Argument `i`, or null when absent (arity is checked before any function runs).
    pub fn get(&self, i: usize) -> &Value {
        self.values.get(i).unwrap_or(&Value::Null)
    }

    /// Offset of argument `i` (the function name when absent).
    pub fn offset_of(&self, i: usize) -> usize {
        self.exprs.get(i).map_or(self.offset, Expr::offset)
    }

    /// An `argument-type` error for argument `i`, which should have been `expected`.
    pub fn type_error(&self, i: usize, expected: &str) -> ExprError {
        type_error(self.name, i, self.offset_of(i), self.get(i), expected)
    }

    /// An `evaluation` error at argument `i`.
    pub fn eval_error(&self, i: usize, message: impl std::fmt::Display) -> ExprError {
        ExprError::new(
            ExprErrorCode::Evaluation,
            self.offset_of(i),
            format!("function '{}': {message}", self.name),
        )
    }

    /// An `evaluation` error at the function name.
    pub fn call_error(&self, message: impl std::fmt::Display) -> ExprError {
        ExprError::new(
            ExprErrorCode::Evaluation,
            self.offset,
            format!("function '{}': {message}", self.name),
        )
    }

    /// An `argument-count` error at the function name.
    pub fn count_error(&self, message: impl std::fmt::Display) -> ExprError {
        ExprError::new(
            ExprErrorCode::ArgumentCount,
            self.offset,
            format!("function '{}' {message}", self.name),
        )
    }

    /// A `too-large` error at the function name.
    pub fn too_large(&self, what: impl std::fmt::Display) -> ExprError {
        ExprError::new(
            ExprErrorCode::TooLarge,
            self.offset,
            format!("function '{}' would produce {what}", self.name),
        )
    }

    /// Argument `i` as a string.
    pub fn string(&self, i: usize) -> Result<&str, ExprError> {
        self.get(i)
            .as_str()
            .ok_or_else(|| self.type_error(i, "a string"))
    }

    /// Argument `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, ExprError> {
        as_int(self.get(i)).ok_or_else(|| self.type_error(i, "an integer"))
    }

    /// Argument `i` as a bool.
    pub fn bool(&self, i: usize) -> Result<bool, ExprError> {
        self.get(i)
            .as_bool()
            .ok_or_else(|| self.type_error(i, "a bool"))
    }

    /// Argument `i` as an array.
    pub fn array(&self, i: usize) -> Result<&Vec<Value>, ExprError> {
        self.get(i)
            .as_array()
            .ok_or_else(|| self.type_error(i, "an array"))
    }

    /// Argument `i` as an object.
    pub fn object(&self, i: usize) -> Result<&Map<String, Value>, ExprError> {
        self.get(i)
            .as_object()
            .ok_or_else(|| self.type_error(i, "an object"))
    }

    /// Argument `i` as text for string building: strings as they are, integers in decimal,
    /// bools as `True`/`False`, null as empty; anything else is a type error.
    pub fn text(&self, i: usize) -> Result<String, ExprError> {
        match self.get(i) {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(if *b { "True" } else { "False" }.to_owned()),
            Value::Null => Ok(String::new()),
            _ => Err(self.type_error(i, "a string, integer or bool")),
        }
    }

    /// Wraps a produced string, refusing one beyond [`MAX_STRING_BYTES`].
    pub fn string_result(&self, s: String) -> Result<Value, ExprError> {
        self.check_string_len(s.len())?;
        Ok(Value::String(s))
    }

    /// Refuses to build a string of `len` bytes beyond [`MAX_STRING_BYTES`].
    pub fn check_string_len(&self, len: usize) -> Result<(), ExprError> {
        if len > MAX_STRING_BYTES {
            return Err(self.too_large(format!(
                "a string of {len} bytes; the limit is {MAX_STRING_BYTES}"
            )));
        }
        Ok(())
    }

    /// Refuses to build an array of `len` elements beyond [`MAX_ARRAY_ELEMENTS`].
    pub fn check_array_len(&self, len: usize) -> Result<(), ExprError> {
        if len > MAX_ARRAY_ELEMENTS {
            return Err(self.too_large(format!(
                "an array of {len} elements; the limit is {MAX_ARRAY_ELEMENTS}"
            )));
        }
        Ok(())
    }
}

/// "1 was given" / "3 were given", for argument-count messages.
pub(crate) fn given(n: usize) -> String {
    if n == 1 {
        "1 was given".to_owned()
    } else {
        format!("{n} were given")
    }
}

/// An `argument-type` error: argument `i` (0-based) of `name`, at `offset`, holds `value` but
/// should have been `expected`.
pub(crate) fn type_error(
    name: &str,
    i: usize,
    offset: usize,
    value: &Value,
    expected: &str,
) -> ExprError {
    ExprError::new(
        ExprErrorCode::ArgumentType,
        offset,
        format!(
            "function '{name}' expects argument {} to be {expected}, but it is {}",
            i + 1,
            describe(value)
        ),
    )
}

/// "a string 'abc'", "an int 5", "an object", for messages.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let dots = if short.len() < s.len() { "..." } else { "" };
            format!("a string '{short}{dots}'")
        }
        Value::Number(n) if type_name(value) == "int" => format!("an int {n}"),
        Value::Number(n) => format!("a float {n}"),
        Value::Bool(b) => format!("a bool {b}"),
        Value::Null => "null".to_owned(),
        Value::Array(items) => format!("an array of {} elements", items.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}
