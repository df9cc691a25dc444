//! jitscan: an offline just-in-time (JIT) VM access compliance scanner for Azure.
//!
//! Microsoft Defender for Cloud recommends JIT VM access for every VM whose management ports
//! (SSH, RDP, WinRM) are open to the Internet. jitscan reaches the same verdict from exported
//! configuration alone, with evidence, and never touches the cloud.
//!
//! The pipeline runs one way:
//!
//! 1. [`load`]: find input files, decode them (UTF-8/UTF-16, BOM, comments), parse JSON, sniff
//!    what each document is; every file ends up scanned, skipped or failed.
//! 2. [`arm`] expands ARM templates (expressions, parameters, copy loops, conditions, nested
//!    deployments) into concrete resources; [`export`] lists the resources of REST, Resource
//!    Graph and az CLI dumps.
//! 3. [`model`] turns resources into typed VMs, NICs, subnets, NSGs, load balancers, firewalls
//!    and JIT policies linked by case-insensitive id ([`model::Inventory`]).
//! 4. [`eval`] decides, per VM and management port, the NSG verdict, the paths in and whether
//!    the port is open and exposed, with a confidence; pure, no I/O.
//! 5. [`classify`] gives every VM exactly one classification with its reason; [`rules`] raises
//!    findings (JIT001...); [`suppress`] marks accepted ones.
//! 6. [`report`] renders JSON, SARIF, HTML and the terminal table; [`policy`] writes suggested
//!    JIT policies and a proven remediation plan; [`explain`] traces one VM's decision;
//!    [`audit`] reads the JIT policies' access requests; [`request`] checks a JIT access
//!    request against the VM's policy and builds the `initiate` call.
//!
//! [`scan::scan`] runs steps 1 to 5 and is the entry point for embedding. Every value from the
//! input is data in every output: [`escape`], on the ground floor, holds the one escape of
//! each output kind (terminal, CI log, Markdown, SARIF message text).

pub mod arm;
pub mod audit;
pub mod baseline;
pub mod classify;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod escape;
pub mod eval;
pub mod explain;
pub mod export;
pub mod json;
pub mod limits;
pub mod load;
pub mod map;
pub mod model;
pub mod policy;
pub mod progress;
pub mod rbac;
pub mod report;
pub mod request;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod time;
pub mod timings;
