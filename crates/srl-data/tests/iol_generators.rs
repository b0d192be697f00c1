//! Tests of the linear (antiderivative) IOL generator and its building blocks.

use ndarray::Axis;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use srl_data::iol::{
    linear_benchmark, location_weight, rbf_kernel, sample_train_locations, shot_by_location,
    weighted_sample_without_replacement, GaussianRandomField, GridFunction, LinearIolConfig,
    TRAIN_LOCATION_SEGMENTS,
};
use srl_data::{Benchmark, DataError, Part, Shot};

/// A small configuration keeping the protocol's sensor/grid geometry (m = 100, 100 grid
/// locations, ℓ = 0.2) but few functions.
fn small_config() -> LinearIolConfig {
    LinearIolConfig {
        train_functions: 50,
        val_functions: 20,
        test_functions: 10,
        ..Default::default()
    }
}

/// Pearson χ² of the observed location counts per [`TRAIN_LOCATION_SEGMENTS`] segment against
/// the density weight × length.
fn location_chi_square(xs: &[f64]) -> f64 {
    let mut counts = [0usize; TRAIN_LOCATION_SEGMENTS.len()];
    for &x in xs {
        let k = TRAIN_LOCATION_SEGMENTS
            .iter()
            .position(|&(lo, hi, _)| x >= lo && x < hi)
            .unwrap_or(TRAIN_LOCATION_SEGMENTS.len() - 1);
        counts[k] += 1;
    }
    let total_mass: f64 = TRAIN_LOCATION_SEGMENTS
        .iter()
        .map(|&(lo, hi, w)| w * (hi - lo))
        .sum();
    TRAIN_LOCATION_SEGMENTS
        .iter()
        .zip(counts)
        .map(|(&(lo, hi, w), c)| {
            let expected = xs.len() as f64 * w * (hi - lo) / total_mass;
            (c as f64 - expected).powi(2) / expected
        })
        .sum()
}

/// χ² critical value for 6 degrees of freedom at p = 0.001.
const CHI2_6_DOF_P001: f64 = 22.458;

fn shot_counts(part: &Part) -> [usize; 3] {
    let mut c = [0; 3];
    for s in &part.shots {
        c[match s {
            Shot::Many => 0,
            Shot::Medium => 1,
            Shot::Few => 2,
        }] += 1;
    }
    c
}

fn location_column(part: &Part) -> Vec<f64> {
    part.x.column(part.x.ncols() - 1).to_vec()
}

#[test]
fn antiderivative_is_zero_at_zero() {
    let b = linear_benchmark(&small_config(), 7).unwrap();
    let mut zeros = 0;
    for part in [&b.val, &b.test] {
        for (row, &y) in part.x.outer_iter().zip(&part.y) {
            if row[100] == 0.0 {
                assert_eq!(y, 0.0);
                zeros += 1;
            }
        }
    }
    // One x = 0 row per validation and test function.
    assert_eq!(zeros, 30);
    let f = GridFunction::new(vec![3.0, -1.0, 2.0]).unwrap();
    assert_eq!(f.integral(0.0), 0.0);
}

#[test]
fn finite_difference_of_target_matches_sensor_values() {
    // Validation rows hold s on the grid linspace(0,1,100), which is the sensor grid, so the
    // central difference (s(x_{i+1}) − s(x_{i−1}))/(2h) = mean of u over [x_{i−1}, x_{i+1}]
    // = u(x_i) + h²/6·u''(x_i) + …; with std u'' = √3/ℓ² ≈ 43 the error is ≈ 1e-3.
    let b = linear_benchmark(&small_config(), 1).unwrap();
    let h = 1.0 / 99.0;
    let mut worst: f64 = 0.0;
    for f in 0..20 {
        let rows = b.val.x.slice(ndarray::s![f * 100..(f + 1) * 100, ..]);
        let s = b.val.y.slice(ndarray::s![f * 100..(f + 1) * 100]);
        for i in 1..99 {
            assert!((rows[[i, 100]] - i as f64 * h).abs() < 1e-12);
            let fd = (s[i + 1] - s[i - 1]) / (2.0 * h);
            worst = worst.max((fd - rows[[0, i]]).abs());
        }
    }
    assert!(worst < 1e-2, "worst |FD − u| = {worst}");
    assert!(worst > 0.0);
}

#[test]
fn grid_function_derivative_of_integral_is_value() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let grf = GaussianRandomField::new(0.2, 201).unwrap();
    let u = grf.sample(1, &mut rng);
    let f = GridFunction::new(u.row(0).to_vec()).unwrap();
    let eps = 1e-6;
    for k in 0..50 {
        // Points strictly inside grid intervals, where s is smooth (quadratic).
        let x = (k as f64 + 0.37) / 50.0;
        let fd = (f.integral(x + eps) - f.integral(x - eps)) / (2.0 * eps);
        assert!(
            (fd - f.value(x)).abs() < 1e-7,
            "x = {x}: {fd} vs {}",
            f.value(x)
        );
    }
    // At grid points the interpolant is the data.
    assert!((f.value(0.5) - u[[0, 100]]).abs() < 1e-14);
}

#[test]
fn grid_function_rejects_bad_input() {
    assert!(matches!(
        GridFunction::new(vec![1.0]),
        Err(DataError::Invalid { .. })
    ));
    assert!(matches!(
        GridFunction::new(vec![1.0, f64::NAN]),
        Err(DataError::Invalid { .. })
    ));
}

#[test]
fn sample_covariance_approaches_rbf_kernel() {
    let n = 4000;
    let grf = GaussianRandomField::new(0.2, 100).unwrap();
    let u = grf.sample(n, &mut ChaCha8Rng::seed_from_u64(11));
    let mean = u.mean_axis(Axis(0)).unwrap();
    let grid = grf.grid();
    for (i, j) in [
        (0, 0),
        (50, 50),
        (0, 10),
        (20, 40),
        (45, 55),
        (10, 60),
        (0, 99),
    ] {
        let cov = u
            .column(i)
            .iter()
            .zip(u.column(j))
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / n as f64;
        let k = rbf_kernel(grid[i], grid[j], 0.2);
        // Var of the (known zero-mean) sample covariance of a bivariate normal: (1 + k²)/n.
        let sd = ((1.0 + k * k) / n as f64).sqrt();
        assert!((cov - k).abs() < 5.0 * sd, "({i},{j}): {cov} vs {k}");
        // The test can fail: a wrong length scale is far outside the tolerance off-diagonal.
        let d = (grid[i] - grid[j]).abs();
        if d > 0.1 && d < 0.35 {
            assert!((cov - rbf_kernel(grid[i], grid[j], 0.1)).abs() > 5.0 * sd);
        }
    }
    for &m in mean.iter() {
        assert!(m.abs() < 5.0 / (n as f64).sqrt(), "mean {m}");
    }
}

#[test]
fn fine_grid_field_factorises_with_small_jitter() {
    let grf = GaussianRandomField::new(0.2, LinearIolConfig::default().fine_grid_points()).unwrap();
    assert!(grf.jitter() <= 1e-8, "jitter {}", grf.jitter());
    assert_eq!(grf.factor().dim(), (991, 991));
}

#[test]
fn field_rejects_bad_parameters() {
    for (ell, pts) in [
        (0.0, 10),
        (-1.0, 10),
        (f64::NAN, 10),
        (0.2, 1),
        (0.2, 20_000),
    ] {
        assert!(matches!(
            GaussianRandomField::new(ell, pts),
            Err(DataError::Invalid { .. })
        ));
    }
}

#[test]
fn location_sampler_matches_weights() {
    let xs = sample_train_locations(20_000, &mut ChaCha8Rng::seed_from_u64(2));
    let chi2 = location_chi_square(&xs);
    assert!(chi2 < CHI2_6_DOF_P001, "chi2 = {chi2}");
    // The test can fail: uniform locations are rejected.
    let uniform: Vec<f64> = (0..20_000).map(|i| (i as f64 + 0.5) / 20_000.0).collect();
    assert!(location_chi_square(&uniform) > 1000.0);
}

#[test]
fn train_locations_of_benchmark_match_weights() {
    let cfg = LinearIolConfig {
        sensors: 10,
        train_functions: 1000,
        val_functions: 1,
        test_functions: 1,
        ..Default::default()
    };
    let b = linear_benchmark(&cfg, 0).unwrap();
    let xs = location_column(&b.train);
    assert_eq!(xs.len(), 10_000);
    let chi2 = location_chi_square(&xs);
    assert!(chi2 < CHI2_6_DOF_P001, "chi2 = {chi2}");
    for (&x, &w) in xs.iter().zip(
        xs.iter()
            .map(|&x| location_weight(x))
            .collect::<Vec<_>>()
            .iter(),
    ) {
        assert!((0.0..=1.0).contains(&x) && w > 0.0);
    }
}

#[test]
fn generator_is_deterministic_for_a_seed() {
    let cfg = small_config();
    let a = linear_benchmark(&cfg, 3).unwrap();
    let b = linear_benchmark(&cfg, 3).unwrap();
    let c = linear_benchmark(&cfg, 4).unwrap();
    for (p, q) in [(&a.train, &b.train), (&a.val, &b.val), (&a.test, &b.test)] {
        assert_eq!(p.x, q.x);
        assert_eq!(p.y, q.y);
        assert_eq!(p.bins, q.bins);
        assert_eq!(p.shots, q.shots);
    }
    for (p, q) in [(&a.train, &c.train), (&a.val, &c.val), (&a.test, &c.test)] {
        assert_ne!(p.x, q.x);
        assert_ne!(p.y, q.y);
    }
    // Parts draw different functions (disjoint streams).
    let sensors = |p: &Part| p.x.row(0).slice(ndarray::s![..100]).to_vec();
    assert_ne!(sensors(&a.train), sensors(&a.val));
    assert_ne!(sensors(&a.val), sensors(&a.test));
    assert_ne!(sensors(&a.train), sensors(&a.test));
}

#[test]
fn parts_have_the_protocol_layout() {
    let b = linear_benchmark(&small_config(), 0).unwrap();
    assert_eq!(b.name, srl_data::BenchmarkId::IolLinear);
    assert_eq!(b.target_name, "s");
    assert_eq!(b.feature_names.len(), 101);
    assert_eq!(b.feature_names[0], "u_0");
    assert_eq!(b.feature_names[100], "x");
    assert_eq!(b.train.x.dim(), (500, 101));
    assert_eq!(b.val.x.dim(), (2000, 101));
    assert_eq!(b.test.x.dim(), (1000, 101));
    check_bins_and_shots(&b);
    // Each training function's 10 rows share the sensor values.
    for f in 0..50 {
        let first = b.train.x.row(f * 10).slice(ndarray::s![..100]).to_owned();
        for r in 1..10 {
            assert_eq!(b.train.x.row(f * 10 + r).slice(ndarray::s![..100]), first);
        }
    }
}

fn check_bins_and_shots(b: &Benchmark) {
    assert_eq!(b.binning.num_bins(), 100);
    let (lo, hi) = b
        .train
        .y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    assert!((b.binning.origin() - lo).abs() < 1e-12);
    assert!((b.binning.origin() + 100.0 * b.binning.width() - hi).abs() < 1e-9);
    for part in [&b.train, &b.val, &b.test] {
        assert_eq!(part.bins.len(), part.len());
        assert_eq!(part.shots.len(), part.len());
        for ((row, &s), &k) in part.x.outer_iter().zip(&part.shots).zip(&part.bins) {
            assert_eq!(s, shot_by_location(row[row.len() - 1]));
            assert!(k < 100);
        }
    }
    let counts = b.train_bin_counts();
    assert!(counts[0] > 0 && counts[99] > 0);
}

#[test]
fn full_size_benchmark_has_protocol_split_sizes() {
    let start = std::time::Instant::now();
    let b = linear_benchmark(&LinearIolConfig::default(), 0).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(b.train.x.dim(), (10_000, 101));
    assert_eq!(b.val.x.dim(), (10_000, 101));
    assert_eq!(b.test.x.dim(), (100_000, 101));
    check_bins_and_shots(&b);
    let (tr, va, te) = (
        shot_counts(&b.train),
        shot_counts(&b.val),
        shot_counts(&b.test),
    );
    println!(
        "iol-linear built in {elapsed:?}; shots [many, medium, few]: train {tr:?}, val {va:?}, \
         test {te:?}; bin width {:.4}",
        b.binning.width()
    );
    // Grid parts: of x_k = k/99 per function, 60 are many (k = 20..=79), 20 medium
    // (k = 10..=19, 80..=89) and 20 few (k = 0..=9, 90..=99).
    assert_eq!(va, [6_000, 2_000, 2_000]);
    assert_eq!(te, [60_000, 20_000, 20_000]);
    // Training skews to the centre: expected many share (0.12 + 0.2 + 0.12)/0.52 ≈ 0.846.
    let many_share = tr[0] as f64 / 10_000.0;
    assert!((many_share - 0.846).abs() < 0.02, "many share {many_share}");
}

#[test]
fn invalid_configs_are_rejected_with_the_field_name() {
    let cases: Vec<(LinearIolConfig, &str)> = vec![
        (
            LinearIolConfig {
                length_scale: 0.0,
                ..Default::default()
            },
            "length_scale",
        ),
        (
            LinearIolConfig {
                length_scale: f64::NAN,
                ..Default::default()
            },
            "length_scale",
        ),
        (
            LinearIolConfig {
                sensors: 1,
                ..Default::default()
            },
            "sensors",
        ),
        (
            LinearIolConfig {
                refinement: 0,
                ..Default::default()
            },
            "refinement",
        ),
        (
            LinearIolConfig {
                refinement: 200,
                ..Default::default()
            },
            "refinement",
        ),
        (
            LinearIolConfig {
                train_functions: 0,
                ..Default::default()
            },
            "train_functions",
        ),
        (
            LinearIolConfig {
                locations_per_train_function: 0,
                ..Default::default()
            },
            "locations_per_train_function",
        ),
        (
            LinearIolConfig {
                val_functions: 0,
                ..Default::default()
            },
            "val_functions",
        ),
        (
            LinearIolConfig {
                test_functions: 0,
                ..Default::default()
            },
            "test_functions",
        ),
        (
            LinearIolConfig {
                grid_locations: 1,
                ..Default::default()
            },
            "grid_locations",
        ),
        (
            LinearIolConfig {
                num_bins: 0,
                ..Default::default()
            },
            "num_bins",
        ),
    ];
    for (cfg, field) in cases {
        match linear_benchmark(&cfg, 0) {
            Err(DataError::Invalid { what, .. }) => assert!(what.ends_with(field), "{what}"),
            other => panic!("{field}: expected Invalid, got {:?}", other.map(|b| b.name)),
        }
    }
}

#[test]
fn location_weights_and_shots_follow_the_protocol() {
    let cases = [
        (0.0, 0.1, Shot::Few),
        (0.1, 0.3, Shot::Few),
        (0.15, 0.3, Shot::Medium),
        (0.2, 0.6, Shot::Medium),
        (0.3, 0.6, Shot::Many),
        (0.4, 1.0, Shot::Many),
        (0.59, 1.0, Shot::Many),
        (0.6, 0.6, Shot::Many),
        (0.8, 0.3, Shot::Medium),
        (0.85, 0.3, Shot::Medium),
        (0.9, 0.1, Shot::Few),
        (1.0, 0.1, Shot::Few),
    ];
    for (x, w, s) in cases {
        assert_eq!(location_weight(x), w, "weight at {x}");
        assert_eq!(shot_by_location(x), s, "shot at {x}");
    }
}

#[test]
fn weighted_sampling_frequencies_follow_weights() {
    // Single draws: inclusion frequency ∝ weight.
    let weights = [0.1, 0.3, 0.6, 1.0];
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let trials = 20_000;
    let mut hits = [0usize; 4];
    for _ in 0..trials {
        let i = weighted_sample_without_replacement(&weights, 1, &mut rng).unwrap()[0];
        hits[i] += 1;
    }
    for (h, w) in hits.iter().zip(weights) {
        let p = w / 2.0;
        let sd = (p * (1.0 - p) / trials as f64).sqrt();
        let freq = *h as f64 / trials as f64;
        assert!((freq - p).abs() < 5.0 * sd, "freq {freq} vs {p}");
    }
}

#[test]
fn weighted_sampling_rejects_bad_input() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert!(weighted_sample_without_replacement(&[1.0, -1.0], 1, &mut rng).is_err());
    assert!(weighted_sample_without_replacement(&[1.0, f64::NAN], 1, &mut rng).is_err());
    assert!(weighted_sample_without_replacement(&[1.0, 0.0], 2, &mut rng).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn weighted_sample_is_distinct_sorted_and_avoids_zero_weights(
        weights in prop::collection::vec(prop_oneof![Just(0.0), 0.01f64..10.0], 1..60),
        frac in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let positive = weights.iter().filter(|&&w| w > 0.0).count();
        let k = (frac * positive as f64).floor() as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let idx = weighted_sample_without_replacement(&weights, k, &mut rng).unwrap();
        prop_assert_eq!(idx.len(), k);
        prop_assert!(idx.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(idx.iter().all(|&i| i < weights.len() && weights[i] > 0.0));
    }

    #[test]
    fn grid_function_integral_is_additive_and_linear(
        values in prop::collection::vec(-5.0f64..5.0, 2..40),
        x in 0.0f64..=1.0,
        c in -3.0f64..3.0,
    ) {
        let f = GridFunction::new(values.clone()).unwrap();
        let g = GridFunction::new(values.iter().map(|v| c * v).collect()).unwrap();
        prop_assert!((g.integral(x) - c * f.integral(x)).abs() < 1e-9);
        // Trapezoid rule at x = 1.
        let n = values.len() - 1;
        let trap: f64 = values.windows(2).map(|w| 0.5 * (w[0] + w[1]) / n as f64).sum();
        prop_assert!((f.integral(1.0) - trap).abs() < 1e-9);
        prop_assert_eq!(f.integral(0.0), 0.0);
    }
}
