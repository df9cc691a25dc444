//! CONFIG: `jitscan.yaml`, the user's settings: suppressions (and, later, policy defaults).
//!
//! Parsed strictly and validated in full: every problem is collected with its line and column
//! in the YAML file, a stable code and a help line, so a user fixes them all in one go. This
//! module only reads the config file; applying suppressions to findings is `suppress`'s job.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value;

use crate::diagnostic::{InputProblem, ProblemCode, Severity, Span};
use crate::rules::find_rule;

pub mod glob;
pub mod policy;

pub use glob::glob_match;

/// File name looked for in the scan roots when `--config` is not given.
pub const CONFIG_FILE_NAME: &str = "jitscan.yaml";

/// A calendar date (UTC), for suppression expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month, day) = crate::time::date_parts(text)?;
        Some(Self {
            year: i32::try_from(year).ok()?,
            month,
            day,
        })
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_days_since_epoch(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// The civil date of a day count since 1970-01-01 (proleptic Gregorian).
    pub fn from_days_since_epoch(days: i64) -> Self {
        let (year, month, day) = crate::time::civil_from_days(days);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month,
            day,
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `--as-of`: the day suppression expiry is judged against and the instant JIT access grants
/// are judged at (active or ended). A date alone (`2026-01-05`) keeps its meaning for expiry and
/// stands for its midnight, UTC, for grants; an RFC 3339 time stands for itself and its UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    /// The day, UTC.
    pub date: Date,
    /// The instant, in seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
}

impl AsOf {
    /// The instant `seconds` and its UTC day.
    pub fn at(seconds: i64) -> Self {
        Self {
            date: Date::from_days_since_epoch(seconds.div_euclid(86_400)),
            seconds,
        }
    }

    /// Now, from the system clock.
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::at(i64::try_from(secs).unwrap_or(0))
    }
}

/// One suppression entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionEntry {
    /// Rule id (`JIT001`) or `*` for every rule.
    pub rule: String,
    /// Resource id or VM name, or a glob over either (`*` and `?`, case-insensitive).
    pub resource: String,
    /// Why (required).
    pub reason: String,
    /// Last day it applies, inclusive.
    pub expires: Option<Date>,
    /// 1-based line of the entry in the config file.
    pub line: usize,
}

/// The parsed configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from, when it came from a file.
    pub path: Option<PathBuf>,
    /// Suppressions, in file order.
    pub suppressions: Vec<SuppressionEntry>,
    /// Settings of suggested JIT policies.
    pub policy: policy::PolicySettings,
    /// `findings.broadSourcePrefixLength`: JIT006 flags public ranges wider than a prefix of
    /// this length (1-32); None: not set here.
    pub broad_source_prefix_length: Option<u8>,
    /// `findings.jitMaxRequestDuration` in seconds: JIT011 flags JIT port rules allowing
    /// longer requests; None: not set here.
    pub jit_max_request_seconds: Option<u64>,
    /// `findings.levels`: a level (`note`, `warning`, `error`) per rule id, in file order.
    pub levels: Vec<(&'static str, crate::rules::Level)>,
    /// `report.title`: the client or engagement the HTML report is for.
    pub report_title: Option<String>,
}

/// Finds `jitscan.yaml` in the scan roots (the first root that is a directory holding one, or
/// the directory of the first file given). A file there that is a link is taken only when
/// it leads to a file inside the scan roots: the scanned folder is the pull request's, and
/// its config must not read (and quote in diagnostics) a file from elsewhere.
///
/// Err: a config was found but is not to be read (it leads outside the scan roots).
pub fn discover(roots: &[PathBuf]) -> Option<Result<PathBuf, Vec<InputProblem>>> {
    let confined = crate::load::Roots::new(roots);
    roots.iter().find_map(|root| {
        let dir = if root.is_dir() {
            root.as_path()
        } else {
            root.parent()?
        };
        let candidate = dir.join(CONFIG_FILE_NAME);
        let meta = std::fs::symlink_metadata(&candidate).ok()?;
        if meta.file_type().is_symlink() && confined.admit(&candidate).is_none() {
            let display = crate::load::display_path(&candidate);
            return Some(Err(vec![InputProblem::whole_file(
                ProblemCode::Config,
                Severity::Error,
                &display,
                format!("{display} resolves to a file outside the scanned paths; it was not read"),
                "make jitscan.yaml a regular file in the scanned folder, pass --config FILE, or give --no-config",
            )]));
        }
        Some(Ok(candidate))
    })
}

/// Reads and validates a config file (never blocking on a special file). Err holds every
/// problem found.
pub fn load(path: &Path) -> Result<Config, Vec<InputProblem>> {
    let display = crate::load::display_path(path);
    let bytes = crate::load::read_bounded(path, &display).map_err(|p| {
        vec![InputProblem::whole_file(
            ProblemCode::Config,
            Severity::Error,
            &display,
            format!("cannot read the config file: {}", p.message),
            "check the --config path, or give --no-config",
        )]
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        vec![InputProblem::whole_file(
            ProblemCode::Config,
            Severity::Error,
            &display,
            "the config file is not UTF-8 text".to_owned(),
            "save jitscan.yaml as UTF-8",
        )]
    })?;
    parse(&text, &display).map(|mut config| {
        config.path = Some(path.to_path_buf());
        config
    })
}

/// Parses config text (`display` names the file in diagnostics).
pub fn parse(text: &str, display: &str) -> Result<Config, Vec<InputProblem>> {
    let source: crate::diagnostic::Text = Arc::new(text.to_owned());
    let problem = |line: usize, column: usize, message: String, help: &str| InputProblem {
        span: Some(span_at(text, line, column)),
        source: Some(Arc::clone(&source)),
        ..InputProblem::whole_file(ProblemCode::Config, Severity::Error, display, message, help)
    };
    let root: Value = match serde_yaml::from_str(text) {
        Ok(Value::Null) => return Ok(Config::default()),
        Ok(v) => v,
        Err(e) => {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            return Err(vec![problem(
                line,
                column,
                format!("invalid YAML: {message}"),
                "fix the YAML syntax",
            )]);
        }
    };
    let mut problems = Vec::new();
    let Value::Mapping(map) = &root else {
        return Err(vec![problem(
            1,
            1,
            "the config must be a mapping with a `suppressions` list".to_owned(),
            "start the file with `suppressions:`",
        )]);
    };
    for (key, _) in map {
        let key = key.as_str().unwrap_or("?");
        if !matches!(key, "suppressions" | "policy" | "findings" | "report") {
            let line = line_of_key(text, key, 0).unwrap_or(1);
            problems.push(problem(
                line,
                1,
                format!("unknown setting `{key}`"),
                "known settings: suppressions, policy, findings, report",
            ));
        }
    }
    let mut config = Config::default();
    let entries = match map.get("suppressions") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Sequence(items)) => items.as_slice(),
        Some(_) => {
            let line = line_of_key(text, "suppressions", 0).unwrap_or(1);
            problems.push(problem(
                line,
                1,
                "`suppressions` must be a list".to_owned(),
                "write each suppression as a `- rule: ...` item",
            ));
            &[][..]
        }
    };
    if let Some(policy) = map.get("policy") {
        match policy::parse(policy, text) {
            Ok(settings) => config.policy = settings,
            Err(found) => problems.extend(
                found
                    .into_iter()
                    .map(|(line, message, help)| problem(line, 1, message, help)),
            ),
        }
    }
    if let Some(findings) = map.get("findings") {
        match finding_settings(findings) {
            Ok(found) => {
                config.broad_source_prefix_length = found.broad_source_prefix_length;
                config.jit_max_request_seconds = found.jit_max_request_seconds;
                config.levels = found.levels;
            }
            Err((key, message, help)) => {
                let line = line_of_key(text, key, 0).unwrap_or(1);
                problems.push(problem(line, 1, message, help));
            }
        }
    }
    if let Some(report) = map.get("report") {
        match report_title(report) {
            Ok(title) => config.report_title = title,
            Err((key, message, help)) => {
                let line = line_of_key(text, key, 0).unwrap_or(1);
                problems.push(problem(line, 1, message, help));
            }
        }
    }
    let item_lines = list_item_lines(text, "suppressions");
    for (i, entry) in entries.iter().enumerate() {
        let line = item_lines.get(i).copied().unwrap_or(1);
        match suppression(entry, line) {
            Ok(s) => config.suppressions.push(s),
            Err(errors) => problems.extend(errors.into_iter().map(|(field, message, help)| {
                let at = line_of_key(text, field, line.saturating_sub(1))
                    .filter(|l| *l < item_lines.get(i + 1).copied().unwrap_or(usize::MAX))
                    .unwrap_or(line);
                problem(at, 1, format!("suppression #{}: {message}", i + 1), help)
            })),
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

type FieldError = (&'static str, String, &'static str);

/// What the `findings` mapping sets.
#[derive(Default)]
struct FindingSettings {
    broad_source_prefix_length: Option<u8>,
    jit_max_request_seconds: Option<u64>,
    levels: Vec<(&'static str, crate::rules::Level)>,
}

/// The `findings` mapping: `broadSourcePrefixLength` (1-32), `jitMaxRequestDuration` (an ISO
/// 8601 duration from PT5M to P1D, Azure's bounds) and `levels` (rule id -> level).
fn finding_settings(value: &Value) -> Result<FindingSettings, FieldError> {
    const HELP: &str = "write `findings:` then `  broadSourcePrefixLength: 8` (a prefix length from 1 to 32), `  jitMaxRequestDuration: PT3H` (PT5M to P1D) or `  levels:` with `    JIT011: warning` (note, warning or error)";
    let mut found = FindingSettings::default();
    let map = match value {
        Value::Null => return Ok(found),
        Value::Mapping(map) => map,
        _ => return Err(("findings", "`findings` must be a mapping".to_owned(), HELP)),
    };
    for (key, _) in map {
        let key = key.as_str().unwrap_or("?");
        if !["broadSourcePrefixLength", "jitMaxRequestDuration", "levels"].contains(&key) {
            return Err((
                "findings",
                format!("unknown key `{key}` under `findings`"),
                HELP,
            ));
        }
    }
    found.broad_source_prefix_length = match map.get("broadSourcePrefixLength") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| (1..=32).contains(n))
                .ok_or((
                    "broadSourcePrefixLength",
                    "`broadSourcePrefixLength` must be a prefix length from 1 to 32".to_owned(),
                    HELP,
                ))?,
        ),
    };
    found.jit_max_request_seconds = match map.get("jitMaxRequestDuration") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let (low, high) = crate::model::jit::MAX_REQUEST_DURATION_LIMITS;
            Some(
                v.as_str()
                    .and_then(crate::time::iso_duration_seconds)
                    .filter(|s| (low..=high).contains(s))
                    .ok_or((
                        "jitMaxRequestDuration",
                        "`jitMaxRequestDuration` must be an ISO 8601 duration from PT5M to P1D (e.g. PT3H)".to_owned(),
                        HELP,
                    ))?,
            )
        }
    };
    match map.get("levels") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(levels)) => {
            for (rule, level) in levels {
                let bad = || {
                    (
                        "levels",
                        format!(
                            "`levels` maps a rule id (JIT001...) to note, warning or error; `{}: {}` is not one",
                            rule.as_str().unwrap_or("?"),
                            level.as_str().unwrap_or("?")
                        ),
                        HELP,
                    )
                };
                let rule = rule
                    .as_str()
                    .and_then(crate::rules::find_rule)
                    .ok_or_else(bad)?;
                let level = match level.as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("note") => crate::rules::Level::Note,
                    Some("warning") => crate::rules::Level::Warning,
                    Some("error") => crate::rules::Level::Error,
                    _ => return Err(bad()),
                };
                found.levels.retain(|(id, _)| *id != rule.id);
                found.levels.push((rule.id, level));
            }
        }
        Some(_) => {
            return Err((
                "levels",
                "`levels` must be a mapping of rule ids to levels".to_owned(),
                HELP,
            ))
        }
    }
    Ok(found)
}

/// The `report` mapping: `title` (a string) is its only key.
fn report_title(value: &Value) -> Result<Option<String>, FieldError> {
    const HELP: &str = "write `report:` then `  title: \"Contoso, Q4 audit\"`";
    let map = match value {
        Value::Null => return Ok(None),
        Value::Mapping(map) => map,
        _ => return Err(("report", "`report` must be a mapping".to_owned(), HELP)),
    };
    if let Some((key, _)) = map.iter().find(|(k, _)| k.as_str() != Some("title")) {
        let key = key.as_str().unwrap_or("?");
        return Err((
            "report",
            format!("unknown key `{key}` under `report`"),
            HELP,
        ));
    }
    match map.get("title") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(title)) => Ok(Some(title.trim().to_owned()).filter(|t| !t.is_empty())),
        Some(_) => Err(("title", "`title` must be text".to_owned(), HELP)),
    }
}

fn suppression(entry: &Value, line: usize) -> Result<SuppressionEntry, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Value::Mapping(map) = entry {
        for (key, _) in map {
            let key = key.as_str().unwrap_or("?");
            if !matches!(key, "rule" | "resource" | "reason" | "expires") {
                errors.push((
                    "rule",
                    format!("unknown key `{key}`"),
                    "an entry has rule, resource, reason and optional expires",
                ));
            }
        }
    } else {
        errors.push((
            "rule",
            "an entry must be a mapping".to_owned(),
            "write `- rule: JIT001` then resource, reason, expires",
        ));
    }
    let rule = field("rule");
    match &rule {
        None => errors.push((
            "rule",
            "`rule` is missing".to_owned(),
            "name a rule id such as JIT001, or `*` for all rules",
        )),
        Some(r) if r != "*" && find_rule(r).is_none() => errors.push((
            "rule",
            format!("unknown rule `{r}`"),
            "run `jitscan explain` to list the rules",
        )),
        Some(_) => {}
    }
    let resource = field("resource");
    if resource.is_none() {
        errors.push((
            "resource",
            "`resource` is missing".to_owned(),
            "give a resource id, a VM name, or a glob such as */virtualMachines/jump-*",
        ));
    }
    let reason = field("reason");
    if reason.is_none() {
        errors.push((
            "reason",
            "`reason` is missing: every suppression needs a justification".to_owned(),
            "say why this finding is accepted, e.g. `reason: jump host reachable only via VPN`",
        ));
    }
    let expires = match entry.get("expires") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let text = v
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| serde_yaml::to_string(v).unwrap_or_default());
            match Date::parse(text.trim()) {
                Some(d) => Some(d),
                None => {
                    errors.push((
                        "expires",
                        format!("`expires: {}` is not a date", text.trim()),
                        "write the last day it applies as YYYY-MM-DD",
                    ));
                    None
                }
            }
        }
    };
    match (rule, resource, reason, errors.is_empty()) {
        (Some(rule), Some(resource), Some(reason), true) => Ok(SuppressionEntry {
            rule,
            resource,
            reason,
            expires,
            line,
        }),
        _ => Err(errors),
    }
}

/// 1-based lines of the `- ` items of the top-level list `key`.
pub(crate) fn list_item_lines(text: &str, key: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut inside = false;
    let mut indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let depth = line.len() - trimmed.len();
        if depth == 0 && !trimmed.starts_with('-') {
            inside = trimmed.starts_with(&format!("{key}:"));
            continue;
        }
        if inside && trimmed.starts_with('-') && indent.is_none_or(|d| d == depth) {
            indent = Some(depth);
            lines.push(i + 1);
        }
    }
    lines
}

/// 1-based line of the first `key:` at or after line index `from`.
pub(crate) fn line_of_key(text: &str, key: &str, from: usize) -> Option<usize> {
    text.lines().enumerate().skip(from).find_map(|(i, line)| {
        let t = line.trim_start().trim_start_matches("- ");
        t.starts_with(&format!("{key}:")).then_some(i + 1)
    })
}

pub(crate) fn span_at(text: &str, line: usize, column: usize) -> Span {
    let offset: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + column.saturating_sub(1);
    Span {
        offset: offset.min(text.len()),
        len: 1,
        line,
        column,
    }
}

#[cfg(test)]
mod finding_settings_tests {
    use super::*;

    #[test]
    fn the_jit_duration_limit_and_levels_are_read_and_checked() {
        let config = parse(
            "findings:\n  jitMaxRequestDuration: PT1H30M\n  levels:\n    JIT011: warning\n    jit-deny-rules-missing: error\n",
            "jitscan.yaml",
        )
        .unwrap();
        assert_eq!(config.jit_max_request_seconds, Some(5400));
        assert_eq!(
            config.levels,
            vec![
                ("JIT011", crate::rules::Level::Warning),
                ("JIT009", crate::rules::Level::Error)
            ]
        );
        for bad in [
            // Azure's bounds on maxRequestAccessDuration: 5 minutes to 1 day.
            "findings:\n  jitMaxRequestDuration: PT4M\n",
            "findings:\n  jitMaxRequestDuration: P2D\n",
            "findings:\n  jitMaxRequestDuration: 3h\n",
            "findings:\n  levels:\n    JIT999: note\n",
            "findings:\n  levels:\n    JIT001: fatal\n",
            "findings:\n  levels: [JIT001]\n",
        ] {
            let problems = parse(bad, "jitscan.yaml").unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}");
        }
    }

    #[test]
    fn the_report_title_is_read_and_checked() {
        let config = parse("report:\n  title: \"Contoso <Q4>\"\n", "jitscan.yaml").unwrap();
        assert_eq!(config.report_title.as_deref(), Some("Contoso <Q4>"));
        assert_eq!(
            parse("report:\n", "jitscan.yaml").unwrap().report_title,
            None
        );
        for bad in [
            "report: Contoso\n",
            "report:\n  name: x\n",
            "report:\n  title: [1]\n",
        ] {
            let problems = parse(bad, "jitscan.yaml").unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}");
        }
    }

    #[test]
    fn the_broad_source_prefix_length_is_read_and_checked() {
        let config = parse("findings:\n  broadSourcePrefixLength: 12\n", "jitscan.yaml").unwrap();
        assert_eq!(config.broad_source_prefix_length, Some(12));
        assert_eq!(
            parse("suppressions: []\n", "jitscan.yaml")
                .unwrap()
                .broad_source_prefix_length,
            None
        );
        for bad in [
            "findings:\n  broadSourcePrefixLength: 0\n",
            "findings:\n  broadSourcePrefixLength: 33\n",
            "findings:\n  broadSourcePrefixLength: wide\n",
            "findings:\n  broadSourcePrefix: 8\n",
            "findings: 8\n",
        ] {
            let problems = parse(bad, "jitscan.yaml").unwrap_err();
            assert_eq!(problems.len(), 1, "{bad}");
        }
    }
}
