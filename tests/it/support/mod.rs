//! The one way the tests run jitscan: [`jitscan`] builds a command for the real binary (from
//! the repository root, without colour, bounded by a timeout); [`Run::run`] runs it and
//! captures the exit code, both streams and the JSON report on stdout. [`scan`], [`scan_with`]
//! and [`policy`] are that runner with a subcommand's usual arguments. [`verdicts`] holds the
//! library-side helpers: a scan's JSON report and its comparison with hand-written expectations.

pub mod verdicts;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// No single run of the binary may take longer (the largest hostile inputs take seconds).
const TIMEOUT: Duration = Duration::from_secs(600);

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real binary, run from the repository root (so `fixtures/...` paths work), with
/// `NO_COLOR` set and a timeout. Add arguments, stdin (`write_stdin`), a working folder
/// (`current_dir`) or variables (`env`) as on any `assert_cmd::Command`, then [`Run::run`] it
/// (or `.assert()` it with predicates).
pub fn jitscan() -> Command {
    let mut cmd = Command::cargo_bin("jitscan").unwrap();
    cmd.env("NO_COLOR", "1")
        .current_dir(root())
        .timeout(TIMEOUT);
    cmd
}

/// What one run of the binary gave.
pub struct Ran {
    /// The exit code; -1 when the process was killed (by the timeout or a signal).
    pub code: i32,
    /// Standard output, as written.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Standard output parsed as JSON; `Null` when it is not JSON (a table, nothing).
    pub report: Value,
    /// The wall time of the run (printed by the helpers that time runs; never asserted).
    pub elapsed: Duration,
}

impl Ran {
    /// Standard output, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs a command built by [`jitscan`] and captures what it gave.
pub trait Run {
    /// Runs to the end (or the timeout) and captures code, streams and JSON report.
    fn run(&mut self) -> Ran;
}

impl Run for Command {
    fn run(&mut self) -> Ran {
        let start = Instant::now();
        let output = self.output().unwrap();
        let elapsed = start.elapsed();
        Ran {
            code: output.status.code().unwrap_or(-1),
            report: serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout: output.stdout,
            elapsed,
        }
    }
}

/// `jitscan scan --format json <paths>`; prints the duration under `label`.
pub fn scan(label: &str, paths: &[&Path]) -> Ran {
    scan_with(label, paths, &["--format", "json"])
}

/// `jitscan scan <args> <paths>`; prints the duration under `label`.
pub fn scan_with(label: &str, paths: &[&Path], args: &[&str]) -> Ran {
    let ran = jitscan().arg("scan").args(args).args(paths).run();
    println!("{label}: jitscan took {:?}", ran.elapsed);
    ran
}

/// `jitscan policy <paths> --out <out> <extra>`.
pub fn policy<P: AsRef<OsStr>>(paths: &[P], out: &Path, extra: &[&str]) -> Ran {
    jitscan()
        .arg("policy")
        .args(paths)
        .arg("--out")
        .arg(out)
        .args(extra)
        .run()
}

/// A JSON file, parsed.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `../shared/corpus`, the real-world templates beside the repository. When it is absent the
/// tests that need it fail, unless `JITSCAN_SKIP_CORPUS=1` says to skip them on purpose (then
/// this is `None` and a note is printed).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = root().join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("JITSCAN_SKIP_CORPUS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: ../shared/corpus is absent and JITSCAN_SKIP_CORPUS=1");
        return None;
    }
    panic!("../shared/corpus is absent: the corpus tests need it (set JITSCAN_SKIP_CORPUS=1 to skip them on purpose)");
}

/// Fails with the first violations when `report` does not validate against the JSON report's
/// shipped schema.
pub fn assert_valid_report(report: &Value) {
    let schema: Value = serde_json::from_str(jitscan::report::json::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .take(20)
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}
