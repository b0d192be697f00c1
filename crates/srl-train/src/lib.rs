//! Training machinery for SRL (Dong et al., CVPR 2025, arXiv 2503.00876): an MLP encoder with a
//! hand-derived backward pass, PyTorch-exact optimisers, learning-rate schedules and seeded
//! mini-batching.
//!
//! - [`mlp`]: [`Mlp`] (`x → h → ŷ`), [`MlpWorkspace`], [`MlpGradients`], checkpoints.
//! - [`optim`]: [`Optimizer`] (AdamW, SGD) and [`clip_grad_norm`].
//! - [`schedule`]: [`LrSchedule`] (constant, step, cosine; linear warm-up).
//! - [`batches`]: [`BatchSampler`], [`BatchBuffer`].
//!
//! Everything numeric is generic over [`srl_geometry::Float`]: `f32` for training, `f64` for
//! gradient checks.
//!
//! ```
//! use ndarray::{Array1, Array2};
//! use srl_train::{Mlp, MlpConfig, Optimizer, OptimizerConfig};
//! // One AdamW step on the MSE of a tiny network.
//! let mut mlp = Mlp::<f32>::new(&MlpConfig::new(2, vec![8, 4]), 0).unwrap();
//! let (x, y) = (Array2::<f32>::ones((4, 2)), Array1::<f32>::zeros(4));
//! let mut ws = mlp.workspace(4);
//! let mut grads = mlp.gradients();
//! let mut opt = Optimizer::new(OptimizerConfig::adamw(1e-3), mlp.num_parameters()).unwrap();
//! mlp.forward(x.view(), &mut ws).unwrap();
//! let grad_pred = (&ws.predictions() - &y) * (2.0 / 4.0);
//! mlp.backward(&mut ws, grad_pred.view(), None, &mut grads).unwrap();
//! opt.step(mlp.flat_parameters_mut(), grads.as_slice(), 1e-3).unwrap();
//! ```

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

// Feature `blas`: link the BLAS provider behind ndarray's `blas` feature (a system OpenBLAS).
#[cfg(feature = "blas")]
extern crate blas_src;
#[cfg(feature = "blas")]
use openblas_src as _;

pub mod batches;
pub mod compare;
pub mod component;
pub mod components;
pub mod config;
pub mod error;
pub mod memory;
pub mod method;
pub mod mlp;
pub mod model;
pub mod optim;
pub mod report;
pub mod resample;
pub mod resume;
pub mod run;
pub mod run_folder;
pub mod schedule;
pub mod stage;
mod step;
pub mod trainer;

pub use batches::{gather_rows_into, gather_values_into, BatchBuffer, BatchMode, BatchSampler};
pub use components::{MethodComponent, MethodState};
pub use config::{DataConfig, ModelConfig, OptimConfig, Profile, RunConfig, ValidRunConfig};
pub use error::{check_finite, TrainError};
pub use memory::{MemoryEstimate, DEFAULT_MEMORY_LIMIT};
pub use method::{Component, MethodName, MethodParams, ValidMethodParams};
pub use mlp::{
    FeatureActivation, HeadInput, LayerState, Mlp, MlpConfig, MlpGradients, MlpState, MlpWorkspace,
};
pub use model::{average_predictions, Ensemble, SavedModel, TrainedModel};
/// The ndarray this crate is built on (0.16, the line linfa 0.8 uses).
pub use ndarray;
pub use optim::{clip_grad_norm, Optimizer, OptimizerConfig, ValidOptimizerConfig};
pub use report::{
    EpochLog, GeometryReport, ProtocolReport, RelevanceReport, RunOutcome, RunReport,
};
pub use resume::ResumeState;
pub use run::{evaluate, prepare_data, run, run_with, RunControl, CHECKPOINTS_PER_RUN};
pub use schedule::{LrDecay, LrSchedule};
pub use stage::{Stage, Stages};
pub use trainer::{Trainer, COVERAGE_EPS};
