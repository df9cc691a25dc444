//! REPORT: the SARIF 2.1.0 log, as GitHub code scanning and Microsoft's SARIF Multitool read it.
//!
//! Exists so findings can be uploaded to code scanning and other SARIF viewers: every rule of
//! the catalogue with its help, one result per finding at the rule a fix would change (the
//! finding's `deciding` place, else the VM), the VM as a logical location and, when it is not the
//! primary, as the first related location, then the deciding NSG rules and paths, a `partialFingerprints`
//! entry that survives unrelated edits and a change of working directory (`crate::baseline`),
//! `baselineState` when the scan was given a baseline, and
//! input problems as tool execution notifications. Like every report it only arranges what the
//! scan decided: it must not evaluate, read inputs or write anywhere, and it must stay
//! byte-identical for the same input (no timestamps; no machine-specific absolute paths when a
//! file can be reached from the working directory, with `..` if need be).
//!
//! The shape is fixed by the SARIF 2.1.0 schema, not by jitscan, so the log is built with
//! `json!` literals that read like the spec instead of a parallel set of structs; the vendored
//! schema (tests/data/sarif/) and the Multitool (in CI) check it.
//!
//! Plain-text SARIF messages read `[text](target)` as an embedded link (§3.11.6), so every
//! value from the input in a `message.text` is escaped with `escape::sarif_text`: in findings
//! and related locations only the marked values (`rules::Message`), since jitscan's own words
//! may link; diagnostics as a whole, since jitscan never links in them. The log is printed to
//! CI logs too, so it goes through `escape::ci_log_json` last.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde_json::{json, Value};

use crate::diagnostic::{InputProblem, Severity};
use crate::escape;
use crate::rules::{Finding, Level, Message, Rule, REGISTRY};
use crate::scan::ScanResult;
use crate::source::Origin;

/// The schema the log declares (the one GitHub code scanning documents).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every relative artifact URI is resolved against: the scan's working directory.
pub const SRCROOT: &str = "%SRCROOT%";
/// Key of the fingerprint in `partialFingerprints` (its recipe is in `crate::baseline`).
pub use crate::baseline::FINGERPRINT_KEY;
/// Tags on every rule (GitHub code scanning shows and filters by them).
const TAGS: [&str; 4] = ["security", "azure", "jit", "network"];

/// Renders the log as pretty JSON with a trailing newline; artifact URIs are relative to the
/// current working directory, where the scan's relative paths start.
pub fn render(result: &ScanResult) -> String {
    let base = std::env::current_dir().ok();
    render_relative_to(result, base.as_deref())
}

/// Renders the log with URIs relative to `base`, which must be the directory the scan's
/// relative paths start from (absolute inputs may be anywhere): relative display paths are kept,
/// absolute ones become references from `base`, with `..` where needed. Without a base,
/// absolute paths stay absolute `file:` URIs.
pub fn render_relative_to(result: &ScanResult, base: Option<&Path>) -> String {
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [build_run(result, base)],
    });
    let mut text =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    match escape::ci_log_json(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(guarded) => guarded,
    }
}

fn build_run(result: &ScanResult, base: Option<&Path>) -> Value {
    let notifications: Vec<Value> = result
        .inputs
        .iter()
        .flat_map(|input| input.problems.iter().map(|p| notification(p, base)))
        .collect();
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|f| sarif_result(f, base))
        .collect();
    let counts = result.counts();
    json!({
        "tool": compact(json!({ "driver": {
            "name": "jitscan",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": information_uri(),
            "rules": REGISTRY.iter().map(|rule| rule_descriptor(rule)).collect::<Vec<_>>(),
        }})),
        "invocations": [{
            "executionSuccessful": !result.any_input_failed() && !result.nothing_scanned(),
            "toolExecutionNotifications": notifications,
        }],
        "originalUriBaseIds": { SRCROOT: { "description": {
            "text": "The directory jitscan was run in; artifact URIs are relative to it.",
        }}},
        "artifacts": artifacts(result, base),
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "managementPorts": result.ports,
            "suppressionSources": {
                "configFile": result.suppressions.config_file,
                "configIgnored": result.suppressions.config_ignored,
                "suppressedByConfig": counts.suppressed_by_config,
                "suppressedByTag": counts.suppressed_by_tag,
            },
        },
    })
}

/// Where the tool is documented: the `repository` of Cargo.toml, when it names one. SARIF asks
/// for an absolute URI here, so a build without one leaves the property out rather than
/// inventing an address.
fn information_uri() -> Option<&'static str> {
    option_env!("CARGO_PKG_REPOSITORY").filter(|uri| uri.contains("://"))
}

/// Every input (with its sha256) and every other file a result points at, sorted by URI.
fn artifacts(result: &ScanResult, base: Option<&Path>) -> Vec<Value> {
    let mut by_uri: BTreeMap<String, Value> = BTreeMap::new();
    for input in result.inputs.iter().filter(|i| !i.path.is_empty()) {
        let location = artifact_location(&input.path, base);
        let sha256 = (!input.sha256.is_empty()).then(|| input.sha256.to_ascii_lowercase());
        let artifact = json!({
            "location": location,
            "roles": ["analysisTarget"],
            "hashes": sha256.map(|h| json!({ "sha-256": h })),
        });
        by_uri.insert(uri_of(&location), compact(artifact));
    }
    let referenced = result
        .findings
        .iter()
        .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.origin)));
    for origin in referenced {
        let location = artifact_location(origin.path(), base);
        by_uri
            .entry(uri_of(&location))
            .or_insert_with(|| json!({ "location": location, "roles": ["resultFile"] }));
    }
    by_uri.into_values().collect()
}

fn uri_of(location: &Value) -> String {
    let uri = location.get("uri").and_then(Value::as_str);
    uri.unwrap_or_default().to_owned()
}

/// Drops `null` members: optional SARIF properties are absent, never null.
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, compact(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(compact).collect()),
        other => other,
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    let problem_severity = match rule.level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "recommendation",
    };
    json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.description },
        "help": { "text": markdown_to_text(rule.help_markdown), "markdown": rule.help_markdown },
        "defaultConfiguration": { "level": rule.level.as_str() },
        "properties": {
            "tags": TAGS,
            "precision": rule.precision,
            "security-severity": rule.security_severity,
            "problem.severity": problem_severity,
        },
    })
}

fn sarif_result(finding: &Finding, base: Option<&Path>) -> Value {
    let deciding = finding.deciding.and_then(|i| finding.related.get(i));
    // The deciding rule is the primary location (the line a pull request would change, so
    // code scanning annotates it); the VM's declaration is then the first related location.
    let vm_related = deciding.map(|_| {
        let mut said = Message::default();
        said.words("the VM '")
            .value(&finding.vm_name)
            .words("' this finding is about");
        (&finding.location, said)
    });
    let related: Vec<Value> = vm_related
        .into_iter()
        .chain(
            finding
                .related
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != finding.deciding)
                .map(|(_, r)| (&r.origin, r.message.clone())),
        )
        .zip(1..)
        .map(|((origin, message), id)| {
            json!({
                "id": id,
                "physicalLocation": physical(origin, base),
                "message": { "text": sentence(&message.escaped(escape::sarif_text)) },
            })
        })
        .collect();
    let primary = deciding.map_or(&finding.location, |r| &r.origin);
    let suppression = finding.suppression.as_ref().map(|s| {
        json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (suppressed by {})", s.reason, s.kind),
        }])
    });
    compact(json!({
        "ruleId": finding.rule.id,
        "ruleIndex": REGISTRY.iter().position(|r| r.id == finding.rule.id),
        "level": finding.level.as_str(),
        "message": { "text": sentence(&finding.message.escaped(escape::sarif_text)) },
        "locations": [{
            "physicalLocation": physical(primary, base),
            "logicalLocations": [{
                "name": finding.vm_name,
                "fullyQualifiedName": finding.vm_id,
                "kind": "resource",
            }],
        }],
        "relatedLocations": (!related.is_empty()).then_some(related),
        "partialFingerprints": { FINGERPRINT_KEY: finding.fingerprint },
        "baselineState": finding.baseline_state.map(|s| s.as_str()),
        "suppressions": suppression,
        "properties": {
            "confidence": finding.confidence.as_str(),
            "confidenceReason": finding.confidence_reason,
            "vmName": finding.vm_name,
            "vmId": finding.vm_id,
            "port": finding.port,
            "suppressionNotes": (!finding.suppression_notes.is_empty()).then_some(&finding.suppression_notes),
        },
    }))
}

fn notification(problem: &InputProblem, base: Option<&Path>) -> Value {
    let physical = json!({
        "artifactLocation": artifact_location(&problem.path, base),
        "region": problem.span.as_ref().map(|s| region(s.line, s.column)),
    });
    let level = match problem.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    compact(json!({
        "level": level,
        "message": { "text": sentence(&escape::sarif_text(&problem.message)) },
        "descriptor": { "id": problem.code.as_str() },
        "locations": [{ "physicalLocation": physical }],
        "properties": { "help": problem.help },
    }))
}

fn physical(origin: &Origin, base: Option<&Path>) -> Value {
    let (line, column) = origin.line_col();
    json!({
        "artifactLocation": artifact_location(origin.path(), base),
        "region": region(line, column),
    })
}

fn region(line: usize, column: usize) -> Value {
    json!({ "startLine": line.max(1), "startColumn": column.max(1) })
}

/// SARIF asks for messages that are complete sentences.
fn sentence(s: &str) -> String {
    let trimmed = s.trim_end();
    if trimmed.ends_with(['.', '!', '?']) {
        trimmed.to_owned()
    } else {
        format!("{trimmed}.")
    }
}

/// The URI of a display path: relative to `base` under `%SRCROOT%` when it can be, with `/`
/// separators and percent-encoding; an absolute `file:` URI only when no base is known.
fn artifact_location(display: &str, base: Option<&Path>) -> Value {
    let path = display.replace('\\', "/");
    let path = Path::new(&path);
    let relative = if path.is_absolute() {
        base.and_then(|b| relative_path(path, b))
    } else {
        let parts: Vec<String> = path
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    };
    match relative {
        Some(rel) => json!({ "uri": percent_encode(&rel, false), "uriBaseId": SRCROOT }),
        None => {
            let text = path.to_string_lossy();
            let encoded = percent_encode(text.trim_start_matches('/'), true);
            json!({ "uri": format!("file:///{encoded}") })
        }
    }
}

/// `path` relative to `base` (both absolute), with `..` where needed; `None` across roots.
fn relative_path(path: &Path, base: &Path) -> Option<String> {
    let ours: Vec<Component> = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    let theirs: Vec<Component> = base
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if ours.first() != theirs.first() {
        return None;
    }
    let common = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
    let ups = theirs.len().saturating_sub(common);
    let mut parts: Vec<String> = vec!["..".to_owned(); ups];
    for c in ours.iter().skip(common) {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    Some(parts.join("/"))
}

/// Percent-encodes everything but unreserved characters and `/` (and `:` for drive letters).
fn percent_encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
            || (keep_colon && byte == b':');
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A plain-text rendering of rule help: headings become lines ending in `:`, code fences and
/// inline backticks are dropped, everything else is kept as written.
fn markdown_to_text(markdown: &str) -> String {
    let lines: Vec<String> = markdown
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .map(|line| match line.trim_start().strip_prefix("## ") {
            Some(heading) => format!("{heading}:"),
            None => line.replace('`', ""),
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_encoded_and_use_the_base() {
        let base = Path::new("/work/main");
        let at = |p: &str| artifact_location(p, Some(base));
        assert_eq!(
            at("fixtures/arm/a b.json")["uri"],
            "fixtures/arm/a%20b.json"
        );
        assert_eq!(at("./x.json")["uri"], "x.json");
        assert_eq!(
            at("../shared/corpus/x.json")["uri"],
            "../shared/corpus/x.json"
        );
        assert_eq!(at("/work/main/fixtures/x.json")["uri"], "fixtures/x.json");
        assert_eq!(
            at("/work/shared/c:d#e.json")["uri"],
            "../shared/c%3Ad%23e.json"
        );
        assert_eq!(at("/tmp/x.json")["uriBaseId"], SRCROOT);
        let absolute = artifact_location("/tmp/ü.json", None);
        assert_eq!(absolute, json!({ "uri": "file:///tmp/%C3%BC.json" }));
    }

    #[test]
    fn help_text_has_no_markdown_syntax() {
        let plain = markdown_to_text("## What it flags\nA `x`.\n```json\n{}\n```");
        assert_eq!(plain, "What it flags:\nA x.\n{}");
    }

    #[test]
    fn messages_end_as_sentences() {
        assert_eq!(sentence("open"), "open.");
        assert_eq!(sentence("open."), "open.");
    }
}
