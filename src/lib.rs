//! jitscan: offline just-in-time VM access compliance scanner for Azure.
#![allow(missing_docs)]
pub mod arm;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod eval;
pub mod classify;
pub mod scan;
pub mod report;
pub mod cli;
