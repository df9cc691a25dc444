//! SOURCE: the ground floor of locations. The text of an input file, its line index, JSON
//! pointers into it and the [`Origin`] of everything read from it.
//!
//! Every stage keeps locations symbolic (a file and a JSON pointer) and turns them into a line
//! and column only when a report or a diagnostic needs one. A scan resolves every location it
//! will report while the text is held, then releases the text; nothing here ever reads a
//! file, so a report can never read the disk.

pub mod lines;
pub mod pointer;

use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Span, Text};
pub use lines::LineIndex;
pub use pointer::{child_pointer, escape_pointer_token, index_pointer};

/// The text of one input file and what turns a JSON pointer into a line and column.
///
/// A scan needs the text only until every location it will report is known: it resolves the
/// location of everything in the model once the model is built (see
/// [`crate::model::Inventory::resolve_places`]), then releases the text, which is as big as the
/// input. A location asked for after that comes from what was resolved; one that was not is a
/// bug (a debug assertion) and points at the start of the file.
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

    /// The decoded text (comments blanked). After [`Source::release_text`] it is empty: every
    /// location a scan reports is resolved before the release (see
    /// [`crate::model::Inventory::resolve_places`]), so asking for the text later is a bug.
    pub fn text(&self) -> Text {
        if let Some(text) = self.text.read().ok().and_then(|t| t.clone()) {
            return text;
        }
        LATE_LOOKUPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        debug_assert!(
            false,
            "the text of {} was asked for after its release: a location was not resolved ahead",
            self.display
        );
        Text::default()
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

/// Where a resource (or a part of it) is declared.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file.
    pub document: Arc<Source>,
    /// JSON pointer into it (shared: an origin is copied into every piece of evidence).
    pub pointer: Arc<str>,
}

impl Origin {
    /// The start of an empty document `t.json`: a place for unit tests that build model
    /// values by hand.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        let text: Text = Arc::new("{}".to_owned());
        Origin {
            document: Arc::new(Source::new(
                "t.json".into(),
                "t.json".into(),
                Arc::clone(&text),
                Arc::new(LineIndex::new(&text)),
            )),
            pointer: "".into(),
        }
    }

    /// The display path of the file.
    pub fn path(&self) -> &str {
        &self.document.display
    }

    /// 1-based line and column.
    pub fn line_col(&self) -> (usize, usize) {
        self.document.line_col(&self.pointer)
    }

    /// An origin for a part of this one.
    pub fn child(&self, suffix: &str) -> Self {
        Self {
            document: Arc::clone(&self.document),
            pointer: format!("{}{suffix}", self.pointer).into(),
        }
    }
}

/// How many times a released text was asked for (see [`Source::text`]); a scan and its
/// reports never do, and a release-build test checks it.
pub fn late_lookups() -> usize {
    LATE_LOOKUPS.load(std::sync::atomic::Ordering::Relaxed)
}

static LATE_LOOKUPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
