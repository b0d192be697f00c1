//! Shared helpers of the SRL loss tests: seeded random arrays and finite-difference checks.
#![allow(dead_code)]

use approx::assert_relative_eq;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use srl_surrogate::{Surrogate, SurrogateConfig};

/// Step of the central differences.
pub const EPS: f64 = 1e-6;

/// Seeded standard-Gaussian matrix.
pub fn gaussian(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

/// Seeded matrix with unit rows.
pub fn unit_rows(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    srl_geometry::normalize_rows(gaussian(rows, cols, seed).view()).0
}

/// A random d×d orthogonal matrix (Gram–Schmidt on a Gaussian matrix).
pub fn random_rotation(d: usize, seed: u64) -> Array2<f64> {
    let mut q = gaussian(d, d, seed);
    for i in 0..d {
        for j in 0..i {
            let proj = q.row(i).dot(&q.row(j));
            let rj = q.row(j).to_owned();
            q.row_mut(i).scaled_add(-proj, &rj);
        }
        let n = q.row(i).dot(&q.row(i)).sqrt();
        q.row_mut(i).mapv_inplace(|v| v / n);
    }
    q
}

/// A surrogate (K×d, paper config) whose bins in `seen_bins` have been updated once with
/// random unit features.
pub fn surrogate_with_memory(k: usize, d: usize, seen_bins: &[usize], seed: u64) -> Surrogate<f64> {
    let mut s = Surrogate::new(SurrogateConfig::new(k, d)).unwrap();
    if !seen_bins.is_empty() {
        let z = unit_rows(seen_bins.len() * 3, d, seed);
        let bins: Vec<usize> = seen_bins.iter().flat_map(|&b| [b, b, b]).collect();
        s.accumulate(z.view(), &bins).unwrap();
        s.end_epoch().unwrap();
    }
    s
}

/// Compares `analytic` with central differences of `loss` at `x`. `loss` returns the value
/// and whether the evaluation is "compatible" with the base point (e.g. the enveloping
/// arg-max did not change); incompatible coordinates are skipped, and at most
/// `max_skipped_fraction` of them may be. Coordinates where `skip(idx)` holds are not checked.
pub fn check_gradient(
    x: &Array2<f64>,
    analytic: &Array2<f64>,
    mut loss: impl FnMut(&Array2<f64>) -> (f64, bool),
    skip: impl Fn((usize, usize)) -> bool,
    max_skipped_fraction: f64,
) {
    assert_eq!(x.dim(), analytic.dim());
    let mut xp = x.clone();
    let (mut checked, mut skipped) = (0usize, 0usize);
    for idx in ndarray::indices(x.raw_dim()) {
        if skip(idx) {
            continue;
        }
        let orig = xp[idx];
        xp[idx] = orig + EPS;
        let (lp, okp) = loss(&xp);
        xp[idx] = orig - EPS;
        let (lm, okm) = loss(&xp);
        xp[idx] = orig;
        if !(okp && okm) {
            skipped += 1;
            continue;
        }
        checked += 1;
        let numeric = (lp - lm) / (2.0 * EPS);
        assert_relative_eq!(analytic[idx], numeric, epsilon = 1e-8, max_relative = 1e-6);
    }
    assert!(checked > 0, "nothing checked");
    assert!(
        (skipped as f64) <= max_skipped_fraction * ((checked + skipped) as f64),
        "too many skipped coordinates: {skipped} of {}",
        checked + skipped
    );
}
