//! ARM scope: property and variable `copy` loops, and the count every copy loop is held to.
//!
//! ARM allows 0 to 800 iterations per loop. A count outside that range, or one that is not an
//! integer, is a `copy-count` problem located at the count; the loop is then evaluated once,
//! as an assumption the caller records, so a count of 1,000,000,000 costs one iteration.

use super::{At, TemplateScope};
use crate::arm::expr::ExprError;
use crate::arm::problems::PendingProblem;
use crate::arm::unknown::{symbolic_parameter, symbolic_reason, unknown};
use crate::diagnostic::ProblemCode;
use crate::json::Node;

/// ARM's limit on the iterations of one copy loop.
pub(crate) const MAX_COPY_COUNT: i64 = 800;

impl<'t> TemplateScope<'_, 't> {
    /// `"copy": [{"name", "count", "input"}]` inside an object: one array property per entry.
    pub(crate) fn expand_property_copies(
        &self,
        specs: &Node<'t>,
        pointer: &str,
        depth: usize,
    ) -> Vec<(String, Node<'t>)> {
        let mut out = Vec::new();
        let Some(specs) = specs.as_array() else {
            return out;
        };
        for (i, spec) in specs.iter().enumerate() {
            let spec_pointer = format!("{pointer}/{i}");
            let Some(name) = spec.get("name").and_then(Node::as_str) else {
                continue;
            };
            let count = self.copy_count(spec.get("count"), &format!("{spec_pointer}/count"));
            let Some(input) = spec.get("input") else {
                continue;
            };
            let items = match count {
                Ok(count) => (0..count)
                    .map(|index| {
                        self.push_loop(name, index, false);
                        let input_pointer = format!("{spec_pointer}/input");
                        let item = self.evaluate_at(input, &At::Pointer(&input_pointer), depth + 1);
                        self.pop_loop();
                        item
                    })
                    .collect(),
                Err(reason) => vec![Node::from_owned(unknown(reason))],
            };
            out.push((name.to_owned(), Node::Array(items)));
        }
        out
    }

    /// Evaluates a copy `count`: 0..=800 (ARM's limit). Err(reason) when unknown or invalid;
    /// invalid counts are also reported as `copy-count` problems at `pointer`.
    pub fn copy_count(&self, count: Option<&Node<'t>>, pointer: &str) -> Result<i64, String> {
        let Some(raw) = count else {
            let owner = pointer.strip_suffix("/count").unwrap_or(pointer);
            self.report(PendingProblem::at(
                owner,
                ProblemCode::CopyCount,
                "copy loop without a count",
            ));
            return Err("copy without count".to_owned());
        };
        let value = self.evaluate_at(raw, &At::Pointer(pointer), 0);
        if let Some(reason) = value.unknown_reason() {
            return Err(format!("copy count is unknown: {reason}"));
        }
        if let Some(parameter) = value.as_str().and_then(symbolic_parameter) {
            return Err(format!(
                "copy count is unknown: {}",
                symbolic_reason(parameter)
            ));
        }
        let parsed = match &value {
            Node::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .or_else(|| integral(n.as_f64())),
            Node::String(s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        let message = match parsed {
            Some(n) if (0..=i128::from(MAX_COPY_COUNT)).contains(&n) => {
                return i64::try_from(n).map_err(|e| e.to_string())
            }
            Some(n) => format!("copy count {n} is outside 0-{MAX_COPY_COUNT}, ARM's limit"),
            None => format!("copy count {} is not an integer", shorten(&value)),
        };
        let error_at_string = raw.as_str().is_some_and(|s| s.starts_with('['));
        let problem = if error_at_string {
            // Point at the expression that computed the count.
            let text = raw.as_str().unwrap_or_default();
            PendingProblem {
                code: ProblemCode::CopyCount,
                ..PendingProblem::expression(
                    pointer,
                    text,
                    ExprError {
                        code: crate::arm::expr::ExprErrorCode::Evaluation,
                        message: message.clone(),
                        offset: 1,
                    },
                )
            }
        } else {
            PendingProblem::at(pointer, ProblemCode::CopyCount, message.clone())
        };
        self.report(problem);
        Err(message)
    }
}

/// `f` as an integer when it is integral (a count written `1e9`).
fn integral(f: Option<f64>) -> Option<i128> {
    let f = f?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

fn shorten(value: &Node<'_>) -> String {
    let text = value.to_string();
    if text.chars().count() <= 40 {
        return text;
    }
    let short: String = text.chars().take(40).collect();
    format!("{short}...")
}
