//! REPORT: the JSON report's access parts (schema version 5): per VM, who can open its
//! management ports (`access`), and at the top which role sources were read
//! (`accessInputs`). Present only when the scan read role assignments.

use serde::Serialize;

use crate::rbac::{Directory, Grant, VmAccess};

/// `accessInputs`: what was read, and what came from jitscan's own copy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessInputs {
    sources: Vec<AccessSource>,
    role_assignments: usize,
    deny_assignments: usize,
    built_in_definitions_from_jitscan: Vec<String>,
    unresolved_role_definitions: Vec<String>,
    note: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessSource {
    path: String,
    role_assignments: usize,
    role_definitions: usize,
    role_eligibility_schedule_instances: usize,
    deny_assignments: usize,
    left_out: Vec<String>,
}

/// A VM's `access`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessEntry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    jit_policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    jit_requesters: Vec<GrantEntry<'a>>,
    jit_changers: Vec<GrantEntry<'a>>,
    bypassers: Vec<GrantEntry<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantEntry<'a> {
    principal_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    role_definition_id: &'a str,
    role_name: &'a str,
    scope: &'a str,
    eligible: bool,
    conditional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<&'static str>,
}

pub(crate) fn access_inputs(dir: &Directory) -> AccessInputs {
    use crate::rbac::read::ItemKind;
    AccessInputs {
        sources: dir
            .sources
            .iter()
            .map(|(path, s)| {
                let n = |k: ItemKind| s.read.get(&k).copied().unwrap_or(0);
                AccessSource {
                    path: path.clone(),
                    role_assignments: n(ItemKind::RoleAssignment),
                    role_definitions: n(ItemKind::RoleDefinition),
                    role_eligibility_schedule_instances: n(ItemKind::Eligibility),
                    deny_assignments: n(ItemKind::DenyAssignment),
                    left_out: s.unreadable.clone(),
                }
            })
            .collect(),
        role_assignments: dir.assignments.len(),
        deny_assignments: dir.denies.len(),
        built_in_definitions_from_jitscan: dir.definitions_from_jitscan(),
        unresolved_role_definitions: dir.unresolved_definitions(),
        note: "group membership is not in these exports: a group is a principal of its own; assignments at a management group are taken as covering every subscription",
    }
}

fn grant(g: &Grant) -> GrantEntry<'_> {
    let a = &g.assignment;
    GrantEntry {
        principal_id: &a.principal_id,
        principal_type: a.principal_type.as_deref(),
        display_name: a.display_name.as_deref(),
        role_definition_id: &a.role_definition_id,
        role_name: &g.role_name,
        scope: &a.scope,
        eligible: g.eligible,
        conditional: g.conditional,
        route: g.route.map(|r| r.as_str()),
    }
}

pub(crate) fn access_entry(access: &VmAccess) -> AccessEntry<'_> {
    AccessEntry {
        jit_policy: access.jit_policy.as_deref(),
        note: access.jit_policy.is_none().then_some(
            "no JIT policy lists this VM: nobody can request access through JIT, and nobody changes a policy it is not in",
        ),
        jit_requesters: access.jit_requesters.iter().map(grant).collect(),
        jit_changers: access.jit_changers.iter().map(grant).collect(),
        bypassers: access.bypassers.iter().map(grant).collect(),
    }
}
