//! LOAD: find inputs, decode them, parse JSON and sniff what each document is.
//!
//! The first stage of the pipeline. It reads bytes and produces parsed documents plus an
//! account of every file found (scanned, skipped with the reason, or failed with diagnostics).
//! It knows nothing of VMs or NSGs: turning documents into resources is `arm`'s and `model`'s job.

pub mod confine;
pub mod decode;
mod defer;
pub mod discover;
mod problems;
pub mod read;
pub mod shape;
pub mod sniff;

pub use defer::Deferred;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diagnostic::InputProblem;
pub use crate::diagnostic::Text;
use crate::json::split::parse_value;
use crate::limits::Limits;
use crate::progress::Progress;
use crate::source::{LineIndex, Source};
pub use confine::Roots;
use defer::Outline;
pub use discover::{display_path, find_files, FoundFile, Walked, STDIN_DISPLAY};
pub use read::{read_bounded, read_confined, MAX_FILE_BYTES, MAX_TREE_BYTES};
pub use sniff::DocumentKind;

/// A parsed JSON document: the text it came from and its tree.
///
/// The tree is needed only while resources are read out of it; locations (origins of VMs,
/// rules, findings) keep just the [`Source`], so the tree, several times the size of the
/// text, is freed as soon as the environment is built.
#[derive(Debug, Clone)]
pub struct Document {
    /// The text, for locations.
    pub source: Arc<Source>,
    /// The parsed JSON. For a big export whose items are [`Deferred`], the item array here
    /// holds only its first elements (enough to tell what the document is).
    pub json: Value,
    /// Where the items of a big export are, left unparsed to be read a batch at a time.
    pub deferred: Option<Deferred>,
    /// No tree is held: a big template (recognised from its outline, or its tree dropped once
    /// recognised) is parsed when its environment is built, so that a scan of many templates
    /// never holds every tree at once (the expansion reads it from the text, see
    /// [`crate::arm::expand_template`]).
    pub tree_dropped: bool,
}

impl Document {
    /// The problem of this document's `text` failing to parse with `err`.
    pub fn parse_problem(&self, text: &Text, err: &serde_json::Error) -> Box<InputProblem> {
        Box::new(problems::json_problem(
            &self.display,
            text,
            &self.lines,
            err,
        ))
    }
}

impl std::ops::Deref for Document {
    type Target = Source;

    fn deref(&self) -> &Source {
        &self.source
    }
}

/// What loading one file gave.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// Parsed, with the kind sniffed from its content.
    Parsed(Arc<Document>, DocumentKind),
    /// Not an input jitscan reads; the reason says why.
    Skipped(String),
    /// Infrastructure as code jitscan does not read (Bicep, Terraform): skipped, and named
    /// on stderr with how to scan it.
    Foreign(sniff::Foreign),
    /// Could not be read, decoded or parsed; the problems say why.
    Failed,
}

/// One file found, with its fingerprint and what loading it gave.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The file.
    pub found: FoundFile,
    /// Lower-case hex sha256 of the bytes (empty when unreadable).
    pub sha256: String,
    /// Outcome.
    pub loaded: Loaded,
    /// Problems found while loading.
    pub problems: Vec<InputProblem>,
}

/// Finds and loads every file under `paths`, in parallel, in sorted order, never reading
/// outside `roots`, as [`load_file_with`] loads one. The walk is returned with its file list
/// emptied (the files are loaded). `progress`, when given, counts the files found and read.
pub fn load_all(
    paths: &[PathBuf],
    roots: &Roots,
    limits: &Limits,
    progress: Option<&Progress>,
) -> (Vec<LoadedFile>, Walked) {
    let mut walked = find_files(paths, roots);
    let found = std::mem::take(&mut walked.files);
    if let Some(progress) = progress {
        progress.files_found(found.len());
    }
    let files = found
        .into_par_iter()
        .map(|found| {
            let file = load_file_with(found, roots, limits);
            if let Some(progress) = progress {
                progress.file_read();
            }
            file
        })
        .collect();
    (files, walked)
}

/// [`load_file_with`] the default limits.
pub fn load_file(found: FoundFile, roots: &Roots) -> LoadedFile {
    load_file_with(found, roots, &Limits::default())
}

/// Loads one file: read (only inside `roots`), fingerprint, decode, parse, sniff. A big
/// document is parsed in parallel pieces, and a big export or template left unparsed until
/// it is needed, as `limits` say.
pub fn load_file_with(found: FoundFile, roots: &Roots, limits: &Limits) -> LoadedFile {
    let mut file = LoadedFile {
        found,
        sha256: String::new(),
        loaded: Loaded::Failed,
        problems: Vec::new(),
    };
    let display = file.found.display.clone();
    if !file.found.is_stdin() && !looks_like_json_name(&file.found.path) {
        file.loaded = match sniff::foreign_source(&file.found.path) {
            Some(foreign) => Loaded::Foreign(foreign),
            None => Loaded::Skipped("not a .json file".to_owned()),
        };
        return file;
    }
    let read = if file.found.is_stdin() {
        read::read_stdin(&display)
    } else {
        read_confined(&file.found.path, &display, roots)
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(problem) => {
            file.problems.push(*problem);
            return file;
        }
    };
    let (sha256, parsed) = fingerprint_and_parse(&file.found.path, &display, bytes, limits);
    file.sha256 = sha256;
    match parsed {
        // A big template, recognised from its outline: no tree was built.
        Ok(doc) if doc.tree_dropped => {
            file.loaded = Loaded::Parsed(Arc::new(doc), DocumentKind::Template);
        }
        Ok(mut doc) => {
            file.loaded = match sniff::sniff(&doc.json, &file.found.path) {
                DocumentKind::Unsupported(reason) => Loaded::Skipped(reason),
                DocumentKind::Foreign(foreign) => Loaded::Foreign(foreign),
                // A big template is parsed again when its environment is built rather than held
                // from loading on: the second parse costs less than holding every tree at once.
                DocumentKind::Template if doc.text_len() >= limits.defer_min_bytes => {
                    drop(std::mem::take(&mut doc.json));
                    doc.tree_dropped = true;
                    Loaded::Parsed(Arc::new(doc), DocumentKind::Template)
                }
                kind => Loaded::Parsed(Arc::new(doc), kind),
            }
        }
        Err(problem) => file.problems.push(*problem),
    }
    file
}

/// Decodes and parses bytes into a document with its whole tree (linked templates, tests),
/// with the default limits.
pub fn parse_document(
    path: &Path,
    display: &str,
    bytes: Vec<u8>,
) -> Result<Document, Box<InputProblem>> {
    decode_and_parse(path, display, bytes, &Limits::default(), false)
}

/// Decodes bytes and parses the text; `limits` and `lazy` as in [`parse_text`].
fn decode_and_parse(
    path: &Path,
    display: &str,
    bytes: Vec<u8>,
    limits: &Limits,
    lazy: bool,
) -> Result<Document, Box<InputProblem>> {
    let text = match decode::decode_owned(bytes) {
        Ok(text) => text,
        Err((err, bytes)) => {
            return Err(Box::new(problems::encoding_problem(display, &bytes, &err)))
        }
    };
    parse_text(
        path,
        display,
        Arc::new(decode::blank_comments(text)),
        limits,
        lazy,
    )
}

/// An input file's bytes into their fingerprint and a document, big ones lazily (see
/// [`parse_text`]); the fingerprint is computed while the text is parsed. UTF-8 without a
/// byte-order mark, the common case, becomes the shared text as it is, without a copy.
/// Comments are looked for only when the text does not parse: JSON never has a `/` outside
/// a string, so a text that parses has none.
fn fingerprint_and_parse(
    path: &Path,
    display: &str,
    bytes: Vec<u8>,
    limits: &Limits,
) -> (String, Result<Document, Box<InputProblem>>) {
    let marked = [&[0xEF, 0xBB, 0xBF][..], &[0xFF, 0xFE], &[0xFE, 0xFF]]
        .iter()
        .any(|mark| bytes.starts_with(mark));
    if marked {
        return rayon::join(
            || hex_sha256(&bytes),
            || parse_document_ref(path, display, &bytes, limits),
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let text: Text = Arc::new(text);
            rayon::join(
                || hex_sha256(text.as_bytes()),
                || match parse_text(path, display, Arc::clone(&text), limits, true) {
                    Err(_) if decode::first_comment(text.as_bytes()).is_some() => {
                        decode_and_parse(path, display, text.as_bytes().to_vec(), limits, true)
                    }
                    parsed => parsed,
                },
            )
        }
        Err(err) => {
            let bytes = err.into_bytes();
            rayon::join(
                || hex_sha256(&bytes),
                || parse_document_ref(path, display, &bytes, limits),
            )
        }
    }
}

/// [`fingerprint_and_parse`] of text with a byte-order mark, or not UTF-8: decoded into a
/// text of its own.
fn parse_document_ref(
    path: &Path,
    display: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Document, Box<InputProblem>> {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let utf8 = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(utf8) {
        Ok(text) if !utf16 => {
            match parse_text(path, display, Arc::new(text.to_owned()), limits, true) {
                Err(_) if decode::first_comment(text.as_bytes()).is_some() => {
                    decode_and_parse(path, display, bytes.to_vec(), limits, true)
                }
                parsed => parsed,
            }
        }
        _ => decode_and_parse(path, display, bytes.to_vec(), limits, true),
    }
}

/// Parses decoded text (comments blanked). When `lazy`, a big export (see
/// [`Limits::defer_min_bytes`]) is previewed and its items left to be read one batch at a
/// time, and a big template is only checked (its tree is read when its environment is built,
/// see [`Document::tree_dropped`]); anything else, and everything when not `lazy`, becomes a
/// whole tree, parsed in parallel pieces when big (see [`Limits::split_min_bytes`]).
fn parse_text(
    path: &Path,
    display: &str,
    text: Text,
    limits: &Limits,
    lazy: bool,
) -> Result<Document, Box<InputProblem>> {
    let (lines, outline) = rayon::join(
        || LineIndex::new(&text),
        || {
            if lazy {
                defer::outline(&text, path, limits.defer_min_bytes)
            } else {
                Outline::Whole
            }
        },
    );
    let source = |text, lines| {
        Arc::new(Source::new(
            path.to_path_buf(),
            display.to_owned(),
            text,
            lines,
        ))
    };
    // Whatever is not read item by item below becomes one tree, within a bound.
    let itemised =
        matches!(&outline, Outline::Export(json, deferred) if deferrable(json, deferred));
    if let Some(problem) = read::tree_too_big(display, text.len()).filter(|_| !itemised) {
        return Err(problem);
    }
    match outline {
        Outline::Export(json, deferred) if itemised => {
            let starts = deferred.elements.iter().map(|r| r.start).collect();
            let lines = Arc::new(lines.with_items(&deferred.pointer, starts));
            return Ok(Document {
                source: source(text, lines),
                json,
                deferred: Some(deferred),
                tree_dropped: false,
            });
        }
        // Its tree is built when its environment is; `load_file` knows it by the dropped tree.
        Outline::Template(starts) => {
            let lines = match starts {
                Some(starts) => lines.with_items("/resources", starts),
                None => lines,
            };
            return Ok(Document {
                source: source(text, Arc::new(lines)),
                json: Value::Null,
                deferred: None,
                tree_dropped: true,
            });
        }
        Outline::Export(..) | Outline::Whole => {}
    }
    let lines = Arc::new(lines);
    match parse_value(&text, limits.split_min_bytes) {
        Ok(json) => Ok(Document {
            source: source(text, lines),
            json,
            deferred: None,
            tree_dropped: false,
        }),
        Err(err) => Err(Box::new(problems::json_problem(
            display, &text, &lines, &err,
        ))),
    }
}

/// True when the previewed document is an export listing its items in the deferred array:
/// then its items are read from there, element by element. Anything else is parsed whole.
fn deferrable(preview: &Value, deferred: &Deferred) -> bool {
    use crate::load::shape::ExportShape as S;
    let shape = match sniff::sniff(preview, Path::new("")) {
        DocumentKind::Export(shape) => shape,
        _ => return false,
    };
    matches!(
        (shape, deferred.pointer.as_str()),
        (S::AzCli | S::ResourceGraph, "")
            | (S::RestList, "/value")
            | (S::ResourceGraph, "/data" | "/data/rows")
    )
}

/// `*.json` or `*.jsonc` (any case): the names jitscan reads.
pub(crate) fn looks_like_json_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonc"))
}

fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded_export(dir: &tempfile::TempDir) -> Arc<Document> {
        let path = dir.path().join("export.json");
        let text = "{\n  \"value\": [\n    {\n      \"id\": \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/p\",\n      \"name\": \"p\"\n    }\n  ]\n}\n";
        std::fs::write(&path, text).unwrap();
        let file = load_file(
            FoundFile {
                path,
                display: "export.json".to_owned(),
            },
            &Roots::new(&[dir.path().to_path_buf()]),
        );
        let Loaded::Parsed(doc, _) = file.loaded else {
            panic!("parsed")
        };
        doc
    }

    /// A location resolved before the text is released stays known after.
    #[test]
    fn a_released_text_keeps_the_places_resolved_before() {
        let dir = tempfile::tempdir().unwrap();
        let doc = loaded_export(&dir);
        assert_eq!(doc.line_col("/value/0"), (3, 5));
        doc.release_text();
        assert_eq!(doc.line_col("/value/0"), (3, 5), "resolved before");
    }

    /// A location not resolved before the release is a bug: the file is never read again.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "after its release")]
    fn a_location_asked_for_after_the_release_is_a_bug() {
        let dir = tempfile::tempdir().unwrap();
        let doc = loaded_export(&dir);
        doc.release_text();
        std::fs::remove_file(dir.path().join("export.json")).unwrap();
        let _ = doc.line_col("/value/0/id");
    }
}
