//! ARM: references from one resource to another that the template does not declare.
//!
//! The links that decide a VM's exposure (VM -> NIC, NIC -> subnet, NSG and public IP,
//! subnet -> NSG, scale-set NIC configuration -> subnet and NSG) must point at resources the
//! scan can see. One that points elsewhere (a typo, or a resource deployed by another
//! template) is a `dangling-reference` warning at the referencing property: the verdict that
//! depends on it cannot be certain. Unknown ids are not reported (their reason already is).
//! This module only compares ids; it never builds the model.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::map::Set;

use super::expand::ArmResource;
use super::problems::{to_input_problem, PendingProblem};
use crate::diagnostic::{InputProblem, ProblemCode};
use crate::json::Node;
use crate::model::access::entry_ci;
use crate::source::{child_pointer, index_pointer};

/// Most dangling references reported per template; the rest are counted in one more.
const MAX_REPORTED: usize = 200;

/// One link to check: where it sits (keys from the resource), and what it should name.
struct Link<'a> {
    path: Vec<Step<'a>>,
    id: &'a str,
    what: &'static str,
}

/// One step of a path inside a resource: a key as written, or an array index.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// An id as ids are compared: trimmed, without a trailing slash, ASCII case ignored (no
/// lower-cased copy is made).
#[derive(Debug)]
struct Caseless<'a>(Cow<'a, str>);

impl Caseless<'_> {
    fn normal(&self) -> &str {
        self.0.trim().trim_end_matches('/')
    }
}

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.normal().eq_ignore_ascii_case(other.normal())
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The lower-cased bytes, a piece at a time: equal ids give equal pieces.
        let normal = self.normal().as_bytes();
        let mut piece = [0u8; 64];
        for chunk in normal.chunks(piece.len()) {
            if let Some(lower) = piece.get_mut(..chunk.len()) {
                lower.copy_from_slice(chunk);
                lower.make_ascii_lowercase();
                state.write(lower);
            }
        }
        state.write_usize(normal.len());
    }
}

/// Dangling references among `resources`, one warning per referencing property.
pub(crate) fn dangling(resources: &[ArmResource<'_>]) -> Vec<InputProblem> {
    let mut known: Set<Caseless<'_>> = resources
        .iter()
        .map(|r| Caseless(Cow::Borrowed(r.id.as_str())))
        .collect();
    for r in resources {
        if r.resource_type
            .eq_ignore_ascii_case("Microsoft.Network/virtualNetworks")
        {
            for (_, subnet) in children(&r.value, &["properties", "subnets"]) {
                if let Some(name) = entry_ci(subnet, "name").and_then(|(_, v)| v.as_str()) {
                    known.insert(Caseless(Cow::Owned(format!("{}/subnets/{name}", r.id))));
                }
            }
        }
    }
    let mut seen = Set::default();
    let mut out = Vec::new();
    let mut more = 0usize;
    for r in resources {
        for link in links(r) {
            if known.contains(&Caseless(Cow::Borrowed(link.id))) {
                continue;
            }
            let pointer = link
                .path
                .iter()
                .fold(r.pointer.clone(), |pointer, step| match step {
                    Step::Key(key) => child_pointer(&pointer, key),
                    Step::Index(index) => index_pointer(&pointer, *index),
                });
            if !seen.insert((Arc::as_ptr(&r.document), pointer.clone())) {
                continue;
            }
            if out.len() >= MAX_REPORTED {
                more += 1;
                continue;
            }
            let message = format!(
                "{} '{}' refers to the {} {}, which is not declared in the scanned input",
                short_type(&r.resource_type),
                r.name,
                link.what,
                link.id
            );
            out.push(to_input_problem(
                &r.document,
                PendingProblem::at(&pointer, ProblemCode::DanglingReference, message),
            ));
        }
    }
    if let (Some(first), true) = (resources.first(), more > 0) {
        out.push(to_input_problem(
            &first.document,
            PendingProblem::at(
                "",
                ProblemCode::DanglingReference,
                format!("{more} more references to resources not declared in the scanned input are not listed (at most {MAX_REPORTED} are)"),
            ),
        ));
    }
    out
}

/// The links of one resource that decide exposure.
fn links<'a>(r: &'a ArmResource<'_>) -> Vec<Link<'a>> {
    let t = r.resource_type.to_ascii_lowercase();
    let v = &r.value;
    let mut out = Vec::new();
    match t.as_str() {
        "microsoft.compute/virtualmachines" => {
            for (path, nic) in children(v, &["properties", "networkProfile", "networkInterfaces"]) {
                push_id(&mut out, path, nic, "network interface");
            }
        }
        "microsoft.network/networkinterfaces" => {
            push_ref(
                &mut out,
                v,
                &["properties", "networkSecurityGroup"],
                "network security group",
            );
            for (path, config) in children(v, &["properties", "ipConfigurations"]) {
                nested_refs(
                    &mut out,
                    &path,
                    config,
                    &[
                        ("subnet", "subnet"),
                        ("publicIPAddress", "public IP address"),
                    ],
                );
            }
        }
        "microsoft.network/virtualnetworks/subnets" => {
            push_ref(
                &mut out,
                v,
                &["properties", "networkSecurityGroup"],
                "network security group",
            );
        }
        "microsoft.network/virtualnetworks" => {
            for (path, subnet) in children(v, &["properties", "subnets"]) {
                nested_refs(
                    &mut out,
                    &path,
                    subnet,
                    &[("networkSecurityGroup", "network security group")],
                );
            }
        }
        "microsoft.compute/virtualmachinescalesets" => {
            let configs = children(
                v,
                &[
                    "properties",
                    "virtualMachineProfile",
                    "networkProfile",
                    "networkInterfaceConfigurations",
                ],
            );
            for (path, config) in configs {
                nested_refs(
                    &mut out,
                    &path,
                    config,
                    &[("networkSecurityGroup", "network security group")],
                );
                for (sub, ip) in children(config, &["properties", "ipConfigurations"]) {
                    let full: Vec<Step<'_>> = path.iter().chain(&sub).copied().collect();
                    nested_refs(&mut out, &full, ip, &[("subnet", "subnet")]);
                }
            }
        }
        _ => {}
    }
    out
}

/// `properties.<field>.id` of `value`, for each (field, what).
fn nested_refs<'a>(
    out: &mut Vec<Link<'a>>,
    base: &[Step<'a>],
    value: &'a Node<'a>,
    fields: &[(&str, &'static str)],
) {
    for (field, what) in fields {
        let mut link = Vec::new();
        push_ref(&mut link, value, &["properties", field], what);
        for mut l in link {
            l.path = base.iter().copied().chain(l.path).collect();
            out.push(l);
        }
    }
}

/// `<path>.id` of `value`.
fn push_ref<'a>(out: &mut Vec<Link<'a>>, value: &'a Node<'a>, path: &[&str], what: &'static str) {
    if let Some((keys, target)) = walk(value, path) {
        push_id(out, keys, target, what);
    }
}

/// A reference object `{"id": "..."}` (or a bare id string) at `keys`.
fn push_id<'a>(
    out: &mut Vec<Link<'a>>,
    mut keys: Vec<Step<'a>>,
    target: &'a Node<'a>,
    what: &'static str,
) {
    let id = match target {
        Node::String(s) => Some(s.as_ref()),
        other => entry_ci(other, "id").and_then(|(k, v)| {
            keys.push(Step::Key(k));
            v.as_str()
        }),
    };
    if let Some(id) = id.filter(|id| id.starts_with('/')) {
        out.push(Link {
            path: keys,
            id,
            what,
        });
    }
}

/// The value at a path of case-insensitive keys, with the keys as written.
fn walk<'a>(value: &'a Node<'a>, path: &[&str]) -> Option<(Vec<Step<'a>>, &'a Node<'a>)> {
    let mut keys = Vec::with_capacity(path.len());
    let mut at = value;
    for step in path {
        let (k, v) = entry_ci(at, step)?;
        keys.push(Step::Key(k));
        at = v;
    }
    Some((keys, at))
}

/// The elements of the array at `path`, each with its key path.
fn children<'a>(value: &'a Node<'a>, path: &[&str]) -> Vec<(Vec<Step<'a>>, &'a Node<'a>)> {
    let Some((keys, Node::Array(items))) = walk(value, path) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut k = keys.clone();
            k.push(Step::Index(i));
            (k, item)
        })
        .collect()
}

fn short_type(resource_type: &str) -> &str {
    resource_type.rsplit('/').next().unwrap_or(resource_type)
}
