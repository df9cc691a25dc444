//! TIMINGS: an opt-in record of how long each stage of a run takes, for performance work.
//!
//! With `JITSCAN_TIMINGS=1` each stage is recorded as it ends, with the resident memory then and
//! at its peak so far (where `/proc` tells); the binary prints the record to stderr (see
//! `scan::ScanResult::stages`). Off by default, and then it costs one cached check per stage.
//! Never part of a report.

use std::sync::OnceLock;
use std::time::Instant;

/// True when `JITSCAN_TIMINGS=1`.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("JITSCAN_TIMINGS").is_some_and(|v| v == "1"))
}

/// One stage: its name, how long it took, and the memory when it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// What the stage did.
    pub name: &'static str,
    /// Its duration in milliseconds.
    pub millis: f64,
    /// Resident memory when it ended and at the peak so far, in MB (None where unknown).
    pub memory: Option<(u64, u64)>,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:.1} ms", self.name, self.millis)?;
        if let Some((rss, peak)) = self.memory {
            write!(f, ", rss {rss} MB, peak {peak} MB")?;
        }
        Ok(())
    }
}

/// Times consecutive stages: each [`Stages::done`] records the time since the previous one.
#[derive(Debug)]
pub struct Stages {
    last: Option<Instant>,
    done: Vec<Stage>,
}

impl Stages {
    /// Starts timing (a no-op when timings are off).
    pub fn start() -> Self {
        Self {
            last: enabled().then(Instant::now),
            done: Vec::new(),
        }
    }

    /// Ends the stage `name`; the next stage starts now.
    pub fn done(&mut self, name: &'static str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            self.done.push(Stage {
                name,
                millis: now.duration_since(last).as_secs_f64() * 1e3,
                memory: memory(),
            });
            self.last = Some(now);
        }
    }

    /// The stages recorded (none when timings are off).
    pub fn finish(self) -> Vec<Stage> {
        self.done
    }
}

/// Resident memory now and at its peak, in MB, from `/proc/self/status`.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_prints_its_time_and_memory() {
        let stage = Stage {
            name: "load",
            millis: 12.345,
            memory: Some((100, 120)),
        };
        assert_eq!(stage.to_string(), "load 12.3 ms, rss 100 MB, peak 120 MB");
        let stage = Stage {
            memory: None,
            ..stage
        };
        assert_eq!(stage.to_string(), "load 12.3 ms");
    }
}
