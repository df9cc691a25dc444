//! MODEL: reading fields from evaluated JSON the way Azure's JSON varies.
//!
//! Templates nest values under `properties`; az CLI output flattens them into the resource;
//! key casing differs between sources (`privateIPAddress` vs `privateIpAddress`). These helpers
//! look keys up exactly first, then case-insensitively, and turn unknown markers into
//! [`Decided::Unknown`].

use super::types::Decided;
use crate::json::node::{Node, NULL};

/// `value[key]`, exact match first, then the first key equal ignoring ASCII case (one pass
/// over the entries; a repeated key reads as its last entry, as serde_json keeps the last).
pub fn get_ci<'a>(value: &'a Node<'a>, key: &str) -> Option<&'a Node<'a>> {
    entry_ci(value, key).map(|(_, v)| v)
}

/// The key as written and the value of the field [`get_ci`] finds.
pub fn entry_ci<'a>(value: &'a Node<'a>, key: &str) -> Option<(&'a str, &'a Node<'a>)> {
    let entries = value.as_object()?;
    let mut folded = None;
    for (k, v) in entries.iter().rev() {
        if k.as_ref() == key {
            return Some((k, v));
        }
        if k.eq_ignore_ascii_case(key) {
            folded = Some((k.as_ref(), v));
        }
    }
    folded
}

/// `value[key]` as [`get_ci`] finds it, or `null` when absent.
pub fn field_or_null<'a>(value: &'a Node<'a>, key: &str) -> &'a Node<'a> {
    get_ci(value, key).unwrap_or(&NULL)
}

/// The resource's properties: nested `properties`, or the resource itself when flattened.
pub fn props<'a>(value: &'a Node<'a>) -> &'a Node<'a> {
    match get_ci(value, "properties") {
        Some(p) if p.is_object() => p,
        _ => value,
    }
}

/// A string field: None when absent or null; numbers and booleans are stringified.
pub fn text(value: &Node, key: &str) -> Option<Decided<String>> {
    decided_text(get_ci(value, key)?)
}

/// A value as a decided string (None for null). A string built from a template parameter
/// left symbolic is unknown: its value decides this field (ids read with [`decided_id`]).
pub fn decided_text(value: &Node) -> Option<Decided<String>> {
    match value.symbolic_reason() {
        Some(reason) => Some(Decided::Unknown(reason)),
        None => decided_id(value),
    }
}

/// A value as a decided string (None for null), a parameter left symbolic kept as written:
/// for ids and names, where the same expression names the same resource whatever its value.
pub fn decided_id(value: &Node) -> Option<Decided<String>> {
    if let Some(reason) = value.unknown_reason() {
        return Some(Decided::Unknown(reason.to_owned()));
    }
    match value {
        Node::Null => None,
        Node::String(s) => Some(Decided::Known(s.as_ref().to_owned())),
        Node::Number(n) => Some(Decided::Known(n.to_string())),
        Node::Bool(b) => Some(Decided::Known(b.to_string())),
        other => Some(Decided::Known(other.to_string())),
    }
}

/// The `id` of a sub-resource reference `{ "id": ... }` under `key` (or a bare id string).
pub fn reference_id(value: &Node, key: &str) -> Option<Decided<String>> {
    let field = get_ci(value, key)?;
    match field {
        Node::Object(_) if field.unknown_reason().is_none() => decided_id(get_ci(field, "id")?),
        other => decided_id(other),
    }
}

/// The elements of an array field (empty when absent or not an array).
pub fn items<'a>(value: &'a Node<'a>, key: &str) -> &'a [Node<'a>] {
    get_ci(value, key).and_then(Node::as_array).unwrap_or(&[])
}

/// Known ids of an array of `{ "id": ... }` references, lower-cased.
pub fn reference_keys(value: &Node, key: &str) -> Vec<String> {
    items(value, key)
        .iter()
        .filter_map(|item| match item {
            Node::String(s) => Some(s.as_ref()),
            other => get_ci(other, "id").and_then(Node::as_str),
        })
        .map(super::types::key)
        .collect()
}

/// The string items of a field that may be a string or an array of strings, as decided values.
pub fn string_list(value: &Node, key: &str) -> Option<Decided<Vec<String>>> {
    let field = get_ci(value, key)?;
    if let Some(reason) = field.unknown_reason() {
        return Some(Decided::Unknown(reason.to_owned()));
    }
    if let Some(reason) = field.symbolic_reason() {
        return Some(Decided::Unknown(reason));
    }
    match field {
        Node::Null => None,
        Node::String(s) if s.is_empty() => None,
        Node::String(s) => Some(Decided::Known(vec![s.as_ref().to_owned()])),
        Node::Array(list) if list.is_empty() => None,
        Node::Array(list) => {
            let mut out = Vec::with_capacity(list.len());
            for item in list {
                match decided_text(item) {
                    Some(Decided::Known(s)) => out.push(s),
                    Some(Decided::Unknown(r)) => return Some(Decided::Unknown(r)),
                    None => {}
                }
            }
            Some(Decided::Known(out))
        }
        other => Some(Decided::Known(vec![other.to_string()])),
    }
}

/// The parent id of a child resource id (`.../nsg/securityRules/r` -> `.../nsg`), as a key.
pub fn parent_key(id: &str) -> String {
    parent_of_key(id.trim().trim_end_matches('/')).to_ascii_lowercase()
}

/// The parent of an id that is already a key (trimmed, no trailing `/`): the text before its
/// last two segments, empty when it has fewer than three. Borrowed: looking up a child's parent
/// (a load balancer's, for each VM and port) allocates nothing.
pub fn parent_of_key(key: &str) -> &str {
    key.rfind('/')
        .and_then(|last| key.get(..last))
        .and_then(|head| head.rfind('/').and_then(|cut| head.get(..cut)))
        .unwrap_or("")
}

/// The last segment of an id.
pub fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: drop the last two `/`-separated segments of the key.
    fn parent_by_segments(id: &str) -> String {
        let k = crate::model::types::key(id);
        let mut parts: Vec<&str> = k.split('/').collect();
        parts.truncate(parts.len().saturating_sub(2));
        parts.join("/")
    }

    #[test]
    fn parent_key_drops_the_last_two_segments() {
        let cases = [
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/networkSecurityGroups/NSG/securityRules/ssh",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool/",
            "  /a/b/c/d  ",
            "/a/b",
            "a/b",
            "x/a/b",
            "a",
            "",
            "/",
            "//",
            "a//b",
            "a/b/c///",
            "/É/b/c",
        ];
        for id in cases {
            assert_eq!(parent_key(id), parent_by_segments(id), "{id:?}");
        }
        assert_eq!(
            parent_of_key(
                "/s/x/providers/microsoft.network/loadbalancers/lb/backendaddresspools/p"
            ),
            "/s/x/providers/microsoft.network/loadbalancers/lb"
        );
        assert_eq!(parent_of_key("a/b"), "");
    }
}
