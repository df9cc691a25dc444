//! POLICY: the JIT network access policy documents Defender's "Remediate" step would create,
//! in the exact shape of `Microsoft.Security/locations/jitNetworkAccessPolicies`
//! (api-version 2020-01-01, kind Basic): one policy per resource group and location, as a
//! deployable ARM template and as a REST body with its request path.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::settings::{AllowedSources, PolicySettings};
use crate::classify::{Classification, VmResult};
use crate::escape;
use crate::model::{OsType, VmKind};

/// The API version of the documents.
pub const API_VERSION: &str = "2020-01-01";
/// The policy name Defender uses.
pub const POLICY_NAME: &str = "default";

/// One port rule of a VM in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    /// Port number.
    pub number: u16,
    /// `*`, `TCP` or `UDP`.
    pub protocol: String,
    /// Allowed sources.
    pub allowed: AllowedSources,
    /// ISO 8601 maximum request duration.
    pub max_request_time: String,
}

/// One VM in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVm {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Port rules, by port.
    pub ports: Vec<PortRule>,
}

/// A suggested policy for one subscription, resource group and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestedPolicy {
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Location.
    pub location: String,
    /// True when the VMs come from a template (ids built from the deployment context).
    pub from_template: bool,
    /// VMs, by id.
    pub vms: Vec<PolicyVm>,
}

fn os_default_ports(os: Option<OsType>) -> &'static [u16] {
    match os {
        Some(OsType::Windows) => &[3389, 5985, 5986],
        Some(OsType::Linux) => &[22],
        None => &[],
    }
}

/// The ports a policy covers by default: those that are (or may be) open, plus the defaults
/// for the VM's OS (3389, 5985, 5986 for Windows; 22 for Linux), sorted.
pub fn default_ports(vm: &VmResult) -> Vec<u16> {
    let mut open: Vec<u16> = vm
        .ports
        .iter()
        .filter(|p| p.open.value || p.open.confidence == crate::eval::Confidence::Unknown)
        .map(|p| p.port)
        .collect();
    open.extend_from_slice(os_default_ports(vm.os));
    open.sort_unstable();
    open.dedup();
    open
}

/// `(subscription, resource group)` of a resource id.
pub fn scope_of(id: &str) -> (String, String) {
    let parts: Vec<&str> = id.split('/').collect();
    let after = |name: &str| -> String {
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case(name))
            .and_then(|i| parts.get(i + 1))
            .map_or_else(String::new, |s| (*s).to_owned())
    };
    (after("subscriptions"), after("resourceGroups"))
}

/// Suggested policies for every unhealthy VM (not scale sets, not already JIT-enabled).
pub fn suggest(vms: &[VmResult], settings: &PolicySettings) -> Vec<SuggestedPolicy> {
    let mut groups: BTreeMap<(String, String, String, bool), Vec<PolicyVm>> = BTreeMap::new();
    for vm in vms.iter().filter(|v| {
        v.classification.value == Classification::Unhealthy
            && v.kind == VmKind::VirtualMachine
            && v.jit_policy.is_none()
    }) {
        let s = settings.for_vm(&vm.name, &vm.id);
        let mut numbers: Vec<u16> = match &s.ports {
            Some(ports) => ports.clone(),
            None => default_ports(vm),
        };
        numbers.sort_unstable();
        numbers.dedup();
        let ports = numbers
            .into_iter()
            .map(|number| PortRule {
                number,
                protocol: s.protocol.clone(),
                allowed: s.allowed_sources.clone(),
                max_request_time: s.max_request_time.clone(),
            })
            .collect();
        let (subscription, resource_group) = scope_of(&vm.id);
        let location = vm
            .location
            .clone()
            .unwrap_or_else(|| "unknown-location".to_owned());
        groups
            .entry((subscription, resource_group, location, vm.from_template))
            .or_default()
            .push(PolicyVm {
                id: vm.id.clone(),
                name: vm.name.clone(),
                ports,
            });
    }
    groups
        .into_iter()
        .map(
            |((subscription, resource_group, location, from_template), mut vms)| {
                vms.sort_by(|a, b| a.id.cmp(&b.id));
                SuggestedPolicy {
                    subscription,
                    resource_group,
                    location,
                    from_template,
                    vms,
                }
            },
        )
        .collect()
}

fn port_json(rule: &PortRule) -> Value {
    let (key, value) = match &rule.allowed {
        AllowedSources::PerRequest => ("allowedSourceAddressPrefix", json!("*")),
        AllowedSources::Prefixes(list) if list.len() == 1 => {
            ("allowedSourceAddressPrefix", json!(list.first()))
        }
        AllowedSources::Prefixes(list) => ("allowedSourceAddressPrefixes", json!(list)),
    };
    let mut port = serde_json::Map::new();
    port.insert("number".to_owned(), json!(rule.number));
    port.insert("protocol".to_owned(), json!(rule.protocol));
    port.insert(key.to_owned(), value);
    port.insert(
        "maxRequestAccessDuration".to_owned(),
        json!(rule.max_request_time),
    );
    Value::Object(port)
}

fn vms_json(policy: &SuggestedPolicy, template_ids: bool) -> Value {
    Value::Array(
        policy
            .vms
            .iter()
            .map(|vm| {
                let id = if template_ids {
                    format!(
                        "[resourceId('Microsoft.Compute/virtualMachines', '{}')]",
                        vm.name.replace('\'', "''")
                    )
                } else {
                    vm.id.clone()
                };
                json!({ "id": id, "ports": vm.ports.iter().map(port_json).collect::<Vec<_>>() })
            })
            .collect(),
    )
}

/// The request path of the REST `PUT`.
pub fn rest_path(policy: &SuggestedPolicy) -> String {
    rest_path_escaped(policy, escape::verbatim)
}

/// The REST path with its values (subscription, resource group, location) put through
/// `value`, for text of another kind (`escape::markdown` for remediation.md).
pub fn rest_path_escaped(policy: &SuggestedPolicy, value: impl Fn(&str) -> Cow<'_, str>) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Security/locations/{}/jitNetworkAccessPolicies/{POLICY_NAME}?api-version={API_VERSION}",
        value(&policy.subscription), value(&policy.resource_group), value(&policy.location)
    )
}

/// The REST body (the JitNetworkAccessPolicy resource).
pub fn rest_body(policy: &SuggestedPolicy) -> Value {
    json!({ "kind": "Basic", "properties": { "virtualMachines": vms_json(policy, false) } })
}

/// `{ method, path, body }` for the REST form.
pub fn rest_request(policy: &SuggestedPolicy) -> Value {
    json!({ "method": "PUT", "path": rest_path(policy), "body": rest_body(policy) })
}

/// A deployable ARM template holding the policy resource. For template-declared VMs the ids
/// are `resourceId()` expressions (deploy it in the VMs' resource group); for exports, full ids.
pub fn arm_template(policy: &SuggestedPolicy) -> Value {
    let location_default = if policy.from_template {
        "[resourceGroup().location]".to_owned()
    } else {
        policy.location.clone()
    };
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": { "generator": "jitscan", "description": "Just-in-time VM access policy suggested by jitscan for the VMs whose management ports are open to the Internet." },
        "parameters": { "location": { "type": "string", "defaultValue": location_default, "metadata": { "description": "Region of the VMs (a JIT policy covers VMs of one region)." } } },
        "resources": [{
            "type": "Microsoft.Security/locations/jitNetworkAccessPolicies",
            "apiVersion": API_VERSION,
            "name": format!("[concat(parameters('location'), '/{POLICY_NAME}')]"),
            "kind": "Basic",
            "properties": { "virtualMachines": vms_json(policy, policy.from_template) }
        }]
    })
}

/// A file-name stem for the policy (`<resource group>-<location>`), safe on every platform.
pub fn file_stem(policy: &SuggestedPolicy) -> String {
    safe_file_stem(&format!("{}-{}", policy.resource_group, policy.location))
}

/// `text` with every character but ASCII letters, digits, `-`, `_` and `.` replaced by `_`.
pub fn safe_file_stem(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
