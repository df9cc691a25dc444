//! Names from the input are data in every human-readable output. One template, in a folder
//! whose name is hostile too, names its VM, NIC, ipConfiguration, public IP, NSG and rules
//! (and fills a description and a bad port range) with terminal escapes, C1 and bidi controls,
//! carriage returns, GitHub Actions workflow commands after newlines, a Markdown link and an
//! HTML image. The VM is unhealthy (SSH open to `*`, public IP), so it reaches every output;
//! `scan --format table`, `scan --format sarif`, `explain` and `policy` must print it inert.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::support::jitscan;

/// Every trick at once; each name is a short prefix and this.
const HOSTILE: &str = concat!(
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J",
    "\u{9b}31m",
    "\r",
    "\n::stop-commands::abc\n",
    "\n::notice title=x::0 VMs: 0 unhealthy",
    "##[error]x",
    "\u{202E}",
    "[click](https://evil.example)",
    "<img src=x onerror=alert(1)>",
);

fn name(prefix: &str) -> String {
    format!("{prefix}{HOSTILE}")
}

/// The same for resources that others reference by `resourceId()`, which refuses a `/` in a
/// name: the link points elsewhere.
fn referenced_name(prefix: &str) -> String {
    name(prefix).replace("https://evil.example", "javascript:alert(1)")
}

/// The unhealthy VM's template, written as JSON by serde so every control is encoded.
fn template() -> Value {
    let nsg_id = "[resourceId('Microsoft.Network/networkSecurityGroups', variables('nsg'))]";
    let nic_id = "[resourceId('Microsoft.Network/networkInterfaces', variables('nic'))]";
    let pip_id = "[resourceId('Microsoft.Network/publicIPAddresses', variables('pip'))]";
    let rule = |rule_name: String, priority: u32, port: String| {
        json!({
            "name": rule_name,
            "properties": {
                "description": name("description "),
                "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port,
                "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                "access": "Allow", "priority": priority, "direction": "Inbound"
            }
        })
    };
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": { "vmName": { "type": "string", "defaultValue": name("vm") } },
        "variables": {
            "nsg": referenced_name("nsg"),
            "nic": referenced_name("nic"),
            "pip": referenced_name("pip"),
        },
        "resources": [
            {
                "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
                "name": "[variables('nsg')]", "location": "westeurope",
                "properties": { "securityRules": [
                    rule(name("rule"), 100, "22".to_owned()),
                    rule(name("bad-port"), 200, format!("80-{HOSTILE}")),
                ] }
            },
            {
                "type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-09-01",
                "name": "[variables('pip')]", "location": "westeurope",
                "sku": { "name": "Standard" },
                "properties": { "publicIPAllocationMethod": "Static" }
            },
            {
                "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01",
                "name": "[variables('nic')]", "location": "westeurope",
                "properties": {
                    "ipConfigurations": [{
                        "name": name("ipconfig"),
                        "properties": {
                            "privateIPAllocationMethod": "Dynamic",
                            "publicIPAddress": { "id": pip_id }
                        }
                    }],
                    "networkSecurityGroup": { "id": nsg_id }
                }
            },
            {
                "type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-03-01",
                "name": "[parameters('vmName')]", "location": "westeurope",
                "properties": {
                    "storageProfile": { "imageReference": { "publisher": "Canonical" } },
                    "networkProfile": { "networkInterfaces": [{ "id": nic_id }] }
                }
            }
        ]
    })
}

/// A folder holding the hostile template under a hostile subfolder, the template's path, and
/// the folder `policy` writes to.
fn hostile_folder() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir
        .path()
        .join("in\u{1b}[2J\n::error::folder\n##[warning]x");
    std::fs::create_dir(&sub).unwrap();
    let file = sub.join("hostile.json");
    let text = serde_json::to_string_pretty(&template()).unwrap();
    std::fs::write(&file, text).unwrap();
    let out = dir
        .path()
        .join("policy-out\u{1b}[2J\n::error::out\n##[warning]x");
    (dir, file, out)
}

/// What one run printed, stdout and stderr.
struct Printed {
    label: &'static str,
    stdout: String,
    stderr: String,
}

fn printed(label: &'static str, args: &[&OsStr]) -> Printed {
    // The raw output, not `Run::run` (which decodes stderr lossily): both streams must be UTF-8.
    let output = jitscan().args(args).output().unwrap();
    let printed = Printed {
        label,
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(
        !printed.stderr.contains("panicked"),
        "{label}: {}",
        printed.stderr
    );
    printed
}

/// The safe behaviour every human-readable text must show.
fn assert_inert(label: &str, stream: &str, text: &str) {
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\r'] {
        assert!(
            !text.contains(bad),
            "{label} {stream}: {bad:?} printed raw:\n{text}"
        );
    }
    for line in text.split('\n') {
        let trimmed = line.trim_start();
        let command = trimmed
            .strip_prefix("::")
            .is_some_and(|rest| rest.contains("::"));
        assert!(
            !command,
            "{label} {stream}: a workflow command line: {line:?}"
        );
        assert!(
            !line.contains("##["),
            "{label} {stream}: a v1 workflow command: {line:?}"
        );
    }
}

fn assert_all_inert(p: &Printed) {
    assert_inert(p.label, "stdout", &p.stdout);
    assert_inert(p.label, "stderr", &p.stderr);
}

/// The terminal form of the VM's name is printed: the value is there, only inert.
const VM_ESCAPED: &str =
    "vm\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{d}\\u{a}::stop-commands::abc\\u{a}\\u{a}::notice title=x::0 VMs: 0 unhealthy##[error]x\\u{202e}[click](https://evil.example)<img src=x onerror=alert(1)>";

#[test]
fn table_prints_hostile_names_inert() {
    let (_dir, file, _) = hostile_folder();
    let p = printed(
        "table",
        &[
            OsStr::new("scan"),
            OsStr::new("--format"),
            OsStr::new("table"),
            file.parent().unwrap().as_os_str(),
        ],
    );
    assert_all_inert(&p);
    // The name is cut to 40 characters in its cell, whole in the attention list; `##[` is
    // written `#\u{23}[` by the line guard.
    let attention = VM_ESCAPED.replace("##[", "#\\u{23}[");
    assert!(
        p.stdout.contains(&format!("{attention} (unhealthy)")),
        "{}",
        p.stdout
    );
    assert!(p.stdout.contains("in\\u{1b}[2J\\u{a}::error::folder"));
    let summaries: Vec<&str> = p
        .stdout
        .lines()
        .filter(|l| l.contains("VMs:") && l.starts_with(char::is_numeric))
        .collect();
    assert_eq!(summaries.len(), 1, "{}", p.stdout);
    assert!(
        summaries[0].starts_with("1 VMs: 1 unhealthy"),
        "{summaries:?}"
    );
    // The bad port range is a diagnostic on stderr, its value escaped too.
    assert!(p.stderr.contains("pwned"), "{}", p.stderr);
}

#[test]
fn sarif_messages_escape_embedded_links_and_keep_the_values() {
    let (_dir, file, _) = hostile_folder();
    let p = printed(
        "sarif",
        &[
            OsStr::new("scan"),
            OsStr::new("--format"),
            OsStr::new("sarif"),
            file.parent().unwrap().as_os_str(),
        ],
    );
    assert_all_inert(&p);
    let log: Value = serde_json::from_str(&p.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{:#}", log["runs"][0]["results"]);
    let mut texts: Vec<&str> = Vec::new();
    for result in results {
        texts.push(result["message"]["text"].as_str().unwrap());
        for related in result["relatedLocations"].as_array().into_iter().flatten() {
            texts.push(related["message"]["text"].as_str().unwrap());
        }
        // Outside message texts the values are data, whole.
        let logical = &result["locations"][0]["logicalLocations"][0]["name"];
        assert_eq!(logical.as_str().unwrap(), name("vm"));
    }
    for text in &texts {
        assert!(text.contains("\\[click\\]("), "{text}");
        assert!(!text.contains("[click]"), "{text}");
        // Every bracket is escaped, so none opens or closes a link.
        let unescaped = |c: char| {
            text.match_indices(c)
                .any(|(i, _)| !text[..i].ends_with('\\'))
        };
        assert!(
            !unescaped('[') && !unescaped(']'),
            "an embedded link in {text}"
        );
    }
    assert!(texts
        .iter()
        .any(|t| t.contains("\\[click\\](https://evil.example)")));
    let notifications = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(!notifications.is_empty());
    for n in notifications {
        let text = n["message"]["text"].as_str().unwrap();
        assert!(!text.contains("[click]"), "{text}");
    }
}

#[test]
fn explain_prints_hostile_names_inert() {
    let (_dir, file, _) = hostile_folder();
    let vm = name("vm");
    let p = printed(
        "explain",
        &[
            OsStr::new("explain"),
            file.as_os_str(),
            OsStr::new("--vm"),
            OsStr::new(&vm),
        ],
    );
    assert_all_inert(&p);
    let vm_line = format!("VM {} (", VM_ESCAPED.replace("##[", "#\\u{23}["));
    assert!(p.stdout.contains(&vm_line), "{}", p.stdout);
    assert!(p.stdout.contains("<- matches, decides"), "{}", p.stdout);
    assert!(p.stdout.contains("NSG nsg\\u{1b}]0;pwned"), "{}", p.stdout);
    assert!(p.stdout.contains("rule\\u{1b}]0;pwned"), "{}", p.stdout);

    // A VM that is not there: the error repeats the name, escaped.
    let missing = printed(
        "explain, no such VM",
        &[
            OsStr::new("explain"),
            file.as_os_str(),
            OsStr::new("--vm"),
            OsStr::new("x\n::error::y"),
        ],
    );
    assert_all_inert(&missing);
    assert!(
        missing.stderr.contains("'x\\u{a}::error::y'"),
        "{}",
        missing.stderr
    );
}

#[test]
fn policy_summary_and_remediation_md_are_inert_markdown() {
    let (_dir, file, out) = hostile_folder();
    let p = printed(
        "policy",
        &[
            OsStr::new("policy"),
            file.parent().unwrap().as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
    );
    assert_all_inert(&p);
    let md = std::fs::read_to_string(Path::new(&out).join("remediation.md")).unwrap();
    assert_inert("remediation.md", "file", &md);
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains("[click]("), "{md}");
    assert!(
        md.contains("&lt;img src=x onerror=alert\\(1\\)&gt;"),
        "{md}"
    );
    assert!(
        md.contains("\\[click\\]\\(https\\://evil\\.example\\)"),
        "{md}"
    );
    assert!(md.contains("### vm\\u{1b}\\]0;pwned\\u{7}"), "{md}");
    // Each heading line is jitscan's: a name cannot start one.
    for line in md.lines().filter(|l| l.starts_with('#')) {
        assert!(
            line.starts_with("# jitscan") || line.starts_with("## ") || line.starts_with("### vm"),
            "{line}"
        );
    }
    // The terminal gets a few lines of counts, no plan and no name from the input; the out
    // folder's path (hostile too) is printed escaped.
    assert!(p.stdout.lines().count() < 15, "{}", p.stdout);
    assert!(!p.stdout.contains("pwned"), "{}", p.stdout);
    assert!(
        p.stdout
            .contains("policy-out\\u{1b}[2J\\u{a}::error::out\\u{a}#\\u{23}[warning]x"),
        "{}",
        p.stdout
    );
}

/// JSON and HTML printed to standard output (a CI log) are guarded line by line too, and the
/// JSON still parses to the same names.
#[test]
fn json_and_html_on_standard_output_are_inert() {
    let (_dir, file, _) = hostile_folder();
    for format in ["json", "html"] {
        let label: &'static str = if format == "json" { "json" } else { "html" };
        let p = printed(
            label,
            &[
                OsStr::new("scan"),
                OsStr::new("--format"),
                OsStr::new(format),
                file.parent().unwrap().as_os_str(),
            ],
        );
        assert_all_inert(&p);
        if format == "json" {
            let report: Value = serde_json::from_str(&p.stdout).unwrap();
            let name = report["vms"][0]["name"].as_str().unwrap();
            assert!(name.contains("##[error]x\u{202e}"), "{name:?}");
        }
    }
}
