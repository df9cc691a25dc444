//! REPORT (html): the scope section: what was read (every input, by kind), with what settings,
//! and what could not be read and why.
//!
//! The placeholder deployment context is shown only when an ARM template was scanned: ids read
//! from an export are the resources' own, and a placeholder next to them would mislead.

use crate::diagnostic::{InputProblem, Severity};
use crate::scan::{InputRecord, InputStatus, ScanResult};

/// Inputs listed one by one in print; above this, print says how many there are instead.
const PRINTED_INPUTS: usize = 40;

/// One input file.
#[derive(Debug)]
pub(crate) struct InputView {
    pub(crate) path_root: String,
    pub(crate) path: String,
    pub(crate) kind: String,
    pub(crate) status: &'static str,
    pub(crate) reason: String,
    pub(crate) sha_short: String,
    pub(crate) sha256: String,
    pub(crate) vm_count: usize,
    pub(crate) diagnostics: Vec<DiagnosticView>,
}

/// One problem with one input.
#[derive(Debug)]
pub(crate) struct DiagnosticView {
    pub(crate) code: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) at: String,
    pub(crate) message: String,
    pub(crate) help: String,
}

/// The placeholder deployment context.
#[derive(Debug)]
pub(crate) struct ContextView {
    pub(crate) subscription_id: String,
    pub(crate) resource_group: String,
    pub(crate) location: String,
}

/// The scope section.
#[derive(Debug)]
pub(crate) struct ScopeView {
    /// Every input.
    pub(crate) inputs: Vec<InputView>,
    /// Inputs not scanned.
    pub(crate) unread: Vec<InputView>,
    /// Scanned inputs with problems.
    pub(crate) warned: Vec<InputView>,
    /// The input list is too long to print.
    pub(crate) long_list: bool,
    /// The deployment context, when a template was scanned.
    pub(crate) context: Option<ContextView>,
    /// Which configuration was read and what it suppressed.
    pub(crate) suppression_sources: String,
}

/// Builds the scope section.
pub(crate) fn scope_view(result: &ScanResult, root: &str) -> ScopeView {
    let (inputs, unread, warned) = input_views(result, root);
    let templates = result
        .inputs
        .iter()
        .any(|i| i.kind == "armTemplate" && i.status == InputStatus::Scanned)
        || result.vms.iter().any(|vm| vm.from_template);
    ScopeView {
        long_list: inputs.len() > PRINTED_INPUTS,
        inputs,
        unread,
        warned,
        context: templates.then(|| ContextView {
            subscription_id: result.context.subscription_id.clone(),
            resource_group: result.context.resource_group.clone(),
            location: result.context.location.clone(),
        }),
        suppression_sources: suppression_sources(result),
    }
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

/// "194 input files in x: 140 ARM templates, 46 REST API exports scanned; 230 virtual machines
/// and scale sets evaluated." Files scanned are counted by kind, so an export-only scan says
/// what it read.
pub(crate) fn scope_line(result: &ScanResult, root: &str) -> String {
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for input in result
        .inputs
        .iter()
        .filter(|i| i.status == InputStatus::Scanned)
    {
        match kinds.iter_mut().find(|(k, _)| *k == input.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((&input.kind, 1)),
        }
    }
    kinds.sort_by(|(ka, a), (kb, b)| b.cmp(a).then_with(|| ka.cmp(kb)));
    let scanned: Vec<String> = kinds
        .iter()
        .map(|(kind, n)| {
            let (one, many) = kind_names(kind);
            format!("{n} {}", if *n == 1 { one } else { many })
        })
        .collect();
    let scanned = if scanned.is_empty() {
        "none scanned".to_owned()
    } else {
        format!("{} scanned", scanned.join(", "))
    };
    let place = if root.is_empty() {
        String::new()
    } else {
        format!(" in {root}")
    };
    format!(
        "{} input file{}{place}: {scanned}; {} virtual machine{} and scale set{} evaluated.",
        result.inputs.len(),
        plural(result.inputs.len()),
        result.vms.len(),
        plural(result.vms.len()),
        plural(result.vms.len()),
    )
}

/// Singular and plural names of an input kind (the kind itself when it has none).
fn kind_names(kind: &str) -> (&str, &str) {
    match kind {
        "armTemplate" => ("ARM template", "ARM templates"),
        "armParameters" => ("parameters file", "parameters files"),
        "restExport" => ("REST API export", "REST API exports"),
        "resourceGraphExport" => ("Resource Graph export", "Resource Graph exports"),
        "azCliExport" => ("az CLI export", "az CLI exports"),
        "effectiveNsgExport" => ("effective NSG export", "effective NSG exports"),
        "apiExample" => ("REST API example", "REST API examples"),
        other => (other, other),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The longest folder every path lies in ("" when they share none).
pub(crate) fn common_folder<'a>(paths: impl Iterator<Item = &'a str>) -> String {
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
    pub(crate) fn common_folder_of_relative_and_absolute_paths() {
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
