//! The feature-side DIR baselines (RankSim, ConR, ordinal entropy, Rank-N-Contrast) and
//! Balanced MSE as candle losses. Each wraps the srl-losses implementation (formulas, quirks and
//! defaults in its docs and docs/baselines.md) and hands its gradient to candle's autodiff.

use crate::host::{
    attach1, attach2, float_dtype, host_matrix, host_scalar, host_vector, HostFloat,
};
use crate::Result;
use candle_core::{DType, Tensor};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward, BniPrior, GaussianMixture1d,
};
use srl_losses::baselines::conr::{ConR, ConrConfig};
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::baselines::ranksim::RankSim;
use srl_losses::baselines::rnc::RankNContrast;
use srl_losses::LossError;

/// A loss of features (M × D) and labels (M) with its gradient w.r.t. the features, in either
/// float type: the one shape every feature-side baseline has here.
trait FeatureLoss {
    const NAME: &'static str;
    fn eval<F: HostFloat>(
        &self,
        features: ArrayView2<F>,
        labels: ArrayView1<F>,
        grad: ArrayViewMut2<F>,
    ) -> Result<F, LossError>;
}

/// Runs a [`FeatureLoss`] in the features' dtype.
fn feature_loss<L: FeatureLoss>(loss: &L, features: &Tensor, labels: &Tensor) -> Result<Tensor> {
    match float_dtype("features", features)? {
        DType::F32 => feature_loss_in::<L, f32>(loss, features, labels),
        _ => feature_loss_in::<L, f64>(loss, features, labels),
    }
}

fn feature_loss_in<L: FeatureLoss, F: HostFloat>(
    loss: &L,
    features: &Tensor,
    labels: &Tensor,
) -> Result<Tensor> {
    let x = host_matrix::<F>("features", features)?;
    let y = host_vector::<F>("labels", labels, Some(x.nrows()))?;
    let mut grad = Array2::zeros(x.raw_dim());
    let value = loss.eval(x.view(), y.view(), grad.view_mut())?;
    attach1(L::NAME, features, value, grad)
}

/// RankSim (Gong et al., ICML 2022): for each anchor i, the ranks of its cosine similarities
/// S_i = x̂_i x̂ᵀ against the ranks of its negative label distances,
///
/// ```text
/// loss = Σ_i mean_j (rank_n(S_i)_j − rank_n(−|y_i − y|)_j)²
/// ```
///
/// with the blackbox-differentiation backward of strength λ (a surrogate gradient: the loss
/// is piecewise constant). The batch is taken as given; the reference first keeps one sample
/// per unique label ([`srl_losses::baselines::ranksim::unique_label_subsample`]). The caller
/// weights the term (γ).
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// let h = Var::from_slice(&[1.0_f32, 0.0, 0.2, 0.9, 0.5, 0.5], (3, 2), &Device::Cpu)?;
/// let y = Tensor::new(&[0.0_f32, 3.0, 1.0], &Device::Cpu)?;
/// let loss = srl_candle::RankSimLoss::new(2.0)?.forward(h.as_tensor(), &y)?;
/// assert!(loss.to_scalar::<f32>()? > 0.0);
/// assert!(loss.backward()?.get(&h).is_some());
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankSimLoss(RankSim);

impl RankSimLoss {
    /// RankSim with interpolation strength λ > 0 (reference default 2).
    pub fn new(lambda: f64) -> Result<Self> {
        Ok(RankSimLoss(RankSim::new(lambda)?))
    }

    /// The loss of `features` (M × D, f32/f64, any device) with `labels` ((M) or (M, 1)).
    pub fn forward(&self, features: &Tensor, labels: &Tensor) -> Result<Tensor> {
        feature_loss(self, features, labels)
    }
}

impl FeatureLoss for RankSimLoss {
    const NAME: &'static str = "ranksim";
    fn eval<F: HostFloat>(
        &self,
        x: ArrayView2<F>,
        y: ArrayView1<F>,
        grad: ArrayViewMut2<F>,
    ) -> Result<F, LossError> {
        self.0.forward_backward(x, y, grad)
    }
}

/// Ordinal entropy (Zhang et al., ICLR 2023) on z = h/‖h‖:
///
/// ```text
/// L = λ_d·L_d + λ_t·L_t,  L_d = −mean_{i<j} w̃_ij ‖z_i − z_j‖,  L_t = mean_i ‖z_i − z̄_{y_i}‖²
/// ```
///
/// with w̃_ij the reference's min-max rescaled label distances and z̄_y the mean of the z with
/// label y.
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// let h = Var::from_slice(&[1.0_f64, 0.0, 0.2, 0.9, 0.5, 0.5], (3, 2), &Device::Cpu)?;
/// let y = Tensor::new(&[0.0_f64, 3.0, 1.0], &Device::Cpu)?;
/// let loss = srl_candle::OrdinalEntropyLoss::new(1.0, 1.0)?.forward(h.as_tensor(), &y)?;
/// assert!(loss.to_scalar::<f64>()? < 0.0); // diversity dominates: distinct labels
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrdinalEntropyLoss(OrdinalEntropy);

impl OrdinalEntropyLoss {
    /// Weights λ_d (diversity) and λ_t (tightness), finite and ≥ 0.
    pub fn new(diversity_weight: f64, tightness_weight: f64) -> Result<Self> {
        Ok(OrdinalEntropyLoss(OrdinalEntropy::new(
            diversity_weight,
            tightness_weight,
        )?))
    }

    /// The loss of raw `features` (M × D) with `labels` ((M) or (M, 1)).
    pub fn forward(&self, features: &Tensor, labels: &Tensor) -> Result<Tensor> {
        feature_loss(self, features, labels)
    }
}

impl FeatureLoss for OrdinalEntropyLoss {
    const NAME: &'static str = "ordinal-entropy";
    fn eval<F: HostFloat>(
        &self,
        x: ArrayView2<F>,
        y: ArrayView1<F>,
        grad: ArrayViewMut2<F>,
    ) -> Result<F, LossError> {
        Ok(self.0.forward_backward(x, y, grad)?.value)
    }
}

/// Rank-N-Contrast (Zha et al., NeurIPS 2023) on raw features z (no normalisation), with
/// s_ij = −‖z_i − z_j‖/τ and d_ij = |y_i − y_j|:
///
/// ```text
/// L = 1/(n(n−1)) Σ_i Σ_{j≠i} −log( exp(s_ij) / Σ_{k≠i, d_ik ≥ d_ij} exp(s_ik) )
/// ```
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// let z = Var::from_slice(&[0.0_f32, 1.0, 2.0], (3, 1), &Device::Cpu)?;
/// let y = Tensor::new(&[0.0_f32, 1.0, 2.0], &Device::Cpu)?;
/// let loss = srl_candle::RncLoss::new(2.0)?.forward(z.as_tensor(), &y)?;
/// assert!(loss.to_scalar::<f32>()? > 0.0);
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RncLoss(RankNContrast);

impl RncLoss {
    /// Temperature τ > 0 (reference default 2).
    pub fn new(tau: f64) -> Result<Self> {
        Ok(RncLoss(RankNContrast::new(tau)?))
    }

    /// The loss of `features` (n × D, n ≥ 2) with `labels` ((n) or (n, 1)).
    pub fn forward(&self, features: &Tensor, labels: &Tensor) -> Result<Tensor> {
        feature_loss(self, features, labels)
    }
}

impl FeatureLoss for RncLoss {
    const NAME: &'static str = "rank-n-contrast";
    fn eval<F: HostFloat>(
        &self,
        x: ArrayView2<F>,
        y: ArrayView1<F>,
        grad: ArrayViewMut2<F>,
    ) -> Result<F, LossError> {
        self.0.forward_backward(x, y, grad)
    }
}

/// ConR (Keramati et al., ICLR 2024) on the views' raw features q (n × D), their labels,
/// *detached* predictions (only their values are read: no gradient flows to them) and optional
/// sample weights w. With s_ik = ⟨q̂_i, q̂_k⟩/τ, positives P_i (|y_i − y_k| ≤ ω, k ≠ i) and hard
/// negatives N_i (label-far, prediction-near):
///
/// ```text
/// L_i = −(1/|P_i|) Σ_{k∈P_i} log( exp(s_ik) / D_i ),  ConR = (1/n) Σ_i w_i·L_i
/// ```
///
/// with the reference code's denominator D_i by default (`ConrConfig::paper_denominator` for
/// the paper's). The caller weights the term (β).
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// use srl_candle::{ConrConfig, ConrLoss};
/// let dev = Device::Cpu;
/// let q = Var::from_slice(&[1.0_f64, 0.1, 1.0, -0.1, 0.2, 1.0, -0.2, 1.0], (4, 2), &dev)?;
/// let y = Tensor::new(&[10.0_f64, 10.0, 30.0, 30.0], &dev)?;
/// let y_hat = Tensor::new(&[20.0_f64, 20.3, 19.8, 20.1], &dev)?;
/// let loss = ConrLoss::new(ConrConfig::default())?.forward(q.as_tensor(), &y, &y_hat, None)?;
/// assert!(loss.to_scalar::<f64>()? > 0.0);
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConrLoss(ConR);

impl ConrLoss {
    /// ConR with ω ≥ 0, τ > 0 and e ≥ 0 (`ConrConfig::default()`: the reference's AgeDB
    /// setting).
    pub fn new(config: ConrConfig) -> Result<Self> {
        Ok(ConrLoss(ConR::new(config)?))
    }

    /// The loss of `features` (n × D) with `labels`, `predictions` and optional `weights` (each
    /// (n) or (n, 1); weights ≥ 0, `None` = 1).
    pub fn forward(
        &self,
        features: &Tensor,
        labels: &Tensor,
        predictions: &Tensor,
        weights: Option<&Tensor>,
    ) -> Result<Tensor> {
        let n = Some(features.dims().first().copied().unwrap_or(0));
        let call = ConrCall {
            conr: &self.0,
            predictions: host_vector::<f64>("predictions", predictions, n)?,
            weights: weights
                .map(|w| host_vector::<f64>("weights", w, n))
                .transpose()?,
        };
        feature_loss(&call, features, labels)
    }
}

/// One ConR evaluation: the extra per-view inputs, as f64 (exact for f32 values).
struct ConrCall<'a> {
    conr: &'a ConR,
    predictions: Array1<f64>,
    weights: Option<Array1<f64>>,
}

impl FeatureLoss for ConrCall<'_> {
    const NAME: &'static str = "conr";
    fn eval<F: HostFloat>(
        &self,
        x: ArrayView2<F>,
        y: ArrayView1<F>,
        grad: ArrayViewMut2<F>,
    ) -> Result<F, LossError> {
        let pred = self.predictions.mapv(F::cst);
        let weights = self.weights.as_ref().map(|w| w.mapv(F::cst));
        let out = self.conr.forward_backward(
            x,
            y,
            pred.view(),
            weights.as_ref().map(|w| w.view()),
            grad,
        )?;
        Ok(out.value)
    }
}

/// The Balanced MSE variant and its prior.
#[derive(Debug, Clone, PartialEq)]
pub enum BalancedMseKind {
    /// Batch Monte-Carlo: the batch's targets are the prior.
    Bmc,
    /// Bin numerical integration over a bucket prior.
    Bni(BniPrior),
    /// GMM analytic integration over a fitted 1-D Gaussian mixture.
    Gai(GaussianMixture1d),
}

/// Balanced MSE (Ren et al., CVPR 2022): the regression loss of predictions ŷ against targets y
/// with a learnable noise scale σ (v = σ²), e.g. BMC:
///
/// ```text
/// loss = 2σ²·mean_i CE(logits_i, i),   logits_ij = −(ŷ_i − y_j)²/(2v)
/// ```
///
/// (BNI and GAI: srl-losses' `balanced_mse` docs). As in the reference the factor 2σ² is
/// *detached*: it scales the value and both gradients but is not differentiated. The loss
/// tensor gives gradients to the predictions and to σ (a one-element tensor, typically a
/// `Var`); the targets are constants.
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// use srl_candle::{BalancedMseKind, BalancedMseLoss};
/// let dev = Device::Cpu;
/// let pred = Var::from_slice(&[0.5_f32, 1.5, 2.0], 3, &dev)?;
/// let sigma = Var::from_slice(&[1.0_f32], 1, &dev)?;
/// let y = Tensor::new(&[0.0_f32, 2.0, 2.5], &dev)?;
/// let loss = BalancedMseLoss::new(BalancedMseKind::Bmc).forward(pred.as_tensor(), &y, sigma.as_tensor())?;
/// let grads = loss.backward()?;
/// assert!(grads.get(&pred).is_some() && grads.get(&sigma).is_some());
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BalancedMseLoss {
    kind: BalancedMseKind,
}

impl BalancedMseLoss {
    /// The loss of the given variant (its prior checked when it was built).
    pub fn new(kind: BalancedMseKind) -> Self {
        BalancedMseLoss { kind }
    }

    /// The variant.
    pub fn kind(&self) -> &BalancedMseKind {
        &self.kind
    }

    /// The loss of `predictions` ((B) or (B, 1), f32/f64, any device) against `targets` (same
    /// length) with noise scale `sigma` (one element, non-zero), in the predictions' dtype.
    pub fn forward(
        &self,
        predictions: &Tensor,
        targets: &Tensor,
        sigma: &Tensor,
    ) -> Result<Tensor> {
        match float_dtype("predictions", predictions)? {
            DType::F32 => self.forward_in::<f32>(predictions, targets, sigma),
            _ => self.forward_in::<f64>(predictions, targets, sigma),
        }
    }

    fn forward_in<F: HostFloat>(
        &self,
        predictions: &Tensor,
        targets: &Tensor,
        sigma: &Tensor,
    ) -> Result<Tensor> {
        let pred = host_vector::<F>("predictions", predictions, None)?;
        let target = host_vector::<F>("targets", targets, Some(pred.len()))?;
        let s = host_scalar::<F>("sigma", sigma)?;
        let mut grad = Array1::zeros(pred.len());
        let (p, t, g) = (pred.view(), target.view(), grad.view_mut());
        let out = match &self.kind {
            BalancedMseKind::Bmc => bmc_forward_backward(p, t, s, g)?,
            BalancedMseKind::Bni(prior) => bni_forward_backward(p, t, s, prior, g)?,
            BalancedMseKind::Gai(gmm) => gai_forward_backward(p, t, s, gmm, g)?,
        };
        let grad_sigma = Array1::from_elem(1, out.grad_sigma);
        attach2(
            "balanced-mse",
            (predictions, grad),
            (sigma, grad_sigma),
            out.value,
        )
    }
}
