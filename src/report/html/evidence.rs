//! REPORT (html): the evidence tables of one VM, one row per NSG rule or path with its ports.
//!
//! The scan keeps evidence per port; a public IP or a `DenyAllInBound` rule then repeats for
//! every management port. Readers want one row per rule, listing the ports it decided, so rows
//! that differ only in their port are merged here, keeping first-seen (evaluation) order. It
//! must not drop or reorder evidence beyond that merge.

use crate::eval::paths::PathKind;
use crate::eval::vm::PortEvaluation;
use crate::eval::NsgLevel;
use crate::model::Access;

/// The deciding rule of one NSG for one ipConfiguration, with the ports it decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EvidenceView {
    /// Ports it decided, e.g. `22, 5985`.
    pub(crate) ports: String,
    /// `nic/ipconfig`.
    pub(crate) ip_configuration: String,
    /// `subnet` or `NIC`.
    pub(crate) level: &'static str,
    /// NSG name.
    pub(crate) nsg: String,
    /// Rule name (empty when none decided).
    pub(crate) rule: String,
    /// Priority, or an empty string.
    pub(crate) priority: String,
    /// True for `Allow`.
    pub(crate) allow: bool,
    /// One of Azure's default rules.
    pub(crate) default_rule: bool,
    /// Free-text note.
    pub(crate) note: Option<String>,
}

/// A path in from the Internet, with the ports it reaches and those it does not.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PathView {
    /// Human kind.
    pub(crate) kind: &'static str,
    /// `nic/ipconfig` it leads to.
    pub(crate) ip_configuration: String,
    /// Public IP, load balancer or firewall.
    pub(crate) via: String,
    /// NAT, LB or DNAT rule.
    pub(crate) rule: String,
    /// Frontend address/port.
    pub(crate) frontend: String,
    /// Sources a DNAT rule accepts.
    pub(crate) sources: String,
    /// Standard SKU note.
    pub(crate) note: Option<&'static str>,
    /// Ports it reaches.
    pub(crate) reaches: String,
    /// Ports it leads to but does not reach (an NSG or the SKU stops them).
    pub(crate) stopped: String,
}

/// An allow rule for specific sources, with the ports it allows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SpecificView {
    /// Ports.
    pub(crate) ports: String,
    /// NSG name.
    pub(crate) nsg: String,
    /// Rule name.
    pub(crate) rule: String,
    /// Priority, or an empty string.
    pub(crate) priority: String,
    /// Sources, joined.
    pub(crate) sources: String,
}

/// Merges `row` (for `port`) into `rows`: the same row again only adds the port. Returns the
/// index of the row.
fn merge<T: PartialEq>(rows: &mut Vec<(T, Vec<u16>)>, row: T, port: u16) -> usize {
    match rows.iter().position(|(r, _)| *r == row) {
        Some(i) => {
            if let Some((_, ports)) = rows.get_mut(i) {
                if !ports.contains(&port) {
                    ports.push(port);
                }
            }
            i
        }
        None => {
            rows.push((row, vec![port]));
            rows.len() - 1
        }
    }
}

/// Port numbers only: the service names are in the ports table above these tables.
fn port_list(ports: &[u16]) -> String {
    let numbers: Vec<String> = ports.iter().map(u16::to_string).collect();
    numbers.join(", ")
}

/// The deciding NSG rules of every port, merged.
pub(crate) fn evidence_rows(ports: &[PortEvaluation]) -> Vec<EvidenceView> {
    let mut rows: Vec<(EvidenceView, Vec<u16>)> = Vec::new();
    for port in ports {
        for e in &port.evidence {
            let row = EvidenceView {
                ports: String::new(),
                ip_configuration: e.ip_configuration.to_string(),
                level: match e.level {
                    NsgLevel::Subnet => "subnet",
                    NsgLevel::Nic => "NIC",
                    NsgLevel::NetworkManager => "network manager",
                },
                nsg: e.nsg.to_string(),
                rule: e.rule.to_string(),
                priority: e.priority.map(|p| p.to_string()).unwrap_or_default(),
                allow: e.access == Access::Allow,
                default_rule: e.default_rule,
                note: e.note.clone(),
            };
            merge(&mut rows, row, port.port);
        }
    }
    rows.into_iter()
        .map(|(mut row, ports)| {
            row.ports = port_list(&ports);
            row
        })
        .collect()
}

/// Human name of a path kind.
fn path_kind_label(kind: PathKind) -> &'static str {
    match kind {
        PathKind::PublicIp => "Public IP",
        PathKind::LoadBalancerNat => "Load balancer NAT",
        PathKind::LoadBalancerRule => "Load balancer rule",
        PathKind::FirewallDnat => "Firewall DNAT",
    }
}

/// The paths in of every port, merged; each lists the ports it reaches and those it does not.
pub(crate) fn path_rows(ports: &[PortEvaluation]) -> Vec<PathView> {
    let mut rows: Vec<(PathView, Vec<u16>)> = Vec::new();
    let mut reached: Vec<(usize, u16)> = Vec::new();
    for port in ports {
        for (p, reaches) in &port.paths {
            let row = PathView {
                kind: path_kind_label(p.kind),
                ip_configuration: p.ip_configuration.to_string(),
                via: p.via.clone(),
                rule: p.rule.as_ref().map(ToString::to_string).unwrap_or_default(),
                frontend: p.frontend.clone().unwrap_or_default(),
                sources: p.sources.join(", "),
                note: p
                    .secure_by_default
                    .then_some("Standard SKU: closed to inbound traffic unless an NSG allows it"),
                reaches: String::new(),
                stopped: String::new(),
            };
            let i = merge(&mut rows, row, port.port);
            if *reaches {
                reached.push((i, port.port));
            }
        }
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, (mut row, ports))| {
            let (yes, no): (Vec<u16>, Vec<u16>) =
                ports.into_iter().partition(|p| reached.contains(&(i, *p)));
            row.reaches = port_list(&yes);
            row.stopped = port_list(&no);
            row
        })
        .collect()
}

/// Allow rules for specific sources, merged over ports.
pub(crate) fn specific_rows(ports: &[PortEvaluation]) -> Vec<SpecificView> {
    let mut rows: Vec<(SpecificView, Vec<u16>)> = Vec::new();
    for port in ports {
        for s in &port.specific_sources {
            let row = SpecificView {
                ports: String::new(),
                nsg: s.nsg.to_string(),
                rule: s.rule.to_string(),
                priority: s.priority.map(|p| p.to_string()).unwrap_or_default(),
                sources: s.sources.join(", "),
            };
            merge(&mut rows, row, port.port);
        }
    }
    rows.into_iter()
        .map(|(mut row, ports)| {
            row.ports = port_list(&ports);
            row
        })
        .collect()
}
