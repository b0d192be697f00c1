//! The SRL objective: validation, invariances (proptest), f32 vs f64, points policy.

mod srl_common;

use ndarray::{array, Array2, Axis};
use proptest::prelude::*;
use srl_common::{gaussian, random_rotation, surrogate_with_memory, unit_rows};
use srl_losses::{
    CentroidContrastiveLoss, EnvelopingLoss, HomogeneityForm, HomogeneityLoss, LossError,
    PointsPolicy, SrlConfig, SrlObjective, SrlParts, SrlWeights,
};
use srl_surrogate::{Surrogate, SurrogateConfig};

fn centres(k: usize) -> Vec<f64> {
    (0..k)
        .map(|i| i as f64 * 1.5 + 0.25 * (i % 3) as f64)
        .collect()
}

fn invalid_name<T: std::fmt::Debug>(r: Result<T, LossError>) -> &'static str {
    match r {
        Err(LossError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn every_bad_hyper_parameter_names_its_field() {
    let good = SrlConfig::paper(4, 3, centres(4));
    assert!(SrlObjective::<f64>::new(good.clone()).is_ok());
    let bad = |f: &dyn Fn(&mut SrlConfig)| {
        let mut c = good.clone();
        f(&mut c);
        invalid_name(SrlObjective::<f64>::new(c))
    };
    assert_eq!(
        bad(&|c| {
            c.num_bins = 1;
            c.bin_centres = vec![0.0]
        }),
        "num_bins"
    );
    assert_eq!(bad(&|c| c.dim = 0), "dim");
    assert_eq!(
        bad(&|c| c.params.weights.envelope = -1.0),
        "weights.envelope"
    );
    assert_eq!(
        bad(&|c| c.params.weights.homogeneity = f64::NAN),
        "weights.homogeneity"
    );
    assert_eq!(
        bad(&|c| c.params.weights.contrastive = f64::INFINITY),
        "weights.contrastive"
    );
    assert_eq!(bad(&|c| c.params.tau = 0.0), "tau");
    assert_eq!(bad(&|c| c.params.tau = -0.3), "tau");
    assert_eq!(bad(&|c| c.params.tau = f64::NAN), "tau");
    assert_eq!(bad(&|c| c.params.num_points = 0), "num_points");
    assert_eq!(bad(&|c| c.bin_centres = centres(3)), "bin_centres");
    assert_eq!(
        bad(&|c| c.bin_centres = vec![0.0, 1.0, 1.0, 2.0]),
        "bin_centres"
    );
    assert_eq!(
        bad(&|c| c.bin_centres = vec![0.0, 2.0, 1.0, 3.0]),
        "bin_centres"
    );
    assert_eq!(bad(&|c| c.bin_centres[2] = f64::NAN), "bin_centres");
    assert_eq!(
        bad(&|c| c.params.homogeneity = HomogeneityForm::AuthorsCode { beta: -0.1 }),
        "homogeneity.beta"
    );
    // the individual losses validate too
    assert_eq!(
        invalid_name(CentroidContrastiveLoss::<f64>::new(0.0)),
        "tau"
    );
    assert_eq!(
        invalid_name(HomogeneityLoss::<f64>::new(
            HomogeneityForm::Paper,
            vec![1.0]
        )),
        "bin_centres"
    );
    assert_eq!(
        invalid_name(EnvelopingLoss::<f64>::with_random_points(0, 3, 1)),
        "num_points"
    );
    assert_eq!(
        invalid_name(EnvelopingLoss::<f64>::with_random_points(5, 0, 1)),
        "dim"
    );
    assert_eq!(
        invalid_name(EnvelopingLoss::new(array![[1.0, 0.0], [0.0, 0.0]])),
        "points"
    );
    assert!(matches!(
        EnvelopingLoss::new(array![[1.0, f64::NAN]]),
        Err(LossError::NonFinite { .. })
    ));
}

#[test]
fn bad_batches_are_errors_not_panics() {
    let mut srl = SrlObjective::<f64>::new(SrlConfig::paper(4, 3, centres(4))).unwrap();
    let s = Surrogate::<f64>::new(SurrogateConfig::new(4, 3)).unwrap();
    let h = gaussian(3, 3, 1);
    assert!(matches!(
        srl.evaluate(h.view(), &[0, 4, 1], &s),
        Err(LossError::BinOutOfRange {
            index: 1,
            bin: 4,
            num_bins: 4
        })
    ));
    let mut nan = h.clone();
    nan[[2, 1]] = f64::NAN;
    assert!(matches!(
        srl.evaluate(nan.view(), &[0, 1, 2], &s),
        Err(LossError::NonFinite {
            what: "h",
            index: 7
        })
    ));
    assert!(matches!(
        srl.evaluate(h.view(), &[0, 1], &s),
        Err(LossError::ShapeMismatch {
            what: "bins length",
            ..
        })
    ));
    assert!(matches!(
        srl.evaluate(gaussian(3, 4, 2).view(), &[0, 1, 2], &s),
        Err(LossError::ShapeMismatch {
            what: "h columns",
            ..
        })
    ));
    assert!(matches!(
        srl.evaluate(Array2::zeros((0, 3)).view(), &[], &s),
        Err(LossError::Empty { .. })
    ));
    let mut wrong = Array2::zeros((2, 3));
    assert!(matches!(
        srl.evaluate_into(h.view(), &[0, 1, 2], &s, wrong.view_mut()),
        Err(LossError::ShapeMismatch { what: "grad_h", .. })
    ));
    let s5 = Surrogate::<f64>::new(SurrogateConfig::new(5, 3)).unwrap();
    assert!(matches!(
        srl.evaluate(h.view(), &[0, 1, 2], &s5),
        Err(LossError::ShapeMismatch {
            what: "surrogate bins",
            ..
        })
    ));
    let s_d = Surrogate::<f64>::new(SurrogateConfig::new(4, 2)).unwrap();
    assert!(matches!(
        srl.evaluate(h.view(), &[0, 1, 2], &s_d),
        Err(LossError::ShapeMismatch {
            what: "surrogate dim",
            ..
        })
    ));
    // the individual losses reject bad shapes too
    let mut env = EnvelopingLoss::<f64>::with_random_points(5, 3, 0).unwrap();
    assert!(env.forward(Array2::zeros((2, 4)).view()).is_err());
    let mut g = Array2::zeros((3, 3));
    assert!(env
        .forward_backward(Array2::zeros((2, 3)).view(), g.view_mut(), 1.0)
        .is_err());
    let mut con = CentroidContrastiveLoss::<f64>::new(1.0).unwrap();
    assert!(matches!(
        con.forward_backward(
            h.view(),
            &[0, 0, 9],
            unit_rows(4, 3, 3).view(),
            g.view_mut(),
            1.0
        ),
        Err(LossError::BinOutOfRange { .. })
    ));
    let mut homo = HomogeneityLoss::<f64>::new(HomogeneityForm::Paper, centres(4)).unwrap();
    assert!(homo
        .forward_backward(Array2::zeros((3, 3)).view(), g.view_mut(), 1.0)
        .is_err());
}

#[test]
fn parts_total_and_paper_constructors() {
    let parts = SrlParts {
        envelope: 0.5,
        homogeneity: 2.0,
        contrastive: 1.0,
    };
    let w = SrlWeights {
        envelope: 100.0,
        homogeneity: 0.01,
        contrastive: 10.0,
    };
    assert_eq!(parts.total(&w), 50.0 + 0.02 + 10.0);
    let code = SrlConfig::authors_code(5, 128, centres(5));
    assert_eq!(code.params.weights, w);
    assert_eq!(
        code.params.homogeneity,
        HomogeneityForm::AuthorsCode { beta: 0.1 }
    );
    let paper = SrlConfig::paper(5, 128, centres(5));
    assert_eq!(
        (
            paper.params.weights.envelope,
            paper.params.weights.homogeneity
        ),
        (0.1, 0.1)
    );
    assert_eq!(paper.params.homogeneity, HomogeneityForm::Paper);
}

#[test]
fn points_policy_fixed_vs_redraw() {
    let mut c = SrlConfig::paper(3, 4, centres(3));
    c.params.num_points = 20;
    let mut fixed = SrlObjective::<f64>::new(c.clone()).unwrap();
    let p0 = fixed.envelope().points().to_owned();
    fixed.start_epoch(3);
    assert_eq!(fixed.envelope().points(), p0.view());
    c.params.points_policy = PointsPolicy::RedrawEachEpoch;
    let mut redraw = SrlObjective::<f64>::new(c).unwrap();
    assert_eq!(redraw.envelope().points(), p0.view()); // same seed
    redraw.start_epoch(0);
    assert_eq!(redraw.envelope().points(), p0.view()); // epoch 0: seed + 0
    redraw.start_epoch(1);
    let p1 = redraw.envelope().points().to_owned();
    assert_ne!(p1, p0);
    for row in p1.rows() {
        approx::assert_relative_eq!(row.dot(&row), 1.0, epsilon = 1e-12);
    }
}

#[test]
fn f32_and_f64_agree() {
    let s64 = surrogate_with_memory(8, 16, &[0, 2, 3, 7], 4);
    let s32 = Surrogate::<f32>::from_memory(
        s64.config().clone(),
        s64.memory().mapv(|v| v as f32),
        s64.seen().to_vec(),
    )
    .unwrap();
    let h = gaussian(12, 16, 5);
    let bins: Vec<usize> = (0..12).map(|i| (i * 3) % 6).collect();
    for config in [
        SrlConfig::paper(8, 16, centres(8)),
        SrlConfig::authors_code(8, 16, centres(8)),
    ] {
        let mut a = SrlObjective::<f64>::new(config.clone()).unwrap();
        let mut b = SrlObjective::<f32>::new(config).unwrap();
        let oa = a.evaluate(h.view(), &bins, &s64).unwrap();
        let ob = b
            .evaluate(h.mapv(|v| v as f32).view(), &bins, &s32)
            .unwrap();
        let rel = |x: f64, y: f32| (x - y as f64).abs() / x.abs().max(1.0);
        assert!(
            rel(oa.total, ob.total) < 1e-4,
            "{} vs {}",
            oa.total,
            ob.total
        );
        assert!(rel(oa.parts.envelope, ob.parts.envelope) < 1e-4);
        assert!(rel(oa.parts.homogeneity, ob.parts.homogeneity) < 1e-4);
        assert!(rel(oa.parts.contrastive, ob.parts.contrastive) < 1e-4);
        let scale = oa.grad_h.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        for (x, y) in oa.grad_h.iter().zip(ob.grad_h.iter()) {
            assert!((x - *y as f64).abs() < 1e-4 * scale.max(1.0));
        }
    }
}

#[test]
fn reported_normalized_features_feed_the_memory() {
    let mut srl = SrlObjective::<f64>::new(SrlConfig::paper(3, 2, centres(3))).unwrap();
    let mut s = Surrogate::<f64>::new(SurrogateConfig::authors_code(3, 2)).unwrap();
    let h = array![[3.0, 4.0], [0.0, -2.0]];
    srl.evaluate(h.view(), &[0, 2], &s).unwrap();
    approx::assert_abs_diff_eq!(
        srl.normalized(),
        array![[0.6, 0.8], [0.0, -1.0]].view(),
        epsilon = 1e-15
    );
    assert_eq!(srl.last_table().row(1).to_vec(), vec![0.0, 0.0]);
    s.accumulate(srl.normalized(), &[0, 2]).unwrap();
    s.end_epoch().unwrap();
    assert_eq!(s.seen(), &[true, false, true]);
}

#[test]
fn a_short_last_batch_reuses_buffers_and_matches_a_fresh_objective() {
    let (k, d) = (5, 4);
    let memory = surrogate_with_memory(k, d, &[0, 1, 2, 3, 4], 7);
    let config = SrlConfig::paper(k, d, centres(k));
    let mut reused = SrlObjective::<f64>::new(config.clone()).unwrap();
    let full = gaussian(9, d, 1);
    let full_bins = [0, 1, 2, 3, 4, 0, 1, 2, 3];
    reused.evaluate(full.view(), &full_bins, &memory).unwrap();
    let short = gaussian(4, d, 2);
    let short_bins = [4, 2, 2, 0];
    let a = reused.evaluate(short.view(), &short_bins, &memory).unwrap();
    let b = SrlObjective::<f64>::new(config)
        .unwrap()
        .evaluate(short.view(), &short_bins, &memory)
        .unwrap();
    assert_eq!(a.parts, b.parts);
    assert_eq!(a.grad_h, b.grad_h);
    assert_eq!(reused.normalized().nrows(), 4);
    // And back to the full size.
    let again = reused.evaluate(full.view(), &full_bins, &memory).unwrap();
    assert_eq!(again.grad_h.nrows(), 9);
    assert_eq!(reused.normalized().nrows(), 9);
}

/// Paper homogeneity and Theorem 1: Σ d_k²/Δ_k ≥ (Σ d_k)²/Σ Δ_k, with equality at constant
/// speed d_k/Δ_k.
fn paper_homogeneity(table: &Array2<f64>, centres: Vec<f64>) -> f64 {
    let mut homo = HomogeneityLoss::new(HomogeneityForm::Paper, centres).unwrap();
    let mut g = Array2::zeros(table.raw_dim());
    homo.forward_backward(table.view(), g.view_mut(), 1.0)
        .unwrap()
}

fn sorted_centres(gaps: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0];
    for g in gaps {
        c.push(c.last().unwrap() + g);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn objective_is_invariant_to_batch_permutation(seed in 0u64..10_000, m in 2usize..10) {
        let (k, d) = (5, 4);
        let s = surrogate_with_memory(k, d, &[0, 3], seed);
        let h = gaussian(m, d, seed + 1);
        let bins: Vec<usize> = (0..m).map(|i| (i * 7 + seed as usize) % k).collect();
        let mut perm: Vec<usize> = (0..m).collect();
        perm.rotate_left((seed as usize) % m);
        perm.swap(0, m - 1);
        let hp = h.select(Axis(0), &perm);
        let bp: Vec<usize> = perm.iter().map(|&i| bins[i]).collect();
        let mut c = SrlConfig::authors_code(k, d, centres(k));
        c.params.num_points = 50;
        let mut srl = SrlObjective::<f64>::new(c).unwrap();
        let a = srl.evaluate(h.view(), &bins, &s).unwrap();
        let b = srl.evaluate(hp.view(), &bp, &s).unwrap();
        prop_assert!((a.total - b.total).abs() < 1e-10 * a.total.abs().max(1.0));
        let ga = a.grad_h.select(Axis(0), &perm);
        for (x, y) in ga.iter().zip(b.grad_h.iter()) {
            prop_assert!((x - y).abs() < 1e-9);
        }
    }

    #[test]
    fn objective_is_invariant_to_a_rotation(seed in 0u64..10_000, m in 1usize..10, paper in any::<bool>()) {
        let (k, d) = (5, 4);
        let q = random_rotation(d, seed + 7);
        // memory of bins 1, 2 (and none of 4) from the same features, rotated or not
        let zmem = unit_rows(6, d, seed + 2);
        let mem_bins = [1, 1, 2, 2, 2, 1];
        let mut s = Surrogate::<f64>::new(SurrogateConfig::new(k, d)).unwrap();
        let mut sr = Surrogate::<f64>::new(SurrogateConfig::new(k, d)).unwrap();
        s.accumulate(zmem.view(), &mem_bins).unwrap();
        sr.accumulate(zmem.dot(&q).view(), &mem_bins).unwrap();
        s.end_epoch().unwrap();
        sr.end_epoch().unwrap();
        let h = gaussian(m, d, seed + 3);
        let bins: Vec<usize> = (0..m).map(|i| [0, 2, 3][i % 3]).collect();
        let points = unit_rows(40, d, seed + 4);
        let mut c = if paper { SrlConfig::paper(k, d, centres(k)) } else { SrlConfig::authors_code(k, d, centres(k)) };
        c.params.num_points = 40;
        let mut a = SrlObjective::<f64>::new(c.clone()).unwrap();
        let mut b = SrlObjective::<f64>::new(c).unwrap();
        a.set_points(points.clone()).unwrap();
        b.set_points(points.dot(&q)).unwrap();
        let oa = a.evaluate(h.view(), &bins, &s).unwrap();
        let ob = b.evaluate(h.dot(&q).view(), &bins, &sr).unwrap();
        prop_assert!((oa.total - ob.total).abs() < 1e-9 * oa.total.abs().max(1.0),
            "{} vs {}", oa.total, ob.total);
        // and the gradient rotates with the features
        let ga = oa.grad_h.dot(&q);
        for (x, y) in ga.iter().zip(ob.grad_h.iter()) {
            prop_assert!((x - y).abs() < 1e-8);
        }
    }

    #[test]
    fn theorem1_lower_bound_and_equality(seed in 0u64..10_000, k in 2usize..8) {
        let d = 3;
        let gaps: Vec<f64> = gaussian(1, k - 1, seed).iter().map(|g| 0.1 + g.abs()).collect();
        let c = sorted_centres(&gaps);
        let table = gaussian(k, d, seed + 1);
        let lhs = paper_homogeneity(&table, c.clone());
        let dists: Vec<f64> = (0..k - 1)
            .map(|i| (&table.row(i + 1) - &table.row(i)).mapv(|v| v * v).sum().sqrt())
            .collect();
        let span: f64 = gaps.iter().sum();
        let bound = dists.iter().sum::<f64>().powi(2) / span;
        prop_assert!(lhs >= bound - 1e-12);
        // constant speed: points on a line with steps proportional to the gaps → equality
        // (offset so that no row is the zero row, which would be skipped)
        let dir = unit_rows(1, d, seed + 2);
        let line = Array2::from_shape_fn((k, d), |(i, j)| 0.7 * (c[i] + 1.0) * dir[[0, j]]);
        let lhs = paper_homogeneity(&line, c.clone());
        let dl: f64 = (0..k - 1)
            .map(|i| (&line.row(i + 1) - &line.row(i)).mapv(|v| v * v).sum().sqrt())
            .sum();
        prop_assert!((lhs - dl * dl / span).abs() < 1e-9 * lhs.max(1.0));
    }
}

/// Each SRL hyper-parameter is checked once, by `SrlParams::check` (through `SrlConfig::check`),
/// and a bad value is an `InvalidParameter` naming its field, whichever way the objective is
/// built; a checked config builds without another check.
#[test]
fn bad_parameters_are_rejected_naming_the_field() {
    use srl_losses::{LossError, Temperature};
    let centres: Vec<f64> = (0..4).map(|k| k as f64).collect();
    let base = SrlConfig::paper(4, 3, centres);
    type Spoil = fn(&mut SrlConfig);
    let cases: [(&str, Spoil); 6] = [
        ("tau", |c| c.params.tau = 0.0),
        ("tau", |c| c.params.tau = f64::NAN),
        ("weights.envelope", |c| c.params.weights.envelope = -1.0),
        ("weights.contrastive", |c| {
            c.params.weights.contrastive = f64::INFINITY
        }),
        ("num_points", |c| c.params.num_points = 0),
        ("num_bins", |c| c.num_bins = 1),
    ];
    for (field, spoil) in cases {
        let mut bad = base.clone();
        spoil(&mut bad);
        for err in [
            bad.clone().check().unwrap_err(),
            SrlObjective::<f64>::new(bad.clone()).unwrap_err(),
        ] {
            match err {
                LossError::InvalidParameter { name, .. } => assert_eq!(name, field),
                other => panic!("{field}: {other}"),
            }
        }
    }
    let valid = base.check().unwrap();
    assert_eq!(
        valid.params().tau(),
        Temperature::check("tau", 1.0).unwrap()
    );
    assert!(SrlObjective::<f64>::new(valid).is_ok());
}
