//! EVALUATE: Azure Virtual Network Manager security admin rules, the stage before the NSGs.
//!
//! "Security admin rules always have a higher priority than network security group rules and
//! thus are evaluated first. Allow security admin rules continue for evaluation by matching
//! network security group rules. Always allow and Deny security admin rules, however,
//! terminate traffic evaluation" (Azure docs, network security groups overview). Per VM, the
//! rules that may be in effect on each ipConfiguration's virtual network are gathered once
//! ([`AdminView`]): whether a rule applies there (its collection's groups hold the virtual
//! network, its configuration is committed to the VM's region) is a [`Match`], so membership
//! or a deployment the input does not show is resolved per [`Mode`], never guessed. Pure.

use std::sync::Arc;

use super::mode::{Mode, Uncertainty};
use super::nsg::{rule_matches, Flow, Match, Source};
use super::targets::Target;
use super::{NsgEvidence, NsgLevel, NsgVerdict};
use crate::model::access::{last_segment, parent_key};
use crate::model::address::AddressItem;
use crate::model::network::admin::{region, AdminAccess, AdminAddress, AdminRule, MemberType};
use crate::model::ports::PortSet;
use crate::model::{key, Access, Decided, Direction, Inventory, SecurityRule, Vm};

/// The security admin rules that may act on each ipConfiguration of one VM, in evaluation
/// order. Empty (and free) when the input holds no security admin rule.
#[derive(Default)]
pub(crate) struct AdminView<'i> {
    /// ipConfiguration key -> its rules.
    by_config: Vec<(String, Vec<Applied<'i>>)>,
}

/// One rule as it bears on one virtual network.
struct Applied<'i> {
    rule: &'i AdminRule,
    /// Whether it is in effect there (group membership and commit).
    applies: Match,
    /// Direction, protocol and ports as an NSG rule; sources and destinations any.
    base: SecurityRule,
    /// The prefix and tag sources alone (None when every source is a network group).
    sources: Option<SecurityRule>,
    /// What network group sources contribute.
    group_source: bool,
    /// The prefix and tag destinations alone.
    destinations: Option<SecurityRule>,
    /// Whether a network group destination holds this virtual network.
    group_destination: Match,
}

/// Where the admin stage leaves a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Dropped before any NSG.
    Deny,
    /// The NSGs decide.
    Continue,
    /// Delivered without NSG evaluation.
    AlwaysAllow,
}

impl<'i> AdminView<'i> {
    /// The rules that may act on each of `targets` (the ipConfigurations of `vm`).
    pub(crate) fn of(inv: &'i Inventory, vm: &Vm, targets: &[Target<'i>]) -> Self {
        if inv.admin.is_empty() {
            return Self::default();
        }
        let location = vm.location.as_deref().map(region);
        let by_config = targets
            .iter()
            .filter_map(|t| t.config)
            .map(|config| {
                let network = match &config.subnet {
                    Some(Decided::Known(subnet)) => Decided::Known((parent_key(subnet), key(subnet))),
                    Some(Decided::Unknown(reason)) => Decided::Unknown(format!("its subnet is unknown ({reason}), so are the security admin rules of its virtual network")),
                    None => Decided::Unknown(format!("ipConfiguration '{}' names no subnet, so its virtual network's security admin rules are unknown", config.name)),
                };
                (config.key.clone(), applied_rules(inv, &network, location.as_deref()))
            })
            .collect();
        Self { by_config }
    }

    /// The admin stage for `flow` to `target` in `mode`: `Some` when a rule ends evaluation
    /// there (AlwaysAllow: `Allow`; Deny: `Deny`), `None` when the NSGs decide. Uncertain
    /// facts met are added to `uncertain`; the deciding rule to `evidence` when given.
    pub(crate) fn decide(
        &self,
        target: &Target<'_>,
        flow: &Flow<'_>,
        mode: Mode,
        uncertain: &mut Vec<(Uncertainty, String)>,
        evidence: Option<&mut Vec<NsgEvidence>>,
    ) -> Option<NsgVerdict> {
        let config = target.config?;
        let (_, rules) = self.by_config.iter().find(|(k, _)| *k == config.key)?;
        // Forward: every rule up to the first that certainly matches, with its access as
        // resolved in this mode and whether it matches.
        let mut considered: Vec<(&Applied<'_>, Outcome, Match)> = Vec::new();
        for applied in rules {
            let access = match &applied.rule.access {
                Decided::Known(a) => *a,
                Decided::Unknown(reason) => {
                    uncertain.push((Uncertainty::Unknown, reason.clone()));
                    if mode.leans_open(Uncertainty::Unknown) {
                        AdminAccess::AlwaysAllow
                    } else {
                        AdminAccess::Deny
                    }
                }
            };
            let matched = applied
                .applies
                .clone()
                .and_then(|| matches(applied, access, flow));
            if let Match::Maybe(level, reason) = &matched {
                uncertain.push((*level, reason.clone()));
            }
            let certain = matched == Match::Yes;
            if matched != Match::No {
                considered.push((applied, outcome_of(access), matched));
            }
            if certain {
                break;
            }
        }
        // Backward: what follows a rule is known when the rule is reached, so an uncertain
        // rule is taken when that is the more open (open modes) or closed outcome.
        let mut outcome = Outcome::Continue;
        let mut decider: Option<(&AdminRule, Option<String>)> = None;
        for (applied, candidate, matched) in considered.into_iter().rev() {
            let take = match matched {
                Match::Yes => true,
                Match::No => false,
                Match::Maybe(level, _) if mode.leans_open(level) => candidate > outcome,
                Match::Maybe(..) => candidate < outcome,
            };
            if take {
                outcome = candidate;
                let note = match matched {
                    Match::Maybe(_, reason) => Some(reason),
                    _ => None,
                };
                decider = Some((applied.rule, note));
            }
        }
        let verdict = match outcome {
            Outcome::Continue => return None,
            Outcome::Deny => NsgVerdict::Deny,
            Outcome::AlwaysAllow => NsgVerdict::Allow,
        };
        if let (Some(evidence), Some((rule, note))) = (evidence, decider) {
            evidence.push(evidence_of(&target.label, rule, outcome, note));
        }
        Some(verdict)
    }
}

fn outcome_of(access: AdminAccess) -> Outcome {
    match access {
        AdminAccess::Deny => Outcome::Deny,
        AdminAccess::Allow => Outcome::Continue,
        AdminAccess::AlwaysAllow => Outcome::AlwaysAllow,
    }
}

/// The deciding admin rule as evidence: level `networkManager`, the rule collection in place
/// of an NSG, `Allow` for AlwaysAllow (the only allowing rule that decides).
fn evidence_of(
    label: &Arc<str>,
    rule: &AdminRule,
    outcome: Outcome,
    uncertain: Option<String>,
) -> NsgEvidence {
    let (access, what) = match outcome {
        Outcome::Deny => (Access::Deny, "Deny security admin rule (Azure Virtual Network Manager): the traffic is dropped before any NSG"),
        _ => (Access::Allow, "AlwaysAllow security admin rule (Azure Virtual Network Manager): the traffic is delivered without NSG evaluation"),
    };
    NsgEvidence {
        ip_configuration: Arc::clone(label),
        level: NsgLevel::NetworkManager,
        nsg: Arc::clone(&rule.place),
        nsg_id: crate::model::access::parent_of_key(rule.id.trim().trim_end_matches('/')).into(),
        rule: Arc::clone(&rule.name),
        priority: rule.priority.known().copied(),
        access,
        default_rule: false,
        origin: Some(rule.origin.clone()),
        note: Some(match uncertain {
            Some(reason) => format!("{what}; may not be in effect: {reason}"),
            None => what.to_owned(),
        }),
    }
}

/// Whether `applied` matches `flow` with `access`: direction, protocol and ports as an NSG
/// rule reads them, then its sources and destinations (network groups included).
fn matches(applied: &Applied<'_>, access: AdminAccess, flow: &Flow<'_>) -> Match {
    let nsg_access = match access {
        AdminAccess::Deny => Access::Deny,
        _ => Access::Allow,
    };
    let source = || {
        let items = applied
            .sources
            .as_ref()
            .map_or(Match::No, |r| rule_matches(r, nsg_access, flow));
        let groups = if !applied.group_source {
            Match::No
        } else if matches!(flow.source, Source::Internet | Source::PublicAddress(_)) {
            // A network group holds virtual networks: never an Internet address.
            Match::No
        } else {
            Match::Maybe(
                Uncertainty::Unknown,
                format!("admin rule '{}' has a network group source; the source's virtual network may be in it", applied.rule.name),
            )
        };
        either(items, groups)
    };
    let destination = || {
        let items = applied
            .destinations
            .as_ref()
            .map_or(Match::No, |r| rule_matches(r, nsg_access, flow));
        either(items, applied.group_destination.clone())
    };
    rule_matches(&applied.base, nsg_access, flow)
        .and_then(source)
        .and_then(destination)
}

/// Either holds: yes when one does, maybe when one may.
fn either(a: Match, b: Match) -> Match {
    match (a, b) {
        (Match::Yes, _) | (_, Match::Yes) => Match::Yes,
        (m @ Match::Maybe(..), _) | (_, m @ Match::Maybe(..)) => m,
        _ => Match::No,
    }
}

/// An NSG rule that matches any flow of `access`; the probes below narrow one field.
fn any_rule(rule: &AdminRule) -> SecurityRule {
    SecurityRule {
        name: Arc::clone(&rule.name),
        priority: Decided::Known(0),
        direction: Decided::Known(Direction::Inbound),
        access: Decided::Known(Access::Allow),
        protocol: Decided::Known("*".to_owned()),
        sources: Decided::Known(vec![AddressItem::Any]),
        source_ports: Decided::Known(PortSet::all()),
        destinations: Decided::Known(vec![AddressItem::Any]),
        destination_ports: Decided::Known(PortSet::all()),
        is_default: false,
        origin: None,
    }
}

/// The prefix and tag items of a source or destination list, as an NSG rule's list; the
/// network groups apart. Unknown lists stay unknown.
fn split(list: &Decided<Vec<AdminAddress>>) -> (Option<Decided<Vec<AddressItem>>>, Vec<&String>) {
    match list {
        Decided::Unknown(reason) => (Some(Decided::Unknown(reason.clone())), Vec::new()),
        Decided::Known(items) => {
            let plain: Vec<AddressItem> = items
                .iter()
                .filter_map(|a| match a {
                    AdminAddress::Item(item) => Some(item.clone()),
                    AdminAddress::Group(_) => None,
                })
                .collect();
            let groups = items
                .iter()
                .filter_map(|a| match a {
                    AdminAddress::Group(g) => Some(g),
                    AdminAddress::Item(_) => None,
                })
                .collect();
            ((!plain.is_empty()).then_some(Decided::Known(plain)), groups)
        }
    }
}

/// The inbound rules that may be in effect on the virtual network (and subnet) `network`,
/// with whether they are, in evaluation order.
fn applied_rules<'i>(
    inv: &'i Inventory,
    network: &Decided<(String, String)>,
    location: Option<&str>,
) -> Vec<Applied<'i>> {
    let mut out: Vec<(u64, Applied<'i>)> = Vec::new();
    for rule in &inv.admin.rules {
        if rule.direction == Decided::Known(Direction::Outbound) {
            continue;
        }
        let applies = collection_applies(inv, &rule.collection, network)
            .and_then(|| committed(inv, &parent_key(&rule.collection), location));
        if applies == Match::No {
            continue;
        }
        let (order, applies) = match &rule.priority {
            Decided::Known(p) => (u64::from(*p) * 2 + 1, applies),
            // Its place is unknown: first, and only maybe.
            Decided::Unknown(reason) => (
                0,
                applies.and_then(|| Match::Maybe(Uncertainty::Unknown, reason.clone())),
            ),
        };
        let mut base = any_rule(rule);
        base.direction = rule.direction.clone();
        base.protocol = match &rule.protocol {
            Decided::Known(p) if p == "any" => Decided::Known("*".to_owned()),
            other => other.clone(),
        };
        base.source_ports = rule.source_ports.clone();
        base.destination_ports = rule.destination_ports.clone();
        let (source_items, source_groups) = split(&rule.sources);
        let (destination_items, destination_groups) = split(&rule.destinations);
        let probe = |sources: Option<Decided<Vec<AddressItem>>>,
                     destinations: Option<Decided<Vec<AddressItem>>>| {
            let mut r = any_rule(rule);
            if let Some(s) = sources {
                r.sources = s;
            }
            if let Some(d) = destinations {
                r.destinations = d;
            }
            r
        };
        let group_destination = destination_groups
            .iter()
            .map(|g| group_holds(inv, g, network))
            .fold(Match::No, either);
        out.push((
            order,
            Applied {
                rule,
                applies,
                base,
                sources: source_items.map(|s| probe(Some(s), None)),
                group_source: !source_groups.is_empty(),
                destinations: destination_items.map(|d| probe(None, Some(d))),
                group_destination,
            },
        ));
    }
    out.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.rule.id.cmp(&y.rule.id)));
    mark_shared_priorities(&mut out);
    out.into_iter().map(|(_, applied)| applied).collect()
}

/// Rules of different access that share a priority (in different collections or
/// configurations): Azure does not document which is evaluated first, so each only maybe
/// comes first.
fn mark_shared_priorities(rules: &mut [(u64, Applied<'_>)]) {
    for run in rules.chunk_by_mut(|(a, _), (b, _)| a == b) {
        let order = run.first().map_or(0, |(o, _)| *o);
        let first = run.first().map(|(_, a)| a.rule.access.known().copied());
        let mixed = run
            .iter()
            .any(|(_, a)| Some(a.rule.access.known().copied()) != first);
        if order % 2 == 0 || !mixed {
            continue;
        }
        let names: Vec<String> = run
            .iter()
            .map(|(_, a)| format!("'{}'", a.rule.name))
            .collect();
        let reason = format!(
            "security admin rules {} share priority {}: Azure does not document which is evaluated first",
            names.join(", "),
            order / 2
        );
        for (_, applied) in run.iter_mut() {
            applied.applies = applied
                .applies
                .clone()
                .and_then(|| Match::Maybe(Uncertainty::Unknown, reason.clone()));
        }
    }
}

/// Whether the rule collection `collection` applies to `network`: one of its groups holds it.
fn collection_applies(
    inv: &Inventory,
    collection: &str,
    network: &Decided<(String, String)>,
) -> Match {
    match inv.admin.collections.get(collection).map(|c| &c.applies_to) {
        None => Match::Maybe(
            Uncertainty::Unknown,
            format!("security admin rule collection '{}' is not in the input: the network groups it applies to are unknown", last_segment(collection)),
        ),
        Some(Decided::Unknown(reason)) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
        Some(Decided::Known(groups)) => groups
            .iter()
            .map(|g| group_holds(inv, g, network))
            .fold(Match::No, either),
    }
}

/// Whether the network group `group` holds the virtual network (or, for a subnet group, the
/// subnet) `network`. Static members are exact; members the input does not list (dynamic
/// membership through Azure Policy, a group outside the input) are unknown.
fn group_holds(inv: &Inventory, group: &str, network: &Decided<(String, String)>) -> Match {
    let name = last_segment(group);
    let Some(found) = inv.admin.groups.get(group) else {
        return Match::Maybe(
            Uncertainty::Unknown,
            format!("network group '{name}' is not in the input: its members are unknown"),
        );
    };
    let (vnet, subnet) = match network {
        Decided::Known(pair) => pair,
        Decided::Unknown(reason) => return Match::Maybe(Uncertainty::Unknown, reason.clone()),
    };
    let lists = |member: &str| {
        found
            .static_members
            .iter()
            .any(|m| m.known().is_some_and(|k| k == member))
    };
    match &found.member_type {
        Some(Decided::Known(MemberType::Subnet)) if lists(subnet) => {
            return Match::Maybe(
                Uncertainty::Unknown,
                format!("network group '{name}' holds the subnet: Azure documents security admin rules as applied to virtual networks, not to subnet groups"),
            )
        }
        Some(Decided::Known(MemberType::Subnet)) => {}
        Some(Decided::Unknown(reason)) if lists(vnet) || lists(subnet) => {
            return Match::Maybe(Uncertainty::Unknown, format!("network group '{name}' lists it, with {reason}"))
        }
        _ if lists(vnet) => return Match::Yes,
        _ => {}
    }
    if let Some(reason) = found.static_members.iter().find_map(|m| match m {
        Decided::Unknown(reason) => Some(reason),
        Decided::Known(_) => None,
    }) {
        return Match::Maybe(
            Uncertainty::Unknown,
            format!("a static member of network group '{name}' is unknown: {reason}"),
        );
    }
    if let Some(policy) = found.policies.first() {
        return Match::Maybe(
            Uncertainty::Unknown,
            format!("Azure Policy definition '{policy}' adds virtual networks to network group '{name}' by conditions jitscan does not evaluate"),
        );
    }
    if !found.present {
        return Match::Maybe(
            Uncertainty::Unknown,
            format!("network group '{name}' is not in the input: its members are unknown"),
        );
    }
    if found.static_members.is_empty() {
        return Match::Maybe(
            Uncertainty::Unknown,
            format!("network group '{name}' has no static members in the input: its members (dynamic, through Azure Policy, or added elsewhere) are unknown"),
        );
    }
    Match::No
}

/// Whether the security admin configuration `configuration` is deployed (committed) to the
/// VM's region `location`. "Configurations don't take effect until they're deployed": a
/// `networkManagers/commits` resource deploys exactly the configurations it lists to its
/// target regions; a deployment script that mentions a commit and the configuration is taken
/// to deploy it (assumed); anything else leaves it unknown.
fn committed(inv: &Inventory, configuration: &str, location: Option<&str>) -> Match {
    let name = last_segment(configuration);
    let region_match = |locations: &Decided<Vec<String>>| match (locations, location) {
        (Decided::Unknown(reason), _) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
        (Decided::Known(_), None) => Match::Maybe(
            Uncertainty::Unknown,
            "the VM's region is not in the input".to_owned(),
        ),
        (Decided::Known(list), Some(here)) => {
            if list.iter().any(|l| l == here) {
                Match::Yes
            } else {
                Match::No
            }
        }
    };
    let mut listing = Vec::new();
    let mut omitting = Vec::new();
    for commit in &inv.admin.commits {
        let kind = match &commit.commit_type {
            Some(Decided::Known(t)) if t.eq_ignore_ascii_case("securityadmin") => Match::Yes,
            Some(Decided::Known(_)) => Match::No,
            Some(Decided::Unknown(reason)) => Match::Maybe(Uncertainty::Unknown, reason.clone()),
            None => Match::Maybe(
                Uncertainty::Unknown,
                format!("commit '{}' names no commitType", commit.name),
            ),
        };
        let here = kind.and_then(|| region_match(&commit.locations));
        if here == Match::No {
            continue;
        }
        match &commit.configurations {
            Decided::Known(list) if list.iter().any(|c| c == configuration) => {
                listing.push((commit, here))
            }
            Decided::Known(_) => omitting.push((commit, here)),
            Decided::Unknown(reason) => listing.push((
                commit,
                here.and_then(|| Match::Maybe(Uncertainty::Unknown, reason.clone())),
            )),
        }
    }
    match (listing.first(), omitting.first()) {
        (Some((a, _)), Some((b, _))) => Match::Maybe(
            Uncertainty::Unknown,
            format!("commits '{}' and '{}' both deploy security admin configurations to the region and only '{}' lists '{name}': the one deployed last decides", a.name, b.name, a.name),
        ),
        (Some(_), None) => listing.into_iter().map(|(_, m)| m).fold(Match::No, either),
        // A commit deploys the goal state: the configurations it does not list are removed.
        (None, Some(_)) if omitting.iter().all(|(_, here)| *here == Match::Yes) => Match::No,
        (None, _) => match inv.admin.scripts.iter().find(|s| s.text.contains(configuration) || s.text.contains(&name.to_ascii_lowercase())) {
            Some(script) => Match::Maybe(
                Uncertainty::Assumed,
                format!("deployment script '{}' appears to commit security admin configuration '{name}' (jitscan does not run scripts)", script.name),
            ),
            None => Match::Maybe(
                Uncertainty::Unknown,
                format!("security admin configuration '{name}' is declared but no commit of it is in the input: a configuration takes effect only once deployed (committed) to the region"),
            ),
        },
    }
}
