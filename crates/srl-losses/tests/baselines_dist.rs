//! Dist Loss: finite differences through the soft sort, the soft sort's limits and invariants,
//! the pseudo-labels, and the awkward cases (one sample, ties, one distinct label).

use approx::assert_relative_eq;
use ndarray::Array1;
use proptest::prelude::*;
use rand::Rng;
use srl_losses::baselines::dist::{DistLoss, DistWorkspace, Distance, PseudoLabels, SoftSort};
use srl_losses::LossError;
use srl_testkit::{random, FdCheck};

/// D at `pred` and whether it lies on the same smooth piece (same order, same blocks) as
/// `base`.
fn value_on_piece(
    loss: &DistLoss,
    pred: &Array1<f64>,
    pseudo: &[f64],
    base: &SoftSort,
) -> Option<f64> {
    let mut ws = DistWorkspace::default();
    let mut g = Array1::zeros(pred.len());
    let v = loss
        .forward_backward(pred.view(), pseudo, &mut ws, g.view_mut())
        .unwrap();
    let mut s = SoftSort::default();
    let mut out = vec![0.0; pred.len()];
    s.forward(pred.as_slice().unwrap(), loss.regularization(), &mut out);
    s.same_structure(base).then_some(v)
}

fn fd_check(loss: &DistLoss, pred: &Array1<f64>, pseudo: &[f64]) {
    let mut ws = DistWorkspace::default();
    let mut g = Array1::zeros(pred.len());
    loss.forward_backward(pred.view(), pseudo, &mut ws, g.view_mut())
        .unwrap();
    let mut base = SoftSort::default();
    let mut out = vec![0.0; pred.len()];
    base.forward(pred.as_slice().unwrap(), loss.regularization(), &mut out);
    FdCheck::new(1e-6)
        .epsilon(1e-9)
        .max_relative(1e-6)
        .allow_skipped(0.1)
        .check_where(
            pred,
            &g,
            |_| false,
            |p| value_on_piece(loss, p, pseudo, &base),
        );
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = random::rng(11);
    // Small ε: the hard-sort regime; large ε (rank spacing 1/ε below the gaps between sorted
    // predictions): pooled isotonic blocks.
    for (b, eps) in [
        (1, 0.1),
        (2, 0.1),
        (5, 0.01),
        (17, 0.3),
        (64, 1.0),
        (33, 5.0),
        (8, 2.0),
        (20, 10.0),
        (50, 30.0),
    ] {
        let labels = random::uniform_vector(&mut rng, 200, -1.0, 3.0);
        let pseudo_fit = PseudoLabels::fit(labels.as_slice().unwrap(), 0.5, 128).unwrap();
        let mut pseudo = vec![0.0; b];
        pseudo_fit.fill(&mut pseudo);
        let pred = random::gaussian_vector::<f64>(b, rng.gen());
        fd_check(&DistLoss::new(Distance::Mse, eps).unwrap(), &pred, &pseudo);
        // L1 away from its kink: pseudo-labels far above every prediction.
        let far: Vec<f64> = pseudo.iter().map(|t| t + 50.0).collect();
        fd_check(&DistLoss::new(Distance::L1, eps).unwrap(), &pred, &far);
    }
}

#[test]
fn soft_sort_limits_are_the_hard_sort_and_the_mean() {
    let x = [0.3, -1.0, 2.5, 0.7, 0.71];
    let mut s = SoftSort::default();
    let mut out = [0.0; 5];
    s.forward(&x, 1e-6, &mut out);
    let mut sorted = x;
    sorted.sort_by(f64::total_cmp);
    for (o, e) in out.iter().zip(sorted) {
        assert_relative_eq!(*o, e, epsilon = 1e-9);
    }
    s.forward(&x, 1e9, &mut out);
    let mean = x.iter().sum::<f64>() / 5.0;
    for o in out {
        assert_relative_eq!(o, mean, epsilon = 1e-6);
    }
}

#[test]
fn one_sample_and_ties() {
    let loss = DistLoss::new(Distance::Mse, 0.1).unwrap();
    let mut ws = DistWorkspace::default();
    // One sample: sort_ε(x) = x, D = (x − t)², ∂D/∂x = 2(x − t).
    let mut g = Array1::zeros(1);
    let d = loss
        .forward_backward(
            Array1::from(vec![1.5]).view(),
            &[1.0],
            &mut ws,
            g.view_mut(),
        )
        .unwrap();
    assert_relative_eq!(d, 0.25, epsilon = 1e-12);
    assert_relative_eq!(g[0], 1.0, epsilon = 1e-12);
    // Tied predictions: finite, and the gradient keeps the total of ∂D/∂sort.
    let pred = Array1::from(vec![0.5, 0.5, 0.5, -2.0]);
    let pseudo = [-1.0, 0.0, 1.0, 2.0];
    let mut g = Array1::zeros(4);
    let d = loss
        .forward_backward(pred.view(), &pseudo, &mut ws, g.view_mut())
        .unwrap();
    assert!(d.is_finite() && g.iter().all(|v: &f64| v.is_finite()));
    let mut s = SoftSort::default();
    let mut out = [0.0; 4];
    s.forward(pred.as_slice().unwrap(), 0.1, &mut out);
    let total: f64 = out
        .iter()
        .zip(pseudo)
        .map(|(o, t)| 2.0 * (o - t) / 4.0)
        .sum();
    assert_relative_eq!(g.sum(), total, epsilon = 1e-12);
}

#[test]
fn pseudo_labels_follow_the_label_distribution() {
    // Two thirds of the labels near 0, one third near 10: about two thirds of the pseudo-labels
    // fall below 5.
    let labels: Vec<f64> = (0..300)
        .map(|i| {
            if i % 3 == 2 {
                10.0 + (i % 7) as f64 * 0.1
            } else {
                (i % 5) as f64 * 0.1
            }
        })
        .collect();
    let p = PseudoLabels::fit(&labels, 0.2, 256).unwrap();
    let mut t = vec![0.0; 30];
    p.fill(&mut t);
    assert!(t.windows(2).all(|w| w[0] <= w[1]));
    let below = t.iter().filter(|&&v| v < 5.0).count();
    assert!((19..=21).contains(&below), "{below} of 30 below 5");
    // One distinct label: every pseudo-label is it.
    let p = PseudoLabels::fit(&[4.0; 10], 0.5, 64).unwrap();
    p.fill(&mut t);
    assert!(t.iter().all(|&v| v == 4.0));
}

#[test]
fn bad_settings_are_errors_naming_the_field() {
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = DistLoss::new(Distance::L1, eps).unwrap_err();
        assert!(
            matches!(
                e,
                LossError::InvalidParameter {
                    name: "regularization",
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = PseudoLabels::fit(&[1.0, 2.0], 0.0, 64).unwrap_err();
    assert!(matches!(
        e,
        LossError::InvalidParameter {
            name: "bandwidth",
            ..
        }
    ));
    assert!(PseudoLabels::fit(&[], 0.5, 64).is_err());
    assert!(PseudoLabels::fit(&[1.0, f64::NAN], 0.5, 64).is_err());
    let loss = DistLoss::new(Distance::L1, 0.1).unwrap();
    let mut g = Array1::zeros(2);
    let e = loss
        .forward_backward(
            Array1::from(vec![1.0, 2.0]).view(),
            &[0.0],
            &mut DistWorkspace::default(),
            g.view_mut(),
        )
        .unwrap_err();
    assert!(matches!(e, LossError::ShapeMismatch { .. }));
}

proptest! {
    /// sort_ε(x) is non-decreasing and keeps the sum of x; the backward keeps the sum of g.
    #[test]
    fn soft_sort_is_monotone_and_keeps_sums(
        x in prop::collection::vec(-100.0f64..100.0, 1..40),
        eps in 1e-3f64..1e3,
    ) {
        let mut s = SoftSort::default();
        let mut out = vec![0.0; x.len()];
        s.forward(&x, eps, &mut out);
        prop_assert!(out.windows(2).all(|w| w[0] <= w[1] + 1e-9 * (1.0 + w[0].abs())));
        let (sx, so): (f64, f64) = (x.iter().sum(), out.iter().sum());
        prop_assert!((sx - so).abs() <= 1e-9 * (1.0 + sx.abs()) * x.len() as f64);
        let g: Vec<f64> = (0..x.len()).map(|i| (i as f64).sin()).collect();
        let mut gx = vec![0.0; x.len()];
        s.backward(&g, &mut gx);
        let (sg, sgx): (f64, f64) = (g.iter().sum(), gx.iter().sum());
        prop_assert!((sg - sgx).abs() <= 1e-9 * x.len() as f64);
    }
}
