//! A scan frees the input texts once every location its results can cite is resolved
//! (`Inventory::resolve_places`), before the results of evaluation accumulate. A location
//! asked for after that and not resolved would have its file read again: no report may need
//! one. The count of re-reads is process-wide: it also counts those of every other test that
//! ran in this binary before, and any of them is a bug (a debug build panics at the re-read).

use crate::support::root;
use jitscan::report::{html, json, sarif, table};
use jitscan::scan::{scan, ScanOptions};

#[test]
fn reports_cite_only_locations_resolved_before_the_texts_were_freed() {
    let mut paths = vec![
        root().join("fixtures/arm"),
        root().join("fixtures/exports"),
        root().join("fixtures/linked"),
    ];
    let corpus = root().join("../shared/corpus");
    if corpus.is_dir() {
        paths.push(corpus);
    } else {
        eprintln!("NOTE: ../shared/corpus is absent: only the bundled fixtures are scanned here");
    }
    let options = ScanOptions {
        paths,
        ..ScanOptions::default()
    };
    let result = scan(&options);
    assert!(result.vms.len() > 50, "{} VMs", result.vms.len());
    let cited = result
        .vms
        .iter()
        .flat_map(|vm| vm.ports.iter())
        .map(|p| p.evidence.len() + p.paths.len())
        .sum::<usize>();
    assert!(cited > 100, "{cited} pieces of evidence and paths");
    let json = json::render(&result);
    let sarif = sarif::render(&result);
    let html = html::render(&result).unwrap();
    let table = table::render(&result, false);
    assert!(!json.is_empty() && !sarif.is_empty() && !html.is_empty() && !table.is_empty());
    assert_eq!(
        jitscan::source::late_lookups(),
        0,
        "a report asked for a location that was not resolved before the texts were freed"
    );
}
