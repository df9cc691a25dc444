//! Inputs that once crashed or hung jitscan (found by the `fuzz` tests or by hand), kept in
//! `fixtures/hostile/` and replayed through the real binary: each must now end with exit code
//! 0, 1 or 2 and a report that accounts for it.

use super::inputs::*;
use crate::support::*;

#[test]
fn every_hostile_fixture_is_accounted_for_without_a_crash() {
    let dir = root().join("fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let scan = scan(&name, &[file.as_path()]);
        assert!(
            matches!(scan.code, 0..=2),
            "{name}: exit code {} (crash?)\n{}",
            scan.code,
            scan.stderr
        );
        assert!(!scan.stderr.contains("panicked"), "{name}: {}", scan.stderr);
        let record = input(&scan.report, &name);
        assert!(record["status"].is_string(), "{name}: {record:#}");
    }
}
