//! JIT012 jit-bypassers-not-requesters: principals who can open a management port of the VM
//! around JIT (an NSG rule, the NSG's association, a public IP, a NAT or DNAT rule) but are not
//! among its JIT requesters: for them JIT is decoration. Read from the VM's `access` only, so a
//! scan without role exports never raises it.

use super::{named_by_kind, Finding, Level, Message, Related, Role, Rule};
use crate::classify::VmResult;
use crate::eval::Confidence;
use crate::rbac::Grant;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT012",
    name: "jit-bypassers-not-requesters",
    summary: "Principals who can open a management port around JIT are not JIT requesters",
    description: "The role assignments read let some principals open a management port of the VM without a JIT request: by writing an NSG rule on its path, changing which NSG filters its NIC or subnet, attaching a public IP, or writing a load balancer's NAT rules or a firewall's DNAT rules. They cannot request access through JIT, so JIT's audited, time-limited requests never apply to them. Raised for VMs a JIT policy covers, and for VMs with a management port exposed to the Internet.",
    help_markdown: "## What it flags\nA VM that a JIT policy covers, or that has a management port reachable from the Internet, when the role exports scanned give some principal a bypass route (`access.bypassers`: `nsgRule`, `nsgAssociation`, `publicIp`, `loadBalancerNat`, `firewallDnat`) and no JIT request right (`access.jitRequesters`). One finding per VM names each such principal, its routes and the roles that grant them; PIM-eligible and conditional grants are marked. The finding points at the role assignments.\n\n## Why it matters\nJIT only audits the principals who go through it. Someone who can write the NSG, swap the NIC's NSG or attach a public IP opens the port without a request, without an expiry and without a trace in JIT's activity; if such a principal cannot even request JIT, the port's protection is whatever that principal decides.\n\n## How to fix\nTake the write away where it is not needed: assign roles at narrower scopes, use a custom role with `notActions` for `Microsoft.Network/networkSecurityGroups/*`, `Microsoft.Network/networkInterfaces/write` and `Microsoft.Network/publicIPAddresses/join/action`, or protect the NSG with a deny assignment. Make the remaining writers PIM-eligible rather than active, and give the people who need to log in the JIT request right (`Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action` plus read on the VM) instead.\n\n## Example\n`deploy-pipeline` (service principal) holds a custom role with `Microsoft.Network/*/write` at the subscription: it can rewrite `nic-vm1` to use another NSG. Narrow the role to the resources it deploys, or add `Microsoft.Network/networkInterfaces/write` to its `notActions`.",
    level: Level::Warning,
    security_severity: "5.4",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    let Some(access) = &vm.access else {
        return Vec::new();
    };
    let covered = vm.jit.is_some() || access.jit_policy.is_some();
    if !covered && !vm.internet_exposed() {
        return Vec::new();
    }
    let grants = access.bypassers_not_requesting();
    if grants.is_empty() {
        return Vec::new();
    }
    let mut message = named_by_kind(vm);
    if covered {
        message.words(" is covered by JIT, but these principals can open its management ports around it and cannot request JIT access: ");
    } else {
        message.words(" has a management port exposed to the Internet and no JIT requesters; these principals can open its management ports without JIT: ");
    }
    message.append(&by_principal(&grants));
    let mut f = Finding::new(rule, vm, None, message);
    // Covered by JIT: the access alone decides. Flagged for its exposure: the VM's confidence
    // (that of its exposure) stands.
    if covered {
        f.confidence = Confidence::Certain;
        f.confidence_reason = None;
    }
    access_confidence(&mut f, &grants);
    relate_assignments(&mut f, &grants);
    vec![f]
}

/// A principal as messages name it: `'display name' (id)`, or its id alone.
pub(super) fn principal_label(g: &Grant) -> Message {
    let a = &g.assignment;
    let mut m = Message::default();
    match &a.display_name {
        Some(name) => {
            m.words("'")
                .value(name)
                .words("' (")
                .value(&a.principal_id)
                .words(")");
        }
        None => {
            m.words("'").value(&a.principal_id).words("'");
        }
    }
    if let Some(t) = &a.principal_type {
        m.words(", ").value(t);
    }
    m
}

/// `role at scope`, marked eligible or conditional.
fn grant_label(g: &Grant) -> Message {
    let mut m = Message::default();
    if let Some(route) = g.route {
        m.words(route.as_str()).words(" through ");
    }
    m.words("'")
        .value(&g.role_name)
        .words("' at '")
        .value(&g.assignment.scope)
        .words("'");
    if g.eligible {
        m.words(" (PIM-eligible)");
    }
    if g.conditional {
        m.words(" (conditional)");
    }
    m
}

/// Grants grouped by principal (in their sorted order): `'name' (id), User: nsgRule through
/// 'Role' at 'scope'; ...`, principals separated by ` | `.
pub(super) fn by_principal(grants: &[&Grant]) -> Message {
    let mut parts: Vec<Message> = Vec::new();
    let mut i = 0;
    while let Some(first) = grants.get(i) {
        let principal = &first.assignment.principal_id;
        let mut routes: Vec<Message> = Vec::new();
        while let Some(g) = grants.get(i) {
            if &g.assignment.principal_id != principal {
                break;
            }
            routes.push(grant_label(g));
            i += 1;
        }
        let mut m = principal_label(first);
        m.words(": ").append(&Message::join(&routes, "; "));
        parts.push(m);
    }
    Message::join(&parts, " | ")
}

/// Conditions are not evaluated: when every grant named carries one, whether any applies is
/// unknown.
pub(super) fn access_confidence(f: &mut Finding, grants: &[&Grant]) {
    if !grants.is_empty() && grants.iter().all(|g| g.conditional) {
        f.confidence = Confidence::Unknown;
        f.confidence_reason = Some(
            "every grant named carries a condition (ABAC), which jitscan does not evaluate".into(),
        );
    }
}

/// Points the finding at the role assignments that grant what it names (each once, in order):
/// the first is where a fix starts.
pub(super) fn relate_assignments(f: &mut Finding, grants: &[&Grant]) {
    let mut related: Vec<Related> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for g in grants {
        let a = &g.assignment;
        if seen.contains(&a.id.as_str()) {
            continue;
        }
        seen.push(&a.id);
        let mut m = Message::default();
        m.words(if a.eligible {
            "PIM eligibility of '"
        } else {
            "role assignment of '"
        })
        .value(&g.role_name)
        .words("' at '")
        .value(&a.scope)
        .words("' to ")
        .append(&principal_label(g));
        related.push(Related {
            origin: a.origin.clone(),
            message: m,
            role: Role::OtherRule,
        });
    }
    f.deciding = if related.is_empty() { None } else { Some(0) };
    f.related = related;
}

/// One finding for `vm` naming the bypassers `select` picks, each with how and by which
/// assignment, after `opening` (JIT013, JIT014); none when it picks nobody.
pub(super) fn bypassers_finding(
    rule: &'static Rule,
    vm: &VmResult,
    select: impl Fn(&Grant) -> bool,
    opening: &str,
) -> Vec<Finding> {
    let Some(access) = &vm.access else {
        return Vec::new();
    };
    let grants: Vec<&Grant> = access.bypassers.iter().filter(|g| select(g)).collect();
    if grants.is_empty() {
        return Vec::new();
    }
    let mut message = named_by_kind(vm);
    message.words(opening).append(&by_principal(&grants));
    let mut f = Finding::new(rule, vm, None, message);
    f.confidence = Confidence::Certain;
    f.confidence_reason = None;
    access_confidence(&mut f, &grants);
    relate_assignments(&mut f, &grants);
    vec![f]
}
