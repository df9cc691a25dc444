//! EXPORT: list the resources in an exported JSON document of a known shape (recognised by
//! `load::shape`).
//!
//! Shapes: a REST resource (`id`, `type`, `properties`), a REST list page (`value` array), an
//! Azure Resource Graph result (`data` as an object array or the older `columns` + `rows` table,
//! or a bare array of rows), az CLI list output (a bare array of flattened resources), an
//! `az network nic list-effective-nsg` result, and the `x-ms-examples` wrapper of the REST API
//! specs (`responses.200.body`). Only listing: no interpretation of what a resource means.

use std::borrow::Cow;

use serde_json::Value;

use crate::json::Node;
use crate::load::shape::{example_body, is_resource, is_resource_id, ExportShape};

/// One resource found in an export.
#[derive(Debug, Clone)]
pub struct ExportItem<'a> {
    /// The resource object (its strings borrowed; a Resource Graph table row made an object).
    pub value: Node<'a>,
    /// JSON pointer to it in its document.
    pub pointer: String,
}

/// Every resource in `json` (an export of `shape`), with its pointer.
pub fn items(json: &Value, shape: ExportShape) -> Vec<ExportItem<'_>> {
    match shape {
        ExportShape::RestResource => vec![borrowed(json, String::new())],
        ExportShape::RestList | ExportShape::AzCli => listed(json, ""),
        ExportShape::ResourceGraph => graph_rows(json),
        ExportShape::ApiExample => {
            let code = if json.pointer("/responses/200/body").is_some() {
                "200"
            } else {
                "201"
            };
            match example_body(json) {
                Some(body) if body.get("value").is_some() => {
                    listed(body, &format!("/responses/{code}/body"))
                }
                Some(body) => vec![borrowed(body, format!("/responses/{code}/body"))],
                None => Vec::new(),
            }
        }
        ExportShape::EffectiveNsg => Vec::new(),
    }
}

fn borrowed(value: &Value, pointer: String) -> ExportItem<'_> {
    ExportItem {
        value: Node::from_value(value),
        pointer,
    }
}

fn listed<'a>(json: &'a Value, base: &str) -> Vec<ExportItem<'a>> {
    let (list, prefix) = match json {
        Value::Array(items) => (items.as_slice(), base.to_owned()),
        other => (
            other
                .get("value")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice),
            format!("{base}/value"),
        ),
    };
    list.iter()
        .enumerate()
        .filter(|(_, v)| is_resource(v))
        .map(|(i, v)| borrowed(v, format!("{prefix}/{i}")))
        .collect()
}

/// The column names of a Resource Graph table (`data.columns`), empty for other shapes.
pub fn table_columns(json: &Value) -> Vec<String> {
    json.pointer("/data/columns")
        .and_then(Value::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| {
                    c.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The item that element `index` of a big export's item array at `pointer` gives, as
/// [`items`] gives it from a whole tree: a resource object, or a table row (`/data/rows`)
/// made an object by `columns`; None for an element that is not a resource.
pub fn element_item<'a>(
    value: Node<'a>,
    pointer: &str,
    index: usize,
    columns: &'a [String],
) -> Option<ExportItem<'a>> {
    let value = if pointer == "/data/rows" {
        let Node::Array(cells) = value else {
            return None;
        };
        Node::Object(
            columns
                .iter()
                .map(|c| Cow::Borrowed(c.as_str()))
                .zip(cells)
                .collect(),
        )
    } else {
        value
    };
    is_resource_id(value.get("id").and_then(Node::as_str)).then(|| ExportItem {
        value,
        pointer: format!("{pointer}/{index}"),
    })
}

fn graph_rows(json: &Value) -> Vec<ExportItem<'_>> {
    let data = match json {
        Value::Array(_) => return listed(json, ""),
        other => other.get("data"),
    };
    match data {
        Some(Value::Array(rows)) => rows
            .iter()
            .enumerate()
            .filter(|(_, v)| is_resource(v))
            .map(|(i, v)| borrowed(v, format!("/data/{i}")))
            .collect(),
        Some(table) => {
            let columns: Vec<&str> = table
                .get("columns")
                .and_then(Value::as_array)
                .map(|cols| {
                    cols.iter()
                        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            let rows = table
                .get("rows")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            rows.iter()
                .enumerate()
                .filter_map(|(i, row)| {
                    let cells = row.as_array()?;
                    let value = Node::Object(
                        columns
                            .iter()
                            .zip(cells)
                            .map(|(c, v)| (Cow::Borrowed(*c), Node::from_value(v)))
                            .collect(),
                    );
                    is_resource_id(value.get("id").and_then(Node::as_str)).then(|| ExportItem {
                        value,
                        pointer: format!("/data/rows/{i}"),
                    })
                })
                .collect()
        }
        None => Vec::new(),
    }
}

/// The resource type of an export item: its `type`, else derived from its id.
pub fn resource_type(value: &Node) -> String {
    if let Some(t) = value.get("type").and_then(Node::as_str) {
        return t.to_owned();
    }
    let id = value.get("id").and_then(Node::as_str).unwrap_or_default();
    type_from_id(id)
}

/// `/subscriptions/s/resourceGroups/g/providers/NS/t1/n1/t2/n2` -> `NS/t1/t2`.
pub fn type_from_id(id: &str) -> String {
    let Some((_, tail)) = id.rsplit_once("/providers/") else {
        return String::new();
    };
    let mut parts = tail.split('/');
    let namespace = parts.next().unwrap_or_default();
    let types: Vec<&str> = parts.step_by(2).collect();
    std::iter::once(namespace)
        .chain(types)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_rows_become_objects() {
        let id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm";
        let doc =
            json!({"data": {"columns": [{"name": "id"}, {"name": "name"}], "rows": [[id, "vm"]]}});
        let found = items(&doc, ExportShape::ResourceGraph);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].value.get("name").and_then(Node::as_str),
            Some("vm")
        );
        assert_eq!(found[0].pointer, "/data/rows/0");
    }

    #[test]
    fn types_derive_from_ids() {
        assert_eq!(type_from_id("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a"), "Microsoft.Network/virtualNetworks/subnets");
    }
}
