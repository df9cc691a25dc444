//! AUDIT: the allow rules JIT created for requests (`SecurityCenter-JITRule-...` without the
//! `_` of its deny rules), found on a VM's NSG path (from [`crate::eval::jit`]'s facts), each
//! matched with the grant that explains it: in use, stale, or undecided. Pure.

use super::{Grant, GrantState, VmAccessAudit};
use crate::eval::jit::{is_jit_rule, JitFacts};
use crate::model::ports::PortSet;
use crate::model::Access;
use crate::time::utc_text;

/// An allow rule JIT created for a request (`SecurityCenter-JITRule-...`, without the `_` its
/// deny rules carry), found in an NSG on the VM's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitAllowRule {
    /// The NSG.
    pub nsg: String,
    /// The rule's name.
    pub rule: String,
    /// Its priority.
    pub priority: Option<u32>,
    /// Its destination ports, as text.
    pub ports: String,
    /// Its sources.
    pub sources: Vec<String>,
    /// `Some(true)`: an active grant explains it; `Some(false)`: stale, no grant active at the
    /// instant judged does; `None`: a grant whose state is unknown might.
    pub explained: Option<bool>,
    /// Why it is stale or undecided.
    pub reason: Option<String>,
}

/// JIT's allow rules on a VM's path, each with its destination ports.
pub(super) fn found(facts: &JitFacts) -> Vec<(JitAllowRule, Option<PortSet>)> {
    facts
        .nsgs
        .iter()
        .flat_map(|nsg| nsg.jit_rules.iter().map(move |r| (nsg, r)))
        .filter(|(_, r)| is_jit_allow_rule(&r.name) && r.access == Some(Access::Allow))
        .map(|(nsg, r)| {
            let rule = JitAllowRule {
                nsg: nsg.name.to_string(),
                rule: r.name.to_string(),
                priority: r.priority,
                ports: r
                    .ports
                    .as_ref()
                    .map_or_else(|| "?".to_owned(), ToString::to_string),
                sources: r.sources.clone(),
                explained: None,
                reason: None,
            };
            (rule, r.ports.clone())
        })
        .collect()
}

/// Judges `rules` (of [`found`]) against the grants of `audit`: a rule an active grant for its
/// port (and one of its sources) explains is in use; any other is stale. `listed` is false when
/// the input does not list the policy's requests: then none is stale, all are undecided.
pub(super) fn judge(
    audit: &mut VmAccessAudit,
    rules: Vec<(JitAllowRule, Option<PortSet>)>,
    listed: bool,
    as_of: i64,
) {
    let mut judged = Vec::new();
    for (mut rule, ports) in rules {
        let matching = |g: &&mut Grant| {
            g.port
                .is_some_and(|p| ports.as_ref().is_some_and(|set| set.contains(p)))
                && sources_meet(&g.sources, &rule.sources)
        };
        let mut explained = if listed { Some(false) } else { None };
        for grant in audit.grants.iter_mut().filter(matching) {
            match grant.state {
                GrantState::Active => {
                    explained = Some(true);
                    grant.nsg_rules.push(format!("{}/{}", rule.nsg, rule.rule));
                }
                GrantState::Unknown if explained != Some(true) => explained = None,
                _ => {}
            }
        }
        rule.reason = match explained {
            Some(true) => None,
            Some(false) => Some(format!(
                "no grant for its port and source is active at {}: the grant has ended or was revoked, or the request is not in the policy's requests",
                utc_text(as_of)
            )),
            None if !listed => Some(
                "the input does not list the policy's requests (properties.requests): whether a grant explains it is not known"
                    .to_owned(),
            ),
            None => Some("a grant for its port whose state the input does not decide".to_owned()),
        };
        rule.explained = explained;
        judged.push(rule);
    }
    audit.allow_rules = judged;
}

/// True when JIT wrote `name` for a request: its prefix without the `_` of its deny rules.
pub fn is_jit_allow_rule(name: &str) -> bool {
    is_jit_rule(name)
        && !name
            .get(..crate::eval::jit::JIT_RULE_PREFIX.len() + 1)
            .is_some_and(|p| p.eq_ignore_ascii_case("SecurityCenter-JITRule_"))
}

/// True when a grant's sources and a rule's share one (as text, any case), or either names
/// none (nothing to tell them apart by).
fn sources_meet(grant: &[String], rule: &[String]) -> bool {
    grant.is_empty()
        || rule.is_empty()
        || grant
            .iter()
            .any(|g| rule.iter().any(|r| r.trim().eq_ignore_ascii_case(g.trim())))
}
