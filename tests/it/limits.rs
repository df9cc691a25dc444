//! Limits change how a scan works, never what it finds. Every fixture folder and the shared
//! corpus, scanned with the default limits, with every limit at its smallest (each document
//! parsed in pieces, each export read item by item, each template parsed only when expanded,
//! one item per batch and one resource per chunk), with small batches and chunks, and with
//! nothing split, deferred or cut: the same JSON report, byte for byte.

use std::path::Path;

use jitscan::config::Date;
use jitscan::report::json::render;
use jitscan::scan::{scan, Limits, ScanOptions};

use crate::support::root;

fn report(path: &Path, limits: Limits) -> String {
    render(&scan(&ScanOptions {
        paths: vec![path.to_path_buf()],
        today: Date::parse("2026-01-01").unwrap(),
        limits,
        ..ScanOptions::default()
    }))
}

/// Every document split, deferred and cut as finely as it can be, batches and chunks of
/// `chunk` items.
fn smallest(chunk: usize) -> Limits {
    Limits {
        split_min_bytes: 1,
        defer_min_bytes: 1,
        export_batch_items: chunk,
        export_batch_bytes: if chunk == 1 { 1 } else { usize::MAX },
        model_chunk: chunk,
    }
}

/// The limits each input is scanned with, named.
fn variants() -> Vec<(&'static str, Limits)> {
    vec![
        ("every limit at 1", smallest(1)),
        ("batches and chunks of 2", smallest(2)),
        ("batches and chunks of 3", smallest(3)),
        (
            "batches cut by their text",
            Limits {
                export_batch_items: usize::MAX,
                export_batch_bytes: 2_000,
                ..smallest(5)
            },
        ),
        (
            "every document split, none deferred",
            Limits {
                split_min_bytes: 1,
                defer_min_bytes: usize::MAX,
                ..Limits::default()
            },
        ),
        (
            "nothing split, deferred or cut",
            Limits {
                split_min_bytes: usize::MAX,
                defer_min_bytes: usize::MAX,
                export_batch_items: usize::MAX,
                export_batch_bytes: usize::MAX,
                model_chunk: usize::MAX,
            },
        ),
    ]
}

/// The report of `path` with every variant of the limits is the one with the defaults.
fn same_report_whatever_the_limits(path: &Path) {
    let expected = report(path, Limits::default());
    assert!(
        expected.contains("\"classification\""),
        "{}: VMs found",
        path.display()
    );
    for (name, limits) in variants() {
        let found = report(path, limits);
        if found != expected {
            let line = found
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            panic!(
                "{} with {name} ({limits:?}): the report differs from the default's, first at line {line}",
                path.display()
            );
        }
    }
}

#[test]
fn fixture_reports_do_not_depend_on_the_limits() {
    for folder in ["arm", "avnm", "exports", "linked", "hostile", "policy"] {
        same_report_whatever_the_limits(&root().join("fixtures").join(folder));
    }
}

#[test]
fn corpus_reports_do_not_depend_on_the_limits() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!(
            "\n!!! ../shared/corpus is ABSENT: the corpus was NOT scanned with other limits !!!\n"
        );
        return;
    }
    same_report_whatever_the_limits(&corpus);
}

/// The REST export of env-three-ways with its firewall on a firewall policy that lists one
/// more rule collection group than the export holds: the policy and its groups merge across
/// chunks, one resource per chunk, a few, or all in one.
#[test]
fn a_firewall_policy_merged_across_chunks_gives_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let rest = root().join("fixtures/exports/env-three-ways/rest");
    for entry in std::fs::read_dir(rest).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("azureFirewalls.json") {
            text = text.replacen(
                "\"properties\": {",
                "\"properties\": {\"firewallPolicy\": {\"id\": \"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-jit-hub/providers/Microsoft.Network/firewallPolicies/fwpol-branch\"},",
                1,
            );
        }
        if path.ends_with("firewallPolicies.json") {
            text = text.replacen(
                "\"ruleCollectionGroups\": [",
                "\"ruleCollectionGroups\": [{\"id\": \"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-jit-hub/providers/Microsoft.Network/firewallPolicies/fwpol-branch/ruleCollectionGroups/NotExported\"},",
                1,
            );
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    let chunked = |chunk: usize| Limits {
        model_chunk: chunk,
        ..Limits::default()
    };
    let whole = report(dir.path(), chunked(usize::MAX));
    assert!(
        whole.contains("notexported"),
        "the missing group is reported"
    );
    for chunk in [1, 2, 3, 5] {
        assert_eq!(
            report(dir.path(), chunked(chunk)),
            whole,
            "built in chunks of {chunk}"
        );
    }
    same_report_whatever_the_limits(dir.path());
}
