//! RankSim: hand-computed cases, properties of the blackbox gradient, subsampling.

use approx::assert_relative_eq;
use ndarray::{array, Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::ranksim::{
    rank_normalised, true_ranker_backward, unique_label_subsample, RankSim,
};
use srl_losses::LossError;

fn circle(angles: &[f64]) -> Array2<f64> {
    Array2::from_shape_fn((angles.len(), 2), |(i, j)| {
        if j == 0 {
            angles[i].cos()
        } else {
            angles[i].sin()
        }
    })
}

#[test]
fn ranks_and_ties() {
    let mut r = [0.0; 5];
    rank_normalised(&[3.0_f64, 1.0, 3.0, 2.0, 3.0], &mut r);
    // Descending with ties: larger index first among the 3.0s (indices 4, 2, 0).
    assert_eq!(r, [0.6, 1.0, 0.4, 0.8, 0.2]);
}

#[test]
fn hand_computed_three_point_loss_and_gradient_rows() {
    // Angles 0, 1.0, 0.2 with labels 0, 1, 2: anchor 0 has similarity order (0, 2, 1) while
    // label order is (0, 1, 2).
    let h = circle(&[0.0, 1.0, 0.2]);
    let y = array![0.0, 1.0, 2.0];
    let rs = RankSim::new(2.0).unwrap();
    let mut g = Array2::zeros((3, 2));
    let loss = rs
        .forward_backward(h.view(), y.view(), g.view_mut())
        .unwrap();
    // anchor 0: r_z = [1/3, 1, 2/3], r_y = [1/3, 2/3, 1] → (1/9 + 1/9)/3
    // anchor 1: sims to (0, 1, 2) = cos1, 1, cos0.8 → r_z = [1, 1/3, 2/3];
    //           label distances (1, 0, 1), tie → larger index first: r_y = [1, 1/3, 2/3] → 0
    // anchor 2: sims cos0.2, cos0.8, 1 → r_z = [2/3, 1, 1/3]; distances (2, 1, 0) → r_y = [1, 2/3, 1/3]
    //           → (1/9 + 1/9)/3
    assert_relative_eq!(loss, 4.0 / 27.0, max_relative = 1e-12);
    assert!(g.iter().any(|v| v.abs() > 1e-6));
}

#[test]
fn blackbox_backward_by_hand() {
    let seq = [0.5_f64, 0.2, 0.9];
    let mut r = [0.0; 3];
    rank_normalised(&seq, &mut r); // [2/3, 1, 1/3]
    let mut g = [0.0; 3];
    // λ = 1, upstream (1, −1, 0): perturbed (1.5, −0.8, 0.9) → ranks (1/3, 1, 2/3).
    true_ranker_backward(&seq, &r, &[1.0, -1.0, 0.0], 1.0, &mut g);
    let d = 1.0 + 1e-8;
    assert_relative_eq!(g[0], -(2.0 / 3.0 - 1.0 / 3.0) / d, max_relative = 1e-12);
    assert_eq!(g[1], 0.0);
    assert_relative_eq!(g[2], -(1.0 / 3.0 - 2.0 / 3.0) / d, max_relative = 1e-12);
    // A tiny λ that changes no rank gives a zero gradient.
    true_ranker_backward(&seq, &r, &[1.0, -1.0, 0.0], 1e-3, &mut g);
    assert_eq!(g, [0.0; 3]);
}

#[test]
fn zero_loss_and_zero_gradient_when_orders_match() {
    let y = [0.0, 1.0, 3.0, 7.0, 12.0];
    let angles: Vec<f64> = y.iter().map(|v| 0.1 * v).collect();
    let h = circle(&angles) * 3.0;
    let mut g = Array2::from_elem((5, 2), 9.0);
    let rs = RankSim::new(2.0).unwrap();
    let loss = rs
        .forward_backward(h.view(), Array1::from(y.to_vec()).view(), g.view_mut())
        .unwrap();
    assert_eq!(loss, 0.0);
    assert!(g.iter().all(|&v| v == 0.0));
}

#[test]
fn descent_along_the_blackbox_gradient_lowers_the_loss() {
    let rs = RankSim::new(2.0).unwrap();
    for seed in 0..5 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = Array2::from_shape_fn((8, 4), |_| rng.gen_range(-1.0..1.0));
        let y = Array1::from_shape_fn(8, |i| i as f64 * 1.5);
        let mut g = Array2::zeros((8, 4));
        let start = rs
            .forward_backward(h.view(), y.view(), g.view_mut())
            .unwrap();
        let mut x = h.clone();
        for _ in 0..200 {
            rs.forward_backward(x.view(), y.view(), g.view_mut())
                .unwrap();
            x = &x - &(&g * 0.05);
        }
        let end = rs
            .forward_backward(x.view(), y.view(), g.view_mut())
            .unwrap();
        assert!(
            start > 0.0 && end < 0.5 * start,
            "seed {seed}: {start} → {end}"
        );
    }
}

#[test]
fn unique_label_subsample_keeps_one_per_label() {
    let y = array![2.0, 5.0, 2.0, 1.0, 5.0, 5.0];
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut seen_second_two = false;
    for _ in 0..50 {
        let idx = unique_label_subsample(y.view(), &mut rng).unwrap();
        let labels: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
        assert_eq!(labels, vec![1.0, 2.0, 5.0]);
        seen_second_two |= idx[1] == 2;
    }
    assert!(
        seen_second_two,
        "the choice among equal labels must be random"
    );
    assert!(unique_label_subsample(array![1.0, f64::NAN].view(), &mut rng).is_err());
    assert!(
        unique_label_subsample(Array1::<f64>::zeros(0).view(), &mut rng)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn invalid_inputs_are_errors() {
    assert!(matches!(
        RankSim::new(0.0),
        Err(LossError::InvalidParameter { name: "lambda", .. })
    ));
    let rs = RankSim::new(2.0).unwrap();
    let h = array![[1.0, 0.0], [0.0, 1.0]];
    let mut g = Array2::zeros((2, 2));
    assert!(rs
        .forward_backward(h.view(), array![1.0].view(), g.view_mut())
        .is_err());
    assert!(rs
        .forward_backward(
            array![[1.0, f64::NAN], [0.0, 1.0]].view(),
            array![1.0, 2.0].view(),
            g.view_mut()
        )
        .is_err());
    // One sample: loss 0, finite; a zero feature row stays finite.
    let mut g1 = Array2::zeros((1, 2));
    assert_eq!(
        rs.forward_backward(array![[0.0, 0.0]].view(), array![1.0].view(), g1.view_mut())
            .unwrap(),
        0.0
    );
}
