//! Ground floor: how far a run is, for a caller that shows it (a long scan of a tenant export
//! takes tens of seconds). The pipeline only advances counters; it never prints: `main.rs`
//! polls them from a thread of its own and draws the progress line on a terminal.
//!
//! Counters are touched per file, per environment and per chunk of VMs, never per VM in a
//! hot loop, and nothing here decides anything a report shows.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// VMs evaluated between two advances of [`Progress::vms_ticked`] within one environment (a
/// tenant export is one environment of hundreds of thousands of VMs).
pub const VM_CHUNK: usize = 1024;

/// Counters a run advances as it goes, shared (in an `Arc`) with whoever watches them.
/// Every count is a lower bound of the work done: a watcher may read them at any moment.
#[derive(Debug, Default)]
pub struct Progress {
    files_found: AtomicUsize,
    files_read: AtomicUsize,
    vms_found: AtomicUsize,
    model_built: AtomicBool,
    /// VMs of environments whose step ended.
    vms_done: AtomicUsize,
    /// VMs evaluated, counted by the chunk inside environments.
    vms_ticked: AtomicUsize,
}

/// What a watcher reads: the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Files found under the scan paths (0 until the walk ends).
    pub files_found: usize,
    /// Of those, read (or refused) so far.
    pub files_read: usize,
    /// VMs and scale sets in the environments built (0 until the model is built).
    pub vms_found: usize,
    /// Of those, evaluated so far.
    pub vms_evaluated: usize,
    /// Every environment is built: VMs are being evaluated.
    pub model_built: bool,
}

impl Progress {
    /// The walk found `count` files.
    pub fn files_found(&self, count: usize) {
        self.files_found.store(count, Ordering::Relaxed);
    }

    /// One more file was read (or could not be).
    pub fn file_read(&self) {
        self.files_read.fetch_add(1, Ordering::Relaxed);
    }

    /// Every environment is built and holds `count` VMs.
    pub fn vms_found(&self, count: usize) {
        self.vms_found.store(count, Ordering::Relaxed);
        self.model_built.store(true, Ordering::Relaxed);
    }

    /// `count` more VMs evaluated inside an environment still being evaluated.
    pub fn vms_ticked(&self, count: usize) {
        self.vms_ticked.fetch_add(count, Ordering::Relaxed);
    }

    /// An environment of `count` VMs went through its step.
    pub fn environment_done(&self, count: usize) {
        self.vms_done.fetch_add(count, Ordering::Relaxed);
    }

    /// The counters now. Ticks and finished environments count the same VMs twice when both
    /// report them, so VMs evaluated is the larger of the two, never more than were found.
    pub fn snapshot(&self) -> Snapshot {
        let found = self.vms_found.load(Ordering::Relaxed);
        let evaluated = self
            .vms_done
            .load(Ordering::Relaxed)
            .max(self.vms_ticked.load(Ordering::Relaxed));
        Snapshot {
            files_found: self.files_found.load(Ordering::Relaxed),
            files_read: self.files_read.load(Ordering::Relaxed),
            vms_found: found,
            vms_evaluated: evaluated.min(found),
            model_built: self.model_built.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vms_evaluated_counts_ticks_and_finished_environments_once() {
        let p = Progress::default();
        assert_eq!(p.snapshot(), Snapshot::default());
        p.files_found(3);
        p.file_read();
        assert!(!p.snapshot().model_built);
        p.vms_found(3000);
        assert!(p.snapshot().model_built);
        // One environment of 2000 VMs ticked by the chunk, then done; another of 1000 done.
        p.vms_ticked(VM_CHUNK);
        assert_eq!(p.snapshot().vms_evaluated, VM_CHUNK);
        p.vms_ticked(2000 - VM_CHUNK);
        p.environment_done(2000);
        assert_eq!(p.snapshot().vms_evaluated, 2000);
        p.environment_done(1000);
        let s = p.snapshot();
        assert_eq!((s.files_found, s.files_read), (3, 1));
        assert_eq!((s.vms_found, s.vms_evaluated), (3000, 3000));
    }
}
