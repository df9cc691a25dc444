//! MODEL: build VMs, scale sets and JIT policies from evaluated resources.

use crate::json::node::{Node, NULL};

use super::access::{decided_id, get_ci, items, props, reference_id, text};
use super::network::{ip_configs, undecided_ip_config, UNDECIDED_IP_CONFIG};
use super::types::{Decided, InstancePublicIp, JitPolicy, JitPolicyVm, Nic, OsType, Vm, VmKind};
use crate::source::Origin;

/// What the builder needs to know about a resource besides its JSON.
pub struct Declared<'a> {
    /// Resource id.
    pub id: &'a str,
    /// Resolved name.
    pub name: &'a str,
    /// Name as written.
    pub declared_name: &'a str,
    /// Evaluated resource.
    pub value: &'a Node<'a>,
    /// Declaration.
    pub origin: Origin,
    /// Things assumed to deploy it.
    pub assumptions: &'a [String],
    /// True when it comes from an ARM template (false for exports).
    pub from_template: bool,
}

/// Builds a virtual machine.
pub fn vm(d: &Declared<'_>) -> Vm {
    let p = props(d.value);
    let network = get_ci(p, "networkProfile").unwrap_or(&NULL);
    let nic_ids = nic_references(p, network);
    // An undecided profile is already an unknown reference: not a second, undecided NIC.
    let inline_nics =
        if undecided_network(("properties", p), network, "networkInterfaces").is_some() {
            Vec::new()
        } else {
            inline_nic_configs(d.id, ("properties", p), &d.origin, None)
        };
    Vm {
        id: d.id.to_owned(),
        name: d.name.to_owned(),
        declared_name: d.declared_name.to_owned(),
        kind: VmKind::VirtualMachine,
        os: os_type(p),
        nic_ids,
        inline_nics,
        tags: tags(d.value),
        power_state: power_state(d.value),
        location: super::location_of(d.value),
        from_template: d.from_template,
        assumptions: d.assumptions.to_vec(),
        origin: d.origin.clone(),
    }
}

/// Builds a scale set (its NIC configurations become inline NICs).
pub fn vmss(d: &Declared<'_>) -> Vm {
    let p = props(d.value);
    let profile = get_ci(p, "virtualMachineProfile").unwrap_or(&NULL);
    let flexible = matches!(text(p, "orchestrationMode"),
        Some(Decided::Known(mode)) if mode.eq_ignore_ascii_case("flexible"));
    Vm {
        id: d.id.to_owned(),
        name: d.name.to_owned(),
        declared_name: d.declared_name.to_owned(),
        kind: VmKind::VirtualMachineScaleSet,
        os: os_type(profile),
        nic_ids: Vec::new(),
        inline_nics: inline_nic_configs(
            d.id,
            ("virtualMachineProfile", profile),
            &d.origin,
            Some(flexible),
        ),
        tags: tags(d.value),
        power_state: None,
        location: super::location_of(d.value),
        from_template: d.from_template,
        assumptions: d.assumptions.to_vec(),
        origin: d.origin.clone(),
    }
}

/// The VM's references to its NICs. A list the input does not decide (an `if()` on an
/// unknown, a copy loop of unknown count), or an entry of it, is an unknown reference with the
/// reason: never taken for no network interface.
fn nic_references(p: &Node, network: &Node) -> Vec<Decided<String>> {
    if let Some(reason) = undecided_network(("properties", p), network, "networkInterfaces") {
        return vec![Decided::Unknown(reason)];
    }
    items(network, "networkInterfaces")
        .iter()
        .filter_map(|n| match n {
            Node::String(_) => super::access::decided_id(n),
            other => match other.unknown_reason() {
                Some(reason) => Some(Decided::Unknown(format!(
                    "an entry of networkProfile.networkInterfaces is undecided: {reason}"
                ))),
                None => super::access::decided_id(get_ci(other, "id")?),
            },
        })
        .collect()
}

/// Why the list `field` of the network profile `network` (under the properties `owner`) is
/// undecided, when it is: the list itself, the profile, or the properties holding it is an
/// unknown.
fn undecided_network(owner: (&str, &Node), network: &Node, field: &str) -> Option<String> {
    let (owner_name, owner) = owner;
    let undecided = |what: &str, node: Option<&Node>| {
        let reason = node?.unknown_reason()?;
        Some(format!("{what} is undecided: {reason}"))
    };
    undecided(owner_name, Some(owner))
        .or_else(|| undecided("networkProfile", get_ci(owner, "networkProfile")))
        .or_else(|| undecided(&format!("networkProfile.{field}"), get_ci(network, field)))
}

/// A scale set's NIC configurations. An undecided list (or entry) becomes one NIC
/// configuration with an undecided ipConfiguration (see [`ip_configs`]), so its verdicts are
/// unknown with the reason instead of decided with no network interface. `scale_set` is
/// `Some(flexible)` for a scale set, `None` for a VM; either way a public IP configuration
/// gets its SKU as [`instance_public_ip`] reads it.
fn inline_nic_configs(
    owner_id: &str,
    profile: (&str, &Node),
    origin: &Origin,
    scale_set: Option<bool>,
) -> Vec<Nic> {
    let network = get_ci(profile.1, "networkProfile").unwrap_or(&NULL);
    let undecided = |why: String| {
        let id = format!("{owner_id}/networkInterfaceConfigurations/{UNDECIDED_IP_CONFIG}");
        Nic {
            name: UNDECIDED_IP_CONFIG.to_owned(),
            nsg: None,
            ip_configs: vec![undecided_ip_config(&id, why)],
            origin: origin.clone(),
            id,
        }
    };
    if let Some(why) = undecided_network(profile, network, "networkInterfaceConfigurations") {
        return vec![undecided(why)];
    }
    items(network, "networkInterfaceConfigurations")
        .iter()
        .map(|config| {
            if let Some(reason) = config.unknown_reason() {
                return undecided(format!(
                    "an entry of networkProfile.networkInterfaceConfigurations is undecided: {reason}"
                ));
            }
            let name = get_ci(config, "name")
                .and_then(Node::as_str)
                .unwrap_or("nic");
            let id = format!("{owner_id}/networkInterfaceConfigurations/{name}");
            let cp = props(config);
            let mut ip_configs = ip_configs(&id, cp);
            for (ip, c) in ip_configs.iter_mut().zip(items(cp, "ipConfigurations")) {
                let config = match get_ci(props(c), "publicIPAddressConfiguration") {
                    None | Some(Node::Null) => continue,
                    Some(config) => config,
                };
                if let Some(reason) = config.unknown_reason() {
                    // Whether the instances get a public IP at all is not decided.
                    ip.public_ip = Some(Decided::Unknown(format!(
                        "publicIPAddressConfiguration of ipConfiguration '{}' is undecided: {reason}",
                        ip.name
                    )));
                    continue;
                }
                ip.public_ip = Some(Decided::Known(format!("{id}/publicIPAddressConfiguration")));
                // A VM's inline configuration creates its public IP the same way: the same
                // sources decide its SKU (a standalone VM is not in a Flexible scale set).
                ip.instance_public_ip = Some(Box::new(instance_public_ip(
                    config,
                    props(c),
                    scale_set.unwrap_or(false),
                )));
            }
            Nic {
                id,
                name: name.to_owned(),
                nsg: reference_id(cp, "networkSecurityGroup"),
                ip_configs,
                origin: origin.clone(),
            }
        })
        .collect()
}

/// What may decide the SKU of a scale set's per-instance public IP: the configuration
/// `config` itself (`sku`, `publicIPPrefix`), and whether the load-balancer references of its
/// ipConfiguration (properties `ip`) are decided. `null` is taken as absent, as Azure does.
fn instance_public_ip(config: &Node, ip: &Node, flexible: bool) -> InstancePublicIp {
    let p = props(config);
    let sku = match get_ci(config, "sku") {
        None | Some(Node::Null) => None,
        Some(node) => match node.unknown_reason() {
            Some(reason) => Some(Decided::Unknown(reason.to_owned())),
            None => text(node, "name"),
        },
    };
    let prefix = match get_ci(p, "publicIPPrefix") {
        None | Some(Node::Null) => None,
        Some(node) => match node.unknown_reason() {
            Some(reason) => Some(Decided::Unknown(reason.to_owned())),
            // A prefix whose id is undecided is still a prefix.
            None => Some(match get_ci(node, "id").and_then(|id| decided_id(id)) {
                Some(Decided::Known(id)) => Decided::Known(id),
                _ => Decided::Known("(a public IP prefix whose id is undecided)".to_owned()),
            }),
        },
    };
    let lb_undecided = [
        "loadBalancerBackendAddressPools",
        "loadBalancerInboundNatPools",
        "loadBalancerInboundNatRules",
    ]
    .iter()
    .find_map(|field| {
        let list = get_ci(ip, field)?;
        let reason = list.unknown_reason().map(str::to_owned).or_else(|| {
            list.as_array()?.iter().find_map(|entry| {
                let id = match entry {
                    Node::String(_) => entry,
                    other => get_ci(other, "id")?,
                };
                id.unknown_reason().map(str::to_owned)
            })
        })?;
        Some(format!(
            "its ipConfiguration's {field} is undecided: {reason}"
        ))
    });
    InstancePublicIp {
        name: get_ci(config, "name")
            .and_then(Node::as_str)
            .unwrap_or("publicIPAddressConfiguration")
            .to_owned(),
        sku,
        prefix,
        lb_undecided,
        flexible,
    }
}

fn os_type(p: &Node) -> Option<OsType> {
    let storage = get_ci(p, "storageProfile").unwrap_or(&NULL);
    let os_disk = get_ci(storage, "osDisk").unwrap_or(&NULL);
    if let Some(Decided::Known(t)) = text(os_disk, "osType") {
        match t.to_ascii_lowercase().as_str() {
            "windows" => return Some(OsType::Windows),
            "linux" => return Some(OsType::Linux),
            _ => {}
        }
    }
    let os_profile = get_ci(p, "osProfile").unwrap_or(&NULL);
    if get_ci(os_profile, "windowsConfiguration").is_some() {
        return Some(OsType::Windows);
    }
    if get_ci(os_profile, "linuxConfiguration").is_some() {
        return Some(OsType::Linux);
    }
    let image = get_ci(storage, "imageReference").unwrap_or(&NULL);
    let field = |f: &str| match text(image, f) {
        Some(Decided::Known(s)) => s.to_ascii_lowercase(),
        _ => String::new(),
    };
    let (publisher, offer) = (field("publisher"), field("offer"));
    if publisher.contains("windows")
        || offer.contains("windows")
        || publisher == "microsoftsqlserver"
    {
        return Some(OsType::Windows);
    }
    const LINUX: [&str; 10] = [
        "canonical",
        "redhat",
        "openlogic",
        "suse",
        "debian",
        "credativ",
        "oracle",
        "almalinux",
        "kinvolk",
        "center-for-internet-security-inc",
    ];
    if LINUX.iter().any(|l| publisher == *l)
        || offer.contains("ubuntu")
        || offer.contains("centos")
        || offer.contains("rhel")
    {
        return Some(OsType::Linux);
    }
    None
}

fn tags(value: &Node) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = get_ci(value, "tags")
        .and_then(Node::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.as_ref().to_owned(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The power state as a short word (`running`, `deallocated`, `stopped`...), from az CLI's
/// `powerState` ("VM deallocated"), a REST instance view status ("PowerState/deallocated") or
/// Resource Graph's `properties.extended.instanceView.powerState.code`.
fn power_state(value: &Node) -> Option<String> {
    let normalise = |s: &str| {
        let s = s.trim();
        let s = s
            .strip_prefix("PowerState/")
            .or_else(|| s.strip_prefix("VM "))
            .unwrap_or(s);
        s.to_ascii_lowercase()
    };
    if let Some(Decided::Known(s)) = text(value, "powerState") {
        return Some(normalise(&s));
    }
    let p = props(value);
    let extended = get_ci(p, "extended")
        .and_then(|e| get_ci(e, "instanceView"))
        .and_then(|v| get_ci(v, "powerState"));
    if let Some(code) = extended
        .and_then(|s| get_ci(s, "code"))
        .and_then(Node::as_str)
    {
        return Some(normalise(code));
    }
    let view = get_ci(p, "instanceView")?;
    items(view, "statuses").iter().find_map(|s| {
        let code = get_ci(s, "code")?.as_str()?;
        code.starts_with("PowerState/").then(|| normalise(code))
    })
}

/// Builds a JIT network access policy, keeping its `virtualMachines` entries as written
/// (entries without a string `id` cover no VM and are left out).
pub fn jit_policy(d: &Declared<'_>) -> JitPolicy {
    let p = props(d.value);
    let base = super::network::props_pointer(d.value);
    let virtual_machines: Vec<JitPolicyVm> = items(p, "virtualMachines")
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let id = get_ci(v, "id").and_then(Node::as_str)?;
            Some(JitPolicyVm {
                id: id.to_owned(),
                pointer: format!("{base}/virtualMachines/{i}").into_boxed_str(),
                ports_json: serde_json::Value::Array(
                    items(v, "ports").iter().map(without_nulls).collect(),
                )
                .to_string()
                .into_boxed_str(),
                public_ip_address: get_ci(v, "publicIpAddress")
                    .and_then(Node::as_str)
                    .map(str::to_owned),
            })
        })
        .collect();
    JitPolicy {
        id: d.id.to_owned(),
        name: d.name.to_owned(),
        location: jit_location(d),
        kind: get_ci(d.value, "kind")
            .and_then(Node::as_str)
            .map(str::to_owned),
        entry_origins: virtual_machines
            .iter()
            .map(|v: &JitPolicyVm| d.origin.child(&v.pointer))
            .collect(),
        virtual_machines,
        requests: super::jit::requests(d.value),
        requests_listed: super::jit::requests_listed(d.value),
        from_template: d.from_template,
        origin: d.origin.clone(),
    }
}

/// The policy's region: the id's segment after `locations`, else the first segment of a
/// template name (`westeurope/default`), else its `location`.
fn jit_location(d: &Declared<'_>) -> Option<String> {
    let mut segments = d.id.split('/');
    let from_id = segments
        .by_ref()
        .position(|s| s.eq_ignore_ascii_case("locations"))
        .and_then(|_| segments.next());
    let from_name = d.name.split_once('/').map(|(location, _)| location);
    from_id
        .or(from_name)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .or_else(|| super::location_of(d.value))
}

/// A port rule object as a `Value`, its `null` members left out.
fn without_nulls(port: &Node) -> serde_json::Value {
    match port.to_value() {
        serde_json::Value::Object(mut map) => {
            map.retain(|_, v| !v.is_null());
            serde_json::Value::Object(map)
        }
        other => other,
    }
}
