//! Unknown values: what an ARM expression evaluates to when the input alone cannot decide it
//! (a parameter without default or value, `reference()` to something outside the template,
//! `listKeys`, `utcNow`, ...).
//!
//! An unknown is kept *inside* the evaluated JSON tree as a one-key object
//! `{"\u{0}jitscan-unknown": "<reason>"}` so one undecidable property never poisons its
//! siblings. The key starts with NUL, which no real template uses, so the marker cannot be
//! confused with input. Code outside `arm` must use these helpers, never the key itself.

use serde_json::{Map, Value};

use crate::json::Node;

/// The marker key. Private on purpose: use [`unknown`] and [`unknown_reason`].
const UNKNOWN_KEY: &str = "\u{0}jitscan-unknown";

impl Node<'_> {
    /// The reason, when this node is an unknown marker (see [`unknown_reason`]).
    pub fn unknown_reason(&self) -> Option<&str> {
        match self.as_object() {
            Some([(key, reason)]) if key.as_ref() == UNKNOWN_KEY => reason.as_str(),
            _ => None,
        }
    }

    /// Why this node is unknown where its value decides something, when it is a string built
    /// from a parameter left symbolic (see [`symbolic`]).
    pub fn symbolic_reason(&self) -> Option<String> {
        symbolic_parameter(self.as_str()?).map(symbolic_reason)
    }

    /// The IP configuration id, when this node is [`dynamic_private_ip`]'s unknown.
    pub fn dynamic_ip_config(&self) -> Option<&str> {
        self.unknown_reason()?
            .strip_prefix(DYNAMIC_IP_PREFIX)?
            .strip_suffix(DYNAMIC_IP_SUFFIX)
    }
}

/// Builds an unknown value carrying the reason it could not be decided.
pub fn unknown(reason: impl Into<String>) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert(UNKNOWN_KEY.to_owned(), Value::String(reason.into()));
    Value::Object(map)
}

/// The reason, when `value` itself is an unknown marker.
pub fn unknown_reason(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(UNKNOWN_KEY).and_then(Value::as_str),
        _ => None,
    }
}

/// True when `value` is an unknown marker.
pub fn is_unknown(value: &Value) -> bool {
    unknown_reason(value).is_some()
}

/// The first unknown reason found anywhere inside `value` (depth-first, bounded depth).
pub fn first_unknown_inside(value: &Value) -> Option<&str> {
    fn walk(value: &Value, depth: usize) -> Option<&str> {
        if depth > 256 {
            return None;
        }
        if let Some(reason) = unknown_reason(value) {
            return Some(reason);
        }
        match value {
            Value::Array(items) => items.iter().find_map(|v| walk(v, depth + 1)),
            Value::Object(map) => map.values().find_map(|v| walk(v, depth + 1)),
            _ => None,
        }
    }
    walk(value, 0)
}

const DYNAMIC_IP_PREFIX: &str = "private IP of ";
const DYNAMIC_IP_SUFFIX: &str = " is assigned dynamically at deployment";

/// The unknown a `reference()` to a NIC's dynamic private IP evaluates to. The model stage can
/// recognise it (see [`dynamic_ip_config`]) and infer the address from the subnet's allocation
/// order, as an *assumed* value.
pub fn dynamic_private_ip(ip_configuration_id: &str) -> Value {
    unknown(format!(
        "{DYNAMIC_IP_PREFIX}{ip_configuration_id}{DYNAMIC_IP_SUFFIX}"
    ))
}

/// The ipConfiguration id when `value` is the unknown built by [`dynamic_private_ip`].
pub fn dynamic_ip_config(value: &Value) -> Option<&str> {
    unknown_reason(value)?
        .strip_prefix(DYNAMIC_IP_PREFIX)?
        .strip_suffix(DYNAMIC_IP_SUFFIX)
}

/// The value of a string parameter the input gives no value (no default, no parameters-file
/// entry): its own expression, `[parameters('name')]`. Expressions that only build names and
/// ids from it (`format`, `concat`, `resourceId`...) carry it along, so the same expression on
/// both sides of a link names the same resource whatever value is supplied; anything that
/// decides from its value (a comparison, a port, a prefix) reads it as unknown (see
/// [`symbolic_parameter`]).
pub fn symbolic(name: &str) -> String {
    format!("{SYMBOLIC_OPEN}{name}{SYMBOLIC_CLOSE}")
}

const SYMBOLIC_OPEN: &str = "[parameters('";
const SYMBOLIC_CLOSE: &str = "')]";

/// The name of the first parameter left symbolic (see [`symbolic`]) inside `text`.
pub fn symbolic_parameter(text: &str) -> Option<&str> {
    // Every string the model reads comes here: most hold no '[' at all.
    if !text.contains('[') {
        return None;
    }
    let start = text.find(SYMBOLIC_OPEN)? + SYMBOLIC_OPEN.len();
    let rest = text.get(start..)?;
    rest.find(SYMBOLIC_CLOSE).and_then(|end| rest.get(..end))
}

/// Why a value built from a parameter left symbolic is unknown where it decides something.
pub fn symbolic_reason(name: &str) -> String {
    format!("parameter '{name}' has no value in the input, and this value depends on it")
}

/// The unknown a string holding a parameter left symbolic is, where its value decides.
pub fn symbolic_unknown(value: &Value) -> Option<Value> {
    let name = symbolic_parameter(value.as_str()?)?;
    Some(unknown(symbolic_reason(name)))
}

/// Key marking an object returned by `reference()`: reading a property it lacks gives an
/// unknown (runtime state) instead of an error.
const RUNTIME_KEY: &str = "\u{0}jitscan-runtime";

/// Marks `value` and every object inside it as a view of runtime state of the resource `id`
/// (bounded depth).
pub fn mark_runtime_state(value: &mut Value, id: &str) {
    fn mark(value: &mut Value, id: &str, depth: usize) {
        if depth > 64 || is_unknown(value) {
            return;
        }
        match value {
            Value::Object(map) => {
                map.values_mut().for_each(|v| mark(v, id, depth + 1));
                map.insert(RUNTIME_KEY.to_owned(), Value::String(id.to_owned()));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| mark(v, id, depth + 1)),
            _ => {}
        }
    }
    mark(value, id, 0);
}

/// When `map` is a runtime-state view, the unknown to return for a property it lacks.
pub fn missing_runtime_property(map: &Map<String, Value>, property: &str) -> Option<Value> {
    let id = map.get(RUNTIME_KEY)?.as_str()?;
    Some(unknown(format!(
        "'{property}' of {id} is runtime state, not in the template"
    )))
}

/// An unknown standing for `value` when it is (Deep: or contains) a runtime-state view:
/// functions that look at a whole object (length, string, equals, union...) cannot know what
/// Azure would return for it.
pub fn runtime_view_unknown(value: &Value, deep: bool) -> Option<Value> {
    fn find(value: &Value, deep: bool, depth: usize) -> Option<&str> {
        match value {
            Value::Object(map) => map.get(RUNTIME_KEY).and_then(Value::as_str).or_else(|| {
                (deep && depth < 64)
                    .then(|| map.values().find_map(|v| find(v, deep, depth + 1)))
                    .flatten()
            }),
            Value::Array(items) if deep && depth < 64 => {
                items.iter().find_map(|v| find(v, deep, depth + 1))
            }
            _ => None,
        }
    }
    find(value, deep, 0).map(|id| unknown(format!("runtime state of {id} is not in the template")))
}

/// Removes the runtime-state mark (before resources leave the `arm` module). The objects of
/// an expanded resource have unique keys, so the mark is one entry at most.
pub fn strip_runtime_marks(node: &mut Node<'_>) {
    match node {
        Node::Object(entries) => {
            if let Some(at) = entries.iter().position(|(key, _)| key == RUNTIME_KEY) {
                entries.remove(at);
            }
            entries
                .iter_mut()
                .for_each(|(_, member)| strip_runtime_marks(member));
        }
        Node::Array(items) => items.iter_mut().for_each(strip_runtime_marks),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marker_round_trips_and_is_not_confused_with_input() {
        let u = unknown("parameter 'x' has no value");
        assert_eq!(unknown_reason(&u), Some("parameter 'x' has no value"));
        assert!(!is_unknown(&json!({"jitscan-unknown": "x"})));
        assert!(!is_unknown(&json!("x")));
        let nested = json!({"a": [1, {"b": u}]});
        assert_eq!(
            first_unknown_inside(&nested),
            Some("parameter 'x' has no value")
        );
        assert_eq!(first_unknown_inside(&json!({"a": 1})), None);
    }

    #[test]
    fn a_symbolic_parameter_is_found_inside_the_names_built_from_it() {
        let nic = format!("{}-nic", symbolic("vmName"));
        assert_eq!(nic, "[parameters('vmName')]-nic");
        assert_eq!(symbolic_parameter(&nic), Some("vmName"));
        assert_eq!(symbolic_parameter("vm-nic"), None);
        assert_eq!(symbolic_parameter("[parameters('open"), None);
        assert!(symbolic_unknown(&json!(nic)).is_some_and(|u| is_unknown(&u)));
        assert!(symbolic_unknown(&json!(3)).is_none());
    }

    #[test]
    fn dynamic_ip_unknown_names_its_ip_configuration() {
        let u = dynamic_private_ip("/x/nic/ipConfigurations/ip1");
        assert_eq!(dynamic_ip_config(&u), Some("/x/nic/ipConfigurations/ip1"));
        assert_eq!(dynamic_ip_config(&unknown("other")), None);
    }

    #[test]
    fn runtime_marks_are_stripped_everywhere_and_nothing_else_is() {
        let mut view = json!({"properties": {"a": [{"b": 1}, 2], "c": {}}, "name": "x"});
        mark_runtime_state(&mut view, "/subscriptions/s/x");
        assert!(view
            .as_object()
            .is_some_and(|map| missing_runtime_property(map, "zz").is_some()));
        let mut resource = crate::json::Node::from_owned(
            json!({"id": "r", "properties": {"copy": view, "list": [view.clone(), 3]}}),
        );
        strip_runtime_marks(&mut resource);
        assert!(
            !resource.to_string().contains("jitscan-runtime"),
            "{resource}"
        );
        let plain = json!({"properties": {"a": [{"b": 1}, 2], "c": {}}, "name": "x"});
        assert_eq!(
            resource.to_value(),
            json!({"id": "r", "properties": {"copy": plain.clone(), "list": [plain, 3]}})
        );
    }
}
