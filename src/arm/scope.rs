//! ARM: the evaluation scope of one template: parameters, variables, copy indices, reference().
//!
//! Parameters resolve from the parameters file, else the (evaluated) default, else an unknown.
//! Variables are evaluated lazily, once, with cycle detection. Problems found while evaluating
//! are collected with the JSON pointer of the string that caused them; this module never
//! decides what a resource is.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::context::DeploymentContext;
use super::expr::{self, ExprError, ExprErrorCode, Scope};
use super::unknown::{dynamic_private_ip, unknown};

/// Upper bound on nested evaluation (variables using variables, defaults using parameters).
const MAX_EVAL_DEPTH: usize = 64;

/// A problem found while evaluating, located by pointer within the template document.
#[derive(Debug, Clone)]
pub(crate) struct PendingProblem {
    pub pointer: String,
    pub error: ExprError,
}

#[derive(Debug, Clone)]
enum Slot {
    Pending,
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

/// The scope of one template (or of an inner-scoped nested template).
pub(crate) struct TemplateScope<'t> {
    ctx: DeploymentContext,
    /// Pointer of the template object inside its document ("" for a top-level template).
    base_pointer: String,
    param_decls: HashMap<String, (String, &'t Value)>,
    param_values: HashMap<String, Value>,
    params: RefCell<HashMap<String, Slot>>,
    var_decls: HashMap<String, (String, &'t Value)>,
    vars: RefCell<HashMap<String, Slot>>,
    loops: RefCell<Vec<LoopLevel>>,
    depth: RefCell<usize>,
    problems: RefCell<Vec<PendingProblem>>,
    references: RefCell<HashMap<String, Value>>,
    reference_misses: RefCell<usize>,
}

impl<'t> TemplateScope<'t> {
    /// Builds the scope for `template` with the given parameter values (from a parameters
    /// file or a nested deployment's `parameters`).
    pub fn new(
        template: &'t Value,
        base_pointer: &str,
        param_values: HashMap<String, Value>,
        ctx: DeploymentContext,
    ) -> Self {
        let decls = |key: &str| -> HashMap<String, (String, &'t Value)> {
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
            loops: RefCell::default(),
            depth: RefCell::new(0),
            problems: RefCell::default(),
            references: RefCell::default(),
            reference_misses: RefCell::new(0),
        }
    }

    /// Parameter names given a value that the template does not declare.
    pub fn undeclared_parameter_values(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .param_values
            .keys()
            .filter(|k| !self.param_decls.contains_key(*k))
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// Takes the problems collected so far.
    pub fn take_problems(&self) -> Vec<PendingProblem> {
        std::mem::take(&mut *self.problems.borrow_mut())
    }

    /// Records a problem at `pointer`.
    pub fn report(&self, pointer: String, error: ExprError) {
        self.problems
            .borrow_mut()
            .push(PendingProblem { pointer, error });
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

    /// Makes an expanded resource available to `reference()` by id and by name.
    pub fn register_reference(&self, id: &str, name: &str, resource: Value) {
        let mut refs = self.references.borrow_mut();
        refs.insert(id.to_ascii_lowercase(), resource.clone());
        refs.insert(name.to_ascii_lowercase(), resource);
    }

    /// How many `reference()` calls found nothing (a second pass may resolve them).
    pub fn reference_misses(&self) -> usize {
        *self.reference_misses.borrow()
    }

    /// Evaluates a JSON tree: expressions in strings, property `copy` arrays in objects.
    /// Errors are recorded at their pointer and the value becomes unknown.
    pub fn evaluate_tree(&self, value: &Value, pointer: &str) -> Value {
        self.evaluate_at(value, pointer, 0)
    }

    fn evaluate_at(&self, value: &Value, pointer: &str, depth: usize) -> Value {
        if depth > 128 {
            return unknown("nesting deeper than 128 levels");
        }
        match value {
            Value::String(text) => self.evaluate_text(text, pointer),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.evaluate_at(v, &format!("{pointer}/{i}"), depth + 1))
                    .collect(),
            ),
            Value::Object(map) => self.evaluate_object(map, pointer, depth),
            other => other.clone(),
        }
    }

    fn evaluate_text(&self, text: &str, pointer: &str) -> Value {
        if !text.starts_with('[') {
            return Value::String(text.to_owned());
        }
        match expr::evaluate_string(text, self) {
            Ok(value) => value,
            Err(error) => {
                let reason = format!("expression error: {}", error.message);
                self.report(pointer.to_owned(), error);
                unknown(reason)
            }
        }
    }

    fn evaluate_object(&self, map: &Map<String, Value>, pointer: &str, depth: usize) -> Value {
        let mut out = Map::with_capacity(map.len());
        for (key, value) in map {
            let child = format!(
                "{pointer}/{}",
                crate::load::locate::escape_pointer_token(key)
            );
            if key.eq_ignore_ascii_case("copy") && value.is_array() {
                for (name, items) in self.expand_property_copies(value, &child, depth) {
                    out.insert(name, items);
                }
                continue;
            }
            out.insert(key.clone(), self.evaluate_at(value, &child, depth + 1));
        }
        Value::Object(out)
    }

    /// `"copy": [{"name", "count", "input"}]` inside an object: one array property per entry.
    fn expand_property_copies(
        &self,
        specs: &Value,
        pointer: &str,
        depth: usize,
    ) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let Some(specs) = specs.as_array() else {
            return out;
        };
        for (i, spec) in specs.iter().enumerate() {
            let spec_pointer = format!("{pointer}/{i}");
            let Some(name) = spec.get("name").and_then(Value::as_str) else {
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
                        let item =
                            self.evaluate_at(input, &format!("{spec_pointer}/input"), depth + 1);
                        self.pop_loop();
                        item
                    })
                    .collect(),
                Err(reason) => vec![unknown(reason)],
            };
            out.push((name.to_owned(), Value::Array(items)));
        }
        out
    }

    /// Evaluates a copy `count`: 0..=800 (ARM's limit). Err(reason) when unknown or invalid
    /// (invalid counts are also reported as problems).
    pub fn copy_count(&self, count: Option<&Value>, pointer: &str) -> Result<i64, String> {
        let value = match count {
            Some(raw) => self.evaluate_at(raw, pointer, 0),
            None => return Err("copy without count".to_owned()),
        };
        if let Some(reason) = super::unknown::unknown_reason(&value) {
            return Err(format!("copy count is unknown: {reason}"));
        }
        let parsed = value
            .as_i64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
        match parsed {
            Some(n) if (0..=800).contains(&n) => Ok(n),
            Some(n) => {
                self.report(
                    pointer.to_owned(),
                    ExprError {
                        code: ExprErrorCode::TooLarge,
                        message: format!("copy count {n} is outside 0..=800, ARM's limit"),
                        offset: 0,
                    },
                );
                Err(format!("copy count {n} is outside ARM's limit of 800"))
            }
            None => Err(format!("copy count {value} is not an integer")),
        }
    }

    fn enter(&self) -> Result<(), String> {
        let mut depth = self.depth.borrow_mut();
        if *depth >= MAX_EVAL_DEPTH {
            return Err(format!(
                "parameters/variables nest deeper than {MAX_EVAL_DEPTH} levels"
            ));
        }
        *depth += 1;
        Ok(())
    }

    fn leave(&self) {
        let mut depth = self.depth.borrow_mut();
        *depth = depth.saturating_sub(1);
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
                let pointer = format!("{}/parameters/{}/defaultValue", self.base_pointer, name);
                self.enter()?;
                let value = self.evaluate_at(default, &pointer, 0);
                self.leave();
                Ok(value)
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
            let pointer = format!("{}/variables/{}", self.base_pointer, name);
            self.enter()?;
            let value = self.evaluate_at(decl, &pointer, 0);
            self.leave();
            return Ok(value);
        }
        // Variable copy loops: "variables": {"copy": [{"name", "count", "input"}]}.
        if let Some((_, specs)) = self.var_decls.get("copy") {
            let pointer = format!("{}/variables/copy", self.base_pointer);
            self.enter()?;
            let found = self
                .expand_property_copies(specs, &pointer, 0)
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key));
            self.leave();
            if let Some((_, value)) = found {
                return Ok(value);
            }
        }
        Err(format!("the template declares no variable '{key}'"))
    }

    fn cached(
        cache: &RefCell<HashMap<String, Slot>>,
        key: String,
        kind: &str,
        compute: impl FnOnce() -> Result<Value, String>,
    ) -> Result<Value, String> {
        match cache.borrow().get(&key) {
            Some(Slot::Done(value)) => return Ok(value.clone()),
            Some(Slot::InProgress) => {
                return Err(format!("{kind} '{key}' refers to itself (a cycle)"))
            }
            Some(Slot::Pending) | None => {}
        }
        cache.borrow_mut().insert(key.clone(), Slot::InProgress);
        let result = compute();
        match &result {
            Ok(value) => cache.borrow_mut().insert(key, Slot::Done(value.clone())),
            Err(_) => cache.borrow_mut().insert(key, Slot::Pending),
        };
        result
    }
}

/// A parameters-file entry: `{"value": v}` or a Key Vault `{"reference": ...}`.
fn parameter_file_value(name: &str, entry: &Value) -> Value {
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

impl Scope for TemplateScope<'_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        // Copy-loop-dependent values are never cached: parameters and variables are not.
        Self::cached(&self.params, key.clone(), "parameter", || {
            self.resolve_parameter(&key)
        })
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        if !self.loops.borrow().is_empty() {
            // A variable evaluated inside a loop may use copyIndex of a variable copy; do not
            // cache across iterations.
            return self.resolve_variable(&key);
        }
        Self::cached(&self.vars, key.clone(), "variable", || {
            self.resolve_variable(&key)
        })
    }

    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String> {
        let loops = self.loops.borrow();
        let found = match loop_name {
            Some(name) => {
                let name = name.to_ascii_lowercase();
                loops.iter().rev().find(|l| l.name == name)
            }
            None => loops
                .iter()
                .rev()
                .find(|l| l.resource_loop)
                .or_else(|| loops.last()),
        };
        found.map(|l| l.index).ok_or_else(|| match loop_name {
            Some(name) => format!("copyIndex('{name}') is used outside a copy loop named '{name}'"),
            None => "copyIndex() is used outside a copy loop".to_owned(),
        })
    }

    fn context(&self) -> &DeploymentContext {
        &self.ctx
    }

    fn reference(&self, target: &Value, full: bool) -> Value {
        let Some(key) = target.as_str().map(str::to_ascii_lowercase) else {
            return unknown("reference() to a computed target");
        };
        let found = self.references.borrow().get(&key).cloned();
        match found {
            Some(resource) => reference_view(&resource, full),
            None => {
                *self.reference_misses.borrow_mut() += 1;
                unknown(format!(
                    "reference('{}'): runtime state of a resource not declared in this template",
                    target.as_str().unwrap_or_default()
                ))
            }
        }
    }
}

/// What `reference()` returns for a resource declared in the template: its properties, with
/// the runtime-only values that matter here (dynamic private IPs, public IP addresses) made
/// explicit unknowns, and the object marked so other missing properties read as unknown.
fn reference_view(resource: &Value, full: bool) -> Value {
    let id = resource
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut properties = resource
        .get("properties")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    if let Some(configs) = properties
        .get_mut("ipConfigurations")
        .and_then(Value::as_array_mut)
    {
        for config in configs {
            let name = config
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(props) = config.get_mut("properties").and_then(Value::as_object_mut) {
                if !props.contains_key("privateIPAddress") {
                    let config_id = format!("{id}/ipConfigurations/{name}");
                    props.insert(
                        "privateIPAddress".to_owned(),
                        dynamic_private_ip(&config_id),
                    );
                }
            }
        }
    }
    super::unknown::mark_runtime_state(&mut properties, id);
    if full {
        let mut whole = resource.clone();
        if let Some(map) = whole.as_object_mut() {
            map.insert("properties".to_owned(), properties);
        }
        super::unknown::mark_runtime_state(&mut whole, id);
        whole
    } else {
        properties
    }
}
