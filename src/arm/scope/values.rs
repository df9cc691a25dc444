//! ARM scope: resolving parameters and variables, with caching and cycle detection.
//!
//! A value is cached once computed unless it read the index of a copy loop that encloses the
//! lookup (then it differs per iteration) or asked for a loop that was not there. A name met
//! again while it is being resolved closes a cycle: reported once, as `variable-cycle`, at
//! the declaration that refers back, and every value on it becomes unknown (never an error at
//! each use).

use serde_json::Value;

use super::{At, Kind, Slot, TemplateScope};
use crate::arm::problems::PendingProblem;
use crate::arm::unknown::{symbolic, unknown};
use crate::diagnostic::ProblemCode;
use crate::json::Node;

/// Upper bound on nested resolution (variables using variables, defaults using parameters).
const MAX_EVAL_DEPTH: usize = 64;

impl TemplateScope<'_, '_> {
    /// The value of a parameter or variable (`key` lower-case), cached when it can be.
    pub(super) fn resolve_cached(&self, kind: Kind, key: &str) -> Result<Value, String> {
        let cache = match kind {
            Kind::Parameter => &self.params,
            Kind::Variable => &self.vars,
        };
        match cache.borrow().get(key) {
            Some(Slot::Done(value)) => return Ok(value.clone()),
            Some(Slot::InProgress) => return Ok(self.cycle(kind, key)),
            None => {}
        }
        if self.depth.get() >= MAX_EVAL_DEPTH {
            return Err(format!(
                "parameters and variables nest deeper than {MAX_EVAL_DEPTH} levels"
            ));
        }
        cache.borrow_mut().insert(key.to_owned(), Slot::InProgress);
        self.resolving.borrow_mut().push((kind, key.to_owned()));
        self.depth.set(self.depth.get() + 1);
        let loop_depth = self.loops.borrow().len();
        let saved = self.loop_reads.replace((usize::MAX, false));
        let result = match kind {
            Kind::Parameter => self.resolve_parameter(key),
            Kind::Variable => self.resolve_variable(key),
        };
        let (lowest, missed) = self.loop_reads.get();
        self.loop_reads
            .set((saved.0.min(lowest), saved.1 || missed));
        self.depth.set(self.depth.get().saturating_sub(1));
        self.resolving.borrow_mut().pop();
        let per_iteration = missed || lowest < loop_depth;
        match &result {
            Ok(value) if !per_iteration => {
                let mut cache = cache.borrow_mut();
                match cache.get_mut(key) {
                    Some(slot) => *slot = Slot::Done(value.clone()),
                    None => {
                        cache.insert(key.to_owned(), Slot::Done(value.clone()));
                    }
                }
            }
            _ => {
                cache.borrow_mut().remove(key);
            }
        }
        result
    }

    /// The unknown a name on a cycle evaluates to; the cycle is reported once.
    fn cycle(&self, kind: Kind, key: &str) -> Value {
        let resolving = self.resolving.borrow();
        let start = resolving
            .iter()
            .rposition(|(k, name)| *k == kind && name == key)
            .unwrap_or(0);
        let on_cycle = resolving.get(start..).unwrap_or_default();
        let mut chain: Vec<String> = on_cycle
            .iter()
            .map(|(k, name)| self.display_name(*k, name))
            .collect();
        chain.push(self.display_name(kind, key));
        let label = chain.join(" -> ");
        let mut members: Vec<&String> = chain.iter().skip(1).collect();
        members.sort();
        let id = members
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\u{0}");
        let what = if on_cycle.iter().all(|(k, _)| *k == Kind::Variable) {
            "variables"
        } else {
            "parameters and variables"
        };
        if self.reported_cycles.borrow_mut().insert(id) {
            // Located at the declaration whose value refers back.
            let (last_kind, last) = on_cycle
                .last()
                .map_or((kind, key), |(k, n)| (*k, n.as_str()));
            self.report(PendingProblem::at(
                &self.decl_pointer(last_kind, last),
                ProblemCode::VariableCycle,
                format!("{what} refer to each other in a cycle: {label}"),
            ));
        }
        unknown(format!(
            "'{}' is part of a cycle ({label})",
            self.display_name(kind, key)
        ))
    }

    fn display_name(&self, kind: Kind, key: &str) -> String {
        let decls = match kind {
            Kind::Parameter => &self.param_decls,
            Kind::Variable => &self.var_decls,
        };
        decls
            .get(key)
            .map_or_else(|| key.to_owned(), |(name, _)| name.clone())
    }

    fn resolve_parameter(&self, key: &str) -> Result<Value, String> {
        let Some((name, decl)) = self.param_decls.get(key) else {
            return Err(format!("the template declares no parameter '{key}'"));
        };
        if let Some(value) = self.param_values.get(key) {
            return Ok(parameter_file_value(name, value));
        }
        match decl.get("defaultValue") {
            Some(default) => {
                let base = At::Pointer(&self.base_pointer);
                let section = At::Key(&base, "parameters");
                let declaration = At::Key(&section, name);
                Ok(self.evaluate_value(default, &At::Key(&declaration, "defaultValue")))
            }
            // A string may only name resources: keep its expression (see `symbolic`).
            None if decl
                .get("type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("string")) =>
            {
                self.registry.note_symbolic();
                Ok(Value::String(symbolic(name)))
            }
            None => Ok(unknown(format!(
                "parameter '{name}' has no default value and no value was supplied"
            ))),
        }
    }

    fn resolve_variable(&self, key: &str) -> Result<Value, String> {
        if key == "copy" {
            return Err("'copy' is not a variable name".to_owned());
        }
        if let Some((name, decl)) = self.var_decls.get(key) {
            let base = At::Pointer(&self.base_pointer);
            let section = At::Key(&base, "variables");
            return Ok(self.evaluate_value(decl, &At::Key(&section, name)));
        }
        // Variable copy loops: "variables": {"copy": [{"name", "count", "input"}]}.
        if let Some((_, specs)) = self.var_decls.get("copy") {
            let pointer = format!("{}/variables/copy", self.base_pointer);
            let found = self
                .expand_property_copies(specs, &pointer, 0)
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key));
            if let Some((_, value)) = found {
                return Ok(value.to_value());
            }
        }
        Err(format!("the template declares no variable '{key}'"))
    }
}

/// A parameters-file entry: `{"value": v}` or a Key Vault `{"reference": ...}`.
pub(crate) fn parameter_file_value(name: &str, entry: &Value) -> Value {
    if let Some(value) = entry.get("value") {
        return value.clone();
    }
    if entry.get("reference").is_some() {
        return unknown(format!(
            "parameter '{name}' comes from a Key Vault secret, not available offline"
        ));
    }
    unknown(format!("parameter '{name}' has an entry without 'value'"))
}
