//! RBAC: the resources on one VM's paths, read from its evaluation and its model (never
//! evaluated again): the NSGs the evaluation met, the VM's NICs and their subnets, the load
//! balancers and firewalls on its paths in, and the JIT policy that lists it.

use crate::eval::paths::PathKind;
use crate::eval::vm::PortEvaluation;
use crate::model::{key, Decided, Inventory, Vm};

use super::evaluate::Surface;

fn push(list: &mut Vec<String>, id: &str) {
    let k = key(id);
    if id.contains("/providers/") && !list.iter().any(|x| key(x) == k) {
        list.push(id.to_owned());
    }
}

/// The surface of `vm`, whose evaluated ports are `ports`.
pub fn surface(inv: &Inventory, vm: &Vm, ports: &[PortEvaluation]) -> Surface {
    let mut s = Surface {
        vm: vm.id.clone(),
        jit_policy: inv
            .jit_by_vm
            .get(&key(&vm.id))
            .and_then(|i| inv.jit_policies.get(*i))
            .map(|p| p.id.clone()),
        ..Surface::default()
    };
    for port in ports {
        for evidence in &port.evidence {
            push(&mut s.nsgs, &evidence.nsg_id);
        }
        for (path, _) in &port.paths {
            match path.kind {
                PathKind::LoadBalancerNat | PathKind::LoadBalancerRule => {
                    push(&mut s.load_balancers, &path.via_id)
                }
                PathKind::FirewallDnat => {
                    let k = key(&path.via_id);
                    if !s.firewalls.iter().any(|(f, _)| key(f) == k) {
                        let policy = inv
                            .firewalls
                            .iter()
                            .find(|f| key(&f.id) == k)
                            .and_then(|f| match &f.policy {
                                Some(Decided::Known(p)) => Some(p.clone()),
                                _ => None,
                            });
                        s.firewalls.push((path.via_id.clone(), policy));
                    }
                }
                PathKind::PublicIp => {}
            }
        }
    }
    let nics = vm.nic_ids.iter().filter_map(|n| match n {
        Decided::Known(id) => inv.nics.get(&key(id)),
        Decided::Unknown(_) => None,
    });
    for nic in nics.chain(vm.inline_nics.iter()) {
        push(&mut s.nics, &nic.id);
        if let Some(Decided::Known(nsg)) = &nic.nsg {
            push(&mut s.nsgs, nsg);
        }
        for config in &nic.ip_configs {
            if let Some(Decided::Known(subnet)) = &config.subnet {
                push(&mut s.subnets, subnet);
                if let Some(Decided::Known(nsg)) =
                    inv.subnets.get(&key(subnet)).and_then(|x| x.nsg.as_ref())
                {
                    push(&mut s.nsgs, nsg);
                }
            }
        }
    }
    s
}
