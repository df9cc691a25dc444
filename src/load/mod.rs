//! LOAD: find inputs, decode them, parse JSON and sniff what each document is.
//!
//! The first stage of the pipeline. It reads bytes and produces parsed documents plus an
//! account of every file found (scanned, skipped with the reason, or failed with diagnostics).
//! It knows nothing of VMs or NSGs: turning documents into resources is `arm`'s and `model`'s job.

pub mod confine;
pub mod decode;
pub mod discover;
pub mod locate;
mod pointer;
mod problems;
pub mod read;
pub mod sniff;
mod split;

pub use split::Deferred;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use crate::diagnostic::Text;
use crate::diagnostic::{InputProblem, Span};
pub use confine::Roots;
pub use discover::{display_path, find_files, FoundFile, Walked, STDIN_DISPLAY};
use locate::LineIndex;
pub use read::{read_bounded, read_confined, MAX_FILE_BYTES, MAX_TREE_BYTES};
pub use sniff::DocumentKind;
use split::Outline;

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
    /// never holds every tree at once; see [`Document::reparsed`].
    pub tree_dropped: bool,
}

impl Document {
    /// This document with its tree, parsed again from the text if it was dropped.
    pub fn reparsed(self: &Arc<Self>) -> Result<Arc<Self>, Box<InputProblem>> {
        if !self.tree_dropped {
            return Ok(Arc::clone(self));
        }
        let text = self.text();
        match split::parse_value(&text) {
            Ok(json) => Ok(Arc::new(self.with_tree(json))),
            Err(err) => Err(self.parse_problem(&text, &err)),
        }
    }

    /// A document of the same source with the tree `json`.
    pub fn with_tree(&self, json: Value) -> Document {
        Document {
            source: Arc::clone(&self.source),
            json,
            deferred: None,
            tree_dropped: false,
        }
    }

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

/// How many times a released text was read again (see [`Source::text`]); a scan and its
/// reports never need to, and a test checks they do not.
pub fn rereads() -> usize {
    REREADS.load(std::sync::atomic::Ordering::Relaxed)
}

static REREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The text of one input file and what turns a JSON pointer into a line and column.
///
/// A scan needs the text only until every location it will report is known: it resolves the
/// location of everything in the model once the model is built (see
/// [`crate::model::Inventory::resolve_places`]), then releases the text, which is as big as the
/// input. A location asked for after that comes from what was resolved; one that was not (no
/// scan asks for one) has the file read again.
#[derive(Debug)]
pub struct Source {
    /// Path used to open the file.
    pub path: PathBuf,
    /// Path as shown in reports.
    pub display: String,
    /// Decoded text, comments blanked (offsets match the file); None once released.
    text: std::sync::RwLock<Option<Text>>,
    /// Length in bytes of the text, kept when it is released.
    len: usize,
    /// Line starts of the text and location caches.
    pub lines: Arc<LineIndex>,
}

impl Source {
    /// A source of `text` (decoded, comments blanked) with its line index.
    pub fn new(path: PathBuf, display: String, text: Text, lines: Arc<LineIndex>) -> Self {
        Self {
            path,
            display,
            len: text.len(),
            text: std::sync::RwLock::new(Some(text)),
            lines,
        }
    }

    /// The decoded text (comments blanked). After [`Source::release_text`] the file is read
    /// and decoded again; should it no longer be the text that was scanned (its length
    /// differs), the text is empty and locations point at its start.
    pub fn text(&self) -> Text {
        if let Some(text) = self.text.read().ok().and_then(|t| t.clone()) {
            return text;
        }
        REREADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let reread: Text = Arc::new(
            read_bounded(&self.path, &self.display)
                .ok()
                .and_then(|bytes| decode::decode_owned(bytes).ok())
                .map(decode::blank_comments)
                .filter(|text| text.len() == self.len)
                .unwrap_or_default(),
        );
        if let Ok(mut slot) = self.text.write() {
            *slot = Some(Arc::clone(&reread));
        }
        reread
    }

    /// Frees the text (the places resolved so far stay known).
    pub fn release_text(&self) {
        if let Ok(mut slot) = self.text.write() {
            *slot = None;
        }
    }

    /// Length in bytes of the text.
    pub fn text_len(&self) -> usize {
        self.len
    }

    /// Line and column of a JSON pointer inside this document.
    pub fn line_col(&self, pointer: &str) -> (usize, usize) {
        if let Some(place) = self.lines.known_place(pointer) {
            return place;
        }
        self.lines.pointer_line_col(&self.text(), pointer)
    }

    /// A span at the value a pointer designates, `extra` bytes into its text, `len` long.
    pub fn span_at(&self, pointer: &str, extra: usize, len: usize) -> Span {
        let offset = self.lines.pointer_offset(&self.text(), pointer);
        self.span_of_bytes(offset.saturating_add(extra), len)
    }

    /// A span over the value at `pointer`: the whole of a scalar (up to 200 bytes), the
    /// opening bracket of an object or array.
    pub fn span_of_value(&self, pointer: &str) -> Span {
        let text = self.text();
        let offset = self.lines.pointer_offset(&text, pointer);
        self.span_of_bytes(offset, pointer::scalar_len(&text, offset, 200))
    }

    /// A span over bytes `start..end` of the *decoded* value of the JSON string at `pointer`
    /// (an ARM expression's own offsets), mapped back through the string's escapes (`\"`,
    /// `\u0041`) to the characters in the file. A value that is not a string gets a span at
    /// its start.
    pub fn span_in_string(&self, pointer: &str, start: usize, end: usize) -> Span {
        let text = self.text();
        let quote = self.lines.pointer_offset(&text, pointer);
        if text.as_bytes().get(quote) != Some(&b'"') {
            return self.span_of_bytes(quote, 1);
        }
        let from = pointer::raw_offset_in_string(&text, quote, start);
        let to = pointer::raw_offset_in_string(&text, quote, end.max(start));
        self.span_of_bytes(from, to.saturating_sub(from).max(1))
    }

    /// A span of `len` bytes at byte `offset` of the text, clamped to the text.
    fn span_of_bytes(&self, offset: usize, len: usize) -> Span {
        let text = self.text();
        let offset = offset.min(text.len());
        let len = len.min(text.len() - offset);
        let (line, column) = self.lines.line_col(&text, offset);
        Span {
            offset,
            len,
            line,
            column,
        }
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
/// outside `roots`. The walk is returned with its file list emptied (the files are loaded).
pub fn load_all(paths: &[PathBuf], roots: &Roots) -> (Vec<LoadedFile>, Walked) {
    let mut walked = find_files(paths, roots);
    let found = std::mem::take(&mut walked.files);
    let files = found
        .into_par_iter()
        .map(|found| load_file(found, roots))
        .collect();
    (files, walked)
}

/// Loads one file: read (only inside `roots`), fingerprint, decode, parse, sniff.
pub fn load_file(found: FoundFile, roots: &Roots) -> LoadedFile {
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
    let (sha256, parsed) = fingerprint_and_parse(&file.found.path, &display, bytes);
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
                DocumentKind::Template if doc.text_len() >= split::defer_min_bytes() => {
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

/// Decodes and parses bytes into a document with its whole tree (linked templates, tests).
pub fn parse_document(
    path: &Path,
    display: &str,
    bytes: Vec<u8>,
) -> Result<Document, Box<InputProblem>> {
    decode_and_parse(path, display, bytes, false)
}

/// Decodes bytes and parses the text; `lazy` as in [`parse_text`].
fn decode_and_parse(
    path: &Path,
    display: &str,
    bytes: Vec<u8>,
    lazy: bool,
) -> Result<Document, Box<InputProblem>> {
    let text = match decode::decode_owned(bytes) {
        Ok(text) => text,
        Err((err, bytes)) => {
            return Err(Box::new(problems::encoding_problem(display, &bytes, &err)))
        }
    };
    parse_text(path, display, Arc::new(decode::blank_comments(text)), lazy)
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
) -> (String, Result<Document, Box<InputProblem>>) {
    let marked = [&[0xEF, 0xBB, 0xBF][..], &[0xFF, 0xFE], &[0xFE, 0xFF]]
        .iter()
        .any(|mark| bytes.starts_with(mark));
    if marked {
        return rayon::join(
            || hex_sha256(&bytes),
            || parse_document_ref(path, display, &bytes),
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let text: Text = Arc::new(text);
            rayon::join(
                || hex_sha256(text.as_bytes()),
                || match parse_text(path, display, Arc::clone(&text), true) {
                    Err(_) if decode::first_comment(text.as_bytes()).is_some() => {
                        decode_and_parse(path, display, text.as_bytes().to_vec(), true)
                    }
                    parsed => parsed,
                },
            )
        }
        Err(err) => {
            let bytes = err.into_bytes();
            rayon::join(
                || hex_sha256(&bytes),
                || parse_document_ref(path, display, &bytes),
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
) -> Result<Document, Box<InputProblem>> {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let utf8 = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(utf8) {
        Ok(text) if !utf16 => match parse_text(path, display, Arc::new(text.to_owned()), true) {
            Err(_) if decode::first_comment(text.as_bytes()).is_some() => {
                decode_and_parse(path, display, bytes.to_vec(), true)
            }
            parsed => parsed,
        },
        _ => decode_and_parse(path, display, bytes.to_vec(), true),
    }
}

/// Parses decoded text (comments blanked). When `lazy`, a big export is previewed and its
/// items left to be read one batch at a time, and a big template is only checked (its tree
/// is built when its environment is, see [`Document::reparsed`]); anything else, and
/// everything when not `lazy`, becomes a whole tree.
fn parse_text(
    path: &Path,
    display: &str,
    text: Text,
    lazy: bool,
) -> Result<Document, Box<InputProblem>> {
    let (lines, outline) = rayon::join(
        || LineIndex::new(&text),
        || {
            if lazy {
                split::outline(&text, path)
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
    match split::parse_value(&text) {
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
    use crate::export::ExportShape as S;
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
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// A released text is read again for a location not resolved before; a file changed in
    /// between (another length) is not taken for the text that was scanned.
    #[test]
    fn a_released_text_is_read_again_only_when_still_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        let text = "{\n  \"value\": [\n    {\n      \"id\": \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/p\",\n      \"name\": \"p\"\n    }\n  ]\n}\n";
        std::fs::write(&path, text).unwrap();
        let file = load_file(
            FoundFile {
                path: path.clone(),
                display: "export.json".to_owned(),
            },
            &Roots::new(&[dir.path().to_path_buf()]),
        );
        let Loaded::Parsed(doc, _) = file.loaded else {
            panic!("parsed")
        };
        assert_eq!(doc.line_col("/value/0"), (3, 5));
        doc.release_text();
        assert_eq!(doc.line_col("/value/0"), (3, 5), "resolved before");
        assert_eq!(doc.line_col("/value/0/id"), (4, 13), "read again");

        std::fs::write(&path, text.replace("\"p\"", "\"pp\"")).unwrap();
        doc.release_text();
        assert_eq!(doc.line_col("/value/0/name"), (1, 1), "changed: not used");
        assert_eq!(doc.line_col("/value/0/id"), (4, 13), "resolved before");
    }
}
