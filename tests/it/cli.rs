//! The real binary: exit codes, formats, output files, bad input.

use predicates::prelude::*;

use crate::support::jitscan;

#[test]
fn unhealthy_vm_exits_1_and_names_the_rule() {
    jitscan()
        .args(["scan", "fixtures/arm/ssh-open-to-any-with-public-ip.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unhealthy"))
        .stdout(predicate::str::contains("22 (SSH)"));
}

#[test]
fn healthy_vm_exits_0() {
    jitscan()
        .args(["scan", "fixtures/arm/nsg-closed-healthy.json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("healthy"));
}

#[test]
fn fail_on_never_exits_0_and_exposed_is_stricter() {
    jitscan()
        .args([
            "scan",
            "fixtures/arm/ssh-open-to-any-with-public-ip.json",
            "--fail-on",
            "never",
        ])
        .assert()
        .code(0);
    // Not applicable (no NSG) but reachable: only --fail-on exposed fails it.
    jitscan()
        .args([
            "scan",
            "fixtures/arm/no-nsg-with-public-ip-not-applicable.json",
        ])
        .assert()
        .code(0);
    jitscan()
        .args([
            "scan",
            "fixtures/arm/no-nsg-with-public-ip-not-applicable.json",
            "--fail-on",
            "exposed",
        ])
        .assert()
        .code(1);
}

#[test]
fn json_output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report with space.json");
    jitscan()
        .args([
            "scan",
            "fixtures/arm/nsg-closed-healthy.json",
            "--format",
            "json",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["schemaVersion"], 5);
    assert_eq!(report["vms"][0]["classification"], "healthy");
}

#[test]
fn a_broken_file_fails_with_2_and_the_others_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "fixtures/arm/nsg-closed-healthy.json",
        dir.path().join("good.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"resources\": [\n    {\"type\": \"x\",,}\n  ]\n}\n",
    )
    .unwrap();
    let assert = jitscan()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(2);
    let output = assert.get_output();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let inputs = report["inputs"].as_array().unwrap();
    let broken = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("broken.json"))
        .unwrap();
    assert_eq!(broken["status"], "failed");
    let diagnostic = &broken["diagnostics"][0];
    assert_eq!(diagnostic["code"], "jitscan::input::malformed-json");
    assert_eq!(
        (diagnostic["line"].as_u64(), diagnostic["column"].as_u64()),
        (Some(3), Some(18))
    );
    assert_eq!(
        report["summary"]["vms"], 1,
        "the good file is still scanned"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("jitscan::input::malformed-json"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.json:3:18"), "{stderr}");
}

#[test]
fn missing_path_and_bad_usage_exit_2() {
    jitscan()
        .args(["scan", "does/not/exist.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("jitscan::input::unreadable"));
    jitscan().args(["scan"]).assert().code(2);
    jitscan()
        .args(["scan", "fixtures/arm", "--ports", "0"])
        .assert()
        .code(2);
}

#[test]
fn refuses_to_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.json");
    std::fs::copy("fixtures/arm/nsg-closed-healthy.json", &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    jitscan()
        .args(["scan", "--format", "json", "--output"])
        .arg(&input)
        .arg(&input)
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn schema_command_prints_the_schema() {
    jitscan()
        .arg("schema")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"schemaVersion\""));
}

/// `explain` reads its inputs as `scan` does and reports their problems the same way: a
/// broken file beside the VM's template is shown (and fails the run) while the VM is still
/// explained; a folder with nothing to scan is an error, not an empty answer.
#[test]
fn explain_reports_a_broken_input_and_still_explains_the_vm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "fixtures/arm/ssh-open-to-any-with-public-ip.json",
        dir.path().join("good.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"resources\": [\n    {\"type\": \"x\",,}\n  ]\n}\n",
    )
    .unwrap();
    let assert = jitscan()
        .arg("explain")
        .arg(dir.path())
        .args(["--vm", "vm-ssh-open"])
        .assert()
        .code(2);
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("VM vm-ssh-open ("), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("jitscan::input::malformed-json"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.json:3:18"), "{stderr}");
    assert!(
        stderr.contains("1 error(s), 0 warning(s) in the inputs"),
        "{stderr}"
    );

    // Without the broken file: the same explanation, and success.
    std::fs::remove_file(dir.path().join("broken.json")).unwrap();
    jitscan()
        .arg("explain")
        .arg(dir.path())
        .args(["--vm", "vm-ssh-open"])
        .assert()
        .code(0)
        .stderr(predicate::str::is_empty());

    let empty = tempfile::tempdir().unwrap();
    jitscan()
        .arg("explain")
        .arg(empty.path())
        .args(["--vm", "vm-ssh-open"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: no input was scanned"));
}
