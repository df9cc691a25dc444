//! RBAC (pure): role assignments, role definitions, PIM eligibilities and deny assignments
//! read out of exported items, whatever the export's shape.
//!
//! az CLI output flattens the fields into the item (`principalId`, `scope`, ...); REST list
//! pages and Resource Graph `authorizationresources` rows nest them under `properties`: both are
//! read through [`props`], keys case-insensitively. An item missing what it needs is left out
//! and counted, never guessed.

use crate::json::Node;
use crate::model::access::{get_ci, items, last_segment, props};
use crate::source::Origin;

use super::actions::{self, Actions};

/// What an authorization item is, by its resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKind {
    /// `Microsoft.Authorization/roleAssignments`.
    RoleAssignment,
    /// `Microsoft.Authorization/roleDefinitions`.
    RoleDefinition,
    /// `Microsoft.Authorization/roleEligibilityScheduleInstances` (PIM).
    Eligibility,
    /// `Microsoft.Authorization/denyAssignments`.
    DenyAssignment,
}

impl ItemKind {
    /// The kind of an item of resource type `resource_type`, when it is one of these.
    pub fn of(resource_type: &str) -> Option<Self> {
        // Every item of an export is asked: no allocation.
        [
            (
                "microsoft.authorization/roleassignments",
                Self::RoleAssignment,
            ),
            (
                "microsoft.authorization/roledefinitions",
                Self::RoleDefinition,
            ),
            (
                "microsoft.authorization/roleeligibilityscheduleinstances",
                Self::Eligibility,
            ),
            (
                "microsoft.authorization/denyassignments",
                Self::DenyAssignment,
            ),
        ]
        .into_iter()
        .find(|(name, _)| resource_type.eq_ignore_ascii_case(name))
        .map(|(_, kind)| kind)
    }

    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoleAssignment => "roleAssignments",
            Self::RoleDefinition => "roleDefinitions",
            Self::Eligibility => "roleEligibilityScheduleInstances",
            Self::DenyAssignment => "denyAssignments",
        }
    }
}

/// A role assignment, active or PIM-eligible.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// Resource id of the assignment (or eligibility instance).
    pub id: String,
    /// Principal object id, lower case.
    pub principal_id: String,
    /// `User`, `Group`, `ServicePrincipal`, ... when the input says.
    pub principal_type: Option<String>,
    /// Display name (az `principalName`, PIM `expandedProperties.principal.displayName`).
    pub display_name: Option<String>,
    /// `roleDefinitionId` as written.
    pub role_definition_id: String,
    /// The role definition's GUID (its id's last segment), lower case.
    pub role_guid: String,
    /// The role's name as the assignment states it (az `roleDefinitionName`).
    pub role_name_hint: Option<String>,
    /// Scope as written.
    pub scope: String,
    /// A PIM eligibility, not an active assignment.
    pub eligible: bool,
    /// It carries a condition (ABAC): whether it applies is not decided here.
    pub conditional: bool,
    /// Where it is declared.
    pub origin: Origin,
}

/// A role definition reduced to what it grants of [`actions::ALL`].
#[derive(Debug, Clone)]
pub struct Definition {
    /// GUID, lower case.
    pub guid: String,
    /// `roleName`.
    pub name: String,
    /// What it grants.
    pub grants: Actions,
    /// Taken from jitscan's copy of the built-in roles, not from the input.
    pub from_jitscan: bool,
}

/// A deny assignment.
#[derive(Debug, Clone)]
pub struct Deny {
    /// Resource id.
    pub id: String,
    /// `denyAssignmentName`.
    pub name: String,
    /// Scope as written.
    pub scope: String,
    /// `doNotApplyToChildScopes`.
    pub this_scope_only: bool,
    /// Principal ids it denies, lower case.
    pub principals: Vec<String>,
    /// True when it names the "everyone" principal (all zeros, `SystemDefined`).
    pub everyone: bool,
    /// Principal ids it spares, lower case.
    pub excluded: Vec<String>,
    /// What it denies.
    pub denies: Actions,
}

/// One item read.
#[derive(Debug, Clone)]
pub enum Record {
    /// An assignment or eligibility.
    Assignment(Box<Assignment>),
    /// A definition.
    Definition(Definition),
    /// A deny assignment.
    Deny(Box<Deny>),
    /// An item of a known kind without what it needs (the reason says what is missing).
    Unreadable(ItemKind, String),
}

fn text<'a>(value: &'a Node<'a>, key: &str) -> Option<&'a str> {
    get_ci(value, key)
        .and_then(Node::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn strings(value: &Node, key: &str) -> Vec<String> {
    items(value, key)
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_owned)
        .collect()
}

/// The GUID a role definition id ends with (`/subscriptions/s/providers/.../roleDefinitions/<guid>`,
/// `/providers/.../roleDefinitions/<guid>` or the bare GUID), lower case.
pub fn role_guid(id: &str) -> String {
    last_segment(id.trim().trim_end_matches('/')).to_ascii_lowercase()
}

/// Reads one item of kind `kind`.
pub fn record(kind: ItemKind, value: &Node, origin: Origin) -> Record {
    match kind {
        ItemKind::RoleAssignment | ItemKind::Eligibility => assignment(kind, value, origin),
        ItemKind::RoleDefinition => definition(value, false),
        ItemKind::DenyAssignment => deny(value),
    }
}

fn assignment(kind: ItemKind, value: &Node, origin: Origin) -> Record {
    let p = props(value);
    let id = text(value, "id").unwrap_or_default().to_owned();
    let (Some(principal), Some(role), Some(scope)) = (
        text(p, "principalId"),
        text(p, "roleDefinitionId"),
        text(p, "scope"),
    ) else {
        return Record::Unreadable(
            kind,
            format!("{id}: principalId, roleDefinitionId or scope missing"),
        );
    };
    let expanded_name = get_ci(p, "expandedProperties")
        .and_then(|e| get_ci(e, "principal"))
        .and_then(|e| text(e, "displayName"));
    Record::Assignment(Box::new(Assignment {
        id,
        principal_id: principal.to_ascii_lowercase(),
        principal_type: text(p, "principalType").map(str::to_owned),
        display_name: text(p, "principalName")
            .or(expanded_name)
            .map(str::to_owned),
        role_definition_id: role.to_owned(),
        role_guid: role_guid(role),
        role_name_hint: text(p, "roleDefinitionName").map(str::to_owned),
        scope: scope.to_owned(),
        eligible: kind == ItemKind::Eligibility,
        conditional: text(p, "condition").is_some(),
        origin,
    }))
}

/// Reads a role definition (also used for jitscan's own copy of the built-in roles).
pub fn definition(value: &Node, from_jitscan: bool) -> Record {
    let p = props(value);
    let guid = text(value, "name")
        .filter(|n| n.len() == 36)
        .map(str::to_ascii_lowercase)
        .or_else(|| text(value, "id").map(role_guid));
    let Some(guid) = guid else {
        return Record::Unreadable(
            ItemKind::RoleDefinition,
            "a role definition without id".into(),
        );
    };
    let mut grants = Actions::default();
    for block in items(p, "permissions") {
        // `dataActions` are not read: they never grant a control-plane action.
        let allowed = actions::granted(&strings(block, "actions"), &strings(block, "notActions"));
        grants = Actions(grants.0 | allowed.0);
    }
    Record::Definition(Definition {
        name: text(p, "roleName").unwrap_or(&guid).to_owned(),
        guid,
        grants,
        from_jitscan,
    })
}

const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

fn deny(value: &Node) -> Record {
    let p = props(value);
    let id = text(value, "id").unwrap_or_default().to_owned();
    let Some(scope) = text(p, "scope") else {
        return Record::Unreadable(ItemKind::DenyAssignment, format!("{id}: scope missing"));
    };
    let ids = |key: &str| -> Vec<String> {
        items(p, key)
            .iter()
            .filter_map(|e| text(e, "id"))
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let principals = ids("principals");
    let mut denies = Actions::default();
    for block in items(p, "permissions") {
        let d = actions::granted(&strings(block, "actions"), &strings(block, "notActions"));
        denies = Actions(denies.0 | d.0);
    }
    Record::Deny(Box::new(Deny {
        name: text(p, "denyAssignmentName").unwrap_or(&id).to_owned(),
        id,
        scope: scope.to_owned(),
        this_scope_only: get_ci(p, "doNotApplyToChildScopes")
            .and_then(Node::as_bool)
            .unwrap_or(false),
        everyone: principals.iter().any(|p| p == EVERYONE),
        principals,
        excluded: ids("excludePrincipals"),
        denies,
    }))
}

/// jitscan's copy of the built-in roles that matter here (see `builtin_roles.md`).
pub fn builtin_definitions() -> Vec<Definition> {
    let parsed: serde_json::Value =
        serde_json::from_str(include_str!("builtin_roles.json")).unwrap_or_default();
    let root = Node::from_value(&parsed);
    root.as_array()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| match definition(v, true) {
            Record::Definition(d) => Some(d),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::actions::Action;

    #[test]
    fn the_shipped_copy_reads_whole() {
        let defs = builtin_definitions();
        assert_eq!(defs.len(), 8);
        let by = |name: &str| defs.iter().find(|d| d.name == name).unwrap().grants;
        assert!(by("Owner").has(Action::NsgWrite));
        assert!(by("Contributor").has(Action::NsgWrite));
        assert!(!by("Reader").has(Action::NsgWrite));
        assert!(by("Network Contributor").has(Action::NsgRuleWrite));
        assert!(!by("Network Contributor").has(Action::JitInitiate));
        assert!(by("Security Admin").has(Action::JitInitiate));
        assert!(by("Virtual Machine Contributor").has(Action::NicWrite));
        assert!(by("Virtual Machine Contributor").has(Action::PublicIpJoin));
        assert!(!by("Virtual Machine Contributor").has(Action::NsgWrite));
        // Login roles grant data actions only: nothing that opens a port.
        assert!(by("Virtual Machine Administrator Login").is_empty());
    }
}
