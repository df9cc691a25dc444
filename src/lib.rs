//! jitscan: offline just-in-time VM access compliance scanner for Azure.
#![allow(missing_docs)]
pub mod arm;
pub mod classify;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod eval;
pub mod explain;
pub mod export;
pub mod load;
pub mod model;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod suppress;
