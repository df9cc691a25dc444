//! POLICY: the few lines `jitscan policy` prints on a terminal or a CI log.
//!
//! remediation.md holds the whole plan, a section per VM: thousands of lines on a big
//! estate, which buried the counts a reader (or a CI log) needs first. The terminal gets the
//! counts, what was written where, and which file to read. Builds text only (`main` prints it
//! through its CI-log guard); the one value that reaches it from outside, the out folder's
//! path, goes through [`terminal`], so it cannot start a line of its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::out_dir::{POLICIES_DIR, REMEDIATION_MD};
use super::remediation::Proof;
use super::PolicyOutput;
use crate::escape::terminal;

/// The summary `jitscan policy` prints: unhealthy VMs, plans proven and not proven, policy
/// documents, the files `written` under `dir`, and where to read the plan.
pub fn terminal_summary(output: &PolicyOutput, dir: &Path, written: &[PathBuf]) -> String {
    let mut out = String::new();
    let proven = output
        .plans
        .iter()
        .filter(|p| p.proof == Proof::Proven)
        .count();
    let not_proven = output.plans.len() - proven;
    if output.unhealthy_vms == 0 && output.plans.is_empty() {
        out.push_str("No unhealthy VM: nothing to remediate.\n");
    } else {
        let _ = writeln!(
            out,
            "{} unhealthy VM(s); remediation plans for {}: {proven} proven, {not_proven} not proven",
            output.unhealthy_vms,
            output.plans.len()
        );
    }
    let _ = writeln!(
        out,
        "{} suggested JIT policy document(s) in {POLICIES_DIR}/, each as an ARM template and a REST request",
        output.policies.len()
    );
    let _ = writeln!(
        out,
        "Wrote {} file(s) to {}",
        written.len(),
        terminal(&dir.display().to_string())
    );
    let review = if not_proven > 0 {
        "every change, and why a plan is not proven"
    } else {
        "every change, and its proof"
    };
    let _ = writeln!(
        out,
        "Read {} for {review}.",
        terminal(&dir.join(REMEDIATION_MD).display().to_string())
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::remediation::VmPlan;

    fn plan(proof: Proof) -> VmPlan {
        VmPlan {
            vm_id: "id".to_owned(),
            vm_name: "vm\n### forged".to_owned(),
            source: "t.json".to_owned(),
            finding: "JIT001",
            changes: Vec::new(),
            collateral: Vec::new(),
            notes: Vec::new(),
            proof,
        }
    }

    #[test]
    fn counts_files_and_the_plan_to_read_on_a_few_lines() {
        let output = PolicyOutput {
            policies: Vec::new(),
            plans: vec![plan(Proof::Proven), plan(Proof::NotProven("x".to_owned()))],
            unhealthy_vms: 3,
            inputs: Vec::new(),
        };
        let dir = Path::new("out\n::error::x");
        let text = terminal_summary(&output, dir, &[dir.join("a"), dir.join("b")]);
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text
            .starts_with("3 unhealthy VM(s); remediation plans for 2: 1 proven, 1 not proven\n"));
        assert!(
            text.contains("Wrote 2 file(s) to out\\u{a}::error::x\n"),
            "{text}"
        );
        assert!(text.contains("remediation.md for every change, and why a plan is not proven"));
        assert!(!text.contains("forged"), "no VM name is printed: {text}");
    }

    #[test]
    fn nothing_to_remediate_says_so() {
        let output = PolicyOutput {
            policies: Vec::new(),
            plans: Vec::new(),
            unhealthy_vms: 0,
            inputs: Vec::new(),
        };
        let text = terminal_summary(&output, Path::new("out"), &[]);
        assert!(
            text.starts_with("No unhealthy VM: nothing to remediate.\n"),
            "{text}"
        );
    }
}
