//! REPORT: the JSON report's `jit` section (since schema version 5): the JIT policies' access
//! requests per VM as [`crate::audit`] judged them. Absent when no policy holds a request, so
//! reports of inputs without requests keep their shape.

use serde::Serialize;

use crate::audit::{totals, Grant, JitAllowRule, LastAccess, VmAccessAudit};
use crate::scan::ScanResult;
use crate::time::utc_text;

/// The `jit` member of the report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JitSection<'a> {
    as_of: String,
    summary: JitSummary,
    access_requests: Vec<VmRequests<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JitSummary {
    vms: usize,
    grants: usize,
    active: usize,
    unknown_state: usize,
    broad_source: usize,
    longer_than_allowed: usize,
    without_justification: usize,
    stale_allow_rules: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VmRequests<'a> {
    vm_id: &'a str,
    vm_name: &'a str,
    in_scan: bool,
    policy_id: &'a str,
    policy_name: &'a str,
    grants: Vec<GrantEntry<'a>>,
    last_access: Vec<LastAccessEntry<'a>>,
    allow_rules: Vec<AllowRuleEntry<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AllowRuleEntry<'a> {
    nsg: &'a str,
    rule: &'a str,
    priority: Option<u32>,
    ports: &'a str,
    sources: &'a [String],
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantEntry<'a> {
    requestor: Option<&'a str>,
    justification: Option<&'a str>,
    start_time_utc: Option<&'a str>,
    port: Option<u16>,
    sources: &'a [String],
    end_time_utc: Option<&'a str>,
    status: Option<&'a str>,
    status_reason: Option<&'a str>,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_reason: Option<&'a str>,
    broad_source: bool,
    duration_seconds: Option<u64>,
    max_request_access_duration: Option<&'a str>,
    longer_than_allowed: Option<bool>,
    without_justification: bool,
    notes: &'a [String],
    nsg_rules: &'a [String],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LastAccessEntry<'a> {
    requestor: Option<&'a str>,
    start_time_utc: &'a str,
    ports: &'a [u16],
}

/// The section, or `None` when no policy holds a request.
pub(super) fn section(result: &ScanResult) -> Option<JitSection<'_>> {
    if result.jit_audit.is_empty() {
        return None;
    }
    let t = totals(&result.jit_audit);
    Some(JitSection {
        as_of: utc_text(result.jit_as_of),
        summary: JitSummary {
            vms: t.vms,
            grants: t.grants,
            active: t.active,
            unknown_state: t.unknown_state,
            broad_source: t.broad_source,
            longer_than_allowed: t.longer_than_allowed,
            without_justification: t.without_justification,
            stale_allow_rules: t.stale_allow_rules,
        },
        access_requests: result.jit_audit.iter().map(vm_requests).collect(),
    })
}

fn vm_requests(a: &VmAccessAudit) -> VmRequests<'_> {
    VmRequests {
        vm_id: &a.vm_id,
        vm_name: &a.vm_name,
        in_scan: a.in_scan,
        policy_id: &a.policy_id,
        policy_name: &a.policy_name,
        grants: a.grants.iter().map(grant).collect(),
        last_access: a.last_access.iter().map(last_access).collect(),
        allow_rules: a.allow_rules.iter().map(allow_rule).collect(),
    }
}

fn allow_rule(r: &JitAllowRule) -> AllowRuleEntry<'_> {
    AllowRuleEntry {
        nsg: &r.nsg,
        rule: &r.rule,
        priority: r.priority,
        ports: &r.ports,
        sources: &r.sources,
        state: match r.explained {
            Some(true) => "inUse",
            Some(false) => "stale",
            None => "undecided",
        },
        reason: r.reason.as_deref(),
    }
}

fn grant(g: &Grant) -> GrantEntry<'_> {
    GrantEntry {
        requestor: g.requestor.as_deref(),
        justification: g.justification.as_deref(),
        start_time_utc: g.start.as_deref(),
        port: g.port,
        sources: &g.sources,
        end_time_utc: g.end.as_deref(),
        status: g.status.as_deref(),
        status_reason: g.status_reason.as_deref(),
        state: g.state.as_str(),
        state_reason: g.state_reason.as_deref(),
        broad_source: g.broad_source,
        duration_seconds: g.duration_seconds,
        max_request_access_duration: g.max_duration.as_deref(),
        longer_than_allowed: g.longer_than_allowed,
        without_justification: g.without_justification,
        notes: &g.notes,
        nsg_rules: &g.nsg_rules,
    }
}

fn last_access(l: &LastAccess) -> LastAccessEntry<'_> {
    LastAccessEntry {
        requestor: l.requestor.as_deref(),
        start_time_utc: &l.start,
        ports: &l.ports,
    }
}
