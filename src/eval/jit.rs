//! EVALUATE: JIT's own layer for a VM a JIT policy lists: the policy's port rules for it, and
//! the NSGs on its path with the rules Defender for Cloud wrote into them.
//!
//! Defender names the rules it writes `SecurityCenter-JITRule...`: the deny rule it adds for
//! every policy port when the policy is configured carries `SecurityCenter-JITRule_-...` (with
//! an underscore), the allow rule an approved request adds carries the same prefix without it
//! (docs/verdicts.md, "Is JIT doing its job"). Facts only: the rules that judge them are
//! JIT008-JIT011.

use std::sync::Arc;

use super::targets::{Slot, Target};
use super::NsgLevel;
use crate::model::address::AddressItem;
use crate::model::jit::JitPort;
use crate::model::network::UNDECIDED_RULES;
use crate::model::ports::PortSet;
use crate::model::{key, Access, Decided, JitPolicy, SecurityRule, Vm};
use crate::source::Origin;

/// The prefix of every rule name Defender for Cloud's JIT writes into an NSG.
pub const JIT_RULE_PREFIX: &str = "SecurityCenter-JITRule";

/// True when `name` is one of JIT's rules.
pub fn is_jit_rule(name: &str) -> bool {
    name.get(..JIT_RULE_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(JIT_RULE_PREFIX))
}

/// JIT's layer for one VM.
#[derive(Debug, Clone)]
pub struct JitFacts {
    /// The policy's id.
    pub policy_id: String,
    /// Its name.
    pub policy_name: String,
    /// Where it is declared.
    pub policy_origin: Origin,
    /// True when the policy is declared in a template (not yet configured in Azure).
    pub policy_from_template: bool,
    /// `publicIpAddress` of the VM's entry: JIT works through that Azure Firewall.
    pub firewall_ip: Option<String>,
    /// The VM entry's port rules.
    pub ports: Vec<JitPort>,
    /// Where the VM's entry is declared (its `ports`), when found.
    pub entry_origin: Origin,
    /// The NSGs on the VM's path, each once, in path order.
    pub nsgs: Vec<JitNsg>,
    /// Why some part of the path is not known (a NIC, subnet or NSG outside the input).
    pub unknown_path: Option<String>,
}

/// One NSG on a JIT-covered VM's path.
#[derive(Debug, Clone)]
pub struct JitNsg {
    /// Name.
    pub name: Arc<str>,
    /// Id.
    pub id: Arc<str>,
    /// Subnet or NIC.
    pub level: NsgLevel,
    /// Declaration.
    pub origin: Origin,
    /// In a template that lists `securityRules` inline: where the list is.
    pub inline_rules: Option<Origin>,
    /// True when its custom rules are not decided (an unknown `securityRules`).
    pub rules_undecided: bool,
    /// JIT's rules in it.
    pub jit_rules: Vec<JitNsgRule>,
}

/// A rule JIT wrote into an NSG.
#[derive(Debug, Clone)]
pub struct JitNsgRule {
    /// Name.
    pub name: Arc<str>,
    /// Access.
    pub access: Option<Access>,
    /// Priority.
    pub priority: Option<u32>,
    /// Destination ports.
    pub ports: Option<PortSet>,
    /// Sources as written.
    pub sources: Vec<String>,
    /// Declaration.
    pub origin: Option<Origin>,
}

fn known<T>(d: &Decided<T>) -> Option<&T> {
    match d {
        Decided::Known(v) => Some(v),
        Decided::Unknown(_) => None,
    }
}

impl JitNsgRule {
    fn of(rule: &SecurityRule) -> Self {
        Self {
            name: Arc::clone(&rule.name),
            access: known(&rule.access).copied(),
            priority: known(&rule.priority).copied(),
            ports: known(&rule.destination_ports).cloned(),
            sources: known(&rule.sources)
                .map(|items| items.iter().map(AddressItem::label).collect())
                .unwrap_or_default(),
            origin: rule.origin.clone(),
        }
    }

    /// True when it is JIT's deny for `port`.
    pub fn denies(&self, port: u16) -> bool {
        self.access == Some(Access::Deny) && self.ports.as_ref().is_some_and(|p| p.contains(port))
    }
}

/// JIT's layer for `vm`, which `policy` lists; `targets` are its ipConfigurations.
pub(crate) fn facts(policy: &JitPolicy, vm: &Vm, targets: &[Target<'_>]) -> JitFacts {
    let vm_key = key(&vm.id);
    let at = policy
        .virtual_machines
        .iter()
        .position(|e| key(&e.id) == vm_key);
    let entry = at.and_then(|i| policy.virtual_machines.get(i));
    let mut nsgs: Vec<JitNsg> = Vec::new();
    let mut unknown_path = None;
    for target in targets {
        if target.config.is_none() {
            unknown_path.get_or_insert_with(|| {
                format!("network interface {} is not in the input", target.nic_name)
            });
        }
        for slot in &target.slots {
            match slot {
                Slot::Found(level, nsg) => {
                    if nsgs.iter().any(|n| n.id == nsg.id) {
                        continue;
                    }
                    nsgs.push(JitNsg {
                        name: Arc::clone(&nsg.name),
                        id: Arc::clone(&nsg.id),
                        level: *level,
                        origin: nsg.origin.clone(),
                        inline_rules: nsg.inline_rules.clone(),
                        rules_undecided: nsg
                            .rules
                            .iter()
                            .any(|r| r.name.as_ref() == UNDECIDED_RULES),
                        jit_rules: nsg
                            .rules
                            .iter()
                            .filter(|r| is_jit_rule(&r.name))
                            .map(JitNsgRule::of)
                            .collect(),
                    });
                }
                Slot::Missing(_, why) => {
                    unknown_path.get_or_insert_with(|| why.clone());
                }
            }
        }
    }
    JitFacts {
        policy_id: policy.id.clone(),
        policy_name: policy.name.clone(),
        policy_origin: policy.origin.clone(),
        policy_from_template: policy.from_template,
        firewall_ip: entry.and_then(|e| e.public_ip_address.clone()),
        ports: entry.map(|e| e.port_rules()).unwrap_or_default(),
        entry_origin: at
            .and_then(|i| policy.entry_origins.get(i))
            .unwrap_or(&policy.origin)
            .clone(),
        nsgs,
        unknown_path,
    }
}

impl JitFacts {
    /// The policy's rule for `port`, if it lists it.
    pub fn port_rule(&self, port: u16) -> Option<&JitPort> {
        self.ports.iter().find(|p| p.number == Some(port))
    }

    /// JIT's deny rules for `port` on the path.
    pub fn denies(&self, port: u16) -> Vec<(&JitNsg, &JitNsgRule)> {
        self.nsgs
            .iter()
            .flat_map(|n| n.jit_rules.iter().map(move |r| (n, r)))
            .filter(|(_, r)| r.denies(port))
            .collect()
    }
}
