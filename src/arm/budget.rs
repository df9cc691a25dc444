//! ARM: the work budget of one template expansion.
//!
//! Each expression evaluation is bounded on its own (`expr`'s limits), but a template can ask
//! for very many of them: copy loops nested in copy loops, nested deployments in copy loops,
//! variables that double a value at every step and are re-evaluated in every iteration. One
//! budget, shared by every scope of one expansion pass (nested and linked templates
//! included), bounds the total: string bytes plus a fixed weight per JSON node evaluated or
//! produced, which tracks both time and the memory the expanded resources take. When it runs
//! out, the rest of the template is not expanded and one diagnostic says so. Nothing here
//! knows about templates.

use std::cell::Cell;

/// Work any template may do, in bytes-equivalent: about 256 MiB of evaluated values (the
/// expanded resources take a few times that in memory), a few seconds of work. A 4 MB
/// template (Azure's limit) of ordinary resources uses about a tenth of it. (Unit tests use
/// 4 MiB so that running out is cheap to test.)
pub(crate) const MIN_EXPANSION_WORK: usize = if cfg!(test) { 4 << 20 } else { 256 << 20 };
/// Work per byte of template text beyond that: a big template may do proportionally more
/// (a 100 MB template of ordinary resources uses about half of its allowance).
pub(crate) const WORK_PER_TEXT_BYTE: usize = 24;
/// The weight of one JSON node (an object, array, string, number...), about its size in
/// memory once evaluated (a map entry with its key and value, allocation overhead included).
pub(crate) const NODE_WEIGHT: usize = 160;

/// The work left to one expansion pass.
#[derive(Debug)]
pub(crate) struct Budget {
    used: Cell<usize>,
    limit: usize,
}

impl Budget {
    /// The budget of a template whose text is `text_len` bytes long.
    pub(crate) fn for_template(text_len: usize) -> Self {
        Self::new(MIN_EXPANSION_WORK.max(text_len.saturating_mul(WORK_PER_TEXT_BYTE)))
    }

    /// A budget of `limit` units.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            used: Cell::new(0),
            limit,
        }
    }

    /// Spends `work`; false when the budget is (now) exhausted.
    pub(crate) fn spend(&self, work: usize) -> bool {
        let used = self.used.get().saturating_add(work);
        self.used.set(used);
        used <= self.limit
    }

    /// True once more than the limit was spent.
    pub(crate) fn exhausted(&self) -> bool {
        self.used.get() > self.limit
    }

    /// The limit, for messages.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }
}
