//! AUDIT: the audit's numbers, counted once for every report (JSON, table, HTML).

use super::{Grant, GrantState, VmAccessAudit};

/// The audit's numbers, for the summaries of every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditTotals {
    /// VMs with requests.
    pub vms: usize,
    /// Ports granted.
    pub grants: usize,
    /// Active at the instant judged.
    pub active: usize,
    /// Whose state the input does not decide.
    pub unknown_state: usize,
    /// From any address or a broad range.
    pub broad_source: usize,
    /// Longer than the policy allows.
    pub longer_than_allowed: usize,
    /// Without a justification.
    pub without_justification: usize,
    /// JIT allow rules no active grant explains.
    pub stale_allow_rules: usize,
}

/// Counts over every VM's grants.
pub fn totals(audits: &[VmAccessAudit]) -> AuditTotals {
    let grants = || audits.iter().flat_map(|a| a.grants.iter());
    let count = |f: &dyn Fn(&Grant) -> bool| grants().filter(|g| f(g)).count();
    AuditTotals {
        vms: audits.len(),
        grants: grants().count(),
        active: count(&|g| g.state == GrantState::Active),
        unknown_state: count(&|g| g.state == GrantState::Unknown),
        broad_source: count(&|g| g.broad_source),
        longer_than_allowed: count(&|g| g.longer_than_allowed == Some(true)),
        without_justification: count(&|g| g.without_justification),
        stale_allow_rules: audits
            .iter()
            .flat_map(|a| a.allow_rules.iter())
            .filter(|r| r.explained == Some(false))
            .count(),
    }
}
