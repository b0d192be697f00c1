//! Shared helpers of the SRL loss tests: seeded random arrays and finite-difference checks.
#![allow(dead_code)]

use ndarray::Array2;
use srl_surrogate::{Surrogate, SurrogateConfig};
use srl_testkit::FdCheck;

/// Step of the central differences.
pub const EPS: f64 = 1e-6;

/// Seeded standard-Gaussian matrix.
pub fn gaussian(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    srl_testkit::random::gaussian_matrix(rows, cols, seed)
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

/// Compares `analytic` with central differences of `loss` at `x` (step [`EPS`], tolerances
/// epsilon 1e-8 / max_relative 1e-6). `loss` returns the value and whether the evaluation is
/// "compatible" with the base point (e.g. the enveloping arg-max did not change); incompatible
/// coordinates are skipped, and at most `max_skipped_fraction` of them may be. Coordinates where
/// `skip(idx)` holds are not checked.
pub fn check_gradient(
    x: &Array2<f64>,
    analytic: &Array2<f64>,
    mut loss: impl FnMut(&Array2<f64>) -> (f64, bool),
    skip: impl Fn((usize, usize)) -> bool,
    max_skipped_fraction: f64,
) {
    FdCheck::new(EPS)
        .epsilon(1e-8)
        .max_relative(1e-6)
        .allow_skipped(max_skipped_fraction)
        .check_where(x, analytic, skip, |x| {
            let (value, compatible) = loss(x);
            compatible.then_some(value)
        });
}
