//! MODEL: the typed resources jitscan reasons about, linked by lower-case resource id.
//!
//! These types hold only what evaluation needs. Every value that came from input and might be
//! undecidable is a [`Decided`]; every resource keeps its [`Origin`] (file + JSON pointer) so a
//! report can point at it. No evaluation happens here.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::address::AddressItem;
use super::ports::PortSet;
use crate::source::Origin;

/// A value that is either known or undecidable offline (with the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided<T> {
    /// Known.
    Known(T),
    /// Not decidable from the input; the reason says why.
    Unknown(String),
}

impl<T> Decided<T> {
    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(v) => Some(v),
            Self::Unknown(_) => None,
        }
    }
}

/// Lower-case resource id used as the link key.
pub fn key(id: &str) -> String {
    id.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// NSG rule direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Inbound.
    Inbound,
    /// Outbound.
    Outbound,
}

/// NSG rule access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

impl Access {
    /// "Allow" / "Deny".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

/// One NSG security rule (custom or default).
#[derive(Debug, Clone)]
pub struct SecurityRule {
    /// Rule name (shared with the evidence of every VM it decides).
    pub name: Arc<str>,
    /// 100-4096 for custom rules, 65000+ for defaults.
    pub priority: Decided<u32>,
    /// Direction.
    pub direction: Decided<Direction>,
    /// Access.
    pub access: Decided<Access>,
    /// Protocol, lower-case (`tcp`, `udp`, `icmp`, `*`, `esp`, `ah`).
    pub protocol: Decided<String>,
    /// Source items (prefix, prefixes and ASGs together).
    pub sources: Decided<Vec<AddressItem>>,
    /// Source ports.
    pub source_ports: Decided<PortSet>,
    /// Destination items.
    pub destinations: Decided<Vec<AddressItem>>,
    /// Destination ports.
    pub destination_ports: Decided<PortSet>,
    /// True for Azure's default rules.
    pub is_default: bool,
    /// Where it is declared (None for implied default rules).
    pub origin: Option<Origin>,
}

/// A network security group.
#[derive(Debug, Clone)]
pub struct Nsg {
    /// Resource id as written (shared with the evidence of every VM it decides).
    pub id: Arc<str>,
    /// Name (shared likewise).
    pub name: Arc<str>,
    /// Custom rules (inline and child resources merged, by name).
    pub rules: Vec<SecurityRule>,
    /// Declared in a template with its `securityRules` inline: where the list is. Deploying
    /// the NSG then replaces its whole rule list (see `eval::jit`).
    pub inline_rules: Option<Origin>,
    /// Default rules (from the input when it lists them, else Azure's).
    pub default_rules: Vec<SecurityRule>,
    /// Declaration.
    pub origin: Origin,
}

/// How a NIC ipConfiguration gets its private address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateIp {
    /// A static (or exported, already assigned) address.
    Static(IpAddr),
    /// Assigned at deployment from the subnet.
    Dynamic,
    /// Undecidable.
    Unknown(String),
}

/// One ipConfiguration of a NIC (or of a scale set's NIC configuration).
#[derive(Debug, Clone)]
pub struct IpConfig {
    /// Lower-case id (`{nic}/ipConfigurations/{name}`).
    pub key: String,
    /// Name.
    pub name: String,
    /// Subnet link.
    pub subnet: Option<Decided<String>>,
    /// Private address.
    pub private_ip: PrivateIp,
    /// Public IP link (or, for scale sets, a public IP configuration).
    pub public_ip: Option<Decided<String>>,
    /// For a scale set's per-instance public IP: what may decide its SKU.
    pub instance_public_ip: Option<Box<InstancePublicIp>>,
    /// Load balancer backend pools (keys).
    pub backend_pools: Vec<String>,
    /// Load balancer inbound NAT rules (keys).
    pub nat_rules: Vec<String>,
    /// Load balancer inbound NAT pools (keys, scale sets).
    pub nat_pools: Vec<String>,
    /// Application security groups (keys).
    pub asgs: Vec<String>,
    /// Where its `publicIPAddress` reference is written (a NIC resource's), so a finding can
    /// point at the association a change would remove.
    pub public_ip_origin: Option<Origin>,
}

/// A scale set's per-instance public IP (`publicIPAddressConfiguration` of an
/// ipConfiguration): no public IP resource is declared, so its SKU comes from the
/// configuration itself, a public IP prefix it draws from, or the load balancers the
/// ipConfiguration sits behind (evaluated in `eval::paths`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePublicIp {
    /// The configuration's name.
    pub name: String,
    /// `sku.name`, when given.
    pub sku: Option<Decided<String>>,
    /// `publicIPPrefix`, when given: its id (unknown when the id is not decided, the prefix
    /// is still there), or why the input does not decide whether there is one.
    pub prefix: Option<Decided<String>>,
    /// Why the ipConfiguration's load-balancer references are not (all) decided, when they
    /// are not: a load balancer that decides the SKU may be missing from them.
    pub lb_undecided: Option<String>,
    /// The scale set's `orchestrationMode` is `Flexible` (no Basic load balancer there).
    pub flexible: bool,
}

/// A network interface (or a scale set's inline NIC configuration).
#[derive(Debug, Clone)]
pub struct Nic {
    /// Resource id as written.
    pub id: String,
    /// Name.
    pub name: String,
    /// NSG link.
    pub nsg: Option<Decided<String>>,
    /// ipConfigurations.
    pub ip_configs: Vec<IpConfig>,
    /// Declaration.
    pub origin: Origin,
}

/// A subnet.
#[derive(Debug, Clone)]
pub struct Subnet {
    /// Resource id as written.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address prefixes.
    pub prefixes: Vec<IpNet>,
    /// NSG link.
    pub nsg: Option<Decided<String>>,
    /// Route table link.
    pub route_table: Option<Decided<String>>,
    /// Declaration.
    pub origin: Origin,
}

/// A public IP address resource.
#[derive(Debug, Clone)]
pub struct PublicIp {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The address when the input has it.
    pub address: Option<String>,
    /// SKU name (`Basic`, `Standard`), when the input has it.
    pub sku: Option<String>,
}

/// A load-balancer frontend.
#[derive(Debug, Clone)]
pub struct Frontend {
    /// Lower-case id.
    pub key: String,
    /// Name.
    pub name: String,
    /// Public (has a public IP or prefix) or private.
    pub public: Decided<bool>,
}

/// An inbound NAT rule (single port, or a port range to a backend pool) or NAT pool.
#[derive(Debug, Clone)]
pub struct LbNat {
    /// Lower-case id.
    pub key: String,
    /// Name.
    pub name: String,
    /// Frontend key.
    pub frontend: Option<String>,
    /// Frontend port or range, as text for the report.
    pub frontend_ports: String,
    /// Backend port.
    pub backend_port: Decided<u16>,
    /// Protocol, lower-case.
    pub protocol: String,
    /// Backend pool (NAT rules v2 target pools).
    pub backend_pool: Option<String>,
    /// Backend ipConfiguration keys named on the load balancer side (exports).
    pub backend_ip_configs: Vec<String>,
    /// True for a NAT pool (scale sets).
    pub is_pool: bool,
    /// Where it is declared (the line a fix edits).
    pub origin: Origin,
}

/// A load-balancing rule.
#[derive(Debug, Clone)]
pub struct LbRule {
    /// Lower-case id.
    pub key: String,
    /// Name.
    pub name: String,
    /// Frontend key.
    pub frontend: Option<String>,
    /// Frontend port.
    pub frontend_port: Decided<u16>,
    /// Backend port (0 with HA ports means all).
    pub backend_port: Decided<u16>,
    /// Protocol, lower-case (`tcp`, `udp`, `all`).
    pub protocol: String,
    /// Backend pool keys.
    pub backend_pools: Vec<String>,
    /// Where it is declared (the line a fix edits).
    pub origin: Origin,
}

/// A load balancer.
#[derive(Debug, Clone)]
pub struct LoadBalancer {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Frontends.
    pub frontends: Vec<Frontend>,
    /// Inbound NAT rules and pools.
    pub nats: Vec<LbNat>,
    /// Load-balancing rules.
    pub rules: Vec<LbRule>,
    /// Backend pool key -> ipConfiguration keys named on the load balancer side (exports).
    pub pool_members: Vec<(String, String)>,
    /// SKU name (`Basic`, `Standard`, `Gateway`), when the input has it.
    pub sku: Option<String>,
    /// Why the SKU is not decided, when it is written but the input does not decide it.
    pub sku_undecided: Option<String>,
    /// Declaration.
    pub origin: Origin,
}

/// Where a firewall DNAT rule sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranslatedAddress {
    /// A literal address.
    Ip(IpAddr),
    /// The dynamic private IP of an ipConfiguration (from `reference()`), inferred later.
    DynamicOf(String),
    /// A name resolved at run time.
    Fqdn(String),
}

/// One DNAT rule of an Azure Firewall or firewall policy.
#[derive(Debug, Clone)]
pub struct DnatRule {
    /// Rule name.
    pub name: String,
    /// Rule collection name.
    pub collection: String,
    /// Source items (addresses and IP groups; IP groups are `OtherTag`).
    pub sources: Decided<Vec<AddressItem>>,
    /// Destination ports on the firewall.
    pub destination_ports: String,
    /// Protocols, lower-case.
    pub protocols: Vec<String>,
    /// Translated address.
    pub translated_address: Decided<TranslatedAddress>,
    /// Translated port.
    pub translated_port: Decided<u16>,
    /// Declaration.
    pub origin: Origin,
}

/// An Azure Firewall.
#[derive(Debug, Clone)]
pub struct Firewall {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Subnet of its ipConfiguration (AzureFirewallSubnet).
    pub subnet: Option<String>,
    /// Private address when known.
    pub private_ip: Option<IpAddr>,
    /// Firewall policy link.
    pub policy: Option<Decided<String>>,
    /// Classic DNAT rules.
    pub dnat: Vec<DnatRule>,
    /// Declaration.
    pub origin: Origin,
}

/// A firewall policy (its rule collection groups folded in).
#[derive(Debug, Clone, Default)]
pub struct FirewallPolicy {
    /// DNAT rules from its rule collection groups / rule groups.
    pub dnat: Vec<DnatRule>,
    /// True when the policy resource itself is in the input.
    pub present: bool,
    /// Rule collection groups the policy resource lists (keys; exports list them).
    pub listed_groups: Vec<String>,
    /// Rule collection groups / rule groups found in the input (keys).
    pub seen_groups: Vec<String>,
}

impl FirewallPolicy {
    /// What of the policy's rules is not in the input, if anything: then its DNAT rules are
    /// unknown. A template declares its groups as child resources, so a present policy that
    /// lists no group has none.
    pub fn missing_rules(&self, id: &str) -> Option<String> {
        if !self.present && self.seen_groups.is_empty() {
            return Some(format!("firewall policy {id} is not in the input"));
        }
        let absent: Vec<&String> = self
            .listed_groups
            .iter()
            .filter(|g| !self.seen_groups.contains(g))
            .collect();
        (!absent.is_empty()).then(|| {
            format!(
                "rule collection group(s) {} of firewall policy {id} are not in the input",
                absent
                    .iter()
                    .map(|g| super::access::last_segment(g))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

/// A route in a route table.
#[derive(Debug, Clone)]
pub struct Route {
    /// Address prefix (`0.0.0.0/0` for the default route).
    pub prefix: String,
    /// Next hop type (`VirtualAppliance`, `Internet`, ...).
    pub next_hop_type: String,
    /// Next hop address for virtual appliances (may be a firewall's dynamic address).
    pub next_hop: Option<Decided<TranslatedAddress>>,
}

/// A route table.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Routes.
    pub routes: Vec<Route>,
}

/// A JIT network access policy. Besides the VMs it covers (for the verdict), it keeps its
/// `virtualMachines` entries as the input has them: a suggested policy is PUT over the live
/// one, which replaces the whole list, so what is there must be written back unchanged.
#[derive(Debug, Clone)]
pub struct JitPolicy {
    /// Resource id.
    pub id: String,
    /// Name (as resolved: `westeurope/default` in a template, `default` in an export).
    pub name: String,
    /// Region: the id's segment after `locations`, else the name's first segment, else the
    /// resource's `location`.
    pub location: Option<String>,
    /// `kind` (`Basic`), when the input has it.
    pub kind: Option<String>,
    /// The `virtualMachines` entries, in input order.
    pub virtual_machines: Vec<JitPolicyVm>,
    /// Where each `virtualMachines` entry is declared (parallel to `virtual_machines`).
    pub entry_origins: Vec<Origin>,
    /// The access requests made under it (`properties.requests`, exports of the live policy).
    pub requests: Vec<super::jit::JitRequest>,
    /// True when the input lists `properties.requests` (an empty list included): without it,
    /// whether any request was made is not known.
    pub requests_listed: bool,
    /// True when declared in an ARM template (ids then hold deployment placeholders).
    pub from_template: bool,
    /// Declaration.
    pub origin: Origin,
}

/// One `virtualMachines` entry of a JIT policy, as the input has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitPolicyVm {
    /// VM resource id as written.
    pub id: String,
    /// JSON pointer of the entry, below the policy's declaration.
    pub pointer: Box<str>,
    /// Port rule objects as written, as one compact JSON array (see [`JitPolicyVm::ports`]),
    /// except that members whose value is `null` (az CLI writes
    /// `"allowedSourceAddressPrefixes": null`) are left out: Azure reads null as absent. Kept
    /// as text: only `jitscan policy` reads them, and a big export lists thousands.
    pub ports_json: Box<str>,
    /// `publicIpAddress` (of an Azure Firewall), when set.
    pub public_ip_address: Option<String>,
}

impl JitPolicyVm {
    /// The port rule objects.
    pub fn ports(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ports_json).unwrap_or_default()
    }

    /// The port rules, typed.
    pub fn port_rules(&self) -> Vec<super::jit::JitPort> {
        super::jit::JitPort::parse_all(&self.ports())
    }
}

/// VM or scale set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VmKind {
    /// `Microsoft.Compute/virtualMachines`.
    VirtualMachine,
    /// `Microsoft.Compute/virtualMachineScaleSets`.
    VirtualMachineScaleSet,
}

/// Operating system family, when the input says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsType {
    /// Windows.
    Windows,
    /// Linux.
    Linux,
}

/// A virtual machine or scale set.
#[derive(Debug, Clone)]
pub struct Vm {
    /// Resource id.
    pub id: String,
    /// Resolved name.
    pub name: String,
    /// Name as written in the file.
    pub declared_name: String,
    /// VM or scale set.
    pub kind: VmKind,
    /// OS family.
    pub os: Option<OsType>,
    /// NIC links (VMs).
    pub nic_ids: Vec<Decided<String>>,
    /// Inline NIC configurations (scale sets).
    pub inline_nics: Vec<Nic>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Power state when the export says (`VM running`, `VM deallocated`).
    pub power_state: Option<String>,
    /// Azure region, when known.
    pub location: Option<String>,
    /// True when declared in an ARM template (ids then hold deployment placeholders).
    pub from_template: bool,
    /// Things assumed to deploy it.
    pub assumptions: Vec<String>,
    /// Declaration.
    pub origin: Origin,
}

/// Azure's effective security rules for one NSG association of a NIC
/// (`az network nic list-effective-nsg`): authoritative over the declared NSG.
#[derive(Debug, Clone)]
pub struct EffectiveNsg {
    /// The NIC it was exported for (key), when the export names it.
    pub nic: Option<String>,
    /// The subnet association (key), when the export names it.
    pub subnet: Option<String>,
    /// True when this association is the subnet's NSG (else the NIC's).
    pub on_subnet: bool,
    /// The effective rules as an NSG.
    pub nsg: Nsg,
}
