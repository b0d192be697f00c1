//! Tests of the point-wise regression losses: finite differences (f64), hand values, input
//! checks and properties.

use approx::assert_relative_eq;
use ndarray::{Array1, ArrayView1};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::regression::RegressionLoss;
use srl_losses::LossError;
use srl_testkit::FdCheck;

fn all_losses() -> Vec<RegressionLoss> {
    vec![
        RegressionLoss::Mse,
        RegressionLoss::L1,
        RegressionLoss::Huber { delta: 0.7 },
        RegressionLoss::focal_l1(),
        RegressionLoss::focal_mse(),
        RegressionLoss::FocalL1 {
            beta: 1.3,
            gamma: 0.5,
        },
        RegressionLoss::FocalMse {
            beta: 0.4,
            gamma: 2.5,
        },
        RegressionLoss::FocalL1 {
            beta: 0.2,
            gamma: 0.0,
        },
    ]
}

/// Residuals bounded away from the kinks at 0 and ±δ (δ = 0.7).
fn random_batch(rng: &mut ChaCha8Rng, m: usize) -> (Array1<f64>, Array1<f64>, Array1<f64>) {
    let target = Array1::from_shape_fn(m, |_| rng.gen_range(-3.0..3.0));
    let pred = Array1::from_shape_fn(m, |i| {
        let mag = loop {
            let a: f64 = rng.gen_range(0.05..4.0);
            if (a - 0.7).abs() > 0.05 {
                break a;
            }
        };
        let sign = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        target[i] + sign * mag
    });
    let weights = Array1::from_shape_fn(m, |_| rng.gen_range(0.1..3.0));
    (pred, target, weights)
}

fn fd_check(
    loss: RegressionLoss,
    pred: &Array1<f64>,
    target: &Array1<f64>,
    w: Option<ArrayView1<f64>>,
) {
    let mut grad = Array1::zeros(pred.len());
    let v = loss
        .forward_backward(pred.view(), target.view(), w, grad.view_mut())
        .unwrap();
    assert_relative_eq!(
        v,
        loss.check()
            .unwrap()
            .forward(pred.view(), target.view(), w)
            .unwrap(),
        max_relative = 1e-14
    );
    FdCheck::new(1e-6)
        .max_relative(1e-6)
        .epsilon(1e-10)
        .check(pred, &grad, |p| {
            loss.check()
                .unwrap()
                .forward(p.view(), target.view(), w)
                .unwrap()
        });
}

#[test]
fn gradients_match_finite_differences_with_and_without_weights() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for loss in all_losses() {
        for m in [1, 2, 9] {
            let (pred, target, weights) = random_batch(&mut rng, m);
            fd_check(loss, &pred, &target, None);
            fd_check(loss, &pred, &target, Some(weights.view()));
        }
    }
}

#[test]
fn hand_computed_values() {
    let pred = Array1::from(vec![1.0_f64, -1.0, 3.0]);
    let target = Array1::from(vec![0.0_f64, 0.0, 0.0]);
    let w = Array1::from(vec![1.0_f64, 2.0, 0.5]);
    let f = |l: RegressionLoss, w: Option<ArrayView1<f64>>| {
        l.check()
            .unwrap()
            .forward(pred.view(), target.view(), w)
            .unwrap()
    };
    assert_relative_eq!(
        f(RegressionLoss::Mse, None),
        11.0 / 3.0,
        max_relative = 1e-14
    );
    assert_relative_eq!(
        f(RegressionLoss::L1, Some(w.view())),
        (1.0 + 2.0 + 1.5) / 3.0,
        max_relative = 1e-14
    );
    // Huber δ = 2: ½·1/2, ½·1/2, 3 − 1.
    assert_relative_eq!(
        f(RegressionLoss::Huber { delta: 2.0 }, None),
        (0.25 + 0.25 + 2.0) / 3.0,
        max_relative = 1e-14
    );
    // The presets are DIR's default factor 2σ(0.2|e|) − 1 = tanh(0.1|e|).
    let t = |x: f64| (0.1 * x).tanh();
    assert_relative_eq!(
        f(RegressionLoss::focal_l1(), None),
        (t(1.0) + t(1.0) + 3.0 * t(3.0)) / 3.0,
        max_relative = 1e-14
    );
    assert_relative_eq!(
        f(RegressionLoss::focal_mse(), None),
        (t(1.0) + t(1.0) + 9.0 * t(3.0)) / 3.0,
        max_relative = 1e-14
    );
}

#[test]
fn sigmoid_activation_is_tanh_with_half_beta() {
    // DIR's default branch: |e|·(2σ(β|e|) − 1)^γ with β = 0.2, γ = 1.
    let loss = RegressionLoss::FocalL1 {
        beta: 0.1,
        gamma: 1.0,
    };
    for e in [0.3_f64, 1.0, 5.0, 20.0] {
        let sig = 1.0 / (1.0 + (-0.2 * e).exp());
        let (l, _) = loss.pointwise(e);
        assert_relative_eq!(l, e * (2.0 * sig - 1.0), max_relative = 1e-12);
    }
}

#[test]
fn subgradient_at_zero_residual_is_zero_and_finite() {
    for loss in all_losses() {
        let (l, d) = loss.pointwise(0.0_f64);
        assert_eq!(l, 0.0, "{loss:?}");
        assert_eq!(d, 0.0, "{loss:?}");
        let (l, d) = loss.pointwise(0.0_f32);
        assert_eq!((l, d), (0.0, 0.0));
    }
}

#[test]
fn f32_agrees_with_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (pred, target, w) = random_batch(&mut rng, 16);
    for loss in all_losses() {
        let mut g64 = Array1::zeros(16);
        let mut g32 = Array1::<f32>::zeros(16);
        let v64 = loss
            .forward_backward(pred.view(), target.view(), Some(w.view()), g64.view_mut())
            .unwrap();
        let v32 = loss
            .forward_backward(
                pred.mapv(|x| x as f32).view(),
                target.mapv(|x| x as f32).view(),
                Some(w.mapv(|x| x as f32).view()),
                g32.view_mut(),
            )
            .unwrap();
        assert_relative_eq!(v32 as f64, v64, max_relative = 1e-4);
        for i in 0..16 {
            assert_relative_eq!(g32[i] as f64, g64[i], max_relative = 1e-3, epsilon = 1e-6);
        }
    }
}

#[test]
fn bad_inputs_are_errors() {
    let p = Array1::from(vec![1.0_f64, 2.0]);
    let t = Array1::from(vec![1.0_f64]);
    let mut g = Array1::zeros(2);
    let l = RegressionLoss::Mse;
    assert!(matches!(
        l.forward_backward(p.view(), t.view(), None, g.view_mut()),
        Err(LossError::ShapeMismatch {
            what: "target length",
            ..
        })
    ));
    let t2 = Array1::from(vec![1.0_f64, f64::NAN]);
    assert!(matches!(
        l.check().unwrap().forward(p.view(), t2.view(), None),
        Err(LossError::NonFinite {
            what: "target",
            index: 1
        })
    ));
    let w = Array1::from(vec![1.0_f64, -1.0]);
    assert!(matches!(
        l.check()
            .unwrap()
            .forward(p.view(), p.view(), Some(w.view())),
        Err(LossError::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    let w3 = Array1::from(vec![1.0_f64; 3]);
    assert!(matches!(
        l.check()
            .unwrap()
            .forward(p.view(), p.view(), Some(w3.view())),
        Err(LossError::ShapeMismatch {
            what: "weights length",
            ..
        })
    ));
    let mut g1 = Array1::zeros(1);
    assert!(matches!(
        l.forward_backward(p.view(), p.view(), None, g1.view_mut()),
        Err(LossError::ShapeMismatch {
            what: "grad_pred length",
            ..
        })
    ));
    let e = Array1::<f64>::zeros(0);
    assert!(matches!(
        l.check().unwrap().forward(e.view(), e.view(), None),
        Err(LossError::Empty { .. })
    ));
    for (bad, name) in [
        (RegressionLoss::Huber { delta: -1.0 }, "delta"),
        (
            RegressionLoss::FocalL1 {
                beta: 0.0,
                gamma: 1.0,
            },
            "beta",
        ),
        (
            RegressionLoss::FocalMse {
                beta: 1.0,
                gamma: -0.1,
            },
            "gamma",
        ),
        (
            RegressionLoss::FocalMse {
                beta: f64::NAN,
                gamma: 1.0,
            },
            "beta",
        ),
    ] {
        match bad.validate() {
            Err(LossError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        }
        assert!(bad.check().is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every loss is ≥ 0, even in e, and non-decreasing in |e|; the gradient has the sign of e.
    #[test]
    fn losses_are_even_nonnegative_and_monotone(a in 0.0_f64..50.0, b in 0.0_f64..50.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        for loss in all_losses() {
            let (l_lo, d_lo) = loss.pointwise(lo);
            let (l_hi, _) = loss.pointwise(hi);
            let (l_neg, d_neg) = loss.pointwise(-lo);
            prop_assert!(l_lo >= 0.0);
            prop_assert!(l_hi >= l_lo - 1e-12);
            prop_assert_eq!(l_neg, l_lo);
            prop_assert!(d_lo >= 0.0);
            prop_assert_eq!(d_neg, -d_lo);
        }
    }

    /// Uniform weights c scale the loss by c; weights of 1 equal no weights.
    #[test]
    fn weights_scale_linearly(c in 0.0_f64..5.0, seed in 0_u64..1000) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (pred, target, _) = random_batch(&mut rng, 5);
        for loss in all_losses() {
            let plain = loss.check().unwrap().forward(pred.view(), target.view(), None).unwrap();
            let ones = Array1::from_elem(5, 1.0);
            let cs = Array1::from_elem(5, c);
            prop_assert_eq!(plain, loss.check().unwrap().forward(pred.view(), target.view(), Some(ones.view())).unwrap());
            let scaled = loss.check().unwrap().forward(pred.view(), target.view(), Some(cs.view())).unwrap();
            prop_assert!((scaled - c * plain).abs() <= 1e-12 * (1.0 + scaled.abs()));
        }
    }
}
