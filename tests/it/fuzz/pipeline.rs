//! The pipeline one fuzz input goes through: the input (and, sometimes, a parameters file
//! paired with it) is written to a scratch folder and scanned by the library's own `scan`, so
//! it passes through every stage the binary uses (read, decode, parse, sniff, ARM expansion or
//! export linking, model, evaluation, classification, findings); then every problem is
//! rendered for the terminal and the JSON and table reports are produced. Panics are caught
//! here so the input that caused one is saved before the test fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jitscan::diagnostic::render::RenderedProblem;
use jitscan::diagnostic::InputProblem;
use jitscan::report::{json, table};
use jitscan::scan::{scan, ScanOptions};

/// Inputs slower than this are saved for a look (never a test failure: no timing asserts).
const SLOW: Duration = Duration::from_secs(2);

/// Runs `bytes` (and optional parameters bytes) through the pipeline in `dir`; on a panic,
/// saves the input and panics again.
pub fn run(dir: &Path, target: &str, bytes: &[u8], params: Option<&[u8]>) {
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| pipeline(dir, bytes, params)));
    let elapsed = start.elapsed();
    if let Err(panic) = outcome {
        let saved = save(target, "crash", bytes, params);
        eprintln!("{target}: panic, input saved to {}", saved.display());
        std::panic::resume_unwind(panic);
    }
    if elapsed > SLOW {
        let saved = save(target, "slow", bytes, params);
        eprintln!(
            "{target}: slow input ({elapsed:?}) saved to {}",
            saved.display()
        );
    }
}

fn pipeline(dir: &Path, bytes: &[u8], params: Option<&[u8]>) {
    let input = dir.join("input.json");
    let paired = dir.join("input.parameters.json");
    std::fs::write(&input, bytes).unwrap();
    match params {
        Some(p) => std::fs::write(&paired, p).unwrap(),
        None => {
            let _ = std::fs::remove_file(&paired);
        }
    }
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..ScanOptions::default()
    };
    let result = scan(&options);
    assert!(
        result.inputs.iter().any(|i| i.path.ends_with("input.json")),
        "the input is not accounted for"
    );
    let problems: Vec<InputProblem> = result
        .inputs
        .iter()
        .flat_map(|i| i.problems.iter().cloned())
        .collect();
    render(&problems);
    for vm in &result.vms {
        let _ = vm.origin.line_col();
    }
    let _ = json::render(&result);
    let _ = table::render(&result, false);
}

/// Renders problems as the terminal would (snippet windows, label spans).
fn render(problems: &[InputProblem]) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    let mut out = String::new();
    for problem in problems {
        out.clear();
        handler
            .render_report(&mut out, &RenderedProblem::from(problem))
            .unwrap();
        assert!(
            out.len() < 64 * 1024,
            "a rendered problem of {} bytes",
            out.len()
        );
    }
}

fn save(target: &str, kind: &str, bytes: &[u8], params: Option<&[u8]>) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{kind}"));
    std::fs::create_dir_all(&dir).unwrap();
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{target}-{hash:016x}.json"));
    std::fs::write(&path, bytes).unwrap();
    if let Some(p) = params {
        std::fs::write(dir.join(format!("{target}-{hash:016x}.parameters.json")), p).unwrap();
    }
    path
}
