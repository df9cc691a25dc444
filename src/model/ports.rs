//! MODEL: port sets as sorted, merged interval lists.
//!
//! NSG rules, load-balancer rules and firewall NAT rules all name ports as `*`, single ports,
//! ranges `a-b` or lists of these. Parsing here is strict (a bad range is a diagnostic, not a
//! guess); membership and set operations are exact.

/// A set of TCP/UDP ports (0-65535) as sorted, non-overlapping, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

/// Why a port expression did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortParseError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl PortSet {
    /// Every port.
    pub fn all() -> Self {
        Self {
            ranges: vec![(0, u16::MAX)],
        }
    }

    /// No port.
    pub fn empty() -> Self {
        Self::default()
    }

    /// One port.
    pub fn single(port: u16) -> Self {
        Self {
            ranges: vec![(port, port)],
        }
    }

    /// Builds a set from arbitrary ranges (normalised).
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u16, u16)>) -> Self {
        let mut list: Vec<(u16, u16)> = ranges
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        list.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(list.len());
        for (start, end) in list {
            match merged.last_mut() {
                Some(last) if u32::from(start) <= u32::from(last.1) + 1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        Self { ranges: merged }
    }

    /// Parses one item: `*`, `Any`, `22`, `20-25`.
    pub fn parse_item(text: &str) -> Result<Self, PortParseError> {
        let trimmed = text.trim();
        let error = |reason: &str| PortParseError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        if trimmed == "*" || trimmed.eq_ignore_ascii_case("any") {
            return Ok(Self::all());
        }
        let parse_port = |part: &str| -> Result<u16, PortParseError> {
            let part = part.trim();
            if part.is_empty() {
                return Err(error("a range needs a number on both sides of '-'"));
            }
            part.parse::<u16>()
                .map_err(|_| error("a port must be a whole number from 0 to 65535"))
        };
        match trimmed.split_once('-') {
            Some((a, b)) => {
                let (start, end) = (parse_port(a)?, parse_port(b)?);
                if start > end {
                    return Err(error("a range must go from the lower port to the higher"));
                }
                Ok(Self::from_ranges([(start, end)]))
            }
            None => Ok(Self::single(parse_port(trimmed)?)),
        }
    }

    /// Parses a list of items (also accepts comma-separated items inside one string, as the
    /// portal and az CLI write them).
    pub fn parse_list<'a>(
        items: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, PortParseError> {
        let mut ranges = Vec::new();
        for item in items {
            for part in item.split(',') {
                ranges.extend(Self::parse_item(part)?.ranges);
            }
        }
        Ok(Self::from_ranges(ranges))
    }

    /// True when `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.ranges
            .binary_search_by(|&(start, end)| {
                if end < port {
                    std::cmp::Ordering::Less
                } else if start > port {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    /// True when the set holds every port.
    pub fn is_all(&self) -> bool {
        self.ranges.as_slice() == [(0, u16::MAX)]
    }

    /// True when the set holds no port.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The ranges, sorted.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    /// The ports of `self` that are also in `other`.
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.ranges {
            for &(c, d) in &other.ranges {
                let (start, end) = (a.max(c), b.min(d));
                if start <= end {
                    out.push((start, end));
                }
            }
        }
        Self::from_ranges(out)
    }

    /// The ports of `self` that are not in `other`: a range with a hole becomes two ranges.
    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.ranges {
            let mut start = u32::from(a);
            let end = u32::from(b);
            for &(c, d) in other.ranges.iter().filter(|&&(c, d)| d >= a && c <= b) {
                let (c, d) = (u32::from(c), u32::from(d));
                if c > start {
                    out.push((start, c - 1));
                }
                start = start.max(d + 1);
            }
            if start <= end {
                out.push((start, end));
            }
        }
        Self::from_ranges(
            out.into_iter()
                .filter_map(|(x, y)| Some((u16::try_from(x).ok()?, u16::try_from(y).ok()?))),
        )
    }
}

impl PortSet {
    /// The items as Azure writes them in a rule: `*`, `22`, `20-21`.
    pub fn items(&self) -> Vec<String> {
        if self.is_all() {
            return vec!["*".to_owned()];
        }
        self.ranges
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect()
    }
}

impl std::fmt::Display for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.items().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_forms_azure_accepts() {
        assert!(PortSet::parse_item("*").unwrap().is_all());
        assert!(PortSet::parse_item("22").unwrap().contains(22));
        let range = PortSet::parse_item("3380-3390").unwrap();
        assert!(range.contains(3380) && range.contains(3389) && range.contains(3390));
        assert!(!range.contains(3391));
        let list = PortSet::parse_list(["80", "443", "5985-5986"]).unwrap();
        assert!(list.contains(5986) && !list.contains(22));
        assert!(PortSet::parse_list(["22,3389"]).unwrap().contains(3389));
    }

    #[test]
    fn rejects_malformed_ranges() {
        for bad in ["80-", "-80", "65536", "abc", "30-20", ""] {
            assert!(PortSet::parse_item(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn display_round_trips() {
        let set = PortSet::parse_list(["22", "20-21", "3389"]).unwrap();
        assert_eq!(set.to_string(), "20-22,3389");
        assert_eq!(PortSet::all().to_string(), "*");
    }

    proptest! {
        #[test]
        fn splitting_a_range_changes_nothing(a in 0u16..65535, len in 0u16..1000, cut in 0u16..1000, probe in 0u16..=65535) {
            let b = a.saturating_add(len);
            let c = a.saturating_add(cut.min(len));
            let whole = PortSet::from_ranges([(a, b)]);
            let split = PortSet::from_ranges([(a, c), (c.saturating_add(1).min(b), b)]);
            prop_assert_eq!(whole.contains(probe), split.contains(probe));
        }

        #[test]
        fn membership_matches_naive(ranges in proptest::collection::vec((0u16..2000, 0u16..2000), 0..8), probe in 0u16..2100) {
            let set = PortSet::from_ranges(ranges.clone());
            let naive = ranges.iter().any(|&(a, b)| a.min(b) <= probe && probe <= a.max(b));
            prop_assert_eq!(set.contains(probe), naive);
        }
    }

    #[test]
    fn set_difference_splits_ranges_and_intersection_keeps_the_common_ports() {
        let mgmt = PortSet::from_ranges([(22, 22), (3389, 3389), (5985, 5986)]);
        let rule = PortSet::from_ranges([(20, 25), (80, 80), (443, 443), (5985, 5986)]);
        assert_eq!(rule.minus(&mgmt).to_string(), "20-21,23-25,80,443");
        assert_eq!(rule.intersect(&mgmt).to_string(), "22,5985-5986");
        assert_eq!(PortSet::single(22).minus(&mgmt), PortSet::empty());
        let all_but = PortSet::all().minus(&mgmt);
        assert_eq!(
            all_but.ranges(),
            &[(0, 21), (23, 3388), (3390, 5984), (5987, 65535)]
        );
        assert_eq!(PortSet::all().intersect(&mgmt), mgmt);
    }
}
