//! MODEL: build one inventory from many resources on every core.
//!
//! Turning a resource's JSON into typed NICs, NSGs and rules is the costly part of building an
//! inventory, and a big export holds tens of thousands of resources in one environment. The
//! resources are cut into chunks in declaration order, each chunk is added to an inventory of
//! its own in parallel, and the partial inventories are merged in order. Merging follows the
//! same rules as adding one resource after another (a later resource with the same key
//! replaces an earlier one; subnets and firewall policies combine), so the result is the one
//! the sequential build gives, whatever the chunking.

use rayon::prelude::*;

use super::Inventory;

impl Inventory {
    /// Adds every item with `add`, in parallel chunks of `chunk` items (see
    /// [`crate::limits::Limits::model_chunk`]; the result does not depend on it, which
    /// `tests/limits.rs` shows), as if added one after another; each chunk is dropped by the
    /// worker that added it, so freeing big items costs no serial time. Call
    /// [`Inventory::finish`] afterwards, as with [`Inventory::add`].
    pub fn build_from<T: Send>(
        items: Vec<T>,
        chunk: usize,
        add: impl Fn(&mut Inventory, &T) + Sync,
    ) -> Self {
        let parts: Vec<Inventory> = items
            .into_par_iter()
            .chunks(chunk.max(1))
            .map(|chunk| {
                let mut part = Inventory::default();
                for item in &chunk {
                    add(&mut part, item);
                }
                part
            })
            .collect();
        Self::merged(parts)
    }

    /// One inventory of partial ones built from consecutive runs of resources, in order.
    pub fn merged(parts: Vec<Inventory>) -> Self {
        // Room for everything at once: a map grown part by part rehashes every id many times.
        let later = |size: fn(&Inventory) -> usize| parts.iter().skip(1).map(size).sum::<usize>();
        let (vms, nics) = (later(|p| p.vms.len()), later(|p| p.nics.len()));
        let (public_ips, nsgs) = (later(|p| p.public_ips.len()), later(|p| p.nsgs.len()));
        let mut parts = parts.into_iter();
        let mut inventory = parts.next().unwrap_or_default();
        inventory.vms.reserve(vms);
        inventory.nics.reserve(nics);
        inventory.nic_order.reserve(nics);
        inventory.public_ips.reserve(public_ips);
        inventory.nsgs.reserve(nsgs);
        for part in parts {
            inventory.merge(part);
        }
        inventory
    }

    /// Takes in what `later` added, as if its resources had been added after this one's.
    /// Only the state [`Inventory::add`] builds is merged; indexes come from `finish`.
    pub(crate) fn merge(&mut self, later: Inventory) {
        let Inventory {
            vms,
            nics,
            nic_order,
            subnets,
            nsgs,
            public_ips,
            load_balancers,
            firewalls,
            firewall_policies,
            route_tables,
            jit_policies,
            jit_by_vm: _,
            effective_by_nic: _,
            effective_by_subnet: _,
            problems,
            inferred_ips: _,
            nat_index: _,
            member_pools: _,
            nat_members: _,
            effective,
            peerings,
            admin,
            pending_rules,
            pending_nats,
            pending_routes,
        } = later;
        self.vms.extend(vms);
        self.nics.extend(nics);
        self.nic_order.extend(nic_order);
        // A chunk holds at most one subnet per key (it merged its own), so the order in which
        // its map yields them does not matter.
        for (_, subnet) in subnets {
            self.add_subnet(subnet);
        }
        self.nsgs.extend(nsgs);
        self.public_ips.extend(public_ips);
        self.load_balancers.extend(load_balancers);
        self.firewalls.extend(firewalls);
        for (k, policy) in firewall_policies {
            let merged = self.firewall_policies.entry(k).or_default();
            if policy.present {
                merged.present = true;
                merged.listed_groups = policy.listed_groups;
            }
            merged.dnat.extend(policy.dnat);
            merged.seen_groups.extend(policy.seen_groups);
        }
        self.route_tables.extend(route_tables);
        self.jit_policies.extend(jit_policies);
        self.problems.extend(problems);
        self.effective.extend(effective);
        self.peerings.extend(peerings);
        self.admin.merge(admin);
        self.pending_rules.extend(pending_rules);
        self.pending_nats.extend(pending_nats);
        self.pending_routes.extend(pending_routes);
    }
}
