//! CLASSIFY: one classification per VM, with its reason, the way Defender for Cloud's JIT
//! recommendation decides (see docs/verdicts.md):
//! JIT policy -> healthy; scale set -> notApplicable; no NSG and no firewall -> notApplicable;
//! a management port open to the Internet -> unhealthy; otherwise healthy.
//!
//! Takes evaluated facts; never reads files and never evaluates rules itself.

use crate::eval::mode::Uncertainty;
use crate::eval::nsg::Match;
use crate::eval::paths::PathIn;
use crate::eval::vm::{judge, ModeFacts, PortEvaluation};
use crate::eval::{ClassificationInput, Confidence, Judged, NsgVerdict};
use crate::model::{OsType, VmKind};
use crate::source::Origin;

/// The three classifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Classification {
    /// JIT recommended: a management port is open to the Internet.
    Unhealthy,
    /// JIT does not apply (no NSG and no firewall, or a scale set).
    NotApplicable,
    /// JIT enabled, or every management port closed to the Internet.
    Healthy,
}

impl Classification {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::NotApplicable => "notApplicable",
        }
    }
}

/// Why a VM got its classification (stable codes for reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonCode {
    /// A JIT policy covers the VM.
    JitEnabled,
    /// Scale sets are not covered by JIT.
    ScaleSet,
    /// No NSG and no firewall.
    NoNsgNoFirewall,
    /// Some management port is open to the Internet.
    ManagementPortOpen,
    /// Every management port is closed to the Internet.
    ManagementPortsClosed,
}

impl ReasonCode {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JitEnabled => "jitEnabled",
            Self::ScaleSet => "scaleSetNotSupported",
            Self::NoNsgNoFirewall => "noNsgNoFirewall",
            Self::ManagementPortOpen => "managementPortOpen",
            Self::ManagementPortsClosed => "managementPortsClosed",
        }
    }
}

/// A classified VM, owning everything reports need.
#[derive(Debug, Clone)]
pub struct VmResult {
    /// Resource id.
    pub id: String,
    /// Resolved name.
    pub name: String,
    /// Name as written.
    pub declared_name: String,
    /// VM or scale set.
    pub kind: VmKind,
    /// OS family when known.
    pub os: Option<OsType>,
    /// Declaration.
    pub origin: Origin,
    /// Classification with confidence.
    pub classification: Judged<Classification>,
    /// Reason code.
    pub reason_code: ReasonCode,
    /// Human reason.
    pub reason: String,
    /// The JIT policy covering it (name).
    pub jit_policy: Option<String>,
    /// JIT's layer, when a policy covers it: its port rules and JIT's rules on the path.
    pub jit: Option<Box<crate::eval::jit::JitFacts>>,
    /// Why a firewall is in front, if one is.
    pub firewall_in_front: Option<String>,
    /// Per port.
    pub ports: Vec<PortEvaluation>,
    /// Links that point outside the input.
    pub missing: Vec<String>,
    /// Things assumed to deploy it.
    pub assumptions: Vec<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Power state, when known.
    pub power_state: Option<String>,
    /// Azure region, when known.
    pub location: Option<String>,
    /// True when declared in an ARM template.
    pub from_template: bool,
}

impl VmResult {
    /// True when some port is exposed (certain or assumed).
    pub fn internet_exposed(&self) -> bool {
        self.ports.iter().any(|p| {
            p.internet_exposed.value && p.internet_exposed.confidence != Confidence::Unknown
        })
    }

    /// Overall confidence: the worst of the classification and the ports.
    pub fn confidence(&self) -> (Confidence, Option<String>) {
        let mut worst = (
            self.classification.confidence,
            self.classification.reason.clone(),
        );
        for port in &self.ports {
            for j in [
                &port.nsg_verdict.confidence,
                &port.internet_exposed.confidence,
            ] {
                if *j > worst.0 {
                    worst = (
                        *j,
                        port.nsg_verdict
                            .reason
                            .clone()
                            .or_else(|| port.internet_exposed.reason.clone()),
                    );
                }
            }
        }
        worst
    }
}

/// Well-known names of management ports.
pub fn port_name(port: u16) -> &'static str {
    match port {
        22 => "SSH",
        3389 => "RDP",
        5985 => "WinRM-HTTP",
        5986 => "WinRM-HTTPS",
        _ => "TCP",
    }
}

fn classify_mode(
    input: &ClassificationInput<'_>,
    facts: &ModeFacts,
) -> (Classification, ReasonCode) {
    if input.jit.is_some() {
        (Classification::Healthy, ReasonCode::JitEnabled)
    } else if input.vm.kind == VmKind::VirtualMachineScaleSet {
        (Classification::NotApplicable, ReasonCode::ScaleSet)
    } else if !facts.has_nsg && facts.firewall_in_front.is_none() {
        (Classification::NotApplicable, ReasonCode::NoNsgNoFirewall)
    } else if !facts.open_ports.is_empty() {
        (Classification::Unhealthy, ReasonCode::ManagementPortOpen)
    } else {
        (Classification::Healthy, ReasonCode::ManagementPortsClosed)
    }
}

/// Classifies one evaluated VM.
pub fn classify(input: ClassificationInput<'_>) -> VmResult {
    let runs = input
        .modes
        .as_ref()
        .map(|facts| classify_mode(&input, facts));
    let judged = judge(runs, &input.uncertain);
    let (classification, reason_code) = judged.value;
    // The reason is the open run's, the outcome reported (a port that may be open says so).
    // The firewall in front is the open run's too when the classification is undecidable (the
    // fail-safe); otherwise the run that resolves only unknown facts closed tells it, so a
    // firewall that may forward (its policy rules not in the input) is not stated as one in
    // front of a VM whose classification does not depend on it.
    let open = &input.modes.open;
    let firewall = if judged.confidence == Confidence::Unknown {
        open.firewall_in_front.as_ref()
    } else {
        input.modes.assumed_open.firewall_in_front.as_ref()
    };
    let reason = reason_text(&input, reason_code, open, firewall);
    let vm = input.vm;
    VmResult {
        id: vm.id.clone(),
        name: vm.name.clone(),
        declared_name: vm.declared_name.clone(),
        kind: vm.kind,
        os: vm.os,
        origin: vm.origin.clone(),
        classification: Judged {
            value: classification,
            confidence: judged.confidence,
            reason: judged.reason,
        },
        reason_code,
        reason,
        jit_policy: input.jit.map(|p| p.name.clone()),
        jit: input.jit_facts.map(Box::new),
        firewall_in_front: firewall.cloned(),
        ports: input.ports,
        missing: input.missing,
        assumptions: vm.assumptions.clone(),
        tags: vm.tags.clone(),
        power_state: vm.power_state.clone(),
        location: vm.location.clone(),
        from_template: vm.from_template,
    }
}

fn reason_text(
    input: &ClassificationInput<'_>,
    code: ReasonCode,
    facts: &ModeFacts,
    firewall: Option<&String>,
) -> String {
    match code {
        ReasonCode::JitEnabled => format!(
            "JIT VM access is enabled: policy '{}' covers this VM",
            input.jit.map_or("?", |p| p.name.as_str())
        ),
        ReasonCode::ScaleSet => "JIT VM access does not support virtual machine scale sets; exposure is reported for information".to_owned(),
        ReasonCode::NoNsgNoFirewall => "no network security group on any of its network interfaces or subnets and no Azure Firewall in front: JIT cannot be applied (add an NSG first)".to_owned(),
        ReasonCode::ManagementPortOpen => {
            let parts: Vec<String> = input.ports.iter().filter(|p| facts.open_ports.contains(&p.port)).map(describe_open_port).collect();
            format!("management port open to the Internet: {}", parts.join("; "))
        }
        ReasonCode::ManagementPortsClosed => {
            let guard = firewall.map_or_else(|| "its network security groups".to_owned(), |f| format!("its network security groups and {f}"));
            format!("no management port is open to the Internet: {guard} leave every one closed")
        }
    }
}

fn describe_open_port(port: &PortEvaluation) -> String {
    let mut text = format!("{} ({})", port.port, port_name(port.port));
    if port.open.confidence == Confidence::Unknown {
        text.push_str(&format!(
            " may be open: the input does not decide it ({})",
            port.open
                .reason
                .as_deref()
                .unwrap_or("an undecidable value")
        ));
        return text;
    }
    let allowing: Vec<String> = port
        .evidence
        .iter()
        .filter(|e| e.access == crate::model::Access::Allow && !e.rule.is_empty())
        .map(|e| {
            let owner = if e.level == crate::eval::NsgLevel::NetworkManager {
                "AlwaysAllow security admin rule collection"
            } else {
                "NSG"
            };
            format!(
                "{owner} '{}' rule '{}' (priority {}) allows it",
                e.nsg,
                e.rule,
                e.priority.map_or("?".to_owned(), |p| p.to_string())
            )
        })
        .collect();
    if !allowing.is_empty() {
        text.push_str(&format!(" — {}", dedup(allowing).join(", ")));
    } else if port.nsg_verdict.value == NsgVerdict::Unfiltered {
        text.push_str(" — no NSG filters it");
    }
    // A path that exists only in the fail-safe reading (its own existence unknown) is one
    // that may reach, never stated as reaching.
    let reaching = |stated: bool| -> Vec<String> {
        port.paths
            .iter()
            .filter(|(p, reaches)| *reaches && established(p) == stated)
            .map(|(p, _)| {
                format!(
                    "{} '{}'{}",
                    p.kind.as_str(),
                    p.via,
                    p.rule
                        .as_ref()
                        .map(|r| format!(" rule '{r}'"))
                        .unwrap_or_default()
                )
            })
            .collect()
    };
    for (established, words) in [(true, "reachable via"), (false, "may be reachable via")] {
        let paths = reaching(established);
        if !paths.is_empty() {
            text.push_str(&format!("; {words} {}", dedup(paths).join(", ")));
        }
    }
    text
}

fn dedup(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items
}

/// Whether a path's own existence rests on nothing the input leaves unknown. The reported
/// paths are the fail-safe (open) reading's, where a path that may exist reaches: a finding
/// states such a path only as one that *may* reach (a firewall whose policy rules are not in
/// the input, a load balancer frontend outside it, a DNAT rule with undecided sources). An
/// assumed path (a dynamic address inferred) is stated, with the finding's confidence.
pub fn established(path: &PathIn) -> bool {
    let unknown = |m: &Match| matches!(m, Match::Maybe(Uncertainty::Unknown, _));
    !unknown(&path.reaches) && !unknown(&path.internet_wide)
}

/// Uncertainty name for reasons.
pub fn level_name(level: Uncertainty) -> &'static str {
    match level {
        Uncertainty::Assumed => "assumed",
        Uncertainty::Unknown => "unknown",
    }
}
