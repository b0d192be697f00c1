//! Every op against the native ndarray path (value and the gradient reaching an encoder's
//! parameters, ≤ 1e-9 relative in f64) and against central finite differences through the
//! candle forward (f64), on random inputs with absent bins, one-sample bins and repeated and
//! single labels.

mod common;

use candle_core::{DType, Device, Tensor, Var};
use common::{check_fd, compare_with_native, tensor1, Case, Encoder};
use ndarray::{Array1, Array2, ArrayView2};
use srl_candle::{
    BalancedMseKind, BalancedMseLoss, BniPrior, ConrConfig, ConrLoss, GaussianMixture1d,
    MemoryUpdate, OrdinalEntropyLoss, RankSimLoss, RncLoss, SrlCandleError, SrlLoss, SrlParams,
};
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward,
};
use srl_losses::baselines::conr::ConR;
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::baselines::ranksim::RankSim;
use srl_losses::baselines::rnc::RankNContrast;
use srl_testkit::random::gaussian_matrix;

/// Native-path tolerance (f64): both paths run the same srl-losses code; only the encoder's
/// matrix products differ (candle's gemm vs ndarray's).
const NATIVE_TOL: f64 = 1e-9;

const K: usize = 6;
const DIM: usize = 4;
/// Bins of the test batch: 0 (4 samples), 1 (3), 3 (one sample), 5 (2, never seen by the
/// memory); 2 and 4 absent from the batch but in the memory.
const BINS: [usize; 10] = [0, 1, 0, 3, 1, 0, 5, 1, 0, 5];

fn centres() -> Vec<f64> {
    (0..K).map(|k| k as f64 + 0.5).collect()
}

fn case(name: &str, rows: usize, out: usize, seed: u64) -> Case<'_> {
    Case {
        name,
        x: gaussian_matrix::<f64>(rows, 3, seed),
        encoder: Encoder::random(3, 5, out, seed + 10),
    }
}

/// An SRL loss whose memory has seen bins 0–4 (one warm-up epoch on another batch), not 5.
fn srl_with_memory(params: SrlParams) -> SrlLoss<f64> {
    let mut srl = SrlLoss::<f64>::new(params, centres(), DIM, 3).unwrap();
    assert!(!srl.is_active());
    let h = common::tensor2(&gaussian_matrix::<f64>(8, DIM, 99));
    let bins = [0, 1, 2, 3, 4, 2, 4, 0];
    let warm = srl.forward(&h, &bins).unwrap();
    assert_eq!(warm.to_scalar::<f64>().unwrap(), 0.0, "warm-up loss is 0");
    if params.memory.update == MemoryUpdate::Exact {
        srl.accumulate(&h, &bins).unwrap(); // the exact update's no-grad pass
    }
    srl.end_epoch().unwrap();
    assert!(srl.is_active());
    assert_eq!(srl.memory().seen(), &[true, true, true, true, true, false]);
    srl
}

fn srl_native(srl: &SrlLoss<f64>) -> impl FnMut(ArrayView2<f64>) -> (f64, Array2<f64>) {
    let mut objective = srl.objective().clone();
    let memory = srl.memory().clone();
    move |h| {
        let out = objective.evaluate(h, &BINS, &memory).unwrap();
        (out.total, out.grad_h)
    }
}

#[test]
fn srl_matches_native_with_memory_absent_and_single_bins() {
    for (name, params) in [
        ("srl paper", SrlParams::paper()),
        ("srl tabular", SrlParams::tabular()),
        ("srl authors' code", {
            let mut p = SrlParams::authors_code();
            p.memory.warmup_epochs = 1;
            p
        }),
    ] {
        let mut srl = srl_with_memory(SrlParams {
            num_points: 200,
            ..params
        });
        let native = srl_native(&srl);
        let c = case(name, BINS.len(), DIM, 1);
        compare_with_native(&c, |h| srl.loss(h, &BINS).unwrap(), native, NATIVE_TOL);
        let parts = srl.last_parts().unwrap();
        assert!(parts.contrastive > 0.0 && parts.envelope > 0.0);
    }
}

#[test]
fn srl_finite_differences_without_the_stop_gradient_term() {
    // λ_c = 0: the contrastive term's table is stop-gradient by definition, so only the
    // enveloping and homogeneity terms are differentiable functions of h.
    let mut params = SrlParams::paper();
    params.weights.contrastive = 0.0;
    params.weights.homogeneity = 1.0;
    params.num_points = 200;
    let mut srl = srl_with_memory(params);
    let native = srl_native(&srl);
    let c = case("srl λ_c = 0", BINS.len(), DIM, 2);
    let grad = compare_with_native(&c, |h| srl.loss(h, &BINS).unwrap(), native, NATIVE_TOL);
    let base = srl.objective().envelope().nearest_rows().to_vec();
    check_fd(
        &c,
        &grad,
        |h| {
            let v = srl.loss(h, &BINS).unwrap().to_scalar::<f64>().unwrap();
            // The enveloping loss is piecewise smooth: compare only where no point changed
            // its nearest row.
            (srl.objective().envelope().nearest_rows() == base.as_slice()).then_some(v)
        },
        0.1,
    );
}

#[test]
fn srl_forward_streams_the_memory_and_f32_follows_f64() {
    let mut p = SrlParams::tabular();
    p.memory.warmup_epochs = 0;
    p.num_points = 100;
    let x = gaussian_matrix::<f64>(BINS.len(), DIM, 5);
    let mut l64 = SrlLoss::<f64>::new(p, centres(), DIM, 0).unwrap();
    let mut l32 = SrlLoss::<f32>::new(p, centres(), DIM, 0).unwrap();
    let h64 = Var::from_vec(x.iter().copied().collect(), x.dim(), &Device::Cpu).unwrap();
    let h32 = Var::from_vec(x.iter().map(|&v| v as f32).collect(), x.dim(), &Device::Cpu).unwrap();
    let v64 = l64.forward(h64.as_tensor(), &BINS).unwrap();
    let v32 = l32.forward(h32.as_tensor(), &BINS).unwrap();
    assert_eq!(v32.dtype(), DType::F32);
    let (a, b) = (
        v64.to_scalar::<f64>().unwrap(),
        v32.to_scalar::<f32>().unwrap() as f64,
    );
    assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
    let g64 = v64
        .backward()
        .unwrap()
        .get(&h64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    let g32 = v32
        .backward()
        .unwrap()
        .get(&h32)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (x, y) in g64.iter().zip(&g32) {
        assert!(
            (x - *y as f64).abs() <= 1e-4 * x.abs().max(1e-2),
            "{x} vs {y}"
        );
    }
    // The batch's z was accumulated; end_epoch moves it into the memory.
    assert_eq!(
        l64.memory().pending_counts().iter().sum::<usize>(),
        BINS.len()
    );
    l64.end_epoch().unwrap();
    assert_eq!(l64.epoch(), 1);
    assert_eq!(l64.memory().seen(), &[true, true, false, true, false, true]);
}

#[test]
fn ranksim_matches_native() {
    // A blackbox (surrogate) gradient of a piecewise-constant loss: no finite differences.
    let rs = RankSimLoss::new(2.0).unwrap();
    let labels = [0.5, 3.0, 1.0, 2.0, 5.5, 4.0, 2.5, 1.5];
    let c = case("ranksim", labels.len(), DIM, 3);
    let y = tensor1(&labels);
    compare_with_native(
        &c,
        |h| rs.forward(h, &y).unwrap(),
        |h| {
            let mut g = Array2::zeros(h.raw_dim());
            let v = RankSim::new(2.0)
                .unwrap()
                .forward_backward(h, Array1::from(labels.to_vec()).view(), g.view_mut())
                .unwrap();
            (v, g)
        },
        NATIVE_TOL,
    );
}

/// Labels with repeats (groups of 3 and 2) and single labels.
const LABELS: [f64; 10] = [1.0, 1.0, 1.0, 2.0, 4.0, 4.0, 5.0, 7.0, 8.0, 3.0];

#[test]
fn ordinal_entropy_matches_native_and_finite_differences() {
    let oe = OrdinalEntropyLoss::new(1.0, 0.5).unwrap();
    let c = case("ordinal entropy", LABELS.len(), DIM, 4);
    let y = tensor1(&LABELS);
    let grad = compare_with_native(
        &c,
        |h| oe.forward(h, &y).unwrap(),
        |h| {
            let mut g = Array2::zeros(h.raw_dim());
            let out = OrdinalEntropy::new(1.0, 0.5)
                .unwrap()
                .forward_backward(h, Array1::from(LABELS.to_vec()).view(), g.view_mut())
                .unwrap();
            (out.value, g)
        },
        NATIVE_TOL,
    );
    check_fd(
        &c,
        &grad,
        |h| oe.forward(h, &y).unwrap().to_scalar().ok(),
        0.0,
    );
}

#[test]
fn rnc_matches_native_and_finite_differences() {
    let rnc = RncLoss::new(2.0).unwrap();
    let c = case("rank-n-contrast", LABELS.len(), DIM, 5);
    let y = tensor1(&LABELS);
    let grad = compare_with_native(
        &c,
        |h| rnc.forward(h, &y).unwrap(),
        |h| {
            let mut g = Array2::zeros(h.raw_dim());
            let v = RankNContrast::new(2.0)
                .unwrap()
                .forward_backward(h, Array1::from(LABELS.to_vec()).view(), g.view_mut())
                .unwrap();
            (v, g)
        },
        NATIVE_TOL,
    );
    check_fd(
        &c,
        &grad,
        |h| rnc.forward(h, &y).unwrap().to_scalar().ok(),
        0.0,
    );
}

#[test]
fn conr_matches_native_and_finite_differences() {
    let config = ConrConfig {
        omega: 1.0,
        temperature: 0.2,
        e: 0.05,
        paper_denominator: false,
    };
    let conr = ConrLoss::new(config).unwrap();
    // Predictions close across far labels: hard negatives exist.
    let pred: Vec<f64> = LABELS
        .iter()
        .enumerate()
        .map(|(i, _)| 3.0 + 0.3 * (i % 4) as f64)
        .collect();
    let weights: Vec<f64> = (0..LABELS.len()).map(|i| 0.5 + 0.1 * i as f64).collect();
    let c = case("conr", LABELS.len(), DIM, 6);
    let (y, p, w) = (tensor1(&LABELS), tensor1(&pred), tensor1(&weights));
    let grad = compare_with_native(
        &c,
        |h| conr.forward(h, &y, &p, Some(&w)).unwrap(),
        |h| {
            let mut g = Array2::zeros(h.raw_dim());
            let out = ConR::new(config)
                .unwrap()
                .forward_backward(
                    h,
                    Array1::from(LABELS.to_vec()).view(),
                    Array1::from(pred.clone()).view(),
                    Some(Array1::from(weights.clone()).view()),
                    g.view_mut(),
                )
                .unwrap();
            assert!(out.active_anchors > 0);
            (out.value, g)
        },
        NATIVE_TOL,
    );
    check_fd(
        &c,
        &grad,
        |h| conr.forward(h, &y, &p, Some(&w)).unwrap().to_scalar().ok(),
        0.0,
    );
}

#[test]
fn balanced_mse_matches_native_and_finite_differences_for_predictions_and_sigma() {
    let targets = [0.3, 1.2, 1.0, 2.5, -0.4, 0.9, 1.8, 0.1];
    let prior = BniPrior::new(vec![-0.5, 0.5, 1.5, 2.5], vec![3.0, 10.0, 4.0, 1.0]).unwrap();
    let gmm = GaussianMixture1d::new(vec![0.6, 0.4], vec![0.5, 2.0], vec![0.3, 0.5]).unwrap();
    for kind in [
        BalancedMseKind::Bmc,
        BalancedMseKind::Bni(prior),
        BalancedMseKind::Gai(gmm),
    ] {
        let loss = BalancedMseLoss::new(kind.clone());
        let sigma0 = 0.8;
        let sigma = Var::from_vec(vec![sigma0], 1, &Device::Cpu).unwrap();
        let y = tensor1(&targets);
        let native = |h: ArrayView2<f64>| -> (f64, f64, Array2<f64>) {
            let pred = h.column(0);
            let t = Array1::from(targets.to_vec());
            let mut g = Array1::zeros(pred.len());
            let out = match &kind {
                BalancedMseKind::Bmc => bmc_forward_backward(pred, t.view(), sigma0, g.view_mut()),
                BalancedMseKind::Bni(p) => {
                    bni_forward_backward(pred, t.view(), sigma0, p, g.view_mut())
                }
                BalancedMseKind::Gai(m) => {
                    gai_forward_backward(pred, t.view(), sigma0, m, g.view_mut())
                }
            }
            .unwrap();
            (out.value, out.grad_sigma, g.insert_axis(ndarray::Axis(1)))
        };
        // Predictions = the encoder's single output column, shape (B, 1).
        let c = case("balanced mse", targets.len(), 1, 7);
        let grad = compare_with_native(
            &c,
            |h| loss.forward(h, &y, sigma.as_tensor()).unwrap(),
            |h| {
                let (v, _, g) = native(h);
                (v, g)
            },
            NATIVE_TOL,
        );
        check_fd(
            &c,
            &grad,
            |h| {
                loss.forward(h, &y, sigma.as_tensor())
                    .unwrap()
                    .to_scalar()
                    .ok()
            },
            0.0,
        );

        // σ: candle's gradient equals the native one, and finite differences with the
        // detached 2σ² held at 2σ₀²: value(σ)·σ₀²/σ² = 2σ₀²·raw(σ).
        let (_, h) = c.encoder.forward(c.x.view());
        let (_, native_gs, _) = native(h.view());
        let ht = common::tensor2(&h);
        let l = loss.forward(&ht, &y, sigma.as_tensor()).unwrap();
        let gs = l
            .backward()
            .unwrap()
            .get(&sigma)
            .unwrap()
            .to_vec1::<f64>()
            .unwrap()[0];
        common::assert_close("grad σ", &[gs], &[native_gs], NATIVE_TOL);
        let held = |s: f64| {
            let st = Tensor::new(&[s], &Device::Cpu).unwrap();
            let v = loss
                .forward(&ht, &y, &st)
                .unwrap()
                .to_scalar::<f64>()
                .unwrap();
            v * sigma0 * sigma0 / (s * s)
        };
        let fd = srl_testkit::central_difference(held, sigma0, 1e-6);
        common::assert_close("grad σ vs finite differences", &[gs], &[fd], 1e-6);
        assert!(gs.abs() > 1e-6);
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let rs = RankSimLoss::new(2.0).unwrap();
    let ints = Tensor::zeros((3, 2), DType::U32, &Device::Cpu).unwrap();
    let y = tensor1(&[0.0, 1.0, 2.0]);
    assert!(matches!(
        rs.forward(&ints, &y),
        Err(SrlCandleError::UnsupportedDType {
            what: "features",
            ..
        })
    ));
    let h = Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        rs.forward(&h, &tensor1(&[0.0, 1.0])),
        Err(SrlCandleError::Shape { what: "labels", .. })
    ));
    let mut srl = SrlLoss::<f32>::new(SrlParams::paper(), centres(), 2, 0).unwrap();
    let err = srl.loss(&h, &[0, 1, 9]).unwrap_err();
    assert!(matches!(err, SrlCandleError::Loss(_)), "{err}");
    // It converts into candle's error for `?` in a candle training loop.
    let candle_err: candle_core::Error = err.into();
    assert!(
        candle_err.to_string().contains("out of range"),
        "{candle_err}"
    );
    let bad = SrlParams {
        tau: 0.0,
        ..SrlParams::paper()
    };
    assert!(SrlLoss::<f32>::new(bad, centres(), 2, 0)
        .unwrap_err()
        .to_string()
        .contains("tau"));
}
