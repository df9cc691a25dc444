//! POLICY: the files `jitscan policy` writes under `--out DIR`, and the only files it ever
//! removes there.
//!
//! The out folder is often a folder of the user's (a repository, a CI workspace), and the
//! scanned input is untrusted: so jitscan writes into an empty or new folder only, unless
//! `--force` is given; with `--force` it removes its own files first (the names below, one
//! list, used both to write and to clean) so no stale policy of an earlier run survives, and
//! never anything else. No file is written through a link: each is created new (`create_new`,
//! which fails on any existing name, a dangling link included), and a link found under one of
//! jitscan's names is removed itself, never its target. File names from the input (resource
//! group, location, subscription) are cut to safe characters, so none leaves the folder.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::{changes, document, plans_json, pretty, summary, PolicyOutput};
use crate::escape::terminal;

/// The folder of the policy documents, under the out folder.
pub const POLICIES_DIR: &str = "jit-policies";
/// Ending of a policy as a deployable ARM template, in [`POLICIES_DIR`].
pub const TEMPLATE_SUFFIX: &str = ".template.json";
/// Ending of a policy as a REST request, in [`POLICIES_DIR`].
pub const REST_SUFFIX: &str = ".rest.json";
/// The remediation plan for people (Markdown).
pub const REMEDIATION_MD: &str = "remediation.md";
/// The remediation plan as JSON.
pub const REMEDIATION_JSON: &str = "remediation.json";
/// The NSG changes as az CLI commands.
pub const NSG_SCRIPT: &str = "nsg-changes.sh";
/// The folder of the NSG changes as ARM templates (one per resource group, ending in
/// [`TEMPLATE_SUFFIX`]), under the out folder.
pub const NSG_CHANGES_DIR: &str = "nsg-changes";
/// Every file jitscan writes directly in the out folder: [`prepare_out_dir`] removes these
/// (and the documents in [`POLICIES_DIR`] and [`NSG_CHANGES_DIR`]) with `--force`, and
/// nothing else.
pub const OWN_FILES: [&str; 3] = [REMEDIATION_MD, REMEDIATION_JSON, NSG_SCRIPT];

/// The longest file-name stem of a policy document: names from the input may be long, a file
/// name may not.
const MAX_STEM_CHARS: usize = 120;

/// Why the out folder cannot be written to.
#[derive(Debug)]
pub enum OutDirError {
    /// The folder holds something and `--force` was not given.
    NotEmpty {
        /// The out folder.
        dir: PathBuf,
        /// How many entries it holds.
        entries: usize,
    },
    /// The folder (or one of jitscan's files in it) could not be read or removed.
    Io {
        /// The path that failed.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
}

impl fmt::Display for OutDirError {
    /// One line for the terminal: the paths go through [`terminal`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotEmpty { dir, entries } => write!(
                f,
                "refusing to write into {}: the folder is not empty ({entries} entr{}); give an empty or new folder, or --force to replace jitscan's own files there ({REMEDIATION_MD}, {REMEDIATION_JSON} and the policies in {POLICIES_DIR}/; nothing else is removed)",
                terminal(&dir.display().to_string()),
                if *entries == 1 { "y" } else { "ies" },
            ),
            Self::Io { path, source } => write!(
                f,
                "cannot prepare {}: {}",
                terminal(&path.display().to_string()),
                terminal(&source.to_string())
            ),
        }
    }
}

impl std::error::Error for OutDirError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NotEmpty { .. } => None,
            Self::Io { source, .. } => Some(source),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutDirError + '_ {
    move |source| OutDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes `dir` ready for [`write()`]: a missing or empty folder is fine; a folder holding
/// anything is refused unless `force`, and then loses jitscan's own files (see [`OWN_FILES`])
/// and nothing else. Call it before scanning: the out folder may lie under a scanned path,
/// and a stale policy there must not be read as input.
pub fn prepare_out_dir(dir: &Path, force: bool) -> Result<(), OutDirError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io_error(dir)(err)),
    };
    let count = entries.count();
    if count == 0 {
        return Ok(());
    }
    if !force {
        return Err(OutDirError::NotEmpty {
            dir: dir.to_path_buf(),
            entries: count,
        });
    }
    for name in OWN_FILES {
        remove_unless_folder(&dir.join(name))?;
    }
    for folder in [POLICIES_DIR, NSG_CHANGES_DIR] {
        clean_documents(&dir.join(folder))?;
    }
    Ok(())
}

/// Removes jitscan's documents from one of its folders (a link of that name: the link).
fn clean_documents(folder: &Path) -> Result<(), OutDirError> {
    match fs::symlink_metadata(folder) {
        Ok(meta) if meta.file_type().is_symlink() => remove_link(folder),
        Ok(meta) if meta.is_dir() => {
            let entries = fs::read_dir(folder).map_err(io_error(folder))?;
            for entry in entries {
                let entry = entry.map_err(io_error(folder))?;
                if is_policy_file_name(&entry.file_name().to_string_lossy()) {
                    remove_unless_folder(&entry.path())?;
                }
            }
            Ok(())
        }
        // A file of that name is not jitscan's: `write` reports it.
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(io_error(folder)(err)),
    }
}

/// True for the names of the policy documents jitscan writes in [`POLICIES_DIR`].
fn is_policy_file_name(name: &str) -> bool {
    [TEMPLATE_SUFFIX, REST_SUFFIX]
        .iter()
        .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

/// Removes a file or a link (the link itself) of one of jitscan's names; a folder of that
/// name is left alone (jitscan never writes one), and so is a missing one.
fn remove_unless_folder(path: &Path) -> Result<(), OutDirError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => remove_link(path),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => fs::remove_file(path).map_err(io_error(path)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(io_error(path)(err)),
    }
}

/// Removes a symbolic link, never what it points to (Windows removes a link to a folder
/// with `remove_dir`, which does not follow it either).
fn remove_link(path: &Path) -> Result<(), OutDirError> {
    fs::remove_file(path)
        .or_else(|err| fs::remove_dir(path).map_err(|_| err))
        .map_err(io_error(path))
}

/// Writes the documents under `dir`, made ready by [`prepare_out_dir`]; returns the files
/// written. Every file is created new: an existing name (a file left by someone else, a link
/// placed there) is an error, never overwritten or written through.
pub fn write(output: &PolicyOutput, dir: &Path) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let policies_dir = dir.join(POLICIES_DIR);
    create_real_dir(&policies_dir)?;
    let mut written = Vec::new();
    let mut stems = HashSet::new();
    for policy in &output.policies {
        let short: String = policy.subscription.chars().take(8).collect();
        let stem = unique_stem(
            &format!("{short}-{}", document::file_stem(policy)),
            &mut stems,
        );
        let template = policies_dir.join(format!("{stem}{TEMPLATE_SUFFIX}"));
        create_new(&template, &pretty(&document::arm_template(policy)))?;
        let rest = policies_dir.join(format!("{stem}{REST_SUFFIX}"));
        create_new(&rest, &pretty(&document::rest_request(policy)))?;
        written.extend([template, rest]);
    }
    let plan_json = dir.join(REMEDIATION_JSON);
    create_new(&plan_json, &pretty(&plans_json(&output.plans)))?;
    let plan_md = dir.join(REMEDIATION_MD);
    create_new(&plan_md, &summary(output))?;
    written.extend([plan_json, plan_md]);
    let templates = changes::arm_templates(&output.plans);
    if !templates.is_empty() {
        let nsg_dir = dir.join(NSG_CHANGES_DIR);
        create_real_dir(&nsg_dir)?;
        let mut stems = HashSet::new();
        for (group, template) in templates {
            let stem = unique_stem(&group, &mut stems);
            let path = nsg_dir.join(format!("{stem}{TEMPLATE_SUFFIX}"));
            create_new(&path, &pretty(&template))?;
            written.push(path);
        }
    }
    let script = dir.join(NSG_SCRIPT);
    create_new(&script, &changes::az_script(&output.plans))?;
    written.push(script);
    Ok(written)
}

/// Creates the folder of the policies, or takes the one there if it is a real folder (not a
/// link, which could lead out of the out folder).
fn create_real_dir(path: &Path) -> io::Result<()> {
    match fs::create_dir(path) {
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => return Err(err),
        _ => {}
    }
    if fs::symlink_metadata(path)?.is_dir() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} is not a folder (a file or a link): remove it, or give --force to replace a link",
                path.display()
            ),
        ))
    }
}

/// Creates `path` and writes `text`; fails on any existing name, a link included.
fn create_new(path: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
    file.write_all(text.as_bytes())?;
    file.flush()
}

/// A file-name stem made of safe characters (ASCII letters, digits, `-`, `_`, `.`; so never
/// a path separator), cut to [`MAX_STEM_CHARS`], and not yet taken in any letter case (two
/// policies whose names differ only in case or in unsafe characters would otherwise share one
/// file, the second overwriting the first; on a case-insensitive file system, in case too).
fn unique_stem(raw: &str, taken: &mut HashSet<String>) -> String {
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_STEM_CHARS)
        .collect();
    let mut stem = safe.clone();
    let mut n = 1;
    while !taken.insert(stem.to_ascii_lowercase()) {
        n += 1;
        stem = format!("{safe}-{n}");
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_never_leave_the_folder_and_never_collide() {
        let mut taken = HashSet::new();
        let stem = unique_stem("../../x-rg-loc", &mut taken);
        assert_eq!(stem, ".._.._x-rg-loc");
        assert!(!stem.contains('/') && !stem.contains('\\'));
        assert_eq!(unique_stem("a b-rg", &mut taken), "a_b-rg");
        assert_eq!(unique_stem("a_b-rg", &mut taken), "a_b-rg-2");
        assert_eq!(unique_stem("A_B-RG", &mut taken), "A_B-RG-3");
        assert_eq!(
            unique_stem(&"x".repeat(500), &mut taken).len(),
            MAX_STEM_CHARS
        );
    }

    #[test]
    fn only_policy_documents_count_as_jitscans_in_the_policies_folder() {
        assert!(is_policy_file_name("0000-rg-westeurope.template.json"));
        assert!(is_policy_file_name("0000-rg-westeurope.rest.json"));
        assert!(!is_policy_file_name(".rest.json"));
        assert!(!is_policy_file_name("notes.json"));
        assert!(!is_policy_file_name("policy.template.json.bak"));
    }
}
