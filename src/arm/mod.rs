//! ARM: expand a deployment template into the concrete resources it would deploy.
//!
//! Evaluates parameters, variables and expressions; expands resource and property `copy`
//! loops; drops resources whose `condition` is false; flattens child resources (relative names
//! and types) and inline nested deployments (inner and outer scope); follows linked templates
//! to local files when their relative path exists. Undecidable values stay in the tree as
//! explicit unknowns. This module never interprets what a resource *means* (that is `model`).

pub mod context;
mod expand;
pub mod expr;
mod ids;
mod scope;
pub mod unknown;

pub use context::DeploymentContext;
pub use expand::{expand_template, ArmExpansion, ArmResource};
