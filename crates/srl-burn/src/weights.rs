//! DIR's per-sample weights (INV, SQINV, LDS) as burn tensors, from `srl_losses::baselines::lds`.

use crate::SrlBurnError;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use srl_losses::baselines::lds::{lds_weights, LdsKernel, Reweight};

/// The weight of every training sample, w_i ∝ 1/n_{b_i} (INV, counts clipped to [5, 1000]),
/// 1/√n_{b_i} (SQINV), or the same on the LDS-smoothed counts (kernel given), rescaled to
/// mean 1 — [`lds_weights`] as a tensor (shape `[M]`) on `device`. Multiply the per-sample
/// regression loss with it, e.g. `((pred - y).abs() * w).mean()`.
///
/// ```
/// use burn::backend::Flex;
/// use srl_burn::weights_tensor;
/// use srl_losses::baselines::lds::Reweight;
/// let w = weights_tensor::<Flex>(&[0, 0, 0, 0, 1], 2, Reweight::SqrtInverse, None, &Default::default()).unwrap();
/// let w: Vec<f32> = w.into_data().to_vec().unwrap();
/// assert!((w[4] - 5.0 / 3.0).abs() < 1e-6);
/// ```
pub fn weights_tensor<B: Backend>(
    bins: &[usize],
    num_bins: usize,
    reweight: Reweight,
    kernel: Option<&LdsKernel>,
    device: &B::Device,
) -> Result<Tensor<B, 1>, SrlBurnError> {
    let w = lds_weights(bins, num_bins, reweight, kernel)?;
    let n = w.len();
    Ok(Tensor::from_data(
        TensorData::new(w, [n]).convert::<B::FloatElem>(),
        device,
    ))
}
