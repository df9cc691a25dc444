//! REPORT: the JSON report, schema version 5 (`src/report/report.schema.json`).
//!
//! These structs are the public contract: keys are camelCase like Azure's JSON and SARIF, and
//! they change only with a `schemaVersion` bump. They are built from internal types here and
//! nowhere else. Collections are sorted upstream, so output is byte-identical for the same input.

mod jit;

use rayon::prelude::*;
use serde::Serialize;

use crate::classify::{port_name, VmResult};
use crate::diagnostic::{InputProblem, Severity};
use crate::eval::paths::PathRule;
use crate::eval::vm::PortEvaluation;
use crate::eval::NsgEvidence;
use crate::json::pretty::Pretty;
use crate::model::{OsType, VmKind};
use crate::rules::Finding;
use crate::scan::{InputRecord, ScanResult};

/// Current schema version.
pub const SCHEMA_VERSION: u32 = 5;

/// The JSON Schema of the report, shipped in the binary.
pub const SCHEMA: &str = include_str!("report.schema.json");

/// The report's keys before its two long lists, `vms` then `findings`, which follow in this
/// order (see [`write()`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    schema_version: u32,
    tool: Tool,
    management_ports: Vec<u16>,
    deployment_context: Context,
    summary: Summary,
    suppression_sources: SuppressionSources<'a>,
    inputs: Vec<Input>,
    /// Since schema version 5, only when role assignments were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    access_inputs: Option<super::json_access::AccessInputs>,
    missing_references: Vec<MissingEntry>,
    /// The JIT policies' access requests (since schema version 5; absent without requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    jit: Option<jit::JitSection<'a>>,
}

/// Where the suppressions came from (since schema version 2).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionSources<'a> {
    config_file: Option<&'a str>,
    config_ignored: bool,
    suppressed_by_config: usize,
    suppressed_by_tag: usize,
}

/// A resource referenced but absent from the input, with the VMs whose verdicts it affects:
/// what an auditor must ask the client for.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MissingEntry {
    reference: String,
    vms: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingEntry<'a> {
    rule_id: &'static str,
    rule_name: &'static str,
    level: &'static str,
    vm_id: &'a str,
    vm_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    message: &'a str,
    confidence: &'static str,
    source: Source<'a>,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    suppressed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<SuppressionEntry<'a>>,
    suppression_notes: &'a [String],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionEntry<'a> {
    kind: &'static str,
    reason: &'a str,
}

#[derive(Debug, Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Context {
    subscription_id: String,
    resource_group: String,
    location: String,
    note: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    vms: usize,
    healthy: usize,
    unhealthy: usize,
    not_applicable: usize,
    internet_exposed: usize,
    unknown_confidence: usize,
    findings: usize,
    suppressed_findings: usize,
    inputs: usize,
    inputs_scanned: usize,
    inputs_skipped: usize,
    inputs_failed: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    path: String,
    kind: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    sha256: String,
    vm_count: usize,
    diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Diagnostic {
    code: &'static str,
    severity: &'static str,
    message: String,
    help: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Source<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    pointer: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VmEntry<'a> {
    id: &'a str,
    name: &'a str,
    declared_name: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    os_type: Option<&'static str>,
    source: Source<'a>,
    classification: &'static str,
    reason_code: &'static str,
    reason: &'a str,
    confidence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence_reason: Option<String>,
    jit_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    jit_policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    firewall_in_front: Option<&'a str>,
    internet_exposed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    power_state: Option<&'a str>,
    missing_references: &'a [String],
    assumptions: &'a [String],
    ports: Vec<PortEntry<'a>>,
    /// Since schema version 5, only when role assignments were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    access: Option<super::json_access::AccessEntry<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PortEntry<'a> {
    port: u16,
    service: &'static str,
    nsg_verdict: &'static str,
    open: bool,
    internet_exposed: bool,
    confidence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence_reason: Option<String>,
    evidence: Vec<Evidence<'a>>,
    paths: Vec<PathEntry<'a>>,
    specific_sources_allowed: Vec<SpecificSourceEntry<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Evidence<'a> {
    ip_configuration: &'a str,
    level: &'static str,
    nsg: &'a str,
    nsg_id: &'a str,
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<u32>,
    access: &'static str,
    default_rule: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PathEntry<'a> {
    kind: &'static str,
    ip_configuration: &'a str,
    via: &'a str,
    via_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frontend: Option<&'a str>,
    sources: &'a [String],
    reaches: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecificSourceEntry<'a> {
    nsg: &'a str,
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<u32>,
    sources: &'a [String],
}

/// Builds the head of the report.
fn head(result: &ScanResult) -> Head<'_> {
    let c = result.counts();
    Head {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "jitscan",
            version: env!("CARGO_PKG_VERSION"),
        },
        management_ports: result.ports.clone(),
        deployment_context: Context {
            subscription_id: result.context.subscription_id.clone(),
            resource_group: result.context.resource_group.clone(),
            location: result.context.location.clone(),
            note: "placeholders used to build resource ids for ARM templates; exports keep their own ids",
        },
        summary: Summary {
            vms: c.vms,
            healthy: c.healthy,
            unhealthy: c.unhealthy,
            not_applicable: c.not_applicable,
            internet_exposed: c.internet_exposed,
            unknown_confidence: c.unknown_confidence,
            findings: c.findings,
            suppressed_findings: c.suppressed_findings,
            inputs: c.inputs,
            inputs_scanned: c.inputs_scanned,
            inputs_skipped: c.inputs_skipped,
            inputs_failed: c.inputs_failed,
        },
        suppression_sources: SuppressionSources {
            config_file: result.suppressions.config_file.as_deref(),
            config_ignored: result.suppressions.config_ignored,
            suppressed_by_config: c.suppressed_by_config,
            suppressed_by_tag: c.suppressed_by_tag,
        },
        inputs: result.inputs.iter().map(input).collect(),
        access_inputs: result
            .access
            .as_deref()
            .map(super::json_access::access_inputs),
        missing_references: missing(result),
        jit: jit::section(result),
    }
}

fn missing(result: &ScanResult) -> Vec<MissingEntry> {
    // Keyed case-insensitively: ids of one resource differ in case between sources.
    let mut by_reference: std::collections::BTreeMap<String, (&str, Vec<String>)> =
        std::collections::BTreeMap::new();
    for vm in &result.vms {
        for reference in &vm.missing {
            let entry = by_reference
                .entry(reference.to_ascii_lowercase())
                .or_insert((reference.as_str(), Vec::new()));
            entry.1.push(vm.name.clone());
        }
    }
    by_reference
        .into_values()
        .map(|(reference, mut vms)| {
            vms.sort();
            vms.dedup();
            MissingEntry {
                reference: reference.to_owned(),
                vms,
            }
        })
        .collect()
}

fn finding_entry(f: &Finding) -> FindingEntry<'_> {
    FindingEntry {
        rule_id: f.rule.id,
        rule_name: f.rule.name,
        level: f.level.as_str(),
        vm_id: &f.vm_id,
        vm_name: &f.vm_name,
        port: f.port,
        message: f.message.as_str(),
        confidence: f.confidence.as_str(),
        source: source_of(&f.location),
        fingerprint: &f.fingerprint,
        baseline_state: f.baseline_state.map(|s| s.as_str()),
        suppressed: f.suppression.is_some(),
        suppression: f.suppression.as_ref().map(|s| SuppressionEntry {
            kind: s.kind,
            reason: &s.reason,
        }),
        suppression_notes: &f.suppression_notes,
    }
}

/// Writes the report as pretty JSON (serde_json's pretty layout, two-space indent) with a
/// trailing newline.
///
/// The entries of `vms` and `findings`, nearly all of a big report, are built and serialized
/// in parallel, a batch at a time (so memory holds one batch of text, not the whole report),
/// each already indented for its place; the text is the one a single `to_writer_pretty` of
/// the whole report gives, which the tests check.
pub fn write(result: &ScanResult, out: &mut (impl std::io::Write + Send)) -> std::io::Result<()> {
    let head = serde_json::to_vec_pretty(&head(result))?;
    // `{ ... }` without its closing line: the two lists follow as further members.
    let open = head.strip_suffix(b"\n}").unwrap_or(&head);
    out.write_all(open)?;
    out.write_all(b",\n  \"vms\": ")?;
    write_list(out, &result.vms, vm_entry)?;
    out.write_all(b",\n  \"findings\": ")?;
    write_list(out, &result.findings, finding_entry)?;
    out.write_all(b"\n}\n")
}

/// The JSON report as text (see [`write()`]).
pub fn render(result: &ScanResult) -> String {
    let mut text = Vec::new();
    if let Err(e) = write(result, &mut text) {
        return format!("{{\"error\": \"{e}\"}}\n");
    }
    String::from_utf8(text).unwrap_or_default()
}

/// Entries serialized per parallel task.
const ENTRIES_PER_TASK: usize = 64;
/// Entries held as text at once.
const ENTRIES_PER_BATCH: usize = 1024;

/// A member list of the report's top object: `[]`, or its entries one per line at indent
/// level 2, as the pretty formatter lays them out.
fn write_list<'a, T: Sync, E: Serialize>(
    out: &mut (impl std::io::Write + Send),
    items: &'a [T],
    entry: impl Fn(&'a T) -> E + Sync,
) -> std::io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let render = |b: usize, batch: &'a [T]| -> std::io::Result<Vec<Vec<u8>>> {
        batch
            .par_chunks(ENTRIES_PER_TASK)
            .enumerate()
            .map(|(t, task)| {
                // About the size of a VM entry with four ports: few regrowths, little waste.
                let mut text = Vec::with_capacity(task.len() * 4096);
                for (i, item) in task.iter().enumerate() {
                    let first = b == 0 && t == 0 && i == 0;
                    text.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                    entry(item).serialize(&mut Pretty::new(&mut text, 2))?;
                }
                Ok(text)
            })
            .collect()
    };
    // A batch is written while the next one is rendered.
    let mut batches = items.chunks(ENTRIES_PER_BATCH).enumerate();
    let mut pending = match batches.next() {
        Some((b, batch)) => Some(render(b, batch)?),
        None => None,
    };
    while let Some(texts) = pending.take() {
        let next = batches.next();
        let (written, rendered) = rayon::join(
            || texts.iter().try_for_each(|text| out.write_all(text)),
            || next.map(|(b, batch)| render(b, batch)).transpose(),
        );
        written?;
        pending = rendered?;
    }
    out.write_all(b"\n  ]")
}

fn input(record: &InputRecord) -> Input {
    Input {
        path: record.path.clone(),
        kind: record.kind.clone(),
        status: record.status.as_str(),
        reason: record.reason.clone(),
        sha256: record.sha256.clone(),
        vm_count: record.vm_count,
        diagnostics: record.problems.iter().map(diagnostic).collect(),
    }
}

fn diagnostic(problem: &InputProblem) -> Diagnostic {
    Diagnostic {
        code: problem.code.as_str(),
        severity: match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        message: problem.message.clone(),
        help: problem.help.clone(),
        line: problem.span.as_ref().map(|s| s.line),
        column: problem.span.as_ref().map(|s| s.column),
    }
}

fn source_of(origin: &crate::source::Origin) -> Source<'_> {
    let (line, column) = origin.line_col();
    Source {
        path: origin.path(),
        line,
        column,
        pointer: &origin.pointer,
    }
}

fn vm_entry(vm: &VmResult) -> VmEntry<'_> {
    let (confidence, confidence_reason) = vm.confidence();
    VmEntry {
        id: &vm.id,
        name: &vm.name,
        declared_name: &vm.declared_name,
        kind: match vm.kind {
            VmKind::VirtualMachine => "virtualMachine",
            VmKind::VirtualMachineScaleSet => "virtualMachineScaleSet",
        },
        os_type: vm.os.map(|o| match o {
            OsType::Windows => "windows",
            OsType::Linux => "linux",
        }),
        source: source_of(&vm.origin),
        classification: vm.classification.value.as_str(),
        reason_code: vm.reason_code.as_str(),
        reason: &vm.reason,
        confidence: confidence.as_str(),
        confidence_reason,
        jit_enabled: vm.jit_policy.is_some(),
        jit_policy: vm.jit_policy.as_deref(),
        firewall_in_front: vm.firewall_in_front.as_deref(),
        internet_exposed: vm.internet_exposed(),
        power_state: vm.power_state.as_deref(),
        missing_references: &vm.missing,
        assumptions: &vm.assumptions,
        ports: vm.ports.iter().map(port_entry).collect(),
        access: vm.access.as_deref().map(super::json_access::access_entry),
    }
}

fn port_entry(port: &PortEvaluation) -> PortEntry<'_> {
    let (confidence, reason) = port.overall_confidence();
    PortEntry {
        port: port.port,
        service: port_name(port.port),
        nsg_verdict: port.nsg_verdict.value.as_str(),
        open: port.open.value,
        internet_exposed: port.internet_exposed.value,
        confidence: confidence.as_str(),
        confidence_reason: reason,
        evidence: port.evidence.iter().map(evidence).collect(),
        paths: port
            .paths
            .iter()
            .map(|(p, reaches)| PathEntry {
                kind: p.kind.as_str(),
                ip_configuration: &p.ip_configuration,
                via: &p.via,
                via_id: &p.via_id,
                rule: p.rule.as_ref().map(PathRule::as_str),
                frontend: p.frontend.as_deref(),
                sources: &p.sources,
                reaches: *reaches,
                note: p
                    .secure_by_default
                    .then_some("Standard SKU: closed to inbound traffic unless an NSG allows it"),
            })
            .collect(),
        specific_sources_allowed: port
            .specific_sources
            .iter()
            .map(|s| SpecificSourceEntry {
                nsg: &s.nsg,
                rule: &s.rule,
                priority: s.priority,
                sources: &s.sources,
            })
            .collect(),
    }
}

fn evidence(e: &NsgEvidence) -> Evidence<'_> {
    Evidence {
        ip_configuration: &e.ip_configuration,
        level: e.level.as_str(),
        nsg: &e.nsg,
        nsg_id: &e.nsg_id,
        rule: &e.rule,
        priority: e.priority,
        access: e.access.as_str(),
        default_rule: e.default_rule,
        note: e.note.as_deref(),
        source: e.origin.as_ref().map(source_of),
    }
}
