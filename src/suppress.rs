//! SUPPRESS: mark findings that the user has accepted, with the reason, never dropping them.
//!
//! Two sources: entries of `jitscan.yaml` (rule + resource id/name glob + reason + optional
//! expiry) and the Azure tag `jitscan-ignore: "<rule ids>: <reason>"` on the VM resource. A
//! pull request can add either to pass its own gate, so neither works without a reason: a
//! tag with none does not suppress and the finding says why. An expired entry no longer
//! applies and the finding says so. Pure: no I/O.

use crate::classify::VmResult;
use crate::config::{glob_match, Config, Date};
use crate::rules::{Finding, Suppression};

/// The tag that suppresses rules on a resource: `jitscan-ignore: "JIT001, JIT003: why"` (or
/// `*: why`).
pub const IGNORE_TAG: &str = "jitscan-ignore";

/// Applies suppressions to `findings` (of `vms`) as of `today`.
pub fn apply(findings: &mut [Finding], vms: &[VmResult], config: &Config, today: Date) {
    let config_name = config.path.as_ref().map_or_else(
        || "jitscan.yaml".to_owned(),
        |p| crate::load::display_path(p),
    );
    // Indexed: a lookup per finding over every VM would be quadratic on a big export.
    let by_vm: crate::map::Map<(&str, &str), &VmResult> = vms
        .iter()
        .rev()
        .map(|v| ((v.id.as_str(), v.name.as_str()), v))
        .collect();
    for finding in findings.iter_mut() {
        if let Some(vm) = by_vm.get(&(finding.vm_id.as_str(), finding.vm_name.as_str())) {
            match tag_suppression(vm, finding) {
                Some(Ok(tag)) => {
                    finding.suppression = Some(tag);
                    continue;
                }
                Some(Err(note)) => finding.suppression_notes.push(note),
                None => {}
            }
        }
        for entry in &config.suppressions {
            let rule_matches = entry.rule == "*"
                || entry.rule.eq_ignore_ascii_case(finding.rule.id)
                || entry.rule.eq_ignore_ascii_case(finding.rule.name);
            let resource_matches = glob_match(&entry.resource, &finding.vm_id)
                || glob_match(&entry.resource, &finding.vm_name);
            if !(rule_matches && resource_matches) {
                continue;
            }
            match entry.expires {
                Some(expiry) if expiry < today => finding.suppression_notes.push(format!(
                    "the suppression at {config_name} line {} expired on {expiry} and no longer applies",
                    entry.line
                )),
                _ => {
                    let until = entry.expires.map(|d| format!(", until {d}")).unwrap_or_default();
                    finding.suppression = Some(Suppression {
                        kind: "config",
                        reason: format!("{} ({config_name} line {}{until})", entry.reason, entry.line),
                    });
                    break;
                }
            }
        }
    }
}

/// The VM's `jitscan-ignore` tag for this finding: None when the tag does not name its rule;
/// Err (a note for the finding) when it names it without a reason.
fn tag_suppression(vm: &VmResult, finding: &Finding) -> Option<Result<Suppression, String>> {
    let (_, value) = vm
        .tags
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(IGNORE_TAG))?;
    let (rules, reason) = value.split_once(':').unwrap_or((value, ""));
    let listed = rules
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .any(|r| {
            r == "*"
                || r.eq_ignore_ascii_case("all")
                || r.eq_ignore_ascii_case(finding.rule.id)
                || r.eq_ignore_ascii_case(finding.rule.name)
        });
    if !listed {
        return None;
    }
    let reason = reason.trim();
    Some(if reason.is_empty() {
        Err(format!(
            "the Azure tag {IGNORE_TAG} on the resource names {} without a reason, so it does not suppress it; write `{}: <why it is accepted>`",
            finding.rule.id, finding.rule.id
        ))
    } else {
        Ok(Suppression {
            kind: "tag",
            reason: format!("{reason} (Azure tag {IGNORE_TAG} on the resource)"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_compare() {
        assert_eq!(Date::parse("2026-02-29"), None);
        assert_eq!(
            Date::parse("2028-02-29").map(|d| d.to_string()),
            Some("2028-02-29".to_owned())
        );
        assert!(Date::parse("2026-11-24").unwrap() < Date::parse("2026-12-01").unwrap());
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_416).to_string(),
            "2025-11-24"
        );
    }
}
