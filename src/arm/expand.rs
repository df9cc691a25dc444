//! ARM: walk a template's resources and produce concrete, evaluated resources.
//!
//! Handles resource copy loops, conditions, child resources, inline nested deployments (inner
//! and outer expression scope) and linked templates resolved to local files. Every bound is
//! explicit: nesting of deployments, total resources per template.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::context::DeploymentContext;
use super::expr::Scope as _;
use super::ids::resource_id;
use super::scope::{PendingProblem, TemplateScope};
use super::unknown::{strip_runtime_marks, unknown_reason};
use crate::diagnostic::{InputProblem, ProblemCode, Severity};
use crate::load::{self, locate::escape_pointer_token, Document};

/// Most resources one template may expand to (copy loops multiply: 800 x 800 ...).
const MAX_RESOURCES: usize = 100_000;
/// Deepest chain of nested/linked deployments followed.
const MAX_DEPLOYMENT_DEPTH: usize = 16;

/// One concrete resource a template deploys.
#[derive(Debug, Clone)]
pub struct ArmResource {
    /// Full type, e.g. `Microsoft.Network/virtualNetworks/subnets` (case as written).
    pub resource_type: String,
    /// Full resolved name, e.g. `vnet/app`.
    pub name: String,
    /// The `name` value exactly as written in the file.
    pub declared_name: String,
    /// Resource id in the deployment context.
    pub id: String,
    /// The evaluated resource object (without child `resources`), unknowns inline.
    pub value: Value,
    /// The file that declares it.
    pub document: Arc<Document>,
    /// JSON pointer to the declaration in `document`.
    pub pointer: String,
    /// Things taken for granted to deploy it (an unknown condition, an unknown copy count).
    pub assumptions: Vec<String>,
}

/// The result of expanding one template.
#[derive(Debug, Default)]
pub struct ArmExpansion {
    /// Resources in declaration order.
    pub resources: Vec<ArmResource>,
    /// Problems (warnings: the template was still expanded).
    pub problems: Vec<InputProblem>,
    /// Local files followed as linked templates (display paths).
    pub linked_files: Vec<String>,
}

/// Expands `doc` with the values of `params` (a parameters document) in deployment `ctx`.
pub fn expand_template(
    doc: &Arc<Document>,
    params: Option<&Document>,
    ctx: &DeploymentContext,
) -> ArmExpansion {
    let values = params
        .map(|p| parameter_values(&p.json))
        .unwrap_or_default();
    let mut first = Expander::default();
    let scope = TemplateScope::new(&doc.json, "", values.clone(), ctx.clone());
    first.expand_template_body(&scope, doc, "", 0);
    first.collect(&scope, doc);
    if scope.reference_misses() > 0 {
        // A reference() to a resource declared later: expand again with every resource known.
        let mut second = Expander::default();
        let scope2 = TemplateScope::new(&doc.json, "", values, ctx.clone());
        for resource in &first.out.resources {
            scope2.register_reference(&resource.id, &resource.name, resource.value.clone());
        }
        second.expand_template_body(&scope2, doc, "", 0);
        second.collect(&scope2, doc);
        first = second;
    }
    for name in scope.undeclared_parameter_values() {
        first.out.problems.push(InputProblem::whole_file(
            ProblemCode::ParametersMismatch,
            Severity::Warning,
            params.map_or(doc.display.as_str(), |p| p.display.as_str()),
            format!("the parameters file sets '{name}', which the template does not declare"),
            "remove the value or pair the parameters file with the template it belongs to",
        ));
    }
    let mut out = first.out;
    for resource in &mut out.resources {
        strip_runtime_marks(&mut resource.value);
    }
    out
}

/// `{"parameters": {"x": {"value": ..}}}` or the bare `{"x": {"value": ..}}` form.
fn parameter_values(json: &Value) -> HashMap<String, Value> {
    let map = json
        .get("parameters")
        .and_then(Value::as_object)
        .or_else(|| json.as_object());
    map.map(|m| {
        m.iter()
            .filter(|(k, _)| !k.starts_with('$') && *k != "contentVersion")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
    .unwrap_or_default()
}

#[derive(Default)]
struct Expander {
    out: ArmExpansion,
    truncated: bool,
}

/// Where a declaration sits: its document and the pointer of its template object.
struct Place<'a> {
    doc: &'a Arc<Document>,
    pointer: String,
}

impl Expander {
    fn collect(&mut self, scope: &TemplateScope<'_>, doc: &Arc<Document>) {
        let pending = scope.take_problems();
        self.out
            .problems
            .extend(pending.into_iter().map(|p| expression_problem(doc, p)));
    }

    fn expand_template_body(
        &mut self,
        scope: &TemplateScope<'_>,
        doc: &Arc<Document>,
        base: &str,
        depth: usize,
    ) {
        let template = json_at(&doc.json, base);
        match template.and_then(|t| t.get("resources")) {
            Some(Value::Array(items)) => {
                for (i, decl) in items.iter().enumerate() {
                    let place = Place {
                        doc,
                        pointer: format!("{base}/resources/{i}"),
                    };
                    self.expand_declaration(scope, decl, &place, None, depth);
                }
            }
            Some(Value::Object(symbolic)) => {
                for (symbol, decl) in symbolic {
                    let place = Place {
                        doc,
                        pointer: format!("{base}/resources/{}", escape_pointer_token(symbol)),
                    };
                    self.expand_declaration(scope, decl, &place, None, depth);
                }
            }
            _ => {
                self.out.problems.push(InputProblem::whole_file(
                    ProblemCode::NoResources,
                    Severity::Warning,
                    &doc.display,
                    "the template has no `resources` array: it deploys nothing",
                    "add the resources, or remove the file from the scan",
                ));
            }
        }
    }

    fn expand_declaration(
        &mut self,
        scope: &TemplateScope<'_>,
        decl: &Value,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
        depth: usize,
    ) {
        let Some(copy) = decl.get("copy").filter(|c| c.is_object()) else {
            self.expand_instance(scope, decl, place, parent, depth, Vec::new());
            return;
        };
        let loop_name = copy.get("name").and_then(Value::as_str).unwrap_or("copy");
        let count_pointer = format!("{}/copy/count", place.pointer);
        let (count, assumptions) = match scope.copy_count(copy.get("count"), &count_pointer) {
            Ok(count) => (count, Vec::new()),
            Err(reason) => (1, vec![format!("{reason}; one instance evaluated")]),
        };
        for index in 0..count {
            scope.push_loop(loop_name, index, true);
            self.expand_instance(scope, decl, place, parent, depth, assumptions.clone());
            scope.pop_loop();
        }
    }

    fn expand_instance(
        &mut self,
        scope: &TemplateScope<'_>,
        decl: &Value,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
        depth: usize,
        mut assumptions: Vec<String>,
    ) {
        if self.out.resources.len() >= MAX_RESOURCES {
            self.note_truncated(place.doc);
            return;
        }
        let Some(map) = decl.as_object() else { return };
        if map.get("existing").and_then(Value::as_bool) == Some(true) {
            return; // a reference to a resource deployed elsewhere, not a deployment
        }
        if let Some(condition) = map.get("condition") {
            let value = scope.evaluate_tree(condition, &format!("{}/condition", place.pointer));
            match condition_value(&value) {
                Some(false) => return,
                Some(true) => {}
                None => assumptions.push(format!(
                    "its condition cannot be decided offline ({}); assumed deployed",
                    unknown_reason(&value).unwrap_or("not a boolean")
                )),
            }
        }
        let (resource_type, name, declared_name) = names_of(scope, map, place, parent);
        let id = resource_id(scope.context(), &resource_type, &name);
        let value = evaluate_resource(scope, map, &place.pointer, &id, &resource_type);
        scope.register_reference(&id, &name, value.clone());
        self.out.resources.push(ArmResource {
            resource_type: resource_type.clone(),
            name: name.clone(),
            declared_name,
            id,
            value: value.clone(),
            document: Arc::clone(place.doc),
            pointer: place.pointer.clone(),
            assumptions,
        });
        if resource_type.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
            self.expand_deployment(scope, map, &value, place, depth);
        }
        if let Some(Value::Array(children)) = map.get("resources") {
            for (j, child) in children.iter().enumerate() {
                let child_place = Place {
                    doc: place.doc,
                    pointer: format!("{}/resources/{j}", place.pointer),
                };
                self.expand_declaration(
                    scope,
                    child,
                    &child_place,
                    Some((&resource_type, &name)),
                    depth,
                );
            }
        }
    }

    fn note_truncated(&mut self, doc: &Arc<Document>) {
        if !self.truncated {
            self.truncated = true;
            self.out.problems.push(InputProblem::whole_file(
                ProblemCode::TooLarge,
                Severity::Warning,
                &doc.display,
                format!("the template expands to more than {MAX_RESOURCES} resources; the rest were not evaluated"),
                "check the copy counts: ARM allows at most 800 per loop",
            ));
        }
    }

    fn expand_deployment(
        &mut self,
        scope: &TemplateScope<'_>,
        decl: &Map<String, Value>,
        evaluated: &Value,
        place: &Place<'_>,
        depth: usize,
    ) {
        if depth >= MAX_DEPLOYMENT_DEPTH {
            self.out.problems.push(InputProblem::whole_file(
                ProblemCode::TooLarge,
                Severity::Warning,
                &place.doc.display,
                format!("nested deployments deeper than {MAX_DEPLOYMENT_DEPTH} levels were not followed"),
                "check for a template that deploys itself",
            ));
            return;
        }
        let props = decl.get("properties");
        let inner = props
            .and_then(|p| p.get("expressionEvaluationOptions"))
            .and_then(|o| o.get("scope"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let params = evaluated
            .get("properties")
            .and_then(|p| p.get("parameters"))
            .map(parameter_values)
            .unwrap_or_default();
        let mut ctx = scope.context().clone();
        if let Some(rg) = evaluated.get("resourceGroup").and_then(Value::as_str) {
            ctx.resource_group = rg.to_owned();
        }
        if props.and_then(|p| p.get("template")).is_some() {
            let base = format!("{}/properties/template", place.pointer);
            if inner {
                let template = json_at(&place.doc.json, &base).unwrap_or(&Value::Null);
                let inner_scope = TemplateScope::new(template, &base, params, ctx);
                self.expand_template_body(&inner_scope, place.doc, &base, depth + 1);
                self.collect(&inner_scope, place.doc);
            } else {
                self.expand_template_body(scope, place.doc, &base, depth + 1);
            }
            return;
        }
        if let Some(link) = evaluated
            .get("properties")
            .and_then(|p| p.get("templateLink"))
        {
            self.expand_linked(link, params, ctx, place, depth);
        }
    }

    fn expand_linked(
        &mut self,
        link: &Value,
        params: HashMap<String, Value>,
        ctx: DeploymentContext,
        place: &Place<'_>,
        depth: usize,
    ) {
        let base_dir = place.doc.path.parent().unwrap_or(Path::new("."));
        let Some((path, how)) = resolve_link(base_dir, link) else {
            let what = link
                .get("uri")
                .or_else(|| link.get("relativePath"))
                .map(|v| {
                    unknown_reason(v).map_or_else(|| v.to_string(), |r| format!("unknown ({r})"))
                })
                .unwrap_or_else(|| "no uri".to_owned());
            self.out.problems.push(InputProblem {
                span: Some(place.doc.span_at(&format!("{}/properties/templateLink", place.pointer), 0, 1)),
                ..InputProblem::whole_file(
                    ProblemCode::LinkedTemplate,
                    Severity::Warning,
                    &place.doc.display,
                    format!("linked template {what} is not available offline: the resources it deploys are not scanned"),
                    "scan the linked template's folder too, or use a relativePath that exists beside this template",
                )
            });
            return;
        };
        let display = load::display_path(&path);
        let loaded = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| load::parse_document(&path, &display, &bytes).map_err(|p| p.message));
        match loaded {
            Ok(doc) => {
                let doc = Arc::new(doc);
                let linked_scope = TemplateScope::new(&doc.json, "", params, ctx);
                self.out.linked_files.push(format!("{display} ({how})"));
                self.expand_template_body(&linked_scope, &doc, "", depth + 1);
                self.collect(&linked_scope, &doc);
            }
            Err(reason) => self.out.problems.push(InputProblem::whole_file(
                ProblemCode::LinkedTemplate,
                Severity::Warning,
                &place.doc.display,
                format!("linked template {display} could not be read: {reason}"),
                "fix the linked file; its resources are not scanned",
            )),
        }
    }
}

/// A local file for a `templateLink`: its `relativePath`, or the tail of its `uri` found
/// beside the current file.
fn resolve_link(base_dir: &Path, link: &Value) -> Option<(PathBuf, &'static str)> {
    if let Some(rel) = link.get("relativePath").and_then(Value::as_str) {
        let path = base_dir.join(rel);
        return path.is_file().then_some((path, "relativePath"));
    }
    let uri = link.get("uri").and_then(Value::as_str)?;
    let without_query = uri.split(['?', '#']).next().unwrap_or(uri);
    let segments: Vec<&str> = without_query.split('/').filter(|s| !s.is_empty()).collect();
    (1..=segments.len().min(4)).rev().find_map(|k| {
        let tail = segments.get(segments.len() - k..)?;
        let path = tail.iter().fold(base_dir.to_path_buf(), |p, s| p.join(s));
        path.is_file()
            .then_some((path, "uri resolved to a local file by its path"))
    })
}

fn condition_value(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Full type, full name and declared name of a declaration (children are relative to parent).
fn names_of(
    scope: &TemplateScope<'_>,
    map: &Map<String, Value>,
    place: &Place<'_>,
    parent: Option<(&str, &str)>,
) -> (String, String, String) {
    let text = |key: &str| -> String {
        let raw = map.get(key).cloned().unwrap_or(Value::Null);
        let value = scope.evaluate_tree(&raw, &format!("{}/{key}", place.pointer));
        match value {
            Value::String(s) => s,
            other => unknown_reason(&other)
                .map_or_else(|| other.to_string(), |r| format!("(unknown: {r})")),
        }
    };
    let declared_name = match map.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let own_type = text("type");
    let own_name = text("name");
    match parent {
        Some((parent_type, parent_name)) if !own_type.contains('/') => (
            format!("{parent_type}/{own_type}"),
            format!("{parent_name}/{own_name}"),
            declared_name,
        ),
        _ => (own_type, own_name, declared_name),
    }
}

/// Evaluates a declaration (without child resources, copy, condition; a deployment's inline
/// template is left for its own scope) and sets its `id`.
fn evaluate_resource(
    scope: &TemplateScope<'_>,
    map: &Map<String, Value>,
    pointer: &str,
    id: &str,
    resource_type: &str,
) -> Value {
    let is_deployment = resource_type.eq_ignore_ascii_case("Microsoft.Resources/deployments");
    let mut out = Map::with_capacity(map.len() + 1);
    for (key, value) in map {
        if matches!(
            key.as_str(),
            "resources" | "copy" | "condition" | "dependsOn" | "comments"
        ) {
            continue;
        }
        let child = format!("{pointer}/{}", escape_pointer_token(key));
        let evaluated = if is_deployment && key == "properties" {
            evaluate_deployment_properties(scope, value, &child)
        } else {
            scope.evaluate_tree(value, &child)
        };
        out.insert(key.clone(), evaluated);
    }
    out.insert("id".to_owned(), Value::String(id.to_owned()));
    Value::Object(out)
}

fn evaluate_deployment_properties(
    scope: &TemplateScope<'_>,
    props: &Value,
    pointer: &str,
) -> Value {
    let Some(map) = props.as_object() else {
        return scope.evaluate_tree(props, pointer);
    };
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        if key == "template" {
            continue; // evaluated in the nested deployment's own scope
        }
        let child = format!("{pointer}/{}", escape_pointer_token(key));
        out.insert(key.clone(), scope.evaluate_tree(value, &child));
    }
    Value::Object(out)
}

fn json_at<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        Some(root)
    } else {
        root.pointer(pointer)
    }
}

fn expression_problem(doc: &Document, pending: PendingProblem) -> InputProblem {
    use super::expr::ExprErrorCode as C;
    let code = match pending.error.code {
        C::Syntax => ProblemCode::ExpressionSyntax,
        C::UnknownFunction => ProblemCode::UnknownFunction,
        C::ArgumentCount => ProblemCode::ArgumentCount,
        C::ArgumentType => ProblemCode::ArgumentType,
        C::TooDeep | C::TooLarge => ProblemCode::TooLarge,
        C::Evaluation => ProblemCode::Evaluation,
    };
    let is_string = json_at(&doc.json, &pending.pointer).is_some_and(Value::is_string);
    let extra = if is_string {
        1 + pending.error.offset
    } else {
        0
    };
    let help = match code {
        ProblemCode::UnknownFunction => {
            "check the function name against the ARM template function reference"
        }
        ProblemCode::ExpressionSyntax => {
            "fix the expression: brackets, quotes ('' escapes a quote) and commas must balance"
        }
        ProblemCode::ArgumentCount | ProblemCode::ArgumentType => {
            "check the function's arguments against the ARM template function reference"
        }
        _ => "values that depend on this expression are reported as unknown",
    };
    InputProblem {
        span: Some(doc.span_at(&pending.pointer, extra, 1)),
        source: Some(Arc::clone(&doc.text)),
        ..InputProblem::whole_file(
            code,
            Severity::Warning,
            &doc.display,
            pending.error.message,
            help,
        )
    }
}
