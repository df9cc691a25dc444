//! FINDINGS: the rule catalogue and the findings each rule raises on classified VMs.
//!
//! One rule per file, each listed once in [`REGISTRY`] with a stable id (`JIT001`...), a
//! kebab-case name for the bad state, a summary, a full description, help text (what it flags,
//! why, how to fix, an example) and a default severity. The help is written once here and reused
//! by SARIF, HTML and `jitscan explain`. Rules read classified VMs only: never files, never
//! NSGs directly.

mod admin_rule;
mod broad_nsg_write;
mod broad_source;
mod dnat;
mod exposed_without_nsg;
mod guest_or_app_bypass;
mod iac_reverts_jit;
mod jit_bypassers;
mod jit_deny_missing;
mod jit_policy_weak;
mod jit_port_open;
mod load_balancer;
mod message;
mod open_port;
mod undecidable;

use rayon::prelude::*;

pub use message::Message;

pub(crate) use crate::classify::established;
use crate::classify::{port_name, VmResult};
use crate::eval::paths::{PathIn, PathKind};
use crate::eval::vm::PortEvaluation;
use crate::eval::Confidence;
use crate::source::Origin;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Informational.
    Note,
    /// Should be looked at.
    Warning,
    /// Must be fixed.
    Error,
}

impl Level {
    /// SARIF level name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// A rule's fixed metadata.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, e.g. `JIT001`.
    pub id: &'static str,
    /// Kebab-case name of the bad state.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Full description (one paragraph).
    pub description: &'static str,
    /// Help in Markdown: what it flags, why it matters, how to fix it, an example.
    pub help_markdown: &'static str,
    /// Default level.
    pub level: Level,
    /// GitHub code scanning `security-severity` (0.0-10.0, as a string).
    pub security_severity: &'static str,
    /// SARIF precision (`very-high`, `high`, `medium`, `low`).
    pub precision: &'static str,
    /// Raises the rule's findings for one VM.
    pub check: fn(&'static Rule, &VmResult, &Settings) -> Vec<Finding>,
}

/// The settings rules read (`findings:` in jitscan.yaml, or the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// JIT006 flags public ranges holding more addresses than a prefix of this length (1-32,
    /// both address families; default 8).
    pub broad_source_prefix_length: u8,
    /// JIT011 flags JIT port rules that allow requests longer than this (seconds; default
    /// three hours, `PT3H`, the duration Defender for Cloud proposes).
    pub jit_max_request_seconds: u64,
    /// Levels set in place of rules' defaults (`findings.levels`), by rule id.
    pub levels: Vec<(&'static str, Level)>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            broad_source_prefix_length: 8,
            jit_max_request_seconds: 3 * 3600,
            levels: Vec::new(),
        }
    }
}

/// Every rule, in id order.
pub static REGISTRY: [&Rule; 14] = [
    &open_port::RULE,
    &exposed_without_nsg::RULE,
    &load_balancer::RULE,
    &dnat::RULE,
    &undecidable::RULE,
    &broad_source::RULE,
    &admin_rule::RULE,
    &jit_port_open::RULE,
    &jit_deny_missing::RULE,
    &iac_reverts_jit::RULE,
    &jit_policy_weak::RULE,
    &jit_bypassers::RULE,
    &guest_or_app_bypass::RULE,
    &broad_nsg_write::RULE,
];

/// Looks a rule up by id or name (case-insensitive).
pub fn find_rule(id_or_name: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .copied()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name))
}

/// A finding's state against the baseline the scan was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineState {
    /// Its fingerprint is not in the baseline: it counts for `--fail-on`.
    New,
    /// Its fingerprint is in the baseline: reported, but it does not fail the gate.
    Unchanged,
}

impl BaselineState {
    /// The name SARIF (`baselineState`) and the JSON report use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Unchanged => "unchanged",
        }
    }
}

/// A place related to a finding (an NSG rule, a path).
#[derive(Debug, Clone)]
pub struct Related {
    /// Where.
    pub origin: Origin,
    /// What it is (the input's values marked).
    pub message: Message,
    /// What kind of place it is, so a report can point at the one a fix would touch.
    pub role: Role,
}

/// The kind of place a related location is: the deciding rule is the line a fix edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A security admin rule that always allows the port (evaluated ahead of every NSG).
    AdminAlwaysAllows,
    /// An NSG (or security admin) rule that allows the port: removing or narrowing it closes it.
    Allows,
    /// Any other NSG rule cited as evidence (a deny, a default rule's NSG).
    OtherRule,
    /// A path in from the Internet of this kind (its rule or, when it has none, its resource).
    Path(PathKind),
}

/// The roles a fix would touch for a finding that a path in makes (an NSG allow first, then the
/// path: a public IP, a load balancer, a firewall DNAT rule); an AlwaysAllow admin rule ahead of
/// them all, as Azure evaluates it first.
const NSG_FIRST: [Role; 6] = [
    Role::AdminAlwaysAllows,
    Role::Allows,
    Role::Path(PathKind::PublicIp),
    Role::Path(PathKind::LoadBalancerNat),
    Role::Path(PathKind::LoadBalancerRule),
    Role::Path(PathKind::FirewallDnat),
];

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `config` (jitscan.yaml) or `tag` (jitscan-ignore on the resource).
    pub kind: &'static str,
    /// The justification given.
    pub reason: String,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// Level (the rule's default).
    pub level: Level,
    /// Confidence of the underlying verdict.
    pub confidence: Confidence,
    /// Why not certain.
    pub confidence_reason: Option<String>,
    /// VM id.
    pub vm_id: String,
    /// VM name.
    pub vm_name: String,
    /// The port, for per-port findings.
    pub port: Option<u16>,
    /// Specific message (the input's values marked).
    pub message: Message,
    /// The VM's declaration.
    pub location: Origin,
    /// Related places.
    pub related: Vec<Related>,
    /// The related place a fix would edit (an index into `related`): reports show it as the
    /// finding's primary location, the VM beside it. `None`: the VM's declaration is the place.
    pub deciding: Option<usize>,
    /// Names the finding across runs (see `crate::baseline`); set once the scan's roots are
    /// known, empty before.
    pub fingerprint: String,
    /// New or unchanged against the baseline the scan was given; `None` without one.
    pub baseline_state: Option<BaselineState>,
    /// Set when suppressed.
    pub suppression: Option<Suppression>,
    /// Notes about suppressions that did not apply (expired).
    pub suppression_notes: Vec<String>,
}

impl Finding {
    fn new(rule: &'static Rule, vm: &VmResult, port: Option<u16>, message: Message) -> Self {
        let (confidence, confidence_reason) = vm.confidence();
        Self {
            rule,
            level: rule.level,
            confidence,
            confidence_reason,
            vm_id: vm.id.clone(),
            vm_name: vm.name.clone(),
            port,
            message,
            location: vm.origin.clone(),
            related: Vec::new(),
            deciding: None,
            fingerprint: String::new(),
            baseline_state: None,
            suppression: None,
            suppression_notes: Vec::new(),
        }
    }
}

/// Runs every rule on every VM; findings come out sorted (VM order, then rule, then port).
pub fn findings(vms: &[VmResult], settings: &Settings) -> Vec<Finding> {
    vms.par_iter()
        .flat_map_iter(|vm| {
            REGISTRY.iter().flat_map(move |rule| {
                let level = settings
                    .levels
                    .iter()
                    .find(|(id, _)| *id == rule.id)
                    .map(|(_, level)| *level);
                (rule.check)(rule, vm, settings)
                    .into_iter()
                    .map(move |mut f| {
                        if let Some(level) = level {
                            f.level = level;
                        }
                        f
                    })
            })
        })
        .collect()
}

/// Sets the related places and picks the deciding one: the first place with the first role of
/// `prefer` that any of them has.
fn relate(finding: &mut Finding, related: Vec<Related>, prefer: &[Role]) {
    finding.deciding = prefer
        .iter()
        .find_map(|role| related.iter().position(|r| r.role == *role));
    finding.related = related;
}

/// Related locations for a port: the deciding NSG rules and the paths that reach it.
fn related_for(port: &PortEvaluation) -> Vec<Related> {
    let mut out = Vec::new();
    for e in &port.evidence {
        if let Some(origin) = &e.origin {
            let mut message = Message::default();
            let owner = if e.level == crate::eval::NsgLevel::NetworkManager {
                "security admin rule collection '"
            } else {
                " NSG '"
            };
            if e.level != crate::eval::NsgLevel::NetworkManager {
                message.words(e.level.as_str());
            }
            message
                .words(owner)
                .value(&e.nsg)
                .words("' rule '")
                .value(&e.rule)
                .words("' (")
                .words(e.access.as_str())
                .words(", priority ")
                .words(&e.priority.map_or("?".to_owned(), |p| p.to_string()))
                .words(&format!(") decides port {}", port.port));
            let allows = e.access == crate::model::Access::Allow;
            let role = if allows && e.level == crate::eval::NsgLevel::NetworkManager {
                Role::AdminAlwaysAllows
            } else if allows {
                Role::Allows
            } else {
                Role::OtherRule
            };
            out.push(Related {
                origin: origin.clone(),
                message,
                role,
            });
        }
    }
    for (path, reaches) in &port.paths {
        if let (Some(origin), true) = (&path.origin, reaches) {
            let mut message = Message::default();
            message
                .words(path.kind.as_str())
                .words(" via '")
                .value(&path.via)
                .words("'");
            if let Some(rule) = &path.rule {
                message.words(" rule '").value(rule.as_str()).words("'");
            }
            out.push(Related {
                origin: origin.clone(),
                message,
                role: Role::Path(path.kind),
            });
        }
    }
    out
}

/// A message opening with what `vm` is and its name: `VM 'x'` or `Scale set 'x'`.
fn named_by_kind(vm: &VmResult) -> Message {
    let mut message = Message::default();
    message
        .words(match vm.kind {
            crate::model::VmKind::VirtualMachine => "VM '",
            crate::model::VmKind::VirtualMachineScaleSet => "Scale set '",
        })
        .value(&vm.name)
        .words("'");
    message
}

/// "port 22 (SSH)".
fn port_label(port: u16) -> String {
    format!("port {port} ({})", port_name(port))
}

/// `'via' rule 'name' (frontend)`.
fn path_label(p: &PathIn) -> Message {
    let mut message = Message::default();
    message.words("'").value(&p.via).words("'");
    if let Some(rule) = &p.rule {
        message.words(" rule '").value(rule.as_str()).words("'");
    }
    if let Some(front) = &p.frontend {
        message.words(" (").value(front).words(")");
    }
    message
}

/// Paths of `kind` that reach the port, established ones only (see [`established`]).
fn reaching(port: &PortEvaluation, kind: PathKind) -> Vec<Message> {
    port.paths
        .iter()
        .filter(|(p, reaches)| *reaches && p.kind == kind && established(p))
        .map(|(p, _)| path_label(p))
        .collect()
}

/// The paths `select` picks for the port, every kind in turn, each as `kind 'via' ...`.
pub(super) fn kinds_of(
    port: &PortEvaluation,
    select: fn(&PortEvaluation, PathKind) -> Vec<Message>,
) -> Vec<Message> {
    kinds_among(port, select, &PATH_KINDS)
}

/// Every kind of path in, in the order messages list them.
const PATH_KINDS: [PathKind; 4] = [
    PathKind::PublicIp,
    PathKind::LoadBalancerNat,
    PathKind::LoadBalancerRule,
    PathKind::FirewallDnat,
];

/// [`kinds_of`] over the given kinds only.
pub(super) fn kinds_among(
    port: &PortEvaluation,
    select: fn(&PortEvaluation, PathKind) -> Vec<Message>,
    kinds: &[PathKind],
) -> Vec<Message> {
    kinds
        .iter()
        .flat_map(|k| {
            select(port, *k).into_iter().map(move |p| {
                let mut path = Message::default();
                path.words(k.as_str()).words(" ").append(&p);
                path
            })
        })
        .collect()
}

/// "port 22" or "ports 3389, 5985".
pub(crate) fn ports_text(ports: &[u16]) -> String {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    format!(
        "{} {}",
        if ports.len() == 1 { "port" } else { "ports" },
        list.join(", ")
    )
}

/// Ends a message with how the port is reached: the established paths, the ones that may
/// exist, or that no path reaches it yet.
fn reached_via(message: &mut Message, paths: &[Message], maybe: &[Message]) {
    if !paths.is_empty() {
        message
            .words("; reachable via ")
            .append(&Message::join(paths, ", "));
    }
    if !maybe.is_empty() {
        message
            .words("; may be reachable via ")
            .append(&Message::join(maybe, ", "));
    }
    if paths.is_empty() && maybe.is_empty() {
        message.words(
            "; no path from the Internet reaches it yet (no public IP, load balancer or DNAT)",
        );
    }
}

/// Paths of `kind` that reach the port only in the fail-safe reading: they may exist.
pub(super) fn maybe_reaching(port: &PortEvaluation, kind: PathKind) -> Vec<Message> {
    port.paths
        .iter()
        .filter(|(p, reaches)| *reaches && p.kind == kind && !established(p))
        .map(|(p, _)| path_label(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique_and_well_formed() {
        let mut ids: Vec<&str> = REGISTRY.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), REGISTRY.len());
        for rule in REGISTRY {
            assert!(
                rule.id.starts_with("JIT") && rule.id.len() == 6,
                "{}",
                rule.id
            );
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.name
            );
            for heading in [
                "## What it flags",
                "## Why it matters",
                "## How to fix",
                "## Example",
            ] {
                assert!(
                    rule.help_markdown.contains(heading),
                    "{} lacks {heading}",
                    rule.id
                );
            }
            let severity: f64 = rule.security_severity.parse().unwrap_or(-1.0);
            assert!((0.0..=10.0).contains(&severity), "{}", rule.id);
            assert!(find_rule(rule.id).is_some() && find_rule(rule.name).is_some());
        }
    }
}
