//! Resource id builders: `resourceId`, `subscriptionResourceId`, `tenantResourceId`,
//! `extensionResourceId`, `managementGroupResourceId`.
//!
//! ARM finds the resource type as the one argument that contains `/` (scope arguments before
//! it, one name per type segment after the namespace). Ids are built with the deployment
//! context's placeholder subscription and resource group; they name things and must never be
//! taken as real Azure ids.

use serde_json::Value;

use super::super::args::{given, Args};
use super::super::ExprError;
use crate::arm::context::push_group_scope;
use crate::arm::unknown::unknown;

/// `resourceId([subscriptionId], [resourceGroupName], resourceType, name1, [name2]...)`.
pub(crate) fn resource_id(args: &Args) -> Result<Value, ExprError> {
    let strings = all_strings(args)?;
    let type_at = type_position(args, &strings, 2)?;
    let ctx = args.scope.context();
    let tail = typed_names(args, &strings, type_at)?;
    let mut id = String::with_capacity(128 + tail.len());
    match strings.get(..type_at).unwrap_or_default() {
        [] => ctx.push_resource_group_scope(&mut id),
        [group] => push_group_scope(&mut id, &ctx.subscription_id, group),
        [sub, group, ..] => push_group_scope(&mut id, sub, group),
    }
    id.push_str("/providers/");
    id.push_str(&tail);
    args.string_result(id)
}

/// `subscriptionResourceId([subscriptionId], resourceType, name1, [name2]...)`.
pub(crate) fn subscription_resource_id(args: &Args) -> Result<Value, ExprError> {
    let strings = all_strings(args)?;
    let type_at = type_position(args, &strings, 1)?;
    let sub = match strings.first() {
        Some(sub) if type_at == 1 => (*sub).to_owned(),
        _ => args.scope.context().subscription_id.clone(),
    };
    let tail = typed_names(args, &strings, type_at)?;
    args.string_result(format!("/subscriptions/{sub}/providers/{tail}"))
}

/// `tenantResourceId(resourceType, name1, [name2]...)`.
pub(crate) fn tenant_resource_id(args: &Args) -> Result<Value, ExprError> {
    let strings = all_strings(args)?;
    let type_at = type_position(args, &strings, 0)?;
    let tail = typed_names(args, &strings, type_at)?;
    args.string_result(format!("/providers/{tail}"))
}

/// `extensionResourceId(baseResourceId, resourceType, name1, [name2]...)`.
pub(crate) fn extension_resource_id(args: &Args) -> Result<Value, ExprError> {
    let strings = all_strings(args)?;
    let base = strings.first().copied().unwrap_or_default();
    if !base.starts_with('/') {
        return Err(args.eval_error(
            0,
            format!("'{base}' is not a resource id (it must start with '/')"),
        ));
    }
    if !strings.get(1).is_some_and(|t| t.contains('/')) {
        return Err(args.type_error(
            1,
            "the extension resource type with its provider namespace, such as 'Microsoft.Authorization/locks'",
        ));
    }
    if let Some(bad) = (2..strings.len()).find(|&i| strings.get(i).is_some_and(|s| s.contains('/')))
    {
        return Err(args.type_error(bad, "a resource name without '/'"));
    }
    let tail = typed_names(args, &strings, 1)?;
    args.string_result(format!("{}/providers/{tail}", base.trim_end_matches('/')))
}

/// `managementGroupResourceId([managementGroupName], resourceType, name1, [name2]...)`.
pub(crate) fn management_group_resource_id(args: &Args) -> Result<Value, ExprError> {
    let strings = all_strings(args)?;
    let type_at = type_position(args, &strings, 1)?;
    let tail = typed_names(args, &strings, type_at)?;
    match strings.first() {
        Some(group) if type_at == 1 => args.string_result(format!(
            "/providers/Microsoft.Management/managementGroups/{group}/providers/{tail}"
        )),
        _ => Ok(unknown(
            "managementGroupResourceId(): the management group deployed to is not in the input",
        )),
    }
}

fn all_strings<'v>(args: &'v Args) -> Result<Vec<&'v str>, ExprError> {
    (0..args.len()).map(|i| args.string(i)).collect()
}

/// Index of the single argument containing '/', which must be at most `max_scope_args` in.
fn type_position(args: &Args, strings: &[&str], max_scope_args: usize) -> Result<usize, ExprError> {
    let mut typed = strings
        .iter()
        .enumerate()
        .filter(|(_, s)| s.contains('/'))
        .map(|(i, _)| i);
    let Some(first) = typed.next() else {
        return Err(args.count_error(
            "needs a resource type with its provider namespace, such as 'Microsoft.Network/virtualNetworks'",
        ));
    };
    if let Some(second) = typed.next() {
        return Err(args.type_error(
            second,
            "a resource name without '/' (only the resource type may contain '/'; give one name per type segment)",
        ));
    }
    if first > max_scope_args {
        return Err(args.count_error(format!(
            "accepts at most {max_scope_args} scope arguments before the resource type, but {}",
            given(first)
        )));
    }
    Ok(first)
}

/// `Namespace/type1/name1/type2/name2...` from the type at `type_at` and the names after it.
fn typed_names(args: &Args, strings: &[&str], type_at: usize) -> Result<String, ExprError> {
    // A stray leading or trailing '/' is tolerated, as Azure deploys templates that have one.
    let resource_type = strings
        .get(type_at)
        .copied()
        .unwrap_or_default()
        .trim_matches('/');
    let segments: Vec<&str> = resource_type.split('/').collect();
    if segments.len() < 2 || segments.iter().any(|s| s.trim().is_empty()) {
        return Err(args.type_error(
            type_at,
            "a resource type such as 'Microsoft.Network/virtualNetworks/subnets'",
        ));
    }
    let names = strings.get(type_at + 1..).unwrap_or_default();
    let needed = segments.len() - 1;
    if names.len() != needed {
        return Err(args.count_error(format!(
            "needs one resource name per type segment: type '{resource_type}' requires {needed} name{}, but {}",
            if needed == 1 { "" } else { "s" },
            given(names.len())
        )));
    }
    let mut out = segments.first().copied().unwrap_or_default().to_owned();
    for (segment, name) in segments.iter().skip(1).zip(names) {
        out.push('/');
        out.push_str(segment);
        out.push('/');
        out.push_str(name);
    }
    Ok(out)
}
