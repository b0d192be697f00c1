//! Ordinal entropy: finite differences through the normalisation, hand values, awkward cases.

use approx::assert_relative_eq;
use ndarray::{array, Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::LossError;
use srl_testkit::FdCheck;

fn fd_check(oe: &OrdinalEntropy, h: &Array2<f64>, y: &Array1<f64>) {
    let mut g = Array2::zeros(h.raw_dim());
    oe.forward_backward(h.view(), y.view(), g.view_mut())
        .unwrap();
    let mut scratch = Array2::zeros(h.raw_dim());
    FdCheck::new(1e-6)
        .max_relative(1e-6)
        .epsilon(1e-9)
        .check(h, &g, |hp| {
            oe.forward_backward(hp.view(), y.view(), scratch.view_mut())
                .unwrap()
                .value
        });
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for (m, d, weights) in [
        (2, 3, (1.0, 0.0)),
        (6, 4, (1.0, 0.5)),
        (7, 3, (0.0, 2.0)),
        (5, 8, (0.3, 0.7)),
    ] {
        let oe = OrdinalEntropy::new(weights.0, weights.1).unwrap();
        let h = Array2::from_shape_fn((m, d), |_| rng.gen_range(-2.0..2.0));
        // Integer labels with ties.
        let y = Array1::from_shape_fn(m, |_| rng.gen_range(0..4) as f64);
        fd_check(&oe, &h, &y);
    }
}

#[test]
fn hand_computed_three_points() {
    // z = e1, e2, −e1 ; y = 0, 1, 3. Pair weights |Δy| = 1, 3, 2 → (w − 1)/3 = 0, 2/3, 1/3.
    let h = array![[2.0, 0.0], [0.0, 1.0], [-5.0, 0.0]];
    let y = array![0.0, 1.0, 3.0];
    let oe = OrdinalEntropy::new(1.0, 1.0).unwrap();
    let mut g = Array2::<f64>::zeros((3, 2));
    let out = oe
        .forward_backward(h.view(), y.view(), g.view_mut())
        .unwrap();
    // d(0,2) = 2 with w 2/3 ; d(1,2) = √2 with w 1/3.
    let want = -(2.0 / 3.0 * 2.0 + 1.0 / 3.0 * 2.0_f64.sqrt()) / 3.0;
    assert_relative_eq!(out.diversity, want, max_relative = 1e-14);
    assert_eq!(out.tightness, 0.0); // every label is alone
                                    // Same label: tightness = mean of squared distances to the group mean.
    let y2 = array![0.0, 0.0, 7.0];
    let out = oe
        .forward_backward(h.view(), y2.view(), g.view_mut())
        .unwrap();
    // z0 = (1,0), z1 = (0,1): centre (½,½), each at squared distance ½.
    assert_relative_eq!(out.tightness, (0.5 + 0.5) / 3.0, max_relative = 1e-14);
}

#[test]
fn degenerate_batches_give_zero_not_nan() {
    let oe = OrdinalEntropy::new(1.0, 1.0).unwrap();
    let mut g = Array2::<f64>::zeros((1, 2));
    let out = oe
        .forward_backward(array![[1.0, 1.0]].view(), array![3.0].view(), g.view_mut())
        .unwrap();
    assert_eq!((out.diversity, out.tightness), (0.0, 0.0));
    // All labels equal: the reference divides by a zero max; we return 0 diversity.
    let h = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let mut g = Array2::<f64>::zeros((3, 2));
    let out = oe
        .forward_backward(h.view(), array![2.0, 2.0, 2.0].view(), g.view_mut())
        .unwrap();
    assert_eq!(out.diversity, 0.0);
    assert!(out.tightness > 0.0 && g.iter().all(|v| v.is_finite()));
    // Coincident points and a zero row: finite everywhere.
    let h = array![[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]];
    let out = oe
        .forward_backward(h.view(), array![0.0, 1.0, 2.0].view(), g.view_mut())
        .unwrap();
    assert!(out.value.is_finite() && g.iter().all(|v| v.is_finite()));
}

#[test]
fn diversity_gradient_spreads_far_labels() {
    // A small step against the gradient increases the weighted spread (lowers L_d).
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let oe = OrdinalEntropy::new(1.0, 0.0).unwrap();
    let h = Array2::from_shape_fn((6, 3), |_| rng.gen_range(-1.0..1.0));
    let y = array![0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
    let mut g = Array2::zeros((6, 3));
    let before = oe
        .forward_backward(h.view(), y.view(), g.view_mut())
        .unwrap()
        .value;
    let h2 = &h - &(&g * 1e-2);
    let after = oe
        .forward_backward(h2.view(), y.view(), g.view_mut())
        .unwrap()
        .value;
    assert!(after < before);
}

#[test]
fn invalid_inputs_are_errors() {
    assert!(matches!(
        OrdinalEntropy::new(-1.0, 0.0),
        Err(LossError::InvalidParameter {
            name: "diversity_weight",
            ..
        })
    ));
    assert!(matches!(
        OrdinalEntropy::new(0.0, f64::NAN),
        Err(LossError::InvalidParameter {
            name: "tightness_weight",
            ..
        })
    ));
    let oe = OrdinalEntropy::new(1.0, 1.0).unwrap();
    let mut g = Array2::zeros((2, 2));
    let h = array![[1.0, 0.0], [0.0, 1.0]];
    assert!(oe
        .forward_backward(h.view(), array![1.0].view(), g.view_mut())
        .is_err());
    assert!(oe
        .forward_backward(h.view(), array![1.0, f64::INFINITY].view(), g.view_mut())
        .is_err());
    let mut g3 = Array2::zeros((3, 2));
    assert!(oe
        .forward_backward(h.view(), array![1.0, 2.0].view(), g3.view_mut())
        .is_err());
    let e = Array2::<f64>::zeros((0, 2));
    let mut ge = e.clone();
    assert!(matches!(
        oe.forward_backward(e.view(), Array1::zeros(0).view(), ge.view_mut()),
        Err(LossError::Empty { .. })
    ));
}
