//! FDS as a layer between encoder and head (Yang et al., ICML 2021, §3.2): per-bin running
//! statistics of the representation, updated after every epoch from a full pass over the
//! training set and smoothed over neighbouring bins; during training the head reads the
//! calibrated u = (h − μ_b)·sqrt(clamp(σ̃²_b/σ²_b, 0.1, 10)) + μ̃_b.
//!
//! The statistics are taken from the raw encoder output h (the reference tracks its own
//! already-calibrated features, a side effect of writing them in place); SRL, RankSim, ConR and
//! ordinal entropy also read the raw h. Evaluation and prediction use the raw h too: the
//! calibration needs the sample's label bin (docs/baselines.md).

use super::{
    from_state, loss_error, to_state, BuildContext, MemoryShape, MethodComponent, MethodState,
    Room, TrainPass,
};
use crate::component::{Component, PresetContext};
use crate::TrainError;
use ndarray::ArrayViewMut2;
use srl_losses::baselines::fds::{FdsParams, FeatureDistributionSmoothing, ValidFdsParams};

/// FDS's room: its parameters are [`FdsParams`] (srl-losses).
impl Room for FdsParams {
    const COMPONENT: Component = Component::Fds;
    type Valid = ValidFdsParams;

    /// Momentum 0.99 on tables (chosen on Airfoil validation, docs/results/tuning/uci-fds.md),
    /// 0.9 (the reference) on IOL; the reference's kernel.
    fn preset(ctx: PresetContext) -> Self {
        FdsParams {
            momentum: Some(if ctx.is_operator() { 0.9 } else { 0.99 }),
            ..FdsParams::default()
        }
    }

    fn check(&self) -> Result<ValidFdsParams, TrainError> {
        FdsParams::check(self).map_err(|e| super::invalid("method.fds", e.to_string()))
    }

    /// Running, smoothed and epoch statistics: six K × d tables (f32).
    fn memory_bytes(&self, shape: &MemoryShape) -> f64 {
        6.0 * 4.0 * shape.num_bins as f64 * shape.dim as f64
    }

    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError> {
        Ok(Box::new(FdsLayer::new(valid, ctx)?))
    }
}

/// The FDS statistics and calibration.
#[derive(Debug)]
pub struct FdsLayer {
    fds: FeatureDistributionSmoothing<f32>,
}

impl FdsLayer {
    /// Fresh statistics (means 0, variances 1) for K bins × d dimensions.
    pub fn new(params: &ValidFdsParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let fds = FeatureDistributionSmoothing::from_valid(ctx.num_bins, ctx.dim, *params)
            .map_err(|e| loss_error("fds", e))?;
        Ok(FdsLayer { fds })
    }

    /// The statistics.
    pub fn statistics(&self) -> &FeatureDistributionSmoothing<f32> {
        &self.fds
    }
}

impl MethodComponent for FdsLayer {
    fn name(&self) -> &'static str {
        "fds"
    }

    fn head_calibration(
        &self,
        epoch: usize,
        bins: &[usize],
        mut scale: ArrayViewMut2<'_, f32>,
        mut shift: ArrayViewMut2<'_, f32>,
    ) -> Result<bool, TrainError> {
        if !self.fds.is_smoothing(epoch) {
            return Ok(false);
        }
        let (s, t) = (self.fds.calibration_scale(), self.fds.calibration_shift());
        for (r, &b) in bins.iter().enumerate() {
            if b >= s.nrows() {
                return Err(TrainError::Component {
                    component: "fds",
                    reason: format!("bin {b} of batch row {r} is outside the {} bins", s.nrows()),
                });
            }
            scale.row_mut(r).assign(&s.row(b));
            shift.row_mut(r).assign(&t.row(b));
        }
        Ok(true)
    }

    fn needs_train_pass(&self, epoch: usize) -> bool {
        epoch >= self.fds.config().params.start_update
    }

    fn end_epoch(&mut self, epoch: usize, pass: Option<&TrainPass<'_>>) -> Result<(), TrainError> {
        if let Some(pass) = pass {
            self.fds
                .update(epoch, pass.h, pass.bins)
                .map_err(|e| loss_error("fds", e))?;
        }
        Ok(())
    }

    fn save_state(&self, state: &mut MethodState) {
        state.fds = Some(self.fds.clone());
    }

    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        to_state("fds", &self.fds)
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        let fds: FeatureDistributionSmoothing<f32> = from_state("fds", state)?;
        fds.check_state().map_err(|e| loss_error("fds", e))?;
        if fds.config() != self.fds.config() {
            return Err(TrainError::InvalidState {
                reason: "saved FDS statistics have other settings than the run's".into(),
            });
        }
        self.fds = fds;
        Ok(())
    }
}
