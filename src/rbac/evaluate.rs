//! RBAC (pure): who can open one VM's management ports, through JIT or around it.
//!
//! Takes the VM's [`Surface`] (the resources on its paths, read from the evaluation) and the
//! [`Directory`]; looks up only the scopes above each resource. An assignment grants an action
//! on a resource when its scope covers the resource and its role grants the action, unless a
//! deny assignment covering the resource denies it to that principal.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::actions::Action;
use super::directory::Directory;
use super::read::Assignment;

/// How a principal can open a port without JIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// Write an NSG on the VM's path, or one of its rules.
    NsgRule,
    /// Write the VM's NIC or subnet (which NSG filters it).
    NsgAssociation,
    /// Attach a public IP to the VM's NIC.
    PublicIp,
    /// Write a load balancer in front of the VM (its NAT rules).
    LoadBalancerNat,
    /// Write a firewall in front of the VM, or its policy (DNAT rules).
    FirewallDnat,
}

impl Route {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NsgRule => "nsgRule",
            Self::NsgAssociation => "nsgAssociation",
            Self::PublicIp => "publicIp",
            Self::LoadBalancerNat => "loadBalancerNat",
            Self::FirewallDnat => "firewallDnat",
        }
    }
}

/// The resources on one VM's paths that decide who can open its ports (ids as written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Surface {
    /// The VM.
    pub vm: String,
    /// The JIT policy that lists it.
    pub jit_policy: Option<String>,
    /// NSGs on its NICs and subnets.
    pub nsgs: Vec<String>,
    /// Its NICs.
    pub nics: Vec<String>,
    /// The subnets of its NICs.
    pub subnets: Vec<String>,
    /// Load balancers on its paths in.
    pub load_balancers: Vec<String>,
    /// Firewalls on its paths in, with their policy when they have one.
    pub firewalls: Vec<(String, Option<String>)>,
}

/// One principal's right, through one assignment.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The assignment that gives it.
    pub assignment: Arc<Assignment>,
    /// The role's name.
    pub role_name: String,
    /// PIM-eligible: to be activated first (also when what it needs besides is).
    pub eligible: bool,
    /// A condition decides whether it applies (also when what it needs besides does).
    pub conditional: bool,
    /// For bypassers: how.
    pub route: Option<Route>,
}

impl Grant {
    /// Sort key: principal, route, role, scope, assignment.
    fn key(&self) -> (&str, Option<Route>, &str, &str, &str) {
        let a = &self.assignment;
        (
            &a.principal_id,
            self.route,
            &a.role_definition_id,
            &a.scope,
            &a.id,
        )
    }
}

/// Who can open one VM's ports.
#[derive(Debug, Clone, Default)]
pub struct VmAccess {
    /// The JIT policy listing the VM (None: no requesters and no changers, by definition).
    pub jit_policy: Option<String>,
    /// Who can request access through JIT.
    pub jit_requesters: Vec<Grant>,
    /// Who can change or delete the JIT policy.
    pub jit_changers: Vec<Grant>,
    /// Who can open a port around JIT.
    pub bypassers: Vec<Grant>,
}

impl VmAccess {
    /// Bypassers that are not requesters, by principal (JIT is decoration for them).
    pub fn bypassers_not_requesting(&self) -> Vec<&Grant> {
        self.bypassers
            .iter()
            .filter(|b| {
                !self
                    .jit_requesters
                    .iter()
                    .any(|r| r.assignment.principal_id == b.assignment.principal_id)
            })
            .collect()
    }
}

impl Directory {
    /// The assignments that grant any of `actions` on `resource`, deny assignments applied.
    pub fn granting(&self, resource: &str, actions: &[Action]) -> Vec<Arc<Assignment>> {
        let denies = self.denies_covering(resource);
        self.assignments_covering(resource)
            .into_iter()
            .filter_map(|i| self.assignments.get(i))
            .filter(|a| {
                self.definition_of(a)
                    .is_some_and(|d| actions.iter().any(|x| d.grants.has(*x)))
            })
            .filter(|a| {
                // Denied when some deny assignment covering the resource denies every one of
                // the actions asked that the role grants, to this principal.
                !actions.iter().all(|x| {
                    !self.definition_of(a).is_some_and(|d| d.grants.has(*x))
                        || denies.iter().any(|d| {
                            d.denies.has(*x)
                                && (d.everyone || d.principals.contains(&a.principal_id))
                                && !d.excluded.contains(&a.principal_id)
                        })
                })
            })
            .map(Arc::clone)
            .collect()
    }

    fn role_name(&self, a: &Assignment) -> String {
        self.definition_of(a)
            .map(|d| d.name.clone())
            .or_else(|| a.role_name_hint.clone())
            .unwrap_or_else(|| a.role_guid.clone())
    }

    fn grant(&self, a: Arc<Assignment>, route: Option<Route>) -> Grant {
        Grant {
            role_name: self.role_name(&a),
            eligible: a.eligible,
            conditional: a.conditional,
            route,
            assignment: a,
        }
    }

    /// Who can open the ports of the VM `surface` describes.
    pub fn evaluate(&self, surface: &Surface) -> VmAccess {
        let mut access = VmAccess {
            jit_policy: surface.jit_policy.clone(),
            ..VmAccess::default()
        };
        if let Some(policy) = &surface.jit_policy {
            // Reading the VM: the best (active, unconditional) way each principal has it.
            let mut readers: BTreeMap<String, (bool, bool)> = BTreeMap::new();
            for a in self.granting(&surface.vm, &[Action::VmRead]) {
                let e = readers
                    .entry(a.principal_id.clone())
                    .or_insert((true, true));
                *e = (e.0 && a.eligible, e.1 && a.conditional);
            }
            for a in self.granting(policy, &[Action::JitInitiate]) {
                let Some(&(read_eligible, read_conditional)) = readers.get(&a.principal_id) else {
                    continue;
                };
                let mut g = self.grant(a, None);
                g.eligible |= read_eligible;
                g.conditional |= read_conditional;
                access.jit_requesters.push(g);
            }
            for a in self.granting(policy, &[Action::JitWrite, Action::JitDelete]) {
                access.jit_changers.push(self.grant(a, None));
            }
        }
        self.bypassers(surface, &mut access.bypassers);
        for list in [
            &mut access.jit_requesters,
            &mut access.jit_changers,
            &mut access.bypassers,
        ] {
            list.sort_by(|x, y| x.key().cmp(&y.key()));
            list.dedup_by(|x, y| x.key() == y.key());
        }
        access
    }

    fn bypassers(&self, s: &Surface, out: &mut Vec<Grant>) {
        let mut add = |route: Route, resource: &str, actions: &[Action]| {
            for a in self.granting(resource, actions) {
                out.push(self.grant(a, Some(route)));
            }
        };
        for nsg in &s.nsgs {
            add(
                Route::NsgRule,
                nsg,
                &[Action::NsgWrite, Action::NsgRuleWrite],
            );
        }
        for nic in &s.nics {
            add(Route::NsgAssociation, nic, &[Action::NicWrite]);
        }
        for subnet in &s.subnets {
            add(Route::NsgAssociation, subnet, &[Action::SubnetWrite]);
            // The virtual network's write replaces its subnets (and their NSG) too.
            if let Some((vnet, _)) = subnet.rsplit_once("/subnets/") {
                add(Route::NsgAssociation, vnet, &[Action::VnetWrite]);
            }
        }
        for lb in &s.load_balancers {
            add(
                Route::LoadBalancerNat,
                lb,
                &[Action::LbWrite, Action::LbNatWrite],
            );
        }
        for (firewall, policy) in &s.firewalls {
            add(Route::FirewallDnat, firewall, &[Action::FirewallWrite]);
            if let Some(policy) = policy {
                add(
                    Route::FirewallDnat,
                    policy,
                    &[
                        Action::FirewallPolicyWrite,
                        Action::FirewallPolicyRulesWrite,
                    ],
                );
            }
        }
        // A public IP: Azure checks write on the NIC and join on the public IP, which may be
        // any the principal can join (or create): the join counted wherever it is granted.
        let nic_writers: Vec<Arc<Assignment>> = s
            .nics
            .iter()
            .flat_map(|nic| self.granting(nic, &[Action::NicWrite]))
            .collect();
        for w in &nic_writers {
            for a in self.joiners(&w.principal_id) {
                let mut g = self.grant(a, Some(Route::PublicIp));
                g.eligible |= w.eligible;
                g.conditional |= w.conditional;
                out.push(g);
            }
        }
    }

    /// The assignments that let `principal` join a public IP, anywhere.
    fn joiners(&self, principal: &str) -> Vec<Arc<Assignment>> {
        self.assignments_of(principal)
            .into_iter()
            .filter(|a| {
                self.definition_of(a)
                    .is_some_and(|d| d.grants.has(Action::PublicIpJoin))
                    && !self.denies_covering(&a.scope).iter().any(|d| {
                        d.denies.has(Action::PublicIpJoin)
                            && (d.everyone || d.principals.contains(&a.principal_id))
                            && !d.excluded.contains(&a.principal_id)
                    })
            })
            .collect()
    }
}
