//! The test tree itself: Cargo.toml sets `autotests = false`, so a test file that is not a
//! module of this binary is never built and its tests never run. Such a file fails here.

use std::path::Path;

use crate::support::root;

/// The `mod` declarations a module file must hold: one per `.rs` file beside it (a folder's
/// `mod.rs` declares its siblings) and one per subfolder with a `mod.rs`.
fn undeclared_modules(folder: &Path, parent_file: &Path, problems: &mut Vec<String>) {
    let parent = std::fs::read_to_string(parent_file).unwrap();
    let declares = |name: &str| {
        parent.lines().any(|line| {
            let line = line.trim_start().trim_start_matches("pub ");
            line == format!("mod {name};")
        })
    };
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mod_rs = path.join("mod.rs");
            if !mod_rs.is_file() {
                continue;
            }
            if !declares(&name) {
                problems.push(format!("{}: no `mod {name};`", parent_file.display()));
            }
            undeclared_modules(&path, &mod_rs, problems);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path != parent_file
            && !declares(&name)
        {
            problems.push(format!("{}: no `mod {name};`", parent_file.display()));
        }
    }
}

#[test]
fn every_test_file_is_a_module_of_the_one_test_binary() {
    let tests = root().join("tests");
    let mut problems: Vec<String> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            format!(
                "{}: a test crate of its own is not built (autotests = false); make it a module of tests/it",
                p.display()
            )
        })
        .collect();
    let it = tests.join("it");
    undeclared_modules(&it, &it.join("main.rs"), &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
