//! Deployment and scope functions: `parameters`, `variables`, `copyIndex`, `reference`,
//! `resourceGroup`, `subscription`, `tenant`, `deployment`, `environment`.
//!
//! Values come from the [`Scope`](super::super::Scope) and its placeholder deployment context.
//! Properties Azure only knows at deployment time (resource group tags, subscription display
//! name, the template's deployment URI) are unknown values, never invented strings.

use serde_json::{json, Value};

use super::super::args::Args;
use super::super::ExprError;
use crate::arm::unknown::unknown;

/// `parameters(name)`.
pub(crate) fn parameters(args: &Args) -> Result<Value, ExprError> {
    let name = args.string(0)?;
    args.scope
        .parameter(name)
        .map_err(|message| args.eval_error(0, message))
}

/// `variables(name)`.
pub(crate) fn variables(args: &Args) -> Result<Value, ExprError> {
    let name = args.string(0)?;
    args.scope
        .variable(name)
        .map_err(|message| args.eval_error(0, message))
}

/// `copyIndex()`, `copyIndex(offset)`, `copyIndex('loop')`, `copyIndex('loop', offset)`.
pub(crate) fn copy_index(args: &Args) -> Result<Value, ExprError> {
    let (loop_name, offset) = match args.len() {
        0 => (None, 0),
        1 if args.get(0).is_string() => (Some(args.string(0)?), 0),
        1 => (None, args.int(0)?),
        _ => (Some(args.string(0)?), args.int(1)?),
    };
    let index = args
        .scope
        .copy_index(loop_name)
        .map_err(|message| args.call_error(message))?;
    index
        .checked_add(offset)
        .map(Value::from)
        .ok_or_else(|| args.call_error("copy index plus offset overflows a 64-bit integer"))
}

/// `reference(target, apiVersion?, 'Full'?)`: delegated to the scope.
pub(crate) fn reference(args: &Args) -> Result<Value, ExprError> {
    let target = args.get(0);
    if !target.is_string() {
        return Err(args.type_error(0, "a resource name or id (string)"));
    }
    if args.len() > 1 {
        args.string(1)?;
    }
    let full = match args.len() {
        3 => args.string(2)?.eq_ignore_ascii_case("full"),
        _ => false,
    };
    Ok(args.scope.reference(target, full))
}

/// `resourceGroup()`: the placeholder resource group.
pub(crate) fn resource_group(args: &Args) -> Result<Value, ExprError> {
    let ctx = args.scope.context();
    Ok(json!({
        "id": ctx.resource_group_scope(),
        "name": ctx.resource_group,
        "type": "Microsoft.Resources/resourceGroups",
        "location": ctx.location,
        "tags": unknown("resourceGroup().tags: the resource group's tags are not in the input"),
        "properties": { "provisioningState": "Succeeded" },
    }))
}

/// `subscription()`: the placeholder subscription.
pub(crate) fn subscription(args: &Args) -> Result<Value, ExprError> {
    let ctx = args.scope.context();
    Ok(json!({
        "id": ctx.subscription_scope(),
        "subscriptionId": ctx.subscription_id,
        "tenantId": ctx.tenant_id,
        "displayName": unknown("subscription().displayName: the subscription's name is not in the input"),
    }))
}

/// `tenant()`: the placeholder tenant.
pub(crate) fn tenant(args: &Args) -> Result<Value, ExprError> {
    let ctx = args.scope.context();
    Ok(json!({
        "id": format!("/tenants/{}", ctx.tenant_id),
        "tenantId": ctx.tenant_id,
        "countryCode": unknown("tenant().countryCode: the tenant is not in the input"),
        "displayName": unknown("tenant().displayName: the tenant is not in the input"),
    }))
}

/// `deployment()`: name and mode; what only the deployment request knows is unknown.
pub(crate) fn deployment(args: &Args) -> Result<Value, ExprError> {
    let ctx = args.scope.context();
    Ok(json!({
        "name": ctx.deployment_name,
        "properties": {
            "templateLink": unknown(
                "deployment().properties.templateLink: the URI the template is deployed from is not in the input"
            ),
            "template": unknown("deployment().properties.template is not evaluated offline"),
            "templateHash": unknown("deployment().properties.templateHash is computed by Azure"),
            "parameters": unknown("deployment().properties.parameters is not evaluated offline"),
            "mode": "Incremental",
            "provisioningState": "Accepted",
        },
    }))
}

/// `environment()`: the Azure public cloud, as documented by Microsoft.
pub(crate) fn environment(_args: &Args) -> Result<Value, ExprError> {
    Ok(json!({
        "name": "AzureCloud",
        "gallery": "https://gallery.azure.com/",
        "graph": "https://graph.windows.net/",
        "portal": "https://portal.azure.com",
        "graphAudience": "https://graph.windows.net/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "resourceManager": "https://management.azure.com/",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com/",
            "audiences": [
                "https://management.core.windows.net/",
                "https://management.azure.com/"
            ],
            "tenant": "common",
            "identityProvider": "AAD"
        },
        "suffixes": {
            "acrLoginServer": ".azurecr.io",
            "azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "azureDatalakeStoreFileSystem": "azuredatalakestore.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "keyvaultDns": ".vault.azure.net",
            "sqlServerHostname": ".database.windows.net",
            "storage": "core.windows.net"
        }
    }))
}
