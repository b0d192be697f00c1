//! Point-wise regression losses with hand-derived gradients: MSE, L1, Huber (DIR's smooth-L1
//! form) and the Focal-R losses of the DIR benchmark (Yang et al., "Delving into Deep
//! Imbalanced Regression", ICML 2021, `loss.py`).
//!
//! Every loss is a weighted mean over the M samples of a batch,
//!
//! ```text
//! value = (1/M) Σ_i w_i · ℓ(e_i),   e_i = ŷ_i − y_i,
//! ```
//!
//! which is the DIR convention (`loss *= weights; loss.mean()`): the per-sample weights
//! (e.g. from [`crate::baselines::lds`]) are expected to be normalised to mean 1 over the
//! training set already, so the loss stays on the scale of the unweighted loss. Without
//! weights, w_i = 1. The gradient written is ∂value/∂ŷ_i = w_i · ℓ'(e_i) / M.
//!
//! | variant | ℓ(e) |
//! |---|---|
//! | `Mse` | e² |
//! | `L1` | \|e\| (sub-gradient 0 at e = 0) |
//! | `Huber { delta }` | ½e²/δ if \|e\| < δ, else \|e\| − ½δ (DIR `weighted_huber_loss`, i.e. PyTorch's smooth-L1: the classic Huber loss divided by δ) |
//! | `FocalL1 { beta, gamma }` | \|e\| · tanh(β\|e\|)^γ |
//! | `FocalMse { beta, gamma }` | e² · tanh(β\|e\|)^γ |
//!
//! **Focal activation.** The DIR functions take `activate ∈ {'tanh', 'sigmoid'}` with the
//! *sigmoid* branch as their default: factor (2σ(β\|e\|) − 1)^γ. Since 2σ(x) − 1 = tanh(x/2)
//! exactly, the sigmoid branch with β equals the tanh branch with β/2. We implement the tanh
//! form only; to reproduce DIR's default `activate='sigmoid', beta=0.2` use `beta = 0.1`.
//! The serde defaults (and [`RegressionLoss::focal_l1`]) are that equivalent, β = 0.1, γ = 1:
//! DIR's default factor exactly. (Until 2026-12 they were β = 0.2 in the tanh form, i.e. DIR's
//! sigmoid with β = 0.4; no committed result used the focal loss.)

use crate::LossError;
use ndarray::{ArrayView1, ArrayViewMut1, Zip};
use serde::{Deserialize, Serialize};
use srl_geometry::Float;

/// β of the tanh form equal to DIR's default sigmoid β = 0.2.
fn default_focal_beta() -> f64 {
    0.1
}

fn default_focal_gamma() -> f64 {
    1.0
}

/// A point-wise regression loss, reduced by a (weighted) mean over the batch.
///
/// Serialised with an internal `kind` tag in kebab-case, e.g. `{"kind": "focal-l1",
/// "beta": 0.1, "gamma": 1.0}`; the focal parameters default to β = 0.1, γ = 1 (DIR's default).
///
/// ```
/// use ndarray::array;
/// use srl_losses::regression::RegressionLoss;
/// let pred = array![1.0_f64, 2.0, 4.0];
/// let target = array![1.5, 2.0, 2.0];
/// let mut grad = array![0.0, 0.0, 0.0];
/// let v = RegressionLoss::L1
///     .forward_backward(pred.view(), target.view(), None, grad.view_mut())
///     .unwrap();
/// assert!((v - 2.5 / 3.0).abs() < 1e-12);
/// assert_eq!(grad, array![-1.0 / 3.0, 0.0, 1.0 / 3.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RegressionLoss {
    /// Mean squared error, ℓ = e².
    Mse,
    /// Mean absolute error, ℓ = |e|.
    L1,
    /// DIR's Huber (smooth-L1): ℓ = ½e²/δ for |e| < δ, |e| − ½δ otherwise.
    Huber {
        /// Transition point δ > 0.
        delta: f64,
    },
    /// Focal-R L1: ℓ = |e|·tanh(β|e|)^γ.
    FocalL1 {
        /// Scale β > 0 inside the tanh.
        #[serde(default = "default_focal_beta")]
        beta: f64,
        /// Exponent γ ≥ 0 (γ = 0 gives plain L1).
        #[serde(default = "default_focal_gamma")]
        gamma: f64,
    },
    /// Focal-R MSE: ℓ = e²·tanh(β|e|)^γ.
    FocalMse {
        /// Scale β > 0 inside the tanh.
        #[serde(default = "default_focal_beta")]
        beta: f64,
        /// Exponent γ ≥ 0 (γ = 0 gives plain MSE).
        #[serde(default = "default_focal_gamma")]
        gamma: f64,
    },
}

impl Default for RegressionLoss {
    /// L1, the regression loss of the SRL authors' code and of the DIR AgeDB runs.
    fn default() -> Self {
        RegressionLoss::L1
    }
}

impl RegressionLoss {
    /// Focal-R L1 with DIR's default factor: tanh form β = 0.1 (= sigmoid β = 0.2), γ = 1.
    pub fn focal_l1() -> Self {
        RegressionLoss::FocalL1 {
            beta: default_focal_beta(),
            gamma: default_focal_gamma(),
        }
    }

    /// Focal-R MSE with DIR's default factor: tanh form β = 0.1 (= sigmoid β = 0.2), γ = 1.
    pub fn focal_mse() -> Self {
        RegressionLoss::FocalMse {
            beta: default_focal_beta(),
            gamma: default_focal_gamma(),
        }
    }

    /// Checks the hyper-parameters: δ > 0, β > 0, γ ≥ 0, all finite.
    ///
    /// ```
    /// use srl_losses::regression::RegressionLoss;
    /// assert!(RegressionLoss::Huber { delta: 0.0 }.validate().is_err());
    /// assert!(RegressionLoss::focal_l1().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), LossError> {
        match *self {
            RegressionLoss::Mse | RegressionLoss::L1 => Ok(()),
            RegressionLoss::Huber { delta } => crate::error::positive("delta", delta),
            RegressionLoss::FocalL1 { beta, gamma } | RegressionLoss::FocalMse { beta, gamma } => {
                crate::error::positive("beta", beta)?;
                if !(gamma.is_finite() && gamma >= 0.0) {
                    return Err(LossError::InvalidParameter {
                        name: "gamma",
                        reason: format!("must be finite and ≥ 0, got {gamma}"),
                    });
                }
                Ok(())
            }
        }
    }

    /// The per-sample loss ℓ(e) and its derivative ℓ'(e) at residual e = ŷ − y.
    ///
    /// Assumes validated hyper-parameters. At the kink e = 0 of L1 and Focal-L1 the
    /// sub-gradient 0 is returned.
    ///
    /// ```
    /// use srl_losses::regression::RegressionLoss;
    /// let (l, d) = RegressionLoss::Mse.pointwise(3.0_f64);
    /// assert_eq!((l, d), (9.0, 6.0));
    /// ```
    pub fn pointwise<F: Float>(&self, e: F) -> (F, F) {
        let a = e.abs();
        let s = if e > F::zero() {
            F::one()
        } else if e < F::zero() {
            -F::one()
        } else {
            F::zero()
        };
        match *self {
            RegressionLoss::Mse => (e * e, F::cst(2.0) * e),
            RegressionLoss::L1 => (a, s),
            RegressionLoss::Huber { delta } => {
                let d = F::cst(delta);
                if a < d {
                    (F::cst(0.5) * e * e / d, e / d)
                } else {
                    (a - F::cst(0.5) * d, s)
                }
            }
            RegressionLoss::FocalL1 { beta, gamma } => {
                let (f, df) = focal_factor(a, F::cst(beta), F::cst(gamma));
                // ℓ = a·f(a); dℓ/de = sign(e)·(f + a·f'(a)).
                (a * f, s * (f + a * df))
            }
            RegressionLoss::FocalMse { beta, gamma } => {
                let (f, df) = focal_factor(a, F::cst(beta), F::cst(gamma));
                // ℓ = a²·f(a); dℓ/de = sign(e)·(2a·f + a²·f'(a)).
                (a * a * f, s * (F::cst(2.0) * a * f + a * a * df))
            }
        }
    }

    /// Checks the hyper-parameters once ([`validate`](Self::validate)); the
    /// [`ValidRegressionLoss`] it returns computes the loss without checking them again.
    pub fn check(&self) -> Result<ValidRegressionLoss, LossError> {
        self.validate()?;
        Ok(ValidRegressionLoss(*self))
    }

    /// [`ValidRegressionLoss::forward_backward`] after [`check`](Self::check).
    pub fn forward_backward<F: Float>(
        &self,
        pred: ArrayView1<F>,
        target: ArrayView1<F>,
        weights: Option<ArrayView1<F>>,
        grad_pred: ArrayViewMut1<F>,
    ) -> Result<F, LossError> {
        self.check()?
            .forward_backward(pred, target, weights, grad_pred)
    }
}

/// A [`RegressionLoss`] that passed [`RegressionLoss::check`] (only it makes one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidRegressionLoss(RegressionLoss);

impl ValidRegressionLoss {
    /// The checked loss.
    pub fn loss(&self) -> &RegressionLoss {
        &self.0
    }

    /// Value of the loss, `(1/M) Σ_i w_i ℓ(ŷ_i − y_i)`, without the gradient.
    ///
    /// Same checks as [`RegressionLoss::forward_backward`].
    ///
    /// ```
    /// use ndarray::array;
    /// use srl_losses::regression::RegressionLoss;
    /// let v = RegressionLoss::Mse
    ///     .check()
    ///     .unwrap()
    ///     .forward(array![1.0_f64, 3.0].view(), array![0.0, 0.0].view(), Some(array![2.0, 0.0].view()))
    ///     .unwrap();
    /// assert_eq!(v, 1.0);
    /// ```
    pub fn forward<F: Float>(
        &self,
        pred: ArrayView1<F>,
        target: ArrayView1<F>,
        weights: Option<ArrayView1<F>>,
    ) -> Result<F, LossError> {
        check_inputs(pred, target, weights)?;
        let m = F::from_count(pred.len());
        let mut total = F::zero();
        for i in 0..pred.len() {
            let (l, _) = self.0.pointwise(pred[i] - target[i]);
            total += weights.map_or(F::one(), |w| w[i]) * l;
        }
        Ok(total / m)
    }

    /// Value `(1/M) Σ_i w_i ℓ(ŷ_i − y_i)` and gradient: **writes** (does not accumulate)
    /// ∂value/∂ŷ_i = w_i ℓ'(ŷ_i − y_i)/M into `grad_pred`.
    ///
    /// Errors: an empty batch, lengths of `target`, `weights` or
    /// `grad_pred` differing from `pred`, non-finite inputs, negative weights.
    pub fn forward_backward<F: Float>(
        &self,
        pred: ArrayView1<F>,
        target: ArrayView1<F>,
        weights: Option<ArrayView1<F>>,
        mut grad_pred: ArrayViewMut1<F>,
    ) -> Result<F, LossError> {
        check_inputs(pred, target, weights)?;
        if grad_pred.len() != pred.len() {
            return Err(LossError::ShapeMismatch {
                what: "grad_pred length",
                expected: pred.len(),
                got: grad_pred.len(),
            });
        }
        let m = F::from_count(pred.len());
        let inv_m = F::one() / m;
        let mut total = F::zero();
        Zip::indexed(&mut grad_pred)
            .and(&pred)
            .and(&target)
            .for_each(|i, g, &p, &t| {
                let w = weights.map_or(F::one(), |w| w[i]);
                let (l, d) = self.0.pointwise(p - t);
                total += w * l;
                *g = w * d * inv_m;
            });
        Ok(total * inv_m)
    }
}

/// f(a) = tanh(βa)^γ and f'(a) = γ·tanh(βa)^{γ−1}·β·(1 − tanh²(βa)), for a ≥ 0.
///
/// At tanh(βa) = 0 (a = 0 or underflow) the derivative term a·f'(a) vanishes for every γ > 0,
/// so f' is reported as 0 there (avoids 0·∞ for γ < 1).
fn focal_factor<F: Float>(a: F, beta: F, gamma: F) -> (F, F) {
    let t = (beta * a).tanh();
    if gamma == F::zero() {
        return (F::one(), F::zero());
    }
    if t <= F::zero() {
        return (F::zero(), F::zero());
    }
    let f = t.powf(gamma);
    let df = gamma * f / t * beta * (F::one() - t * t);
    (f, df)
}

/// Shared input checks: non-empty, equal lengths, finite values, non-negative weights.
fn check_inputs<F: Float>(
    pred: ArrayView1<F>,
    target: ArrayView1<F>,
    weights: Option<ArrayView1<F>>,
) -> Result<(), LossError> {
    if pred.is_empty() {
        return Err(LossError::Empty { what: "pred" });
    }
    if target.len() != pred.len() {
        return Err(LossError::ShapeMismatch {
            what: "target length",
            expected: pred.len(),
            got: target.len(),
        });
    }
    check_finite("pred", pred)?;
    check_finite("target", target)?;
    if let Some(w) = weights {
        if w.len() != pred.len() {
            return Err(LossError::ShapeMismatch {
                what: "weights length",
                expected: pred.len(),
                got: w.len(),
            });
        }
        check_finite("weights", w)?;
        if let Some(i) = w.iter().position(|&x| x < F::zero()) {
            return Err(LossError::InvalidParameter {
                name: "weights",
                reason: format!("sample weights must be ≥ 0; weight {i} is negative"),
            });
        }
    }
    Ok(())
}

/// Returns `NonFinite` naming `what` at the first NaN/∞ of `x`.
pub(crate) fn check_finite<F: Float>(
    what: &'static str,
    x: ArrayView1<F>,
) -> Result<(), LossError> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(LossError::NonFinite { what, index }),
        None => Ok(()),
    }
}
