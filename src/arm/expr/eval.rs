//! Tree-walking evaluator: literals, property and index access, and function calls with ARM's
//! arity checks, unknown propagation and lazy `if` / `and` / `or` / `coalesce`.
//!
//! Recursion follows the parsed tree, whose depth the parser bounds. Every value a call returns
//! is measured against the per-evaluation budget ([`MAX_EVALUATION_WEIGHT`]) and the string,
//! array and depth limits, so a hostile template cannot make one evaluation unbounded.

use std::cell::Cell;

use serde_json::Value;

use super::args::{given, type_error, Args};
use super::functions::{self, Kind, Lazy, Spec, Unknowns};
use super::value::{as_int, deep_equal, find_key, measure, type_name};
use super::{
    Expr, ExprError, ExprErrorCode, Scope, MAX_ARRAY_ELEMENTS, MAX_EVALUATION_WEIGHT,
    MAX_STRING_BYTES, MAX_TOTAL_DEPTH, MAX_VALUE_DEPTH,
};
use crate::arm::unknown::{
    first_unknown_inside, is_unknown, missing_runtime_property, runtime_view_unknown,
    symbolic_parameter, symbolic_reason, symbolic_unknown, unknown,
};

/// Evaluates expressions against one scope, tracking the data budget.
pub(crate) struct Evaluator<'a> {
    scope: &'a dyn Scope,
    used: Cell<usize>,
    /// Levels of the tree being evaluated right now.
    depth: Cell<usize>,
}

impl<'a> Evaluator<'a> {
    /// A fresh evaluator with the whole budget available.
    pub(crate) fn new(scope: &'a dyn Scope) -> Self {
        Self {
            scope,
            used: Cell::new(0),
            depth: Cell::new(0),
        }
    }

    /// The work done so far, in the units of [`MAX_EVALUATION_WEIGHT`].
    pub(crate) fn used(&self) -> usize {
        self.used.get()
    }

    /// Evaluates `expr`, refusing to nest deeper than [`MAX_TOTAL_DEPTH`] levels counting
    /// those already open in the scope.
    pub(crate) fn eval(&self, expr: &Expr) -> Result<Value, ExprError> {
        let depth = self.depth.get() + 1;
        if depth.saturating_add(self.scope.open_levels()) > MAX_TOTAL_DEPTH {
            return Err(ExprError::new(
                ExprErrorCode::TooDeep,
                expr.offset(),
                format!("expressions, and the variables and parameters they read, nest deeper than {MAX_TOTAL_DEPTH} levels in all"),
            ));
        }
        self.depth.set(depth);
        let result = self.eval_node(expr);
        self.depth.set(depth - 1);
        result
    }

    fn eval_node(&self, expr: &Expr) -> Result<Value, ExprError> {
        match expr {
            Expr::String { value, .. } => Ok(Value::String(value.clone())),
            Expr::Int { value, .. } => Ok(Value::from(*value)),
            Expr::Bool { value, .. } => Ok(Value::Bool(*value)),
            Expr::Null { .. } => Ok(Value::Null),
            Expr::Call { name, args, offset } => self.call(name, args, *offset),
            Expr::Property {
                target,
                name,
                offset,
            } => {
                let base = self.eval(target)?;
                property(base, name, *offset)
            }
            Expr::Index { target, index, .. } => {
                let base = self.eval(target)?;
                let key = self.eval(index)?;
                index_value(base, key, index.offset())
            }
        }
    }

    fn call(&self, name: &str, arg_exprs: &[Expr], offset: usize) -> Result<Value, ExprError> {
        let spec = functions::lookup(name).ok_or_else(|| {
            ExprError::new(
                ExprErrorCode::UnknownFunction,
                offset,
                format!("'{name}' is not an ARM template function"),
            )
        })?;
        check_arity(&spec, name, arg_exprs, offset)?;
        let result = match spec.kind {
            Kind::Lazy(which) => self.lazy(which, name, arg_exprs)?,
            Kind::Unknown(reason) => {
                self.eval_args(name, arg_exprs, offset)?;
                return Ok(unknown(reason(name)));
            }
            Kind::Eager(implementation, policy) => {
                let args = self.eval_args(name, arg_exprs, offset)?;
                if let Some(found) = unknown_argument(&args.values, policy)
                    .or_else(|| whole_object_of_runtime_state(name, &args.values))
                    .or_else(|| {
                        self.scope
                            .symbolic_in_use()
                            .then(|| symbolic_argument(name, &args.values))
                            .flatten()
                    })
                {
                    return Ok(found);
                }
                // A lookup (parameters, variables) may evaluate more expressions inside.
                let open = self.depth.get();
                self.scope.open_levels_by(open);
                let result = implementation(&args);
                self.scope.close_levels_by(open);
                result?
            }
        };
        self.charge(&result, name, offset)?;
        Ok(result)
    }

    fn eval_args<'n>(
        &self,
        name: &'n str,
        arg_exprs: &'n [Expr],
        offset: usize,
    ) -> Result<Args<'n>, ExprError>
    where
        'a: 'n,
    {
        let mut values = Vec::with_capacity(arg_exprs.len());
        for e in arg_exprs {
            values.push(self.eval(e)?);
        }
        Ok(Args {
            name,
            offset,
            values,
            exprs: arg_exprs,
            scope: self.scope,
        })
    }

    /// Counts `value` against the evaluation budget and the size limits.
    fn charge(&self, value: &Value, name: &str, offset: usize) -> Result<(), ExprError> {
        let too_large = |what: String| {
            ExprError::new(
                ExprErrorCode::TooLarge,
                offset,
                format!("function '{name}' returns {what}"),
            )
        };
        match value {
            Value::String(s) if s.len() > MAX_STRING_BYTES => {
                return Err(too_large(format!(
                    "a string of {} bytes; the limit is {MAX_STRING_BYTES}",
                    s.len()
                )))
            }
            Value::Array(items) if items.len() > MAX_ARRAY_ELEMENTS => {
                return Err(too_large(format!(
                    "an array of {} elements; the limit is {MAX_ARRAY_ELEMENTS}",
                    items.len()
                )))
            }
            _ => {}
        }
        let remaining = MAX_EVALUATION_WEIGHT.saturating_sub(self.used.get());
        match measure(value, remaining) {
            Ok(weight) => {
                self.used.set(self.used.get().saturating_add(weight));
                Ok(())
            }
            Err(true) => Err(ExprError::new(
                ExprErrorCode::TooDeep,
                offset,
                format!(
                    "function '{name}' returns a value nested deeper than {MAX_VALUE_DEPTH} levels"
                ),
            )),
            Err(false) => Err(too_large(format!(
                "more data than one expression may handle ({MAX_EVALUATION_WEIGHT} bytes in all)"
            ))),
        }
    }

    fn lazy(&self, which: Lazy, name: &str, args: &[Expr]) -> Result<Value, ExprError> {
        match which {
            Lazy::If => self.if_then_else(name, args),
            Lazy::And => self.and_or(name, args, false),
            Lazy::Or => self.and_or(name, args, true),
            Lazy::Coalesce => {
                for e in args {
                    let v = self.eval(e)?;
                    if is_unknown(&v) || !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
        }
    }

    /// `if`: only the chosen branch is evaluated. With an unknown condition both are tried, and
    /// the result is known only when they agree.
    fn if_then_else(&self, name: &str, args: &[Expr]) -> Result<Value, ExprError> {
        let (Some(cond), Some(yes), Some(no)) = (args.first(), args.get(1), args.get(2)) else {
            return Ok(Value::Null);
        };
        let condition = self.eval(cond)?;
        let condition = symbolic_unknown(&condition).unwrap_or(condition);
        if is_unknown(&condition) {
            return Ok(match (self.eval(yes), self.eval(no)) {
                (Ok(a), Ok(b)) if deep_equal(&a, &b) && first_unknown_inside(&a).is_none() => a,
                _ => condition,
            });
        }
        match condition {
            Value::Bool(true) => self.eval(yes),
            Value::Bool(false) => self.eval(no),
            other => Err(type_error(name, 0, cond.offset(), &other, "a bool")),
        }
    }

    /// `and` (`decisive` = false) and `or` (`decisive` = true).
    fn and_or(&self, name: &str, args: &[Expr], decisive: bool) -> Result<Value, ExprError> {
        let mut first_unknown = None;
        for (i, e) in args.iter().enumerate() {
            let v = self.eval(e)?;
            let v = symbolic_unknown(&v).unwrap_or(v);
            if is_unknown(&v) {
                first_unknown.get_or_insert(v);
                continue;
            }
            match v {
                Value::Bool(b) if b == decisive => return Ok(Value::Bool(b)),
                Value::Bool(_) => {}
                other => return Err(type_error(name, i, e.offset(), &other, "a bool")),
            }
        }
        Ok(first_unknown.unwrap_or(Value::Bool(!decisive)))
    }
}

fn check_arity(spec: &Spec, name: &str, args: &[Expr], offset: usize) -> Result<(), ExprError> {
    let n = args.len();
    let too_many = spec.max.is_some_and(|max| n > max);
    if n >= spec.min && !too_many {
        return Ok(());
    }
    let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
    let expected = match spec.max {
        Some(max) if max == spec.min => format!("exactly {max} {}", plural(max)),
        Some(max) => format!("{} to {max} arguments", spec.min),
        None => format!("at least {} {}", spec.min, plural(spec.min)),
    };
    let message = format!("function '{name}' takes {expected}, but {}", given(n));
    // Too few arguments: the call is wrong; too many: the first one over.
    let at = match spec.max {
        Some(max) if n > max => args.get(max).map_or(offset, Expr::offset),
        _ => offset,
    };
    Err(ExprError::new(ExprErrorCode::ArgumentCount, at, message))
}

/// Functions that look at a whole object cannot know what Azure returns for a `reference()`
/// view: its runtime-only properties are missing from the template.
fn whole_object_of_runtime_state(name: &str, values: &[Value]) -> Option<Value> {
    const WHOLE: [&str; 4] = ["length", "empty", "items", "objectkeys"];
    if !WHOLE.iter().any(|w| name.eq_ignore_ascii_case(w)) {
        return None;
    }
    values.iter().find_map(|v| runtime_view_unknown(v, false))
}

/// A parameter left symbolic (see `unknown::symbolic`) passes only through the functions that
/// build names and ids from it; any other function would decide from a value the input does
/// not give, so it returns an unknown naming the parameter.
fn symbolic_argument(name: &str, values: &[Value]) -> Option<Value> {
    const NAMING: [&str; 17] = [
        "parameters",
        "variables",
        "format",
        "concat",
        "string",
        "tolower",
        "toupper",
        "uniquestring",
        "guid",
        "resourceid",
        "subscriptionresourceid",
        "tenantresourceid",
        "extensionresourceid",
        "managementgroupresourceid",
        "createarray",
        "createobject",
        "reference",
    ];
    if NAMING.iter().any(|n| name.eq_ignore_ascii_case(n)) {
        return None;
    }
    fn find(value: &Value, depth: usize) -> Option<&str> {
        match value {
            Value::String(s) => symbolic_parameter(s),
            Value::Array(items) if depth < 32 => items.iter().find_map(|v| find(v, depth + 1)),
            Value::Object(map) if depth < 32 => map.values().find_map(|v| find(v, depth + 1)),
            _ => None,
        }
    }
    values
        .iter()
        .find_map(|v| find(v, 0))
        .map(|parameter| unknown(symbolic_reason(parameter)))
}

/// The unknown a call must return instead of running, under `policy`.
fn unknown_argument(values: &[Value], policy: Unknowns) -> Option<Value> {
    match policy {
        Unknowns::Keep => None,
        Unknowns::Shallow => values.iter().find(|v| is_unknown(v)).cloned(),
        Unknowns::Deep => values
            .iter()
            .find_map(|v| first_unknown_inside(v))
            .map(unknown)
            .or_else(|| values.iter().find_map(|v| runtime_view_unknown(v, true))),
    }
}

/// `base.name`: case-insensitive property lookup; unknown stays unknown, and a property missing
/// from a runtime-state view (`reference()`) is unknown rather than an error.
fn property(base: Value, name: &str, offset: usize) -> Result<Value, ExprError> {
    if is_unknown(&base) {
        return Ok(base);
    }
    match base {
        Value::Object(mut map) => match find_key(&map, name) {
            Some(key) => Ok(map.remove(&key).unwrap_or(Value::Null)),
            None => missing_runtime_property(&map, name)
                .ok_or_else(|| missing_property(&map, name, offset)),
        },
        other => Err(ExprError::new(
            ExprErrorCode::Evaluation,
            offset,
            format!(
                "cannot read property '{name}' of {} value",
                article(type_name(&other))
            ),
        )),
    }
}

fn missing_property(map: &serde_json::Map<String, Value>, name: &str, offset: usize) -> ExprError {
    let available: Vec<&str> = map.keys().take(20).map(String::as_str).collect();
    ExprError::new(
        ExprErrorCode::Evaluation,
        offset,
        format!(
            "property '{name}' does not exist; available properties are '{}'",
            available.join(", ")
        ),
    )
}

/// `base[key]`: an integer on an array, a string on an object.
fn index_value(base: Value, key: Value, offset: usize) -> Result<Value, ExprError> {
    if is_unknown(&base) {
        return Ok(base);
    }
    if is_unknown(&key) {
        return Ok(key);
    }
    let error = |message: String| ExprError::new(ExprErrorCode::Evaluation, offset, message);
    match (base, key) {
        (Value::Array(mut items), key) => {
            let Some(i) = as_int(&key) else {
                return Err(error(format!(
                    "an array index must be an integer, not {}",
                    article(type_name(&key))
                )));
            };
            let len = items.len();
            match usize::try_from(i).ok().filter(|&i| i < len) {
                Some(i) => Ok(items.swap_remove(i)),
                None => Err(error(format!(
                    "index {i} is out of range for an array of {len} elements"
                ))),
            }
        }
        (Value::Object(map), Value::String(name)) => property(Value::Object(map), &name, offset),
        (Value::Object(_), key) => Err(error(format!(
            "an object index must be a string, not {}",
            article(type_name(&key))
        ))),
        (other, _) => Err(error(format!(
            "cannot index {} value",
            article(type_name(&other))
        ))),
    }
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}
