//! BENCH SUPPORT: the shape of a generated environment, independent of its file format.
//!
//! A tenant of N VMs in resource groups ("landing zones") of `vms_per_rg` VMs. Each group has a
//! /21 virtual network with four /24 subnets (web, app, data, mgmt) and a firewall subnet, three
//! NSGs shared by its subnets (tens of rules each) and one lock-down NSG shared by some NICs,
//! public IPs, a Standard load balancer with inbound NAT rules to management ports, and a JIT
//! policy (Defender for Cloud keeps one per resource group and location). Hub resource groups
//! hold an Azure Firewall with DNAT rules to VMs of their spokes, which peer with the hub.
//! Which VM gets what is decided by its global index, so every size mixes healthy, unhealthy
//! and not-applicable VMs in the same proportions.

use super::Rng;

/// Subscriptions hold this many resource groups (ids carry the subscription).
const RGS_PER_SUBSCRIPTION: usize = 100;
/// One hub firewall per this many VMs (rounded up).
const VMS_PER_HUB: usize = 25_000;
/// DNAT rules per hub firewall (at most).
const DNAT_PER_HUB: usize = 50;

/// Access of an NSG rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allow,
    Deny,
}

/// Source of an NSG rule: one prefix/tag, or a list.
#[derive(Debug, Clone)]
pub enum Sources {
    One(String),
    Many(Vec<String>),
}

/// Destination ports of an NSG rule: one port or range, or a list.
#[derive(Debug, Clone)]
pub enum Ports {
    One(String),
    Many(Vec<String>),
}

/// One NSG security rule.
#[derive(Debug, Clone)]
pub struct RulePlan {
    pub name: String,
    pub priority: u32,
    pub inbound: bool,
    pub access: Access,
    pub protocol: &'static str,
    pub sources: Sources,
    pub ports: Ports,
}

/// One NSG.
#[derive(Debug, Clone)]
pub struct NsgPlan {
    pub name: String,
    pub rules: Vec<RulePlan>,
}

/// One subnet of a resource group's vnet.
#[derive(Debug, Clone)]
pub struct SubnetPlan {
    pub name: &'static str,
    pub prefix: String,
    /// Index into [`RgPlan::nsgs`].
    pub nsg: Option<usize>,
}

/// One VM with its single NIC.
#[derive(Debug, Clone)]
pub struct VmPlan {
    /// Index over the whole tenant (decides its features).
    pub global: usize,
    pub name: String,
    pub nic: String,
    pub subnet: usize,
    pub private_ip: String,
    /// Static allocation (templates write the address only for these).
    pub static_ip: bool,
    pub windows: bool,
    /// Index into [`RgPlan::nsgs`] of the NIC's NSG.
    pub nic_nsg: Option<usize>,
    /// Public IP name and address.
    pub public_ip: Option<(String, String)>,
    /// Inbound NAT rule on the group's load balancer: (frontend port, backend port).
    pub nat: Option<(u16, u16)>,
    /// Member of the web backend pool of the load balancer.
    pub in_pool: bool,
    pub jit: bool,
    /// Target of a DNAT rule of the hub firewall (exports) or of the group's firewall (templates).
    pub dnat: bool,
}

/// One resource group.
#[derive(Debug, Clone)]
pub struct RgPlan {
    pub index: usize,
    pub name: String,
    pub subscription: String,
    pub vnet: String,
    /// The vnet's /21 (first address), as four octets.
    pub base: [u8; 4],
    pub subnets: Vec<SubnetPlan>,
    /// Shared NSGs: 0 web, 1 app (also data), 2 mgmt, 3 NIC lock-down.
    pub nsgs: Vec<NsgPlan>,
    pub vms: Vec<VmPlan>,
    /// Load balancer name (present when some VM has a NAT rule or is in the pool).
    pub lb: Option<String>,
    /// Hub this group peers with (exports).
    pub hub: usize,
}

impl RgPlan {
    /// The vnet's address space.
    pub fn vnet_prefix(&self) -> String {
        let [a, b, c, d] = self.base;
        format!("{a}.{b}.{c}.{d}/21")
    }

    /// The firewall subnet of the group's own vnet (templates put a firewall there).
    pub fn firewall_subnet_prefix(&self) -> String {
        let [a, b, c, _] = self.base;
        format!("{a}.{b}.{}.0/26", c + 4)
    }
}

/// One DNAT rule of a hub firewall.
#[derive(Debug, Clone)]
pub struct DnatPlan {
    pub name: String,
    pub frontend_port: u16,
    pub translated_ip: String,
    pub translated_port: u16,
}

/// A hub resource group with an Azure Firewall.
#[derive(Debug, Clone)]
pub struct HubPlan {
    pub name: String,
    pub subscription: String,
    pub vnet: String,
    pub prefix: String,
    pub firewall_subnet: String,
    pub firewall: String,
    pub firewall_ip: String,
    pub public_ip: (String, String),
    pub dnat: Vec<DnatPlan>,
}

/// A whole generated tenant.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rgs: Vec<RgPlan>,
    pub hubs: Vec<HubPlan>,
}

/// Subscription id of the `n`th subscription (GUID-shaped, deterministic).
fn subscription_id(n: usize) -> String {
    format!("{n:08x}-5eed-4b1d-8c3a-{:012x}", n * 7919 + 1)
}

impl Plan {
    /// A tenant of `vms` VMs in groups of `vms_per_rg` (at most 200). Groups of five VMs or
    /// fewer get NSGs of about ten rules (a small project's template), larger ones tens.
    pub fn new(vms: usize, vms_per_rg: usize, seed: u64) -> Self {
        assert!((1..=200).contains(&vms_per_rg));
        let mut rng = Rng::new(seed);
        let groups = vms.div_ceil(vms_per_rg);
        assert!(groups <= 8192, "address plan holds 8192 groups of /21");
        let hub_count = vms.div_ceil(VMS_PER_HUB).max(1);
        let mut rgs = Vec::with_capacity(groups);
        for r in 0..groups {
            let count = vms_per_rg.min(vms - r * vms_per_rg);
            let fillers = if vms_per_rg <= 5 { 20 } else { 100 };
            rgs.push(rg(r, r * vms_per_rg, count, hub_count, fillers, &mut rng));
        }
        let hubs = (0..hub_count).map(|h| hub(h, &rgs)).collect();
        Self { rgs, hubs }
    }
}

fn rg(r: usize, first: usize, count: usize, hubs: usize, fillers: usize, rng: &mut Rng) -> RgPlan {
    let name = format!("rg-lz{r:04}");
    let offset = (r as u32) << 11;
    let base = (0x0A00_0000u32 + offset).to_be_bytes();
    let [a, b, c, _] = base;
    let subnet_prefix = |s: u8| format!("{a}.{b}.{}.0/24", c + s);
    // Every seventh group leaves its data subnet without an NSG: not-applicable VMs.
    let data_nsg = (r % 7 != 3).then_some(1);
    let subnets = vec![
        SubnetPlan {
            name: "snet-web",
            prefix: subnet_prefix(0),
            nsg: Some(0),
        },
        SubnetPlan {
            name: "snet-app",
            prefix: subnet_prefix(1),
            nsg: Some(1),
        },
        SubnetPlan {
            name: "snet-data",
            prefix: subnet_prefix(2),
            nsg: data_nsg,
        },
        SubnetPlan {
            name: "snet-mgmt",
            prefix: subnet_prefix(3),
            nsg: Some(2),
        },
    ];
    let nsgs = vec![
        super::nsg::nsg_web(&format!("nsg-{name}-web"), r, fillers, rng),
        super::nsg::nsg_app(&format!("nsg-{name}-app"), fillers, rng),
        super::nsg::nsg_mgmt(&format!("nsg-{name}-mgmt"), r, fillers, rng),
        super::nsg::nsg_lockdown(&format!("nsg-{name}-nic-lockdown"), fillers, rng),
    ];
    let vms: Vec<VmPlan> = (0..count).map(|i| vm(&name, base, first + i, i)).collect();
    let lb = vms
        .iter()
        .any(|v| v.nat.is_some() || v.in_pool)
        .then(|| format!("lb-{name}"));
    RgPlan {
        index: r,
        subscription: subscription_id(r / RGS_PER_SUBSCRIPTION),
        vnet: format!("vnet-{name}"),
        name,
        base,
        subnets,
        nsgs,
        vms,
        lb,
        hub: r % hubs,
    }
}

fn vm(rg: &str, base: [u8; 4], global: usize, local: usize) -> VmPlan {
    let [a, b, c, _] = base;
    let subnet = global % 4;
    let windows = global % 3 == 0;
    let role = ["web", "app", "data", "mgmt"][subnet];
    let name = format!("vm-{}-{role}-{local:03}", &rg[3..]);
    let nat = (global % 10 == 7).then(|| {
        let backend = if windows { 3389 } else { 22 };
        (50_000 + local as u16, backend)
    });
    let dnat = global % 25 == 5;
    let public_ip =
        (subnet == 0 || global % 8 == 3).then(|| (format!("pip-{name}"), public_address(global)));
    VmPlan {
        global,
        nic: format!("nic-{name}"),
        private_ip: format!("{a}.{b}.{}.{}", c + subnet as u8, 4 + local),
        static_ip: dnat || global % 3 == 1,
        windows,
        nic_nsg: (global % 5 == 1).then_some(3),
        public_ip,
        nat,
        in_pool: subnet == 0,
        jit: global % 5 == 2,
        dnat,
        subnet,
        name,
    }
}

/// A public address in 20.0.0.0/8 (documentation ranges are too small for 100k VMs).
fn public_address(global: usize) -> String {
    let n = global as u32 + 1;
    format!("20.{}.{}.{}", (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF)
}

fn hub(h: usize, rgs: &[RgPlan]) -> HubPlan {
    let name = format!("rg-hub{h:02}");
    let targets = rgs
        .iter()
        .filter(|r| r.hub == h)
        .flat_map(|r| r.vms.iter().filter(|v| v.dnat))
        .take(DNAT_PER_HUB);
    let dnat = targets
        .enumerate()
        .map(|(k, v)| DnatPlan {
            name: format!("dnat-ssh-{}", v.name),
            frontend_port: 2200 + k as u16,
            translated_ip: v.private_ip.clone(),
            translated_port: 22,
        })
        .collect();
    HubPlan {
        subscription: subscription_id(9_000 + h),
        vnet: format!("vnet-hub{h:02}"),
        prefix: format!("172.16.{h}.0/24"),
        firewall_subnet: format!("172.16.{h}.0/26"),
        firewall: format!("afw-hub{h:02}"),
        firewall_ip: format!("172.16.{h}.4"),
        public_ip: (format!("pip-afw-hub{h:02}"), format!("52.0.{h}.10")),
        dnat,
        name,
    }
}
