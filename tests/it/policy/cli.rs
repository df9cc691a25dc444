//! `jitscan policy` through the real binary: what it prints (a few lines, not the plan), the
//! out folder (never written into when it holds something, unless --force; then only
//! jitscan's own files replaced; never written through a link), and the inputs' problems
//! reported as `scan` reports them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{policy, root};

/// The template with one unhealthy VM (SSH open to any, public IP).
const OPEN_VM: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";

/// Every file under `dir` (links not followed) with its bytes, or `->target` for a link.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                files.insert(relative, format!("->{}", target.display()).into_bytes());
            } else if meta.is_dir() {
                files.insert(relative, b"<dir>".to_vec());
                pending.push(path);
            } else {
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn policy_prints_a_short_summary_and_leaves_the_plan_to_remediation_md() {
    let out = tempfile::tempdir().unwrap();
    let output = policy(&[&root().join("fixtures/arm")], out.path(), &[]);
    assert!(matches!(output.code, 0 | 1));
    let stdout = output.stdout_text();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() < 15, "{stdout}");
    assert!(
        !lines.iter().any(|l| l.starts_with('#')),
        "no Markdown heading on the terminal: {stdout}"
    );
    assert!(
        !stdout.contains("vm-web-0"),
        "no per-VM plan on the terminal: {stdout}"
    );
    // The fixtures hold VMs whose plans are proven and one whose input is incomplete.
    let counts = lines
        .iter()
        .find(|l| l.contains("unhealthy VM(s)"))
        .unwrap();
    assert!(
        counts.contains(" proven, ") && counts.ends_with(" not proven"),
        "{counts}"
    );
    assert!(
        stdout.contains("suggested JIT policy document(s)"),
        "{stdout}"
    );
    let remediation = out.path().join("remediation.md");
    assert!(
        stdout.contains(&format!("Read {}", remediation.display())),
        "{stdout}"
    );
    let written = tree(out.path()).values().filter(|v| *v != b"<dir>").count();
    assert!(
        stdout.contains(&format!(
            "Wrote {written} file(s) to {}",
            out.path().display()
        )),
        "{stdout}"
    );
    // The whole plan is in the file.
    let md = std::fs::read_to_string(remediation).unwrap();
    assert!(md.contains("### vm\\-web\\-0 (JIT001, proven)"), "{md}");
}

#[test]
fn a_folder_that_holds_anything_is_refused_without_force_and_left_untouched() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("notes.txt"), "mine").unwrap();
    std::fs::write(out.path().join("remediation.md"), "an earlier plan").unwrap();
    let before = tree(out.path());
    let output = policy(&[&root().join(OPEN_VM)], out.path(), &[]);
    assert_eq!(output.code, 2);
    let stderr = &output.stderr;
    assert!(
        stderr.contains("is not empty") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{}", output.stdout_text());
    assert_eq!(tree(out.path()), before);
}

#[test]
fn force_replaces_jitscans_stale_files_and_keeps_everything_else() {
    let out = tempfile::tempdir().unwrap();
    let policies = out.path().join("jit-policies");
    std::fs::create_dir_all(out.path().join("sub")).unwrap();
    std::fs::create_dir(&policies).unwrap();
    let stale = [
        "jit-policies/00000000-old-rg-westus.template.json",
        "jit-policies/00000000-old-rg-westus.rest.json",
    ];
    for name in stale {
        std::fs::write(out.path().join(name), "stale").unwrap();
    }
    std::fs::write(out.path().join("remediation.json"), "stale").unwrap();
    std::fs::write(out.path().join("remediation.md"), "stale").unwrap();
    let kept = [
        "notes.txt",
        "remediation.md.bak",
        "sub/remediation.md",
        "jit-policies/README.txt",
        "jit-policies/policy.template.json.orig",
    ];
    for name in kept {
        std::fs::write(out.path().join(name), "mine").unwrap();
    }
    let output = policy(&[&root().join(OPEN_VM)], out.path(), &["--force"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let after = tree(out.path());
    for name in stale {
        assert!(!after.contains_key(Path::new(name)), "{name} survived");
    }
    for name in kept {
        assert_eq!(after.get(Path::new(name)).unwrap(), b"mine", "{name}");
    }
    // Markdown escapes the name's dashes; JSON keeps it verbatim.
    for (name, vm) in [
        ("remediation.json", "vm-ssh-open"),
        ("remediation.md", "vm\\-ssh\\-open"),
    ] {
        let fresh = text(after.get(Path::new(name)).unwrap());
        assert!(fresh.contains(vm), "{name}: {fresh}");
    }
    let documents = after
        .keys()
        .filter(|p| p.starts_with("jit-policies") && p.to_string_lossy().ends_with(".json"))
        .count();
    assert_eq!(documents, 2, "{:?}", after.keys());
}

#[cfg(unix)]
#[test]
fn a_link_in_the_out_folder_is_never_written_through() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("x");
    std::fs::write(&target, "outside").unwrap();
    let outside_dir = outside.path().join("policies");
    std::fs::create_dir(&outside_dir).unwrap();
    let out = tempfile::tempdir().unwrap();
    symlink(&target, out.path().join("remediation.md")).unwrap();
    symlink(&target, out.path().join("remediation.json")).unwrap();
    symlink(&outside_dir, out.path().join("jit-policies")).unwrap();

    // Without --force: refused, the links stay.
    let before = tree(out.path());
    let output = policy(&[&root().join(OPEN_VM)], out.path(), &[]);
    assert_eq!(output.code, 2);
    assert_eq!(tree(out.path()), before);

    // With --force: the links are removed, not their targets, and the files written in place.
    let output = policy(&[&root().join(OPEN_VM)], out.path(), &["--force"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "outside");
    assert_eq!(std::fs::read_dir(&outside_dir).unwrap().count(), 0);
    for name in ["remediation.md", "remediation.json", "jit-policies"] {
        let meta = std::fs::symlink_metadata(out.path().join(name)).unwrap();
        assert!(!meta.file_type().is_symlink(), "{name} is still a link");
    }
    assert!(std::fs::read_to_string(out.path().join("remediation.json"))
        .unwrap()
        .contains("vm-ssh-open"));
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
    assert_eq!(output.code, 2);
    let stderr = &output.stderr;
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
    assert!(md.contains("### vm\\-ssh\\-open (JIT001, proven)"), "{md}");
    assert!(output.stdout_text().contains("1 unhealthy VM(s)"));
}

#[test]
fn policy_on_a_folder_with_nothing_to_scan_exits_2() {
    let inputs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = policy(&[inputs.path()], &out.path().join("plan"), &[]);
    assert_eq!(output.code, 2);
    let stderr = &output.stderr;
    assert!(
        stderr.contains("error: no input was scanned (0 found"),
        "{stderr}"
    );
    // A folder of files jitscan does not read checked nothing either.
    std::fs::write(inputs.path().join("notes.txt"), "not an input").unwrap();
    let output = policy(&[inputs.path()], &out.path().join("plan2"), &[]);
    assert_eq!(output.code, 2);
    let stderr = &output.stderr;
    assert!(
        stderr.contains("error: no input was scanned (1 found: 1 skipped, 0 failed)"),
        "{stderr}"
    );
}
