//! A gate that hostile input cannot bypass or turn against its runner: nothing outside the
//! scan roots is read (links, linked templates, the config), no special file blocks a scan,
//! and a scan that checked nothing, or only sources jitscan does not read, does not pass.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::inputs::{folder_with_good, input, GOOD_FIXTURE, GOOD_VM};
use crate::support::{jitscan, root, scan, scan_with, Run};

/// Names of the VMs of a report.
fn vm_names(report: &Value) -> Vec<String> {
    report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A folder `outside/secret.json` holding a VM named `vm-secret`, beside the scan root.
fn outside_secret(dir: &Path) -> std::path::PathBuf {
    let outside = dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let text = std::fs::read_to_string(root().join(GOOD_FIXTURE))
        .unwrap()
        .replace(GOOD_VM, "vm-secret");
    let secret = outside.join("secret.json");
    std::fs::write(&secret, text).unwrap();
    secret
}

#[cfg(unix)]
#[test]
fn a_link_to_the_root_of_the_machine_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    std::fs::copy(root().join(GOOD_FIXTURE), infra.join("good.json")).unwrap();
    std::os::unix::fs::symlink("/", infra.join("root")).unwrap();
    let scan = scan("link to /", &[&infra]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    let inputs = scan.report["inputs"].as_array().unwrap();
    assert_eq!(
        inputs.len(),
        2,
        "only the good file and the link: {inputs:#?}"
    );
    let link = input(&scan.report, "infra/root");
    assert_eq!(link["status"], "skipped");
    assert!(link["reason"]
        .as_str()
        .unwrap()
        .contains("outside the scanned paths"));
    assert_eq!(vm_names(&scan.report), vec![GOOD_VM]);
}

#[cfg(unix)]
#[test]
fn a_link_to_a_file_outside_is_skipped_and_one_inside_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let secret = outside_secret(dir.path());
    let infra = dir.path().join("infra");
    std::fs::create_dir_all(infra.join("real")).unwrap();
    std::fs::copy(root().join(GOOD_FIXTURE), infra.join("real/good.json")).unwrap();
    std::os::unix::fs::symlink(&secret, infra.join("x.json")).unwrap();
    std::os::unix::fs::symlink("real/good.json", infra.join("alias.json")).unwrap();
    let scan = scan("link to a file outside", &[&infra]);
    let x = input(&scan.report, "infra/x.json");
    assert_eq!(x["status"], "skipped", "{x:#}");
    assert_eq!(x["sha256"], "", "the target was not read");
    assert!(!scan.report.to_string().contains("vm-secret"));
    assert!(!scan.report.to_string().contains("outside/secret"));
    let alias = input(&scan.report, "infra/alias.json");
    assert_eq!(
        alias["status"], "scanned",
        "a link inside the root works: {alias:#}"
    );
}

/// A linked template's `relativePath` may climb with `..` inside the scanned folder, never
/// out of it; and the message for a file outside is the same whether or not it exists.
#[test]
fn linked_templates_are_read_only_inside_the_scan_roots() {
    let dir = tempfile::tempdir().unwrap();
    outside_secret(dir.path());
    let infra = dir.path().join("infra");
    std::fs::create_dir_all(infra.join("main")).unwrap();
    std::fs::create_dir_all(infra.join("modules")).unwrap();
    let linked =
        std::fs::read_to_string(root().join("fixtures/linked/nested/vm-with-open-rdp.json"))
            .unwrap();
    std::fs::write(infra.join("modules/vm.json"), linked).unwrap();
    let deployment = |name: &str, path: &str| {
        format!(
            r#"{{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "{name}",
               "properties": {{"mode": "Incremental", "templateLink": {{"relativePath": "{path}"}},
               "parameters": {{"vmName": {{"value": "vm-{name}"}}, "rdpSource": {{"value": "Internet"}}}}}}}}"#
        )
    };
    let resources = [
        deployment("inside", "../modules/vm.json"),
        deployment("escape", "../../outside/secret.json"),
        deployment("absent", "../../outside/absent.json"),
    ]
    .join(",");
    std::fs::write(
        infra.join("main/main.json"),
        format!(r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": [{resources}]}}"#),
    )
    .unwrap();
    let scan = scan("relativePath with ..", &[&infra]);
    assert_eq!(vm_names(&scan.report), vec!["vm-inside"], "{}", scan.stderr);
    let text = scan.report.to_string();
    assert!(!text.contains("vm-secret"));
    let main = input(&scan.report, "main/main.json");
    let messages: Vec<&str> = main["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "jitscan::input::linked-template")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let strip = |m: &str| m.replace("secret", "X").replace("absent", "X");
    assert_eq!(
        strip(messages[0]),
        strip(messages[1]),
        "the message must not tell whether the file outside exists"
    );
    assert!(messages[0].contains("not a file inside the scanned paths"));
    // The module under the root is deployed by main.json: counted once, as deployed.
    let module = input(&scan.report, "modules/vm.json");
    assert!(
        module["reason"].as_str().unwrap().contains("deployed by"),
        "{module:#}"
    );
    assert_eq!(module["vmCount"], 1);
}

/// A template reached as a linked template is not also its own entry point: its VM is
/// counted once, with one SARIF result per finding.
#[test]
fn a_linked_template_in_the_scanned_folder_is_counted_once() {
    let folder = root().join("fixtures/linked");
    let scan = scan_with("linked once", &[&folder], &["--format", "sarif"]);
    let results = scan.report["runs"][0]["results"].as_array().unwrap();
    let mut prints: Vec<String> = results
        .iter()
        .map(|r| r["partialFingerprints"].to_string())
        .collect();
    let total = prints.len();
    prints.sort();
    prints.dedup();
    assert!(total > 0);
    assert_eq!(prints.len(), total, "duplicate SARIF results");
    let json = scan_with("linked once, json", &[&folder], &["--format", "json"]);
    assert_eq!(vm_names(&json.report), vec!["vm-linked-rdp"]);
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A link flipped between a file and a FIFO while scans run: no scan may hang (each is
/// bounded by a timeout), and the good template is always reported.
#[cfg(unix)]
#[test]
fn a_fifo_flipped_under_a_link_never_hangs_a_scan() {
    let dir = folder_with_good();
    let targets = tempfile::tempdir_in(dir.path()).unwrap();
    let fifo = targets.path().join("pipe");
    mkfifo(&fifo);
    let file = targets.path().join("file.json");
    std::fs::copy(root().join(GOOD_FIXTURE), &file).unwrap();
    let link = dir.path().join("flip.json");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (stop, link) = (std::sync::Arc::clone(&stop), link.clone());
        let (fifo, file) = (fifo.clone(), file.clone());
        std::thread::spawn(move || {
            let tmp = link.with_extension("tmp");
            let mut to_fifo = true;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::remove_file(&tmp);
                let target = if to_fifo { &fifo } else { &file };
                if std::os::unix::fs::symlink(target, &tmp).is_ok() {
                    let _ = std::fs::rename(&tmp, &link);
                }
                to_fifo = !to_fifo;
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    for run in 0..40 {
        let ran = jitscan()
            .args(["scan", "--format", "json", "--fail-on", "never"])
            .arg(dir.path())
            .timeout(Duration::from_secs(20))
            .run();
        assert_ne!(
            ran.code, -1,
            "run {run}: jitscan was killed by the timeout (it blocked)"
        );
        assert!(
            vm_names(&ran.report).contains(&GOOD_VM.to_owned()),
            "run {run}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
}

#[cfg(unix)]
#[test]
fn a_fifo_config_fails_at_once() {
    let dir = folder_with_good();
    let fifo = dir.path().join("jitscan.yaml");
    mkfifo(&fifo);
    for extra in [
        vec!["--config".to_owned(), fifo.display().to_string()],
        vec![],
    ] {
        let ran = jitscan()
            .arg("scan")
            .arg(dir.path())
            .args(&extra)
            .timeout(Duration::from_secs(20))
            .run();
        assert_eq!(ran.code, 2, "{extra:?}");
        assert!(ran.stderr.contains("FIFO"), "{}", ran.stderr);
    }
}

/// A `jitscan.yaml` in the scanned folder that links outside is refused, not read (its text
/// would be quoted in diagnostics); `--no-config` scans without it.
#[cfg(unix)]
#[test]
fn a_config_linked_outside_is_refused_and_no_config_ignores_configs() {
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    std::fs::copy(root().join(GOOD_FIXTURE), infra.join("good.json")).unwrap();
    let elsewhere = dir.path().join("elsewhere.yaml");
    std::fs::write(&elsewhere, "top secret: [\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, infra.join("jitscan.yaml")).unwrap();
    let refused = scan("config linked outside", &[&infra]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("outside the scanned paths"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("top secret"), "{}", refused.stderr);
    let ignored = scan_with(
        "--no-config",
        &[&infra],
        &["--format", "json", "--no-config"],
    );
    assert_eq!(ignored.code, 1, "{}", ignored.stderr);
    assert_eq!(ignored.report["suppressionSources"]["configIgnored"], true);
    assert_eq!(
        ignored.report["suppressionSources"]["configFile"],
        Value::Null
    );
}

/// A suppression a pull request adds to its own folder passes its own gate only in the
/// open: every report names the config and counts what it suppressed, and --no-config
/// takes it away.
#[test]
fn reports_state_the_config_and_what_it_suppressed() {
    let dir = folder_with_good();
    std::fs::write(
        dir.path().join("jitscan.yaml"),
        "suppressions:\n  - rule: \"*\"\n    resource: \"*\"\n    reason: accepted\n",
    )
    .unwrap();
    let json = scan("suppressed", &[dir.path()]);
    assert_eq!(json.code, 0);
    let sources = &json.report["suppressionSources"];
    assert!(sources["configFile"]
        .as_str()
        .unwrap()
        .ends_with("jitscan.yaml"));
    let suppressed = json.report["summary"]["suppressedFindings"]
        .as_u64()
        .unwrap();
    assert!(suppressed > 0);
    assert_eq!(sources["suppressedByConfig"].as_u64().unwrap(), suppressed);
    let table = jitscan().arg("scan").arg(dir.path()).run();
    assert_eq!(table.code, 0);
    let out = table.stdout_text();
    assert!(out.contains("unhealthy [suppressed]"), "{out}");
    assert!(
        out.contains(&format!("{suppressed} finding(s) suppressed by it")),
        "{out}"
    );
    let sarif = scan_with("suppressed, sarif", &[dir.path()], &["--format", "sarif"]);
    let props = &sarif.report["runs"][0]["properties"]["suppressionSources"];
    assert_eq!(props["suppressedByConfig"].as_u64().unwrap(), suppressed);
    let gate = scan_with(
        "--no-config",
        &[dir.path()],
        &["--format", "json", "--no-config"],
    );
    assert_eq!(
        gate.code, 1,
        "--no-config ignores the folder's suppressions"
    );
}

#[test]
fn a_scan_that_scanned_nothing_fails() {
    let empty = tempfile::tempdir().unwrap();
    let scan = scan("empty folder", &[empty.path()]);
    assert_eq!(scan.code, 2);
    assert!(
        scan.stderr.contains("no input was scanned"),
        "{}",
        scan.stderr
    );
    assert_eq!(scan.report["summary"]["inputsScanned"], 0);
}

#[test]
fn bicep_and_terraform_sources_are_named_with_how_to_scan_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.bicep"), "param vmName string\n").unwrap();
    std::fs::write(dir.path().join("main.bicepparam"), "using 'main.bicep'\n").unwrap();
    std::fs::write(dir.path().join("main.tf"), "resource \"x\" \"y\" {}\n").unwrap();
    // A Terraform state has a `resources` list: it must not be read as an ARM template.
    std::fs::write(
        dir.path().join("terraform.tfstate.json"),
        r#"{"version": 4, "terraform_version": "1.9.0", "resources": [{"mode": "managed", "type": "azurerm_network_security_group", "name": "x", "instances": []}]}"#,
    )
    .unwrap();
    let scan = scan("bicep and terraform only", &[dir.path()]);
    assert_eq!(scan.code, 2, "nothing jitscan reads was scanned");
    for (name, kind) in [
        ("main.bicep", "bicep"),
        ("main.bicepparam", "bicep"),
        ("main.tf", "terraform"),
        ("terraform.tfstate.json", "terraform"),
    ] {
        let record = input(&scan.report, name);
        assert_eq!(record["kind"], kind, "{record:#}");
        assert_eq!(record["status"], "skipped", "{record:#}");
        assert!(
            scan.stderr.contains(&format!("{name} was not scanned")),
            "{}",
            scan.stderr
        );
    }
    assert!(scan.stderr.contains("az bicep build"), "{}", scan.stderr);
}

#[test]
fn a_dash_reads_one_document_from_standard_input() {
    let text = std::fs::read(root().join(GOOD_FIXTURE)).unwrap();
    let ran = jitscan()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(text)
        .timeout(Duration::from_secs(60))
        .run();
    assert_eq!(ran.code, 1);
    let report = &ran.report;
    assert_eq!(input(report, "<stdin>")["status"], "scanned");
    assert_eq!(vm_names(report), vec![GOOD_VM]);
    assert_eq!(report["vms"][0]["source"]["path"], "<stdin>");
}

/// `/dev/stdin` is a pipe here: not a regular file, so it is reported (with the hint to give
/// `-`) and the scan, having scanned nothing, fails.
#[cfg(target_os = "linux")]
#[test]
fn a_pipe_named_on_the_command_line_fails_with_a_hint() {
    let ran = jitscan()
        .args(["scan", "/dev/stdin", "--format", "json"])
        .write_stdin("{}")
        .timeout(Duration::from_secs(60))
        .run();
    assert_eq!(ran.code, 2);
    let stderr = &ran.stderr;
    assert!(stderr.contains("give `-`"), "{stderr}");
    assert!(stderr.contains("no input was scanned"), "{stderr}");
}
