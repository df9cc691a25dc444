//! EXPORT: how a big export's items are cut into batches, each parsed, turned into the
//! model and dropped before the one after next is read. Pure: ranges in, runs of ranges out.

use std::ops::Range;

use crate::limits::Limits;

/// The batches of an export's item ranges, with the index of each batch's first item: as
/// many items and as much text as `limits` allow ([`Limits::export_batch_items`],
/// [`Limits::export_batch_bytes`]).
pub(super) fn of<'r>(
    ranges: &'r [Range<usize>],
    limits: &Limits,
) -> impl Iterator<Item = (usize, &'r [Range<usize>])> {
    runs(ranges, limits.export_batch_items, limits.export_batch_bytes)
}

/// Consecutive runs of `ranges` with their first index: each run at most `count` long and,
/// past its first range, no longer in text than `bytes`.
fn runs(
    ranges: &[Range<usize>],
    count: usize,
    bytes: usize,
) -> impl Iterator<Item = (usize, &[Range<usize>])> {
    let mut first = 0;
    std::iter::from_fn(move || {
        let rest = ranges.get(first..).filter(|rest| !rest.is_empty())?;
        let mut len = 0usize;
        let taken = rest
            .iter()
            .take(count.max(1))
            .enumerate()
            .take_while(|(j, range)| {
                len = len.saturating_add(range.len());
                *j == 0 || len <= bytes
            })
            .count();
        let start = first;
        first += taken;
        Some((start, rest.get(..taken)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(sizes: &[usize]) -> Vec<Range<usize>> {
        let mut at = 0;
        sizes
            .iter()
            .map(|&n| {
                let r = at..at + n;
                at += n + 1;
                r
            })
            .collect()
    }

    fn shape(sizes: &[usize], count: usize, bytes: usize) -> Vec<(usize, usize)> {
        let all = ranges(sizes);
        runs(&all, count, bytes)
            .map(|(first, run)| (first, run.len()))
            .collect()
    }

    #[test]
    fn runs_are_cut_by_count() {
        assert_eq!(shape(&[1; 7], 3, 1000), vec![(0, 3), (3, 3), (6, 1)]);
        assert_eq!(shape(&[], 3, 1000), vec![]);
    }

    #[test]
    fn runs_are_cut_by_text_and_keep_at_least_one_item() {
        // 4 + 4 fit in 10, a third would not; a 50-byte item makes a run of its own.
        assert_eq!(
            shape(&[4, 4, 4, 50, 2, 2], 100, 10),
            vec![(0, 2), (2, 1), (3, 1), (4, 2)]
        );
    }

    #[test]
    fn every_range_is_in_exactly_one_run_in_order() {
        let sizes: Vec<usize> = (0..500).map(|i| (i * 7919) % 97).collect();
        let all = ranges(&sizes);
        for (count, bytes) in [(1, 1), (5, 100), (1024, 32 << 20), (0, 0)] {
            let mut next = 0;
            for (first, run) in runs(&all, count, bytes) {
                assert_eq!(first, next);
                assert!(!run.is_empty() && run.len() <= count.max(1));
                assert_eq!(run, &all[first..first + run.len()]);
                next += run.len();
            }
            assert_eq!(next, all.len());
        }
    }
}
