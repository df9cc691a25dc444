//! The progress line of long runs (issue #23): drawn on stderr only for someone watching a
//! terminal, never in a pipe (these tests' streams are pipes), and never changing a report.
//! Whether it would be drawn for a given terminal, `--quiet`, `CI` and `TERM` is unit-tested
//! beside its decision in src/main.rs; the counters' sum in src/progress.rs.

use std::sync::Arc;

use jitscan::progress::Progress;
use jitscan::report::json;
use jitscan::scan::{scan, ScanOptions};

use crate::support::{jitscan, root, Ran, Run};

/// Every folder of fixtures: enough files and VMs for a debug build to take longer than the
/// quarter of a second before the line would first be drawn.
const FOLDERS: [&str; 3] = ["fixtures/arm", "fixtures/exports", "fixtures/policy"];

/// No text of the progress line, and no carriage return or escape sequence that redraws one.
fn assert_no_progress(ran: &Ran) {
    for text in [
        "files read",
        "VMs evaluated",
        "finding files",
        "building the model",
    ] {
        assert!(
            !ran.stderr.contains(text),
            "{text:?} on stderr:\n{}",
            ran.stderr
        );
    }
    assert!(
        !ran.stderr.contains('\r') && !ran.stderr.contains('\u{1b}'),
        "{:?}",
        ran.stderr
    );
}

/// With `CI` unset and a capable `TERM`, only stderr not being a terminal keeps the line off.
fn outside_ci(mut cmd: assert_cmd::Command) -> Ran {
    cmd.env_remove("CI").env("TERM", "xterm-256color").run()
}

#[test]
fn scan_draws_no_progress_into_a_pipe() {
    let mut cmd = jitscan();
    cmd.args(["scan", "--format", "json", "--fail-on", "never"])
        .args(FOLDERS);
    let ran = outside_ci(cmd);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.report["vms"].as_array().is_some_and(|v| !v.is_empty()));
    assert_no_progress(&ran);
}

#[test]
fn policy_draws_no_progress_into_a_pipe() {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = jitscan();
    cmd.arg("policy")
        .args(FOLDERS)
        .arg("--out")
        .arg(out.path().join("plans"));
    let ran = outside_ci(cmd);
    // 0 or 1 (a plan not proven) are both a finished run; 2 would be an error.
    assert!(ran.code == 0 || ran.code == 1, "{}", ran.stderr);
    assert_no_progress(&ran);
}

/// The counters a caller watches end at the totals: every file found was read, every VM
/// found was evaluated (the scan's one per VM and scale set), and watching changes no byte of
/// the report.
#[test]
fn counters_reach_the_totals_and_leave_the_report_alone() {
    let paths: Vec<_> = FOLDERS.iter().map(|f| root().join(f)).collect();
    let options = ScanOptions {
        paths,
        as_of: 0,
        ..ScanOptions::default()
    };
    let progress = Arc::new(Progress::default());
    let watched = scan(&ScanOptions {
        progress: Some(Arc::clone(&progress)),
        ..options.clone()
    });
    let unwatched = scan(&options);
    let s = progress.snapshot();
    assert!(s.model_built);
    assert!(s.files_found > 60, "{s:?}");
    assert_eq!(s.files_read, s.files_found, "{s:?}");
    assert_eq!(s.vms_found, watched.vms.len(), "{s:?}");
    assert_eq!(s.vms_evaluated, s.vms_found, "{s:?}");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    json::write(&watched, &mut a).unwrap();
    json::write(&unwatched, &mut b).unwrap();
    assert!(a == b, "the report changed when progress was watched");
}
