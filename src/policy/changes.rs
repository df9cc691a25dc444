//! POLICY: the remediation's changes in the forms a team reviews and applies:
//! `remediation.json` (one object per change, with the rule before and after in REST shape,
//! so applying `changes` to an export and scanning again reproduces the proof), an ARM
//! template of `securityRules` child resources per resource group, and the equivalent
//! `az network nsg rule create|update|delete` commands.
//!
//! Only changes to exported (live) resources get deployable forms: a rule declared in a
//! template is changed in the template (each change says where it is declared), or the next
//! deployment of the template undoes it. Every value from the input is quoted for the shell,
//! written as an ARM literal (`[` doubled) and never put into a comment unescaped.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::document::scope_of;
use super::remediation::{Change, Operation, Proof, VmPlan};
use crate::escape;

/// The network API version of the deployable templates.
const NETWORK_API_VERSION: &str = "2023-09-01";

/// `remediation.json`: every change once, and each plan with the changes it made, what else
/// they change, and its proof.
pub fn remediation_json(plans: &[VmPlan]) -> Value {
    let mut changes = Vec::new();
    let mut plan_entries = Vec::new();
    for plan in plans {
        let mut indices = Vec::new();
        for change in &plan.changes {
            indices.push(changes.len());
            changes.push(change_json(change));
        }
        let (proven, detail) = match &plan.proof {
            Proof::Proven => (
                true,
                "re-evaluated with every change applied: no management port open, and nothing else changed that the plan does not list".to_owned(),
            ),
            Proof::NotProven(why) => (false, why.clone()),
        };
        plan_entries.push(json!({
            "vmId": plan.vm_id,
            "vmName": plan.vm_name,
            "source": plan.source,
            "finding": plan.finding,
            "changes": indices,
            "collateral": plan.collateral,
            "notes": plan.notes,
            "proven": proven,
            "proof": detail,
        }));
    }
    json!({ "changes": changes, "plans": plan_entries })
}

fn change_json(change: &Change) -> Value {
    let parent_key = match change.resource {
        "securityRule" => "nsgId",
        "networkSecurityGroup" => "nicId",
        _ => "firewallId",
    };
    let mut entry = serde_json::Map::new();
    entry.insert(parent_key.to_owned(), json!(change.parent_id));
    entry.insert("resource".to_owned(), json!(change.resource));
    entry.insert("operation".to_owned(), json!(change.operation.as_str()));
    entry.insert(
        "before".to_owned(),
        change.before.clone().unwrap_or(Value::Null),
    );
    entry.insert(
        "after".to_owned(),
        change.after.clone().unwrap_or(Value::Null),
    );
    entry.insert("affectedVms".to_owned(), json!(change.affected_vms));
    entry.insert("reason".to_owned(), json!(change.reason));
    if let Some(at) = &change.declared_at {
        entry.insert("declaredAt".to_owned(), json!(at));
    }
    entry.insert("fromTemplate".to_owned(), json!(change.from_template));
    Value::Object(entry)
}

/// One line describing a change for people, its values passed through `value_escape`.
pub fn describe(change: &Change, value_escape: fn(&str) -> std::borrow::Cow<'_, str>) -> String {
    let where_ = change
        .declared_at
        .as_deref()
        .map(|at| format!(" (declared at {})", value_escape(at)))
        .unwrap_or_default();
    let name = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|b| b.get("name"))
            .and_then(Value::as_str)
            .map(|n| value_escape(n).into_owned())
            .unwrap_or_default()
    };
    let head = match (change.resource, change.operation) {
        ("securityRule", Operation::Add) => format!(
            "add rule {} to NSG {}",
            name(&change.after),
            value_escape(&change.parent_name)
        ),
        ("securityRule", Operation::Modify) => format!(
            "change rule {} of NSG {}{where_}",
            name(&change.before),
            value_escape(&change.parent_name)
        ),
        ("securityRule", Operation::Delete) => format!(
            "delete rule {} of NSG {}{where_}",
            name(&change.before),
            value_escape(&change.parent_name)
        ),
        ("networkSecurityGroup", _) => format!(
            "create NSG {} and associate it with network interface {}",
            name(&change.after),
            value_escape(&change.parent_name)
        ),
        _ => format!(
            "delete DNAT rule {} of Azure Firewall {}",
            name(&change.before),
            value_escape(&change.parent_name)
        ),
    };
    format!("{head}: {}", value_escape(&change.reason))
}

/// Changes to live resources with a deployable form, by resource group.
fn deployable(plans: &[VmPlan]) -> BTreeMap<String, Vec<&Change>> {
    let mut by_group: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
    for change in plans
        .iter()
        .flat_map(|p| &p.changes)
        .filter(|c| !c.from_template)
    {
        let (_, group) = scope_of(&change.parent_id);
        by_group.entry(group).or_default().push(change);
    }
    by_group
}

/// ARM templates (one per resource group) adding and changing the rules of exported NSGs.
/// Deletions cannot be written as an incremental deployment: they are in the commands.
pub fn arm_templates(plans: &[VmPlan]) -> Vec<(String, Value)> {
    deployable(plans)
        .into_iter()
        .filter_map(|(group, changes)| {
            let resources: Vec<Value> = changes
                .iter()
                .filter(|c| c.resource == "securityRule" && c.operation != Operation::Delete)
                .filter_map(|c| {
                    let after = c.after.as_ref()?;
                    let rule = after.get("name")?.as_str()?;
                    let mut properties = after.get("properties")?.clone();
                    arm_literal(&mut properties);
                    Some(json!({
                        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                        "apiVersion": NETWORK_API_VERSION,
                        "name": arm_literal_str(&format!("{}/{rule}", c.parent_name)),
                        "properties": properties,
                    }))
                })
                .collect();
            (!resources.is_empty()).then(|| {
                (group, json!({
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "contentVersion": "1.0.0.0",
                    "metadata": { "generator": "jitscan", "description": "Security rules added or changed by jitscan's remediation plan; deploy into the NSGs' resource group. Rule deletions are in nsg-changes.sh." },
                    "resources": resources,
                }))
            })
        })
        .collect()
}

fn arm_literal_str(text: &str) -> String {
    escape::arm_literal(text).into_owned()
}

fn arm_literal(value: &mut Value) {
    match value {
        Value::String(s) => *s = arm_literal_str(s),
        Value::Array(items) => items.iter_mut().for_each(arm_literal),
        Value::Object(map) => map.values_mut().for_each(arm_literal),
        _ => {}
    }
}

/// The az CLI commands of every change to a live resource, as a shell script.
pub fn az_script(plans: &[VmPlan]) -> String {
    let mut out = String::from("#!/bin/sh\n# NSG and firewall changes of jitscan's remediation plan (az CLI).\n# Review remediation.md first; every value is single-quoted.\nset -e\n");
    for (group, changes) in deployable(plans) {
        for change in changes {
            out.push('\n');
            out.push_str(&format!("# {}\n", escape::terminal(&change.reason)));
            out.push_str(&command(&group, change));
            out.push('\n');
        }
    }
    let in_templates = plans
        .iter()
        .flat_map(|p| &p.changes)
        .filter(|c| c.from_template)
        .count();
    if in_templates > 0 {
        out.push_str(&format!("\n# {in_templates} change(s) to rules declared in templates are not here: edit the templates (see remediation.md).\n"));
    }
    out
}

fn command(group: &str, change: &Change) -> String {
    let q = shell_quote;
    let props = change.after.as_ref().and_then(|a| a.get("properties"));
    let rule_name = change
        .after
        .as_ref()
        .or(change.before.as_ref())
        .and_then(|b| b.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (change.resource, change.operation) {
        ("securityRule", Operation::Add) => {
            let p = |k: &str| props.and_then(|p| p.get(k)).map(list_args).unwrap_or_default();
            format!(
                "az network nsg rule create --resource-group {} --nsg-name {} --name {} --priority {} --direction Inbound --access Deny --protocol '*' --source-address-prefixes {} --source-port-ranges '*' --destination-address-prefixes {} --destination-port-ranges {}",
                q(group), q(&change.parent_name), q(rule_name),
                p("priority"), p("sourceAddressPrefix"), p("destinationAddressPrefix"),
                [p("destinationPortRange"), p("destinationPortRanges")].join(" ").trim(),
            )
        }
        ("securityRule", Operation::Modify) => {
            let ports = props
                .and_then(|p| p.get("destinationPortRanges").or_else(|| p.get("destinationPortRange")))
                .map(list_args)
                .unwrap_or_default();
            format!(
                "az network nsg rule update --resource-group {} --nsg-name {} --name {} --destination-port-ranges {ports}",
                q(group), q(&change.parent_name), q(rule_name)
            )
        }
        ("securityRule", Operation::Delete) => format!(
            "az network nsg rule delete --resource-group {} --nsg-name {} --name {}",
            q(group), q(&change.parent_name), q(rule_name)
        ),
        ("networkSecurityGroup", _) => format!(
            "az network nsg create --resource-group {g} --name {n}\naz network nic update --resource-group {g} --name {nic} --network-security-group {n}",
            g = q(group), n = q(rule_name), nic = q(&change.parent_name)
        ),
        _ => format!(
            "# remove DNAT rule {} from Azure Firewall {} (its rule collection, or its firewall policy's rule collection group)",
            escape::terminal(rule_name), escape::terminal(&change.parent_name)
        ),
    }
}

/// The items of a string or array member as shell arguments.
fn list_args(value: &Value) -> String {
    match value {
        Value::Array(items) => items.iter().map(list_args).collect::<Vec<_>>().join(" "),
        Value::String(s) => shell_quote(s),
        other => shell_quote(&other.to_string()),
    }
}

fn shell_quote(text: &str) -> String {
    escape::shell_word(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_cannot_break_out() {
        assert_eq!(shell_quote("rg"), "'rg'");
        assert_eq!(shell_quote("a'; rm -rf / #"), "'a'\\''; rm -rf / #'");
        assert_eq!(arm_literal_str("[concat('a')]"), "[[concat('a')]");
        assert_eq!(arm_literal_str("nsg/rule"), "nsg/rule");
    }
}
