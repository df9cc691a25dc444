//! ARM: expanding a template whose tree is read for its expansion alone.
//!
//! A big template keeps no tree from loading (see `Document::reparsed`). Its declarations are
//! read from its text as [`Node`]s, whose strings borrow from the text, and when nothing can
//! read a declaration again it is evaluated in place and moved into the expanded resource
//! (see `TemplateScope::evaluate_tree_owned`): literal strings are never copied and no map is
//! hashed. That holds for a declaration outside copy loops, in a template that calls no
//! `reference()` (so there is no second pass) and deploys no nested template (which is read
//! from the document by its pointer). Anything else takes the plain expansion of a `Value`
//! tree, with the same result: the same resources, values, problems and budget charges, in
//! the same order.

use std::sync::Arc;

use serde_json::Value;

use super::{
    expand_template, mentions_word, resource, text_mentions_reference, ArmExpansion, Expander,
    Place,
};
use crate::arm::context::DeploymentContext;
use crate::arm::expr::Scope as _;
use crate::arm::ids::resource_id;
use crate::arm::parameters;
use crate::arm::scope::TemplateScope;
use crate::diagnostic::InputProblem;
use crate::json::Node;
use crate::load::{Document, Roots};
use crate::source::{child_pointer, index_pointer};

/// [`expand_template`] of `doc`, whose text is `text`, for a caller that gives `doc` away:
/// when `doc` kept no tree, its declarations are evaluated in place (see the module
/// documentation) and the resources borrow from `text`. Err when the text does not parse.
pub fn expand_owned_template<'t>(
    doc: Arc<Document>,
    text: &'t str,
    params: Option<&Document>,
    ctx: &DeploymentContext,
    roots: &Roots,
) -> Result<ArmExpansion<'t>, Box<InputProblem>> {
    let (template, declarations) = match read_declarations(&doc, text)? {
        Read::Plain(template) => return Ok(expand_template(&template, params, ctx, roots)),
        Read::Given(template, declarations) => (template, declarations),
    };
    let values = params
        .map(|p| parameters::values(&p.json))
        .unwrap_or_default();
    let mut expander = Expander::new(&template, roots);
    expander.declarations_taken = true;
    let scope = TemplateScope::new(&template.json, "", values, ctx.clone(), &expander.budget)
        .tracking_references(false);
    for (i, declaration) in declarations.into_iter().enumerate() {
        let place = Place {
            doc: &template,
            pointer: index_pointer("/resources", i),
        };
        expander.expand_declaration_owned(&scope, declaration, &place, None);
    }
    if expander.met_deployment {
        // A resource whose type only evaluates to a deployment: expanded again from a full
        // tree, as if nothing had been taken.
        drop(scope);
        let full = doc.reparsed()?;
        return Ok(expand_template(&full, params, ctx, roots));
    }
    expander.collect(&scope, &template);
    drop(scope);
    Ok(expander.finish(&template, params))
}

/// How a template is expanded (see [`read_declarations`]).
enum Read<'t> {
    /// From its `Value` tree.
    Plain(Arc<Document>),
    /// From its top-level declarations, given away, and the tree of the rest of the template
    /// (parameters, variables, functions: what its scope reads) with `resources` empty.
    Given(Arc<Document>, Vec<Node<'t>>),
}

/// The top-level declarations of `doc` read from its `text`, when `doc` kept no tree and they
/// may be given away: the text calls no `reference()` and names no deployment, and its
/// `resources` is a non-empty array. Otherwise the whole tree.
fn read_declarations<'t>(
    doc: &Arc<Document>,
    text: &'t str,
) -> Result<Read<'t>, Box<InputProblem>> {
    let bytes = text.as_bytes();
    if !doc.tree_dropped
        || text_mentions_reference(bytes)
        || mentions_word(bytes, b"deployments", 5)
    {
        return doc.reparsed().map(Read::Plain);
    }
    let template = Node::parse_unique(text).map_err(|err| doc.parse_problem(&doc.text(), &err))?;
    let Node::Object(members) = template else {
        return Ok(Read::Plain(Arc::new(doc.with_tree(template.to_value()))));
    };
    let mut declarations = None;
    let mut rest = serde_json::Map::with_capacity(members.len());
    for (key, member) in members {
        let value = match member {
            Node::Array(items) if key == "resources" && !items.is_empty() => {
                declarations = Some(items);
                Value::Array(Vec::new())
            }
            other => other.to_value(),
        };
        rest.insert(key.into_owned(), value);
    }
    let template = Arc::new(doc.with_tree(Value::Object(rest)));
    Ok(match declarations {
        Some(declarations) => Read::Given(template, declarations),
        None => Read::Plain(template),
    })
}

impl<'t> Expander<'t> {
    /// `expand_declaration` of a declaration given away: one in a copy loop is evaluated once
    /// per iteration, so it is lent instead.
    fn expand_declaration_owned(
        &mut self,
        scope: &TemplateScope<'_>,
        declaration: Node<'t>,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
    ) {
        if self.met_deployment {
            return;
        }
        if declaration.get("copy").is_some_and(Node::is_object) {
            self.expand_declaration(scope, &declaration.to_value(), place, parent, 0);
            return;
        }
        self.expand_instance_owned(scope, declaration, place, parent);
    }

    /// `expand_instance` of a declaration given away, outside any copy loop.
    fn expand_instance_owned(
        &mut self,
        scope: &TemplateScope<'_>,
        declaration: Node<'t>,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
    ) {
        if !self.admits_any(scope, place) {
            return;
        }
        let Node::Object(mut entries) = declaration else {
            return;
        };
        let member = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let existing = member("existing").and_then(Node::as_bool);
        let condition = member("condition").map(Node::to_value);
        let Some(assumptions) = self.admits(scope, existing, condition.as_ref(), place, Vec::new())
        else {
            return;
        };
        let members = ["type", "name"].map(|key| member(key).map(resource::Member::Node));
        let mut names = resource::names_of(scope, members, place, parent);
        if names.is_deployment() {
            self.met_deployment = true;
            return;
        }
        let evaluated = std::mem::take(&mut names.evaluated);
        let id = resource_id(scope.context(), &names.resource_type, &names.name);
        let children = entries
            .iter()
            .position(|(key, _)| key == "resources")
            .map(|at| entries.remove(at).1);
        let value =
            resource::evaluate_resource_owned(scope, entries, &place.pointer, &id, evaluated);
        let (resource_type, name) = self.record(names, id, value, place, assumptions);
        if let Some(Node::Array(children)) = children {
            let children_pointer = child_pointer(&place.pointer, "resources");
            for (j, child) in children.into_iter().enumerate() {
                let child_place = Place {
                    doc: place.doc,
                    pointer: index_pointer(&children_pointer, j),
                };
                self.expand_declaration_owned(
                    scope,
                    child,
                    &child_place,
                    Some((&resource_type, &name)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::{read_declarations, Read};
    use crate::json::Node;
    use crate::load::{parse_document, Document};

    /// A document of `json` that kept no tree, as a big template does.
    fn doc(json: &Value) -> Arc<Document> {
        let text = serde_json::to_string_pretty(json).unwrap();
        let parsed = parse_document(Path::new("t.json"), "t.json", text.into_bytes()).unwrap();
        Arc::new(Document {
            json: Value::Null,
            tree_dropped: true,
            ..parsed
        })
    }

    #[test]
    fn declarations_are_given_only_when_nothing_reads_them_again() {
        let plain = json!({"parameters": {"p": {"type": "string"}},
            "resources": [{"type": "t", "name": "a"}, {"type": "t", "name": "b"}], "outputs": {}});
        let given = doc(&plain);
        let text = given.text();
        let Ok(Read::Given(template, declarations)) = read_declarations(&given, &text) else {
            panic!("given")
        };
        assert_eq!(declarations.len(), 2);
        assert_eq!(
            template.json,
            json!({"parameters": {"p": {"type": "string"}}, "resources": [], "outputs": {}})
        );
        assert_eq!(
            serde_json::to_string(&template.json).unwrap(),
            r#"{"parameters":{"p":{"type":"string"}},"resources":[],"outputs":{}}"#,
            "members in their order"
        );

        for kept in [
            json!({"resources": [{"type": "t", "name": "[REFERENCE('x').y]"}]}),
            json!({"resources": [{"type": "Microsoft.Resources/Deployments", "name": "d"}]}),
            json!({"resources": {"symbolic": {"type": "t", "name": "a"}}}),
            json!({"resources": []}),
            json!({"parameters": {}}),
            json!(["not", "an", "object"]),
        ] {
            let document = doc(&kept);
            let text = document.text();
            let Ok(Read::Plain(template)) = read_declarations(&document, &text) else {
                panic!("plain: {kept}")
            };
            assert_eq!(template.json, kept);
        }

        // A document that kept its tree is expanded from it.
        let text = serde_json::to_string_pretty(&plain).unwrap();
        let kept = Arc::new(
            parse_document(Path::new("t.json"), "t.json", text.clone().into_bytes()).unwrap(),
        );
        assert!(matches!(read_declarations(&kept, &text), Ok(Read::Plain(d)) if d.json == plain));
    }

    /// Repeated members are resolved as a `Value` parse resolves them: the first place, the
    /// last value; `resources` included.
    #[test]
    fn repeated_members_keep_their_first_place_and_last_value() {
        let raw = |text: &str| {
            let parsed =
                parse_document(Path::new("t.json"), "t.json", text.as_bytes().to_vec()).unwrap();
            Arc::new(Document {
                json: Value::Null,
                tree_dropped: true,
                ..parsed
            })
        };
        let text = r#"{"a": 1, "resources": [{"type": "t", "name": "first"}], "b": {"x": 1, "x": 2},
            "a": 3, "resources": [{"type": "t", "name": "last"}, {"type": "t", "name": "more"}]}"#;
        let document = raw(text);
        let Ok(Read::Given(template, declarations)) = read_declarations(&document, text) else {
            panic!("given")
        };
        assert_eq!(declarations.len(), 2);
        assert_eq!(
            declarations[0].get("name").and_then(Node::as_str),
            Some("last")
        );
        assert_eq!(
            serde_json::to_string(&template.json).unwrap(),
            r#"{"a":3,"resources":[],"b":{"x":2}}"#
        );

        let text =
            r#"{"resources": [{"type": "t", "name": "a"}], "p": [], "resources": {"s": {}}}"#;
        let document = raw(text);
        let Ok(Read::Plain(template)) = read_declarations(&document, text) else {
            panic!("plain")
        };
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&template.json).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }
}
