//! RBAC (pure): the few control-plane actions that decide who can open a VM's management
//! ports, and Azure's matching of `actions` / `notActions` patterns against them.
//!
//! A role definition is reduced, once, to the set of these actions it grants (a bit set), so
//! that judging a VM never matches a pattern again. `dataActions` are never read here: Azure
//! keeps data actions apart, and they never grant a control-plane action.

/// A set of [`Action`]s, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Actions(pub u32);

/// The actions jitscan asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Request access through a JIT policy.
    JitInitiate,
    /// Read the VM (Defender also wants it of a requester).
    VmRead,
    /// Change a JIT policy.
    JitWrite,
    /// Delete a JIT policy.
    JitDelete,
    /// Write an NSG (its rules included).
    NsgWrite,
    /// Write one rule of an NSG.
    NsgRuleWrite,
    /// Write a NIC (which NSG, which public IP, which pools).
    NicWrite,
    /// Write a subnet (which NSG).
    SubnetWrite,
    /// Write a virtual network (its subnets included).
    VnetWrite,
    /// Attach a public IP to a NIC.
    PublicIpJoin,
    /// Write a load balancer (its NAT rules included).
    LbWrite,
    /// Write one inbound NAT rule.
    LbNatWrite,
    /// Write an Azure Firewall (classic DNAT rules included).
    FirewallWrite,
    /// Write a firewall policy.
    FirewallPolicyWrite,
    /// Write a rule collection group of a firewall policy (where DNAT rules live).
    FirewallPolicyRulesWrite,
}

/// Every action, with the operation name Azure documents for it.
pub const ALL: [(Action, &str); 15] = [
    (
        Action::JitInitiate,
        "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action",
    ),
    (Action::VmRead, "Microsoft.Compute/virtualMachines/read"),
    (
        Action::JitWrite,
        "Microsoft.Security/locations/jitNetworkAccessPolicies/write",
    ),
    (
        Action::JitDelete,
        "Microsoft.Security/locations/jitNetworkAccessPolicies/delete",
    ),
    (
        Action::NsgWrite,
        "Microsoft.Network/networkSecurityGroups/write",
    ),
    (
        Action::NsgRuleWrite,
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
    ),
    (
        Action::NicWrite,
        "Microsoft.Network/networkInterfaces/write",
    ),
    (
        Action::SubnetWrite,
        "Microsoft.Network/virtualNetworks/subnets/write",
    ),
    (Action::VnetWrite, "Microsoft.Network/virtualNetworks/write"),
    (
        Action::PublicIpJoin,
        "Microsoft.Network/publicIPAddresses/join/action",
    ),
    (Action::LbWrite, "Microsoft.Network/loadBalancers/write"),
    (
        Action::LbNatWrite,
        "Microsoft.Network/loadBalancers/inboundNatRules/write",
    ),
    (
        Action::FirewallWrite,
        "Microsoft.Network/azureFirewalls/write",
    ),
    (
        Action::FirewallPolicyWrite,
        "Microsoft.Network/firewallPolicies/write",
    ),
    (
        Action::FirewallPolicyRulesWrite,
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups/write",
    ),
];

impl Action {
    /// The operation name.
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(a, _)| *a == self)
            .map_or("", |(_, name)| name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl Actions {
    /// True when `action` is in the set.
    pub fn has(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// True when any of `actions` is in the set.
    pub fn any(self, actions: &[Action]) -> bool {
        actions.iter().any(|a| self.has(*a))
    }

    /// The set with `action` added.
    pub fn with(self, action: Action) -> Self {
        Self(self.0 | action.bit())
    }

    /// True when empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What one permission block (`actions` minus `notActions`) grants of [`ALL`]. A role's
/// grant is the union of its blocks' (Azure: "the effective permissions are the actions minus
/// the notActions", per block).
pub fn granted(actions: &[String], not_actions: &[String]) -> Actions {
    let mut out = Actions::default();
    for (action, name) in ALL {
        let allowed = actions.iter().any(|p| matches(p, name));
        let removed = not_actions.iter().any(|p| matches(p, name));
        if allowed && !removed {
            out = out.with(action);
        }
    }
    out
}

/// Azure's operation pattern match: case-insensitive, `*` stands for any run of characters
/// (slashes included, none at all included). Linear in the lengths: no backtracking blow-up
/// on a hostile pattern.
pub fn matches(pattern: &str, operation: &str) -> bool {
    let p: Vec<u8> = pattern
        .trim()
        .bytes()
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let s: Vec<u8> = operation.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(c) if Some(c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|b| *b == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn wildcards_match_whole_runs_case_insensitively() {
        assert!(matches(
            "*",
            "Microsoft.Network/networkSecurityGroups/write"
        ));
        assert!(matches(
            "microsoft.network/*",
            "Microsoft.Network/networkSecurityGroups/write"
        ));
        assert!(matches(
            "Microsoft.Network/*/write",
            "Microsoft.Network/networkSecurityGroups/securityRules/write"
        ));
        assert!(!matches(
            "*/read",
            "Microsoft.Network/networkSecurityGroups/write"
        ));
        assert!(!matches(
            "Microsoft.Network/networkSecurityGroups/write",
            "Microsoft.Network/networkSecurityGroups/securityRules/write"
        ));
        // `virtualMachines/*/read` needs something between the two slashes' neighbours.
        assert!(!matches(
            "Microsoft.Compute/virtualMachines/*/read",
            "Microsoft.Compute/virtualMachines/read"
        ));
        assert!(matches(
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachines/read"
        ));
    }

    #[test]
    fn not_actions_take_away_from_actions() {
        // Contributor: everything but Microsoft.Authorization writes: NSG write stays.
        let contributor = granted(&v(&["*"]), &v(&["Microsoft.Authorization/*/Write"]));
        assert!(contributor.has(Action::NsgWrite));
        let no_network = granted(&v(&["*"]), &v(&["Microsoft.Network/*"]));
        assert!(!no_network.has(Action::NsgWrite));
        assert!(no_network.has(Action::JitInitiate));
        let reader = granted(&v(&["*/read"]), &[]);
        assert!(reader.has(Action::VmRead) && !reader.has(Action::JitInitiate));
    }
}
