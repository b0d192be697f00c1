//! ConR: hand values, a literal transcription of the reference, finite differences through
//! the normalisation (both denominators, ties, anchors without negatives), invariants.

use approx::assert_relative_eq;
use ndarray::{array, Array1, Array2};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::conr::{ConR, ConrConfig, ConrWorkspace};
use srl_losses::LossError;
use srl_testkit::FdCheck;

fn conr(omega: f64, temperature: f64, e: f64, paper_denominator: bool) -> ConR {
    ConR::new(ConrConfig {
        omega,
        temperature,
        e,
        paper_denominator,
    })
    .unwrap()
}

/// Literal transcription of the reference `loss.py::ConR` (no stabilisation), with the
/// paper denominator as an option and the |P_i| = 0 guard.
fn reference_value(
    cfg: &ConrConfig,
    q: &Array2<f64>,
    y: &Array1<f64>,
    p: &Array1<f64>,
    w: &Array1<f64>,
) -> f64 {
    let n = q.nrows();
    let qn = Array2::from_shape_fn(q.dim(), |(i, j)| q[[i, j]] / q.row(i).dot(&q.row(i)).sqrt());
    let prod = qn.dot(&qn.t()) / cfg.temperature;
    let mut total = 0.0;
    for i in 0..n {
        let pos: Vec<bool> = (0..n)
            .map(|k| k != i && (y[i] - y[k]).abs() <= cfg.omega)
            .collect();
        let neg: Vec<bool> = (0..n)
            .map(|k| (y[i] - y[k]).abs() > cfg.omega && (p[i] - p[k]).abs() <= cfg.omega)
            .collect();
        let neg_exp_dot: f64 = (0..n)
            .filter(|&k| neg[k])
            .map(|k| w[i] * (cfg.e * (y[i] - y[k]).abs()).exp() * prod[[i, k]].exp())
            .sum();
        let pos_exp_sum: f64 = (0..n)
            .map(|k| {
                if pos[k] {
                    prod[[i, k]].exp()
                } else if cfg.paper_denominator {
                    0.0
                } else {
                    1.0 // exp(0) for every non-positive entry
                }
            })
            .sum();
        let denom = pos_exp_sum + neg_exp_dot;
        let n_pos = pos.iter().filter(|&&b| b).count();
        if n_pos == 0 || !neg.iter().any(|&b| b) {
            continue;
        }
        let l: f64 = (0..n)
            .filter(|&k| pos[k])
            .map(|k| -(prod[[i, k]].exp() / denom).ln())
            .sum::<f64>()
            / n_pos as f64;
        total += w[i] * l;
    }
    total / n as f64
}

/// Random 2B views: twin views share label, weight and (nearby) prediction.
fn random_views(
    rng: &mut ChaCha8Rng,
    b: usize,
    d: usize,
) -> (Array2<f64>, Array1<f64>, Array1<f64>, Array1<f64>) {
    let labels: Vec<f64> = (0..b).map(|_| rng.gen_range(0..6) as f64).collect();
    let weights: Vec<f64> = (0..b).map(|_| rng.gen_range(0.2..2.0)).collect();
    // Predictions in a narrow band, so that label-far pairs are often prediction-near.
    let preds: Vec<f64> = (0..b).map(|_| rng.gen_range(1.0..3.0)).collect();
    let n = 2 * b;
    let q = Array2::from_shape_fn((n, d), |_| rng.gen_range(-1.0..1.0));
    let y = Array1::from_shape_fn(n, |i| labels[i % b]);
    let w = Array1::from_shape_fn(n, |i| weights[i % b]);
    let p = Array1::from_shape_fn(n, |i| preds[i % b] + rng.gen_range(-0.3..0.3));
    (q, y, p, w)
}

fn fd_check(loss: &ConR, q: &Array2<f64>, y: &Array1<f64>, p: &Array1<f64>, w: &Array1<f64>) {
    let mut g = Array2::zeros(q.raw_dim());
    let out = loss
        .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
        .unwrap();
    assert!(out.active_anchors > 0, "test case without active anchors");
    let mut ws = ConrWorkspace::new();
    let mut scratch = Array2::zeros(q.raw_dim());
    let value = |q: &Array2<f64>| {
        loss.forward_backward_with(
            &mut ws,
            q.view(),
            y.view(),
            p.view(),
            Some(w.view()),
            scratch.view_mut(),
        )
        .unwrap()
        .value
    };
    FdCheck::new(1e-6)
        .max_relative(1e-6)
        .epsilon(1e-8)
        .check(q, &g, value);
}

#[test]
fn hand_computed_three_views() {
    // q̂0 = q̂1 = e1, q̂2 = e2; y = 0, 0, 5; ŷ = 0, 0, 0.5; ω = 1, τ = 1, e = 0, w = 1.
    // Anchors 0 and 1: P = {twin}, N = {2}; anchor 2 has no positive → 0.
    let q = array![[2.0, 0.0], [0.5, 0.0], [0.0, 3.0]];
    let y = array![0.0, 0.0, 5.0];
    let p = array![0.0, 0.0, 0.5];
    let e1 = std::f64::consts::E;
    let mut g = Array2::zeros((3, 2));
    // Code: D = e^1 + (3 − 1)·1 + 1·e^0 = e + 3 ; paper: D = e + 1.
    for (paper, denom) in [(false, e1 + 3.0), (true, e1 + 1.0)] {
        let out = conr(1.0, 1.0, 0.0, paper)
            .forward_backward(q.view(), y.view(), p.view(), None, g.view_mut())
            .unwrap();
        assert_eq!(out.active_anchors, 2);
        assert_relative_eq!(
            out.value,
            2.0 * (denom.ln() - 1.0) / 3.0,
            max_relative = 1e-14
        );
    }
    // Pushing weight: e = 0.1 scales the negative term by exp(0.1·5); weights w multiply η
    // and the anchor losses.
    let w = array![2.0, 0.5, 7.0];
    let out = conr(1.0, 1.0, 0.1, false)
        .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
        .unwrap();
    let l = |wi: f64| (e1 + 2.0 + wi * 0.5_f64.exp()).ln() - 1.0;
    assert_relative_eq!(
        out.value,
        (2.0 * l(2.0) + 0.5 * l(0.5)) / 3.0,
        max_relative = 1e-14
    );
}

#[test]
fn matches_literal_reference_transcription() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for trial in 0..12 {
        let (q, y, p, w) = random_views(&mut rng, 5, 4);
        let cfg = ConrConfig {
            omega: [1.0, 0.5, 2.0][trial % 3],
            temperature: [0.07, 0.2, 1.0][trial % 3],
            e: [0.01, 0.2, 0.0][trial % 3],
            paper_denominator: trial % 2 == 1,
        };
        let mut g = Array2::zeros(q.raw_dim());
        let out = ConR::new(cfg)
            .unwrap()
            .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
            .unwrap();
        let want = reference_value(&cfg, &q, &y, &p, &w);
        assert_relative_eq!(out.value, want, max_relative = 1e-10, epsilon = 1e-12);
    }
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for (b, d, temperature, e) in [(3, 3, 0.5, 0.01), (4, 5, 0.2, 0.2), (6, 3, 1.0, 0.0)] {
        for paper in [false, true] {
            let (q, y, p, w) = random_views(&mut rng, b, d);
            fd_check(&conr(1.0, temperature, e, paper), &q, &y, &p, &w);
        }
    }
    // The reference temperature 0.07 (large logits) on a small batch.
    let (q, y, p, w) = random_views(&mut rng, 3, 3);
    fd_check(&conr(1.0, 0.07, 0.01, false), &q, &y, &p, &w);
}

#[test]
fn gradients_with_ties_and_anchors_without_negatives() {
    // Labels with ties and a label-far sample (index 4/5, label 9) whose prediction is far
    // from everybody: anchors 4 and 5 have no hard negatives, and nobody has them as one.
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let q = Array2::from_shape_fn((8, 3), |_| rng.gen_range(-1.0..1.0));
    let y = array![1.0, 1.0, 2.0, 2.0, 9.0, 9.0, 4.0, 4.0];
    let p = array![2.5, 2.7, 2.2, 2.4, 15.0, 15.2, 3.0, 3.1];
    let w = array![1.0, 1.0, 0.5, 0.5, 3.0, 3.0, 1.5, 1.5];
    for paper in [false, true] {
        let loss = conr(1.0, 0.3, 0.05, paper);
        let mut g = Array2::zeros((8, 3));
        let out = loss
            .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
            .unwrap();
        assert_eq!(out.active_anchors, 6);
        fd_check(&loss, &q, &y, &p, &w);
        // Views 4 and 5 are inactive anchors and belong to no other anchor's P or N (s_45
        // enters only their own losses), so they receive no gradient at all.
        assert!(g.row(4).iter().chain(g.row(5)).all(|&v| v == 0.0));
    }
}

#[test]
fn no_hard_negatives_gives_zero() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let q = Array2::from_shape_fn((6, 4), |_| rng.gen_range(-1.0..1.0));
    let y = array![0.0, 0.0, 5.0, 5.0, 10.0, 10.0];
    // Predictions as far apart as the labels: no label-far pair is prediction-near.
    let p = y.clone();
    let mut g = Array2::from_elem((6, 4), 9.0);
    let out = conr(1.0, 0.07, 0.01, false)
        .forward_backward(q.view(), y.view(), p.view(), None, g.view_mut())
        .unwrap();
    assert_eq!((out.value, out.active_anchors), (0.0, 0));
    assert!(
        g.iter().all(|&v| v == 0.0),
        "gradient is written, not accumulated"
    );
    // A single view without a twin has no positive: guarded, not NaN.
    let mut g1 = Array2::zeros((1, 4));
    let out = conr(1.0, 0.07, 0.01, false)
        .forward_backward(
            q.slice(ndarray::s![..1, ..]),
            array![1.0].view(),
            array![1.0].view(),
            None,
            g1.view_mut(),
        )
        .unwrap();
    assert_eq!(out.value, 0.0);
}

#[test]
fn stable_at_tiny_temperature_and_in_f32() {
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let (q, y, p, w) = random_views(&mut rng, 6, 8);
    let mut g = Array2::zeros(q.raw_dim());
    // τ = 1e-3: logits up to 1000, exp overflows without the row-max shift.
    for paper in [false, true] {
        let out = conr(1.0, 1e-3, 0.01, paper)
            .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
            .unwrap();
        assert!(out.value.is_finite() && out.value >= 0.0);
        assert!(g.iter().all(|v| v.is_finite()));
    }
    let loss = conr(1.0, 0.07, 0.01, false);
    let v64 = loss
        .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
        .unwrap()
        .value;
    let mut g32 = Array2::<f32>::zeros(q.raw_dim());
    let v32 = loss
        .forward_backward(
            q.mapv(|v| v as f32).view(),
            y.mapv(|v| v as f32).view(),
            p.mapv(|v| v as f32).view(),
            Some(w.mapv(|v| v as f32).view()),
            g32.view_mut(),
        )
        .unwrap()
        .value;
    assert_relative_eq!(v64, v32 as f64, max_relative = 1e-4);
    for (a, b) in g.iter().zip(&g32) {
        assert_relative_eq!(*a, *b as f64, max_relative = 1e-3, epsilon = 1e-4);
    }
}

#[test]
fn workspace_reuse_across_shapes() {
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let loss = ConR::new(ConrConfig::default()).unwrap();
    let mut ws = ConrWorkspace::new();
    for (b, d) in [(4, 3), (6, 5), (4, 3)] {
        let (q, y, p, w) = random_views(&mut rng, b, d);
        let (mut g1, mut g2) = (Array2::zeros(q.raw_dim()), Array2::zeros(q.raw_dim()));
        let a = loss
            .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g1.view_mut())
            .unwrap();
        let c = loss
            .forward_backward_with(
                &mut ws,
                q.view(),
                y.view(),
                p.view(),
                Some(w.view()),
                g2.view_mut(),
            )
            .unwrap();
        assert_eq!(a, c);
        assert_eq!(g1, g2);
    }
}

#[test]
fn invalid_configs_and_inputs_are_errors() {
    let base = ConrConfig::default();
    for (cfg, name) in [
        (
            ConrConfig {
                omega: -1.0,
                ..base
            },
            "omega",
        ),
        (
            ConrConfig {
                temperature: 0.0,
                ..base
            },
            "temperature",
        ),
        (
            ConrConfig {
                e: f64::NAN,
                ..base
            },
            "e",
        ),
    ] {
        assert!(matches!(
            ConR::new(cfg),
            Err(LossError::InvalidParameter { name: n, .. }) if n == name
        ));
    }
    let loss = ConR::new(base).unwrap();
    let q = array![[1.0, 0.0], [0.0, 1.0]];
    let (y, p) = (array![1.0, 2.0], array![1.0, 2.0]);
    let mut g = Array2::zeros((2, 2));
    assert!(matches!(
        loss.forward_backward(q.view(), array![1.0].view(), p.view(), None, g.view_mut()),
        Err(LossError::ShapeMismatch {
            what: "labels length",
            ..
        })
    ));
    assert!(loss
        .forward_backward(
            q.view(),
            y.view(),
            array![1.0, 2.0, 3.0].view(),
            None,
            g.view_mut()
        )
        .is_err());
    assert!(loss
        .forward_backward(
            q.view(),
            y.view(),
            p.view(),
            Some(array![1.0].view()),
            g.view_mut()
        )
        .is_err());
    assert!(matches!(
        loss.forward_backward(
            q.view(),
            y.view(),
            p.view(),
            Some(array![1.0, -0.5].view()),
            g.view_mut()
        ),
        Err(LossError::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    assert!(matches!(
        loss.forward_backward(
            q.view(),
            array![1.0, f64::NAN].view(),
            p.view(),
            None,
            g.view_mut()
        ),
        Err(LossError::NonFinite {
            what: "labels",
            index: 1
        })
    ));
    assert!(loss
        .forward_backward(
            array![[1.0, f64::INFINITY], [0.0, 1.0]].view(),
            y.view(),
            p.view(),
            None,
            g.view_mut()
        )
        .is_err());
    let mut g3 = Array2::zeros((2, 3));
    assert!(loss
        .forward_backward(q.view(), y.view(), p.view(), None, g3.view_mut())
        .is_err());
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        loss.forward_backward(
            empty.view(),
            Array1::zeros(0).view(),
            Array1::zeros(0).view(),
            None,
            Array2::zeros((0, 2)).view_mut()
        ),
        Err(LossError::Empty { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// L_i ≥ log|P_i| ≥ 0 (Jensen), so ConR ≥ 0 for non-negative weights; the code
    /// denominator only adds positive constants, so it never gives a smaller value.
    #[test]
    fn non_negative_and_code_dominates_paper(seed in 0u64..10_000, b in 1usize..6, d in 1usize..5) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (q, y, p, w) = random_views(&mut rng, b, d);
        let mut g = Array2::zeros(q.raw_dim());
        let code = conr(1.0, 0.1, 0.01, false)
            .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
            .unwrap();
        let paper = conr(1.0, 0.1, 0.01, true)
            .forward_backward(q.view(), y.view(), p.view(), Some(w.view()), g.view_mut())
            .unwrap();
        prop_assert!(paper.value >= -1e-12);
        prop_assert!(code.value >= paper.value - 1e-12);
        prop_assert_eq!(code.active_anchors, paper.active_anchors);
        prop_assert!(g.iter().all(|v| v.is_finite()));
        // Scale invariance of the raw features (normalised inside).
        let mut g2 = Array2::zeros(q.raw_dim());
        let scaled = conr(1.0, 0.1, 0.01, true)
            .forward_backward((&q * 3.0).view(), y.view(), p.view(), Some(w.view()), g2.view_mut())
            .unwrap();
        prop_assert!((scaled.value - paper.value).abs() <= 1e-10 * (1.0 + paper.value));
    }
}
