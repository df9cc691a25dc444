//! JIT014 broad-nsg-write: an assignment at subscription or management-group scope (or the
//! root) lets a principal write the VM's NSGs (route `nsgRule`). Read from the VM's `access`.

use super::jit_bypassers::bypassers_finding;
use super::{Finding, Level, Rule};
use crate::classify::VmResult;
use crate::rbac::directory::scope_key;
use crate::rbac::Route;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT014",
    name: "broad-nsg-write",
    summary: "A subscription- or management-group-wide assignment lets a principal write the VM's NSGs",
    description: "A role assignment at a subscription, a management group or the root scope grants write on network security groups (or their rules), and through inheritance on the NSGs of this VM's path: the principal can add an allow rule for a management port on every VM of the subscription at once, around JIT.",
    help_markdown: "## What it flags\nEach VM whose `access.bypassers` have route `nsgRule` through an assignment whose scope is `/`, `/subscriptions/<id>` or `/providers/Microsoft.Management/managementGroups/<id>`. One finding per VM names the principals, roles and scopes; the finding points at the assignments. Deny assignments are applied first: a principal a deny assignment stops is not named.\n\n## Why it matters\nNSG write at subscription scope is write on every NSG below it, today's and tomorrow's. Owner and Contributor grant it, and so does Network Contributor: a broad assignment of any of them is a route around JIT on every VM of the subscription.\n\n## How to fix\nAssign network roles at the resource group or the NSG that the principal manages, make broad ones PIM-eligible, or protect the NSGs of JIT-covered VMs with a deny assignment that excludes the network team only.\n\n## Example\nContributor for `alice@contoso.example` at `/subscriptions/1111...`: move it to the resource groups she works in, or make it eligible through PIM.",
    level: Level::Note,
    security_severity: "3.5",
    precision: "high",
    check,
};

/// True for the root scope, a subscription or a management group.
pub(super) fn is_broad(scope: &str) -> bool {
    let k = scope_key(scope);
    if k == "/" || k.starts_with("/providers/microsoft.management/managementgroups/") {
        return true;
    }
    let segments: Vec<&str> = k.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["subscriptions", id] if !id.is_empty())
}

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    bypassers_finding(
        rule,
        vm,
        |g| g.route == Some(Route::NsgRule) && is_broad(&g.assignment.scope),
        " has NSGs that assignments at subscription or management-group scope let principals write: ",
    )
}

#[cfg(test)]
mod tests {
    use super::is_broad;

    #[test]
    fn broad_scopes_are_root_subscriptions_and_management_groups() {
        assert!(is_broad("/"));
        assert!(is_broad("/subscriptions/1111/"));
        assert!(is_broad(
            "/Providers/Microsoft.Management/managementGroups/mg-1"
        ));
        assert!(!is_broad("/subscriptions/1111/resourceGroups/rg"));
        assert!(!is_broad("/subscriptions/"));
    }
}
