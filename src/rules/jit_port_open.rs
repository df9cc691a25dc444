//! JIT008 jit-enabled-port-open: a VM a JIT policy covers (healthy for Defender for Cloud)
//! whose management port is still open to the Internet: an allow rule ahead of JIT's deny, a
//! port the policy does not list, or a policy rule for UDP only.

use super::{
    kinds_among, maybe_reaching, named_by_kind, port_label, reached_via, reaching, relate,
    related_for, Finding, Level, Message, Rule, NSG_FIRST, PATH_KINDS,
};
use crate::classify::VmResult;
use crate::eval::jit::is_jit_rule;
use crate::eval::paths::PathKind;
use crate::eval::vm::PortEvaluation;
use crate::eval::{Confidence, NsgEvidence, NsgLevel};
use crate::model::Access;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT008",
    name: "jit-enabled-port-open",
    summary: "JIT is enabled, yet the management port is open to the Internet",
    description: "A JIT policy covers the VM, so Defender for Cloud reports it healthy, but its network security groups still let any Internet address reach a management port: an allow rule is evaluated before the deny rule JIT adds (JIT places its deny after rules that already exist for the port), the policy does not list the port, or the policy's rule for the port covers UDP only. JIT closes nothing on that port.",
    help_markdown: "## What it flags\nA management port (22, 3389, 5985, 5986 by default) of a VM that a JIT network access policy lists, which its NSGs leave open to Internet sources. The message names the cause: an NSG allow rule that decides the port before JIT's deny rule (when it is JIT's own grant rule, `SecurityCenter-JITRule-...`, an access request opened it from the Internet at large), the port missing from the policy's `ports` for this VM, or a policy rule with `protocol: UDP` (JIT's deny then leaves TCP open). Ports opened by an AlwaysAllow security admin rule are JIT007's.\n\n## Why it matters\nDefender for Cloud calls a VM healthy as soon as a JIT policy lists it. When JIT is configured, \"if other rules already exist for the selected ports, then those existing rules take priority over the new deny all inbound traffic rules\": an older allow from `*` keeps the port open to everyone, permanently, while every report says JIT protects it.\n\n## How to fix\nRemove the allow rule the message names (or narrow its source to known addresses): JIT's deny then decides, and access goes through JIT requests. If the port is missing from the policy, add it to the VM's entry (`jitscan policy` writes a policy that keeps the existing entries); if the policy's rule says `UDP`, set `protocol` to `*` or `TCP`.\n\n## Example\nAn NSG with `allow-rdp` (priority 100, source `*`, port 3389) and JIT's `SecurityCenter-JITRule_-123_ABC` (priority 1000, Deny, 3389): delete `allow-rdp`.",
    level: Level::Error,
    security_severity: "8.1",
    precision: "high",
    check,
};

/// The NSG allow rules that decide the port (the reported, fail-safe reading), each once.
fn allowing(port: &PortEvaluation) -> Vec<&NsgEvidence> {
    let mut rules: Vec<&NsgEvidence> = Vec::new();
    for e in port.evidence.iter().filter(|e| {
        e.level != NsgLevel::NetworkManager && e.access == Access::Allow && !e.rule.is_empty()
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

fn rule_named(e: &NsgEvidence) -> Message {
    let priority = e.priority.map_or("?".to_owned(), |p| p.to_string());
    let mut m = Message::default();
    m.words(e.level.as_str())
        .words(" NSG '")
        .value(&e.nsg)
        .words("' rule '")
        .value(&e.rule)
        .words(&format!("' (priority {priority})"));
    m
}

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    let Some(jit) = &vm.jit else {
        return Vec::new();
    };
    vm.ports
        .iter()
        .filter(|p| p.open.value || p.open.confidence == Confidence::Unknown)
        .filter_map(|port| {
            // An AlwaysAllow admin rule is JIT007's: no NSG rule decides there.
            if port.evidence.iter().any(|e| {
                e.level == NsgLevel::NetworkManager && e.access == Access::Allow && !e.rule.is_empty()
            }) {
                return None;
            }
            // JIT through an Azure Firewall opens the firewall's DNAT: only the other paths
            // bypass it.
            let kinds: &[PathKind] = if jit.firewall_ip.is_some() {
                &[PathKind::PublicIp, PathKind::LoadBalancerNat, PathKind::LoadBalancerRule]
            } else {
                &PATH_KINDS
            };
            let paths = kinds_among(port, reaching, kinds);
            let maybe = kinds_among(port, maybe_reaching, kinds);
            if jit.firewall_ip.is_some() && paths.is_empty() && maybe.is_empty() {
                return None;
            }
            let mut message = named_by_kind(vm);
            message
                .words(" is covered by JIT policy '")
                .value(&jit.policy_name)
                .words("', but its ")
                .words(&port_label(port.port));
            if port.open.value {
                message.words(" is open to the Internet: ");
            } else {
                message
                    .words(" may be open to the Internet; the input does not decide it (")
                    .value(port.open.reason.as_deref().unwrap_or("undecidable value"))
                    .words("): ");
            }
            let allows = allowing(port);
            // The rules that let it in, named after a cause in the policy itself.
            let and_allowed_by = |message: &mut Message| {
                if !allows.is_empty() {
                    let named: Vec<Message> = allows.iter().map(|e| rule_named(e)).collect();
                    message.words("; ").append(&Message::join(&named, " and ")).words(" allows it");
                }
            };
            match jit.port_rule(port.port) {
                None => {
                    message.words(&format!(
                        "the policy does not list port {} for this VM, so JIT never closes it",
                        port.port
                    ));
                    and_allowed_by(&mut message);
                }
                Some(r) if r.covers_tcp() == Some(false) => {
                    message.words(&format!(
                        "the policy's rule for port {} covers UDP only, so JIT's deny rule leaves TCP open",
                        port.port
                    ));
                    and_allowed_by(&mut message);
                }
                Some(_) => {
                    let (grants, others): (Vec<&NsgEvidence>, Vec<&NsgEvidence>) = allows
                        .iter()
                        .partition(|e| is_jit_rule(e.rule.rsplit('/').next().unwrap_or(&e.rule)));
                    let mut parts = Vec::new();
                    if !others.is_empty() {
                        let named: Vec<Message> = others.iter().map(|e| rule_named(e)).collect();
                        let mut m = Message::join(&named, " and ");
                        m.words(" allows it ahead of JIT's deny rule (JIT places its deny after the rules already there)");
                        parts.push(m);
                    }
                    if !grants.is_empty() {
                        let named: Vec<Message> = grants.iter().map(|e| rule_named(e)).collect();
                        let mut m = Message::default();
                        m.words("the grant rule JIT wrote, ")
                            .append(&Message::join(&named, " and "))
                            .words(", allows it: an access request opened the port to the Internet at large");
                        parts.push(m);
                    }
                    if parts.is_empty() {
                        message.words("no NSG rule of the input names the opening (it is undecided)");
                    } else {
                        message.append(&Message::join(&parts, "; "));
                    }
                }
            }
            reached_via(&mut message, &paths, &maybe);
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            relate(&mut finding, related_for(port), &NSG_FIRST);
            Some(finding)
        })
        .collect()
}
