//! Finite-difference checks (f64, central differences) of every SRL backward pass.

mod srl_common;

use ndarray::{array, Array2};
use srl_common::{check_gradient, gaussian, surrogate_with_memory, unit_rows};
use srl_losses::{
    CentroidContrastiveLoss, EnvelopingLoss, HomogeneityForm, HomogeneityLoss, PointsPolicy,
    SrlConfig, SrlObjective, SrlParams, SrlWeights, SurrogateMode,
};
use srl_surrogate::{RowSource, Surrogate};

fn zero_rows(t: &mut Array2<f64>, rows: &[usize]) {
    for &r in rows {
        t.row_mut(r).fill(0.0);
    }
}

// ---------------------------------------------------------------- enveloping

fn check_enveloping(points: Array2<f64>, table: Array2<f64>, zero: &[usize]) {
    let mut env = EnvelopingLoss::new(points).unwrap();
    let mut grad = Array2::from_elem(table.raw_dim(), 0.25); // ADDS: start from an offset
    let scale = 1.7;
    let value = env
        .forward_backward(table.view(), grad.view_mut(), scale)
        .unwrap();
    grad -= 0.25;
    assert!(value.is_finite());
    let base = env.nearest_rows().to_vec();
    assert!(base.iter().all(|k| !zero.contains(k)), "a zero row won");
    for &r in zero {
        assert!(grad.row(r).iter().all(|&g| g == 0.0));
    }
    check_gradient(
        &table,
        &grad,
        |t| {
            let v = env.forward(t.view()).unwrap();
            (scale * v, env.nearest_rows() == base.as_slice())
        },
        |(r, _)| zero.contains(&r),
        0.2,
    );
}

#[test]
fn enveloping_gradient_random_table_with_zero_rows() {
    let mut table = gaussian(6, 5, 1);
    zero_rows(&mut table, &[1, 4]);
    check_enveloping(unit_rows(40, 5, 2), table, &[1, 4]);
}

#[test]
fn enveloping_gradient_duplicate_points_and_k2() {
    let mut points = unit_rows(20, 3, 3);
    for j in 0..10 {
        let row = points.row(j).to_owned();
        points.row_mut(j + 10).assign(&row);
    }
    check_enveloping(points, unit_rows(2, 3, 4), &[]);
}

#[test]
fn enveloping_single_valid_row_and_all_zero_table() {
    let mut table = gaussian(4, 3, 5);
    zero_rows(&mut table, &[0, 2, 3]);
    check_enveloping(unit_rows(25, 3, 6), table, &[0, 2, 3]);

    let mut env = EnvelopingLoss::new(unit_rows(10, 3, 7)).unwrap();
    let mut grad = Array2::zeros((4, 3));
    let v = env
        .forward_backward(Array2::zeros((4, 3)).view(), grad.view_mut(), 1.0)
        .unwrap();
    assert_eq!(v, 1.0);
    assert!(grad.iter().all(|&g| g == 0.0));
}

#[test]
fn enveloping_value_matches_definition() {
    let points = unit_rows(30, 4, 8);
    let table = unit_rows(5, 4, 9);
    let mut env = EnvelopingLoss::new(points.clone()).unwrap();
    let value = env.forward(table.view()).unwrap();
    let mut sum = 0.0;
    for p in points.rows() {
        sum += table
            .rows()
            .into_iter()
            .map(|c| c.dot(&p))
            .fold(f64::NEG_INFINITY, f64::max);
    }
    approx::assert_relative_eq!(value, 1.0 - sum / 30.0, epsilon = 1e-12);
}

// ---------------------------------------------------------------- homogeneity

fn check_homogeneity(form: HomogeneityForm, centres: Vec<f64>, table: Array2<f64>, zero: &[usize]) {
    let mut homo = HomogeneityLoss::new(form, centres).unwrap();
    let mut grad = Array2::from_elem(table.raw_dim(), -0.5);
    let scale = 0.8;
    homo.forward_backward(table.view(), grad.view_mut(), scale)
        .unwrap();
    grad += 0.5;
    for &r in zero {
        assert!(grad.row(r).iter().all(|&g| g == 0.0));
    }
    let mut scratch = Array2::zeros(table.raw_dim());
    check_gradient(
        &table,
        &grad,
        |t| {
            let v = homo
                .forward_backward(t.view(), scratch.view_mut(), 1.0)
                .unwrap();
            (scale * v, true)
        },
        |(r, _)| zero.contains(&r),
        0.0,
    );
}

const FORMS: [HomogeneityForm; 3] = [
    HomogeneityForm::Paper,
    HomogeneityForm::AuthorsCode { beta: 0.1 },
    HomogeneityForm::AuthorsCode { beta: 2.5 },
];

#[test]
fn homogeneity_gradient_non_uniform_centres_with_zero_rows() {
    for form in FORMS {
        let mut table = gaussian(7, 4, 10);
        zero_rows(&mut table, &[2, 6]);
        let centres = vec![-1.0, 0.5, 0.7, 2.0, 5.0, 5.5, 9.0];
        check_homogeneity(form, centres, table, &[2, 6]);
    }
}

#[test]
fn homogeneity_gradient_k2_and_unit_rows() {
    for form in FORMS {
        check_homogeneity(form, vec![0.0, 0.3], gaussian(2, 3, 11), &[]);
        check_homogeneity(form, vec![1.0, 2.0, 4.0, 8.0], unit_rows(4, 5, 12), &[]);
    }
}

#[test]
fn homogeneity_values_match_definitions() {
    let table = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.6, 0.8], [-0.6, 0.8]];
    let centres = vec![0.0, 2.0, 3.0, 4.0, 8.0];
    let mut paper = HomogeneityLoss::<f64>::new(HomogeneityForm::Paper, centres.clone()).unwrap();
    let mut g = Array2::zeros((5, 2));
    // valid pairs: (0,1) with Δ = 2 and (3,4) with Δ = 4; pairs with row 2 skipped
    let v = paper
        .forward_backward(table.view(), g.view_mut(), 1.0)
        .unwrap();
    approx::assert_relative_eq!(v, 2.0 / 2.0 + 1.44 / 4.0, epsilon = 1e-12);
    let mut code =
        HomogeneityLoss::<f64>::new(HomogeneityForm::AuthorsCode { beta: 0.5 }, centres).unwrap();
    let v = code
        .forward_backward(table.view(), g.view_mut(), 1.0)
        .unwrap();
    // s = (0, 0.28): −0.28 + 0.5·(0.14²)
    approx::assert_relative_eq!(v, -0.28 + 0.5 * 0.14 * 0.14, epsilon = 1e-12);
}

// ---------------------------------------------------------------- contrastive

fn check_contrastive(z: Array2<f64>, bins: &[usize], table: Array2<f64>, tau: f64) {
    let mut con = CentroidContrastiveLoss::new(tau).unwrap();
    let mut grad = Array2::from_elem(z.raw_dim(), 3.0);
    let scale = 1.3;
    con.forward_backward(z.view(), bins, table.view(), grad.view_mut(), scale)
        .unwrap();
    grad -= 3.0;
    let mut scratch = Array2::zeros(z.raw_dim());
    check_gradient(
        &z,
        &grad,
        |zz| {
            let v = con
                .forward_backward(zz.view(), bins, table.view(), scratch.view_mut(), 1.0)
                .unwrap();
            (scale * v, true)
        },
        |_| false,
        0.0,
    );
}

#[test]
fn contrastive_gradient_with_zero_rows_and_small_tau() {
    let mut table = unit_rows(5, 4, 13);
    zero_rows(&mut table, &[3]);
    check_contrastive(unit_rows(6, 4, 14), &[0, 1, 1, 4, 2, 0], table.clone(), 0.3);
    check_contrastive(gaussian(6, 4, 15), &[0, 0, 0, 0, 0, 0], table, 0.05);
}

#[test]
fn contrastive_gradient_k2_one_sample() {
    check_contrastive(unit_rows(1, 3, 16), &[1], unit_rows(2, 3, 17), 1.0);
}

#[test]
fn contrastive_value_matches_definition_and_is_stable() {
    let z = unit_rows(4, 3, 18);
    let table = unit_rows(3, 3, 19);
    let bins = [2, 0, 1, 2];
    let tau = 0.5;
    let mut con = CentroidContrastiveLoss::new(tau).unwrap();
    let mut g = Array2::zeros((4, 3));
    let v = con
        .forward_backward(z.view(), &bins, table.view(), g.view_mut(), 1.0)
        .unwrap();
    let mut expected = 0.0;
    for (zi, &b) in z.rows().into_iter().zip(&bins) {
        let logits: Vec<f64> = table.rows().into_iter().map(|c| c.dot(&zi) / tau).collect();
        let lse = logits.iter().map(|l| l.exp()).sum::<f64>().ln();
        expected += lse - logits[b];
    }
    approx::assert_relative_eq!(v, expected / 4.0, epsilon = 1e-12);
    // tiny τ: no overflow/underflow to inf or NaN, even in f32
    let mut con32 = CentroidContrastiveLoss::<f32>::new(1e-3).unwrap();
    let z32 = z.mapv(|v| v as f32);
    let t32 = table.mapv(|v| v as f32);
    let mut g32 = Array2::zeros((4, 3));
    let v32 = con32
        .forward_backward(z32.view(), &bins, t32.view(), g32.view_mut(), 1.0)
        .unwrap();
    assert!(v32.is_finite() && g32.iter().all(|g| g.is_finite()));
}

// ---------------------------------------------------------------- the full objective

fn config(k: usize, d: usize, centres: Vec<f64>, form: HomogeneityForm) -> SrlConfig {
    SrlConfig {
        seed: 21,
        ..SrlConfig::new(
            k,
            d,
            centres,
            SrlParams {
                weights: SrlWeights {
                    envelope: 1.3,
                    homogeneity: 0.7,
                    contrastive: 0.9,
                },
                tau: 0.5,
                num_points: 40,
                points_policy: PointsPolicy::Fixed,
                homogeneity: form,
                ..SrlParams::paper()
            },
        )
    }
}

/// FD check of ∂total/∂h for `SrlObjective`, skipping coordinates where an arg-max flips.
///
/// The contrastive term uses a stop-gradient table C̄, so the reference function rebuilds the
/// total from the public pieces with C̄ frozen at the base point in the contrastive term
/// (λ_e·L_env(C(h)) + λ_h·L_homo(C(h)) + λ_c·L_con(z(h), C̄)).
fn check_objective(config: SrlConfig, surrogate: &Surrogate<f64>, h: Array2<f64>, bins: &[usize]) {
    let mut srl = SrlObjective::<f64>::new(config.clone()).unwrap();
    let mut grad = Array2::from_elem(h.raw_dim(), 9.0); // evaluate_into OVERWRITES
    let parts = srl
        .evaluate_into(h.view(), bins, surrogate, grad.view_mut())
        .unwrap();
    let w = config.params.weights;
    let out = srl.evaluate(h.view(), bins, surrogate).unwrap();
    assert_eq!(out.grad_h, grad);
    assert_eq!(out.total, parts.total(&w));
    let base = srl.envelope().nearest_rows().to_vec();
    let frozen = srl.last_table().to_owned();

    let mut env = EnvelopingLoss::new(srl.envelope().points().to_owned()).unwrap();
    let mut homo =
        HomogeneityLoss::new(config.params.homogeneity, config.bin_centres.clone()).unwrap();
    let mut con = CentroidContrastiveLoss::new(config.params.tau).unwrap();
    let mut reference = |hh: &Array2<f64>| -> (f64, bool) {
        let z = srl_geometry::normalize_rows(hh.view()).0;
        let t = surrogate.complete(z.view(), bins).unwrap();
        let mut scratch_t = Array2::zeros(frozen.raw_dim());
        let mut scratch_z = Array2::zeros(z.raw_dim());
        let e = env.forward(t.table()).unwrap();
        let hv = homo
            .forward_backward(t.table(), scratch_t.view_mut(), 0.0)
            .unwrap();
        let c = con
            .forward_backward(z.view(), bins, frozen.view(), scratch_z.view_mut(), 0.0)
            .unwrap();
        let total = w.envelope * e + w.homogeneity * hv + w.contrastive * c;
        (total, env.nearest_rows() == base.as_slice())
    };
    let (at_base, _) = reference(&h);
    approx::assert_relative_eq!(at_base, out.total, epsilon = 1e-12, max_relative = 1e-12);
    check_gradient(&h, &grad, reference, |_| false, 0.2);
}

#[test]
fn objective_gradient_memory_and_never_seen_rows_both_forms() {
    // K = 7: present 0, 2, 5; memory 1, 3, 6; never seen 4.
    let s = surrogate_with_memory(7, 4, &[1, 2, 3, 6], 22);
    let h = gaussian(8, 4, 23).mapv(|v| 2.0 * v);
    let bins = [0, 2, 5, 5, 0, 2, 2, 5];
    let centres = vec![0.0, 0.5, 2.0, 2.2, 4.0, 7.0, 7.5];
    let t = s
        .complete(srl_geometry::normalize_rows(h.view()).0.view(), &bins)
        .unwrap();
    assert_eq!(t.source(1), RowSource::Memory);
    assert_eq!(t.source(4), RowSource::Unseen);
    for form in FORMS {
        check_objective(config(7, 4, centres.clone(), form), &s, h.clone(), &bins);
    }
}

#[test]
fn objective_gradient_single_present_bin_without_memory() {
    let s = surrogate_with_memory(4, 3, &[], 0);
    let h = gaussian(5, 3, 24);
    for form in FORMS {
        check_objective(
            config(4, 3, vec![0.0, 1.0, 2.0, 3.0], form),
            &s,
            h.clone(),
            &[2; 5],
        );
    }
}

#[test]
fn objective_gradient_one_sample_per_bin() {
    let s = surrogate_with_memory(5, 4, &[0, 1, 2, 3, 4], 25);
    let h = gaussian(5, 4, 26);
    for form in FORMS {
        let centres = vec![0.0, 0.1, 1.0, 1.5, 10.0];
        check_objective(config(5, 4, centres, form), &s, h.clone(), &[3, 0, 4, 1, 2]);
    }
}

#[test]
fn objective_gradient_k2_and_duplicate_samples() {
    let s = surrogate_with_memory(2, 3, &[1], 27);
    let mut h = gaussian(4, 3, 28);
    let first = h.row(0).to_owned();
    h.row_mut(2).assign(&first);
    for form in FORMS {
        check_objective(
            config(2, 3, vec![-1.0, 1.0], form),
            &s,
            h.clone(),
            &[0, 1, 0, 0],
        );
    }
}

#[test]
fn objective_gradient_authors_code_weights() {
    let s = surrogate_with_memory(6, 8, &[0, 1, 2, 3], 29);
    let h = gaussian(10, 8, 30);
    let bins = [0, 1, 4, 4, 5, 0, 1, 1, 4, 5];
    let mut c = SrlConfig::authors_code(6, 8, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    c.params.num_points = 60;
    check_objective(c, &s, h, &bins);
}

#[test]
fn zero_feature_rows_give_zero_gradient_not_nan() {
    let s = surrogate_with_memory(3, 3, &[0], 31);
    let mut h = gaussian(4, 3, 32);
    h.row_mut(1).fill(0.0);
    let mut srl =
        SrlObjective::<f64>::new(config(3, 3, vec![0.0, 1.0, 2.0], HomogeneityForm::Paper))
            .unwrap();
    let out = srl.evaluate(h.view(), &[1, 1, 2, 0], &s).unwrap();
    assert!(out.total.is_finite());
    assert!(out.grad_h.iter().all(|g| g.is_finite()));
    assert!(out.grad_h.row(1).iter().all(|&g| g == 0.0));
}

#[test]
fn enveloping_blocks_of_points_match_a_naive_scan() {
    // K = 5000 forces blocks of 64 points: 200 points = 3 full blocks + a partial one.
    let (k, n, d) = (5000, 200, 3);
    let mut table = gaussian(k, d, 40);
    zero_rows(&mut table, &[0, 17, 4999]);
    let points = unit_rows(n, d, 41);
    let mut env = EnvelopingLoss::new(points.clone()).unwrap();
    let mut grad = Array2::zeros((k, d));
    let value = env
        .forward_backward(table.view(), grad.view_mut(), 2.0)
        .unwrap();
    let mut expected_grad = Array2::<f64>::zeros((k, d));
    let mut sum = 0.0;
    for (j, p) in points.rows().into_iter().enumerate() {
        let (mut best, mut best_k) = (f64::NEG_INFINITY, usize::MAX);
        for (kk, c) in table.rows().into_iter().enumerate() {
            let s = c.dot(&p);
            if ![0, 17, 4999].contains(&kk) && s > best {
                best = s;
                best_k = kk;
            }
        }
        assert_eq!(env.nearest_rows()[j], best_k);
        sum += best;
        expected_grad
            .row_mut(best_k)
            .scaled_add(-2.0 / n as f64, &p);
    }
    approx::assert_relative_eq!(value, 1.0 - sum / n as f64, epsilon = 1e-12);
    approx::assert_abs_diff_eq!(grad, expected_grad, epsilon = 1e-12);
}

// ------------------------------------------------- the batch-only ablation (no surrogate)

/// FD check of [`SurrogateMode::BatchOnly`]: the losses on the compact table of the present
/// bins only (memory ignored), with the contrastive table frozen at the base point.
fn check_batch_only(config: SrlConfig, memory: &Surrogate<f64>, h: Array2<f64>, bins: &[usize]) {
    let mut cfg = config;
    cfg.params.surrogate = SurrogateMode::BatchOnly;
    let (k, d) = (cfg.num_bins, cfg.dim);
    let empty = Surrogate::<f64>::new(srl_surrogate::SurrogateConfig::new(k, d)).unwrap();
    let mut srl = SrlObjective::<f64>::new(cfg.clone()).unwrap();
    let out = srl.evaluate(h.view(), bins, memory).unwrap();
    // The memory is not read: the same result with an empty one.
    let again = SrlObjective::<f64>::new(cfg.clone())
        .unwrap()
        .evaluate(h.view(), bins, &empty)
        .unwrap();
    assert_eq!(out, again);
    let w = cfg.params.weights;
    let points = srl.envelope().points().to_owned();
    let compact_of = |hh: &Array2<f64>| {
        let z = srl_geometry::normalize_rows(hh.view()).0;
        let t = empty.complete(z.view(), bins).unwrap();
        let present = t.present_bins().to_vec();
        let table = t.table().select(ndarray::Axis(0), &present);
        (z, present, table)
    };
    let (_, present, frozen) = compact_of(&h);
    let remapped: Vec<usize> = bins
        .iter()
        .map(|b| present.iter().position(|p| p == b).unwrap())
        .collect();
    let centres: Vec<f64> = present.iter().map(|&p| cfg.bin_centres[p]).collect();
    let mut env = EnvelopingLoss::new(points).unwrap();
    let mut con = CentroidContrastiveLoss::new(cfg.params.tau).unwrap();
    let mut base: Option<Vec<usize>> = None;
    let mut reference = |hh: &Array2<f64>| -> (f64, bool) {
        let (z, _, table) = compact_of(hh);
        let e = env.forward(table.view()).unwrap();
        let hv = if present.len() >= 2 {
            let mut scratch = Array2::zeros(table.raw_dim());
            HomogeneityLoss::new(cfg.params.homogeneity, centres.clone())
                .unwrap()
                .forward_backward(table.view(), scratch.view_mut(), 0.0)
                .unwrap()
        } else {
            0.0
        };
        let mut scratch_z = Array2::zeros(z.raw_dim());
        let c = con
            .forward_backward(
                z.view(),
                &remapped,
                frozen.view(),
                scratch_z.view_mut(),
                0.0,
            )
            .unwrap();
        let nearest = env.nearest_rows().to_vec();
        let same = base.get_or_insert_with(|| nearest.clone()) == &nearest;
        (
            w.envelope * e + w.homogeneity * hv + w.contrastive * c,
            same,
        )
    };
    let (at_base, _) = reference(&h);
    approx::assert_relative_eq!(at_base, out.total, epsilon = 1e-12, max_relative = 1e-12);
    check_gradient(&h, &out.grad_h, reference, |_| false, 0.2);
}

#[test]
fn batch_only_gradient_with_gaps_memory_ignored_both_forms() {
    // K = 7: present 0, 2, 5 (gaps between them); the memory (1, 3, 6) must be ignored.
    let s = surrogate_with_memory(7, 4, &[1, 2, 3, 6], 40);
    let h = gaussian(8, 4, 41).mapv(|v| 2.0 * v);
    let bins = [0, 2, 5, 5, 0, 2, 2, 5];
    let centres = vec![0.0, 0.5, 2.0, 2.2, 4.0, 7.0, 7.5];
    for form in FORMS {
        check_batch_only(config(7, 4, centres.clone(), form), &s, h.clone(), &bins);
    }
}

#[test]
fn batch_only_gradient_one_present_bin_and_one_sample_per_bin() {
    let s = surrogate_with_memory(4, 3, &[0, 1, 3], 42);
    for form in FORMS {
        check_batch_only(
            config(4, 3, vec![0.0, 1.0, 2.0, 3.0], form),
            &s,
            gaussian(5, 3, 43),
            &[2; 5],
        );
        check_batch_only(
            config(4, 3, vec![0.0, 1.0, 2.0, 3.0], form),
            &s,
            gaussian(4, 3, 44),
            &[3, 0, 1, 2],
        );
    }
}

#[test]
fn batch_only_objective_reused_across_batches_matches_a_fresh_one() {
    // One objective over batches whose present bins differ (5, 2, 1 and 7 bins, in that order:
    // the restricted L_homo shrinks and grows) gives what a new objective gives on each batch.
    let centres = vec![0.0, 0.5, 2.0, 2.2, 4.0, 7.0, 7.5];
    let empty = Surrogate::<f64>::new(srl_surrogate::SurrogateConfig::new(7, 4)).unwrap();
    let batches: [&[usize]; 4] = [
        &[0, 2, 3, 5, 6, 0],
        &[4, 1, 4, 1],
        &[3, 3, 3],
        &[0, 1, 2, 3, 4, 5, 6],
    ];
    for form in FORMS {
        let mut cfg = config(7, 4, centres.clone(), form);
        cfg.params.surrogate = SurrogateMode::BatchOnly;
        let mut reused = SrlObjective::<f64>::new(cfg.clone()).unwrap();
        for (i, bins) in batches.iter().enumerate() {
            let h = gaussian(bins.len(), 4, 60 + i as u64);
            let a = reused.evaluate(h.view(), bins, &empty).unwrap();
            let b = SrlObjective::<f64>::new(cfg.clone())
                .unwrap()
                .evaluate(h.view(), bins, &empty)
                .unwrap();
            assert_eq!(a, b, "batch {i}, {form:?}");
        }
    }
}
