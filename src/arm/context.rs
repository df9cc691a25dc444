//! The deployment context an offline scan pretends to deploy into.
//!
//! ARM functions such as `resourceGroup()`, `subscription()` and `resourceId()` need a
//! subscription, resource group and location that a template on disk does not carry. jitscan
//! uses fixed, documented placeholders (overridable on the command line) so resource ids are
//! deterministic and links inside one template resolve. The placeholders never decide a
//! verdict: they only name things.

/// Placeholder values used by `resourceGroup()`, `subscription()`, `deployment()` and the
/// `resourceId()` family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentContext {
    /// `subscription().subscriptionId`.
    pub subscription_id: String,
    /// `subscription().tenantId` and `tenant().tenantId`.
    pub tenant_id: String,
    /// `resourceGroup().name`.
    pub resource_group: String,
    /// `resourceGroup().location`, and the default `location` of resources that say nothing.
    pub location: String,
    /// `deployment().name`.
    pub deployment_name: String,
}

impl Default for DeploymentContext {
    fn default() -> Self {
        Self {
            subscription_id: "00000000-0000-0000-0000-000000000000".to_owned(),
            tenant_id: "00000000-0000-0000-0000-000000000000".to_owned(),
            resource_group: "jitscan-rg".to_owned(),
            location: "westeurope".to_owned(),
            deployment_name: "jitscan".to_owned(),
        }
    }
}

impl DeploymentContext {
    /// `/subscriptions/{id}`.
    pub fn subscription_scope(&self) -> String {
        format!("/subscriptions/{}", self.subscription_id)
    }

    /// `/subscriptions/{id}/resourceGroups/{name}`.
    pub fn resource_group_scope(&self) -> String {
        let mut out = String::with_capacity(96);
        self.push_resource_group_scope(&mut out);
        out
    }

    /// Appends [`Self::resource_group_scope`] to `out`.
    pub fn push_resource_group_scope(&self, out: &mut String) {
        push_group_scope(out, &self.subscription_id, &self.resource_group);
    }
}

/// Appends `/subscriptions/{subscription}/resourceGroups/{group}` to `out`.
pub fn push_group_scope(out: &mut String, subscription: &str, group: &str) {
    out.push_str("/subscriptions/");
    out.push_str(subscription);
    out.push_str("/resourceGroups/");
    out.push_str(group);
}
