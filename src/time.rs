//! Ground floor: civil dates, UTC timestamps and ISO 8601 durations, computed by hand (no
//! time zone data, no clock except where asked), for `--as-of`, suppression expiry, JIT
//! policies' durations and access requests' times.

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

/// A `YYYY-MM-DD` date as (year, month, day), when that day exists (proleptic Gregorian).
pub fn date_parts(text: &str) -> Option<(i64, u32, u32)> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&d).then_some((y, m, d))
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = year - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date; `None` when the day does not exist.
fn days_since_epoch(date: &str) -> Option<i64> {
    let (y, m, d) = date_parts(date)?;
    Some(days_from_civil(y, m, d))
}

/// Seconds since 1970-01-01 as an RFC 3339 UTC time (`2018-05-17T09:06:45Z`), the inverse of
/// [`utc_seconds`] to the second.
pub fn utc_text(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
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
    fn civil_days_round_trip() {
        for days in [-719_468, -1, 0, 59, 60, 11_016, 19_782, 20_416, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(date_parts("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(date_parts("2100-02-29"), None);
    }
}
