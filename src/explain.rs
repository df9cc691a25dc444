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
use crate::eval::trace::{
    source_verdict, trace_port, ChainTrace, ConfigTrace, RuleStep, SourceVerdict,
};
use crate::eval::vm::PortEvaluation;
use crate::eval::Confidence;
use crate::model::{key, Access, Inventory, Vm};
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
        jit_layer(&mut out, &result, &ports);
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
            let configs = trace_port(inventory, candidate, p, &flow_source);
            for config in &configs {
                config_text(&mut out, config);
            }
            let evaluated = result.ports.iter().find(|e| e.port == p);
            match source {
                // The scan's verdict is for an arbitrary Internet address: context, then the
                // verdict for the source asked about closes.
                Some(_) => {
                    if let Some(evaluated) = evaluated {
                        scan_verdict(
                            &mut out,
                            "  (the scan, for an arbitrary Internet address",
                            evaluated,
                            ")",
                        );
                    }
                    source_closing(
                        &mut out,
                        &source_verdict(&configs, &flow_source),
                        p,
                        &source_text,
                    );
                }
                None => {
                    if let Some(evaluated) = evaluated {
                        scan_verdict(
                            &mut out,
                            "  => NSG verdict for an Internet source",
                            evaluated,
                            "",
                        );
                    }
                }
            }
        }
        out.push('\n');
    }
    (out, found)
}

/// JIT's layer, for a VM a JIT policy lists: each port's policy rule, JIT's rules on the NSGs
/// of its path, and what defeats them (JIT008-JIT011 judge the same facts).
fn jit_layer(out: &mut String, result: &crate::classify::VmResult, ports: &[u16]) {
    let Some(jit) = &result.jit else {
        return;
    };
    let (line, _) = jit.policy_origin.line_col();
    let _ = writeln!(
        out,
        "\nJIT layer: policy {} declared at {}:{line}{}",
        terminal(&jit.policy_name),
        terminal(jit.policy_origin.path()),
        jit.firewall_ip
            .as_deref()
            .map_or(String::new(), |ip| format!(
                " (through the Azure Firewall at {})",
                terminal(ip)
            ))
    );
    for nsg in &jit.nsgs {
        let _ = writeln!(
            out,
            "  {} NSG {}: {} JIT rule(s){}",
            nsg.level.as_str(),
            terminal(&nsg.name),
            nsg.jit_rules.len(),
            if nsg.inline_rules.is_some() {
                "; its securityRules are declared inline here: a redeploy removes JIT's rules"
            } else {
                ""
            }
        );
        for rule in &nsg.jit_rules {
            let _ = writeln!(
                out,
                "    {} ({}, priority {}, ports {}, from {})",
                terminal(&rule.name),
                rule.access.map_or("?", |a| a.as_str()),
                rule.priority.map_or("?".to_owned(), |p| p.to_string()),
                rule.ports
                    .as_ref()
                    .map_or("?".to_owned(), ToString::to_string),
                terminal(&rule.sources.join(", "))
            );
        }
    }
    if let Some(why) = &jit.unknown_path {
        let _ = writeln!(out, "  part of the path is unknown: {}", terminal(why));
    }
    for &p in ports {
        let rule = jit.port_rule(p);
        let policy = match rule {
            None => "not in the policy: JIT never closes it".to_owned(),
            Some(r) => format!(
                "protocol {}, sources {}, requests up to {}",
                terminal(r.protocol.as_deref().unwrap_or("?")),
                terminal(&if r.sources.is_empty() {
                    "(none)".to_owned()
                } else {
                    r.sources.join(", ")
                }),
                terminal(r.max_duration.as_deref().unwrap_or("?"))
            ),
        };
        let denies = jit.denies(p);
        let deny = if rule.is_none() {
            String::new()
        } else if denies.is_empty() {
            "; no JIT deny rule on the path".to_owned()
        } else {
            format!("; denied by JIT's {}", terminal(&denies[0].1.name))
        };
        let open = result
            .ports
            .iter()
            .find(|e| e.port == p)
            .filter(|e| e.open.value)
            .map_or("", |_| {
                "; yet open to the Internet: an earlier allow (or a path around the NSGs) defeats JIT"
            });
        let _ = writeln!(out, "  port {p}: {policy}{deny}{open}");
    }
}

/// The scan's verdict for a port, and what it depends on when it is not certain.
fn scan_verdict(out: &mut String, lead: &str, evaluated: &PortEvaluation, tail: &str) {
    let _ = writeln!(
        out,
        "{lead}: {} ({}); open: {}; exposed: {}{tail}",
        evaluated.nsg_verdict.value.as_str(),
        evaluated.nsg_verdict.confidence.as_str(),
        evaluated.open.value,
        evaluated.internet_exposed.value
    );
    let mut said: Vec<&str> = Vec::new();
    for judged in [
        (
            &evaluated.nsg_verdict.confidence,
            &evaluated.nsg_verdict.reason,
            "NSG verdict",
        ),
        (&evaluated.open.confidence, &evaluated.open.reason, "open"),
        (
            &evaluated.internet_exposed.confidence,
            &evaluated.internet_exposed.reason,
            "exposed",
        ),
    ] {
        let (confidence, reason, what) = judged;
        if *confidence == Confidence::Certain {
            continue;
        }
        let reason = reason
            .as_deref()
            .unwrap_or("an undecidable value (no reason recorded)");
        if said.contains(&reason) {
            continue;
        }
        said.push(reason);
        let _ = writeln!(
            out,
            "     {what} {}: {}",
            confidence.as_str(),
            terminal(reason)
        );
    }
}

/// The closing verdict for the source `--source` named.
fn source_closing(out: &mut String, verdict: &SourceVerdict, port: u16, source_text: &str) {
    let outcome = match (verdict.reaches, verdict.uncertain.is_empty()) {
        (true, true) => "reachable",
        (true, false) => "may be reachable (the most open outcome is shown)",
        (false, _) => "not reachable",
    };
    let why = if verdict.reaches && !verdict.via.is_empty() {
        format!("through {}", terminal(&verdict.via.join(", ")))
    } else if verdict.reaches && verdict.uncertain.is_empty() {
        "its network security groups let it through".to_owned()
    } else if verdict.reaches {
        "the input does not decide what filters it or leads to it".to_owned()
    } else if verdict.nsgs_allow {
        "the network security groups allow it, but no path in reaches the port".to_owned()
    } else {
        "denied by the network security groups".to_owned()
    };
    let _ = writeln!(
        out,
        "  => verdict for {source_text}: port {port} {outcome}: {why}"
    );
    for reason in &verdict.uncertain {
        let _ = writeln!(out, "     unknown: {}", terminal(reason));
    }
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
    if let Some(reason) = &config.unknown {
        let _ = writeln!(
            out,
            "    network interface unknown: {}; any NSG or path may apply",
            terminal(reason)
        );
    } else if config.chain.nsgs.is_empty() {
        let _ = writeln!(
            out,
            "    no NSG on the subnet or the NIC: traffic is unfiltered"
        );
    }
    nsgs_text(out, &config.chain, "    ");
    if config.paths.is_empty() && config.unknown.is_none() {
        let _ = writeln!(out, "    paths in: none");
    }
    for trace in &config.paths {
        let path = &trace.path;
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
            terminal(&trace.state)
        );
        if let Some((translated, chain)) = &trace.translated {
            let _ = writeln!(
                out,
                "      the firewall forwards it with source {} (Azure Firewall translates the source of DNAT traffic); the NSGs for that source:",
                terminal(translated)
            );
            nsgs_text(out, chain, "      ");
            let _ = writeln!(
                out,
                "      => the forwarded traffic {} the NSGs",
                if chain.passes {
                    "passes"
                } else {
                    "is denied by"
                }
            );
        }
    }
}

/// Every NSG of `chain`, rule by rule, indented by `indent`.
fn nsgs_text(out: &mut String, chain: &ChainTrace, indent: &str) {
    for nsg in &chain.nsgs {
        let place = nsg
            .origin
            .as_ref()
            .map(|o| format!(" at {}:{}", terminal(o.path()), o.line_col().0))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}{} NSG {}{place}",
            nsg.level.as_str(),
            terminal(&nsg.name)
        );
        for step in &nsg.steps {
            let priority = step.priority.map_or("?".to_owned(), |p| p.to_string());
            let default = if step.default_rule { " (default)" } else { "" };
            let name = terminal(&step.name);
            let uncertain = step
                .uncertain
                .as_ref()
                .map(|u| format!(" (uncertain: {})", terminal(u)))
                .unwrap_or_default();
            let what = match &step.skipped {
                None => decides_text(step),
                Some(part) if step.took_part => format!("<- takes part: {}", terminal(part)),
                Some(why) => format!("skipped: {}", terminal(why)),
            };
            let _ = writeln!(
                out,
                "{indent}  {priority:>5}  {name}{default}  {}  {what}{uncertain}",
                step.access.as_str()
            );
        }
        let _ = writeln!(out, "{indent}  result: {}", nsg.access.as_str());
        // A reason a step already gave is not repeated.
        for reason in nsg
            .uncertain
            .iter()
            .filter(|r| !nsg.steps.iter().any(|s| s.uncertain.as_ref() == Some(*r)))
        {
            let _ = writeln!(
                out,
                "{indent}    (the most open outcome; unknown: {})",
                terminal(reason)
            );
        }
    }
}

/// How a rule that decided reads: for an Internet source, a rule whose sources cover only
/// part of the public address space says which part, and names the rules it decided with.
fn decides_text(step: &RuleStep) -> String {
    let with = step
        .with
        .iter()
        .map(|name| format!("'{}'", terminal(name)))
        .collect::<Vec<_>>()
        .join(", ");
    match (&step.part, step.access, with.is_empty()) {
        (None, _, true) => "<- matches, decides".to_owned(),
        (None, Access::Allow, false) => {
            format!("<- matches; with {with} every public address is admitted: decides")
        }
        (Some(part), Access::Allow, false) => format!(
            "<- admits part of the Internet ({}); with {with} every public address: decides",
            terminal(part)
        ),
        (Some(part), Access::Allow, true) => format!(
            "<- admits part of the Internet ({}): every public address but the exceptions refused above: decides",
            terminal(part)
        ),
        (Some(part), Access::Deny, _) => format!(
            "<- refuses part of the Internet ({}), not a targeted exception: not every public address is admitted, decides",
            terminal(part)
        ),
        (None, Access::Deny, false) => "<- matches, decides".to_owned(),
    }
}
