//! TEMPORARY interface stub; replaced by the real expression language.
#![allow(missing_docs, dead_code)]
use serde_json::Value;
pub enum Expr {}
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError { pub code: ExprErrorCode, pub message: String, pub offset: usize }
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprErrorCode { Syntax, UnknownFunction, ArgumentCount, ArgumentType, TooDeep, TooLarge, Evaluation }
impl ExprErrorCode { pub fn as_str(&self) -> &'static str { "syntax" } }
pub trait Scope {
    fn parameter(&self, name: &str) -> Result<Value, String>;
    fn variable(&self, name: &str) -> Result<Value, String>;
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String>;
    fn context(&self) -> &crate::arm::context::DeploymentContext;
    fn reference(&self, target: &Value, full: bool) -> Value;
}
pub fn is_expression(s: &str) -> bool { s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[") }
pub fn evaluate_string(s: &str, _scope: &dyn Scope) -> Result<Value, ExprError> { Ok(Value::String(s.to_owned())) }
