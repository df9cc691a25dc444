//! JIT011 jit-policy-weak: a JIT policy that lets any address be granted, grants longer than
//! the configured limit, or leaves out a management port of the VM's operating system.

use super::{named_by_kind, ports_text, Finding, Level, Message, Related, Role, Rule};
use crate::classify::VmResult;
use crate::eval::Confidence;
use crate::model::OsType;
use crate::time::iso_duration_text;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT011",
    name: "jit-policy-weak",
    summary: "JIT policy allows requests from any address, for longer than the limit, or leaves a management port out",
    description: "A JIT network access policy covers the VM, but one of its port rules lets a request open the port to any source address (allowedSourceAddressPrefix '*'), allows requests longer than the configured limit (findings.jitMaxRequestDuration, default PT3H, the duration Defender for Cloud proposes), or the policy leaves out a management port of the VM's operating system (22 for Linux; 3389, 5985 and 5986 for Windows).",
    help_markdown: "## What it flags\nFor each port rule in the VM's entry of a JIT policy: `allowedSourceAddressPrefix` `*` (or `*` in `allowedSourceAddressPrefixes`), so an approved request may open the port to the whole Internet; `maxRequestAccessDuration` longer than the limit (`findings.jitMaxRequestDuration` in jitscan.yaml, default `PT3H`). And each management port of the VM's OS (from `storageProfile.osDisk.osType` or the image) that the entry does not list, when the port is not open (an open one is JIT008's).\n\n## Why it matters\nJIT is meant to open a port to one source for a short time. A policy that accepts `*` turns every request into a window open to every scanner on the Internet; a day-long window is most of the exposure JIT was meant to remove; an unlisted management port is simply not under JIT.\n\n## How to fix\nSet `allowedSourceAddressPrefixes` to the ranges your administrators connect from (a request then has to name one of them), lower `maxRequestAccessDuration` (e.g. `PT1H`), and add the missing ports to the VM's entry. `jitscan policy` writes an entry with the four management ports, `PT3H` and the sources configured under `policy:`.\n\n## Example\n`{ \"number\": 3389, \"protocol\": \"*\", \"allowedSourceAddressPrefix\": \"*\", \"maxRequestAccessDuration\": \"PT24H\" }`: set `allowedSourceAddressPrefixes` to `[\"203.0.113.0/24\"]` and `maxRequestAccessDuration` to `PT3H`.",
    level: Level::Note,
    security_severity: "3.1",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, settings: &super::Settings) -> Vec<Finding> {
    let Some(jit) = &vm.jit else {
        return Vec::new();
    };
    let limit = settings.jit_max_request_seconds;
    // One finding per VM naming every weakness: the VM's policy entry is the one place to fix.
    let mut weak: Vec<Message> = Vec::new();
    let any: Vec<u16> = jit
        .ports
        .iter()
        .filter(|p| p.any_source())
        .filter_map(|p| p.number)
        .collect();
    if !any.is_empty() {
        let mut m = Message::default();
        m.words(&format!(
            "for {} a request may open the port to any source address (the allowed source is '*', 'Per request' in the portal, where the requester may choose Any)",
            ports_text(&any)
        ));
        weak.push(m);
    }
    let long: Vec<Message> = jit
        .ports
        .iter()
        .filter_map(|p| {
            let seconds = p.max_seconds().filter(|s| *s > limit)?;
            let mut m = Message::default();
            m.words(&format!("port {} ", p.number?))
                .value(p.max_duration.as_deref().unwrap_or(""))
                .words(&format!(" ({})", iso_duration_text(seconds)));
            Some(m)
        })
        .collect();
    if !long.is_empty() {
        let mut m = Message::default();
        m.words("requests may last longer than the limit ")
            .words(&iso_duration_text(limit))
            .words(": ")
            .append(&Message::join(&long, ", "));
        weak.push(m);
    }
    let os_ports: &[u16] = match vm.os {
        Some(OsType::Windows) => &[3389, 5985, 5986],
        Some(OsType::Linux) => &[22],
        None => &[],
    };
    let missing: Vec<u16> = vm
        .ports
        .iter()
        // An open port the policy leaves out is JIT008's.
        .filter(|p| !(p.open.value || p.open.confidence == Confidence::Unknown))
        .map(|p| p.port)
        .filter(|p| os_ports.contains(p) && jit.port_rule(*p).is_none())
        .collect();
    if !missing.is_empty() {
        let mut m = Message::default();
        m.words(&format!(
            "it leaves out {}, a management port of the VM's {} OS, which JIT then does not control",
            ports_text(&missing),
            if vm.os == Some(OsType::Windows) {
                "Windows"
            } else {
                "Linux"
            }
        ));
        weak.push(m);
    }
    if weak.is_empty() {
        return Vec::new();
    }
    let mut message = named_by_kind(vm);
    message
        .words(" is covered by JIT policy '")
        .value(&jit.policy_name)
        .words("', which is weak: ")
        .append(&Message::join(&weak, "; "));
    vec![with_policy(Finding::new(rule, vm, None, message), jit)]
}

/// Points the finding at the VM's policy entry: the line a fix edits.
fn with_policy(mut f: Finding, jit: &crate::eval::jit::JitFacts) -> Finding {
    f.confidence = Confidence::Certain;
    f.confidence_reason = None;
    let mut m = Message::default();
    m.words("the VM's entry in JIT policy '")
        .value(&jit.policy_name)
        .words("'");
    f.related = vec![Related {
        origin: jit.entry_origin.clone(),
        message: m,
        role: Role::OtherRule,
    }];
    f.deciding = Some(0);
    f
}
