//! ARM: one declaration turned into a concrete resource: its full type and name (children
//! are relative to their parent) and its evaluated body (without child resources, copy and
//! condition; a deployment's inline template is left for its own scope).

use std::borrow::Cow;

use super::Place;
use crate::arm::scope::TemplateScope;
use crate::json::Node;
use crate::source::child_pointer;

/// A declaration's full type, full name and declared name (children are relative to their
/// parent), and its `type` and `name` as evaluated, which [`evaluate_resource`] reuses so that
/// each expression is evaluated (and any problem in it reported) once.
pub(super) struct Names<'t> {
    pub(super) resource_type: String,
    pub(super) name: String,
    pub(super) declared_name: String,
    pub(super) evaluated: Vec<(&'static str, Node<'t>)>,
}

impl Names<'_> {
    /// Whether the resource is a deployment (`Microsoft.Resources/deployments`).
    pub(super) fn is_deployment(&self) -> bool {
        self.resource_type
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
    }
}

/// The [`Names`] of a declaration (an object), from its `type` and `name` members.
pub(super) fn names_of<'t>(
    scope: &TemplateScope<'_, 't>,
    decl: &Node<'t>,
    place: &Place<'_>,
    parent: Option<(&str, &str)>,
) -> Names<'t> {
    let mut evaluated = Vec::with_capacity(2);
    let declared_name = match decl.get("name") {
        Some(Node::String(s)) => s.as_ref().to_owned(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let mut text = |key: &'static str| -> String {
        let Some(raw) = decl.get(key) else {
            return Node::Null.to_string();
        };
        let value = scope.evaluate_tree(raw, &child_pointer(&place.pointer, key));
        let text = match &value {
            Node::String(s) => s.as_ref().to_owned(),
            // A name the input does not decide reads as written: `[variables('vmName')]`.
            other if key == "name" && other.unknown_reason().is_some() => declared_name.clone(),
            other => other
                .unknown_reason()
                .map_or_else(|| other.to_string(), |r| format!("(unknown: {r})")),
        };
        evaluated.push((key, value));
        text
    };
    let own_type = text("type");
    let own_name = text("name");
    let (resource_type, name) = match parent {
        Some((parent_type, parent_name)) if !own_type.contains('/') => (
            format!("{parent_type}/{own_type}"),
            format!("{parent_name}/{own_name}"),
        ),
        _ => (own_type, own_name),
    };
    Names {
        resource_type,
        name,
        declared_name,
        evaluated,
    }
}

/// Evaluates a declaration (an object; without child resources, copy, condition; a
/// deployment's inline template is left for its own scope) and sets its `id`. Members already
/// `evaluated` (its `type` and `name`, see [`Names`]) are taken as they are.
pub(super) fn evaluate_resource<'t>(
    scope: &TemplateScope<'_, 't>,
    decl: &Node<'t>,
    pointer: &str,
    id: &str,
    resource_type: &str,
    mut evaluated: Vec<(&'static str, Node<'t>)>,
) -> Node<'t> {
    let is_deployment = resource_type.eq_ignore_ascii_case("Microsoft.Resources/deployments");
    let entries = decl.as_object().unwrap_or_default();
    let mut out = Vec::with_capacity(entries.len() + 1);
    for (key, value) in entries {
        if matches!(
            key.as_ref(),
            "resources" | "copy" | "condition" | "dependsOn" | "comments"
        ) {
            continue;
        }
        if let Some(at) = evaluated.iter().position(|(k, _)| k == key) {
            out.push((key.clone(), evaluated.swap_remove(at).1));
            continue;
        }
        let child = child_pointer(pointer, key);
        let value = if is_deployment && key == "properties" {
            evaluate_deployment_properties(scope, value, &child)
        } else {
            scope.evaluate_tree(value, &child)
        };
        out.push((key.clone(), value));
    }
    // As a map insert: a declared `id` keeps its place and takes the value.
    let id = Node::String(Cow::Owned(id.to_owned()));
    match out.iter_mut().find(|(key, _)| key == "id") {
        Some(slot) => slot.1 = id,
        None => out.push((Cow::Borrowed("id"), id)),
    }
    Node::Object(out)
}

fn evaluate_deployment_properties<'t>(
    scope: &TemplateScope<'_, 't>,
    props: &Node<'t>,
    pointer: &str,
) -> Node<'t> {
    let Some(entries) = props.as_object() else {
        return scope.evaluate_tree(props, pointer);
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if key == "template" {
            continue; // evaluated in the nested deployment's own scope
        }
        let child = child_pointer(pointer, key);
        out.push((key.clone(), scope.evaluate_tree(value, &child)));
    }
    Node::Object(out)
}
