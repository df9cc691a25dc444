//! FINDINGS, after the rules: each finding's fingerprint, and its state against a baseline (a
//! previous JSON report or SARIF log of jitscan): `new` or `unchanged`.
//!
//! Exists so a pull request's gate fails only on what the pull request changed. A fingerprint
//! must therefore name the same finding across runs that differ in what a pull request does
//! not change: the lines around it, the directory jitscan runs in, the scan root's own path,
//! and the deployment context given on the command line (`--subscription-id`,
//! `--resource-group`). It is the sha256 of the rule id, the VM's resource id with that
//! context's prefix taken off and lowercased (Azure ids are case-insensitive), the port, and the
//! declaring file's path relative to the scan root it was found under. Nothing here reads files
//! or writes anywhere: `main.rs` reads the baseline's text and hands it over.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::arm::context::DeploymentContext;
use crate::load::display_path;
pub use crate::rules::BaselineState;
use crate::rules::Finding;

/// Key of the fingerprint in SARIF `partialFingerprints`; bump the version if its recipe
/// changes (v1 hashed the VM's full id and the file's path from the working directory).
pub const FINGERPRINT_KEY: &str = "jitscan/v2";

/// The fingerprints of a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// How many findings the baseline holds.
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// True when the baseline holds no finding (a clean base branch).
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

/// Sets every finding's fingerprint; `roots` are the paths the scan was given.
pub fn assign(findings: &mut [Finding], roots: &[PathBuf], context: &DeploymentContext) {
    let roots: Vec<String> = roots
        .iter()
        .map(|r| root_prefix(&display_path(r)))
        .collect();
    for finding in findings {
        finding.fingerprint = fingerprint(finding, &roots, context);
    }
}

/// Marks each finding `new` or `unchanged`.
pub fn apply(findings: &mut [Finding], baseline: &Baseline) {
    for finding in findings {
        let known = baseline.fingerprints.contains(&finding.fingerprint);
        finding.baseline_state = Some(if known {
            BaselineState::Unchanged
        } else {
            BaselineState::New
        });
    }
}

/// Reads a baseline: a JSON report (`findings[].fingerprint`) or a SARIF log
/// (`runs[].results[].partialFingerprints["jitscan/v2"]`). An error says why it is not one,
/// including a log or report from a jitscan whose fingerprints are of another recipe.
pub fn read(text: &str) -> Result<Baseline, String> {
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("not JSON: {e}"))?;
    let found: Option<Vec<Option<&str>>> = if let Some(runs) = value.get("runs") {
        runs.as_array().map(|runs| {
            runs.iter()
                .flat_map(|run| run.get("results").and_then(Value::as_array).into_iter())
                .flatten()
                .map(|r| {
                    r.pointer(&format!(
                        "/partialFingerprints/{}",
                        pointer_token(FINGERPRINT_KEY)
                    ))
                })
                .map(|fp| fp.and_then(Value::as_str))
                .collect()
        })
    } else {
        value.get("findings").and_then(Value::as_array).map(|all| {
            all.iter()
                .map(|f| f.get("fingerprint").and_then(Value::as_str))
                .collect()
        })
    };
    let found = found.ok_or_else(|| {
        "neither a jitscan JSON report (no `findings` list) nor a SARIF log (no `runs` list)"
            .to_owned()
    })?;
    let fingerprints: Option<BTreeSet<String>> =
        found.into_iter().map(|fp| fp.map(str::to_owned)).collect();
    let fingerprints = fingerprints.ok_or_else(|| {
        format!("a finding has no `{FINGERPRINT_KEY}` fingerprint: the baseline was written by an older jitscan; write it again with this one")
    })?;
    Ok(Baseline { fingerprints })
}

/// `~` and `/` in a JSON pointer token.
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A root as a prefix of the display paths found under it: `""` for the working directory.
fn root_prefix(display: &str) -> String {
    let trimmed = display.trim_end_matches('/');
    if trimmed.is_empty() && display.starts_with('/') {
        return "/".to_owned();
    }
    match trimmed {
        "" | "." => String::new(),
        other => format!("{other}/"),
    }
}

/// The file's path from the scan root it was found under (the longest root that holds it); a
/// file given itself as a root is its own name.
fn relative_to_root(path: &str, roots: &[String]) -> String {
    let under = roots
        .iter()
        .filter_map(|root| {
            if root.is_empty() {
                (!path.starts_with('/')).then_some(path)
            } else if root.trim_end_matches('/') == path {
                Some(path.rsplit('/').next().unwrap_or(path))
            } else {
                path.strip_prefix(root.as_str())
            }
        })
        .min_by_key(|rest| rest.len());
    under.unwrap_or(path).to_owned()
}

/// The VM's id without the deployment context's subscription and resource group, lowercased.
fn portable_id(vm_id: &str, context: &DeploymentContext) -> String {
    let id = vm_id.to_ascii_lowercase();
    let subscription = format!(
        "/subscriptions/{}",
        context.subscription_id.to_ascii_lowercase()
    );
    let Some(rest) = id.strip_prefix(&subscription) else {
        return id;
    };
    let group = format!(
        "/resourcegroups/{}",
        context.resource_group.to_ascii_lowercase()
    );
    match rest.strip_prefix(&group) {
        Some(inside) if inside.is_empty() || inside.starts_with('/') => inside.to_owned(),
        _ if rest.is_empty() || rest.starts_with('/') => rest.to_owned(),
        _ => id,
    }
}

/// sha256 of rule, portable VM id, port and root-relative file: see the module's comment.
fn fingerprint(finding: &Finding, roots: &[String], context: &DeploymentContext) -> String {
    let port = finding
        .port
        .map_or_else(|| "-".to_owned(), |p| p.to_string());
    let file = relative_to_root(finding.location.path(), roots);
    let vm = portable_id(&finding.vm_id, context);
    let key = format!("{}\n{vm}\n{port}\n{file}", finding.rule.id);
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(given: &[&str]) -> Vec<String> {
        given.iter().map(|r| root_prefix(r)).collect()
    }

    #[test]
    fn paths_are_taken_from_the_root_they_were_found_under() {
        let r = roots(&["infra/", "../x/infra", "/abs/infra", "single.json", "."]);
        assert_eq!(relative_to_root("infra/a/vm.json", &r), "a/vm.json");
        assert_eq!(relative_to_root("../x/infra/a/vm.json", &r), "a/vm.json");
        assert_eq!(relative_to_root("/abs/infra/a/vm.json", &r), "a/vm.json");
        assert_eq!(relative_to_root("single.json", &r), "single.json");
        assert_eq!(relative_to_root("other/vm.json", &r), "other/vm.json");
        let file_root = roots(&["dir/one.json"]);
        assert_eq!(relative_to_root("dir/one.json", &file_root), "one.json");
        assert_eq!(
            relative_to_root("/elsewhere/x.json", &roots(&["."])),
            "/elsewhere/x.json"
        );
    }

    #[test]
    fn the_deployment_context_is_taken_off_ids_and_nothing_else() {
        let context = DeploymentContext {
            subscription_id: "SUB".to_owned(),
            resource_group: "rg".to_owned(),
            ..DeploymentContext::default()
        };
        let vm = "/providers/microsoft.compute/virtualmachines/vm1";
        assert_eq!(
            portable_id(
                &format!("/subscriptions/sub/resourceGroups/RG{vm}"),
                &context
            ),
            vm
        );
        // Another resource group (a nested deployment's) is the template's, not the flags'.
        assert_eq!(
            portable_id(
                &format!("/subscriptions/sub/resourceGroups/other{vm}"),
                &context
            ),
            format!("/resourcegroups/other{vm}")
        );
        // A prefix of a longer name is not the context's group.
        assert_eq!(
            portable_id(
                &format!("/subscriptions/sub/resourceGroups/rg2{vm}"),
                &context
            ),
            format!("/resourcegroups/rg2{vm}")
        );
        assert_eq!(
            portable_id(
                &format!("/subscriptions/sub2/resourceGroups/rg{vm}"),
                &context
            ),
            format!("/subscriptions/sub2/resourcegroups/rg{vm}")
        );
    }

    #[test]
    fn baselines_are_read_from_reports_and_logs_and_old_ones_are_refused() {
        let report =
            r#"{"schemaVersion": 4, "findings": [{"fingerprint": "a"}, {"fingerprint": "b"}]}"#;
        assert_eq!(read(report).unwrap().len(), 2);
        let log = r#"{"runs": [{"results": [{"partialFingerprints": {"jitscan/v2": "a"}}]}]}"#;
        assert_eq!(read(log).unwrap().len(), 1);
        let empty = r#"{"runs": [{"results": []}]}"#;
        assert!(read(empty).unwrap().is_empty());
        let old = r#"{"runs": [{"results": [{"partialFingerprints": {"jitscan/v1": "a"}}]}]}"#;
        assert!(read(old).unwrap_err().contains("older jitscan"));
        let old_report = r#"{"schemaVersion": 3, "findings": [{"ruleId": "JIT001"}]}"#;
        assert!(read(old_report).is_err());
        assert!(read("[]").is_err());
        assert!(read("{").unwrap_err().starts_with("not JSON"));
    }
}
