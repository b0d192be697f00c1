//! Seeded random inputs (ChaCha8), identical on every platform and run.

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The generator every helper here uses: ChaCha8 seeded with `seed`.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A `rows × cols` matrix of independent standard-Gaussian entries, filled row by row from
/// `rng` (for `f32`, each entry is the `f64` draw rounded, as `rand_distr` does).
pub fn gaussian_matrix_from<F, R: Rng + ?Sized>(rng: &mut R, rows: usize, cols: usize) -> Array2<F>
where
    StandardNormal: Distribution<F>,
{
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(rng))
}

/// [`gaussian_matrix_from`] a ChaCha8 generator seeded with `seed`.
///
/// ```
/// let a = srl_testkit::random::gaussian_matrix::<f64>(4, 3, 1);
/// assert_eq!(a, srl_testkit::random::gaussian_matrix::<f64>(4, 3, 1));
/// assert_eq!(a.dim(), (4, 3));
/// ```
pub fn gaussian_matrix<F>(rows: usize, cols: usize, seed: u64) -> Array2<F>
where
    StandardNormal: Distribution<F>,
{
    gaussian_matrix_from(&mut rng(seed), rows, cols)
}

/// A vector of `n` independent standard-Gaussian entries from a ChaCha8 generator seeded
/// with `seed` (the same numbers as the first row of `gaussian_matrix(1, n, seed)`).
pub fn gaussian_vector<F>(n: usize, seed: u64) -> Array1<F>
where
    StandardNormal: Distribution<F>,
{
    let mut rng = rng(seed);
    Array1::from_shape_simple_fn(n, || StandardNormal.sample(&mut rng))
}

/// A `rows × cols` matrix of entries uniform on [lo, hi), filled row by row from `rng`
/// (`rng.gen_range(lo..hi)` per entry).
pub fn uniform_matrix<R: Rng + ?Sized>(
    rng: &mut R,
    rows: usize,
    cols: usize,
    lo: f64,
    hi: f64,
) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| rng.gen_range(lo..hi))
}

/// A vector of `n` entries uniform on [lo, hi) from `rng`.
pub fn uniform_vector<R: Rng + ?Sized>(rng: &mut R, n: usize, lo: f64, hi: f64) -> Array1<f64> {
    Array1::from_shape_fn(n, |_| rng.gen_range(lo..hi))
}

/// `n` bin indices uniform on 0..num_bins from `rng` (with few rows some bins stay absent).
pub fn random_bins<R: Rng + ?Sized>(rng: &mut R, n: usize, num_bins: usize) -> Vec<usize> {
    (0..n).map(|_| rng.gen_range(0..num_bins)).collect()
}

/// `n` bin indices from 0..num_bins that never use the bins in `absent` (which must leave at
/// least one bin), drawn uniformly over the others: tables with rows never seen in the batch.
///
/// ```
/// let mut rng = srl_testkit::random::rng(3);
/// let bins = srl_testkit::random::bins_with_absent(&mut rng, 50, 6, &[1, 4]);
/// assert!(bins.iter().all(|&b| b < 6 && b != 1 && b != 4));
/// ```
pub fn bins_with_absent<R: Rng + ?Sized>(
    rng: &mut R,
    n: usize,
    num_bins: usize,
    absent: &[usize],
) -> Vec<usize> {
    let present: Vec<usize> = (0..num_bins).filter(|b| !absent.contains(b)).collect();
    assert!(!present.is_empty(), "every bin is absent");
    (0..n)
        .map(|_| present[rng.gen_range(0..present.len())])
        .collect()
}
