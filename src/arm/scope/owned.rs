//! ARM scope: evaluating a tree the caller gives away.
//!
//! A declaration evaluated once (no copy loop, no second pass) need not be copied: its tree
//! becomes the evaluated value in place. Literal strings, numbers and the objects and arrays
//! holding them are kept as they are (no allocation, no re-hashing of keys); only expression
//! strings are replaced by their values. Every step is the one [`TemplateScope::evaluate_tree`]
//! takes, in the same order: the same budget charges, nesting limits, problems and pointers,
//! and the same value. An object with a property `copy` loop is evaluated as a copy would be,
//! since its members change.

use serde_json::Value;

use super::{At, TemplateScope};

impl TemplateScope<'_> {
    /// [`TemplateScope::evaluate_tree`] of a tree that is moved into the result.
    pub fn evaluate_tree_owned(&self, value: Value, pointer: &str) -> Value {
        self.evaluate_owned(value, &At::Pointer(pointer), 0)
    }

    fn evaluate_owned(&self, value: Value, at: &At<'_>, depth: usize) -> Value {
        if let Some(stopped) = self.enter(&value, at, depth) {
            return stopped;
        }
        let result = match value {
            Value::String(text) if !text.starts_with('[') => Value::String(text),
            Value::String(text) => self.evaluate_text(&text, at),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| self.evaluate_owned(item, &At::Index(at, i), depth + 1))
                    .collect(),
            ),
            Value::Object(map)
                if map
                    .iter()
                    .any(|(key, value)| key.eq_ignore_ascii_case("copy") && value.is_array()) =>
            {
                self.evaluate_object(&map, at, depth)
            }
            Value::Object(mut map) => {
                for (key, member) in &mut map {
                    let taken = std::mem::take(member);
                    *member = self.evaluate_owned(taken, &At::Key(at, key), depth + 1);
                }
                Value::Object(map)
            }
            other => other,
        };
        self.leave();
        result
    }
}
