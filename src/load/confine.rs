//! LOAD: the scan roots, the only places jitscan reads inputs from.
//!
//! A pull request or a client's folder is hostile: a symbolic link (`infra/root -> /`), a
//! linked template's `relativePath: "../../../secret.json"` or a link swapped while the scan
//! runs must never make jitscan read, parse or list anything outside the paths the user asked
//! to scan. Every path is judged by where it really is: its canonical form (links resolved)
//! must lie under the canonical form of a scan root, compared by whole path components, and a
//! file is judged again on the handle it was opened with (see [`super::read`]), so a link
//! flipped between the check and the open is caught too. This module never opens a file.

use std::path::{Path, PathBuf};

/// The canonical forms of the paths the user asked to scan.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    canonical: Vec<PathBuf>,
}

impl Roots {
    /// The roots of `paths` (files or directories; `-`, standard input, is no root). A path
    /// that cannot be resolved is left out: the walk reports it as unreadable.
    pub fn new(paths: &[PathBuf]) -> Self {
        let mut canonical: Vec<PathBuf> = paths
            .iter()
            .filter(|p| !is_stdin(p))
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        canonical.sort();
        canonical.dedup();
        Self { canonical }
    }

    /// Whether the canonical path `real` lies inside a root (or is one). `Path::starts_with`
    /// compares whole components: `/scan/nsg-1` does not hold `/scan/nsg-19`.
    pub fn holds(&self, real: &Path) -> bool {
        self.canonical.iter().any(|root| real.starts_with(root))
    }

    /// Where `path` really is, when that lies inside a root; None when it lies outside, or
    /// cannot be resolved (a dangling link, a missing file). Callers say the same either way,
    /// so that a message never tells whether a file outside the roots exists.
    pub fn admit(&self, path: &Path) -> Option<PathBuf> {
        let real = std::fs::canonicalize(path).ok()?;
        self.holds(&real).then_some(real)
    }
}

/// Whether `path` is `-`, standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_hold_whole_components_only() {
        let dir = tempfile::tempdir().unwrap();
        let inside = dir.path().join("nsg-1");
        let sibling = dir.path().join("nsg-19");
        std::fs::create_dir(&inside).unwrap();
        std::fs::create_dir(&sibling).unwrap();
        std::fs::write(inside.join("a.json"), "{}").unwrap();
        std::fs::write(sibling.join("b.json"), "{}").unwrap();
        let roots = Roots::new(std::slice::from_ref(&inside));
        assert!(roots.admit(&inside.join("a.json")).is_some());
        assert!(roots.admit(&sibling.join("b.json")).is_none());
        assert!(roots.admit(&inside.join("../nsg-19/b.json")).is_none());
        assert!(roots.admit(&inside.join("missing.json")).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_judged_by_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("infra");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("modules")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret.json"), "{}").unwrap();
        std::fs::write(root.join("modules/m.json"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.json"), root.join("x.json")).unwrap();
        std::os::unix::fs::symlink(root.join("modules/m.json"), root.join("y.json")).unwrap();
        let roots = Roots::new(std::slice::from_ref(&root));
        assert!(roots.admit(&root.join("x.json")).is_none());
        assert!(roots.admit(&root.join("y.json")).is_some());
        assert!(!Roots::new(&[PathBuf::from("-")]).holds(Path::new("/")));
    }
}
