//! POLICY: the JIT network access policy documents Defender's "Remediate" step would create,
//! in the exact shape of `Microsoft.Security/locations/jitNetworkAccessPolicies`
//! (api-version 2020-01-01): one policy per subscription, resource group and location, as a
//! deployable ARM template and as a REST body with its request path. The VMs come from
//! [`super::suggest`].
//!
//! A PUT of a policy replaces its whole `virtualMachines` list, so a document that listed only
//! the unhealthy VMs would take JIT away from every VM the live policy covers. When the input
//! holds the policy of that scope, the document is that policy with the new VMs and ports
//! merged in ([`super::merge`]); when it does not, the documents say to read the live one
//! first. Names from the input reach a request path, a shell command and ARM strings: each
//! goes through its escape in [`crate::escape`].

use std::borrow::Cow;

use serde_json::{json, Value};

use super::merge;
pub use super::suggest::{default_ports, scope_of, suggest};
use crate::config::policy::AllowedSources;
use crate::escape;

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

/// One VM jitscan puts under JIT (an unhealthy one), with the ports it suggests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVm {
    /// Resource id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Port rules, by port.
    pub ports: Vec<PortRule>,
    /// True when declared in a template (its id then holds the deployment placeholders).
    pub from_template: bool,
}

/// The policy of the input a suggested document is merged with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingPolicy {
    /// Resource id as written (in its first file).
    pub id: String,
    /// Policy name (`default`), as in the REST path.
    pub name: String,
    /// `kind`, when the input has it.
    pub kind: Option<String>,
    /// The files that declare it (display paths), in order: one unless copies of it are in
    /// several files, whose entries are all kept.
    pub sources: Vec<String>,
}

/// One `virtualMachines` entry of a suggested document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntry {
    /// VM resource id (as the existing policy writes it, for a VM it lists).
    pub id: String,
    /// VM name (the id's last segment for a VM only the existing policy names).
    pub name: String,
    /// Port rule objects: those of the existing policy exactly as read, then those added.
    pub ports: Vec<Value>,
    /// `publicIpAddress` of the existing entry, when set.
    pub public_ip_address: Option<String>,
    /// True when it comes from a template (the ARM form then writes a `resourceId()`).
    pub from_template: bool,
}

/// What a suggested document changes in the policy it replaces, VM by VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChange {
    /// A VM the existing policy lists, kept with every port unchanged.
    KeptVm {
        /// VM id as the existing policy writes it.
        id: String,
    },
    /// A VM appended, with its port numbers.
    AddedVm {
        /// VM id.
        id: String,
        /// VM name.
        name: String,
        /// Port numbers.
        ports: Vec<u16>,
    },
    /// Ports added to a VM the existing policy lists (its own ports kept unchanged).
    AddedPorts {
        /// VM id as the existing policy writes it.
        id: String,
        /// VM name.
        name: String,
        /// The port numbers added.
        ports: Vec<u16>,
    },
    /// A VM the existing policy lists more than once: one entry, with the ports only the
    /// later entries had appended.
    MergedDuplicateEntries {
        /// VM id as the first entry writes it.
        id: String,
        /// The port numbers taken from the later entries.
        ports: Vec<u16>,
    },
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
    /// True when every VM in it comes from a template (the ARM form then takes the location
    /// from the resource group it is deployed to).
    pub from_template: bool,
    /// The unhealthy VMs it puts under JIT, one per id (case-insensitive), by id.
    pub vms: Vec<PolicyVm>,
    /// Policy name, in the REST path and the ARM name: the existing policy's, else `default`.
    pub name: String,
    /// The policy of the input it is merged with, if any.
    pub existing: Option<ExistingPolicy>,
    /// The document's `virtualMachines`: the existing policy's entries in order, then the
    /// VMs it did not list, by id.
    pub entries: Vec<PolicyEntry>,
    /// What changes against `existing`, in the order of `entries` (without one: every VM
    /// added).
    pub changes: Vec<PolicyChange>,
}

/// A port rule as the document writes it.
pub(crate) fn port_json(rule: &PortRule) -> Value {
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

/// Every string of `value` as an ARM literal ([`escape::arm_literal`]); port objects are
/// flat, the depth bound only guards against a hostile one.
fn arm_literals(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(s) => Value::String(escape::arm_literal(s).into_owned()),
        Value::Array(items) if depth < 16 => {
            Value::Array(items.iter().map(|v| arm_literals(v, depth + 1)).collect())
        }
        Value::Object(map) if depth < 16 => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), arm_literals(v, depth + 1)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The entry's id in the ARM form: a `resourceId()` for a template's VM of the policy's own
/// resource group (its id holds the deployment placeholders), else the id as a literal.
fn arm_vm_id(policy: &SuggestedPolicy, entry: &PolicyEntry) -> String {
    let (subscription, group) = scope_of(&entry.id);
    let local = entry.from_template
        && subscription.eq_ignore_ascii_case(&policy.subscription)
        && group.eq_ignore_ascii_case(&policy.resource_group)
        && entry
            .id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.compute/virtualmachines/");
    if local {
        format!(
            "[resourceId('Microsoft.Compute/virtualMachines', '{}')]",
            escape::arm_expression_string(&entry.name)
        )
    } else {
        escape::arm_literal(&entry.id).into_owned()
    }
}

fn vms_json(policy: &SuggestedPolicy, arm: bool) -> Value {
    let entries = policy.entries.iter().map(|entry| {
        let mut vm = serde_json::Map::new();
        if arm {
            vm.insert("id".to_owned(), json!(arm_vm_id(policy, entry)));
            let ports = entry.ports.iter().map(|p| arm_literals(p, 0)).collect();
            vm.insert("ports".to_owned(), Value::Array(ports));
        } else {
            vm.insert("id".to_owned(), json!(entry.id));
            vm.insert("ports".to_owned(), Value::Array(entry.ports.clone()));
        }
        if let Some(address) = &entry.public_ip_address {
            let address = if arm {
                escape::arm_literal(address)
            } else {
                Cow::Borrowed(address.as_str())
            };
            vm.insert("publicIpAddress".to_owned(), json!(address));
        }
        Value::Object(vm)
    });
    Value::Array(entries.collect())
}

fn kind(policy: &SuggestedPolicy) -> &str {
    policy
        .existing
        .as_ref()
        .and_then(|e| e.kind.as_deref())
        .unwrap_or("Basic")
}

/// The request path of the REST `PUT`.
pub fn rest_path(policy: &SuggestedPolicy) -> String {
    rest_path_escaped(policy, escape::verbatim)
}

/// The REST path with its values (subscription, resource group, location, policy name)
/// percent-encoded as path segments, then put through `value`, for text of another kind
/// (`escape::markdown` for remediation.md).
pub fn rest_path_escaped(policy: &SuggestedPolicy, value: impl Fn(&str) -> Cow<'_, str>) -> String {
    let [subscription, group, location, name] = [
        &policy.subscription,
        &policy.resource_group,
        &policy.location,
        &policy.name,
    ]
    .map(|segment| escape::url_path_segment(segment).into_owned());
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Security/locations/{}/jitNetworkAccessPolicies/{}?api-version={API_VERSION}",
        value(&subscription), value(&group), value(&location), value(&name)
    )
}

/// The REST body (the JitNetworkAccessPolicy resource).
pub fn rest_body(policy: &SuggestedPolicy) -> Value {
    json!({ "kind": kind(policy), "properties": { "virtualMachines": vms_json(policy, false) } })
}

/// `{ method, path, body, merge }` for the REST form; `merge` says what the body keeps and
/// adds, or that the live policy must be read first (see [`merge::merge_json`]).
pub fn rest_request(policy: &SuggestedPolicy) -> Value {
    json!({
        "method": "PUT",
        "path": rest_path(policy),
        "body": rest_body(policy),
        "merge": merge::merge_json(policy),
    })
}

/// A deployable ARM template holding the policy resource. For template-declared VMs the ids
/// are `resourceId()` expressions (deploy it in the VMs' resource group); for exports, full ids.
pub fn arm_template(policy: &SuggestedPolicy) -> Value {
    let location_default = if policy.from_template {
        "[resourceGroup().location]".to_owned()
    } else {
        escape::arm_literal(&policy.location).into_owned()
    };
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {
            "generator": "jitscan",
            "description": "Just-in-time VM access policy suggested by jitscan for the VMs whose management ports are open to the Internet.",
            "merge": merge::note(policy),
        },
        "parameters": { "location": { "type": "string", "defaultValue": location_default, "metadata": { "description": "Region of the VMs (a JIT policy covers VMs of one region)." } } },
        "resources": [{
            "type": "Microsoft.Security/locations/jitNetworkAccessPolicies",
            "apiVersion": API_VERSION,
            "name": format!("[concat(parameters('location'), '/{}')]", escape::arm_expression_string(&policy.name)),
            "kind": kind(policy),
            "properties": { "virtualMachines": vms_json(policy, true) }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(resource_group: &str) -> SuggestedPolicy {
        SuggestedPolicy {
            subscription: "s".to_owned(),
            resource_group: resource_group.to_owned(),
            location: "westeurope".to_owned(),
            from_template: false,
            vms: Vec::new(),
            name: POLICY_NAME.to_owned(),
            existing: None,
            entries: vec![PolicyEntry {
                id: "[x]".to_owned(),
                name: "x".to_owned(),
                ports: vec![
                    json!({"number": 22, "allowedSourceAddressPrefix": "[parameters('p')]"}),
                ],
                public_ip_address: None,
                from_template: false,
            }],
            changes: Vec::new(),
        }
    }

    /// ? = %3F, = = %3D, # = %23, / = %2F: the group stays one segment of the path, and
    /// neither a query nor a fragment starts before `api-version`.
    #[test]
    fn a_hostile_resource_group_is_one_percent_encoded_path_segment() {
        assert_eq!(
            rest_path(&policy("rg?x=1#frag/../..")),
            "/subscriptions/s/resourceGroups/rg%3Fx%3D1%23frag%2F..%2F../providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default?api-version=2020-01-01"
        );
    }

    /// Values that look like ARM expressions stay literal in the template, not in the REST body.
    #[test]
    fn the_arm_form_keeps_input_values_literal() {
        let p = policy("rg");
        let template = arm_template(&p);
        let vm = &template["resources"][0]["properties"]["virtualMachines"][0];
        assert_eq!(vm["id"], "[[x]");
        assert_eq!(
            vm["ports"][0]["allowedSourceAddressPrefix"],
            "[[parameters('p')]"
        );
        let body = rest_body(&p);
        assert_eq!(body["properties"]["virtualMachines"][0]["id"], "[x]");
    }
}
