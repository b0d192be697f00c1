//! Balanced MSE (Ren et al., "Balanced MSE for Imbalanced Visual Regression", CVPR 2022;
//! reference code `jiawei-ren/BalancedMSE`, `balanaced_mse.py`).
//!
//! All three variants treat the prediction as the mean of a Gaussian with learnable noise scale
//! σ (variance v = σ²) and replace the likelihood by a *balanced* one, whose normaliser is the
//! training-label prior convolved with the noise:
//!
//! - **BMC** (batch Monte-Carlo): logits_ij = −(ŷ_i − y_j)²/(2v) over the batch; loss =
//!   mean_i CE(logits_i, i). Zero for a batch of one.
//! - **BNI** (bin numerical integration, [`BniPrior`]): loss_i = (ŷ_i − y_i)²/(2v) +
//!   logsumexp_b[−(ŷ_i − c_b)²/(2v) + log p_b]. It can be negative (a constant is dropped,
//!   as in the reference).
//! - **GAI** (GMM analytic integration, [`GaussianMixture1d`]): loss_i = (ŷ_i − y_i)²/(2v) +
//!   ½ log v + logsumexp_k[−½ log(v_k + v) − (ŷ_i − μ_k)²/(2(v_k + v)) + log π_k].
//!
//! **Scale factor.** As in the reference code every loss is multiplied by 2σ² *detached*
//! (`loss * (2 * noise_var).detach()`), which brings it back to MSE scale: the factor enters the
//! value and scales both gradients, but is not itself differentiated. Hence
//! `grad_sigma = 2σ² · ∂(raw loss)/∂σ` with ∂v/∂σ = 2σ. σ may have either sign (only σ² is
//! used) but must be non-zero. Fitting the GMM for GAI is out of scope: the mixture parameters
//! (sklearn `GaussianMixture(K=8)` on the training labels in the reference) are inputs.
//! Gradients are w.r.t. predictions and σ; targets are constants.

use crate::regression::check_finite;
use crate::LossError;
use ndarray::{ArrayView1, ArrayViewMut1};
use srl_geometry::{Float, LogSumExp};

/// Value of a Balanced-MSE loss and the gradient w.r.t. the noise scale σ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalancedMseOutput<F> {
    /// Loss value (already multiplied by the detached 2σ²).
    pub value: F,
    /// ∂value/∂σ with the 2σ² factor held constant.
    pub grad_sigma: F,
}

/// Bucket prior for BNI: bucket centres c_b and probabilities p_b.
///
/// ```
/// use srl_losses::baselines::balanced_mse::BniPrior;
/// let prior = BniPrior::new(vec![1.0, 2.0, 3.0], vec![2.0, 0.0, 6.0]).unwrap();
/// // Zero-probability buckets are dropped; probabilities are normalised.
/// assert_eq!(prior.centers(), &[1.0, 3.0]);
/// assert!((prior.log_probs()[1] - 0.75_f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BniPrior {
    centers: Vec<f64>,
    log_probs: Vec<f64>,
}

impl BniPrior {
    /// Builds the prior from bucket centres and non-negative weights (e.g. training counts,
    /// optionally LDS-smoothed), normalising them. Buckets with weight 0 are dropped (the
    /// reference only keeps buckets with a non-zero count).
    pub fn new(centers: Vec<f64>, weights: Vec<f64>) -> Result<Self, LossError> {
        if centers.len() != weights.len() {
            return Err(LossError::ShapeMismatch {
                what: "bucket weights length",
                expected: centers.len(),
                got: weights.len(),
            });
        }
        check_finite("bucket centers", ArrayView1::from(&centers[..]))?;
        check_finite("bucket weights", ArrayView1::from(&weights[..]))?;
        if weights.iter().any(|&w| w < 0.0) {
            return Err(LossError::InvalidParameter {
                name: "weights",
                reason: "bucket weights must be ≥ 0".into(),
            });
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(LossError::Empty {
                what: "bucket prior (all weights are zero)",
            });
        }
        let (centers, log_probs) = centers
            .into_iter()
            .zip(weights)
            .filter(|&(_, w)| w > 0.0)
            .map(|(c, w)| (c, (w / total).ln()))
            .unzip();
        Ok(BniPrior { centers, log_probs })
    }

    /// Bucket centres (non-zero buckets only).
    pub fn centers(&self) -> &[f64] {
        &self.centers
    }

    /// log p_b of the kept buckets.
    pub fn log_probs(&self) -> &[f64] {
        &self.log_probs
    }
}

/// A one-dimensional Gaussian mixture (π_k, μ_k, v_k) describing the training labels, for GAI.
///
/// ```
/// use srl_losses::baselines::balanced_mse::GaussianMixture1d;
/// let gmm = GaussianMixture1d::new(vec![1.0, 3.0], vec![20.0, 40.0], vec![4.0, 9.0]).unwrap();
/// assert!((gmm.weights()[0] - 0.25).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture1d {
    weights: Vec<f64>,
    means: Vec<f64>,
    variances: Vec<f64>,
}

impl GaussianMixture1d {
    /// Validates (same lengths ≥ 1, weights > 0, variances ≥ 0, all finite) and normalises the
    /// weights to sum 1.
    pub fn new(weights: Vec<f64>, means: Vec<f64>, variances: Vec<f64>) -> Result<Self, LossError> {
        if weights.is_empty() {
            return Err(LossError::Empty {
                what: "mixture weights",
            });
        }
        for (what, v) in [("means length", &means), ("variances length", &variances)] {
            if v.len() != weights.len() {
                return Err(LossError::ShapeMismatch {
                    what,
                    expected: weights.len(),
                    got: v.len(),
                });
            }
        }
        check_finite("mixture weights", ArrayView1::from(&weights[..]))?;
        check_finite("mixture means", ArrayView1::from(&means[..]))?;
        check_finite("mixture variances", ArrayView1::from(&variances[..]))?;
        if weights.iter().any(|&w| w <= 0.0) {
            return Err(LossError::InvalidParameter {
                name: "weights",
                reason: "mixture weights must be > 0".into(),
            });
        }
        if variances.iter().any(|&v| v < 0.0) {
            return Err(LossError::InvalidParameter {
                name: "variances",
                reason: "mixture variances must be ≥ 0".into(),
            });
        }
        let total: f64 = weights.iter().sum();
        Ok(GaussianMixture1d {
            weights: weights.into_iter().map(|w| w / total).collect(),
            means,
            variances,
        })
    }

    /// Mixture weights π_k (sum 1).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Component means μ_k.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// Component variances v_k.
    pub fn variances(&self) -> &[f64] {
        &self.variances
    }
}

/// Common checks; returns the noise variance v = σ².
fn check<F: Float>(
    pred: ArrayView1<F>,
    target: ArrayView1<F>,
    sigma: F,
    grad_pred: &ArrayViewMut1<F>,
) -> Result<F, LossError> {
    if pred.is_empty() {
        return Err(LossError::Empty { what: "pred" });
    }
    for (what, len) in [
        ("target length", target.len()),
        ("grad_pred length", grad_pred.len()),
    ] {
        if len != pred.len() {
            return Err(LossError::ShapeMismatch {
                what,
                expected: pred.len(),
                got: len,
            });
        }
    }
    check_finite("pred", pred)?;
    check_finite("target", target)?;
    let v = sigma * sigma;
    if !(sigma.is_finite() && v > F::zero() && v.is_finite()) {
        return Err(LossError::InvalidParameter {
            name: "sigma",
            reason: "noise scale σ must be finite and non-zero".into(),
        });
    }
    Ok(v)
}

/// Batch Monte-Carlo Balanced MSE (BMC). Writes ∂value/∂ŷ into `grad_pred`.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::balanced_mse::bmc_forward_backward;
/// let mut g = array![0.0_f64];
/// let out = bmc_forward_backward(array![1.0].view(), array![3.0].view(), 1.0, g.view_mut()).unwrap();
/// assert_eq!((out.value, out.grad_sigma, g[0]), (0.0, 0.0, 0.0)); // B = 1 degenerates to 0
/// ```
pub fn bmc_forward_backward<F: Float>(
    pred: ArrayView1<F>,
    target: ArrayView1<F>,
    sigma: F,
    mut grad_pred: ArrayViewMut1<F>,
) -> Result<BalancedMseOutput<F>, LossError> {
    let v = check(pred, target, sigma, &grad_pred)?;
    let b = pred.len();
    let inv_b = F::one() / F::from_count(b);
    let two = F::cst(2.0);
    let scale = two * v; // detached 2σ²
    let mut raw = F::zero();
    let mut raw_dv = F::zero();
    let mut logits = vec![F::zero(); b];
    for i in 0..b {
        let p = pred[i];
        for (l, &t) in logits.iter_mut().zip(target.iter()) {
            *l = -(p - t) * (p - t) / (two * v);
        }
        let lse = LogSumExp::of(logits.iter().copied());
        raw += lse.value() - logits[i];
        // Softmax expectations of (ŷ_i − y_j) and of the logits.
        let mut e_diff = F::zero();
        let mut e_logit = F::zero();
        for (&l, &t) in logits.iter().zip(target.iter()) {
            let q = lse.softmax(l);
            e_diff += q * (p - t);
            e_logit += q * l;
        }
        // ∂CE_i/∂ŷ_i = ((ŷ_i − y_i) − E[ŷ_i − y_j]) / v ;  ∂CE_i/∂v = (l_ii − E[l_ij]) / v.
        grad_pred[i] = scale * inv_b * ((p - target[i]) - e_diff) / v;
        raw_dv += (logits[i] - e_logit) / v;
    }
    Ok(BalancedMseOutput {
        value: scale * raw * inv_b,
        grad_sigma: scale * raw_dv * inv_b * two * sigma,
    })
}

/// Bin-based numerical integration Balanced MSE (BNI). Writes ∂value/∂ŷ into `grad_pred`.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::balanced_mse::{bni_forward_backward, BniPrior};
/// let prior = BniPrior::new(vec![0.0, 1.0, 2.0], vec![5.0, 3.0, 1.0]).unwrap();
/// let mut g = array![0.0_f64, 0.0];
/// let out = bni_forward_backward(array![0.5, 1.5].view(), array![0.0, 2.0].view(), 1.0, &prior, g.view_mut()).unwrap();
/// assert!(out.value.is_finite());
/// ```
pub fn bni_forward_backward<F: Float>(
    pred: ArrayView1<F>,
    target: ArrayView1<F>,
    sigma: F,
    prior: &BniPrior,
    mut grad_pred: ArrayViewMut1<F>,
) -> Result<BalancedMseOutput<F>, LossError> {
    let v = check(pred, target, sigma, &grad_pred)?;
    let inv_b = F::one() / F::from_count(pred.len());
    let two = F::cst(2.0);
    let scale = two * v;
    let centers: Vec<F> = prior.centers.iter().map(|&c| F::cst(c)).collect();
    let log_p: Vec<F> = prior.log_probs.iter().map(|&c| F::cst(c)).collect();
    let mut terms = vec![F::zero(); centers.len()];
    let mut raw = F::zero();
    let mut raw_dv = F::zero();
    for i in 0..pred.len() {
        let (p, r) = (pred[i], pred[i] - target[i]);
        for ((t, &c), &lp) in terms.iter_mut().zip(&centers).zip(&log_p) {
            *t = -(p - c) * (p - c) / (two * v) + lp;
        }
        let lse = LogSumExp::of(terms.iter().copied());
        raw += r * r / (two * v) + lse.max + lse.sum.ln();
        let mut d_pred = r / v;
        let mut d_v = -r * r / (two * v * v);
        for (&t, &c) in terms.iter().zip(&centers) {
            let q = lse.softmax(t);
            d_pred -= q * (p - c) / v;
            d_v += q * (p - c) * (p - c) / (two * v * v);
        }
        grad_pred[i] = scale * inv_b * d_pred;
        raw_dv += d_v;
    }
    Ok(BalancedMseOutput {
        value: scale * raw * inv_b,
        grad_sigma: scale * raw_dv * inv_b * two * sigma,
    })
}

/// GMM analytic integration Balanced MSE (GAI). Writes ∂value/∂ŷ into `grad_pred`.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::balanced_mse::{gai_forward_backward, GaussianMixture1d};
/// let gmm = GaussianMixture1d::new(vec![0.5, 0.5], vec![20.0, 50.0], vec![25.0, 100.0]).unwrap();
/// let mut g = array![0.0_f64];
/// let out = gai_forward_backward(array![30.0].view(), array![32.0].view(), 2.0, &gmm, g.view_mut()).unwrap();
/// assert!(out.value.is_finite() && g[0] < 0.0); // raising ŷ towards y lowers the loss
/// ```
pub fn gai_forward_backward<F: Float>(
    pred: ArrayView1<F>,
    target: ArrayView1<F>,
    sigma: F,
    gmm: &GaussianMixture1d,
    mut grad_pred: ArrayViewMut1<F>,
) -> Result<BalancedMseOutput<F>, LossError> {
    let v = check(pred, target, sigma, &grad_pred)?;
    let inv_b = F::one() / F::from_count(pred.len());
    let (two, half) = (F::cst(2.0), F::cst(0.5));
    let scale = two * v;
    let log_pi: Vec<F> = gmm.weights.iter().map(|&w| F::cst(w.ln())).collect();
    let means: Vec<F> = gmm.means.iter().map(|&m| F::cst(m)).collect();
    let sum_var: Vec<F> = gmm.variances.iter().map(|&vk| F::cst(vk) + v).collect();
    let mut terms = vec![F::zero(); means.len()];
    let mut raw = F::zero();
    let mut raw_dv = F::zero();
    for i in 0..pred.len() {
        let (p, r) = (pred[i], pred[i] - target[i]);
        for (((t, &mu), &s), &lp) in terms.iter_mut().zip(&means).zip(&sum_var).zip(&log_pi) {
            *t = -half * s.ln() - (p - mu) * (p - mu) / (two * s) + lp;
        }
        let lse = LogSumExp::of(terms.iter().copied());
        raw += r * r / (two * v) + half * v.ln() + lse.max + lse.sum.ln();
        let mut d_pred = r / v;
        let mut d_v = -r * r / (two * v * v) + half / v;
        for ((&t, &mu), &s) in terms.iter().zip(&means).zip(&sum_var) {
            let q = lse.softmax(t);
            d_pred -= q * (p - mu) / s;
            d_v += q * (-half / s + (p - mu) * (p - mu) / (two * s * s));
        }
        grad_pred[i] = scale * inv_b * d_pred;
        raw_dv += d_v;
    }
    Ok(BalancedMseOutput {
        value: scale * raw * inv_b,
        grad_sigma: scale * raw_dv * inv_b * two * sigma,
    })
}
