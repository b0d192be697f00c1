//! The method components as the trainer sees them: one trait, [`MethodComponent`], through
//! which every ingredient of a method (a [`crate::method::MethodParams`]) plugs into a training
//! step.
//!
//! Per step the trainer (1) asks every component for a head-input calibration (FDS), (2) lets
//! the regression side write ∂L_reg/∂ŷ (Dist Loss adds to it), (3) lets every
//! representation-side component add its weighted ∂L/∂h, (4) back-propagates and steps the optimiser, then (5) calls
//! [`MethodComponent::after_step`]. After each epoch it runs one no-grad pass over the training
//! set if any component asks for it ([`MethodComponent::needs_train_pass`]) and calls
//! [`MethodComponent::end_epoch`]. A component's learned state goes into the checkpoint through
//! [`MethodComponent::save_state`].
//!
//! **One room per method beyond the regression side's own loss, re-weighting and Balanced
//! MSE** (the representation terms, FDS, Rank-N-Contrast and Dist Loss). Each has one file here
//! holding everything the project knows about it — its parameters (the `[method]` table's
//! entry), presets, validation (once: [`Room::check`] returns the checked form
//! [`Room::build`] takes), memory estimate and training-step term — tied together by the
//! [`Room`] trait. The files depend on the method table ([`crate::component`]) only; the
//! method layer ([`crate::method`]) lists the rooms in one line each and builds
//! [`MethodParams`](crate::method::MethodParams), its presets and checks, the memory guard
//! and the components from that list. Adding such a method is its file here (with its `mod`
//! line), its variant and row in [`crate::component::COMPONENTS`], and its line in the room
//! list of [`crate::method`].

pub(crate) mod conr;
pub(crate) mod dist;
mod fds;
pub(crate) mod ordinal_entropy;
pub(crate) mod ranksim;
pub(crate) mod regression;
pub(crate) mod rnc;
mod row_sample;
mod srl;

pub use conr::ConrTerm;
pub use fds::FdsLayer;
pub use ordinal_entropy::OrdinalEntropyTerm;
pub use ranksim::RankSimTerm;
pub use regression::{fit_gmm_1d, RegressionSide};
pub use rnc::RncTerm;
pub use srl::SrlTerm;

use crate::component::{Component, PresetContext};
use crate::stage::Stage;
use crate::TrainError;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use serde::{Deserialize, Serialize};
use srl_losses::baselines::fds::FeatureDistributionSmoothing;
use srl_surrogate::Surrogate;
use std::sync::Arc;

/// What the components are built from: the training part, shapes and the seed.
#[derive(Debug, Clone, Copy)]
pub struct BuildContext<'a> {
    /// Number of label bins K.
    pub num_bins: usize,
    /// Representation width d.
    pub dim: usize,
    /// Bin centres in target units.
    pub bin_centres: &'a [f64],
    /// Bin of every training row.
    pub train_bins: &'a [usize],
    /// The user's weight of every training row (mean 1), multiplying the regression loss's
    /// per-row terms ([`crate::Trainer::with_sample_weights`]); `None`: unweighted.
    pub train_weights: Option<&'a [f64]>,
    /// Training targets as trained on (standardised if the model standardises).
    pub train_y: ArrayView1<'a, f32>,
    /// Training targets in their own units, as read (DenseWeight's density estimate).
    pub train_targets: &'a [f64],
    /// Target scale: trained target = (y − mean)/std.
    pub y_mean: f64,
    /// See `y_mean`.
    pub y_std: f64,
    /// Run seed.
    pub seed: u64,
    /// Epochs of the run (full-batch: iterations).
    pub epochs: usize,
}

impl BuildContext<'_> {
    /// The length of one label bin in the units the model trains on: bin width / target std
    /// (the width of the first bin; 1 / std with a single bin). Settings given in bins (ConR's
    /// ω, Dist Loss's ε) are multiplied by it.
    pub fn bin_in_trained_units(&self) -> f64 {
        let bin_width = match self.bin_centres {
            [a, b, ..] => b - a,
            _ => 1.0,
        };
        bin_width / self.y_std
    }
}

/// One training step as a component sees it (rows of the current batch).
#[derive(Debug, Clone, Copy)]
pub struct StepBatch<'a> {
    /// Epoch (full-batch mode: iteration), 0-based.
    pub epoch: usize,
    /// Global step counter.
    pub step: usize,
    /// The epoch's stage ([`crate::stage`]): a two-stage method's pre-training trains no
    /// regression.
    pub stage: Stage,
    /// Row numbers in the training part.
    pub rows: &'a [usize],
    /// Raw representation h (M × d).
    pub h: ArrayView2<'a, f32>,
    /// z = h/‖h‖ (M × d).
    pub z: ArrayView2<'a, f32>,
    /// Predictions ŷ as trained on (M).
    pub pred: ArrayView1<'a, f32>,
    /// Targets as trained on (M).
    pub y: ArrayView1<'a, f32>,
    /// Label bins (M).
    pub bins: &'a [usize],
}

/// Where a component writes its gradient.
#[derive(Debug)]
pub struct StepGrads<'a> {
    /// ∂L/∂ŷ (M): written by the regression side.
    pub pred: ArrayViewMut1<'a, f32>,
    /// ∂L/∂h (M × d): representation-side components **add** to it.
    pub h: ArrayViewMut2<'a, f32>,
}

/// A component's share of one step's loss.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contribution {
    /// Weighted value added to the total loss.
    pub total: f64,
    /// Unweighted named terms, for the log (e.g. `envelope`, `ranksim`).
    pub terms: Terms,
}

/// Most named terms one component reports per step.
pub const MAX_TERMS: usize = 3;

/// A component's named loss terms of one step, held inline (no allocation per step).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Terms {
    items: [(&'static str, f64); MAX_TERMS],
    len: usize,
}

impl Terms {
    /// The first [`MAX_TERMS`] of `items`.
    ///
    /// ```
    /// let t = srl_train::components::Terms::new(&[("reg", 0.5), ("sigma", 1.0)]);
    /// assert_eq!(t.as_slice(), &[("reg", 0.5), ("sigma", 1.0)]);
    /// ```
    pub fn new(items: &[(&'static str, f64)]) -> Self {
        let mut t = Terms::default();
        for &item in items.iter().take(MAX_TERMS) {
            t.items[t.len] = item;
            t.len += 1;
        }
        t
    }

    /// The terms.
    pub fn as_slice(&self) -> &[(&'static str, f64)] {
        &self.items[..self.len]
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The full training set's representation after an epoch (for FDS statistics and the exact
/// SRL memory update).
#[derive(Debug, Clone, Copy)]
pub struct TrainPass<'a> {
    /// h of every training row (N × d).
    pub h: ArrayView2<'a, f32>,
    /// Their bins.
    pub bins: &'a [usize],
}

/// Learned state of a method beyond the network weights, saved in the checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodState {
    /// FDS running and smoothed statistics (Yang et al. 2021). Not applied at prediction: the
    /// calibration needs the sample's label bin, which a test row does not have (as in the
    /// reference); kept so a run can be inspected and resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fds: Option<FeatureDistributionSmoothing<f32>>,
    /// Balanced MSE's trained noise scale σ (standardised target units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balanced_mse_sigma: Option<f64>,
}

impl MethodState {
    /// Checks a loaded state (shapes and finiteness).
    pub fn check(&self) -> Result<(), TrainError> {
        if let Some(f) = &self.fds {
            f.check_state().map_err(|e| TrainError::InvalidState {
                reason: format!("FDS state: {e}"),
            })?;
        }
        if let Some(s) = self.balanced_mse_sigma {
            if !(s.is_finite() && s > 0.0) {
                return Err(TrainError::InvalidState {
                    reason: format!("Balanced MSE σ must be finite and > 0, got {s}"),
                });
            }
        }
        Ok(())
    }
}

/// One ingredient of a method, plugged into the trainer. Every method has a default no-op.
pub trait MethodComponent: Send {
    /// Short name (for errors and logs).
    fn name(&self) -> &'static str;

    /// Called before the first step of every epoch.
    fn start_epoch(&mut self, _epoch: usize) -> Result<(), TrainError> {
        Ok(())
    }

    /// FDS-style calibration of the head input u = h ⊙ scale + shift for the batch's `bins`.
    /// Fills `scale` and `shift` (M × d) and returns `true` if the head should read u.
    fn head_calibration(
        &self,
        _epoch: usize,
        _bins: &[usize],
        _scale: ArrayViewMut2<'_, f32>,
        _shift: ArrayViewMut2<'_, f32>,
    ) -> Result<bool, TrainError> {
        Ok(false)
    }

    /// Whether the component's [`contribute`](Self::contribute) takes part in steps of
    /// `stage`. By default in the regression stage only: every component of a one-stage run,
    /// the head stage of a two-stage one. (Rank-N-Contrast's term: pre-training only.) A
    /// representation term beside a two-stage method would therefore be off while it
    /// pre-trains; the method names forbid that combination (rnc combines with the regression
    /// side only).
    fn active_in(&self, stage: Stage) -> bool {
        stage == Stage::Regression
    }

    /// The component's loss on the batch and its gradient (see [`StepGrads`]).
    fn contribute(
        &mut self,
        _batch: &StepBatch<'_>,
        _grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        Ok(Contribution::default())
    }

    /// Whether the component's gradient goes to the representation h (every component but the
    /// regression side, which writes ∂L/∂ŷ).
    fn writes_features(&self) -> bool {
        true
    }

    /// Called after the optimiser step (memory accumulation, own parameter updates).
    fn after_step(&mut self, _batch: &StepBatch<'_>, _lr_scale: f64) -> Result<(), TrainError> {
        Ok(())
    }

    /// Whether [`end_epoch`](Self::end_epoch) of `epoch` needs a full pass over the training
    /// set.
    fn needs_train_pass(&self, _epoch: usize) -> bool {
        false
    }

    /// Called after every epoch, with the training pass if requested.
    fn end_epoch(
        &mut self,
        _epoch: usize,
        _pass: Option<&TrainPass<'_>>,
    ) -> Result<(), TrainError> {
        Ok(())
    }

    /// Writes the component's learned state.
    fn save_state(&self, _state: &mut MethodState) {}

    /// Everything of the component that changes during training beyond the network (memory,
    /// statistics, random generator, own parameters and their optimiser), for a resumable
    /// checkpoint ([`crate::resume`]). `Null` for a component without such state.
    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        Ok(serde_json::Value::Null)
    }

    /// Restores what [`resume_state`](Self::resume_state) saved, after checking it against the
    /// freshly built component (shapes, settings, finiteness).
    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        if state.is_null() {
            Ok(())
        } else {
            Err(TrainError::InvalidState {
                reason: format!(
                    "component `{}` keeps no state, but one was saved",
                    self.name()
                ),
            })
        }
    }

    /// The surrogate memory, if the component keeps one (SRL), for the geometry log.
    fn memory(&self) -> Option<&Surrogate<f32>> {
        None
    }

    /// Two-stage methods (Rank-N-Contrast): the number of initial epochs that train the
    /// encoder without the regression loss; after them the encoder is frozen and only the head
    /// trains. 0 (the default) is ordinary one-stage training. The trainer runs the longest
    /// pre-training any component asks for ([`crate::stage::Stages`]) and tells every step its
    /// stage ([`StepBatch::stage`]).
    fn pretrain_epochs(&self) -> usize {
        0
    }
}

/// The sizes a component's memory estimate depends on.
#[derive(Debug, Clone, Copy)]
pub struct MemoryShape {
    /// Number of label bins K.
    pub num_bins: usize,
    /// Representation width d.
    pub dim: usize,
    /// Rows per step (the batch, or the training set for full-batch runs).
    pub batch: usize,
}

impl MemoryShape {
    /// Bytes of an O(s²) pairwise term on at most `max_samples` rows of the batch (f32): the
    /// s × s similarity, rank and gradient matrices and the gathered s × d features.
    pub fn pairwise(&self, max_samples: usize) -> f64 {
        let s = max_samples.min(self.batch) as f64;
        4.0 * (4.0 * s * s + 3.0 * s * self.dim as f64)
    }
}

/// Everything the project knows about one method component with a room, implemented on
/// its parameter type (see the module docs).
pub trait Room: Sized + 'static {
    /// Its row of the method table.
    const COMPONENT: Component;
    /// What [`check`](Room::check) makes of the parameters: the checked values (the losses'
    /// own checked types where they have one), which [`build`](Room::build) takes without
    /// checking again.
    type Valid: std::fmt::Debug + Send + Sync + 'static;
    /// The project's preset in `ctx`.
    fn preset(ctx: PresetContext) -> Self;
    /// Validates every field once; the error names it (`method.ranksim.weight`).
    fn check(&self) -> Result<Self::Valid, TrainError>;
    /// Bytes the component adds to a run (buffers per step, statistics).
    fn memory_bytes(&self, shape: &MemoryShape) -> f64;
    /// The training-step component, from the checked parameters and the data's shapes.
    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError>;
}

/// A room's checked parameters, ready to build its component ([`ValidMethodParams`](crate::method::ValidMethodParams) holds one
/// per room that is on, in step order).
pub trait CheckedRoom: std::fmt::Debug + Send + Sync {
    /// Its component.
    fn component(&self) -> Component;
    /// [`Room::build`].
    fn build(&self, ctx: &BuildContext<'_>) -> Result<Box<dyn MethodComponent>, TrainError>;
}

struct Checked<R: Room>(R::Valid);

impl<R: Room> std::fmt::Debug for Checked<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<R: Room> CheckedRoom for Checked<R> {
    fn component(&self) -> Component {
        R::COMPONENT
    }

    fn build(&self, ctx: &BuildContext<'_>) -> Result<Box<dyn MethodComponent>, TrainError> {
        R::build(&self.0, ctx)
    }
}

/// A room's parameters checked ([`Room::check`]), type-erased so that rooms of different
/// types share one list.
pub fn checked<R: Room>(params: &R) -> Result<Arc<dyn CheckedRoom>, TrainError> {
    Ok(Arc::new(Checked::<R>(params.check()?)))
}

pub(crate) fn invalid(field: &'static str, reason: String) -> TrainError {
    TrainError::InvalidConfig { field, reason }
}

pub(crate) fn positive(field: &'static str, v: f64) -> Result<(), TrainError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(field, format!("must be finite and > 0, got {v}")))
    }
}

pub(crate) fn non_negative(field: &'static str, v: f64) -> Result<(), TrainError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(field, format!("must be finite and ≥ 0, got {v}")))
    }
}

pub(crate) fn at_least_two(field: &'static str, v: usize) -> Result<(), TrainError> {
    if v >= 2 {
        Ok(())
    } else {
        Err(invalid(field, "must be ≥ 2".into()))
    }
}

/// A component's resumable state as JSON.
pub(crate) fn to_state<T: Serialize>(
    component: &'static str,
    value: &T,
) -> Result<serde_json::Value, TrainError> {
    serde_json::to_value(value).map_err(|e| TrainError::InvalidState {
        reason: format!("saving the state of `{component}`: {e}"),
    })
}

/// A component's resumable state back from JSON.
pub(crate) fn from_state<T: serde::de::DeserializeOwned>(
    component: &'static str,
    value: serde_json::Value,
) -> Result<T, TrainError> {
    serde_json::from_value(value).map_err(|e| TrainError::InvalidState {
        reason: format!("saved state of `{component}`: {e}"),
    })
}

/// Wraps a loss-crate error with the component that raised it.
pub(crate) fn loss_error(component: &'static str, e: srl_losses::LossError) -> TrainError {
    TrainError::Component {
        component,
        reason: e.to_string(),
    }
}
