//! BENCH SUPPORT: a small timing harness (median of a few runs, bounded by a time budget),
//! the scan under test, and peak-memory measurement of the release binary with GNU time.
//!
//! Plain `std::time::Instant` rather than criterion: the runs that matter take seconds, a
//! median of a handful is what the targets are stated in, and the bench builds with no extra
//! dependency on a 2-core machine shared with other builds.

pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jitscan::classify::Classification;
use jitscan::scan::{scan, ScanOptions, ScanResult};

/// Timings of one measured operation.
#[derive(Debug, Clone)]
pub struct Stats {
    pub median: Duration,
    pub min: Duration,
    pub runs: usize,
}

impl Stats {
    /// Median in seconds.
    pub fn secs(&self) -> f64 {
        self.median.as_secs_f64()
    }
}

/// Runs `f` up to `max_runs` times (at least once), stopping early once `budget` is spent;
/// `before` runs (untimed) before each timed run.
pub fn measure_after(
    max_runs: usize,
    budget: Duration,
    mut before: impl FnMut(),
    mut f: impl FnMut(),
) -> Stats {
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < max_runs.max(1) {
        before();
        let t = Instant::now();
        f();
        times.push(t.elapsed());
        if start.elapsed() >= budget {
            break;
        }
    }
    times.sort();
    Stats {
        median: times[times.len() / 2],
        min: times[0],
        runs: times.len(),
    }
}

/// What one scan found, for the setup checks.
#[derive(Debug, Clone, Copy)]
pub struct Census {
    pub vms: usize,
    pub healthy: usize,
    pub unhealthy: usize,
    pub not_applicable: usize,
}

/// Counts a scan's VMs by classification.
pub fn census(result: &ScanResult) -> Census {
    let count = |c| {
        result
            .vms
            .iter()
            .filter(|v| v.classification.value == c)
            .count()
    };
    Census {
        vms: result.vms.len(),
        healthy: count(Classification::Healthy),
        unhealthy: count(Classification::Unhealthy),
        not_applicable: count(Classification::NotApplicable),
    }
}

/// Scan options for `paths` with every default.
pub fn options(paths: &[PathBuf]) -> ScanOptions {
    ScanOptions {
        paths: paths.to_vec(),
        ..ScanOptions::default()
    }
}

/// The end-to-end operation measured: scan, then write the JSON report.
/// Returns the time each half took (the report's length is black-boxed so the work cannot be optimised away).
pub fn scan_to_json(options: &ScanOptions) -> (Duration, Duration) {
    let t = Instant::now();
    let result = scan(options);
    let scanned = t.elapsed();
    // As the binary does: serialized through a buffer, not into one big string.
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::sink());
    jitscan::report::json::write(&result, &mut out).unwrap();
    let rendered = t.elapsed() - scanned;
    // The binary exits without freeing the result (the OS reclaims it at once); here it is
    // freed after the clock stops. The binary's own wall time, exit included, is measured
    // separately (`binary wall`).
    drop(result);
    // The scan frees each model in the background; let that finish before the next run, so
    // one run's clean-up is not timed as part of the next.
    rayon::broadcast(|_| ());
    (scanned, rendered)
}

/// End-to-end timings with the scan and render halves of the same runs, and how many cores
/// the process kept busy (CPU time / wall time, median): on a shared machine this tells a
/// lack of parallelism from a lack of free cores.
#[derive(Debug, Clone)]
pub struct Split {
    pub e2e: Stats,
    /// Each run's end-to-end time, in the order they ran.
    pub e2e_runs: Vec<Duration>,
    pub scan: Stats,
    pub render: Stats,
    pub cores: f64,
}

/// CPU time (user + system) this process has used so far, as the scan's own timings read it
/// ([`jitscan::timings::cpu_millis`]); zero where unavailable.
pub fn cpu_time() -> Duration {
    Duration::from_secs_f64(jitscan::timings::cpu_millis().unwrap_or(0.0) / 1e3)
}

/// [`measure_after`] of [`scan_to_json`], keeping both halves and the cores used.
pub fn measure_split(
    max_runs: usize,
    budget: Duration,
    f: impl FnMut() -> (Duration, Duration),
) -> Split {
    measure_split_after(max_runs, budget, || (), f)
}

/// [`measure_split`] with `before` run (untimed) before each run: the parse floor, so that
/// each end-to-end run has a floor measured just before it, under the same load.
pub fn measure_split_after(
    max_runs: usize,
    budget: Duration,
    before: impl FnMut(),
    mut f: impl FnMut() -> (Duration, Duration),
) -> Split {
    let mut halves = Vec::new();
    let mut cores = Vec::new();
    let mut e2e_runs = Vec::new();
    measure_after(max_runs, budget, before, || {
        let (cpu, wall) = (cpu_time(), Instant::now());
        halves.push(f());
        let took = wall.elapsed();
        e2e_runs.push(took);
        cores.push((cpu_time() - cpu).as_secs_f64() / took.as_secs_f64());
    });
    let e2e = stats_of(&e2e_runs);
    let stats = |mut times: Vec<Duration>| {
        times.sort();
        Stats {
            median: times[times.len() / 2],
            min: times[0],
            runs: times.len(),
        }
    };
    cores.sort_by(f64::total_cmp);
    Split {
        e2e,
        e2e_runs,
        scan: stats(halves.iter().map(|h| h.0).collect()),
        render: stats(halves.iter().map(|h| h.1).collect()),
        cores: cores[cores.len() / 2],
    }
}

/// Scans once and checks the input really exercises the scanner: `expected` VMs, some healthy
/// and some unhealthy, no failed input. Err says what is wrong.
pub fn verify(options: &ScanOptions, expected: usize) -> Result<Census, String> {
    let result = scan(options);
    let c = census(&result);
    let failed = result
        .inputs
        .iter()
        .find(|i| i.status == jitscan::scan::InputStatus::Failed)
        .map(|i| format!("{}: {}", i.path, i.reason.as_deref().unwrap_or("failed")));
    match failed {
        Some(why) => Err(format!("input failed: {why}")),
        None if c.vms != expected => Err(format!("{} VMs scanned, {expected} expected", c.vms)),
        None if c.healthy == 0 || c.unhealthy == 0 => Err(format!("not a mix of verdicts: {c:?}")),
        None => Ok(c),
    }
}

/// Reads every file, for the parse floor (timed separately from the disk).
/// Writes freshly generated files out to disk before anything is timed, so that the kernel's
/// write-back of hundreds of MB does not run during the first timed scans.
pub fn settle(files: &[PathBuf]) {
    for file in files {
        std::fs::File::open(file).unwrap().sync_all().unwrap();
    }
}

pub fn read_all(files: &[PathBuf]) -> Vec<Vec<u8>> {
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// The parse floor: serde_json parsing the bytes into `Value`s, one file after another.
/// Only parsing is timed: each tree is dropped untimed before the next file (dropping a big
/// `Value` costs about as much again, and keeping a thousand trees alive would time page
/// faults, not parsing).
pub fn parse_floor(contents: &[Vec<u8>]) -> Duration {
    let mut took = Duration::ZERO;
    for bytes in contents {
        let t = Instant::now();
        let tree: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        took += t.elapsed();
        drop(std::hint::black_box(tree));
    }
    took
}

/// The median of `durations` (zero when empty).
pub fn median(durations: &[Duration]) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// Stats of durations measured elsewhere.
pub fn stats_of(durations: &[Duration]) -> Stats {
    let mut sorted = durations.to_vec();
    sorted.sort();
    Stats {
        median: median(durations),
        min: sorted.first().copied().unwrap_or_default(),
        runs: sorted.len(),
    }
}

/// Peak memory and wall time of the release binary scanning `dir` to JSON: over several runs,
/// the median wall time, the fastest and slowest, the median CPU time (user and system) and
/// the highest peak.
#[derive(Debug, Clone, Copy)]
pub struct Peak {
    pub max_rss_bytes: u64,
    pub wall: Duration,
    pub wall_min: Duration,
    pub wall_max: Duration,
    pub cpu: Duration,
    pub runs: usize,
}

/// One run of `jitscan scan DIR --format json --output /dev/null` under `/usr/bin/time -v`:
/// wall time, CPU time, max RSS in bytes.
pub fn binary_run(binary: &Path, dir: &Path) -> Option<(Duration, Duration, u64)> {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(binary)
        .args(["scan"])
        .arg(dir)
        .args([
            "--format",
            "json",
            "--output",
            "/dev/null",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "jitscan failed: {stderr}");
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
    };
    let kb: u64 = field("Maximum resident set size (kbytes): ")?
        .parse()
        .ok()?;
    let seconds = |name: &str| field(name).and_then(|v| v.parse::<f64>().ok());
    let cpu = seconds("User time (seconds): ")? + seconds("System time (seconds): ")?;
    Some((wall, Duration::from_secs_f64(cpu), kb * 1024))
}

/// `runs` runs of the binary (see [`Peak`]). None when GNU time is not installed
/// (`apt-get install -y time`).
pub fn peak_memory(binary: &Path, dir: &Path, runs: usize) -> Option<Peak> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut rss = 0;
    for _ in 0..runs.max(1) {
        let (wall, cpu, bytes) = binary_run(binary, dir)?;
        walls.push(wall);
        cpus.push(cpu);
        rss = rss.max(bytes);
    }
    walls.sort();
    cpus.sort();
    Some(Peak {
        max_rss_bytes: rss,
        wall: *walls.get(walls.len() / 2)?,
        wall_min: *walls.first()?,
        wall_max: *walls.last()?,
        cpu: *cpus.get(cpus.len() / 2)?,
        runs: walls.len(),
    })
}

/// Growth of the binary's time from one input to a bigger one, measured in paired rounds.
/// Each round runs the small input a few times (its median) and the big one once, back to
/// back, and takes the ratio: this shared machine drifts by 10-20% over minutes, which
/// medians taken minutes apart (as the table's are) carry straight into the ratio.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    /// Median of the rounds' wall-time ratios, and the lowest and highest.
    pub wall: f64,
    pub wall_min: f64,
    pub wall_max: f64,
    /// Median of the rounds' CPU-time ratios (user and system).
    pub cpu: f64,
    pub rounds: usize,
}

/// [`Growth`] from `small` to `big` over `rounds` rounds of `small_runs` small runs and one
/// big run; the order within a round alternates. None when GNU time is not installed.
pub fn paired_growth(
    binary: &Path,
    small: &Path,
    big: &Path,
    rounds: usize,
    small_runs: usize,
) -> Option<Growth> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for round in 0..rounds.max(1) {
        let small_median = || -> Option<(f64, f64)> {
            let mut w = Vec::new();
            let mut c = Vec::new();
            for _ in 0..small_runs.max(1) {
                let (wall, cpu, _) = binary_run(binary, small)?;
                w.push(wall.as_secs_f64());
                c.push(cpu.as_secs_f64());
            }
            w.sort_by(f64::total_cmp);
            c.sort_by(f64::total_cmp);
            Some((w[w.len() / 2], c[c.len() / 2]))
        };
        let ((sw, sc), (bw, bc)) = if round % 2 == 0 {
            let s = small_median()?;
            let (bw, bc, _) = binary_run(binary, big)?;
            (s, (bw.as_secs_f64(), bc.as_secs_f64()))
        } else {
            let (bw, bc, _) = binary_run(binary, big)?;
            (small_median()?, (bw.as_secs_f64(), bc.as_secs_f64()))
        };
        walls.push(bw / sw);
        // CPU is read in 10 ms steps; a small run's may round to zero.
        if sc > 0.0 {
            cpus.push(bc / sc);
        }
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Some(Growth {
        wall: *walls.get(walls.len() / 2)?,
        wall_min: *walls.first()?,
        wall_max: *walls.last()?,
        cpu: cpus.get(cpus.len() / 2).copied().unwrap_or(f64::NAN),
        rounds: walls.len(),
    })
}

/// The 1-, 5- and 15-minute load averages: the machine is shared, so every figure is printed
/// with the load it was taken under.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Seconds with three significant figures, for tables.
pub fn fmt_secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

/// Megabytes with one decimal.
pub fn fmt_mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}
