//! SRL and the feature-side DIR losses as [candle](https://github.com/huggingface/candle)
//! losses.
//!
//! Every loss is a scalar tensor built by a candle custom op (`CustomOp1`/`CustomOp2` with a
//! `bwd`): its value and its gradient come from srl-losses (one home for the numbers: no
//! formula is implemented twice), and `loss.backward()` gives the encoder's parameters their
//! gradients through candle's autodiff. Inputs are f32 or f64 tensors on any device: they are
//! copied to the host for the loss, and the gradient returns to the tensor's device.
//!
//! - [`SrlLoss`]: SRL (enveloping + homogeneity + centroid contrastive on the surrogate
//!   table), with its memory (streaming or exact update, warm-up, `end_epoch`) saved and loaded
//!   as safetensors.
//! - [`RankSimLoss`], [`ConrLoss`], [`OrdinalEntropyLoss`], [`RncLoss`]: the feature-side
//!   baselines.
//! - [`BalancedMseLoss`]: Balanced MSE (BMC, BNI, GAI) with gradients to the predictions and to
//!   a learnable σ.
//! - [`lds_weights`]: INV / SQINV / LDS per-sample weights as a tensor.
//!
//! ```
//! use candle_core::{DType, Device, Tensor, Var};
//! use candle_nn::{Linear, Module, Optimizer, VarBuilder, VarMap};
//! use srl_candle::{SrlLoss, SrlParams};
//!
//! let dev = Device::Cpu;
//! let varmap = VarMap::new();
//! let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
//! let encoder = candle_nn::linear(3, 4, vb.pp("encoder"))?;
//! let head = candle_nn::linear(4, 1, vb.pp("head"))?;
//! let mut opt = candle_nn::SGD::new(varmap.all_vars(), 0.1)?;
//! let mut params = SrlParams::tabular();
//! params.memory.warmup_epochs = 0;
//! let mut srl = SrlLoss::<f32>::new(params, vec![0.5, 1.5, 2.5], 4, 0)?;
//!
//! let x = Tensor::randn(0f32, 1.0, (8, 3), &dev)?;
//! let y = Tensor::new(&[0.2f32, 1.1, 2.7, 0.9, 1.4, 0.1, 2.2, 1.8], &dev)?;
//! let bins = [0, 1, 2, 0, 1, 0, 2, 1];
//! for _epoch in 0..2 {
//!     let h = encoder.forward(&x)?.relu()?;
//!     let pred = head.forward(&h)?.squeeze(1)?;
//!     let loss = ((pred - &y)?.abs()?.mean_all()? + srl.forward(&h, &bins)?)?;
//!     opt.backward_step(&loss)?;
//!     srl.end_epoch()?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

mod baselines;
mod error;
mod host;
mod srl;
mod weights;

pub use baselines::{
    BalancedMseKind, BalancedMseLoss, ConrLoss, OrdinalEntropyLoss, RankSimLoss, RncLoss,
};
pub use error::{Result, SrlCandleError};
pub use host::HostFloat;
pub use srl::SrlLoss;
pub use weights::lds_weights;

/// The candle this crate is built on (0.11): build tensors with it.
pub use candle_core;
/// The losses' parameter types, re-exported for convenience.
pub use srl_losses::baselines::balanced_mse::{BniPrior, GaussianMixture1d};
pub use srl_losses::baselines::conr::ConrConfig;
pub use srl_losses::baselines::lds::{LdsKernel, Reweight};
pub use srl_losses::{SrlParams, SrlParts, SrlWeights};
pub use srl_surrogate::{MemoryParams, MemoryUpdate};

/// The README's code, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
