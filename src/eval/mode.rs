//! EVALUATE: how an evaluation resolves the facts the input does not decide.
//!
//! Every VM is evaluated in each [`Mode`], from the most closed to the most open; a fact that
//! is only [`Uncertainty::Assumed`] or [`Uncertainty::Unknown`] goes one way or the other per
//! mode; comparing the runs (see [`vm::judge`](super::vm::judge)) gives each verdict its
//! confidence.

/// How unsure an uncertain fact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Uncertainty {
    /// Inferred (e.g. a dynamic address's subnet).
    Assumed,
    /// Undecidable from the input.
    Unknown,
}

/// Which way an evaluation resolves uncertain facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Everything uncertain resolves to the closed outcome.
    Closed,
    /// Assumed facts resolve open; unknown facts closed.
    AssumedOpen,
    /// Everything uncertain resolves to the open outcome.
    Open,
}

impl Mode {
    /// Whether an uncertain fact of `level` resolves towards "open" in this mode.
    pub fn leans_open(self, level: Uncertainty) -> bool {
        match self {
            Self::Closed => false,
            Self::AssumedOpen => level == Uncertainty::Assumed,
            Self::Open => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_lean_open_on_more_facts_from_closed_to_open() {
        let leaning =
            |level| [Mode::Closed, Mode::AssumedOpen, Mode::Open].map(|m| m.leans_open(level));
        assert_eq!(leaning(Uncertainty::Assumed), [false, true, true]);
        assert_eq!(leaning(Uncertainty::Unknown), [false, false, true]);
    }
}
