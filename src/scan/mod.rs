//! The pipeline: load -> (ARM expansion | export linking) -> model -> evaluate -> classify
//! -> findings, for every input.
//!
//! Each template (with its parameters file and linked templates) is its own environment; all
//! exports together form one more. Environments are built and evaluated in parallel; results are
//! sorted so output is deterministic. Every file found is accounted for (see `inputs`).

mod environment;
mod inputs;
pub mod pipeline;

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::arm::DeploymentContext;
use crate::classify::{classify, Classification, VmResult};
use crate::config::{Config, Date};
use crate::eval::{evaluate_vm_with, Confidence, SharedDecisions};
pub use crate::limits::Limits;
use crate::model::Inventory;
use crate::progress::{Progress, VM_CHUNK};
use crate::rules::{self, Finding};
use crate::suppress;
use crate::timings::{Stage, Stages};
pub use environment::Environment;
pub use inputs::{any_input_failed, nothing_scanned, InputRecord, InputStatus};
pub use pipeline::{environments, Run, Texts};

/// The default management ports: SSH, RDP, WinRM over HTTP and HTTPS.
pub const DEFAULT_PORTS: [u16; 4] = [22, 3389, 5985, 5986];

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and directories.
    pub paths: Vec<PathBuf>,
    /// Management ports to check.
    pub ports: Vec<u16>,
    /// Parameters file to use for every template instead of the paired one.
    pub parameters: Option<PathBuf>,
    /// Placeholder deployment context.
    pub context: DeploymentContext,
    /// Settings from jitscan.yaml (suppressions).
    pub config: Config,
    /// The day suppression expiry is judged against.
    pub today: Date,
    /// The instant JIT access grants are judged at (seconds since 1970-01-01T00:00:00Z;
    /// default: the start of `today`).
    pub as_of: i64,
    /// `--no-config`: no configuration was read, on purpose (reports say so).
    pub config_ignored: bool,
    /// Where the work changes shape (parallel parsing, deferred reading, batches and
    /// chunks); never what is found.
    pub limits: Limits,
    /// `--broad-source-prefix-length`: overrides `findings.broadSourcePrefixLength` of the
    /// config file.
    pub broad_source_prefix_length: Option<u8>,
    /// `--title`: the client or engagement the HTML report is for (overrides `report.title`
    /// of the config file).
    pub title: Option<String>,
    /// Counters the run advances as it goes (files read, VMs evaluated), for a caller that
    /// shows progress; never read by the run and never in a report.
    pub progress: Option<Arc<crate::progress::Progress>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            paths: Vec::new(),
            ports: DEFAULT_PORTS.to_vec(),
            parameters: None,
            context: DeploymentContext::default(),
            config: Config::default(),
            today: Date::today(),
            // The start of `today`, like it fixed for a day: a library caller that gives no
            // instant gets the same report all day (the command line's default is now).
            as_of: crate::config::AsOf::now().seconds.div_euclid(86_400) * 86_400,
            config_ignored: false,
            limits: Limits::default(),
            broad_source_prefix_length: None,
            title: None,
            progress: None,
        }
    }
}

/// Everything one scan found.
#[derive(Debug, Clone)]
pub struct ScanResult {
    /// Every file found, sorted by path.
    pub inputs: Vec<InputRecord>,
    /// Every VM and scale set, sorted.
    pub vms: Vec<VmResult>,
    /// Findings of every rule, in VM order (suppressed ones included, marked).
    pub findings: Vec<Finding>,
    /// Ports checked.
    pub ports: Vec<u16>,
    /// Deployment context used for templates.
    pub context: DeploymentContext,
    /// Which suppressions applied: the configuration read, and whether one was refused.
    pub suppressions: SuppressionSources,
    /// How long each stage took, recorded only with `JITSCAN_TIMINGS=1` (see [`crate::timings`]).
    pub stages: Vec<Stage>,
    /// The role assignments read, when the inputs held any (reports then say who can open
    /// each VM's ports).
    pub access: Option<Arc<crate::rbac::Directory>>,
    /// The day the scan judged (`--as-of`, or today): the HTML report's scan date.
    pub as_of: Date,
    /// The report's title (`--title`, or `report.title` of the config file), if any.
    pub title: Option<String>,
    /// The JIT policies' access requests, per VM (empty when no policy holds requests).
    pub jit_audit: Vec<crate::audit::VmAccessAudit>,
    /// The instant the access requests were judged at (see [`ScanOptions::as_of`]).
    pub jit_as_of: i64,
}

/// Where suppressions could come from, for every report to state: a gate's reader must see
/// which configuration passed findings, and how many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionSources {
    /// The configuration file read (display path), if any.
    pub config_file: Option<String>,
    /// `--no-config` was given: no configuration file was read.
    pub config_ignored: bool,
}

/// The numbers every report shows, computed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// VMs and scale sets.
    pub vms: usize,
    /// Classified healthy.
    pub healthy: usize,
    /// Classified unhealthy.
    pub unhealthy: usize,
    /// Classified notApplicable.
    pub not_applicable: usize,
    /// With a management port reachable from the Internet (certain or assumed).
    pub internet_exposed: usize,
    /// Whose verdict depends on a value the input does not decide.
    pub unknown_confidence: usize,
    /// Findings, suppressed ones included.
    pub findings: usize,
    /// Suppressed findings.
    pub suppressed_findings: usize,
    /// Of those, suppressed by the configuration file.
    pub suppressed_by_config: usize,
    /// Of those, suppressed by a `jitscan-ignore` tag.
    pub suppressed_by_tag: usize,
    /// Files found.
    pub inputs: usize,
    /// Files scanned.
    pub inputs_scanned: usize,
    /// Files skipped.
    pub inputs_skipped: usize,
    /// Files that failed.
    pub inputs_failed: usize,
}

impl ScanResult {
    /// The summary counts.
    pub fn counts(&self) -> Counts {
        let class = |c: Classification| {
            self.vms
                .iter()
                .filter(|v| v.classification.value == c)
                .count()
        };
        let status = |s: InputStatus| self.inputs.iter().filter(|i| i.status == s).count();
        let suppressed_by = |kind: &str| {
            self.findings
                .iter()
                .filter(|f| f.suppression.as_ref().is_some_and(|s| s.kind == kind))
                .count()
        };
        Counts {
            vms: self.vms.len(),
            healthy: class(Classification::Healthy),
            unhealthy: class(Classification::Unhealthy),
            not_applicable: class(Classification::NotApplicable),
            internet_exposed: self.vms.iter().filter(|v| v.internet_exposed()).count(),
            unknown_confidence: self
                .vms
                .iter()
                .filter(|v| v.confidence().0 == Confidence::Unknown)
                .count(),
            findings: self.findings.len(),
            suppressed_findings: self
                .findings
                .iter()
                .filter(|f| f.suppression.is_some())
                .count(),
            suppressed_by_config: suppressed_by("config"),
            suppressed_by_tag: suppressed_by("tag"),
            inputs: self.inputs.len(),
            inputs_scanned: status(InputStatus::Scanned),
            inputs_skipped: status(InputStatus::Skipped),
            inputs_failed: status(InputStatus::Failed),
        }
    }

    /// True when some input failed (see [`any_input_failed`]).
    pub fn any_input_failed(&self) -> bool {
        any_input_failed(&self.inputs)
    }

    /// True when no input was scanned (see [`nothing_scanned`]).
    pub fn nothing_scanned(&self) -> bool {
        nothing_scanned(&self.inputs)
    }
}

/// The results in report order: by file, name, id and place. A stable sort of their
/// positions (environment by environment, as evaluated), then one move of each result into a
/// list of exactly their number. A result is a few hundred bytes: sorted in place, each would
/// move about seventeen times at 100k VMs, and a list grown by doubling copies each again.
fn sorted(groups: Vec<Vec<VmResult>>) -> Vec<VmResult> {
    let count = groups.iter().map(Vec::len).sum();
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(count);
    for (g, vms) in groups.iter().enumerate() {
        order.extend((0..vms.len()).map(|i| (g, i)));
    }
    let key = |&(g, i): &(usize, usize)| groups.get(g).and_then(|vms| vms.get(i)).map(order_key);
    order.par_sort_by(|a, b| key(a).cmp(&key(b)));
    // In place: an `Option` of a result is no bigger than the result (checked below).
    let mut slots: Vec<Vec<Option<VmResult>>> = groups
        .into_iter()
        .map(|vms| vms.into_iter().map(Some).collect())
        .collect();
    let mut out = Vec::with_capacity(count);
    for (g, i) in order {
        if let Some(vm) = slots
            .get_mut(g)
            .and_then(|vms| vms.get_mut(i))
            .and_then(Option::take)
        {
            out.push(vm);
        }
    }
    out
}

const _: () = assert!(std::mem::size_of::<Option<VmResult>>() == std::mem::size_of::<VmResult>());

/// What results are sorted by.
fn order_key(vm: &VmResult) -> (&str, &str, &str, &str) {
    (vm.origin.path(), &vm.name, &vm.id, &vm.origin.pointer)
}

/// Runs a scan.
pub fn scan(options: &ScanOptions) -> ScanResult {
    let broad_source_prefix_length = options
        .broad_source_prefix_length
        .or(options.config.broad_source_prefix_length)
        .unwrap_or(rules::Settings::default().broad_source_prefix_length);
    let run = pipeline::run(options, Texts::Release, |mut env| {
        let progress = options.progress.as_deref();
        let mut vms = evaluate_inventory_observed(&env.inventory, &options.ports, progress);
        if let Some(access) = &env.access {
            judge_access(&env.inventory, &mut vms, access);
        }
        let audit = crate::audit::audit_inventory(
            &env.inventory,
            &vms,
            options.as_of,
            broad_source_prefix_length,
        );
        // Each model is freed in the background as soon as its VMs are evaluated, so the
        // models of many templates and their results are never all held at once.
        let inventory = std::mem::take(&mut env.inventory);
        rayon::spawn(move || drop(inventory));
        (vms, audit)
    });
    let mut stages = Stages::resume(run.stages);
    let records = run.inputs;
    let access = run.access;
    let (groups, audits): (Vec<_>, Vec<_>) = run.outputs.into_iter().unzip();
    let vms = sorted(groups);
    let mut jit_audit: Vec<crate::audit::VmAccessAudit> = audits.into_iter().flatten().collect();
    jit_audit.sort_by(|a, b| {
        (&a.vm_name, &a.vm_id, &a.policy_id).cmp(&(&b.vm_name, &b.vm_id, &b.policy_id))
    });
    stages.done("sort");
    let settings = rules::Settings {
        broad_source_prefix_length,
        jit_max_request_seconds: options
            .config
            .jit_max_request_seconds
            .unwrap_or(rules::Settings::default().jit_max_request_seconds),
        levels: options.config.levels.clone(),
    };
    let mut findings = rules::findings(&vms, &settings);
    suppress::apply(&mut findings, &vms, &options.config, options.today);
    crate::baseline::assign(&mut findings, &options.paths, &options.context);
    stages.done("findings");
    ScanResult {
        inputs: records,
        vms,
        findings,
        ports: options.ports.clone(),
        context: options.context.clone(),
        suppressions: SuppressionSources {
            config_file: options
                .config
                .path
                .as_deref()
                .map(crate::load::display_path),
            config_ignored: options.config_ignored,
        },
        stages: stages.finish(),
        access,
        as_of: options.today,
        title: options
            .title
            .clone()
            .or_else(|| options.config.report_title.clone()),
        jit_audit,
        jit_as_of: options.as_of,
    }
}

/// Who can open each VM's ports, from the resources on its paths: results are in the
/// inventory's VM order (see [`evaluate_inventory`]).
pub fn judge_access(inventory: &Inventory, vms: &mut [VmResult], access: &crate::rbac::Directory) {
    vms.par_iter_mut()
        .zip(inventory.vms.par_iter())
        .for_each(|(result, vm)| judge_vm_access(inventory, vm, result, access));
}

/// Who can open one VM's ports (`result` is its evaluation): the scan's and explain's one way.
pub fn judge_vm_access(
    inventory: &Inventory,
    vm: &crate::model::Vm,
    result: &mut VmResult,
    access: &crate::rbac::Directory,
) {
    let surface = crate::rbac::surface::surface(inventory, vm, &result.ports);
    result.access = Some(Box::new(access.evaluate(&surface)));
}

/// Evaluates and classifies every VM of an inventory, in parallel.
pub fn evaluate_inventory(inventory: &Inventory, ports: &[u16]) -> Vec<VmResult> {
    evaluate_inventory_observed(inventory, ports, None)
}

/// [`evaluate_inventory`], advancing `progress` once per [`VM_CHUNK`] VMs (one environment
/// may hold every VM of a tenant) and once for the rest at the end.
fn evaluate_inventory_observed(
    inventory: &Inventory,
    ports: &[u16],
    progress: Option<&Progress>,
) -> Vec<VmResult> {
    let shared = SharedDecisions::new(inventory, ports);
    let vms = inventory
        .vms
        .par_iter()
        .enumerate()
        .map(|(i, vm)| {
            let result = classify(evaluate_vm_with(inventory, vm, ports, Some(&shared)));
            if let Some(progress) = progress.filter(|_| i % VM_CHUNK == VM_CHUNK - 1) {
                progress.vms_ticked(VM_CHUNK);
            }
            result
        })
        .collect();
    if let Some(progress) = progress {
        progress.vms_ticked(inventory.vms.len() % VM_CHUNK);
    }
    vms
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports list VMs by the file that declares them, then by name (then id and place, so
    /// that no two orders are possible): what a reader paging through a report expects, and
    /// what makes two runs byte-identical.
    #[test]
    fn results_are_listed_by_file_then_name() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let result = scan(&ScanOptions {
            paths: vec![root.join("fixtures/arm"), root.join("fixtures/exports")],
            ..ScanOptions::default()
        });
        let vms = &result.vms;
        assert!(vms.len() > 40, "fixtures hold VMs ({})", vms.len());
        // Files with several VMs make the order within a file count too (a reversed sort
        // fails here).
        let mut files_with_several = 0;
        for pair in vms.windows(2) {
            let [a, b] = pair else { continue };
            let (ka, kb) = (
                (a.origin.path(), a.name.as_str(), a.id.as_str()),
                (b.origin.path(), b.name.as_str(), b.id.as_str()),
            );
            assert!(ka <= kb, "{ka:?} is listed before {kb:?}");
            if a.origin.path() == b.origin.path() {
                files_with_several += 1;
            }
        }
        assert!(files_with_several > 5, "{files_with_several}");
    }
}
