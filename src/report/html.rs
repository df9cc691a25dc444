//! REPORT: the HTML audit report, one self-contained file for people to read and hand over.
//!
//! Summary first (counts as inline SVG bars with text labels), then the scope (every input, what
//! could not be read and why), then every VM with its evidence and a suggested fix, then the rule
//! catalogue. Like the JSON report it builds a view model from the scan result and renders it
//! (askama, `templates/report.html`); it never evaluates anything itself.
//!
//! What it must not do: load anything from the network (no external CSS, fonts, images or
//! scripts; the inline script only sorts and filters and the page works without it), turn off
//! askama's auto-escaping for anything that came from input (no `|safe`), or depend on the clock
//! (same input, byte-identical output).

mod evidence;
mod fix;
mod jit;
mod markdown;
mod summary;
mod vm;

use askama::Template;

use self::markdown::{blocks, Block};
use self::summary::{summary, Summary};
use self::vm::{display_rank, index_findings, vm_view, VmView};
use crate::classify::{port_name, VmResult};
use crate::diagnostic::{InputProblem, Severity};
use crate::rules::REGISTRY;
use crate::scan::{InputRecord, InputStatus, ScanResult};

/// The whole page.
#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
struct ReportPage {
    version: &'static str,
    scope_line: String,
    summary: Summary,
    inputs: Vec<InputView>,
    unread: Vec<InputView>,
    warned: Vec<InputView>,
    ports_checked: String,
    context: ContextView,
    suppression_sources: String,
    groups: Vec<Group>,
    rules: Vec<RuleView>,
    /// The JIT access-request audit, when a policy holds requests.
    jit: Option<jit::JitView>,
}

/// The VMs of one classification, in display order.
#[derive(Debug)]
struct Group {
    key: &'static str,
    label: &'static str,
    vms: Vec<VmView>,
}

/// One input file.
#[derive(Debug)]
struct InputView {
    path_root: String,
    path: String,
    kind: String,
    status: &'static str,
    reason: String,
    sha_short: String,
    sha256: String,
    vm_count: usize,
    diagnostics: Vec<DiagnosticView>,
}

/// One problem with one input.
#[derive(Debug)]
struct DiagnosticView {
    code: &'static str,
    severity: &'static str,
    at: String,
    message: String,
    help: String,
}

/// The placeholder deployment context.
#[derive(Debug)]
struct ContextView {
    subscription_id: String,
    resource_group: String,
    location: String,
}

/// One rule of the catalogue.
#[derive(Debug)]
struct RuleView {
    id: &'static str,
    name: &'static str,
    summary: &'static str,
    description: &'static str,
    level: &'static str,
    severity: &'static str,
    help: Vec<Block>,
}

/// Renders the HTML report for a scan.
///
/// # Errors
/// Only when askama fails to write the page (it does not fail on any value from input).
pub fn render(result: &ScanResult) -> Result<String, askama::Error> {
    build(result).render().map(crate::escape::html_page)
}

fn build(result: &ScanResult) -> ReportPage {
    // A stable sort: within a rank, the scan's own (sorted) order stays.
    let mut ordered: Vec<&VmResult> = result.vms.iter().collect();
    ordered.sort_by_key(|vm| display_rank(vm));
    let findings = index_findings(&result.findings);
    let root = common_folder(result.inputs.iter().map(|i| i.path.as_str()));
    let vms: Vec<VmView> = ordered
        .into_iter()
        .enumerate()
        .map(|(n, vm)| vm_view(vm, n + 1, &findings, &root))
        .collect();
    let (inputs, unread, warned) = input_views(result, &root);
    let ports: Vec<String> = result
        .ports
        .iter()
        .map(|p| format!("{p} ({})", port_name(*p)))
        .collect();
    ReportPage {
        version: env!("CARGO_PKG_VERSION"),
        scope_line: scope_line(result, &root),
        summary: summary(result, &vms),
        groups: groups(vms),
        inputs,
        unread,
        warned,
        ports_checked: ports.join(", "),
        suppression_sources: suppression_sources(result),
        context: ContextView {
            subscription_id: result.context.subscription_id.clone(),
            resource_group: result.context.resource_group.clone(),
            location: result.context.location.clone(),
        },
        rules: rule_views(),
        jit: jit::jit_view(result),
    }
}

/// The rule catalogue, with help converted to blocks.
fn rule_views() -> Vec<RuleView> {
    REGISTRY
        .iter()
        .map(|r| RuleView {
            id: r.id,
            name: r.name,
            summary: r.summary,
            description: r.description,
            level: r.level.as_str(),
            severity: r.security_severity,
            help: blocks(r.help_markdown),
        })
        .collect()
}

/// Every input; those not scanned; scanned ones with problems.
fn input_views(
    result: &ScanResult,
    root: &str,
) -> (Vec<InputView>, Vec<InputView>, Vec<InputView>) {
    let view = |i: &InputRecord| input_view(i, root);
    let inputs = result.inputs.iter().map(view).collect();
    let unread = result
        .inputs
        .iter()
        .filter(|i| i.status != InputStatus::Scanned)
        .map(view)
        .collect();
    let warned = result
        .inputs
        .iter()
        .filter(|i| i.status == InputStatus::Scanned && !i.problems.is_empty())
        .map(view)
        .collect();
    (inputs, unread, warned)
}

fn groups(vms: Vec<VmView>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for vm in vms {
        match out.last_mut() {
            Some(g) if g.key == vm.classification => g.vms.push(vm),
            _ => out.push(Group {
                key: vm.classification,
                label: vm.class_label,
                vms: vec![vm],
            }),
        }
    }
    out
}

/// "Scanned fixtures/arm: 38 files, 36 ARM templates, 42 VMs and scale sets."
/// Which configuration was read and what it and the tags suppressed (plain text; escaped by
/// the template).
fn suppression_sources(result: &ScanResult) -> String {
    let c = result.counts();
    let config = match (
        &result.suppressions.config_file,
        result.suppressions.config_ignored,
    ) {
        (_, true) => "no configuration file (--no-config)".to_owned(),
        (Some(path), false) => format!("configuration file {path}"),
        (None, false) => "no configuration file found".to_owned(),
    };
    format!(
        "{config}; {} finding(s) suppressed by it, {} by jitscan-ignore tags (each with its reason)",
        c.suppressed_by_config, c.suppressed_by_tag
    )
}

fn scope_line(result: &ScanResult, root: &str) -> String {
    let templates = result
        .inputs
        .iter()
        .filter(|i| i.kind == "armTemplate" && i.status == InputStatus::Scanned)
        .count();
    let place = if root.is_empty() {
        String::new()
    } else {
        format!(" in {root}")
    };
    format!(
        "{} input file{}{place}: {templates} ARM template{} scanned, {} virtual machine{} and scale set{} evaluated.",
        result.inputs.len(),
        plural(result.inputs.len()),
        plural(templates),
        result.vms.len(),
        plural(result.vms.len()),
        plural(result.vms.len()),
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The longest folder every path lies in ("" when they share none).
fn common_folder<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let mut common: Option<Vec<&str>> = None;
    for path in paths {
        let mut folders: Vec<&str> = path.split('/').collect();
        folders.pop();
        common = Some(match common {
            None => folders,
            Some(prev) => prev
                .iter()
                .zip(folders.iter())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let folders = common.unwrap_or_default();
    if folders.as_slice() == [""] {
        "/".to_owned()
    } else {
        folders.join("/")
    }
}

/// Splits `path` into the common folder (shown dimmed) and the rest.
pub(crate) fn split_root(path: &str, root: &str) -> (String, String) {
    let prefix = if root.ends_with('/') {
        root.to_owned()
    } else {
        format!("{root}/")
    };
    match path.strip_prefix(&prefix) {
        Some(rest) if !root.is_empty() => (prefix, rest.to_owned()),
        _ => (String::new(), path.to_owned()),
    }
}

fn input_view(record: &InputRecord, root: &str) -> InputView {
    let (path_root, path) = split_root(&record.path, root);
    InputView {
        path_root,
        path,
        kind: record.kind.clone(),
        status: record.status.as_str(),
        reason: record.reason.clone().unwrap_or_default(),
        sha_short: record.sha256.chars().take(12).collect(),
        sha256: record.sha256.clone(),
        vm_count: record.vm_count,
        diagnostics: record.problems.iter().map(diagnostic_view).collect(),
    }
}

fn diagnostic_view(problem: &InputProblem) -> DiagnosticView {
    DiagnosticView {
        code: problem.code.as_str(),
        severity: match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        at: problem
            .span
            .as_ref()
            .map(|s| format!("{}:{}", s.line, s.column))
            .unwrap_or_default(),
        message: problem.message.clone(),
        help: problem.help.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_folder_of_relative_and_absolute_paths() {
        let rel = ["fixtures/arm/a.json", "fixtures/arm/b/c.json"];
        assert_eq!(common_folder(rel.into_iter()), "fixtures/arm");
        let abs = ["/work/x/a.json", "/work/y/b.json"];
        assert_eq!(common_folder(abs.into_iter()), "/work");
        assert_eq!(common_folder(["a.json"].into_iter()), "");
        assert_eq!(common_folder(["/a.json", "/b.json"].into_iter()), "/");
        let split = split_root("fixtures/arm/a.json", "fixtures/arm");
        assert_eq!(split, ("fixtures/arm/".to_owned(), "a.json".to_owned()));
        assert_eq!(
            split_root("/a.json", "/"),
            ("/".to_owned(), "a.json".to_owned())
        );
        assert_eq!(
            split_root("x/a.json", ""),
            (String::new(), "x/a.json".to_owned())
        );
    }
}
