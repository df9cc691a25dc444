//! EVALUATE: what every VM of an inventory shares: NSG decisions, and the firewall DNAT
//! rules indexed by what they translate to.
//!
//! In a big environment thousands of VMs sit behind a few shared subnet NSGs of tens (up to a
//! thousand) of rules. Walking those rules again for every VM, port and mode would make the
//! cost of a VM grow with the size of its NSGs; here each (NSG, port, mode) is decided once
//! for an Internet source, before the VMs are evaluated, and looked up after.
//!
//! Only a decision that cannot depend on the VM is shared: an NSG none of whose rules names a
//! destination prefix or application security group decides the same way for every VM behind
//! it. NSGs with such rules are decided per VM, as before. Sharing never changes a verdict
//! (tested against per-VM decisions on every fixture).
//!
//! The DNAT index serves the same end: a VM's paths through firewalls cost the rules that can
//! reach it, not every rule of every hub.

use std::collections::BTreeMap;

use crate::map::Map;
use std::net::IpAddr;

use rayon::prelude::*;

use super::mode::Mode;
use super::nsg::{decide, Decision, Destination, Flow, Source};
use super::paths::dnat_rules;
use crate::model::address::AddressItem;
use crate::model::{Decided, DnatRule, Inventory, IpConfig, Nsg, TranslatedAddress};

/// The DNAT rules of every firewall by what they translate to, so a VM's paths through
/// firewalls cost the rules that can reach it, not every rule of every hub.
#[derive(Debug, Default)]
pub struct DnatIndex<'i> {
    by_ip: Map<IpAddr, Vec<Indexed<'i>>>,
    by_config: Map<&'i str, Vec<Indexed<'i>>>,
    /// Rules translating to a name or an unknown address: candidates for every VM.
    open_ended: Vec<Indexed<'i>>,
}

/// (firewall index, rule position in the firewall's list) and the rule.
type Indexed<'i> = ((usize, usize), &'i DnatRule);

impl<'i> DnatIndex<'i> {
    /// Indexes every DNAT rule of every firewall of `inventory`.
    pub fn new(inventory: &'i Inventory) -> Self {
        let mut index = Self::default();
        for (f, firewall) in inventory.firewalls.iter().enumerate() {
            for (r, rule) in dnat_rules(inventory, firewall).enumerate() {
                let entry = ((f, r), rule);
                match &rule.translated_address {
                    Decided::Known(TranslatedAddress::Ip(ip)) => {
                        index.by_ip.entry(*ip).or_default().push(entry);
                    }
                    Decided::Known(TranslatedAddress::DynamicOf(k)) => {
                        index.by_config.entry(k.as_str()).or_default().push(entry);
                    }
                    _ => index.open_ended.push(entry),
                }
            }
        }
        index
    }

    /// The rules that may translate to `config`, by (firewall, position).
    pub(crate) fn candidates(
        &self,
        inventory: &Inventory,
        config: &IpConfig,
    ) -> BTreeMap<(usize, usize), &'i DnatRule> {
        let own = inventory.private_ip_of(config).0;
        own.and_then(|ip| self.by_ip.get(&ip))
            .into_iter()
            .flatten()
            .chain(
                self.by_config
                    .get(config.key.as_str())
                    .into_iter()
                    .flatten(),
            )
            .chain(self.open_ended.iter())
            .copied()
            .collect()
    }
}

/// Decisions for an Internet source, by (NSG, port, mode), and the DNAT index. The NSG is
/// identified by its address in the inventory the table was built from (the table borrows
/// it, so it cannot move).
#[derive(Debug, Default)]
pub struct SharedDecisions<'i> {
    decisions: Map<(usize, u16, Mode), Decision<'i>>,
    /// Firewall DNAT rules by target.
    pub dnat: DnatIndex<'i>,
}

impl<'i> SharedDecisions<'i> {
    /// Decides every NSG of `inventory` whose decision does not depend on the VM, for every
    /// port and mode, in parallel.
    pub fn new(inventory: &'i Inventory, ports: &[u16]) -> Self {
        let nsgs: Vec<&'i Nsg> = inventory
            .nsgs
            .values()
            .chain(inventory.effective.iter().map(|e| &e.nsg))
            .filter(|nsg| independent_of_destination(nsg))
            .collect();
        let unknown = Destination::Unknown(String::new());
        let decisions = nsgs
            .par_iter()
            .flat_map_iter(|nsg| {
                let unknown = &unknown;
                ports.iter().flat_map(move |&port| {
                    Mode::ALL.into_iter().map(move |mode| {
                        let flow = Flow {
                            port,
                            source: &Source::Internet,
                            destination: unknown,
                            asgs: &[],
                            config: None,
                        };
                        ((address(nsg), port, mode), decide(nsg, &flow, mode))
                    })
                })
            })
            .collect();
        Self {
            decisions,
            dnat: DnatIndex::new(inventory),
        }
    }

    /// The shared decision of `nsg` for `flow` in `mode`, when there is one: for an Internet
    /// source, on an NSG decided in advance.
    pub fn get(&self, nsg: &Nsg, flow: &Flow<'_>, mode: Mode) -> Option<&Decision<'i>> {
        match flow.source {
            Source::Internet => self.decisions.get(&(address(nsg), flow.port, mode)),
            _ => None,
        }
    }

    /// How many decisions are shared.
    pub fn len(&self) -> usize {
        self.decisions.len()
    }

    /// True when nothing is shared.
    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
    }
}

fn address(nsg: &Nsg) -> usize {
    std::ptr::from_ref(nsg) as usize
}

/// True when no rule of `nsg` can match one VM and not another: no destination prefix, no
/// application security group (a destination that is unknown is unknown for every VM).
fn independent_of_destination(nsg: &Nsg) -> bool {
    nsg.rules
        .iter()
        .chain(nsg.default_rules.iter())
        .all(|rule| match &rule.destinations {
            Decided::Known(items) => items.iter().all(|item| {
                !matches!(
                    item,
                    AddressItem::Prefix(_) | AddressItem::Asg(_) | AddressItem::IpConfigAddress(_)
                )
            }),
            Decided::Unknown(_) => true,
        })
}
