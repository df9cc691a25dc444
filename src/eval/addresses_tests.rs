use super::*;
use proptest::prelude::*;

/// A set of small addresses (0..64) as a bit mask: the brute-force model.
fn mask(ranges: &[(u32, u32)]) -> u64 {
    let mut m = 0u64;
    for &(lo, hi) in ranges {
        for a in lo..=hi.min(63) {
            m |= 1 << a;
        }
    }
    m
}

fn set_mask(set: &IntervalSet<u32>) -> u64 {
    mask(set.ranges())
}

fn small_ranges() -> impl Strategy<Value = Vec<(u32, u32)>> {
    proptest::collection::vec((0u32..64, 0u32..8), 0..6).prop_map(|v| {
        v.into_iter()
            .map(|(lo, len)| (lo, (lo + len).min(63)))
            .collect()
    })
}

fn well_formed(set: &IntervalSet<u32>) -> bool {
    set.ranges().iter().all(|(lo, hi)| lo <= hi)
        && set
            .ranges()
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.1.saturating_add(1) < b.0))
}

proptest! {
    #[test]
    fn operations_agree_with_brute_force(a in small_ranges(), b in small_ranges()) {
        let (sa, sb) = (IntervalSet::from_ranges(a.clone()), IntervalSet::from_ranges(b.clone()));
        let (ma, mb) = (mask(&a), mask(&b));
        prop_assert_eq!(set_mask(&sa), ma);
        for s in [&sa.union(&sb), &sa.intersection(&sb), &sa.difference(&sb)] {
            prop_assert!(well_formed(s), "{:?}", s);
        }
        prop_assert_eq!(set_mask(&sa.union(&sb)), ma | mb);
        prop_assert_eq!(set_mask(&sa.intersection(&sb)), ma & mb);
        prop_assert_eq!(set_mask(&sa.difference(&sb)), ma & !mb);
        prop_assert_eq!(sa.covers(&sb), mb & !ma == 0);
        prop_assert_eq!(sa.intersects(&sb), ma & mb != 0);
        prop_assert_eq!(sa.count(), u128::from(ma.count_ones()));
        for x in 0..64u32 {
            prop_assert_eq!(sa.contains(x), ma & (1 << x) != 0);
        }
    }
}

#[test]
fn the_ends_of_the_space_do_not_overflow() {
    let full = IntervalSet::<u32>::full();
    let top = IntervalSet::from_ranges([(u32::MAX, u32::MAX)]);
    let bottom = IntervalSet::from_ranges([(0, 0)]);
    let middle = full.difference(&top).difference(&bottom);
    assert_eq!(middle.ranges(), &[(1, u32::MAX - 1)]);
    assert!(middle.union(&top).union(&bottom).covers(&full));
    assert_eq!(full.count(), 1u128 << 32);
    let full6 = IntervalSet::<u128>::full();
    assert_eq!(full6.count(), u128::MAX);
    assert!(full6.difference(&full6).is_empty());
    assert_eq!(block_size(32, 8), 1 << 24);
    assert_eq!(block_size(128, 0), u128::MAX);
}

fn items(texts: &[&str]) -> Vec<AddressItem> {
    texts
        .iter()
        .map(|t| AddressItem::parse(t).unwrap())
        .collect()
}

#[test]
fn halves_and_lists_cover_the_public_space() {
    for covering in [
        &["0.0.0.0/1", "128.0.0.0/1"][..],
        // Up to 223.255.255.255: multicast and the reserved block are no client's address.
        &["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"],
        &["*"],
        &["Internet"],
        &["0.0.0.0/0"],
        &["::/0"],
        &["2000::/3"],
        &["2000::/4", "3000::/4"],
        // Everything but private space (RFC 1918), in ranges an author might write.
        &[
            "1.0.0.0/8",
            "2.0.0.0/7",
            "4.0.0.0/6",
            "8.0.0.0/7",
            "11.0.0.0/8",
            "12.0.0.0/6",
            "16.0.0.0/4",
            "32.0.0.0/3",
            "64.0.0.0/2",
            "128.0.0.0/3",
            "160.0.0.0/5",
            "168.0.0.0/6",
            "172.0.0.0/12",
            "172.32.0.0/11",
            "172.64.0.0/10",
            "172.128.0.0/9",
            "173.0.0.0/8",
            "174.0.0.0/7",
            "176.0.0.0/4",
            "192.0.0.0/9",
            "192.128.0.0/11",
            "192.160.0.0/13",
            "192.169.0.0/16",
            "192.170.0.0/15",
            "192.172.0.0/14",
            "192.176.0.0/12",
            "192.192.0.0/10",
            "193.0.0.0/8",
            "194.0.0.0/7",
            "196.0.0.0/6",
            "200.0.0.0/5",
            "208.0.0.0/4",
        ],
    ] {
        assert!(
            Addresses::public_of_items(&items(covering)).covers_public(),
            "{covering:?}"
        );
    }
    for partial in [
        &["0.0.0.0/1"][..],
        &["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/4"],
        &["10.0.0.0/8", "VirtualNetwork", "AzureCloud"],
        &["2000::/4"],
        &HALVES_BUT_ONE_24,
    ] {
        assert!(
            !Addresses::public_of_items(&items(partial)).covers_public(),
            "{partial:?}"
        );
    }
}

#[test]
fn the_public_space_leaves_out_special_use_blocks() {
    let p = public();
    for private in [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.1.2.3",
        "224.0.0.1",
        "255.255.255.255",
        "203.0.113.7",
        "fd00::1",
        "fe80::1",
        "::1",
        "2001:db8::1",
    ] {
        assert!(!p.contains(private.parse().unwrap()), "{private}");
    }
    for public in [
        "1.1.1.1",
        "8.8.8.8",
        "20.1.2.3",
        "172.32.0.1",
        "2603:1000::1",
    ] {
        assert!(p.contains(public.parse().unwrap()), "{public}");
    }
}

#[test]
fn sets_print_as_prefixes() {
    let set = Addresses::public_of_items(&items(&["0.0.0.0/1"]));
    let (nets, left) = set.prefixes(3);
    let text: Vec<String> = nets.iter().map(ToString::to_string).collect();
    // 0.0.0.0/8 and 10.0.0.0/8 are not public.
    assert_eq!(text, ["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6"]);
    assert!(left > 0);
}

/// 0.0.0.0/1 and 128.0.0.0/1 without 128.0.0.0/24.
pub(crate) const HALVES_BUT_ONE_24: [&str; 24] = [
    "0.0.0.0/1",
    "128.0.1.0/24",
    "128.0.2.0/23",
    "128.0.4.0/22",
    "128.0.8.0/21",
    "128.0.16.0/20",
    "128.0.32.0/19",
    "128.0.64.0/18",
    "128.0.128.0/17",
    "128.1.0.0/16",
    "128.2.0.0/15",
    "128.4.0.0/14",
    "128.8.0.0/13",
    "128.16.0.0/12",
    "128.32.0.0/11",
    "128.64.0.0/10",
    "128.128.0.0/9",
    "129.0.0.0/8",
    "130.0.0.0/7",
    "132.0.0.0/6",
    "136.0.0.0/5",
    "144.0.0.0/4",
    "160.0.0.0/3",
    "192.0.0.0/2",
];
