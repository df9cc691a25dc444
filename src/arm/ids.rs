//! ARM: resource ids for declared resources, built the way `resourceId()` builds them.

use super::context::DeploymentContext;

/// `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t1}/{n1}/{t2}/{n2}...` for a full
/// type (`Microsoft.Network/virtualNetworks/subnets`) and full name (`vnet/subnet`).
/// Extra or missing name segments are tolerated: the id then just carries what there is.
pub fn resource_id(ctx: &DeploymentContext, full_type: &str, full_name: &str) -> String {
    let mut type_parts = full_type.split('/');
    let namespace = type_parts.next().unwrap_or_default();
    let mut id = String::with_capacity(128 + full_type.len() + full_name.len());
    ctx.push_resource_group_scope(&mut id);
    id.push_str("/providers/");
    id.push_str(namespace);
    let mut names = full_name.split('/');
    for type_segment in type_parts {
        id.push('/');
        id.push_str(type_segment);
        id.push('/');
        id.push_str(names.next().unwrap_or_default());
    }
    for extra in names {
        id.push('/');
        id.push_str(extra);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_types_interleave_names() {
        let ctx = DeploymentContext::default();
        assert_eq!(
            resource_id(&ctx, "Microsoft.Network/virtualNetworks/subnets", "vnet/app"),
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/jitscan-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app"
        );
    }
}
