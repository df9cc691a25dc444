//! EVALUATE: the SKU of a scale set's per-instance public IP, which decides whether the
//! address is open to inbound traffic when no NSG filters it (Basic) or closed (Standard).
//!
//! No public IP resource is declared for these addresses, so the SKU comes, in this order,
//! from: the configuration's own `sku`; a public IP prefix it draws from ("Only static public
//! IP addresses created with the standard SKU can be assigned from the prefix's range",
//! public-ip-address-prefix); the load balancers the ipConfiguration sits behind ("the SKU of
//! the instance IPs is determined by the SKU of the Load Balancer",
//! load-balancer-standard-virtual-machine-scale-sets; "Matching SKUs are required for Load
//! Balancer and Public IP resources", public-ip-addresses). When none of them decides it,
//! Basic is *assumed* and said: Basic public IPs were retired on 2025-09-30 and what Azure
//! gives an SKU-less instance IP since is not documented. Pure: reads the inventory only.

use crate::eval::mode::Uncertainty;
use crate::model::access::{last_segment, parent_of_key};
use crate::model::{Decided, InstancePublicIp, Inventory, IpConfig};

/// The SKU of an instance public IP, as far as the input decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InstanceSku {
    /// Decided: `true` for Standard (closed to inbound traffic unless an NSG allows it).
    Decided(bool),
    /// Not decided: Basic is the open side, taken with this uncertainty and reason.
    Undecided(Uncertainty, String),
}

/// A load balancer's say on the SKU.
enum LbSku {
    /// No load balancer is referenced.
    None,
    /// `true` for Standard.
    Decided(bool),
    /// Referenced, SKU not decided (why).
    Undecided(String),
}

/// The SKU of the per-instance public IP `ip` of the ipConfiguration `config`.
pub(crate) fn instance_ip_sku(
    inv: &Inventory,
    ip: &InstancePublicIp,
    config: &IpConfig,
) -> InstanceSku {
    let name = &ip.name;
    // An undecided step does not end the search: a later one that decides fixes the SKU too,
    // since Azure deploys no mixture (a prefix holds only Standard, SKUs must match the LB's).
    let mut doubts: Vec<String> = Vec::new();
    match &ip.sku {
        Some(Decided::Known(sku)) => match secure_sku(sku) {
            Some(secure) => return InstanceSku::Decided(secure),
            None => doubts.push(format!(
                "its sku '{sku}' is not a public IP SKU jitscan knows (Basic, Standard)"
            )),
        },
        Some(Decided::Unknown(reason)) => doubts.push(format!("its sku is undecided: {reason}")),
        None => {}
    }
    match &ip.prefix {
        // A prefix holds only Standard addresses, whether or not it is in the input.
        Some(Decided::Known(_)) => return InstanceSku::Decided(true),
        Some(Decided::Unknown(reason)) => doubts.push(format!(
            "whether it draws from a public IP prefix is undecided: {reason}"
        )),
        None => {}
    }
    match lb_sku(inv, config, ip.flexible) {
        LbSku::Decided(secure) => return InstanceSku::Decided(secure),
        LbSku::Undecided(reason) => doubts.push(reason),
        LbSku::None => {}
    }
    if let Some(reason) = &ip.lb_undecided {
        doubts.push(reason.clone());
    }
    match doubts.into_iter().next() {
        Some(reason) => InstanceSku::Undecided(
            Uncertainty::Unknown,
            format!("the SKU of instance public IP '{name}' is undecided: {reason}; as Basic it would be open to inbound traffic without an NSG, as Standard closed"),
        ),
        None => InstanceSku::Undecided(
            Uncertainty::Assumed,
            format!(
                "instance public IP '{name}' has no sku, no public IP prefix and no load balancer to take its SKU from: assumed Basic (open to inbound traffic without an NSG), the SKU such addresses had before Basic public IPs were retired on 2025-09-30; what Azure gives them since is not documented"
            ),
        ),
    }
}

/// `Some(true)` for a Standard SKU name, `Some(false)` for Basic, `None` for anything else.
fn secure_sku(name: &str) -> Option<bool> {
    if name.eq_ignore_ascii_case("basic") {
        Some(false)
    } else if name.eq_ignore_ascii_case("standard") || name.eq_ignore_ascii_case("standardv2") {
        Some(true)
    } else {
        None
    }
}

/// What the load balancers the ipConfiguration references (backend pools, NAT pools, NAT
/// rules) say. Their SKUs must match each other and the instance IPs', so one decided SKU
/// decides; two that disagree do not. A Flexible scale set takes no Basic load balancer
/// ("Azure Load Balancer Basic SKU: No", flexible-virtual-machine-scale-sets).
fn lb_sku(inv: &Inventory, config: &IpConfig, flexible: bool) -> LbSku {
    let mut lb_keys: Vec<&str> = config
        .backend_pools
        .iter()
        .chain(&config.nat_pools)
        .chain(&config.nat_rules)
        .map(|child| parent_of_key(child))
        .filter(|k| !k.is_empty())
        .collect();
    lb_keys.sort_unstable();
    lb_keys.dedup();
    let mut decided: Vec<(String, bool)> = Vec::new();
    let mut undecided: Option<String> = None;
    for lb_key in lb_keys {
        let Some(lb) = inv.load_balancers.get(lb_key) else {
            undecided.get_or_insert_with(|| {
                format!(
                    "it takes the SKU of load balancer '{}', which is not in the input",
                    last_segment(lb_key)
                )
            });
            continue;
        };
        if let Some(reason) = &lb.sku_undecided {
            undecided.get_or_insert_with(|| {
                format!(
                    "it takes the SKU of load balancer '{}', whose SKU is undecided: {reason}",
                    lb.name
                )
            });
            continue;
        }
        match lb.sku.as_deref() {
            // A gateway load balancer is chained to a frontend, not a SKU to match.
            Some(sku) if sku.eq_ignore_ascii_case("gateway") => {}
            Some(sku) => match secure_sku(sku) {
                Some(secure) => decided.push((lb.name.clone(), secure)),
                None => {
                    undecided.get_or_insert_with(|| {
                        format!("it takes the SKU of load balancer '{}', '{sku}'", lb.name)
                    });
                }
            },
            // No SKU in the input: Basic, as its own paths take it, except that a Flexible
            // scale set takes no Basic load balancer.
            None => decided.push((lb.name.clone(), flexible)),
        }
    }
    let standard = decided.iter().find(|(_, secure)| *secure);
    let basic = decided.iter().find(|(_, secure)| !*secure);
    match (standard, basic, undecided) {
        (Some((a, _)), Some((b, _)), _) => LbSku::Undecided(format!(
            "it takes the SKU of its load balancers, but '{a}' is Standard and '{b}' Basic, which Azure does not deploy"
        )),
        (Some(_), None, _) => LbSku::Decided(true),
        (None, Some(_), _) => LbSku::Decided(false),
        (None, None, Some(_)) if flexible => LbSku::Decided(true),
        (None, None, Some(reason)) => LbSku::Undecided(reason),
        (None, None, None) => LbSku::None,
    }
}

#[cfg(test)]
mod tests {

    use super::{instance_ip_sku, InstanceSku};
    use crate::eval::mode::Uncertainty;
    use crate::model::{Decided, InstancePublicIp, Inventory, IpConfig, LoadBalancer, PrivateIp};
    use crate::source::Origin;

    const LB: &str = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/loadbalancers";

    fn origin() -> Origin {
        Origin::for_tests()
    }

    fn inventory(lbs: &[(&str, Option<&str>, Option<&str>)]) -> Inventory {
        let mut inv = Inventory::default();
        for (name, sku, undecided) in lbs {
            let id = format!("{LB}/{name}");
            inv.load_balancers.insert(
                id.clone(),
                LoadBalancer {
                    id,
                    name: (*name).to_owned(),
                    frontends: Vec::new(),
                    nats: Vec::new(),
                    rules: Vec::new(),
                    pool_members: Vec::new(),
                    sku: sku.map(str::to_owned),
                    sku_undecided: undecided.map(str::to_owned),
                    origin: origin(),
                },
            );
        }
        inv
    }

    /// An ipConfiguration in the backend pool `pool` of each load balancer named.
    fn config(lbs: &[&str]) -> IpConfig {
        IpConfig {
            key: "vmss/nic/ipconfigurations/ipconfig1".to_owned(),
            name: "ipconfig1".to_owned(),
            subnet: None,
            private_ip: PrivateIp::Dynamic,
            public_ip: None,
            instance_public_ip: None,
            backend_pools: lbs
                .iter()
                .map(|lb| format!("{LB}/{lb}/backendaddresspools/pool"))
                .collect(),
            nat_rules: Vec::new(),
            nat_pools: Vec::new(),
            asgs: Vec::new(),
            public_ip_origin: None,
        }
    }

    fn ip(sku: Option<Decided<String>>, prefix: Option<Decided<String>>) -> InstancePublicIp {
        InstancePublicIp {
            name: "pip".to_owned(),
            sku,
            prefix,
            lb_undecided: None,
            flexible: false,
        }
    }

    fn known(s: &str) -> Option<Decided<String>> {
        Some(Decided::Known(s.to_owned()))
    }

    fn unknown(s: &str) -> Option<Decided<String>> {
        Some(Decided::Unknown(s.to_owned()))
    }

    fn level(sku: &InstanceSku) -> Option<Uncertainty> {
        match sku {
            InstanceSku::Decided(_) => None,
            InstanceSku::Undecided(level, _) => Some(*level),
        }
    }

    #[test]
    fn own_sku_comes_first_in_any_case() {
        let inv = inventory(&[("lb", Some("Standard"), None)]);
        let basic = ip(known("basic"), known("prefix-id"));
        assert_eq!(
            instance_ip_sku(&inv, &basic, &config(&["lb"])),
            InstanceSku::Decided(false)
        );
        let standard = ip(known("Standard"), None);
        assert_eq!(
            instance_ip_sku(&Inventory::default(), &standard, &config(&[])),
            InstanceSku::Decided(true)
        );
    }

    #[test]
    fn a_prefix_is_standard_even_outside_the_input_and_before_a_basic_lb() {
        let inv = inventory(&[("lb", Some("Basic"), None)]);
        let from_prefix = ip(None, known("/subscriptions/s/x/publicipprefixes/p"));
        assert_eq!(
            instance_ip_sku(&inv, &from_prefix, &config(&["lb"])),
            InstanceSku::Decided(true)
        );
    }

    #[test]
    fn the_load_balancer_decides_when_nothing_before_does() {
        let none = ip(None, None);
        for (sku, secure) in [
            (Some("Standard"), true),
            (Some("Basic"), false),
            (None, false),
        ] {
            let inv = inventory(&[("lb", sku, None)]);
            assert_eq!(
                instance_ip_sku(&inv, &none, &config(&["lb"])),
                InstanceSku::Decided(secure),
                "{sku:?}"
            );
        }
        // A decided load balancer decides over an undecided one (their SKUs must match).
        let inv = inventory(&[("a", Some("Standard"), None)]);
        assert_eq!(
            instance_ip_sku(&inv, &none, &config(&["a", "missing"])),
            InstanceSku::Decided(true)
        );
    }

    #[test]
    fn an_undecided_load_balancer_leaves_the_sku_unknown_unless_flexible() {
        let none = ip(None, None);
        let missing = instance_ip_sku(&Inventory::default(), &none, &config(&["lb-far"]));
        assert_eq!(level(&missing), Some(Uncertainty::Unknown));
        assert!(
            matches!(&missing, InstanceSku::Undecided(_, why) if why.contains("'lb-far', which is not in the input"))
        );
        let inv = inventory(&[("lb", None, Some("parameter 'lbSku' has no value"))]);
        let undecided = instance_ip_sku(&inv, &none, &config(&["lb"]));
        assert!(
            matches!(&undecided, InstanceSku::Undecided(Uncertainty::Unknown, why) if why.contains("lbSku"))
        );
        let flexible = InstancePublicIp {
            flexible: true,
            ..ip(None, None)
        };
        assert_eq!(
            instance_ip_sku(&inv, &flexible, &config(&["lb"])),
            InstanceSku::Decided(true)
        );
        let disagree = inventory(&[("a", Some("Standard"), None), ("b", Some("Basic"), None)]);
        assert_eq!(
            level(&instance_ip_sku(&disagree, &none, &config(&["a", "b"]))),
            Some(Uncertainty::Unknown)
        );
    }

    #[test]
    fn nothing_to_decide_is_assumed_basic_and_said() {
        let sku = instance_ip_sku(&Inventory::default(), &ip(None, None), &config(&[]));
        assert!(
            matches!(&sku, InstanceSku::Undecided(Uncertainty::Assumed, why) if why.contains("assumed Basic") && why.contains("2025-09-30"))
        );
    }

    #[test]
    fn undecided_steps_are_unknown_not_assumed() {
        let inv = Inventory::default();
        for undecided in [ip(unknown("p"), None), ip(None, unknown("p"))] {
            assert_eq!(
                level(&instance_ip_sku(&inv, &undecided, &config(&[]))),
                Some(Uncertainty::Unknown)
            );
        }
        let lbs_undecided = InstancePublicIp {
            lb_undecided: Some("copy count".to_owned()),
            ..ip(None, None)
        };
        assert_eq!(
            level(&instance_ip_sku(&inv, &lbs_undecided, &config(&[]))),
            Some(Uncertainty::Unknown)
        );
        // An undecided sku yields to a prefix that decides.
        assert_eq!(
            instance_ip_sku(&inv, &ip(unknown("p"), known("prefix")), &config(&[])),
            InstanceSku::Decided(true)
        );
    }
}
