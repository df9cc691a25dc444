//! ARM scope: evaluating a tree the caller gives away.
//!
//! A declaration evaluated once (no copy loop, no second pass) need not be copied: its tree,
//! read from the template's text as a [`Node`], becomes the evaluated value in place. Literal
//! strings (borrowed from the text), numbers and the objects and arrays holding them are kept
//! as they are; only expression strings are replaced by their values. Every step is the one
//! [`TemplateScope::evaluate_tree`] takes, in the same order: the same budget charges, nesting
//! limits, problems and pointers, and the same value. An object with a property `copy` loop
//! is evaluated as a copy would be, since its members change.

use serde_json::Value;

use super::{At, TemplateScope, NODE_WEIGHT};
use crate::json::Node;

impl TemplateScope<'_> {
    /// [`TemplateScope::evaluate_tree`] of a tree that is moved into the result. Its objects
    /// must have unique keys (see [`Node::parse_unique`]), as a `Value`'s have.
    pub fn evaluate_tree_owned<'t>(&self, node: Node<'t>, pointer: &str) -> Node<'t> {
        self.evaluate_owned(node, &At::Pointer(pointer), 0)
    }

    /// [`TemplateScope::evaluate_tree`] of a node that is only read.
    pub fn evaluate_node_tree(&self, node: &Node<'_>, pointer: &str) -> Value {
        match node {
            Node::String(text) => {
                let at = At::Pointer(pointer);
                if let Some(stopped) = self.enter(node_weight(node), &at, 0) {
                    return stopped;
                }
                let result = self.evaluate_text(text, &at);
                self.leave();
                result
            }
            other => self.evaluate_tree(&other.to_value(), pointer),
        }
    }

    fn evaluate_owned<'t>(&self, node: Node<'t>, at: &At<'_>, depth: usize) -> Node<'t> {
        if let Some(stopped) = self.enter(node_weight(&node), at, depth) {
            return Node::from_owned(stopped);
        }
        let result = match node {
            Node::String(text) if !text.starts_with('[') => Node::String(text),
            Node::String(text) => Node::from_owned(self.evaluate_text(&text, at)),
            Node::Array(mut items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let taken = std::mem::take(item);
                    *item = self.evaluate_owned(taken, &At::Index(at, i), depth + 1);
                }
                Node::Array(items)
            }
            Node::Object(entries)
                if entries.iter().any(|(key, value)| {
                    key.eq_ignore_ascii_case("copy") && matches!(value, Node::Array(_))
                }) =>
            {
                match Node::Object(entries).to_value() {
                    Value::Object(map) => Node::from_owned(self.evaluate_object(&map, at, depth)),
                    other => Node::from_owned(other),
                }
            }
            Node::Object(mut entries) => {
                for (key, member) in &mut entries {
                    let taken = std::mem::take(member);
                    *member = self.evaluate_owned(taken, &At::Key(at, key), depth + 1);
                }
                Node::Object(entries)
            }
            other => other,
        };
        self.leave();
        result
    }
}

/// What opening a node costs the budget, as for the `Value` it stands for.
fn node_weight(node: &Node<'_>) -> usize {
    match node {
        Node::String(s) => NODE_WEIGHT.saturating_add(s.len()),
        _ => NODE_WEIGHT,
    }
}
