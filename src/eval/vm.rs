//! EVALUATE: one VM, every management port, in each resolution mode, then judged.

use std::sync::Arc;

use super::admin::AdminView;
use super::coverage::{broad_dnat, broad_on_path, BroadSources, PathAdmitted};
use super::mode::{Mode, PerMode, Uncertainty};
use super::nsg::{decide, specific_sources_allowed, Flow, Match, Source};
use super::paths::{firewall_address, port_paths, public_path, PathIn, PathKind, PathRule};
use super::shared::DnatIndex;
use super::targets::{targets_of, Slot, Target};
use super::{NsgEvidence, NsgVerdict, SharedDecisions, SpecificSource};
use crate::model::access::last_segment;
use crate::model::network::UNDECIDED_IP_CONFIG;
use crate::model::{
    key, Access, Decided, Firewall, Inventory, JitPolicy, Route, TranslatedAddress, Vm,
};

/// How sure a verdict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Decided by known values only.
    Certain,
    /// Relies on an inference (the reason says which).
    Assumed,
    /// An undecidable value could change it.
    Unknown,
}

impl Confidence {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certain => "certain",
            Self::Assumed => "assumed",
            Self::Unknown => "unknown",
        }
    }
}

/// A value with its confidence and, when not certain, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged<T> {
    /// The value (for unknown: the most open outcome).
    pub value: T,
    /// Confidence.
    pub confidence: Confidence,
    /// What it depends on, when not certain.
    pub reason: Option<String>,
}

/// The three runs of one quantity, combined: equal -> certain; assumed facts explain the
/// difference -> assumed (open outcome); otherwise unknown (open outcome).
pub fn judge<T: PartialEq>(runs: PerMode<T>, uncertain: &[(Uncertainty, String)]) -> Judged<T> {
    let first = |level: Uncertainty| {
        uncertain
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, r)| r.clone())
    };
    let PerMode {
        closed,
        assumed_open,
        open,
    } = runs;
    if closed == open {
        Judged {
            value: open,
            confidence: Confidence::Certain,
            reason: None,
        }
    } else if assumed_open == open {
        Judged {
            value: open,
            confidence: Confidence::Assumed,
            reason: first(Uncertainty::Assumed).or_else(|| first(Uncertainty::Unknown)),
        }
    } else {
        Judged {
            value: open,
            confidence: Confidence::Unknown,
            reason: first(Uncertainty::Unknown).or_else(|| first(Uncertainty::Assumed)),
        }
    }
}

/// Per-mode facts classification needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModeFacts {
    /// An NSG filters some ipConfiguration of the VM.
    pub has_nsg: bool,
    /// Why an Azure Firewall is in front, if it is.
    pub firewall_in_front: Option<String>,
    /// Ports open to the Internet.
    pub open_ports: Vec<u16>,
}

/// Everything classification and reports need about one VM.
#[derive(Debug, Clone)]
pub struct ClassificationInput<'i> {
    /// The VM.
    pub vm: &'i Vm,
    /// The JIT policy covering it.
    pub jit: Option<&'i JitPolicy>,
    /// JIT's layer (the policy's port rules for it, JIT's rules on its path), when covered.
    pub jit_facts: Option<super::jit::JitFacts>,
    /// Facts per mode.
    pub modes: PerMode<ModeFacts>,
    /// Uncertain facts met (level, reason).
    pub uncertain: Vec<(Uncertainty, String)>,
    /// Per port results.
    pub ports: Vec<PortEvaluation>,
    /// Links that point outside the input.
    pub missing: Vec<String>,
}

/// One management port of one VM.
#[derive(Debug, Clone)]
pub struct PortEvaluation {
    /// Port.
    pub port: u16,
    /// NSG verdict for an Internet source (most open over ipConfigurations).
    pub nsg_verdict: Judged<NsgVerdict>,
    /// Open to the Internet.
    pub open: Judged<bool>,
    /// Open and on a path.
    pub internet_exposed: Judged<bool>,
    /// Deciding rules, per ipConfiguration and NSG.
    pub evidence: Vec<NsgEvidence>,
    /// Paths in (those that may exist); shared between the ports when port-independent.
    pub paths: Vec<(Arc<PathIn>, bool)>,
    /// Specific sources allowed.
    pub specific_sources: Vec<SpecificSource>,
    /// Public ranges the NSGs admit short of the whole Internet, per ipConfiguration.
    pub broad_sources: Vec<BroadSources>,
}

impl PortEvaluation {
    /// The port's confidence: the least sure of its verdict, openness and exposure, with the
    /// reason of that one.
    pub fn overall_confidence(&self) -> (Confidence, Option<String>) {
        [
            &self.nsg_verdict.confidence,
            &self.open.confidence,
            &self.internet_exposed.confidence,
        ]
        .into_iter()
        .zip([
            &self.nsg_verdict.reason,
            &self.open.reason,
            &self.internet_exposed.reason,
        ])
        .max_by_key(|(c, _)| **c)
        .map_or((Confidence::Certain, None), |(c, r)| (*c, r.clone()))
    }
}

/// Evaluates one VM for `ports`.
pub fn evaluate_vm<'i>(inv: &'i Inventory, vm: &'i Vm, ports: &[u16]) -> ClassificationInput<'i> {
    evaluate_vm_with(inv, vm, ports, None)
}

/// Evaluates one VM for `ports`, taking NSG decisions from `shared` where it has them (see
/// [`SharedDecisions`]); the result is the same as [`evaluate_vm`]'s.
pub fn evaluate_vm_with<'i>(
    inv: &'i Inventory,
    vm: &'i Vm,
    ports: &[u16],
    shared: Option<&SharedDecisions<'i>>,
) -> ClassificationInput<'i> {
    let mut missing = Vec::new();
    let targets = targets_of(inv, vm, &mut missing);
    let admin = AdminView::of(inv, vm, &targets);
    let mut uncertain: Vec<(Uncertainty, String)> = missing
        .iter()
        .map(|m| (Uncertainty::Unknown, m.clone()))
        .collect();
    let mut modes: PerMode<ModeFacts> = PerMode::default();
    let mut port_results = Vec::with_capacity(ports.len());
    // A public IP's path is the same for every port: found once, shared by all of them.
    let public: Vec<Option<Arc<PathIn>>> = targets
        .iter()
        .map(|t| {
            t.config
                .and_then(|c| public_path(inv, c, &t.label))
                .map(Arc::new)
        })
        .collect();
    for &port in ports {
        let paths = paths_in(inv, &targets, &public, port, shared.map(|s| &s.dnat));
        // A port's reasons are the VM's missing links and what this port met, not what
        // another port met before it.
        let mut here = uncertain.get(..missing.len()).unwrap_or_default().to_vec();
        let runs = PerMode::from_fn(|mode| {
            ModeRun::new(mode, shared, &admin, &mut here).evaluate_port(&targets, &paths, port)
        });
        for (mode, run) in runs.iter() {
            if run.open {
                modes.get_mut(mode).open_ports.push(port);
            }
        }
        port_results.push(judge_port(port, runs, &here));
        uncertain.extend(here.into_iter().skip(missing.len()));
    }
    for mode in Mode::ALL {
        let facts = modes.get_mut(mode);
        facts.has_nsg = targets.iter().any(|t| {
            !t.slots.is_empty() || (t.config.is_none() && mode.leans_open(Uncertainty::Unknown))
        });
        facts.firewall_in_front = ModeRun::new(mode, shared, &admin, &mut uncertain)
            .firewall_in_front(inv, &targets, &port_results);
    }
    note_missing_policy_rules(&port_results, &mut missing);
    let vm_key = key(&vm.id);
    let jit = inv
        .jit_by_vm
        .get(&vm_key)
        .and_then(|&i| inv.jit_policies.get(i));
    let jit_facts = jit.map(|policy| super::jit::facts(policy, vm, &targets));
    uncertain.sort();
    uncertain.dedup();
    ClassificationInput {
        vm,
        jit,
        jit_facts,
        modes,
        uncertain,
        ports: port_results,
        missing,
    }
}

/// The paths in to `port` of each target: its public IP's (`public`, found once for every
/// port), then the port's own. They do not depend on the mode: found once, judged in each
/// mode, and shared (not copied) with the port's result.
fn paths_in(
    inv: &Inventory,
    targets: &[Target<'_>],
    public: &[Option<Arc<PathIn>>],
    port: u16,
    dnat: Option<&DnatIndex<'_>>,
) -> Vec<Vec<Arc<PathIn>>> {
    targets
        .iter()
        .zip(public)
        .map(|(t, public)| {
            let mut found: Vec<Arc<PathIn>> = public.iter().cloned().collect();
            if let Some(c) = t.config {
                found.extend(
                    port_paths(inv, c, &t.label, port, dnat)
                        .into_iter()
                        .map(Arc::new),
                );
            }
            found
        })
        .collect()
}

/// A firewall whose policy's rules are not in the input is a link outside the input, like a
/// missing NSG: listed once, whichever port met it.
fn note_missing_policy_rules(ports: &[PortEvaluation], missing: &mut Vec<String>) {
    for port in ports {
        for (path, _) in &port.paths {
            if let (PathKind::FirewallDnat, Match::Maybe(Uncertainty::Unknown, reason)) =
                (path.kind, &path.reaches)
            {
                if path.rule == Some(PathRule::PolicyRulesMissing) && !missing.contains(reason) {
                    missing.push(reason.clone());
                }
            }
        }
    }
}

/// One port in one mode, over every ipConfiguration.
struct PortRun {
    verdict: NsgVerdict,
    open: bool,
    exposed: bool,
    evidence: Vec<NsgEvidence>,
    paths: Vec<(Arc<PathIn>, bool)>,
    specific: Vec<SpecificSource>,
    broad: Vec<BroadSources>,
}

/// One mode's run over a VM: what every step of it needs, held once instead of passed
/// through each function.
struct ModeRun<'r, 'i> {
    /// How uncertain facts resolve.
    mode: Mode,
    /// NSG decisions made in advance for every VM.
    shared: Option<&'r SharedDecisions<'i>>,
    /// Security admin rules, evaluated before the NSGs.
    admin: &'r AdminView<'i>,
    /// Only the open run keeps evidence, paths and specific sources: it is the one reported,
    /// and the verdicts never depend on them.
    record: bool,
    /// Every uncertain fact met, for the reasons `judge` gives.
    uncertain: &'r mut Vec<(Uncertainty, String)>,
    /// Public ranges admitted short of the whole Internet, per ipConfiguration (recorded).
    broad: Vec<BroadSources>,
}

impl<'r, 'i> ModeRun<'r, 'i> {
    fn new(
        mode: Mode,
        shared: Option<&'r SharedDecisions<'i>>,
        admin: &'r AdminView<'i>,
        uncertain: &'r mut Vec<(Uncertainty, String)>,
    ) -> Self {
        Self {
            mode,
            shared,
            admin,
            record: mode == Mode::Open,
            uncertain,
            broad: Vec::new(),
        }
    }

    /// Whether `m` holds in this mode; an uncertain fact is noted on the way.
    fn resolve(&mut self, m: &Match) -> bool {
        match m {
            Match::Yes => true,
            Match::No => false,
            Match::Maybe(level, reason) => {
                self.uncertain.push((*level, reason.clone()));
                self.mode.leans_open(*level)
            }
        }
    }

    /// One port over every target; `paths` are the paths in of each target.
    fn evaluate_port(
        &mut self,
        targets: &[Target<'_>],
        paths: &[Vec<Arc<PathIn>>],
        port: u16,
    ) -> PortRun {
        let mut run = PortRun {
            verdict: NsgVerdict::Deny,
            open: false,
            exposed: false,
            evidence: Vec::new(),
            paths: Vec::new(),
            specific: Vec::new(),
            broad: Vec::new(),
        };
        for (target, target_paths) in targets.iter().zip(paths) {
            let Some(config) = target.config else {
                // A NIC outside the input: anything is possible.
                let verdict = if self.mode.leans_open(Uncertainty::Unknown) {
                    NsgVerdict::Allow
                } else {
                    NsgVerdict::Deny
                };
                run.verdict = run.verdict.max(verdict);
                run.open |= verdict == NsgVerdict::Allow;
                continue;
            };
            let internet = Source::Internet;
            let flow = Flow {
                port,
                source: &internet,
                destination: &target.destination,
                asgs: &config.asgs,
                config: Some(&config.key),
            };
            let record = self.record;
            let verdict = self.chain_verdict(target, &flow, record.then_some(&mut run.evidence));
            run.verdict = run.verdict.max(verdict);
            if record {
                specific_sources(target, &flow, &mut run.specific);
            }
            let mut direct_open = verdict == NsgVerdict::Allow;
            for path in target_paths {
                let exists = self.resolve(&path.reaches);
                let reaches = exists && self.path_reaches(path, verdict, target, port);
                if record && exists && !reaches {
                    self.note_broad_dnat(path, target, port);
                }
                if path.kind != PathKind::FirewallDnat && reaches {
                    direct_open = true;
                }
                run.open |= reaches;
                run.exposed |= reaches;
                if record && (exists || matches!(path.reaches, Match::Maybe(..))) {
                    run.paths.push((Arc::clone(path), reaches));
                }
            }
            run.open |= direct_open;
        }
        run.specific.sort();
        run.specific.dedup();
        run.broad = std::mem::take(&mut self.broad);
        run
    }

    /// JIT006 for a firewall DNAT rule from public ranges short of the whole Internet, when
    /// the forwarded traffic passes the NSGs. What that pass depends on is this warning's
    /// alone: the port's verdict and confidence are left as they were.
    fn note_broad_dnat(&mut self, path: &PathIn, target: &Target<'_>, port: u16) {
        let Some(broad) = broad_dnat(path) else {
            return;
        };
        let Some(source) = &path.firewall_source else {
            return;
        };
        let flow = Flow {
            port,
            source,
            destination: &target.destination,
            asgs: target.config.map_or(&[][..], |c| c.asgs.as_slice()),
            config: target.config.map(|c| c.key.as_str()),
        };
        let before = self.uncertain.len();
        let passes = matches!(
            self.chain_verdict(target, &flow, None),
            NsgVerdict::Allow | NsgVerdict::Unfiltered
        );
        self.uncertain.truncate(before);
        if passes {
            self.broad.push(broad);
        }
    }

    /// Whether an existing path lets the Internet through to `port`, the NSGs' `verdict`
    /// for an Internet source given: a firewall's DNAT arrives from the firewall's address,
    /// so the NSGs are asked again for that source.
    fn path_reaches(
        &mut self,
        path: &PathIn,
        verdict: NsgVerdict,
        target: &Target<'_>,
        port: u16,
    ) -> bool {
        match path.kind {
            PathKind::FirewallDnat => {
                if !self.resolve(&path.internet_wide) {
                    return false;
                }
                let Some(source) = &path.firewall_source else {
                    return false;
                };
                let config_asgs = target.config.map_or(&[][..], |c| c.asgs.as_slice());
                let flow = Flow {
                    port,
                    source,
                    destination: &target.destination,
                    asgs: config_asgs,
                    config: target.config.map(|c| c.key.as_str()),
                };
                matches!(
                    self.chain_verdict(target, &flow, None),
                    NsgVerdict::Allow | NsgVerdict::Unfiltered
                )
            }
            _ => match verdict {
                NsgVerdict::Allow => true,
                // An undecided SKU (a scale set's instance IP) is open only as Basic.
                NsgVerdict::Unfiltered => match &path.sku_doubt {
                    Some((level, why)) => self.resolve(&Match::Maybe(*level, why.clone())),
                    None => !path.secure_by_default,
                },
                _ => false,
            },
        }
    }

    /// Security admin rules first (a Deny or AlwaysAllow ends it there); then subnet NSG and
    /// NIC NSG must both allow; with neither, unfiltered. The deciding rule of each is added
    /// to `evidence` when given.
    fn chain_verdict(
        &mut self,
        target: &Target<'_>,
        flow: &Flow<'_>,
        mut evidence: Option<&mut Vec<NsgEvidence>>,
    ) -> NsgVerdict {
        let admin = self.admin;
        if let Some(verdict) = admin.decide(
            target,
            flow,
            self.mode,
            self.uncertain,
            evidence.as_deref_mut(),
        ) {
            return verdict;
        }
        if target.slots.is_empty() {
            return NsgVerdict::Unfiltered;
        }
        let label = &target.label;
        let mut verdict = NsgVerdict::Allow;
        let mut admitted: Vec<PathAdmitted> = Vec::new();
        for slot in &target.slots {
            let access = match slot {
                Slot::Found(level, nsg) => {
                    let decided;
                    let decision = match self.shared.and_then(|s| s.get(nsg, flow, self.mode)) {
                        Some(decision) => decision,
                        None => {
                            decided = decide(nsg, flow, self.mode);
                            &decided
                        }
                    };
                    self.uncertain.extend(decision.uncertain.iter().cloned());
                    if let Some(evidence) = evidence.as_deref_mut() {
                        // Rules that admit the Internet together are each named.
                        for rule in
                            std::iter::once(decision.rule).chain(decision.also.iter().copied())
                        {
                            evidence.push(NsgEvidence {
                                ip_configuration: Arc::clone(label),
                                level: *level,
                                nsg: Arc::clone(&nsg.name),
                                nsg_id: Arc::clone(&nsg.id),
                                rule: Arc::clone(&rule.name),
                                priority: rule.priority.known().copied(),
                                access: decision.access,
                                default_rule: rule.is_default,
                                origin: rule.origin.clone().or_else(|| Some(nsg.origin.clone())),
                                note: decision.uncertain.first().map(|(_, r)| r.clone()),
                            });
                        }
                        admitted.push(PathAdmitted::new(*level, nsg, &decision.admitted));
                    }
                    decision.access
                }
                Slot::Missing(level, why) => {
                    self.uncertain.push((Uncertainty::Unknown, why.clone()));
                    let access = if self.mode.leans_open(Uncertainty::Unknown) {
                        Access::Allow
                    } else {
                        Access::Deny
                    };
                    if let Some(evidence) = evidence.as_deref_mut() {
                        let undecided =
                            target.config.is_some_and(|c| c.name == UNDECIDED_IP_CONFIG);
                        evidence.push(NsgEvidence {
                            ip_configuration: Arc::clone(label),
                            level: *level,
                            nsg: if undecided {
                                "(undecided)"
                            } else {
                                "(not in the input)"
                            }
                            .to_owned()
                            .into(),
                            nsg_id: String::new().into(),
                            rule: String::new().into(),
                            priority: None,
                            access,
                            default_rule: false,
                            origin: None,
                            note: Some(why.clone()),
                        });
                    }
                    access
                }
            };
            if access == Access::Deny {
                verdict = NsgVerdict::Deny;
            }
        }
        if verdict == NsgVerdict::Deny {
            self.broad.extend(broad_on_path(label, &admitted));
        }
        verdict
    }

    /// Why an Azure Firewall is in front of the VM in this mode, if one is: a DNAT rule of it
    /// forwards to the VM, or its subnet's default route leads to it.
    fn firewall_in_front(
        &mut self,
        inv: &Inventory,
        targets: &[Target<'_>],
        ports: &[PortEvaluation],
    ) -> Option<String> {
        for port in ports {
            for (path, _) in &port.paths {
                if path.kind == PathKind::FirewallDnat && self.resolve(&path.reaches) {
                    return Some(format!(
                        "Azure Firewall '{}' forwards to it (DNAT rule {})",
                        path.via,
                        path.rule.as_ref().map_or("?", PathRule::as_str)
                    ));
                }
            }
        }
        for target in targets {
            let Some(Decided::Known(subnet_id)) = target.config.and_then(|c| c.subnet.as_ref())
            else {
                continue;
            };
            let Some(Decided::Known(table_id)) = inv
                .subnets
                .get(&key(subnet_id))
                .and_then(|s| s.route_table.as_ref())
            else {
                continue;
            };
            let Some(table) = inv.route_tables.get(&key(table_id)) else {
                continue;
            };
            for route in table.routes.iter().filter(|r| {
                r.prefix == "0.0.0.0/0" && r.next_hop_type.eq_ignore_ascii_case("VirtualAppliance")
            }) {
                for firewall in &inv.firewalls {
                    if self.resolve(&next_hop_is(inv, route, firewall)) {
                        return Some(format!(
                            "its subnet's default route leads to Azure Firewall '{}' (route table {})",
                            firewall.name,
                            last_segment(table_id)
                        ));
                    }
                }
            }
        }
        None
    }
}

/// The allow rules of the target's NSGs that admit `flow`'s port for specific (not
/// Internet-wide) sources.
fn specific_sources(target: &Target<'_>, flow: &Flow<'_>, out: &mut Vec<SpecificSource>) {
    for slot in &target.slots {
        if let Slot::Found(_, nsg) = slot {
            for (rule, sources) in specific_sources_allowed(nsg, flow) {
                out.push(SpecificSource {
                    nsg: Arc::clone(&nsg.name),
                    rule: Arc::clone(&rule.name),
                    priority: rule.priority.known().copied(),
                    sources,
                });
            }
        }
    }
}

/// Whether `route`'s next hop is `firewall`: by reference, or by an address that is (or is
/// taken to be) the firewall's.
fn next_hop_is(inv: &Inventory, route: &Route, firewall: &Firewall) -> Match {
    match &route.next_hop {
        Some(Decided::Known(TranslatedAddress::DynamicOf(k))) => {
            if k.starts_with(&key(&firewall.id)) {
                Match::Yes
            } else {
                Match::No
            }
        }
        Some(Decided::Known(TranslatedAddress::Ip(ip))) => match firewall_address(inv, firewall) {
            Some((fw, false)) if fw == *ip => Match::Yes,
            Some((fw, true)) if fw == *ip => Match::Maybe(
                Uncertainty::Assumed,
                format!(
                    "{ip} is taken to be firewall '{}' (first usable address of its subnet)",
                    firewall.name
                ),
            ),
            _ => Match::No,
        },
        Some(Decided::Unknown(reason)) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
        _ => Match::No,
    }
}

fn judge_port(
    port: u16,
    runs: PerMode<PortRun>,
    uncertain: &[(Uncertainty, String)],
) -> PortEvaluation {
    let mut nsg_verdict = judge(runs.as_ref().map(|r| r.verdict), uncertain);
    if nsg_verdict.confidence == Confidence::Unknown {
        nsg_verdict.value = NsgVerdict::Unknown;
    }
    // An undecidable boolean is reported as not established (false) with confidence unknown;
    // the classification, not the port, takes the fail-safe side.
    let not_established = |mut j: Judged<bool>| {
        if j.confidence == Confidence::Unknown {
            j.value = false;
        }
        j
    };
    let open = not_established(judge(runs.as_ref().map(|r| r.open), uncertain));
    let internet_exposed = not_established(judge(runs.as_ref().map(|r| r.exposed), uncertain));
    let PortRun {
        evidence,
        paths,
        specific,
        broad,
        ..
    } = runs.open;
    PortEvaluation {
        port,
        nsg_verdict,
        open,
        internet_exposed,
        // Kept until the reports are written, for every VM: no spare capacity (a vector that
        // grew to two entries has room for four).
        evidence: exact(evidence),
        paths: exact(paths),
        specific_sources: exact(specific),
        broad_sources: broad,
    }
}

/// `items` with no spare capacity.
fn exact<T>(mut items: Vec<T>) -> Vec<T> {
    items.shrink_to_fit();
    items
}
