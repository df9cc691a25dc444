//! Fuzzing on the stable toolchain: proptest-driven targets for the loader (bytes -> decode
//! -> parse -> sniff -> ARM expansion or export linking -> model -> evaluation -> rendered
//! diagnostics and reports, starting from mutations of the real templates and exports in
//! `fixtures/`) and for the expression parser and evaluator (expressions from a small grammar
//! plus random edits, alone and inside a template).
//!
//! `cargo test` runs a short smoke (a few seconds). Long runs:
//! `JITSCAN_FUZZ_CASES=200000 JITSCAN_FUZZ_SEED=7 cargo test --release --test it fuzz:: -- --nocapture`.
//! A panic saves its input under `target/tmp/fuzz-crash/`; slow inputs (over 2 s) go to
//! `target/tmp/fuzz-slow/` (timing is reported, never asserted). Crashing inputs found this way
//! are kept in `fixtures/hostile/` and replayed by the `hostile::regressions` tests.

mod grammar;
mod mutate;
mod pipeline;

use std::collections::HashMap;
use std::time::Instant;

use jitscan::arm::expr::{evaluate_string, parse, Scope};
use jitscan::arm::unknown::unknown;
use jitscan::arm::DeploymentContext;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

use grammar::{expression_text, Rng};

/// Cases per target: `JITSCAN_FUZZ_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("JITSCAN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A runner seeded from `JITSCAN_FUZZ_SEED` (fixed by default, so `cargo test` is
/// reproducible).
fn runner(cases: u32, salt: u8) -> TestRunner {
    let seed: u64 = std::env::var("JITSCAN_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut bytes = [salt; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 0,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// The seeds: every JSON file under `fixtures/arm`, `fixtures/linked` and `fixtures/exports`.
fn fixtures() -> Vec<Vec<u8>> {
    let root = crate::support::root().join("fixtures");
    let mut files = Vec::new();
    let mut dirs: Vec<_> = ["arm", "linked", "exports"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn loader_survives_mutated_templates() {
    let corpus = fixtures();
    let cases = cases(48);
    let start = Instant::now();
    let strategy = (any::<u64>(), any::<usize>(), 1usize..6, 0u8..4);
    let dir = tempfile::tempdir().unwrap();
    let result = runner(cases, 0xA5).run(&strategy, |(seed, pick, mutations, params)| {
        let mut rng = Rng(seed | 1);
        let base = &corpus[pick % corpus.len()];
        let bytes = mutate::mutate(&mut rng, base, &corpus, mutations);
        // Now and then a parameters file, itself mutated, for the mismatch checks.
        let params = (params == 0).then(|| {
            let p = br#"{"parameters": {"adminUsername": {"value": "x"}, "sshPort": {"value": "22"}, "extra": {"value": [1]}, "vmCount": {"value": 1000000000}}}"#;
            mutate::mutate(&mut rng, p, &corpus, 1)
        });
        pipeline::run(dir.path(), "loader", &bytes, params.as_deref());
        Ok(())
    });
    println!("loader: {cases} inputs in {:?}", start.elapsed());
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[test]
fn expressions_parse_and_evaluate_without_panicking() {
    let cases = cases(400);
    let start = Instant::now();
    let scope = FuzzScope::new();
    let dir = tempfile::tempdir().unwrap();
    let result = runner(cases, 0x5A).run(&any::<u64>(), |seed| {
        let mut rng = Rng(seed | 1);
        let text = expression_text(&mut rng);
        check_offsets(&text, parse(&text).err().map(|e| e.offset));
        check_offsets(
            &text,
            evaluate_string(&text, &scope).err().map(|e| e.offset),
        );
        // The same expression inside a template: scope, copy loops, spans through escapes.
        if rng.below(4) == 0 {
            let template = in_template(&text, &mut rng);
            pipeline::run(dir.path(), "expression", template.as_bytes(), None);
        }
        Ok(())
    });
    println!("expressions: {cases} inputs in {:?}", start.elapsed());
    if let Err(err) = result {
        panic!("{err}");
    }
}

fn check_offsets(text: &str, offset: Option<usize>) {
    if let Some(offset) = offset {
        assert!(
            offset <= text.len() && text.is_char_boundary(offset),
            "{text:?}: error offset {offset}"
        );
    }
}

fn in_template(expression: &str, rng: &mut Rng) -> String {
    let other = expression_text(rng);
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"p": {"type": "string", "defaultValue": other}, "obj": {"type": "object", "defaultValue": {"a": [1, "b"]}}},
        "variables": {
            "v": expression,
            "w": "[variables('v')]",
            "copy": [{"name": "loop", "count": 3, "input": expression}]
        },
        "resources": [{
            "type": "Microsoft.Network/networkSecurityGroups",
            "name": expression,
            "copy": {"name": "c", "count": "[length(createArray(1, 2))]"},
            "condition": other,
            "properties": {"securityRules": [{"name": "r", "properties": {
                "priority": expression, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                "sourceAddressPrefix": other, "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": expression
            }}]}
        }]
    });
    serde_json::to_string_pretty(&template).unwrap()
}

/// A scope with a few parameters and variables and one copy loop.
struct FuzzScope {
    values: HashMap<&'static str, Value>,
    ctx: DeploymentContext,
}

impl FuzzScope {
    fn new() -> Self {
        let values = [
            ("p", json!("pre")),
            ("obj", json!({"a": {"b": [1, 2, {"c": "deep"}]}, "n": null})),
            ("arr", json!(["one", "two", "three"])),
            ("v", json!("x")),
            ("w", unknown("undecidable")),
            ("loop", json!([1, 2, 3])),
        ];
        Self {
            values: values.into_iter().collect(),
            ctx: DeploymentContext::default(),
        }
    }
}

impl Scope for FuzzScope {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no parameter {name}"))
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        self.parameter(name)
    }

    fn copy_index(&self, _loop_name: Option<&str>) -> Result<i64, String> {
        Ok(2)
    }

    fn context(&self) -> &DeploymentContext {
        &self.ctx
    }

    fn reference(&self, _target: &Value, _full: bool) -> Value {
        unknown("runtime state")
    }
}
