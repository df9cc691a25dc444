//! MODEL: what a JIT network access policy says, typed: the port rules of each VM it lists and
//! the access requests made under it (`properties.requests`, in exports of the live policy).
//!
//! The policy keeps its port rules as written (text) for `jitscan policy`, which writes them back
//! unchanged; [`JitPort::parse_all`] reads them typed for the rules that judge them. Values are
//! kept as the input has them; a value that is not what Azure's schema (2020-01-01) allows is
//! `None`, never a guess.

use crate::json::node::Node;

use super::access::{get_ci, items, props};

/// Azure's limits on `maxRequestAccessDuration`: "Minimum 5 minutes, maximum 1 day".
pub const MAX_REQUEST_DURATION_LIMITS: (u64, u64) = (5 * 60, 24 * 3600);

/// One port rule of a policy's `virtualMachines[].ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitPort {
    /// `number`, when an integer port.
    pub number: Option<u16>,
    /// `protocol` upper-cased (`TCP`, `UDP`, `*`), when a string.
    pub protocol: Option<String>,
    /// `allowedSourceAddressPrefix`, or the `allowedSourceAddressPrefixes` list.
    pub sources: Vec<String>,
    /// `maxRequestAccessDuration` as written (ISO 8601).
    pub max_duration: Option<String>,
}

impl JitPort {
    /// Reads one port rule object.
    pub fn from_value(v: &serde_json::Value) -> Self {
        let field = |name: &str| {
            v.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            })
        };
        let number = field("number")
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u16::try_from(n).ok());
        let protocol = field("protocol")
            .and_then(serde_json::Value::as_str)
            .map(str::to_ascii_uppercase);
        let mut sources: Vec<String> = field("allowedSourceAddressPrefix")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect();
        if let Some(list) = field("allowedSourceAddressPrefixes").and_then(|l| l.as_array()) {
            sources.extend(list.iter().filter_map(|s| s.as_str().map(str::to_owned)));
        }
        Self {
            number,
            protocol,
            sources,
            max_duration: field("maxRequestAccessDuration")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        }
    }

    /// Every port rule of a policy entry (see `JitPolicyVm::ports`).
    pub fn parse_all(ports: &[serde_json::Value]) -> Vec<Self> {
        ports.iter().map(Self::from_value).collect()
    }

    /// True when JIT's rules for this port cover TCP (`TCP` or `*`); `None` when the protocol
    /// is not one of the schema's values.
    pub fn covers_tcp(&self) -> Option<bool> {
        match self.protocol.as_deref() {
            Some("TCP" | "*") => Some(true),
            Some("UDP") => Some(false),
            _ => None,
        }
    }

    /// True when any requester address may be granted (`*`, or a source list holding `*`,
    /// `Internet` or `Any`).
    pub fn any_source(&self) -> bool {
        self.sources.iter().any(|s| {
            let s = s.trim();
            s == "*" || s.eq_ignore_ascii_case("internet") || s.eq_ignore_ascii_case("any")
        })
    }

    /// `maxRequestAccessDuration` in seconds, when it is an ISO 8601 duration.
    pub fn max_seconds(&self) -> Option<u64> {
        self.max_duration.as_deref().and_then(iso_duration_seconds)
    }
}

/// An ISO 8601 duration (`PT3H`, `PT1H30M`, `P1D`, `PT90M`, `P1DT2H`, `PT0.5H`) in whole
/// seconds. Years and months have no fixed length and are refused (`None`), as is anything
/// else that is not a duration.
pub fn iso_duration_seconds(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix(['P', 'p'])?;
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c {
            'T' | 't' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' | ',' => number.push(if c == ',' { '.' } else { c }),
            _ => {
                let n: f64 = number.parse().ok()?;
                number.clear();
                let unit = match (in_time, c.to_ascii_uppercase()) {
                    (false, 'W') => 7.0 * 86_400.0,
                    (false, 'D') => 86_400.0,
                    (true, 'H') => 3_600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return None,
                };
                total += n * unit;
                any = true;
            }
        }
    }
    if !number.is_empty() || !any || !total.is_finite() || total > 1e12 {
        return None;
    }
    // Whole seconds: a fraction of a second never decides a limit.
    Some(total.round() as u64)
}

/// A duration in seconds the way the policy would write it (`PT3H`, `PT1H30M`, `P1DT2H`).
pub fn iso_duration_text(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// A UTC date-time (`2018-05-17T09:06:45.5691611Z`, `2018-05-17T09:06:45+00:00`, or a date
/// alone, read as its midnight) in seconds since 1970-01-01; `None` when it is not one.
pub fn utc_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut seconds = days_since_epoch(date)? * 86_400;
    if let Some(time) = time {
        // The offset: `Z`, or `+hh:mm` / `-hh:mm`.
        let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
            (clock, 0)
        } else if let Some(at) = time.rfind(['+', '-']) {
            let (clock, off) = time.split_at(at);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let (h, m) = off
                .get(1..)?
                .split_once(':')
                .unwrap_or((off.get(1..)?, "0"));
            let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
            (clock, sign * minutes * 60)
        } else {
            (time, 0)
        };
        let mut parts = clock.splitn(3, ':');
        let h: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let s: f64 = parts.next().map_or(Some(0.0), |s| s.parse().ok())?;
        if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..61.0).contains(&s) {
            return None;
        }
        seconds += h * 3600 + m * 60 + s.floor() as i64 - offset;
    }
    Some(seconds)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian); `None` when the day
/// does not exist.
fn days_since_epoch(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&d) {
        return None;
    }
    let y = y - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Seconds since 1970-01-01 as an RFC 3339 UTC time (`2018-05-17T09:06:45Z`), the inverse of
/// [`utc_seconds`] to the second.
pub fn utc_text(seconds: i64) -> String {
    // The civil date of a day count (proleptic Gregorian), inverse of `days_since_epoch`.
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// One access request (`properties.requests[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitRequest {
    /// `requestor`.
    pub requestor: Option<String>,
    /// `justification`.
    pub justification: Option<String>,
    /// `startTimeUtc` as written.
    pub start: Option<String>,
    /// Per VM, the ports granted.
    pub virtual_machines: Vec<JitRequestVm>,
}

/// One VM of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitRequestVm {
    /// VM id as written.
    pub id: String,
    /// Its ports.
    pub ports: Vec<JitRequestPort>,
}

/// One port of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitRequestPort {
    /// `number`.
    pub number: Option<u16>,
    /// `allowedSourceAddressPrefix` or the `allowedSourceAddressPrefixes` list.
    pub sources: Vec<String>,
    /// `endTimeUtc` as written.
    pub end: Option<String>,
    /// `status` (`Initiated`, `Revoked`).
    pub status: Option<String>,
    /// `statusReason` (`Expired`, `UserRequested`, `NewerRequestInitiated`).
    pub status_reason: Option<String>,
    /// `mappedPort` (Azure Firewall).
    pub mapped_port: Option<u16>,
}

fn string(value: &Node, key: &str) -> Option<String> {
    get_ci(value, key).and_then(Node::as_str).map(str::to_owned)
}

fn port_number(value: &Node, key: &str) -> Option<u16> {
    get_ci(value, key)
        .and_then(Node::as_f64)
        .filter(|n| n.fract() == 0.0 && (0.0..=65_535.0).contains(n))
        .map(|n| n as u16)
}

fn sources(value: &Node) -> Vec<String> {
    let mut out: Vec<String> = string(value, "allowedSourceAddressPrefix")
        .into_iter()
        .collect();
    out.extend(
        items(value, "allowedSourceAddressPrefixes")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned)),
    );
    out
}

/// True when a policy resource lists its requests (`properties.requests` is an array).
pub fn requests_listed(value: &Node) -> bool {
    get_ci(props(value), "requests").is_some_and(|r| r.as_array().is_some())
}

/// The requests of a policy resource (`properties.requests`), entries without a VM id left out.
pub fn requests(value: &Node) -> Vec<JitRequest> {
    items(props(value), "requests")
        .iter()
        .map(|r| JitRequest {
            requestor: string(r, "requestor"),
            justification: string(r, "justification"),
            start: string(r, "startTimeUtc"),
            virtual_machines: items(r, "virtualMachines")
                .iter()
                .filter_map(|v| {
                    Some(JitRequestVm {
                        id: string(v, "id")?,
                        ports: items(v, "ports")
                            .iter()
                            .map(|p| JitRequestPort {
                                number: port_number(p, "number"),
                                sources: sources(p),
                                end: string(p, "endTimeUtc"),
                                status: string(p, "status"),
                                status_reason: string(p, "statusReason"),
                                mapped_port: port_number(p, "mappedPort"),
                            })
                            .collect(),
                    })
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_iso_8601() {
        assert_eq!(iso_duration_seconds("PT3H"), Some(3 * 3600));
        assert_eq!(iso_duration_seconds("PT1H30M"), Some(5400));
        assert_eq!(iso_duration_seconds("PT90M"), Some(5400));
        assert_eq!(iso_duration_seconds("P1D"), Some(86_400));
        assert_eq!(iso_duration_seconds("P1DT2H"), Some(93_600));
        assert_eq!(iso_duration_seconds("PT0.5H"), Some(1800));
        assert_eq!(iso_duration_seconds("pt5m"), Some(300));
        // Months and years have no fixed length; M before T is months.
        assert_eq!(iso_duration_seconds("P1M"), None);
        assert_eq!(iso_duration_seconds("P1Y"), None);
        for bad in [
            "", "P", "PT", "3H", "PT3", "PTH", "PT3X", "PT1H2", "P1H", "PTT1H",
        ] {
            assert_eq!(iso_duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_write_back() {
        assert_eq!(iso_duration_text(3 * 3600), "PT3H");
        assert_eq!(iso_duration_text(5400), "PT1H30M");
        assert_eq!(iso_duration_text(86_400), "P1D");
        assert_eq!(iso_duration_text(93_600), "P1DT2H");
        assert_eq!(iso_duration_text(0), "PT0S");
        for s in [300, 3600, 5400, 86_400, 90_061] {
            assert_eq!(iso_duration_seconds(&iso_duration_text(s)), Some(s));
        }
    }

    #[test]
    fn timestamps_read_as_utc() {
        // 2018-05-17 is day 17668 since 1970-01-01.
        let day = 17_668 * 86_400;
        assert_eq!(utc_seconds("2018-05-17"), Some(day));
        assert_eq!(
            utc_seconds("2018-05-17T09:06:45.5691611Z"),
            Some(day + 9 * 3600 + 6 * 60 + 45)
        );
        assert_eq!(
            utc_seconds("2018-05-17T11:06:45+02:00"),
            Some(day + 9 * 3600 + 6 * 60 + 45)
        );
        assert_eq!(utc_seconds("2018-05-17T25:00:00Z"), None);
        assert_eq!(utc_seconds("yesterday"), None);
        assert_eq!(
            utc_text(day + 9 * 3600 + 6 * 60 + 45),
            "2018-05-17T09:06:45Z"
        );
        assert_eq!(utc_text(-1), "1969-12-31T23:59:59Z");
        assert_eq!(utc_seconds("2018-02-30T00:00:00Z"), None);
        assert_eq!(utc_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(utc_seconds("2000-03-01"), Some(11_017 * 86_400));
        assert_eq!(utc_seconds("2024-02-29"), Some(19_782 * 86_400));
        assert_eq!(utc_seconds("2023-02-29"), None);
    }

    #[test]
    fn port_rules_read_from_the_policy() {
        let v: serde_json::Value = serde_json::json!({
            "number": 22, "protocol": "tcp", "allowedSourceAddressPrefixes": ["10.0.0.0/8", "*"],
            "maxRequestAccessDuration": "PT3H"
        });
        let p = JitPort::from_value(&v);
        assert_eq!(p.number, Some(22));
        assert_eq!(p.covers_tcp(), Some(true));
        assert!(p.any_source());
        assert_eq!(p.max_seconds(), Some(10_800));
        let udp = JitPort::from_value(&serde_json::json!({"number": 70000, "protocol": "UDP"}));
        assert_eq!(udp.number, None);
        assert_eq!(udp.covers_tcp(), Some(false));
        assert!(!udp.any_source());
        let odd = JitPort::from_value(&serde_json::json!({"number": "22", "protocol": 6}));
        assert_eq!((odd.number, odd.covers_tcp()), (None, None));
    }
}
