//! LOAD: decide what a parsed JSON document is, from its content (and name for parameters).
//!
//! Sniffing only looks at a few top-level keys; it never walks resources.

use std::path::Path;

use serde_json::Value;

use super::shape::{self, ExportShape};

/// What a document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentKind {
    /// An ARM deployment template (has `resources`).
    Template,
    /// An ARM deployment parameters file.
    Parameters,
    /// An export of live resources (REST, Resource Graph, az CLI).
    Export(ExportShape),
    /// Infrastructure source jitscan does not read, but whose user should be told how to
    /// scan it (a Terraform state or plan in JSON).
    Foreign(Foreign),
    /// Something jitscan does not read; the reason says what it looked like.
    Unsupported(String),
}

/// Infrastructure as code in a language jitscan does not read. A gate pointed at such a
/// folder must not pass in silence: these are named on stderr with how to scan them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// `*.bicep`, `*.bicepparam`: compiles to an ARM template, which jitscan reads.
    Bicep,
    /// `*.tf`, `*.tfvars`, `*.tfstate`, or a plan or state in JSON.
    Terraform,
}

impl Foreign {
    /// The kind's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bicep => "bicep",
            Self::Terraform => "terraform",
        }
    }

    /// Why the file was not scanned and how to scan what it describes.
    /// (No file name goes into the commands: a hostile name must never reach a command line
    /// a user copies.)
    pub fn reason(self) -> String {
        match self {
            Self::Bicep => "Bicep source, not scanned: jitscan reads the ARM template Bicep \
                 compiles to; run `az bicep build --file main.bicep --stdout > main.json` (or \
                 `bicep build main.bicep`) and scan the JSON"
                .to_owned(),
            Self::Terraform => "Terraform source, plan or state, not scanned: jitscan reads ARM \
                 templates and exports of deployed resources; scan an export of what Terraform \
                 deployed (`az resource list`, Resource Graph, or the REST list of each resource type)"
                .to_owned(),
        }
    }
}

/// A file recognised by its name as a source jitscan does not read.
pub fn foreign_source(path: &Path) -> Option<Foreign> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".bicep") || name.ends_with(".bicepparam") {
        Some(Foreign::Bicep)
    } else if [".tf", ".tfvars", ".tfstate", ".tfstate.backup", ".tf.json"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        Some(Foreign::Terraform)
    } else {
        None
    }
}

impl DocumentKind {
    /// The kind's name in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Template => "armTemplate",
            Self::Parameters => "armParameters",
            Self::Export(shape) => shape.kind(),
            Self::Foreign(foreign) => foreign.as_str(),
            Self::Unsupported(_) => "other",
        }
    }
}

/// Sniffs a parsed document.
pub fn sniff(json: &Value, path: &Path) -> DocumentKind {
    // Terraform's state and its `show -json` plan carry `terraform_version` at the top; a
    // state also has a `resources` list, which must not be read as an ARM template's.
    if json.get("terraform_version").is_some() || foreign_source(path).is_some() {
        return DocumentKind::Foreign(Foreign::Terraform);
    }
    // A REST resource may carry a `resources` array too (a VM's extensions); a template never
    // has a top-level resource id.
    let is_resource = json
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.contains("/providers/"));
    let is_template = (json.get("resources").is_some() && !is_resource)
        || json
            .get("$schema")
            .and_then(Value::as_str)
            .is_some_and(|s| s.to_ascii_lowercase().contains("deploymenttemplate"));
    if !is_template {
        if let Some(shape) = shape::sniff(json) {
            return DocumentKind::Export(shape);
        }
    }
    let Value::Object(map) = json else {
        return DocumentKind::Unsupported(
            "JSON whose top level is not an object and not a list of Azure resources: not an ARM template or an export".to_owned(),
        );
    };
    let schema = map
        .get("$schema")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if schema.contains("deploymentparameters") || is_parameters_name(path) {
        return DocumentKind::Parameters;
    }
    if map.get("resources").is_some() {
        return DocumentKind::Template;
    }
    if schema.contains("deploymenttemplate") {
        return DocumentKind::Template;
    }
    DocumentKind::Unsupported(
        "JSON object without `resources` and without Azure resource ids: not an ARM template or an export"
            .to_owned(),
    )
}

/// `*.parameters.json` (any case).
pub fn is_parameters_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|n| n.ends_with(".parameters.json"))
}
