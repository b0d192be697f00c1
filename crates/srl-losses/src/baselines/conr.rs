//! ConR, the contrastive regulariser for deep imbalanced regression (Keramati, Meng, Evans,
//! "ConR: Contrastive Regularizer for Deep Imbalanced Regression", ICLR 2024; reference
//! `BorealisAI/ConR`, `loss.py::ConR`).
//!
//! ConR works on the 2B augmented views of a batch (two views per image, concatenated by the
//! caller; each view carries its image's label y, sample weight w and detached prediction ŷ).
//! With q̂_i = q_i/‖q_i‖ and s_ik = ⟨q̂_i, q̂_k⟩/τ over all n = 2B views:
//!
//! ```text
//! P_i = {k ≠ i : |y_i − y_k| ≤ ω}                         positives
//! N_i = {k : |y_i − y_k| > ω and |ŷ_i − ŷ_k| ≤ ω}          hard negatives (label-far, prediction-near)
//! η_ik = w_i · exp(e · |y_i − y_k|)                        pushing weight
//! L_i = −(1/|P_i|) Σ_{k∈P_i} log( exp(s_ik) / D_i )        0 if N_i = ∅ (or P_i = ∅)
//! ConR = (1/n) Σ_i w_i · L_i
//! ```
//!
//! **Denominator.** The reference computes `exp(prod * pos_mask).sum(1)`, so every
//! non-positive entry (negatives, unrelated samples and k = i itself) contributes exp(0) = 1:
//!
//! ```text
//! code:   D_i = Σ_{all k} exp(s_ik · 1[k∈P_i]) + Σ_{k∈N_i} η_ik exp(s_ik)
//!             = Σ_{k∈P_i} exp(s_ik) + (n − |P_i|) + Σ_{k∈N_i} η_ik exp(s_ik)
//! paper:  D_i = Σ_{k∈P_i} exp(s_ik) + Σ_{k∈N_i} η_ik exp(s_ik)
//! ```
//!
//! The code denominator is the default (it produced the published numbers);
//! [`ConrConfig::paper_denominator`] selects the paper's. The constant (n − |P_i|) has no
//! gradient.
//!
//! **Guard.** The reference divides by |P_i|, which is ≥ 1 only because the twin view shares
//! the label; here an anchor with P_i = ∅ contributes 0 instead of NaN.
//!
//! **Hyper-parameters.** ω (`-w`) = 1 for ages, e = 0.01, τ = **0.07**: the AgeDB entry point
//! overwrites its temperature argument with 0.07 although the README states 0.2. β (the
//! weight of ConR in the total loss) is applied by the caller.
//!
//! **Backward.** With log D_i computed after subtracting the row maximum
//! M_i = max({s_ik : k ∈ P_i ∪ N_i} ∪ {0 for the code denominator}),
//! L_i = log D_i − mean_{k∈P_i} s_ik and
//!
//! ```text
//! ∂ConR/∂s_ik = (w_i/n) · (π_ik − 1[k∈P_i]/|P_i|),   π_ik = (1[k∈P_i] + η_ik·1[k∈N_i]) exp(s_ik) / D_i
//! ∂ConR/∂q̂   = (G + Gᵀ) q̂ / τ                        (both factors of s carry the gradient)
//! ```
//!
//! followed by the row-normalisation backward to the raw features
//! ([`srl_geometry::normalize_rows_backward_into`]).

use crate::regression::check_finite;
use crate::{LossError, Temperature};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use srl_geometry::{normalize_rows_backward_into, normalize_rows_into, Float};

/// ConR hyper-parameters.
///
/// ```
/// use srl_losses::baselines::conr::ConrConfig;
/// let c = ConrConfig::default();
/// assert_eq!((c.omega, c.temperature, c.e, c.paper_denominator), (1.0, 0.07, 0.01, false));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConrConfig {
    /// Similarity window ω ≥ 0 for labels (positives) and predictions (hard negatives).
    pub omega: f64,
    /// Temperature τ > 0 (reference code 0.07; README 0.2).
    pub temperature: f64,
    /// Label-distance exponent e ≥ 0 of the pushing weight η_ik = w_i·exp(e·|y_i − y_k|).
    pub e: f64,
    /// Use the paper's denominator instead of the reference code's (see the module docs).
    pub paper_denominator: bool,
}

impl Default for ConrConfig {
    /// The reference AgeDB setting: ω = 1, τ = 0.07, e = 0.01, code denominator.
    fn default() -> Self {
        ConrConfig {
            omega: 1.0,
            temperature: 0.07,
            e: 0.01,
            paper_denominator: false,
        }
    }
}

/// Result of a ConR evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConrOutput<F> {
    /// ConR = mean_i w_i·L_i (≥ 0 with the code denominator when all w_i ≥ 0).
    pub value: F,
    /// Number of anchors with both positives and hard negatives (the others contribute 0).
    pub active_anchors: usize,
}

/// Reusable buffers for [`ConR::forward_backward_with`] (resized on demand), so repeated calls
/// with the same batch shape do not allocate.
#[derive(Debug, Clone, Default)]
pub struct ConrWorkspace<F> {
    z: Array2<F>,
    norms: Array1<F>,
    sim: Array2<F>,
    grad_sim: Array2<F>,
    grad_z: Array2<F>,
    kinds: Vec<PairKind>,
}

impl<F: Float> ConrWorkspace<F> {
    /// An empty workspace.
    pub fn new() -> Self {
        ConrWorkspace {
            z: Array2::zeros((0, 0)),
            norms: Array1::zeros(0),
            sim: Array2::zeros((0, 0)),
            grad_sim: Array2::zeros((0, 0)),
            grad_z: Array2::zeros((0, 0)),
            kinds: Vec::new(),
        }
    }

    fn ensure_shape(&mut self, n: usize, d: usize) {
        if self.z.dim() != (n, d) {
            self.z = Array2::zeros((n, d));
            self.grad_z = Array2::zeros((n, d));
            self.norms = Array1::zeros(n);
        }
        if self.sim.dim() != (n, n) {
            self.sim = Array2::zeros((n, n));
            self.grad_sim = Array2::zeros((n, n));
        }
        self.kinds.resize(n, PairKind::Other);
    }
}

/// Role of view k for anchor i.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum PairKind {
    /// In P_i.
    Positive,
    /// In N_i.
    Negative,
    /// Neither (including k = i).
    #[default]
    Other,
}

/// The ConR regulariser.
///
/// ```
/// use ndarray::{array, Array2};
/// use srl_losses::baselines::conr::{ConR, ConrConfig};
/// let conr = ConR::new(ConrConfig::default()).unwrap();
/// // Two views each of two images with labels 10 and 30 whose predictions are both ≈ 20:
/// // every anchor has its twin as positive and the other image's views as hard negatives.
/// let q = array![[1.0_f64, 0.1], [1.0, -0.1], [0.2, 1.0], [-0.2, 1.0]];
/// let y = array![10.0, 10.0, 30.0, 30.0];
/// let y_hat = array![20.0, 20.3, 19.8, 20.1];
/// let mut grad = Array2::zeros((4, 2));
/// let out = conr.forward_backward(q.view(), y.view(), y_hat.view(), None, grad.view_mut()).unwrap();
/// assert_eq!(out.active_anchors, 4);
/// assert!(out.value > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConR {
    config: ConrConfig,
}

impl ConR {
    /// Validates ω finite and ≥ 0, τ finite and > 0, e finite and ≥ 0.
    pub fn new(config: ConrConfig) -> Result<Self, LossError> {
        let ConrConfig {
            omega,
            temperature,
            e,
            ..
        } = config;
        if !(omega.is_finite() && omega >= 0.0) {
            return Err(LossError::InvalidParameter {
                name: "omega",
                reason: format!("must be finite and ≥ 0, got {omega}"),
            });
        }
        Temperature::check("temperature", temperature)?;
        if !(e.is_finite() && e >= 0.0) {
            return Err(LossError::InvalidParameter {
                name: "e",
                reason: format!("must be finite and ≥ 0, got {e}"),
            });
        }
        Ok(ConR { config })
    }

    /// The configuration.
    pub fn config(&self) -> &ConrConfig {
        &self.config
    }

    /// The same regulariser with ω multiplied by `factor` (e.g. ω given in bins, trained on a
    /// standardised target: factor = bin width / target std). Only `factor` is checked (finite
    /// and ≥ 0), so the result keeps ω finite and ≥ 0.
    ///
    /// ```
    /// use srl_losses::baselines::conr::{ConR, ConrConfig};
    /// let conr = ConR::new(ConrConfig { omega: 0.5, ..ConrConfig::default() }).unwrap();
    /// assert_eq!(conr.with_omega_scaled(4.0).unwrap().config().omega, 2.0);
    /// assert!(conr.with_omega_scaled(f64::NAN).is_err());
    /// ```
    pub fn with_omega_scaled(&self, factor: f64) -> Result<Self, LossError> {
        if !(factor.is_finite() && factor >= 0.0) {
            return Err(LossError::InvalidParameter {
                name: "omega",
                reason: format!("the scale of ω must be finite and ≥ 0, got {factor}"),
            });
        }
        let mut config = self.config;
        config.omega *= factor;
        Ok(ConR { config })
    }

    /// ConR on raw view features `features` (n × D), labels (n), detached predictions (n) and
    /// optional sample weights (n, ≥ 0; `None` = all 1). **Writes** ∂ConR/∂features into
    /// `grad_features`. Allocates a temporary workspace; see
    /// [`forward_backward_with`](Self::forward_backward_with).
    pub fn forward_backward<F: Float>(
        &self,
        features: ArrayView2<F>,
        labels: ArrayView1<F>,
        predictions: ArrayView1<F>,
        weights: Option<ArrayView1<F>>,
        grad_features: ArrayViewMut2<F>,
    ) -> Result<ConrOutput<F>, LossError> {
        let mut workspace = ConrWorkspace::new();
        self.forward_backward_with(
            &mut workspace,
            features,
            labels,
            predictions,
            weights,
            grad_features,
        )
    }

    /// [`forward_backward`](Self::forward_backward) reusing `workspace` buffers.
    ///
    /// Errors: empty batch, lengths not matching the number of rows, `grad_features` of the
    /// wrong shape, non-finite features / labels / predictions / weights, negative weights.
    pub fn forward_backward_with<F: Float>(
        &self,
        workspace: &mut ConrWorkspace<F>,
        features: ArrayView2<F>,
        labels: ArrayView1<F>,
        predictions: ArrayView1<F>,
        weights: Option<ArrayView1<F>>,
        mut grad_features: ArrayViewMut2<F>,
    ) -> Result<ConrOutput<F>, LossError> {
        let n = features.nrows();
        check_inputs(features, labels, predictions, weights, grad_features.view())?;
        workspace.ensure_shape(n, features.ncols());
        let ws = workspace;

        normalize_rows_into(features, ws.z.view_mut(), ws.norms.view_mut());
        let inv_tau = F::one() / F::cst(self.config.temperature);
        general_mat_mul(inv_tau, &ws.z, &ws.z.t(), F::zero(), &mut ws.sim);

        let omega = F::cst(self.config.omega);
        let e = F::cst(self.config.e);
        let inv_n = F::one() / F::from_count(n);
        let mut value = F::zero();
        let mut active_anchors = 0;
        ws.grad_sim.fill(F::zero());
        for i in 0..n {
            let (mut n_pos, mut n_neg) = (0usize, 0usize);
            for (k, kind) in ws.kinds.iter_mut().enumerate() {
                let dy = (labels[i] - labels[k]).abs();
                *kind = if dy <= omega {
                    if k == i {
                        PairKind::Other
                    } else {
                        n_pos += 1;
                        PairKind::Positive
                    }
                } else if (predictions[i] - predictions[k]).abs() <= omega {
                    n_neg += 1;
                    PairKind::Negative
                } else {
                    PairKind::Other
                };
            }
            if n_pos == 0 || n_neg == 0 {
                continue;
            }
            active_anchors += 1;
            let w_i = weights.map_or(F::one(), |w| w[i]);
            let sim_row = ws.sim.row(i);
            // Row maximum over the exponents that enter D_i (0 for the code's constant ones).
            let mut row_max = if self.config.paper_denominator {
                F::neg_infinity()
            } else {
                F::zero()
            };
            for (kind, &s) in ws.kinds.iter().zip(sim_row.iter()) {
                if *kind != PairKind::Other {
                    row_max = row_max.max(s);
                }
            }
            // Scaled denominator D_i·exp(−M_i); the per-k numerators π_ik·D_i·exp(−M_i) are
            // written into the gradient row and normalised below.
            let mut grad_row = ws.grad_sim.row_mut(i);
            let mut scaled_denominator = F::zero();
            let mut positive_sum = F::zero();
            for (k, (kind, &s)) in ws.kinds.iter().zip(sim_row.iter()).enumerate() {
                let term = match kind {
                    PairKind::Positive => {
                        positive_sum += s;
                        (s - row_max).exp()
                    }
                    PairKind::Negative => {
                        w_i * (e * (labels[i] - labels[k]).abs()).exp() * (s - row_max).exp()
                    }
                    PairKind::Other => F::zero(),
                };
                grad_row[k] = term;
                scaled_denominator += term;
            }
            if !self.config.paper_denominator {
                scaled_denominator += F::from_count(n - n_pos) * (-row_max).exp();
            }
            let inv_pos = F::one() / F::from_count(n_pos);
            let loss_i = row_max + scaled_denominator.ln() - positive_sum * inv_pos;
            value += w_i * loss_i * inv_n;
            let coef = w_i * inv_n;
            let inv_denominator = F::one() / scaled_denominator;
            for (g, kind) in grad_row.iter_mut().zip(ws.kinds.iter()) {
                let target = if *kind == PairKind::Positive {
                    inv_pos
                } else {
                    F::zero()
                };
                *g = coef * (*g * inv_denominator - target);
            }
        }

        // ∂/∂ẑ = (G + Gᵀ) ẑ / τ.
        for i in 0..n {
            for k in i..n {
                let sym = ws.grad_sim[[i, k]] + ws.grad_sim[[k, i]];
                ws.grad_sim[[i, k]] = sym;
                ws.grad_sim[[k, i]] = sym;
            }
        }
        general_mat_mul(inv_tau, &ws.grad_sim, &ws.z, F::zero(), &mut ws.grad_z);
        normalize_rows_backward_into(
            ws.z.view(),
            ws.norms.view(),
            ws.grad_z.view(),
            grad_features.view_mut(),
        );
        Ok(ConrOutput {
            value,
            active_anchors,
        })
    }
}

/// Shapes, finiteness and weight-sign checks of [`ConR::forward_backward_with`].
fn check_inputs<F: Float>(
    features: ArrayView2<F>,
    labels: ArrayView1<F>,
    predictions: ArrayView1<F>,
    weights: Option<ArrayView1<F>>,
    grad_features: ArrayView2<F>,
) -> Result<(), LossError> {
    let n = features.nrows();
    if n == 0 || features.ncols() == 0 {
        return Err(LossError::Empty { what: "features" });
    }
    let lengths = [
        ("labels length", Some(labels.len())),
        ("predictions length", Some(predictions.len())),
        ("weights length", weights.map(|w| w.len())),
        ("grad_features rows", Some(grad_features.nrows())),
    ];
    for (what, len) in lengths {
        if let Some(got) = len.filter(|&l| l != n) {
            return Err(LossError::ShapeMismatch {
                what,
                expected: n,
                got,
            });
        }
    }
    if grad_features.ncols() != features.ncols() {
        return Err(LossError::ShapeMismatch {
            what: "grad_features columns",
            expected: features.ncols(),
            got: grad_features.ncols(),
        });
    }
    if let Some(index) = features.iter().position(|v| !v.is_finite()) {
        return Err(LossError::NonFinite {
            what: "features",
            index,
        });
    }
    check_finite("labels", labels)?;
    check_finite("predictions", predictions)?;
    if let Some(w) = weights {
        check_finite("weights", w)?;
        if let Some(i) = w.iter().position(|&v| v < F::zero()) {
            return Err(LossError::InvalidParameter {
                name: "weights",
                reason: format!("weight of sample {i} is negative"),
            });
        }
    }
    Ok(())
}
