//! `--quiet` prints only the summary and errors (a CI log that stays short), and `--no-color`
//! is accepted before or after the subcommand. Whether colour would be used on a terminal is
//! unit-tested beside its decision in src/main.rs (the tests run without a terminal).

use crate::support::{jitscan, root, Run};

/// A linked template that is not available offline: one warning (fixtures/linked/main.json).
const WARNS: &str = "fixtures/linked/main.json";
/// Unhealthy: 'allow-ssh-any' admits TCP 22 from any source to a NIC with a public IP.
const SSH_OPEN: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";

#[test]
fn quiet_prints_the_summary_and_errors_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(WARNS), dir.path().join("main.json")).unwrap();
    std::fs::copy(root().join(SSH_OPEN), dir.path().join("ssh.json")).unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"resources\": [\n    {,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("main.bicep"), "param x string\n").unwrap();
    let loud = jitscan().current_dir(dir.path()).args(["scan", "."]).run();
    let quiet = jitscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--quiet"])
        .run();
    // Same verdict and exit code (2: broken.json could not be read).
    assert_eq!((loud.code, quiet.code), (2, 2), "{}", quiet.stderr);
    // Without --quiet: the table, the warning and the note about the Bicep file.
    assert!(loud.stdout_text().contains("CLASSIFICATION"));
    assert!(
        loud.stderr.contains("not available offline"),
        "{}",
        loud.stderr
    );
    assert!(
        loud.stderr.contains("main.bicep was not scanned"),
        "{}",
        loud.stderr
    );
    // With it: the summary lines of the table, nothing else on stdout ...
    let out = quiet.stdout_text();
    let summary_start = out.lines().next().unwrap();
    assert!(summary_start.contains(" VMs: "), "{out}");
    assert!(
        !out.contains("CLASSIFICATION") && !out.contains("port cells"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(loud.stdout_text().ends_with(&out), "the same summary");
    // ... and on stderr the error, without the warning or the note.
    assert!(quiet.stderr.contains("malformed-json"), "{}", quiet.stderr);
    assert!(
        !quiet.stderr.contains("not available offline"),
        "{}",
        quiet.stderr
    );
    assert!(
        !quiet.stderr.contains("was not scanned"),
        "{}",
        quiet.stderr
    );
    assert!(
        quiet.stderr.contains("1 error(s), 0 warning(s)"),
        "{}",
        quiet.stderr
    );
}

#[test]
fn quiet_leaves_reports_written_to_files_whole() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("table.txt");
    let ran = jitscan()
        .args(["scan", SSH_OPEN, "-q", "--format", "table", "--output"])
        .arg(&table)
        .arg("--format")
        .arg("table")
        .run();
    assert_eq!(ran.code, 1, "the exposure still fails the gate");
    let written = std::fs::read_to_string(&table).unwrap();
    assert!(written.contains("CLASSIFICATION"), "{written}");
    assert!(!ran.stdout_text().contains("CLASSIFICATION"));
    assert!(ran.stdout_text().starts_with("1 VMs: 1 unhealthy"));
}

#[test]
fn no_color_is_accepted_anywhere_and_the_output_has_no_escapes() {
    for args in [
        vec!["--no-color", "scan", SSH_OPEN],
        vec!["scan", SSH_OPEN, "--no-color"],
    ] {
        let ran = jitscan().env_remove("NO_COLOR").args(&args).run();
        assert_eq!(ran.code, 1, "{args:?}: {}", ran.stderr);
        assert!(!ran.stdout.contains(&0x1b), "{args:?}");
    }
    let dumb = jitscan()
        .env_remove("NO_COLOR")
        .env("TERM", "dumb")
        .args(["scan", WARNS])
        .run();
    assert!(!dumb.stderr.contains('\u{1b}'));
}
