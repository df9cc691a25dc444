//! LOAD: decide what a parsed JSON document is, from its content (and name for parameters).
//!
//! Sniffing only looks at a few top-level keys; it never walks resources.

use std::path::Path;

use serde_json::Value;

use crate::export::ExportShape;

/// What a document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentKind {
    /// An ARM deployment template (has `resources`).
    Template,
    /// An ARM deployment parameters file.
    Parameters,
    /// An export of live resources (REST, Resource Graph, az CLI).
    Export(ExportShape),
    /// Something jitscan does not read; the reason says what it looked like.
    Unsupported(String),
}

impl DocumentKind {
    /// The kind's name in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Template => "armTemplate",
            Self::Parameters => "armParameters",
            Self::Export(shape) => shape.kind(),
            Self::Unsupported(_) => "other",
        }
    }
}

/// Sniffs a parsed document.
pub fn sniff(json: &Value, path: &Path) -> DocumentKind {
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
        if let Some(shape) = crate::export::shape::sniff(json) {
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
