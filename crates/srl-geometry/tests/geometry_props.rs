//! Property tests of the geometry crate: Theorem 1 in both directions, normalisation and its
//! backward, coverage invariants, sphere sampling statistics, uniformity and few-shot shares.

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, Axis};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use srl_geometry::*;

fn gaussian_matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Array2<f64> {
    srl_testkit::random::gaussian_matrix_from(rng, rows, cols)
}
use srl_testkit::FdCheck;

/// A random orthogonal matrix: Gram–Schmidt on the columns of a Gaussian matrix.
fn random_orthogonal(rng: &mut ChaCha8Rng, d: usize) -> Array2<f64> {
    let mut q = gaussian_matrix(rng, d, d);
    for j in 0..d {
        for i in 0..j {
            let proj = q.column(i).dot(&q.column(j));
            let qi = q.column(i).to_owned();
            q.column_mut(j).scaled_add(-proj, &qi);
        }
        let norm = q.column(j).dot(&q.column(j)).sqrt();
        q.column_mut(j).mapv_inplace(|x| x / norm);
    }
    q
}

/// A Gaussian centroid table whose rows listed in `zero_mask` are zeroed (never-seen bins).
fn centroid_table(seed: u64, zero_mask: &[bool], d: usize) -> Array2<f64> {
    let mut c = gaussian_matrix(&mut ChaCha8Rng::seed_from_u64(seed), zero_mask.len(), d);
    for (mut row, &zero) in c.rows_mut().into_iter().zip(zero_mask) {
        if zero {
            row.fill(0.0);
        }
    }
    c
}

fn spacings() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.01..10.0_f64, 2..20)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Theorem 1, inequality direction, and the exact identity
    /// Σd²/Δ − (Σd)²/ΣΔ = Σ Δ_k (s_k − s̄)², s_k = d_k/Δ_k, s̄ = Σd/ΣΔ.
    #[test]
    fn theorem1_inequality_and_gap_identity(
        pairs in prop::collection::vec((0.0..10.0_f64, 0.01..10.0_f64), 1..20)
    ) {
        let (d, delta): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        let (lhs, rhs) = theorem1_bound(&d, &delta).unwrap();
        prop_assert!(lhs >= rhs * (1.0 - 1e-12), "{lhs} < {rhs}");
        let mean_speed = d.iter().sum::<f64>() / delta.iter().sum::<f64>();
        let gap: f64 = d.iter().zip(&delta).map(|(&dk, &tk)| tk * (dk / tk - mean_speed).powi(2)).sum();
        prop_assert!(((lhs - rhs) - gap).abs() <= 1e-9 * lhs.max(1.0), "{} vs {gap}", lhs - rhs);
    }

    /// Theorem 1, equality direction: constant speed d_k = s·Δ_k.
    #[test]
    fn theorem1_equality_at_constant_speed(delta in spacings(), s in 0.0..5.0_f64) {
        let d: Vec<f64> = delta.iter().map(|&t| s * t).collect();
        let (lhs, rhs) = theorem1_bound(&d, &delta).unwrap();
        prop_assert!((lhs - rhs).abs() <= 1e-9 * lhs.max(f64::MIN_POSITIVE), "{lhs} vs {rhs}");
    }

    /// Theorem 1, strictness: two speeds s_a ≠ s_b on groups of total spacing Δ_A, Δ_B give a
    /// gap of exactly Δ_A Δ_B (s_a − s_b)² / (Δ_A + Δ_B) > 0.
    #[test]
    fn theorem1_strict_with_two_speeds(
        delta in spacings(),
        s_a in 0.1..5.0_f64,
        ds in 0.1..5.0_f64,
        groups in prop::collection::vec(any::<bool>(), 20),
    ) {
        let s_b = s_a + ds;
        // Index 0 is in group A and index 1 in group B, so both speeds occur.
        let in_b: Vec<bool> = (0..delta.len()).map(|k| k == 1 || (k > 1 && groups[k])).collect();
        let d: Vec<f64> = delta.iter().zip(&in_b).map(|(&t, &b)| t * if b { s_b } else { s_a }).collect();
        let total_b: f64 = delta.iter().zip(&in_b).filter(|(_, &b)| b).map(|(&t, _)| t).sum();
        let total_a: f64 = delta.iter().sum::<f64>() - total_b;
        let expected_gap = total_a * total_b * ds * ds / (total_a + total_b);
        let (lhs, rhs) = theorem1_bound(&d, &delta).unwrap();
        prop_assert!(expected_gap > 0.0);
        assert_relative_eq!(lhs - rhs, expected_gap, max_relative = 1e-8, epsilon = 1e-12 * lhs);
    }

    /// TraceStats agrees with theorem1_bound on its own segments and respects the bound.
    #[test]
    fn trace_stats_consistent(
        seed in any::<u64>(),
        zero_mask in prop::collection::vec(prop::bool::weighted(0.2), 2..12),
        steps in prop::collection::vec(0.1..3.0_f64, 12),
    ) {
        let c = centroid_table(seed, &zero_mask, 3);
        let centres: Array1<f64> = steps[..zero_mask.len()].iter().scan(0.0, |y, s| { *y += s; Some(*y) }).collect();
        let t = TraceStats::new(c.view(), centres.view()).unwrap();
        let expected = (0..zero_mask.len() - 1).filter(|&k| !zero_mask[k] && !zero_mask[k + 1]).count();
        prop_assert_eq!(t.segments.len(), expected);
        if expected > 0 {
            let d: Vec<f64> = t.segments.iter().map(|s| s.length).collect();
            let delta: Vec<f64> = t.segments.iter().map(|s| s.spacing).collect();
            let (lhs, rhs) = theorem1_bound(&d, &delta).unwrap();
            prop_assert_eq!((t.energy, t.energy_lower_bound), (lhs, rhs));
            prop_assert!(t.energy >= t.energy_lower_bound * (1.0 - 1e-12));
            // Random rows never coincide, so the mean speed is positive and the CV defined.
            prop_assert!(t.speed_cv.is_some_and(|cv| cv >= 0.0));
        }
    }

    /// Non-zero rows become unit rows; zero rows stay zero.
    #[test]
    fn normalisation_gives_unit_rows(
        seed in any::<u64>(),
        zero_mask in prop::collection::vec(any::<bool>(), 1..10),
        scale in -6.0..6.0_f64,
    ) {
        let h = centroid_table(seed, &zero_mask, 4) * 10f64.powf(scale);
        let (z, norms) = normalize_rows(h.view());
        for ((row, &n), &zero) in z.rows().into_iter().zip(&norms).zip(&zero_mask) {
            if zero {
                prop_assert_eq!(n, 0.0);
                prop_assert!(row.iter().all(|&x| x == 0.0));
            } else {
                prop_assert!((row.dot(&row) - 1.0).abs() < 1e-12);
            }
        }
    }

    /// Finite-difference check of normalize_rows_backward on random inputs.
    #[test]
    fn normalize_backward_matches_finite_differences(seed in any::<u64>(), rows in 1..5usize, cols in 1..6usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = gaussian_matrix(&mut rng, rows, cols).mapv(|x| x + 0.5_f64.copysign(x));
        let w = gaussian_matrix(&mut rng, rows, cols);
        let loss = |h: &Array2<f64>| (&normalize_rows(h.view()).0 * &w).sum();
        let (z, n) = normalize_rows(h.view());
        let grad = normalize_rows_backward(z.view(), n.view(), w.view()).unwrap();
        // approx-style: |g − fd| ≤ 1e-8 or ≤ 1e-6·max(|g|, |fd|) (tighter than the sum of both).
        FdCheck::new(1e-6).epsilon(1e-8).max_relative(1e-6).check(&h, &grad, loss);
    }

    /// Coverage lies in [0, 1] and does not increase with ε.
    #[test]
    fn coverage_bounded_and_monotone(
        seed in any::<u64>(),
        zero_mask in prop::collection::vec(prop::bool::weighted(0.3), 1..8),
        d in 2..6usize,
        eps_lo in -1.0..1.0_f64,
        widen in 0.0..1.0_f64,
    ) {
        let c = centroid_table(seed, &zero_mask, d);
        let p = uniform_sphere_points::<f64>(300, d, seed ^ 1).unwrap();
        let lo = coverage(c.view(), p.view(), eps_lo).unwrap();
        let hi = coverage(c.view(), p.view(), eps_lo + widen).unwrap();
        prop_assert!((0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
        prop_assert!(hi <= lo, "coverage rose from {lo} to {hi}");
        if zero_mask.iter().all(|&z| z) {
            prop_assert_eq!(lo, 0.0);
        }
    }

    /// Rotating centroids and points by the same orthogonal Q changes neither coverage nor the
    /// nearest-centroid assignment.
    #[test]
    fn coverage_rotation_invariant(seed in any::<u64>(), k in 1..8usize, d in 2..6usize, eps in -0.5..0.9_f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let c = gaussian_matrix(&mut rng, k, d);
        let p = uniform_sphere_points::<f64>(200, d, seed).unwrap();
        let q = random_orthogonal(&mut rng, d);
        prop_assert!((q.t().dot(&q) - Array2::<f64>::eye(d)).iter().all(|x| x.abs() < 1e-10));
        let (cq, pq) = (c.dot(&q), p.dot(&q));
        prop_assert_eq!(coverage(c.view(), p.view(), eps).unwrap(), coverage(cq.view(), pq.view(), eps).unwrap());
        prop_assert_eq!(nearest_centroids(c.view(), p.view()).unwrap(), nearest_centroids(cq.view(), pq.view()).unwrap());
    }

    /// The few-shot shares of the groups of any partition of the bins sum to 1.
    #[test]
    fn few_shot_shares_partition_to_one(
        seed in any::<u64>(),
        zero_mask in prop::collection::vec(prop::bool::weighted(0.3), 1..10),
        labels in prop::collection::vec(0..3usize, 10),
    ) {
        prop_assume!(zero_mask.iter().any(|&z| !z));
        let c = centroid_table(seed, &zero_mask, 3);
        let p = uniform_sphere_points::<f64>(150, 3, seed ^ 2).unwrap();
        let total: f64 = (0..3)
            .map(|g| {
                let bins: Vec<usize> = (0..zero_mask.len()).filter(|&k| labels[k] == g).collect();
                few_shot_share(c.view(), p.view(), &bins).unwrap()
            })
            .sum();
        prop_assert!((total - 1.0).abs() < 1e-12, "{total}");
        // Zero rows never win: their bins alone claim nothing.
        let zero_bins: Vec<usize> = (0..zero_mask.len()).filter(|&k| zero_mask[k]).collect();
        prop_assert_eq!(few_shot_share(c.view(), p.view(), &zero_bins).unwrap(), 0.0);
    }

    /// An antipodal pair is maximally uniform (−4t); identical points are least uniform (0).
    #[test]
    fn uniformity_antipodal_below_identical(seed in any::<u64>(), d in 1..6usize, t in 0.1..5.0_f64) {
        let u = uniform_sphere_points::<f64>(1, d, seed).unwrap();
        let antipodal = ndarray::concatenate![Axis(0), u, -&u];
        let identical = ndarray::concatenate![Axis(0), u, u];
        let (ua, ui) = (uniformity(antipodal.view(), t).unwrap(), uniformity(identical.view(), t).unwrap());
        prop_assert!(ua < ui);
        prop_assert!((ua + 4.0 * t).abs() < 1e-9 && ui.abs() < 1e-12);
        // A spread-out sample lies in between.
        let spread = uniform_sphere_points::<f64>(50, d.max(2), seed).unwrap();
        let us = uniformity(spread.view(), t).unwrap();
        prop_assert!(ua <= us && us < ui, "{ua} {us} {ui}");
    }
}

#[test]
fn sphere_points_unit_norm_and_isotropic() {
    let (n, d) = (20_000, 5);
    for seed in [0_u64, 1, 42] {
        let p = uniform_sphere_points::<f64>(n, d, seed).unwrap();
        assert!(p
            .rows()
            .into_iter()
            .all(|r| (r.dot(&r) - 1.0).abs() < 1e-12));
        // Each coordinate has mean 0 (sd 1/sqrt(n d) ≈ 0.003) and second moment 1/d.
        let mean = p.mean_axis(Axis(0)).unwrap();
        assert!(mean.iter().all(|m| m.abs() < 0.02), "mean {mean}");
        let second = p.mapv(|x| x * x).mean_axis(Axis(0)).unwrap();
        assert!(
            second.iter().all(|s| (s - 1.0 / d as f64).abs() < 0.02),
            "{second}"
        );
    }
}

#[test]
fn sphere_points_deterministic_and_precision_independent() {
    let a = uniform_sphere_points::<f64>(50, 4, 9).unwrap();
    assert_eq!(a, uniform_sphere_points::<f64>(50, 4, 9).unwrap());
    assert_ne!(a, uniform_sphere_points::<f64>(50, 4, 10).unwrap());
    let b = uniform_sphere_points::<f32>(50, 4, 9).unwrap();
    assert!(a.iter().zip(&b).all(|(x, &y)| (x - y as f64).abs() < 1e-5));
    assert!(uniform_sphere_points::<f64>(0, 3, 0).is_err());
    assert!(uniform_sphere_points::<f64>(3, 0, 0).is_err());
}

/// On S^2 a cap {⟨p, c⟩ > ε} has area share (1 − ε)/2 (Archimedes), which checks the sampler
/// and the coverage estimate together.
#[test]
fn single_centroid_cap_share_on_s2() {
    let p = uniform_sphere_points::<f64>(20_000, 3, 5).unwrap();
    let c = ndarray::array![[0.0, 0.0, 2.0]];
    for eps in [-0.5, 0.0, 0.3, 0.8] {
        let cov = coverage(c.view(), p.view(), eps).unwrap();
        assert!((cov - (1.0 - eps) / 2.0).abs() < 0.02, "eps {eps}: {cov}");
    }
}

/// The reference nearest centroid: the full N×K product with the normalised rows, then a
/// sequential first-maximum scan over the non-zero rows.
fn nearest_by_scan(c: &Array2<f64>, p: &Array2<f64>) -> Vec<Option<(usize, f64)>> {
    let (unit, norms) = normalize_rows(c.view());
    let scores = p.dot(&unit.t());
    scores
        .rows()
        .into_iter()
        .map(|row| {
            let mut best: Option<(usize, f64)> = None;
            for (k, &s) in row.iter().enumerate() {
                if norms[k] > 0.0 && best.is_none_or(|(_, b)| s > b) {
                    best = Some((k, s));
                }
            }
            best
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Nearest centroids and coverage equal the full-product scan exactly — zero rows, exact
    /// ties (duplicated rows go to the first) and point sets spanning several chunks.
    #[test]
    fn nearest_and_coverage_equal_a_sequential_scan(
        seed in any::<u64>(),
        zero_mask in proptest::collection::vec(any::<bool>(), 1..40),
        d in 1..12usize,
        n in prop_oneof![1..50usize, 2040..4200usize],
        eps in -0.5..0.9_f64,
    ) {
        let mut c = centroid_table(seed, &zero_mask, d);
        if c.nrows() > 2 {
            let first = c.row(0).to_owned();
            c.row_mut(2).assign(&first);
        }
        let p = uniform_sphere_points::<f64>(n, d, seed ^ 7).unwrap();
        let expected = nearest_by_scan(&c, &p);
        let got = nearest_centroids(c.view(), p.view()).unwrap();
        prop_assert_eq!(got, expected.iter().map(|b| b.map(|(k, _)| k)).collect::<Vec<_>>());
        let covered = expected.iter().filter(|b| b.is_some_and(|(_, s)| s > eps)).count();
        prop_assert_eq!(coverage(c.view(), p.view(), eps).unwrap(), covered as f64 / n as f64);
    }
}
