//! REPORT (html): the suggested fix for one VM, written from the evidence the scan kept.
//!
//! Suggestions only: a JIT policy entry for unhealthy VMs (the ports and defaults `jitscan
//! policy` uses: protocol `*`, source "per request", at most three hours) and the specific NSG rules, DNAT rules or load-balancer rules to
//! restrict or remove, named from the evidence. It must not re-evaluate anything: which rule
//! allowed a port is read from [`NsgEvidence`], never recomputed.

use super::markdown::Inline;
use crate::classify::{port_name, Classification, ReasonCode, VmResult};
use crate::eval::paths::PathKind;
use crate::eval::vm::PortEvaluation;
use crate::eval::{Confidence, NsgEvidence, NsgVerdict};
use crate::model::Access;
use crate::rules::ports_text;

/// Longest access JIT grants per request in the suggestion (ISO 8601 duration).
const MAX_REQUEST: &str = "PT3H";

/// What to do about one VM.
#[derive(Debug, Default)]
pub(crate) struct Fix {
    /// True when no change is needed.
    pub(crate) ok: bool,
    /// Steps, each a sentence of text and code runs.
    pub(crate) steps: Vec<Vec<Inline>>,
    /// Suggested `virtualMachines[]` entry of a JIT policy, as JSON.
    pub(crate) jit_snippet: Option<String>,
}

const ATTACH_NSG: &str = "Attach a network security group to this VM's network interface or subnet that denies the management ports from the Internet: nothing filters them today, and JIT VM access needs an NSG to manage. Then enable JIT VM access for the VM.";
const SCALE_SET: &str = "JIT VM access does not cover scale sets: close the management ports to the Internet with NSG rules on the scale set's subnet or NICs, and reach instances through Azure Bastion or a VPN.";
const NOT_REACHABLE: &str = "No management port is reachable from the Internet. JIT VM access cannot be applied until an NSG (or Azure Firewall) protects the VM: attach one if the VM should be covered later.";
const CLOSED: &str = "No change needed: every management port is closed to the Internet. Keep it that way when NSG rules change; JIT VM access would open ports only on request.";

/// Builds the suggested fix for `vm`.
pub(crate) fn fix_for(vm: &VmResult) -> Fix {
    let mut fix = Fix::default();
    let exposed = vm.internet_exposed();
    match (vm.classification.value, vm.reason_code) {
        (Classification::Unhealthy, _) => {
            let ports = jit_ports(vm);
            fix.steps.push(enable_jit_step(
                &ports,
                &admin_opened(vm),
                vm.location.as_deref(),
            ));
            fix.jit_snippet = Some(jit_entry(&vm.id, &ports));
            fix.steps.extend(narrowing_steps(vm));
        }
        (Classification::NotApplicable, ReasonCode::NoNsgNoFirewall) if exposed => {
            fix.steps.push(vec![Inline::text(ATTACH_NSG)]);
            fix.steps.extend(narrowing_steps(vm));
        }
        (Classification::NotApplicable, ReasonCode::ScaleSet) if exposed => {
            fix.steps.push(vec![Inline::text(SCALE_SET)]);
            fix.steps.extend(narrowing_steps(vm));
        }
        (Classification::NotApplicable, _) => {
            fix.ok = !needs_value(vm);
            fix.steps.push(vec![Inline::text(NOT_REACHABLE)]);
        }
        (Classification::Healthy, ReasonCode::JitEnabled) => {
            let steps = jit_layer_steps(vm);
            fix.ok = !needs_value(vm) && steps.is_empty();
            if steps.is_empty() {
                fix.steps.push(vec![
                    Inline::text("No change needed: JIT policy "),
                    Inline::code(vm.jit_policy.clone().unwrap_or_default()),
                    Inline::text(" covers this VM. Keep the VM listed in it."),
                ]);
            } else {
                fix.steps.extend(steps);
            }
        }
        (Classification::Healthy, _) => {
            fix.ok = !needs_value(vm);
            fix.steps.push(vec![Inline::text(CLOSED)]);
        }
    }
    if needs_value(vm) {
        let (_, reason) = vm.confidence();
        fix.steps.push(vec![
            Inline::text("Settle the value this verdict depends on, then scan again: "),
            Inline::text(reason.unwrap_or_else(|| "an undecidable value".to_owned())),
            Inline::text("."),
        ]);
    }
    fix
}

/// What keeps JIT from doing its job for a VM a policy covers (the same facts JIT008-JIT010
/// judge): ports still open, ports the policy leaves out, deny rules missing from a live NSG,
/// an NSG whose inline rule list a redeploy would put back.
fn jit_layer_steps(vm: &VmResult) -> Vec<Vec<Inline>> {
    let Some(jit) = vm.jit.as_deref() else {
        return Vec::new();
    };
    let policy = vm.jit_policy.clone().unwrap_or_default();
    let mut steps = Vec::new();
    let open: Vec<u16> = vm
        .ports
        .iter()
        .filter(|p| is_open(p))
        .map(|p| p.port)
        .collect();
    if !open.is_empty() {
        steps.push(vec![
            Inline::text("JIT policy "),
            Inline::code(policy.clone()),
            Inline::text(format!(
                " covers this VM, yet {} still open to the Internet: JIT places its deny rules after the rules already there. Close what opens {}:",
                ports_are(&open),
                if open.len() == 1 { "it" } else { "them" }
            )),
        ]);
        steps.extend(narrowing_steps(vm));
        let unlisted: Vec<u16> = open
            .iter()
            .copied()
            .filter(|p| jit.port_rule(*p).is_none())
            .collect();
        if !unlisted.is_empty() {
            steps.push(vec![Inline::text(format!(
                "Add {} to the VM's entry in the JIT policy (or close {} for good).",
                ports_text(&unlisted),
                if unlisted.len() == 1 { "it" } else { "them" }
            ))]);
        }
    }
    let missing: Vec<u16> =
        if vm.from_template || jit.policy_from_template || jit.firewall_ip.is_some() {
            Vec::new()
        } else {
            jit.ports
                .iter()
                .filter_map(|p| p.number)
                .filter(|p| jit.denies(*p).is_empty())
                .collect()
        };
    if !missing.is_empty() {
        steps.push(vec![
            Inline::text("Save JIT policy "),
            Inline::code(policy.clone()),
            Inline::text(format!(
                " again so JIT writes its deny rules back ({} have none on the VM's NSGs; a deployment that replaced the NSG's rules is the usual cause).",
                ports_text(&missing)
            )),
        ]);
    }
    for nsg in jit.nsgs.iter().filter(|n| n.inline_rules.is_some()) {
        steps.push(vec![
            Inline::text("Move the rules of NSG "),
            Inline::code(nsg.name.to_string()),
            Inline::text(" out of its inline securityRules into child resources, and stop redeploying the NSG itself: each deployment of this template removes the rules JIT wrote."),
        ]);
    }
    steps
}

/// "port 22 is" or "ports 22, 3389 are".
fn ports_are(ports: &[u16]) -> String {
    format!(
        "{} {}",
        ports_text(ports),
        if ports.len() == 1 { "is" } else { "are" }
    )
}

fn needs_value(vm: &VmResult) -> bool {
    vm.confidence().0 == Confidence::Unknown
}

/// A port is established as open (not merely possible).
fn is_open(port: &PortEvaluation) -> bool {
    port.open.value && port.open.confidence != Confidence::Unknown
}

/// The ports to put under JIT, as `jitscan policy` chooses them (open or possibly open ports
/// plus the OS defaults); every port checked when that is empty.
fn jit_ports(vm: &VmResult) -> Vec<u16> {
    let ports = crate::policy::document::default_ports(vm);
    if ports.is_empty() {
        vm.ports.iter().map(|p| p.port).collect()
    } else {
        ports
    }
}

fn port_list(ports: &[u16]) -> String {
    let names: Vec<String> = ports
        .iter()
        .map(|p| format!("{p} ({})", port_name(*p)))
        .collect();
    names.join(", ")
}

/// Ports an AlwaysAllow security admin rule opens: JIT's deny rules, NSG rules, cannot close
/// them.
fn admin_opened(vm: &VmResult) -> Vec<u16> {
    vm.ports
        .iter()
        .filter(|p| {
            p.evidence.iter().any(|e| {
                e.level == crate::eval::NsgLevel::NetworkManager && e.access == Access::Allow
            })
        })
        .map(|p| p.port)
        .collect()
}

fn enable_jit_step(ports: &[u16], admin_opened: &[u16], location: Option<&str>) -> Vec<Inline> {
    let mut step = vec![
        Inline::text("Enable JIT VM access on "),
        Inline::text(port_list(ports)),
        Inline::text(": add the entry below to "),
        Inline::code("properties.virtualMachines"),
        Inline::text(" of a "),
        Inline::code("Microsoft.Security/locations/jitNetworkAccessPolicies"),
    ];
    match location {
        Some(location) => {
            step.push(Inline::text(" resource in location "));
            step.push(Inline::code(location.to_owned()));
        }
        None => step.push(Inline::text(" resource in the VM's location")),
    }
    step.push(Inline::text(
        ", or enable JIT from Defender for Cloud. The ports then stay closed and open on request, for the requester's address, for at most 3 hours. ",
    ));
    if !admin_opened.is_empty() {
        step.push(Inline::text(format!(
            "Except {}: a security admin rule opens it ahead of every NSG rule, JIT's deny rules included (see the step on it). ",
            port_list(admin_opened)
        )));
    }
    step.push(Inline::code("jitscan policy"));
    step.push(Inline::text(
        " writes deployable policy documents and a remediation plan proven by re-evaluation.",
    ));
    step
}

/// The suggested `virtualMachines[]` entry as JSON, one port per line. The id is the only value
/// from input and goes through serde_json's string escaping.
pub(crate) fn jit_entry(vm_id: &str, ports: &[u16]) -> String {
    let id = serde_json::Value::String(vm_id.to_owned());
    let lines: Vec<String> = ports
        .iter()
        .map(|p| {
            format!(
                "    {{ \"number\": {p}, \"protocol\": \"*\", \"allowedSourceAddressPrefix\": \"*\", \"maxRequestAccessDuration\": \"{MAX_REQUEST}\" }}"
            )
        })
        .collect();
    format!(
        "{{\n  \"id\": {id},\n  \"ports\": [\n{}\n  ]\n}}",
        lines.join(",\n")
    )
}

/// A step waiting for the list of ports it applies to.
struct Pending {
    key: String,
    lead: Vec<Inline>,
    ports: Vec<u16>,
}

/// Adds `port` to the step named `key`, creating the step (with `lead`) the first time.
fn add(list: &mut Vec<Pending>, key: String, port: u16, lead: impl FnOnce() -> Vec<Inline>) {
    match list.iter_mut().find(|p| p.key == key) {
        Some(step) if !step.ports.contains(&port) => step.ports.push(port),
        Some(_) => {}
        None => list.push(Pending {
            key,
            lead: lead(),
            ports: vec![port],
        }),
    }
}

/// Steps that close what is open today: NSG rules, missing NSGs, DNAT and load-balancer rules,
/// in port order, one step per rule with every port it opens.
fn narrowing_steps(vm: &VmResult) -> Vec<Vec<Inline>> {
    let mut pending: Vec<Pending> = Vec::new();
    for port in vm.ports.iter().filter(|p| is_open(p)) {
        for e in &port.evidence {
            if e.access == Access::Allow && !e.default_rule && !e.rule.is_empty() {
                let key = format!("nsg\u{0}{}\u{0}{}", e.nsg, e.rule);
                add(&mut pending, key, port.port, || nsg_rule_step(e));
            }
        }
        // A DNAT path arrives from the firewall's own address, which an NSG's default rules
        // admit anyway; an NSG helps only against a public IP or load balancer path.
        let direct_path = port
            .paths
            .iter()
            .any(|(p, reaches)| *reaches && p.kind != PathKind::FirewallDnat);
        if port.nsg_verdict.value == NsgVerdict::Unfiltered
            && direct_path
            && vm.reason_code != ReasonCode::NoNsgNoFirewall
        {
            add(&mut pending, "unfiltered".to_owned(), port.port, || {
                vec![Inline::text(
                    "Attach an NSG to the network interface or subnet of every ipConfiguration that has none: nothing filters ",
                )]
            });
        }
        for (path, reaches) in &port.paths {
            if !reaches || path.kind == PathKind::PublicIp {
                continue;
            }
            let rule = path
                .rule
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let key = format!("{}\u{0}{}\u{0}{rule}", path.kind.as_str(), path.via);
            add(&mut pending, key, port.port, || {
                path_step(path.kind, &path.via, &rule)
            });
        }
    }
    pending
        .into_iter()
        .map(|mut step| {
            step.lead.push(Inline::text(format!(
                "{} from any Internet address.",
                port_list(&step.ports)
            )));
            step.lead
        })
        .collect()
}

fn nsg_rule_step(e: &NsgEvidence) -> Vec<Inline> {
    let priority = e
        .priority
        .map_or_else(String::new, |p| format!(" (priority {p})"));
    if e.level == crate::eval::NsgLevel::NetworkManager {
        return vec![
            Inline::text("Change the access of, or remove, AlwaysAllow security admin rule "),
            Inline::code(e.rule.to_string()),
            Inline::text(format!(
                "{priority} of Azure Virtual Network Manager rule collection "
            )),
            Inline::code(e.nsg.to_string()),
            Inline::text(" (it bypasses every NSG, JIT's included): it allows "),
        ];
    }
    vec![
        Inline::text("Restrict the source of, or remove, rule "),
        Inline::code(e.rule.to_string()),
        Inline::text(format!("{priority} of NSG ")),
        Inline::code(e.nsg.to_string()),
        Inline::text(format!(" ({} level): it allows ", e.level.as_str())),
    ]
}

fn path_step(kind: PathKind, via: &str, rule: &str) -> Vec<Inline> {
    let (what, owner) = match kind {
        PathKind::FirewallDnat => ("DNAT rule ", " of Azure Firewall "),
        PathKind::LoadBalancerNat => ("NAT rule ", " of load balancer "),
        _ => ("load-balancing rule ", " of load balancer "),
    };
    vec![
        Inline::text("Restrict the source of, or remove, "),
        Inline::text(what),
        Inline::code(rule.to_owned()),
        Inline::text(owner),
        Inline::code(via.to_owned()),
        Inline::text(": it forwards "),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jit_entry_is_valid_json_with_an_escaped_id() {
        let text = jit_entry("/x/\"<vm>\"", &[22, 3389]);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["id"], "/x/\"<vm>\"");
        assert_eq!(value["ports"][1]["number"], 3389);
        assert_eq!(value["ports"][0]["protocol"], "*");
        assert_eq!(value["ports"][0]["allowedSourceAddressPrefix"], "*");
        assert_eq!(value["ports"][0]["maxRequestAccessDuration"], "PT3H");
    }
}
