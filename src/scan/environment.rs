//! SCAN: environments, the sets of resources evaluated together: one per template (with its
//! parameters and linked templates), one for all exports. Built in parallel.

use std::sync::Arc;

use rayon::prelude::*;

use super::inputs::LoadedInputs;
use super::ScanOptions;
use crate::arm::{expand_owned_template, ArmExpansion};
use crate::diagnostic::InputProblem;
use crate::export::{self, ExportShape};
use crate::load::{Document, DocumentKind, Loaded};
use crate::model::compute::Declared;
use crate::model::{Inventory, Origin};

/// Resources evaluated together, with the problems found building them.
#[derive(Debug)]
pub struct Environment {
    /// The linked resources.
    pub inventory: Inventory,
    /// Problems of expansion, linking and modelling.
    pub problems: Vec<InputProblem>,
    /// The template it comes from (None for the export environment).
    pub owner: Option<String>,
}

/// Builds every environment of the loaded inputs.
///
/// Each template's tree is handed to the builder of its environment and freed as soon as that
/// environment is built (its file keeps a tree-less document for the account), so a scan of
/// many templates does not hold every tree at once. With `release`, the locations each
/// environment's results can cite are resolved as soon as it is built, and the texts of its
/// template or exports freed (see [`crate::load::Source`]); the other inputs' texts
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
            let (inventory, problems) =
                build_inventory(Arc::clone(&doc), params.as_deref(), options);
            if release {
                inventory.resolve_places();
                doc.release_text();
            }
            Environment {
                inventory,
                problems,
                owner,
            }
        })
        .collect();
    let exports: Vec<(Arc<Document>, ExportShape)> = loaded
        .files
        .iter()
        .filter_map(|f| match &f.loaded {
            Loaded::Parsed(doc, DocumentKind::Export(shape)) => Some((Arc::clone(doc), *shape)),
            _ => None,
        })
        .collect();
    if !exports.is_empty() {
        let (inventory, problems) = export::build_inventory(&exports);
        if release {
            inventory.resolve_places();
            for (doc, _) in &exports {
                doc.release_text();
            }
        }
        envs.push(Environment {
            inventory,
            problems,
            owner: None,
        });
    }
    envs
}

/// Every environment under `options.paths` (for `explain` and `policy`).
pub fn environments(options: &ScanOptions) -> Vec<Environment> {
    build(&mut super::inputs::load(options), options, false)
}

/// Expands a template and builds its linked inventory; problems of expansion and modelling.
/// The template is given to the expansion (see [`expand_owned_template`]): when it kept no
/// tree, its resources are read from its text, which they borrow until they are modelled.
pub(crate) fn build_inventory(
    doc: Arc<Document>,
    params: Option<&Document>,
    options: &ScanOptions,
) -> (Inventory, Vec<InputProblem>) {
    let text = doc.text();
    let ArmExpansion {
        resources,
        mut problems,
        ..
    } = match expand_owned_template(doc, &text, params, &options.context) {
        Ok(expansion) => expansion,
        Err(problem) => return (Inventory::default(), vec![*problem]),
    };
    let mut inventory = Inventory::build_from(resources, |inventory, r| {
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
    (inventory, problems)
}
