//! POLICY: the NSG and firewall changes that close every open management port, chosen for
//! least collateral, and the proof.
//!
//! For each allow rule that opens a management port of a target VM to the Internet, three
//! edits are tried on a copy of the model, in this order: narrow the rule (take the
//! management ports out of its ports, splitting ranges: `20-25` becomes `20-21,23-25`), or
//! delete it when it opens nothing else; then a deny for source `Internet` placed after the
//! rules that allow specific sources and before the allow, at a priority no other rule of
//! the NSG holds (JIT has been seen writing its deny at 4096, behind the allow, which
//! protects nothing). The first edit that changes nothing else is taken; when each changes
//! something else, the one that changes least, and the plan lists what (see `collateral`).
//! A VM with no NSG on a path in gets one for its NIC; a firewall DNAT rule to it is removed.
//! Targets are unhealthy VMs without JIT and VMs that the Internet reaches with no NSG at all.
//! A port an AlwaysAllow security admin rule (Azure Virtual Network Manager) opens gets no
//! edit: that rule acts before every NSG rule, so a note names it, its network manager and
//! what to change there, and the plan stays unproven.
//!
//! The proof applies every change of the environment to the model and re-evaluates every VM:
//! each target must come out with no management port open, and every other difference must
//! be listed by a plan, or the plan is not proven.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Value};

use super::collateral::{differences, reach, ProbeKey, ProbeSource};
use super::rule_body::{declared_body, deny_body, set_port_ranges, valid_rule_name};
use crate::classify::{classify, Classification, ReasonCode, VmResult};
use crate::eval::addresses::items_cover_public;
use crate::eval::paths::{PathKind, PathRule};
use crate::eval::targets::{targets_of, Slot};
use crate::eval::{evaluate_vm, Confidence, NsgEvidence, NsgLevel, NsgVerdict};
use crate::model::address::AddressItem;
use crate::model::network::azure_default_rules;
use crate::model::ports::PortSet;
use crate::model::{
    key, Access, Decided, Direction, Inventory, Nsg, PrivateIp, SecurityRule, Vm, VmKind,
};

/// Most planning rounds per VM (each round closes what the previous evaluation showed open).
const MAX_ROUNDS: usize = 8;

/// What a change does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A new rule or NSG.
    Add,
    /// An existing rule edited.
    Modify,
    /// An existing rule removed.
    Delete,
}

impl Operation {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Modify => "modify",
            Self::Delete => "delete",
        }
    }
}

/// What the change does to the model, to re-evaluate it.
#[derive(Debug, Clone)]
enum Effect {
    AddRule(Box<SecurityRule>),
    SetPorts {
        rule: Arc<str>,
        ports: PortSet,
    },
    RemoveRule {
        rule: Arc<str>,
    },
    AttachNsg {
        nic_id: String,
        nsg_id: String,
        nsg_name: String,
    },
    RemoveDnat {
        rule: String,
    },
}

/// One change to one resource.
#[derive(Debug, Clone)]
pub struct Change {
    /// The operation.
    pub operation: Operation,
    /// `securityRule`, `networkSecurityGroup` (a new NSG for a NIC) or `firewallDnatRule`.
    pub resource: &'static str,
    /// The NSG (for a rule), the NIC (for a new NSG) or the firewall.
    pub parent_id: String,
    /// Its name.
    pub parent_name: String,
    /// The rule in REST shape before (None for an add).
    pub before: Option<Value>,
    /// After (None for a delete).
    pub after: Option<Value>,
    /// Names of the VMs behind the changed resource.
    pub affected_vms: Vec<String>,
    /// Why.
    pub reason: String,
    /// Where the rule is declared (file:line), for an edit of a template.
    pub declared_at: Option<String>,
    /// True when the rule comes from a template: edit the template, not the live resource.
    pub from_template: bool,
    effect: Effect,
}

/// Whether re-evaluation after the plan closes everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Every management port closed; any other change is listed in the plan.
    Proven,
    /// Something stays open or undecided, or changed without being listed; why.
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
    /// The rule that raised it: `JIT001` (unhealthy) or `JIT002` (no NSG).
    pub finding: &'static str,
    /// Changes made for it, in order.
    pub changes: Vec<Change>,
    /// What else the changes change (other VMs, other ports, named sources), accepted.
    pub collateral: Vec<String>,
    /// Edits jitscan could not make, and what would make them possible.
    pub notes: Vec<String>,
    /// Outcome of re-evaluation with every plan of the environment applied.
    pub proof: Proof,
}

/// A VM to remediate, with the finding that makes it one.
fn target_finding(result: &VmResult) -> Option<&'static str> {
    if result.kind != VmKind::VirtualMachine {
        return None;
    }
    match result.classification.value {
        Classification::Unhealthy if result.jit_policy.is_none() => Some("JIT001"),
        Classification::NotApplicable
            if result.reason_code == ReasonCode::NoNsgNoFirewall && result.internet_exposed() =>
        {
            Some("JIT002")
        }
        _ => None,
    }
}

/// Plans and proves the remediation of every target VM of an environment.
pub fn plan_environment(inventory: &Inventory, ports: &[u16]) -> Vec<VmPlan> {
    let targets: Vec<(&Vm, &'static str)> = inventory
        .vms
        .iter()
        .filter_map(|vm| {
            Some((
                vm,
                target_finding(&classify(evaluate_vm(inventory, vm, ports)))?,
            ))
        })
        .collect();
    let target_ids: BTreeSet<(String, String)> = targets
        .iter()
        .map(|(vm, _)| (key(&vm.id), vm.name.clone()))
        .collect();
    let mut planner = Planner {
        working: inventory.clone(),
        ports,
        targets: &target_ids,
    };
    let mut plans: Vec<VmPlan> = targets
        .iter()
        .map(|(vm, finding)| {
            let (changes, collateral, notes) = planner.plan_vm(vm);
            VmPlan {
                vm_id: vm.id.clone(),
                vm_name: vm.name.clone(),
                source: vm.origin.path().to_owned(),
                finding,
                changes,
                collateral,
                notes,
                proof: Proof::Proven,
            }
        })
        .collect();
    prove_all(inventory, &mut plans, ports, &target_ids);
    plans
}

struct Planner<'p> {
    working: Inventory,
    ports: &'p [u16],
    targets: &'p BTreeSet<(String, String)>,
}

impl Planner<'_> {
    fn plan_vm(&mut self, vm: &Vm) -> (Vec<Change>, Vec<String>, Vec<String>) {
        let mut changes = Vec::new();
        let mut collateral = Vec::new();
        let mut notes = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let result = classify(evaluate_vm(&self.working, vm, self.ports));
            let round = self.changes_for(vm, &result, &mut notes);
            if round.is_empty() {
                break;
            }
            for (change, side) in round {
                apply(&mut self.working, std::slice::from_ref(&change));
                changes.push(change);
                collateral.extend(side);
            }
        }
        // JIT works through an NSG: a VM left with none (a DNAT removed, or none to begin
        // with) gets one on each NIC that has none.
        let after = classify(evaluate_vm(&self.working, vm, self.ports));
        if after.reason_code == ReasonCode::NoNsgNoFirewall {
            for change in self.attach_nsgs(vm) {
                collateral.push(format!("{}: every inbound port of network interface '{}' from the Internet is now denied (Azure's default rules); add allow rules for the services it serves", vm.name, change.parent_name));
                apply(&mut self.working, std::slice::from_ref(&change));
                changes.push(change);
            }
        }
        notes.sort();
        notes.dedup();
        (changes, collateral, notes)
    }

    /// The changes of one round: for each open port, each reason it is open.
    fn changes_for(
        &self,
        vm: &Vm,
        result: &VmResult,
        notes: &mut Vec<String>,
    ) -> Vec<(Change, Vec<String>)> {
        let mut out: Vec<(Change, Vec<String>)> = Vec::new();
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        // Security admin rules that open ports, with the ports: no NSG edit closes them.
        // Whether one of them is open for certain (or assumed), not only maybe.
        let mut admin: BTreeMap<(String, String), (&NsgEvidence, BTreeSet<u16>, bool)> =
            BTreeMap::new();
        for evaluation in result
            .ports
            .iter()
            .filter(|p| p.open.value || p.open.confidence == Confidence::Unknown)
        {
            for (path, reaches) in evaluation.paths.iter() {
                if *reaches && path.kind == PathKind::FirewallDnat {
                    // "(unnamed)/..." (a rule of a collection without a name) was never named
                    // in a change either; kept so: whether it should be is a change of its own.
                    if let Some(PathRule::Named(rule)) =
                        path.rule.as_ref().filter(|r| !r.as_str().starts_with('('))
                    {
                        if seen.insert((path.via_id.clone(), rule.to_owned())) {
                            let mut change = remove_dnat_change(path, rule, evaluation.port);
                            change.affected_vms = vec![vm.name.clone()];
                            change.from_template = vm.from_template;
                            out.push((change, Vec::new()));
                        }
                    }
                }
            }
            if evaluation.nsg_verdict.value == NsgVerdict::Unfiltered {
                continue;
            }
            for entry in evaluation
                .evidence
                .iter()
                .filter(|e| e.access == Access::Allow && !e.default_rule)
            {
                if entry.level == NsgLevel::NetworkManager {
                    let opened = admin
                        .entry((key(&entry.nsg_id), entry.rule.to_string()))
                        .or_insert_with(|| (entry, BTreeSet::new(), false));
                    opened.1.insert(evaluation.port);
                    opened.2 |= evaluation.open.value;
                    continue;
                }
                if !seen.insert((key(&entry.nsg_id), entry.rule.to_string())) {
                    continue;
                }
                match self.close_rule(vm, &entry.nsg_id, &entry.rule) {
                    Some(best) => out.push(best),
                    None => notes.push(format!(
                        "rule '{}' of NSG '{}' (priority {}) could not be edited: its ports are not decided by the input, and no priority is free for a deny ahead of it; renumber the rules ahead of it (or give it a higher priority number) to make room, or edit it by hand",
                        entry.rule,
                        entry.nsg,
                        entry.priority.map_or_else(|| "unknown".to_owned(), |p| p.to_string())
                    )),
                }
            }
        }
        notes.extend(
            admin
                .values()
                .map(|(entry, ports, established)| admin_rule_note(entry, ports, *established)),
        );
        out
    }

    /// The least-collateral edit that stops `rule` of `nsg_id` opening management ports.
    fn close_rule(&self, vm: &Vm, nsg_id: &str, rule_name: &str) -> Option<(Change, Vec<String>)> {
        let nsg = nsg_ref(&self.working, nsg_id)?;
        let rule = nsg.rules.iter().find(|r| *r.name == *rule_name)?;
        let candidates: Vec<Change> = [
            self.narrow_or_delete(vm, nsg, rule),
            self.deny_ahead(vm, nsg, rule),
        ]
        .into_iter()
        .flatten()
        .collect();
        let affected = vms_behind(&self.working, nsg_id);
        let mut best: Option<(Change, Vec<String>)> = None;
        for mut candidate in candidates {
            candidate.affected_vms = affected.iter().map(|v| v.name.clone()).collect();
            let side = self.collateral_of(&affected, &candidate);
            let better = best.as_ref().is_none_or(|(_, b)| side.len() < b.len());
            if better {
                let done = side.is_empty();
                best = Some((candidate, side));
                if done {
                    break;
                }
            }
        }
        best
    }

    fn collateral_of(&self, affected: &[&Vm], change: &Change) -> Vec<String> {
        let mut after = self.working.clone();
        apply(&mut after, std::slice::from_ref(change));
        let targets = self.targets;
        let ports = self.ports;
        affected
            .iter()
            .flat_map(|vm| {
                let is_target = targets.contains(&(key(&vm.id), vm.name.clone()));
                let expected = |k: &ProbeKey| {
                    is_target && k.2 == ProbeSource::Internet && ports.contains(&k.1)
                };
                differences(
                    &vm.name,
                    &reach(&self.working, vm, ports),
                    &reach(&after, vm, ports),
                    expected,
                )
            })
            .collect()
    }

    /// Narrow the rule's ports, or delete it when the management ports are all it opens.
    fn narrow_or_delete(&self, vm: &Vm, nsg: &Nsg, rule: &SecurityRule) -> Option<Change> {
        let Decided::Known(ports) = &rule.destination_ports else {
            return None;
        };
        let mgmt = PortSet::from_ranges(self.ports.iter().map(|&p| (p, p)));
        let left = ports.minus(&mgmt);
        let before = declared_body(rule);
        let common = |operation, after, effect, reason| Change {
            operation,
            resource: "securityRule",
            parent_id: nsg.id.to_string(),
            parent_name: nsg.name.to_string(),
            before: Some(before.clone()),
            after,
            affected_vms: Vec::new(),
            reason,
            declared_at: declared_at(rule),
            from_template: vm.from_template,
            effect,
        };
        let closed = ports.intersect(&mgmt);
        if left.is_empty() {
            return Some(common(
                Operation::Delete,
                None,
                Effect::RemoveRule { rule: Arc::clone(&rule.name) },
                format!("rule '{}' opens management port(s) {closed} of {} and nothing else: removed; just-in-time access opens them on request", rule.name, vm.name),
            ));
        }
        let mut after = before.clone();
        if let Some(props) = after.get_mut("properties").and_then(Value::as_object_mut) {
            set_port_ranges(props, "destination", &left);
        }
        Some(common(
            Operation::Modify,
            Some(after),
            Effect::SetPorts { rule: Arc::clone(&rule.name), ports: left.clone() },
            format!("rule '{}' also opens management port(s) {closed} of {}: narrowed to {left}, which it keeps opening", rule.name, vm.name),
        ))
    }

    /// A deny for source `Internet` after the rules allowing specific sources and before
    /// the allow, at a priority no inbound rule of the NSG holds.
    fn deny_ahead(&self, vm: &Vm, nsg: &Nsg, rule: &SecurityRule) -> Option<Change> {
        let allow_priority = *rule.priority.known()?;
        let Decided::Known(ports) = &rule.destination_ports else {
            return None;
        };
        let mgmt = PortSet::from_ranges(self.ports.iter().map(|&p| (p, p)));
        let closed = ports.intersect(&mgmt);
        let floor = nsg
            .rules
            .iter()
            .filter(|r| r.direction.known() == Some(&Direction::Inbound))
            .filter(|r| r.access.known() == Some(&Access::Allow) && specific_sources(r))
            .filter_map(|r| r.priority.known().copied())
            .filter(|p| *p < allow_priority)
            .max()
            .unwrap_or(99);
        let taken = inbound_priorities(nsg);
        let priority = (floor + 1..allow_priority)
            .rev()
            .find(|p| (100..=4096).contains(p) && !taken.contains(p))?;
        let destination = destination_of(&self.working, vm);
        let name = valid_rule_name(&format!("jitscan-deny-internet-{}", vm.name));
        let body = deny_body(&name, priority, &closed, &destination);
        Some(Change {
            operation: Operation::Add,
            resource: "securityRule",
            parent_id: nsg.id.to_string(),
            parent_name: nsg.name.to_string(),
            before: None,
            after: Some(body),
            affected_vms: Vec::new(),
            reason: format!("deny management port(s) {closed} of {} from the Internet at priority {priority}, before '{}' (priority {allow_priority}) and after every rule that allows specific sources", vm.name, rule.name),
            declared_at: None,
            from_template: vm.from_template,
            effect: Effect::AddRule(Box::new(deny_rule(&name, priority, &closed, &destination))),
        })
    }

    fn attach_nsgs(&self, vm: &Vm) -> Vec<Change> {
        vm.nic_ids
            .iter()
            .filter_map(Decided::known)
            .filter_map(|id| self.working.nics.get(&key(id)))
            .filter(|n| n.nsg.is_none())
            .map(|nic| {
                let nsg_name = valid_rule_name(&format!("nsg-{}", nic.name));
                let nsg_id = match nic.id.rsplit_once("/providers/") {
                    Some((scope, _)) => format!("{scope}/providers/Microsoft.Network/networkSecurityGroups/{nsg_name}"),
                    None => format!("{}-nsg", nic.id),
                };
                Change {
                    operation: Operation::Add,
                    resource: "networkSecurityGroup",
                    parent_id: nic.id.clone(),
                    parent_name: nic.name.clone(),
                    before: None,
                    after: Some(json!({ "name": nsg_name, "id": nsg_id, "properties": { "securityRules": [] } })),
                    affected_vms: vec![vm.name.clone()],
                    reason: format!("network interface '{}' of {} has no NSG and the Internet reaches it: an NSG with Azure's default rules only denies inbound Internet traffic; just-in-time access then opens management ports on request", nic.name, vm.name),
                    declared_at: None,
                    from_template: vm.from_template,
                    effect: Effect::AttachNsg { nic_id: nic.id.clone(), nsg_id, nsg_name },
                }
            })
            .collect()
    }
}

/// What to say of a port an AlwaysAllow security admin rule opens (the only allowing admin
/// rule that is evidence): no NSG edit closes it, and the admin rule's edit is not one jitscan
/// can prove (who else it serves, and its commit, are outside what the plan re-evaluates).
fn admin_rule_note(entry: &NsgEvidence, ports: &BTreeSet<u16>, established: bool) -> String {
    // The evidence names the rule collection as `manager/configuration/collection`.
    let place = entry.nsg.as_ref();
    let mut parts = place.splitn(3, '/');
    let manager = parts.next().unwrap_or(place);
    let configuration = parts.next();
    let priority = entry
        .priority
        .map_or_else(|| "unknown".to_owned(), |p| p.to_string());
    // Ports open only in the fail-safe reading: the input does not show the rule in effect.
    let (verb, may, place_of) = if established {
        ("are opened", "", "")
    } else {
        (
            "may be opened",
            " (the input does not decide whether it is in effect there)",
            "where it is in effect, ",
        )
    };
    let ports: Vec<String> = ports.iter().map(ToString::to_string).collect();
    format!(
        "port(s) {} {verb} by AlwaysAllow security admin rule '{}' (priority {priority}) of rule collection '{place}' of Azure Virtual Network Manager '{manager}'{may}. Security admin rules are evaluated before any NSG rule, and an AlwaysAllow rule delivers the traffic without NSG evaluation: {place_of}no NSG change closes them, and neither does a JIT policy (JIT's deny rules are NSG rules; once deployed, Defender reports the VM healthy while they stay open, see JIT007). The fix is on the network manager: change the rule's access to Allow (the NSGs then decide, and JIT can work) or Deny, narrow its sources or destination ports, or delete it, then deploy (commit) security admin configuration '{}' again to the VM's region; it may serve other virtual networks of its network groups, so jitscan does not propose this edit and the plan stays unproven",
        ports.join(", "),
        entry.rule,
        configuration.unwrap_or(place),
    )
}

fn remove_dnat_change(path: &crate::eval::paths::PathIn, rule: &str, port: u16) -> Change {
    Change {
        operation: Operation::Delete,
        resource: "firewallDnatRule",
        parent_id: path.via_id.clone(),
        parent_name: path.via.clone(),
        before: Some(json!({ "name": rule })),
        after: None,
        affected_vms: Vec::new(),
        reason: format!("DNAT rule '{rule}' of Azure Firewall '{}' forwards the Internet to port {port}: removed", path.via),
        declared_at: None,
        from_template: false,
        effect: Effect::RemoveDnat { rule: rule.to_owned() },
    }
}

/// Whether the rule's sources are narrower than the Internet: judged by the addresses they
/// cover, as the scan judges them (`0.0.0.0/1` + `128.0.0.0/1` is the Internet, not a partner).
fn specific_sources(rule: &SecurityRule) -> bool {
    match &rule.sources {
        Decided::Known(items) => !items.is_empty() && !items_cover_public(items),
        Decided::Unknown(_) => false,
    }
}

fn inbound_priorities(nsg: &Nsg) -> BTreeSet<u32> {
    nsg.rules
        .iter()
        .filter(|r| r.direction.known() != Some(&Direction::Outbound))
        .filter_map(|r| r.priority.known().copied())
        .collect()
}

fn declared_at(rule: &SecurityRule) -> Option<String> {
    let origin = rule.origin.as_ref()?;
    let (line, _) = origin.line_col();
    Some(format!("{}:{line}", origin.path()))
}

/// The VMs whose path runs through the NSG `nsg_id`.
fn vms_behind<'i>(inv: &'i Inventory, nsg_id: &str) -> Vec<&'i Vm> {
    let wanted = key(nsg_id);
    inv.vms
        .iter()
        .filter(|vm| {
            let mut missing = Vec::new();
            targets_of(inv, vm, &mut missing).iter().any(|t| {
                t.slots
                    .iter()
                    .any(|s| matches!(s, Slot::Found(_, n) if key(&n.id) == wanted))
            })
        })
        .collect()
}

/// The VM's static private address when it has exactly one ipConfiguration with one, else
/// `*` (the deny then covers every address the NSG filters).
fn destination_of(inventory: &Inventory, vm: &Vm) -> String {
    let statics: Vec<String> = vm
        .nic_ids
        .iter()
        .filter_map(Decided::known)
        .filter_map(|id| inventory.nics.get(&key(id)))
        .flat_map(|n| n.ip_configs.iter())
        .map(|c| match c.private_ip {
            PrivateIp::Static(ip) => Some(ip.to_string()),
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
        .unwrap_or_default();
    match statics.as_slice() {
        [one] => one.clone(),
        _ => "*".to_owned(),
    }
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

/// Applies changes to an inventory.
fn apply(inventory: &mut Inventory, changes: &[Change]) {
    for change in changes {
        match &change.effect {
            Effect::AddRule(rule) => {
                if let Some(nsg) = nsg_mut(inventory, &change.parent_id) {
                    nsg.rules.push(SecurityRule::clone(rule));
                    nsg.rules.sort_by_key(|r| r.priority.known().copied());
                }
            }
            Effect::SetPorts { rule, ports } => {
                if let Some(nsg) = nsg_mut(inventory, &change.parent_id) {
                    for r in nsg.rules.iter_mut().filter(|r| r.name == *rule) {
                        r.destination_ports = Decided::Known(ports.clone());
                    }
                }
            }
            Effect::RemoveRule { rule } => {
                if let Some(nsg) = nsg_mut(inventory, &change.parent_id) {
                    nsg.rules.retain(|r| r.name != *rule);
                }
            }
            Effect::AttachNsg {
                nic_id,
                nsg_id,
                nsg_name,
            } => {
                let origin = inventory.nics.get(&key(nic_id)).map(|n| n.origin.clone());
                if let (Some(origin), Some(n)) = (origin, inventory.nics.get_mut(&key(nic_id))) {
                    n.nsg = Some(Decided::Known(nsg_id.clone()));
                    let nsg = Nsg {
                        id: nsg_id.clone().into(),
                        name: nsg_name.clone().into(),
                        rules: Vec::new(),
                        inline_rules: None,
                        default_rules: azure_default_rules(),
                        origin,
                    };
                    inventory.nsgs.insert(key(nsg_id), nsg);
                }
            }
            Effect::RemoveDnat { rule } => remove_dnat(inventory, &change.parent_id, rule),
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

fn deny_rule(name: &str, priority: u32, ports: &PortSet, destination: &str) -> SecurityRule {
    SecurityRule {
        name: name.to_owned().into(),
        priority: Decided::Known(priority),
        direction: Decided::Known(Direction::Inbound),
        access: Decided::Known(Access::Deny),
        protocol: Decided::Known("*".to_owned()),
        sources: Decided::Known(vec![AddressItem::Internet]),
        source_ports: Decided::Known(PortSet::all()),
        destinations: Decided::Known(vec![
            AddressItem::parse(destination).unwrap_or(AddressItem::Any)
        ]),
        destination_ports: Decided::Known(ports.clone()),
        is_default: false,
        origin: None,
    }
}

/// Applies every plan's changes to the original model and re-evaluates every VM: a target
/// must have no management port open, and every other difference must be listed by a plan.
fn prove_all(
    inventory: &Inventory,
    plans: &mut [VmPlan],
    ports: &[u16],
    targets: &BTreeSet<(String, String)>,
) {
    let all: Vec<Change> = plans
        .iter()
        .flat_map(|p| p.changes.iter().cloned())
        .collect();
    let mut after = inventory.clone();
    apply(&mut after, &all);
    let listed: BTreeSet<&String> = plans.iter().flat_map(|p| p.collateral.iter()).collect();
    let mut unlisted: Vec<(String, String)> = Vec::new();
    for vm in &inventory.vms {
        let is_target = targets.contains(&(key(&vm.id), vm.name.clone()));
        let expected =
            |k: &ProbeKey| is_target && k.2 == ProbeSource::Internet && ports.contains(&k.1);
        for diff in differences(
            &vm.name,
            &reach(inventory, vm, ports),
            &reach(&after, vm, ports),
            expected,
        ) {
            if !listed.contains(&diff) {
                unlisted.push((vm.name.clone(), diff));
            }
        }
    }
    for plan in plans.iter_mut() {
        let Some(vm) = inventory.vms.iter().find(|v| {
            v.id == plan.vm_id && v.name == plan.vm_name && v.origin.path() == plan.source
        }) else {
            plan.proof = Proof::NotProven("the VM is not in the environment".to_owned());
            continue;
        };
        let mine: Vec<&str> = unlisted
            .iter()
            .filter(|(name, _)| plan.changes.iter().any(|c| c.affected_vms.contains(name)))
            .map(|(_, d)| d.as_str())
            .collect();
        plan.proof = match verdict_after(&after, vm, ports) {
            Proof::Proven if !mine.is_empty() => Proof::NotProven(format!(
                "the changes also change what no plan lists: {}",
                mine.join("; ")
            )),
            proof => proof,
        };
    }
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
    if after.internet_exposed() {
        return Proof::NotProven(format!(
            "still reachable from the Internet: {}",
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
