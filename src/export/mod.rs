//! EXPORT: REST, Resource Graph and az CLI dumps of a live environment -> one inventory.
//!
//! Every export file given to one scan forms one environment keyed by resource id
//! (case-insensitive: ids from different sources differ in case). The same resource seen in
//! several files is merged once; copies that disagree are reported as a conflict and the first
//! (in path order) is kept. `az network nic list-effective-nsg` output, Azure's own effective
//! view, overrides the declared NSGs of the NIC it belongs to. Never reads files itself.

pub mod shape;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{InputProblem, ProblemCode, Severity};
use crate::load::Document;
use crate::model::access::{get_ci, items, last_segment, props, reference_id};
use crate::model::compute::Declared;
use crate::model::network::security_rule;
use crate::model::{key, Decided, EffectiveNsg, Inventory, Nsg, Origin};
pub use shape::ExportShape;

/// Keys that differ between copies of one resource without meaning a different configuration.
const VOLATILE: [&str; 5] = [
    "etag",
    "provisioningstate",
    "resourceguid",
    "changedtime",
    "createdtime",
];

struct Seen<'a> {
    value: std::borrow::Cow<'a, Value>,
    document: &'a Arc<Document>,
    pointer: String,
}

/// Builds the inventory of every export document given (with their shapes).
pub fn build_inventory(
    documents: &[(Arc<Document>, ExportShape)],
) -> (Inventory, Vec<InputProblem>) {
    let mut problems = Vec::new();
    let mut resources: BTreeMap<String, Seen<'_>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (document, shape) in documents {
        for item in shape::items(&document.json, *shape) {
            let Some(id) = item
                .value
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let k = key(&id);
            match resources.get(&k) {
                Some(first) => {
                    if digest(&first.value) != digest(&item.value) {
                        problems.push(conflict(first, document, &item.pointer, &id));
                    }
                }
                None => {
                    order.push(k.clone());
                    resources.insert(
                        k,
                        Seen {
                            value: item.value,
                            document,
                            pointer: item.pointer,
                        },
                    );
                }
            }
        }
    }
    let mut inventory = Inventory::build_from(&order, |inventory, k| {
        let Some(seen) = resources.get(k) else {
            return;
        };
        let value = seen.value.as_ref();
        let id = value.get("id").and_then(Value::as_str).unwrap_or_default();
        let name = value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| last_segment(id));
        let declared = Declared {
            id,
            name,
            declared_name: name,
            value,
            origin: Origin {
                document: Arc::clone(&seen.document.source),
                pointer: seen.pointer.clone(),
            },
            assumptions: &[],
            from_template: false,
        };
        inventory.add(&shape::resource_type(value), &declared);
    });
    for (document, shape) in documents {
        if *shape == ExportShape::EffectiveNsg {
            add_effective(&mut inventory, document);
        }
    }
    inventory.finish();
    problems.append(&mut inventory.problems);
    (inventory, problems)
}

/// A comparable form of a resource: properties flattened, keys lower-cased, volatile keys
/// dropped, so a REST copy and an az CLI copy of the same resource compare equal.
fn digest(value: &Value) -> Value {
    fn normalise(value: &Value, depth: usize) -> Value {
        if depth > 64 {
            return Value::Null;
        }
        match value {
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                let flattened = map.iter().flat_map(|(k, v)| match (k.as_str(), v) {
                    ("properties", Value::Object(inner)) => inner.iter().collect::<Vec<_>>(),
                    _ => vec![(k, v)],
                });
                for (k, v) in flattened {
                    let lower = k.to_ascii_lowercase();
                    if VOLATILE.contains(&lower.as_str())
                        || matches!(
                            lower.as_str(),
                            "resourcegroup" | "subscriptionid" | "tenantid" | "type" | "id"
                        )
                    {
                        continue;
                    }
                    out.insert(lower, normalise(v, depth + 1));
                }
                Value::Object(
                    out.into_iter()
                        .collect::<BTreeMap<_, _>>()
                        .into_iter()
                        .collect(),
                )
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| normalise(v, depth + 1)).collect())
            }
            Value::String(s) if s.starts_with("/subscriptions/") => {
                Value::String(s.to_ascii_lowercase())
            }
            other => other.clone(),
        }
    }
    normalise(value, 0)
}

fn conflict(first: &Seen<'_>, document: &Document, pointer: &str, id: &str) -> InputProblem {
    InputProblem {
        span: Some(document.span_at(pointer, 0, 1)),
        source: Some(Arc::clone(&document.text)),
        ..InputProblem::whole_file(
            ProblemCode::ExportConflict,
            Severity::Warning,
            &document.display,
            format!(
                "{id} is also in {} with a different configuration; the copy there is used",
                first.document.display
            ),
            "export each resource once, or from one point in time",
        )
    }
}

/// Reads an `az network nic list-effective-nsg` document into the inventory.
fn add_effective(inventory: &mut Inventory, document: &Arc<Document>) {
    let json = &document.json;
    let entries: Vec<(usize, &Value)> = match json.get("value").and_then(Value::as_array) {
        Some(list) => list.iter().enumerate().collect(),
        None => vec![(0, json)],
    };
    let nic = entries.iter().find_map(|(_, e)| {
        match reference_id(get_ci(e, "association")?, "networkInterface") {
            Some(Decided::Known(id)) => Some(key(&id)),
            _ => None,
        }
    });
    for (i, entry) in entries {
        let base = if json.get("value").is_some() {
            format!("/value/{i}")
        } else {
            String::new()
        };
        let origin = Origin {
            document: Arc::clone(&document.source),
            pointer: base.clone(),
        };
        let association = get_ci(entry, "association").unwrap_or(&Value::Null);
        let subnet = match reference_id(association, "subnet") {
            Some(Decided::Known(id)) => Some(key(&id)),
            _ => None,
        };
        let nsg_id = match reference_id(entry, "networkSecurityGroup") {
            Some(Decided::Known(id)) => id,
            _ => format!("{}#effective{i}", document.display),
        };
        let mut ignored = Vec::new();
        let mut rules = Vec::new();
        let mut defaults = Vec::new();
        for (j, raw) in items(entry, "effectiveSecurityRules").iter().enumerate() {
            let name = get_ci(raw, "name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)");
            let is_default = name.starts_with("defaultSecurityRules/");
            let mut rule = security_rule(
                raw,
                origin.child(&format!("/effectiveSecurityRules/{j}")),
                is_default,
                &mut ignored,
            );
            rule.name = name.rsplit('/').next().unwrap_or(name).to_owned();
            if is_default {
                defaults.push(rule)
            } else {
                rules.push(rule)
            }
        }
        let nsg = Nsg {
            id: nsg_id.clone(),
            name: format!("{} (effective)", last_segment(&nsg_id)),
            rules,
            default_rules: defaults,
            origin,
        };
        let nic_level = reference_id(association, "networkInterface").is_some() && subnet.is_none();
        let level_is_subnet = !nic_level && inventory.nsg_is_on_subnet(&nsg_id, subnet.as_deref());
        inventory.effective.push(EffectiveNsg {
            nic: nic.clone(),
            subnet,
            on_subnet: level_is_subnet,
            nsg,
        });
        let _ = props(entry);
    }
}
