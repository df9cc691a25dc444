//! CONFIG: the `policy:` settings of jitscan.yaml: ports, protocol, allowed sources and maximum
//! request time for suggested JIT policies, globally and per VM name glob. Validated strictly
//! (ports 1-65535, protocol `*`/`TCP`/`UDP`, CIDRs that parse, an ISO 8601 duration from 5
//! minutes to 24 hours) with every problem located in the YAML.

use serde_yaml::Value;

use super::glob::glob_match;
use crate::config::{line_of_key, list_item_lines};

/// Where JIT lets requests come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedSources {
    /// "Per request": the requester's address (`*` in the policy).
    PerRequest,
    /// Fixed CIDR blocks or addresses.
    Prefixes(Vec<String>),
}

/// The settings for one VM's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSettings {
    /// Ports to put in the policy; None: the open management ports plus the OS defaults.
    pub ports: Option<Vec<u16>>,
    /// `*`, `TCP` or `UDP`.
    pub protocol: String,
    /// Allowed sources.
    pub allowed_sources: AllowedSources,
    /// ISO 8601 duration, e.g. `PT3H`.
    pub max_request_time: String,
}

impl Default for PortSettings {
    fn default() -> Self {
        Self {
            ports: None,
            protocol: "*".to_owned(),
            allowed_sources: AllowedSources::PerRequest,
            max_request_time: "PT3H".to_owned(),
        }
    }
}

/// Defaults plus per-VM overrides, in file order (later matches win).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySettings {
    /// Global settings.
    pub defaults: PortSettings,
    /// (VM name or id glob, settings given for it as raw YAML) in file order.
    overrides: Vec<(String, Value)>,
}

impl PolicySettings {
    /// Settings for the VM named `name` with id `id`.
    pub fn for_vm(&self, name: &str, id: &str) -> PortSettings {
        let mut settings = self.defaults.clone();
        for (pattern, raw) in &self.overrides {
            if glob_match(pattern, name) || glob_match(pattern, id) {
                let mut ignored = Vec::new();
                apply(&mut settings, raw, &mut ignored);
            }
        }
        settings
    }
}

/// One problem: the key it concerns, the message and a help line.
pub type SettingProblem = (&'static str, String, &'static str);

/// Parses the `policy` mapping. Problems come with the 1-based line they concern.
pub fn parse(
    policy: &Value,
    text: &str,
) -> Result<PolicySettings, Vec<(usize, String, &'static str)>> {
    let start = line_of_key(text, "policy", 0).unwrap_or(1);
    let mut problems: Vec<(usize, String, &'static str)> = Vec::new();
    let mut settings = PolicySettings::default();
    let mut found = Vec::new();
    apply(&mut settings.defaults, policy, &mut found);
    for (key, message, help) in found {
        problems.push((
            line_of_key(text, key, start.saturating_sub(1)).unwrap_or(start),
            message,
            help,
        ));
    }
    if let Value::Mapping(map) = policy {
        for (k, _) in map {
            let k = k.as_str().unwrap_or("?");
            if !matches!(
                k,
                "ports" | "protocol" | "allowedSources" | "maxRequestTime" | "vms"
            ) {
                problems.push((
                    line_of_key(text, k, start.saturating_sub(1)).unwrap_or(start),
                    format!("unknown policy setting `{k}`"),
                    "known: ports, protocol, allowedSources, maxRequestTime, vms",
                ));
            }
        }
    }
    let lines = list_item_lines_under(text, start);
    let vms = policy
        .get("vms")
        .and_then(Value::as_sequence)
        .map_or(&[][..], Vec::as_slice);
    for (i, entry) in vms.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(start);
        let Some(pattern) = entry.get("match").and_then(Value::as_str) else {
            problems.push((
                line,
                format!("policy.vms #{}: `match` is missing", i + 1),
                "give a VM name or glob, e.g. `match: web-*`",
            ));
            continue;
        };
        let mut found = Vec::new();
        apply(&mut PortSettings::default(), entry, &mut found);
        for (key, message, help) in found {
            let at = line_of_key(text, key, line.saturating_sub(1))
                .filter(|l| *l < lines.get(i + 1).copied().unwrap_or(usize::MAX))
                .unwrap_or(line);
            problems.push((at, format!("policy.vms #{}: {message}", i + 1), help));
        }
        settings.overrides.push((pattern.to_owned(), entry.clone()));
    }
    problems.sort_by_key(|p| p.0);
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

fn list_item_lines_under(text: &str, policy_line: usize) -> Vec<usize> {
    let Some(vms_line) = line_of_key(text, "vms", policy_line.saturating_sub(1)) else {
        return Vec::new();
    };
    let indent = text
        .lines()
        .nth(vms_line.saturating_sub(1))
        .map_or(0, |l| l.len() - l.trim_start().len());
    let tail: String = text
        .lines()
        .skip(vms_line.saturating_sub(1))
        .map_while(|l| {
            let depth = l.len() - l.trim_start().len();
            (l.trim().is_empty() || depth >= indent)
                .then(|| format!("{}\n", l.get(indent.min(l.len())..).unwrap_or_default()))
        })
        .collect();
    list_item_lines(&tail, "vms")
        .into_iter()
        .map(|l| l + vms_line - 1)
        .collect()
}

/// Applies the settings present in `raw` onto `settings`, collecting problems.
fn apply(settings: &mut PortSettings, raw: &Value, problems: &mut Vec<SettingProblem>) {
    if let Some(ports) = raw.get("ports") {
        match ports.as_sequence() {
            Some(list) => {
                let mut parsed = Vec::new();
                for p in list {
                    match p
                        .as_u64()
                        .filter(|n| (1..=65535).contains(n))
                        .and_then(|n| u16::try_from(n).ok())
                    {
                        Some(n) => parsed.push(n),
                        None => problems.push((
                            "ports",
                            format!("port `{}` is not a number from 1 to 65535", yaml_text(p)),
                            "list ports as numbers, e.g. [22, 3389]",
                        )),
                    }
                }
                settings.ports = Some(parsed);
            }
            None => problems.push((
                "ports",
                "`ports` must be a list".to_owned(),
                "write ports: [22, 3389]",
            )),
        }
    }
    if let Some(protocol) = raw.get("protocol") {
        match yaml_text(protocol).as_str() {
            "*" => settings.protocol = "*".to_owned(),
            p if p.eq_ignore_ascii_case("tcp") => settings.protocol = "TCP".to_owned(),
            p if p.eq_ignore_ascii_case("udp") => settings.protocol = "UDP".to_owned(),
            other => problems.push((
                "protocol",
                format!("protocol `{other}` is not one of *, TCP, UDP"),
                "JIT policies accept *, TCP or UDP",
            )),
        }
    }
    if let Some(sources) = raw.get("allowedSources") {
        match sources {
            Value::String(s) if s == "*" => settings.allowed_sources = AllowedSources::PerRequest,
            other => {
                let list: Vec<String> = match other {
                    Value::Sequence(items) => items.iter().map(yaml_text).collect(),
                    single => vec![yaml_text(single)],
                };
                let bad: Vec<&String> = list
                    .iter()
                    .filter(|s| {
                        s.parse::<ipnet::IpNet>().is_err() && s.parse::<std::net::IpAddr>().is_err()
                    })
                    .collect();
                if bad.is_empty() && !list.is_empty() {
                    settings.allowed_sources = AllowedSources::Prefixes(list);
                } else {
                    problems.push((
                        "allowedSources",
                        format!(
                            "`{}` is not a CIDR block or address",
                            bad.first().map_or("(empty)", |s| s.as_str())
                        ),
                        "use \"*\" (per request) or CIDRs such as 203.0.113.0/24",
                    ));
                }
            }
        }
    }
    if let Some(duration) = raw.get("maxRequestTime") {
        let text = yaml_text(duration);
        match iso8601_seconds(&text) {
            Some(secs) if (300..=86_400).contains(&secs) => {
                settings.max_request_time = text.to_ascii_uppercase()
            }
            Some(_) => problems.push((
                "maxRequestTime",
                format!("`{text}` is outside 5 minutes to 24 hours"),
                "JIT allows PT5M to PT24H, e.g. PT3H",
            )),
            None => problems.push((
                "maxRequestTime",
                format!("`{text}` is not an ISO 8601 duration"),
                "write a duration such as PT3H, PT30M or PT1H30M",
            )),
        }
    }
}

fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// Seconds in an ISO 8601 duration `P[nD][T[nH][nM][nS]]` (no years/months: their length
/// varies). None when it does not parse.
pub fn iso8601_seconds(text: &str) -> Option<u64> {
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: u64 = 0;
    let mut any = false;
    let mut read = |part: &str, units: &[(char, u64)]| -> Option<()> {
        let mut number = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let (_, factor) = allowed.by_ref().find(|(u, _)| *u == c)?;
            let n: u64 = number.parse().ok()?;
            total = total.checked_add(n.checked_mul(*factor)?)?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    read(date, &[('D', 86_400)])?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        read(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(iso8601_seconds("PT3H"), Some(10_800));
        assert_eq!(iso8601_seconds("pt1h30m"), Some(5_400));
        assert_eq!(iso8601_seconds("P1D"), Some(86_400));
        assert_eq!(iso8601_seconds("PT5M"), Some(300));
        for bad in ["3H", "PT", "P", "PT3", "PTH", "PT3M2H", "P1Y", ""] {
            assert_eq!(iso8601_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_problem_is_reported_on_its_line() {
        let text = "policy:\n  protocol: ICMP\n  maxRequestTime: PT25H\n  allowedSources: [10.0.0.0/33]\n  vms:\n    - match: web-*\n      ports: [0, 22]\n    - ports: [22]\n";
        let value: Value = serde_yaml::from_str(text).unwrap();
        let problems = parse(value.get("policy").unwrap(), text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![2, 3, 4, 7, 8], "{problems:?}");
    }

    #[test]
    fn overrides_apply_by_glob_in_order() {
        let text = "policy:\n  maxRequestTime: PT1H\n  vms:\n    - match: web-*\n      allowedSources: [203.0.113.0/24]\n      ports: [22]\n";
        let value: Value = serde_yaml::from_str(text).unwrap();
        let settings = parse(value.get("policy").unwrap(), text).unwrap();
        let web = settings.for_vm("web-1", "/x/web-1");
        assert_eq!(web.ports, Some(vec![22]));
        assert_eq!(
            web.allowed_sources,
            AllowedSources::Prefixes(vec!["203.0.113.0/24".to_owned()])
        );
        assert_eq!(web.max_request_time, "PT1H");
        assert_eq!(settings.for_vm("db-1", "/x/db-1").ports, None);
    }
}
