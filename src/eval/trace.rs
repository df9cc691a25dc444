//! EVALUATE: the step-by-step decision for one VM and port, for `jitscan explain`: every rule
//! of every NSG on the path in priority order with why it did or did not match, like Network
//! Watcher's IP flow verify. Pure; rendering is the caller's, and so is escaping: names,
//! labels and reasons here hold the input's values as they are (`explain` puts each through
//! `escape::terminal`).

use super::mode::{Mode, Uncertainty};
use super::nsg::{rule_matches, rule_mismatch, Destination, Flow, Match, Source};
use super::paths::{paths_to, PathIn};
use super::vm::{targets_of, Slot};
use super::NsgLevel;
use crate::model::{Access, Decided, Inventory, SecurityRule, Vm};
use crate::source::Origin;

/// One rule considered.
#[derive(Debug, Clone)]
pub struct RuleStep {
    /// Rule name.
    pub name: String,
    /// Priority.
    pub priority: Option<u32>,
    /// Access (as resolved).
    pub access: Access,
    /// Azure default rule.
    pub default_rule: bool,
    /// None when it decided; else why it was passed over.
    pub skipped: Option<String>,
}

/// One NSG on the path.
#[derive(Debug, Clone)]
pub struct NsgTrace {
    /// Subnet or NIC.
    pub level: NsgLevel,
    /// NSG name, or what is missing.
    pub name: String,
    /// Declaration.
    pub origin: Option<Origin>,
    /// Rules up to and including the one that decided.
    pub steps: Vec<RuleStep>,
    /// Outcome.
    pub access: Access,
}

/// One ipConfiguration.
#[derive(Debug, Clone)]
pub struct ConfigTrace {
    /// `nic/ipconfig`.
    pub label: String,
    /// Its private address, as known.
    pub address: String,
    /// NSGs on the path, subnet first (empty: unfiltered).
    pub nsgs: Vec<NsgTrace>,
    /// Paths in, with whether each may exist.
    pub paths: Vec<(PathIn, String)>,
}

/// Traces `port` of `vm` for `source` (worst case for uncertain facts).
pub fn trace_port(inv: &Inventory, vm: &Vm, port: u16, source: &Source) -> Vec<ConfigTrace> {
    let mut missing = Vec::new();
    let targets = targets_of(inv, vm, &mut missing);
    targets
        .iter()
        .map(|target| {
            let asgs = target.config.map_or(&[][..], |c| c.asgs.as_slice());
            let flow = Flow {
                port,
                source,
                destination: &target.destination,
                asgs,
            };
            let nsgs = target
                .slots
                .iter()
                .map(|slot| trace_slot(slot, &flow))
                .collect();
            let label = format!(
                "{}/{}",
                target.nic_name,
                target.config.map_or("?", |c| c.name.as_str())
            );
            let paths = target.config.map_or_else(Vec::new, |config| {
                paths_to(inv, config, &target.nic_name, port)
                    .into_iter()
                    .map(|p| {
                        let state = match &p.reaches {
                            Match::Yes => "exists".to_owned(),
                            Match::No => "does not exist".to_owned(),
                            Match::Maybe(Uncertainty::Assumed, r) => {
                                format!("assumed to exist: {r}")
                            }
                            Match::Maybe(Uncertainty::Unknown, r) => format!("may exist: {r}"),
                        };
                        (p, state)
                    })
                    .collect()
            });
            ConfigTrace {
                label,
                address: describe(&target.destination),
                nsgs,
                paths,
            }
        })
        .collect()
}

fn describe(destination: &Destination) -> String {
    match destination {
        Destination::Address(ip) => ip.to_string(),
        Destination::InPrefixes(p) if p.is_empty() => "dynamic (subnet unknown)".to_owned(),
        Destination::InPrefixes(p) => format!(
            "dynamic, in {}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Destination::Unknown(reason) => format!("unknown ({reason})"),
    }
}

fn trace_slot(slot: &Slot<'_>, flow: &Flow<'_>) -> NsgTrace {
    match slot {
        Slot::Missing(level, why) => NsgTrace {
            level: *level,
            name: format!("(not in the input: {why})"),
            origin: None,
            steps: Vec::new(),
            access: Access::Allow,
        },
        Slot::Found(level, nsg) => {
            let mut rules: Vec<&SecurityRule> =
                nsg.rules.iter().chain(nsg.default_rules.iter()).collect();
            rules.sort_by_key(|r| r.priority.known().copied().unwrap_or(0));
            let mut steps = Vec::new();
            let mut access = Access::Deny;
            for rule in rules {
                let resolved = match rule.access {
                    Decided::Known(a) => a,
                    Decided::Unknown(_) => Access::Allow,
                };
                let matched = rule_matches(rule, resolved, flow);
                let decides = match &matched {
                    Match::Yes => true,
                    Match::No => false,
                    Match::Maybe(level, _) => {
                        Mode::Open.leans_open(*level) == (resolved == Access::Allow)
                    }
                };
                steps.push(RuleStep {
                    name: rule.name.to_string(),
                    priority: rule.priority.known().copied(),
                    access: resolved,
                    default_rule: rule.is_default,
                    skipped: if decides {
                        None
                    } else {
                        rule_mismatch(rule, resolved, flow)
                    },
                });
                if decides {
                    access = resolved;
                    break;
                }
            }
            NsgTrace {
                level: *level,
                name: nsg.name.to_string(),
                origin: Some(nsg.origin.clone()),
                steps,
                access,
            }
        }
    }
}
