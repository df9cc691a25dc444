//! CLI: clap types, parsed raw, then validated into typed options. No scanning logic here.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::arm::DeploymentContext;
use crate::scan::{ScanOptions, DEFAULT_PORTS};

/// Offline just-in-time (JIT) VM access compliance scanner for Azure.
#[derive(Debug, Parser)]
#[command(name = "jitscan", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan ARM templates and exports; classify every VM.
    Scan(ScanArgs),
    /// Print the JSON Schema of the JSON report.
    Schema,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable table.
    Table,
    /// JSON report (schema version 1).
    Json,
}

/// When the exit code signals failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when any VM is unhealthy.
    Unhealthy,
    /// Exit 1 when any VM has a management port reachable from the Internet, or is unhealthy.
    Exposed,
    /// Never exit 1 for findings.
    Never,
}

/// Arguments of `jitscan scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and directories to scan (directories recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Management ports to check, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_PORTS.to_vec(), value_parser = clap::value_parser!(u16).range(1..))]
    pub ports: Vec<u16>,
    /// Parameters file to use for every template (instead of the paired *.parameters.json).
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// Exit 1 when findings reach this level.
    #[arg(long, value_enum, default_value = "unhealthy")]
    pub fail_on: FailOn,
    /// Subscription id used to build resource ids for templates.
    #[arg(long, value_name = "GUID")]
    pub subscription_id: Option<String>,
    /// Resource group name used to build resource ids for templates.
    #[arg(long, value_name = "NAME")]
    pub resource_group: Option<String>,
    /// Location returned by resourceGroup().location for templates.
    #[arg(long, value_name = "REGION")]
    pub location: Option<String>,
}

impl ScanArgs {
    /// Validated scan options.
    pub fn to_options(&self) -> ScanOptions {
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
            paths: self.paths.clone(),
            ports,
            parameters: self.parameters.clone(),
            context,
        }
    }
}
