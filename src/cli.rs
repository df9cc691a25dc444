//! CLI: clap types, parsed raw, then validated into typed options. No scanning logic here.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::arm::DeploymentContext;
use crate::config::AsOf;
use crate::scan::{ScanOptions, DEFAULT_PORTS};

/// Offline just-in-time (JIT) VM access compliance scanner for Azure.
#[derive(Debug, Parser)]
#[command(name = "jitscan", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Never colour the output (as with NO_COLOR set, or TERM=dumb).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan ARM templates and exports; classify every VM.
    Scan(ScanArgs),
    /// Explain a rule (`explain JIT001`), or how one VM's ports are decided
    /// (`explain PATH... --vm NAME [--port N] [--source IP]`).
    Explain(ExplainArgs),
    /// Write suggested JIT policies (ARM template and REST forms) and a remediation plan, proven
    /// by re-evaluation, for every unhealthy VM.
    Policy(PolicyArgs),
    /// Check a JIT access request against the VM's policy, as Defender would, and print the
    /// `initiate` call that makes it (REST and `az rest`).
    Request(RequestArgs),
    /// Print the JSON Schema of the JSON report.
    Schema,
}

/// Arguments of `jitscan request`.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// Files and directories holding the VM and its JIT policy.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The VM, by name or resource id.
    #[arg(long, value_name = "NAME")]
    pub vm: String,
    /// The port to open.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Source address or CIDR prefix to allow (repeatable; default: the address the request is
    /// sent from).
    #[arg(long, value_name = "CIDR")]
    pub source: Vec<String>,
    /// How long (ISO 8601, PT2H; default: the policy's maxRequestAccessDuration for the port).
    /// The grant ends at --as-of plus this.
    #[arg(long, value_name = "PT2H")]
    pub duration: Option<String>,
    /// Why access is needed.
    #[arg(long, value_name = "TEXT")]
    pub justification: Option<String>,
    /// Inputs and evaluation settings.
    #[command(flatten)]
    pub input: InputArgs,
}

/// Arguments of `jitscan policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Files and directories to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Directory to write the documents to (created if missing; must be empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty --out directory: first remove jitscan's own files there
    /// (remediation.md, remediation.json, jit-policies/*.template.json and *.rest.json), and
    /// nothing else.
    #[arg(long)]
    pub force: bool,
    /// Inputs and evaluation settings.
    #[command(flatten)]
    pub input: InputArgs,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable table.
    Table,
    /// JSON report (schema version 5, docs/report.md).
    Json,
    /// SARIF 2.1.0 log (GitHub code scanning and other SARIF viewers).
    Sarif,
    /// Self-contained HTML audit report.
    Html,
}

impl Format {
    /// The format a file name suggests (`.json`, else table).
    pub fn from_extension(path: &std::path::Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Self::Json,
            Some("sarif") => Self::Sarif,
            Some("html" | "htm") => Self::Html,
            _ => Self::Table,
        }
    }
}

/// When the exit code signals failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when any VM is unhealthy (and not suppressed).
    Unhealthy,
    /// Exit 1 when any VM is unhealthy or has a management port reachable from the Internet.
    Exposed,
    /// Never exit 1 for findings.
    Never,
}

/// Arguments shared by commands that scan.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Management ports to check, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_PORTS.to_vec(), value_parser = clap::value_parser!(u16).range(1..))]
    pub ports: Vec<u16>,
    /// Parameters file to use for every template (instead of the paired *.parameters.json).
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// Configuration file (default: jitscan.yaml in the first scanned folder, if any).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Read no configuration file: no suppressions from jitscan.yaml (a gate that must not
    /// honour suppressions a pull request adds to its own folder).
    #[arg(long)]
    pub no_config: bool,
    /// Judge suppression expiry as of this date, and JIT access grants (active or ended) as of
    /// this instant: YYYY-MM-DD (its midnight, UTC) or an RFC 3339 time
    /// (2026-01-05T10:00:00Z); default: today, from its midnight (`request`: now).
    #[arg(long, value_name = "DATE|TIME", value_parser = parse_as_of)]
    pub as_of: Option<AsOf>,
    /// Subscription id used to build resource ids for templates.
    #[arg(long, value_name = "GUID")]
    pub subscription_id: Option<String>,
    /// Resource group name used to build resource ids for templates.
    #[arg(long, value_name = "NAME")]
    pub resource_group: Option<String>,
    /// Location returned by resourceGroup().location for templates.
    #[arg(long, value_name = "REGION")]
    pub location: Option<String>,
    /// JIT006 flags management ports open to public ranges wider than a prefix of this length
    /// (1-32; default 8, or `findings.broadSourcePrefixLength` of the config file).
    #[arg(long, value_name = "LEN", value_parser = clap::value_parser!(u8).range(1..=32))]
    pub broad_source_prefix_length: Option<u8>,
    /// Worker threads for parsing and evaluation (default: all cores).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

fn parse_as_of(text: &str) -> Result<AsOf, String> {
    crate::time::utc_seconds(text).map(AsOf::at).ok_or_else(|| {
        format!("'{text}' is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-01-05T10:00:00Z)")
    })
}

/// Arguments of `jitscan scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and directories to scan (directories recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format; repeat it to write several reports (each pairs with the next --output).
    #[arg(long, value_enum, action = clap::ArgAction::Append)]
    pub format: Vec<Format>,
    /// Write the report of the preceding --format to FILE (repeatable; default: standard output).
    #[arg(long, short, value_name = "FILE", action = clap::ArgAction::Append)]
    pub output: Vec<PathBuf>,
    /// Exit 1 when findings reach this level.
    #[arg(long, value_enum, default_value = "unhealthy")]
    pub fail_on: FailOn,
    /// A previous JSON report or SARIF log of jitscan: its findings are `unchanged`, only new
    /// ones count for --fail-on (docs/ci.md).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print only the summary and errors: the table on standard output shows its summary lines,
    /// and input warnings and notes are not printed (reports written to files are complete).
    #[arg(long, short)]
    pub quiet: bool,
    /// Title of the HTML report: the client or engagement it is for (overrides `report.title`
    /// of the config file).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Inputs and evaluation settings.
    #[command(flatten)]
    pub input: InputArgs,
}

/// Arguments of `jitscan explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A rule id or name, or the files and directories holding the VM.
    #[arg(required = true, value_name = "RULE|PATH")]
    pub targets: Vec<PathBuf>,
    /// The VM (or scale set) to explain, by name or resource id.
    #[arg(long, value_name = "NAME")]
    pub vm: Option<String>,
    /// Only this port.
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Evaluate for this source address instead of an arbitrary Internet address.
    #[arg(long, value_name = "IP")]
    pub source: Option<std::net::IpAddr>,
    /// With --vm and role exports among the paths: whether this principal (object id) can
    /// request JIT, change it or bypass it by each route, and which assignment grants it or
    /// why none does.
    #[arg(long, value_name = "ID", requires = "vm")]
    pub principal: Option<String>,
    /// Inputs and evaluation settings.
    #[command(flatten)]
    pub input: InputArgs,
}

impl InputArgs {
    /// Validated scan options for `paths` (config is loaded by the caller).
    pub fn to_options(&self, paths: &[PathBuf]) -> ScanOptions {
        let mut ports = self.ports.clone();
        ports.sort_unstable();
        ports.dedup();
        let mut context = DeploymentContext::default();
        if let Some(s) = &self.subscription_id {
            context.subscription_id.clone_from(s);
            context.tenant_id.clone_from(s);
        }
        if let Some(rg) = &self.resource_group {
            context.resource_group.clone_from(rg);
        }
        if let Some(location) = &self.location {
            context.location.clone_from(location);
        }
        ScanOptions {
            paths: paths.to_vec(),
            ports,
            parameters: self.parameters.clone(),
            context,
            today: self.as_of.unwrap_or_else(AsOf::now).date,
            // No instant given: the start of the day (the same report all day); `request`
            // replaces it with now.
            as_of: self.as_of.map_or_else(
                || AsOf::now().seconds.div_euclid(86_400) * 86_400,
                |a| a.seconds,
            ),
            broad_source_prefix_length: self.broad_source_prefix_length,
            ..ScanOptions::default()
        }
    }
}

/// Pairs each `--output` with the closest preceding `--format` (by position on the command
/// line); a `--format` without an output goes to standard output; an `--output` without a
/// format takes the format its extension suggests. At most one report may go to standard output.
pub fn pair_outputs(
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let mut events: Vec<(usize, Option<Format>, Option<&PathBuf>)> = formats
        .iter()
        .map(|(i, f)| (*i, Some(*f), None))
        .chain(outputs.iter().map(|(i, p)| (*i, None, Some(p))))
        .collect();
    events.sort_by_key(|(i, _, _)| *i);
    let mut pairs: Vec<(Format, Option<PathBuf>)> = Vec::new();
    for (_, format, output) in events {
        match (format, output) {
            (Some(f), _) => pairs.push((f, None)),
            (None, Some(path)) => match pairs.last_mut() {
                Some((_, slot @ None)) => *slot = Some(path.clone()),
                _ => pairs.push((Format::from_extension(path), Some(path.clone()))),
            },
            (None, None) => {}
        }
    }
    if pairs.is_empty() {
        pairs.push((Format::Table, None));
    }
    if pairs.iter().filter(|(_, o)| o.is_none()).count() > 1 {
        return Err("only one report can go to standard output: give an --output FILE after each --format but one".to_owned());
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_pair_with_the_preceding_format() {
        let pairs = pair_outputs(
            &[(1, Format::Table), (3, Format::Json)],
            &[(5, "r.json".into())],
        )
        .unwrap();
        assert_eq!(
            pairs,
            vec![(Format::Table, None), (Format::Json, Some("r.json".into()))]
        );
        let pairs = pair_outputs(&[], &[(2, "r.json".into())]).unwrap();
        assert_eq!(pairs, vec![(Format::Json, Some("r.json".into()))]);
        assert!(pair_outputs(&[(1, Format::Table), (2, Format::Json)], &[]).is_err());
        assert_eq!(pair_outputs(&[], &[]).unwrap(), vec![(Format::Table, None)]);
    }
}
