//! LOAD: find the input files under the paths the user gave.
//!
//! Directories are walked recursively in sorted order so output is deterministic; hidden
//! directories (`.git`, `.terraform`, ...) are not entered; symlink loops are cut by
//! remembering canonical directory paths; special files (FIFOs, whose opening would block)
//! and dangling links are reported, never opened. A path that cannot be read becomes a
//! problem, never an abort. This module only lists files; it never opens them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{InputProblem, ProblemCode, Severity};

/// Upper bound on the files one scan considers, against runaway walks (e.g. a root given by
/// mistake).
const MAX_FILES: usize = 1_000_000;
/// Deepest folder nesting entered (symlinked folders are followed, loops are cut separately).
const MAX_DEPTH: usize = 256;

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
        walk.visit(root, true, 0);
    }
    let files: Vec<FoundFile> = walk.files.into_iter().collect();
    (files, walk.problems)
}

#[derive(Default)]
struct Walk {
    files: BTreeSet<FoundFile>,
    seen_dirs: BTreeSet<PathBuf>,
    problems: Vec<InputProblem>,
    full: bool,
}

impl Walk {
    fn visit(&mut self, path: &Path, given: bool, depth: usize) {
        if self.files.len() >= MAX_FILES {
            if !self.full {
                self.full = true;
                self.problems.push(InputProblem::whole_file(
                    ProblemCode::TooLarge,
                    Severity::Error,
                    &display_path(path),
                    format!("more than {MAX_FILES} files found; {} and the files after it were not scanned", display_path(path)),
                    "scan fewer folders at a time",
                ));
            }
            return;
        }
        let display = display_path(path);
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(err) => {
                self.problems.push(unreadable(path, &display, &err, given));
                return;
            }
        };
        if meta.is_file() {
            self.files.insert(FoundFile {
                path: path.to_path_buf(),
                display,
            });
        } else if meta.is_dir() {
            if depth >= MAX_DEPTH {
                self.problems.push(InputProblem::whole_file(
                    ProblemCode::TooLarge,
                    Severity::Error,
                    &display,
                    format!("{display} is nested more than {MAX_DEPTH} directories deep; it was not entered"),
                    "scan the deep folder directly",
                ));
                return;
            }
            self.visit_dir(path, &display, depth);
        } else if super::looks_like_json_name(path) {
            // Opening a FIFO would block the scan; a device or socket is no input either.
            // (Special files with other names are no input and are left out, as before.)
            self.problems.push(InputProblem::whole_file(
                ProblemCode::Unreadable,
                Severity::Error,
                &display,
                format!(
                    "{display} is {}, not a regular file; it was not read",
                    super::read::file_type(&meta)
                ),
                "scan regular files only; remove special files from the scanned folder",
            ));
        }
    }

    fn visit_dir(&mut self, dir: &Path, display: &str, depth: usize) {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.seen_dirs.insert(canonical) {
            return; // symlink loop or the same folder given twice
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                self.problems.push(unreadable(dir, display, &err, false));
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
            self.visit(&child, false, depth + 1);
        }
    }
}

fn unreadable(path: &Path, display: &str, err: &std::io::Error, given: bool) -> InputProblem {
    let dangling = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let (what, help) = if dangling && err.kind() == std::io::ErrorKind::NotFound {
        (
            format!("{display} is a symbolic link to a missing file (it may have been removed during the scan)"),
            "fix or remove the link",
        )
    } else if dangling {
        (
            format!("{display} is a symbolic link that cannot be followed: {err}"),
            "fix the link: it may point to itself through a loop",
        )
    } else if given {
        (
            format!("cannot read {display}: {err}"),
            "check the path: it must be an existing file or directory you can read",
        )
    } else {
        (
            format!("cannot read {display}: {err}"),
            "check the file's permissions, or remove it from the scanned folder",
        )
    };
    InputProblem::whole_file(
        ProblemCode::Unreadable,
        Severity::Error,
        display,
        what,
        help,
    )
}

/// A path as shown in reports: `/` separators, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_owned()
}
