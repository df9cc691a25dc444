//! POLICY: which VMs a suggested JIT policy puts under JIT, with which ports, grouped by
//! subscription, resource group and location (the scope of one policy), one entry per VM.
//!
//! The unhealthy VMs of every environment are taken together: one VM can be met twice (two
//! templates deployed with the same context, or a template and an export), and is listed
//! once, with the ports of both. Each group is then merged with the input's policy for its
//! scope ([`super::merge`]). Pure: no I/O.

use std::collections::{BTreeMap, HashMap};

use super::document::{PolicyVm, PortRule, SuggestedPolicy};
use super::merge;
use crate::classify::{Classification, VmResult};
use crate::config::policy::PolicySettings;
use crate::model::{key, JitPolicy, OsType, VmKind};

fn os_default_ports(os: Option<OsType>) -> &'static [u16] {
    match os {
        Some(OsType::Windows) => &[3389, 5985, 5986],
        Some(OsType::Linux) => &[22],
        None => &[],
    }
}

/// The ports a policy covers by default: those that are (or may be) open, plus the defaults
/// for the VM's OS (3389, 5985, 5986 for Windows; 22 for Linux), sorted.
pub fn default_ports(vm: &VmResult) -> Vec<u16> {
    let mut open: Vec<u16> = vm
        .ports
        .iter()
        .filter(|p| p.open.value || p.open.confidence == crate::eval::Confidence::Unknown)
        .map(|p| p.port)
        .collect();
    open.extend_from_slice(os_default_ports(vm.os));
    open.sort_unstable();
    open.dedup();
    open
}

/// `(subscription, resource group)` of a resource id.
pub fn scope_of(id: &str) -> (String, String) {
    let parts: Vec<&str> = id.split('/').collect();
    let after = |name: &str| -> String {
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case(name))
            .and_then(|i| parts.get(i + 1))
            .map_or_else(String::new, |s| (*s).to_owned())
    };
    (after("subscriptions"), after("resourceGroups"))
}

/// What one policy is keyed by: subscription, resource group and location, compared as
/// Azure compares them (case-insensitive; a location also without spaces, `West Europe`).
pub(crate) fn scope_key(subscription: &str, group: &str, location: &str) -> [String; 3] {
    let location: String = location.chars().filter(|c| !c.is_whitespace()).collect();
    [
        subscription.to_ascii_lowercase(),
        group.to_ascii_lowercase(),
        location.to_ascii_lowercase(),
    ]
}

/// The VMs of one policy, before merging: one per id.
pub(crate) struct Group {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
    pub(crate) location: String,
    pub(crate) vms: Vec<PolicyVm>,
    /// VM key -> index in `vms`.
    index: HashMap<String, usize>,
}

impl Group {
    /// An empty group of one scope and location.
    pub(crate) fn new(subscription: String, resource_group: String, location: String) -> Self {
        Self {
            subscription,
            resource_group,
            location,
            vms: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The group with its VMs sorted by id (deterministic output), its index rebuilt.
    pub(crate) fn sorted(mut self) -> Self {
        self.vms.sort_by(|a, b| a.id.cmp(&b.id));
        self.index = (self.vms.iter().enumerate())
            .map(|(i, vm)| (key(&vm.id), i))
            .collect();
        self
    }

    /// Adds `vm`, or, for a VM already in the group (one VM met twice: by two templates, or
    /// a template and an export), the ports it adds.
    pub(crate) fn add(&mut self, vm: PolicyVm) {
        let first = self
            .index
            .get(&key(&vm.id))
            .and_then(|&i| self.vms.get_mut(i));
        let Some(first) = first else {
            self.index.insert(key(&vm.id), self.vms.len());
            self.vms.push(vm);
            return;
        };
        first.from_template &= vm.from_template;
        for rule in vm.ports {
            if !first.ports.iter().any(|p| p.number == rule.number) {
                first.ports.push(rule);
            }
        }
        first.ports.sort_by_key(|p| p.number);
    }
}

/// The VM `vm` as jitscan would list it, with the ports `settings` give it.
fn policy_vm(vm: &VmResult, settings: &PolicySettings) -> PolicyVm {
    let s = settings.for_vm(&vm.name, &vm.id);
    let mut numbers: Vec<u16> = match &s.ports {
        Some(ports) => ports.clone(),
        None => default_ports(vm),
    };
    numbers.sort_unstable();
    numbers.dedup();
    let ports = numbers
        .into_iter()
        .map(|number| PortRule {
            number,
            protocol: s.protocol.clone(),
            allowed: s.allowed_sources.clone(),
            max_request_time: s.max_request_time.clone(),
        })
        .collect();
    PolicyVm {
        id: vm.id.clone(),
        name: vm.name.clone(),
        ports,
        from_template: vm.from_template,
    }
}

/// Suggested policies for every unhealthy VM (not scale sets, not already JIT-enabled), each
/// merged with the policy of its scope and location in `existing` (the JIT policies of the
/// input), when there is one.
pub fn suggest(
    vms: &[VmResult],
    existing: &[JitPolicy],
    settings: &PolicySettings,
) -> Vec<SuggestedPolicy> {
    let mut groups: BTreeMap<[String; 3], Group> = BTreeMap::new();
    for vm in vms.iter().filter(|v| {
        v.classification.value == Classification::Unhealthy
            && v.kind == VmKind::VirtualMachine
            && v.jit_policy.is_none()
    }) {
        let (subscription, resource_group) = scope_of(&vm.id);
        let location = vm
            .location
            .clone()
            .unwrap_or_else(|| "unknown-location".to_owned());
        groups
            .entry(scope_key(&subscription, &resource_group, &location))
            .or_insert_with(|| Group::new(subscription, resource_group, location))
            .add(policy_vm(vm, settings));
    }
    let mut by_scope: BTreeMap<[String; 3], Vec<&JitPolicy>> = BTreeMap::new();
    for policy in existing {
        let (subscription, group) = scope_of(&policy.id);
        let location = policy.location.as_deref().unwrap_or_default();
        by_scope
            .entry(scope_key(&subscription, &group, location))
            .or_default()
            .push(policy);
    }
    groups
        .into_iter()
        .map(|(scope, group)| {
            let candidates = by_scope.get(&scope).map_or(&[][..], Vec::as_slice);
            merge::merged(group.sorted(), candidates)
        })
        .collect()
}
