//! RBAC (pure): every assignment, definition and deny assignment read, indexed by scope.
//!
//! Judging a resource looks up only the scopes above it (one map lookup per segment of its
//! id), never the whole list: 100k assignments and 10k VMs cost 10k times a dozen lookups.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::map::Map;

use super::read::{builtin_definitions, Assignment, Definition, Deny, ItemKind, Record};

/// Which file gave what, for the report's `accessInputs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCount {
    /// Items read, by kind.
    pub read: BTreeMap<ItemKind, usize>,
    /// Items of a known kind left out, with why.
    pub unreadable: Vec<String>,
}

/// The access data of one scan.
#[derive(Debug, Default)]
pub struct Directory {
    /// Assignments and eligibilities, in input order (the first copy of an id).
    pub assignments: Vec<Arc<Assignment>>,
    /// Definitions by GUID: the input's, else jitscan's copy.
    pub definitions: Map<String, Definition>,
    /// Deny assignments.
    pub denies: Vec<Deny>,
    /// Scope key -> indexes in `assignments`.
    by_scope: Map<String, Vec<usize>>,
    /// Assignments at a management group (the hierarchy is not in the exports: they are
    /// taken as covering every subscription, see docs/verdicts.md).
    above_subscriptions: Vec<usize>,
    /// Scope key -> indexes in `denies`.
    denies_by_scope: Map<String, Vec<usize>>,
    /// Deny assignments at a management group.
    denies_above: Vec<usize>,
    /// Principal id -> indexes in `assignments`.
    by_principal: Map<String, Vec<usize>>,
    /// What each file gave, by display path.
    pub sources: BTreeMap<String, SourceCount>,
}

/// A scope or resource id made comparable: lower case, no trailing slash, `/` for the root.
pub fn scope_key(scope: &str) -> String {
    let k = scope.trim().trim_end_matches('/').to_ascii_lowercase();
    if k.is_empty() {
        "/".to_owned()
    } else {
        k
    }
}

fn is_management_group(key: &str) -> bool {
    key.starts_with("/providers/microsoft.management/managementgroups/")
}

/// Every scope that covers `resource` (whole segments: `.../nsg-1` never covers `.../nsg-19`),
/// the resource itself included, root first.
pub fn covering_scopes(resource: &str) -> Vec<String> {
    let key = scope_key(resource);
    let mut out = vec!["/".to_owned()];
    let mut at = 0;
    while let Some(next) = key.get(at + 1..).and_then(|rest| rest.find('/')) {
        let end = at + 1 + next;
        if let Some(prefix) = key.get(..end) {
            out.push(prefix.to_owned());
        }
        at = end;
    }
    if key != "/" {
        out.push(key);
    }
    out
}

impl Directory {
    /// Builds the directory from records, each with the display path of its file.
    pub fn build(records: Vec<(String, Record)>) -> Self {
        let mut dir = Directory::default();
        for d in builtin_definitions() {
            dir.definitions.insert(d.guid.clone(), d);
        }
        let mut seen: Map<String, ()> = Map::default();
        for (path, record) in records {
            let source = dir.sources.entry(path).or_default();
            match record {
                Record::Assignment(a) => {
                    *source.read.entry(a.kind()).or_default() += 1;
                    let id = scope_key(&a.id);
                    if !a.id.is_empty() && seen.insert(id, ()).is_some() {
                        continue;
                    }
                    let key = scope_key(&a.scope);
                    let index = dir.assignments.len();
                    if is_management_group(&key) {
                        dir.above_subscriptions.push(index);
                    } else {
                        dir.by_scope.entry(key).or_default().push(index);
                    }
                    dir.by_principal
                        .entry(a.principal_id.clone())
                        .or_default()
                        .push(index);
                    dir.assignments.push(Arc::from(a));
                }
                Record::Definition(d) => {
                    *source.read.entry(ItemKind::RoleDefinition).or_default() += 1;
                    // The input's own copy replaces jitscan's; the first input copy wins.
                    let keep = dir
                        .definitions
                        .get(&d.guid)
                        .is_none_or(|old| old.from_jitscan);
                    if keep {
                        dir.definitions.insert(d.guid.clone(), d);
                    }
                }
                Record::Deny(d) => {
                    *source.read.entry(ItemKind::DenyAssignment).or_default() += 1;
                    let key = scope_key(&d.scope);
                    let index = dir.denies.len();
                    if is_management_group(&key) {
                        dir.denies_above.push(index);
                    } else {
                        dir.denies_by_scope.entry(key).or_default().push(index);
                    }
                    dir.denies.push(*d);
                }
                Record::Unreadable(_, why) => source.unreadable.push(why),
            }
        }
        dir
    }

    /// The assignments whose scope covers `resource`: found through the scope index, one
    /// lookup per covering scope.
    pub fn assignments_covering(&self, resource: &str) -> Vec<usize> {
        let mut out = self.above_subscriptions.clone();
        for scope in covering_scopes(resource) {
            if let Some(list) = self.by_scope.get(&scope) {
                out.extend_from_slice(list);
            }
        }
        out
    }

    /// The assignments of one principal (lower-case id).
    pub fn assignments_of(&self, principal: &str) -> Vec<Arc<Assignment>> {
        self.by_principal
            .get(principal)
            .into_iter()
            .flatten()
            .filter_map(|i| self.assignments.get(*i))
            .map(Arc::clone)
            .collect()
    }

    /// The deny assignments that apply at `resource`.
    pub fn denies_covering(&self, resource: &str) -> Vec<&Deny> {
        let key = scope_key(resource);
        let mut out: Vec<&Deny> = self
            .denies_above
            .iter()
            .filter_map(|i| self.denies.get(*i))
            .collect();
        for scope in covering_scopes(resource) {
            for i in self.denies_by_scope.get(&scope).into_iter().flatten() {
                if let Some(d) = self.denies.get(*i) {
                    if !d.this_scope_only || scope == key {
                        out.push(d);
                    }
                }
            }
        }
        out
    }

    /// The definition an assignment cites, if known.
    pub fn definition_of(&self, assignment: &Assignment) -> Option<&Definition> {
        self.definitions.get(&assignment.role_guid)
    }

    /// The GUIDs assignments cite that no definition (the input's or jitscan's) has, sorted.
    pub fn unresolved_definitions(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .assignments
            .iter()
            .filter(|a| self.definition_of(a).is_none())
            .map(|a| a.role_guid.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Names of the built-in definitions taken from jitscan's copy that some assignment cites,
    /// sorted.
    pub fn definitions_from_jitscan(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .assignments
            .iter()
            .filter_map(|a| self.definition_of(a))
            .filter(|d| d.from_jitscan)
            .map(|d| d.name.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Resolves the places (line and column) of every assignment, while the texts are held.
    pub fn resolve_places(&self) {
        for a in &self.assignments {
            a.origin.line_col();
        }
    }
}

impl Assignment {
    /// Its kind.
    pub fn kind(&self) -> ItemKind {
        if self.eligible {
            ItemKind::Eligibility
        } else {
            ItemKind::RoleAssignment
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_by_whole_segments() {
        let nsg19 = "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-19";
        let scopes = covering_scopes(nsg19);
        assert!(scopes.contains(&"/".to_owned()));
        assert!(scopes.contains(&"/subscriptions/s".to_owned()));
        assert!(scopes.contains(&"/subscriptions/s/resourcegroups/rg".to_owned()));
        assert!(scopes.contains(&scope_key(nsg19)));
        assert!(!scopes.iter().any(|s| s.ends_with("/nsg-1")));
        assert_eq!(covering_scopes("/"), vec!["/".to_owned()]);
    }
}
