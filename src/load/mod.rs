//! LOAD: find inputs, decode them, parse JSON and sniff what each document is.
//!
//! The first stage of the pipeline. It reads bytes and produces parsed documents plus an
//! account of every file found (scanned, skipped with the reason, or failed with diagnostics).
//! It knows nothing of VMs or NSGs: turning documents into resources is `arm`'s and `model`'s job.

pub mod decode;
pub mod discover;
pub mod locate;
pub mod sniff;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::diagnostic::{InputProblem, ProblemCode, Severity, Span};
pub use discover::{display_path, find_files, FoundFile};
use locate::LineIndex;
pub use sniff::DocumentKind;

/// Files larger than this are not parsed (an ARM template is limited to 4 MB by Azure; exports
/// can be large, so the bound is generous).
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A parsed JSON document with the text it came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path used to open the file.
    pub path: PathBuf,
    /// Path as shown in reports.
    pub display: String,
    /// Decoded text, comments blanked (offsets match the file).
    pub text: Arc<str>,
    /// Line starts of `text`.
    pub lines: Arc<LineIndex>,
    /// The parsed JSON.
    pub json: Value,
}

impl Document {
    /// Line and column of a JSON pointer inside this document.
    pub fn line_col(&self, pointer: &str) -> (usize, usize) {
        let offset = locate::pointer_offset(&self.text, pointer);
        self.lines.line_col(&self.text, offset)
    }

    /// A span at the value a pointer designates, with an extra byte offset inside it (for a
    /// character inside a string value: +1 for the opening quote is added by the caller).
    pub fn span_at(&self, pointer: &str, extra: usize, len: usize) -> Span {
        let offset = locate::pointer_offset(&self.text, pointer) + extra;
        let offset = offset.min(self.text.len());
        let (line, column) = self.lines.line_col(&self.text, offset);
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

/// Finds and loads every file under `roots`, in parallel, in sorted order.
pub fn load_all(roots: &[PathBuf]) -> (Vec<LoadedFile>, Vec<InputProblem>) {
    let (found, walk_problems) = find_files(roots);
    let files = found.into_par_iter().map(load_file).collect();
    (files, walk_problems)
}

/// Loads one file: read, fingerprint, decode, parse, sniff.
pub fn load_file(found: FoundFile) -> LoadedFile {
    let mut file = LoadedFile {
        found,
        sha256: String::new(),
        loaded: Loaded::Failed,
        problems: Vec::new(),
    };
    let display = file.found.display.clone();
    if !looks_like_json_name(&file.found.path) {
        file.loaded = Loaded::Skipped("not a .json file".to_owned());
        return file;
    }
    let bytes = match read_bounded(&file.found.path) {
        Ok(bytes) => bytes,
        Err(problem) => {
            file.problems.push(problem.with_path(&display));
            return file;
        }
    };
    file.sha256 = hex_sha256(&bytes);
    match parse_document(&file.found.path, &display, &bytes) {
        Ok(doc) => {
            file.loaded = match sniff::sniff(&doc.json, &file.found.path) {
                DocumentKind::Unsupported(reason) => Loaded::Skipped(reason),
                kind => Loaded::Parsed(Arc::new(doc), kind),
            }
        }
        Err(problem) => file.problems.push(*problem),
    }
    file
}

/// Decodes and parses bytes into a document (also used for linked templates).
pub fn parse_document(
    path: &Path,
    display: &str,
    bytes: &[u8],
) -> Result<Document, Box<InputProblem>> {
    let text = decode::decode_text(bytes).map_err(|err| {
        let decode::DecodeError::InvalidEncoding { encoding, offset } = err;
        Box::new(InputProblem {
            span: Some(Span {
                offset: 0,
                len: 0,
                line: 1,
                column: 1,
            }),
            ..InputProblem::whole_file(
                ProblemCode::Encoding,
                Severity::Error,
                display,
                format!("invalid {encoding} at byte {offset}"),
                "save the file as UTF-8 (or UTF-16 with a byte-order mark)",
            )
        })
    })?;
    let text: Arc<str> = Arc::from(decode::blank_comments(text));
    let lines = Arc::new(LineIndex::new(&text));
    match serde_json::from_str::<Value>(&text) {
        Ok(json) => Ok(Document {
            path: path.to_path_buf(),
            display: display.to_owned(),
            text,
            lines,
            json,
        }),
        Err(err) => Err(Box::new(json_problem(display, &text, &lines, &err))),
    }
}

fn json_problem(
    display: &str,
    text: &Arc<str>,
    lines: &LineIndex,
    err: &serde_json::Error,
) -> InputProblem {
    let line = err.line().max(1);
    let column = err.column().max(1);
    let offset = offset_of_line_col(text, lines, line, column);
    let full = err.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(head, _)| head)
        .to_owned();
    let help = match err.classify() {
        serde_json::error::Category::Eof => {
            "the file ends before the JSON does: it may be truncated; check that every { and [ is closed"
        }
        _ => "fix the JSON at this position (a missing comma, an extra trailing comma, or an unquoted key are common causes)",
    };
    let (line, column) = lines.line_col(text, offset);
    InputProblem {
        span: Some(Span {
            offset,
            len: 1,
            line,
            column,
        }),
        source: Some(Arc::clone(text)),
        ..InputProblem::whole_file(
            ProblemCode::MalformedJson,
            Severity::Error,
            display,
            format!("malformed JSON: {message}"),
            help,
        )
    }
}

/// Byte offset of serde_json's 1-based line and (byte) column.
fn offset_of_line_col(text: &str, lines: &LineIndex, line: usize, column: usize) -> usize {
    let _ = lines;
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn looks_like_json_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonc"))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, Box<InputProblem>> {
    let too_big = std::fs::metadata(path).map(|m| m.len() > MAX_FILE_BYTES);
    if let Ok(true) = too_big {
        return Err(Box::new(InputProblem::whole_file(
            ProblemCode::TooLarge,
            Severity::Error,
            "",
            format!("file is larger than {MAX_FILE_BYTES} bytes"),
            "split the export into several files",
        )));
    }
    std::fs::read(path).map_err(|err| {
        Box::new(InputProblem::whole_file(
            ProblemCode::Unreadable,
            Severity::Error,
            "",
            format!("cannot read file: {err}"),
            "check that the file exists and is readable (it may have been removed during the scan)",
        ))
    })
}

impl InputProblem {
    fn with_path(mut self, display: &str) -> Self {
        self.path = display.to_owned();
        self
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
