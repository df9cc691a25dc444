//! EVALUATE: sets of addresses as ranges, and the public address space an Internet source is
//! drawn from.
//!
//! A rule's sources are judged by what they cover, not by how they are spelled: `0.0.0.0/1`
//! and `128.0.0.0/1` together are every address, as is a list of ranges that leaves out only
//! private space. An [`IntervalSet`] holds sorted, disjoint, non-adjacent inclusive ranges of
//! `u32` (IPv4) or `u128` (IPv6); [`Addresses`] holds one of each. Pure, no I/O; what counts as
//! public is documented in docs/verdicts.md ("Sources judged by coverage").

use std::net::IpAddr;
use std::sync::LazyLock;

use ipnet::IpNet;

use crate::model::address::AddressItem;

/// An unsigned address type: `u32` for IPv4, `u128` for IPv6.
pub trait Bound: Copy + Ord + std::fmt::Debug {
    /// The lowest address.
    const MIN: Self;
    /// The highest address.
    const MAX: Self;
    /// The next address, None at the top.
    fn next(self) -> Option<Self>;
    /// The previous address, None at the bottom.
    fn prev(self) -> Option<Self>;
    /// How many addresses `lo..=hi` holds (saturating).
    fn count(lo: Self, hi: Self) -> u128;
}

impl Bound for u32 {
    const MIN: Self = 0;
    const MAX: Self = u32::MAX;
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn prev(self) -> Option<Self> {
        self.checked_sub(1)
    }
    fn count(lo: Self, hi: Self) -> u128 {
        u128::from(hi.saturating_sub(lo)) + 1
    }
}

impl Bound for u128 {
    const MIN: Self = 0;
    const MAX: Self = u128::MAX;
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn prev(self) -> Option<Self> {
        self.checked_sub(1)
    }
    fn count(lo: Self, hi: Self) -> u128 {
        hi.saturating_sub(lo).saturating_add(1)
    }
}

/// A set of addresses: sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntervalSet<T> {
    ranges: Vec<(T, T)>,
}

impl<T> Default for IntervalSet<T> {
    fn default() -> Self {
        Self { ranges: Vec::new() }
    }
}

impl<T: Bound> IntervalSet<T> {
    /// The empty set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every address.
    pub fn full() -> Self {
        Self {
            ranges: vec![(T::MIN, T::MAX)],
        }
    }

    /// The set of the given inclusive ranges (in any order, overlapping or not); a range whose
    /// ends are reversed is empty.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (T, T)>) -> Self {
        let mut sorted: Vec<(T, T)> = ranges.into_iter().filter(|(lo, hi)| lo <= hi).collect();
        sorted.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(sorted.len());
        for (lo, hi) in sorted {
            push_merged(&mut out, lo, hi);
        }
        Self { ranges: out }
    }

    /// The ranges, sorted.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    /// True when no address is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// How many addresses the set holds (saturating at `u128::MAX`).
    pub fn count(&self) -> u128 {
        self.ranges.iter().fold(0u128, |sum, (lo, hi)| {
            sum.saturating_add(T::count(*lo, *hi))
        })
    }

    /// Whether `address` is in the set.
    pub fn contains(&self, address: T) -> bool {
        let i = self.ranges.partition_point(|(_, hi)| *hi < address);
        self.ranges.get(i).is_some_and(|(lo, _)| *lo <= address)
    }

    /// Every address in either set.
    pub fn union(&self, other: &Self) -> Self {
        let mut out: Vec<(T, T)> = Vec::with_capacity(self.ranges.len() + other.ranges.len());
        let (mut a, mut b) = (
            self.ranges.iter().peekable(),
            other.ranges.iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x <= y => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            if let Some(&(lo, hi)) = next {
                push_merged(&mut out, lo, hi);
            }
        }
        Self { ranges: out }
    }

    /// Every address in both sets.
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (self.ranges.get(i), other.ranges.get(j))
        {
            let (lo, hi) = (alo.max(blo), ahi.min(bhi));
            if lo <= hi {
                out.push((lo, hi));
            }
            if ahi < bhi {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { ranges: out }
    }

    /// The addresses of `self` that are not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let mut j = 0;
        for &(lo, hi) in &self.ranges {
            let mut start = Some(lo);
            // Ranges of `other` wholly below this one cannot touch later ones either.
            while other.ranges.get(j).is_some_and(|(_, bhi)| *bhi < lo) {
                j += 1;
            }
            let mut k = j;
            while let (Some(s), Some(&(blo, bhi))) = (start, other.ranges.get(k)) {
                if blo > hi {
                    break;
                }
                if blo > s {
                    if let Some(end) = blo.prev() {
                        out.push((s, end));
                    }
                }
                start = if bhi >= hi {
                    None
                } else {
                    bhi.next().map(|n| n.max(s))
                };
                k += 1;
            }
            if let Some(s) = start {
                out.push((s, hi));
            }
        }
        Self { ranges: out }
    }

    /// Whether every address of `other` is in `self`.
    pub fn covers(&self, other: &Self) -> bool {
        let mut i = 0;
        other.ranges.iter().all(|&(lo, hi)| {
            while self.ranges.get(i).is_some_and(|(_, ahi)| *ahi < lo) {
                i += 1;
            }
            // The ranges are non-adjacent: a covered range lies within one of them.
            self.ranges
                .get(i)
                .is_some_and(|&(alo, ahi)| alo <= lo && hi <= ahi)
        })
    }

    /// Whether the sets share an address.
    pub fn intersects(&self, other: &Self) -> bool {
        !self.intersection(other).is_empty()
    }
}

/// Appends `lo..=hi` (not below the last range's start) to sorted `out`, merging it with the
/// last range when they overlap or touch.
fn push_merged<T: Bound>(out: &mut Vec<(T, T)>, lo: T, hi: T) {
    if let Some(last) = out.last_mut() {
        let touches = last.1 >= lo || last.1.next() == Some(lo);
        if touches {
            last.1 = last.1.max(hi);
            return;
        }
    }
    out.push((lo, hi));
}

/// A set of IPv4 and IPv6 addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Addresses {
    /// IPv4.
    pub v4: IntervalSet<u32>,
    /// IPv6.
    pub v6: IntervalSet<u128>,
}

impl Addresses {
    /// The addresses of one prefix.
    pub fn of_prefix(net: &IpNet) -> Self {
        match net {
            IpNet::V4(n) => Self {
                v4: IntervalSet::from_ranges([(u32::from(n.network()), u32::from(n.broadcast()))]),
                v6: IntervalSet::empty(),
            },
            IpNet::V6(n) => Self {
                v4: IntervalSet::empty(),
                v6: IntervalSet::from_ranges([(
                    u128::from(n.network()),
                    u128::from(n.broadcast()),
                )]),
            },
        }
    }

    /// The public addresses a rule's source items name: `*`/`Any` and `Internet` every public
    /// address, prefixes their public part. Service tags, `VirtualNetwork`,
    /// `AzureLoadBalancer` and application security groups name no address an arbitrary
    /// Internet client can be counted on to hold: none.
    pub fn public_of_items(items: &[AddressItem]) -> Self {
        if items
            .iter()
            .any(|i| matches!(i, AddressItem::Any | AddressItem::Internet))
        {
            return public().clone();
        }
        if !items.iter().any(|i| matches!(i, AddressItem::Prefix(_))) {
            return Self::default();
        }
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for item in items {
            match item {
                AddressItem::Prefix(IpNet::V4(n)) => {
                    v4.push((u32::from(n.network()), u32::from(n.broadcast())));
                }
                AddressItem::Prefix(IpNet::V6(n)) => {
                    v6.push((u128::from(n.network()), u128::from(n.broadcast())));
                }
                _ => {}
            }
        }
        Self {
            v4: IntervalSet::from_ranges(v4),
            v6: IntervalSet::from_ranges(v6),
        }
        .intersection(public())
    }

    /// True when neither family holds an address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether `ip` is in the set.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    /// Union, per family.
    pub fn union(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    /// Intersection, per family.
    pub fn intersection(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.intersection(&other.v4),
            v6: self.v6.intersection(&other.v6),
        }
    }

    /// Difference, per family.
    pub fn difference(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.difference(&other.v4),
            v6: self.v6.difference(&other.v6),
        }
    }

    /// Whether the sets share an address.
    pub fn intersects(&self, other: &Self) -> bool {
        self.v4.intersects(&other.v4) || self.v6.intersects(&other.v6)
    }

    /// True when the set covers every public address of at least one family: an arbitrary
    /// Internet client, whichever family it uses there, is in it.
    pub fn covers_public(&self) -> bool {
        let p = public();
        self.v4.covers(&p.v4) || self.v6.covers(&p.v6)
    }

    /// The set as prefixes, each family in address order (IPv4 first), at most `limit` of
    /// them; the second value counts those left out.
    pub fn prefixes(&self, limit: usize) -> (Vec<IpNet>, usize) {
        let mut all: Vec<IpNet> = Vec::new();
        for &(lo, hi) in self.v4.ranges() {
            all.extend(ipnet::Ipv4Subnets::new(lo.into(), hi.into(), 0).map(IpNet::V4));
        }
        for &(lo, hi) in self.v6.ranges() {
            all.extend(ipnet::Ipv6Subnets::new(lo.into(), hi.into(), 0).map(IpNet::V6));
        }
        let left = all.len().saturating_sub(limit);
        all.truncate(limit);
        (all, left)
    }
}

/// True when `items` together name every public address of a family (see
/// [`Addresses::covers_public`]); the common spellings are answered without building a set.
pub fn items_cover_public(items: &[AddressItem]) -> bool {
    if items
        .iter()
        .any(|i| matches!(i, AddressItem::Any | AddressItem::Internet))
    {
        return true;
    }
    // The prefixes' sizes added up (overlaps counted twice) bound what they can cover: most
    // lists name far fewer addresses than a family's public space, and need no set work.
    let (mut v4, mut v6) = (0u128, 0u128);
    for item in items {
        match item {
            AddressItem::Prefix(IpNet::V4(n)) => {
                v4 = v4.saturating_add(block_size(32, n.prefix_len()))
            }
            AddressItem::Prefix(IpNet::V6(n)) => {
                v6 = v6.saturating_add(block_size(128, n.prefix_len()))
            }
            _ => {}
        }
    }
    let (public4, public6) = *PUBLIC_COUNTS;
    (v4 >= public4 || v6 >= public6) && Addresses::public_of_items(items).covers_public()
}

/// How many public addresses each family holds.
static PUBLIC_COUNTS: LazyLock<(u128, u128)> =
    LazyLock::new(|| (public().v4.count(), public().v6.count()));

/// IPv4 ranges an Internet client cannot hold as its source address: IANA's special-purpose
/// blocks that are not globally reachable, multicast and the reserved block (reasons in
/// docs/verdicts.md).
const NOT_PUBLIC_V4: [&str; 15] = [
    "0.0.0.0/8",       // "this network" (RFC 791)
    "10.0.0.0/8",      // private (RFC 1918)
    "100.64.0.0/10",   // shared address space, carrier-grade NAT (RFC 6598)
    "127.0.0.0/8",     // loopback (RFC 1122)
    "169.254.0.0/16",  // link local (RFC 3927)
    "172.16.0.0/12",   // private (RFC 1918)
    "192.0.0.0/24",    // IETF protocol assignments (RFC 6890)
    "192.0.2.0/24",    // documentation, TEST-NET-1 (RFC 5737)
    "192.88.99.0/24",  // deprecated 6to4 relay anycast (RFC 7526)
    "192.168.0.0/16",  // private (RFC 1918)
    "198.18.0.0/15",   // benchmarking (RFC 2544)
    "198.51.100.0/24", // documentation, TEST-NET-2 (RFC 5737)
    "203.0.113.0/24",  // documentation, TEST-NET-3 (RFC 5737)
    "224.0.0.0/4",     // multicast (RFC 5771): never a source
    "240.0.0.0/4",     // reserved, and the limited broadcast address (RFC 1112, RFC 919)
];

/// IPv6: global unicast `2000::/3` (RFC 4291) without the documentation blocks.
const PUBLIC_V6: &str = "2000::/3";
const NOT_PUBLIC_V6: [&str; 2] = [
    "2001:db8::/32", // documentation (RFC 3849)
    "3fff::/20",     // documentation (RFC 9637)
];

static PUBLIC: LazyLock<Addresses> = LazyLock::new(|| {
    let set = |texts: &[&str]| {
        texts
            .iter()
            .filter_map(|t| t.parse::<IpNet>().ok())
            .fold(Addresses::default(), |acc, net| {
                acc.union(&Addresses::of_prefix(&net))
            })
    };
    let v4 = IntervalSet::<u32>::full().difference(&set(&NOT_PUBLIC_V4).v4);
    let v6 = set(&[PUBLIC_V6]).v6.difference(&set(&NOT_PUBLIC_V6).v6);
    Addresses { v4, v6 }
});

/// Every public address: where an arbitrary Internet client's source address lies.
pub fn public() -> &'static Addresses {
    &PUBLIC
}

/// How many addresses a prefix of `len` bits holds in a family of `bits` bits.
pub fn block_size(bits: u32, len: u8) -> u128 {
    let host_bits = bits.saturating_sub(u32::from(len));
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

#[cfg(test)]
#[path = "addresses_tests.rs"]
pub(crate) mod tests;
