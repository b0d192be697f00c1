//! Balanced MSE (BMC / BNI / GAI): finite differences w.r.t. predictions and σ, hand values and
//! cross-checks between the variants.

use approx::assert_relative_eq;
use ndarray::{array, Array1};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward, BalancedMseOutput, BniPrior,
    GaussianMixture1d,
};
use srl_losses::LossError;
use srl_testkit::{central_difference, FdCheck};

type Loss<'a> = dyn Fn(
        &Array1<f64>,
        &Array1<f64>,
        f64,
        &mut Array1<f64>,
    ) -> Result<BalancedMseOutput<f64>, LossError>
    + 'a;

fn fd_check(loss: &Loss<'_>, pred: &Array1<f64>, target: &Array1<f64>, sigma: f64) {
    let mut g = Array1::zeros(pred.len());
    let out = loss(pred, target, sigma, &mut g).unwrap();
    let mut scratch = Array1::zeros(pred.len());
    let mut value = |p: &Array1<f64>, s: f64| loss(p, target, s, &mut scratch).unwrap().value;
    let h = 1e-6;
    FdCheck::new(h)
        .max_relative(1e-6)
        .epsilon(1e-9)
        .check(pred, &g, |p| value(p, sigma));
    // The 2σ² factor is detached: compare with the derivative of the raw loss value/(2σ²).
    let raw =
        |s: f64, value: &mut dyn FnMut(&Array1<f64>, f64) -> f64| value(pred, s) / (2.0 * s * s);
    let fd_raw = central_difference(|s| raw(s, &mut value), sigma, h);
    assert_relative_eq!(
        out.grad_sigma,
        2.0 * sigma * sigma * fd_raw,
        max_relative = 1e-6,
        epsilon = 1e-9
    );
}

fn random(rng: &mut ChaCha8Rng, n: usize, lo: f64, hi: f64) -> Array1<f64> {
    Array1::from_shape_fn(n, |_| rng.gen_range(lo..hi))
}

fn bmc(
    p: &Array1<f64>,
    t: &Array1<f64>,
    s: f64,
    g: &mut Array1<f64>,
) -> Result<BalancedMseOutput<f64>, LossError> {
    bmc_forward_backward(p.view(), t.view(), s, g.view_mut())
}

#[test]
fn bmc_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (b, sigma) in [(2, 1.0), (5, 0.7), (8, 3.0), (4, -1.5)] {
        let pred = random(&mut rng, b, -3.0, 3.0);
        let target = random(&mut rng, b, -3.0, 3.0);
        fd_check(&bmc, &pred, &target, sigma);
    }
    // Ties: all targets equal.
    fd_check(&bmc, &array![0.3, -1.2, 2.0], &array![1.0, 1.0, 1.0], 0.9);
}

#[test]
fn bmc_hand_value_for_two_samples() {
    let (p, t, s) = (array![0.0, 1.0], array![0.5, 2.0], 1.0_f64);
    let v = s * s;
    let l = |a: f64, b: f64| -(a - b) * (a - b) / (2.0 * v);
    let ce0 = -l(0.0, 0.5) + (l(0.0, 0.5).exp() + l(0.0, 2.0).exp()).ln();
    let ce1 = -l(1.0, 2.0) + (l(1.0, 0.5).exp() + l(1.0, 2.0).exp()).ln();
    let mut g = Array1::zeros(2);
    let out = bmc(&p, &t, s, &mut g).unwrap();
    assert_relative_eq!(out.value, 2.0 * v * (ce0 + ce1) / 2.0, max_relative = 1e-14);
    // Identical targets make every logit row uniform: CE = log B, no pull on predictions.
    let out = bmc(&array![0.0, 5.0], &array![1.0, 1.0], 2.0, &mut g).unwrap();
    assert_relative_eq!(out.value, 8.0 * 2.0_f64.ln(), max_relative = 1e-14);
    assert!(g.iter().all(|x| x.abs() < 1e-14));
}

#[test]
fn bni_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let prior = BniPrior::new(
        vec![0.0, 1.0, 2.0, 3.0, 4.0],
        vec![10.0, 0.0, 3.0, 1.0, 7.0],
    )
    .unwrap();
    let single = BniPrior::new(vec![2.0], vec![1.0]).unwrap();
    for p in [&prior, &single] {
        for (b, sigma) in [(1, 1.0), (6, 0.5), (3, 2.5)] {
            let pred = random(&mut rng, b, -1.0, 5.0);
            let target = random(&mut rng, b, -1.0, 5.0);
            let f = |a: &Array1<f64>, t: &Array1<f64>, s: f64, g: &mut Array1<f64>| {
                bni_forward_backward(a.view(), t.view(), s, p, g.view_mut())
            };
            fd_check(&f, &pred, &target, sigma);
        }
    }
}

#[test]
fn gai_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let gmm = GaussianMixture1d::new(
        vec![0.2, 0.5, 0.3],
        vec![-1.0, 1.0, 3.0],
        vec![0.5, 2.0, 0.0],
    )
    .unwrap();
    for (b, sigma) in [(1, 1.0), (6, 0.6), (4, 2.0)] {
        let pred = random(&mut rng, b, -2.0, 4.0);
        let target = random(&mut rng, b, -2.0, 4.0);
        let f = |a: &Array1<f64>, t: &Array1<f64>, s: f64, g: &mut Array1<f64>| {
            gai_forward_backward(a.view(), t.view(), s, &gmm, g.view_mut())
        };
        fd_check(&f, &pred, &target, sigma);
    }
}

#[test]
fn gai_with_one_point_mass_equals_bni_with_one_bucket() {
    let gmm = GaussianMixture1d::new(vec![1.0], vec![2.0], vec![0.0]).unwrap();
    let prior = BniPrior::new(vec![2.0], vec![4.0]).unwrap();
    let (p, t) = (array![0.5, 3.0, -1.0], array![1.0, 2.5, 0.0]);
    let (mut g1, mut g2) = (Array1::zeros(3), Array1::zeros(3));
    let a = gai_forward_backward(p.view(), t.view(), 1.3, &gmm, g1.view_mut()).unwrap();
    let b = bni_forward_backward(p.view(), t.view(), 1.3, &prior, g2.view_mut()).unwrap();
    assert_relative_eq!(a.value, b.value, max_relative = 1e-12);
    assert_relative_eq!(a.grad_sigma, b.grad_sigma, max_relative = 1e-10);
    for i in 0..3 {
        assert_relative_eq!(g1[i], g2[i], max_relative = 1e-12);
        // ((ŷ−y)² − (ŷ−c)²)/(2v)·2v/B → gradient 2((ŷ−y) − (ŷ−c))/B.
        assert_relative_eq!(
            g2[i],
            2.0 * ((p[i] - t[i]) - (p[i] - 2.0)) / 3.0,
            max_relative = 1e-12
        );
    }
}

#[test]
fn invalid_inputs_are_errors() {
    let mut g = Array1::zeros(2);
    assert!(matches!(
        bmc_forward_backward(
            array![1.0, 2.0].view(),
            array![1.0, 2.0].view(),
            0.0,
            g.view_mut()
        ),
        Err(LossError::InvalidParameter { name: "sigma", .. })
    ));
    assert!(matches!(
        bmc_forward_backward(
            array![1.0, 2.0].view(),
            array![1.0].view(),
            1.0,
            g.view_mut()
        ),
        Err(LossError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        bmc_forward_backward(
            array![1.0, f64::NAN].view(),
            array![1.0, 2.0].view(),
            1.0,
            g.view_mut()
        ),
        Err(LossError::NonFinite {
            what: "pred",
            index: 1
        })
    ));
    let mut e = Array1::<f64>::zeros(0);
    assert!(matches!(
        bmc_forward_backward(e.clone().view(), e.clone().view(), 1.0, e.view_mut()),
        Err(LossError::Empty { .. })
    ));
    assert!(BniPrior::new(vec![1.0], vec![0.0]).is_err());
    assert!(BniPrior::new(vec![1.0, 2.0], vec![1.0]).is_err());
    assert!(BniPrior::new(vec![1.0], vec![-1.0]).is_err());
    assert!(GaussianMixture1d::new(vec![], vec![], vec![]).is_err());
    assert!(GaussianMixture1d::new(vec![1.0], vec![0.0], vec![-1.0]).is_err());
    assert!(GaussianMixture1d::new(vec![0.0], vec![0.0], vec![1.0]).is_err());
}
