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

/// The top-level modules of `src/` another file of `src/` imports, by `crate::name` (also in
/// `use crate::{a, b}` lists). Test code (from a `#[cfg(test)]` at the start of a line on)
/// is left out: a test may drive the whole pipeline.
fn crate_imports(text: &str) -> Vec<String> {
    let code = text.split("\n#[cfg(test)]").next().unwrap_or_default();
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            // Top-level names of the list: nested braces belong to the name before them.
            let mut depth = 0;
            let mut name = String::new();
            for c in list.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(std::mem::take(&mut name));
                    }
                    _ if depth == 0 => name.push(c),
                    _ => {}
                }
            }
            found.push(name);
        } else {
            found.push(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found
        .into_iter()
        .map(|n| n.trim().split("::").next().unwrap_or_default().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Imports point down the pipeline (STYLE.md): no top-level module of `src/` imports, through
/// any chain, one that imports it back. The failure names the cycle.
#[test]
fn top_level_modules_import_no_cycle() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .trim_end_matches("_tests")
            .to_owned();
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for imported in crate_imports(&text) {
            if imported != module {
                edges.entry(module.clone()).or_default().insert(imported);
            }
        }
    }
    assert!(edges.len() > 10, "the modules were read: {edges:?}");
    // A depth-first search from every module; a module met again on the current path closes a cycle.
    fn visit(
        module: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in edges.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for module in edges.keys() {
        if let Some(cycle) = visit(module, &edges, &mut Vec::new(), &mut done) {
            panic!(
                "import cycle between top-level modules: {}\nimports: {edges:#?}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn crate_imports_are_read_from_paths_and_lists() {
    let text = "use crate::model::{key, Vm};\nuse crate::{eval::nsg, load};\nfn f() { crate::scan::run() }\n// crate::report\n#[cfg(test)]\nmod tests { use crate::policy; }\n";
    assert_eq!(crate_imports(text), ["model", "eval", "load", "scan"]);
}
