//! JIT013 guest-or-app-can-bypass-jit: a guest user or a service principal can open a
//! management port of the VM around JIT. Read from the VM's `access` only.

use super::jit_bypassers::bypassers_finding;
use super::{Finding, Level, Rule};
use crate::classify::VmResult;
use crate::rbac::Grant;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT013",
    name: "guest-or-app-can-bypass-jit",
    summary: "A guest user or a service principal can open a management port around JIT",
    description: "The role assignments read give a guest user (a B2B account, whose user principal name carries #EXT#) or a service principal (an application or a managed identity) a route around JIT to a management port of the VM: an NSG rule, the NSG's association, a public IP, a load balancer NAT rule or a firewall DNAT rule.",
    help_markdown: "## What it flags\nA VM whose `access.bypassers` include a principal of type `ServicePrincipal`, or a `User` whose name (az CLI's `principalName`, PIM's `expandedProperties.principal.displayName`) contains `#EXT#`, the mark Microsoft Entra ID gives guest accounts. One finding per VM names them with their routes and roles. Resource Graph and REST rows carry no principal name: a guest known only by its id there is not recognised (scan the az CLI export to name it).\n\n## Why it matters\nA guest's account is governed by another organisation; a service principal's secret or federated credential lives in a pipeline or an application. Either one can open SSH or RDP to the Internet without a JIT request, and neither is the person JIT's audit trail expects.\n\n## How to fix\nGive pipelines a role without network writes on the VM's NSGs, NICs and subnets (deploy network changes through a reviewed template), or scope their role to the resources they own. Give guests the JIT request right instead of Contributor, or make their assignment PIM-eligible with approval.\n\n## Example\n`heidi_partner.example#EXT#@contoso.example` holds Contributor on `rg-app`: assign a custom role with `Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action` and `Microsoft.Compute/virtualMachines/read` instead.",
    level: Level::Warning,
    security_severity: "5.9",
    precision: "high",
    check,
};

/// A guest user: a `User` whose name carries `#EXT#` (Entra ID's mark for B2B guests).
pub(super) fn is_guest(g: &Grant) -> bool {
    let a = &g.assignment;
    a.principal_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("User"))
        && a.display_name
            .as_deref()
            .is_some_and(|n| n.to_ascii_uppercase().contains("#EXT#"))
}

/// A service principal (applications and managed identities alike).
pub(super) fn is_service_principal(g: &Grant) -> bool {
    g.assignment
        .principal_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("ServicePrincipal"))
}

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    bypassers_finding(
        rule,
        vm,
        |g| is_guest(g) || is_service_principal(g),
        " can have a management port opened around JIT by guest users or service principals: ",
    )
}
