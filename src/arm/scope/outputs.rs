//! ARM: a nested or linked template's `outputs`, as `reference('<deployment>').outputs`
//! reads them.

use std::borrow::Cow;

use super::TemplateScope;
use crate::arm::unknown::unknown;
use crate::json::Node;
use crate::source::{child_pointer, escape_pointer_token};

impl<'t> TemplateScope<'_, 't> {
    /// The outputs of `template`, the template this scope reads, as the deployment returns
    /// them: `{name: {"type": .., "value": ..}}`, each value evaluated here (a `copy` output
    /// as its array); a secure output, which `reference()` never returns, is unknown. None
    /// when the template declares no outputs.
    ///
    /// Problems met here are not reported: an output matters only through a verdict that
    /// reads it, and the unknown it becomes names the error there.
    pub fn evaluate_outputs(&self, template: &Node<'t>) -> Option<Node<'t>> {
        let declared = template.get("outputs")?.as_object()?;
        let was_quiet = self.quiet.replace(true);
        let base = child_pointer(&self.base_pointer, "outputs");
        let outputs = declared
            .iter()
            .map(|(name, output)| {
                let pointer = format!("{base}/{}", escape_pointer_token(name));
                let kind = output.get("type").and_then(Node::as_str).unwrap_or("");
                let value = if kind.to_ascii_lowercase().starts_with("secure") {
                    Node::from_owned(unknown(format!(
                        "output '{name}' is secure: reference() does not return it"
                    )))
                } else {
                    self.output_value(output, &pointer)
                };
                let entry = vec![
                    (
                        Cow::Borrowed("type"),
                        Node::String(Cow::Owned(kind.to_owned())),
                    ),
                    (Cow::Borrowed("value"), value),
                ];
                (name.clone(), Node::Object(entry))
            })
            .collect();
        self.quiet.set(was_quiet);
        Some(Node::Object(outputs))
    }

    fn output_value(&self, output: &Node<'t>, pointer: &str) -> Node<'t> {
        if let Some(value) = output.get("value") {
            return self.evaluate_tree(value, &child_pointer(pointer, "value"));
        }
        let Some(copy) = output.get("copy") else {
            return Node::from_owned(unknown("the output has no value"));
        };
        let copy_pointer = child_pointer(pointer, "copy");
        let count = match self.copy_count(copy.get("count"), &child_pointer(&copy_pointer, "count"))
        {
            Ok(count) => count,
            Err(reason) => return Node::from_owned(unknown(reason)),
        };
        let Some(input) = copy.get("input") else {
            return Node::from_owned(unknown("the output's copy has no input"));
        };
        let input_pointer = child_pointer(&copy_pointer, "input");
        let items = (0..count)
            .map(|index| {
                // An output copy is read with copyIndex() and no loop name.
                self.push_loop("", index, true);
                let item = self.evaluate_tree(input, &input_pointer);
                self.pop_loop();
                item
            })
            .collect();
        Node::Array(items)
    }
}
