//! The two size bounds (`load::read`): a file of over 2 GiB is not read at all; a document
//! parsed as one tree (a template, anything that is not an export listing its items) may be
//! at most 256 MiB; an export over that is read item by item, as one file of 100k VMs is.
//! The big texts here are mostly one padding string per item, cheap for a debug build.

use super::inputs::*;
use crate::support::*;

/// Just over the bound on a document parsed as one tree (`load::MAX_TREE_BYTES`).
const OVER_TREE_BOUND: usize = (256 << 20) + (1 << 20);

/// A padding string of `len` bytes.
fn padding(len: usize) -> String {
    "p".repeat(len)
}

/// One export over the tree bound, its second item over it too: the file is read item by
/// item, that item is left out with a located error, and the items after it are read.
#[test]
fn an_export_over_the_tree_bound_is_read_item_by_item_and_a_huge_item_left_out() {
    let dir = folder_with_good();
    let account = |name: &str, pad: &str| {
        format!(
            r#"{{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/{name}", "name": "{name}", "type": "microsoft.storage/storageaccounts", "subscriptionId": "s", "tags": {{"padding": "{pad}"}}}}"#
        )
    };
    let small = account("small", "p");
    let huge = account("huge", &padding(OVER_TREE_BOUND));
    // A VM last: the items before it were read (or left out) for it to be counted.
    let vm = r#"{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm-last", "name": "vm-last", "type": "microsoft.compute/virtualmachines", "subscriptionId": "s", "properties": {"networkProfile": {"networkInterfaces": []}}}"#;
    let head = format!("{{\"count\": 3, \"data\": [\n{small},\n");
    let text = format!("{head}{huge},\n{vm}]}}\n");
    std::fs::write(dir.path().join("big-export.json"), &text).unwrap();
    let scan = scan("export over the tree bound", &[dir.path()]);
    let record = input(&scan.report, "big-export.json");
    assert_eq!(record["status"], "scanned", "{record:#}");
    assert_eq!(codes(record), vec!["jitscan::input::too-large".to_owned()]);
    let d = diagnostic(record, "too-large");
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("item 1 "), "{d:#}");
    assert!(message.contains(&huge.len().to_string()), "{d:#}");
    assert_eq!(at(d), line_col(&text, head.len()), "{d:#}");
    assert_eq!(record["vmCount"], 1, "{record:#}");
    assert_ne!(scan.code, 2, "no input failed");
    assert_good_reported(&scan);
}

#[test]
fn a_template_over_the_tree_bound_is_refused_and_the_others_scanned() {
    let dir = folder_with_good();
    let text = template(
        "{}",
        &format!(
            r#"[{{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "pad", "location": "westeurope", "tags": {{"padding": "{}"}}}}]"#,
            padding(OVER_TREE_BOUND)
        ),
    );
    assert!(
        text.starts_with("{\n  \"$schema\""),
        "a template as ARM writes them"
    );
    std::fs::write(dir.path().join("huge-template.json"), &text).unwrap();
    let scan = scan("template over the tree bound", &[dir.path()]);
    assert_eq!(scan.code, 2, "an input failed");
    let record = input(&scan.report, "huge-template.json");
    assert_eq!(record["status"], "failed", "{record:#}");
    let d = diagnostic(record, "too-large");
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("parsed whole"), "{d:#}");
    assert!(message.contains(&text.len().to_string()), "{d:#}");
    assert_good_reported(&scan);
}

#[test]
fn a_file_over_the_read_bound_is_refused_unread() {
    let dir = folder_with_good();
    let path = dir.path().join("sparse.json");
    // Sparse: no disk is used, and the size alone refuses it.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len((2 << 30) + 1).unwrap();
    drop(file);
    let scan = scan("file over the read bound", &[dir.path()]);
    assert_eq!(scan.code, 2, "an input failed");
    let record = input(&scan.report, "sparse.json");
    assert_eq!(record["status"], "failed", "{record:#}");
    let d = diagnostic(record, "too-large");
    assert!(
        d["message"].as_str().unwrap().contains("2147483649 bytes"),
        "{d:#}"
    );
    assert_good_reported(&scan);
}
