//! REPORT: render a [`ScanResult`](crate::scan::ScanResult) for people and tools.
//!
//! `json` is the versioned contract (frozen DTOs separate from internal types); `table` is the
//! terminal view. Reports never evaluate: they only arrange what the scan decided.

pub mod html;
pub mod json;
mod json_access;
pub mod sarif;
pub mod table;
