//! REPORT (html): the first page's breakdowns: VMs by subscription, by resource group and by
//! management port, counted from the scan result as the JSON report counts them.
//!
//! Subscription and resource group are read from each VM's resource id. A VM declared in an
//! ARM template has an id built from the deployment context; when that context is still the
//! placeholder (no `--subscription-id` / `--resource-group`), the template does not say where
//! it will be deployed, and the row says so instead of showing the placeholder.

use std::collections::HashMap;

use crate::arm::DeploymentContext;
use crate::classify::{port_name, Classification, VmResult};
use crate::eval::{Confidence, Judged};

/// Rows shown before the rest go behind a `<details>`.
const SHOWN: usize = 10;

/// Label of VMs whose subscription or resource group the input does not state.
pub(crate) const NOT_STATED: &str = "not stated (ARM templates)";

/// One breakdown table.
#[derive(Debug)]
pub(crate) struct Breakdown {
    /// Heading.
    pub(crate) title: &'static str,
    /// Filter field its rows set (`sub`, `rg`).
    pub(crate) field: &'static str,
    /// The biggest rows.
    pub(crate) rows: Vec<Row>,
    /// The rest.
    pub(crate) more: Vec<Row>,
}

/// The VMs of one subscription or resource group.
#[derive(Debug, Default)]
pub(crate) struct Row {
    /// Name, or [`NOT_STATED`].
    pub(crate) label: String,
    /// What the filter matches (empty: the row cannot be filtered for).
    pub(crate) filter: String,
    /// VMs and scale sets.
    pub(crate) vms: usize,
    /// Unhealthy.
    pub(crate) unhealthy: usize,
    /// With a management port reachable from the Internet.
    pub(crate) exposed: usize,
    /// Not applicable.
    pub(crate) not_applicable: usize,
    /// Healthy.
    pub(crate) healthy: usize,
}

/// One management port.
#[derive(Debug)]
pub(crate) struct PortRow {
    /// Port number.
    pub(crate) port: u16,
    /// Service name.
    pub(crate) service: &'static str,
    /// VMs where it is reachable from the Internet.
    pub(crate) reachable: usize,
    /// VMs whose NSGs let it in from the Internet.
    pub(crate) open: usize,
    /// VMs where the input does not decide whether it is open.
    pub(crate) undecided: usize,
}

/// Subscription and resource group of a resource id; None where the id has none, or where
/// a template's id only carries the placeholder context.
pub(crate) fn id_scope(vm: &VmResult) -> (Option<String>, Option<String>) {
    let mut sub = None;
    let mut rg = None;
    let mut segments = vm.id.split('/');
    while let Some(segment) = segments.next() {
        if segment.eq_ignore_ascii_case("subscriptions") {
            sub = segments.next().filter(|s| !s.is_empty());
        } else if segment.eq_ignore_ascii_case("resourceGroups") {
            rg = segments.next().filter(|s| !s.is_empty());
        } else if segment.eq_ignore_ascii_case("providers") {
            break;
        }
    }
    if vm.from_template {
        let placeholder = DeploymentContext::default();
        sub = sub.filter(|s| !s.eq_ignore_ascii_case(&placeholder.subscription_id));
        rg = rg.filter(|s| !s.eq_ignore_ascii_case(&placeholder.resource_group));
    }
    (sub.map(str::to_owned), rg.map(str::to_owned))
}

/// VMs by subscription and by resource group, the ones with most unhealthy VMs first.
pub(crate) fn by_scope(vms: &[VmResult]) -> Vec<Breakdown> {
    let mut subs: HashMap<String, Row> = HashMap::new();
    let mut rgs: HashMap<String, Row> = HashMap::new();
    for vm in vms {
        let (sub, rg) = id_scope(vm);
        // Resource group names repeat across subscriptions: the row names both when known.
        let rg_label = match (&sub, &rg) {
            (Some(s), Some(r)) => Some(format!("{r} ({s})")),
            (None, Some(r)) => Some(r.clone()),
            (_, None) => None,
        };
        add(&mut subs, sub.clone(), sub, vm);
        add(&mut rgs, rg_label, rg, vm);
    }
    vec![
        table("By subscription", "sub", subs),
        table("By resource group", "rg", rgs),
    ]
}

fn add(
    rows: &mut HashMap<String, Row>,
    label: Option<String>,
    filter: Option<String>,
    vm: &VmResult,
) {
    // Azure names are case-insensitive: ids of one group may differ in case between files.
    let key = label.as_deref().unwrap_or_default().to_lowercase();
    let row = rows.entry(key).or_insert_with(|| Row {
        label: label.unwrap_or_else(|| NOT_STATED.to_owned()),
        filter: filter.unwrap_or_default(),
        ..Row::default()
    });
    row.vms += 1;
    match vm.classification.value {
        Classification::Unhealthy => row.unhealthy += 1,
        Classification::NotApplicable => row.not_applicable += 1,
        Classification::Healthy => row.healthy += 1,
    }
    if vm.internet_exposed() {
        row.exposed += 1;
    }
}

fn table(title: &'static str, field: &'static str, rows: HashMap<String, Row>) -> Breakdown {
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        (b.unhealthy, b.exposed, b.vms)
            .cmp(&(a.unhealthy, a.exposed, a.vms))
            .then_with(|| a.label.cmp(&b.label))
    });
    let more = rows.split_off(rows.len().min(SHOWN));
    Breakdown {
        title,
        field,
        rows,
        more,
    }
}

fn decided(j: &Judged<bool>) -> Option<bool> {
    (j.confidence != Confidence::Unknown).then_some(j.value)
}

/// Every management port checked: on how many VMs it is open, reachable or undecided.
pub(crate) fn by_port(ports: &[u16], vms: &[VmResult]) -> Vec<PortRow> {
    ports
        .iter()
        .map(|&port| {
            let mut row = PortRow {
                port,
                service: port_name(port),
                reachable: 0,
                open: 0,
                undecided: 0,
            };
            for p in vms
                .iter()
                .flat_map(|vm| vm.ports.iter())
                .filter(|p| p.port == port)
            {
                match decided(&p.open) {
                    Some(true) => row.open += 1,
                    Some(false) => {}
                    None => row.undecided += 1,
                }
                if decided(&p.internet_exposed) == Some(true) {
                    row.reachable += 1;
                }
            }
            row
        })
        .collect()
}
