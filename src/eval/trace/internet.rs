//! EVALUATE: the trace of one NSG for an Internet source, for `jitscan explain`. The scan
//! judges an Internet source by the public addresses the rules cover, across rules
//! ([`coverage`](crate::eval::coverage)): `0.0.0.0/1` in one Allow and `128.0.0.0/1` in the
//! next admit every address. The trace follows that same walk, so its result is the scan's:
//! each rule shows what part of the Internet it took, and the rules that decided together
//! are named with each other. Pure; rendering and escaping are `explain`'s.

use std::net::IpAddr;

use super::{NsgTrace, RuleStep};
use crate::eval::addresses::{items_cover_public, Addresses};
use crate::eval::coverage::{trace_internet, Share};
use crate::eval::mode::{Mode, Uncertainty};
use crate::eval::nsg::{conditions, rule_mismatch, Flow, Match, Source};
use crate::eval::NsgLevel;
use crate::model::address::AddressItem;
use crate::model::{Access, Decided, Nsg, SecurityRule};

/// Traces `nsg` (its rules in `ordered`, the scan's most open order) for an Internet source,
/// uncertain facts resolved the most open way as the scan's fail-safe does.
pub(super) fn trace_nsg<'n>(
    level: NsgLevel,
    nsg: &'n Nsg,
    ordered: &[&'n SecurityRule],
    flow: &Flow<'_>,
) -> NsgTrace {
    let (decision, shares) = trace_internet(nsg, ordered, flow, Mode::Open);
    let deciders: Vec<&SecurityRule> = std::iter::once(decision.rule)
        .chain(decision.also.iter().copied())
        .collect();
    let is_decider = |rule: &SecurityRule| deciders.iter().any(|d| std::ptr::eq(*d, rule));
    let share_of = |rule: &SecurityRule| shares.iter().find(|s| std::ptr::eq(s.rule, rule));
    // Up to the last rule that decided or took part of the Internet; every rule when the
    // deciding one is not in the NSG (an export without default rules).
    let last = ordered
        .iter()
        .rposition(|r| is_decider(r) || share_of(r).is_some());
    let shown = match last {
        Some(i) if ordered.iter().any(|r| is_decider(r)) => ordered.get(..=i).unwrap_or(ordered),
        _ => ordered,
    };
    let steps = shown
        .iter()
        .map(|&rule| {
            let with = if is_decider(rule) {
                deciders
                    .iter()
                    .filter(|d| !std::ptr::eq(**d, rule))
                    .map(|d| d.name.to_string())
                    .collect()
            } else {
                Vec::new()
            };
            step(rule, flow, is_decider(rule), share_of(rule), with)
        })
        .collect();
    let mut uncertain: Vec<String> = Vec::new();
    for (_, reason) in &decision.uncertain {
        if !uncertain.contains(reason) {
            uncertain.push(reason.clone());
        }
    }
    NsgTrace {
        level,
        name: nsg.name.to_string(),
        origin: Some(nsg.origin.clone()),
        steps,
        access: decision.access,
        uncertain,
    }
}

/// One rule of the walk: whether it decided, what part of the Internet it took, and why it
/// was passed over when it was.
fn step(
    rule: &SecurityRule,
    flow: &Flow<'_>,
    decides: bool,
    share: Option<&Share<'_>>,
    with: Vec<String>,
) -> RuleStep {
    // An unknown access is an Allow in the most open mode, as the walk resolved it.
    let (access, access_unknown) = match &rule.access {
        Decided::Known(a) => (*a, None),
        Decided::Unknown(reason) => (
            share.map_or(Access::Allow, |s| s.access),
            Some(reason.clone()),
        ),
    };
    let partial = match &rule.sources {
        Decided::Known(items) => !items_cover_public(items),
        Decided::Unknown(_) => false,
    };
    let matched = conditions(rule, access, flow, || match &rule.sources {
        Decided::Known(items) => {
            if share.is_some() || !Addresses::public_of_items(items).is_empty() {
                Match::Yes
            } else {
                Match::No
            }
        }
        Decided::Unknown(reason) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
    });
    let uncertain = match (&matched, &access_unknown) {
        (Match::Maybe(_, reason), _) => Some(reason.clone()),
        (_, Some(reason)) if decides || share.is_some() => {
            Some(format!("access unknown: {reason}"))
        }
        _ => None,
    };
    let skipped = match (decides, share) {
        (true, _) => None,
        (false, Some(share)) => Some(took_part(rule, share, partial)),
        (false, None) => Some(passed_over(rule, access, flow)),
    };
    RuleStep {
        name: rule.name.to_string(),
        priority: rule.priority.known().copied(),
        access,
        default_rule: rule.is_default,
        skipped,
        uncertain,
        part: (decides && partial && share.is_some()).then(|| sources_text(rule)),
        with,
        took_part: !decides && share.is_some(),
    }
}

/// A rule that took public addresses without deciding: part of the Internet is admitted or
/// refused there, and the walk goes on with the rest.
fn took_part(rule: &SecurityRule, share: &Share<'_>, partial: bool) -> String {
    let verb = match share.access {
        Access::Allow => "admits",
        Access::Deny => "refuses",
    };
    if partial {
        return format!(
            "{verb} part of the Internet ({}); the rest goes on to the next rule",
            sources_text(rule)
        );
    }
    // What earlier rules left: say which family when only one is left.
    let family = match (share.took.v4.is_empty(), share.took.v6.is_empty()) {
        (true, false) => " (IPv6: the rules above took every IPv4 address)",
        (false, true) => " (IPv4: the rules above took every IPv6 address)",
        _ => "",
    };
    format!("{verb} what earlier rules left of the Internet{family}")
}

/// Why a rule that took no public address was passed over: the first condition that fails,
/// judged for an address its sources name when they name one (the source is the walk's to
/// judge), or that earlier rules took every address it names.
fn passed_over(rule: &SecurityRule, access: Access, flow: &Flow<'_>) -> String {
    let named = match &rule.sources {
        Decided::Known(items) => first_public(items),
        Decided::Unknown(_) => None,
    };
    let Some(address) = named else {
        return rule_mismatch(rule, access, flow)
            .unwrap_or_else(|| "source does not match".to_owned());
    };
    let one = Source::PublicAddress(address);
    let flow_one = Flow {
        source: &one,
        ..flow.clone()
    };
    rule_mismatch(rule, access, &flow_one)
        .unwrap_or_else(|| "earlier rules took every public address its sources name".to_owned())
}

/// An address of the public space that `items` name, if they name one.
fn first_public(items: &[AddressItem]) -> Option<IpAddr> {
    let public = Addresses::public_of_items(items);
    if let Some(&(lo, _)) = public.v4.ranges().first() {
        return Some(IpAddr::from(std::net::Ipv4Addr::from(lo)));
    }
    public
        .v6
        .ranges()
        .first()
        .map(|&(lo, _)| IpAddr::from(std::net::Ipv6Addr::from(lo)))
}

/// How many of a rule's sources the trace lists (a rule may hold thousands).
const LISTED: usize = 6;

/// The rule's sources as written, the first [`LISTED`] of them.
fn sources_text(rule: &SecurityRule) -> String {
    let Decided::Known(items) = &rule.sources else {
        return "?".to_owned();
    };
    let mut text = items
        .iter()
        .take(LISTED)
        .map(AddressItem::label)
        .collect::<Vec<_>>()
        .join(", ");
    let more = items.len().saturating_sub(LISTED);
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}
