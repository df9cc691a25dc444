//! JIT010 iac-reverts-jit: a template declares the whole rule list (`securityRules` inline) of
//! an NSG on the path of a VM that a JIT policy covers: each deployment of it replaces the
//! NSG's rules and removes the ones JIT wrote.

use super::{named_by_kind, Finding, Level, Message, Related, Role, Rule};
use crate::classify::VmResult;
use crate::eval::Confidence;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT010",
    name: "iac-reverts-jit",
    summary: "Template declares an NSG's rules inline on a JIT-covered VM's path: a redeploy removes JIT's rules",
    description: "A template declares a network security group with its securityRules inline, and a JIT policy covers a VM behind that NSG. Deploying the template again sends the NSG with exactly the listed rules, so the deny rules JIT wrote (and the allow rules of active access requests) disappear, while Defender for Cloud still shows the VM as JIT-enabled.",
    help_markdown: "## What it flags\nA `Microsoft.Network/networkSecurityGroups` resource in a template whose `properties.securityRules` is written inline (the whole list), on the path (subnet or network interface) of a VM that a JIT policy in the same template covers. The finding points at the inline list.\n\n## Why it matters\nAn NSG deployed with a `securityRules` list ends up with exactly those rules: rules added outside the template, JIT's `SecurityCenter-JITRule...` deny and grant rules among them, are removed (\"Re-deployment of IaC then will revert JIT changes\"). The port then stays as the template's own rules leave it until someone saves the JIT policy again; JIT009 (`jit-deny-rules-missing`) finds this state in an export.\n\n## How to fix\nDeclare the NSG's rules as child resources (`Microsoft.Network/networkSecurityGroups/securityRules`), each deployed on its own without touching the others, and keep the NSG resource itself out of routine deployments (deploy it once; in Bicep reference it with `existing`), or leave the NSG to a template that is not redeployed. Alternatively re-save the JIT policy after every deployment of this template (a pipeline step that PUTs the policy unchanged).\n\n## Example\n`\"properties\": { \"securityRules\": [ { \"name\": \"allow-https\", ... } ] }` on `vm-nsg`: move `allow-https` to a resource `vm-nsg/allow-https` of type `Microsoft.Network/networkSecurityGroups/securityRules`.",
    level: Level::Warning,
    security_severity: "5.3",
    precision: "high",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    let Some(jit) = &vm.jit else {
        return Vec::new();
    };
    jit.nsgs
        .iter()
        .filter_map(|nsg| {
            let inline = nsg.inline_rules.as_ref()?;
            let mut message = named_by_kind(vm);
            message
                .words(" is covered by JIT policy '")
                .value(&jit.policy_name)
                .words("', but its ")
                .words(nsg.level.as_str())
                .words(" NSG '")
                .value(&nsg.name)
                .words("' is declared with its securityRules inline: deploying this template again replaces the NSG's whole rule list and removes the deny and grant rules JIT wrote, leaving the management ports as the template's own rules have them");
            let mut f = Finding::new(rule, vm, None, message);
            f.confidence = Confidence::Certain;
            f.confidence_reason = None;
            let mut m = Message::default();
            m.words("the inline securityRules list of NSG '")
                .value(&nsg.name)
                .words("'");
            let mut policy = Message::default();
            policy
                .words("JIT policy '")
                .value(&jit.policy_name)
                .words("' covers the VM");
            f.related = vec![
                Related {
                    origin: inline.clone(),
                    message: m,
                    role: Role::OtherRule,
                },
                Related {
                    origin: jit.entry_origin.clone(),
                    message: policy,
                    role: Role::OtherRule,
                },
            ];
            f.deciding = Some(0);
            Some(f)
        })
        .collect()
}
