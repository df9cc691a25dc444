//! REPORT: the terminal table: one row per VM, one column per management port, then the
//! reasons for every VM that needs attention and the scan summary. Colour only when asked
//! (the caller decides from the terminal and `NO_COLOR`). Every value from the input (names,
//! power states, paths, reasons) goes through [`escape::terminal`] as it is put in a cell or
//! a line, so none can colour, clear or split the table.

use std::fmt::Write as _;

use crate::classify::{Classification, VmResult};
use crate::escape;
use crate::eval::{Confidence, NsgVerdict};
use crate::model::VmKind;
use crate::rules::{BaselineState, Finding, Level};
use crate::scan::ScanResult;

const RED: &str = "\u{1b}[31m";
const GREEN: &str = "\u{1b}[32m";
const YELLOW: &str = "\u{1b}[33m";
const BOLD: &str = "\u{1b}[1m";
const RESET: &str = "\u{1b}[0m";

struct Cell {
    text: String,
    colour: Option<&'static str>,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        colour: None,
    }
}

/// Renders the table, the attention list and the summary.
pub fn render(result: &ScanResult, colour: bool) -> String {
    let mut header: Vec<Cell> = ["VM", "KIND", "CLASSIFICATION"]
        .into_iter()
        .map(cell)
        .collect();
    header.extend(result.ports.iter().map(|p| cell(p.to_string())));
    header.push(cell("SOURCE"));
    let gate = GateMarks::of(result);
    let rows: Vec<Vec<Cell>> = result.vms.iter().map(|vm| row(vm, gate.mark(vm))).collect();
    let mut widths: Vec<usize> = header.iter().map(|c| c.text.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.text.chars().count());
        }
    }
    let mut out = String::new();
    write_row(&mut out, &header, &widths, colour, true);
    for r in &rows {
        write_row(&mut out, r, &widths, colour, false);
    }
    if result.vms.is_empty() {
        out.push_str("(no virtual machines or scale sets found)\n");
    }
    out.push_str("\nport cells: nsg verdict for an Internet source (allow, deny, none = no NSG, ? = undecidable); ! = reachable from the Internet; ~ = assumed\n");
    attention(&mut out, result, &gate, colour);
    summary(&mut out, result, &gate);
    out
}

/// Only the summary lines (`--quiet`): counts, suppressions and, with a baseline, new and
/// unchanged findings.
pub fn render_summary(result: &ScanResult) -> String {
    let mut out = String::new();
    summary(&mut out, result, &GateMarks::of(result));
    out.trim_start_matches('\n').to_owned()
}

/// What suppressions did to each VM's findings, for the marks beside its classification: a
/// reader must see why an unhealthy VM does not fail the gate.
struct GateMarks<'a> {
    by_vm: crate::map::Map<(&'a str, &'a str), (usize, usize, Vec<&'a str>)>,
}

impl<'a> GateMarks<'a> {
    fn of(result: &'a ScanResult) -> Self {
        let mut by_vm: crate::map::Map<(&str, &str), (usize, usize, Vec<&str>)> =
            crate::map::Map::default();
        for f in &result.findings {
            let entry = by_vm
                .entry((f.vm_id.as_str(), f.vm_name.as_str()))
                .or_default();
            if f.suppression.is_some() {
                entry.0 += 1;
            } else {
                entry.1 += 1;
                entry
                    .2
                    .extend(f.suppression_notes.iter().map(String::as_str));
            }
        }
        Self { by_vm }
    }

    /// `[suppressed]` when every finding of the VM is suppressed; `[suppression not applied]`
    /// when one that is not carries a note (an expired entry, a tag without a reason).
    fn mark(&self, vm: &VmResult) -> &'static str {
        match self.by_vm.get(&(vm.id.as_str(), vm.name.as_str())) {
            Some((_, 0, _)) => " [suppressed]",
            Some((_, _, notes)) if !notes.is_empty() => " [suppression not applied]",
            _ => "",
        }
    }

    /// The notes of suppressions that did not apply to the VM's findings.
    fn notes(&self, vm: &'a VmResult) -> &[&'a str] {
        self.by_vm
            .get(&(vm.id.as_str(), vm.name.as_str()))
            .map_or(&[], |(_, _, notes)| notes.as_slice())
    }

    /// VMs whose findings are all suppressed.
    fn suppressed_vms(&self) -> usize {
        self.by_vm
            .values()
            .filter(|(_, open, _)| *open == 0)
            .count()
    }
}

fn row(vm: &VmResult, gate_mark: &str) -> Vec<Cell> {
    let (class_colour, class_text) = match vm.classification.value {
        Classification::Unhealthy => (RED, "unhealthy"),
        Classification::NotApplicable => (YELLOW, "notApplicable"),
        Classification::Healthy => (GREEN, "healthy"),
    };
    let marker = match vm.confidence().0 {
        Confidence::Certain => "",
        Confidence::Assumed => " ~",
        Confidence::Unknown => " ?",
    };
    let name = truncate(&escape::terminal(&vm.name), 40);
    let mut cells = vec![
        cell(match vm.power_state.as_deref() {
            Some(state) if !state.to_ascii_lowercase().contains("running") => {
                format!(
                    "{name} ({})",
                    escape::terminal(state.trim_start_matches("VM "))
                )
            }
            _ => name,
        }),
        cell(if vm.kind == VmKind::VirtualMachine {
            "vm"
        } else {
            "vmss"
        }),
        Cell {
            text: format!("{class_text}{marker}{gate_mark}"),
            colour: Some(class_colour),
        },
    ];
    for port in &vm.ports {
        let mut text = match port.nsg_verdict.value {
            NsgVerdict::Allow => "allow",
            NsgVerdict::Deny => "deny",
            NsgVerdict::Unfiltered => "none",
            NsgVerdict::Unknown => "?",
        }
        .to_owned();
        if port.internet_exposed.value {
            text.push('!');
        }
        if port.nsg_verdict.confidence == Confidence::Assumed
            || port.internet_exposed.confidence == Confidence::Assumed
        {
            text.push('~');
        }
        let colour = if port.internet_exposed.value || port.open.value {
            Some(RED)
        } else {
            None
        };
        cells.push(Cell { text, colour });
    }
    let (line, _) = vm.origin.line_col();
    cells.push(cell(format!(
        "{}:{line}",
        escape::terminal(vm.origin.path())
    )));
    cells
}

fn write_row(out: &mut String, cells: &[Cell], widths: &[usize], colour: bool, header: bool) {
    let mut line = String::new();
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = w.saturating_sub(c.text.chars().count());
        let last = i + 1 == cells.len();
        let paint = if header { Some(BOLD) } else { c.colour };
        match paint.filter(|_| colour) {
            Some(code) => {
                let _ = write!(line, "{code}{}{RESET}", c.text);
            }
            None => line.push_str(&c.text),
        }
        if !last {
            line.push_str(&" ".repeat(pad));
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Whether a finding says something a VM's classification and reason do not: JIT's own layer
/// (JIT007-JIT011) and who can open the ports (JIT012-JIT014), at warning or error, not
/// suppressed. A VM a JIT policy covers is healthy, and its reason says only that.
fn beyond_classification(f: &Finding) -> bool {
    f.rule.id > "JIT006" && f.level >= Level::Warning && f.suppression.is_none()
}

fn attention(out: &mut String, result: &ScanResult, gate: &GateMarks<'_>, colour: bool) {
    let mut beyond: std::collections::HashMap<&str, Vec<&Finding>> =
        std::collections::HashMap::new();
    for f in result.findings.iter().filter(|f| beyond_classification(f)) {
        beyond.entry(f.vm_id.as_str()).or_default().push(f);
    }
    let needing: Vec<&VmResult> = result
        .vms
        .iter()
        .filter(|v| {
            v.classification.value != Classification::Healthy
                || v.internet_exposed()
                || beyond.contains_key(v.id.as_str())
        })
        .collect();
    if needing.is_empty() {
        return;
    }
    out.push('\n');
    for vm in needing {
        let name = escape::terminal(&vm.name);
        let name = if colour {
            format!("{BOLD}{name}{RESET}")
        } else {
            name.into_owned()
        };
        let _ = writeln!(
            out,
            "{name} ({}{}): {}",
            vm.classification.value.as_str(),
            gate.mark(vm),
            escape::terminal(&vm.reason)
        );
        for note in gate.notes(vm) {
            let _ = writeln!(out, "    {}", escape::terminal(note));
        }
        for f in beyond.get(vm.id.as_str()).into_iter().flatten() {
            let _ = writeln!(
                out,
                "    {} {}: {}",
                f.rule.id,
                f.level.as_str(),
                f.message.escaped(escape::terminal)
            );
        }
        if let (conf, Some(why)) = vm.confidence() {
            if conf != Confidence::Certain {
                let _ = writeln!(out, "    {}: {}", conf.as_str(), escape::terminal(&why));
            }
        }
    }
}

fn summary(out: &mut String, result: &ScanResult, gate: &GateMarks<'_>) {
    let c = result.counts();
    let _ = writeln!(
        out,
        "\n{} VMs: {} unhealthy, {} notApplicable, {} healthy; {} reachable from the Internet. Inputs: {} scanned, {} skipped, {} failed.",
        c.vms, c.unhealthy, c.not_applicable, c.healthy, c.internet_exposed, c.inputs_scanned, c.inputs_skipped, c.inputs_failed,
    );
    let config = match (
        &result.suppressions.config_file,
        result.suppressions.config_ignored,
    ) {
        (_, true) => "no configuration file (--no-config)".to_owned(),
        (Some(path), false) => format!("configuration {}", escape::terminal(path)),
        (None, false) => "no configuration file".to_owned(),
    };
    let _ = writeln!(
        out,
        "Suppressions: {config}; {} finding(s) suppressed by it, {} by jitscan-ignore tags; {} VM(s) with every finding suppressed.",
        c.suppressed_by_config,
        c.suppressed_by_tag,
        gate.suppressed_vms(),
    );
    jit_requests_line(out, result);
    let states: Vec<BaselineState> = result
        .findings
        .iter()
        .filter_map(|f| f.baseline_state)
        .collect();
    if !states.is_empty() {
        let new = states.iter().filter(|s| **s == BaselineState::New).count();
        let _ = writeln!(
            out,
            "Baseline: {new} new finding(s), {} unchanged; only new ones count for --fail-on.",
            states.len() - new,
        );
    }
    if result.access.is_some() {
        access_summary(out, result);
    }
}

/// One line on who can open the ports, when role assignments were read.
fn access_summary(out: &mut String, result: &ScanResult) {
    let mut around: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let mut vms = 0;
    for access in result.vms.iter().filter_map(|vm| vm.access.as_deref()) {
        let bypassing = access.bypassers_not_requesting();
        if !bypassing.is_empty() {
            vms += 1;
        }
        around.extend(bypassing.iter().map(|g| g.assignment.principal_id.as_str()));
    }
    let _ = writeln!(
        out,
        "Access: {} principal(s) can open a management port around JIT (without being able to request it) on {vms} VM(s); the JSON report lists them by route.",
        around.len(),
    );
}

/// One line on the JIT policies' access requests, only when a policy holds some.
fn jit_requests_line(out: &mut String, result: &ScanResult) {
    if result.jit_audit.is_empty() {
        return;
    }
    let t = crate::audit::totals(&result.jit_audit);
    let stale = if t.stale_allow_rules > 0 {
        format!(
            "; {} stale JIT allow rule(s) in the NSGs",
            t.stale_allow_rules
        )
    } else {
        String::new()
    };
    let undecided = if t.unknown_state > 0 {
        format!(
            ", {} whose state the input does not decide",
            t.unknown_state
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "JIT access requests as of {}: {} grant(s) on {} VM(s); {} active, {} from any address or a broad range, {} longer than the policy allows, {} without justification{undecided}{stale}.",
        crate::time::utc_text(result.jit_as_of),
        t.grants,
        t.vms,
        t.active,
        t.broad_source,
        t.longer_than_allowed,
        t.without_justification,
    );
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
