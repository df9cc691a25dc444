//! Hostile and broken input, through the real binary: every case ends with a clear diagnostic
//! (stable code, line and column) or a bounded result, fast; the exit code is 2 exactly when an
//! input failed; and the good template scanned beside each bad input is still reported.
//! Durations are printed, never asserted. Crashing inputs found by fuzzing are replayed from
//! `fixtures/hostile/` (see `regressions`). Hostile names must print inert in every human-readable
//! output (see `escaping`).

mod big_exports;
mod confinement;
mod diagnostics;
mod escaping;
mod files;
mod inputs;
mod regressions;
mod size_bounds;
mod templates;
