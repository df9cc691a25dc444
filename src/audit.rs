//! AUDIT: who opened what under a JIT policy, from where, for how long: the access requests an
//! export of the live policy carries (`properties.requests`), read per VM and judged at one
//! instant (`--as-of`). Grants active then, grants from any address or a broad range, grants
//! longer than the policy's `maxRequestAccessDuration`, requests without a justification, and
//! the last access per VM and requestor.
//!
//! Pure: reads the model, no I/O, no clock (the instant is given). It judges the requests as the
//! export recorded them; what changed after the export was taken is not known, and a value the
//! input does not decide is reported undecided with the reason, never guessed.

mod allow_rules;
mod totals;

use std::collections::{BTreeMap, HashMap};

use ipnet::IpNet;

use crate::classify::VmResult;
use crate::eval::addresses::{block_size, public, Addresses};
use crate::model::jit::{JitRequest, JitRequestPort};
use crate::model::{key, Inventory, JitPolicy};
use crate::time::utc_seconds;

pub use allow_rules::{is_jit_allow_rule, JitAllowRule};
pub use totals::{totals, AuditTotals};

/// The access requests of one VM, from one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmAccessAudit {
    /// VM id as the request writes it.
    pub vm_id: String,
    /// VM name: the scanned VM's, else the id's last segment.
    pub vm_name: String,
    /// True when a VM of that id is among the scanned inputs.
    pub in_scan: bool,
    /// The policy holding the requests.
    pub policy_id: String,
    /// Its name.
    pub policy_name: String,
    /// Every port granted, in request order.
    pub grants: Vec<Grant>,
    /// Per requestor, the latest request (by `startTimeUtc`), sorted by requestor.
    pub last_access: Vec<LastAccess>,
    /// The allow rules JIT wrote into the NSGs on the VM's path (exports), each with the
    /// active grant that explains it, or why none does.
    pub allow_rules: Vec<JitAllowRule>,
}

/// Whether a grant lets traffic in at the instant judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    /// Initiated, started and not yet ended.
    Active,
    /// Its `endTimeUtc` has passed.
    Ended,
    /// Revoked (`status` `Revoked`).
    Revoked,
    /// Made after the instant judged.
    NotStarted,
    /// The input does not decide (see `state_reason`).
    Unknown,
}

impl GrantState {
    /// The JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Ended => "ended",
            Self::Revoked => "revoked",
            Self::NotStarted => "notStarted",
            Self::Unknown => "unknown",
        }
    }
}

/// One port of one request for the VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `requestor`.
    pub requestor: Option<String>,
    /// `justification`, when not blank.
    pub justification: Option<String>,
    /// `startTimeUtc` as written.
    pub start: Option<String>,
    /// The port.
    pub port: Option<u16>,
    /// The sources granted.
    pub sources: Vec<String>,
    /// `endTimeUtc` as written.
    pub end: Option<String>,
    /// `status` as written.
    pub status: Option<String>,
    /// `statusReason` as written.
    pub status_reason: Option<String>,
    /// At the instant judged.
    pub state: GrantState,
    /// Why the state is `Unknown`.
    pub state_reason: Option<String>,
    /// From any address (`*`, `Internet`, `Any`) or a range of more public addresses than a
    /// prefix of the broad-source length holds.
    pub broad_source: bool,
    /// `endTimeUtc - startTimeUtc`, when both are UTC times.
    pub duration_seconds: Option<u64>,
    /// The policy's `maxRequestAccessDuration` for the VM and port, as written.
    pub max_duration: Option<String>,
    /// True/false when decided; `None` when a duration is not known (see `notes`).
    pub longer_than_allowed: Option<bool>,
    /// No justification, or a blank one.
    pub without_justification: bool,
    /// What the input left undecided, and ports the policy does not list.
    pub notes: Vec<String>,
    /// JIT's allow rules in the NSGs on the VM's path that match this grant (`nsg/rule`), for
    /// an active grant.
    pub nsg_rules: Vec<String>,
}

/// The latest request of one requestor for the VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAccess {
    /// `requestor` (`None` when the request names nobody).
    pub requestor: Option<String>,
    /// Its `startTimeUtc`.
    pub start: String,
    /// The ports it asked for.
    pub ports: Vec<u16>,
}

/// The audit of every VM named in a request of a policy of `inventory`, and of every VM of
/// `vms` with JIT allow rules on its path, sorted by VM name and id, as of `as_of` (seconds);
/// `broad_length` is JIT006's prefix length.
pub fn audit_inventory(
    inventory: &Inventory,
    vms: &[VmResult],
    as_of: i64,
    broad_length: u8,
) -> Vec<VmAccessAudit> {
    let mut out = Vec::new();
    let mut vm_by_key: HashMap<String, &crate::model::Vm> = HashMap::new();
    if inventory
        .jit_policies
        .iter()
        .any(|p| !p.requests.is_empty())
    {
        for vm in &inventory.vms {
            vm_by_key.entry(key(&vm.id)).or_insert(vm);
        }
    }
    for policy in inventory
        .jit_policies
        .iter()
        .filter(|p| !p.requests.is_empty())
    {
        let mut by_vm: BTreeMap<String, (String, Vec<Grant>, Vec<&JitRequest>)> = BTreeMap::new();
        for request in &policy.requests {
            for vm in &request.virtual_machines {
                let entry = by_vm
                    .entry(key(&vm.id))
                    .or_insert_with(|| (vm.id.clone(), Vec::new(), Vec::new()));
                for port in &vm.ports {
                    entry
                        .1
                        .push(grant(policy, &vm.id, request, port, as_of, broad_length));
                }
                entry.2.push(request);
            }
        }
        for (vm_key, (vm_id, grants, requests)) in by_vm {
            let scanned = vm_by_key.get(&vm_key).copied();
            out.push(VmAccessAudit {
                vm_name: scanned.map_or_else(|| last_segment(&vm_id), |v| v.name.clone()),
                in_scan: scanned.is_some(),
                last_access: last_access(&vm_key, &requests),
                vm_id,
                policy_id: policy.id.clone(),
                policy_name: policy.name.clone(),
                grants,
                allow_rules: Vec::new(),
            });
        }
    }
    let mut index: HashMap<(String, String), usize> = out
        .iter()
        .enumerate()
        .map(|(i, a)| ((key(&a.vm_id), key(&a.policy_id)), i))
        .collect();
    let listed: HashMap<String, bool> = inventory
        .jit_policies
        .iter()
        .map(|p| (key(&p.id), p.requests_listed))
        .collect();
    // Template policies are not judged: no request is made under a policy not yet deployed.
    for vm in vms {
        let Some(facts) = vm.jit.as_deref().filter(|f| !f.policy_from_template) else {
            continue;
        };
        let rules = allow_rules::found(facts);
        if rules.is_empty() {
            continue;
        }
        let policy_key = key(&facts.policy_id);
        let at = *index
            .entry((key(&vm.id), policy_key.clone()))
            .or_insert_with(|| {
                out.push(VmAccessAudit {
                    vm_id: vm.id.clone(),
                    vm_name: vm.name.clone(),
                    in_scan: true,
                    policy_id: facts.policy_id.clone(),
                    policy_name: facts.policy_name.clone(),
                    grants: Vec::new(),
                    last_access: Vec::new(),
                    allow_rules: Vec::new(),
                });
                out.len() - 1
            });
        if let Some(audit) = out.get_mut(at) {
            let listed = listed.get(&policy_key).copied().unwrap_or(false);
            allow_rules::judge(audit, rules, listed, as_of);
        }
    }
    out.sort_by(|a, b| {
        (&a.vm_name, &a.vm_id, &a.policy_id).cmp(&(&b.vm_name, &b.vm_id, &b.policy_id))
    });
    out
}

fn last_segment(id: &str) -> String {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(id)
        .to_owned()
}

/// One port of a request, judged.
fn grant(
    policy: &JitPolicy,
    vm_id: &str,
    request: &JitRequest,
    port: &JitRequestPort,
    as_of: i64,
    broad_length: u8,
) -> Grant {
    let mut notes = Vec::new();
    let start = request.start.as_deref().and_then(utc_seconds);
    let end = port.end.as_deref().and_then(utc_seconds);
    let (state, state_reason) = state(port.status.as_deref(), start, end, as_of);
    let duration = match (start, end) {
        (Some(s), Some(e)) => u64::try_from(e - s).ok(),
        _ => None,
    };
    let rule = policy
        .virtual_machines
        .iter()
        .filter(|v| key(&v.id) == key(vm_id))
        .flat_map(|v| v.port_rules())
        .find(|r| r.number.is_some() && r.number == port.number);
    let allowed = rule.as_ref().and_then(|r| r.max_seconds());
    let longer_than_allowed = match (duration, allowed) {
        (Some(d), Some(a)) => Some(d > a),
        _ => None,
    };
    if duration.is_none() {
        notes.push("the grant's length is not known: startTimeUtc or endTimeUtc is missing or not a UTC time, or ends before it starts".to_owned());
    }
    match (&rule, port.number) {
        (None, Some(n)) => notes.push(format!(
            "port {n} is not in the policy for this VM (now): its allowed length is not known"
        )),
        (None, None) => notes.push("the port number is missing or not a port".to_owned()),
        (Some(r), _) if allowed.is_none() => notes.push(format!(
            "the policy's maxRequestAccessDuration for the port is {}: not an ISO 8601 duration",
            r.max_duration.as_deref().unwrap_or("missing")
        )),
        _ => {}
    }
    if port.sources.is_empty() {
        notes.push("the grant names no source address".to_owned());
    }
    let justification = request
        .justification
        .clone()
        .filter(|j| !j.trim().is_empty());
    Grant {
        requestor: request.requestor.clone(),
        without_justification: justification.is_none(),
        justification,
        start: request.start.clone(),
        port: port.number,
        broad_source: port.sources.iter().any(|s| broad(s, broad_length)),
        sources: port.sources.clone(),
        end: port.end.clone(),
        status: port.status.clone(),
        status_reason: port.status_reason.clone(),
        state,
        state_reason,
        duration_seconds: duration,
        max_duration: rule.and_then(|r| r.max_duration),
        longer_than_allowed,
        notes,
        nsg_rules: Vec::new(),
    }
}

/// A grant's state at `as_of`: `Revoked` when the export says so; otherwise by its times.
/// A status other than the schema's `Initiated` leaves an in-window grant undecided.
fn state(
    status: Option<&str>,
    start: Option<i64>,
    end: Option<i64>,
    as_of: i64,
) -> (GrantState, Option<String>) {
    if status.is_some_and(|s| s.eq_ignore_ascii_case("Revoked")) {
        return (GrantState::Revoked, None);
    }
    let Some(end) = end else {
        return (
            GrantState::Unknown,
            Some("endTimeUtc is missing or not a UTC time".to_owned()),
        );
    };
    if end <= as_of {
        return (GrantState::Ended, None);
    }
    if start.is_some_and(|s| s > as_of) {
        return (GrantState::NotStarted, None);
    }
    match status {
        Some(s) if s.eq_ignore_ascii_case("Initiated") && start.is_some() => {
            (GrantState::Active, None)
        }
        Some(s) if s.eq_ignore_ascii_case("Initiated") => (
            GrantState::Unknown,
            Some("startTimeUtc is missing or not a UTC time".to_owned()),
        ),
        _ => (
            GrantState::Unknown,
            Some(format!(
                "status is {}, not Initiated or Revoked",
                status.map_or_else(|| "missing".to_owned(), |s| format!("'{s}'"))
            )),
        ),
    }
}

/// `*`, `Internet`, `Any`, or a prefix holding more public addresses than one of `length` bits.
pub fn broad(source: &str, length: u8) -> bool {
    let s = source.trim();
    if s == "*" || s.eq_ignore_ascii_case("internet") || s.eq_ignore_ascii_case("any") {
        return true;
    }
    let Ok(net) = s.parse::<IpNet>() else {
        return false;
    };
    let addresses = Addresses::of_prefix(&net).intersection(public());
    addresses.v4.count() > block_size(32, length) || addresses.v6.count() > block_size(128, length)
}

/// Per requestor, the request with the latest `startTimeUtc` (requests whose start is not a
/// UTC time are left out: they cannot be ordered).
fn last_access(vm_key: &str, requests: &[&JitRequest]) -> Vec<LastAccess> {
    let mut latest: BTreeMap<Option<String>, (i64, &JitRequest)> = BTreeMap::new();
    for request in requests {
        let Some(start) = request.start.as_deref().and_then(utc_seconds) else {
            continue;
        };
        let slot = latest
            .entry(request.requestor.clone())
            .or_insert((start, request));
        if start > slot.0 {
            *slot = (start, request);
        }
    }
    latest
        .into_iter()
        .map(|(requestor, (_, request))| {
            let mut ports: Vec<u16> = request
                .virtual_machines
                .iter()
                .filter(|v| key(&v.id) == vm_key)
                .flat_map(|v| v.ports.iter().filter_map(|p| p.number))
                .collect();
            ports.sort_unstable();
            ports.dedup();
            LastAccess {
                requestor,
                start: request.start.clone().unwrap_or_default(),
                ports,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
