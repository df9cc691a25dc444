//! MODEL: build NSGs (and their rules), subnets, NICs, public IPs and route tables from
//! evaluated resources. Strict parsing: a bad prefix, port range or priority is a diagnostic
//! located at the property that holds it (see `fields`), and the affected value becomes
//! unknown rather than guessed.

pub mod admin;
mod fields;

use std::net::IpAddr;

use crate::json::node::Node;

use super::access::{get_ci, items, props, reference_id, reference_keys, text};
use super::address::AddressItem;
use super::ports::PortSet;
use super::types::{
    key, Access, Decided, Direction, IpConfig, Nic, Nsg, PrivateIp, PublicIp, Route, RouteTable,
    SecurityRule, Subnet,
};
use crate::diagnostic::{InputProblem, ProblemCode, Severity};
use crate::source::Origin;
pub use fields::push_unique;

/// Problems found while building, collected by the caller.
pub type Problems = Vec<InputProblem>;

/// A warning located at `origin`.
pub fn located(origin: &Origin, code: ProblemCode, message: String, help: &str) -> InputProblem {
    InputProblem {
        span: Some(origin.document.span_of_value(&origin.pointer)),
        source: Some(origin.document.text()),
        ..InputProblem::whole_file(code, Severity::Warning, origin.path(), message, help)
    }
}

/// `/properties` when the value nests its properties, "" when flattened.
pub fn props_pointer(value: &Node) -> &'static str {
    if get_ci(value, "properties").is_some_and(Node::is_object) {
        "/properties"
    } else {
        ""
    }
}

/// Builds an NSG with its inline rules (child rule resources are merged later).
pub fn nsg(id: &str, name: &str, value: &Node, origin: Origin, problems: &mut Problems) -> Nsg {
    let p = props(value);
    let base = props_pointer(value);
    let rules = items(p, "securityRules")
        .iter()
        .enumerate()
        .map(|(i, r)| {
            security_rule(
                r,
                origin.child(&format!("{base}/securityRules/{i}")),
                false,
                problems,
            )
        })
        .collect::<Vec<_>>();
    let mut rules = rules;
    if let Some(reason) = get_ci(p, "securityRules").and_then(Node::unknown_reason) {
        // Rules the input does not decide may allow or deny anything: never none.
        rules.push(undecided_rules(
            reason,
            origin.child(&format!("{base}/securityRules")),
        ));
    }
    let listed_defaults: Vec<SecurityRule> = items(p, "defaultSecurityRules")
        .iter()
        .enumerate()
        .map(|(i, r)| {
            security_rule(
                r,
                origin.child(&format!("{base}/defaultSecurityRules/{i}")),
                true,
                problems,
            )
        })
        .collect();
    let default_rules = if listed_defaults.is_empty() {
        azure_default_rules()
    } else {
        listed_defaults
    };
    Nsg {
        id: id.to_owned().into(),
        name: name.to_owned().into(),
        rules,
        inline_rules: None,
        default_rules,
        origin,
    }
}

/// Where a template NSG's inline `securityRules` list is, when it has one.
pub fn inline_rules(value: &Node, origin: &Origin) -> Option<Origin> {
    get_ci(props(value), "securityRules")
        .map(|_| origin.child(&format!("{}/securityRules", props_pointer(value))))
}

/// The name of the rule standing for undecided custom rules.
pub const UNDECIDED_RULES: &str = "(securityRules undecided)";

/// A rule standing for an NSG's custom rules when the input does not decide them: every
/// field unknown for `reason`, so each evaluation mode places it where it opens or closes
/// the most.
fn undecided_rules(reason: &str, origin: Origin) -> SecurityRule {
    let why = format!("the NSG's rules are not decided: {reason}");
    SecurityRule {
        name: UNDECIDED_RULES.into(),
        priority: Decided::Unknown(why.clone()),
        direction: Decided::Unknown(why.clone()),
        access: Decided::Unknown(why.clone()),
        protocol: Decided::Unknown(why.clone()),
        sources: Decided::Unknown(why.clone()),
        source_ports: Decided::Unknown(why.clone()),
        destinations: Decided::Unknown(why.clone()),
        destination_ports: Decided::Unknown(why),
        is_default: false,
        origin: Some(origin),
    }
}

/// Azure's default inbound rules (outbound ones never matter here).
pub fn azure_default_rules() -> Vec<SecurityRule> {
    let rule = |name: &str,
                priority: u32,
                source: AddressItem,
                destination: AddressItem,
                access: Access| SecurityRule {
        name: name.to_owned().into(),
        priority: Decided::Known(priority),
        direction: Decided::Known(Direction::Inbound),
        access: Decided::Known(access),
        protocol: Decided::Known("*".to_owned()),
        sources: Decided::Known(vec![source]),
        source_ports: Decided::Known(PortSet::all()),
        destinations: Decided::Known(vec![destination]),
        destination_ports: Decided::Known(PortSet::all()),
        is_default: true,
        origin: None,
    };
    vec![
        rule(
            "AllowVnetInBound",
            65000,
            AddressItem::VirtualNetwork,
            AddressItem::VirtualNetwork,
            Access::Allow,
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            AddressItem::AzureLoadBalancer,
            AddressItem::Any,
            Access::Allow,
        ),
        rule(
            "DenyAllInBound",
            65500,
            AddressItem::Any,
            AddressItem::Any,
            Access::Deny,
        ),
    ]
}

/// Builds one security rule from `{name, properties: {...}}` (or a flattened rule).
pub fn security_rule(
    value: &Node,
    origin: Origin,
    is_default: bool,
    problems: &mut Problems,
) -> SecurityRule {
    let p = props(value);
    let name = get_ci(value, "name")
        .and_then(Node::as_str)
        .unwrap_or("(unnamed)")
        .to_owned();
    let priority = fields::priority(value, p, &name, &origin, is_default, problems);
    let direction = enum_field(p, "direction", &name, |s| {
        match s.to_ascii_lowercase().as_str() {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    });
    let access = enum_field(p, "access", &name, |s| {
        match s.to_ascii_lowercase().as_str() {
            "allow" => Some(Access::Allow),
            "deny" => Some(Access::Deny),
            _ => None,
        }
    });
    let protocol = match text(p, "protocol") {
        Some(Decided::Known(s)) => Decided::Known(s.to_ascii_lowercase()),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("rule '{name}' has no protocol")),
    };
    let sources = fields::addresses(
        value,
        p,
        [
            "sourceAddressPrefix",
            "sourceAddressPrefixes",
            "sourceApplicationSecurityGroups",
        ],
        &name,
        &origin,
        problems,
    );
    let destinations = fields::addresses(
        value,
        p,
        [
            "destinationAddressPrefix",
            "destinationAddressPrefixes",
            "destinationApplicationSecurityGroups",
        ],
        &name,
        &origin,
        problems,
    );
    let source_ports = fields::ports(
        value,
        p,
        ["sourcePortRange", "sourcePortRanges"],
        &name,
        &origin,
        problems,
    );
    let destination_ports = fields::ports(
        value,
        p,
        ["destinationPortRange", "destinationPortRanges"],
        &name,
        &origin,
        problems,
    );
    SecurityRule {
        name: name.into(),
        priority,
        direction,
        access,
        protocol,
        sources,
        source_ports,
        destinations,
        destination_ports,
        is_default,
        origin: Some(origin),
    }
}

fn enum_field<T>(
    p: &Node,
    field: &str,
    rule: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Decided<T> {
    match text(p, field) {
        Some(Decided::Known(s)) => parse(&s).map_or_else(
            || Decided::Unknown(format!("rule '{rule}' has {field} '{s}'")),
            Decided::Known,
        ),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("rule '{rule}' has no {field}")),
    }
}

/// Builds the subnets declared inline in a virtual network.
pub fn vnet_subnets(
    vnet_id: &str,
    value: &Node,
    origin: &Origin,
    problems: &mut Problems,
) -> Vec<Subnet> {
    let base = props_pointer(value);
    items(props(value), "subnets")
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let name = get_ci(s, "name")
                .and_then(Node::as_str)
                .unwrap_or("(unnamed)");
            let id = get_ci(s, "id")
                .and_then(Node::as_str)
                .map_or_else(|| format!("{vnet_id}/subnets/{name}"), str::to_owned);
            subnet(
                &id,
                name,
                s,
                origin.child(&format!("{base}/subnets/{i}")),
                problems,
            )
        })
        .collect()
}

/// Builds one subnet.
pub fn subnet(
    id: &str,
    name: &str,
    value: &Node,
    origin: Origin,
    problems: &mut Problems,
) -> Subnet {
    let p = props(value);
    let prefixes = fields::subnet_prefixes(value, p, name, &origin, problems);
    Subnet {
        id: id.to_owned(),
        name: name.to_owned(),
        prefixes,
        nsg: reference_id(p, "networkSecurityGroup"),
        route_table: reference_id(p, "routeTable"),
        origin,
    }
}

/// Builds a NIC.
pub fn nic(id: &str, name: &str, value: &Node, origin: Origin) -> Nic {
    let p = props(value);
    let mut ip_configs = ip_configs(id, p);
    let base = props_pointer(value);
    for (i, (ip, c)) in ip_configs
        .iter_mut()
        .zip(items(p, "ipConfigurations"))
        .enumerate()
    {
        if get_ci(props(c), "publicIPAddress").is_some() {
            ip.public_ip_origin = Some(origin.child(&format!(
                "{base}/ipConfigurations/{i}{}/publicIPAddress",
                props_pointer(c)
            )));
        }
    }
    Nic {
        id: id.to_owned(),
        name: name.to_owned(),
        nsg: reference_id(p, "networkSecurityGroup"),
        ip_configs,
        origin,
    }
}

/// The name of an ipConfiguration the input does not decide (see [`ip_configs`]).
pub const UNDECIDED_IP_CONFIG: &str = "(undecided)";

/// The ipConfigurations of the NIC (or scale-set NIC configuration) with id `nic_id` and
/// properties `p`. When the input does not decide them (an `if()` on an unknown, a copy loop of
/// unknown count), each undecided part becomes one ipConfiguration named
/// [`UNDECIDED_IP_CONFIG`] whose subnet and address are unknown with the reason: the NIC is
/// never taken to have no ipConfiguration, nor one with no subnet.
pub fn ip_configs(nic_id: &str, p: &Node) -> Vec<IpConfig> {
    if let Some(reason) = get_ci(p, "ipConfigurations").and_then(Node::unknown_reason) {
        return vec![undecided_ip_config(
            nic_id,
            format!(
                "the ipConfigurations of network interface '{}' are undecided: {reason}",
                super::access::last_segment(nic_id)
            ),
        )];
    }
    items(p, "ipConfigurations")
        .iter()
        .map(|c| ip_config(nic_id, c))
        .collect()
}

/// An ipConfiguration of the NIC `nic_id` that the input does not decide, for `why`.
pub fn undecided_ip_config(nic_id: &str, why: String) -> IpConfig {
    IpConfig {
        key: key(&format!("{nic_id}/ipConfigurations/{UNDECIDED_IP_CONFIG}")),
        name: UNDECIDED_IP_CONFIG.to_owned(),
        subnet: Some(Decided::Unknown(why.clone())),
        private_ip: PrivateIp::Unknown(why),
        public_ip: None,
        instance_public_ip: None,
        backend_pools: Vec::new(),
        nat_rules: Vec::new(),
        nat_pools: Vec::new(),
        asgs: Vec::new(),
        public_ip_origin: None,
    }
}

/// Builds one ipConfiguration of a NIC whose id is `nic_id`.
pub fn ip_config(nic_id: &str, value: &Node) -> IpConfig {
    if let Some(reason) = value.unknown_reason() {
        return undecided_ip_config(
            nic_id,
            format!(
                "an ipConfiguration of network interface '{}' is undecided: {reason}",
                super::access::last_segment(nic_id)
            ),
        );
    }
    let p = props(value);
    let name = get_ci(value, "name")
        .and_then(Node::as_str)
        .unwrap_or("ipconfig")
        .to_owned();
    let id = get_ci(value, "id").and_then(Node::as_str).map_or_else(
        || format!("{nic_id}/ipConfigurations/{name}"),
        str::to_owned,
    );
    IpConfig {
        key: key(&id),
        name,
        subnet: reference_id(p, "subnet"),
        private_ip: private_ip(p),
        public_ip: reference_id(p, "publicIPAddress"),
        instance_public_ip: None,
        backend_pools: reference_keys(p, "loadBalancerBackendAddressPools"),
        nat_rules: reference_keys(p, "loadBalancerInboundNatRules"),
        nat_pools: reference_keys(p, "loadBalancerInboundNatPools"),
        asgs: reference_keys(p, "applicationSecurityGroups"),
        public_ip_origin: None,
    }
}

fn private_ip(p: &Node) -> PrivateIp {
    match text(p, "privateIPAddress") {
        Some(Decided::Known(s)) => match s.trim().parse::<IpAddr>() {
            Ok(ip) => PrivateIp::Static(ip),
            Err(_) => PrivateIp::Unknown(format!("private IP '{s}' is not an address")),
        },
        Some(Decided::Unknown(reason)) => PrivateIp::Unknown(reason),
        None => match text(p, "privateIPAllocationMethod") {
            Some(Decided::Known(m)) if m.eq_ignore_ascii_case("static") => {
                PrivateIp::Unknown("static allocation without an address".to_owned())
            }
            _ => PrivateIp::Dynamic,
        },
    }
}

/// Builds a public IP address.
pub fn public_ip(id: &str, name: &str, value: &Node) -> PublicIp {
    PublicIp {
        id: id.to_owned(),
        name: name.to_owned(),
        address: match text(props(value), "ipAddress") {
            Some(Decided::Known(a)) => Some(a),
            _ => None,
        },
        sku: sku_name(value),
    }
}

/// Builds a route table's inline routes.
pub fn route_table(value: &Node) -> RouteTable {
    RouteTable {
        routes: items(props(value), "routes").iter().map(route).collect(),
    }
}

/// Builds one route.
pub fn route(value: &Node) -> Route {
    let p = props(value);
    let known = |field: &str| match text(p, field) {
        Some(Decided::Known(s)) => Some(s),
        _ => None,
    };
    Route {
        prefix: known("addressPrefix").unwrap_or_default(),
        next_hop_type: known("nextHopType").unwrap_or_default(),
        next_hop: super::edge::address_field(p, "nextHopIpAddress"),
    }
}

/// Why `sku.name` of a resource is not decided, when it is written but undecided.
pub fn sku_undecided(value: &Node) -> Option<String> {
    let sku = get_ci(value, "sku")?;
    if let Some(reason) = sku.unknown_reason() {
        return Some(reason.to_owned());
    }
    match text(sku, "name") {
        Some(Decided::Unknown(reason)) => Some(reason),
        _ => None,
    }
}

/// `sku.name` of a resource, when known.
pub fn sku_name(value: &Node) -> Option<String> {
    match text(get_ci(value, "sku")?, "name") {
        Some(Decided::Known(s)) => Some(s),
        _ => None,
    }
}
