//! REPORT: the HTML audit report, one self-contained file for people to read and hand over.
//!
//! The first page is the deliverable's summary: title and scan date, totals, the rules that open
//! the most VMs (the fix with the widest effect first) and breakdowns by subscription, resource
//! group, port and rule. Then the scope (every input, what could not be read and why), then
//! every VM: unhealthy and exposed ones as full cards, the others as one compact row each that
//! opens into the same card; then the rule catalogue. Like the JSON report it builds a view
//! model from the scan result and renders it (askama, `templates/report.html`); it never
//! evaluates anything itself.
//!
//! What it must not do: load anything from the network (no external CSS, fonts, images or
//! scripts; the inline script only sorts and filters and the page works without it), turn off
//! askama's auto-escaping for anything that came from input (no `|safe`), or depend on the clock
//! beyond the scan date it is given (same input and date, byte-identical output).

mod access;
mod breakdown;
mod evidence;
mod fix;
mod jit;
mod markdown;
mod offenders;
mod scope;
mod summary;
mod vm;

use askama::Template;

use self::breakdown::{by_port, by_scope, Breakdown, PortRow};
use self::markdown::{blocks, Block};
use self::offenders::{offenders, Offenders, VmLink};
pub(crate) use self::scope::split_root;
use self::scope::{common_folder, scope_line, scope_view, ScopeView};
use self::summary::{summary, Summary};
use self::vm::{display_rank, index_findings, vm_anchor, vm_view, VmView};
use crate::classify::{port_name, VmResult};
use crate::rules::REGISTRY;
use crate::scan::ScanResult;

/// The whole page.
#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
struct ReportPage {
    version: &'static str,
    title: Option<String>,
    scan_date: String,
    scope_line: String,
    summary: Summary,
    offenders: Offenders,
    scopes: Vec<Breakdown>,
    ports: Vec<PortRow>,
    scope: ScopeView,
    ports_checked: String,
    groups: Vec<Group>,
    /// VMs shown as compact rows (healthy or not applicable, nothing reachable).
    compact: usize,
    rules: Vec<RuleView>,
    /// The JIT access-request audit, when a policy holds requests.
    jit: Option<jit::JitView>,
    /// Who can open the ports: widest reach and role sources (only with role inputs).
    access: Option<access::AccessPageView>,
}

/// The VMs of one classification, in display order.
#[derive(Debug)]
struct Group {
    key: &'static str,
    label: &'static str,
    vms: Vec<VmView>,
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
    let offenders = offenders(&ordered, |i| VmLink {
        anchor: ordered
            .get(i)
            .map_or_else(String::new, |vm| vm_anchor(i + 1, &vm.name)),
        name: ordered
            .get(i)
            .map_or_else(String::new, |vm| vm.name.clone()),
    });
    let vms: Vec<VmView> = ordered
        .iter()
        .enumerate()
        .map(|(n, vm)| {
            let mut view = vm_view(vm, n + 1, &findings, &root);
            if let Some(ranks) = offenders.ranks_of_vm.get(n) {
                let ranks: Vec<String> = ranks.iter().map(usize::to_string).collect();
                view.filter.offenders = ranks.join(" ");
            }
            view
        })
        .collect();
    let ports: Vec<String> = result
        .ports
        .iter()
        .map(|p| format!("{p} ({})", port_name(*p)))
        .collect();
    ReportPage {
        version: env!("CARGO_PKG_VERSION"),
        title: result.title.clone().filter(|t| !t.trim().is_empty()),
        scan_date: result.as_of.to_string(),
        scope_line: scope_line(result, &root),
        summary: summary(result),
        offenders,
        scopes: by_scope(&result.vms),
        ports: by_port(&result.ports, &result.vms),
        scope: scope_view(result, &root),
        ports_checked: ports.join(", "),
        compact: vms.iter().filter(|v| !v.full).count(),
        groups: groups(vms),
        rules: rule_views(),
        jit: jit::jit_view(result),
        access: access::page_view(result, &root),
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
