//! EVALUATE: whether an NSG admits "the Internet" to a port, judged by the addresses its rules
//! cover rather than by how their sources are spelled.
//!
//! The first-match walk follows every public address at once: each rule takes, of the public
//! addresses its sources name, those no earlier rule took. The NSG admits the Internet when
//! the addresses its Allow rules took cover every *generic* public address of a family: every
//! public address except the targeted exceptions, the addresses a Deny rule naming specific
//! sources took in runs of at most a /8 (a deny of one attacker's /24 ahead of an allow from
//! `*` leaves the port open to everyone else, as it always did). A deny from every address
//! (`*`, `DenyAllInBound`) names nothing specific: what only it refuses is never an exception,
//! so a list of allows that leaves out one public /24 does not admit the Internet.
//!
//! Pure; the rules in docs/verdicts.md ("Sources judged by coverage").

use super::addresses::{block_size, public, Addresses, IntervalSet};
use super::mode::{Mode, Uncertainty};
use super::nsg::{
    certainly_not_for, conditions, fallback_rule, resolved_access, taken_when_uncertain, Decision,
    Flow, Match,
};
use std::sync::Arc;

use super::paths::{PathIn, PathKind, PathRule};
use super::NsgLevel;
use crate::model::address::AddressItem;
use crate::model::{Access, Decided, Nsg, SecurityRule};
use crate::source::Origin;

/// Prefix length of the largest block that is still specific: a deny of at most a /8 is a
/// targeted exception, an allow of more than a /8 is broad (both families).
pub const SPECIFIC_LEN: u8 = 8;

/// At most this many uncertain rules are tried both ways to see whether their doubt decides;
/// the doubts of any further ones are noted without trying (hostile input is bounded).
const MAX_DOUBT_CHECKS: usize = 8;

/// A rule that took addresses in the walk.
struct Taken<'n> {
    /// Its position in the walk's order.
    index: usize,
    rule: &'n SecurityRule,
    access: Access,
    /// The public addresses it took.
    set: Addresses,
    /// Its own sources cover every public address.
    covers: bool,
    /// Its own public sources hold more than a /8 of a family.
    broad: bool,
    /// The doubt it was taken on, when its sources alone do not cover the Internet (noted
    /// only if it decides).
    doubt: Option<(Uncertainty, String)>,
}

/// What the taken addresses amount to.
struct Outcome {
    /// The NSG admits the Internet.
    open: bool,
    /// The generic public addresses (public, minus the targeted exceptions).
    generic: Addresses,
    /// The generic addresses of the families that are open.
    open_generic: Addresses,
}

/// Decides `nsg` (its rules in `ordered`) for an Internet source in `mode`.
pub(crate) fn decide_internet<'n>(
    nsg: &'n Nsg,
    ordered: &[&'n SecurityRule],
    flow: &Flow<'_>,
    mode: Mode,
) -> Decision<'n> {
    let (taken, mut uncertain) = walk(ordered, flow, mode, None);
    let outcome = judge(&taken);
    note_deciding_doubts(&taken, &outcome, ordered, flow, mode, &mut uncertain);
    let admitted = taken
        .iter()
        .filter(|t| t.access == Access::Allow)
        .map(|t| (t.rule, t.set.clone()))
        .collect();
    let (access, rule, also) = if outcome.open {
        let touching: Vec<&Taken<'n>> = taken
            .iter()
            .filter(|t| t.access == Access::Allow && t.set.intersects(&outcome.open_generic))
            .collect();
        // A narrow allow (an office range) ahead of an allow from `*` takes part of the
        // Internet too, but it is not what opens the port: broad allows are named first.
        let broad: Vec<&Taken<'n>> = touching.iter().copied().filter(|t| t.broad).collect();
        let named = if broad.is_empty() { touching } else { broad };
        let mut rules = named.into_iter().map(|t| t.rule);
        match rules.next() {
            Some(first) => (Access::Allow, first, rules.collect()),
            None => (Access::Deny, fallback_rule(nsg), Vec::new()),
        }
    } else {
        let deciding = taken
            .iter()
            .find(|t| t.access == Access::Deny && t.set.intersects(&outcome.generic))
            .map_or_else(|| fallback_rule(nsg), |t| t.rule);
        (Access::Deny, deciding, Vec::new())
    };
    Decision {
        access,
        rule,
        also,
        admitted,
        uncertain,
    }
}

/// What one rule took in the walk over every public address, for `explain`'s trace.
pub(crate) struct Share<'n> {
    /// The rule.
    pub rule: &'n SecurityRule,
    /// Its access as resolved in the walk's mode.
    pub access: Access,
    /// The public addresses it took.
    pub took: Addresses,
}

/// [`decide_internet`], with the rules that took public addresses on the way (those its
/// sources name that no earlier rule took): the trace shows the walk the verdict comes from.
pub(crate) fn trace_internet<'n>(
    nsg: &'n Nsg,
    ordered: &[&'n SecurityRule],
    flow: &Flow<'_>,
    mode: Mode,
) -> (Decision<'n>, Vec<Share<'n>>) {
    let decision = decide_internet(nsg, ordered, flow, mode);
    let shares = walk(ordered, flow, mode, None)
        .0
        .into_iter()
        .map(|t| Share {
            rule: t.rule,
            access: t.access,
            took: t.set,
        })
        .collect();
    (decision, shares)
}

/// The first-match walk over every public address: the rules that took addresses, and the
/// doubts met on rules whose sources alone cover the Internet (as a single address's walk
/// notes them). `skip`: the position of an uncertain rule to leave untaken.
fn walk<'n>(
    ordered: &[&'n SecurityRule],
    flow: &Flow<'_>,
    mode: Mode,
    skip: Option<usize>,
) -> (Vec<Taken<'n>>, Vec<(Uncertainty, String)>) {
    let public = public();
    let mut remaining = public.clone();
    let mut taken = Vec::new();
    let mut uncertain = Vec::new();
    for (index, &rule) in ordered.iter().enumerate() {
        if remaining.is_empty() {
            break;
        }
        let access = resolved_access(rule, mode, &mut uncertain);
        if certainly_not_for(rule, flow.port) {
            continue;
        }
        let (own, source) = match &rule.sources {
            Decided::Known(items) => (Addresses::public_of_items(items), Match::Yes),
            Decided::Unknown(reason) => (
                public.clone(),
                Match::Maybe(Uncertainty::Unknown, reason.clone()),
            ),
        };
        let set = own.intersection(&remaining);
        if set.is_empty() {
            continue;
        }
        let covers = own.covers_public();
        let doubt = match conditions(rule, access, flow, || source) {
            Match::No => continue,
            Match::Yes => None,
            Match::Maybe(level, reason) => {
                let take = taken_when_uncertain(level, access, mode) && skip != Some(index);
                let doubt = if covers {
                    uncertain.push((level, reason));
                    None
                } else {
                    Some((level, reason))
                };
                if !take {
                    continue;
                }
                doubt
            }
        };
        remaining = remaining.difference(&set);
        taken.push(Taken {
            index,
            rule,
            access,
            set,
            covers,
            broad: is_broad(&own),
            doubt,
        });
    }
    (taken, uncertain)
}

/// Whether `set` holds more addresses than a specific block of its family.
fn is_broad(set: &Addresses) -> bool {
    set.v4.count() > block_size(32, SPECIFIC_LEN) || set.v6.count() > block_size(128, SPECIFIC_LEN)
}

/// Whether the Allow rules' addresses cover the generic public addresses of a family.
fn judge(taken: &[Taken<'_>]) -> Outcome {
    let named_denied = taken
        .iter()
        .filter(|t| t.access == Access::Deny && !t.covers)
        .fold(Addresses::default(), |acc, t| acc.union(&t.set));
    let generic = public().difference(&small_runs(&named_denied));
    let allowed = taken
        .iter()
        .filter(|t| t.access == Access::Allow)
        .fold(Addresses::default(), |acc, t| acc.union(&t.set));
    let open_v4 = !generic.v4.is_empty() && allowed.v4.covers(&generic.v4);
    let open_v6 = !generic.v6.is_empty() && allowed.v6.covers(&generic.v6);
    let open_generic = Addresses {
        v4: if open_v4 {
            generic.v4.clone()
        } else {
            IntervalSet::empty()
        },
        v6: if open_v6 {
            generic.v6.clone()
        } else {
            IntervalSet::empty()
        },
    };
    Outcome {
        open: open_v4 || open_v6,
        generic,
        open_generic,
    }
}

/// The runs of `set` no larger than a specific block: the targeted exceptions.
fn small_runs(set: &Addresses) -> Addresses {
    let (max4, max6) = (block_size(32, SPECIFIC_LEN), block_size(128, SPECIFIC_LEN));
    Addresses {
        v4: IntervalSet::from_ranges(
            set.v4
                .ranges()
                .iter()
                .copied()
                .filter(|&(lo, hi)| u128::from(hi - lo) < max4),
        ),
        v6: IntervalSet::from_ranges(
            set.v6
                .ranges()
                .iter()
                .copied()
                .filter(|&(lo, hi)| hi - lo < max6),
        ),
    }
}

/// Notes the doubt of each rule taken on one, when taking it or not changes whether the NSG
/// admits the Internet: a doubt that decides nothing never makes a verdict uncertain.
fn note_deciding_doubts(
    taken: &[Taken<'_>],
    outcome: &Outcome,
    ordered: &[&SecurityRule],
    flow: &Flow<'_>,
    mode: Mode,
    uncertain: &mut Vec<(Uncertainty, String)>,
) {
    let mut checks = 0;
    for t in taken {
        let Some(doubt) = &t.doubt else { continue };
        if !t.set.intersects(&outcome.generic) {
            continue;
        }
        checks += 1;
        let decides = checks > MAX_DOUBT_CHECKS
            || judge(&walk(ordered, flow, mode, Some(t.index)).0).open != outcome.open;
        if decides {
            uncertain.push(doubt.clone());
        }
    }
}

/// What one NSG on an ipConfiguration's path admits from the Internet: its Allow rules and the
/// public addresses each took (none when it admits none).
pub(crate) struct PathAdmitted {
    rules: Vec<(BroadRule, Addresses)>,
}

impl PathAdmitted {
    /// From a decision's [`Decision::admitted`].
    pub(crate) fn new(level: NsgLevel, nsg: &Nsg, admitted: &[(&SecurityRule, Addresses)]) -> Self {
        let rules = admitted
            .iter()
            .map(|(rule, set)| {
                let named = BroadRule {
                    via: BroadVia::Nsg {
                        level,
                        nsg: Arc::clone(&nsg.name),
                        priority: rule.priority.known().copied(),
                    },
                    rule: Arc::clone(&rule.name),
                    origin: rule.origin.clone().or_else(|| Some(nsg.origin.clone())),
                };
                (named, set.clone())
            })
            .collect();
        Self { rules }
    }
}

/// Public addresses that every NSG on one ipConfiguration's path admits to a port, when they
/// are not the whole Internet: what JIT006 weighs against its prefix length.
#[derive(Debug, Clone)]
pub struct BroadSources {
    /// The ipConfiguration (`nic/ipconfig`).
    pub ip_configuration: Arc<str>,
    /// The public addresses admitted (the intersection over the NSGs on the path).
    pub addresses: Addresses,
    /// The Allow rules that admit some of them, subnet NSG first, in rule order.
    pub rules: Vec<BroadRule>,
}

/// A rule that admits some of a [`BroadSources`]' addresses: an NSG's Allow rule, or an
/// Azure Firewall DNAT rule whose forwarded traffic the NSGs let through.
#[derive(Debug, Clone)]
pub struct BroadRule {
    /// Whose rule it is.
    pub via: BroadVia,
    /// Rule name (`collection/name` for a DNAT rule).
    pub rule: Arc<str>,
    /// Where it is declared.
    pub origin: Option<Origin>,
}

/// Whose rule a [`BroadRule`] is.
#[derive(Debug, Clone)]
pub enum BroadVia {
    /// An NSG's.
    Nsg {
        /// Subnet or NIC.
        level: NsgLevel,
        /// NSG name.
        nsg: Arc<str>,
        /// The rule's priority.
        priority: Option<u32>,
    },
    /// An Azure Firewall's DNAT rule.
    FirewallDnat {
        /// Firewall name.
        firewall: Arc<str>,
    },
}

/// The public addresses the NSGs of one path (each found NSG, in `admitted`) all admit, with
/// the rules admitting them; None when they admit none. An NSG that is not in the input is not
/// in `admitted`: it is taken to admit anything, as the open run takes it.
pub(crate) fn broad_on_path(label: &Arc<str>, admitted: &[PathAdmitted]) -> Option<BroadSources> {
    let mut total: Option<Addresses> = None;
    for nsg in admitted {
        let own = nsg
            .rules
            .iter()
            .fold(Addresses::default(), |acc, (_, set)| acc.union(set));
        total = Some(match total {
            Some(t) => t.intersection(&own),
            None => own,
        });
    }
    let total = total.filter(|t| !t.is_empty())?;
    let rules = admitted
        .iter()
        .flat_map(|a| a.rules.iter())
        .filter(|(_, set)| set.intersects(&total))
        .map(|(rule, _)| rule.clone())
        .collect();
    Some(BroadSources {
        ip_configuration: Arc::clone(label),
        addresses: total,
        rules,
    })
}

/// The public addresses a firewall DNAT rule that does not accept the whole Internet accepts,
/// for JIT006: None when it accepts every public address (JIT004's), none, or its sources are
/// not decided (the verdict says so).
pub(crate) fn broad_dnat(path: &PathIn) -> Option<BroadSources> {
    if path.kind != PathKind::FirewallDnat || path.internet_wide != Match::No {
        return None;
    }
    // The rule's sources as the path lists them: prefixes and addresses read back; an IP
    // group's addresses are not in the input and count as none.
    let items: Vec<AddressItem> = path
        .sources
        .iter()
        .filter_map(|text| AddressItem::parse(text).ok())
        .collect();
    let addresses = Addresses::public_of_items(&items);
    if addresses.is_empty() {
        return None;
    }
    let rule = path.rule.as_ref().map_or("?", PathRule::as_str);
    Some(BroadSources {
        ip_configuration: Arc::clone(&path.ip_configuration),
        addresses,
        rules: vec![BroadRule {
            via: BroadVia::FirewallDnat {
                firewall: path.via.as_str().into(),
            },
            rule: rule.into(),
            origin: path.origin.clone(),
        }],
    })
}
