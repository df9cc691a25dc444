//! Unit tests for the expression language, split by area. Expected values come from the
//! examples in Microsoft's ARM template function reference unless a test says otherwise.

mod collections;
mod deployment;
mod encoding;
mod evaluation;
mod formatting;
mod hostile;
mod logic_numeric;
mod parsing;
mod strings;

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{evaluate_string, ExprError, ExprErrorCode, Scope};
use crate::arm::context::DeploymentContext;
use crate::arm::unknown::{mark_runtime_state, unknown, unknown_reason};

/// A scope with a few parameters and variables, an optional copy loop, and one resource whose
/// `reference()` the template "decides".
pub(crate) struct TestScope {
    pub params: HashMap<String, Value>,
    pub vars: HashMap<String, Value>,
    pub copy: Option<(String, i64)>,
    pub ctx: DeploymentContext,
}

impl TestScope {
    pub fn new() -> Self {
        let params = [
            ("prefix", json!("pre")),
            ("arr", json!(["one", "two", "three"])),
            (
                "obj",
                json!({"one": "a", "Two": {"Three": [1, 2, {"Four": "deep"}]}, "nullProp": null}),
            ),
            ("noValue", unknown("parameter 'noValue' has no value")),
            ("num", json!(8175133)),
            ("flag", json!(true)),
        ];
        let vars = [
            ("storageName", json!("storage123")),
            (
                "unknownVar",
                unknown("variable 'unknownVar' is undecidable"),
            ),
        ];
        Self {
            params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            vars: vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            copy: None,
            ctx: DeploymentContext::default(),
        }
    }

    pub fn in_loop(name: &str, index: i64) -> Self {
        let mut scope = Self::new();
        scope.copy = Some((name.to_owned(), index));
        scope
    }
}

fn find<'m>(map: &'m HashMap<String, Value>, name: &str) -> Option<&'m Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

impl Scope for TestScope {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        find(&self.params, name)
            .cloned()
            .ok_or_else(|| format!("the template declares no parameter '{name}'"))
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        find(&self.vars, name)
            .cloned()
            .ok_or_else(|| format!("the template declares no variable '{name}'"))
    }

    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String> {
        match (&self.copy, loop_name) {
            (Some((_, i)), None) => Ok(*i),
            (Some((name, i)), Some(wanted)) if name.eq_ignore_ascii_case(wanted) => Ok(*i),
            _ => Err("copyIndex() is used outside a matching copy loop".to_owned()),
        }
    }

    fn context(&self) -> &DeploymentContext {
        &self.ctx
    }

    fn reference(&self, target: &Value, full: bool) -> Value {
        match target.as_str() {
            Some("myVnet") if full => {
                json!({"properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})
            }
            Some("myVnet") => json!({"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}),
            Some("myNic") => {
                let mut state = json!({"ipConfigurations": [{"name": "ip1"}]});
                mark_runtime_state(&mut state, "nic 'myNic'");
                state
            }
            Some(t) => unknown(format!(
                "reference('{t}'): resource '{t}' runtime state is not in the input"
            )),
            None => unknown("reference() of a non-string"),
        }
    }
}

/// Evaluates `s` in the default test scope; panics on error.
pub(crate) fn eval(s: &str) -> Value {
    evaluate_string(s, &TestScope::new()).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The error `s` evaluates to in the default test scope; panics on success.
pub(crate) fn err(s: &str) -> ExprError {
    match evaluate_string(s, &TestScope::new()) {
        Ok(v) => panic!("{s}: expected an error, got {v}"),
        Err(e) => e,
    }
}

/// Asserts `s` fails with `code` at `offset`.
pub(crate) fn assert_err(s: &str, code: ExprErrorCode, offset: usize) {
    let e = err(s);
    assert_eq!((e.code, e.offset), (code, offset), "{s}: {}", e.message);
}

/// The unknown reason `s` evaluates to; panics when the result is known.
pub(crate) fn reason(s: &str) -> String {
    let v = eval(s);
    unknown_reason(&v)
        .unwrap_or_else(|| panic!("{s}: expected an unknown, got {v}"))
        .to_owned()
}

/// Asserts every `(expression, expected)` pair.
pub(crate) fn check(cases: &[(&str, Value)]) {
    for (s, expected) in cases {
        assert_eq!(&eval(s), expected, "{s}");
    }
}
