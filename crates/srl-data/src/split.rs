//! The balanced DIR split of docs/protocols.md.
//!
//! The SRL paper never published its UCI splits, so this split is the project's own,
//! defined after the DIR preprocessing scripts (Yang et al., ICML 2021) and fixed by a seed:
//!
//! 1. visit the bins in ascending order (bins with no rows are skipped);
//! 2. shuffle each bin's row indices (ascending row order before shuffling) with ONE
//!    generator, `ChaCha8Rng::seed_from_u64(seed)`, shared across bins;
//! 3. with n_b rows in the bin, k = min(⌊n_b/3⌋, cap): the first k shuffled rows go to
//!    validation, the next k to test, the rest to training.
//!
//! Validation and test are therefore flat (at most `cap` per bin) and identical in their bin
//! histogram, while training keeps the imbalance. The same `(bins, cap, seed)` always gives
//! the same split (ChaCha8 and `rand 0.8`'s Fisher–Yates shuffle are platform-independent).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Row indices of the three parts, each sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitIndices {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub val: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// The balanced DIR split of rows with bin indices `bins` (see the module docs).
///
/// ```
/// use srl_data::split::balanced_split;
/// // bin 0: 9 rows → 3 val, 3 test, 3 train; bin 1: 2 rows → all train.
/// let bins = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
/// let s = balanced_split(&bins, 10, 0);
/// assert_eq!((s.train.len(), s.val.len(), s.test.len()), (5, 3, 3));
/// assert_eq!(s, balanced_split(&bins, 10, 0)); // reproducible
/// ```
pub fn balanced_split(bins: &[usize], cap: usize, seed: u64) -> SplitIndices {
    let num_bins = bins.iter().max().map_or(0, |&m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); num_bins];
    for (row, &b) in bins.iter().enumerate() {
        members[b].push(row);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut split = SplitIndices {
        train: Vec::with_capacity(bins.len()),
        val: Vec::new(),
        test: Vec::new(),
    };
    for rows in members.iter_mut().filter(|r| !r.is_empty()) {
        rows.shuffle(&mut rng);
        let k = (rows.len() / 3).min(cap);
        split.val.extend_from_slice(&rows[..k]);
        split.test.extend_from_slice(&rows[k..2 * k]);
        split.train.extend_from_slice(&rows[2 * k..]);
    }
    split.train.sort_unstable();
    split.val.sort_unstable();
    split.test.sort_unstable();
    split
}

/// A seeded random split stratified by `strata` (e.g. target bins): about `val` and `test` of
/// the rows of every stratum go to validation and test, the rest to training.
///
/// The rows are put in random order within each stratum and the strata laid end to end; then
/// systematic sampling with a random phase u assigns position p to test when
/// ⌊(p+1)·test + u⌋ > ⌊p·test + u⌋, and the remaining positions to validation in the same way
/// with the share val/(1 − test). Totals are within one row of n·test and n·val, and each
/// stratum's share is within one row of its own n_s·test and n_s·val (a stratum of one or two
/// rows usually stays in training).
///
/// ```
/// let strata: Vec<usize> = (0..100).map(|i| usize::from(i >= 90)).collect();
/// let s = srl_data::split::stratified_split(&strata, 0.2, 0.2, 7);
/// assert_eq!((s.train.len(), s.val.len(), s.test.len()), (60, 20, 20));
/// // the rare stratum (10 rows) sends 2 rows to each of validation and test
/// assert_eq!(s.test.iter().filter(|&&i| i >= 90).count(), 2);
/// ```
pub fn stratified_split(strata: &[usize], val: f64, test: f64, seed: u64) -> SplitIndices {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..strata.len()).collect();
    order.shuffle(&mut rng);
    order.sort_by_key(|&i| strata[i]); // stable: random order within a stratum
    let phase: f64 = rand::Rng::gen(&mut rng);
    let val_share = val / (1.0 - test);
    let hit = |p: usize, share: f64| {
        ((p + 1) as f64 * share + phase).floor() > (p as f64 * share + phase).floor()
    };
    let mut split = SplitIndices {
        train: Vec::with_capacity(strata.len()),
        val: Vec::new(),
        test: Vec::new(),
    };
    let mut rest = 0;
    for (p, &i) in order.iter().enumerate() {
        if hit(p, test) {
            split.test.push(i);
        } else {
            if hit(rest, val_share) {
                split.val.push(i);
            } else {
                split.train.push(i);
            }
            rest += 1;
        }
    }
    split.train.sort_unstable();
    split.val.sort_unstable();
    split.test.sort_unstable();
    split
}

/// `k` cross-validation folds of `rows`, stratified by `strata` (one stratum per row of
/// `rows`): the rows are shuffled within their stratum (seeded), the strata laid end to end,
/// and row `p` of that order goes to fold `(p + phase) mod k` with a random phase — so every
/// stratum sends within one row of its share to every fold, and every fold holds ⌊n/k⌋ or
/// ⌈n/k⌉ rows. Each fold is sorted; together they partition `rows`.
///
/// ```
/// // 100 rows, a rare stratum of 10: each of 5 folds gets 20 rows, 2 of them rare.
/// let rows: Vec<usize> = (0..100).collect();
/// let strata: Vec<usize> = rows.iter().map(|&i| usize::from(i >= 90)).collect();
/// let folds = srl_data::split::stratified_folds(&rows, &strata, 5, 3);
/// assert!(folds.iter().all(|f| f.len() == 20));
/// assert!(folds.iter().all(|f| f.iter().filter(|&&i| i >= 90).count() == 2));
/// ```
pub fn stratified_folds(rows: &[usize], strata: &[usize], k: usize, seed: u64) -> Vec<Vec<usize>> {
    assert_eq!(rows.len(), strata.len(), "one stratum per row");
    let k = k.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.shuffle(&mut rng);
    order.sort_by_key(|&i| strata[i]); // stable: random order within a stratum
    let phase = rand::Rng::gen_range(&mut rng, 0..k);
    let mut folds = vec![Vec::with_capacity(rows.len() / k + 1); k];
    for (p, &i) in order.iter().enumerate() {
        folds[(p + phase) % k].push(rows[i]);
    }
    for f in &mut folds {
        f.sort_unstable();
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn folds_partition_the_rows_and_balance_every_stratum(
            strata in proptest::collection::vec(0usize..6, 5..300),
            k in 2usize..8,
            seed in 0u64..1000,
        ) {
            let rows: Vec<usize> = (0..strata.len()).map(|i| 3 * i + 1).collect();
            let folds = stratified_folds(&rows, &strata, k, seed);
            prop_assert_eq!(folds.len(), k);
            let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
            all.sort_unstable();
            prop_assert_eq!(&all, &rows);
            let n = rows.len();
            for f in &folds {
                prop_assert!(f.len() == n / k || f.len() == n.div_ceil(k));
            }
            for s in 0..6 {
                let total = strata.iter().filter(|&&t| t == s).count();
                for f in &folds {
                    let c = f.iter().filter(|&&r| strata[(r - 1) / 3] == s).count();
                    prop_assert!(c == total / k || c == total.div_ceil(k), "stratum {} fold count {} of {}", s, c, total);
                }
            }
            prop_assert_eq!(stratified_folds(&rows, &strata, k, seed), folds);
        }
    }

    #[test]
    fn per_bin_sizes_follow_the_rule() {
        // bin sizes 1, 3, 7, 40 with cap 5 → k = 0, 1, 2, 5.
        let mut bins = vec![0];
        bins.extend([1; 3]);
        bins.extend([2; 7]);
        bins.extend([3; 40]);
        let s = balanced_split(&bins, 5, 0);
        let count = |idx: &[usize], b: usize| idx.iter().filter(|&&i| bins[i] == b).count();
        for (b, k) in [(0, 0), (1, 1), (2, 2), (3, 5)] {
            assert_eq!(count(&s.val, b), k, "val bin {b}");
            assert_eq!(count(&s.test, b), k, "test bin {b}");
        }
        assert_eq!(s.train.len(), bins.len() - 16);
    }

    #[test]
    fn different_seeds_differ() {
        let bins: Vec<usize> = (0..300).map(|i| i % 4).collect();
        assert_ne!(balanced_split(&bins, 10, 0), balanced_split(&bins, 10, 1));
    }

    #[test]
    fn empty_input() {
        let s = balanced_split(&[], 3, 0);
        assert!(s.train.is_empty() && s.val.is_empty() && s.test.is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn stratified_partitions_and_follows_the_shares(
            strata in proptest::collection::vec(0usize..6, 1..400),
            val in 0.05f64..0.4, test in 0.05f64..0.4, seed in any::<u64>())
        {
            let s = stratified_split(&strata, val, test, seed);
            let mut all: Vec<usize> = s.train.iter().chain(&s.val).chain(&s.test).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..strata.len()).collect::<Vec<_>>());
            let n = strata.len() as f64;
            prop_assert!((s.test.len() as f64 - n * test).abs() <= 1.0);
            prop_assert!((s.val.len() as f64 - n * (1.0 - test) * val / (1.0 - test)).abs() <= 2.0);
            for k in 0..6 {
                let nk = strata.iter().filter(|&&b| b == k).count() as f64;
                let tk = s.test.iter().filter(|&&i| strata[i] == k).count() as f64;
                prop_assert!((tk - nk * test).abs() <= 1.0, "stratum {} test {} of {}", k, tk, nk);
            }
        }

        #[test]
        fn partition_and_balance(bins in proptest::collection::vec(0usize..8, 0..200),
                                 cap in 0usize..10, seed in any::<u64>()) {
            let s = balanced_split(&bins, cap, seed);
            let mut all: Vec<usize> = s.train.iter().chain(&s.val).chain(&s.test).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..bins.len()).collect::<Vec<_>>());
            for b in 0..8 {
                let n = bins.iter().filter(|&&x| x == b).count();
                let k = (n / 3).min(cap);
                prop_assert_eq!(s.val.iter().filter(|&&i| bins[i] == b).count(), k);
                prop_assert_eq!(s.test.iter().filter(|&&i| bins[i] == b).count(), k);
            }
            prop_assert_eq!(&s, &balanced_split(&bins, cap, seed));
        }
    }
}
