//! The same template saved as UTF-8 with a BOM, UTF-16 LE and BE with a BOM, and with `//` and
//! `/* */` comments gives the same verdicts, and source lines still point at the VM.

use crate::support::root;
use crate::support::verdicts::scan_json;
use serde_json::Value;

fn verdicts(report: &Value) -> Vec<(Value, Value, Value)> {
    report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].clone(),
                v["classification"].clone(),
                v["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["nsgVerdict"].clone())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn encodings_and_comments_do_not_change_verdicts_or_lines() {
    let original =
        std::fs::read_to_string(root().join("fixtures/arm/ssh-open-to-any-with-public-ip.json"))
            .unwrap();
    let baseline = scan_json(
        &[root().join("fixtures/arm/ssh-open-to-any-with-public-ip.json")],
        None,
    );
    let line = baseline["vms"][0]["source"]["line"].clone();
    let dir = tempfile::tempdir().unwrap();
    let utf16 = |big: bool| -> Vec<u8> {
        let bom: [u8; 2] = if big { [0xFE, 0xFF] } else { [0xFF, 0xFE] };
        bom.into_iter()
            .chain(original.encode_utf16().flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            }))
            .collect()
    };
    // Comments on existing lines only, so line numbers stay comparable.
    let commented = original
        .replacen("{\n", "{ // jitscan test: a line comment\n", 1)
        .replace("\"resources\": [", "\"resources\": /* block */ [");
    let variants: Vec<(&str, Vec<u8>)> = vec![
        (
            "bom.json",
            [&[0xEF, 0xBB, 0xBF][..], original.as_bytes()].concat(),
        ),
        ("utf16le.json", utf16(false)),
        ("utf16be.json", utf16(true)),
        ("comments.json", commented.into_bytes()),
    ];
    for (name, bytes) in variants {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let report = scan_json(&[path], None);
        assert_eq!(
            report["inputs"][0]["status"], "scanned",
            "{name}: {}",
            report["inputs"][0]
        );
        assert_eq!(verdicts(&report), verdicts(&baseline), "{name}");
        assert_eq!(
            report["vms"][0]["source"]["line"], line,
            "{name}: line of the VM"
        );
    }
}
