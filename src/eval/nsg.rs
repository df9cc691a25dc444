//! EVALUATE: which rule of an NSG decides an inbound TCP flow to one port.
//!
//! Pure functions over the model. Uncertain facts (an unknown value, a destination prefix that
//! covers only part of a dynamic address's subnet) are not guessed: each is a [`Match::Maybe`] that the
//! caller's [`Mode`] resolves towards the open or the closed outcome, so comparing modes tells
//! whether the verdict is certain, assumed or unknown.

use std::net::IpAddr;

use ipnet::IpNet;

use super::addresses::{items_cover_public, Addresses};
use super::coverage;
use super::mode::{Mode, Uncertainty};
use crate::model::address::AddressItem;
use crate::model::{Access, Decided, Direction, Nsg, SecurityRule};

/// A three-way match result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Definitely matches.
    Yes,
    /// Definitely does not.
    No,
    /// Cannot tell; how sure and why.
    Maybe(Uncertainty, String),
}

impl Match {
    fn and(self, other: impl FnOnce() -> Match) -> Match {
        match self {
            Match::No => Match::No,
            Match::Yes => other(),
            Match::Maybe(level, reason) => match other() {
                Match::No => Match::No,
                Match::Yes => Match::Maybe(level, reason),
                Match::Maybe(l2, r2) => {
                    if l2 > level {
                        Match::Maybe(l2, r2)
                    } else {
                        Match::Maybe(level, reason)
                    }
                }
            },
        }
    }
}

/// The source of the flow being evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An arbitrary public address with an arbitrary source port.
    Internet,
    /// An address inside the virtual network (e.g. Azure Firewall's SNAT address).
    VnetAddress(IpAddr),
    /// Some address in these prefixes, inside the virtual network (address not known).
    VnetRange(Vec<IpNet>),
    /// One specific public address (for `explain --source`).
    PublicAddress(IpAddr),
}

/// The destination ipConfiguration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A known private address.
    Address(IpAddr),
    /// Assigned dynamically from these subnet prefixes.
    InPrefixes(Vec<IpNet>),
    /// Undecidable.
    Unknown(String),
}

/// One flow: destination port and address, source, ASGs of the destination ipConfiguration.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    /// Destination port (TCP).
    pub port: u16,
    /// Source.
    pub source: &'a Source,
    /// Destination address.
    pub destination: &'a Destination,
    /// Keys of the application security groups of the destination ipConfiguration.
    pub asgs: &'a [String],
    /// The destination ipConfiguration's lower-case id, when known.
    pub config: Option<&'a str>,
}

/// The rule that decided, with how the decision was reached.
#[derive(Debug, Clone)]
pub struct Decision<'n> {
    /// Allow or deny.
    pub access: Access,
    /// The deciding rule.
    pub rule: &'n SecurityRule,
    /// For an Internet source, further Allow rules that decided with `rule`: together they
    /// admit every public address (`0.0.0.0/1` in one rule, `128.0.0.0/1` in the next).
    pub also: Vec<&'n SecurityRule>,
    /// For an Internet source, the public addresses each Allow rule admits to the port (what
    /// earlier rules left it), in rule order; rules that admit none are left out.
    pub admitted: Vec<(&'n SecurityRule, Addresses)>,
    /// Uncertain facts that were resolved on the way (level, reason).
    pub uncertain: Vec<(Uncertainty, String)>,
}

/// Evaluates `nsg` for `flow`, resolving uncertainty by `mode`. Rules are taken by ascending
/// priority (custom, then default), first match wins. An unknown priority or access is placed
/// where it opens (Open) or closes (Closed) the most. For an Internet source the walk follows
/// every public address at once ([`coverage`]): the NSG allows when what it admits covers the
/// public address space, whichever rules admit it.
pub fn decide<'n>(nsg: &'n Nsg, flow: &Flow<'_>, mode: Mode) -> Decision<'n> {
    let ordered = in_priority_order(nsg, mode);
    if *flow.source == Source::Internet {
        return coverage::decide_internet(nsg, &ordered, flow, mode);
    }
    decide_first_match(nsg, ordered, flow, mode)
}

/// The rules of `nsg`, custom then default, by ascending priority; an unknown priority is
/// placed per `mode`.
pub(crate) fn in_priority_order(nsg: &Nsg, mode: Mode) -> Vec<&SecurityRule> {
    // The model keeps rules sorted by priority; only unknown priorities need a per-mode order.
    let all_known = nsg.rules.iter().all(|r| r.priority.known().is_some());
    let ordered: Vec<&SecurityRule> = if all_known && is_sorted(&nsg.rules) {
        nsg.rules.iter().chain(nsg.default_rules.iter()).collect()
    } else {
        let mut keyed: Vec<(u64, &SecurityRule)> = nsg
            .rules
            .iter()
            .chain(nsg.default_rules.iter())
            .map(|rule| (effective_priority(rule, mode), rule))
            .collect();
        keyed.sort_by_key(|(priority, _)| *priority);
        keyed.into_iter().map(|(_, rule)| rule).collect()
    };
    ordered
}

/// The access of `rule`, an unknown one resolved per `mode` (and noted in `uncertain`).
pub(crate) fn resolved_access(
    rule: &SecurityRule,
    mode: Mode,
    uncertain: &mut Vec<(Uncertainty, String)>,
) -> Access {
    match &rule.access {
        Decided::Known(a) => *a,
        Decided::Unknown(reason) => {
            uncertain.push((Uncertainty::Unknown, reason.clone()));
            if mode.leans_open(Uncertainty::Unknown) {
                Access::Allow
            } else {
                Access::Deny
            }
        }
    }
}

/// Whether a rule that `may` match is taken in `mode`: when its doubt leans its way.
pub(crate) fn taken_when_uncertain(level: Uncertainty, access: Access, mode: Mode) -> bool {
    mode.leans_open(level) == (access == Access::Allow)
}

/// One address (or range inside the virtual network): the first rule that matches decides.
fn decide_first_match<'n>(
    nsg: &'n Nsg,
    ordered: Vec<&'n SecurityRule>,
    flow: &Flow<'_>,
    mode: Mode,
) -> Decision<'n> {
    let mut uncertain = Vec::new();
    for rule in ordered {
        let access = resolved_access(rule, mode, &mut uncertain);
        match rule_matches(rule, access, flow) {
            Match::Yes => return decision(access, rule, uncertain),
            Match::No => {}
            Match::Maybe(level, reason) => {
                uncertain.push((level, reason));
                if taken_when_uncertain(level, access, mode) {
                    return decision(access, rule, uncertain);
                }
            }
        }
    }
    decision(Access::Deny, fallback_rule(nsg), uncertain)
}

fn decision(
    access: Access,
    rule: &SecurityRule,
    uncertain: Vec<(Uncertainty, String)>,
) -> Decision<'_> {
    Decision {
        access,
        rule,
        also: Vec::new(),
        admitted: Vec::new(),
        uncertain,
    }
}

/// What denies when no rule matched: unreachable with Azure's DenyAllInBound present; an
/// exported NSG may omit the defaults.
pub(crate) fn fallback_rule(nsg: &Nsg) -> &SecurityRule {
    nsg.default_rules
        .last()
        .or_else(|| nsg.rules.last())
        .unwrap_or(&IMPLICIT_DENY)
}

fn is_sorted(rules: &[SecurityRule]) -> bool {
    rules.windows(2).all(|w| match w {
        [a, b] => a.priority.known() <= b.priority.known(),
        _ => true,
    })
}

/// Azure's DenyAllInBound, for NSGs (from exports) that list no default rules at all.
static IMPLICIT_DENY: std::sync::LazyLock<SecurityRule> = std::sync::LazyLock::new(implicit_deny);

fn implicit_deny() -> SecurityRule {
    SecurityRule {
        name: "DenyAllInBound".to_owned().into(),
        priority: Decided::Known(65500),
        direction: Decided::Known(Direction::Inbound),
        access: Decided::Known(Access::Deny),
        protocol: Decided::Known("*".to_owned()),
        sources: Decided::Known(vec![AddressItem::Any]),
        source_ports: Decided::Known(crate::model::ports::PortSet::all()),
        destinations: Decided::Known(vec![AddressItem::Any]),
        destination_ports: Decided::Known(crate::model::ports::PortSet::all()),
        is_default: true,
        origin: None,
    }
}

fn effective_priority(rule: &SecurityRule, mode: Mode) -> u64 {
    match &rule.priority {
        Decided::Known(p) => u64::from(*p) * 2 + 1,
        Decided::Unknown(_) => {
            // First where it can decide towards the mode's outcome: an unknown access is an
            // Allow in the open mode and a Deny in the closed one.
            let leans = match rule.access {
                Decided::Known(access) => {
                    mode.leans_open(Uncertainty::Unknown) == (access == Access::Allow)
                }
                Decided::Unknown(_) => true,
            };
            if leans {
                0
            } else {
                u64::MAX
            }
        }
    }
}

/// Does `rule` (with the given resolved access) match `flow`? For an Internet source, a rule
/// matches on its own when its sources cover every public address.
pub fn rule_matches(rule: &SecurityRule, access: Access, flow: &Flow<'_>) -> Match {
    conditions(rule, access, flow, || {
        decided(&rule.sources, |items| source_matches(items, flow.source))
    })
}

/// Every condition of `rule` for `flow`, the source's given by `source`, combined in a fixed
/// order (the first doubt of the strongest level is the one kept).
pub(crate) fn conditions(
    rule: &SecurityRule,
    access: Access,
    flow: &Flow<'_>,
    source: impl FnOnce() -> Match,
) -> Match {
    decided(&rule.direction, |d| bool_match(*d == Direction::Inbound))
        .and(|| decided(&rule.protocol, |p| bool_match(covers_tcp(p))))
        .and(|| {
            decided(&rule.destination_ports, |ports| {
                bool_match(ports.contains(flow.port))
            })
        })
        .and(source)
        .and(|| source_ports_match(rule, access))
        .and(|| decided(&rule.destinations, |items| destination_matches(items, flow)))
}

/// True when `rule` certainly does not match `port` whatever its source: the cheap tests, for
/// skipping a rule before its sources are read.
pub(crate) fn certainly_not_for(rule: &SecurityRule, port: u16) -> bool {
    matches!(rule.direction, Decided::Known(Direction::Outbound))
        || matches!(&rule.protocol, Decided::Known(p) if !covers_tcp(p))
        || matches!(&rule.destination_ports, Decided::Known(p) if !p.contains(port))
}

/// `Tcp`, `*`, `Any`, `All` (effective rules) cover TCP.
fn covers_tcp(protocol: &str) -> bool {
    matches!(protocol, "tcp" | "*" | "any" | "all")
}

pub(crate) fn decided<T>(value: &Decided<T>, f: impl FnOnce(&T) -> Match) -> Match {
    match value {
        Decided::Known(v) => f(v),
        Decided::Unknown(reason) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
    }
}

pub(crate) fn bool_match(b: bool) -> Match {
    if b {
        Match::Yes
    } else {
        Match::No
    }
}

/// The client chooses its source port: an Allow for any source port admits it; a Deny only
/// stops it when it covers every source port.
fn source_ports_match(rule: &SecurityRule, access: Access) -> Match {
    decided(&rule.source_ports, |ports| match access {
        Access::Allow => bool_match(!ports.is_empty()),
        Access::Deny => bool_match(ports.is_all()),
    })
}

fn source_matches(items: &[AddressItem], source: &Source) -> Match {
    let mut best = Match::No;
    for item in items {
        let m = match (item, source) {
            (_, Source::Internet) => return bool_match(items_cover_public(items)),
            (AddressItem::Any | AddressItem::Internet, Source::PublicAddress(_)) => Match::Yes,
            (AddressItem::Prefix(net), Source::PublicAddress(ip)) => bool_match(net.contains(ip)),
            (
                AddressItem::Any | AddressItem::VirtualNetwork,
                Source::VnetAddress(_) | Source::VnetRange(_),
            ) => Match::Yes,
            (AddressItem::Prefix(net), Source::VnetAddress(ip)) => bool_match(net.contains(ip)),
            (AddressItem::Prefix(net), Source::VnetRange(ranges)) => {
                prefix_vs_ranges(net, ranges, "the firewall's address")
            }
            _ => Match::No,
        };
        match m {
            Match::Yes => return Match::Yes,
            Match::Maybe(..) => best = m,
            Match::No => {}
        }
    }
    best
}

fn destination_matches(items: &[AddressItem], flow: &Flow<'_>) -> Match {
    let mut best = Match::No;
    for item in items {
        let m = match item {
            AddressItem::Any | AddressItem::VirtualNetwork => Match::Yes,
            AddressItem::Asg(asg) => bool_match(flow.asgs.iter().any(|a| a == asg)),
            // Private addresses are unique in a virtual network: the address Azure gives that
            // ipConfiguration is this flow's destination exactly when it is that one.
            AddressItem::IpConfigAddress(config) => match flow.config {
                Some(destination) => bool_match(destination == config),
                None => Match::Maybe(
                    Uncertainty::Unknown,
                    "the destination ipConfiguration is not known".to_owned(),
                ),
            },
            AddressItem::Prefix(net) => match flow.destination {
                Destination::Address(ip) => bool_match(net.contains(ip)),
                Destination::InPrefixes(ranges) => {
                    prefix_vs_ranges(net, ranges, "the VM's dynamic private IP")
                }
                Destination::Unknown(reason) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
            },
            AddressItem::Internet | AddressItem::AzureLoadBalancer | AddressItem::OtherTag(_) => {
                Match::No
            }
        };
        match m {
            Match::Yes => return Match::Yes,
            Match::Maybe(..) => best = m,
            Match::No => {}
        }
    }
    best
}

/// A rule prefix against an address known only to lie in `ranges`.
fn prefix_vs_ranges(net: &IpNet, ranges: &[IpNet], what: &str) -> Match {
    if ranges.is_empty() {
        return Match::Maybe(Uncertainty::Unknown, format!("{what} is not known"));
    }
    if ranges.iter().all(|r| net.contains(r)) {
        Match::Yes
    } else if ranges.iter().any(|r| net.contains(r) || r.contains(net)) {
        Match::Maybe(
            Uncertainty::Assumed,
            format!("{what} may or may not fall in {net}"),
        )
    } else {
        Match::No
    }
}

/// Why `rule` does not (or may not) match `flow`: the first condition that fails, in words.
/// None when it matches.
pub fn rule_mismatch(rule: &SecurityRule, access: Access, flow: &Flow<'_>) -> Option<String> {
    let checks: [(&str, Match); 6] = [
        (
            "direction",
            decided(&rule.direction, |d| bool_match(*d == Direction::Inbound)),
        ),
        (
            "protocol",
            decided(&rule.protocol, |p| bool_match(covers_tcp(p))),
        ),
        (
            "destination port",
            decided(&rule.destination_ports, |ports| {
                bool_match(ports.contains(flow.port))
            }),
        ),
        (
            "source",
            decided(&rule.sources, |items| source_matches(items, flow.source)),
        ),
        ("source port", source_ports_match(rule, access)),
        (
            "destination",
            decided(&rule.destinations, |items| destination_matches(items, flow)),
        ),
    ];
    checks.into_iter().find_map(|(what, m)| match m {
        Match::Yes => None,
        Match::No => Some(format!("{what} does not match")),
        Match::Maybe(level, reason) => Some(format!(
            "{what} may match ({}: {reason})",
            match level {
                Uncertainty::Assumed => "assumed",
                Uncertainty::Unknown => "unknown",
            }
        )),
    })
}

/// Allow rules that admit the port for specific (not Internet-wide) sources, in priority order:
/// (rule, sources). Reported so auditors see who else can reach the port.
pub fn specific_sources_allowed<'n>(
    nsg: &'n Nsg,
    flow: &Flow<'_>,
) -> Vec<(&'n SecurityRule, Vec<String>)> {
    // The cheap tests first: this runs for every VM, port and NSG, and most rules are
    // Internet-wide or for another port.
    let mut out: Vec<(&SecurityRule, Vec<String>)> = nsg
        .rules
        .iter()
        .filter(|r| matches!(r.access, Decided::Known(Access::Allow)))
        .filter_map(|r| match &r.sources {
            Decided::Known(items) if !items_cover_public(items) => Some((r, items)),
            _ => None,
        })
        .filter(
            |(r, _)| !matches!(&r.destination_ports, Decided::Known(p) if !p.contains(flow.port)),
        )
        .filter(|(r, _)| {
            matches!(
                decided(&r.direction, |d| bool_match(*d == Direction::Inbound))
                    .and(|| decided(&r.protocol, |p| bool_match(covers_tcp(p))))
                    .and(|| decided(&r.destination_ports, |p| bool_match(p.contains(flow.port))))
                    .and(|| decided(&r.destinations, |d| destination_matches(d, flow))),
                Match::Yes | Match::Maybe(..)
            )
        })
        .map(|(r, items)| (r, items.iter().map(AddressItem::label).collect()))
        .collect();
    out.sort_by_key(|(r, _)| r.priority.known().copied().unwrap_or(u32::MAX));
    out
}

#[cfg(test)]
#[path = "nsg_tests.rs"]
mod tests;
