//! Hostile and broken input, through the real binary: every case ends with a clear diagnostic
//! (stable code, line and column) or a bounded result, fast; the exit code is 2 exactly when an
//! input failed; and the good template scanned beside each bad input is still reported.
//! Durations are printed, never asserted. Crashing inputs found by fuzzing are replayed from
//! `fixtures/hostile/` (see `regressions`). Hostile names must print inert in every human-readable
//! output (see `escaping`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "hostile/big_exports.rs"]
mod big_exports;
#[path = "hostile/confinement.rs"]
mod confinement;
#[path = "hostile/diagnostics.rs"]
mod diagnostics;
#[path = "hostile/escaping.rs"]
mod escaping;
#[path = "hostile/files.rs"]
mod files;
#[path = "hostile/regressions.rs"]
mod regressions;
#[path = "hostile/size_bounds.rs"]
mod size_bounds;
#[path = "hostile/support.rs"]
mod support;
#[path = "hostile/templates.rs"]
mod templates;
