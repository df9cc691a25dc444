//! ARM: one declaration turned into a concrete resource: its full type and name (children
//! are relative to their parent) and its evaluated body (without child resources, copy and
//! condition; a deployment's inline template is left for its own scope).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::Place;
use crate::arm::scope::TemplateScope;
use crate::arm::unknown::unknown_reason;
use crate::json::Node;
use crate::source::child_pointer;

/// A declaration's full type, full name and declared name (children are relative to their
/// parent), and its `type` and `name` as evaluated, which [`evaluate_resource`] reuses so that
/// each expression is evaluated (and any problem in it reported) once.
pub(super) struct Names {
    pub(super) resource_type: String,
    pub(super) name: String,
    pub(super) declared_name: String,
    pub(super) evaluated: Vec<(&'static str, Value)>,
}

impl Names {
    /// Whether the resource is a deployment (`Microsoft.Resources/deployments`).
    pub(super) fn is_deployment(&self) -> bool {
        self.resource_type
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
    }
}

/// A member of a declaration as written: in a tree that is lent, or given (see `owned`).
#[derive(Clone, Copy)]
pub(super) enum Member<'a> {
    Value(&'a Value),
    Node(&'a Node<'a>),
}

impl Member<'_> {
    fn evaluate(self, scope: &TemplateScope<'_>, pointer: &str) -> Value {
        match self {
            Member::Value(value) => scope.evaluate_tree(value, pointer),
            Member::Node(node) => scope.evaluate_node_tree(node, pointer),
        }
    }

    /// The member's text: a string as it is, anything else as compact JSON.
    fn text(self) -> String {
        match self {
            Member::Value(Value::String(s)) => s.clone(),
            Member::Node(Node::String(s)) => s.as_ref().to_owned(),
            Member::Value(other) => other.to_string(),
            Member::Node(other) => other.to_string(),
        }
    }
}

/// The [`Names`] of a declaration, from its `type` and `name` members.
pub(super) fn names_of(
    scope: &TemplateScope<'_>,
    [raw_type, raw_name]: [Option<Member<'_>>; 2],
    place: &Place<'_>,
    parent: Option<(&str, &str)>,
) -> Names {
    let mut evaluated = Vec::with_capacity(2);
    let mut text = |key: &'static str, raw: Option<Member<'_>>| -> String {
        let Some(raw) = raw else {
            return Value::Null.to_string();
        };
        let value = raw.evaluate(scope, &child_pointer(&place.pointer, key));
        let text = match &value {
            Value::String(s) => s.clone(),
            other => unknown_reason(other)
                .map_or_else(|| other.to_string(), |r| format!("(unknown: {r})")),
        };
        evaluated.push((key, value));
        text
    };
    let declared_name = raw_name.map(Member::text).unwrap_or_default();
    let own_type = text("type", raw_type);
    let own_name = text("name", raw_name);
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

/// Evaluates a declaration (without child resources, copy, condition; a deployment's inline
/// template is left for its own scope) and sets its `id`. Members already `evaluated` (its
/// `type` and `name`, see [`Names`]) are taken as they are.
pub(super) fn evaluate_resource(
    scope: &TemplateScope<'_>,
    map: &Map<String, Value>,
    pointer: &str,
    id: &str,
    resource_type: &str,
    mut evaluated: Vec<(&'static str, Value)>,
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
        if let Some(at) = evaluated.iter().position(|(k, _)| k == key) {
            out.insert(key.clone(), evaluated.swap_remove(at).1);
            continue;
        }
        let child = child_pointer(pointer, key);
        let value = if is_deployment && key == "properties" {
            evaluate_deployment_properties(scope, value, &child)
        } else {
            scope.evaluate_tree(value, &child)
        };
        out.insert(key.clone(), value);
    }
    out.insert("id".to_owned(), Value::String(id.to_owned()));
    Value::Object(out)
}

/// [`evaluate_resource`] of a declaration that is moved into the result (see
/// [`TemplateScope::evaluate_tree_owned`]); not for a deployment, whose declaration its nested
/// template is read from.
pub(super) fn evaluate_resource_owned<'t>(
    scope: &TemplateScope<'_>,
    mut entries: Vec<(Cow<'t, str>, Node<'t>)>,
    pointer: &str,
    id: &str,
    mut evaluated: Vec<(&'static str, Value)>,
) -> Node<'t> {
    entries.retain(|(key, _)| {
        !matches!(
            key.as_ref(),
            "resources" | "copy" | "condition" | "dependsOn" | "comments"
        )
    });
    for (key, value) in &mut entries {
        if let Some(at) = evaluated.iter().position(|(k, _)| k == key) {
            *value = Node::from_owned(evaluated.swap_remove(at).1);
            continue;
        }
        let taken = std::mem::take(value);
        *value = scope.evaluate_tree_owned(taken, &child_pointer(pointer, key));
    }
    // As a map insert: a declared `id` keeps its place and takes the value.
    let id = Node::String(Cow::Owned(id.to_owned()));
    match entries.iter_mut().find(|(key, _)| key == "id") {
        Some(slot) => slot.1 = id,
        None => entries.push((Cow::Borrowed("id"), id)),
    }
    Node::Object(entries)
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
        let child = child_pointer(pointer, key);
        out.insert(key.clone(), scope.evaluate_tree(value, &child));
    }
    Value::Object(out)
}
