//! JIT007 mgmt-port-via-always-allow-admin-rule: an Azure Virtual Network Manager security
//! admin rule with access AlwaysAllow opens a management port before any NSG rule is evaluated,
//! so neither an NSG rule nor a JIT policy (whose deny rules are NSG rules) can close it. Raised
//! for VMs a JIT policy covers too: Defender for Cloud calls them healthy (JIT is enabled, and
//! the classification keeps Defender's rule), yet the port is open and JIT is bypassed.

use super::{
    kinds_of, maybe_reaching, named_by_kind, port_label, reached_via, reaching, relate,
    related_for, Finding, Level, Message, Rule, NSG_FIRST,
};
use crate::classify::VmResult;
use crate::eval::vm::PortEvaluation;
use crate::eval::{Confidence, NsgEvidence, NsgLevel};
use crate::model::Access;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT007",
    name: "mgmt-port-via-always-allow-admin-rule",
    summary: "Management port opened by an AlwaysAllow security admin rule: no NSG rule or JIT policy can close it",
    description: "An Azure Virtual Network Manager security admin rule with access AlwaysAllow admits Internet traffic to a management port of a VM or scale set in a virtual network its rule collection applies to. Security admin rules are evaluated before network security group rules, and an AlwaysAllow rule delivers the traffic without NSG evaluation, so no NSG rule can close the port, and neither can just-in-time VM access, whose deny rules are NSG rules. For a VM a JIT policy covers, Defender for Cloud reports the VM healthy while the port stays open.",
    help_markdown: "## What it flags\nA management port (22, 3389, 5985, 5986 by default) that a security admin rule (`Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules`) with `access: AlwaysAllow` opens to Internet sources: its rule collection applies to a network group holding the VM's virtual network, and its configuration is deployed (committed) to the VM's region. It is raised whether or not a JIT policy covers the VM. When the input does not show whether the rule is in effect there (group members or a commit not in the input), the finding says the port *may* be open, with confidence `unknown`.\n\n## Why it matters\n\"Security admin rules always have a higher priority than network security group rules and thus are evaluated first\", and \"Always allow\" rules \"send traffic directly to the resource, bypassing potentially conflicting network security group rules\". Just-in-time VM access closes a port by writing deny rules into the VM's NSG: they are never reached. A VM under a JIT policy counts as healthy in Defender for Cloud, yet every Internet address can reach the port; an NSG rule added to close it is bypassed as well.\n\n## How to fix\nChange the rule on the network manager: set its `access` to `Allow` (the NSGs then decide, and JIT works), or `Deny`; or narrow its `sources` to known ranges, take the management port out of its `destinationPortRanges`, or delete the rule. Then deploy (commit) the security admin configuration to the region again: a change takes effect only once deployed. The rule applies to every virtual network of its network groups: check what the others need.\n\n## Example\n`{ \"kind\": \"Custom\", \"properties\": { \"access\": \"AlwaysAllow\", \"direction\": \"Inbound\", \"priority\": 10, \"protocol\": \"Tcp\", \"sources\": [{ \"addressPrefixType\": \"IPPrefix\", \"addressPrefix\": \"*\" }], \"sourcePortRanges\": [\"0-65535\"], \"destinations\": [{ \"addressPrefixType\": \"IPPrefix\", \"addressPrefix\": \"*\" }], \"destinationPortRanges\": [\"3389\"] } }`: set `access` to `Allow`, or `sources` to `[{ \"addressPrefixType\": \"IPPrefix\", \"addressPrefix\": \"203.0.113.0/24\" }]`.",
    level: Level::Error,
    security_severity: "8.1",
    precision: "high",
    check,
};

/// The AlwaysAllow admin rules that decide the port in the reported (fail-safe) reading: an
/// allowing admin rule is evidence only when it ends evaluation, that is an AlwaysAllow.
fn always_allow(port: &PortEvaluation) -> Vec<&NsgEvidence> {
    let mut rules: Vec<&NsgEvidence> = Vec::new();
    for e in port.evidence.iter().filter(|e| {
        e.level == NsgLevel::NetworkManager && e.access == Access::Allow && !e.rule.is_empty()
    }) {
        if !rules
            .iter()
            .any(|r| r.nsg_id == e.nsg_id && r.rule == e.rule)
        {
            rules.push(e);
        }
    }
    rules
}

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    vm.ports
        .iter()
        // Open, or undecided; a port whose openness is known to be false is not flagged.
        .filter(|p| p.open.value || p.open.confidence == Confidence::Unknown)
        .filter_map(|port| {
            let rules = always_allow(port);
            if rules.is_empty() {
                return None;
            }
            let mut message = named_by_kind(vm);
            if let Some(policy) = &vm.jit_policy {
                message
                    .words(" is covered by JIT policy '")
                    .value(policy)
                    .words("', but its ");
            } else {
                message.words(": ");
            }
            message.words(&port_label(port.port));
            let named: Vec<Message> = rules
                .iter()
                .map(|e| {
                    let priority = e.priority.map_or("?".to_owned(), |p| p.to_string());
                    let mut m = Message::default();
                    m.words("AlwaysAllow security admin rule '")
                        .value(&e.rule)
                        .words(&format!("' (priority {priority}) of '"))
                        .value(&e.nsg)
                        .words("'");
                    m
                })
                .collect();
            let named = Message::join(&named, " and ");
            if port.open.value {
                message
                    .words(" is open to the Internet: ")
                    .append(&named)
                    .words(" delivers it");
            } else {
                message
                    .words(" may be open to the Internet; the input does not decide it (")
                    .value(port.open.reason.as_deref().unwrap_or("undecidable value"))
                    .words("); where ")
                    .append(&named)
                    .words(" is in effect, it delivers it");
            }
            message.words(" before any NSG rule is evaluated, so no NSG rule and no JIT policy (JIT's deny rules are NSG rules) can close it");
            let paths = kinds_of(port, reaching);
            let maybe = kinds_of(port, maybe_reaching);
            reached_via(&mut message, &paths, &maybe);
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            relate(&mut finding, related_for(port), &NSG_FIRST);
            Some(finding)
        })
        .collect()
}
