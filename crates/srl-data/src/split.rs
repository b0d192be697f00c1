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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
