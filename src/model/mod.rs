//! MODEL: typed resources linked by case-insensitive resource id.
//!
//! Takes concrete resources (from ARM expansion or, later, exports) and builds an
//! [`Inventory`]: VMs and scale sets, NICs, subnets, NSGs, public IPs, load balancers,
//! firewalls and policies, route tables, JIT policies, with child resources merged into their
//! parents and indexes for O(1) linking. Strict parsing problems are collected. No verdicts
//! are decided here.

pub mod access;
pub mod address;
pub mod compute;
pub mod edge;
pub mod jit;

mod merge;
pub mod network;
pub mod ports;
pub mod types;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::diagnostic::{InputProblem, ProblemCode};
use crate::json::Node;
use crate::map::{Map, Set};
use crate::source::Origin;
use access::{get_ci, parent_key, props};
use compute::Declared;

pub use types::*;

/// Everything one environment deploys, linked by lower-case id.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    /// VMs and scale sets, in declaration order.
    pub vms: Vec<Vm>,
    /// NICs by key.
    pub nics: Map<String, Nic>,
    /// NIC keys in declaration order (for dynamic IP inference).
    nic_order: Vec<String>,
    /// Subnets by key.
    pub subnets: Map<String, Subnet>,
    /// NSGs by key.
    pub nsgs: Map<String, Nsg>,
    /// Public IPs by key.
    pub public_ips: Map<String, PublicIp>,
    /// Load balancers by key.
    pub load_balancers: Map<String, LoadBalancer>,
    /// Firewalls in declaration order.
    pub firewalls: Vec<Firewall>,
    /// Firewall policies by key.
    pub firewall_policies: Map<String, FirewallPolicy>,
    /// Route tables by key.
    pub route_tables: Map<String, RouteTable>,
    /// JIT policies.
    pub jit_policies: Vec<JitPolicy>,
    /// VM key -> index in `jit_policies` of the first policy that covers it.
    pub jit_by_vm: Map<String, usize>,
    /// NIC key -> indexes in `effective` of the views exported for that NIC, in order.
    pub effective_by_nic: Map<String, Vec<usize>>,
    /// Subnet key -> index in `effective` of the first subnet-only view of it.
    pub effective_by_subnet: Map<String, usize>,
    /// Problems found while building.
    pub problems: Vec<InputProblem>,
    /// Inferred dynamic private IPs by ipConfiguration key (assumed values).
    pub inferred_ips: Map<String, IpAddr>,
    /// LB NAT key -> (LB key, index in `nats`).
    pub nat_index: Map<String, (String, usize)>,
    /// ipConfiguration key -> backend pool keys that name it on the LB side (exports).
    pub member_pools: Map<String, Vec<String>>,
    /// ipConfiguration key -> NAT keys named on the LB side.
    pub nat_members: Map<String, Vec<String>>,
    /// Effective NSG views from `az network nic list-effective-nsg`.
    pub effective: Vec<EffectiveNsg>,
    /// Virtual network peerings (local vnet key, remote vnet key).
    pub peerings: Set<(String, String)>,
    /// Azure Virtual Network Manager security admin rules and what they apply to.
    pub admin: network::admin::SecurityAdmin,
    pending_rules: Vec<(String, SecurityRule)>,
    pending_nats: Vec<(String, LbNat)>,
    pending_routes: Vec<(String, Route)>,
}

impl Inventory {
    /// Adds one resource by type (unknown types are ignored: they do not affect access).
    pub fn add(&mut self, resource_type: &str, d: &Declared<'_>) {
        let t = resource_type.to_ascii_lowercase();
        let (id, name, value) = (d.id, d.name, d.value);
        let short = access::last_segment(name);
        let origin = d.origin.clone();
        match t.as_str() {
            "microsoft.compute/virtualmachines" => self.vms.push(compute::vm(d)),
            "microsoft.compute/virtualmachinescalesets" => self.vms.push(compute::vmss(d)),
            "microsoft.network/networkinterfaces" => {
                self.nic_order.push(key(id));
                self.nics
                    .insert(key(id), network::nic(id, short, value, origin));
            }
            "microsoft.network/networksecuritygroups" => {
                let mut nsg = network::nsg(id, short, value, origin, &mut self.problems);
                if d.from_template {
                    nsg.inline_rules = network::inline_rules(value, &nsg.origin);
                }
                self.nsgs.insert(key(id), nsg);
            }
            "microsoft.network/networksecuritygroups/securityrules" => {
                let rule = network::security_rule(value, origin, false, &mut self.problems);
                let rule = SecurityRule {
                    name: short.to_owned().into(),
                    ..rule
                };
                self.pending_rules.push((parent_key(id), rule));
            }
            "microsoft.network/virtualnetworks" => {
                for subnet in network::vnet_subnets(id, value, &origin, &mut self.problems) {
                    self.add_subnet(subnet);
                }
                for peering in access::items(props(value), "virtualNetworkPeerings") {
                    if let Some(Decided::Known(remote)) =
                        access::reference_id(props(peering), "remoteVirtualNetwork")
                    {
                        self.peerings.insert((key(id), key(&remote)));
                    }
                }
            }
            "microsoft.network/virtualnetworks/virtualnetworkpeerings" => {
                if let Some(Decided::Known(remote)) =
                    access::reference_id(props(value), "remoteVirtualNetwork")
                {
                    self.peerings.insert((parent_key(id), key(&remote)));
                }
            }
            "microsoft.network/virtualnetworks/subnets" => {
                let subnet = network::subnet(id, short, value, origin, &mut self.problems);
                self.add_subnet(subnet);
            }
            "microsoft.network/publicipaddresses" => {
                self.public_ips
                    .insert(key(id), network::public_ip(id, short, value));
            }
            "microsoft.network/loadbalancers" => {
                self.load_balancers
                    .insert(key(id), edge::load_balancer(id, short, value, origin));
            }
            "microsoft.network/loadbalancers/inboundnatrules" => {
                let lb = parent_key(id);
                let rule = edge::nat_rule(&lb, value, false, origin);
                self.pending_nats.push((
                    lb,
                    LbNat {
                        key: key(id),
                        name: short.to_owned(),
                        ..rule
                    },
                ));
            }
            "microsoft.network/azurefirewalls" => self
                .firewalls
                .push(edge::firewall(id, short, value, origin)),
            "microsoft.network/firewallpolicies" => {
                let policy = self.firewall_policies.entry(key(id)).or_default();
                policy.present = true;
                policy.listed_groups = access::reference_keys(props(value), "ruleCollectionGroups");
                policy
                    .listed_groups
                    .extend(access::reference_keys(props(value), "ruleGroups"));
            }
            "microsoft.network/firewallpolicies/rulecollectiongroups"
            | "microsoft.network/firewallpolicies/rulegroups" => {
                let rules = edge::policy_dnat_rules(value, &origin);
                let policy = self.firewall_policies.entry(parent_key(id)).or_default();
                policy.dnat.extend(rules);
                policy.seen_groups.push(key(id));
            }
            "microsoft.network/routetables" => {
                self.route_tables
                    .insert(key(id), network::route_table(value));
            }
            "microsoft.network/routetables/routes" => self
                .pending_routes
                .push((parent_key(id), network::route(value))),
            "microsoft.security/locations/jitnetworkaccesspolicies" => {
                self.jit_policies.push(compute::jit_policy(d))
            }
            _ => {
                self.admin.add(&t, id, value, &origin, &mut self.problems);
            }
        }
    }

    /// Every origin a result of evaluation can cite: of VMs, NSGs and their rules (declared
    /// and effective), load balancers and their NAT and load-balancing rules, firewalls, DNAT rules and security admin rules. Evaluation makes no origins
    /// of its own, it copies these (a test checks that reports ask for no other).
    pub fn cited_origins(&self) -> Vec<&Origin> {
        let mut out: Vec<&Origin> = self.vms.iter().map(|vm| &vm.origin).collect();
        let nsgs = self
            .nsgs
            .values()
            .chain(self.effective.iter().map(|e| &e.nsg));
        for nsg in nsgs {
            out.push(&nsg.origin);
            out.extend(&nsg.inline_rules);
            let rules = nsg.rules.iter().chain(&nsg.default_rules);
            out.extend(rules.filter_map(|r| r.origin.as_ref()));
        }
        for lb in self.load_balancers.values() {
            out.push(&lb.origin);
            out.extend(lb.nats.iter().map(|n| &n.origin));
            out.extend(lb.rules.iter().map(|r| &r.origin));
        }
        for firewall in &self.firewalls {
            out.push(&firewall.origin);
            out.extend(firewall.dnat.iter().map(|r| &r.origin));
        }
        for policy in self.firewall_policies.values() {
            out.extend(policy.dnat.iter().map(|r| &r.origin));
        }
        out.extend(self.admin.rules.iter().map(|r| &r.origin));
        for nic in self.nics.values() {
            out.extend(
                nic.ip_configs
                    .iter()
                    .filter_map(|c| c.public_ip_origin.as_ref()),
            );
        }
        for policy in &self.jit_policies {
            out.push(&policy.origin);
            out.extend(&policy.entry_origins);
        }
        out
    }

    /// Resolves the line and column of every origin results can cite (see
    /// [`Inventory::cited_origins`]), in parallel, so reports need no input text: the scan
    /// then releases it.
    pub fn resolve_places(&self) {
        use rayon::prelude::*;
        self.cited_origins().par_iter().for_each(|origin| {
            origin.line_col();
        });
    }

    fn add_subnet(&mut self, subnet: Subnet) {
        match self.subnets.get_mut(&key(&subnet.id)) {
            Some(existing) => {
                if existing.prefixes.is_empty() {
                    existing.prefixes = subnet.prefixes;
                }
                if subnet.nsg.is_some() {
                    existing.nsg = subnet.nsg;
                }
                if subnet.route_table.is_some() {
                    existing.route_table = subnet.route_table;
                }
            }
            None => {
                self.subnets.insert(key(&subnet.id), subnet);
            }
        }
    }

    /// Merges child resources, checks NSGs, infers dynamic IPs and builds the link indexes.
    /// The four parts touch separate fields and run in parallel: on a big export one core
    /// would otherwise wait.
    pub fn finish(&mut self) {
        let Inventory {
            vms: _,
            nics,
            nic_order,
            subnets,
            nsgs,
            public_ips: _,
            load_balancers,
            firewalls: _,
            firewall_policies: _,
            route_tables,
            jit_policies,
            jit_by_vm,
            effective_by_nic,
            effective_by_subnet,
            problems,
            inferred_ips,
            nat_index,
            member_pools,
            nat_members,
            effective,
            peerings: _,
            admin: _,
            pending_rules,
            pending_nats,
            pending_routes,
        } = self;
        let views = || {
            for (i, view) in effective.iter().enumerate() {
                match (&view.nic, &view.subnet) {
                    (Some(nic), _) => effective_by_nic.entry(nic.clone()).or_default().push(i),
                    (None, Some(subnet)) => {
                        effective_by_subnet.entry(subnet.clone()).or_insert(i);
                    }
                    (None, None) => {}
                }
            }
            for view in effective.iter_mut() {
                sort_rules(&mut view.nsg);
            }
            for (i, policy) in jit_policies.iter().enumerate() {
                for vm in &policy.virtual_machines {
                    jit_by_vm.entry(key(&vm.id)).or_insert(i);
                }
            }
        };
        let addresses = || {
            for (parent, route) in std::mem::take(pending_routes) {
                route_tables.entry(parent).or_default().routes.push(route);
            }
            infer_dynamic_ips(nic_order, nics, subnets, inferred_ips);
        };
        let security = || {
            for (parent, rule) in std::mem::take(pending_rules) {
                if let Some(nsg) = nsgs.get_mut(&parent) {
                    if !nsg
                        .rules
                        .iter()
                        .any(|r| r.name.eq_ignore_ascii_case(&rule.name))
                    {
                        nsg.rules.push(rule);
                    }
                }
            }
            check_duplicate_priorities(nsgs, problems);
            for nsg in nsgs.values_mut() {
                sort_rules(nsg);
            }
        };
        let balancers = || {
            for (parent, nat) in std::mem::take(pending_nats) {
                if let Some(lb) = load_balancers.get_mut(&parent) {
                    if !lb.nats.iter().any(|n| n.key == nat.key) {
                        lb.nats.push(nat);
                    }
                }
            }
            index_load_balancers(load_balancers, nat_index, nat_members, member_pools);
        };
        rayon::join(
            || rayon::join(views, addresses),
            || rayon::join(security, balancers),
        );
    }

    /// True when the NSG `nsg_id` is the one attached to `subnet` (keys) in the inventory.
    pub fn nsg_is_on_subnet(&self, nsg_id: &str, subnet: Option<&str>) -> bool {
        subnet
            .and_then(|s| self.subnets.get(s))
            .and_then(|s| s.nsg.as_ref())
            .and_then(Decided::known)
            .is_some_and(|id| key(id) == key(nsg_id))
    }

    /// True when traffic can flow between the two virtual networks (same, or peered either way).
    pub fn vnets_connected(&self, a: &str, b: &str) -> bool {
        a == b
            || self.peerings.contains(&(a.to_owned(), b.to_owned()))
            || self.peerings.contains(&(b.to_owned(), a.to_owned()))
    }

    /// The private IP of an ipConfiguration: known, inferred (assumed), or unknown.
    pub fn private_ip_of(&self, config: &IpConfig) -> (Option<IpAddr>, bool) {
        match &config.private_ip {
            PrivateIp::Static(ip) => (Some(*ip), false),
            PrivateIp::Dynamic => (self.inferred_ips.get(&config.key).copied(), true),
            PrivateIp::Unknown(_) => (None, false),
        }
    }
}

/// True when the resource type is one jitscan models (for scope reports).
pub fn is_relevant_type(resource_type: &str) -> bool {
    let t = resource_type.to_ascii_lowercase();
    t.starts_with("microsoft.network/")
        || t.starts_with("microsoft.compute/virtualmachine")
        || t.contains("jitnetworkaccesspolicies")
}

/// The `location` of a resource, when known.
pub fn location_of(value: &Node) -> Option<String> {
    // A region from a parameter without value is not known (it would name a wrong URL).
    let decided = |node: &Node| match node.symbolic_reason() {
        Some(_) => None,
        None => node.as_str().map(str::to_owned),
    };
    get_ci(value, "location")
        .and_then(decided)
        .or_else(|| get_ci(props(value), "location").and_then(decided))
}

/// Problems for rules of one NSG that share a priority in one direction (Azure rejects them),
/// in the order of the NSGs' keys.
fn check_duplicate_priorities(nsgs: &Map<String, Nsg>, problems: &mut Vec<InputProblem>) {
    let mut keys: Vec<&String> = nsgs.keys().collect();
    keys.sort();
    for k in keys {
        let Some(nsg) = nsgs.get(k) else {
            continue;
        };
        let mut seen: BTreeMap<(u32, bool), &str> = BTreeMap::new();
        for rule in &nsg.rules {
            let (Some(p), Some(d)) = (rule.priority.known(), rule.direction.known()) else {
                continue;
            };
            let slot = (*p, *d == Direction::Inbound);
            if let Some(first) = seen.insert(slot, &rule.name) {
                if let Some(origin) = &rule.origin {
                    problems.push(network::located(
                        origin,
                        ProblemCode::DuplicatePriority,
                        format!("rules '{first}' and '{}' of NSG '{}' share priority {p} in the same direction", rule.name, nsg.name),
                        "give every rule of one direction its own priority; Azure rejects duplicates",
                    ));
                }
            }
        }
    }
}

/// An NSG's rules in priority order (stable: equal priorities keep file order), once, so
/// evaluation never sorts. Unknown priorities go last; evaluation places them per mode.
fn sort_rules(nsg: &mut Nsg) {
    let by_priority = |r: &SecurityRule| r.priority.known().copied().unwrap_or(u32::MAX);
    nsg.rules.sort_by_key(by_priority);
    nsg.default_rules.sort_by_key(by_priority);
}

/// The links between load balancers and the ipConfigurations they name: NAT rules by key,
/// and the NATs and backend pools each ipConfiguration is a member of.
fn index_load_balancers(
    load_balancers: &Map<String, LoadBalancer>,
    nat_index: &mut Map<String, (String, usize)>,
    nat_members: &mut Map<String, Vec<String>>,
    member_pools: &mut Map<String, Vec<String>>,
) {
    for (lb_key, lb) in load_balancers {
        for (i, nat) in lb.nats.iter().enumerate() {
            nat_index.insert(nat.key.clone(), (lb_key.clone(), i));
            for config in &nat.backend_ip_configs {
                nat_members
                    .entry(config.clone())
                    .or_default()
                    .push(nat.key.clone());
            }
        }
        for (pool, member) in &lb.pool_members {
            member_pools
                .entry(member.clone())
                .or_default()
                .push(pool.clone());
        }
    }
}

/// Azure hands out dynamic addresses from the fourth address of the subnet on (the first
/// four are reserved), in creation order, skipping addresses taken statically. jitscan takes
/// declaration order for creation order: an assumption, reported as such.
fn infer_dynamic_ips(
    nic_order: &[String],
    nics: &Map<String, Nic>,
    subnets: &Map<String, Subnet>,
    inferred_ips: &mut Map<String, IpAddr>,
) {
    let mut taken: Map<String, Set<IpAddr>> = Map::default();
    let mut dynamic: Vec<(String, String)> = Vec::new();
    for nic_key in nic_order {
        let Some(nic) = nics.get(nic_key) else {
            continue;
        };
        for config in &nic.ip_configs {
            let Some(Decided::Known(subnet)) = &config.subnet else {
                continue;
            };
            match config.private_ip {
                PrivateIp::Static(ip) => {
                    taken.entry(key(subnet)).or_default().insert(ip);
                }
                PrivateIp::Dynamic => dynamic.push((key(subnet), config.key.clone())),
                PrivateIp::Unknown(_) => {}
            }
        }
    }
    let mut next: Map<String, u64> = Map::default();
    let none = Set::default();
    for (subnet_key, config_key) in dynamic {
        let Some(IpNet::V4(net)) = subnets
            .get(&subnet_key)
            .and_then(|s| s.prefixes.first())
            .copied()
        else {
            continue;
        };
        let base = u64::from(u32::from(net.network()));
        // u64: a /0 subnet holds 2^32 addresses, which overflows a u32 shift.
        let size = 1u64 << (32 - u32::from(net.prefix_len()));
        let offset = next.entry(subnet_key.clone()).or_insert(4);
        let reserved = taken.get(&subnet_key).unwrap_or(&none);
        while *offset < size {
            let address = u32::try_from((base + *offset) & u64::from(u32::MAX)).unwrap_or(0);
            let candidate = IpAddr::V4(std::net::Ipv4Addr::from(address));
            *offset += 1;
            if !reserved.contains(&candidate) {
                inferred_ips.insert(config_key, candidate);
                break;
            }
        }
    }
}
