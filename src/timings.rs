//! TIMINGS: an opt-in trace of how long each stage of a run takes, for performance work.
//!
//! Set `JITSCAN_TIMINGS=1` and every stage prints `jitscan: <stage> <ms>` to stderr as it
//! ends, with the resident memory now and at its peak so far (where `/proc` tells). Off by default, and then it costs one cached check per stage. Never part of a report.

use std::sync::OnceLock;
use std::time::Instant;

/// True when `JITSCAN_TIMINGS=1`.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("JITSCAN_TIMINGS").is_some_and(|v| v == "1"))
}

/// Times consecutive stages: each [`Stages::done`] prints the time since the previous one.
#[derive(Debug)]
pub struct Stages {
    last: Option<Instant>,
}

impl Stages {
    /// Starts timing (a no-op when timings are off).
    pub fn start() -> Self {
        Self {
            last: enabled().then(Instant::now),
        }
    }

    /// Ends the stage `name`, printing its time; the next stage starts now.
    pub fn done(&mut self, name: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            eprintln!(
                "jitscan: {name} {:.1} ms{}",
                now.duration_since(last).as_secs_f64() * 1e3,
                memory()
            );
            self.last = Some(now);
        }
    }
}

/// ", rss N MB, peak N MB" from `/proc/self/status`, or nothing where that is not readable.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or_else(|| "?".to_owned(), |kb| (kb / 1024).to_string())
    };
    format!(", rss {} MB, peak {} MB", field("VmRSS:"), field("VmHWM:"))
}
