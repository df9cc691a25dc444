//! ARM: the evaluation scope of one template: parameters, variables, copy indices, reference().
//!
//! Parameters resolve from the parameters file, else the (evaluated) default, else an unknown.
//! Variables are evaluated lazily and cached, with cycle detection; a variable that reads the
//! index of an enclosing copy loop is re-evaluated per iteration, every other one once.
//! Problems found while evaluating are collected with the JSON pointer of the string that
//! caused them. Every node evaluated is charged to the expansion's [`Budget`]. This module
//! never decides what a resource is.

mod copies;
mod owned;
mod reference;
mod values;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use crate::map::{Map, Set};

use super::budget::{Budget, NODE_WEIGHT};
use super::context::DeploymentContext;
use super::expr::{self, Scope, MAX_TOTAL_DEPTH};
use super::problems::{PendingProblem, ProblemLog};
use super::unknown::unknown;
use crate::diagnostic::ProblemCode;
use crate::source::{child_pointer, escape_pointer_token, index_pointer};

/// Deepest JSON nesting evaluated (the loader refuses deeper documents anyway).
const MAX_TREE_DEPTH: usize = 128;

/// The reason of values left unknown once the budget is spent.
pub(crate) const BUDGET_REASON: &str =
    "not evaluated: the template needs more work than jitscan allows for one template";

#[derive(Debug, Clone)]
enum Slot {
    InProgress,
    Done(Value),
}

/// One loop level: its name (lower-case) and current index.
#[derive(Debug, Clone)]
struct LoopLevel {
    name: String,
    index: i64,
    resource_loop: bool,
}

/// Parameters or variables, for caches, pointers and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Parameter,
    Variable,
}

/// Where a value being evaluated sits. Its JSON pointer is written out only for a problem
/// reported there: most values have none.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At<'a> {
    /// A pointer already written out.
    Pointer(&'a str),
    /// The member `key` of the object at the parent.
    Key(&'a At<'a>, &'a str),
    /// An element of the array at the parent.
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    /// The JSON pointer (RFC 6901) of this place.
    pub(crate) fn pointer(&self) -> String {
        match self {
            At::Pointer(pointer) => (*pointer).to_owned(),
            At::Key(parent, key) => child_pointer(&parent.pointer(), key),
            At::Index(parent, index) => index_pointer(&parent.pointer(), *index),
        }
    }
}

/// The scope of one template (or of an inner-scoped nested template).
pub(crate) struct TemplateScope<'t> {
    ctx: DeploymentContext,
    /// Pointer of the template object inside its document ("" for a top-level template).
    base_pointer: String,
    param_decls: Map<String, (String, &'t Value)>,
    param_values: Map<String, Value>,
    params: RefCell<Map<String, Slot>>,
    var_decls: Map<String, (String, &'t Value)>,
    vars: RefCell<Map<String, Slot>>,
    /// Parameters and variables being resolved, outermost first (for cycle messages).
    resolving: RefCell<Vec<(Kind, String)>>,
    reported_cycles: RefCell<Set<String>>,
    loops: RefCell<Vec<LoopLevel>>,
    /// Lowest loop level `copyIndex()` read since the last mark (`usize::MAX`: none), and
    /// whether a `copyIndex()` found no loop.
    loop_reads: Cell<(usize, bool)>,
    depth: Cell<usize>,
    /// Levels of evaluation open right now (JSON levels and the expression levels around
    /// lookups), counted against `expr::MAX_TOTAL_DEPTH`.
    open: Cell<usize>,
    problems: RefCell<ProblemLog>,
    references: RefCell<Map<String, Rc<Value>>>,
    reference_misses: Cell<usize>,
    /// Whether the template's text calls `reference()` (else nothing is kept for it).
    uses_reference: bool,
    budget: Rc<Budget>,
}

impl<'t> TemplateScope<'t> {
    /// Builds the scope for `template` with the given parameter values (from a parameters
    /// file or a nested deployment's `parameters`), charging its work to `budget`.
    pub fn new(
        template: &'t Value,
        base_pointer: &str,
        param_values: HashMap<String, Value>,
        ctx: DeploymentContext,
        budget: &Rc<Budget>,
    ) -> Self {
        let decls = |key: &str| -> Map<String, (String, &'t Value)> {
            template
                .get(key)
                .and_then(Value::as_object)
                .map(|map| {
                    map.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), (k.clone(), v)))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            ctx,
            base_pointer: base_pointer.to_owned(),
            param_decls: decls("parameters"),
            param_values: param_values
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            params: RefCell::default(),
            var_decls: decls("variables"),
            vars: RefCell::default(),
            resolving: RefCell::default(),
            reported_cycles: RefCell::default(),
            loops: RefCell::default(),
            loop_reads: Cell::new((usize::MAX, false)),
            depth: Cell::new(0),
            open: Cell::new(0),
            problems: RefCell::default(),
            references: RefCell::default(),
            reference_misses: Cell::new(0),
            uses_reference: true,
            budget: Rc::clone(budget),
        }
    }

    /// Keeps resources for `reference()` only when `used` (a template that never calls it
    /// needs no copies of its resources).
    pub fn tracking_references(mut self, used: bool) -> Self {
        self.uses_reference = used;
        self
    }

    /// Takes the problems collected so far.
    pub fn take_problems(&self) -> Vec<PendingProblem> {
        self.problems.borrow_mut().take()
    }

    /// Records a problem (once, however many loop iterations meet it).
    pub fn report(&self, problem: PendingProblem) {
        self.problems.borrow_mut().push(problem);
    }

    /// True once the expansion's budget is spent.
    pub fn budget_exhausted(&self) -> bool {
        self.budget.exhausted()
    }

    /// Enters a copy loop level; pair with [`Self::pop_loop`].
    pub fn push_loop(&self, name: &str, index: i64, resource_loop: bool) {
        self.loops.borrow_mut().push(LoopLevel {
            name: name.to_ascii_lowercase(),
            index,
            resource_loop,
        });
    }

    /// Leaves the innermost copy loop level.
    pub fn pop_loop(&self) {
        self.loops.borrow_mut().pop();
    }

    /// Makes an expanded resource available to `reference()` by id and by name (a copy is
    /// kept only when the template calls `reference()` at all).
    pub fn register_reference(&self, id: &str, name: &str, resource: &Value) {
        if !self.uses_reference {
            return;
        }
        let resource = Rc::new(resource.clone());
        let mut refs = self.references.borrow_mut();
        refs.insert(id.to_ascii_lowercase(), Rc::clone(&resource));
        refs.insert(name.to_ascii_lowercase(), resource);
    }

    /// How many `reference()` calls found nothing (a second pass may resolve them).
    pub fn reference_misses(&self) -> usize {
        self.reference_misses.get()
    }

    /// Evaluates a JSON tree: expressions in strings, property `copy` arrays in objects.
    /// Errors are recorded at their pointer and the value becomes unknown.
    pub fn evaluate_tree(&self, value: &Value, pointer: &str) -> Value {
        self.evaluate_at(value, &At::Pointer(pointer), 0)
    }

    fn evaluate_at(&self, value: &Value, at: &At<'_>, depth: usize) -> Value {
        if let Some(stopped) = self.enter(weight(value), at, depth) {
            return stopped;
        }
        let result = self.evaluate_node(value, at, depth);
        self.leave();
        result
    }

    /// Opens the evaluation of a value of `weight` (see [`weight`]) at `at`, `depth` levels
    /// down: charges it to the budget and counts the level. Returns the unknown it evaluates
    /// to instead when the nesting or the budget is exhausted (nothing is opened then);
    /// otherwise pair with [`Self::leave`].
    fn enter(&self, weight: usize, at: &At<'_>, depth: usize) -> Option<Value> {
        if depth > MAX_TREE_DEPTH {
            return Some(unknown(format!(
                "nesting deeper than {MAX_TREE_DEPTH} levels"
            )));
        }
        if self.open.get() >= MAX_TOTAL_DEPTH {
            let message = format!("expressions, variables and parameters nest deeper than {MAX_TOTAL_DEPTH} levels in all");
            self.report(PendingProblem::at(
                &at.pointer(),
                ProblemCode::TooLarge,
                message.clone(),
            ));
            return Some(unknown(message));
        }
        if !self.budget.spend(weight) {
            return Some(unknown(BUDGET_REASON));
        }
        self.open.set(self.open.get() + 1);
        None
    }

    /// Closes a level opened by [`Self::enter`].
    fn leave(&self) {
        self.open.set(self.open.get().saturating_sub(1));
    }

    fn evaluate_node(&self, value: &Value, at: &At<'_>, depth: usize) -> Value {
        match value {
            Value::String(text) => self.evaluate_text(text, at),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.evaluate_at(v, &At::Index(at, i), depth + 1))
                    .collect(),
            ),
            Value::Object(map) => self.evaluate_object(map, at, depth),
            other => other.clone(),
        }
    }

    fn evaluate_text(&self, text: &str, at: &At<'_>) -> Value {
        if !text.starts_with('[') {
            return Value::String(text.to_owned());
        }
        let (result, work) = expr::evaluate_string_metered(text, self);
        if !self.budget.spend(work) {
            return unknown(BUDGET_REASON);
        }
        match result {
            Ok(value) => value,
            Err(error) => {
                let reason = format!("expression error: {}", error.message);
                self.report(PendingProblem::expression(&at.pointer(), text, error));
                unknown(reason)
            }
        }
    }

    fn evaluate_object(
        &self,
        map: &serde_json::Map<String, Value>,
        at: &At<'_>,
        depth: usize,
    ) -> Value {
        let mut out = serde_json::Map::with_capacity(map.len());
        for (key, value) in map {
            let child = At::Key(at, key);
            if key.eq_ignore_ascii_case("copy") && value.is_array() {
                for (name, items) in self.expand_property_copies(value, &child.pointer(), depth) {
                    out.insert(name, items);
                }
                continue;
            }
            out.insert(key.clone(), self.evaluate_at(value, &child, depth + 1));
        }
        Value::Object(out)
    }

    /// Pointer of a parameter's or variable's declaration (its value, for a variable).
    fn decl_pointer(&self, kind: Kind, key: &str) -> String {
        let (section, decls) = match kind {
            Kind::Parameter => ("parameters", &self.param_decls),
            Kind::Variable => ("variables", &self.var_decls),
        };
        let name = decls.get(key).map_or("copy", |(name, _)| name.as_str());
        format!(
            "{}/{section}/{}",
            self.base_pointer,
            escape_pointer_token(name)
        )
    }
}

impl Scope for TemplateScope<'_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        with_lowercase(name, |key| self.resolve_cached(Kind::Parameter, key))
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        with_lowercase(name, |key| self.resolve_cached(Kind::Variable, key))
    }

    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String> {
        let loops = self.loops.borrow();
        let found = match loop_name {
            Some(name) => {
                let name = name.to_ascii_lowercase();
                loops.iter().rposition(|l| l.name == name)
            }
            None => loops
                .iter()
                .rposition(|l| l.resource_loop)
                .or_else(|| loops.len().checked_sub(1)),
        };
        let (lowest, missed) = self.loop_reads.get();
        match found.and_then(|level| Some((level, loops.get(level)?.index))) {
            Some((level, index)) => {
                self.loop_reads.set((lowest.min(level), missed));
                Ok(index)
            }
            None => {
                self.loop_reads.set((lowest, true));
                Err(match loop_name {
                    Some(name) => {
                        format!("copyIndex('{name}') is used outside a copy loop named '{name}'")
                    }
                    None => "copyIndex() is used outside a copy loop".to_owned(),
                })
            }
        }
    }

    fn context(&self) -> &DeploymentContext {
        &self.ctx
    }

    fn open_levels(&self) -> usize {
        self.open.get()
    }

    fn open_levels_by(&self, levels: usize) {
        self.open.set(self.open.get().saturating_add(levels));
    }

    fn close_levels_by(&self, levels: usize) {
        self.open.set(self.open.get().saturating_sub(levels));
    }

    fn reference(&self, target: &Value, full: bool) -> Value {
        let Some(key) = target.as_str().map(str::to_ascii_lowercase) else {
            return unknown("reference() to a computed target");
        };
        let found = self.references.borrow().get(&key).cloned();
        match found {
            Some(resource) => reference::reference_view(&resource, full),
            None => {
                self.reference_misses
                    .set(self.reference_misses.get().saturating_add(1));
                unknown(format!(
                    "reference('{}'): runtime state of a resource not declared in this template",
                    target.as_str().unwrap_or_default()
                ))
            }
        }
    }
}

/// Calls `f` with `name` ASCII-lower-cased: on the stack when it is short, as names are.
pub(crate) fn with_lowercase<R>(name: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buffer = [0u8; 64];
    match buffer.get_mut(..name.len()) {
        Some(bytes) => {
            bytes.copy_from_slice(name.as_bytes());
            bytes.make_ascii_lowercase();
            // ASCII lower-casing keeps UTF-8 valid.
            f(std::str::from_utf8(bytes).unwrap_or_default())
        }
        None => f(&name.to_ascii_lowercase()),
    }
}

/// What opening a value costs the budget: a node, and a string's length.
fn weight(value: &Value) -> usize {
    match value {
        Value::String(s) => NODE_WEIGHT.saturating_add(s.len()),
        _ => NODE_WEIGHT,
    }
}
