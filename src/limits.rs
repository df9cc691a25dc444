//! Limits: the sizes at which a scan changes how it does its work, never what it finds.
//!
//! A big document is parsed in parallel pieces, a big export read item by item, a big
//! template parsed only when expanded, and an export's items and a model's resources are cut
//! into batches and chunks for the cores. Each choice trades time against memory, and none
//! may change a verdict, a location or a diagnostic. The sizes are options of a scan
//! ([`crate::scan::ScanOptions::limits`]), handed down to each stage that uses one: the
//! defaults are the tuned values, and a test sets every one to 1 to take every input down
//! every path and compare the reports (`tests/limits.rs`).

/// Where a scan switches from one way of working to another (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A document (or an array or object in it) at least this long is parsed in parallel
    /// pieces (`json::split`).
    pub split_min_bytes: usize,
    /// An export at least this long is read item by item, a batch at a time, and a template
    /// at least this long is only checked at loading and parsed when its environment is built
    /// (`load::defer`): smaller than [`Limits::split_min_bytes`] because what it saves is
    /// memory (the trees of many files at once), not time.
    pub defer_min_bytes: usize,
    /// Items in one batch of an export read item by item, at most: enough to keep every
    /// core busy on each.
    pub export_batch_items: usize,
    /// The text of one batch's items, at most (a batch has at least one item): a parsed tree
    /// costs several times its text and two batches are alive at once (one modelled while the
    /// next is read), so this bounds the memory of reading an export of any size.
    pub export_batch_bytes: usize,
    /// Resources per chunk when a model is built on every core: big enough that merging the
    /// chunks costs little next to converting them.
    pub model_chunk: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            split_min_bytes: 1 << 20,
            defer_min_bytes: 64 << 10,
            export_batch_items: 1024,
            export_batch_bytes: 32 << 20,
            model_chunk: 256,
        }
    }
}
