//! TIMINGS: an opt-in record of how long each stage of a run takes, for performance work.
//!
//! With `JITSCAN_TIMINGS=1` each stage is recorded as it ends, with the CPU time it took (all
//! threads, user and system) and the resident memory then and at its peak so far (where `/proc`
//! tells; CPU time in the kernel's ticks, usually 10 ms); the binary prints the record to stderr (see
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
    /// CPU time of all threads during the stage, in milliseconds (None where unknown).
    pub cpu_millis: Option<f64>,
    /// Resident memory when it ended and at the peak so far, in MB (None where unknown).
    pub memory: Option<(u64, u64)>,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:.1} ms", self.name, self.millis)?;
        if let Some(cpu) = self.cpu_millis {
            write!(f, " (cpu {cpu:.0} ms)")?;
        }
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
    last_cpu: Option<f64>,
    done: Vec<Stage>,
}

impl Stages {
    /// Starts timing (a no-op when timings are off).
    pub fn start() -> Self {
        let last = enabled().then(Instant::now);
        Self {
            last_cpu: last.and_then(|_| cpu_millis()),
            last,
            done: Vec::new(),
        }
    }

    /// Goes on timing after the stages `done` (a no-op when timings are off).
    pub fn resume(done: Vec<Stage>) -> Self {
        Self {
            done,
            ..Self::start()
        }
    }

    /// Ends the stage `name`; the next stage starts now.
    pub fn done(&mut self, name: &'static str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            let cpu = cpu_millis();
            self.done.push(Stage {
                name,
                millis: now.duration_since(last).as_secs_f64() * 1e3,
                cpu_millis: cpu.zip(self.last_cpu).map(|(now, before)| now - before),
                memory: memory(),
            });
            self.last = Some(now);
            self.last_cpu = cpu;
        }
    }

    /// The stages recorded (none when timings are off).
    pub fn finish(self) -> Vec<Stage> {
        self.done
    }
}

/// User and system CPU time of the process so far, in milliseconds, from `/proc/self/stat`
/// (fields 14 and 15, in ticks of 1/100 s: the kernel's `USER_HZ` on every Linux platform).
pub fn cpu_millis() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_from_stat(&stat)
}

/// The CPU time in a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and
/// may hold spaces, so fields are counted after its closing parenthesis.
fn cpu_from_stat(stat: &str) -> Option<f64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` starts at field 3 (state): utime and stime are its 12th and 13th fields.
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 * 10.0)
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
            cpu_millis: Some(20.0),
            memory: Some((100, 120)),
        };
        assert_eq!(
            stage.to_string(),
            "load 12.3 ms (cpu 20 ms), rss 100 MB, peak 120 MB"
        );
        let stage = Stage {
            cpu_millis: None,
            memory: None,
            ..stage
        };
        assert_eq!(stage.to_string(), "load 12.3 ms");
    }

    #[test]
    fn cpu_time_is_read_after_a_command_name_with_spaces_and_parentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime ...
        let stat = "4242 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 123 45 0 0 20 0 3";
        assert_eq!(cpu_from_stat(stat), Some(1680.0));
        assert_eq!(cpu_from_stat("4242 (short"), None);
        assert_eq!(cpu_from_stat("4242 (x) R 1 2"), None);
    }

    #[test]
    fn this_process_has_a_cpu_time() {
        assert!(
            cpu_millis().is_some_and(|ms| ms >= 0.0),
            "Linux has /proc/self/stat"
        );
    }
}
