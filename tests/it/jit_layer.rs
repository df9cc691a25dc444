//! JIT's own layer (JIT008-JIT011) through the binary: the configured duration limit and level
//! overrides (`findings:` in jitscan.yaml) change what JIT011 says and how loud it is.

use serde_json::Value;

use crate::support::{jitscan, Run};

fn scan(args: &[&str]) -> Value {
    let ran = jitscan()
        .args([
            "scan",
            "fixtures/jit/export-live",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(args)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    serde_json::from_str(&ran.stdout_text()).unwrap()
}

fn jit011(report: &Value, vm: &str) -> Option<Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT011" && f["vmName"] == vm)
        .cloned()
}

#[test]
fn the_duration_limit_and_levels_come_from_the_config() {
    // Default limit PT3H: vm-weak's PT24H is too long; vm-rules-wiped's PT2H is not.
    let default = scan(&["--no-config"]);
    let weak = jit011(&default, "vm-weak").expect("JIT011 on vm-weak");
    assert_eq!(weak["level"], "note");
    assert!(weak["message"]
        .as_str()
        .unwrap()
        .contains("longer than the limit PT3H"));
    assert!(jit011(&default, "vm-rules-wiped").is_none());

    // A limit of one hour makes vm-rules-wiped's PT2H too long, and the level is raised.
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("jitscan.yaml");
    std::fs::write(
        &config,
        "findings:\n  jitMaxRequestDuration: PT1H\n  levels:\n    jit-policy-weak: warning\n",
    )
    .unwrap();
    let strict = scan(&["--config", config.to_str().unwrap()]);
    let wiped = jit011(&strict, "vm-rules-wiped").expect("JIT011 on vm-rules-wiped under PT1H");
    assert_eq!(wiped["level"], "warning");
    let message = wiped["message"].as_str().unwrap();
    assert!(message.contains("longer than the limit PT1H"), "{message}");
    assert!(message.contains("port 3389 PT2H"), "{message}");
    // Other rules keep their levels.
    let jit009 = strict["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT009")
        .unwrap();
    assert_eq!(jit009["level"], "warning");
    let jit008 = strict["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "JIT008")
        .unwrap();
    assert_eq!(jit008["level"], "error");
}

fn html(path: &str) -> String {
    let ran = jitscan()
        .args([
            "scan",
            path,
            "--format",
            "html",
            "--fail-on",
            "never",
            "--as-of",
            "2026-12-08",
            "--no-config",
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    ran.stdout_text()
}

/// The suggested fix of a JIT-covered VM says what defeats JIT rather than "no change needed"
/// (fixtures/jit, worked out in fixtures/expected/jit-*.yaml): in export-live only vm-weak has
/// nothing open, nothing missing and no inline rule list (its weaknesses are JIT011's notes);
/// in the template, vm-child's NSG keeps its rule as a child resource, vm-inline's does not.
#[test]
fn the_fix_of_a_jit_vm_names_what_defeats_jit() {
    let live = html("fixtures/jit/export-live");
    assert_eq!(
        live.matches("No change needed: JIT policy").count(),
        1,
        "only vm-weak"
    );
    assert_eq!(
        live.matches("still open to the Internet: JIT places its deny rules after")
            .count(),
        3
    );
    assert_eq!(
        live.matches(" again so JIT writes its deny rules back (ports 3389, 5985, 5986 have none")
            .count(),
        1
    );
    let template = html("fixtures/jit/iac-inline-rules-beside-policy.json");
    assert_eq!(
        template.matches("No change needed: JIT policy").count(),
        1,
        "only vm-child"
    );
    assert_eq!(
        template
            .matches("out of its inline securityRules into child resources")
            .count(),
        1
    );
}

/// The table names the findings a JIT-covered VM's classification does not show: its reason
/// says only that a policy covers it (fixtures/jit/export-live, worked out in its expected file).
#[test]
fn the_table_names_what_defeats_jit_under_a_healthy_classification() {
    let ran = jitscan()
        .args([
            "scan",
            "fixtures/jit/export-live",
            "--no-config",
            "--as-of",
            "2026-12-08",
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let text = ran.stdout_text();
    let after = |vm: &str| -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("{vm} (healthy)")))
            .unwrap_or_else(|| panic!("no line for {vm} in:\n{text}"));
        lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with("    "))
            .map(|l| l.trim().to_owned())
            .collect()
    };
    let ahead = after("vm-allow-ahead");
    assert_eq!(ahead.len(), 1, "{ahead:?}");
    assert!(ahead[0].starts_with("JIT008 error: "), "{ahead:?}");
    assert!(
        ahead[0].contains("'allow-ssh-legacy' (priority 100)"),
        "{ahead:?}"
    );
    let wiped = after("vm-rules-wiped");
    assert!(
        wiped[0].starts_with("JIT009 warning: ") && wiped[0].contains("ports 3389, 5985, 5986"),
        "{wiped:?}"
    );
    // vm-weak has notes only (JIT011): no line of its own.
    assert!(!text.contains("vm-weak (healthy)"), "{text}");
}
