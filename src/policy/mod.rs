//! POLICY: suggested JIT policy documents and a remediation plan proven to close the
//! management ports, for `jitscan policy PATH... --out DIR`.
//!
//! `document` builds the `Microsoft.Security/locations/jitNetworkAccessPolicies` documents
//! (ARM template and REST forms) of the VMs `suggest` picks, each merged by `merge` with the
//! policy the input already has for its scope (a PUT replaces the whole VM list);
//! `remediation` plans the NSG/firewall changes and proves them by re-evaluation, `settings` reads the `policy:` section of jitscan.yaml. This module writes
//! the files; it never prints. The summary is Markdown (remediation.md, and what `main`
//! prints): every value from the input in it goes through [`escape::markdown`](crate::escape::markdown), never into a
//! code span, so a name cannot become a link, an image, HTML, a heading or a new line.

pub mod document;
pub mod merge;
pub mod remediation;
pub mod settings;
pub mod suggest;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::escape::{markdown, verbatim};
use crate::model::JitPolicy;
use crate::scan::{environments, evaluate_inventory, ScanOptions};
use document::SuggestedPolicy;
use remediation::{describe, Proof, VmPlan};

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
    // Every environment's policies: a VM declared in one template may be listed by the
    // policy another input holds for its resource group, and the document replaces that one.
    let existing: Vec<JitPolicy> = envs
        .iter()
        .flat_map(|env| env.inventory.jit_policies.iter().cloned())
        .collect();
    PolicyOutput {
        policies: document::suggest(&vms, &existing, &options.config.policy),
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
    // Two scopes can share a stem (names differing only in characters the stem replaces,
    // or in case): the later one gets a counter instead of overwriting the first.
    let mut stems = std::collections::HashSet::new();
    for policy in &output.policies {
        let short: String = policy.subscription.chars().take(8).collect();
        let base = format!("{short}-{}", document::file_stem(policy));
        let mut stem = base.clone();
        let mut counter = 1;
        while !stems.insert(stem.to_ascii_lowercase()) {
            counter += 1;
            stem = format!("{base}-{counter}");
        }
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
    Ok(written)
}

/// The plans as JSON.
pub fn plans_json(plans: &[VmPlan]) -> Value {
    Value::Array(
        plans
            .iter()
            .map(|p| {
                let (proven, detail) = match &p.proof {
                    Proof::Proven => (true, "re-evaluated with the plan applied: healthy, no management port open".to_owned()),
                    Proof::NotProven(why) => (false, why.clone()),
                };
                json!({
                    "vmId": p.vm_id,
                    "vmName": p.vm_name,
                    "source": p.source,
                    "actions": p.actions.iter().map(|a| json!({ "change": describe(a, verbatim) })).collect::<Vec<_>>(),
                    "proven": proven,
                    "proof": detail,
                })
            })
            .collect(),
    )
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
    let _ = writeln!(out, "{} VM(s) to remediate; the plan is proven for {proven} of them (applied to the model and re-evaluated: healthy, no management port open).\n", output.plans.len());
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
            "### {} ({status})\n\nDeclared in {}.\n",
            markdown(&plan.vm_name),
            markdown(&plan.source)
        );
        for action in &plan.actions {
            let _ = writeln!(out, "- {}", describe(action, markdown));
        }
        if plan.actions.is_empty() {
            out.push_str(match plan.proof {
                Proof::Proven => "- no change of its own: the changes planned for other VMs (a shared NSG or firewall) close it\n",
                Proof::NotProven(_) => "- no change found that jitscan can propose\n",
            });
        }
        out.push('\n');
    }
    out
}
