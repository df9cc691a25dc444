//! POLICY: the NSG and firewall changes that close every open management port, and the proof.
//!
//! For each open port: a deny rule on the NSG that allowed it, at a free priority *ahead of*
//! the allowing rule (JIT itself has been seen writing its deny at 4096, behind the allow,
//! which protects nothing), or the removal of that rule when no priority is free ahead of it;
//! an NSG for an ipConfiguration that has none; the removal of a firewall DNAT rule. The plan is
//! then applied to a copy of the model and every VM re-evaluated: a plan is *proven* only when
//! each VM it touches comes out healthy with no management port open.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::classify::{classify, Classification, ReasonCode, VmResult};
use crate::eval::paths::PathKind;
use crate::eval::{evaluate_vm, Confidence, NsgLevel, NsgVerdict};
use crate::model::access::last_segment;
use crate::model::address::AddressItem;
use crate::model::network::azure_default_rules;
use crate::model::ports::PortSet;
use crate::model::{
    key, Access, Decided, Direction, Inventory, Nsg, PrivateIp, SecurityRule, Vm, VmKind,
};

/// Most planning rounds per VM (each round closes what the previous evaluation showed open).
const MAX_ROUNDS: usize = 8;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Add an inbound deny rule for `port` to an NSG, ahead of the rule that allows it.
    AddDenyRule {
        /// NSG id.
        nsg_id: String,
        /// NSG name.
        nsg: String,
        /// Subnet or NIC level.
        level: &'static str,
        /// New rule name.
        rule: String,
        /// Its priority.
        priority: u32,
        /// Port it denies.
        port: u16,
        /// Destination prefix (`*` or the VM's address).
        destination: String,
        /// The allow rule it overrides (name and priority).
        ahead_of: String,
    },
    /// Remove an allow rule (no free priority ahead of it).
    RemoveRule {
        /// NSG id.
        nsg_id: String,
        /// NSG name.
        nsg: String,
        /// Rule name.
        rule: String,
        /// Port it opened.
        port: u16,
    },
    /// Attach a new NSG (Azure's default rules only) to a NIC that has none.
    AttachNsg {
        /// NIC id.
        nic_id: String,
        /// NIC name.
        nic: String,
    },
    /// Remove a firewall DNAT rule.
    RemoveDnatRule {
        /// Firewall id.
        firewall_id: String,
        /// Firewall name.
        firewall: String,
        /// `collection/rule`.
        rule: String,
        /// Port it forwards to.
        port: u16,
    },
}

/// Whether re-evaluation after the plan closes everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Healthy, every management port closed.
    Proven,
    /// Something stays open or undecided; why.
    NotProven(String),
}

/// The plan for one VM.
#[derive(Debug, Clone)]
pub struct VmPlan {
    /// VM id.
    pub vm_id: String,
    /// VM name.
    pub vm_name: String,
    /// The file that declares the VM (ids from different templates may coincide).
    pub source: String,
    /// Changes, in order.
    pub actions: Vec<Action>,
    /// Outcome of re-evaluation with every plan of the environment applied.
    pub proof: Proof,
}

/// Plans and proves the remediation of every unhealthy VM of an environment.
pub fn plan_environment(inventory: &Inventory, ports: &[u16]) -> Vec<VmPlan> {
    let mut working = inventory.clone();
    let mut plans = Vec::new();
    for vm in inventory
        .vms
        .iter()
        .filter(|v| v.kind == VmKind::VirtualMachine)
    {
        let before = classify(evaluate_vm(inventory, vm, ports));
        if before.classification.value != Classification::Unhealthy || before.jit_policy.is_some() {
            continue;
        }
        let actions = plan_vm(&mut working, vm, ports);
        plans.push(VmPlan {
            vm_id: vm.id.clone(),
            vm_name: vm.name.clone(),
            source: vm.origin.path().to_owned(),
            actions,
            proof: Proof::Proven,
        });
    }
    let all: Vec<Action> = plans
        .iter()
        .flat_map(|p| p.actions.iter().cloned())
        .collect();
    let mut proved = inventory.clone();
    apply(&mut proved, &all);
    for plan in &mut plans {
        plan.proof = match inventory.vms.iter().find(|v| {
            v.id == plan.vm_id && v.name == plan.vm_name && v.origin.path() == plan.source
        }) {
            Some(vm) => verdict_after(&proved, vm, ports),
            None => Proof::NotProven("the VM is not in the environment".to_owned()),
        };
    }
    plans
}

/// Applies `actions` to a copy of `inventory` and re-evaluates `vm`.
pub fn prove(inventory: &Inventory, vm: &Vm, actions: &[Action], ports: &[u16]) -> Proof {
    let mut copy = inventory.clone();
    apply(&mut copy, actions);
    verdict_after(&copy, vm, ports)
}

fn verdict_after(inventory: &Inventory, vm: &Vm, ports: &[u16]) -> Proof {
    let after = classify(evaluate_vm(inventory, vm, ports));
    let open: Vec<String> = after
        .ports
        .iter()
        .filter(|p| p.open.value || p.open.confidence == Confidence::Unknown)
        .map(|p| p.port.to_string())
        .collect();
    if !open.is_empty() {
        return Proof::NotProven(format!(
            "port(s) {} still open or undecided: {}",
            open.join(", "),
            after.reason
        ));
    }
    match after.classification.value {
        Classification::Healthy => Proof::Proven,
        other => Proof::NotProven(format!(
            "classified {} after the plan: {}",
            other.as_str(),
            after.reason
        )),
    }
}

/// Iteratively derives actions for `vm`, applying them to `working` as it goes.
fn plan_vm(working: &mut Inventory, vm: &Vm, ports: &[u16]) -> Vec<Action> {
    let mut actions: Vec<Action> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let result = classify(evaluate_vm(working, vm, ports));
        let round: Vec<Action> = result
            .ports
            .iter()
            .filter(|p| p.open.value || p.open.confidence == Confidence::Unknown)
            .flat_map(|p| actions_for_port(working, vm, &result, p.port))
            .filter(|a| !actions.contains(a))
            .collect();
        if round.is_empty() {
            break;
        }
        apply(working, &round);
        actions.extend(round);
    }
    // JIT works through an NSG: a VM left with none (e.g. once a DNAT is removed) gets one.
    let after = classify(evaluate_vm(working, vm, ports));
    if after.reason_code == ReasonCode::NoNsgNoFirewall {
        let attach: Vec<Action> = vm
            .nic_ids
            .iter()
            .filter_map(Decided::known)
            .filter_map(|id| working.nics.get(&key(id)))
            .filter(|n| n.nsg.is_none())
            .map(|n| Action::AttachNsg {
                nic_id: n.id.clone(),
                nic: n.name.clone(),
            })
            .collect();
        apply(working, &attach);
        actions.extend(attach);
    }
    actions
}

fn actions_for_port(inventory: &Inventory, vm: &Vm, result: &VmResult, port: u16) -> Vec<Action> {
    let Some(evaluation) = result.ports.iter().find(|p| p.port == port) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, reaches) in &evaluation.paths {
        // A DNAT whose rules are not in the input cannot be named, so not removed.
        let known_rule = !matches!(path.reaches, crate::eval::nsg::Match::Maybe(..))
            || path.rule.as_deref() != Some("(policy rules not in the input)");
        if *reaches && path.kind == PathKind::FirewallDnat && known_rule {
            out.push(Action::RemoveDnatRule {
                firewall_id: path.via_id.clone(),
                firewall: path.via.clone(),
                rule: path.rule.clone().unwrap_or_default(),
                port,
            });
        }
    }
    let labels: BTreeSet<&str> = evaluation
        .paths
        .iter()
        .map(|(p, _)| &*p.ip_configuration)
        .chain(evaluation.evidence.iter().map(|e| &*e.ip_configuration))
        .collect();
    for label in labels {
        let entries: Vec<_> = evaluation
            .evidence
            .iter()
            .filter(|e| &*e.ip_configuration == label)
            .collect();
        if entries.is_empty() {
            let direct = evaluation.paths.iter().any(|(p, r)| {
                *r && &*p.ip_configuration == label && p.kind != PathKind::FirewallDnat
            });
            if direct && evaluation.nsg_verdict.value != NsgVerdict::Deny {
                if let Some((nic_id, nic)) = nic_of(inventory, vm, label) {
                    out.push(Action::AttachNsg { nic_id, nic });
                }
            }
            continue;
        }
        if entries.iter().any(|e| e.access == Access::Deny) {
            continue;
        }
        let chosen = entries
            .iter()
            .find(|e| e.level == NsgLevel::Nic && !e.nsg_id.is_empty())
            .or_else(|| entries.iter().find(|e| !e.nsg_id.is_empty()));
        let Some(entry) = chosen else { continue };
        let Some(nsg) = nsg_ref(inventory, &entry.nsg_id) else {
            continue;
        };
        let allow_priority = entry.priority.unwrap_or(4096);
        match free_priority_below(nsg, allow_priority) {
            Some(priority) => out.push(Action::AddDenyRule {
                nsg_id: entry.nsg_id.to_string(),
                nsg: entry.nsg.to_string(),
                level: entry.level.as_str(),
                rule: format!("jitscan-deny-{port}-{}", vm.name),
                priority,
                port,
                destination: destination_of(inventory, vm, label),
                ahead_of: format!("{} (priority {allow_priority})", entry.rule),
            }),
            None => out.push(Action::RemoveRule {
                nsg_id: entry.nsg_id.to_string(),
                nsg: entry.nsg.to_string(),
                rule: entry.rule.to_string(),
                port,
            }),
        }
    }
    out
}

/// The highest free inbound priority below `limit` (100..limit), so the deny sits just ahead.
fn free_priority_below(nsg: &Nsg, limit: u32) -> Option<u32> {
    let taken: BTreeSet<u32> = nsg
        .rules
        .iter()
        .filter(|r| r.direction.known() == Some(&Direction::Inbound))
        .filter_map(|r| r.priority.known().copied())
        .collect();
    (100..limit.min(4097)).rev().find(|p| !taken.contains(p))
}

fn nic_of(inventory: &Inventory, vm: &Vm, label: &str) -> Option<(String, String)> {
    let nic_name = label.split('/').next()?;
    vm.nic_ids
        .iter()
        .filter_map(Decided::known)
        .filter_map(|id| inventory.nics.get(&key(id)))
        .find(|n| n.name == nic_name)
        .map(|n| (n.id.clone(), n.name.clone()))
}

fn destination_of(inventory: &Inventory, vm: &Vm, label: &str) -> String {
    let mut parts = label.splitn(2, '/');
    let (nic_name, config_name) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    vm.nic_ids
        .iter()
        .filter_map(Decided::known)
        .filter_map(|id| inventory.nics.get(&key(id)))
        .filter(|n| n.name == nic_name)
        .flat_map(|n| n.ip_configs.iter())
        .find(|c| c.name == config_name)
        .and_then(|c| match c.private_ip {
            PrivateIp::Static(ip) => Some(ip.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "*".to_owned())
}

fn nsg_ref<'i>(inventory: &'i Inventory, id: &str) -> Option<&'i Nsg> {
    inventory.nsgs.get(&key(id)).or_else(|| {
        inventory
            .effective
            .iter()
            .map(|e| &e.nsg)
            .find(|n| key(&n.id) == key(id))
    })
}

fn nsg_mut<'i>(inventory: &'i mut Inventory, id: &str) -> Option<&'i mut Nsg> {
    let k = key(id);
    if inventory.nsgs.contains_key(&k) {
        return inventory.nsgs.get_mut(&k);
    }
    inventory
        .effective
        .iter_mut()
        .map(|e| &mut e.nsg)
        .find(|n| key(&n.id) == k)
}

/// Applies actions to an inventory.
pub fn apply(inventory: &mut Inventory, actions: &[Action]) {
    for action in actions {
        match action {
            Action::AddDenyRule {
                nsg_id,
                rule,
                priority,
                port,
                destination,
                ..
            } => {
                if let Some(nsg) = nsg_mut(inventory, nsg_id) {
                    nsg.rules
                        .push(deny_rule(rule, *priority, *port, destination));
                }
            }
            Action::RemoveRule { nsg_id, rule, .. } => {
                if let Some(nsg) = nsg_mut(inventory, nsg_id) {
                    nsg.rules.retain(|r| *r.name != **rule);
                }
            }
            Action::AttachNsg { nic_id, nic } => {
                let nsg_id = format!("{nic_id}-jitscan-nsg");
                let origin = inventory.nics.get(&key(nic_id)).map(|n| n.origin.clone());
                if let (Some(origin), Some(n)) = (origin, inventory.nics.get_mut(&key(nic_id))) {
                    n.nsg = Some(Decided::Known(nsg_id.clone()));
                    let nsg = Nsg {
                        id: nsg_id.clone().into(),
                        name: format!("nsg-{nic}").into(),
                        rules: Vec::new(),
                        default_rules: azure_default_rules(),
                        origin,
                    };
                    inventory.nsgs.insert(key(&nsg_id), nsg);
                }
            }
            Action::RemoveDnatRule {
                firewall_id, rule, ..
            } => remove_dnat(inventory, firewall_id, rule),
        }
    }
}

fn remove_dnat(inventory: &mut Inventory, firewall_id: &str, rule: &str) {
    let matches = |r: &crate::model::DnatRule| format!("{}/{}", r.collection, r.name) == rule;
    let mut policy = None;
    for firewall in inventory
        .firewalls
        .iter_mut()
        .filter(|f| key(&f.id) == key(firewall_id))
    {
        firewall.dnat.retain(|r| !matches(r));
        policy = firewall
            .policy
            .as_ref()
            .and_then(Decided::known)
            .map(|p| key(p));
    }
    if let Some(policy) = policy.and_then(|p| inventory.firewall_policies.get_mut(&p)) {
        policy.dnat.retain(|r| !matches(r));
    }
}

fn deny_rule(name: &str, priority: u32, port: u16, destination: &str) -> SecurityRule {
    SecurityRule {
        name: name.to_owned().into(),
        priority: Decided::Known(priority),
        direction: Decided::Known(Direction::Inbound),
        access: Decided::Known(Access::Deny),
        protocol: Decided::Known("*".to_owned()),
        sources: Decided::Known(vec![AddressItem::Any]),
        source_ports: Decided::Known(PortSet::all()),
        destinations: Decided::Known(vec![
            AddressItem::parse(destination).unwrap_or(AddressItem::Any)
        ]),
        destination_ports: Decided::Known(PortSet::single(port)),
        is_default: false,
        origin: None,
    }
}

/// One line describing an action, for people; `value` escapes every name from the input for
/// the text it goes into (`escape::verbatim` for JSON, `escape::markdown` for remediation.md).
pub fn describe(action: &Action, value: impl Fn(&str) -> Cow<'_, str>) -> String {
    match action {
        Action::AddDenyRule { nsg, level, rule, priority, port, destination, ahead_of, .. } => {
            let shared = if *level == "subnet" && destination == "*" { "; it applies to every VM in the subnet" } else { "" };
            format!("add to {level} NSG '{}' the inbound rule '{}': Deny, priority {priority}, protocol *, port {port}, source *, destination {} (evaluated before '{}'{shared})", value(nsg), value(rule), value(destination), value(ahead_of))
        }
        Action::RemoveRule { nsg, rule, port, .. } => format!("remove rule '{}' from NSG '{}' (it opens port {port} and no priority is free ahead of it)", value(rule), value(nsg)),
        Action::AttachNsg { nic, .. } => format!("attach a network security group (Azure's default rules only) to network interface '{}'", value(nic)),
        Action::RemoveDnatRule { firewall, rule, port, .. } => format!("remove DNAT rule '{}' (to port {port}) from Azure Firewall '{}'", value(rule), value(last_segment(firewall))),
    }
}
