//! Baselines of deep imbalanced regression (DIR) with hand-derived gradients, ported from the
//! public reference code and checked against it (docs/baselines.md describes the exact
//! reference behaviour, its defaults and quirks, and what each port replicates or fixes).
//!
//! - [`lds`]: SQINV / INV re-weighting and label distribution smoothing (Yang et al., ICML 2021),
//!   plus the kernel windows shared with FDS.
//! - [`denseweight`]: DenseWeight (Steininger et al., Machine Learning 2021): weights from a
//!   kernel density estimate of the raw training targets, as the authors' package computes them.
//! - [`balanced_mse`]: Balanced MSE — BMC, BNI and GAI (Ren et al., CVPR 2022).
//! - [`ordinal_entropy`]: the ordinal-entropy regulariser (Zhang et al., ICLR 2023).
//! - [`ranksim`]: RankSim (Gong et al., ICML 2022) with blackbox-differentiation backward.
//! - [`fds`]: feature distribution smoothing (Yang et al., ICML 2021), using the LDS kernels
//!   sum-normalised ([`lds::LdsKernel::window_sum_normalised`]).
//! - [`conr`]: ConR, contrastive regularisation for DIR (Keramati et al., ICLR 2024).
//! - [`rnc`]: Rank-N-Contrast (Zha et al., NeurIPS 2023), the contrastive pre-training loss.
//! - [`dist`]: Dist Loss (Nie et al., ICLR 2025): soft-sorted predictions against pseudo-labels
//!   from the smoothed training label distribution.
//!
//! Every module documents which quirks of the reference implementation it replicates and
//! which it fixes.

pub mod balanced_mse;
pub mod conr;
pub mod denseweight;
pub mod dist;
pub mod fds;
pub mod lds;
pub mod ordinal_entropy;
pub mod ranksim;
pub mod rnc;

/// Validates a feature-level baseline's batch: `features` (M × D) non-empty and finite,
/// `labels` of length M and finite, and the gradient buffer `grad_dim` of the same shape
/// (`grad_what` names it in the error). Returns M.
pub(crate) fn check_feature_batch<F: srl_geometry::Float>(
    features: ndarray::ArrayView2<F>,
    labels: ndarray::ArrayView1<F>,
    grad_dim: (usize, usize),
    grad_what: &'static str,
) -> Result<usize, crate::LossError> {
    let m = features.nrows();
    if m == 0 {
        return Err(crate::LossError::Empty { what: "features" });
    }
    if labels.len() != m {
        return Err(crate::LossError::ShapeMismatch {
            what: "labels length",
            expected: m,
            got: labels.len(),
        });
    }
    if grad_dim != features.dim() {
        return Err(crate::LossError::ShapeMismatch {
            what: grad_what,
            expected: m,
            got: grad_dim.0,
        });
    }
    if let Some(index) = features.iter().position(|v| !v.is_finite()) {
        return Err(crate::LossError::NonFinite {
            what: "features",
            index,
        });
    }
    crate::regression::check_finite("labels", labels)?;
    Ok(m)
}
