//! RankSim's blackbox gradient is a descent direction: plain gradient steps on the features
//! drive the RankSim loss of a fixed batch from random-ranking level (≈ M/6) to near 0.

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use srl_losses::baselines::ranksim::RankSim;

#[test]
fn descending_along_the_blackbox_gradient_orders_the_similarities() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let (m, d) = (64, 10);
    let mut h = Array2::from_shape_fn((m, d), |_| rng.gen_range(0.0..1.0f64));
    let y = Array1::from_shape_fn(m, |_| rng.gen_range(-2.0..2.0f64));
    let rs = RankSim::new(2.0).unwrap();
    let mut g = Array2::zeros((m, d));
    let first = rs
        .forward_backward(h.view(), y.view(), g.view_mut())
        .unwrap();
    assert!(first > 5.0, "random features should rank badly: {first}");
    for _ in 0..400 {
        rs.forward_backward(h.view(), y.view(), g.view_mut())
            .unwrap();
        h.scaled_add(-0.5, &g);
    }
    let last = rs
        .forward_backward(h.view(), y.view(), g.view_mut())
        .unwrap();
    assert!(last < 0.05 * first, "RankSim loss {first} -> {last}");
}
