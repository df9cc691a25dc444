//! JIT002 exposed-without-nsg: a VM JIT cannot protect (no NSG, no firewall) that is reachable,
//! or a scale set (which JIT never covers) reachable with no NSG or firewall on the path.

use super::{
    named_by_kind, port_label, relate, related_for, Finding, Level, Message, Rule, NSG_FIRST,
};
use crate::classify::{Classification, ReasonCode, VmResult};
use crate::model::VmKind;

/// No NSG and no firewall filter the machine. A VM says so by its classification. A scale
/// set is notApplicable whatever filters it, so it is judged on the evaluation itself: no
/// port shows an NSG (every port is evaluated against every ipConfiguration, so evidence on
/// none means no NSG, nor one that may exist, on any NIC or subnet) and no firewall is in front.
fn unfiltered(vm: &VmResult) -> bool {
    match vm.kind {
        VmKind::VirtualMachine => {
            vm.classification.value == Classification::NotApplicable
                && vm.reason_code == ReasonCode::NoNsgNoFirewall
        }
        VmKind::VirtualMachineScaleSet => {
            vm.firewall_in_front.is_none() && vm.ports.iter().all(|p| p.evidence.is_empty())
        }
    }
}

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT002",
    name: "exposed-without-nsg",
    summary: "Management port reachable from the Internet with no NSG: JIT cannot be applied",
    description: "A virtual machine or scale set has no network security group on any of its network interfaces or subnets and no Azure Firewall in front, so just-in-time VM access cannot apply (Defender for Cloud classifies such a VM as not applicable, and never covers scale sets); yet a public IP or a load balancer leads to one of its management ports, and nothing filters that traffic.",
    help_markdown: "## What it flags\nA VM or scale set with no NSG on its NICs or subnets and no firewall in front, where a public IP (for a scale set, a public IP per instance) or a public load balancer reaches a management port. Nothing filters the traffic: every address on the Internet can try to log in.\n\n## Why it matters\nJIT works by writing deny rules into an NSG or firewall; with neither, JIT does not apply, so the VM silently escapes the recommendation while being fully exposed. A scale set is never covered by JIT, so an NSG is the only filter it can have.\n\n## How to fix\nAttach an NSG to the subnet or the NIC (for a scale set, its `networkInterfaceConfigurations`) that allows only what the workload needs, then enable JIT for the management ports of a VM. Prefer Azure Bastion over a public IP for administration.\n\n## Example\nAdd `\"networkSecurityGroup\": { \"id\": \"[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-app')]\" }` to the subnet's `properties`, with no rule allowing 22/3389 from `*`.",
    level: Level::Error,
    security_severity: "8.1",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    if !unfiltered(vm) {
        return Vec::new();
    }
    vm.ports
        .iter()
        .filter(|p| p.internet_exposed.value)
        .map(|port| {
            let via: Vec<Message> = port
                .paths
                .iter()
                // The paths established to reach it: one that only may (an unknown frontend) is
                // no part of what is stated.
                .filter(|(p, r)| *r && super::established(p))
                .map(|(p, _)| {
                    let mut m = Message::default();
                    m.words(p.kind.as_str())
                        .words(" '")
                        .value(&p.via)
                        .words("'");
                    m
                })
                .collect();
            let mut message = named_by_kind(vm);
            message
                .words(": ")
                .words(&port_label(port.port))
                .words(" is reachable from the Internet via ")
                .append(&Message::join(&via, ", "))
                .words(" and no NSG or firewall filters it");
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            relate(&mut finding, related_for(port), &NSG_FIRST);
            finding
        })
        .collect()
}
