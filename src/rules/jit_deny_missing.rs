//! JIT009 jit-deny-rules-missing: in an export (the live state), a port of a VM's JIT policy
//! with no deny rule from JIT on any NSG of the VM's path. JIT writes those rules when the
//! policy is configured; their absence usually means a deployment replaced the NSG's rules.

use super::{named_by_kind, Finding, Level, Message, Related, Role, Rule};
use crate::classify::VmResult;
use crate::eval::jit::JitFacts;
use crate::eval::Confidence;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT009",
    name: "jit-deny-rules-missing",
    summary: "JIT policy lists the port, but no JIT deny rule is on the VM's NSGs",
    description: "In an export of live configuration, a JIT network access policy lists a port of the VM, yet none of the network security groups on the VM's path holds the deny rule Defender for Cloud writes for it (named SecurityCenter-JITRule_-...). JIT is configured on paper only: the port is as open as the other rules leave it. The usual cause is an infrastructure-as-code deployment that replaced the NSG's rule list after JIT was configured.",
    help_markdown: "## What it flags\nThe ports in a VM's entry of a JIT policy (`properties.virtualMachines[].ports`), named in one finding per VM, for which no NSG on the VM's path (its subnet's or its network interface's) has an inbound Deny rule whose name starts with `SecurityCenter-JITRule` and whose destination ports cover the port. Only exports are judged: a template shows what will be deployed, before JIT has written anything. VMs whose policy entry names an Azure Firewall (`publicIpAddress`) are skipped: JIT then works in the firewall. When part of the path is outside the input, the finding says the rule *may* be missing, with confidence `unknown`.\n\n## Why it matters\nWhen a policy is configured, Defender for Cloud \"ensures deny all inbound traffic rules exist for your selected ports\" in the NSG. Redeploying an NSG from a template or Terraform that declares its whole rule list removes them (\"re-running terraform apply wipes out the JIT security rules\"); Defender still lists the VM as JIT-enabled and healthy.\n\n## How to fix\nSave the JIT policy again (Defender for Cloud > Workload protections > Just-in-time VM access > the VM > Edit > Save, or PUT the policy unchanged): JIT writes its deny rules again. Then stop the deployment that removed them: see JIT010 (`iac-reverts-jit`).\n\n## Example\nPolicy `default` lists port 22 for `vm1`; `vm1-nsg` has only `allow-https` and `deny-all-inbound`, no `SecurityCenter-JITRule_-...` rule for 22.",
    level: Level::Warning,
    security_severity: "5.3",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    let Some(jit) = &vm.jit else {
        return Vec::new();
    };
    if vm.from_template || jit.policy_from_template || jit.firewall_ip.is_some() {
        return Vec::new();
    }
    let mut ports: Vec<u16> = jit.ports.iter().filter_map(|p| p.number).collect();
    ports.sort_unstable();
    ports.dedup();
    // One finding per VM naming its ports: one fix (saving the policy again) restores them all.
    let missing: Vec<u16> = ports
        .into_iter()
        .filter(|&port| jit.denies(port).is_empty())
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![finding(rule, vm, jit, &missing)]
}

fn finding(rule: &'static Rule, vm: &VmResult, jit: &JitFacts, ports: &[u16]) -> Finding {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let (noun, them) = if ports.len() == 1 {
        ("port", "it")
    } else {
        ("ports", "them")
    };
    let undecided = jit
        .nsgs
        .iter()
        .find(|n| n.rules_undecided)
        .map(|n| format!("the custom rules of NSG '{}' are not decided", n.name));
    let unknown = jit.unknown_path.clone().or(undecided);
    let mut message = named_by_kind(vm);
    message
        .words(" is covered by JIT policy '")
        .value(&jit.policy_name)
        .words(&format!("' for {noun} {}, but ", list.join(", ")));
    if jit.nsgs.is_empty() && unknown.is_none() {
        message.words("no NSG filters its network interfaces, so JIT has nowhere to write its deny rules: the policy closes nothing");
    } else {
        let names: Vec<Message> = jit
            .nsgs
            .iter()
            .map(|n| {
                let mut m = Message::default();
                m.words("'").value(&n.name).words("'");
                m
            })
            .collect();
        if unknown.is_some() {
            message.words("JIT's deny rules may be missing: ");
        }
        message.words(&format!(
            "no rule named SecurityCenter-JITRule... denies {them} in "
        ));
        if names.is_empty() {
            message.words("the NSGs of the input");
        } else {
            message
                .words(if names.len() == 1 { "NSG " } else { "NSGs " })
                .append(&Message::join(&names, ", "));
        }
        message.words("; a deployment that replaced the NSG's rules after JIT was configured is the usual cause");
    }
    let mut f = Finding::new(rule, vm, None, message);
    if let Some(reason) = unknown {
        f.confidence = Confidence::Unknown;
        f.confidence_reason = Some(reason);
    } else {
        f.confidence = Confidence::Certain;
        f.confidence_reason = None;
    }
    f.related = jit
        .nsgs
        .iter()
        .map(|n| {
            let mut m = Message::default();
            m.words(n.level.as_str())
                .words(" NSG '")
                .value(&n.name)
                .words(&format!("' holds no JIT deny rule for the {noun}"));
            Related {
                origin: n.origin.clone(),
                message: m,
                role: Role::OtherRule,
            }
        })
        .collect();
    let mut m = Message::default();
    m.words("JIT policy '")
        .value(&jit.policy_name)
        .words(&format!("' lists the {noun} for this VM"));
    f.related.push(Related {
        origin: jit.entry_origin.clone(),
        message: m,
        role: Role::OtherRule,
    });
    f
}
