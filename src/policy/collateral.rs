//! POLICY: what a change does besides closing the ports it targets.
//!
//! A remediation is proven only when re-evaluating shows the target ports closed and nothing
//! else changed, or lists each other change. "Everything else" is probed here: for every VM
//! behind a changed NSG, every ipConfiguration, every port that a rule on its path mentions
//! (the start of each range) and the management ports, from a generic Internet address and
//! from each source prefix a rule on its path names (its first address, as a public or a
//! virtual-network address; a rule whose sources cover the public address space names the
//! Internet, already probed). Probes run in the evaluation's open mode (uncertain facts
//! resolved open), the same before and after, so only the change itself can move a result.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::eval::addresses::items_cover_public;
use crate::eval::mode::Mode;
use crate::eval::nsg::{decide, Flow, Source};
use crate::eval::targets::{targets_of, Slot};
use crate::model::address::AddressItem;
use crate::model::{Access, Decided, Inventory, Nsg, Vm};

/// One probe's outcome key: ipConfiguration label, port, source.
pub type ProbeKey = (String, u16, ProbeSource);

/// Where a probe comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeSource {
    /// A generic Internet address: the source the remediation closes ports to.
    Internet,
    /// The first address of a prefix a rule names (the prefix as written by `IpNet`).
    Prefix(String),
}

impl ProbeSource {
    /// Name in the plan's collateral lines.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Internet => "Internet",
            Self::Prefix(prefix) => prefix,
        }
    }
}

impl std::fmt::Display for ProbeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// By name: the plan lists a VM's differences in this order.
impl Ord for ProbeSource {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for ProbeSource {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Whether each probe of `vm` is allowed by every NSG on its path.
pub fn reach(inv: &Inventory, vm: &Vm, mgmt_ports: &[u16]) -> BTreeMap<ProbeKey, bool> {
    let mut missing = Vec::new();
    let targets = targets_of(inv, vm, &mut missing);
    let nsgs: Vec<&Nsg> = targets
        .iter()
        .flat_map(|t| t.slots.iter())
        .filter_map(|slot| match slot {
            Slot::Found(_, nsg) => Some(*nsg),
            Slot::Missing(..) => None,
        })
        .collect();
    let ports = probe_ports(&nsgs, mgmt_ports);
    let sources = probe_sources(&nsgs);
    let mut out = BTreeMap::new();
    for target in &targets {
        let Some(config) = target.config else {
            continue;
        };
        for &port in &ports {
            for (label, source) in &sources {
                let flow = Flow {
                    port,
                    source,
                    destination: &target.destination,
                    asgs: &config.asgs,
                    config: Some(&config.key),
                };
                let allowed = target.slots.iter().all(|slot| match slot {
                    Slot::Found(_, nsg) => decide(nsg, &flow, Mode::Open).access == Access::Allow,
                    Slot::Missing(..) => true,
                });
                out.insert((target.label.to_string(), port, label.clone()), allowed);
            }
        }
    }
    out
}

fn probe_ports(nsgs: &[&Nsg], mgmt_ports: &[u16]) -> BTreeSet<u16> {
    let mut ports: BTreeSet<u16> = mgmt_ports.iter().copied().collect();
    for nsg in nsgs {
        for rule in &nsg.rules {
            if let Decided::Known(set) = &rule.destination_ports {
                if !set.is_all() {
                    ports.extend(set.ranges().iter().map(|&(start, _)| start));
                }
            }
        }
    }
    ports
}

fn probe_sources(nsgs: &[&Nsg]) -> Vec<(ProbeSource, Source)> {
    let mut named: BTreeMap<String, Source> = BTreeMap::new();
    for nsg in nsgs {
        for rule in &nsg.rules {
            let Decided::Known(items) = &rule.sources else {
                continue;
            };
            // Sources that cover the public address space (`0.0.0.0/1` + `128.0.0.0/1`) are
            // the Internet, probed as such, as `*` is: not a named source to keep working.
            if items_cover_public(items) {
                continue;
            }
            for item in items {
                if let AddressItem::Prefix(net) = item {
                    let first = net.network();
                    let source = if is_private(first) {
                        Source::VnetAddress(first)
                    } else {
                        Source::PublicAddress(first)
                    };
                    named.insert(net.to_string(), source);
                }
            }
        }
    }
    let mut sources = vec![(ProbeSource::Internet, Source::Internet)];
    sources.extend(
        named
            .into_iter()
            .map(|(prefix, source)| (ProbeSource::Prefix(prefix), source)),
    );
    sources
}

/// Addresses that belong to a virtual network's private space (RFC 1918, shared address
/// space, IPv6 unique local).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => v6.segments().first().is_some_and(|s| s & 0xfe00 == 0xfc00),
    }
}

/// The probes whose outcome differs between `before` and `after`, described for people,
/// leaving out those `expected` says are the point of the change.
pub fn differences(
    vm_name: &str,
    before: &BTreeMap<ProbeKey, bool>,
    after: &BTreeMap<ProbeKey, bool>,
    expected: impl Fn(&ProbeKey) -> bool,
) -> Vec<String> {
    before
        .iter()
        .filter_map(|(key, was)| {
            let now = after.get(key)?;
            (now != was && !expected(key)).then(|| {
                let (label, port, source) = key;
                let verb = if *now { "now allowed" } else { "now denied" };
                format!("{vm_name} ({label}): port {port} from {source} {verb}")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_space_is_the_virtual_network_s() {
        assert!(is_private(
            "10.1.2.3".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
        ));
        assert!(is_private(IpAddr::from([100, 64, 0, 1])));
        assert!(!is_private(IpAddr::from([203, 0, 113, 7])));
        assert!(!is_private(IpAddr::from([100, 128, 0, 1])));
    }
}
