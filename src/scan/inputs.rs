//! SCAN: which files were found and what became of each: the `inputs` account of a report.
//!
//! Loads every file once, pairs templates with parameters files, and at the end records each
//! file as scanned, skipped (with why) or failed (with diagnostics). Never evaluates.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::ScanOptions;
use crate::diagnostic::InputProblem;
use crate::export::ExportShape;
use crate::load::{self, sniff::is_parameters_name, Document, DocumentKind, Loaded, LoadedFile};

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

/// True when some input failed: every command exits 2 then, after its output for the rest.
pub fn any_input_failed(inputs: &[InputRecord]) -> bool {
    inputs.iter().any(|i| i.status == InputStatus::Failed)
}

/// True when no input was scanned: a gate pointed at the wrong folder, at Bicep or Terraform
/// sources only, or at an empty standard input checked nothing and must not pass.
pub fn nothing_scanned(inputs: &[InputRecord]) -> bool {
    !inputs.iter().any(|i| i.status == InputStatus::Scanned)
}

/// Every file loaded, with the pairing of templates and parameters.
pub(crate) struct LoadedInputs {
    /// The scan roots: linked templates are read only inside them.
    pub roots: load::Roots,
    /// Files found and loaded, sorted by path.
    pub files: Vec<LoadedFile>,
    /// Records made before scanning (unreadable paths, the --parameters file).
    pub early: BTreeMap<String, InputRecord>,
    /// Template display path -> parameters display path.
    pub pairing: HashMap<String, String>,
    /// Template display path -> index in `files` of its parameters file.
    paired_index: HashMap<String, usize>,
    /// The --parameters document, when given and readable.
    pub override_params: Option<Arc<Document>>,
    /// Templates another template deploys as a linked template (display path -> the
    /// deploying template's): not entry points, their VMs are counted where deployed.
    pub deployed_through: HashMap<String, String>,
}

impl LoadedInputs {
    /// The parameters document for a template.
    pub fn parameters_for(&self, template: &str) -> Option<Arc<Document>> {
        if let Some(p) = &self.override_params {
            return Some(Arc::clone(p));
        }
        let paired = self.paired_index.get(template)?;
        match &self.files.get(*paired)?.loaded {
            Loaded::Parsed(d, _) => Some(Arc::clone(d)),
            _ => None,
        }
    }

    /// Frees every parsed tree once the environments are built: reports need only the text
    /// (for locations), and the trees are several times its size. Trees still shared
    /// elsewhere are left alone. Dropping is parallel, like parsing.
    pub fn release_trees(&mut self) {
        if let Some(doc) = self.override_params.as_mut().and_then(Arc::get_mut) {
            drop(std::mem::take(&mut doc.json));
        }
        self.files.par_iter_mut().for_each(|f| {
            if let Loaded::Parsed(doc, _) = &mut f.loaded {
                if let Some(doc) = Arc::get_mut(doc) {
                    drop(std::mem::take(&mut doc.json));
                }
            }
        });
    }

    /// Frees the text of every input (see [`crate::source::Source`]): only once every location
    /// the reports may need has been resolved.
    pub fn release_texts(&self) {
        if let Some(doc) = &self.override_params {
            doc.release_text();
        }
        for file in &self.files {
            if let Loaded::Parsed(doc, _) = &file.loaded {
                doc.release_text();
            }
        }
    }
}

/// Loads everything under the scan paths.
pub(crate) fn load(options: &ScanOptions) -> LoadedInputs {
    let roots = load::Roots::new(&options.paths);
    let progress = options.progress.as_deref();
    let (files, walked) = load::load_all(&options.paths, &roots, &options.limits, progress);
    let mut early = BTreeMap::new();
    for problem in walked.problems {
        early.insert(problem.path.clone(), failed_record(problem));
    }
    for (path, reason) in walked.skipped {
        early.insert(
            path.clone(),
            InputRecord {
                path,
                kind: "other".to_owned(),
                status: InputStatus::Skipped,
                reason: Some(reason),
                sha256: String::new(),
                problems: Vec::new(),
                vm_count: 0,
            },
        );
    }
    let override_params = options
        .parameters
        .as_ref()
        .and_then(|p| load_override(p, &options.limits, &mut early));
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.found.display.as_str(), i))
        .collect();
    let pairing = pair_parameters(&files);
    let paired_index = pairing
        .iter()
        .filter_map(|(template, params)| Some((template.clone(), *index.get(params.as_str())?)))
        .collect();
    LoadedInputs {
        roots,
        files,
        early,
        pairing,
        paired_index,
        override_params,
        deployed_through: HashMap::new(),
    }
}

/// The final account: every file with its status, problems and VM count. Takes each
/// environment's owner (its template, None for the exports) with the problems found building
/// it, and how many VMs each file declares (see [`super::pipeline::run`]).
pub(crate) fn account(
    loaded: LoadedInputs,
    env_problems: impl IntoIterator<Item = (Option<String>, Vec<InputProblem>)>,
    vm_files: &[(String, usize)],
) -> Vec<InputRecord> {
    let known: std::collections::HashSet<&str> = loaded
        .files
        .iter()
        .map(|f| f.found.display.as_str())
        .collect();
    let mut problems_by_path: HashMap<String, Vec<InputProblem>> = HashMap::new();
    for (env_owner, problems) in env_problems {
        for problem in problems {
            let owner = match &env_owner {
                Some(owner) if !known.contains(problem.path.as_str()) => owner.clone(),
                _ => problem.path.clone(),
            };
            problems_by_path.entry(owner).or_default().push(problem);
        }
    }
    let mut vm_counts: crate::map::Map<&str, usize> = crate::map::Map::default();
    for (file, count) in vm_files {
        *vm_counts.entry(file.as_str()).or_default() += count;
    }
    let mut records = loaded.early;
    for file in &loaded.files {
        let mut record = record_for(file, &loaded.pairing, loaded.override_params.is_some());
        if let Some(deployer) = loaded.deployed_through.get(&file.found.display) {
            record.reason = Some(format!(
                "ARM template deployed by {deployer} as a linked template: its VMs are counted there, with the parameters it is deployed with"
            ));
        }
        record.problems.extend(
            problems_by_path
                .remove(&file.found.display)
                .unwrap_or_default(),
        );
        record.vm_count = vm_counts
            .get(file.found.display.as_str())
            .copied()
            .unwrap_or(0);
        records.insert(record.path.clone(), record);
    }
    records.into_values().collect()
}

/// Says, of each file that held role assignments, definitions, eligibilities or deny
/// assignments, what was read of it (they are read for who can open the ports, not as
/// resources).
pub(crate) fn note_access(records: &mut [InputRecord], access: &crate::rbac::Directory) {
    for record in records {
        let Some(source) = access.sources.get(&record.path) else {
            continue;
        };
        let read: Vec<String> = source
            .read
            .iter()
            .map(|(kind, n)| format!("{n} {}", kind.as_str()))
            .collect();
        let mut reason = format!(
            "access export ({}), read for who can open the management ports",
            read.join(", ")
        );
        if !source.unreadable.is_empty() {
            reason.push_str(&format!(
                "; {} item(s) left out for missing fields",
                source.unreadable.len()
            ));
        }
        record.reason = Some(reason);
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
    limits: &super::Limits,
    records: &mut BTreeMap<String, InputRecord>,
) -> Option<Arc<Document>> {
    let found = load::FoundFile {
        path: path.to_path_buf(),
        display: load::display_path(path),
    };
    let file = load::load_file_with(found, &load::Roots::new(&[path.to_path_buf()]), limits);
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
pub(crate) fn pair_parameters(files: &[LoadedFile]) -> HashMap<String, String> {
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
        Loaded::Foreign(foreign) | Loaded::Parsed(_, DocumentKind::Foreign(foreign)) => (
            foreign.as_str(),
            InputStatus::Skipped,
            Some(foreign.reason()),
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
