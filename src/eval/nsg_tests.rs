//! Unit and property tests for NSG evaluation.

use std::sync::Arc;

use proptest::prelude::*;

use super::{decide, Destination, Flow, Match, Source};
use crate::eval::mode::{Mode, Uncertainty};
use crate::model::address::AddressItem;
use crate::model::network::azure_default_rules;
use crate::model::ports::PortSet;
use crate::model::{Access, Decided, Direction, Nsg, SecurityRule};
use crate::source::Origin;
use crate::source::{LineIndex, Source as Text};

fn origin() -> Origin {
    let text: crate::diagnostic::Text = Arc::new("{}".to_owned());
    Origin {
        document: Arc::new(Text::new(
            "t.json".into(),
            "t.json".into(),
            Arc::clone(&text),
            Arc::new(LineIndex::new(&text)),
        )),
        pointer: "".into(),
    }
}

fn rule(name: &str, priority: u32, access: Access, source: &str, ports: &str) -> SecurityRule {
    SecurityRule {
        name: name.to_owned().into(),
        priority: Decided::Known(priority),
        direction: Decided::Known(Direction::Inbound),
        access: Decided::Known(access),
        protocol: Decided::Known("tcp".to_owned()),
        sources: Decided::Known(vec![AddressItem::parse(source).unwrap()]),
        source_ports: Decided::Known(PortSet::all()),
        destinations: Decided::Known(vec![AddressItem::Any]),
        destination_ports: Decided::Known(PortSet::parse_item(ports).unwrap()),
        is_default: false,
        origin: None,
    }
}

fn nsg(rules: Vec<SecurityRule>) -> Nsg {
    Nsg {
        id: "nsg".into(),
        name: "nsg".into(),
        rules,
        default_rules: azure_default_rules(),
        origin: origin(),
    }
}

/// The VM's address in these tests.
fn vm_address() -> Destination {
    Destination::Address("10.0.0.4".parse().unwrap())
}

/// A flow from the Internet to `port` of `destination`.
fn from_internet(port: u16, destination: &Destination) -> Flow<'_> {
    Flow {
        port,
        source: &Source::Internet,
        destination,
        asgs: &[],
    }
}

fn internet_access(nsg: &Nsg, port: u16) -> Access {
    let dest = vm_address();
    decide(nsg, &from_internet(port, &dest), Mode::Closed).access
}

#[test]
fn lowest_priority_number_wins() {
    let n = nsg(vec![
        rule("allow", 200, Access::Allow, "*", "22"),
        rule("deny", 100, Access::Deny, "*", "22"),
    ]);
    assert_eq!(internet_access(&n, 22), Access::Deny);
    let n = nsg(vec![
        rule("allow", 100, Access::Allow, "*", "22"),
        rule("deny", 200, Access::Deny, "*", "22"),
    ]);
    assert_eq!(internet_access(&n, 22), Access::Allow);
}

#[test]
fn default_rules_deny_the_internet_and_admit_the_vnet() {
    let n = nsg(vec![]);
    assert_eq!(internet_access(&n, 3389), Access::Deny);
    let dest = vm_address();
    let vnet = Source::VnetAddress("10.0.9.4".parse().unwrap());
    let flow = Flow {
        port: 3389,
        source: &vnet,
        destination: &dest,
        asgs: &[],
    };
    let decision = decide(&n, &flow, Mode::Closed);
    assert_eq!(
        (decision.access, &*decision.rule.name),
        (Access::Allow, "AllowVnetInBound")
    );
}

#[test]
fn specific_sources_do_not_decide_for_the_internet() {
    let n = nsg(vec![
        rule("office", 100, Access::Allow, "203.0.113.0/24", "22"),
        rule("vnet", 110, Access::Allow, "VirtualNetwork", "22"),
    ]);
    assert_eq!(internet_access(&n, 22), Access::Deny);
}

#[test]
fn udp_rules_do_not_match_tcp() {
    let mut r = rule("udp", 100, Access::Allow, "*", "3389");
    r.protocol = Decided::Known("udp".into());
    assert_eq!(internet_access(&nsg(vec![r]), 3389), Access::Deny);
}

#[test]
fn deny_with_narrow_source_port_does_not_decide_but_allow_does() {
    let mut deny = rule("deny", 100, Access::Deny, "*", "22");
    deny.source_ports = Decided::Known(PortSet::single(1024));
    let allow = rule("allow", 200, Access::Allow, "*", "22");
    assert_eq!(internet_access(&nsg(vec![deny, allow]), 22), Access::Allow);
    let mut allow = rule("allow", 100, Access::Allow, "*", "22");
    allow.source_ports = Decided::Known(PortSet::parse_item("49152-65535").unwrap());
    assert_eq!(internet_access(&nsg(vec![allow]), 22), Access::Allow);
}

#[test]
fn unknown_source_is_resolved_by_mode() {
    let mut r = rule("param", 100, Access::Allow, "*", "22");
    r.sources = Decided::Unknown("parameter 'src' has no value".into());
    let n = nsg(vec![r]);
    let dest = vm_address();
    let flow = from_internet(22, &dest);
    assert_eq!(decide(&n, &flow, Mode::Closed).access, Access::Deny);
    assert_eq!(decide(&n, &flow, Mode::AssumedOpen).access, Access::Deny);
    let open = decide(&n, &flow, Mode::Open);
    assert_eq!(open.access, Access::Allow);
    assert_eq!(
        open.uncertain.first().map(|(l, _)| *l),
        Some(Uncertainty::Unknown)
    );
}

#[test]
fn partial_destination_prefix_for_a_dynamic_ip_is_assumed() {
    let mut r = rule("half", 100, Access::Allow, "*", "22");
    r.destinations = Decided::Known(vec![AddressItem::parse("10.0.1.0/25").unwrap()]);
    let n = nsg(vec![r]);
    let dest = Destination::InPrefixes(vec!["10.0.1.0/24".parse().unwrap()]);
    let flow = Flow {
        port: 22,
        source: &Source::Internet,
        destination: &dest,
        asgs: &[],
    };
    assert_eq!(decide(&n, &flow, Mode::Closed).access, Access::Deny);
    assert_eq!(decide(&n, &flow, Mode::AssumedOpen).access, Access::Allow);
    let whole = Destination::InPrefixes(vec!["10.0.1.0/26".parse().unwrap()]);
    let flow = Flow {
        port: 22,
        source: &Source::Internet,
        destination: &whole,
        asgs: &[],
    };
    assert_eq!(decide(&n, &flow, Mode::Closed).access, Access::Allow);
}

#[test]
fn match_combination_keeps_the_strongest_doubt() {
    let a = Match::Maybe(Uncertainty::Assumed, "a".into());
    let u = Match::Maybe(Uncertainty::Unknown, "u".into());
    assert_eq!(a.clone().and_then(|| u.clone()), u);
    assert_eq!(Match::Yes.and_then(|| a.clone()), a);
    assert_eq!(a.and_then(|| Match::No), Match::No);
}

fn arb_rule() -> impl Strategy<Value = SecurityRule> {
    (
        100u32..200,
        any::<bool>(),
        prop::sample::select(vec![
            "*",
            "Internet",
            "10.0.0.0/8",
            "VirtualNetwork",
            "203.0.113.0/24",
        ]),
        0u16..40,
        0u16..20,
    )
        .prop_map(|(priority, allow, source, start, len)| {
            let access = if allow { Access::Allow } else { Access::Deny };
            let ports = format!("{}-{}", start, start + len);
            rule(&format!("r{priority}"), priority, access, source, &ports)
        })
}

fn unique_priorities(rules: Vec<SecurityRule>) -> Vec<SecurityRule> {
    let mut seen = std::collections::HashSet::new();
    rules
        .into_iter()
        .filter(|r| seen.insert(*r.priority.known().unwrap()))
        .collect()
}

proptest! {
    #[test]
    fn file_order_does_not_matter(rules in prop::collection::vec(arb_rule(), 0..8), port in 0u16..60) {
        let rules = unique_priorities(rules);
        let mut reversed = rules.clone();
        reversed.reverse();
        prop_assert_eq!(internet_access(&nsg(rules), port), internet_access(&nsg(reversed), port));
    }

    #[test]
    fn adding_an_allow_never_closes(rules in prop::collection::vec(arb_rule(), 0..8), extra in arb_rule(), port in 0u16..60) {
        let rules = unique_priorities(rules);
        let before = internet_access(&nsg(rules.clone()), port);
        let mut extra = extra;
        extra.access = Decided::Known(Access::Allow);
        extra.priority = Decided::Known(300);
        let mut with = rules;
        with.push(extra);
        if before == Access::Allow {
            prop_assert_eq!(internet_access(&nsg(with), port), Access::Allow);
        }
    }

    #[test]
    fn adding_a_deny_never_opens(rules in prop::collection::vec(arb_rule(), 0..8), extra in arb_rule(), port in 0u16..60, priority in 50u32..300) {
        let rules = unique_priorities(rules);
        let before = internet_access(&nsg(rules.clone()), port);
        let mut extra = extra;
        extra.access = Decided::Known(Access::Deny);
        extra.priority = Decided::Known(priority);
        let mut with: Vec<SecurityRule> = rules.into_iter().filter(|r| r.priority.known() != Some(&priority)).collect();
        let reduced_before = internet_access(&nsg(with.clone()), port);
        with.push(extra);
        if reduced_before == Access::Deny {
            prop_assert_eq!(internet_access(&nsg(with), port), Access::Deny);
        }
        let _ = before;
    }

    #[test]
    fn splitting_a_rule_port_range_changes_nothing(rules in prop::collection::vec(arb_rule(), 1..6), port in 0u16..60, cut in 0u16..20) {
        let rules = unique_priorities(rules);
        let split: Vec<SecurityRule> = rules.iter().map(|r| {
            let set = r.destination_ports.known().unwrap();
            let (a, b) = set.ranges()[0];
            let c = a.saturating_add(cut).min(b);
            let mut copy = r.clone();
            copy.destination_ports = Decided::Known(PortSet::from_ranges([(a, c), (c.saturating_add(1).min(b), b)]));
            copy
        }).collect();
        prop_assert_eq!(internet_access(&nsg(rules), port), internet_access(&nsg(split), port));
    }
}

/// Who else may reach the port: inbound Allow rules for the port from sources that are not
/// Internet-wide, in priority order; an undecided port or direction keeps a rule listed (it
/// may apply), a decided mismatch drops it.
#[test]
fn specific_sources_are_the_narrow_allows_for_the_port() {
    let mut unknown_ports = rule("param-ports", 130, Access::Allow, "10.1.0.0/16", "22");
    unknown_ports.destination_ports = Decided::Unknown("parameter 'ports' has no value".into());
    let mut outbound = rule("outbound", 105, Access::Allow, "198.51.100.7/32", "22");
    outbound.direction = Decided::Known(Direction::Outbound);
    let mut udp = rule("udp", 106, Access::Allow, "198.51.100.8/32", "22");
    udp.protocol = Decided::Known("udp".into());
    let mut elsewhere = rule("elsewhere", 107, Access::Allow, "198.51.100.9/32", "22");
    elsewhere.destinations = Decided::Known(vec![AddressItem::parse("10.9.0.0/24").unwrap()]);
    let n = nsg(vec![
        unknown_ports,
        rule("office", 120, Access::Allow, "203.0.113.0/24", "22"),
        rule("host", 110, Access::Allow, "198.51.100.10", "20-23"),
        rule("any", 100, Access::Allow, "*", "22"),
        rule("internet", 101, Access::Allow, "Internet", "22"),
        rule("rdp-office", 102, Access::Allow, "203.0.113.0/24", "3389"),
        rule("deny-office", 103, Access::Deny, "203.0.113.0/24", "22"),
        outbound,
        udp,
        elsewhere,
    ]);
    let dest = vm_address();
    let listed: Vec<(&str, Vec<String>)> =
        super::specific_sources_allowed(&n, &from_internet(22, &dest))
            .into_iter()
            .map(|(r, sources)| (&*r.name, sources))
            .collect();
    assert_eq!(
        listed,
        vec![
            ("host", vec!["198.51.100.10".to_owned()]),
            ("office", vec!["203.0.113.0/24".to_owned()]),
            ("param-ports", vec!["10.1.0.0/16".to_owned()]),
        ]
    );
}

// Sources judged by coverage (docs/verdicts.md, "Sources judged by coverage").

fn rule_from(
    name: &str,
    priority: u32,
    access: Access,
    sources: &[&str],
    ports: &str,
) -> SecurityRule {
    let mut r = rule(name, priority, access, "*", ports);
    r.sources = Decided::Known(
        sources
            .iter()
            .map(|s| AddressItem::parse(s).unwrap())
            .collect(),
    );
    r
}

fn internet_decision(n: &Nsg, mode: Mode) -> (Access, Vec<String>) {
    let dest = vm_address();
    let d = decide(n, &from_internet(22, &dest), mode);
    let names = std::iter::once(d.rule)
        .chain(d.also.iter().copied())
        .map(|r| r.name.to_string())
        .collect();
    (d.access, names)
}

#[test]
fn halves_split_over_two_rules_admit_the_internet_and_both_are_named() {
    let n = nsg(vec![
        rule("low", 100, Access::Allow, "0.0.0.0/1", "22"),
        rule("high", 110, Access::Allow, "128.0.0.0/1", "22"),
    ]);
    assert_eq!(
        internet_decision(&n, Mode::Closed),
        (Access::Allow, vec!["low".to_owned(), "high".to_owned()])
    );
    // One half alone is not the Internet.
    let half = nsg(vec![rule("low", 100, Access::Allow, "0.0.0.0/1", "22")]);
    assert_eq!(
        internet_decision(&half, Mode::Closed),
        (Access::Deny, vec!["DenyAllInBound".to_owned()])
    );
}

#[test]
fn denied_halves_shadow_a_later_allow_from_any() {
    let n = nsg(vec![
        rule_from("deny-low", 100, Access::Deny, &["0.0.0.0/1", "::/1"], "22"),
        rule_from(
            "deny-high",
            110,
            Access::Deny,
            &["128.0.0.0/1", "8000::/1"],
            "22",
        ),
        rule("allow-any", 120, Access::Allow, "*", "22"),
    ]);
    assert_eq!(
        internet_decision(&n, Mode::Closed),
        (Access::Deny, vec!["deny-low".to_owned()])
    );
    // IPv4 prefixes do not match IPv6 clients: denying every IPv4 address leaves `*` open to
    // every IPv6 one.
    let v4_only = nsg(vec![
        rule("deny-low", 100, Access::Deny, "0.0.0.0/1", "22"),
        rule("deny-high", 110, Access::Deny, "128.0.0.0/1", "22"),
        rule("allow-any", 120, Access::Allow, "*", "22"),
    ]);
    assert_eq!(
        internet_decision(&v4_only, Mode::Closed),
        (Access::Allow, vec!["allow-any".to_owned()])
    );
}
