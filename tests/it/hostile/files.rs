//! Files that cannot be read, decoded or parsed, and files too big or too odd to handle
//! naively. Each fails alone (exit code 2) with a located diagnostic; the good template beside
//! it is still scanned.

use std::time::Instant;

use super::inputs::*;
use crate::support::*;

#[test]
fn empty_file_is_malformed_json_at_1_1() {
    let dir = folder_with_good();
    std::fs::write(dir.path().join("empty.json"), "").unwrap();
    let scan = scan("empty file", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "empty.json");
    assert_eq!(record["status"], "failed");
    let d = diagnostic(record, "malformed-json");
    assert!(d["message"].as_str().unwrap().contains("empty"), "{d:#}");
    assert_eq!(at(d), (1, 1));
    assert_good_reported(&scan);
}

#[test]
fn binary_garbage_is_an_encoding_error_not_a_crash() {
    let dir = folder_with_good();
    // A deterministic "random" blob with NUL bytes, like an image or an archive.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let bytes: Vec<u8> = (0..65_536)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    std::fs::write(dir.path().join("garbage.json"), &bytes).unwrap();
    let scan = scan("binary garbage", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "garbage.json");
    assert_eq!(record["status"], "failed");
    let d = diagnostic(record, "encoding");
    assert!(d["message"].as_str().unwrap().contains("binary"), "{d:#}");
    assert_eq!(at(d), (1, 1));
    assert_good_reported(&scan);
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let dir = folder_with_good();
    let bytes = b"{\n  \"a\": \"ok\",\n  \"b\": \"\xC3\x28\"\n}\n";
    std::fs::write(dir.path().join("latin.json"), bytes).unwrap();
    let scan = scan("invalid UTF-8", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "latin.json");
    assert_eq!(record["status"], "failed");
    let d = diagnostic(record, "encoding");
    assert!(d["message"].as_str().unwrap().contains("UTF-8"), "{d:#}");
    assert_eq!(at(d), (3, 9));
    assert_good_reported(&scan);
}

#[test]
fn truncated_json_points_at_its_last_character() {
    let dir = folder_with_good();
    let full = std::fs::read_to_string(root().join(GOOD_FIXTURE)).unwrap();
    let mut cut = full.len() / 2;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &full[..cut];
    std::fs::write(dir.path().join("truncated.json"), text).unwrap();
    let scan = scan("truncated JSON", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "truncated.json");
    let d = diagnostic(record, "malformed-json");
    assert!(d["message"].as_str().unwrap().contains("EOF"), "{d:#}");
    let last = text.trim_end().char_indices().last().unwrap().0;
    assert_eq!(at(d), line_col(text, last));
    assert_good_reported(&scan);
}

#[test]
fn a_1_mb_single_line_string_keeps_exact_columns_and_a_short_snippet() {
    let dir = folder_with_good();
    let padding = "é".repeat(512 * 1024); // 1 MiB of two-byte characters on one line
    let rules = rule("low", "50", "*", "destinationPortRange", "\"22\"");
    let text = format!(
        "{{\"resources\": [{{\"type\": \"Microsoft.Network/networkSecurityGroups\", \"name\": \"n\", \"tags\": {{\"note\": \"{padding}\"}}, \"properties\": {{\"securityRules\": [{}]}}}}]}}",
        rules.trim()
    );
    std::fs::write(dir.path().join("long-line.json"), &text).unwrap();
    let scan = scan("1 MB single-line string", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "long-line.json");
    assert_eq!(record["status"], "scanned");
    let d = diagnostic(record, "bad-priority");
    assert_eq!(at(d), find(&text, "50,"));
    assert_good_reported(&scan);
    // The terminal shows a window of the line, not the megabyte.
    let table = scan_with("1 MB line, table", &[dir.path()], &[]);
    assert!(table.stderr.contains("jitscan::input::bad-priority"));
    assert!(table.stderr.len() < 20_000, "{} bytes", table.stderr.len());
}

#[test]
fn json_nested_100_000_deep_is_refused_as_too_large() {
    let dir = folder_with_good();
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    std::fs::write(dir.path().join("deep.json"), text).unwrap();
    let scan = scan("JSON nested 100,000 deep", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "deep.json");
    assert_eq!(record["status"], "failed");
    let d = diagnostic(record, "too-large");
    assert_eq!(at(d), (1, 128));
    assert_good_reported(&scan);
}

/// A 100 MB template, generated here. Its bulk is one big tags object (cheap to evaluate in a
/// debug build); `JITSCAN_HOSTILE_FULL=1` uses 100 MB of ordinary resources instead (run it
/// with `cargo test --release`, see the report in the final message of the hardening work).
#[test]
fn template_of_100_mb_is_scanned_in_bounded_time() {
    let dir = folder_with_good();
    let start = Instant::now();
    let full = std::env::var_os("JITSCAN_HOSTILE_FULL").is_some();
    let text = if full {
        many_resources(100 << 20)
    } else {
        one_big_resource(100 << 20)
    };
    println!(
        "100 MB template ({} bytes, full={full}) generated in {:?}",
        text.len(),
        start.elapsed()
    );
    std::fs::write(dir.path().join("big.json"), &text).unwrap();
    drop(text);
    let scan = scan("100 MB template", &[dir.path()]);
    assert_eq!(scan.code, 1);
    let record = input(&scan.report, "big.json");
    assert_eq!(record["status"], "scanned");
    assert!(record["vmCount"].as_u64().unwrap() >= 1, "{record:#}");
    assert_good_reported(&scan);
}

fn one_big_resource(size: usize) -> String {
    let mut text = String::from("{\"resources\": [{\"type\": \"Microsoft.Storage/storageAccounts\", \"name\": \"padding\", \"tags\": {");
    let value = "x".repeat(1000);
    let mut i = 0;
    while text.len() < size {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("\n\"t{i}\": \"{value}\""));
        i += 1;
    }
    text.push_str("}},\n");
    text.push_str(&vm_resources(0));
    text.push_str("]}\n");
    text
}

fn many_resources(size: usize) -> String {
    let mut text = String::from("{\"resources\": [");
    let mut i = 0;
    while text.len() < size {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&vm_resources(i));
        i += 1;
    }
    text.push_str("]}\n");
    text
}

/// A VM with its NIC, NSG (SSH open) and public IP, all named with `i`.
fn vm_resources(i: usize) -> String {
    format!(
        r#"
{{"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg{i}", "properties": {{"securityRules": [{{"name": "ssh", "properties": {{"priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "22"}}}}]}}}},
{{"type": "Microsoft.Network/publicIPAddresses", "name": "pip{i}", "properties": {{}}}},
{{"type": "Microsoft.Network/networkInterfaces", "name": "nic{i}", "properties": {{"networkSecurityGroup": {{"id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg{i}')]"}}, "ipConfigurations": [{{"name": "ip", "properties": {{"publicIPAddress": {{"id": "[resourceId('Microsoft.Network/publicIPAddresses', 'pip{i}')]"}}}}}}]}}}},
{{"type": "Microsoft.Compute/virtualMachines", "name": "vm{i}", "properties": {{"networkProfile": {{"networkInterfaces": [{{"id": "[resourceId('Microsoft.Network/networkInterfaces', 'nic{i}')]"}}]}}}}}}"#
    )
}

/// Tests run as root in CI, where chmod 000 does not stop reads: then the unreadable file is a
/// FIFO (opening one for reading would block forever), which must be reported, never opened.
#[cfg(unix)]
#[test]
fn unreadable_file_fails_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder_with_good();
    let path = dir.path().join("secret.json");
    std::fs::write(&path, "{\"resources\": []}").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root_user = std::fs::read(&path).is_ok();
    if root_user {
        println!("running as root: chmod 000 does not block reads, using a FIFO instead");
        std::fs::remove_file(&path).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let scan = scan("unreadable file", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "secret.json");
    assert_eq!(record["status"], "failed");
    let d = diagnostic(record, "unreadable");
    if root_user {
        assert!(d["message"].as_str().unwrap().contains("FIFO"), "{d:#}");
    }
    assert_good_reported(&scan);
}

#[cfg(unix)]
#[test]
fn symlink_loops_end_with_a_diagnostic() {
    let dir = folder_with_good();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    std::os::unix::fs::symlink("b.json", dir.path().join("a.json")).unwrap();
    std::os::unix::fs::symlink("a.json", dir.path().join("b.json")).unwrap();
    let scan = scan("symlink loop", &[dir.path()]);
    assert_eq!(scan.code, 2);
    for name in ["a.json", "b.json"] {
        let record = input(&scan.report, name);
        assert_eq!(record["status"], "failed");
        let d = diagnostic(record, "unreadable");
        assert!(
            d["message"].as_str().unwrap().contains("symbolic link"),
            "{d:#}"
        );
    }
    // The folder loop is cut: the good template is reported once, not once per lap.
    assert_eq!(scan.report["vms"].as_array().unwrap().len(), 1);
    assert_good_reported(&scan);
}

#[cfg(unix)]
#[test]
fn a_file_that_vanished_is_reported_as_missing() {
    let dir = folder_with_good();
    std::os::unix::fs::symlink("removed.json", dir.path().join("gone.json")).unwrap();
    let scan = scan("dangling symlink", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let d = diagnostic(input(&scan.report, "gone.json"), "unreadable");
    assert!(d["message"].as_str().unwrap().contains("missing"), "{d:#}");
    assert_good_reported(&scan);
}

#[test]
fn a_file_removed_between_discovery_and_read_fails_alone() {
    use jitscan::diagnostic::ProblemCode;
    use jitscan::load::{find_files, load_file, Loaded, Roots};
    let dir = folder_with_good();
    let doomed = dir.path().join("doomed.json");
    std::fs::write(&doomed, "{\"resources\": []}").unwrap();
    let paths = [dir.path().to_path_buf()];
    let roots = Roots::new(&paths);
    let walked = find_files(&paths, &roots);
    assert!(walked.problems.is_empty());
    assert_eq!(walked.files.len(), 2);
    std::fs::remove_file(&doomed).unwrap();
    let loaded: Vec<_> = walked
        .files
        .into_iter()
        .map(|f| load_file(f, &roots))
        .collect();
    let gone = loaded
        .iter()
        .find(|f| f.found.path.ends_with("doomed.json"))
        .unwrap();
    assert!(matches!(gone.loaded, Loaded::Failed));
    assert_eq!(gone.problems[0].code, ProblemCode::Unreadable);
    let good = loaded
        .iter()
        .find(|f| f.found.path.ends_with("good.json"))
        .unwrap();
    assert!(matches!(good.loaded, Loaded::Parsed(..)));
}
