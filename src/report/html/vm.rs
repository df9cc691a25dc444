//! REPORT (html): the view of one VM: its verdict, per-port evidence, paths in and findings.
//!
//! Arranges what classification and the rules decided into display-ready values (labels,
//! CSS classes, joined lists). It must not evaluate anything: every "yes"/"no" shown here is a
//! field of the scan result. The suggested fix lives in [`super::fix`].

use std::collections::HashMap;

use super::breakdown::id_scope;
use super::evidence::{
    evidence_rows, path_rows, specific_rows, EvidenceView, PathView, SpecificView,
};
use super::fix::{fix_for, Fix};
use crate::classify::{port_name, Classification, VmResult};
use crate::eval::vm::PortEvaluation;
use crate::eval::{Confidence, Judged};
use crate::model::{OsType, VmKind};
use crate::rules::Finding;

/// One VM or scale set, ready to print.
#[derive(Debug)]
pub(crate) struct VmView {
    /// 1-based position in display order.
    pub(crate) position: usize,
    /// Fragment id of its section.
    pub(crate) anchor: String,
    /// Resolved name.
    pub(crate) name: String,
    /// Name as written in the template, when it differs.
    pub(crate) declared_name: Option<String>,
    /// Resource id.
    pub(crate) id: String,
    /// "Virtual machine" or "Scale set".
    pub(crate) kind: &'static str,
    /// "Linux", "Windows" or "not stated".
    pub(crate) os: &'static str,
    /// The common folder of all inputs, shown dimmed before `source`.
    pub(crate) source_root: String,
    /// `file:line`, below `source_root`.
    pub(crate) source: String,
    /// Classification key (`unhealthy`, `notApplicable`, `healthy`), also the CSS class.
    pub(crate) classification: &'static str,
    /// Human label of the classification.
    pub(crate) class_label: &'static str,
    /// Overall confidence.
    pub(crate) confidence: &'static str,
    /// Why not certain.
    pub(crate) confidence_reason: Option<String>,
    /// The reason sentence.
    pub(crate) reason: String,
    /// A management port is reachable from the Internet.
    pub(crate) exposed: bool,
    /// Ports reachable from the Internet, e.g. `22 (SSH)`; empty when none.
    pub(crate) exposed_ports: String,
    /// The JIT policy covering it.
    pub(crate) jit_policy: Option<String>,
    /// Why a firewall is in front.
    pub(crate) firewall: Option<String>,
    /// Per management port.
    pub(crate) ports: Vec<PortView>,
    /// The NSG rules that decided, in evaluation order, one row per rule with its ports.
    pub(crate) evidence: Vec<EvidenceView>,
    /// Paths in from the Internet, one row per path with the ports it reaches.
    pub(crate) paths: Vec<PathView>,
    /// Allow rules for named sources only.
    pub(crate) specific: Vec<SpecificView>,
    /// References that point outside the input.
    pub(crate) missing: Vec<String>,
    /// Assumptions made to deploy it.
    pub(crate) assumptions: Vec<String>,
    /// The suggested fix.
    pub(crate) fix: Fix,
    /// Findings raised for it, suppressed ones included.
    pub(crate) findings: Vec<FindingView>,
    /// Shown as a full card (unhealthy or exposed); otherwise as a compact, expandable row.
    pub(crate) full: bool,
    /// Subscription from the id, empty when not stated.
    pub(crate) subscription: String,
    /// Resource group from the id, empty when not stated.
    pub(crate) resource_group: String,
    /// What the filter matches, each a space-separated list.
    pub(crate) filter: FilterView,
    /// Who can open it (only when the scan read role inputs).
    pub(crate) access: Option<super::access::VmAccessView>,
}

/// The values the page's filter matches a VM by (its `data-*` attributes).
#[derive(Debug, Default)]
pub(crate) struct FilterView {
    /// NSG names of the deciding rules.
    pub(crate) nsgs: String,
    /// Names of the deciding NSG rules and of the NAT, load-balancing and DNAT rules of its
    /// paths in.
    pub(crate) rules: String,
    /// Ports open to or reachable from the Internet (certain or assumed).
    pub(crate) ports: String,
    /// Ranks of the top offending rules that open its ports.
    pub(crate) offenders: String,
}

/// One management port of one VM.
#[derive(Debug)]
pub(crate) struct PortView {
    /// Port number.
    pub(crate) port: u16,
    /// Service name.
    pub(crate) service: &'static str,
    /// NSG verdict for an Internet source.
    pub(crate) verdict: &'static str,
    /// Open to the Internet: `yes`, `no` or `unknown`.
    pub(crate) open: &'static str,
    /// Reachable from the Internet: `yes`, `no` or `unknown`.
    pub(crate) exposed: &'static str,
    /// Worst confidence of the three verdicts.
    pub(crate) confidence: &'static str,
    /// Why not certain.
    pub(crate) confidence_reason: Option<String>,
}

/// One finding, as listed under its VM.
#[derive(Debug)]
pub(crate) struct FindingView {
    /// Rule id.
    pub(crate) rule_id: &'static str,
    /// Rule name.
    pub(crate) rule_name: &'static str,
    /// `error`, `warning` or `note`.
    pub(crate) level: &'static str,
    /// The specific message.
    pub(crate) message: String,
    /// Confidence of the verdict behind it.
    pub(crate) confidence: &'static str,
    /// `config` or `tag` with the justification, when suppressed.
    pub(crate) suppression: Option<String>,
    /// Notes on suppressions that did not apply.
    pub(crate) suppression_notes: Vec<String>,
}

/// Findings grouped by the VM they belong to (id, file, pointer: ids repeat across templates
/// that share the placeholder deployment context).
pub(crate) type FindingIndex<'r> = HashMap<(&'r str, &'r str, &'r str), Vec<&'r Finding>>;

/// Groups findings by VM.
pub(crate) fn index_findings(findings: &[Finding]) -> FindingIndex<'_> {
    let mut index: FindingIndex<'_> = HashMap::new();
    for f in findings {
        let key = (f.vm_id.as_str(), f.location.path(), &*f.location.pointer);
        index.entry(key).or_default().push(f);
    }
    index
}

/// Display order: unhealthy, then notApplicable, then healthy; exposed first within each;
/// otherwise the scan's (sorted) order.
pub(crate) fn display_rank(vm: &VmResult) -> (u8, bool) {
    let class = match vm.classification.value {
        Classification::Unhealthy => 0,
        Classification::NotApplicable => 1,
        Classification::Healthy => 2,
    };
    (class, !vm.internet_exposed())
}

/// Human label of a classification.
pub(crate) fn class_label(c: Classification) -> &'static str {
    match c {
        Classification::Unhealthy => "Unhealthy",
        Classification::NotApplicable => "Not applicable",
        Classification::Healthy => "Healthy",
    }
}

/// Builds the view of one VM; `position` (1-based, display order) makes the anchor unique.
pub(crate) fn vm_view(
    vm: &VmResult,
    position: usize,
    findings: &FindingIndex<'_>,
    root: &str,
) -> VmView {
    let (confidence, confidence_reason) = vm.confidence();
    let (line, _) = vm.origin.line_col();
    let (source_root, file) = super::split_root(vm.origin.path(), root);
    let exposed_ports: Vec<String> = vm
        .ports
        .iter()
        .filter(|p| {
            p.internet_exposed.value && p.internet_exposed.confidence != Confidence::Unknown
        })
        .map(|p| format!("{} ({})", p.port, port_name(p.port)))
        .collect();
    let key = (vm.id.as_str(), vm.origin.path(), &*vm.origin.pointer);
    let (subscription, resource_group) = id_scope(vm);
    let exposed = vm.internet_exposed();
    VmView {
        full: exposed || vm.classification.value == Classification::Unhealthy,
        subscription: subscription.unwrap_or_default(),
        resource_group: resource_group.unwrap_or_default(),
        filter: filter_view(vm),
        access: super::access::vm_access_view(vm),
        position,
        anchor: vm_anchor(position, &vm.name),
        name: vm.name.clone(),
        declared_name: (vm.declared_name != vm.name).then(|| vm.declared_name.clone()),
        id: vm.id.clone(),
        kind: match vm.kind {
            VmKind::VirtualMachine => "Virtual machine",
            VmKind::VirtualMachineScaleSet => "Scale set",
        },
        os: match vm.os {
            Some(OsType::Linux) => "Linux",
            Some(OsType::Windows) => "Windows",
            None => "not stated",
        },
        source_root,
        source: format!("{file}:{line}"),
        classification: vm.classification.value.as_str(),
        class_label: class_label(vm.classification.value),
        confidence: confidence.as_str(),
        confidence_reason,
        reason: vm.reason.clone(),
        exposed,
        exposed_ports: exposed_ports.join(", "),
        jit_policy: vm.jit_policy.clone(),
        firewall: vm.firewall_in_front.clone(),
        ports: vm.ports.iter().map(port_view).collect(),
        evidence: evidence_rows(&vm.ports),
        paths: path_rows(&vm.ports),
        specific: specific_rows(&vm.ports),
        missing: vm.missing.clone(),
        assumptions: vm.assumptions.clone(),
        fix: fix_for(vm),
        findings: findings
            .get(&key)
            .map(|list| list.iter().map(|f| finding_view(f)).collect())
            .unwrap_or_default(),
    }
}

/// The fragment id of the VM at `position` (1-based, display order): unique and readable.
pub(crate) fn vm_anchor(position: usize, name: &str) -> String {
    format!("vm-{position}-{}", slug(name))
}

/// Filter values of one VM, each list deduplicated in first-seen order.
fn filter_view(vm: &VmResult) -> FilterView {
    let mut nsgs: Vec<&str> = Vec::new();
    let mut rules: Vec<String> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let push = |list: &mut Vec<String>, value: String| {
        if !value.is_empty() && !list.contains(&value) {
            list.push(value);
        }
    };
    for port in &vm.ports {
        for e in &port.evidence {
            if !nsgs.contains(&&*e.nsg) {
                nsgs.push(&e.nsg);
            }
            push(&mut rules, e.rule.to_string());
        }
        for (path, _) in &port.paths {
            if let Some(rule) = &path.rule {
                push(&mut rules, rule.to_string());
            }
        }
        let decided = |j: &Judged<bool>| j.value && j.confidence != Confidence::Unknown;
        if decided(&port.open) || decided(&port.internet_exposed) {
            push(&mut ports, port.port.to_string());
        }
    }
    FilterView {
        nsgs: nsgs.join(" "),
        rules: rules.join(" "),
        ports: ports.join(" "),
        offenders: String::new(),
    }
}

/// Lower-case ASCII letters, digits and hyphens only, at most 40 characters.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().take(40) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

fn yes_no(judged: &Judged<bool>) -> &'static str {
    match (judged.confidence, judged.value) {
        (Confidence::Unknown, _) => "unknown",
        (_, true) => "yes",
        (_, false) => "no",
    }
}

fn port_view(port: &PortEvaluation) -> PortView {
    let (confidence, reason) = port.overall_confidence();
    PortView {
        port: port.port,
        service: port_name(port.port),
        verdict: port.nsg_verdict.value.as_str(),
        open: yes_no(&port.open),
        exposed: yes_no(&port.internet_exposed),
        confidence: confidence.as_str(),
        confidence_reason: reason,
    }
}

fn finding_view(f: &Finding) -> FindingView {
    FindingView {
        rule_id: f.rule.id,
        rule_name: f.rule.name,
        level: f.level.as_str(),
        message: f.message.to_string(),
        confidence: f.confidence.as_str(),
        suppression: f
            .suppression
            .as_ref()
            .map(|s| format!("{}: {}", s.kind, s.reason)),
        suppression_notes: f.suppression_notes.clone(),
    }
}
