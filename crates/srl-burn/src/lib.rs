//! SRL (Dong et al., CVPR 2025) and the DIR baseline losses as [burn](https://burn.dev)
//! losses.
//!
//! Every loss here is computed by `srl-losses` / `srl-surrogate` on the host — value and
//! hand-derived gradient in one `forward_backward` — and enters burn's autodiff graph as one
//! custom operation ([`HostLossBackend::host_loss`], a burn-autodiff `Backward` step): the
//! forward pass returns the value as a scalar tensor, the backward pass hands the Rust
//! gradient to the inputs. Works on `Autodiff<B>` for any burn backend `B`; tensors on a GPU
//! are copied to the host for the loss and the gradient is created on their device.
//!
//! - [`SrlLoss`]: the SRL objective with its surrogate memory as a burn record;
//! - [`RankSimLoss`], [`ConrLoss`], [`OrdinalEntropyLoss`], [`RncLoss`]: feature losses;
//! - [`BalancedMseLoss`]: Balanced MSE with its learnable σ (a burn parameter);
//! - [`weights_tensor`]: INV / SQINV / LDS sample weights.

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

pub mod baselines;
pub mod error;
pub mod host;
pub mod srl;
pub mod weights;

pub use baselines::{
    BalancedMseKind, BalancedMseLoss, ConrLoss, OrdinalEntropyLoss, RankSimLoss, RncLoss,
};
pub use error::SrlBurnError;
pub use host::{HostFloat, HostLossBackend};
pub use srl::{SrlLoss, SrlLossRecord};
pub use weights::weights_tensor;

// The README's code is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
