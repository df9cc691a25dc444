//! POLICY: suggested JIT policy documents and a remediation plan proven to close the
//! management ports, for `jitscan policy PATH... --out DIR`.
//!
//! `document` builds the `Microsoft.Security/locations/jitNetworkAccessPolicies` documents
//! (ARM template and REST forms), `remediation` plans the NSG/firewall changes and proves them
//! by re-evaluation, `settings` reads the `policy:` section of jitscan.yaml. This module writes
//! the files; it never prints. The summary is Markdown (remediation.md, and what `main`
//! prints): every value from the input in it goes through [`escape::markdown`](crate::escape::markdown), never into a
//! code span, so a name cannot become a link, an image, HTML, a heading or a new line.

pub mod changes;
mod collateral;
pub mod document;
pub mod remediation;
mod rule_body;
pub mod settings;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::escape::markdown;
use crate::scan::{environments, evaluate_inventory, ScanOptions};
use changes::describe;
use document::SuggestedPolicy;
use remediation::{Proof, VmPlan};

/// Everything `jitscan policy` produces.
#[derive(Debug, Clone)]
pub struct PolicyOutput {
    /// Suggested policies, one per subscription, resource group and location.
    pub policies: Vec<SuggestedPolicy>,
    /// Remediation plans, one per unhealthy VM, with their proofs.
    pub plans: Vec<VmPlan>,
}

/// Builds the policies and the proven plans for every environment under the scan paths.
pub fn run(options: &ScanOptions) -> PolicyOutput {
    let envs = environments(options);
    let per_env: Vec<(Vec<crate::classify::VmResult>, Vec<VmPlan>)> = envs
        .par_iter()
        .map(|env| {
            (
                evaluate_inventory(&env.inventory, &options.ports),
                remediation::plan_environment(&env.inventory, &options.ports),
            )
        })
        .collect();
    let mut vms = Vec::new();
    let mut plans = Vec::new();
    for (v, p) in per_env {
        vms.extend(v);
        plans.extend(p);
    }
    plans.sort_by(|a, b| (&a.vm_name, &a.source, &a.vm_id).cmp(&(&b.vm_name, &b.source, &b.vm_id)));
    PolicyOutput {
        policies: document::suggest(&vms, &options.config.policy),
        plans,
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the documents under `dir`; returns the files written.
pub fn write(output: &PolicyOutput, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let policies_dir = dir.join("jit-policies");
    std::fs::create_dir_all(&policies_dir)?;
    let mut written = Vec::new();
    for policy in &output.policies {
        let short: String = policy.subscription.chars().take(8).collect();
        let stem = format!("{short}-{}", document::file_stem(policy));
        let template = policies_dir.join(format!("{stem}.template.json"));
        std::fs::write(&template, pretty(&document::arm_template(policy)))?;
        let rest = policies_dir.join(format!("{stem}.rest.json"));
        std::fs::write(&rest, pretty(&document::rest_request(policy)))?;
        written.extend([template, rest]);
    }
    let plan_json = dir.join("remediation.json");
    std::fs::write(&plan_json, pretty(&plans_json(&output.plans)))?;
    let plan_md = dir.join("remediation.md");
    std::fs::write(&plan_md, summary(output))?;
    written.extend([plan_json, plan_md]);
    let templates = changes::arm_templates(&output.plans);
    if !templates.is_empty() {
        let nsg_dir = dir.join("nsg-changes");
        std::fs::create_dir_all(&nsg_dir)?;
        for (group, template) in templates {
            let path = nsg_dir.join(format!(
                "{}.template.json",
                document::safe_file_stem(&group)
            ));
            std::fs::write(&path, pretty(&template))?;
            written.push(path);
        }
    }
    let script = dir.join("nsg-changes.sh");
    std::fs::write(&script, changes::az_script(&output.plans))?;
    written.push(script);
    Ok(written)
}

/// The plans as JSON (`remediation.json`).
pub fn plans_json(plans: &[VmPlan]) -> Value {
    changes::remediation_json(plans)
}

/// A human-readable summary (Markdown) of the policies and the plan.
pub fn summary(output: &PolicyOutput) -> String {
    let mut out = String::from("# jitscan remediation plan\n\n");
    if output.plans.is_empty() {
        out.push_str("No unhealthy VM: nothing to remediate.\n");
        return out;
    }
    let proven = output
        .plans
        .iter()
        .filter(|p| p.proof == Proof::Proven)
        .count();
    let _ = writeln!(out, "{} VM(s) to remediate; the plan is proven for {proven} of them (every change applied to the model and every VM re-evaluated: no management port open, and nothing else changed that the plan does not list).\n", output.plans.len());
    out.push_str("## Suggested JIT policies\n\n");
    for policy in &output.policies {
        let _ = writeln!(
            out,
            "- PUT {}: {} VM(s): {}",
            document::rest_path_escaped(policy, markdown),
            policy.vms.len(),
            policy
                .vms
                .iter()
                .map(|v| format!(
                    "{} (ports {})",
                    markdown(&v.name),
                    v.ports
                        .iter()
                        .map(|p| p.number.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    out.push_str("\n## NSG and firewall changes, per VM\n\n");
    for plan in &output.plans {
        let status = match &plan.proof {
            Proof::Proven => "proven".to_owned(),
            Proof::NotProven(why) => format!("NOT proven: {}", markdown(why)),
        };
        let _ = writeln!(
            out,
            "### {} ({}, {status})\n\nDeclared in {}.\n",
            markdown(&plan.vm_name),
            plan.finding,
            markdown(&plan.source)
        );
        for change in &plan.changes {
            let _ = writeln!(out, "- {}", describe(change, markdown));
        }
        for note in &plan.notes {
            let _ = writeln!(out, "- not done: {}", markdown(note));
        }
        if !plan.collateral.is_empty() {
            out.push_str(
                "\nWhat else these changes change (accepted by the plan; check each):\n\n",
            );
            for side in &plan.collateral {
                let _ = writeln!(out, "- {}", markdown(side));
            }
        }
        if plan.changes.is_empty() {
            out.push_str(match plan.proof {
                Proof::Proven => "- no change of its own: the changes planned for other VMs (a shared NSG or firewall) close it\n",
                Proof::NotProven(_) => "- no change found that jitscan can propose\n",
            });
        }
        out.push('\n');
    }
    out
}
