//! MODEL: build the Internet-facing edges: load balancers (frontends, NAT rules and pools,
//! load-balancing rules) and Azure Firewalls / firewall policies (DNAT rules).

use std::net::IpAddr;

use crate::json::node::Node;

use super::access::{get_ci, items, props, reference_id, string_list, text};
use super::address::AddressItem;
use super::network::props_pointer;
use super::types::{
    key, Decided, DnatRule, Firewall, Frontend, LbNat, LbRule, LoadBalancer, TranslatedAddress,
};
use crate::source::Origin;

fn sub_id(parent_id: &str, collection: &str, value: &Node) -> String {
    let name = get_ci(value, "name")
        .and_then(Node::as_str)
        .unwrap_or_default();
    get_ci(value, "id")
        .and_then(Node::as_str)
        .map_or_else(|| format!("{parent_id}/{collection}/{name}"), str::to_owned)
}

fn name_of(value: &Node) -> String {
    get_ci(value, "name")
        .and_then(Node::as_str)
        .unwrap_or("(unnamed)")
        .to_owned()
}

fn port(value: &Node, field: &str) -> Decided<u16> {
    match text(value, field) {
        Some(Decided::Known(s)) => s.trim().parse::<u16>().map_or_else(
            |_| Decided::Unknown(format!("{field} '{s}' is not a port")),
            Decided::Known,
        ),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("no {field}")),
    }
}

fn known_key(value: &Node, field: &str) -> Option<String> {
    match reference_id(value, field) {
        Some(Decided::Known(id)) => Some(key(&id)),
        _ => None,
    }
}

/// Builds a load balancer with its inline frontends, NAT rules/pools and rules.
pub fn load_balancer(id: &str, name: &str, value: &Node, origin: Origin) -> LoadBalancer {
    let p = props(value);
    let frontends = items(p, "frontendIPConfigurations")
        .iter()
        .map(|f| {
            let fp = props(f);
            let public = if get_ci(fp, "publicIPAddress").is_some()
                || get_ci(fp, "publicIPPrefix").is_some()
            {
                Decided::Known(true)
            } else if get_ci(fp, "subnet").is_some() || get_ci(fp, "privateIPAddress").is_some() {
                Decided::Known(false)
            } else {
                Decided::Unknown(format!(
                    "frontend '{}' names neither a public IP nor a subnet",
                    name_of(f)
                ))
            };
            Frontend {
                key: key(&sub_id(id, "frontendIPConfigurations", f)),
                name: name_of(f),
                public,
            }
        })
        .collect();
    let base = props_pointer(value);
    let at = |list: &str, i: usize| origin.child(&format!("{base}/{list}/{i}"));
    let mut nats: Vec<LbNat> = items(p, "inboundNatRules")
        .iter()
        .enumerate()
        .map(|(i, r)| nat_rule(id, r, false, at("inboundNatRules", i)))
        .collect();
    nats.extend(
        items(p, "inboundNatPools")
            .iter()
            .enumerate()
            .map(|(i, r)| nat_rule(id, r, true, at("inboundNatPools", i))),
    );
    let rules = items(p, "loadBalancingRules")
        .iter()
        .enumerate()
        .map(|(i, r)| lb_rule(id, r, at("loadBalancingRules", i)))
        .collect();
    let mut pool_members = Vec::new();
    for pool in items(p, "backendAddressPools") {
        let pool_key = key(&sub_id(id, "backendAddressPools", pool));
        for member in items(props(pool), "backendIPConfigurations") {
            if let Some(member_id) = get_ci(member, "id").and_then(Node::as_str) {
                pool_members.push((pool_key.clone(), key(member_id)));
            }
        }
    }
    LoadBalancer {
        id: id.to_owned(),
        name: name.to_owned(),
        frontends,
        nats,
        rules,
        pool_members,
        sku: super::network::sku_name(value),
        sku_undecided: super::network::sku_undecided(value),
        origin,
    }
}

/// Builds an inbound NAT rule (or pool) of the load balancer `lb_id`, declared at `origin`.
pub fn nat_rule(lb_id: &str, value: &Node, is_pool: bool, origin: Origin) -> LbNat {
    let p = props(value);
    let collection = if is_pool {
        "inboundNatPools"
    } else {
        "inboundNatRules"
    };
    let frontend_ports = match (
        text(p, "frontendPort"),
        text(p, "frontendPortRangeStart"),
        text(p, "frontendPortRangeEnd"),
    ) {
        (Some(Decided::Known(port)), _, _) if port != "0" => port,
        (_, Some(Decided::Known(a)), Some(Decided::Known(b))) => format!("{a}-{b}"),
        _ => "?".to_owned(),
    };
    LbNat {
        key: key(&sub_id(lb_id, collection, value)),
        name: name_of(value),
        frontend: known_key(p, "frontendIPConfiguration"),
        frontend_ports,
        backend_port: port(p, "backendPort"),
        protocol: protocol(p, "protocol"),
        backend_pool: known_key(p, "backendAddressPool"),
        backend_ip_configs: known_key(p, "backendIPConfiguration").into_iter().collect(),
        is_pool,
        origin,
    }
}

fn protocol(p: &Node, field: &str) -> String {
    match text(p, field) {
        Some(Decided::Known(s)) => s.to_ascii_lowercase(),
        _ => "tcp".to_owned(),
    }
}

fn lb_rule(lb_id: &str, value: &Node, origin: Origin) -> LbRule {
    let p = props(value);
    let mut backend_pools: Vec<String> = known_key(p, "backendAddressPool").into_iter().collect();
    backend_pools.extend(super::access::reference_keys(p, "backendAddressPools"));
    backend_pools.sort();
    backend_pools.dedup();
    LbRule {
        key: key(&sub_id(lb_id, "loadBalancingRules", value)),
        name: name_of(value),
        frontend: known_key(p, "frontendIPConfiguration"),
        frontend_port: port(p, "frontendPort"),
        backend_port: port(p, "backendPort"),
        protocol: protocol(p, "protocol"),
        backend_pools,
        origin,
    }
}

/// Builds an Azure Firewall with its classic DNAT rules.
pub fn firewall(id: &str, name: &str, value: &Node, origin: Origin) -> Firewall {
    let p = props(value);
    let base = props_pointer(value);
    let first_config = items(p, "ipConfigurations").first().map(props);
    let private_ip = first_config.and_then(|c| match text(c, "privateIPAddress") {
        Some(Decided::Known(s)) => s.parse::<IpAddr>().ok(),
        _ => None,
    });
    let subnet = first_config.and_then(|c| known_key(c, "subnet"));
    let mut dnat = Vec::new();
    for (i, collection) in items(p, "natRuleCollections").iter().enumerate() {
        let cp = props(collection);
        let collection_name = name_of(collection);
        let inner = props_pointer(collection);
        for (j, rule) in items(cp, "rules").iter().enumerate() {
            let o = origin.child(&format!("{base}/natRuleCollections/{i}{inner}/rules/{j}"));
            dnat.push(dnat_rule(rule, rule, &collection_name, o));
        }
    }
    Firewall {
        id: id.to_owned(),
        name: name.to_owned(),
        subnet,
        private_ip,
        policy: reference_id(p, "firewallPolicy"),
        dnat,
        origin,
    }
}

/// DNAT rules of a firewall policy rule collection group (`ruleCollections`) or of an older
/// rule group (`rules` with `FirewallPolicyNatRule`).
pub fn policy_dnat_rules(value: &Node, origin: &Origin) -> Vec<DnatRule> {
    let p = props(value);
    let base = props_pointer(value);
    let mut out = Vec::new();
    for (i, collection) in items(p, "ruleCollections").iter().enumerate() {
        let kind = text(collection, "ruleCollectionType");
        let is_nat =
            matches!(&kind, Some(Decided::Known(k)) if k.to_ascii_lowercase().contains("nat"));
        if !is_nat {
            continue;
        }
        let collection_name = name_of(collection);
        for (j, rule) in items(collection, "rules").iter().enumerate() {
            let o = origin.child(&format!("{base}/ruleCollections/{i}/rules/{j}"));
            out.push(dnat_rule(rule, rule, &collection_name, o));
        }
    }
    for (i, rule) in items(p, "rules").iter().enumerate() {
        let is_nat = matches!(text(rule, "ruleType"), Some(Decided::Known(k)) if k.to_ascii_lowercase().contains("nat"));
        if !is_nat {
            continue;
        }
        let condition = get_ci(rule, "ruleCondition").unwrap_or(rule);
        let o = origin.child(&format!("{base}/rules/{i}"));
        out.push(dnat_rule(rule, condition, &name_of(value), o));
    }
    out
}

/// One DNAT rule: `rule` holds the translation, `condition` the match (the same object except
/// in the older rule-group shape).
fn dnat_rule(rule: &Node, condition: &Node, collection: &str, origin: Origin) -> DnatRule {
    let sources = dnat_sources(condition);
    let destination_ports = match string_list(condition, "destinationPorts") {
        Some(Decided::Known(l)) => l.join(","),
        _ => "?".to_owned(),
    };
    let protocols = match string_list(condition, "protocols")
        .or_else(|| string_list(condition, "ipProtocols"))
    {
        Some(Decided::Known(l)) => l.iter().map(|s| s.to_ascii_lowercase()).collect(),
        _ => vec!["tcp".to_owned()],
    };
    DnatRule {
        name: name_of(rule),
        collection: collection.to_owned(),
        sources,
        destination_ports,
        protocols,
        translated_address: translated_address(rule),
        translated_port: port(rule, "translatedPort"),
        origin,
    }
}

/// A DNAT rule's sources: addresses, prefixes, ranges (`a.b.c.d-e.f.g.h`, as the prefixes that
/// cover them) and IP groups (by name: their addresses are a resource of their own). A source
/// that is none of these makes them all undecided, never silently fewer.
fn dnat_sources(condition: &Node) -> Decided<Vec<AddressItem>> {
    let texts = match string_list(condition, "sourceAddresses") {
        Some(Decided::Unknown(r)) => return Decided::Unknown(r),
        Some(Decided::Known(l)) => l,
        None => Vec::new(),
    };
    let mut list: Vec<AddressItem> = Vec::new();
    for text in &texts {
        match firewall_source_items(text) {
            Some(items) => list.extend(items),
            None => {
                return Decided::Unknown(format!(
                    "the DNAT rule's source '{text}' is not an address, a prefix, a range or '*'"
                ))
            }
        }
    }
    for group in super::access::reference_keys(condition, "sourceIpGroups") {
        list.push(AddressItem::OtherTag(format!(
            "{IP_GROUP_TAG}{}",
            super::access::last_segment(&group)
        )));
    }
    if let Some(Decided::Known(groups)) = string_list(condition, "sourceIpGroups") {
        for g in groups {
            list.push(AddressItem::OtherTag(format!(
                "{IP_GROUP_TAG}{}",
                super::access::last_segment(&g)
            )));
        }
    }
    if list.is_empty() {
        Decided::Unknown("the DNAT rule names no source".to_owned())
    } else {
        list.dedup();
        Decided::Known(list)
    }
}

/// How an IP group among a rule's sources is named (`ipGroup:<name>`).
pub const IP_GROUP_TAG: &str = "ipGroup:";

/// The items of one firewall source: `*`, an address, a prefix, or a range `a-b` of one family
/// as the prefixes covering it. None when it is none of these.
fn firewall_source_items(text: &str) -> Option<Vec<AddressItem>> {
    if let Ok(item) = AddressItem::parse(text) {
        if !matches!(item, AddressItem::OtherTag(_)) {
            return Some(vec![item]);
        }
    }
    let (from, to) = text.trim().split_once('-')?;
    match (
        from.trim().parse::<IpAddr>().ok()?,
        to.trim().parse::<IpAddr>().ok()?,
    ) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => Some(
            ipnet::Ipv4Subnets::new(a, b, 0)
                .map(|net| AddressItem::Prefix(ipnet::IpNet::V4(net)))
                .collect(),
        ),
        (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => Some(
            ipnet::Ipv6Subnets::new(a, b, 0)
                .map(|net| AddressItem::Prefix(ipnet::IpNet::V6(net)))
                .collect(),
        ),
        _ => None,
    }
}

/// An address field that may hold a literal IP or a `reference()` to a dynamic private IP.
pub fn address_field(value: &Node, field: &str) -> Option<Decided<TranslatedAddress>> {
    let raw = get_ci(value, field)?;
    if let Some(config) = raw.dynamic_ip_config() {
        return Some(Decided::Known(TranslatedAddress::DynamicOf(key(config))));
    }
    match super::access::decided_text(raw)? {
        Decided::Known(s) => Some(s.trim().parse::<IpAddr>().map_or_else(
            |_| Decided::Unknown(format!("{field} '{s}' is not an address")),
            |ip| Decided::Known(TranslatedAddress::Ip(ip)),
        )),
        Decided::Unknown(r) => Some(Decided::Unknown(r)),
    }
}

fn translated_address(rule: &Node) -> Decided<TranslatedAddress> {
    if let Some(found) = address_field(rule, "translatedAddress") {
        return found;
    }
    match text(rule, "translatedFqdn") {
        Some(Decided::Known(f)) => Decided::Known(TranslatedAddress::Fqdn(f)),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown("the DNAT rule has no translated address".to_owned()),
    }
}
