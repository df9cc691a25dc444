//! LOAD: find the input files under the paths the user gave.
//!
//! Directories are walked recursively in sorted order so output is deterministic; hidden
//! directories (`.git`, `.terraform`, ...) are not entered; symlink loops are cut by
//! remembering canonical directory paths. A path that cannot be read becomes a problem, never
//! an abort. This module only lists files; it never opens them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{InputProblem, ProblemCode, Severity};

/// Upper bound on the files one scan considers, against runaway walks (e.g. a root given by
/// mistake).
const MAX_FILES: usize = 1_000_000;

/// A file found under one of the scan paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundFile {
    /// The path used to open it.
    pub path: PathBuf,
    /// The path as shown in reports (as the user would type it, `/` separators).
    pub display: String,
}

/// Lists every regular file under `roots`, deduplicated and sorted.
pub fn find_files(roots: &[PathBuf]) -> (Vec<FoundFile>, Vec<InputProblem>) {
    let mut walk = Walk::default();
    for root in roots {
        walk.visit(root, true);
    }
    let files: Vec<FoundFile> = walk.files.into_iter().collect();
    (files, walk.problems)
}

#[derive(Default)]
struct Walk {
    files: BTreeSet<FoundFile>,
    seen_dirs: BTreeSet<PathBuf>,
    problems: Vec<InputProblem>,
}

impl Walk {
    fn visit(&mut self, path: &Path, given: bool) {
        if self.files.len() >= MAX_FILES {
            return;
        }
        let display = display_path(path);
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(err) => {
                self.problems.push(unreadable(&display, &err, given));
                return;
            }
        };
        if meta.is_file() {
            self.files.insert(FoundFile {
                path: path.to_path_buf(),
                display,
            });
        } else if meta.is_dir() {
            self.visit_dir(path, &display);
        }
    }

    fn visit_dir(&mut self, dir: &Path, display: &str) {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.seen_dirs.insert(canonical) {
            return; // symlink loop or the same folder given twice
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                self.problems.push(unreadable(display, &err, false));
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            let hidden = child
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden && child.is_dir() {
                continue;
            }
            self.visit(&child, false);
        }
    }
}

fn unreadable(display: &str, err: &std::io::Error, given: bool) -> InputProblem {
    let help = if given {
        "check the path: it must be an existing file or directory you can read"
    } else {
        "check the file's permissions, or remove it from the scanned folder"
    };
    InputProblem::whole_file(
        ProblemCode::Unreadable,
        Severity::Error,
        display,
        format!("cannot read {display}: {err}"),
        help,
    )
}

/// A path as shown in reports: `/` separators, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_owned()
}
