//! REQUEST: `jitscan request PATH... --vm NAME --port N`, Defender's "Request access" offline.
//! Finds the VM (by name or id, as `explain --vm` does) and the JIT policy that lists it, checks
//! the request against that policy's port rule as Defender does (the port is in the policy for
//! the VM; each source is the policy's `*` or exactly one of its allowed prefixes; the length
//! does not exceed `maxRequestAccessDuration`), and builds the `initiate` call: the REST request
//! (`JitNetworkAccessPolicyInitiateRequest`, api-version 2020-01-01) and the `az rest` command
//! that sends it. The inputs are loaded and accounted for by the one pipeline driver
//! ([`crate::scan::pipeline`]). Builds text only; printing is `main`'s job. Every value from
//! the input or the command line goes through [`escape::terminal`] where it is inserted.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::escape::{self, terminal};
use crate::model::jit::JitPort;
use crate::model::{key, Inventory};
use crate::scan::{pipeline, InputRecord, ScanOptions, Texts};
use crate::time::{iso_duration_seconds, iso_duration_text, utc_text};

/// The api-version of the initiate call.
pub const API_VERSION: &str = "2020-01-01";
/// The schema's lower limit on a policy's `maxRequestAccessDuration`, 5 minutes: a request
/// shorter than that is unusual (warned, not refused; the schema sets no minimum on a request).
const SHORTEST: u64 = 5 * 60;

/// What the user asks for.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    /// The VM, by name or id.
    pub vm: String,
    /// The port.
    pub port: u16,
    /// `--source`: none means the requester's own address.
    pub sources: Vec<String>,
    /// `--duration` (ISO 8601), or `None` for the policy's maximum.
    pub duration: Option<String>,
    /// `--justification`.
    pub justification: Option<String>,
}

/// How a request ends.
#[derive(Debug)]
pub enum Outcome {
    /// The policy allows it: the text to print (notes included).
    Accepted(String),
    /// The policy would refuse it (exit 1): the reasons, one per line.
    Refused(Vec<String>),
    /// No JIT policy lists the VM (exit 1).
    NoPolicy(String),
    /// The command cannot be answered (exit 2): no such VM, an ambiguous name, a bad value.
    Error(String),
}

/// The outcome and the account of the inputs.
#[derive(Debug)]
pub struct RequestRun {
    /// The outcome.
    pub outcome: Outcome,
    /// Every file found, with its status and problems.
    pub inputs: Vec<InputRecord>,
}

/// One VM of that name or id, with what its policy says.
#[derive(Debug, Clone)]
struct Candidate {
    id: String,
    name: String,
    place: String,
    policy: Option<PolicyFacts>,
}

#[derive(Debug, Clone)]
struct PolicyFacts {
    id: String,
    name: String,
    from_template: bool,
    rules: Vec<JitPort>,
}

/// Runs `jitscan request`.
pub fn run(options: &ScanOptions, request: &AccessRequest) -> RequestRun {
    let run = pipeline::run(options, Texts::Release, |env| {
        candidates(&env.inventory, &request.vm)
    });
    let mut found: Vec<Candidate> = run.outputs.into_iter().flatten().collect();
    // One VM declared twice (a template and its export) is one VM: the copy with a policy wins.
    found.sort_by(|a, b| {
        (key(&a.id), a.policy.is_none(), &a.place).cmp(&(key(&b.id), b.policy.is_none(), &b.place))
    });
    found.dedup_by(|b, a| key(&a.id) == key(&b.id));
    let outcome = match found.as_slice() {
        [] => Outcome::Error(format!(
            "no VM named '{}' in the given paths",
            terminal(&request.vm)
        )),
        [vm] => decide(vm, request, options),
        many => {
            let mut text = format!(
                "'{}' names {} VMs; give the one meant by its resource id (--vm ID):",
                terminal(&request.vm),
                many.len()
            );
            for c in many {
                let _ = write!(
                    text,
                    "\n  {} {} ({})",
                    terminal(&c.name),
                    terminal(&c.id),
                    terminal(&c.place)
                );
            }
            Outcome::Error(text)
        }
    };
    RequestRun {
        outcome,
        inputs: run.inputs,
    }
}

fn candidates(inventory: &Inventory, wanted: &str) -> Vec<Candidate> {
    let wanted_key = key(wanted);
    inventory
        .vms
        .iter()
        .filter(|v| v.name.eq_ignore_ascii_case(wanted) || key(&v.id) == wanted_key)
        .map(|vm| {
            let vm_key = key(&vm.id);
            let policy = inventory
                .jit_by_vm
                .get(&vm_key)
                .and_then(|&i| inventory.jit_policies.get(i))
                .map(|p| PolicyFacts {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    from_template: p.from_template,
                    rules: p
                        .virtual_machines
                        .iter()
                        .filter(|v| key(&v.id) == vm_key)
                        .flat_map(|v| v.port_rules())
                        .collect(),
                });
            Candidate {
                id: vm.id.clone(),
                name: vm.name.clone(),
                place: format!("{}:{}", vm.origin.path(), vm.origin.line_col().0),
                policy,
            }
        })
        .collect()
}

/// Checks the request against the VM's policy and builds the call.
fn decide(vm: &Candidate, request: &AccessRequest, options: &ScanOptions) -> Outcome {
    let Some(policy) = &vm.policy else {
        return Outcome::NoPolicy(format!(
            "no JIT policy in the inputs lists VM '{}' ({}): there is nothing to request access under. `jitscan policy` writes one to enable JIT for it",
            terminal(&vm.name),
            terminal(&vm.id)
        ));
    };
    let duration = match &request.duration {
        Some(text) => match iso_duration_seconds(text) {
            Some(seconds) => Some(seconds),
            None => {
                return Outcome::Error(format!(
                    "--duration '{}' is not an ISO 8601 duration (PT2H, PT30M)",
                    terminal(text)
                ))
            }
        },
        None => None,
    };
    let checked = check(&policy.rules, request, duration);
    if !checked.refusals.is_empty() {
        let policy_line = format!(
            "JIT policy '{}' ({}) for VM '{}':",
            terminal(&policy.name),
            terminal(&policy.id),
            terminal(&vm.name)
        );
        return Outcome::Refused(
            std::iter::once(policy_line)
                .chain(checked.refusals)
                .collect(),
        );
    }
    let Some(seconds) = checked.seconds else {
        return Outcome::Error("no --duration given and the policy's maxRequestAccessDuration for the port is not an ISO 8601 duration: give --duration".to_owned());
    };
    let mut notes = checked.notes;
    if policy.from_template && placeholders(options) {
        notes.push(format!(
            "the policy is declared in an ARM template: its id and the VM's hold the deployment placeholders (subscription {}, resource group {}); give --subscription-id and --resource-group for the real ones",
            terminal(&options.context.subscription_id),
            terminal(&options.context.resource_group)
        ));
    }
    let end = utc_text(
        options
            .as_of
            .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX)),
    );
    let body = initiate_body(&vm.id, request, &end);
    Outcome::Accepted(accepted_text(
        vm, policy, request, seconds, &end, &body, &notes,
    ))
}

/// True when the deployment context is the default one (no --subscription-id or
/// --resource-group given).
fn placeholders(options: &ScanOptions) -> bool {
    let default = crate::arm::DeploymentContext::default();
    options.context.subscription_id == default.subscription_id
        || options.context.resource_group == default.resource_group
}

/// What the policy says of a request.
#[derive(Debug, Default, PartialEq, Eq)]
struct Checked {
    /// Why the policy would refuse it.
    refusals: Vec<String>,
    /// What the input leaves open.
    notes: Vec<String>,
    /// The length granted, in seconds (the policy's maximum when none was asked for).
    seconds: Option<u64>,
}

/// Checks a request against the VM's port rules (pure).
fn check(rules: &[JitPort], request: &AccessRequest, duration: Option<u64>) -> Checked {
    let mut out = Checked::default();
    let Some(rule) = rules.iter().find(|r| r.number == Some(request.port)) else {
        let listed: Vec<String> = rules
            .iter()
            .filter_map(|r| r.number.map(|n| n.to_string()))
            .collect();
        out.refusals.push(format!(
            "port {} is not in the policy for this VM (its ports: {})",
            request.port,
            if listed.is_empty() {
                "none".to_owned()
            } else {
                listed.join(", ")
            }
        ));
        return out;
    };
    let allowed = terminal(&rule.sources.join(", ")).into_owned();
    for source in &request.sources {
        if source_prefix(source).is_none() && source.trim() != "*" {
            out.refusals.push(format!(
                "source '{}' is not an IP address or CIDR prefix",
                terminal(source)
            ));
        } else if !rule.any_source() && !rule.sources.iter().any(|a| same_prefix(a, source)) {
            out.refusals.push(format!(
                "source '{}' is not one of the port's allowed source prefixes ({allowed}); Azure accepts only a configured prefix exactly, not an address or range inside it",
                terminal(source)
            ));
        }
    }
    if request.sources.is_empty() && !rule.any_source() {
        out.notes.push(format!(
            "no --source: Azure grants the address the request is sent from, and accepts it only when that address is exactly one of the port's allowed source prefixes ({allowed}); offline, jitscan cannot know that address"
        ));
    }
    if request.sources.len() > 1 {
        out.notes.push("the initiate body holds one allowedSourceAddressPrefix per port entry: the port is listed once per source".to_owned());
    }
    let max = rule.max_seconds();
    match (duration, max) {
        (Some(0), _) => out.refusals.push("the duration is zero".to_owned()),
        (Some(d), Some(m)) if d > m => out.refusals.push(format!(
            "the duration {} exceeds the port's maxRequestAccessDuration {}",
            iso_duration_text(d),
            terminal(rule.max_duration.as_deref().unwrap_or_default())
        )),
        (Some(d), None) => out.notes.push(format!(
            "the port's maxRequestAccessDuration ({}) is not an ISO 8601 duration: whether {} is within it is not known",
            terminal(rule.max_duration.as_deref().unwrap_or("missing")),
            iso_duration_text(d)
        )),
        _ => {}
    }
    if let Some(d) = duration.filter(|d| (1..SHORTEST).contains(d)) {
        out.notes.push(format!(
            "the duration {} is shorter than the 5 minutes Azure sets as the least maxRequestAccessDuration",
            iso_duration_text(d)
        ));
    }
    out.seconds = duration.or(max);
    out
}

/// A source as a prefix (an address alone is its /32 or /128).
fn source_prefix(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

/// The same prefix: equal as networks when both parse, else equal as text (any case).
fn same_prefix(allowed: &str, requested: &str) -> bool {
    match (source_prefix(allowed), source_prefix(requested)) {
        (Some(a), Some(r)) => a == r,
        _ => allowed.trim().eq_ignore_ascii_case(requested.trim()),
    }
}

/// The `JitNetworkAccessPolicyInitiateRequest` body.
pub fn initiate_body(vm_id: &str, request: &AccessRequest, end: &str) -> Value {
    let port = |source: Option<&str>| {
        let mut p = json!({ "number": request.port });
        if let (Some(source), Some(object)) = (source, p.as_object_mut()) {
            object.insert(
                "allowedSourceAddressPrefix".to_owned(),
                json!(source.trim()),
            );
        }
        if let Some(object) = p.as_object_mut() {
            object.insert("endTimeUtc".to_owned(), json!(end));
        }
        p
    };
    let ports: Vec<Value> = if request.sources.is_empty() {
        vec![port(None)]
    } else {
        request.sources.iter().map(|s| port(Some(s))).collect()
    };
    let mut body = json!({ "virtualMachines": [{ "id": vm_id, "ports": ports }] });
    if let (Some(j), Some(object)) = (&request.justification, body.as_object_mut()) {
        object.insert("justification".to_owned(), json!(j));
    }
    body
}

/// The URL of the initiate call: the policy id's segments percent-encoded.
pub fn initiate_url(policy_id: &str) -> String {
    let path: Vec<String> = policy_id
        .trim_end_matches('/')
        .split('/')
        .map(|s| escape::url_path_segment(s).into_owned())
        .collect();
    format!(
        "https://management.azure.com{}/initiate?api-version={API_VERSION}",
        path.join("/")
    )
}

fn accepted_text(
    vm: &Candidate,
    policy: &PolicyFacts,
    request: &AccessRequest,
    seconds: u64,
    end: &str,
    body: &Value,
    notes: &[String],
) -> String {
    let url = initiate_url(&policy.id);
    let from = if request.sources.is_empty() {
        "the requester's address".to_owned()
    } else {
        terminal(&request.sources.join(", ")).into_owned()
    };
    let mut out = format!(
        "VM '{}' ({})\nJIT policy '{}' ({})\nRequest: port {} from {from} for {}, until {end}: the policy allows it.\n",
        terminal(&vm.name),
        terminal(&vm.id),
        terminal(&policy.name),
        terminal(&policy.id),
        request.port,
        iso_duration_text(seconds),
    );
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
    let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
    let compact = body.to_string();
    let _ = write!(
        out,
        "\nREST:\nPOST {}\n{}\n\naz CLI (az has no command that initiates a JIT request; az rest sends the call):\naz rest --method post --url {} --body {}\n",
        terminal(&url),
        terminal_lines(&pretty),
        terminal(&escape::shell_word(&url)),
        terminal(&escape::shell_word(&compact)),
    );
    out
}

/// Pretty JSON, each line escaped for the terminal (JSON already writes controls as escapes;
/// bidi and line-separator characters it leaves raw are made visible).
fn terminal_lines(text: &str) -> String {
    text.lines()
        .map(|l| terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
