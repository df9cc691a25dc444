//! LOAD: recognise the shape of an exported JSON document (REST, Resource Graph, az CLI,
//! effective NSGs, REST API examples). Listing its resources is `export`'s job.

use serde_json::Value;

/// The shape of an export document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportShape {
    /// One REST resource.
    RestResource,
    /// A REST list page `{ "value": [...] }`.
    RestList,
    /// An Azure Resource Graph result.
    ResourceGraph,
    /// az CLI list output (flattened properties).
    AzCli,
    /// `az network nic list-effective-nsg` output.
    EffectiveNsg,
    /// An `x-ms-examples` document from the REST API specs.
    ApiExample,
}

impl ExportShape {
    /// The input kind in reports.
    pub fn kind(self) -> &'static str {
        match self {
            Self::RestResource | Self::RestList => "restExport",
            Self::ResourceGraph => "resourceGraphExport",
            Self::AzCli => "azCliExport",
            Self::EffectiveNsg => "effectiveNsgExport",
            Self::ApiExample => "apiExample",
        }
    }
}

pub(crate) fn is_resource(value: &Value) -> bool {
    is_resource_id(value.get("id").and_then(Value::as_str))
}

pub(crate) fn is_resource_id(id: Option<&str>) -> bool {
    id.is_some_and(|id| id.contains("/providers/"))
}

fn is_effective_nsg(value: &Value) -> bool {
    let Some(list) = value.get("value").and_then(Value::as_array) else {
        return value.get("effectiveSecurityRules").is_some();
    };
    list.first()
        .is_some_and(|v| v.get("effectiveSecurityRules").is_some())
}

fn looks_like_arg_row(value: &Value) -> bool {
    value
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t == t.to_ascii_lowercase())
        && value.get("properties").is_some()
        && (value.get("subscriptionId").is_some() || value.get("tenantId").is_some())
}

/// The export shape of `json`, if it is one.
pub fn sniff(json: &Value) -> Option<ExportShape> {
    match json {
        Value::Array(items) => {
            let first = items.iter().find(|v| v.is_object())?;
            if !is_resource(first) {
                return None;
            }
            Some(if looks_like_arg_row(first) {
                ExportShape::ResourceGraph
            } else {
                ExportShape::AzCli
            })
        }
        Value::Object(map) => {
            if is_effective_nsg(json) {
                return Some(ExportShape::EffectiveNsg);
            }
            if map.contains_key("responses") && map.contains_key("parameters") {
                return example_body(json)
                    .and_then(sniff)
                    .map(|_| ExportShape::ApiExample);
            }
            if let Some(data) = map.get("data") {
                let rows = data.is_array() || data.get("rows").is_some();
                return rows.then_some(ExportShape::ResourceGraph);
            }
            if let Some(Value::Array(items)) = map.get("value") {
                return (items.is_empty() || items.iter().any(is_resource))
                    .then_some(ExportShape::RestList);
            }
            is_resource(json).then_some(ExportShape::RestResource)
        }
        _ => None,
    }
}

/// The response body of an `x-ms-examples` document (200, then 201).
pub(crate) fn example_body(json: &Value) -> Option<&Value> {
    let responses = json.get("responses")?;
    responses
        .get("200")
        .or_else(|| responses.get("201"))?
        .get("body")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_are_told_apart() {
        let id =
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n";
        assert_eq!(
            sniff(
                &json!({"id": id, "type": "Microsoft.Network/networkSecurityGroups", "properties": {}})
            ),
            Some(ExportShape::RestResource)
        );
        assert_eq!(
            sniff(&json!({"value": [{"id": id}], "nextLink": null})),
            Some(ExportShape::RestList)
        );
        assert_eq!(
            sniff(&json!([{"id": id, "resourceGroup": "g", "securityRules": []}])),
            Some(ExportShape::AzCli)
        );
        assert_eq!(
            sniff(
                &json!([{"id": id, "type": "microsoft.network/networksecuritygroups", "properties": {}, "subscriptionId": "s"}])
            ),
            Some(ExportShape::ResourceGraph)
        );
        assert_eq!(
            sniff(&json!({"count": 1, "data": [{"id": id}]})),
            Some(ExportShape::ResourceGraph)
        );
        assert_eq!(
            sniff(&json!({"data": {"columns": [{"name": "id"}], "rows": [[id]]}})),
            Some(ExportShape::ResourceGraph)
        );
        assert_eq!(
            sniff(&json!({"value": [{"effectiveSecurityRules": []}]})),
            Some(ExportShape::EffectiveNsg)
        );
        assert_eq!(sniff(&json!({"a": 1})), None);
        assert_eq!(sniff(&json!([1, 2])), None);
    }
}
