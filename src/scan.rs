//! The pipeline: load -> (ARM expansion) -> model -> evaluate -> classify, for every input.
//!
//! Each template (with its parameters file and linked templates) is its own environment and is
//! scanned in parallel with the others; VMs inside one environment are evaluated in parallel
//! too. Results are sorted so output is deterministic. Every file found is accounted for.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::arm::{expand_template, ArmExpansion, DeploymentContext};
use crate::classify::{classify, VmResult};
use crate::config::{Config, Date};
use crate::diagnostic::InputProblem;
use crate::eval::evaluate_vm;
use crate::export::{self, ExportShape};
use crate::load::{self, sniff::is_parameters_name, Document, DocumentKind, Loaded, LoadedFile};
use crate::model::compute::Declared;
use crate::model::{Inventory, Origin};
use crate::rules::{self, Finding};
use crate::suppress;

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
        }
    }
}

/// Outcome of one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputStatus {
    /// Read and used.
    Scanned,
    /// Not an input jitscan reads (the reason says why).
    Skipped,
    /// Could not be read or parsed.
    Failed,
}

impl InputStatus {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scanned => "scanned",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

/// The account of one input file.
#[derive(Debug, Clone)]
pub struct InputRecord {
    /// Display path.
    pub path: String,
    /// Kind (`armTemplate`, `armParameters`, `other`, `unknown`).
    pub kind: String,
    /// Status.
    pub status: InputStatus,
    /// Why skipped, or what it was used for.
    pub reason: Option<String>,
    /// sha256 of the bytes.
    pub sha256: String,
    /// Problems found in it.
    pub problems: Vec<InputProblem>,
    /// VMs and scale sets it declares.
    pub vm_count: usize,
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
}

impl ScanResult {
    /// True when some input failed.
    pub fn any_input_failed(&self) -> bool {
        self.inputs.iter().any(|i| i.status == InputStatus::Failed)
    }
}

/// Runs a scan.
pub fn scan(options: &ScanOptions) -> ScanResult {
    let (files, walk_problems) = load::load_all(&options.paths);
    let mut records: BTreeMap<String, InputRecord> = BTreeMap::new();
    for problem in walk_problems {
        records.insert(problem.path.clone(), failed_record(problem));
    }
    let override_params = options
        .parameters
        .as_ref()
        .and_then(|p| load_override(p, &mut records));
    let pairing = pair_parameters(&files);
    let by_path: HashMap<&str, &LoadedFile> = files
        .iter()
        .map(|f| (f.found.display.as_str(), f))
        .collect();
    let templates: Vec<(&LoadedFile, &Arc<Document>)> = files
        .iter()
        .filter_map(|f| match &f.loaded {
            Loaded::Parsed(doc, DocumentKind::Template) => Some((f, doc)),
            _ => None,
        })
        .collect();
    let outcomes: Vec<TemplateOutcome> = templates
        .par_iter()
        .map(|(file, doc)| {
            let params = override_params.clone().or_else(|| {
                let paired = by_path.get(pairing.get(&file.found.display)?.as_str())?;
                match &paired.loaded {
                    Loaded::Parsed(d, _) => Some(Arc::clone(d)),
                    _ => None,
                }
            });
            scan_template(doc, params.as_deref(), options)
        })
        .collect();
    let exports: Vec<(Arc<Document>, ExportShape)> = files
        .iter()
        .filter_map(|f| match &f.loaded {
            Loaded::Parsed(doc, DocumentKind::Export(shape)) => Some((Arc::clone(doc), *shape)),
            _ => None,
        })
        .collect();
    let mut problems_by_path: HashMap<String, Vec<InputProblem>> = HashMap::new();
    let mut vm_counts: HashMap<String, usize> = HashMap::new();
    let mut vms = Vec::new();
    if !exports.is_empty() {
        let (inventory, problems) = export::build_inventory(&exports);
        for problem in problems {
            problems_by_path
                .entry(problem.path.clone())
                .or_default()
                .push(problem);
        }
        let export_vms = evaluate_inventory(&inventory, &options.ports);
        for vm in &export_vms {
            *vm_counts.entry(vm.origin.path().to_owned()).or_default() += 1;
        }
        vms.extend(export_vms);
    }
    for (outcome, (file, _)) in outcomes.into_iter().zip(templates.iter()) {
        for problem in outcome.problems {
            let owner = if by_path.contains_key(problem.path.as_str()) {
                problem.path.clone()
            } else {
                file.found.display.clone()
            };
            problems_by_path.entry(owner).or_default().push(problem);
        }
        for vm in &outcome.vms {
            *vm_counts.entry(vm.origin.path().to_owned()).or_default() += 1;
        }
        vms.extend(outcome.vms);
    }
    for file in &files {
        let mut record = record_for(file, &pairing, override_params.is_some());
        record.problems.extend(
            problems_by_path
                .remove(&file.found.display)
                .unwrap_or_default(),
        );
        record.vm_count = vm_counts.get(&file.found.display).copied().unwrap_or(0);
        records.insert(record.path.clone(), record);
    }
    vms.sort_by(|a, b| {
        (a.origin.path(), &a.name, &a.id, &a.origin.pointer).cmp(&(
            b.origin.path(),
            &b.name,
            &b.id,
            &b.origin.pointer,
        ))
    });
    let mut findings = rules::findings(&vms);
    suppress::apply(&mut findings, &vms, &options.config, options.today);
    ScanResult {
        inputs: records.into_values().collect(),
        vms,
        findings,
        ports: options.ports.clone(),
        context: options.context.clone(),
    }
}

fn failed_record(problem: InputProblem) -> InputRecord {
    InputRecord {
        path: problem.path.clone(),
        kind: "unknown".to_owned(),
        status: InputStatus::Failed,
        reason: Some(problem.message.clone()),
        sha256: String::new(),
        problems: vec![problem],
        vm_count: 0,
    }
}

/// Loads the `--parameters` file; a failure is recorded and templates fall back to pairing.
fn load_override(
    path: &Path,
    records: &mut BTreeMap<String, InputRecord>,
) -> Option<Arc<Document>> {
    let found = load::FoundFile {
        path: path.to_path_buf(),
        display: load::display_path(path),
    };
    let file = load::load_file(found);
    let mut record = record_for(&file, &HashMap::new(), false);
    let doc = match &file.loaded {
        Loaded::Parsed(doc, _) => {
            record.status = InputStatus::Scanned;
            record.kind = DocumentKind::Parameters.as_str().to_owned();
            record.reason = Some("parameters for every template (--parameters)".to_owned());
            Some(Arc::clone(doc))
        }
        _ => {
            record.status = InputStatus::Failed;
            None
        }
    };
    records.insert(record.path.clone(), record);
    doc
}

/// Pairs each template with its parameters file: `<name>.parameters.json` beside `<name>.json`;
/// else, when a folder holds exactly one template and one parameters file, those two.
fn pair_parameters(files: &[LoadedFile]) -> HashMap<String, String> {
    let mut by_dir: BTreeMap<PathBuf, (Vec<&LoadedFile>, Vec<&LoadedFile>)> = BTreeMap::new();
    for file in files {
        let dir = file
            .found
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        match &file.loaded {
            Loaded::Parsed(_, DocumentKind::Template) => {
                by_dir.entry(dir).or_default().0.push(file)
            }
            Loaded::Parsed(_, DocumentKind::Parameters) => {
                by_dir.entry(dir).or_default().1.push(file)
            }
            _ => {}
        }
    }
    let mut pairs = HashMap::new();
    for (templates, params) in by_dir.values() {
        for template in templates {
            let stem = template
                .found
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let wanted = format!("{stem}.parameters.json");
            let by_name = params.iter().find(|p| {
                p.found
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.eq_ignore_ascii_case(&wanted))
            });
            let alone = (templates.len() == 1 && params.len() == 1)
                .then(|| params.first())
                .flatten();
            if let Some(p) = by_name.or(alone) {
                pairs.insert(template.found.display.clone(), p.found.display.clone());
            }
        }
    }
    pairs
}

fn record_for(
    file: &LoadedFile,
    pairing: &HashMap<String, String>,
    overridden: bool,
) -> InputRecord {
    let (kind, status, reason) = match &file.loaded {
        Loaded::Parsed(_, DocumentKind::Template) => {
            let reason = match (overridden, pairing.get(&file.found.display)) {
                (true, _) => Some("ARM template, with the --parameters file".to_owned()),
                (false, Some(p)) => Some(format!("ARM template, with parameters from {p}")),
                (false, None) => Some("ARM template, with parameter defaults".to_owned()),
            };
            ("armTemplate", InputStatus::Scanned, reason)
        }
        Loaded::Parsed(_, DocumentKind::Parameters) => {
            let users: Vec<&str> = pairing
                .iter()
                .filter(|(_, p)| **p == file.found.display)
                .map(|(t, _)| t.as_str())
                .collect();
            if users.is_empty() || overridden {
                ("armParameters", InputStatus::Skipped, Some("parameters file with no template paired to it (expected <name>.parameters.json beside <name>.json)".to_owned()))
            } else {
                (
                    "armParameters",
                    InputStatus::Scanned,
                    Some(format!("parameters for {}", users.join(", "))),
                )
            }
        }
        Loaded::Parsed(_, DocumentKind::Export(shape)) => (
            shape.kind(),
            InputStatus::Scanned,
            Some(if *shape == ExportShape::EffectiveNsg {
                "effective security rules of a network interface (authoritative for it)".to_owned()
            } else {
                "export of live resources, scanned with every other export as one environment"
                    .to_owned()
            }),
        ),
        Loaded::Parsed(_, DocumentKind::Unsupported(reason)) | Loaded::Skipped(reason) => {
            let kind = if is_parameters_name(&file.found.path) {
                "armParameters"
            } else {
                "other"
            };
            (kind, InputStatus::Skipped, Some(reason.clone()))
        }
        Loaded::Failed => (
            "unknown",
            InputStatus::Failed,
            file.problems.first().map(|p| p.message.clone()),
        ),
    };
    InputRecord {
        path: file.found.display.clone(),
        kind: kind.to_owned(),
        status,
        reason,
        sha256: file.sha256.clone(),
        problems: file.problems.clone(),
        vm_count: 0,
    }
}

/// What one template gave.
struct TemplateOutcome {
    vms: Vec<VmResult>,
    problems: Vec<InputProblem>,
}

fn scan_template(
    doc: &Arc<Document>,
    params: Option<&Document>,
    options: &ScanOptions,
) -> TemplateOutcome {
    let (inventory, problems) = build_inventory(doc, params, options);
    let vms = evaluate_inventory(&inventory, &options.ports);
    TemplateOutcome { vms, problems }
}

/// Expands a template and builds its linked inventory; problems of expansion and modelling.
pub(crate) fn build_inventory(
    doc: &Arc<Document>,
    params: Option<&Document>,
    options: &ScanOptions,
) -> (Inventory, Vec<InputProblem>) {
    let ArmExpansion {
        resources,
        mut problems,
        ..
    } = expand_template(doc, params, &options.context);
    let mut inventory = Inventory::default();
    for r in &resources {
        let declared = Declared {
            id: &r.id,
            name: &r.name,
            declared_name: &r.declared_name,
            value: &r.value,
            origin: Origin {
                document: Arc::clone(&r.document),
                pointer: r.pointer.clone(),
            },
            assumptions: &r.assumptions,
        };
        inventory.add(&r.resource_type, &declared);
    }
    inventory.finish();
    problems.append(&mut inventory.problems);
    (inventory, problems)
}

/// Every template found under `options.paths` with its inventory (for `explain`).
pub(crate) fn inventories(options: &ScanOptions) -> Vec<(Arc<Document>, Inventory)> {
    let (files, _) = load::load_all(&options.paths);
    let pairing = pair_parameters(&files);
    let by_path: HashMap<&str, &LoadedFile> = files
        .iter()
        .map(|f| (f.found.display.as_str(), f))
        .collect();
    files
        .iter()
        .filter_map(|f| match &f.loaded {
            Loaded::Parsed(doc, DocumentKind::Template) => Some((f, doc)),
            _ => None,
        })
        .map(|(file, doc)| {
            let params = pairing
                .get(&file.found.display)
                .and_then(|p| by_path.get(p.as_str()))
                .and_then(|f| match &f.loaded {
                    Loaded::Parsed(d, _) => Some(Arc::clone(d)),
                    _ => None,
                });
            let (inventory, _) = build_inventory(doc, params.as_deref(), options);
            (Arc::clone(doc), inventory)
        })
        .collect()
}

/// Evaluates and classifies every VM of an inventory, in parallel.
pub fn evaluate_inventory(inventory: &Inventory, ports: &[u16]) -> Vec<VmResult> {
    inventory
        .vms
        .par_iter()
        .map(|vm| classify(evaluate_vm(inventory, vm, ports)))
        .collect()
}
