//! BENCH SUPPORT: a deterministic generator of large, realistic Azure environments.
//!
//! Exists so the benchmarks measure jitscan on inputs shaped like what a large tenant hands an
//! auditor: `az group export` templates (one per resource group) and exports of live resources
//! (REST list pages, one Azure Resource Graph dump, az CLI lists). One [`plan::Plan`] describes
//! the environment (resource groups, subnets, shared NSGs of tens of rules, NIC NSGs, public
//! IPs, load-balancer NAT rules, hub firewalls with DNAT rules, JIT policies); the writers turn
//! it into files. Same seed and size, same bytes: no clock, no `rand`, a tiny xorshift.
//! Bench code only: never shipped, never run by `cargo test`.

pub mod edge;
pub mod export;
pub mod nsg;
pub mod plan;
pub mod rest;
pub mod roles;
pub mod template;

use std::path::Path;

pub use plan::Plan;

/// xorshift64*: enough variety for rule shapes, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (zero is replaced: xorshift must not start at 0).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Bytes and files written by a generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    /// Files written.
    pub files: usize,
    /// Total bytes.
    pub bytes: u64,
}

impl Written {
    /// Writes `value` as JSON (pretty or compact) to `path` and counts it.
    pub fn json(&mut self, path: &Path, value: &serde_json::Value, pretty: bool) {
        let bytes = if pretty {
            serde_json::to_vec_pretty(value).unwrap()
        } else {
            serde_json::to_vec(value).unwrap()
        };
        std::fs::write(path, &bytes).unwrap();
        self.files += 1;
        self.bytes += bytes.len() as u64;
    }
}

/// Every file under `dir` (recursively), sorted: the inputs a scan of `dir` reads.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
