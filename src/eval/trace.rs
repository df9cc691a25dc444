//! EVALUATE: the step-by-step decision for one VM and port, for `jitscan explain`: every rule
//! of every NSG on the path in priority order with why it did or did not match, like Network
//! Watcher's IP flow verify, then whether the traced source gets through. Pure; rendering is
//! the caller's, and so is escaping: names, labels and reasons here hold the input's values as
//! they are (`explain` puts each through `escape::terminal`).
//!
//! An uncertain fact is resolved the most open way, as the scan's fail-safe does, and is never
//! silent: each step, NSG and verdict it touched carries its reason.

mod internet;

use super::mode::{Mode, Uncertainty};
use super::nsg::{
    in_priority_order, rule_matches, rule_mismatch, Destination, Flow, Match, Source,
};
use super::paths::{paths_to, PathIn, PathKind};
use super::targets::{targets_of, Slot, Target};
use super::NsgLevel;
use crate::model::address::AddressItem;
use crate::model::{Access, Decided, Inventory, Vm};
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
    /// Why the match (or the access) is not certain, when it is not.
    pub uncertain: Option<String>,
    /// For an Internet source, when the rule decided with sources that cover only part of the
    /// public address space: those sources, as written.
    pub part: Option<String>,
    /// For an Internet source, the other rules that decided with it (their Allow rules
    /// together admit every public address).
    pub with: Vec<String>,
    /// For an Internet source, the rule did not decide but took part of the Internet on the
    /// way (admitted or refused it): `skipped` says which part.
    pub took_part: bool,
}

/// One NSG on the path.
#[derive(Debug, Clone)]
pub struct NsgTrace {
    /// Subnet or NIC.
    pub level: NsgLevel,
    /// NSG name, or what is unknown.
    pub name: String,
    /// Declaration.
    pub origin: Option<Origin>,
    /// Rules up to and including the one that decided.
    pub steps: Vec<RuleStep>,
    /// Outcome (the most open one when uncertain).
    pub access: Access,
    /// What the outcome depends on, when it is not certain.
    pub uncertain: Vec<String>,
}

/// The NSGs on the path for one source: what each decided, and together.
#[derive(Debug, Clone)]
pub struct ChainTrace {
    /// NSGs on the path, subnet first (empty: unfiltered).
    pub nsgs: Vec<NsgTrace>,
    /// Every NSG allows (or there is none).
    pub passes: bool,
    /// What that depends on, when it is not certain.
    pub uncertain: Vec<String>,
}

impl ChainTrace {
    fn new(nsgs: Vec<NsgTrace>) -> Self {
        let passes = nsgs.iter().all(|n| n.access == Access::Allow);
        let uncertain = nsgs.iter().flat_map(|n| n.uncertain.clone()).collect();
        Self {
            nsgs,
            passes,
            uncertain,
        }
    }
}

/// A path in, with whether it exists and, for a firewall's DNAT, the NSGs evaluated for the
/// address the forwarded traffic carries.
#[derive(Debug, Clone)]
pub struct PathTrace {
    /// The path.
    pub path: PathIn,
    /// Whether it exists, in words.
    pub state: String,
    /// For DNAT: the firewall's translated source, described, and the NSGs for it.
    pub translated: Option<(String, ChainTrace)>,
    /// Whether the traced source gets through it to the port (most open when uncertain).
    pub reaches: bool,
    /// What that depends on, when it is not certain.
    pub uncertain: Vec<String>,
}

/// One ipConfiguration.
#[derive(Debug, Clone)]
pub struct ConfigTrace {
    /// `nic/ipconfig`.
    pub label: String,
    /// Its private address, as known.
    pub address: String,
    /// Why the ipConfiguration itself is unknown (a NIC outside the input or undecided).
    pub unknown: Option<String>,
    /// The NSGs for the traced source.
    pub chain: ChainTrace,
    /// Paths in.
    pub paths: Vec<PathTrace>,
}

/// Whether the traced source reaches the port, over every ipConfiguration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceVerdict {
    /// The NSGs let it through on some ipConfiguration (most open when uncertain).
    pub nsgs_allow: bool,
    /// It gets to the port (through a path for a public source; directly for a private one).
    pub reaches: bool,
    /// How: the paths it gets through, described.
    pub via: Vec<String>,
    /// What the verdict depends on, when it is not certain (each once, in order met).
    pub uncertain: Vec<String>,
}

/// Traces `port` of `vm` for `source` (worst case for uncertain facts).
pub fn trace_port(inv: &Inventory, vm: &Vm, port: u16, source: &Source) -> Vec<ConfigTrace> {
    let mut missing = Vec::new();
    let targets = targets_of(inv, vm, &mut missing);
    targets
        .iter()
        .map(|target| trace_target(inv, target, port, source))
        .collect()
}

fn trace_target(inv: &Inventory, target: &Target<'_>, port: u16, source: &Source) -> ConfigTrace {
    let asgs = target.config.map_or(&[][..], |c| c.asgs.as_slice());
    let chain_for = |source: &Source| {
        let flow = Flow {
            port,
            source,
            destination: &target.destination,
            asgs,
            config: target.config.map(|c| c.key.as_str()),
        };
        ChainTrace::new(
            target
                .slots
                .iter()
                .map(|slot| trace_slot(slot, &flow))
                .collect(),
        )
    };
    let chain = chain_for(source);
    let label = format!(
        "{}/{}",
        target.nic_name,
        target.config.map_or("?", |c| c.name.as_str())
    );
    let unknown = match (&target.config, &target.destination) {
        (None, Destination::Unknown(reason)) => Some(reason.clone()),
        (None, _) => Some("the network interface is not known".to_owned()),
        _ => None,
    };
    let paths = target.config.map_or_else(Vec::new, |config| {
        paths_to(inv, config, &target.nic_name, port)
            .into_iter()
            .map(|path| trace_path(path, &chain, source, &chain_for))
            .collect()
    });
    ConfigTrace {
        label,
        address: describe(&target.destination),
        unknown,
        chain,
        paths,
    }
}

fn trace_path(
    path: PathIn,
    chain: &ChainTrace,
    source: &Source,
    chain_for: &dyn Fn(&Source) -> ChainTrace,
) -> PathTrace {
    let mut uncertain = Vec::new();
    let (state, exists) = match &path.reaches {
        Match::Yes => ("exists".to_owned(), true),
        Match::No => ("does not exist".to_owned(), false),
        Match::Maybe(Uncertainty::Assumed, r) => {
            uncertain.push(r.clone());
            (format!("assumed to exist: {r}"), true)
        }
        Match::Maybe(Uncertainty::Unknown, r) => {
            uncertain.push(r.clone());
            (format!("may exist: {r}"), true)
        }
    };
    let mut translated = None;
    let through = match (path.kind, source) {
        // Traffic from inside the virtual network does not come in through a public frontend.
        (_, Source::VnetAddress(_) | Source::VnetRange(_)) => false,
        (PathKind::FirewallDnat, _) => {
            let admitted = resolve(&dnat_admits(&path, source), &mut uncertain);
            match &path.firewall_source {
                Some(translated_source) => {
                    let after = chain_for(translated_source);
                    let passes = after.passes;
                    if admitted && passes {
                        uncertain.extend(after.uncertain.iter().cloned());
                    }
                    translated = Some((describe_source(translated_source), after));
                    admitted && passes
                }
                None => false,
            }
        }
        _ => {
            let through = chain.passes && (!chain.nsgs.is_empty() || !path.secure_by_default);
            if through {
                uncertain.extend(chain.uncertain.iter().cloned());
            }
            through
        }
    };
    PathTrace {
        reaches: exists && through,
        path,
        state,
        translated,
        uncertain,
    }
}

/// Whether a DNAT rule accepts `source`: for an arbitrary Internet address, when it is
/// Internet-wide; for one address, when one of the rule's sources holds it.
fn dnat_admits(path: &PathIn, source: &Source) -> Match {
    let Source::PublicAddress(ip) = source else {
        return path.internet_wide.clone();
    };
    let mut best = Match::No;
    for text in &path.sources {
        match AddressItem::parse(text) {
            Ok(AddressItem::Any | AddressItem::Internet) => return Match::Yes,
            Ok(AddressItem::Prefix(net)) if net.contains(ip) => return Match::Yes,
            Ok(AddressItem::Prefix(_)) => {}
            _ => {
                best = Match::Maybe(
                    Uncertainty::Unknown,
                    format!("the DNAT rule's source '{text}' is not an address range"),
                );
            }
        }
    }
    best
}

fn resolve(m: &Match, uncertain: &mut Vec<String>) -> bool {
    match m {
        Match::Yes => true,
        Match::No => false,
        Match::Maybe(level, reason) => {
            uncertain.push(reason.clone());
            Mode::Open.leans_open(*level)
        }
    }
}

/// The verdict for the traced source over every ipConfiguration: it gets to the port through
/// a path (a public source) or directly (a private one, inside the virtual network).
pub fn source_verdict(configs: &[ConfigTrace], source: &Source) -> SourceVerdict {
    let private = matches!(source, Source::VnetAddress(_) | Source::VnetRange(_));
    let mut verdict = SourceVerdict {
        nsgs_allow: false,
        reaches: false,
        via: Vec::new(),
        uncertain: Vec::new(),
    };
    let note = |reasons: &[String], verdict: &mut SourceVerdict| {
        for r in reasons {
            if !verdict.uncertain.contains(r) {
                verdict.uncertain.push(r.clone());
            }
        }
    };
    for config in configs {
        if let Some(reason) = &config.unknown {
            // Anything is possible behind a network interface the input does not decide.
            note(std::slice::from_ref(reason), &mut verdict);
            verdict.nsgs_allow = true;
            verdict.reaches = true;
            continue;
        }
        if config.chain.passes {
            verdict.nsgs_allow = true;
            note(&config.chain.uncertain, &mut verdict);
            if private {
                verdict.reaches = true;
            }
        }
        for path in config.paths.iter().filter(|p| p.reaches) {
            verdict.reaches = true;
            note(&path.uncertain, &mut verdict);
            verdict
                .via
                .push(format!("{} '{}'", path.path.kind.as_str(), path.path.via));
        }
    }
    verdict
}

/// A source, in words.
pub fn describe_source(source: &Source) -> String {
    match source {
        Source::Internet => "an arbitrary Internet address".to_owned(),
        Source::PublicAddress(ip) | Source::VnetAddress(ip) => ip.to_string(),
        Source::VnetRange(p) if p.is_empty() => {
            "an address of the firewall's subnet (not in the input)".to_owned()
        }
        Source::VnetRange(p) => format!("an address in {}", join(p)),
    }
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(destination: &Destination) -> String {
    match destination {
        Destination::Address(ip) => ip.to_string(),
        Destination::InPrefixes(p) if p.is_empty() => "dynamic (subnet unknown)".to_owned(),
        Destination::InPrefixes(p) => format!("dynamic, in {}", join(p)),
        Destination::Unknown(reason) => format!("unknown ({reason})"),
    }
}

fn trace_slot(slot: &Slot<'_>, flow: &Flow<'_>) -> NsgTrace {
    match slot {
        Slot::Missing(level, why) => NsgTrace {
            level: *level,
            name: format!("(unknown: {why})"),
            origin: None,
            steps: Vec::new(),
            access: Access::Allow,
            uncertain: vec![why.clone()],
        },
        Slot::Found(level, nsg) => {
            // The scan's order in its most open mode: an unknown priority goes where it opens.
            let rules = in_priority_order(nsg, Mode::Open);
            if *flow.source == Source::Internet {
                return internet::trace_nsg(*level, nsg, &rules, flow);
            }
            let mut steps = Vec::new();
            let mut access = Access::Deny;
            let mut uncertain = Vec::new();
            for rule in rules {
                let (resolved, access_unknown) = match &rule.access {
                    Decided::Known(a) => (*a, None),
                    Decided::Unknown(reason) => (Access::Allow, Some(reason.clone())),
                };
                let matched = rule_matches(rule, resolved, flow);
                let (decides, match_unknown) = match &matched {
                    Match::Yes => (true, None),
                    Match::No => (false, None),
                    Match::Maybe(level, reason) => (
                        Mode::Open.leans_open(*level) == (resolved == Access::Allow),
                        Some(reason.clone()),
                    ),
                };
                let step_uncertain = match (&match_unknown, &access_unknown) {
                    (Some(m), _) => Some(m.clone()),
                    (None, Some(a)) if decides => Some(format!("access unknown: {a}")),
                    _ => None,
                };
                uncertain.extend(step_uncertain.iter().cloned());
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
                    uncertain: step_uncertain,
                    part: None,
                    with: Vec::new(),
                    took_part: false,
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
                uncertain,
            }
        }
    }
}
