//! Deployment, scope and resource id functions, and functions decided only at deployment time.

use serde_json::json;

use super::{assert_err, check, eval, reason, TestScope};
use crate::arm::expr::{evaluate_string, ExprErrorCode};
use crate::arm::unknown::is_unknown;

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/jitscan-rg";

#[test]
fn parameters_and_variables() {
    check(&[
        ("[parameters('prefix')]", json!("pre")),
        ("[PARAMETERS('Prefix')]", json!("pre")),
        ("[variables('storageName')]", json!("storage123")),
    ]);
}

#[test]
fn copy_index_forms() {
    let scope = TestScope::in_loop("vmLoop", 2);
    let run = |s: &str| evaluate_string(s, &scope).unwrap();
    assert_eq!(run("[copyIndex()]"), json!(2));
    assert_eq!(run("[copyIndex(1)]"), json!(3));
    assert_eq!(run("[copyIndex('vmLoop')]"), json!(2));
    assert_eq!(run("[copyIndex('vmLoop', 10)]"), json!(12));
    assert_eq!(run("[concat('vm', copyIndex(1))]"), json!("vm3"));
    let e = evaluate_string("[copyIndex('other')]", &scope).unwrap_err();
    assert_eq!((e.code, e.offset), (ExprErrorCode::Evaluation, 1));
    assert_err("[copyIndex()]", ExprErrorCode::Evaluation, 1);
    assert_err("[copyIndex(1, 'x')]", ExprErrorCode::ArgumentType, 11);
}

#[test]
fn scope_objects_use_the_placeholder_context() {
    check(&[
        ("[resourceGroup().id]", json!(RG)),
        ("[resourceGroup().name]", json!("jitscan-rg")),
        (
            "[resourceGroup().type]",
            json!("Microsoft.Resources/resourceGroups"),
        ),
        ("[resourceGroup().location]", json!("westeurope")),
        (
            "[resourceGroup().properties.provisioningState]",
            json!("Succeeded"),
        ),
        (
            "[subscription().id]",
            json!("/subscriptions/00000000-0000-0000-0000-000000000000"),
        ),
        (
            "[subscription().subscriptionId]",
            json!("00000000-0000-0000-0000-000000000000"),
        ),
        (
            "[subscription().tenantId]",
            json!("00000000-0000-0000-0000-000000000000"),
        ),
        (
            "[tenant().tenantId]",
            json!("00000000-0000-0000-0000-000000000000"),
        ),
        ("[deployment().name]", json!("jitscan")),
        ("[deployment().properties.mode]", json!("Incremental")),
        ("[environment().name]", json!("AzureCloud")),
        (
            "[environment().suffixes.storage]",
            json!("core.windows.net"),
        ),
        (
            "[environment().suffixes.keyvaultDns]",
            json!(".vault.azure.net"),
        ),
        (
            "[environment().suffixes.sqlServerHostname]",
            json!(".database.windows.net"),
        ),
        (
            "[environment().authentication.loginEndpoint]",
            json!("https://login.microsoftonline.com/"),
        ),
    ]);
    assert!(is_unknown(&eval("[resourceGroup().tags.owner]")));
    assert!(is_unknown(&eval("[subscription().displayName]")));
    assert!(is_unknown(&eval(
        "[uri(deployment().properties.templateLink.uri, 'nested.json')]"
    )));
}

#[test]
fn resource_id_with_zero_one_and_two_scope_arguments() {
    check(&[
        (
            "[resourceId('Microsoft.Storage/storageAccounts','examplestorage')]",
            json!(format!("{RG}/providers/Microsoft.Storage/storageAccounts/examplestorage")),
        ),
        (
            "[resourceId('otherResourceGroup', 'Microsoft.Storage/storageAccounts','examplestorage')]",
            json!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/otherResourceGroup/providers/Microsoft.Storage/storageAccounts/examplestorage"),
        ),
        (
            "[resourceId('11111111-1111-1111-1111-111111111111', 'otherResourceGroup', 'Microsoft.Storage/storageAccounts','examplestorage')]",
            json!("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/otherResourceGroup/providers/Microsoft.Storage/storageAccounts/examplestorage"),
        ),
        (
            "[resourceId('Microsoft.SQL/servers/databases', 'serverName', 'databaseName')]",
            json!(format!("{RG}/providers/Microsoft.SQL/servers/serverName/databases/databaseName")),
        ),
        (
            "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]",
            json!(format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default")),
        ),
        (
            "[resourceId('Microsoft.ServiceBus/namespaces/queues/authorizationRules', 'namespace1', 'queue1', 'auth1')]",
            json!(format!("{RG}/providers/Microsoft.ServiceBus/namespaces/namespace1/queues/queue1/authorizationRules/auth1")),
        ),
    ]);
}

#[test]
fn resource_id_tolerates_a_stray_slash_in_the_type() {
    // Seen in azure-quickstart-templates (101-perforce-helix-core-server), which deploys.
    check(&[(
        "[resourceId('Microsoft.Network/publicIPAddresses/', concat('hxpip', 1))]",
        json!(format!(
            "{RG}/providers/Microsoft.Network/publicIPAddresses/hxpip1"
        )),
    )]);
}

#[test]
fn resource_id_argument_errors() {
    // one name too few / too many for the type's segments
    assert_err(
        "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]",
        ExprErrorCode::ArgumentCount,
        1,
    );
    assert_err(
        "[resourceId('Microsoft.Network/networkSecurityGroups', 'a', 'b')]",
        ExprErrorCode::ArgumentCount,
        1,
    );
    // names must not contain '/'
    assert_err(
        "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet/default')]",
        ExprErrorCode::ArgumentType,
        57,
    );
    // more than subscription and resource group before the type
    assert_err(
        "[resourceId('a', 'b', 'c', 'Microsoft.Network/virtualNetworks', 'v')]",
        ExprErrorCode::ArgumentCount,
        1,
    );
    assert_err(
        "[resourceId('Microsoft.Network/', 'v')]",
        ExprErrorCode::ArgumentType,
        12,
    );
    assert_err(
        "[resourceId('Microsoft.Network/virtualNetworks', 1)]",
        ExprErrorCode::ArgumentType,
        49,
    );
    assert!(is_unknown(&eval(
        "[resourceId('Microsoft.Network/virtualNetworks', parameters('noValue'))]"
    )));
}

#[test]
fn other_resource_id_builders() {
    check(&[
        (
            "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg1')]",
            json!("/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Resources/resourceGroups/rg1"),
        ),
        (
            "[subscriptionResourceId('11111111-1111-1111-1111-111111111111', 'Microsoft.Resources/resourceGroups', 'rg1')]",
            json!("/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Resources/resourceGroups/rg1"),
        ),
        (
            "[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'def')]",
            json!("/providers/Microsoft.Authorization/policyDefinitions/def"),
        ),
        (
            "[extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/locks', 'LockRG')]",
            json!(format!("{RG}/providers/Microsoft.Authorization/locks/LockRG")),
        ),
        (
            "[managementGroupResourceId('mg1', 'Microsoft.Authorization/policyDefinitions', 'def')]",
            json!("/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/def"),
        ),
    ]);
    assert!(is_unknown(&eval(
        "[managementGroupResourceId('Microsoft.Authorization/policyDefinitions', 'def')]"
    )));
    assert_err(
        "[tenantResourceId('sub', 'Microsoft.Authorization/policyDefinitions', 'def')]",
        ExprErrorCode::ArgumentCount,
        1,
    );
    assert_err(
        "[extensionResourceId('notAnId', 'Microsoft.Authorization/locks', 'l')]",
        ExprErrorCode::Evaluation,
        21,
    );
}

#[test]
fn deployment_time_functions_are_unknown_with_a_reason() {
    assert_eq!(
        reason("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'sa'), '2019-06-01').keys[0].value]"),
        "listKeys() returns secrets only available at deployment time"
    );
    assert!(
        reason("[listAccountSas('sa', '2019-06-01', createObject())]")
            .starts_with("listAccountSas()")
    );
    assert_eq!(reason("[utcNow()]"), "utcNow() depends on deployment time");
    assert_eq!(
        reason("[utcNow('u')]"),
        "utcNow() depends on deployment time"
    );
    assert!(reason("[newGuid()]").contains("random"));
    assert!(is_unknown(&eval(
        "[pickZones('Microsoft.Compute', 'virtualMachines', 'westus2')]"
    )));
    assert!(is_unknown(&eval("[providers('Microsoft.Network')]")));
    assert!(is_unknown(&eval("[uniqueString(utcNow())]")));
    // Template bugs inside their arguments are still reported.
    assert_err(
        "[listKeys(parameters('undeclared'), '2019-06-01')]",
        ExprErrorCode::Evaluation,
        21,
    );
}

#[test]
fn functions_not_evaluated_offline_are_unknown() {
    assert_eq!(
        reason("[filter(parameters('arr'), lambda('x', equals(lambdaVariables('x'), 'one')))]"),
        "function 'filter' is not evaluated offline"
    );
    assert_eq!(
        reason("[map(parameters('arr'), lambda('x', lambdaVariables('x')))]"),
        "function 'map' is not evaluated offline"
    );
    assert!(is_unknown(&eval(
        "[dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')]"
    )));
    assert!(is_unknown(&eval("[cidrSubnet('10.0.0.0/16', 24, 0)]")));
}
