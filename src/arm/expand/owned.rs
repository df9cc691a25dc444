//! ARM: expanding a template whose tree the caller gives away.
//!
//! A big template's tree is parsed for its expansion alone (see `Document::reparsed`). When
//! nothing can read a declaration again, its tree is moved into the expanded resource rather
//! than copied (see `TemplateScope::evaluate_tree_owned`): that holds for a declaration
//! outside copy loops, in a template that calls no `reference()` (so there is no second pass)
//! and deploys no nested template (which is read from the document by its pointer). Anything
//! else takes the plain expansion, with the same result: the same resources, values,
//! problems and budget charges, in the same order.

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
use crate::load::locate::{child_pointer, index_pointer};
use crate::load::Document;

/// [`expand_template`] of a document the caller holds alone, its declarations moved into the
/// expanded resources when nothing can read them again (see the module documentation).
pub fn expand_owned_template(
    mut doc: Arc<Document>,
    params: Option<&Document>,
    ctx: &DeploymentContext,
) -> ArmExpansion {
    let Some(declarations) = movable_declarations(&mut doc) else {
        return expand_template(&doc, params, ctx);
    };
    let values = params
        .map(|p| parameters::values(&p.json))
        .unwrap_or_default();
    let mut expander = Expander::new(&doc);
    expander.declarations_taken = true;
    let scope = TemplateScope::new(&doc.json, "", values, ctx.clone(), &expander.budget)
        .tracking_references(false);
    for (i, declaration) in declarations.into_iter().enumerate() {
        let place = Place {
            doc: &doc,
            pointer: index_pointer("/resources", i),
        };
        expander.expand_declaration_owned(&scope, declaration, &place, None);
    }
    if expander.met_deployment {
        // A resource whose type only evaluates to a deployment: expanded again from a fresh
        // tree, as if nothing had been taken.
        drop(scope);
        let fresh = Arc::new(Document {
            source: Arc::clone(&doc.source),
            json: Value::Null,
            deferred: None,
            tree_dropped: true,
        });
        return match fresh.reparsed() {
            Ok(fresh) => expand_template(&fresh, params, ctx),
            Err(problem) => ArmExpansion {
                problems: vec![*problem],
                ..ArmExpansion::default()
            },
        };
    }
    expander.collect(&scope, &doc);
    drop(scope);
    expander.finish(&doc, params)
}

/// The top-level declarations of `doc`, taken out of its tree, when they may be moved: the
/// document is held by the caller alone, calls no `reference()` and names no deployment, and
/// its `resources` is a non-empty array.
fn movable_declarations(doc: &mut Arc<Document>) -> Option<Vec<Value>> {
    let text = doc.text();
    let bytes = text.as_bytes();
    if text_mentions_reference(bytes) || mentions_word(bytes, b"deployments", 5) {
        return None;
    }
    match Arc::get_mut(doc)?.json.get_mut("resources") {
        Some(Value::Array(items)) if !items.is_empty() => Some(std::mem::take(items)),
        _ => None,
    }
}

impl Expander {
    /// `expand_declaration` of a declaration given away: one in a copy loop is evaluated once
    /// per iteration, so it is lent instead.
    fn expand_declaration_owned(
        &mut self,
        scope: &TemplateScope<'_>,
        declaration: Value,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
    ) {
        if self.met_deployment {
            return;
        }
        if declaration.get("copy").is_some_and(Value::is_object) {
            self.expand_declaration(scope, &declaration, place, parent, 0);
            return;
        }
        self.expand_instance_owned(scope, declaration, place, parent);
    }

    /// `expand_instance` of a declaration given away, outside any copy loop.
    fn expand_instance_owned(
        &mut self,
        scope: &TemplateScope<'_>,
        declaration: Value,
        place: &Place<'_>,
        parent: Option<(&str, &str)>,
    ) {
        let Some((_, assumptions)) = self.admit(scope, &declaration, place, Vec::new()) else {
            return;
        };
        let Value::Object(mut map) = declaration else {
            return;
        };
        let mut names = resource::names_of(scope, &map, place, parent);
        if names.is_deployment() {
            self.met_deployment = true;
            return;
        }
        let evaluated = std::mem::take(&mut names.evaluated);
        let id = resource_id(scope.context(), &names.resource_type, &names.name);
        let children = map.shift_remove("resources");
        let value = resource::evaluate_resource_owned(scope, map, &place.pointer, &id, evaluated);
        scope.register_reference(&id, &names.name, &value);
        let (resource_type, name) = self.record(names, id, value, place, assumptions);
        if let Some(Value::Array(children)) = children {
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
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use std::path::Path;
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::movable_declarations;
    use crate::load::{parse_document, Document};

    fn doc(json: &Value) -> Arc<Document> {
        let text = serde_json::to_string_pretty(json).unwrap();
        Arc::new(parse_document(Path::new("t.json"), "t.json", text.into_bytes()).unwrap())
    }

    #[test]
    fn declarations_are_taken_only_when_nothing_reads_them_again() {
        let plain = json!({"resources": [{"type": "t", "name": "a"}, {"type": "t", "name": "b"}]});
        let mut given = doc(&plain);
        assert_eq!(movable_declarations(&mut given).map(|d| d.len()), Some(2));
        assert_eq!(given.json["resources"], json!([]));

        let mut shared = doc(&plain);
        let _other = Arc::clone(&shared);
        assert!(movable_declarations(&mut shared).is_none());

        for kept in [
            json!({"resources": [{"type": "t", "name": "[REFERENCE('x').y]"}]}),
            json!({"resources": [{"type": "Microsoft.Resources/Deployments", "name": "d"}]}),
            json!({"resources": {"symbolic": {"type": "t", "name": "a"}}}),
            json!({"resources": []}),
            json!({"parameters": {}}),
        ] {
            let mut document = doc(&kept);
            assert!(movable_declarations(&mut document).is_none(), "{kept}");
            assert_eq!(document.json, kept);
        }
    }
}
