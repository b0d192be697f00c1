//! Seeded synthetic inputs shared by the test files.
#![allow(dead_code)]

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_resample::FeatureLayout;

/// A data set: `n` rows, `d` continuous columns followed (if `cats > 0`) by one one-hot group
/// of `cats` columns; targets skewed (exponential-like), φ rising with y so the top tail is
/// rare; with `two_tails` the bottom tail is rare too.
pub struct Data {
    pub x: Array2<f64>,
    pub y: Vec<f64>,
    pub phi: Vec<f64>,
    pub layout: FeatureLayout,
}

pub fn data(n: usize, d: usize, cats: usize, seed: u64, two_tails: bool) -> Data {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let width = d + cats;
    let mut x = Array2::zeros((n, width));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = 0.0;
        for j in 0..d {
            let v: f64 = r.gen_range(-2.0..2.0);
            x[[i, j]] = v;
            s += v;
        }
        if cats > 0 {
            let c = r.gen_range(0..cats);
            x[[i, d + c]] = 1.0;
        }
        let u: f64 = r.gen_range(0.0..1.0);
        y.push(-(1.0 - u).ln() + 0.1 * s);
    }
    let mut sorted = y.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| sorted[((n - 1) as f64 * p) as usize];
    let (lo, hi) = (q(0.1), q(0.8));
    let phi = y
        .iter()
        .map(|&t| {
            if t >= hi {
                1.0
            } else if two_tails && t <= lo {
                0.9
            } else {
                0.2 * (t - sorted[0]) / (hi - sorted[0])
            }
        })
        .collect();
    let layout = if cats > 0 {
        FeatureLayout::with_nominal(width, std::iter::once(d..width)).unwrap()
    } else {
        FeatureLayout::continuous(width)
    };
    Data { x, y, phi, layout }
}
