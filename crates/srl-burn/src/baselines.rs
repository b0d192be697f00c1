//! The DIR baselines of `srl-losses` as burn losses: RankSim, ConR, Ordinal Entropy,
//! Rank-N-Contrast on features, and the Balanced MSE regression loss (BMC, BNI, GAI) with its
//! learnable noise scale σ. Each forward pass calls the crate's `forward_backward` once on the
//! host and registers value and gradient through [`HostLossBackend::host_loss`].

use crate::host::{
    f64_of, grad_data, primitive, scalar, to_host1, to_host2, HostFloat, HostLossBackend,
};
use crate::SrlBurnError;
use burn::module::{Module, Param};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use ndarray::{Array1, Array2};
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward, BniPrior, GaussianMixture1d,
};
use srl_losses::baselines::conr::ConR;
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::baselines::ranksim::RankSim;
use srl_losses::baselines::rnc::RankNContrast;
use std::marker::PhantomData;

/// Wraps an M×d host gradient of `features` as the custom op's output.
fn feature_loss<B: HostLossBackend, F: HostFloat>(
    features: Tensor<B, 2>,
    value: F,
    grad: Array2<F>,
) -> Tensor<B, 1> {
    let shape = vec![grad.nrows(), grad.ncols()];
    let (flat, _) = grad.into_raw_vec_and_offset();
    scalar(B::host_loss(
        [primitive(features)],
        f64_of(value),
        [grad_data(flat, shape)],
    ))
}

/// RankSim (Gong et al. 2022): λ·mean_i ‖rank(S_i^z) − rank(S_i^y)‖² over the batch's
/// cosine-similarity rows, with the blackbox-combinatorial gradient (interpolation strength
/// λ) — [`RankSim::forward_backward`] on the batch as given (subsample with
/// `srl_losses::baselines::ranksim::unique_label_subsample` first to match the reference).
#[derive(Debug, Clone)]
pub struct RankSimLoss<F: HostFloat = f32> {
    inner: RankSim,
    _float: PhantomData<F>,
}

impl<F: HostFloat> RankSimLoss<F> {
    /// Wraps a checked [`RankSim`].
    pub fn new(inner: RankSim) -> Self {
        Self {
            inner,
            _float: PhantomData,
        }
    }

    /// The loss on raw `features` (M×d) with `labels` (M); gradient to the features.
    pub fn forward<B: HostLossBackend>(
        &self,
        features: Tensor<B, 2>,
        labels: Tensor<B, 1>,
    ) -> Result<Tensor<B, 1>, SrlBurnError> {
        let h = to_host2::<B, F>("features", &features)?;
        let y = to_host1::<B, F>("labels", &labels)?;
        let mut grad = Array2::zeros(h.raw_dim());
        let value = self
            .inner
            .forward_backward(h.view(), y.view(), grad.view_mut())?;
        Ok(feature_loss(features, value, grad))
    }
}

/// ConR (Keramati et al. 2024) on one view's raw features: [`ConR::forward_backward`] with the
/// labels, the (detached) predictions and optional sample weights; gradient to the features.
#[derive(Debug, Clone)]
pub struct ConrLoss<F: HostFloat = f32> {
    inner: ConR,
    _float: PhantomData<F>,
}

impl<F: HostFloat> ConrLoss<F> {
    /// Wraps a checked [`ConR`].
    pub fn new(inner: ConR) -> Self {
        Self {
            inner,
            _float: PhantomData,
        }
    }

    /// The loss on `features` (n×D), `labels` (n), `predictions` (n, read as constants) and
    /// optional `weights` (n, ≥ 0).
    pub fn forward<B: HostLossBackend>(
        &self,
        features: Tensor<B, 2>,
        labels: Tensor<B, 1>,
        predictions: Tensor<B, 1>,
        weights: Option<Tensor<B, 1>>,
    ) -> Result<Tensor<B, 1>, SrlBurnError> {
        let h = to_host2::<B, F>("features", &features)?;
        let y = to_host1::<B, F>("labels", &labels)?;
        let p = to_host1::<B, F>("predictions", &predictions)?;
        let w = weights
            .map(|w| to_host1::<B, F>("weights", &w))
            .transpose()?;
        let mut grad = Array2::zeros(h.raw_dim());
        let out = self.inner.forward_backward(
            h.view(),
            y.view(),
            p.view(),
            w.as_ref().map(|w| w.view()),
            grad.view_mut(),
        )?;
        Ok(feature_loss(features, out.value, grad))
    }
}

/// Ordinal Entropy (Zhang et al. 2023): λ_d·L_d + λ_t·L_t on the normalised features —
/// [`OrdinalEntropy::forward_backward`]; gradient to the raw features.
#[derive(Debug, Clone)]
pub struct OrdinalEntropyLoss<F: HostFloat = f32> {
    inner: OrdinalEntropy,
    _float: PhantomData<F>,
}

impl<F: HostFloat> OrdinalEntropyLoss<F> {
    /// Wraps a checked [`OrdinalEntropy`].
    pub fn new(inner: OrdinalEntropy) -> Self {
        Self {
            inner,
            _float: PhantomData,
        }
    }

    /// The loss on raw features `h` (M×d) with `labels` (M).
    pub fn forward<B: HostLossBackend>(
        &self,
        h: Tensor<B, 2>,
        labels: Tensor<B, 1>,
    ) -> Result<Tensor<B, 1>, SrlBurnError> {
        let x = to_host2::<B, F>("h", &h)?;
        let y = to_host1::<B, F>("labels", &labels)?;
        let mut grad = Array2::zeros(x.raw_dim());
        let out = self
            .inner
            .forward_backward(x.view(), y.view(), grad.view_mut())?;
        Ok(feature_loss(h, out.value, grad))
    }
}

/// Rank-N-Contrast (Zha et al. 2023) on the features as given (n ≥ 2) —
/// [`RankNContrast::forward_backward`].
#[derive(Debug, Clone)]
pub struct RncLoss<F: HostFloat = f32> {
    inner: RankNContrast,
    _float: PhantomData<F>,
}

impl<F: HostFloat> RncLoss<F> {
    /// Wraps a checked [`RankNContrast`].
    pub fn new(inner: RankNContrast) -> Self {
        Self {
            inner,
            _float: PhantomData,
        }
    }

    /// The loss on `z` (n×D) with `labels` (n).
    pub fn forward<B: HostLossBackend>(
        &self,
        z: Tensor<B, 2>,
        labels: Tensor<B, 1>,
    ) -> Result<Tensor<B, 1>, SrlBurnError> {
        let x = to_host2::<B, F>("z", &z)?;
        let y = to_host1::<B, F>("labels", &labels)?;
        let mut grad = Array2::zeros(x.raw_dim());
        let value = self
            .inner
            .forward_backward(x.view(), y.view(), grad.view_mut())?;
        Ok(feature_loss(z, value, grad))
    }
}

/// Which Balanced MSE (Ren et al. 2022) estimate of the balanced likelihood.
#[derive(Debug, Clone, PartialEq)]
pub enum BalancedMseKind {
    /// Batch Monte-Carlo: the batch's targets as the prior's samples.
    Bmc,
    /// Bin-based numerical integration with a bucket prior.
    Bni(BniPrior),
    /// GMM analytic integration with a fitted 1-D mixture.
    Gai(GaussianMixture1d),
}

/// The Balanced MSE regression loss, L = 2σ²·(1/B)·Σ_i CE_i(σ) with the detached factor 2σ²
/// (the reference's `loss * (2 * noise_var).detach()`), and its learnable noise scale σ as a
/// burn parameter of this module (saved in its record, updated by the optimiser like any
/// other parameter; the reference gives it its own learning rate).
///
/// [`forward`](Self::forward) returns L with the gradient to the predictions and to σ.
#[derive(Module, Debug)]
pub struct BalancedMseLoss<B: Backend> {
    /// The noise scale σ (shape `[1]`).
    pub sigma: Param<Tensor<B, 1>>,
    #[module(skip)]
    kind: BalancedMseKind,
}

impl<B: Backend> BalancedMseLoss<B> {
    /// A loss with initial noise scale `sigma` (the reference: `init_noise_sigma`, 1.0 for
    /// DIR's IMDB-WIKI/AgeDB scripts) on `device`.
    pub fn new(kind: BalancedMseKind, sigma: f64, device: &B::Device) -> Self {
        Self::from_sigma(kind, Tensor::from_floats([sigma], device))
    }

    /// A loss whose σ is the given tensor (shape `[1]`; its dtype and device are kept).
    pub fn from_sigma(kind: BalancedMseKind, sigma: Tensor<B, 1>) -> Self {
        Self {
            sigma: Param::from_tensor(sigma),
            kind,
        }
    }

    /// The estimate used.
    pub fn kind(&self) -> &BalancedMseKind {
        &self.kind
    }
}

impl<B: HostLossBackend> BalancedMseLoss<B> {
    /// L on predictions `pred` (B) and targets `target` (B, constants); gradient to `pred`
    /// and σ, evaluated in `F` on the host.
    pub fn forward<F: HostFloat>(
        &self,
        pred: Tensor<B, 1>,
        target: Tensor<B, 1>,
    ) -> Result<Tensor<B, 1>, SrlBurnError> {
        let p = to_host1::<B, F>("pred", &pred)?;
        let t = to_host1::<B, F>("target", &target)?;
        let sigma = self.sigma.val();
        let s = to_host1::<B, F>("sigma", &sigma)?;
        if s.len() != 1 {
            return Err(SrlBurnError::ShapeMismatch {
                what: "sigma",
                expected: 1,
                got: s.len(),
            });
        }
        let mut grad = Array1::<F>::zeros(p.len());
        let out = match &self.kind {
            BalancedMseKind::Bmc => bmc_forward_backward(p.view(), t.view(), s[0], grad.view_mut()),
            BalancedMseKind::Bni(prior) => {
                bni_forward_backward(p.view(), t.view(), s[0], prior, grad.view_mut())
            }
            BalancedMseKind::Gai(gmm) => {
                gai_forward_backward(p.view(), t.view(), s[0], gmm, grad.view_mut())
            }
        }?;
        let n = grad.len();
        let (flat, _) = grad.into_raw_vec_and_offset();
        Ok(scalar(B::host_loss(
            [primitive(pred), primitive(sigma)],
            f64_of(out.value),
            [
                grad_data(flat, vec![n]),
                grad_data(vec![out.grad_sigma], vec![1]),
            ],
        )))
    }
}
