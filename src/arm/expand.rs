//! ARM: walk a template's resources and produce concrete, evaluated resources.
//!
//! Handles resource copy loops, conditions and child resources here; nested and linked
//! deployments in `deploy`. Every bound is explicit: total resources per template, nesting of
//! deployments, and the shared work [`Budget`] of one expansion pass. Problems are located
//! diagnostics; one that repeats in every iteration of a loop is reported once.

mod deploy;
mod owned;
mod resource;

pub use owned::expand_owned_template;

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::budget::Budget;
use super::context::DeploymentContext;
use super::expr::Scope as _;
use super::ids::resource_id;
use super::parameters;
use super::problems::{to_input_problem, PendingProblem};
use super::references;
use super::scope::TemplateScope;
use super::unknown::{strip_runtime_marks, unknown_reason};
use crate::diagnostic::{InputProblem, ProblemCode};
use crate::json::Node;
use crate::load::{Document, Roots};
use crate::source::{child_pointer, escape_pointer_token, index_pointer};

/// Most resources one template may expand to (copy loops multiply: 800 x 800 ...).
const MAX_RESOURCES: usize = 100_000;

/// One concrete resource a template deploys. Its body may borrow strings from the text of the
/// template (lifetime `'t`), when it was evaluated in place (see [`expand_owned_template`]).
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

/// Expands `doc` with the values of `params` (a parameters document) in deployment `ctx`.
///
/// Linked templates are read only inside `roots`.
pub fn expand_template(
    doc: &Arc<Document>,
    params: Option<&Document>,
    ctx: &DeploymentContext,
    roots: &Roots,
) -> ArmExpansion<'static> {
    let values = params
        .map(|p| parameters::values(&p.json))
        .unwrap_or_default();
    let mut first = Expander::new(doc, roots);
    let scope = TemplateScope::new(&doc.json, "", values.clone(), ctx.clone(), &first.budget)
        .tracking_references(mentions_reference(doc));
    first.expand_template_body(&scope, doc, "", 0);
    first.collect(&scope, doc);
    if scope.reference_misses() > 0 && !first.budget.exhausted() {
        // A reference() to a resource declared later: expand again with every resource known.
        let mut second = Expander::new(doc, roots);
        let scope2 = TemplateScope::new(&doc.json, "", values, ctx.clone(), &second.budget)
            .tracking_references(true);
        for resource in &first.out.resources {
            scope2.register_reference(&resource.id, &resource.name, &resource.value.to_value());
        }
        second.expand_template_body(&scope2, doc, "", 0);
        second.collect(&scope2, doc);
        first = second;
    }
    first.finish(doc, params)
}

/// Expands one template body, its nested and linked deployments.
struct Expander<'t> {
    out: ArmExpansion<'t>,
    budget: Rc<Budget>,
    /// Problems already reported once per expansion (truncation, depth), by kind.
    noted: Vec<&'static str>,
    /// Linked templates read so far, by path (a template linked from every iteration of a
    /// loop is read and parsed once).
    linked: HashMap<PathBuf, Result<Arc<Document>, String>>,
    /// Whether each document (by address) mentions `reference`.
    mentions: HashMap<usize, bool>,
    /// An expansion that took the declarations of its document met a deployment, whose
    /// nested template is read from the document: it stops, to be done again from a fresh
    /// tree (see `owned`).
    met_deployment: bool,
    /// The top-level declarations were taken out of the document (see `owned`).
    declarations_taken: bool,
    /// The scan roots: linked templates are read only inside them.
    roots: Roots,
}

/// Where a declaration sits: its document and the pointer of its template object.
struct Place<'a> {
    doc: &'a Arc<Document>,
    pointer: String,
}

impl<'t> Expander<'t> {
    fn new(doc: &Document, roots: &Roots) -> Self {
        Self {
            roots: roots.clone(),
            out: ArmExpansion::default(),
            budget: Rc::new(Budget::for_template(doc.text_len())),
            noted: Vec::new(),
            linked: HashMap::new(),
            mentions: HashMap::new(),
            met_deployment: false,
            declarations_taken: false,
        }
    }

    /// The expansion's result, with the problems found once every resource is known.
    fn finish(mut self, doc: &Arc<Document>, params: Option<&Document>) -> ArmExpansion<'t> {
        self.note_budget(doc);
        let mut out = self.out;
        if let Some(params) = params {
            out.problems.extend(parameters::mismatches(doc, params));
        }
        out.problems.extend(references::dangling(&out.resources));
        for resource in &mut out.resources {
            strip_runtime_marks(&mut resource.value);
        }
        out
    }

    /// [`mentions_reference`], once per document.
    fn uses_reference(&mut self, doc: &Arc<Document>) -> bool {
        let key = Arc::as_ptr(doc) as usize;
        *self
            .mentions
            .entry(key)
            .or_insert_with(|| mentions_reference(doc))
    }

    fn collect(&mut self, scope: &TemplateScope<'_>, doc: &Arc<Document>) {
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

    fn expand_template_body(
        &mut self,
        scope: &TemplateScope<'_>,
        doc: &Arc<Document>,
        base: &str,
        depth: usize,
    ) {
        let template = json_at(&doc.json, base);
        let resources_pointer = format!("{base}/resources");
        match template.and_then(|t| t.get("resources")) {
            Some(Value::Array(items)) if !items.is_empty() => {
                for (i, decl) in items.iter().enumerate() {
                    let place = Place {
                        doc,
                        pointer: index_pointer(&resources_pointer, i),
                    };
                    self.expand_declaration(scope, decl, &place, None, depth);
                }
            }
            Some(Value::Object(symbolic)) if !symbolic.is_empty() => {
                for (symbol, decl) in symbolic {
                    let place = Place {
                        doc,
                        pointer: format!("{resources_pointer}/{}", escape_pointer_token(symbol)),
                    };
                    self.expand_declaration(scope, decl, &place, None, depth);
                }
            }
            Some(Value::Array(_) | Value::Object(_)) => self.problem(
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

    /// A declaration's members and what deploying it takes for granted (`assumptions`, with
    /// an undecided condition added), or None when it is not deployed (see [`Self::admits`]).
    fn admit<'d>(
        &mut self,
        scope: &TemplateScope<'_>,
        decl: &'d Value,
        place: &Place<'_>,
        assumptions: Vec<String>,
    ) -> Option<(&'d Map<String, Value>, Vec<String>)> {
        let map = self.admits_any(scope, place).then(|| decl.as_object())??;
        let existing = map.get("existing").and_then(Value::as_bool);
        let assumptions = self.admits(scope, existing, map.get("condition"), place, assumptions)?;
        Some((map, assumptions))
    }

    /// Whether another resource may be deployed at all: not past the resource limit, not out
    /// of budget.
    fn admits_any(&mut self, scope: &TemplateScope<'_>, place: &Place<'_>) -> bool {
        if self.out.resources.len() >= MAX_RESOURCES {
            self.problem_once(
                "resources",
                place.doc,
                &place.pointer,
                format!("the template expands to more than {MAX_RESOURCES} resources; the rest were not evaluated"),
            );
            return false;
        }
        !scope.budget_exhausted()
    }

    /// What deploying a declaration (an object; see [`Self::admits_any`]) takes for granted,
    /// or None when it is not deployed: `existing`, or its condition is false.
    fn admits(
        &mut self,
        scope: &TemplateScope<'_>,
        existing: Option<bool>,
        condition: Option<&Value>,
        place: &Place<'_>,
        mut assumptions: Vec<String>,
    ) -> Option<Vec<String>> {
        if existing == Some(true) {
            return None; // a reference to a resource deployed elsewhere, not a deployment
        }
        if let Some(condition) = condition {
            let value = scope.evaluate_tree(condition, &child_pointer(&place.pointer, "condition"));
            match condition_value(&value) {
                Some(false) => return None,
                Some(true) => {}
                None => assumptions.push(format!(
                    "its condition cannot be decided offline ({}); assumed deployed",
                    unknown_reason(&value).unwrap_or("not a boolean")
                )),
            }
        }
        Some(assumptions)
    }

    /// Adds an expanded resource (its `names`, their evaluated members already used) and gives
    /// back its full type and name, which its child resources are relative to.
    fn record(
        &mut self,
        names: resource::Names,
        id: String,
        value: Node<'t>,
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
            value,
            document: Arc::clone(place.doc),
            pointer: place.pointer.clone(),
            assumptions,
        });
        (resource_type, name)
    }

    fn expand_instance(
        &mut self,
        scope: &TemplateScope<'_>,
        decl: &Value,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
        depth: usize,
        assumptions: Vec<String>,
    ) {
        let Some((map, assumptions)) = self.admit(scope, decl, place, assumptions) else {
            return;
        };
        let members = ["type", "name"].map(|key| map.get(key).map(resource::Member::Value));
        let mut names = resource::names_of(scope, members, place, parent);
        let evaluated = std::mem::take(&mut names.evaluated);
        let id = resource_id(scope.context(), &names.resource_type, &names.name);
        let value = resource::evaluate_resource(
            scope,
            map,
            &place.pointer,
            &id,
            &names.resource_type,
            evaluated,
        );
        scope.register_reference(&id, &names.name, &value);
        let is_deployment = names.is_deployment();
        if is_deployment && self.declarations_taken {
            // Its nested template is read from the document, whose declarations are taken.
            self.met_deployment = true;
            return;
        }
        let deployment = is_deployment.then(|| value.clone());
        let (resource_type, name) =
            self.record(names, id, Node::from_owned(value), place, assumptions);
        if let Some(value) = deployment {
            self.expand_deployment(scope, map, &value, place, depth);
        }
        if let Some(Value::Array(children)) = map.get("resources") {
            for (j, child) in children.iter().enumerate() {
                let child_place = Place {
                    doc: place.doc,
                    pointer: index_pointer(&child_pointer(&place.pointer, "resources"), j),
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

/// Whether the text of `doc` mentions `reference` at all (ASCII case-insensitively): a cheap
/// over-approximation of "some expression in it calls reference()".
fn mentions_reference(doc: &Document) -> bool {
    text_mentions_reference(doc.text().as_bytes())
}

/// [`mentions_reference`] of a document's text.
fn text_mentions_reference(bytes: &[u8]) -> bool {
    mentions_word(bytes, b"reference", 2)
}

/// Whether `word` (lower case) occurs in `bytes`, ASCII case-insensitively. The search stops
/// at each occurrence of the word's letter at `anchor` (pick one rare in JSON) and looks
/// around it.
fn mentions_word(bytes: &[u8], word: &[u8], anchor: usize) -> bool {
    let Some(&letter) = word.get(anchor) else {
        return false;
    };
    memchr::memchr2_iter(letter, letter.to_ascii_uppercase(), bytes).any(|at| {
        at.checked_sub(anchor)
            .and_then(|start| bytes.get(start..start + word.len()))
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
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

fn json_at<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        Some(root)
    } else {
        root.pointer(pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::mentions_word;

    #[test]
    fn the_word_reference_is_found_in_any_case_and_place() {
        for text in [
            "reference",
            "[reference('x')]",
            "REFERENCE(",
            "xxReFeReNcE",
            "\"[concat(reference(variables('a')).id)]\"",
        ] {
            assert!(mentions_word(text.as_bytes(), b"reference", 2), "{text}");
        }
        for text in [
            "",
            "f",
            "ref",
            "referenc",
            "eference",
            "reFerenc e",
            "refer ence",
            "fference",
        ] {
            assert!(!mentions_word(text.as_bytes(), b"reference", 2), "{text}");
        }
    }

    /// The search agrees with a plain walk over every window, on text mixing the word's
    /// letters and pieces of it.
    #[test]
    fn the_search_agrees_with_a_plain_walk() {
        let pieces = [
            "re", "fer", "ence", "F", "f", "R", "ref", "erence", "x", "REFE", "RENCE",
        ];
        let mut state = 7u64;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..8 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let i = usize::try_from(state >> 33).unwrap_or(0) % pieces.len();
                text.push_str(pieces.get(i).copied().unwrap_or_default());
            }
            let plain = text
                .as_bytes()
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"reference"));
            assert_eq!(
                mentions_word(text.as_bytes(), b"reference", 2),
                plain,
                "{text}"
            );
        }
    }
}
