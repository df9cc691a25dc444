//! Unit and property tests for NSG evaluation.

use proptest::prelude::*;

use super::{decide, Destination, Flow, Match, Source};
use crate::eval::mode::{Mode, Uncertainty};
use crate::model::address::AddressItem;
use crate::model::network::azure_default_rules;
use crate::model::ports::PortSet;
use crate::model::{Access, Decided, Direction, Nsg, SecurityRule};
use crate::source::Origin;

fn origin() -> Origin {
    Origin::for_tests()
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
        inline_rules: None,
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
        config: None,
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
        config: None,
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
        config: None,
    };
    assert_eq!(decide(&n, &flow, Mode::Closed).access, Access::Deny);
    assert_eq!(decide(&n, &flow, Mode::AssumedOpen).access, Access::Allow);
    let whole = Destination::InPrefixes(vec!["10.0.1.0/26".parse().unwrap()]);
    let flow = Flow {
        port: 22,
        source: &Source::Internet,
        destination: &whole,
        asgs: &[],
        config: None,
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

#[test]
fn a_targeted_deny_is_an_exception_but_a_gap_is_not() {
    // A deny of one /24 ahead of an allow from `*`: open to everyone else.
    let n = nsg(vec![
        rule("deny-scanner", 100, Access::Deny, "45.95.147.0/24", "22"),
        rule("allow-any", 110, Access::Allow, "*", "22"),
    ]);
    assert_eq!(internet_decision(&n, Mode::Closed).0, Access::Allow);
    // A list that leaves one public /24 to DenyAllInBound: not the Internet.
    let near = nsg(vec![rule_from(
        "near",
        100,
        Access::Allow,
        &crate::eval::addresses::tests::HALVES_BUT_ONE_24,
        "22",
    )]);
    assert_eq!(internet_decision(&near, Mode::Closed).0, Access::Deny);
    // A deny of more than a /8 is no targeted exception (the allow is IPv4 only: an allow
    // from `*` would admit every IPv6 client whatever IPv4 denies precede it).
    let wide = nsg(vec![
        rule("deny-wide", 100, Access::Deny, "2.0.0.0/7", "22"),
        rule_from(
            "allow-v4",
            110,
            Access::Allow,
            &["0.0.0.0/1", "128.0.0.0/1"],
            "22",
        ),
    ]);
    assert_eq!(internet_decision(&wide, Mode::Closed).0, Access::Deny);
}

#[test]
fn an_uncertain_half_makes_the_verdict_uncertain_with_its_reason() {
    let mut high = rule("high", 110, Access::Allow, "128.0.0.0/1", "22");
    high.protocol = Decided::Unknown("parameter 'protocol' has no value".into());
    let n = nsg(vec![
        rule("low", 100, Access::Allow, "0.0.0.0/1", "22"),
        high,
    ]);
    let dest = vm_address();
    let flow = from_internet(22, &dest);
    assert_eq!(decide(&n, &flow, Mode::Closed).access, Access::Deny);
    let open = decide(&n, &flow, Mode::Open);
    assert_eq!(open.access, Access::Allow);
    assert_eq!(
        open.uncertain,
        vec![(
            Uncertainty::Unknown,
            "parameter 'protocol' has no value".to_owned()
        )]
    );
}

#[test]
fn a_doubt_that_decides_nothing_is_not_noted() {
    // The office rule's destination may or may not be the VM; the allow from `*` admits the
    // office anyway, so the doubt changes nothing.
    let mut office = rule("office", 100, Access::Allow, "52.1.2.3", "22");
    office.destinations = Decided::Known(vec![AddressItem::parse("10.0.0.0/25").unwrap()]);
    let n = nsg(vec![
        office,
        rule("allow-any", 110, Access::Allow, "*", "22"),
    ]);
    let dest = Destination::InPrefixes(vec!["10.0.0.0/24".parse().unwrap()]);
    for mode in Mode::ALL {
        let d = decide(&n, &from_internet(22, &dest), mode);
        assert_eq!(
            (d.access, d.rule.name.as_ref()),
            (Access::Allow, "allow-any")
        );
        assert!(d.uncertain.is_empty(), "{mode:?}: {:?}", d.uncertain);
    }
}

fn admitted(n: &Nsg, port: u16) -> crate::eval::addresses::Addresses {
    let dest = vm_address();
    decide(n, &from_internet(port, &dest), Mode::Closed)
        .admitted
        .iter()
        .fold(Default::default(), |acc, (_, set)| acc.union(set))
}

fn arb_public_rule() -> impl Strategy<Value = SecurityRule> {
    (
        100u32..200,
        any::<bool>(),
        prop::sample::select(vec![
            "*",
            "0.0.0.0/1",
            "128.0.0.0/1",
            "45.95.147.0/24",
            "16.0.0.0/4",
            "10.0.0.0/8",
            "2000::/3",
        ]),
        20u16..24,
    )
        .prop_map(|(priority, allow, source, port)| {
            let access = if allow { Access::Allow } else { Access::Deny };
            rule(
                &format!("r{priority}"),
                priority,
                access,
                source,
                &port.to_string(),
            )
        })
}

proptest! {
    /// Splitting a rule's source into its two halves, in one rule or in two rules one after
    /// the other, changes neither the verdict nor the admitted addresses.
    #[test]
    fn splitting_a_source_in_halves_changes_nothing(rules in prop::collection::vec(arb_public_rule(), 1..6), port in 20u16..24) {
        // Priorities doubled, so each split rule's second half fits right after its first.
        let mut rules = unique_priorities(rules);
        for r in &mut rules {
            r.priority = Decided::Known(*r.priority.known().unwrap() * 2);
        }
        let halves = |r: &SecurityRule| -> Option<[String; 2]> {
            match r.sources.known()?.first()? {
                AddressItem::Prefix(net) => {
                    let mut parts = net.subnets(net.prefix_len() + 1).ok()?;
                    Some([parts.next()?.to_string(), parts.next()?.to_string()])
                }
                _ => None,
            }
        };
        let mut one_rule = Vec::new();
        let mut two_rules = Vec::new();
        for r in &rules {
            let Some([a, b]) = halves(r) else {
                one_rule.push(r.clone());
                two_rules.push(r.clone());
                continue;
            };
            let mut both = r.clone();
            both.sources = Decided::Known(vec![AddressItem::parse(&a).unwrap(), AddressItem::parse(&b).unwrap()]);
            one_rule.push(both);
            let p = *r.priority.known().unwrap();
            let mut first = r.clone();
            first.priority = Decided::Known(p);
            first.sources = Decided::Known(vec![AddressItem::parse(&a).unwrap()]);
            let mut second = r.clone();
            second.priority = Decided::Known(p + 1);
            second.sources = Decided::Known(vec![AddressItem::parse(&b).unwrap()]);
            two_rules.extend([first, second]);
        }
        let base = nsg(rules);
        for split in [nsg(one_rule), nsg(two_rules)] {
            prop_assert_eq!(internet_access(&base, port), internet_access(&split, port));
            prop_assert_eq!(admitted(&base, port), admitted(&split, port));
        }
    }

    /// A deny never admits more addresses. (It may open the verdict only as a targeted
    /// exception: see docs/verdicts.md.)
    #[test]
    fn adding_a_deny_never_admits_more(rules in prop::collection::vec(arb_public_rule(), 0..6), extra in arb_public_rule(), port in 20u16..24, priority in 50u32..300) {
        let mut with: Vec<SecurityRule> = unique_priorities(rules).into_iter().filter(|r| r.priority.known() != Some(&priority)).collect();
        let before = admitted(&nsg(with.clone()), port);
        let mut extra = extra;
        extra.access = Decided::Known(Access::Deny);
        extra.priority = Decided::Known(priority);
        with.push(extra);
        let after = admitted(&nsg(with), port);
        prop_assert!(before.union(&after) == before, "{:?} grew to {:?}", before, after);
    }
}

/// A rule whose destination is a NIC's address before Azure assigns it covers that NIC's
/// ipConfiguration and no other; with the destination unknown it may.
#[test]
fn a_nic_address_destination_covers_that_ip_configuration_only() {
    let jump = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/networkinterfaces/jump/ipconfigurations/ipconfig1";
    let mut allow = rule("rdp-to-jump", 200, Access::Allow, "*", "3389");
    allow.destinations = Decided::Known(vec![AddressItem::IpConfigAddress(jump.to_owned())]);
    let n = nsg(vec![allow]);
    let dest = Destination::InPrefixes(vec!["10.0.1.0/24".parse().unwrap()]);
    let flow = |config: Option<&'static str>| Flow {
        port: 3389,
        source: &Source::Internet,
        destination: &dest,
        asgs: &[],
        config,
    };
    for mode in Mode::ALL {
        assert_eq!(decide(&n, &flow(Some(jump)), mode).access, Access::Allow);
        assert_eq!(
            decide(&n, &flow(Some("/other/ipconfigurations/x")), mode).access,
            Access::Deny
        );
    }
    assert_eq!(decide(&n, &flow(None), Mode::Open).access, Access::Allow);
    assert_eq!(decide(&n, &flow(None), Mode::Closed).access, Access::Deny);
}
