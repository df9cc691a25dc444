//! ARM: walk a template's resources and produce concrete, evaluated resources.
//!
//! Handles resource copy loops, conditions and child resources here; nested and linked
//! deployments in `deploy`. Every bound is explicit: total resources per template, nesting of
//! deployments, and the shared work [`Budget`] of one expansion pass. Problems are located
//! diagnostics; one that repeats in every iteration of a loop is reported once.
//!
//! A template is expanded from a tree of [`Node`]s: read from its text when it kept no tree
//! from loading (a big template, see `Document::tree_dropped`), else a view of its tree. Its
//! literal strings are borrowed, never copied, into the resources (lifetime `'t`).

mod deploy;
mod resource;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::budget::Budget;
use super::context::DeploymentContext;
use super::expr::Scope as _;
use super::ids::resource_id;
use super::parameters;
use super::problems::{to_input_problem, PendingProblem};
use super::references;
use super::scope::{Registry, TemplateScope};
use super::unknown::{strip_runtime_marks, symbolic_parameter, symbolic_reason};
use crate::diagnostic::{InputProblem, ProblemCode};
use crate::json::Node;
use crate::load::{Document, Roots};
use crate::source::{child_pointer, escape_pointer_token, index_pointer};

/// Most resources one template may expand to (copy loops multiply: 800 x 800 ...).
const MAX_RESOURCES: usize = 100_000;

/// One concrete resource a template deploys. Its body borrows strings from the text of the
/// template (lifetime `'t`).
#[derive(Debug, Clone)]
pub struct ArmResource<'t> {
    /// Full type, e.g. `Microsoft.Network/virtualNetworks/subnets` (case as written).
    pub resource_type: String,
    /// Full resolved name, e.g. `vnet/app`.
    pub name: String,
    /// The `name` value exactly as written in the file.
    pub declared_name: String,
    /// Resource id in the deployment context.
    pub id: String,
    /// The evaluated resource object (without child `resources`), unknowns inline; its objects
    /// have unique keys.
    pub value: Node<'t>,
    /// The file that declares it.
    pub document: Arc<Document>,
    /// JSON pointer to the declaration in `document`.
    pub pointer: String,
    /// Things taken for granted to deploy it (an unknown condition, an unknown copy count).
    pub assumptions: Vec<String>,
}

/// The result of expanding one template.
#[derive(Debug, Default)]
pub struct ArmExpansion<'t> {
    /// Resources in declaration order.
    pub resources: Vec<ArmResource<'t>>,
    /// Problems (warnings: the template was still expanded).
    pub problems: Vec<InputProblem>,
    /// Local files followed as linked templates, where they really are (links resolved): a
    /// template another one links is not an entry point of its own.
    pub linked_files: Vec<PathBuf>,
}

/// Expands `doc`, whose text is `text`, with the values of `params` (a parameters document)
/// in deployment `ctx`; the resources borrow from `text` and `doc`.
///
/// A template that kept no tree from loading is read from `text`; when that does not parse,
/// the failure is the expansion's one problem. Linked templates are read only inside `roots`.
pub fn expand_template<'t>(
    doc: &'t Arc<Document>,
    text: &'t str,
    params: Option<&Document>,
    ctx: &DeploymentContext,
    roots: &Roots,
) -> ArmExpansion<'t> {
    let tree = if doc.tree_dropped {
        match Node::parse_unique(text) {
            Ok(tree) => tree,
            Err(err) => {
                return ArmExpansion {
                    problems: vec![*doc.parse_problem(&doc.text(), &err)],
                    ..ArmExpansion::default()
                }
            }
        }
    } else {
        Node::from_value(&doc.json)
    };
    let values = params
        .map(|p| parameters::values(&p.json))
        .unwrap_or_default();
    let mut first = Expander::new(doc, roots);
    let scope = first.scope(&tree, "", values.clone(), ctx.clone());
    first.expand_template_body(&scope, &tree, doc, "", 0);
    first.collect(&scope, doc);
    if first.registry.misses() > 0 && !first.budget.exhausted() {
        // A reference() to a resource declared later: expand again with every resource known
        // (by id everywhere, by name at the top level).
        let mut second = Expander::new(doc, roots);
        let scope2 = second.scope(&tree, "", values, ctx.clone());
        for (resource, value) in first.out.resources.iter().zip(&first.values) {
            scope2.register_reference(&resource.id, &resource.name, None, value);
        }
        second.expand_template_body(&scope2, &tree, doc, "", 0);
        second.collect(&scope2, doc);
        drop(scope2);
        first = second;
    }
    drop(scope);
    first.finish(&tree, doc, params)
}

/// Expands one template body, its nested and linked deployments.
struct Expander<'t> {
    /// The result so far; the values of its resources are in `values` until the end.
    out: ArmExpansion<'t>,
    /// The value of each resource of `out`, shared with the scopes that `reference()` it.
    values: Vec<Rc<Node<'t>>>,
    budget: Rc<Budget>,
    /// The resources declared so far, by id, for `reference()` in every scope.
    registry: Rc<Registry<'t>>,
    /// Problems already reported once per expansion (truncation, depth), by kind.
    noted: Vec<&'static str>,
    /// Linked templates read so far, with their trees, by path (a template linked from every
    /// iteration of a loop is read and parsed once).
    linked: HashMap<PathBuf, Result<Linked, String>>,
    /// The scan roots: linked templates are read only inside them.
    roots: Roots,
}

/// A linked template read: its document, and its tree, which owns its strings (the resources
/// it deploys outlive the document).
type Linked = (Arc<Document>, Rc<Node<'static>>);

/// Where a declaration sits: its document, the pointer of its template object and, in a
/// template with symbolic names, its symbol.
struct Place<'a> {
    doc: &'a Arc<Document>,
    pointer: String,
    symbol: Option<&'a str>,
}

impl<'t> Expander<'t> {
    fn new(doc: &Document, roots: &Roots) -> Self {
        Self {
            roots: roots.clone(),
            out: ArmExpansion::default(),
            values: Vec::new(),
            budget: Rc::new(Budget::for_template(doc.text_len())),
            registry: Rc::default(),
            noted: Vec::new(),
            linked: HashMap::new(),
        }
    }

    /// A scope for `template` (at `base`) in this expansion.
    fn scope<'s>(
        &self,
        template: &'s Node<'t>,
        base: &str,
        values: HashMap<String, Value>,
        ctx: DeploymentContext,
    ) -> TemplateScope<'s, 't> {
        TemplateScope::new(template, base, values, ctx, &self.budget, &self.registry)
    }

    /// The expansion's result, with the problems found once every resource is known. The
    /// scopes that shared its values are gone by now; the registry goes here.
    fn finish(
        mut self,
        tree: &Node<'_>,
        doc: &Arc<Document>,
        params: Option<&Document>,
    ) -> ArmExpansion<'t> {
        self.note_budget(doc);
        let symbolic = self.registry.symbolic_in_use();
        // The registry shares every value: let go of it so each is moved out, not copied.
        drop(std::mem::take(&mut self.registry));
        let mut out = self.out;
        for (resource, value) in out.resources.iter_mut().zip(self.values) {
            resource.value = Rc::try_unwrap(value).unwrap_or_else(|shared| (*shared).clone());
        }
        if let Some(params) = params {
            let declared = tree.get("parameters").map(Node::to_value);
            out.problems
                .extend(parameters::mismatches(doc, declared.as_ref(), params));
        }
        out.problems.extend(references::dangling(&out.resources));
        if symbolic {
            for resource in &mut out.resources {
                note_symbolic_parameters(resource);
            }
        }
        for resource in &mut out.resources {
            strip_runtime_marks(&mut resource.value);
        }
        out
    }

    fn collect(&mut self, scope: &TemplateScope<'_, 't>, doc: &Arc<Document>) {
        let pending = scope.take_problems();
        self.out
            .problems
            .extend(pending.into_iter().map(|p| to_input_problem(doc, p)));
    }

    /// Records a located problem.
    fn problem(&mut self, doc: &Document, pointer: &str, code: ProblemCode, message: String) {
        self.out.problems.push(to_input_problem(
            doc,
            PendingProblem::at(pointer, code, message),
        ));
    }

    /// Records a located problem once per expansion for each `kind`.
    fn problem_once(&mut self, kind: &'static str, doc: &Document, pointer: &str, message: String) {
        if !self.noted.contains(&kind) {
            self.noted.push(kind);
            self.problem(doc, pointer, ProblemCode::TooLarge, message);
        }
    }

    fn note_budget(&mut self, doc: &Arc<Document>) {
        if self.budget.exhausted() {
            let limit = self.budget.limit() >> 20;
            self.problem(
                doc,
                "",
                ProblemCode::TooLarge,
                format!("expanding this template needs more than {limit} MiB of evaluation work (copy loops, nested deployments or variables that grow at every step); what was left is reported as unknown"),
            );
        }
    }

    /// Expands the resources of `template`, the template object at `base` in `doc`.
    fn expand_template_body(
        &mut self,
        scope: &TemplateScope<'_, 't>,
        template: &Node<'t>,
        doc: &Arc<Document>,
        base: &str,
        depth: usize,
    ) {
        let resources_pointer = format!("{base}/resources");
        match template.get("resources") {
            Some(Node::Array(items)) if !items.is_empty() => {
                for (i, decl) in items.iter().enumerate() {
                    let place = Place {
                        doc,
                        pointer: index_pointer(&resources_pointer, i),
                        symbol: None,
                    };
                    self.expand_declaration(scope, decl, &place, None, depth);
                }
            }
            Some(Node::Object(symbolic)) if !symbolic.is_empty() => {
                for (symbol, decl) in symbolic {
                    let place = Place {
                        doc,
                        pointer: format!("{resources_pointer}/{}", escape_pointer_token(symbol)),
                        symbol: Some(symbol),
                    };
                    self.expand_declaration(scope, decl, &place, None, depth);
                }
            }
            Some(Node::Array(_) | Node::Object(_)) => self.problem(
                doc,
                &resources_pointer,
                ProblemCode::NoResources,
                "the template's `resources` is empty: it deploys nothing".to_owned(),
            ),
            Some(_) => self.problem(
                doc,
                &resources_pointer,
                ProblemCode::NoResources,
                "the template's `resources` is not an array: it deploys nothing".to_owned(),
            ),
            None => self.problem(
                doc,
                base,
                ProblemCode::NoResources,
                "the template has no `resources`: it deploys nothing".to_owned(),
            ),
        }
    }

    fn expand_declaration(
        &mut self,
        scope: &TemplateScope<'_, 't>,
        decl: &Node<'t>,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
        depth: usize,
    ) {
        let Some(copy) = decl.get("copy").filter(|c| c.is_object()) else {
            self.expand_instance(scope, decl, place, parent, depth, Vec::new());
            return;
        };
        let loop_name = copy.get("name").and_then(Node::as_str).unwrap_or("copy");
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

    /// What deploying a declaration takes for granted (`assumptions`, with an undecided
    /// condition added), or None when it is not deployed: past the resource limit, out of
    /// budget, not an object, `existing`, or its condition is false.
    fn admit(
        &mut self,
        scope: &TemplateScope<'_, 't>,
        decl: &Node<'t>,
        place: &Place<'_>,
        mut assumptions: Vec<String>,
    ) -> Option<Vec<String>> {
        if self.out.resources.len() >= MAX_RESOURCES {
            self.problem_once(
                "resources",
                place.doc,
                &place.pointer,
                format!("the template expands to more than {MAX_RESOURCES} resources; the rest were not evaluated"),
            );
            return None;
        }
        if scope.budget_exhausted() {
            return None;
        }
        if !decl.is_object() {
            return None;
        }
        if decl.get("existing").and_then(Node::as_bool) == Some(true) {
            return None; // a reference to a resource deployed elsewhere, not a deployment
        }
        if let Some(condition) = decl.get("condition") {
            let value = scope.evaluate_tree(condition, &child_pointer(&place.pointer, "condition"));
            match condition_value(&value) {
                Some(false) => return None,
                Some(true) => {}
                None => {
                    let symbolic = value.as_str().and_then(symbolic_parameter);
                    let reason = match (value.unknown_reason(), symbolic) {
                        (Some(reason), _) => reason.to_owned(),
                        (None, Some(parameter)) => symbolic_reason(parameter),
                        (None, None) => "not a boolean".to_owned(),
                    };
                    assumptions.push(format!(
                        "its condition cannot be decided offline ({reason}); assumed deployed"
                    ));
                }
            }
        }
        Some(assumptions)
    }

    /// Adds an expanded resource (its `names`, their evaluated members already used) and gives
    /// back its full type and name, which its child resources are relative to.
    fn record(
        &mut self,
        names: resource::Names<'_>,
        id: String,
        value: Rc<Node<'t>>,
        place: &Place<'_>,
        assumptions: Vec<String>,
    ) -> (String, String) {
        let resource::Names {
            resource_type,
            name,
            declared_name,
            ..
        } = names;
        self.out.resources.push(ArmResource {
            resource_type: resource_type.clone(),
            name: name.clone(),
            declared_name,
            id,
            value: Node::Null, // until `finish`: see `values`
            document: Arc::clone(place.doc),
            pointer: place.pointer.clone(),
            assumptions,
        });
        self.values.push(value);
        (resource_type, name)
    }

    fn expand_instance(
        &mut self,
        scope: &TemplateScope<'_, 't>,
        decl: &Node<'t>,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
        depth: usize,
        assumptions: Vec<String>,
    ) {
        let Some(assumptions) = self.admit(scope, decl, place, assumptions) else {
            return;
        };
        let mut names = resource::names_of(scope, decl, place, parent);
        let evaluated = std::mem::take(&mut names.evaluated);
        let id = resource_id(scope.context(), &names.resource_type, &names.name);
        let value = resource::evaluate_resource(
            scope,
            decl,
            &place.pointer,
            &id,
            &names.resource_type,
            evaluated,
        );
        let value = Rc::new(value);
        // A symbol names one resource; a copy loop's resources are read with references().
        let symbol = place.symbol.filter(|_| decl.get("copy").is_none());
        scope.register_reference(&id, &names.name, symbol, &value);
        let deployment = names.is_deployment().then(|| Rc::clone(&value));
        let slot = self.values.len();
        let (resource_type, name) = self.record(names, id.clone(), value, place, assumptions);
        if let Some(value) = deployment {
            if let Some(outputs) = self.expand_deployment(scope, decl, &value, place, depth) {
                // What reference() reads of the deployment: its outputs, as the inner
                // template computes them.
                let with_outputs = Rc::new(with_outputs(&value, outputs));
                scope.register_reference(&id, &name, symbol, &with_outputs);
                if let Some(stored) = self.values.get_mut(slot) {
                    *stored = with_outputs;
                }
            }
        }
        if let Some(Node::Array(children)) = decl.get("resources") {
            for (j, child) in children.iter().enumerate() {
                let child_place = Place {
                    doc: place.doc,
                    pointer: index_pointer(&child_pointer(&place.pointer, "resources"), j),
                    symbol: None,
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
}

/// Says, in `resource`'s assumptions, which parameters left symbolic its name and the ids
/// it links to (`id` members) are built from.
fn note_symbolic_parameters(resource: &mut ArmResource<'_>) {
    fn note<'a>(text: &'a str, found: &mut Vec<&'a str>) {
        if let Some(parameter) = symbolic_parameter(text) {
            if !found.contains(&parameter) {
                found.push(parameter);
            }
        }
    }
    fn walk<'a>(node: &'a Node<'_>, found: &mut Vec<&'a str>, depth: usize) {
        match node {
            Node::Array(items) if depth < 64 => {
                items.iter().for_each(|item| walk(item, found, depth + 1));
            }
            Node::Object(members) if depth < 64 => {
                for (key, member) in members {
                    match member {
                        Node::String(id) if key.eq_ignore_ascii_case("id") => note(id, found),
                        other => walk(other, found, depth + 1),
                    }
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    note(&resource.name, &mut found);
    let properties = resource.value.get("properties").unwrap_or(&Node::Null);
    walk(properties, &mut found, 0);
    let notes: Vec<String> = found
        .into_iter()
        .map(|parameter| {
            format!(
                "parameter '{parameter}' has no value in the input: names built from it are \
                 kept as [parameters('{parameter}')] and linked where the same expression names \
                 a resource"
            )
        })
        .collect();
    resource.assumptions.extend(notes);
}

/// `deployment` with `properties.outputs` set to `outputs`.
fn with_outputs<'t>(deployment: &Node<'t>, outputs: Node<'t>) -> Node<'t> {
    let mut value = deployment.clone();
    if let Node::Object(members) = &mut value {
        match members.iter_mut().find(|(key, _)| key == "properties") {
            Some((_, Node::Object(props))) => {
                match props.iter_mut().find(|(key, _)| key == "outputs") {
                    Some(slot) => slot.1 = outputs,
                    None => props.push((Cow::Borrowed("outputs"), outputs)),
                }
            }
            Some(slot) => slot.1 = Node::Object(vec![(Cow::Borrowed("outputs"), outputs)]),
            None => members.push((
                Cow::Borrowed("properties"),
                Node::Object(vec![(Cow::Borrowed("outputs"), outputs)]),
            )),
        }
    }
    value
}

fn condition_value(value: &Node<'_>) -> Option<bool> {
    match value {
        Node::Bool(b) => Some(*b),
        Node::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Node::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
