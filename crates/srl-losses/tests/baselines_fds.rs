//! FDS: reflect padding, kernel smoothing, statistics updates (momentum, fixed aliasing,
//! imputation), calibration (identity, clamps, untouched dimensions) and its backward.

use approx::assert_relative_eq;
use ndarray::{array, Array1, Array2};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::fds::{
    fds_label_bins, reflect_index, smooth_bin_axis, FdsConfig, FdsParams,
    FeatureDistributionSmoothing, CALIBRATION_CLIP_MAX, CALIBRATION_CLIP_MIN,
};
use srl_losses::baselines::lds::LdsKernel;
use srl_losses::LossError;
use srl_testkit::FdCheck;

/// Config with the given kernel and default momentum / start epochs.
fn config(num_bins: usize, dim: usize, kernel: LdsKernel) -> FdsConfig {
    FdsConfig::with_params(
        num_bins,
        dim,
        FdsParams {
            kernel,
            ..FdsParams::default()
        },
    )
}

/// Random features: `per_bin` samples in every bin, bin b centred at b·3 with spread 1 + b/2.
fn random_epoch(
    rng: &mut ChaCha8Rng,
    num_bins: usize,
    dim: usize,
    per_bin: usize,
) -> (Array2<f64>, Vec<usize>) {
    let bins: Vec<usize> = (0..num_bins).flat_map(|b| vec![b; per_bin]).collect();
    let feats = Array2::from_shape_fn((bins.len(), dim), |(i, _)| {
        let b = bins[i] as f64;
        3.0 * b + (1.0 + 0.5 * b) * rng.gen_range(-1.0..1.0)
    });
    (feats, bins)
}

/// Per-bin (mean, unbiased var) of one column, computed naively.
fn bin_stats(feats: &Array2<f64>, bins: &[usize], bin: usize, col: usize) -> (f64, f64) {
    let xs: Vec<f64> = bins
        .iter()
        .zip(feats.column(col))
        .filter(|(&b, _)| b == bin)
        .map(|(_, &x)| x)
        .collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let ss = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    (mean, if xs.len() > 1 { ss / (n - 1.0) } else { 0.0 })
}

#[test]
fn reflect_padding_matches_hand_computed() {
    // torch reflect: [a b c d] padded by 2 → [c b a b c d c b].
    let idx: Vec<usize> = (-2..6).map(|j| reflect_index(j, 4)).collect();
    assert_eq!(idx, vec![2, 1, 0, 1, 2, 3, 2, 1]);
    // Length 5, padding 3: [d c b | a b c d e | d c b].
    let idx: Vec<usize> = (-3..8).map(|j| reflect_index(j, 5)).collect();
    assert_eq!(idx, vec![3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1]);
    // Beyond one reflection (torch errors here): periodic mirror of [a b].
    let idx: Vec<usize> = (-3..5).map(|j| reflect_index(j, 2)).collect();
    assert_eq!(idx, vec![1, 0, 1, 0, 1, 0, 1, 0]);
    assert_eq!(reflect_index(-7, 1), 0);

    // Window [.1 .2 .4 .2 .1] over [1 2 3 4] (and ×10 in a second column):
    // bin 0 reads [3 2 1 2 3] → 1.8; bin 1 [2 1 2 3 4] → 2.2; bin 2 [1 2 3 4 3] → 2.8;
    // bin 3 [2 3 4 3 2] → 3.2.
    let stats = array![[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
    let out = smooth_bin_axis(stats.view(), &[0.1, 0.2, 0.4, 0.2, 0.1]).unwrap();
    let want = array![[1.8, 18.0], [2.2, 22.0], [2.8, 28.0], [3.2, 32.0]];
    for (o, w) in out.iter().zip(&want) {
        assert_relative_eq!(*o, *w, max_relative = 1e-14);
    }
    assert!(smooth_bin_axis(stats.view(), &[0.5, 0.5]).is_err());
}

#[test]
fn kernel_smoothing_of_known_sequences() {
    let window = LdsKernel::dir_default().window_sum_normalised().unwrap();
    for (w, want) in window
        .iter()
        .zip([0.186251, 0.205248, 0.217003, 0.205248, 0.186251])
    {
        assert_relative_eq!(*w, want, epsilon = 1e-6);
    }
    // A symmetric sum-1 kernel keeps constants everywhere (reflect padding) and linear
    // sequences in the interior; at the edges the mirror bends them inwards.
    let linear = Array2::from_shape_fn((8, 2), |(b, c)| if c == 0 { b as f64 } else { 7.0 });
    let out = smooth_bin_axis(linear.view(), &window).unwrap();
    for b in 0..8 {
        assert_relative_eq!(out[[b, 1]], 7.0, max_relative = 1e-14);
    }
    for b in 2..6 {
        assert_relative_eq!(out[[b, 0]], b as f64, max_relative = 1e-14);
    }
    // Bin 0 reads [2 1 0 1 2].
    let edge = 2.0 * window[0] + window[1] + window[3] + 2.0 * window[4];
    assert_relative_eq!(out[[0, 0]], edge, max_relative = 1e-14);
    assert!(out[[0, 0]] > 0.0);

    // The state smooths its last-epoch statistics with the same operation.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut fds = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(6, 3)).unwrap();
    for epoch in 0..3 {
        let (f, b) = random_epoch(&mut rng, 6, 3, 4);
        fds.update(epoch, f.view(), &b).unwrap();
    }
    let mean = smooth_bin_axis(fds.last_epoch_mean(), fds.window()).unwrap();
    let var = smooth_bin_axis(fds.last_epoch_var(), fds.window()).unwrap();
    assert_eq!(mean, fds.smoothed_mean());
    assert_eq!(var, fds.smoothed_var());
}

#[test]
fn update_momentum_math() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (c, d) = (4, 2);
    let mut fds = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(c, d)).unwrap();
    let epochs: Vec<_> = (0..3).map(|_| random_epoch(&mut rng, c, d, 5)).collect();
    for (epoch, (f, b)) in epochs.iter().enumerate() {
        assert!(fds.update(epoch, f.view(), b).unwrap());
    }
    for bin in 0..c {
        for col in 0..d {
            let s: Vec<(f64, f64)> = epochs
                .iter()
                .map(|(f, b)| bin_stats(f, b, bin, col))
                .collect();
            // m = 0 on the first update, then 0.9.
            let mean = 0.1 * s[2].0 + 0.9 * (0.1 * s[1].0 + 0.9 * s[0].0);
            let var = 0.1 * s[2].1 + 0.9 * (0.1 * s[1].1 + 0.9 * s[0].1);
            assert_relative_eq!(fds.running_mean()[[bin, col]], mean, max_relative = 1e-12);
            assert_relative_eq!(fds.running_var()[[bin, col]], var, max_relative = 1e-12);
        }
    }
    assert_eq!(fds.num_samples_tracked(), &[15, 15, 15, 15]);
    assert_eq!(fds.last_updated_epoch(), Some(2));
}

#[test]
fn absent_bins_keep_their_statistics_and_single_samples_have_zero_variance() {
    let mut fds = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(3, 1)).unwrap();
    fds.update(0, array![[4.0]].view(), &[1]).unwrap();
    // Bins 0 and 2 keep the initial (0, 1); bin 1 has one sample: biased variance 0.
    assert_eq!(fds.running_mean().column(0).to_vec(), vec![0.0, 4.0, 0.0]);
    assert_eq!(fds.running_var().column(0).to_vec(), vec![1.0, 0.0, 1.0]);
    fds.update(1, array![[2.0], [6.0]].view(), &[2, 2]).unwrap();
    assert_eq!(fds.running_mean()[[0, 0]], 0.0);
    assert_eq!(fds.running_mean()[[1, 0]], 4.0);
    assert_relative_eq!(fds.running_mean()[[2, 0]], 0.1 * 4.0, max_relative = 1e-12);
    assert_relative_eq!(
        fds.running_var()[[2, 0]],
        0.1 * 8.0 + 0.9 * 1.0,
        max_relative = 1e-12
    );
}

#[test]
fn cumulative_momentum_averages_epoch_means() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let cfg = FdsConfig::with_params(
        3,
        2,
        FdsParams {
            momentum: None,
            ..FdsParams::default()
        },
    );
    let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
    let epochs: Vec<_> = (0..4).map(|_| random_epoch(&mut rng, 3, 2, 3)).collect();
    for (epoch, (f, b)) in epochs.iter().enumerate() {
        fds.update(epoch, f.view(), b).unwrap();
    }
    // m = 1 − n/n_tracked with equal n per epoch: the running mean is the plain average.
    for bin in 0..3 {
        let avg: f64 = epochs
            .iter()
            .map(|(f, b)| bin_stats(f, b, bin, 1).0)
            .sum::<f64>()
            / 4.0;
        assert_relative_eq!(fds.running_mean()[[bin, 1]], avg, max_relative = 1e-12);
    }
}

#[test]
fn last_epoch_statistics_are_genuine_copies() {
    // The reference aliases running and last-epoch stats; we keep real copies.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let cfg = config(4, 2, LdsKernel::Triang { size: 1 }); // window [1]: μ̃ = μ
    let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
    let (f0, b0) = random_epoch(&mut rng, 4, 2, 4);
    fds.update(0, f0.view(), &b0).unwrap();
    // Before the first copy the last-epoch stats are the initial buffers.
    assert!(fds.last_epoch_mean().iter().all(|&v| v == 0.0));
    assert!(fds.last_epoch_var().iter().all(|&v| v == 1.0));
    let after_epoch0 = (fds.running_mean().to_owned(), fds.running_var().to_owned());

    let (f1, b1) = random_epoch(&mut rng, 4, 2, 4);
    fds.update(1, f1.view(), &b1).unwrap();
    assert_eq!(fds.last_epoch_mean(), after_epoch0.0);
    assert_eq!(fds.last_epoch_var(), after_epoch0.1);
    assert_ne!(fds.running_mean(), fds.last_epoch_mean());

    // With μ̃ = μ the calibration is the identity even though the running stats moved on;
    // with the reference's aliasing μ would be the new running mean and this would fail.
    let z = Array2::from_shape_fn((4, 2), |(i, j)| (i * 2 + j) as f64 - 3.0);
    let out = fds.smooth_forward(z.view(), &[0, 1, 2, 3], 2).unwrap();
    for (o, v) in out.iter().zip(&z) {
        assert_relative_eq!(*o, *v, max_relative = 1e-12, epsilon = 1e-12);
    }
}

#[test]
fn calibration_is_identity_when_smoothing_changes_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    // Every bin has the same statistics: the smoothed stats equal the raw ones.
    let mut fds = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(5, 3)).unwrap();
    let block = Array2::from_shape_fn((4, 3), |_| rng.gen_range(-2.0..2.0));
    let feats = ndarray::concatenate(ndarray::Axis(0), &[block.view(); 5]).unwrap();
    let bins: Vec<usize> = (0..5).flat_map(|b| [b; 4]).collect();
    fds.update(0, feats.view(), &bins).unwrap();
    fds.update(1, feats.view(), &bins).unwrap();
    for (s, r) in fds.smoothed_mean().iter().zip(fds.last_epoch_mean()) {
        assert_relative_eq!(*s, *r, max_relative = 1e-12);
    }
    let z = Array2::from_shape_fn((6, 3), |_| rng.gen_range(-5.0..5.0));
    let zb = [0, 4, 2, 2, 1, 3];
    let out = fds.smooth_forward(z.view(), &zb, 2).unwrap();
    for (o, v) in out.iter().zip(&z) {
        assert_relative_eq!(*o, *v, max_relative = 1e-12, epsilon = 1e-12);
    }
    for s in fds.calibration_scale() {
        assert_relative_eq!(*s, 1.0, max_relative = 1e-12);
    }
}

#[test]
fn calibration_matches_formula_and_clamps_both_ways() {
    // 12 bins, near-flat 11-tap kernel (centre weight ≈ 1/11 < 0.1): the one high-variance
    // bin gets a ratio below 0.1, its neighbours ratios far above 10.
    let cfg = config(
        12,
        1,
        LdsKernel::Gaussian {
            size: 11,
            sigma: 100.0,
        },
    );
    let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
    let mut feats = Vec::new();
    let mut bins = Vec::new();
    for b in 0..12 {
        let spread = if b == 6 { 10.0 } else { 0.1 };
        for sign in [-1.0, 1.0] {
            feats.push(b as f64 + sign * spread);
            bins.push(b);
        }
    }
    let feats = Array2::from_shape_vec((24, 1), feats).unwrap();
    fds.update(0, feats.view(), &bins).unwrap();
    fds.update(1, feats.view(), &bins).unwrap();
    let (mut low, mut high, mut inside) = (0, 0, 0);
    for b in 0..12 {
        let (mu, var) = (fds.last_epoch_mean()[[b, 0]], fds.last_epoch_var()[[b, 0]]);
        let (smu, svar) = (fds.smoothed_mean()[[b, 0]], fds.smoothed_var()[[b, 0]]);
        let ratio = svar / var;
        if ratio < CALIBRATION_CLIP_MIN {
            low += 1;
        } else if ratio > CALIBRATION_CLIP_MAX {
            high += 1;
        } else {
            inside += 1;
        }
        let scale = ratio
            .clamp(CALIBRATION_CLIP_MIN, CALIBRATION_CLIP_MAX)
            .sqrt();
        assert_relative_eq!(fds.calibration_scale()[[b, 0]], scale, max_relative = 1e-12);
        // z = μ + 1 maps to μ̃ + scale.
        let out = fds
            .smooth_forward(array![[mu + 1.0]].view(), &[b], 2)
            .unwrap();
        assert_relative_eq!(out[[0, 0]], smu + scale, max_relative = 1e-12);
    }
    assert_eq!(low, 1);
    assert!(high >= 2 && inside >= 1, "high {high}, inside {inside}");
    assert_relative_eq!(
        fds.calibration_scale()[[6, 0]],
        0.1_f64.sqrt(),
        max_relative = 1e-12
    );
    assert_relative_eq!(
        fds.calibration_scale()[[5, 0]],
        10.0_f64.sqrt(),
        max_relative = 1e-12
    );
}

#[test]
fn zero_variance_dimensions_and_degenerate_bins_are_untouched() {
    let cfg = config(3, 2, LdsKernel::Triang { size: 3 });
    let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
    // Bin 0: dim 1 constant (σ² = 0). Bin 1: both dims constant (Σσ² = 0). Bin 2: varied.
    let feats = array![
        [0.0, 5.0],
        [2.0, 5.0],
        [7.0, -1.0],
        [7.0, -1.0],
        [10.0, 0.0],
        [14.0, 8.0]
    ];
    let bins = [0, 0, 1, 1, 2, 2];
    fds.update(0, feats.view(), &bins).unwrap();
    fds.update(1, feats.view(), &bins).unwrap();
    let z = array![[3.0, 4.0], [3.0, 4.0], [3.0, 4.0]];
    let out = fds.smooth_forward(z.view(), &[0, 1, 2], 2).unwrap();
    // Bin 0 reads bins [1 0 1]: dim 0 is calibrated (μ = 1, σ² = 2, μ̃ = .5·1 + .5·7 = 4,
    // σ̃² = .5·2 + .5·0 = 1), dim 1 untouched although μ̃ ≠ μ there.
    assert_relative_eq!(
        out[[0, 0]],
        (3.0 - 1.0) * 0.5_f64.sqrt() + 4.0,
        max_relative = 1e-12
    );
    assert_eq!(out[[0, 1]], 4.0);
    assert_eq!(out.row(1), z.row(1));
    assert!(out[[2, 0]] != 3.0 && out[[2, 1]] != 4.0);
    let g = fds
        .smooth_backward(Array2::<f64>::ones((3, 2)).view(), &[0, 1, 2], 2)
        .unwrap();
    assert_eq!((g[[0, 1]], g[[1, 0]], g[[1, 1]]), (1.0, 1.0, 1.0));
}

#[test]
fn smoothing_starts_at_start_smooth() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut fds = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(4, 2)).unwrap();
    for epoch in 0..2 {
        let (f, b) = random_epoch(&mut rng, 4, 2, 3);
        fds.update(epoch, f.view(), &b).unwrap();
    }
    let z = Array2::from_shape_fn((3, 2), |_| rng.gen_range(-3.0..3.0));
    let bins = [0, 1, 3];
    assert!(!fds.is_smoothing(0) && fds.is_smoothing(1));
    assert_eq!(fds.smooth_forward(z.view(), &bins, 0).unwrap(), z);
    assert_ne!(fds.smooth_forward(z.view(), &bins, 1).unwrap(), z);
    assert_eq!(fds.smooth_backward(z.view(), &bins, 0).unwrap(), z);

    // Reference timeline: during epoch 1 the last-epoch stats are still (0, 1) → identity.
    let mut fresh = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(4, 2)).unwrap();
    let (f, b) = random_epoch(&mut rng, 4, 2, 3);
    fresh.update(0, f.view(), &b).unwrap();
    assert_eq!(fresh.smooth_forward(z.view(), &bins, 1).unwrap(), z);
}

#[test]
fn backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (c, d, kernel) in [
        (5, 3, LdsKernel::dir_default()),
        (
            3,
            4,
            LdsKernel::Laplace {
                size: 3,
                sigma: 1.0,
            },
        ),
        (
            12,
            2,
            LdsKernel::Gaussian {
                size: 11,
                sigma: 100.0,
            },
        ),
    ] {
        let mut fds = FeatureDistributionSmoothing::<f64>::new(config(c, d, kernel)).unwrap();
        for epoch in 0..3 {
            let (mut f, b) = random_epoch(&mut rng, c, d, 3);
            // One bin with a zero-variance dimension.
            for (i, &bin) in b.iter().enumerate() {
                if bin == 1 {
                    f[[i, 0]] = 2.5;
                }
            }
            fds.update(epoch, f.view(), &b).unwrap();
        }
        let m = 7;
        let z = Array2::from_shape_fn((m, d), |_| rng.gen_range(-4.0..4.0));
        let bins: Vec<usize> = (0..m).map(|_| rng.gen_range(0..c)).collect();
        let coef = Array2::from_shape_fn((m, d), |_| rng.gen_range(-1.0..1.0));
        let loss = |z: &Array2<f64>| {
            let s = fds.smooth_forward(z.view(), &bins, 3).unwrap();
            (&s * &s * &coef).sum()
        };
        let s = fds.smooth_forward(z.view(), &bins, 3).unwrap();
        let grad_s = &s * &coef * 2.0;
        let g = fds.smooth_backward(grad_s.view(), &bins, 3).unwrap();
        // The loss is quadratic in z, so central differences are exact up to rounding; a
        // larger step keeps the rounding error well below the tolerance.
        FdCheck::new(1e-3)
            .max_relative(1e-6)
            .epsilon(1e-9)
            .check(&z, &g, loss);
    }
}

#[test]
fn empty_bins_are_imputed_in_order() {
    let mut cfg = config(5, 1, LdsKernel::Triang { size: 1 });
    cfg.params.impute_empty_bins = true;
    let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
    // Bins 1 and 3 present (means 2 and 6, variances 2 and 8).
    let feats = array![[1.0], [3.0], [4.0], [8.0]];
    fds.update(0, feats.view(), &[1, 1, 3, 3]).unwrap();
    // bin 0 ← bin 1; bin 2 ← (bin 1 + bin 3)/2; bin 4 ← bin 3.
    assert_eq!(
        fds.running_mean().column(0).to_vec(),
        vec![2.0, 2.0, 4.0, 6.0, 6.0]
    );
    assert_eq!(
        fds.running_var().column(0).to_vec(),
        vec![2.0, 2.0, 5.0, 8.0, 8.0]
    );
    // Sequential in-place rule: with only bin 3 present, bin 0 copies the initial bin 1 and
    // bin 1 averages the imputed bin 0 with the initial bin 2.
    let mut fds =
        FeatureDistributionSmoothing::<f64>::new(FdsConfig { num_bins: 4, ..cfg }).unwrap();
    fds.update(0, array![[8.0], [8.0]].view(), &[3, 3]).unwrap();
    assert_eq!(
        fds.running_mean().column(0).to_vec(),
        vec![0.0, 0.0, 4.0, 8.0]
    );
}

#[test]
fn label_bins_pool_the_boundaries() {
    assert_eq!(
        fds_label_bins(&[0.0, 2.9, 3.0, 3.7, 119.0, 120.0, 200.0], 3, 121).unwrap(),
        vec![0, 0, 0, 0, 116, 117, 117]
    );
    assert!(fds_label_bins(&[1.0], 5, 5).is_err());
    assert!(matches!(
        fds_label_bins(&[1.0, f64::NAN], 0, 5),
        Err(LossError::NonFinite { index: 1, .. })
    ));
}

#[test]
fn invalid_configs_and_inputs_are_errors() {
    let bad = [
        FdsConfig::new(0, 3),
        FdsConfig::new(3, 0),
        FdsConfig::with_params(
            3,
            3,
            FdsParams {
                momentum: Some(1.5),
                ..FdsParams::default()
            },
        ),
        config(3, 3, LdsKernel::Triang { size: 4 }),
    ];
    for cfg in bad {
        assert!(
            FeatureDistributionSmoothing::<f64>::new(cfg).is_err(),
            "{cfg:?}"
        );
    }
    let cfg = FdsConfig::with_params(
        3,
        2,
        FdsParams {
            start_update: 2,
            ..FdsParams::default()
        },
    );
    let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
    let f = array![[1.0, 2.0], [3.0, 4.0]];
    // Before start_update: ignored.
    assert!(!fds.update(0, f.view(), &[0, 1]).unwrap());
    assert_eq!(fds.last_updated_epoch(), None);
    // The first update must be at start_update, then consecutive epochs.
    assert!(matches!(
        fds.update(3, f.view(), &[0, 1]),
        Err(LossError::InvalidParameter { name: "epoch", .. })
    ));
    fds.update(2, f.view(), &[0, 1]).unwrap();
    assert!(fds.update(2, f.view(), &[0, 1]).is_err());
    assert!(fds.update(4, f.view(), &[0, 1]).is_err());
    let before = fds.clone();
    assert!(matches!(
        fds.update(3, f.view(), &[0, 3]),
        Err(LossError::BinOutOfRange { bin: 3, .. })
    ));
    assert!(fds.update(3, f.view(), &[0]).is_err());
    assert!(fds.update(3, array![[1.0, f64::NAN]].view(), &[0]).is_err());
    assert!(fds.update(3, Array2::zeros((0, 2)).view(), &[]).is_err());
    assert_eq!(fds, before, "state unchanged on error");
    assert!(matches!(
        fds.smooth_forward(array![[1.0, 2.0, 3.0]].view(), &[0], 5),
        Err(LossError::ShapeMismatch { .. })
    ));
    assert!(fds.smooth_backward(f.view(), &[0, 9], 5).is_err());
}

#[test]
fn f32_agrees_with_f64() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut fds64 = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(6, 3)).unwrap();
    let mut fds32 = FeatureDistributionSmoothing::<f32>::new(FdsConfig::new(6, 3)).unwrap();
    for epoch in 0..3 {
        let (f, b) = random_epoch(&mut rng, 6, 3, 4);
        fds64.update(epoch, f.view(), &b).unwrap();
        fds32
            .update(epoch, f.mapv(|v| v as f32).view(), &b)
            .unwrap();
    }
    let z = Array2::from_shape_fn((5, 3), |_| rng.gen_range(-4.0..4.0));
    let bins = [0, 5, 2, 3, 3];
    let a = fds64.smooth_forward(z.view(), &bins, 3).unwrap();
    let b = fds32
        .smooth_forward(z.mapv(|v| v as f32).view(), &bins, 3)
        .unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_relative_eq!(*x, *y as f64, max_relative = 1e-4, epsilon = 1e-4);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The calibration scale stays within [√0.1, √10] and the backward is the adjoint of the
    /// (affine) forward: ⟨c, T(z) − T(0)⟩ = ⟨Tᵀ c, z⟩.
    #[test]
    fn scale_bounds_and_adjoint(seed in 0u64..1_000, c in 1usize..7, d in 1usize..4) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut fds = FeatureDistributionSmoothing::<f64>::new(FdsConfig::new(c, d)).unwrap();
        for epoch in 0..2 {
            let n = rng.gen_range(1..12);
            let bins: Vec<usize> = (0..n).map(|_| rng.gen_range(0..c)).collect();
            let scale: f64 = rng.gen_range(0.01..20.0);
            let f = Array2::from_shape_fn((n, d), |_| scale * rng.gen_range(-1.0..1.0));
            fds.update(epoch, f.view(), &bins).unwrap();
        }
        let (lo, hi) = (CALIBRATION_CLIP_MIN.sqrt(), CALIBRATION_CLIP_MAX.sqrt());
        for &s in fds.calibration_scale() {
            prop_assert!(s >= lo - 1e-12 && s <= hi + 1e-12);
        }
        let m = 4;
        let bins: Vec<usize> = (0..m).map(|_| rng.gen_range(0..c)).collect();
        let z = Array2::from_shape_fn((m, d), |_| rng.gen_range(-3.0..3.0));
        let cvec = Array2::from_shape_fn((m, d), |_| rng.gen_range(-1.0..1.0));
        let tz = fds.smooth_forward(z.view(), &bins, 2).unwrap();
        let t0 = fds.smooth_forward(Array2::zeros((m, d)).view(), &bins, 2).unwrap();
        let lhs = ((&tz - &t0) * &cvec).sum();
        let rhs = (fds.smooth_backward(cvec.view(), &bins, 2).unwrap() * &z).sum();
        prop_assert!((lhs - rhs).abs() <= 1e-9 * (1.0 + lhs.abs()));
        // Row-wise sanity of the smoothed statistics: a convex combination of the raw ones.
        for col in 0..d {
            let raw: Array1<f64> = fds.last_epoch_var().column(col).to_owned();
            let (mn, mx) = raw.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            for &v in fds.smoothed_var().column(col) {
                prop_assert!(v >= mn - 1e-9 && v <= mx + 1e-9);
            }
        }
    }
}
