//! EXPLAIN: `jitscan explain RULE` prints a rule's help; `jitscan explain PATH --vm NAME`
//! prints how each management port of one VM is decided: every NSG on the path (subnet, then
//! NIC) with its rules in priority order and why each did or did not match, the paths in, and
//! the classification. Builds text only; printing is `main`'s job, the inputs' problems
//! included: the inputs are loaded and accounted for as a scan does ([`crate::scan::environments`]),
//! so a broken input is reported, not silently missing from the trace. Every value from the input
//! or the command line (names, ids, paths, reasons, the trace's labels) goes through
//! [`escape::terminal`](crate::escape::terminal) where it is inserted: each stays on its own line of the explanation.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::classify::{classify, port_name};
use crate::escape::terminal;
use crate::eval::evaluate_vm;
use crate::eval::nsg::Source;
use crate::eval::trace::{trace_port, ConfigTrace};
use crate::model::{key, Inventory, Vm};
use crate::rules::{find_rule, Rule, REGISTRY};
use crate::scan::{pipeline, InputRecord, ScanOptions, Texts};

/// The help of a rule, as plain text.
pub fn rule_help(rule: &Rule) -> String {
    format!(
        "{} {}: {}\nDefault level: {}; security-severity {}\n\n{}\n\n{}\n",
        rule.id,
        rule.name,
        rule.summary,
        rule.level.as_str(),
        rule.security_severity,
        rule.description,
        rule.help_markdown
    )
}

/// The list of rules, one per line.
pub fn rule_list() -> String {
    REGISTRY
        .iter()
        .map(|r| format!("{}  {:<30} {}\n", r.id, r.name, r.summary))
        .collect()
}

/// Explains a rule by id or name, if it is one.
pub fn explain_rule(id: &str) -> Option<String> {
    find_rule(id).map(rule_help)
}

/// What `jitscan explain PATH --vm NAME` produces: the trace, and the account of the inputs
/// (a VM missing from the trace may be declared in an input that failed, so `main` reports
/// their problems as `scan` does).
#[derive(Debug)]
pub struct VmExplanation {
    /// The trace of every VM of that name or id, or why there is none.
    pub text: Result<String, String>,
    /// Every file found, with its status and problems.
    pub inputs: Vec<InputRecord>,
}

/// Explains how the ports of the VM named (or with id) `vm` are decided.
pub fn explain_vm(
    options: &ScanOptions,
    vm: &str,
    port: Option<u16>,
    source: Option<IpAddr>,
) -> VmExplanation {
    // Texts are kept: a trace cites the line of any rule.
    let run = pipeline::run(options, Texts::Keep, |env| {
        trace_inventory(&env.inventory, options, vm, port, source)
    });
    let found: usize = run.outputs.iter().map(|(_, found)| found).sum();
    let text = match found {
        0 => Err(format!(
            "no VM or scale set named '{}' in the given paths",
            terminal(vm)
        )),
        _ => Ok(run.outputs.into_iter().map(|(text, _)| text).collect()),
    };
    VmExplanation {
        text,
        inputs: run.inputs,
    }
}

/// The trace of every VM named (or with id) `vm` in `inventory`, and how many there are.
fn trace_inventory(
    inventory: &Inventory,
    options: &ScanOptions,
    vm: &str,
    port: Option<u16>,
    source: Option<IpAddr>,
) -> (String, usize) {
    let wanted = key(vm);
    let mut out = String::new();
    let mut found = 0;
    for candidate in inventory
        .vms
        .iter()
        .filter(|v| v.name.eq_ignore_ascii_case(vm) || key(&v.id) == wanted)
    {
        found += 1;
        let ports: Vec<u16> = port.map_or_else(|| options.ports.clone(), |p| vec![p]);
        let result = classify(evaluate_vm(inventory, candidate, &options.ports));
        header(&mut out, candidate, &result);
        let flow_source = source.map_or(Source::Internet, |ip| {
            if is_private(ip) {
                Source::VnetAddress(ip)
            } else {
                Source::PublicAddress(ip)
            }
        });
        let source_text = source.map_or_else(
            || "an arbitrary Internet address".to_owned(),
            |ip| {
                if is_private(ip) {
                    format!("{ip} (private: taken to be inside the virtual network)")
                } else {
                    ip.to_string()
                }
            },
        );
        for p in ports {
            let _ = writeln!(
                out,
                "\nport {p} ({}), TCP, from {source_text}:",
                port_name(p)
            );
            for config in trace_port(inventory, candidate, p, &flow_source) {
                config_text(&mut out, &config);
            }
            if let Some(evaluated) = result.ports.iter().find(|e| e.port == p) {
                let _ = writeln!(
                    out,
                    "  => NSG verdict for an Internet source: {} ({}); open: {}; exposed: {}",
                    evaluated.nsg_verdict.value.as_str(),
                    evaluated.nsg_verdict.confidence.as_str(),
                    evaluated.open.value,
                    evaluated.internet_exposed.value
                );
            }
        }
        out.push('\n');
    }
    (out, found)
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || (v6.segments().first().is_some_and(|s| s & 0xfe00 == 0xfc00))
        }
    }
}

fn header(out: &mut String, vm: &Vm, result: &crate::classify::VmResult) {
    let (line, _) = vm.origin.line_col();
    let _ = writeln!(
        out,
        "VM {} ({:?}) declared at {}:{line}",
        terminal(&vm.name),
        vm.kind,
        terminal(vm.origin.path())
    );
    let _ = writeln!(out, "id: {}", terminal(&vm.id));
    let _ = writeln!(
        out,
        "classification: {} ({}) - {}",
        result.classification.value.as_str(),
        result.classification.confidence.as_str(),
        terminal(&result.reason)
    );
    if let Some(reason) = &result.classification.reason {
        let _ = writeln!(out, "  depends on: {}", terminal(reason));
    }
}

fn config_text(out: &mut String, config: &ConfigTrace) {
    let _ = writeln!(
        out,
        "  ipConfiguration {} (private IP {})",
        terminal(&config.label),
        terminal(&config.address)
    );
    if config.nsgs.is_empty() {
        let _ = writeln!(
            out,
            "    no NSG on the subnet or the NIC: traffic is unfiltered"
        );
    }
    for nsg in &config.nsgs {
        let place = nsg
            .origin
            .as_ref()
            .map(|o| format!(" at {}:{}", terminal(o.path()), o.line_col().0))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {} NSG {}{place}",
            nsg.level.as_str(),
            terminal(&nsg.name)
        );
        for step in &nsg.steps {
            let priority = step.priority.map_or("?".to_owned(), |p| p.to_string());
            let default = if step.default_rule { " (default)" } else { "" };
            let name = terminal(&step.name);
            match &step.skipped {
                None => {
                    let _ = writeln!(
                        out,
                        "      {priority:>5}  {name}{default}  {}  <- matches, decides",
                        step.access.as_str()
                    );
                }
                Some(why) => {
                    let _ = writeln!(
                        out,
                        "      {priority:>5}  {name}{default}  {}  skipped: {}",
                        step.access.as_str(),
                        terminal(why)
                    );
                }
            }
        }
        let _ = writeln!(out, "      result: {}", nsg.access.as_str());
    }
    if config.paths.is_empty() {
        let _ = writeln!(out, "    paths in: none");
    }
    for (path, state) in &config.paths {
        let rule = path
            .rule
            .as_ref()
            .map(|r| format!(" rule '{}'", terminal(r.as_str())))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    path in: {} '{}'{rule} ({})",
            path.kind.as_str(),
            terminal(&path.via),
            terminal(state)
        );
    }
}
