//! EVALUATE: how an evaluation resolves the facts the input does not decide.
//!
//! Every VM is evaluated in each [`Mode`], from the most closed to the most open; a fact that
//! is only [`Uncertainty::Assumed`] or [`Uncertainty::Unknown`] goes one way or the other per
//! mode. A [`PerMode`] holds one result per mode by name, so comparing the runs (see
//! [`vm::judge`](super::vm::judge)) never depends on the position of a result in a list.

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
    /// Every mode, from the most closed to the most open: the order runs happen in (the first
    /// reason met for an uncertainty is the one reported).
    pub const ALL: [Mode; 3] = [Mode::Closed, Mode::AssumedOpen, Mode::Open];

    /// Whether an uncertain fact of `level` resolves towards "open" in this mode.
    pub fn leans_open(self, level: Uncertainty) -> bool {
        match self {
            Self::Closed => false,
            Self::AssumedOpen => level == Uncertainty::Assumed,
            Self::Open => true,
        }
    }
}

/// One value per [`Mode`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PerMode<T> {
    /// In [`Mode::Closed`].
    pub closed: T,
    /// In [`Mode::AssumedOpen`].
    pub assumed_open: T,
    /// In [`Mode::Open`].
    pub open: T,
}

impl<T> PerMode<T> {
    /// The value of each mode, computed in [`Mode::ALL`] order.
    pub fn from_fn(mut value: impl FnMut(Mode) -> T) -> Self {
        let closed = value(Mode::Closed);
        let assumed_open = value(Mode::AssumedOpen);
        let open = value(Mode::Open);
        Self {
            closed,
            assumed_open,
            open,
        }
    }

    /// The value of `mode`.
    pub fn get(&self, mode: Mode) -> &T {
        match mode {
            Mode::Closed => &self.closed,
            Mode::AssumedOpen => &self.assumed_open,
            Mode::Open => &self.open,
        }
    }

    /// The value of `mode`, to change it.
    pub fn get_mut(&mut self, mode: Mode) -> &mut T {
        match mode {
            Mode::Closed => &mut self.closed,
            Mode::AssumedOpen => &mut self.assumed_open,
            Mode::Open => &mut self.open,
        }
    }

    /// Each mode's value through `f`, in [`Mode::ALL`] order.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> PerMode<U> {
        let closed = f(self.closed);
        let assumed_open = f(self.assumed_open);
        let open = f(self.open);
        PerMode {
            closed,
            assumed_open,
            open,
        }
    }

    /// Borrows each mode's value.
    pub fn as_ref(&self) -> PerMode<&T> {
        PerMode {
            closed: &self.closed,
            assumed_open: &self.assumed_open,
            open: &self.open,
        }
    }

    /// Each mode with its value, in [`Mode::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Mode, &T)> {
        Mode::ALL
            .into_iter()
            .map(move |mode| (mode, self.get(mode)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_per_mode_is_found_by_its_mode() {
        let mut per = PerMode::from_fn(|mode| mode);
        assert!(per.iter().all(|(mode, value)| mode == *value));
        *per.get_mut(Mode::Open) = Mode::Closed;
        assert_eq!(per.get(Mode::Open), &Mode::Closed);
        assert_eq!(per.map(|m| m == Mode::Closed).as_ref().closed, &true);
    }

    #[test]
    fn modes_lean_open_on_more_facts_from_closed_to_open() {
        let leaning = |level| Mode::ALL.map(|m| m.leans_open(level));
        assert_eq!(leaning(Uncertainty::Assumed), [false, true, true]);
        assert_eq!(leaning(Uncertainty::Unknown), [false, false, true]);
        let mut order = Vec::new();
        let _ = PerMode::from_fn(|mode| order.push(mode));
        assert_eq!(order, Mode::ALL);
    }
}
