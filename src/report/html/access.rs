//! REPORT (html): who can open a VM's management ports, from the role exports the scan read.
//!
//! Three views, present only when the scan read role inputs (a report without them stays as it
//! was): per VM card, the principals that can request JIT, change its policy or open a port
//! around it, grouped by route; on the first page, the principals that can bypass JIT on the
//! most VMs; in the scope, which role sources were read and which built-in definitions came from
//! jitscan's copy (the data of the JSON `accessInputs`). It arranges what [`crate::rbac`]
//! decided and never evaluates a permission itself. Names from the input are plain text:
//! askama escapes them.

use std::collections::{BTreeMap, BTreeSet};

use super::scope::split_root;
use crate::classify::VmResult;
use crate::rbac::read::ItemKind;
use crate::rbac::{Directory, Grant, Route, VmAccess};
use crate::scan::ScanResult;

/// Principals listed on the first page.
const TOP: usize = 15;

/// The routes around JIT, in display order, with their heading.
const ROUTES: [(Route, &str); 5] = [
    (Route::NsgRule, "Bypass: write an NSG rule"),
    (
        Route::NsgAssociation,
        "Bypass: change which NSG filters it (write its NIC, subnet or virtual network)",
    ),
    (Route::PublicIp, "Bypass: attach a public IP"),
    (
        Route::LoadBalancerNat,
        "Bypass: write a load balancer NAT rule",
    ),
    (Route::FirewallDnat, "Bypass: write a firewall DNAT rule"),
];

/// A VM card's "Who can open it".
#[derive(Debug)]
pub(crate) struct VmAccessView {
    /// The JIT policy listing the VM.
    pub(crate) policy: Option<String>,
    /// Said when no JIT policy lists it.
    pub(crate) no_policy: bool,
    /// JIT requesters, JIT changers, then one group per bypass route that has anyone.
    pub(crate) groups: Vec<GrantGroup>,
    /// Nobody can open a port around JIT by any route evaluated.
    pub(crate) no_bypassers: bool,
}

/// The grants of one kind (requesting, changing, or one bypass route).
#[derive(Debug)]
pub(crate) struct GrantGroup {
    /// `jitRequesters`, `jitChangers` or the route's JSON name.
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    pub(crate) grants: Vec<GrantRow>,
}

/// One principal's right through one assignment.
#[derive(Debug)]
pub(crate) struct GrantRow {
    pub(crate) principal_id: String,
    /// `User`, `Group`, `ServicePrincipal`, ... or "not stated".
    pub(crate) principal_type: String,
    /// Empty when the input names no one.
    pub(crate) display_name: String,
    pub(crate) role: String,
    pub(crate) scope: String,
    pub(crate) eligible: bool,
    pub(crate) conditional: bool,
}

/// The parts of the page outside the cards.
#[derive(Debug)]
pub(crate) struct AccessPageView {
    /// "Principals with the widest reach" (first page).
    pub(crate) reach: Vec<ReachRow>,
    /// Principals that can bypass JIT on some VM, listed or not.
    pub(crate) reach_total: usize,
    /// Short route headings of `reach`'s `per_route` columns.
    pub(crate) columns: &'static [&'static str],
    /// Role sources read (scope).
    pub(crate) sources: Vec<SourceRow>,
    pub(crate) role_assignments: usize,
    pub(crate) deny_assignments: usize,
    /// Built-in role names whose definition came from jitscan's copy.
    pub(crate) from_jitscan: Vec<String>,
    /// Role definition GUIDs nothing defines.
    pub(crate) unresolved: Vec<String>,
}

/// One principal on the first page.
#[derive(Debug)]
pub(crate) struct ReachRow {
    pub(crate) rank: usize,
    pub(crate) principal_id: String,
    pub(crate) principal_type: String,
    pub(crate) display_name: String,
    /// VMs it can open a port on around JIT.
    pub(crate) vms: usize,
    /// VMs per route, in [`ROUTES`] order.
    pub(crate) per_route: Vec<usize>,
    /// `active` or `PIM-eligible only`.
    pub(crate) state: &'static str,
    /// Every grant of that state carries a condition.
    pub(crate) conditional: bool,
}

/// One role source file.
#[derive(Debug)]
pub(crate) struct SourceRow {
    pub(crate) path_root: String,
    pub(crate) path: String,
    pub(crate) role_assignments: usize,
    pub(crate) role_definitions: usize,
    pub(crate) eligibilities: usize,
    pub(crate) deny_assignments: usize,
    pub(crate) left_out: Vec<String>,
}

/// Short route headings for the first page's columns, in [`ROUTES`] order.
const ROUTE_COLUMNS: [&str; 5] = [
    "NSG rule",
    "NSG association",
    "Public IP",
    "LB NAT",
    "Firewall DNAT",
];

/// A VM's section, or `None` when the scan read no role inputs.
pub(crate) fn vm_access_view(vm: &VmResult) -> Option<VmAccessView> {
    let access: &VmAccess = vm.access.as_deref()?;
    let mut groups = vec![
        GrantGroup {
            key: "jitRequesters",
            label: "JIT requesters: can request access through JIT",
            grants: access.jit_requesters.iter().map(grant_row).collect(),
        },
        GrantGroup {
            key: "jitChangers",
            label: "JIT changers: can change or delete the JIT policy",
            grants: access.jit_changers.iter().map(grant_row).collect(),
        },
    ];
    for (route, label) in ROUTES {
        let grants: Vec<GrantRow> = access
            .bypassers
            .iter()
            .filter(|g| g.route == Some(route))
            .map(grant_row)
            .collect();
        if !grants.is_empty() {
            groups.push(GrantGroup {
                key: route.as_str(),
                label,
                grants,
            });
        }
    }
    Some(VmAccessView {
        policy: access.jit_policy.clone(),
        no_policy: access.jit_policy.is_none(),
        groups,
        no_bypassers: access.bypassers.is_empty(),
    })
}

fn grant_row(g: &Grant) -> GrantRow {
    let a = &g.assignment;
    GrantRow {
        principal_id: a.principal_id.clone(),
        principal_type: a
            .principal_type
            .clone()
            .unwrap_or_else(|| "not stated".to_owned()),
        display_name: a.display_name.clone().unwrap_or_default(),
        role: g.role_name.clone(),
        scope: a.scope.clone(),
        eligible: g.eligible,
        conditional: g.conditional,
    }
}

/// The page-level parts, or `None` when the scan read no role inputs.
pub(crate) fn page_view(result: &ScanResult, root: &str) -> Option<AccessPageView> {
    let dir: &Directory = result.access.as_deref()?;
    let (reach, reach_total) = widest_reach(&result.vms);
    Some(AccessPageView {
        reach,
        reach_total,
        columns: &ROUTE_COLUMNS,
        sources: dir
            .sources
            .iter()
            .map(|(path, s)| {
                let n = |k: ItemKind| s.read.get(&k).copied().unwrap_or(0);
                let (path_root, path) = split_root(path, root);
                SourceRow {
                    path_root,
                    path,
                    role_assignments: n(ItemKind::RoleAssignment),
                    role_definitions: n(ItemKind::RoleDefinition),
                    eligibilities: n(ItemKind::Eligibility),
                    deny_assignments: n(ItemKind::DenyAssignment),
                    left_out: s.unreadable.clone(),
                }
            })
            .collect(),
        role_assignments: dir.assignments.len(),
        deny_assignments: dir.denies.len(),
        from_jitscan: dir.definitions_from_jitscan(),
        unresolved: dir.unresolved_definitions(),
    })
}

/// What one principal can bypass, gathered over every VM.
#[derive(Default)]
struct Reach<'a> {
    vms: BTreeSet<usize>,
    per_route: [BTreeSet<usize>; 5],
    /// Smallest non-empty type and name seen (grants of one principal may differ in what
    /// their export states; the smallest keeps the output deterministic).
    principal_type: Option<&'a str>,
    display_name: Option<&'a str>,
    active: bool,
    active_unconditional: bool,
    eligible_unconditional: bool,
}

/// Principals by how many VMs they can bypass JIT on, then by how many routes, then by id.
fn widest_reach(vms: &[VmResult]) -> (Vec<ReachRow>, usize) {
    let mut by_principal: BTreeMap<&str, Reach<'_>> = BTreeMap::new();
    for (n, vm) in vms.iter().enumerate() {
        let Some(access) = vm.access.as_deref() else {
            continue;
        };
        for g in &access.bypassers {
            let a = &g.assignment;
            let r = by_principal.entry(a.principal_id.as_str()).or_default();
            r.vms.insert(n);
            if let Some(slot) = ROUTES
                .iter()
                .position(|(route, _)| Some(*route) == g.route)
                .and_then(|i| r.per_route.get_mut(i))
            {
                slot.insert(n);
            }
            r.principal_type = smallest(r.principal_type, a.principal_type.as_deref());
            r.display_name = smallest(r.display_name, a.display_name.as_deref());
            if g.eligible {
                r.eligible_unconditional |= !g.conditional;
            } else {
                r.active = true;
                r.active_unconditional |= !g.conditional;
            }
        }
    }
    let total = by_principal.len();
    let mut ranked: Vec<(&str, Reach<'_>)> = by_principal.into_iter().collect();
    let routes = |r: &Reach<'_>| r.per_route.iter().filter(|s| !s.is_empty()).count();
    // A stable sort over ids in order: ties keep the id order.
    ranked.sort_by(|(_, a), (_, b)| {
        b.vms
            .len()
            .cmp(&a.vms.len())
            .then_with(|| routes(b).cmp(&routes(a)))
    });
    let rows = ranked
        .into_iter()
        .take(TOP)
        .enumerate()
        .map(|(i, (id, r))| ReachRow {
            rank: i + 1,
            principal_id: id.to_owned(),
            principal_type: r.principal_type.unwrap_or("not stated").to_owned(),
            display_name: r.display_name.unwrap_or_default().to_owned(),
            vms: r.vms.len(),
            per_route: r.per_route.iter().map(BTreeSet::len).collect(),
            state: if r.active {
                "active"
            } else {
                "PIM-eligible only"
            },
            conditional: if r.active {
                !r.active_unconditional
            } else {
                !r.eligible_unconditional
            },
        })
        .collect();
    (rows, total)
}

fn smallest<'a>(have: Option<&'a str>, seen: Option<&'a str>) -> Option<&'a str> {
    match (have, seen.filter(|s| !s.is_empty())) {
        (Some(h), Some(s)) => Some(h.min(s)),
        (h, s) => h.or(s),
    }
}

#[cfg(test)]
mod tests {
    use super::smallest;

    #[test]
    fn smallest_keeps_the_least_non_empty_value() {
        assert_eq!(smallest(None, Some("")), None);
        assert_eq!(smallest(None, Some("b")), Some("b"));
        assert_eq!(smallest(Some("b"), Some("a")), Some("a"));
        assert_eq!(smallest(Some("a"), None), Some("a"));
    }
}
