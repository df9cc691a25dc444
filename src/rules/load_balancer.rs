//! JIT003 mgmt-port-via-load-balancer: a public load balancer forwards to a management port.

use super::{port_label, reaching, relate, related_for, Finding, Level, Message, Role, Rule};
use crate::classify::VmResult;
use crate::eval::paths::PathKind;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT003",
    name: "mgmt-port-via-load-balancer",
    summary: "Management port reachable through a public load balancer NAT rule or load-balancing rule",
    description: "An inbound NAT rule, NAT pool or load-balancing rule of a load balancer with a public frontend forwards Internet traffic to a management port of a VM or scale set, and the VM's network security groups let it through.",
    help_markdown: "## What it flags\nA VM or scale set whose management port is the backend port of a public load balancer's inbound NAT rule, NAT pool or load-balancing rule, where the NSGs on the path allow the traffic (or there are none and the load balancer is Basic SKU). A path or verdict the input does not decide (a frontend outside the input, an NSG not in it) is not flagged here: the VM's verdict is then undecidable (JIT005).\n\n## Why it matters\nNAT rules such as frontend 50001 -> backend 3389 are a common way to reach VMs without their own public IP; a non-standard frontend port does not hide the service from scanners.\n\n## How to fix\nRemove the NAT rule or pool, or restrict the NSG rule behind it to known sources, and use JIT VM access or Azure Bastion for administration.\n\n## Example\n`\"inboundNatRules\": [{ \"name\": \"rdp-vm0\", \"properties\": { \"frontendPort\": 50001, \"backendPort\": 3389, \"protocol\": \"Tcp\" } }]` together with an NSG rule allowing 3389 from `*`.",
    level: Level::Warning,
    security_severity: "7.5",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    vm.ports
        .iter()
        // Exposure the input does not decide is "not established": the rule states facts only
        // (JIT005 says what is undecided).
        .filter(|port| port.internet_exposed.value)
        .filter_map(|port| {
            let labelled = |label: &str, path: &Message| {
                let mut m = Message::default();
                m.words(label).append(path);
                m
            };
            let mut via: Vec<Message> = reaching(port, PathKind::LoadBalancerNat)
                .iter()
                .map(|p| labelled("NAT ", p))
                .collect();
            via.extend(
                reaching(port, PathKind::LoadBalancerRule)
                    .iter()
                    .map(|p| labelled("load-balancing rule ", p)),
            );
            if via.is_empty() {
                return None;
            }
            let mut message = Message::default();
            message
                .words(kind_name(vm))
                .words(" '")
                .value(&vm.name)
                .words("': ")
                .words(&port_label(port.port))
                .words(" is reachable from the Internet through load balancer ")
                .append(&Message::join(&via, ", "));
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            relate(
                &mut finding,
                related_for(port),
                &[
                    Role::Path(PathKind::LoadBalancerNat),
                    Role::Path(PathKind::LoadBalancerRule),
                    Role::Allows,
                ],
            );
            Some(finding)
        })
        .collect()
}

fn kind_name(vm: &VmResult) -> &'static str {
    match vm.kind {
        crate::model::VmKind::VirtualMachine => "VM",
        crate::model::VmKind::VirtualMachineScaleSet => "Scale set",
    }
}
