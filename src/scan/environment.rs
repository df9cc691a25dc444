//! SCAN: environments, the sets of resources evaluated together: one per template (with its
//! parameters and linked templates), one for all exports. Built in parallel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::inputs::LoadedInputs;
use super::ScanOptions;
use crate::arm::{expand_template, ArmExpansion};
use crate::diagnostic::InputProblem;
use crate::export::{self, ExportShape};
use crate::load::{Document, DocumentKind, Loaded, Roots};
use crate::model::compute::Declared;
use crate::model::Inventory;
use crate::source::Origin;

/// Resources evaluated together, with the problems found building them.
#[derive(Debug)]
pub struct Environment {
    /// The linked resources.
    pub inventory: Inventory,
    /// Problems of expansion, linking and modelling.
    pub problems: Vec<InputProblem>,
    /// The template it comes from (None for the export environment).
    pub owner: Option<String>,
    /// The role assignments of the scan, when its exports hold any (every environment
    /// shares them: a scope covers a VM wherever the VM is declared).
    pub access: Option<Arc<crate::rbac::Directory>>,
    /// The path of that template, and the templates it links, by real path (see
    /// [`without_linked_entry_points`]).
    links: Option<(PathBuf, Vec<PathBuf>)>,
}

/// Builds every environment of the loaded inputs.
///
/// Each template's tree is handed to the builder of its environment and freed as soon as that
/// environment is built (its file keeps a tree-less document for the account), so a scan of
/// many templates does not hold every tree at once. With `release`, the locations each
/// environment's results can cite are resolved as soon as it is built, and the texts of its
/// template or exports freed (see [`crate::source::Source`]); the other inputs' texts
/// (parameters files) are the caller's to free.
pub(crate) fn build(
    loaded: &mut LoadedInputs,
    options: &ScanOptions,
    release: bool,
) -> Vec<Environment> {
    let jobs: Vec<(usize, Option<Arc<Document>>)> = loaded
        .files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match &f.loaded {
            Loaded::Parsed(doc, DocumentKind::Template) => {
                Some((i, loaded.parameters_for(&doc.display)))
            }
            _ => None,
        })
        .collect();
    let jobs: Vec<(Arc<Document>, Option<Arc<Document>>)> = jobs
        .into_iter()
        .filter_map(|(i, params)| match &mut loaded.files.get_mut(i)?.loaded {
            Loaded::Parsed(doc, _) => {
                let tree_less = Arc::new(Document {
                    source: Arc::clone(&doc.source),
                    json: serde_json::Value::Null,
                    deferred: None,
                    tree_dropped: false,
                });
                Some((std::mem::replace(doc, tree_less), params))
            }
            _ => None,
        })
        .collect();
    let mut envs: Vec<Environment> = jobs
        .into_par_iter()
        .map(|(doc, params)| {
            let owner = Some(doc.display.clone());
            let (inventory, problems, linked) =
                build_inventory(&doc, params.as_deref(), options, &loaded.roots);
            if release {
                inventory.resolve_places();
                doc.release_text();
            }
            let links = Some((doc.path.clone(), linked));
            Environment {
                inventory,
                problems,
                owner,
                access: None,
                links,
            }
        })
        .collect();
    let (kept, deployed_through) = without_linked_entry_points(envs);
    envs = kept;
    loaded.deployed_through = deployed_through;
    let exports: Vec<(Arc<Document>, ExportShape)> = loaded
        .files
        .iter()
        .filter_map(|f| match &f.loaded {
            Loaded::Parsed(doc, DocumentKind::Export(shape)) => Some((Arc::clone(doc), *shape)),
            _ => None,
        })
        .collect();
    if !exports.is_empty() {
        let (inventory, problems, records) =
            export::build_inventory_and_access(&exports, &options.limits);
        let access =
            (!records.is_empty()).then(|| Arc::new(crate::rbac::Directory::build(records)));
        if release {
            inventory.resolve_places();
            if let Some(access) = &access {
                access.resolve_places();
            }
            for (doc, _) in &exports {
                doc.release_text();
            }
        }
        for env in &mut envs {
            env.access = access.clone();
        }
        envs.push(Environment {
            inventory,
            problems,
            owner: None,
            access,
            links: None,
        });
    }
    envs
}

/// Expands a template and builds its linked inventory; problems of expansion and modelling.
/// The resources borrow the template's text until they are modelled. Also gives the
/// templates it linked, by real path.
pub(crate) fn build_inventory(
    doc: &Arc<Document>,
    params: Option<&Document>,
    options: &ScanOptions,
    roots: &Roots,
) -> (Inventory, Vec<InputProblem>, Vec<PathBuf>) {
    let text = doc.text();
    let ArmExpansion {
        resources,
        mut problems,
        linked_files,
    } = expand_template(doc, &text, params, &options.context, roots);
    let mut inventory =
        Inventory::build_from(resources, options.limits.model_chunk, |inventory, r| {
            let declared = Declared {
                id: &r.id,
                name: &r.name,
                declared_name: &r.declared_name,
                value: &r.value,
                origin: Origin {
                    document: Arc::clone(&r.document.source),
                    pointer: r.pointer.as_str().into(),
                },
                assumptions: &r.assumptions,
                from_template: true,
            };
            inventory.add(&r.resource_type, &declared);
        });
    inventory.finish();
    problems.append(&mut inventory.problems);
    (inventory, problems, linked_files)
}

/// The environments without those of templates that another template deploys as a linked
/// template: a VM is counted once, where it is deployed, with the parameters it is deployed
/// with. A template linked only from templates that are themselves linked (a cycle) stays an
/// entry point. Also gives, for each template left out, the template that deploys it.
fn without_linked_entry_points(
    envs: Vec<Environment>,
) -> (Vec<Environment>, HashMap<String, String>) {
    fn links(env: &Environment) -> Option<(&(PathBuf, Vec<PathBuf>), &str)> {
        Some((env.links.as_ref()?, env.owner.as_deref()?))
    }
    if envs
        .iter()
        .filter_map(links)
        .all(|((_, linked), _)| linked.is_empty())
    {
        return (envs, HashMap::new());
    }
    // Templates by real path (the links were resolved to real paths too).
    let templates: Vec<(PathBuf, &Vec<PathBuf>, &str)> = envs
        .iter()
        .filter_map(links)
        .filter_map(|((path, linked), owner)| {
            Some((std::fs::canonicalize(path).ok()?, linked, owner))
        })
        .collect();
    let owner_of: HashMap<&PathBuf, &str> = templates
        .iter()
        .map(|(real, _, owner)| (real, *owner))
        .collect();
    let mut linked_by: HashMap<&PathBuf, Vec<&PathBuf>> = HashMap::new();
    for (real, linked, _) in &templates {
        for target in linked.iter().filter(|t| *t != real) {
            linked_by.entry(target).or_default().push(real);
        }
    }
    let is_entry = |real: &PathBuf| !linked_by.contains_key(real);
    let mut deployed_through = HashMap::new();
    for (real, _, owner) in &templates {
        let deployer = linked_by
            .get(real)
            .and_then(|by| by.iter().filter(|b| is_entry(b)).min())
            .and_then(|b| owner_of.get(b));
        if let Some(deployer) = deployer {
            deployed_through.insert((*owner).to_owned(), (*deployer).to_owned());
        }
    }
    let kept = envs
        .into_iter()
        .filter(|env| {
            env.owner
                .as_ref()
                .is_none_or(|owner| !deployed_through.contains_key(owner))
        })
        .collect();
    (kept, deployed_through)
}
