//! jitscan binary: parse the command line, run the library, print, return the exit code.
//!
//! Exit codes: 0 = nothing at or above `--fail-on`; 1 = findings at or above it (`policy`: a
//! plan not proven); 2 = usage or configuration error, an input that could not be read or
//! parsed, no input scanned, or a report (or `policy`'s out folder) that could not be written
//! (the reports are still produced for everything else). `request`: 0 = the policy allows the
//! request; 1 = it would refuse it, or no JIT policy lists the VM; 2 = as above, or no such VM,
//! or a name that names several. `scan`, `policy`, `explain` and `request` report the inputs'
//! problems the same way ([`report_inputs`]).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use jitscan::classify::Classification;
use jitscan::cli::{
    pair_outputs, Cli, Command, ExplainArgs, FailOn, Format, InputArgs, PolicyArgs, RequestArgs,
    ScanArgs,
};
use jitscan::diagnostic::render::RenderedProblem;
use jitscan::diagnostic::{InputProblem, Severity};
use jitscan::escape::terminal as printable;
use jitscan::report::{html, json, sarif, table};
use jitscan::scan::{
    any_input_failed, nothing_scanned, scan, InputRecord, InputStatus, ScanOptions, ScanResult,
};
use jitscan::{config, explain, policy};

/// mimalloc instead of the system allocator: see Cargo.toml for the measurement behind it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(err) => return clap_exit(&err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    let _ = NO_COLOUR_FLAG.set(cli.no_color);
    match cli.command {
        Command::Scan(args) => {
            let sub = matches.subcommand_matches("scan");
            let indexed = |name: &str| -> Vec<usize> {
                sub.and_then(|m| m.indices_of(name))
                    .map(Iterator::collect)
                    .unwrap_or_default()
            };
            let formats: Vec<(usize, Format)> = indexed("format")
                .into_iter()
                .zip(args.format.iter().copied())
                .collect();
            let outputs: Vec<(usize, PathBuf)> = indexed("output")
                .into_iter()
                .zip(args.output.iter().cloned())
                .collect();
            match pair_outputs(&formats, &outputs) {
                Ok(pairs) => run_scan(&args, &pairs),
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Explain(args) => run_explain(&args),
        Command::Policy(args) => run_policy(&args),
        Command::Request(args) => run_request(&args),
        Command::Schema => {
            print!("{}", json::SCHEMA);
            ExitCode::SUCCESS
        }
    }
}

/// `--no-color`, set once the command line is read.
static NO_COLOUR_FLAG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Colour on a stream only when it is a terminal and nobody said no: `--no-color`, `NO_COLOR`
/// set to anything but empty (no-color.org), or `TERM=dumb` (a terminal without escapes).
fn colour_on(stream_is_terminal: bool) -> bool {
    colour_wanted(
        stream_is_terminal,
        NO_COLOUR_FLAG.get().copied().unwrap_or(false),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// [`colour_on`]'s decision from its inputs, so it can be tested without a terminal.
fn colour_wanted(
    terminal: bool,
    no_color_flag: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    terminal
        && !no_color_flag
        && no_color.is_none_or(|v| v.is_empty())
        && term.is_none_or(|t| t != "dumb")
}

/// Whether to draw the progress line on stderr: only for someone watching a terminal. Never in
/// a pipe or a file, with `--quiet`, in CI (`CI` set, as CI services set it: a log is no
/// place for a redrawn line), or on `TERM=dumb` (no cursor movement).
fn progress_wanted(
    stderr_terminal: bool,
    quiet: bool,
    ci: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    stderr_terminal && !quiet && ci.is_none() && term.is_none_or(|t| t != "dumb")
}

/// What the progress line says for the library's counters (one text, so that a frame never
/// shows one phase's name with another's numbers).
fn progress_text(s: jitscan::progress::Snapshot) -> String {
    let files = format!("files read {}/{}", s.files_read, s.files_found);
    if s.model_built {
        format!("{files}, VMs evaluated {}/{}", s.vms_evaluated, s.vms_found)
    } else if s.files_found == 0 {
        "finding files".to_owned()
    } else if s.files_read < s.files_found {
        files
    } else {
        format!("{files}, building the model")
    }
}

/// The progress line of one run: a thread of its own polls the library's counters and draws
/// them with indicatif; dropping it clears the line before anything else is printed. Only
/// numbers are drawn, never a value from the input.
struct ProgressLine {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    /// Starts the line when [`progress_wanted`], and gives `options` the counters to advance.
    fn start(options: &mut ScanOptions, quiet: bool) -> Option<Self> {
        let wanted = progress_wanted(
            std::io::stderr().is_terminal(),
            quiet,
            std::env::var_os("CI").as_deref(),
            std::env::var_os("TERM").as_deref(),
        );
        if !wanted {
            return None;
        }
        let progress = std::sync::Arc::new(jitscan::progress::Progress::default());
        options.progress = Some(std::sync::Arc::clone(&progress));
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || draw_progress(&progress, &stopped));
        Some(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Draws `progress` until told to stop, then clears the line. Nothing is drawn for a run that
/// ends within a quarter of a second.
fn draw_progress(progress: &jitscan::progress::Progress, stopped: &std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::Duration;
    if !matches!(
        stopped.recv_timeout(Duration::from_millis(250)),
        Err(RecvTimeoutError::Timeout)
    ) {
        return;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    loop {
        bar.set_message(progress_text(progress.snapshot()));
        if !matches!(
            stopped.recv_timeout(Duration::from_millis(100)),
            Err(RecvTimeoutError::Timeout)
        ) {
            break;
        }
    }
    bar.finish_and_clear();
}

fn clap_exit(err: &clap::Error) -> ExitCode {
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Options with the configuration loaded; Err(exit code) after printing config problems.
fn options_for(input: &InputArgs, paths: &[PathBuf]) -> Result<ScanOptions, ExitCode> {
    if let Some(jobs) = input.jobs {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global();
    }
    let mut options = input.to_options(paths);
    options.config_ignored = input.no_config;
    let config_path = if input.no_config {
        None
    } else {
        input
            .config
            .clone()
            .map(Ok)
            .or_else(|| config::discover(paths))
    };
    let config_path = match config_path {
        Some(Err(problems)) => {
            print_problems(&problems);
            return Err(ExitCode::from(2));
        }
        Some(Ok(path)) => Some(path),
        None => None,
    };
    if let Some(path) = config_path {
        match config::load(&path) {
            Ok(cfg) => options.config = cfg,
            Err(problems) => {
                print_problems(&problems);
                eprintln!(
                    "{}",
                    inert(&format!(
                        "error: {} problem(s) in the configuration {}",
                        problems.len(),
                        printable(&path.display().to_string())
                    ))
                );
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(options)
}

fn run_scan(args: &ScanArgs, outputs: &[(Format, Option<PathBuf>)]) -> ExitCode {
    let mut options = match options_for(&args.input, &args.paths) {
        Ok(o) => ScanOptions {
            title: args.title.clone(),
            ..o
        },
        Err(code) => return code,
    };
    let baseline = match args.baseline.as_deref().map(read_baseline).transpose() {
        Ok(b) => b,
        Err(code) => return code,
    };
    let line = ProgressLine::start(&mut options, args.quiet);
    let mut result = scan(&options);
    drop(line);
    if let Some(baseline) = &baseline {
        jitscan::baseline::apply(&mut result.findings, baseline);
    }
    let mut stages = jitscan::timings::Stages::start();
    let mut failed = false;
    for (format, output) in outputs {
        let colour = output.is_none() && colour_on(std::io::stdout().is_terminal());
        // --quiet: the table on standard output is its summary; a file gets the whole report.
        let summary_only = args.quiet && output.is_none();
        if let Some(path) = output.as_deref().filter(|p| is_input(p, &result)) {
            eprintln!(
                "{}",
                inert(&format!(
                    "error: refusing to write the report over input file {}",
                    printable(&path.display().to_string())
                ))
            );
            failed = true;
            continue;
        }
        match output {
            Some(path) => {
                let written = std::fs::File::create(path).and_then(|file| {
                    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
                    write_report(*format, &result, colour, false, &mut out)?;
                    out.flush()
                });
                if let Err(err) = written {
                    eprintln!(
                        "{}",
                        inert(&format!(
                            "error: cannot write {}: {err}",
                            printable(&path.display().to_string())
                        ))
                    );
                    failed = true;
                }
            }
            None => {
                // Standard output may be a CI log: no line of any report may act there.
                let guard = match format {
                    Format::Json | Format::Sarif => jitscan::escape::ci_log_json,
                    Format::Table | Format::Html => jitscan::escape::ci_log,
                };
                let stdout = jitscan::escape::GuardedLines::new(std::io::stdout(), guard);
                let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout);
                let written = write_report(*format, &result, colour, summary_only, &mut out)
                    .and_then(|()| out.flush());
                if let Err(err) = written.filter_broken_pipe() {
                    eprintln!("error: cannot write the report: {err}");
                    failed = true;
                }
            }
        }
    }
    stages.done("reports");
    for stage in result.stages.iter().chain(&stages.finish()) {
        eprintln!("jitscan: {stage}");
    }
    let inputs_failed = report_inputs(&result.inputs, args.quiet);
    let code = if failed || inputs_failed {
        ExitCode::from(2)
    } else if findings_reach(&result, args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: freeing millions of small allocations one by one would only
    // delay the exit (a tenth of the run on a 10k-VM export); the OS reclaims it all at once.
    std::mem::forget(result);
    code
}

/// Reads `--baseline`: a file that is not a jitscan report or log stops the scan (exit 2), as
/// a gate that silently compared against nothing would fail every finding, or pass them.
fn read_baseline(path: &Path) -> Result<jitscan::baseline::Baseline, ExitCode> {
    let shown = printable(&path.display().to_string()).into_owned();
    let text = std::fs::read_to_string(path).map_err(|err| {
        eprintln!(
            "{}",
            inert(&format!("error: cannot read the baseline {shown}: {err}"))
        );
        ExitCode::from(2)
    })?;
    jitscan::baseline::read(&text).map_err(|why| {
        let why = printable(&why).into_owned();
        eprintln!(
            "{}",
            inert(&format!("error: the baseline {shown} is not usable: {why}"))
        );
        ExitCode::from(2)
    })
}

/// A closed stdout (`jitscan scan . | head`) is not an error of the scan.
trait IgnoreBrokenPipe {
    fn filter_broken_pipe(self) -> std::io::Result<()>;
}

impl IgnoreBrokenPipe for std::io::Result<()> {
    fn filter_broken_pipe(self) -> std::io::Result<()> {
        match self {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

/// Writes one report. The JSON report, the big one, is serialized straight into `out`.
fn write_report(
    format: Format,
    result: &ScanResult,
    colour: bool,
    summary_only: bool,
    out: &mut (impl Write + Send),
) -> std::io::Result<()> {
    let text = match format {
        Format::Json => return json::write(result, out),
        Format::Table if summary_only => inert(&table::render_summary(result)).into_owned(),
        Format::Table => inert(&table::render(result, colour)).into_owned(),
        Format::Sarif => sarif::render(result),
        Format::Html => html::render(result)
            .map_err(|e| std::io::Error::other(format!("cannot render the HTML report: {e}")))?,
    };
    out.write_all(text.as_bytes())
}

fn is_input(path: &Path, result: &ScanResult) -> bool {
    let Ok(target) = std::fs::canonicalize(path) else {
        return false;
    };
    result
        .inputs
        .iter()
        .any(|i| std::fs::canonicalize(&i.path).is_ok_and(|p| p == target))
}

/// A VM counts against the gate when it reaches the level and has a finding not suppressed and
/// not already in the baseline.
fn findings_reach(result: &ScanResult, fail_on: FailOn) -> bool {
    result.vms.iter().any(|vm| {
        let at_level = match fail_on {
            FailOn::Never => false,
            FailOn::Unhealthy => vm.classification.value == Classification::Unhealthy,
            FailOn::Exposed => {
                vm.classification.value == Classification::Unhealthy || vm.internet_exposed()
            }
        };
        at_level
            && result.findings.iter().any(|f| {
                f.vm_id == vm.id
                    && f.vm_name == vm.name
                    && f.suppression.is_none()
                    && f.baseline_state != Some(jitscan::baseline::BaselineState::Unchanged)
            })
    })
}

fn run_explain(args: &ExplainArgs) -> ExitCode {
    let first = args
        .targets
        .first()
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_default();
    if args.vm.is_none() {
        if args.targets.len() == 1 {
            if let Some(text) = explain::explain_rule(&first) {
                print!("{text}");
                return ExitCode::SUCCESS;
            }
        }
        eprintln!("{}", inert(&format!("error: '{first}' is not a rule; to explain a VM give paths and --vm NAME\n\nrules:\n{}", explain::rule_list())));
        return ExitCode::from(2);
    }
    let mut options = match options_for(&args.input, &args.targets) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let line = ProgressLine::start(&mut options, false);
    let explanation = explain::explain_vm(
        &options,
        args.vm.as_deref().unwrap_or_default(),
        args.port,
        args.source,
        args.principal.as_deref(),
    );
    drop(line);
    if let Ok(text) = &explanation.text {
        print!("{}", inert(text));
    }
    let inputs_failed = report_inputs(&explanation.inputs, false);
    match explanation.text {
        Err(message) => {
            eprintln!("{}", inert(&format!("error: {message}")));
            ExitCode::from(2)
        }
        Ok(_) if inputs_failed => ExitCode::from(2),
        Ok(_) => ExitCode::SUCCESS,
    }
}

fn run_policy(args: &PolicyArgs) -> ExitCode {
    let mut options = match options_for(&args.input, &args.paths) {
        Ok(o) => o,
        Err(code) => return code,
    };
    // Before the scan: the out folder may lie under a scanned path.
    if let Err(err) = policy::prepare_out_dir(&args.out, args.force) {
        eprintln!("{}", inert(&format!("error: {err}")));
        return ExitCode::from(2);
    }
    let line = ProgressLine::start(&mut options, false);
    let output = policy::run(&options);
    drop(line);
    let written = policy::write(&output, &args.out);
    if let Ok(files) = &written {
        print!(
            "{}",
            inert(&policy::terminal_summary(&output, &args.out, files))
        );
    }
    let inputs_failed = report_inputs(&output.inputs, false);
    if let Err(err) = written {
        let error = format!(
            "error: cannot write to {}: {}",
            printable(&args.out.display().to_string()),
            printable(&err.to_string())
        );
        eprintln!("{}", inert(&error));
        return ExitCode::from(2);
    }
    if inputs_failed {
        ExitCode::from(2)
    } else if output
        .plans
        .iter()
        .all(|p| p.proof == policy::remediation::Proof::Proven)
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn run_request(args: &RequestArgs) -> ExitCode {
    let mut options = match options_for(&args.input, &args.paths) {
        Ok(o) => o,
        Err(code) => return code,
    };
    // A grant starts when it is requested: without --as-of, now.
    if args.input.as_of.is_none() {
        options.as_of = jitscan::config::AsOf::now().seconds;
    }
    let request = jitscan::request::AccessRequest {
        vm: args.vm.clone(),
        port: args.port,
        sources: args.source.clone(),
        duration: args.duration.clone(),
        justification: args.justification.clone(),
    };
    let line = ProgressLine::start(&mut options, false);
    let run = jitscan::request::run(&options, &request);
    drop(line);
    let inputs_failed = report_inputs(&run.inputs, false);
    let code = match run.outcome {
        jitscan::request::Outcome::Accepted(text) => {
            print!("{}", inert(&text));
            return if inputs_failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
        jitscan::request::Outcome::Refused(reasons) => {
            let mut lines = reasons.into_iter();
            let head = lines.next().unwrap_or_default();
            eprintln!(
                "{}",
                inert(&format!(
                    "error: the policy would refuse this request. {head}"
                ))
            );
            for reason in lines {
                eprintln!("{}", inert(&format!("  - {reason}")));
            }
            1
        }
        jitscan::request::Outcome::NoPolicy(message) => {
            eprintln!("{}", inert(&format!("error: {message}")));
            1
        }
        jitscan::request::Outcome::Error(message) => {
            eprintln!("{}", inert(&format!("error: {message}")));
            2
        }
    };
    ExitCode::from(if inputs_failed { 2 } else { code })
}

/// Reports the account of the inputs on stderr, the same for every command that reads them
/// (scan, policy, explain): their diagnostics, the sources found but not scanned, and an
/// error when nothing was scanned; with `quiet` (`scan --quiet`) only the errors. True when
/// the run must exit 2: an input failed, or none was scanned.
fn report_inputs(inputs: &[InputRecord], quiet: bool) -> bool {
    let problems: Vec<InputProblem> = inputs
        .iter()
        .flat_map(|i| i.problems.iter())
        .filter(|p| !quiet || p.severity == Severity::Error)
        .cloned()
        .collect();
    print_problems(&problems);
    if !quiet {
        print_not_scanned_sources(inputs);
    }
    let nothing = nothing_scanned(inputs);
    if nothing {
        let count = |status: InputStatus| inputs.iter().filter(|i| i.status == status).count();
        eprintln!(
            "error: no input was scanned ({} found: {} skipped, {} failed); a scan that checked nothing does not pass. Give the folder of the ARM templates or exports, or `-` to read one from standard input",
            inputs.len(),
            count(InputStatus::Skipped),
            count(InputStatus::Failed),
        );
    }
    nothing || any_input_failed(inputs)
}

/// Names on stderr the Bicep and Terraform sources that were found but not scanned, with how
/// to scan what they describe: a CI log must show it, not only the JSON report.
fn print_not_scanned_sources(inputs: &[InputRecord]) {
    let foreign: Vec<&InputRecord> = inputs
        .iter()
        .filter(|i| matches!(i.kind.as_str(), "bicep" | "terraform"))
        .collect();
    for kind in ["bicep", "terraform"] {
        let of_kind: Vec<_> = foreign.iter().filter(|i| i.kind == kind).collect();
        let Some(first) = of_kind.first() else {
            continue;
        };
        for input in &of_kind {
            eprintln!(
                "{}",
                inert(&format!("note: {} was not scanned", printable(&input.path)))
            );
        }
        if let Some(reason) = &first.reason {
            eprintln!("{}", inert(&format!("  = {}", printable(reason))));
        }
    }
}

/// Text for people on standard output or error with no line able to act as a CI workflow
/// command: values are escaped where they are inserted, this guards the whole text.
fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    jitscan::escape::ci_log(text)
}

fn print_problems(problems: &[InputProblem]) {
    if problems.is_empty() {
        return;
    }
    let colour = colour_on(std::io::stderr().is_terminal());
    let theme = if colour {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme);
    let mut out = String::new();
    for problem in problems {
        let _ = handler.render_report(&mut out, &RenderedProblem::from(problem));
        out.push('\n');
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    eprint!("{}", inert(&out));
    eprintln!("{errors} error(s), {warnings} warning(s) in the inputs");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_nobody_turned_it_off_for() {
        let dumb = Some(OsStr::new("dumb"));
        let xterm = Some(OsStr::new("xterm-256color"));
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(colour_wanted(true, false, None, xterm));
        assert!(colour_wanted(true, false, None, None));
        // no-color.org: set and not empty turns colour off; empty does not.
        assert!(colour_wanted(true, false, empty, xterm));
        assert!(!colour_wanted(true, false, set, xterm));
        assert!(!colour_wanted(true, true, None, xterm), "--no-color");
        assert!(!colour_wanted(true, false, None, dumb), "TERM=dumb");
        assert!(
            !colour_wanted(false, false, None, xterm),
            "a pipe or a file"
        );
    }

    #[test]
    fn progress_only_on_a_terminal_outside_ci_without_quiet() {
        let dumb = Some(OsStr::new("dumb"));
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(progress_wanted(true, false, None, xterm));
        assert!(progress_wanted(true, false, None, None));
        assert!(
            !progress_wanted(false, false, None, xterm),
            "a pipe or a file"
        );
        assert!(!progress_wanted(true, true, None, xterm), "--quiet");
        // CI services set CI (GitHub Actions and GitLab set CI=true);
        // whatever its value, a log is no place for a redrawn line.
        assert!(!progress_wanted(
            true,
            false,
            Some(OsStr::new("true")),
            xterm
        ));
        assert!(!progress_wanted(true, false, Some(OsStr::new("")), xterm));
        assert!(!progress_wanted(true, false, None, dumb), "TERM=dumb");
    }

    #[test]
    fn progress_reads_files_then_builds_the_model_then_evaluates_vms() {
        use jitscan::progress::Snapshot;
        assert_eq!(progress_text(Snapshot::default()), "finding files");
        let reading = Snapshot {
            files_found: 10,
            files_read: 4,
            ..Snapshot::default()
        };
        assert_eq!(progress_text(reading), "files read 4/10");
        let modelling = Snapshot {
            files_read: 10,
            ..reading
        };
        assert_eq!(
            progress_text(modelling),
            "files read 10/10, building the model"
        );
        let evaluating = Snapshot {
            vms_found: 500,
            vms_evaluated: 20,
            model_built: true,
            ..modelling
        };
        assert_eq!(
            progress_text(evaluating),
            "files read 10/10, VMs evaluated 20/500"
        );
    }
}
