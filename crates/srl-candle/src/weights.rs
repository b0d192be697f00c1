//! DIR's per-sample re-weighting (INV, SQINV, LDS of Yang et al., ICML 2021) as tensors.

use crate::Result;
use candle_core::{DType, Device, Tensor};
use srl_losses::baselines::lds::{LdsKernel, Reweight};

/// Per-sample training weights w_i ∝ 1/ñ_{b_i} with mean 1 (DIR's `_prepare_weights`), as a
/// tensor of shape (M) and dtype `dtype` on `device`, from [`srl_losses::baselines::lds::lds_weights`]:
///
/// ```text
/// ñ_b = clip(n_b, 5, 1000) (INV) or √n_b (SQINV), optionally smoothed by the LDS kernel;
/// w_i = (1/ñ_{b_i}) · M / Σ_j 1/ñ_{b_j}
/// ```
///
/// `bins` are the training samples' bins (< `num_bins`); `Reweight::None` gives ones. Multiply
/// a per-sample regression loss by it (e.g. `(pred − y).abs() * w`, then the mean).
///
/// ```
/// use candle_core::{DType, Device};
/// use srl_candle::{lds_weights, LdsKernel, Reweight};
/// let bins = [0, 0, 0, 0, 1];
/// let w = lds_weights(&bins, 2, Reweight::SqrtInverse, None, DType::F32, &Device::Cpu)?;
/// let w = w.to_vec1::<f32>()?;
/// assert!((w[0] - 5.0 / 6.0).abs() < 1e-6 && (w[4] - 5.0 / 3.0).abs() < 1e-6);
/// let lds = lds_weights(&bins, 2, Reweight::SqrtInverse, Some(&LdsKernel::dir_default()), DType::F64, &Device::Cpu)?;
/// assert_eq!(lds.dims(), &[5]);
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
pub fn lds_weights(
    bins: &[usize],
    num_bins: usize,
    reweight: Reweight,
    kernel: Option<&LdsKernel>,
    dtype: DType,
    device: &Device,
) -> Result<Tensor> {
    let w = srl_losses::baselines::lds::lds_weights(bins, num_bins, reweight, kernel)?;
    let n = w.len();
    Ok(Tensor::from_vec(w, n, device)?.to_dtype(dtype)?)
}
