//! jitscan binary: parse the command line, run the library, print, return the exit code.
//!
//! Exit codes: 0 = nothing at or above `--fail-on`; 1 = findings at or above it;
//! 2 = usage error, an input that could not be read or parsed, or a report that could not be
//! written (the report is still produced for everything else).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use jitscan::classify::Classification;
use jitscan::cli::{Cli, Command, FailOn, Format, ScanArgs};
use jitscan::diagnostic::{InputProblem, Severity};
use jitscan::report::{json, table};
use jitscan::scan::{scan, ScanResult};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Schema => {
            print!("{}", json::SCHEMA);
            ExitCode::SUCCESS
        }
    }
}

fn run_scan(args: &ScanArgs) -> ExitCode {
    let options = args.to_options();
    let result = scan(&options);
    let colour = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = match args.format {
        Format::Table => table::render(&result, colour),
        Format::Json => json::render(&result),
    };
    let mut failed = false;
    match &args.output {
        Some(path) if is_input(path, &result) => {
            eprintln!(
                "error: refusing to write the report over input file {}",
                path.display()
            );
            failed = true;
        }
        Some(path) => {
            if let Err(err) = std::fs::write(path, &text) {
                eprintln!("error: cannot write {}: {err}", path.display());
                failed = true;
            }
        }
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    print_problems(&result);
    if failed || result.any_input_failed() {
        return ExitCode::from(2);
    }
    if findings_reach(&result, args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn is_input(path: &std::path::Path, result: &ScanResult) -> bool {
    let Ok(target) = std::fs::canonicalize(path) else {
        return false;
    };
    result
        .inputs
        .iter()
        .any(|i| std::fs::canonicalize(&i.path).is_ok_and(|p| p == target))
}

fn findings_reach(result: &ScanResult, fail_on: FailOn) -> bool {
    let unhealthy = result
        .vms
        .iter()
        .any(|v| v.classification.value == Classification::Unhealthy);
    match fail_on {
        FailOn::Never => false,
        FailOn::Unhealthy => unhealthy,
        FailOn::Exposed => unhealthy || result.vms.iter().any(|v| v.internet_exposed()),
    }
}

fn print_problems(result: &ScanResult) {
    let problems: Vec<&InputProblem> = result
        .inputs
        .iter()
        .flat_map(|i| i.problems.iter())
        .collect();
    if problems.is_empty() {
        return;
    }
    let handler = miette::GraphicalReportHandler::new_themed(
        if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        },
    );
    let mut out = String::new();
    for problem in problems {
        let diagnostic = jitscan::diagnostic::render::RenderedProblem::from(problem);
        let _ = handler.render_report(&mut out, &diagnostic);
        out.push('\n');
    }
    let errors = result
        .inputs
        .iter()
        .flat_map(|i| &i.problems)
        .filter(|p| p.severity == Severity::Error)
        .count();
    eprint!("{out}");
    eprintln!("{errors} input error(s); see above.");
}
