//! ARM: expand a deployment template into the concrete resources it would deploy.
//!
//! Evaluates parameters, variables and expressions; expands resource and property `copy`
//! loops; drops resources whose `condition` is false; flattens child resources (relative names
//! and types) and inline nested deployments (inner and outer scope); follows linked templates
//! to local files when their relative path exists. Undecidable values stay in the tree as
//! explicit unknowns. Problems (expression errors, cycles, copy counts, parameters that do not
//! fit, dangling references) are located diagnostics; every loop and recursion a template
//! controls is bounded. This module never interprets what a resource *means* (that is `model`).

mod budget;
pub mod context;
mod expand;
pub mod expr;
mod ids;
mod parameters;
mod problems;
mod references;
mod scope;
#[cfg(test)]
mod tests;
pub mod unknown;

pub use context::DeploymentContext;
pub use expand::{expand_template, ArmExpansion, ArmResource};
