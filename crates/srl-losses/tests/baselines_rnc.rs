//! Rank-N-Contrast: the O(n² log n) loss and backward against a literal O(n³) transcription of
//! the reference loss and central finite differences (f64), with label ties, coincident labels
//! and n = 2.

use approx::assert_relative_eq;
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::rnc::RankNContrast;
use srl_testkit::FdCheck;

/// The reference loss, literally: mean over ordered pairs (i, j ≠ i) of
/// −log(exp(s_ij) / Σ_{k≠i, |y_i−y_k| ≥ |y_i−y_j|} exp(s_ik)), s = −‖z_i − z_j‖/τ.
fn naive(z: &Array2<f64>, y: &Array1<f64>, tau: f64) -> f64 {
    let n = z.nrows();
    let s = |i: usize, j: usize| -((&z.row(i) - &z.row(j)).mapv(|v| v * v).sum().sqrt()) / tau;
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let dij = (y[i] - y[j]).abs();
            let denom: f64 = (0..n)
                .filter(|&k| k != i && (y[i] - y[k]).abs() >= dij)
                .map(|k| s(i, k).exp())
                .sum();
            total += -(s(i, j).exp() / denom).ln();
        }
    }
    total / (n * (n - 1)) as f64
}

fn check(z: Array2<f64>, y: Array1<f64>, tau: f64) {
    let rnc = RankNContrast::new(tau).unwrap();
    let mut grad = Array2::zeros(z.raw_dim());
    let v = rnc
        .forward_backward(z.view(), y.view(), grad.view_mut())
        .unwrap();
    assert_relative_eq!(v, naive(&z, &y, tau), max_relative = 1e-10);
    FdCheck::new(1e-6)
        .epsilon(1e-7)
        .max_relative(1e-5)
        .check(&z, &grad, |z| naive(z, &y, tau));
}

#[test]
fn matches_the_reference_and_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (n, d, tau) in [(2, 3, 2.0), (5, 2, 2.0), (8, 4, 0.5), (12, 3, 1.0)] {
        let z = Array2::from_shape_fn((n, d), |_| rng.gen_range(-2.0..2.0));
        // Labels with ties (several equal labels and equal distances on both sides).
        let y = Array1::from_shape_fn(n, |_| f64::from(rng.gen_range(0..4)));
        check(z, y, tau);
    }
}

#[test]
fn all_labels_equal_and_distinct_labels() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let z = Array2::from_shape_fn((6, 2), |_| rng.gen_range(-1.0..1.0));
    check(z.clone(), Array1::from_elem(6, 1.5), 2.0);
    check(z, Array1::from_iter((0..6).map(f64::from)), 2.0);
}

#[test]
fn bad_inputs_are_errors() {
    assert!(RankNContrast::new(0.0).is_err());
    assert!(RankNContrast::new(f64::NAN).is_err());
    let rnc = RankNContrast::new(2.0).unwrap();
    let z = Array2::<f64>::zeros((1, 2));
    let mut g = z.clone();
    assert!(rnc
        .forward_backward(z.view(), Array1::zeros(1).view(), g.view_mut())
        .is_err());
    let z = Array2::<f64>::zeros((3, 2));
    let mut g = Array2::<f64>::zeros((2, 2));
    assert!(rnc
        .forward_backward(z.view(), Array1::zeros(3).view(), g.view_mut())
        .is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// The loss is invariant to permuting the rows (with their labels) and to shifting all
    /// features, and its gradient sums to zero over the rows (translation invariance).
    #[test]
    fn permutation_and_translation_invariance(seed in 0u64..1000, n in 2usize..9) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let z = Array2::from_shape_fn((n, 3), |_| rng.gen_range(-2.0..2.0));
        let y = Array1::from_shape_fn(n, |_| f64::from(rng.gen_range(0..5)));
        let rnc = RankNContrast::new(1.5).unwrap();
        let mut g = Array2::zeros(z.raw_dim());
        let v = rnc.forward_backward(z.view(), y.view(), g.view_mut()).unwrap();
        let perm: Vec<usize> = (0..n).rev().collect();
        let zp = z.select(ndarray::Axis(0), &perm);
        let yp = y.select(ndarray::Axis(0), &perm);
        let mut gp = Array2::zeros(z.raw_dim());
        let vp = rnc.forward_backward(zp.view(), yp.view(), gp.view_mut()).unwrap();
        prop_assert!((v - vp).abs() < 1e-10);
        let shifted = &z + 3.0;
        let mut gs = Array2::zeros(z.raw_dim());
        let vs = rnc.forward_backward(shifted.view(), y.view(), gs.view_mut()).unwrap();
        prop_assert!((v - vs).abs() < 1e-9);
        for c in 0..3 {
            prop_assert!(g.column(c).sum().abs() < 1e-10);
        }
    }
}

#[test]
fn temperature_is_checked_once_naming_the_field() {
    use srl_losses::{LossError, Temperature};
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        match RankNContrast::new(bad) {
            Err(LossError::InvalidParameter { name, .. }) => assert_eq!(name, "tau"),
            other => panic!("{bad}: {other:?}"),
        }
        assert!(Temperature::check("tau", bad).is_err());
    }
    let tau = Temperature::check("tau", 0.5).unwrap();
    assert_eq!(
        RankNContrast::with_temperature(tau),
        RankNContrast::new(0.5).unwrap()
    );
}
