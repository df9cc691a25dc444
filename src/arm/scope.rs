//! ARM: the evaluation scope of one template: parameters, variables, copy indices, reference().
//!
//! A template is read as a tree of [`Node`]s whose strings borrow the template's text, and
//! evaluates to nodes: a literal string stays borrowed, an expression's value (a `Value`, as
//! the expression language computes it) becomes a node where it lands. Parameters and
//! variables are what expressions read, so their values are kept as `Value`s.
//!
//! Parameters resolve from the parameters file, else the (evaluated) default, else an unknown.
//! Variables are evaluated lazily and cached, with cycle detection; a variable that reads the
//! index of an enclosing copy loop is re-evaluated per iteration, every other one once.
//! Problems found while evaluating are collected with the JSON pointer of the string that
//! caused them. Every node evaluated is charged to the expansion's [`Budget`]. This module
//! never decides what a resource is.

mod copies;
mod outputs;
mod reference;
mod values;

pub(crate) use reference::Registry;

use std::borrow::Cow;
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
use crate::json::Node;
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

/// The scope of one template (or of an inner-scoped nested template), read from a tree it
/// borrows for `'s` whose strings live for `'t`.
pub(crate) struct TemplateScope<'s, 't> {
    ctx: DeploymentContext,
    /// Pointer of the template object inside its document ("" for a top-level template).
    base_pointer: String,
    param_decls: Map<String, (String, &'s Node<'t>)>,
    param_values: Map<String, Value>,
    params: RefCell<Map<String, Slot>>,
    var_decls: Map<String, (String, &'s Node<'t>)>,
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
    /// While set, problems are not recorded (see [`Self::evaluate_outputs`]).
    quiet: Cell<bool>,
    /// This scope's resources by lower-case name and symbolic name; by id they are in
    /// `registry`, shared with the other scopes of the deployment.
    names: RefCell<Map<String, Rc<Node<'t>>>>,
    registry: Rc<Registry<'t>>,
    budget: Rc<Budget>,
}

impl<'s, 't> TemplateScope<'s, 't> {
    /// Builds the scope for `template` with the given parameter values (from a parameters
    /// file or a nested deployment's `parameters`), charging its work to `budget` and finding
    /// resources by id in the deployment's `registry`.
    pub fn new(
        template: &'s Node<'t>,
        base_pointer: &str,
        param_values: HashMap<String, Value>,
        ctx: DeploymentContext,
        budget: &Rc<Budget>,
        registry: &Rc<Registry<'t>>,
    ) -> Self {
        let decls = |key: &str| -> Map<String, (String, &'s Node<'t>)> {
            template
                .get(key)
                .and_then(Node::as_object)
                .map(|entries| {
                    entries
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), (k.as_ref().to_owned(), v)))
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
            quiet: Cell::new(false),
            names: RefCell::default(),
            registry: Rc::clone(registry),
            budget: Rc::clone(budget),
        }
    }

    /// Takes the problems collected so far.
    pub fn take_problems(&self) -> Vec<PendingProblem> {
        self.problems.borrow_mut().take()
    }

    /// Records a problem (once, however many loop iterations meet it).
    pub fn report(&self, problem: PendingProblem) {
        if self.quiet.get() {
            return;
        }
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

    /// Makes an expanded resource available to `reference()` by id (in the whole
    /// deployment), by name and, in a template with symbolic names, by its symbol (in this
    /// scope).
    pub fn register_reference(
        &self,
        id: &str,
        name: &str,
        symbol: Option<&str>,
        resource: &Rc<Node<'t>>,
    ) {
        self.registry.register(id, resource);
        let mut names = self.names.borrow_mut();
        names.insert(name.to_ascii_lowercase(), Rc::clone(resource));
        if let Some(symbol) = symbol {
            names.insert(symbol.to_ascii_lowercase(), Rc::clone(resource));
        }
    }

    /// Evaluates a JSON tree: expressions in strings, property `copy` arrays in objects.
    /// Errors are recorded at their pointer and the value becomes unknown.
    pub fn evaluate_tree(&self, node: &Node<'t>, pointer: &str) -> Node<'t> {
        self.evaluate_at(node, &At::Pointer(pointer), 0)
    }

    /// [`Self::evaluate_tree`] of a node whose value expressions read (a parameter's
    /// default, a variable).
    fn evaluate_value(&self, node: &Node<'t>, at: &At<'_>) -> Value {
        self.evaluate_at(node, at, 0).to_value()
    }

    fn evaluate_at(&self, node: &Node<'t>, at: &At<'_>, depth: usize) -> Node<'t> {
        if depth > MAX_TREE_DEPTH {
            return Node::from_owned(unknown(format!(
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
            return Node::from_owned(unknown(message));
        }
        let weight = match node {
            Node::String(s) => NODE_WEIGHT.saturating_add(s.len()),
            _ => NODE_WEIGHT,
        };
        if !self.budget.spend(weight) {
            return Node::from_owned(unknown(BUDGET_REASON));
        }
        self.open.set(self.open.get() + 1);
        let result = self.evaluate_node(node, at, depth);
        self.open.set(self.open.get().saturating_sub(1));
        result
    }

    fn evaluate_node(&self, node: &Node<'t>, at: &At<'_>, depth: usize) -> Node<'t> {
        match node {
            Node::String(text) => self.evaluate_text(text, at),
            Node::Array(items) => Node::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.evaluate_at(v, &At::Index(at, i), depth + 1))
                    .collect(),
            ),
            Node::Object(entries) => self.evaluate_object(entries, at, depth),
            other => other.clone(),
        }
    }

    fn evaluate_text(&self, text: &Cow<'t, str>, at: &At<'_>) -> Node<'t> {
        if !text.starts_with('[') {
            return Node::String(text.clone());
        }
        let (result, work) = expr::evaluate_string_metered(text, self);
        if !self.budget.spend(work) {
            return Node::from_owned(unknown(BUDGET_REASON));
        }
        Node::from_owned(match result {
            Ok(value) => value,
            Err(error) => {
                let reason = format!("expression error: {}", error.message);
                self.report(PendingProblem::expression(&at.pointer(), text, error));
                unknown(reason)
            }
        })
    }

    /// An object's members evaluated, in order; a property `copy` array becomes the arrays
    /// it names. Its keys are unique, as a map's are: a name a copy gives to a key already
    /// there (or a key after the copy that one of its arrays took) replaces that value in
    /// its place.
    fn evaluate_object(
        &self,
        entries: &[(Cow<'t, str>, Node<'t>)],
        at: &At<'_>,
        depth: usize,
    ) -> Node<'t> {
        let mut out: Vec<(Cow<'t, str>, Node<'t>)> = Vec::with_capacity(entries.len());
        let mut copied = false;
        for (key, value) in entries {
            let child = At::Key(at, key);
            if key.eq_ignore_ascii_case("copy") && matches!(value, Node::Array(_)) {
                for (name, items) in self.expand_property_copies(value, &child.pointer(), depth) {
                    insert(&mut out, Cow::Owned(name), items);
                }
                copied = true;
                continue;
            }
            let value = self.evaluate_at(value, &child, depth + 1);
            if copied {
                insert(&mut out, key.clone(), value);
            } else {
                // The keys read so far are unique and none came from a copy.
                out.push((key.clone(), value));
            }
        }
        Node::Object(out)
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

impl Scope for TemplateScope<'_, '_> {
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

    fn symbolic_in_use(&self) -> bool {
        self.registry.symbolic_in_use()
    }

    fn reference(&self, target: &Value, full: bool) -> Value {
        let Some(key) = target.as_str().map(str::to_ascii_lowercase) else {
            return unknown("reference() to a computed target");
        };
        let found = self.names.borrow().get(&key).cloned();
        match found.or_else(|| self.registry.get(&key)) {
            Some(resource) => reference::reference_view(&resource, full, &self.registry),
            None => {
                self.registry.miss();
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

/// Sets `key` of an object's `entries` as a map insert does: in its place when it is there,
/// else at the end.
fn insert<'t>(entries: &mut Vec<(Cow<'t, str>, Node<'t>)>, key: Cow<'t, str>, value: Node<'t>) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}
