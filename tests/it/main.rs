//! jitscan's integration tests: one test binary, one module per topic, and one helper that runs
//! the real binary (`support`), as zizmor does. A new topic is a new module here; a test that
//! runs jitscan goes through `support::jitscan` (or its `scan`/`policy` forms).
//!
//! Run one topic with a filter: `cargo test --test it hostile::`. The fuzz smoke is the
//! `fuzz::` module (`JITSCAN_FUZZ_CASES=5000 cargo test --release --test it fuzz::`).
//!
//! Test data that is not a fixture of the scanner (third-party schemas, corpus labels) lives in
//! `tests/data/`, each with its source and licence beside it.
// Clippy's `allow-*-in-tests` settings (clippy.toml) cover `#[test]` functions only; the
// helpers of an integration test crate are test code too, and may unwrap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod avnm;
mod baseline;
mod cli;
mod corpus;
mod decided;
mod decoding;
mod explain;
mod exports;
mod fixtures;
mod fuzz;
mod hostile;
mod html;
mod html_access;
mod instance_ips;
mod invariants;
mod jit_audit;
mod jit_layer;
mod json_report;
mod layout;
mod limits;
mod locations;
mod policy;
mod policy_merge;
mod progress;
mod quiet_and_colour;
mod rbac;
mod request;
mod sarif;
mod shared_decisions;
mod support;
mod suppressions_and_outputs;
