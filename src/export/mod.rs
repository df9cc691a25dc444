//! EXPORT: REST, Resource Graph and az CLI dumps of a live environment -> one inventory.
//!
//! Every export file given to one scan forms one environment keyed by resource id
//! (case-insensitive: ids from different sources differ in case). The same resource seen in
//! several files is merged once; copies that disagree are reported as a conflict and the first
//! (in path order) is kept. `az network nic list-effective-nsg` output, Azure's own effective
//! view, overrides the declared NSGs of the NIC it belongs to. Never reads files itself.

mod batches;
pub mod shape;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::diagnostic::{InputProblem, ProblemCode, Severity};
use crate::json::node::NULL;
use crate::json::Node;
use crate::json::Scratch;
use crate::limits::Limits;
pub use crate::load::shape::ExportShape;
use crate::load::Document;
use crate::map::Map;
use crate::model::access::{get_ci, items, last_segment, props, reference_id};
use crate::model::compute::Declared;
use crate::model::network::security_rule;
use crate::model::{key, Decided, EffectiveNsg, Inventory, Nsg};
use crate::rbac;
use crate::source::Origin;
pub use shape::ExportItem;

/// Keys that differ between copies of one resource without meaning a different configuration.
const VOLATILE: [&str; 5] = [
    "etag",
    "provisioningstate",
    "resourceguid",
    "changedtime",
    "createdtime",
];

/// Items of one document (all of a small one, one batch of a big one), with the index of each
/// in a big export's item array and its id's key when already computed (in parallel, for a
/// big one), and the items of the batch that could not be read.
struct Batch<'a> {
    document: usize,
    items: Vec<(ExportItem<'a>, Option<usize>, Option<String>)>,
    problems: Vec<InputProblem>,
}

/// Where a batch comes from: a whole small document, or items `first..` of a big one.
enum BatchSource<'a> {
    Whole(usize),
    Items(usize, usize, &'a [std::ops::Range<usize>]),
}

/// Where the first copy of a resource was seen.
struct First {
    document: usize,
    pointer: String,
    element: Option<usize>,
}

/// Builds the inventory of every export document given (with their shapes).
///
/// Documents are taken in order, their items in order, a batch at a time: each item whose id
/// was not seen before is turned into the model (in parallel), a copy of one seen before is
/// compared with the first and dropped. A big export's items are parsed here, a batch at a
/// time, from the text kept for locations ([`crate::load::Deferred`]), so no tree of a whole
/// export is ever held; the next batch is read while the current one is modelled. Batches
/// and the chunks modelled in parallel are as big as `limits` say.
pub fn build_inventory(
    documents: &[(Arc<Document>, ExportShape)],
    limits: &Limits,
) -> (Inventory, Vec<InputProblem>) {
    let (inventory, problems, _) = build_inventory_and_access(documents, limits);
    (inventory, problems)
}

/// [`build_inventory`], also giving the authorization items (role assignments, definitions,
/// PIM eligibilities, deny assignments) read out of the same documents, with the display
/// path of each one's file: they are not resources of the inventory (see [`crate::rbac`]).
pub fn build_inventory_and_access(
    documents: &[(Arc<Document>, ExportShape)],
    limits: &Limits,
) -> (
    Inventory,
    Vec<InputProblem>,
    Vec<(String, rbac::read::Record)>,
) {
    let mut access = Vec::new();
    let mut problems = Vec::new();
    let mut seen: Map<String, First> = Map::default();
    // Sized once for the items of the big exports: grown by doubling, its rehashes into fresh
    // pages were a twentieth of the CPU of a 100k-VM export.
    seen.reserve(
        documents
            .iter()
            .filter_map(|(document, _)| document.deferred.as_ref())
            .map(|deferred| deferred.elements.len())
            .sum(),
    );
    // The texts big exports' items are parsed from (and borrow their strings from).
    let texts: Vec<crate::load::Text> = documents
        .iter()
        .map(|(document, _)| document.text())
        .collect();
    // Resource Graph table columns of each document: the keys of its rows' items.
    let columns: Vec<Vec<String>> = documents
        .iter()
        .map(|(document, _)| match &document.deferred {
            Some(_) => shape::table_columns(&document.json),
            None => Vec::new(),
        })
        .collect();
    // Each batch's part is merged in as the next batch is read, rather than all at the end,
    // where merging 100k NICs was a tenth of a second of one core with the other idle.
    let mut inventory = Inventory::default();
    let mut sources =
        documents
            .iter()
            .enumerate()
            .flat_map(|(index, (document, _))| match &document.deferred {
                None => vec![BatchSource::Whole(index)],
                Some(deferred) => batches::of(&deferred.elements, limits)
                    .map(|(first, batch)| BatchSource::Items(index, first, batch))
                    .collect(),
            });
    let mut pending = sources
        .next()
        .map(|source| read(documents, &texts, &columns, source));
    while let Some(batch) = pending.take() {
        let next = sources.next();
        let ((), read_next) = rayon::join(
            || {
                problems.extend(batch.problems);
                let items =
                    authorization_items(batch.items, batch.document, documents, &mut access);
                let fresh = admit(items, batch.document, documents, &mut seen, &mut problems);
                if let Some((document, _)) = documents.get(batch.document) {
                    inventory.merge(convert(fresh, document, limits.model_chunk));
                }
            },
            || next.map(|source| read(documents, &texts, &columns, source)),
        );
        pending = read_next;
    }
    for (document, shape) in documents {
        if *shape == ExportShape::EffectiveNsg {
            add_effective(&mut inventory, document);
        }
    }
    inventory.finish();
    problems.append(&mut inventory.problems);
    (inventory, problems, access)
}

/// The items of a batch that are resources; the authorization items among them are read into
/// `access` (a copy of one in several files is the directory's to merge, by id).
fn authorization_items<'a>(
    items: Vec<(ExportItem<'a>, Option<usize>, Option<String>)>,
    index: usize,
    documents: &[(Arc<Document>, ExportShape)],
    access: &mut Vec<(String, rbac::read::Record)>,
) -> Vec<(ExportItem<'a>, Option<usize>, Option<String>)> {
    let Some((document, _)) = documents.get(index) else {
        return items;
    };
    let kind = |value: &Node| match value.get("type").and_then(Node::as_str) {
        Some(t) => rbac::read::ItemKind::of(t),
        None => rbac::read::ItemKind::of(&shape::resource_type(value)),
    };
    // Most exports hold no authorization item: their batches pass through untouched.
    if !items.iter().any(|entry| kind(&entry.0.value).is_some()) {
        return items;
    }
    let mut rest = Vec::with_capacity(items.len());
    for entry in items {
        match kind(&entry.0.value) {
            Some(kind) => {
                let origin = Origin {
                    document: Arc::clone(&document.source),
                    pointer: entry.0.pointer.as_str().into(),
                };
                let record = rbac::read::record(kind, &entry.0.value, origin);
                access.push((document.display.clone(), record));
            }
            None => rest.push(entry),
        }
    }
    rest
}

/// The items of one batch: listed from a small document's tree, or parsed (in parallel) from
/// a big one's text.
fn read<'a>(
    documents: &'a [(Arc<Document>, ExportShape)],
    texts: &'a [crate::load::Text],
    columns: &'a [Vec<String>],
    source: BatchSource<'a>,
) -> Batch<'a> {
    let (index, first, ranges) = match source {
        BatchSource::Whole(index) => {
            let items = documents
                .get(index)
                .map_or_else(Vec::new, |(document, shape)| {
                    shape::items(&document.json, *shape)
                        .into_iter()
                        .map(|item| (item, None, None))
                        .collect()
                });
            return Batch {
                document: index,
                items,
                problems: Vec::new(),
            };
        }
        BatchSource::Items(index, first, ranges) => (index, first, ranges),
    };
    let mut batch = Batch {
        document: index,
        items: Vec::new(),
        problems: Vec::new(),
    };
    let Some((document, _)) = documents.get(index) else {
        return batch;
    };
    let Some(deferred) = &document.deferred else {
        return batch;
    };
    let columns = columns.get(index).map_or(&[][..], Vec::as_slice);
    let whole: &'a str = texts.get(index).map_or("", |t| t);
    type Parsed<'a> = Result<Option<(ExportItem<'a>, Option<String>)>, Box<InputProblem>>;
    let parsed: Vec<Parsed<'a>> = ranges
        .par_iter()
        .enumerate()
        .map_init(Scratch::default, |scratch, (j, range)| {
            let i = first + j;
            let text = whole.get(range.clone()).unwrap_or_default();
            if text.len() > crate::load::MAX_TREE_BYTES {
                return Err(Box::new(element_problem(
                    document,
                    range.start,
                    i,
                    &format!(
                        "it is {} bytes, over the {} an item may have",
                        text.len(),
                        crate::load::MAX_TREE_BYTES
                    ),
                    "no Azure resource is this big: check that the file is what you meant to scan",
                )));
            }
            match Node::parse_with(text, scratch) {
                Ok(value) => Ok(
                    shape::element_item(value, &deferred.pointer, i, columns).map(|item| {
                        let k = item.value.get("id").and_then(Node::as_str).map(key);
                        (item, k)
                    }),
                ),
                Err(err) => Err(Box::new(element_problem(
                    document,
                    range.start,
                    i,
                    &err.to_string(),
                    "no export nests this deep: check that the file is what you meant to scan",
                ))),
            }
        })
        .collect();
    for (j, result) in parsed.into_iter().enumerate() {
        match result {
            Ok(Some((item, k))) => batch.items.push((item, Some(first + j), k)),
            Ok(None) => {}
            Err(problem) => batch.problems.push(*problem),
        }
    }
    batch
}

/// The items not seen before, in order; a copy of a resource seen before is compared with
/// the first copy (a conflict when they differ) and left out.
fn admit<'a>(
    items: Vec<(ExportItem<'a>, Option<usize>, Option<String>)>,
    index: usize,
    documents: &[(Arc<Document>, ExportShape)],
    seen: &mut Map<String, First>,
    problems: &mut Vec<InputProblem>,
) -> Vec<ExportItem<'a>> {
    let mut fresh = Vec::with_capacity(items.len());
    for (item, element, k) in items {
        let Some(id) = item.value.get("id").and_then(Node::as_str) else {
            continue;
        };
        let k = k.unwrap_or_else(|| key(id));
        if let Some(first) = seen.get(&k) {
            let first_value = first_copy(documents, first);
            if first_value.as_ref().map(digest) != Some(digest(&item.value.to_value())) {
                if let Some((first_doc, _)) = documents.get(first.document) {
                    if let Some((document, _)) = documents.get(index) {
                        problems.push(conflict(first_doc, document, &item.pointer, id));
                    }
                }
            }
            continue;
        }
        seen.insert(
            k,
            First {
                document: index,
                pointer: item.pointer.clone(),
                element,
            },
        );
        fresh.push(item);
    }
    fresh
}

/// The first copy of a resource, read again (only when a second copy is found).
fn first_copy(documents: &[(Arc<Document>, ExportShape)], first: &First) -> Option<Value> {
    let (document, shape) = documents.get(first.document)?;
    match (&document.deferred, first.element) {
        (Some(deferred), Some(i)) => {
            let text = document.text();
            let text = text.get(deferred.elements.get(i)?.clone())?;
            let value = serde_json::from_str::<Node>(text).ok()?;
            let columns = shape::table_columns(&document.json);
            shape::element_item(value, &deferred.pointer, i, &columns)
                .map(|item| item.value.to_value())
        }
        // Table rows become objects only when listed; anything else is where it points.
        _ if !first.pointer.starts_with("/data/rows/") => {
            document.json.pointer(&first.pointer).cloned()
        }
        _ => shape::items(&document.json, *shape)
            .into_iter()
            .find(|item| item.pointer == first.pointer)
            .map(|item| item.value.to_value()),
    }
}

/// Items into the model, in parallel chunks of `chunk` (each freed by the worker that read
/// it).
fn convert(items: Vec<ExportItem<'_>>, document: &Arc<Document>, chunk: usize) -> Inventory {
    Inventory::build_from(items, chunk, |inventory, item| {
        let value = &item.value;
        let id = value.get("id").and_then(Node::as_str).unwrap_or_default();
        let name = value
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_else(|| last_segment(id));
        let declared = Declared {
            id,
            name,
            declared_name: name,
            value,
            origin: Origin {
                document: Arc::clone(&document.source),
                pointer: item.pointer.as_str().into(),
            },
            assumptions: &[],
            from_template: false,
        };
        inventory.add(&shape::resource_type(value), &declared);
    })
}

/// An item of a big export that could not be parsed on its own (it nests too deep, or is
/// too big to be one tree): left out, said where, why and what to do.
fn element_problem(
    document: &Document,
    offset: usize,
    index: usize,
    why: &str,
    help: &str,
) -> InputProblem {
    let (line, column) = document.lines.line_col(&document.text(), offset);
    InputProblem {
        span: Some(crate::diagnostic::Span {
            offset,
            len: 1,
            line,
            column,
        }),
        source: Some(document.text()),
        ..InputProblem::whole_file(
            ProblemCode::TooLarge,
            Severity::Error,
            &document.display,
            format!("item {index} of the export could not be read ({why}); it was left out"),
            help,
        )
    }
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

fn conflict(first: &Document, document: &Document, pointer: &str, id: &str) -> InputProblem {
    InputProblem {
        span: Some(document.span_at(pointer, 0, 1)),
        source: Some(document.text()),
        ..InputProblem::whole_file(
            ProblemCode::ExportConflict,
            Severity::Warning,
            &document.display,
            format!(
                "{id} is also in {} with a different configuration; the copy there is used",
                first.display
            ),
            "export each resource once, or from one point in time",
        )
    }
}

/// Reads an `az network nic list-effective-nsg` document into the inventory.
fn add_effective(inventory: &mut Inventory, document: &Arc<Document>) {
    let root = Node::from_value(&document.json);
    let json = &root;
    let entries: Vec<(usize, &Node)> = match json.get("value").and_then(Node::as_array) {
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
            pointer: base.as_str().into(),
        };
        let association = get_ci(entry, "association").unwrap_or(&NULL);
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
                .and_then(Node::as_str)
                .unwrap_or("(unnamed)");
            let is_default = name.starts_with("defaultSecurityRules/");
            let mut rule = security_rule(
                raw,
                origin.child(&format!("/effectiveSecurityRules/{j}")),
                is_default,
                &mut ignored,
            );
            rule.name = name.rsplit('/').next().unwrap_or(name).to_owned().into();
            if is_default {
                defaults.push(rule)
            } else {
                rules.push(rule)
            }
        }
        let nsg = Nsg {
            id: nsg_id.clone().into(),
            name: format!("{} (effective)", last_segment(&nsg_id)).into(),
            rules,
            inline_rules: None,
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
