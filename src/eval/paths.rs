//! EVALUATE: the paths from the Internet to one port of one ipConfiguration.
//!
//! A public IP on the ipConfiguration; a load-balancer inbound NAT rule or pool, or a
//! load-balancing rule, with a public frontend and the port as backend port; an Azure Firewall
//! DNAT rule translating to the ipConfiguration's address and the port. Each candidate path
//! carries a [`Match`] saying whether it certainly exists; `vm` resolves it per mode.

mod instance_ip;

use std::net::IpAddr;

use instance_ip::{instance_ip_sku, InstanceSku};
use ipnet::IpNet;

use super::addresses::items_cover_public;
use super::mode::Uncertainty;
use super::nsg::{Match, Source};
use super::shared::DnatIndex;
use std::sync::Arc;

use crate::model::access::{parent_key, parent_of_key};
use crate::model::address::AddressItem;
use crate::model::edge::IP_GROUP_TAG;
use crate::model::{Decided, DnatRule, Firewall, Inventory, IpConfig, LbNat, TranslatedAddress};
use crate::source::Origin;

/// Kind of path in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathKind {
    /// Public IP on the ipConfiguration.
    PublicIp,
    /// Load-balancer inbound NAT rule or pool.
    LoadBalancerNat,
    /// Load-balancing rule.
    LoadBalancerRule,
    /// Azure Firewall DNAT rule.
    FirewallDnat,
}

impl PathKind {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicIp => "publicIp",
            Self::LoadBalancerNat => "loadBalancerNat",
            Self::LoadBalancerRule => "loadBalancerRule",
            Self::FirewallDnat => "firewallDnat",
        }
    }
}

/// The rule a path in goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRule {
    /// A load balancer's NAT or load-balancing rule, or a firewall's DNAT rule
    /// (`collection/name`).
    Named(String),
    /// A firewall whose policy's rules are not (all) in the input: one of them may forward
    /// here, and none can be named.
    PolicyRulesMissing,
}

impl PathRule {
    /// Name in reports.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Named(name) => name,
            Self::PolicyRulesMissing => "(policy rules not in the input)",
        }
    }
}

impl std::fmt::Display for PathRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One candidate path in.
#[derive(Debug, Clone)]
pub struct PathIn {
    /// Kind.
    pub kind: PathKind,
    /// The ipConfiguration it reaches (`nic/ipconfig`).
    pub ip_configuration: Arc<str>,
    /// The public IP, load balancer or firewall it goes through.
    pub via: String,
    /// Its id.
    pub via_id: String,
    /// NAT rule, LB rule or DNAT rule.
    pub rule: Option<PathRule>,
    /// Frontend address and/or port as known.
    pub frontend: Option<String>,
    /// Sources a DNAT rule accepts.
    pub sources: Vec<String>,
    /// Whether a generic Internet source may use it: for DNAT, whether the rule's sources
    /// cover the public address space (docs/verdicts.md, "Sources judged by coverage").
    pub internet_wide: Match,
    /// Whether the path reaches this ipConfiguration.
    pub reaches: Match,
    /// Standard SKU public IP / load balancer: closed to inbound traffic unless an NSG allows it.
    pub secure_by_default: bool,
    /// When the input does not decide the SKU (a scale set's per-instance public IP): how
    /// unsure `secure_by_default` is and why. It matters only when no NSG filters the path.
    pub sku_doubt: Option<(Uncertainty, String)>,
    /// For DNAT: the source the VM sees (the firewall's SNAT address).
    pub firewall_source: Option<Source>,
    /// Where the rule or resource is declared.
    pub origin: Option<Origin>,
}

/// Every candidate path to `port` on `config` (whose NIC is `nic_name`): its public IP's
/// (see `public_path`), then those that depend on the port (see `port_paths`).
pub fn paths_to(inv: &Inventory, config: &IpConfig, nic_name: &str, port: u16) -> Vec<PathIn> {
    let label: Arc<str> = format!("{nic_name}/{}", config.name).into();
    let mut out: Vec<PathIn> = public_path(inv, config, &label).into_iter().collect();
    out.extend(port_paths(inv, config, &label, port, None));
    out
}

/// The path through the ipConfiguration's own public IP, when it has one: the same for every
/// port (a VM's evaluation finds it once and shares it across its ports). A scale set's
/// per-instance public IP takes its SKU as [`instance_ip_sku`] decides it.
pub(crate) fn public_path(inv: &Inventory, config: &IpConfig, label: &Arc<str>) -> Option<PathIn> {
    let public = config.public_ip.as_ref()?;
    let mut path = public_ip_path(inv, public, label);
    // The association is the line a change removes.
    path.origin.clone_from(&config.public_ip_origin);
    if let Some(instance) = &config.instance_public_ip {
        match instance_ip_sku(inv, instance, config) {
            InstanceSku::Decided(secure) => path.secure_by_default = secure,
            InstanceSku::Undecided(level, why) => {
                // The open side is taken, and said: Basic is open without an NSG.
                path.secure_by_default = false;
                path.sku_doubt = Some((level, why));
            }
        }
    }
    Some(path)
}

/// The paths to `port` on the ipConfiguration labelled `label` (`nic/ipconfig`) other than
/// its public IP's: load-balancer NAT and rules, firewall DNAT. With `dnat`, firewall DNAT
/// rules are looked up there (rules that can translate to this ipConfiguration) instead of
/// trying every rule of every firewall: same paths, same order.
pub(crate) fn port_paths(
    inv: &Inventory,
    config: &IpConfig,
    label: &Arc<str>,
    port: u16,
    dnat: Option<&DnatIndex<'_>>,
) -> Vec<PathIn> {
    let mut out = Vec::new();
    nat_paths(inv, config, label, port, &mut out);
    rule_paths(inv, config, label, port, &mut out);
    let candidates = dnat.map(|index| index.candidates(inv, config));
    for (f, firewall) in inv.firewalls.iter().enumerate() {
        if let Some(path) = unknown_policy_path(inv, firewall, config, label) {
            out.push(path);
        }
        let rules: Vec<&DnatRule> = match &candidates {
            Some(found) => found
                .range((f, 0)..(f + 1, 0))
                .map(|(_, rule)| *rule)
                .collect(),
            None => dnat_rules(inv, firewall).collect(),
        };
        for rule in rules {
            if let Some(path) = dnat_path(inv, firewall, rule, config, label, port) {
                out.push(path);
            }
        }
    }
    out
}

/// A firewall's DNAT rules: its own (classic), then its policy's.
pub(crate) fn dnat_rules<'i>(
    inv: &'i Inventory,
    firewall: &'i Firewall,
) -> impl Iterator<Item = &'i DnatRule> {
    let policy_rules = firewall
        .policy
        .as_ref()
        .and_then(Decided::known)
        .and_then(|id| inv.firewall_policies.get(&crate::model::key(id)))
        .map_or(&[][..], |p| p.dnat.as_slice());
    firewall.dnat.iter().chain(policy_rules)
}

fn base(kind: PathKind, label: &Arc<str>, via: &str, via_id: &str) -> PathIn {
    PathIn {
        kind,
        ip_configuration: Arc::clone(label),
        via: via.to_owned(),
        via_id: via_id.to_owned(),
        rule: None,
        frontend: None,
        sources: vec!["*".to_owned()],
        internet_wide: Match::Yes,
        reaches: Match::Yes,
        secure_by_default: false,
        sku_doubt: None,
        firewall_source: None,
        origin: None,
    }
}

fn is_standard(sku: Option<&String>) -> bool {
    sku.is_some_and(|s| s.eq_ignore_ascii_case("standard"))
}

fn public_ip_path(inv: &Inventory, public: &Decided<String>, label: &Arc<str>) -> PathIn {
    match public {
        Decided::Known(id) => {
            let found = inv.public_ips.get(&crate::model::key(id));
            let name = found.map_or_else(
                || crate::model::access::last_segment(id).to_owned(),
                |p| p.name.clone(),
            );
            let mut path = base(PathKind::PublicIp, label, &name, id);
            path.frontend = found.and_then(|p| p.address.clone());
            path.secure_by_default = is_standard(found.and_then(|p| p.sku.as_ref()));
            path
        }
        Decided::Unknown(reason) => {
            let mut path = base(PathKind::PublicIp, label, "(unknown public IP)", "");
            path.reaches = Match::Maybe(Uncertainty::Unknown, reason.clone());
            path
        }
    }
}

/// The load balancer a child (a backend pool) belongs to; `child_key` is a key, as every pool
/// reference in the model is.
fn lb_of<'i>(inv: &'i Inventory, child_key: &str) -> Option<&'i crate::model::LoadBalancer> {
    inv.load_balancers.get(parent_of_key(child_key))
}

fn frontend_public(lb: &crate::model::LoadBalancer, frontend: Option<&String>) -> Match {
    let found = frontend.and_then(|f| lb.frontends.iter().find(|x| &x.key == f));
    match found.map(|f| &f.public) {
        Some(Decided::Known(true)) => Match::Yes,
        Some(Decided::Known(false)) => Match::No,
        Some(Decided::Unknown(reason)) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
        None => Match::Maybe(
            Uncertainty::Unknown,
            format!(
                "frontend of load balancer '{}' is not in the input",
                lb.name
            ),
        ),
    }
}

fn port_match(port: u16, backend: &Decided<u16>, protocol: &str) -> Match {
    if !(protocol == "tcp" || protocol == "all" || protocol == "*") {
        return Match::No;
    }
    match backend {
        Decided::Known(p) if *p == port => Match::Yes,
        Decided::Known(0) if protocol == "all" => Match::Yes,
        Decided::Known(_) => Match::No,
        Decided::Unknown(reason) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
    }
}

fn nat_paths(
    inv: &Inventory,
    config: &IpConfig,
    label: &Arc<str>,
    port: u16,
    out: &mut Vec<PathIn>,
) {
    let mut keys: Vec<&String> = config
        .nat_rules
        .iter()
        .chain(config.nat_pools.iter())
        .collect();
    if let Some(extra) = inv.nat_members.get(&config.key) {
        keys.extend(extra);
    }
    let mut nats: Vec<(&crate::model::LoadBalancer, &LbNat)> = keys
        .into_iter()
        .filter_map(|k| inv.nat_index.get(k))
        .filter_map(|(lb_key, i)| {
            inv.load_balancers
                .get(lb_key)
                .and_then(|lb| lb.nats.get(*i).map(|n| (lb, n)))
        })
        .collect();
    // NAT rules that target a backend pool (port ranges to each member).
    for pool in pools_of(inv, config) {
        if let Some(lb) = lb_of(inv, pool) {
            nats.extend(
                lb.nats
                    .iter()
                    .filter(|n| n.backend_pool.as_ref() == Some(pool))
                    .map(|n| (lb, n)),
            );
        }
    }
    nats.sort_by(|a, b| a.1.key.cmp(&b.1.key));
    nats.dedup_by(|a, b| a.1.key == b.1.key);
    for (lb, nat) in nats {
        let reaches = port_match(port, &nat.backend_port, &nat.protocol)
            .and_then(|| frontend_public(lb, nat.frontend.as_ref()));
        if reaches == Match::No {
            continue;
        }
        let mut path = base(PathKind::LoadBalancerNat, label, &lb.name, &lb.id);
        path.rule = Some(PathRule::Named(nat.name.clone()));
        path.frontend = Some(format!("frontend port {}", nat.frontend_ports));
        path.reaches = reaches;
        path.secure_by_default = is_standard(lb.sku.as_ref());
        path.origin = Some(nat.origin.clone());
        out.push(path);
    }
}

/// The backend pools an ipConfiguration is in, by its own references and by the pools that
/// name it; borrowed, as this runs for each VM and port.
fn pools_of<'i>(inv: &'i Inventory, config: &'i IpConfig) -> Vec<&'i String> {
    let mut pools: Vec<&String> = config.backend_pools.iter().collect();
    if let Some(named) = inv.member_pools.get(&config.key) {
        pools.extend(named);
    }
    pools.sort();
    pools.dedup();
    pools
}

fn rule_paths(
    inv: &Inventory,
    config: &IpConfig,
    label: &Arc<str>,
    port: u16,
    out: &mut Vec<PathIn>,
) {
    for pool in pools_of(inv, config) {
        let Some(lb) = lb_of(inv, pool) else {
            continue;
        };
        for rule in lb.rules.iter().filter(|r| r.backend_pools.contains(pool)) {
            let reaches = port_match(port, &rule.backend_port, &rule.protocol)
                .and_then(|| frontend_public(lb, rule.frontend.as_ref()));
            if reaches == Match::No {
                continue;
            }
            let mut path = base(PathKind::LoadBalancerRule, label, &lb.name, &lb.id);
            path.rule = Some(PathRule::Named(rule.name.clone()));
            path.frontend = rule
                .frontend_port
                .known()
                .map(|p| format!("frontend port {p}"));
            path.reaches = reaches;
            path.secure_by_default = is_standard(lb.sku.as_ref());
            path.origin = Some(rule.origin.clone());
            out.push(path);
        }
    }
}

fn dnat_path(
    inv: &Inventory,
    firewall: &Firewall,
    rule: &DnatRule,
    config: &IpConfig,
    label: &Arc<str>,
    port: u16,
) -> Option<PathIn> {
    if !rule
        .protocols
        .iter()
        .any(|p| p == "tcp" || p == "any" || p == "*")
    {
        return None;
    }
    let port_ok = match &rule.translated_port {
        Decided::Known(p) if *p == port => Match::Yes,
        Decided::Known(_) => return None,
        Decided::Unknown(reason) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
    };
    let target = target_match(inv, &rule.translated_address, config)?;
    let vnet_ok = vnet_match(inv, firewall, config)?;
    let mut path = base(PathKind::FirewallDnat, label, &firewall.name, &firewall.id);
    path.rule = Some(PathRule::Named(format!(
        "{}/{}",
        rule.collection, rule.name
    )));
    path.frontend = Some(format!("destination port {}", rule.destination_ports));
    path.reaches = port_ok.and_then(|| target).and_then(|| vnet_ok);
    (path.sources, path.internet_wide) = match &rule.sources {
        Decided::Known(items) => (
            items.iter().map(AddressItem::label).collect(),
            // Judged by coverage, as NSG sources are: `0.0.0.0/1` + `128.0.0.0/1` is `*`.
            // An IP group's addresses are a resource the model does not read: with one among
            // the sources, the rule may admit the whole Internet.
            if items_cover_public(items) {
                Match::Yes
            } else if let Some(group) = items.iter().find_map(|i| match i {
                AddressItem::OtherTag(tag) => tag.strip_prefix(IP_GROUP_TAG),
                _ => None,
            }) {
                Match::Maybe(
                    Uncertainty::Unknown,
                    format!("the addresses of IP group '{group}' are not read: the rule may admit any source"),
                )
            } else {
                Match::No
            },
        ),
        Decided::Unknown(reason) => (
            vec!["?".to_owned()],
            Match::Maybe(Uncertainty::Unknown, reason.clone()),
        ),
    };
    path.firewall_source = Some(firewall_source(inv, firewall));
    path.origin = Some(rule.origin.clone());
    Some(path)
}

/// A firewall whose policy rules are not (all) in the input may DNAT to anything it reaches:
/// an unknown path, never a silent "no DNAT".
fn unknown_policy_path(
    inv: &Inventory,
    firewall: &Firewall,
    config: &IpConfig,
    label: &Arc<str>,
) -> Option<PathIn> {
    let policy_id = match &firewall.policy {
        Some(Decided::Known(id)) => id.clone(),
        Some(Decided::Unknown(reason)) => format!("(unknown: {reason})"),
        None => return None,
    };
    let missing = match inv.firewall_policies.get(&crate::model::key(&policy_id)) {
        Some(policy) => policy.missing_rules(&policy_id)?,
        None => format!("firewall policy {policy_id} is not in the input"),
    };
    vnet_match(inv, firewall, config)?;
    let mut path = base(PathKind::FirewallDnat, label, &firewall.name, &firewall.id);
    path.rule = Some(PathRule::PolicyRulesMissing);
    path.sources = vec!["?".to_owned()];
    path.internet_wide = Match::Maybe(Uncertainty::Unknown, missing.clone());
    path.reaches = Match::Maybe(Uncertainty::Unknown, missing);
    path.firewall_source = Some(firewall_source(inv, firewall));
    path.origin = Some(firewall.origin.clone());
    Some(path)
}

/// Does the translated address designate this ipConfiguration? None when certainly not.
fn target_match(
    inv: &Inventory,
    target: &Decided<TranslatedAddress>,
    config: &IpConfig,
) -> Option<Match> {
    match target {
        Decided::Known(TranslatedAddress::DynamicOf(k)) => (k == &config.key).then_some(Match::Yes),
        Decided::Known(TranslatedAddress::Ip(ip)) => {
            let (own, inferred) = inv.private_ip_of(config);
            match own {
                Some(own) if own == *ip && !inferred => Some(Match::Yes),
                Some(own) if own == *ip => Some(Match::Maybe(
                    Uncertainty::Assumed,
                    format!("{ip} is the address Azure would assign dynamically to {} (first free address of its subnet, in declaration order)", config.name),
                )),
                _ => None,
            }
        }
        Decided::Known(TranslatedAddress::Fqdn(fqdn)) => Some(Match::Maybe(
            Uncertainty::Unknown,
            format!("translated FQDN '{fqdn}' resolves at run time"),
        )),
        Decided::Unknown(reason) => Some(Match::Maybe(Uncertainty::Unknown, reason.clone())),
    }
}

/// A firewall only reaches addresses in its own or a peered virtual network.
fn vnet_match(inv: &Inventory, firewall: &Firewall, config: &IpConfig) -> Option<Match> {
    let fw_vnet = firewall.subnet.as_ref().map(|s| parent_key(s));
    let vm_vnet = config
        .subnet
        .as_ref()
        .and_then(Decided::known)
        .map(|s| parent_key(s));
    match (fw_vnet, vm_vnet) {
        (Some(a), Some(b)) if !inv.vnets_connected(&a, &b) => None,
        _ => Some(Match::Yes),
    }
}

/// The address DNAT'd traffic carries: the firewall's private IP (SNAT), known or somewhere in
/// its subnet.
fn firewall_source(inv: &Inventory, firewall: &Firewall) -> Source {
    if let Some(ip) = firewall.private_ip {
        return Source::VnetAddress(ip);
    }
    let prefixes: Vec<IpNet> = firewall
        .subnet
        .as_ref()
        .and_then(|s| inv.subnets.get(s))
        .map(|s| s.prefixes.clone())
        .unwrap_or_default();
    Source::VnetRange(prefixes)
}

/// The firewall's private address, known or inferred (first usable address of its subnet).
pub fn firewall_address(inv: &Inventory, firewall: &Firewall) -> Option<(IpAddr, bool)> {
    if let Some(ip) = firewall.private_ip {
        return Some((ip, false));
    }
    let subnet = inv.subnets.get(firewall.subnet.as_ref()?)?;
    match subnet.prefixes.first()? {
        IpNet::V4(net) => Some((
            IpAddr::V4(std::net::Ipv4Addr::from(
                u32::from(net.network()).wrapping_add(4),
            )),
            true,
        )),
        IpNet::V6(_) => None,
    }
}

impl Match {
    /// Both must hold (the first uncertainty wins when both are uncertain).
    pub fn and_then(self, other: impl FnOnce() -> Match) -> Match {
        match self {
            Match::No => Match::No,
            Match::Yes => other(),
            Match::Maybe(level, reason) => match other() {
                Match::No => Match::No,
                Match::Maybe(l2, r2) if l2 > level => Match::Maybe(l2, r2),
                _ => Match::Maybe(level, reason),
            },
        }
    }
}
