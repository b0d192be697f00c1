//! Every loss through burn's autodiff (f64 on the Flex backend) against the native ndarray
//! path of `srl-losses` and against central finite differences, with the gradient taken at
//! the parameters of a small burn `Linear` encoder.

use burn::backend::{Autodiff, Flex};
use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Tensor, TensorData};
use ndarray::{Array1, Array2, Axis};
use srl_burn::{
    BalancedMseKind, BalancedMseLoss, ConrLoss, OrdinalEntropyLoss, RankSimLoss, RncLoss, SrlLoss,
};
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward, BniPrior, GaussianMixture1d,
};
use srl_losses::baselines::conr::{ConR, ConrConfig};
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::baselines::ranksim::RankSim;
use srl_losses::baselines::rnc::RankNContrast;
use srl_losses::{SrlConfig, SrlObjective, SrlParams};
use srl_surrogate::Surrogate;
use srl_testkit::random::{gaussian_matrix, gaussian_vector};
use srl_testkit::FdCheck;

type B = Autodiff<Flex>;

const M: usize = 9; // batch
const P: usize = 4; // input dim
const D: usize = 3; // feature dim

fn device() -> burn::tensor::Device<B> {
    Default::default()
}

fn tensor2(a: &Array2<f64>) -> Tensor<B, 2> {
    let data = TensorData::new(
        a.iter().copied().collect::<Vec<_>>(),
        [a.nrows(), a.ncols()],
    );
    Tensor::from_data(data, (&device(), DType::F64))
}

fn tensor1(a: &Array1<f64>) -> Tensor<B, 1> {
    Tensor::from_data(
        TensorData::new(a.to_vec(), [a.len()]),
        (&device(), DType::F64),
    )
}

fn host2<A: Backend>(t: Tensor<A, 2>) -> Array2<f64> {
    let [m, d] = t.dims();
    Array2::from_shape_vec((m, d), t.into_data().to_vec::<f64>().unwrap()).unwrap()
}

fn host1<A: Backend>(t: Tensor<A, 1>) -> Array1<f64> {
    Array1::from(t.into_data().to_vec::<f64>().unwrap())
}

/// A burn `Linear` (P → out) in f64 with the given weight (P×out) and bias.
fn linear(w: &Array2<f64>, b: &Array1<f64>) -> Linear<B> {
    let mut l: Linear<B> = LinearConfig::new(w.nrows(), w.ncols()).init(&device());
    l.weight = Param::from_tensor(tensor2(w).require_grad());
    l.bias = Some(Param::from_tensor(tensor1(b).require_grad()));
    l
}

/// The encoder's parameters and input.
struct Case {
    x: Array2<f64>,
    w: Array2<f64>,
    b: Array1<f64>,
}

impl Case {
    fn new(out: usize, seed: u64) -> Self {
        Case {
            x: gaussian_matrix(M, P, seed),
            w: gaussian_matrix(P, out, seed + 1),
            b: gaussian_vector(out, seed + 2),
        }
    }

    /// h = x·W + b on the host.
    fn h(&self, w: &Array2<f64>, b: &Array1<f64>) -> Array2<f64> {
        self.x.dot(w) + b
    }

    /// Loss value and (∂/∂W, ∂/∂b) through burn: `loss_fn` maps the encoder output to the loss.
    fn burn(
        &self,
        loss_fn: impl FnOnce(Tensor<B, 2>) -> Tensor<B, 1>,
    ) -> (f64, Array2<f64>, Array1<f64>) {
        let enc = linear(&self.w, &self.b);
        let h = enc.forward(tensor2(&self.x));
        let loss = loss_fn(h);
        let value = host1(loss.clone())[0];
        let grads = loss.backward();
        let gw = host2(enc.weight.val().grad(&grads).unwrap());
        let gb = host1(enc.bias.as_ref().unwrap().val().grad(&grads).unwrap());
        (value, gw, gb)
    }

    /// (∂/∂W, ∂/∂b) of the native path from ∂L/∂h: xᵀ·G and the column sums of G.
    fn native(&self, grad_h: &Array2<f64>) -> (Array2<f64>, Array1<f64>) {
        (self.x.t().dot(grad_h), grad_h.sum_axis(Axis(0)))
    }
}

fn assert_close(what: &str, a: &[f64], b: &[f64], rel: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-12);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= rel * scale,
            "{what}[{i}]: burn {x} vs native {y} (rel. tol. {rel} of {scale})"
        );
    }
}

/// Compares burn with the native path and checks the burn gradient at W and b against central
/// differences of `value(W, b)`.
fn check_all(
    case: &Case,
    burn: (f64, Array2<f64>, Array1<f64>),
    native_value: f64,
    native_grad_h: &Array2<f64>,
    mut value: impl FnMut(&Array2<f64>, &Array1<f64>) -> f64,
    fd_rel: f64,
) {
    let (v, gw, gb) = burn;
    assert!(
        gw.iter().any(|g| g.abs() > 1e-6),
        "a trivial gradient checks nothing"
    );
    let (nw, nb) = case.native(native_grad_h);
    assert_close("value", &[v], &[native_value], 1e-12);
    assert_close(
        "grad W",
        gw.as_slice().unwrap(),
        nw.as_slice().unwrap(),
        1e-10,
    );
    assert_close(
        "grad b",
        gb.as_slice().unwrap(),
        nb.as_slice().unwrap(),
        1e-10,
    );
    let check = FdCheck::new(1e-6).max_relative(fd_rel).epsilon(1e-7);
    check.check(&case.w, &gw, |w| value(w, &case.b));
    check.check(&case.b, &gb, |b| value(&case.w, b));
}

// Six bins: 2 and 4 absent from the batch, 1 and 5 with one sample; bin 2 is in the memory,
// bin 4 was never seen (zero row).
const BINS: [usize; M] = [0, 0, 0, 1, 3, 3, 3, 3, 5];
const K: usize = 6;

fn srl_params(contrastive: f64) -> SrlParams {
    let mut p = SrlParams::tabular();
    p.num_points = 200;
    p.weights.homogeneity = 0.1;
    p.weights.contrastive = contrastive;
    p
}

fn srl_config(contrastive: f64) -> SrlConfig {
    SrlConfig::new(
        K,
        D,
        (0..K).map(|k| k as f64 * 0.5).collect(),
        srl_params(contrastive),
    )
}

/// A memory after one epoch that saw bins 0–3 and 5 (not 4), as `SrlLoss` and as a native
/// `Surrogate`.
fn srl_pair(contrastive: f64) -> (SrlLoss<B, f64>, Surrogate<f64>) {
    let mut loss = SrlLoss::<B, f64>::new(srl_config(contrastive)).unwrap();
    let warm = gaussian_matrix(6, D, 99);
    let warm_bins = [0, 1, 2, 3, 5, 2];
    loss.forward(tensor2(&warm), &warm_bins).unwrap();
    loss.end_epoch().unwrap();
    assert!(loss.is_active());
    let memory = loss.memory().clone();
    (loss, memory)
}

#[test]
fn srl_matches_native_and_finite_differences() {
    for (seed, contrastive) in [(1, 0.0), (5, 0.0), (9, 0.3)] {
        let case = Case::new(D, seed);
        let (mut loss, memory) = srl_pair(contrastive);
        let burn = case.burn(|h| loss.forward(h, &BINS).unwrap());
        let mut native = SrlObjective::<f64>::new(srl_config(contrastive)).unwrap();
        let out = native
            .evaluate(case.h(&case.w, &case.b).view(), &BINS, &memory)
            .unwrap();
        let mut fd = SrlObjective::<f64>::new(srl_config(contrastive)).unwrap();
        let value = |w: &Array2<f64>, b: &Array1<f64>| {
            fd.evaluate(case.h(w, b).view(), &BINS, &memory)
                .unwrap()
                .total
        };
        if contrastive == 0.0 {
            check_all(&case, burn, out.total, &out.grad_h, value, 1e-5);
        } else {
            // L_con differentiates through z only (stop-gradient table): compare with the
            // native path, and with differences of the other two terms plus the contrastive
            // gradient, which is FD-checked by srl-losses' own tests.
            let (v, gw, gb) = burn;
            let (nw, nb) = case.native(&out.grad_h);
            assert_close("value", &[v], &[out.total], 1e-12);
            assert_close(
                "grad W",
                gw.as_slice().unwrap(),
                nw.as_slice().unwrap(),
                1e-10,
            );
            assert_close(
                "grad b",
                gb.as_slice().unwrap(),
                nb.as_slice().unwrap(),
                1e-10,
            );
        }
    }
}

#[test]
fn srl_warmup_is_zero_and_memory_still_learns() {
    let mut loss = SrlLoss::<B, f64>::new(srl_config(0.03)).unwrap();
    let case = Case::new(D, 3);
    let (v, gw, _) = case.burn(|h| loss.forward(h, &BINS).unwrap());
    assert_eq!(v, 0.0);
    assert!(gw.iter().all(|&g| g == 0.0));
    assert_eq!(loss.memory().pending_counts().iter().sum::<usize>(), M);
}

fn labels(seed: u64) -> Array1<f64> {
    // Duplicated labels on purpose (ties in the rankings, one-sample and multi-sample labels).
    gaussian_vector::<f64>(M, seed).mapv(|v| (v * 2.0).round() / 2.0)
}

#[test]
fn ranksim_matches_native_and_finite_differences() {
    let case = Case::new(D, 11);
    let y = labels(12);
    let loss = RankSimLoss::<f64>::new(RankSim::new(2.0).unwrap());
    let burn = case.burn(|h| loss.forward(h, tensor1(&y)).unwrap());
    let native = RankSim::new(2.0).unwrap();
    let mut g = Array2::zeros((M, D));
    let v = native
        .forward_backward(case.h(&case.w, &case.b).view(), y.view(), g.view_mut())
        .unwrap();
    // RankSim's gradient is the blackbox-combinatorial one (piecewise-constant loss): no FD.
    let (bv, gw, gb) = burn;
    let (nw, nb) = case.native(&g);
    assert_close("value", &[bv], &[v], 1e-12);
    assert_close(
        "grad W",
        gw.as_slice().unwrap(),
        nw.as_slice().unwrap(),
        1e-10,
    );
    assert_close(
        "grad b",
        gb.as_slice().unwrap(),
        nb.as_slice().unwrap(),
        1e-10,
    );
}

#[test]
fn conr_matches_native_and_finite_differences() {
    let case = Case::new(D, 21);
    let y = labels(22);
    let pred = &y + &gaussian_vector::<f64>(M, 23).mapv(|v| 0.3 * v);
    let weights = gaussian_vector::<f64>(M, 24).mapv(|v| v.abs() + 0.1);
    let conr = ConR::new(ConrConfig::default()).unwrap();
    let loss = ConrLoss::<f64>::new(conr);
    let burn = case.burn(|h| {
        loss.forward(h, tensor1(&y), tensor1(&pred), Some(tensor1(&weights)))
            .unwrap()
    });
    let mut g = Array2::zeros((M, D));
    let run = |h: &Array2<f64>, g: &mut Array2<f64>| {
        conr.forward_backward(
            h.view(),
            y.view(),
            pred.view(),
            Some(weights.view()),
            g.view_mut(),
        )
        .unwrap()
        .value
    };
    let v = run(&case.h(&case.w, &case.b), &mut g);
    let mut scratch = Array2::zeros((M, D));
    check_all(
        &case,
        burn,
        v,
        &g,
        |w, b| run(&case.h(w, b), &mut scratch),
        1e-5,
    );
}

#[test]
fn ordinal_entropy_matches_native_and_finite_differences() {
    let case = Case::new(D, 31);
    let y = labels(32);
    let oe = OrdinalEntropy::new(1.0, 0.5).unwrap();
    let loss = OrdinalEntropyLoss::<f64>::new(oe);
    let burn = case.burn(|h| loss.forward(h, tensor1(&y)).unwrap());
    let run = |h: &Array2<f64>, g: &mut Array2<f64>| {
        oe.forward_backward(h.view(), y.view(), g.view_mut())
            .unwrap()
            .value
    };
    let mut g = Array2::zeros((M, D));
    let v = run(&case.h(&case.w, &case.b), &mut g);
    let mut scratch = Array2::zeros((M, D));
    check_all(
        &case,
        burn,
        v,
        &g,
        |w, b| run(&case.h(w, b), &mut scratch),
        1e-5,
    );
}

#[test]
fn rnc_matches_native_and_finite_differences() {
    let case = Case::new(D, 41);
    let y = labels(42);
    let rnc = RankNContrast::new(2.0).unwrap();
    let loss = RncLoss::<f64>::new(rnc);
    let burn = case.burn(|h| loss.forward(h, tensor1(&y)).unwrap());
    let run = |h: &Array2<f64>, g: &mut Array2<f64>| {
        rnc.forward_backward(h.view(), y.view(), g.view_mut())
            .unwrap()
    };
    let mut g = Array2::zeros((M, D));
    let v = run(&case.h(&case.w, &case.b), &mut g);
    let mut scratch = Array2::zeros((M, D));
    check_all(
        &case,
        burn,
        v,
        &g,
        |w, b| run(&case.h(w, b), &mut scratch),
        1e-5,
    );
}

#[test]
fn balanced_mse_matches_native_and_finite_differences() {
    let kinds = [
        BalancedMseKind::Bmc,
        BalancedMseKind::Bni(
            BniPrior::new(vec![-1.0, 0.0, 1.0, 2.0], vec![1.0, 4.0, 2.0, 0.5]).unwrap(),
        ),
        BalancedMseKind::Gai(
            GaussianMixture1d::new(vec![0.3, 0.7], vec![-0.5, 1.0], vec![0.5, 2.0]).unwrap(),
        ),
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let case = Case::new(1, 51 + i as u64);
        let y = labels(60 + i as u64);
        let sigma0 = 0.8;
        let sigma_t = tensor1(&Array1::from(vec![sigma0])).require_grad();
        let loss = BalancedMseLoss::<B>::from_sigma(kind.clone(), sigma_t);
        let enc = linear(&case.w, &case.b);
        let pred = enc.forward(tensor2(&case.x)).reshape([M]);
        let out = loss.forward::<f64>(pred, tensor1(&y)).unwrap();
        let bv = host1(out.clone())[0];
        let grads = out.backward();
        let gw = host2(enc.weight.val().grad(&grads).unwrap());
        let gb = host1(enc.bias.as_ref().unwrap().val().grad(&grads).unwrap());
        let gs = host1(loss.sigma.val().grad(&grads).unwrap())[0];

        let run = |w: &Array2<f64>, b: &Array1<f64>, sigma: f64, g: &mut Array1<f64>| {
            let p = case.h(w, b).column(0).to_owned();
            match &kind {
                BalancedMseKind::Bmc => {
                    bmc_forward_backward(p.view(), y.view(), sigma, g.view_mut())
                }
                BalancedMseKind::Bni(prior) => {
                    bni_forward_backward(p.view(), y.view(), sigma, prior, g.view_mut())
                }
                BalancedMseKind::Gai(gmm) => {
                    gai_forward_backward(p.view(), y.view(), sigma, gmm, g.view_mut())
                }
            }
            .unwrap()
        };
        let mut g = Array1::zeros(M);
        let native = run(&case.w, &case.b, sigma0, &mut g);
        let grad_h = g.clone().insert_axis(Axis(1));
        let mut scratch = Array1::zeros(M);
        check_all(
            &case,
            (bv, gw, gb),
            native.value,
            &grad_h,
            |w, b| run(w, b, sigma0, &mut scratch).value,
            1e-5,
        );
        assert_close("grad sigma", &[gs], &[native.grad_sigma], 1e-10);
        // σ with the detached factor 2σ₀² held fixed: value(σ)·σ₀²/σ².
        let mut scratch = Array1::zeros(M);
        let fixed = |s: f64, g: &mut Array1<f64>| {
            run(&case.w, &case.b, s, g).value * sigma0 * sigma0 / (s * s)
        };
        let fd = srl_testkit::central_difference(|s| fixed(s, &mut scratch), sigma0, 1e-6);
        assert!(
            (fd - gs).abs() <= 1e-6 * gs.abs().max(1.0),
            "sigma: FD {fd} vs burn {gs}"
        );
    }
}
