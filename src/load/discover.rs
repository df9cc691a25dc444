//! LOAD: find the input files under the paths the user gave.
//!
//! Directories are walked recursively in sorted order so output is deterministic; hidden
//! directories (`.git`, `.terraform`, ...) are not entered; symlink loops are cut by
//! remembering canonical directory paths; special files (FIFOs, whose opening would block)
//! and dangling links are reported, never opened. A symbolic link is followed only when its
//! target lies inside a scan root (see [`super::confine`]); one leading outside is listed as
//! skipped, without saying where it leads. `-` stands for standard input. A path that cannot
//! be read becomes a problem, never an abort. This module only lists files; it never opens them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::confine::{is_stdin, Roots};
use crate::diagnostic::{InputProblem, ProblemCode, Severity};

/// Upper bound on the files one scan considers, against runaway walks (e.g. a root given by
/// mistake).
const MAX_FILES: usize = 1_000_000;
/// Deepest folder nesting entered (symlinked folders are followed, loops are cut separately).
const MAX_DEPTH: usize = 256;

/// The name standard input has in reports.
pub const STDIN_DISPLAY: &str = "<stdin>";

/// A file found under one of the scan paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundFile {
    /// The path used to open it (`-` for standard input).
    pub path: PathBuf,
    /// The path as shown in reports (as the user would type it, `/` separators).
    pub display: String,
}

impl FoundFile {
    /// Whether this is standard input (`-`).
    pub fn is_stdin(&self) -> bool {
        is_stdin(&self.path)
    }
}

/// What a walk of the scan paths found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every regular file, deduplicated and sorted.
    pub files: Vec<FoundFile>,
    /// Paths that could not be walked.
    pub problems: Vec<InputProblem>,
    /// Paths not followed, by display path, with the reason (links leading outside the roots).
    pub skipped: Vec<(String, String)>,
}

/// Lists every regular file under `paths`, deduplicated and sorted, never leaving `roots`.
pub fn find_files(paths: &[PathBuf], roots: &Roots) -> Walked {
    let mut walk = Walk {
        roots,
        files: BTreeSet::new(),
        seen_dirs: BTreeSet::new(),
        problems: Vec::new(),
        skipped: Vec::new(),
        full: false,
    };
    for path in paths {
        if is_stdin(path) {
            walk.files.insert(FoundFile {
                path: path.clone(),
                display: STDIN_DISPLAY.to_owned(),
            });
        } else {
            walk.visit(path, true, 0);
        }
    }
    Walked {
        files: walk.files.into_iter().collect(),
        problems: walk.problems,
        skipped: walk.skipped,
    }
}

struct Walk<'r> {
    roots: &'r Roots,
    files: BTreeSet<FoundFile>,
    seen_dirs: BTreeSet<PathBuf>,
    problems: Vec<InputProblem>,
    skipped: Vec<(String, String)>,
    full: bool,
}

impl Walk<'_> {
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
        // A path given on the command line is a root itself; below it, a link is followed
        // only to a target inside a root (a dangling one is reported as unreadable below).
        let link =
            !given && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if link && std::fs::metadata(path).is_ok() && self.roots.admit(path).is_none() {
            self.skipped.push((
                display,
                "symbolic link to a target outside the scanned paths; not followed".to_owned(),
            ));
            return;
        }
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
        } else if given || super::looks_like_json_name(path) {
            // Opening a FIFO would block the scan; a device or socket is no input either.
            // (Special files with other names found in a folder are no input and are left
            // out; one named on the command line, such as `/dev/stdin`, is reported.)
            self.problems.push(InputProblem::whole_file(
                ProblemCode::Unreadable,
                Severity::Error,
                &display,
                format!(
                    "{display} is {}, not a regular file; it was not read",
                    super::read::file_type(&meta)
                ),
                if given {
                    "scan regular files and folders; to read standard input, give `-`"
                } else {
                    "scan regular files only; remove special files from the scanned folder"
                },
            ));
        }
    }

    fn visit_dir(&mut self, dir: &Path, display: &str, depth: usize) {
        let Ok(canonical) = std::fs::canonicalize(dir) else {
            return self.problems.push(unreadable(
                dir,
                display,
                &std::io::Error::other("it cannot be resolved"),
                false,
            ));
        };
        // Checked again here, on the folder about to be listed: a folder swapped for a link
        // since its parent was listed is not entered.
        if !self.roots.holds(&canonical) {
            self.skipped.push((
                display.to_owned(),
                "symbolic link to a target outside the scanned paths; not followed".to_owned(),
            ));
            return;
        }
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
