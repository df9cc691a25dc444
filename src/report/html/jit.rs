//! REPORT (html): the JIT access-request audit, one table per VM: every port granted, when, to
//! whom, from where and for how long, with what the audit marks (active at `--as-of`, from any
//! address or a broad range, longer than the policy allows, no justification, the NSG rules JIT
//! wrote for it), the last access per requestor, and JIT's allow rules, in use or stale. Built from [`crate::audit`]'s results as the JSON report takes them;
//! present only when a JIT policy holds requests. Plain text only: askama escapes it.

use crate::audit::{totals, Grant, GrantState, VmAccessAudit};
use crate::scan::ScanResult;
use crate::time::{iso_duration_text, utc_text};

/// The section.
#[derive(Debug)]
pub(crate) struct JitView {
    /// The instant judged, RFC 3339.
    pub(crate) as_of: String,
    /// One sentence of totals.
    pub(crate) lead: String,
    /// Per VM and policy.
    pub(crate) vms: Vec<JitVmView>,
}

/// The requests of one VM.
#[derive(Debug)]
pub(crate) struct JitVmView {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) policy: String,
    /// Said when the VM is not among the inputs.
    pub(crate) not_scanned: bool,
    pub(crate) grants: Vec<GrantView>,
    /// `requestor: start (ports)`, one per requestor.
    pub(crate) last_access: Vec<String>,
    /// JIT's allow rules on the VM's path: `nsg/rule (priority, ports, sources): state`.
    pub(crate) allow_rules: Vec<String>,
}

/// One port granted.
#[derive(Debug)]
pub(crate) struct GrantView {
    pub(crate) requestor: String,
    pub(crate) port: String,
    pub(crate) sources: String,
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) length: String,
    /// CSS class of the state badge (`unhealthy` for active, else `notApplicable`).
    pub(crate) state_class: &'static str,
    pub(crate) state: String,
    /// What the audit marks, as words.
    pub(crate) marks: Vec<String>,
    pub(crate) justification: String,
}

/// The section, or `None` when no policy holds a request.
pub(crate) fn jit_view(result: &ScanResult) -> Option<JitView> {
    if result.jit_audit.is_empty() {
        return None;
    }
    let t = totals(&result.jit_audit);
    let as_of = utc_text(result.jit_as_of);
    Some(JitView {
        lead: format!(
            "{} port grant(s) on {} VM(s) as of {as_of}: {} active, {} from any address or a broad range, {} longer than the policy allows, {} without justification; {} stale JIT allow rule(s).",
            t.grants, t.vms, t.active, t.broad_source, t.longer_than_allowed, t.without_justification, t.stale_allow_rules
        ),
        as_of,
        vms: result.jit_audit.iter().map(vm_view).collect(),
    })
}

fn vm_view(a: &VmAccessAudit) -> JitVmView {
    JitVmView {
        name: a.vm_name.clone(),
        id: a.vm_id.clone(),
        policy: a.policy_name.clone(),
        not_scanned: !a.in_scan,
        grants: a.grants.iter().map(grant_view).collect(),
        last_access: a
            .last_access
            .iter()
            .map(|l| {
                let ports: Vec<String> = l.ports.iter().map(u16::to_string).collect();
                format!(
                    "{}: {} (port {})",
                    l.requestor.as_deref().unwrap_or("(no requestor)"),
                    l.start,
                    ports.join(", ")
                )
            })
            .collect(),
        allow_rules: a
            .allow_rules
            .iter()
            .map(|r| {
                let state = match r.explained {
                    Some(true) => "in use by an active grant".to_owned(),
                    Some(false) => format!("stale: {}", r.reason.as_deref().unwrap_or_default()),
                    None => format!("undecided: {}", r.reason.as_deref().unwrap_or_default()),
                };
                format!(
                    "{}/{} (priority {}, port {}, from {}): {state}",
                    r.nsg,
                    r.rule,
                    r.priority.map_or_else(|| "?".to_owned(), |p| p.to_string()),
                    r.ports,
                    r.sources.join(", ")
                )
            })
            .collect(),
    }
}

fn grant_view(g: &Grant) -> GrantView {
    let missing = || "(none)".to_owned();
    let mut marks = Vec::new();
    if g.broad_source {
        marks.push("from any address or a broad range".to_owned());
    }
    match g.longer_than_allowed {
        Some(true) => marks.push(format!(
            "longer than the policy allows ({})",
            g.max_duration.as_deref().unwrap_or("?")
        )),
        Some(false) => {}
        None => marks.push("length against the policy undecided".to_owned()),
    }
    if g.without_justification {
        marks.push("no justification".to_owned());
    }
    marks.extend(g.notes.iter().cloned());
    marks.extend(g.nsg_rules.iter().map(|r| format!("NSG rule {r}")));
    let state = match (&g.state, &g.state_reason) {
        (GrantState::Unknown, Some(why)) => format!("unknown: {why}"),
        (state, _) => state.as_str().to_owned(),
    };
    GrantView {
        requestor: g.requestor.clone().unwrap_or_else(missing),
        port: g.port.map_or_else(missing, |p| p.to_string()),
        sources: if g.sources.is_empty() {
            missing()
        } else {
            g.sources.join(", ")
        },
        start: g.start.clone().unwrap_or_else(missing),
        end: g.end.clone().unwrap_or_else(missing),
        length: g.duration_seconds.map_or_else(missing, iso_duration_text),
        state_class: if g.state == GrantState::Active {
            "unhealthy"
        } else {
            "notApplicable"
        },
        state,
        marks,
        justification: g.justification.clone().unwrap_or_default(),
    }
}
