//! BENCH SUPPORT: role exports for a generated environment (who can open the ports, issue 21).
//!
//! What `az role assignment list --all --include-inherited -o json` and `az role definition
//! list --custom-role-only -o json` give for a large tenant: about ten assignments per VM, most
//! at resource scope (the VM, its NIC, its subnet's NSG, its public IP), a few at subscription
//! and resource-group scope, to users, groups and service principals from a pool of 20,000;
//! built-in roles cited by their tenant-level id (their definitions come from jitscan's copy)
//! and a few custom roles defined in the export. Same plan, same bytes.

use std::path::Path;

use serde_json::{json, Value};

use super::plan::{Plan, RgPlan, VmPlan};
use super::rest::{guid, rg_id};
use super::{Rng, Written};

/// Assignments per subscription scope, per resource group, per VM's resources.
const PER_SUBSCRIPTION: usize = 20;
const PER_RG: usize = 30;
/// Distinct principals a tenant of this size has (users, groups, service principals).
const PRINCIPALS: u64 = 20_000;

/// Built-in roles (GUID, name) as Azure defines them.
const BUILT_IN: [(&str, &str); 6] = [
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader"),
    (
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "Network Contributor",
    ),
    (
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        "Virtual Machine Contributor",
    ),
    ("fb1c8493-542b-48eb-b624-b4c8fea62acd", "Security Admin"),
];

/// Custom roles: name, actions, notActions.
const CUSTOM: [(&str, &[&str], &[&str]); 4] = [
    (
        "JIT Requester",
        &[
            "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action",
            "Microsoft.Security/locations/jitNetworkAccessPolicies/read",
            "Microsoft.Compute/virtualMachines/read",
        ],
        &[],
    ),
    (
        "NSG Operator",
        &["Microsoft.Network/networkSecurityGroups/*"],
        &[],
    ),
    (
        "Network Writer Without NSGs",
        &["Microsoft.Network/*/write", "Microsoft.Network/*/read"],
        &["Microsoft.Network/networkSecurityGroups/*"],
    ),
    (
        "VM Operator",
        &["Microsoft.Compute/virtualMachines/*", "*/read"],
        &[],
    ),
];

/// Writes `roles/az-role-assignment-list.json` and `roles/az-role-definition-list.json` under
/// `dir` for the VMs of `plan`.
pub fn write(plan: &Plan, dir: &Path) -> Written {
    let roles = dir.join("roles");
    std::fs::create_dir_all(&roles).unwrap();
    let mut rng = Rng::new(21);
    let mut out = Vec::new();
    let mut subscriptions: Vec<&str> = plan.rgs.iter().map(|r| r.subscription.as_str()).collect();
    subscriptions.dedup();
    let custom_sub = subscriptions.first().copied().unwrap_or("0");
    for sub in &subscriptions {
        let scope = format!("/subscriptions/{sub}");
        for _ in 0..PER_SUBSCRIPTION {
            out.push(assignment(&mut rng, &scope, custom_sub, out.len()));
        }
    }
    for rg in &plan.rgs {
        let scope = format!(
            "/subscriptions/{}/resourceGroups/{}",
            rg.subscription, rg.name
        );
        for _ in 0..PER_RG {
            out.push(assignment(&mut rng, &scope, custom_sub, out.len()));
        }
        for vm in &rg.vms {
            for scope in resource_scopes(rg, vm) {
                out.push(assignment(&mut rng, &scope, custom_sub, out.len()));
            }
        }
    }
    let mut written = Written::default();
    written.json(
        &roles.join("az-role-assignment-list.json"),
        &Value::Array(out),
        false,
    );
    let definitions: Vec<Value> = CUSTOM
        .iter()
        .enumerate()
        .map(|(i, (name, actions, not_actions))| {
            let id = custom_guid(i);
            json!({
                "assignableScopes": [format!("/subscriptions/{custom_sub}")],
                "description": "",
                "id": format!("/subscriptions/{custom_sub}/providers/Microsoft.Authorization/roleDefinitions/{id}"),
                "name": id,
                "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": [], "notDataActions": []}],
                "roleName": name,
                "roleType": "CustomRole",
                "type": "Microsoft.Authorization/roleDefinitions"
            })
        })
        .collect();
    written.json(
        &roles.join("az-role-definition-list.json"),
        &Value::Array(definitions),
        true,
    );
    written
}

/// The resources of one VM that carry assignments: the VM (twice: owners and operators), its
/// NIC, its subnet's NSG (or the VM again), its public IP (or its NIC again): ten per VM, most
/// of a tenant's assignments (broad ones at higher scopes are few: each is listed on every VM
/// below it, so they, not the count of assignments, set the size of the report).
fn resource_scopes(rg: &RgPlan, vm: &VmPlan) -> Vec<String> {
    let vm_id = rg_id(rg, "Microsoft.Compute/virtualMachines", &vm.name);
    let nic = rg_id(rg, "Microsoft.Network/networkInterfaces", &vm.nic);
    let nsg = rg
        .subnets
        .get(vm.subnet)
        .and_then(|s| s.nsg)
        .and_then(|n| rg.nsgs.get(n))
        .map_or_else(
            || vm_id.clone(),
            |n| rg_id(rg, "Microsoft.Network/networkSecurityGroups", &n.name),
        );
    let pip = vm.public_ip.as_ref().map_or_else(
        || nic.clone(),
        |(name, _)| rg_id(rg, "Microsoft.Network/publicIPAddresses", name),
    );
    vec![
        vm_id.clone(),
        vm_id.clone(),
        vm_id.clone(),
        vm_id,
        nic.clone(),
        nic.clone(),
        nic,
        nsg.clone(),
        nsg,
        pip,
    ]
}

fn custom_guid(i: usize) -> String {
    guid(0xC057_0000 + i, 0x21)
}

/// One assignment at `scope`: a principal from the pool, a role (built-in mostly).
fn assignment(rng: &mut Rng, scope: &str, custom_sub: &str, n: usize) -> Value {
    let principal = rng.below(PRINCIPALS) as usize;
    let (kind, name) = match principal % 10 {
        0..=6 => ("User", format!("user{principal}@contoso.example")),
        7 | 8 => ("Group", format!("group-{principal}")),
        _ => ("ServicePrincipal", format!("app-{principal}")),
    };
    let pick = rng.below(10) as usize;
    let (role_id, role_name) = if pick < 6 {
        let (g, name) = BUILT_IN[rng.below(BUILT_IN.len() as u64) as usize];
        (
            format!("/providers/Microsoft.Authorization/roleDefinitions/{g}"),
            name.to_owned(),
        )
    } else {
        let i = rng.below(CUSTOM.len() as u64) as usize;
        (
            format!(
                "/subscriptions/{custom_sub}/providers/Microsoft.Authorization/roleDefinitions/{}",
                custom_guid(i)
            ),
            CUSTOM[i].0.to_owned(),
        )
    };
    let id = guid(0xA551_0000 + n, 0x21);
    json!({
        "condition": null,
        "conditionVersion": null,
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{id}"),
        "name": id,
        "principalId": guid(0x9000_0000 + principal, 0x21),
        "principalName": name,
        "principalType": kind,
        "roleDefinitionId": role_id,
        "roleDefinitionName": role_name,
        "scope": scope,
        "type": "Microsoft.Authorization/roleAssignments"
    })
}
