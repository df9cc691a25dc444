//! REPORT (html): the top offending rules: which NSG, load balancer and firewall rules open the
//! management ports of the most VMs, so the fix with the widest effect comes first.
//!
//! Read from the evidence the scan kept, never re-evaluated: an NSG rule counts for a VM's port
//! when the scan decided the port is open to the Internet (certain or assumed) and the rule is a
//! deciding `Allow` row of an ipConfiguration that no deciding `Deny` row of the same port
//! closes (Azure needs both the subnet's and the NIC's NSG to allow); a NAT, load-balancing or
//! DNAT rule counts when the scan found its path reaches a port that is reachable from the
//! Internet. A verdict the input does not decide counts for no rule.

use std::collections::{BTreeSet, HashMap};

use crate::classify::VmResult;
use crate::eval::paths::PathKind;
use crate::eval::{Confidence, Judged, NsgLevel};
use crate::model::Access;

/// Rules listed in the summary table.
const SHOWN: usize = 15;
/// Rules listed at all (the rest, each opening as few VMs as the last listed, are counted).
const LISTED: usize = 200;
/// VMs linked inline under a rule (the rest sit in a `<details>`).
const INLINE_VMS: usize = 6;

/// One rule that opens management ports, with the VMs it opens them on.
#[derive(Debug)]
pub(crate) struct Offender {
    /// 1-based rank; also its token in the VMs' `data-offenders`.
    pub(crate) rank: usize,
    /// "NSG rule", "Load balancer NAT rule", ...
    pub(crate) kind: &'static str,
    /// The NSG, load balancer or firewall that holds it.
    pub(crate) holder: String,
    /// Rule name.
    pub(crate) rule: String,
    /// Priority, or empty.
    pub(crate) priority: String,
    /// Ports it opens, e.g. `22, 3389`.
    pub(crate) ports: String,
    /// VMs it opens ports on.
    pub(crate) vm_count: usize,
    /// Of those, VMs where such a port is reachable from the Internet.
    pub(crate) reachable: usize,
    /// The first VMs, linked.
    pub(crate) vms: Vec<VmLink>,
    /// The other VMs, linked.
    pub(crate) more_vms: Vec<VmLink>,
}

/// A link to a VM's card.
#[derive(Debug, Clone)]
pub(crate) struct VmLink {
    /// Fragment id.
    pub(crate) anchor: String,
    /// Name.
    pub(crate) name: String,
}

/// The ranked rules: shown first, then the rest of those listed, then how many were left out.
#[derive(Debug, Default)]
pub(crate) struct Offenders {
    /// The top rules.
    pub(crate) top: Vec<Offender>,
    /// The next ones, behind a `<details>`.
    pub(crate) more: Vec<Offender>,
    /// Rules not listed at all.
    pub(crate) left_out: usize,
    /// Per VM (display order), the ranks of the listed rules that open its ports.
    pub(crate) ranks_of_vm: Vec<Vec<usize>>,
}

/// What identifies a rule: kind order, holder id (lower case), rule name.
type Key = (u8, String, String);

#[derive(Debug, Default)]
struct Tally {
    kind: &'static str,
    holder: String,
    rule: String,
    priority: Option<u32>,
    ports: BTreeSet<u16>,
    vms: Vec<usize>,
    reachable: Vec<usize>,
}

impl Tally {
    fn count(&mut self, vm: usize, port: u16, reachable: bool) {
        self.ports.insert(port);
        if self.vms.last() != Some(&vm) {
            self.vms.push(vm);
        }
        if reachable && self.reachable.last() != Some(&vm) {
            self.reachable.push(vm);
        }
    }
}

fn decided_yes(j: &Judged<bool>) -> bool {
    j.value && j.confidence != Confidence::Unknown
}

/// Ranks the rules over `vms` (display order); `link` gives the card link of the VM at an index.
pub(crate) fn offenders(vms: &[&VmResult], link: impl Fn(usize) -> VmLink) -> Offenders {
    let mut tallies: HashMap<Key, Tally> = HashMap::new();
    for (i, vm) in vms.iter().enumerate() {
        tally_vm(&mut tallies, i, vm);
    }
    let mut ranked: Vec<(Key, Tally)> = tallies.into_iter().collect();
    ranked.sort_by(|(ka, a), (kb, b)| {
        b.vms
            .len()
            .cmp(&a.vms.len())
            .then(b.reachable.len().cmp(&a.reachable.len()))
            .then_with(|| ka.cmp(kb))
    });
    let left_out = ranked.len().saturating_sub(LISTED);
    ranked.truncate(LISTED);
    let mut ranks_of_vm = vec![Vec::new(); vms.len()];
    let mut listed: Vec<Offender> = Vec::with_capacity(ranked.len());
    for (n, (_, t)) in ranked.into_iter().enumerate() {
        let rank = n + 1;
        for &vm in &t.vms {
            if let Some(ranks) = ranks_of_vm.get_mut(vm) {
                ranks.push(rank);
            }
        }
        let mut links: Vec<VmLink> = t.vms.iter().map(|&vm| link(vm)).collect();
        let more_vms = links.split_off(links.len().min(INLINE_VMS));
        let ports: Vec<String> = t.ports.iter().map(u16::to_string).collect();
        listed.push(Offender {
            rank,
            kind: t.kind,
            holder: t.holder,
            rule: t.rule,
            priority: t.priority.map(|p| p.to_string()).unwrap_or_default(),
            ports: ports.join(", "),
            vm_count: t.vms.len(),
            reachable: t.reachable.len(),
            vms: links,
            more_vms,
        });
    }
    let more = listed.split_off(listed.len().min(SHOWN));
    Offenders {
        top: listed,
        more,
        left_out,
        ranks_of_vm,
    }
}

/// Counts the rules that open the ports of the VM at display index `i`.
fn tally_vm(tallies: &mut HashMap<Key, Tally>, i: usize, vm: &VmResult) {
    for port in &vm.ports {
        let reachable = decided_yes(&port.internet_exposed);
        if decided_yes(&port.open) {
            for e in &port.evidence {
                let closed_here = port.evidence.iter().any(|other| {
                    other.access == Access::Deny && other.ip_configuration == e.ip_configuration
                });
                if e.access != Access::Allow || closed_here || e.rule.is_empty() {
                    continue;
                }
                let (order, kind) = match e.level {
                    NsgLevel::NetworkManager => (1, "Network manager admin rule"),
                    NsgLevel::Subnet | NsgLevel::Nic => (0, "NSG rule"),
                };
                let key = (order, e.nsg_id.to_ascii_lowercase(), e.rule.to_string());
                let t = tallies.entry(key).or_insert_with(|| Tally {
                    kind,
                    holder: e.nsg.to_string(),
                    rule: e.rule.to_string(),
                    priority: e.priority,
                    ..Tally::default()
                });
                t.count(i, port.port, reachable);
            }
        }
        if !reachable {
            continue;
        }
        for (path, reaches) in &port.paths {
            let (order, kind) = match path.kind {
                PathKind::PublicIp => continue,
                PathKind::LoadBalancerNat => (2, "Load balancer NAT rule"),
                PathKind::LoadBalancerRule => (3, "Load-balancing rule"),
                PathKind::FirewallDnat => (4, "Firewall DNAT rule"),
            };
            let Some(rule) = path.rule.as_ref().filter(|_| *reaches) else {
                continue;
            };
            let key = (order, path.via_id.to_ascii_lowercase(), rule.to_string());
            let t = tallies.entry(key).or_insert_with(|| Tally {
                kind,
                holder: path.via.clone(),
                rule: rule.to_string(),
                ..Tally::default()
            });
            t.count(i, port.port, true);
        }
    }
}
