//! POLICY: a suggested JIT policy merged with the policy the input already has for its
//! subscription, resource group and location.
//!
//! A PUT of `.../jitNetworkAccessPolicies/{name}` replaces the policy's whole
//! `virtualMachines` list: a document listing only the unhealthy VMs would take JIT away from
//! every VM the live policy covers, without a word. So the existing policy is the starting
//! point: every entry and port object it has is written back as read, the VMs it lacks are
//! appended, and a VM it lists gains only the ports it lacks. The result records each change
//! ([`PolicyChange`]) for the documents and remediation.md. Without a policy in the input the
//! documents say to read the live one first, with the `az` command that does (values quoted
//! by [`escape::shell_word`]). Pure: no I/O.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::document::{
    port_json, ExistingPolicy, PolicyChange, PolicyEntry, PolicyVm, SuggestedPolicy, POLICY_NAME,
};
use super::suggest::{scope_of, Group};
use crate::escape;
use crate::model::access::last_segment;
use crate::model::{key, JitPolicy};

/// The policy of one scope and location to merge with, among the input's `candidates` for
/// it: Defender's `default` first, else the smallest name; every copy of it (the same policy
/// in several files), in file order.
fn chosen<'p>(candidates: &[&'p JitPolicy]) -> Vec<&'p JitPolicy> {
    let short = |p: &JitPolicy| last_segment(&p.name).to_ascii_lowercase();
    let Some(best) = candidates
        .iter()
        .map(|p| short(p))
        .min_by_key(|name| (name != POLICY_NAME, name.clone()))
    else {
        return Vec::new();
    };
    let mut copies: Vec<&JitPolicy> = candidates
        .iter()
        .copied()
        .filter(|p| short(p) == best)
        .collect();
    copies.sort_by(|a, b| {
        (a.origin.path(), &*a.origin.pointer).cmp(&(b.origin.path(), &*b.origin.pointer))
    });
    copies
}

/// The port number of a port rule object as written (a number, or digits in a string).
fn port_number(port: &Value) -> Option<u16> {
    match port.get("number")? {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Appends to `ports` the objects of `more` whose number it lacks; gives their numbers.
fn add_missing(ports: &mut Vec<Value>, more: impl IntoIterator<Item = Value>) -> Vec<u16> {
    let mut added = Vec::new();
    for port in more {
        let number = port_number(&port);
        if number.is_some() && ports.iter().any(|p| port_number(p) == number) {
            continue;
        }
        added.extend(number);
        ports.push(port);
    }
    added
}

/// The entries of the existing policy's copies, one per VM id (case-insensitive): the
/// merge so far.
struct Merge {
    entries: Vec<PolicyEntry>,
    /// VM key -> index in `entries`.
    index: HashMap<String, usize>,
    /// Per listed entry, the port numbers later duplicate entries added.
    duplicated: Vec<Vec<u16>>,
    /// Per listed entry, the port numbers jitscan added.
    added: Vec<Vec<u16>>,
}

impl Merge {
    fn of(copies: &[&JitPolicy]) -> Self {
        let mut merge = Self {
            entries: Vec::new(),
            index: HashMap::new(),
            duplicated: Vec::new(),
            added: Vec::new(),
        };
        for policy in copies {
            for vm in &policy.virtual_machines {
                let ports = vm.ports().into_iter();
                if let Some((entry, _, duplicated)) = merge.listed(&vm.id) {
                    duplicated.extend(add_missing(&mut entry.ports, ports));
                    continue;
                }
                merge.push(PolicyEntry {
                    id: vm.id.clone(),
                    name: last_segment(&vm.id).to_owned(),
                    ports: ports.collect(),
                    public_ip_address: vm.public_ip_address.clone(),
                    from_template: policy.from_template,
                });
            }
        }
        merge
    }

    /// The entry of the VM `id`, with its added and duplicated port numbers.
    fn listed(&mut self, id: &str) -> Option<(&mut PolicyEntry, &mut Vec<u16>, &mut Vec<u16>)> {
        let &i = self.index.get(&key(id))?;
        Some((
            self.entries.get_mut(i)?,
            self.added.get_mut(i)?,
            self.duplicated.get_mut(i)?,
        ))
    }

    /// Adds jitscan's VMs: a listed one gains the ports it lacks, another is appended.
    fn add_targets(&mut self, vms: &[PolicyVm]) {
        for vm in vms {
            let ports = vm.ports.iter().map(port_json);
            if let Some((entry, added, _)) = self.listed(&vm.id) {
                added.extend(add_missing(&mut entry.ports, ports));
                continue;
            }
            self.push(PolicyEntry {
                id: vm.id.clone(),
                name: vm.name.clone(),
                ports: ports.collect(),
                public_ip_address: None,
                from_template: vm.from_template,
            });
        }
    }

    fn push(&mut self, entry: PolicyEntry) {
        self.index.insert(key(&entry.id), self.entries.len());
        self.entries.push(entry);
        self.added.push(Vec::new());
        self.duplicated.push(Vec::new());
    }
}

/// The suggested policy of `group` (its VMs sorted, one per id), merged with the policy among
/// `candidates` (the input's policies of the same scope and location) when there is one.
pub(crate) fn merged(group: Group, candidates: &[&JitPolicy]) -> SuggestedPolicy {
    let copies = chosen(candidates);
    let mut merge = Merge::of(&copies);
    let listed = merge.entries.len();
    merge.add_targets(&group.vms);
    let changes = changes(&merge, listed);
    let first = copies.first();
    let existing = first.map(|p| ExistingPolicy {
        id: p.id.clone(),
        name: last_segment(&p.name).to_owned(),
        kind: p.kind.clone(),
        sources: copies.iter().map(|c| c.origin.path().to_owned()).collect(),
    });
    // The policy's own spelling of its scope goes into the path, when it is in the input.
    let (subscription, resource_group, location) = match first {
        Some(p) => {
            let (subscription, group_name) = scope_of(&p.id);
            let location = p.location.clone().unwrap_or(group.location);
            (subscription, group_name, location)
        }
        None => (group.subscription, group.resource_group, group.location),
    };
    SuggestedPolicy {
        subscription,
        resource_group,
        location,
        from_template: group.vms.iter().all(|v| v.from_template)
            && copies.iter().all(|p| p.from_template),
        name: existing
            .as_ref()
            .map_or_else(|| POLICY_NAME.to_owned(), |e| e.name.clone()),
        vms: group.vms,
        existing,
        entries: merge.entries,
        changes,
    }
}

/// The change of each entry, in order: the first `listed` come from the existing policy.
fn changes(merge: &Merge, listed: usize) -> Vec<PolicyChange> {
    let mut changes = Vec::new();
    let lists = merge.added.iter().zip(&merge.duplicated);
    for (i, (entry, (added, duplicated))) in merge.entries.iter().zip(lists).enumerate() {
        let (id, name) = (entry.id.clone(), entry.name.clone());
        if i >= listed {
            let ports = entry.ports.iter().filter_map(port_number).collect();
            changes.push(PolicyChange::AddedVm { id, name, ports });
            continue;
        }
        if !duplicated.is_empty() {
            changes.push(PolicyChange::MergedDuplicateEntries {
                id: id.clone(),
                ports: duplicated.clone(),
            });
        }
        if !added.is_empty() {
            let ports = added.clone();
            changes.push(PolicyChange::AddedPorts { id, name, ports });
        } else if duplicated.is_empty() {
            changes.push(PolicyChange::KeptVm { id });
        }
    }
    changes
}

/// The `az` command that reads the live policy, every value quoted for the shell.
pub fn show_command(policy: &SuggestedPolicy) -> String {
    format!(
        "az security jit-policy show --subscription {} --resource-group {} --location {} --name {} -o json",
        escape::shell_word(&policy.subscription),
        escape::shell_word(&policy.resource_group),
        escape::shell_word(&policy.location),
        escape::shell_word(&policy.name),
    )
}

/// One line for people: what the document keeps and adds, or that the live policy must be
/// read and merged first.
pub fn note(policy: &SuggestedPolicy) -> String {
    let command = show_command(policy);
    let Some(existing) = &policy.existing else {
        return format!(
            "No JIT policy of this resource group and location is in the input. A PUT replaces the whole virtualMachines list of policy '{}': any VM the live policy covers that this document does not list would lose JIT. Read the live policy first ({command}) and merge its virtualMachines into this document.",
            policy.name
        );
    };
    let count = |f: fn(&PolicyChange) -> bool| policy.changes.iter().filter(|c| f(c)).count();
    let added = count(|c| matches!(c, PolicyChange::AddedVm { .. }));
    let grown = count(|c| matches!(c, PolicyChange::AddedPorts { .. }));
    format!(
        "Merged with the existing JIT policy '{}' ({}) read from {}: it lists {} VM(s), kept with every port as read; {grown} of them gain ports; {added} VM(s) appended. A PUT replaces the policy's whole VM list: if the live policy may differ from the input, read it first ({command}) and merge again.",
        existing.name,
        existing.id,
        existing.sources.join(", "),
        policy.entries.len().saturating_sub(added),
    )
}

/// The `merge` member of the REST form: the existing policy (or null), the note, the command
/// that reads the live policy, and the changes.
pub fn merge_json(policy: &SuggestedPolicy) -> Value {
    let changes: Vec<Value> = policy
        .changes
        .iter()
        .map(|change| match change {
            PolicyChange::KeptVm { id } => json!({ "change": "keptVm", "vmId": id }),
            PolicyChange::AddedVm { id, name, ports } => {
                json!({ "change": "addedVm", "vmId": id, "vmName": name, "ports": ports })
            }
            PolicyChange::AddedPorts { id, name, ports } => {
                json!({ "change": "addedPorts", "vmId": id, "vmName": name, "ports": ports })
            }
            PolicyChange::MergedDuplicateEntries { id, ports } => {
                json!({ "change": "mergedDuplicateEntries", "vmId": id, "ports": ports })
            }
        })
        .collect();
    let existing = policy
        .existing
        .as_ref()
        .map(|e| json!({ "id": e.id, "name": e.name, "sources": e.sources }));
    json!({
        "existingPolicy": existing,
        "note": note(policy),
        "readLivePolicy": show_command(policy),
        "changes": changes,
    })
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
