//! `jitscan policy` through the real binary: the inputs' problems reported as `scan` reports
//! them.

use std::path::Path;

use assert_cmd::Command;

use super::root;

/// The template with one unhealthy VM (SSH open to any, public IP).
const OPEN_VM: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";

fn policy(paths: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("jitscan")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(root())
        .arg("policy")
        .args(paths)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn policy_reports_a_broken_input_and_still_plans_for_the_good_one() {
    let inputs = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(OPEN_VM), inputs.path().join("good.json")).unwrap();
    std::fs::write(
        inputs.path().join("broken.json"),
        "{\n  \"resources\": [\n    {\"type\": \"x\",,}\n  ]\n}\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = policy(&[inputs.path()], &out.path().join("plan"), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("jitscan::input::malformed-json"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.json:3:18"), "{stderr}");
    assert!(
        stderr.contains("1 error(s), 0 warning(s) in the inputs"),
        "{stderr}"
    );
    let md = std::fs::read_to_string(out.path().join("plan/remediation.md")).unwrap();
    assert!(md.contains("### vm\\-ssh\\-open (proven)"), "{md}");
}

#[test]
fn policy_on_a_folder_with_nothing_to_scan_exits_2() {
    let inputs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = policy(&[inputs.path()], &out.path().join("plan"), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: no input was scanned (0 found"),
        "{stderr}"
    );
    // A folder of files jitscan does not read checked nothing either.
    std::fs::write(inputs.path().join("notes.txt"), "not an input").unwrap();
    let output = policy(&[inputs.path()], &out.path().join("plan2"), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: no input was scanned (1 found: 1 skipped, 0 failed)"),
        "{stderr}"
    );
}
