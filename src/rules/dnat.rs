//! JIT004 mgmt-port-via-firewall-dnat: an Azure Firewall DNAT rule forwards to a management port.

use super::{port_label, reaching, relate, related_for, Finding, Level, Message, Role, Rule};
use crate::classify::VmResult;
use crate::eval::paths::PathKind;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT004",
    name: "mgmt-port-via-firewall-dnat",
    summary: "Management port reachable through an Azure Firewall DNAT rule",
    description: "An Azure Firewall DNAT rule (classic NAT rule collection, or a firewall policy NAT rule collection) accepts traffic from any Internet address and translates it to a management port of the VM; the translated traffic arrives from the firewall's own address, which the VM's NSGs admit.",
    help_markdown: "## What it flags\nA DNAT rule whose source is `*` (or another Internet-wide value), whose translated address is the VM's private IP and whose translated port is a management port, on a firewall whose virtual network reaches the VM, where the VM's NSGs admit the translated traffic. Only a rule the input shows is flagged: a firewall whose policy (or one of its rule collection groups) is not in the input, a rule whose sources or translated address are undecided, or NSGs the input does not decide may forward a port, and then the VM's verdict is undecidable (JIT005) and its ports are reported as ones that *may* be open (JIT001), not here.\n\n## Why it matters\nDNAT'd traffic reaches the VM with the firewall's private address as source (Azure Firewall SNATs it), so NSG rules written against the Internet do not stop it: the default AllowVnetInBound admits it.\n\n## How to fix\nRemove the DNAT rule, or restrict its `sourceAddresses` to known ranges; JIT VM access can manage the firewall rule for you when the firewall uses classic rules.\n\n## Example\n`{ \"name\": \"rdp\", \"sourceAddresses\": [\"*\"], \"destinationPorts\": [\"3389\"], \"translatedAddress\": \"10.0.2.4\", \"translatedPort\": \"3389\" }`: set `sourceAddresses` to `[\"203.0.113.0/24\"]`.",
    level: Level::Error,
    security_severity: "8.1",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    vm.ports
        .iter()
        // Exposure the input does not decide is "not established": the rule states facts only.
        .filter(|port| port.internet_exposed.value)
        .filter_map(|port| {
            let via = reaching(port, PathKind::FirewallDnat);
            if via.is_empty() {
                return None;
            }
            let mut message = Message::default();
            message
                .words("VM '")
                .value(&vm.name)
                .words("': ")
                .words(&port_label(port.port))
                .words(" is reachable from the Internet through Azure Firewall ")
                .append(&Message::join(&via, ", "));
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            relate(
                &mut finding,
                related_for(port),
                &[Role::Path(PathKind::FirewallDnat), Role::Allows],
            );
            Some(finding)
        })
        .collect()
}
