//! Exports over 64 KB are read item by item, not as one tree (these are over a megabyte, so
//! they are also split for parallel parsing). Bad input must still end as it does for a small
//! file: a truncated file fails with serde_json's own located
//! error; a big array of things that are not resources is skipped. One case differs, by
//! design: an item nested deeper than serde_json's limit is left out with a located error and
//! the file's other items are read (a small file fails whole).

use super::inputs::*;
use crate::support::*;

/// A Resource Graph result (`{"data": [...]}`) of `count` storage accounts, pretty-printed.
fn big_export(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| {
            format!(
                r#"    {{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/pad{i}", "name": "pad{i}", "type": "microsoft.storage/storageaccounts", "subscriptionId": "s", "properties": {{"padding": "{}"}}}}"#,
                "x".repeat(100)
            )
        })
        .collect();
    format!(
        "{{\n  \"count\": {count},\n  \"data\": [\n{}\n  ]\n}}\n",
        items.join(",\n")
    )
}

#[test]
fn a_truncated_big_export_fails_where_the_text_ends() {
    let dir = folder_with_good();
    let text = big_export(8_000);
    assert!(text.len() > 1 << 20);
    let cut = &text[..text.len() / 2];
    std::fs::write(dir.path().join("cut.json"), cut).unwrap();
    let scan = scan("truncated big export", &[dir.path()]);
    assert_eq!(scan.code, 2);
    let record = input(&scan.report, "cut.json");
    assert_eq!(record["status"], "failed");
    let d = diagnostic(record, "malformed-json");
    let reference = serde_json::from_str::<serde_json::Value>(cut).unwrap_err();
    assert_eq!(
        at(d),
        (reference.line() as u64, reference.column() as u64),
        "the position serde_json gives for the whole text: {d:#}"
    );
    assert_good_reported(&scan);
}

#[test]
fn an_item_nested_too_deep_is_left_out_and_the_others_are_read() {
    let dir = folder_with_good();
    let text = big_export(8_000);
    let deep = format!(
        "    {{\"id\": \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/deep\", \"type\": \"microsoft.storage/storageaccounts\", \"subscriptionId\": \"s\", \"properties\": {}1{}}},\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    let at_item = text.find("    {\"id\": \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/pad4000\"").unwrap();
    let text = format!("{}{deep}{}", &text[..at_item], &text[at_item..]);
    // An item after it, which must be read.
    let vm = r#"    {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm-after-deep", "name": "vm-after-deep", "type": "microsoft.compute/virtualmachines", "subscriptionId": "s", "properties": {"networkProfile": {"networkInterfaces": []}}},
"#;
    let last = text.rfind("    {\"id\"").unwrap();
    let text = format!("{}{vm}{}", &text[..last], &text[last..]);
    std::fs::write(dir.path().join("deep.json"), &text).unwrap();
    let scan = scan("deep item in a big export", &[dir.path()]);
    let record = input(&scan.report, "deep.json");
    // The file was read, all but one item: scanned, with an error naming that item.
    assert_eq!(record["status"], "scanned", "{record:#}");
    assert_eq!(codes(record), vec!["jitscan::input::too-large".to_owned()]);
    let d = diagnostic(record, "too-large");
    assert_eq!(d["severity"], "error");
    assert!(
        d["message"].as_str().unwrap().contains("item 4000"),
        "{d:#}"
    );
    assert_eq!(at(d), line_col(&text, at_item + 4), "{d:#}");
    assert_ne!(scan.code, 2, "no input failed");
    assert_eq!(
        record["vmCount"], 1,
        "the items after it were read: {record:#}"
    );
    assert_good_reported(&scan);
}

#[test]
fn a_big_array_of_other_things_is_skipped() {
    let dir = folder_with_good();
    let numbers: Vec<String> = (0..300_000).map(|i| i.to_string()).collect();
    std::fs::write(
        dir.path().join("numbers.json"),
        format!("[{}]", numbers.join(", ")),
    )
    .unwrap();
    let scan = scan("big array of numbers", &[dir.path()]);
    let record = input(&scan.report, "numbers.json");
    assert_eq!(record["status"], "skipped", "{record:#}");
    assert_good_reported(&scan);
}
