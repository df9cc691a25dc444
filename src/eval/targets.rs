//! EVALUATE: the ipConfigurations of a VM to evaluate, each with the NSGs on its path (subnet,
//! then NIC) and its private address as known; a link the input does not hold is a missing
//! slot with the reason, never a silent gap.

use std::sync::Arc;

use super::nsg::Destination;
use super::NsgLevel;
use crate::model::access::last_segment;
use crate::model::network::UNDECIDED_IP_CONFIG;
use crate::model::{key, Decided, Inventory, IpConfig, Nic, Nsg, PrivateIp, Vm};

/// An NSG on the path, or a link to one (or to a subnet) that the input does not hold.
pub(crate) enum Slot<'i> {
    /// The NSG.
    Found(NsgLevel, &'i Nsg),
    /// What is missing.
    Missing(NsgLevel, String),
}

/// One ipConfiguration to evaluate, with its NIC.
pub(crate) struct Target<'i> {
    /// NIC name.
    pub(crate) nic_name: String,
    /// `nic/ipconfig`, shared by every piece of evidence and path of this ipConfiguration
    /// (empty when the NIC is outside the input).
    pub(crate) label: Arc<str>,
    /// The ipConfiguration (None when the NIC is outside the input).
    pub(crate) config: Option<&'i IpConfig>,
    /// Subnet NSG then NIC NSG.
    pub(crate) slots: Vec<Slot<'i>>,
    /// Its private address as known.
    pub(crate) destination: Destination,
}

pub(crate) fn targets_of<'i>(
    inv: &'i Inventory,
    vm: &'i Vm,
    missing: &mut Vec<String>,
) -> Vec<Target<'i>> {
    let mut nics: Vec<&'i Nic> = vm.inline_nics.iter().collect();
    let mut targets = Vec::new();
    for nic_id in &vm.nic_ids {
        match nic_id {
            Decided::Known(id) => match inv.nics.get(&key(id)) {
                Some(nic) => nics.push(nic),
                None => {
                    let why = format!("network interface {id} is not in the input");
                    missing.push(why.clone());
                    targets.push(Target {
                        nic_name: last_segment(id).to_owned(),
                        label: Arc::from(""),
                        config: None,
                        slots: Vec::new(),
                        destination: Destination::Unknown(why),
                    });
                }
            },
            Decided::Unknown(reason) => {
                missing.push(format!(
                    "a network interface reference is unknown: {reason}"
                ));
                targets.push(Target {
                    nic_name: "(unknown)".to_owned(),
                    label: Arc::from(""),
                    config: None,
                    slots: Vec::new(),
                    destination: Destination::Unknown(reason.clone()),
                });
            }
        }
    }
    if nics.is_empty() && targets.is_empty() {
        missing.push("the VM names no network interface".to_owned());
        targets.push(Target {
            nic_name: "(none)".to_owned(),
            label: Arc::from(""),
            config: None,
            slots: Vec::new(),
            destination: Destination::Unknown("no network interface".to_owned()),
        });
    }
    for nic in nics {
        if nic.ip_configs.is_empty() {
            // Azure gives every NIC at least one ipConfiguration: one the input does not show
            // is not decided, and a verdict over none would be a guess.
            let why = format!("network interface {} has no ipConfiguration", nic.name);
            missing.push(why.clone());
            targets.push(Target {
                nic_name: nic.name.clone(),
                label: Arc::from(""),
                config: None,
                slots: Vec::new(),
                destination: Destination::Unknown(why),
            });
        }
        for config in &nic.ip_configs {
            targets.push(target_for(inv, nic, config, missing));
        }
    }
    targets
}

fn target_for<'i>(
    inv: &'i Inventory,
    nic: &'i Nic,
    config: &'i IpConfig,
    missing: &mut Vec<String>,
) -> Target<'i> {
    let mut slots = Vec::new();
    let mut prefixes = Vec::new();
    match &config.subnet {
        Some(Decided::Known(id)) => match inv.subnets.get(&key(id)) {
            Some(subnet) => {
                prefixes = subnet.prefixes.clone();
                if let Some(link) = &subnet.nsg {
                    slots.push(nsg_slot(inv, NsgLevel::Subnet, link, missing));
                }
            }
            None => {
                let why = format!("subnet {id} is not in the input");
                missing.push(why.clone());
                slots.push(Slot::Missing(NsgLevel::Subnet, why));
            }
        },
        // An ipConfiguration the input does not decide: its reason says which property.
        Some(Decided::Unknown(reason)) if config.name == UNDECIDED_IP_CONFIG => {
            slots.push(Slot::Missing(NsgLevel::Subnet, reason.clone()));
        }
        Some(Decided::Unknown(reason)) => slots.push(Slot::Missing(
            NsgLevel::Subnet,
            format!("subnet unknown: {reason}"),
        )),
        None => {}
    }
    if let Some(link) = &nic.nsg {
        slots.push(nsg_slot(inv, NsgLevel::Nic, link, missing));
    }
    apply_effective(inv, nic, config, &mut slots);
    let destination = match &config.private_ip {
        PrivateIp::Static(ip) => Destination::Address(*ip),
        PrivateIp::Dynamic => Destination::InPrefixes(prefixes),
        PrivateIp::Unknown(reason) => Destination::Unknown(reason.clone()),
    };
    Target {
        nic_name: nic.name.clone(),
        label: format!("{}/{}", nic.name, config.name).into(),
        config: Some(config),
        slots,
        destination,
    }
}

/// Azure's effective view, when exported, replaces the declared NSGs: for the NIC it was
/// exported for, all of them; a subnet-only view replaces the subnet's NSG of every NIC in it.
fn apply_effective<'i>(
    inv: &'i Inventory,
    nic: &Nic,
    config: &IpConfig,
    slots: &mut Vec<Slot<'i>>,
) {
    let nic_key = key(&nic.id);
    let for_nic: Vec<&crate::model::EffectiveNsg> = inv
        .effective_by_nic
        .get(&nic_key)
        .into_iter()
        .flatten()
        .filter_map(|&i| inv.effective.get(i))
        .collect();
    if !for_nic.is_empty() {
        slots.clear();
        let mut ordered = for_nic;
        ordered.sort_by_key(|e| !e.on_subnet);
        for e in ordered {
            slots.push(Slot::Found(
                if e.on_subnet {
                    NsgLevel::Subnet
                } else {
                    NsgLevel::Nic
                },
                &e.nsg,
            ));
        }
        return;
    }
    let subnet_key = match &config.subnet {
        Some(Decided::Known(id)) => key(id),
        _ => return,
    };
    if let Some(e) = inv
        .effective_by_subnet
        .get(&subnet_key)
        .and_then(|&i| inv.effective.get(i))
    {
        slots.retain(|s| {
            !matches!(
                s,
                Slot::Found(NsgLevel::Subnet, _) | Slot::Missing(NsgLevel::Subnet, _)
            )
        });
        slots.insert(0, Slot::Found(NsgLevel::Subnet, &e.nsg));
    }
}

fn nsg_slot<'i>(
    inv: &'i Inventory,
    level: NsgLevel,
    link: &Decided<String>,
    missing: &mut Vec<String>,
) -> Slot<'i> {
    match link {
        Decided::Known(id) => match inv.nsgs.get(&key(id)) {
            Some(nsg) => Slot::Found(level, nsg),
            None => {
                let why = format!("network security group {id} is not in the input");
                missing.push(why.clone());
                Slot::Missing(level, why)
            }
        },
        Decided::Unknown(reason) => {
            Slot::Missing(level, format!("NSG reference unknown: {reason}"))
        }
    }
}
