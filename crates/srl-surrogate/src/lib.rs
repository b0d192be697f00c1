//! The SRL surrogate (Dong et al., "Improve Representation for Imbalanced Regression through
//! Geometric Constraints", CVPR 2025, Eq. 8–9).
//!
//! - [`Surrogate`] owns the K×d memory S of per-bin mean representations, the seen flags and
//!   the epoch accumulators, and applies the momentum update S ← α·S + (1−α)·Ŝ once per epoch.
//! - [`Surrogate::complete`] builds a batch's [`SurrogateTable`]: batch centroids for bins in the
//!   batch (differentiable), normalised memory rows for absent bins, zero rows for never-seen
//!   bins. [`SurrogateTable::backward_into`] maps ∂L/∂table back to ∂L/∂z.
//! - [`SurrogateConfig`] / [`MemoryUpdate`] make the paper-vs-code choices explicit
//!   (warm-up epochs; streaming vs exact epoch means).

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

pub mod config;
pub mod error;
pub mod memory;
pub mod table;

pub use config::{MemoryParams, MemoryUpdate, SurrogateConfig, ValidMemoryParams};
pub use error::SurrogateError;
pub use memory::Surrogate;
pub use table::{RowSource, SurrogateTable};

/// The ndarray this crate is built on (0.16, the line linfa 0.8 uses): build inputs with it.
pub use ndarray;
