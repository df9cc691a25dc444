//! POLICY: suggested JIT policy documents and a remediation plan proven to close the
//! management ports, for `jitscan policy PATH... --out DIR`.
//!
//! `document` builds the `Microsoft.Security/locations/jitNetworkAccessPolicies` documents
//! (ARM template and REST forms) of the VMs `suggest` picks, each merged by `merge` with the
//! policy the input already has for its scope (a PUT replaces the whole VM list);
//! `remediation` plans the NSG/firewall changes and proves them by re-evaluation (`changes`
//! gives them their reviewable and deployable forms), `settings` reads the `policy:` section
//! of jitscan.yaml, `out_dir` writes the files (and only ever replaces its own), `terminal`
//! builds the few lines `main` prints. Nothing here prints. The summary is Markdown
//! (remediation.md): every value from the input in it goes through
//! [`escape::markdown`](crate::escape::markdown), never into a code span, so a name cannot
//! become a link, an image, HTML, a heading or a new line.

pub mod changes;
mod collateral;
pub mod document;
pub mod merge;
pub mod out_dir;
pub mod remediation;
mod rule_body;
pub mod suggest;
pub mod terminal;

use std::fmt::Write as _;

use serde_json::Value;

use crate::classify::Classification;
use crate::escape::markdown;
use crate::model::JitPolicy;
use crate::scan::{evaluate_inventory, pipeline, InputRecord, ScanOptions, Texts};
use changes::describe;
use document::SuggestedPolicy;
pub use out_dir::{prepare_out_dir, write, OutDirError};
use remediation::{Proof, VmPlan};
pub use terminal::terminal_summary;

/// Everything `jitscan policy` produces.
#[derive(Debug, Clone)]
pub struct PolicyOutput {
    /// Suggested policies, one per subscription, resource group and location.
    pub policies: Vec<SuggestedPolicy>,
    /// Remediation plans, one per unhealthy VM, with their proofs.
    pub plans: Vec<VmPlan>,
    /// VMs and scale sets classified unhealthy (those already under a JIT policy, and scale
    /// sets, get no plan).
    pub unhealthy_vms: usize,
    /// Every file found, with its status and problems: the account a scan gives, for `main`
    /// to report the same way.
    pub inputs: Vec<InputRecord>,
}

/// Builds the policies and the proven plans for every environment under the scan paths, with
/// the account of the inputs.
pub fn run(options: &ScanOptions) -> PolicyOutput {
    // Rule declarations are read back from the texts: they are kept.
    let run = pipeline::run(options, Texts::Keep, |env| {
        let vms = evaluate_inventory(&env.inventory, &options.ports);
        let plans = remediation::plan_environment(&env.inventory, &options.ports);
        // Every environment's policies: a VM declared in one template may be listed by the
        // policy another input holds for its resource group, and the document replaces that one.
        (vms, plans, env.inventory.jit_policies)
    });
    let mut vms = Vec::new();
    let mut plans = Vec::new();
    let mut existing: Vec<JitPolicy> = Vec::new();
    for (v, p, j) in run.outputs {
        vms.extend(v);
        plans.extend(p);
        existing.extend(j);
    }
    plans.sort_by(|a, b| (&a.vm_name, &a.source, &a.vm_id).cmp(&(&b.vm_name, &b.source, &b.vm_id)));
    let inputs = run.inputs;
    PolicyOutput {
        policies: document::suggest(&vms, &existing, &options.config.policy),
        plans,
        unhealthy_vms: vms
            .iter()
            .filter(|vm| vm.classification.value == Classification::Unhealthy)
            .count(),
        inputs,
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
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
    out.push_str("## Suggested JIT policies\n\nA PUT of a JIT policy replaces its whole list of VMs: read each note before deploying.\n\n");
    for policy in &output.policies {
        let _ = writeln!(
            out,
            "- PUT {}: {} VM(s) in the document, {} added: {}\n  - {}",
            document::rest_path_escaped(policy, markdown),
            policy.entries.len(),
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
                .join("; "),
            markdown(&merge::note(policy))
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
