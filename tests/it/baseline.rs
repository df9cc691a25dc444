//! `--baseline`: a pull request's gate fails only on findings the base branch did not have.
//! Fingerprints name a finding across runs that differ in what a pull request does not change
//! (lines moved, the working directory, the scan root's path, `--subscription-id` and
//! `--resource-group`), and change with what it does (another VM, file, port or rule).

use std::path::Path;

use serde_json::Value;

use crate::support::{jitscan, root, Ran, Run};

/// Unhealthy: the NIC NSG's 'allow-ssh-any' admits TCP 22 from any source and the NIC has a
/// public IP (JIT001, exit 1 without a baseline).
const SSH_OPEN: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";
/// Unhealthy: the subnet NSG allows 3389 from the Internet tag (another VM, another file).
const RDP_OPEN: &str = "fixtures/arm/rdp-open-to-internet-tag-subnet-nsg.json";

fn copy(fixture: &str, to: &Path) {
    std::fs::copy(root().join(fixture), to).unwrap();
}

/// Scans `target` from `cwd` with `args`, JSON report on stdout.
fn scan_in(cwd: &Path, target: &str, args: &[&str]) -> Ran {
    jitscan()
        .current_dir(cwd)
        .args(["scan", target, "--format", "json"])
        .args(args)
        .run()
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// (fingerprint, baseline state) of each finding, sorted.
fn states(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = findings(report)
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap().to_owned(),
                f["baselineState"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn fingerprints(report: &Value) -> Vec<String> {
    states(report).into_iter().map(|(fp, _)| fp).collect()
}

/// Writes `report` as a baseline file and returns its path as a string.
fn write_baseline(dir: &Path, report: &Value) -> String {
    let path = dir.join("base.json");
    std::fs::write(&path, serde_json::to_string(report).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn an_old_exposure_passes_with_a_baseline_and_a_new_one_fails() {
    let work = tempfile::tempdir().unwrap();
    let infra = work.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    copy(SSH_OPEN, &infra.join("a.json"));
    let base = scan_in(work.path(), "infra", &[]);
    assert_eq!(base.code, 1, "the exposure fails without a baseline");
    let baseline = write_baseline(work.path(), &base.report);

    // The same tree against its own baseline: every finding unchanged, the gate passes.
    let same = scan_in(work.path(), "infra", &["--baseline", &baseline]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(states(&same.report).iter().all(|(_, s)| s == "unchanged"));

    // A pull request adds a second VM with RDP open: only its findings are new, and they fail.
    copy(RDP_OPEN, &infra.join("b.json"));
    let pr = scan_in(work.path(), "infra", &["--baseline", &baseline]);
    assert_eq!(pr.code, 1, "{}", pr.stderr);
    for f in findings(&pr.report) {
        let file = f["source"]["path"].as_str().unwrap();
        let expected = if file.ends_with("a.json") {
            "unchanged"
        } else {
            "new"
        };
        assert_eq!(f["baselineState"], expected, "{f}");
    }
    assert!(findings(&pr.report)
        .iter()
        .any(|f| f["baselineState"] == "new"));
    // Without the baseline the old exposure still fails: the baseline hides nothing else.
    assert!(states(&scan_in(work.path(), "infra", &[]).report)
        .iter()
        .all(|(_, s)| s == "-"));
}

#[test]
fn a_sarif_log_is_a_baseline_too_and_results_carry_baseline_state() {
    let work = tempfile::tempdir().unwrap();
    let infra = work.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    copy(SSH_OPEN, &infra.join("a.json"));
    let sarif_path = work.path().join("base.sarif");
    let sarif = sarif_path.to_string_lossy().into_owned();
    let base = jitscan()
        .current_dir(work.path())
        .args(["scan", "infra", "--format", "sarif", "--output", &sarif])
        .run();
    assert_eq!(base.code, 1);
    copy(RDP_OPEN, &infra.join("b.json"));
    let pr = jitscan()
        .current_dir(work.path())
        .args(["scan", "infra", "--format", "sarif", "--baseline", &sarif])
        .run();
    assert_eq!(pr.code, 1, "{}", pr.stderr);
    let results = pr.report["runs"][0]["results"].as_array().unwrap();
    let mut seen = (0, 0);
    for r in results {
        let uri = r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .or(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
            .unwrap();
        match r["baselineState"].as_str().unwrap() {
            "unchanged" => {
                assert!(uri.ends_with("a.json"), "{r}");
                seen.0 += 1;
            }
            "new" => {
                assert!(uri.ends_with("b.json"), "{r}");
                seen.1 += 1;
            }
            other => panic!("baselineState {other}"),
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
    // Without a baseline, no result claims a state.
    let plain = jitscan()
        .current_dir(work.path())
        .args(["scan", "infra", "--format", "sarif", "--fail-on", "never"])
        .run();
    let results = plain.report["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r.get("baselineState").is_none()));
}

#[test]
fn fingerprints_survive_moved_lines_another_working_directory_and_another_context() {
    let work = tempfile::tempdir().unwrap();
    let infra = work.path().join("repo/infra");
    std::fs::create_dir_all(&infra).unwrap();
    copy(SSH_OPEN, &infra.join("a.json"));
    let base = scan_in(work.path(), "repo/infra", &[]);
    let expected = fingerprints(&base.report);
    assert!(!expected.is_empty());

    // Lines inserted above the VM and its rule, scanned from inside the root, from a sibling
    // folder through `..`, by absolute path, with a trailing slash, and with another
    // subscription and resource group for the template's deployment context.
    let text = std::fs::read_to_string(infra.join("a.json")).unwrap();
    std::fs::write(infra.join("a.json"), format!("\n\n\n{text}")).unwrap();
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let absolute = infra.to_string_lossy().into_owned();
    let runs = [
        scan_in(&infra, ".", &[]),
        scan_in(&elsewhere, "../repo/infra", &[]),
        scan_in(&elsewhere, &absolute, &[]),
        scan_in(work.path(), "repo/infra/", &[]),
        scan_in(
            work.path(),
            "repo/infra",
            &[
                "--subscription-id",
                "11111111-2222-3333-4444-555555555555",
                "--resource-group",
                "rg-other",
            ],
        ),
    ];
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(
            fingerprints(&run.report),
            expected,
            "run {i}: {}",
            run.stderr
        );
    }
    // Every run's report is a baseline the others pass against.
    let baseline = write_baseline(work.path(), &runs[2].report);
    assert_eq!(scan_in(&infra, ".", &["--baseline", &baseline]).code, 0);
}

#[test]
fn fingerprints_tell_files_vms_and_ports_apart() {
    // The same template in two files is two findings (two deployments), not one.
    let work = tempfile::tempdir().unwrap();
    copy(SSH_OPEN, &work.path().join("a.json"));
    copy(SSH_OPEN, &work.path().join("b.json"));
    let run = scan_in(work.path(), ".", &[]);
    let mut fps = fingerprints(&run.report);
    let total = fps.len();
    assert_eq!(
        total,
        2 * fingerprints(&scan_in(work.path(), "a.json", &[]).report).len()
    );
    fps.dedup();
    assert_eq!(fps.len(), total);
}

#[test]
fn an_unusable_baseline_stops_the_scan() {
    let work = tempfile::tempdir().unwrap();
    copy(SSH_OPEN, &work.path().join("a.json"));
    let missing = scan_in(work.path(), "a.json", &["--baseline", "nope.json"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read the baseline"),
        "{}",
        missing.stderr
    );
    // A SARIF log of an older jitscan (fingerprint jitscan/v1) would silently make every
    // finding new: refused, with what to do.
    let old = work.path().join("old.sarif");
    std::fs::write(
        &old,
        r#"{"runs": [{"results": [{"partialFingerprints": {"jitscan/v1": "00"}}]}]}"#,
    )
    .unwrap();
    let refused = scan_in(
        work.path(),
        "a.json",
        &["--baseline", old.to_str().unwrap()],
    );
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("older jitscan"),
        "{}",
        refused.stderr
    );
    let junk = work.path().join("junk.json");
    std::fs::write(&junk, "[1, 2]").unwrap();
    assert_eq!(
        scan_in(
            work.path(),
            "a.json",
            &["--baseline", junk.to_str().unwrap()]
        )
        .code,
        2
    );
}
