//! JIT001 mgmt-port-open-to-internet: the JIT recommendation itself.

use super::{
    kinds_of, maybe_reaching, port_label, reaching, relate, related_for, Finding, Level, Message,
    Rule, NSG_FIRST,
};
use crate::classify::{Classification, VmResult};
use crate::eval::{Confidence, NsgLevel};
use crate::model::Access;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT001",
    name: "mgmt-port-open-to-internet",
    summary: "Management port open to the Internet: just-in-time VM access is recommended",
    description: "A virtual machine without just-in-time (JIT) VM access has a management port (SSH, RDP or WinRM) that its network security groups or an Azure Firewall DNAT rule leave open to any Internet address. Microsoft Defender for Cloud reports such VMs as unhealthy for the recommendation 'Management ports of virtual machines should be protected with just-in-time network access control'.",
    help_markdown: "## What it flags\nA VM that is not covered by a JIT policy and has a management port (22, 3389, 5985, 5986 by default) open to any Internet address: an inbound NSG rule with source `*`, `Any`, `Internet`, `0.0.0.0/0` or `::/0` is reached before any deny, or an Azure Firewall DNAT rule forwards Internet traffic to the port.\n\n## Why it matters\nOpen management ports are the first thing attackers scan for: brute force, password spraying and exploits of the remote-access services follow within minutes of a port opening.\n\n## How to fix\nEnable JIT VM access in Defender for Cloud (deploy the suggested `Microsoft.Security/locations/jitNetworkAccessPolicies` policy), which replaces the open rule with deny rules and opens the port on request, for one source, for a limited time. Otherwise restrict the rule's source to known addresses, or remove it and use Azure Bastion.\n\n## Example\n```json\n{ \"name\": \"allow-ssh\", \"properties\": { \"priority\": 100, \"direction\": \"Inbound\", \"access\": \"Allow\", \"protocol\": \"Tcp\", \"sourceAddressPrefix\": \"*\", \"destinationPortRange\": \"22\", \"sourcePortRange\": \"*\", \"destinationAddressPrefix\": \"*\" } }\n```\nChange `sourceAddressPrefix` to your office range (e.g. `203.0.113.0/24`) or enable JIT.",
    level: Level::Error,
    security_severity: "8.1",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    if vm.classification.value != Classification::Unhealthy {
        return Vec::new();
    }
    vm.ports
        .iter()
        .filter(|p| p.open.value || (p.open.confidence == Confidence::Unknown && vm.classification.confidence == Confidence::Unknown))
        .map(|port| {
            let mut message = Message::default();
            message.words("VM '").value(&vm.name).words("': ").words(&port_label(port.port));
            if port.open.confidence == Confidence::Unknown {
                message.words(" may be open to the Internet; the input does not decide it (").value(port.open.reason.as_deref().unwrap_or("undecidable value")).words(")");
            } else {
                message.words(" is open to the Internet");
            }
            for e in port.evidence.iter().filter(|e| e.access == Access::Allow && !e.rule.is_empty()) {
                let priority = e.priority.map_or("?".to_owned(), |p| p.to_string());
                if e.level == NsgLevel::NetworkManager {
                    // The only allowing admin rule that decides is an AlwaysAllow.
                    message.words(": security admin rule '").value(&e.rule).words(&format!("' (AlwaysAllow, priority {priority}) of '")).value(&e.nsg).words("' delivers it without NSG evaluation");
                    continue;
                }
                message.words(": ").words(e.level.as_str()).words(" NSG '").value(&e.nsg).words("' rule '").value(&e.rule).words(&format!("' (priority {priority}) allows it"));
            }
            let paths = kinds_of(port, reaching);
            // A path that exists only in the fail-safe reading is said to be one that may.
            let maybe = kinds_of(port, maybe_reaching);
            if paths.is_empty() && maybe.is_empty() {
                message.words("; no path from the Internet reaches it yet (no public IP, load balancer or DNAT)");
            }
            if !paths.is_empty() {
                message.words("; reachable via ").append(&Message::join(&paths, ", "));
            }
            if !maybe.is_empty() {
                message.words("; may be reachable via ").append(&Message::join(&maybe, ", "));
            }
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            relate(&mut finding, related_for(port), &NSG_FIRST);
            finding
        })
        .collect()
}
