//! A small encoder, written twice: with candle `Var`s (the path under test, through candle's
//! autodiff) and by hand in ndarray (the native path: forward, the srl-losses gradient ∂L/∂h,
//! and the hand-written backward to the parameters). Plus the finite-difference check through
//! the candle forward.

#![allow(dead_code)]

use candle_core::{Device, Tensor, Var};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use srl_testkit::{random::gaussian_matrix, FdCheck};

/// h = tanh(x W1ᵀ + b1) W2ᵀ + b2.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub w1: Array2<f64>,
    pub b1: Array1<f64>,
    pub w2: Array2<f64>,
    pub b2: Array1<f64>,
}

impl Encoder {
    pub fn random(input: usize, hidden: usize, out: usize, seed: u64) -> Self {
        Encoder {
            w1: gaussian_matrix::<f64>(hidden, input, seed) * 0.7,
            b1: gaussian_matrix::<f64>(1, hidden, seed + 1)
                .row(0)
                .to_owned()
                * 0.3,
            w2: gaussian_matrix::<f64>(out, hidden, seed + 2) * 0.7,
            b2: gaussian_matrix::<f64>(1, out, seed + 3).row(0).to_owned() * 0.3,
        }
    }

    /// The parameters, flattened in the order w1, b1, w2, b2.
    pub fn flat(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.w1.iter().copied().collect();
        v.extend(self.b1.iter());
        v.extend(self.w2.iter());
        v.extend(self.b2.iter());
        v
    }

    fn set_flat(&mut self, v: &[f64]) {
        let mut it = v.iter().copied();
        for a in self
            .w1
            .iter_mut()
            .chain(self.b1.iter_mut())
            .chain(self.w2.iter_mut())
            .chain(self.b2.iter_mut())
        {
            *a = it.next().expect("length");
        }
    }

    /// Native forward: (hidden activations u, features h).
    pub fn forward(&self, x: ArrayView2<f64>) -> (Array2<f64>, Array2<f64>) {
        let u = (x.dot(&self.w1.t()) + &self.b1).mapv(f64::tanh);
        let h = u.dot(&self.w2.t()) + &self.b2;
        (u, h)
    }

    /// Native backward of ∂L/∂h to the parameters (flattened like [`flat`](Self::flat)).
    pub fn backward(&self, x: ArrayView2<f64>, u: &Array2<f64>, gh: &Array2<f64>) -> Vec<f64> {
        let gw2 = gh.t().dot(u);
        let gb2 = gh.sum_axis(Axis(0));
        let gu = gh.dot(&self.w2);
        let ga = gu * u.mapv(|v| 1.0 - v * v);
        let gw1 = ga.t().dot(&x);
        let gb1 = ga.sum_axis(Axis(0));
        Encoder {
            w1: gw1,
            b1: gb1,
            w2: gw2,
            b2: gb2,
        }
        .flat()
    }

    /// The parameters as candle `Var`s (w1, b1, w2, b2).
    pub fn vars(&self) -> [Var; 4] {
        let dev = Device::Cpu;
        let var = |a: Vec<f64>, shape: &[usize]| Var::from_vec(a, shape, &dev).unwrap();
        [
            var(self.w1.iter().copied().collect(), self.w1.shape()),
            var(self.b1.to_vec(), self.b1.shape()),
            var(self.w2.iter().copied().collect(), self.w2.shape()),
            var(self.b2.to_vec(), self.b2.shape()),
        ]
    }
}

/// The candle forward of the encoder.
pub fn candle_forward(vars: &[Var; 4], x: &Tensor) -> Tensor {
    let [w1, b1, w2, b2] = vars;
    x.matmul(&w1.t().unwrap())
        .unwrap()
        .broadcast_add(b1)
        .unwrap()
        .tanh()
        .unwrap()
        .matmul(&w2.t().unwrap())
        .unwrap()
        .broadcast_add(b2)
        .unwrap()
}

pub fn tensor2(a: &Array2<f64>) -> Tensor {
    Tensor::from_vec(a.iter().copied().collect(), a.dim(), &Device::Cpu).unwrap()
}

pub fn tensor1(a: &[f64]) -> Tensor {
    Tensor::from_vec(a.to_vec(), a.len(), &Device::Cpu).unwrap()
}

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Relative closeness: |a − b| ≤ tol · max(1, |a|, |b|).
pub fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let scale = x.abs().max(y.abs()).max(1e-3);
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}[{i}]: candle {x} vs native {y} (tol {tol})"
        );
    }
}

/// What one check compares.
pub struct Case<'a> {
    pub name: &'a str,
    pub x: Array2<f64>,
    pub encoder: Encoder,
}

/// Runs the candle path (loss and its gradient to the encoder's parameters by `backward`) and
/// the native path (`native`: the srl-losses value and ∂L/∂h of the native h, then the
/// hand-written backward), and compares values and gradients to `tol` (relative). Returns the
/// candle gradient (flattened) for the finite-difference check.
pub fn compare_with_native(
    case: &Case<'_>,
    mut loss: impl FnMut(&Tensor) -> Tensor,
    mut native: impl FnMut(ArrayView2<f64>) -> (f64, Array2<f64>),
    tol: f64,
) -> Vec<f64> {
    let vars = case.encoder.vars();
    let h = candle_forward(&vars, &tensor2(&case.x));
    let l = loss(&h);
    assert_eq!(l.dims(), &[] as &[usize], "{}: scalar loss", case.name);
    let value = l.to_scalar::<f64>().unwrap();
    let grads = l.backward().unwrap();
    let mut candle_grad = Vec::new();
    for v in &vars {
        let g = grads
            .get(v)
            .unwrap_or_else(|| panic!("{}: no gradient reached a parameter", case.name));
        candle_grad.extend(g.flatten_all().unwrap().to_vec1::<f64>().unwrap());
    }

    let (u, h_native) = case.encoder.forward(case.x.view());
    let (native_value, gh) = native(h_native.view());
    let native_grad = case.encoder.backward(case.x.view(), &u, &gh);
    assert_close(
        &format!("{} value", case.name),
        &[value],
        &[native_value],
        tol,
    );
    assert_close(
        &format!("{} gradient", case.name),
        &candle_grad,
        &native_grad,
        tol,
    );
    assert!(
        native_grad.iter().any(|&g| g.abs() > 1e-8),
        "{}: a vanishing gradient checks nothing",
        case.name
    );
    candle_grad
}

/// Central finite differences of the candle loss value w.r.t. every encoder parameter, against
/// `analytic`; `value` may return `None` for a perturbed point that is not comparable (e.g. the
/// enveloping loss's nearest rows changed), at most `skip` of them.
pub fn check_fd(
    case: &Case<'_>,
    analytic: &[f64],
    mut value: impl FnMut(&Tensor) -> Option<f64>,
    skip: f64,
) {
    let mut enc = case.encoder.clone();
    let base = enc.flat();
    let x = tensor2(&case.x);
    let n = base.len();
    let report = FdCheck::new(1e-6)
        .epsilon(1e-7)
        .max_relative(1e-5)
        .allow_skipped(skip)
        .compare(
            analytic,
            0..n,
            |i, offset| {
                let mut p = base.clone();
                p[i] += offset;
                enc.set_flat(&p);
                let h = candle_forward(&enc.vars(), &x);
                value(&h)
            },
            |i| format!("{} parameter {i}", case.name),
        );
    assert!(
        report.checked >= n / 2,
        "{}: too few coordinates checked",
        case.name
    );
}
