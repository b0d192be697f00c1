//! Rank-N-Contrast (Zha et al., NeurIPS 2023) — its whole room: parameters, presets,
//! validation, memory estimate and the two-stage training term.

use super::row_sample::RowSample;
use super::{
    loss_error, BuildContext, Contribution, MemoryShape, MethodComponent, Room, StepBatch,
    StepGrads, Terms,
};
use crate::component::{Component, PresetContext};
use crate::stage::Stage;
use crate::TrainError;
use serde::{Deserialize, Serialize};
use srl_losses::baselines::rnc::RankNContrast;
use srl_losses::Temperature;

/// Rank-N-Contrast (Zha et al., NeurIPS 2023): the first `pretrain_share` of the epochs train
/// the encoder with L_RnC alone (the head is not trained); the rest train the head with the
/// regression side on the frozen encoder. Each stage runs the learning-rate schedule over its
/// own length; the model is selected on validation in the second stage only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RncParams {
    /// Temperature τ of s_ij = −‖z_i − z_j‖/τ (reference 2).
    pub tau: f64,
    /// Share of the epochs spent pre-training the encoder (reference 400 of 500 = 0.8).
    pub pretrain_share: f64,
    /// Use a random subset of at most this many rows per step (O(n² log n) per step).
    pub max_samples: usize,
}

impl Room for RncParams {
    const COMPONENT: Component = Component::Rnc;
    type Valid = CheckedRnc;

    /// τ 0.25 and 80 % pre-training on tables (chosen on Airfoil validation,
    /// docs/results/tuning/uci-rnc.md); τ 2 (the reference) on IOL.
    fn preset(ctx: PresetContext) -> Self {
        RncParams {
            tau: if ctx.is_operator() { 2.0 } else { 0.25 },
            pretrain_share: 0.8,
            max_samples: 256,
        }
    }

    fn check(&self) -> Result<CheckedRnc, TrainError> {
        let tau = Temperature::check("method.rnc.tau", self.tau)
            .map_err(|e| super::invalid("method.rnc.tau", e.to_string()))?;
        if !(self.pretrain_share > 0.0 && self.pretrain_share < 1.0) {
            return Err(super::invalid(
                "method.rnc.pretrain_share",
                format!("must be in (0, 1), got {}", self.pretrain_share),
            ));
        }
        super::at_least_two("method.rnc.max_samples", self.max_samples)?;
        Ok(CheckedRnc { tau, params: *self })
    }

    fn memory_bytes(&self, shape: &MemoryShape) -> f64 {
        shape.pairwise(self.max_samples)
    }

    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError> {
        Ok(Box::new(RncTerm::new(valid, ctx)?))
    }
}

/// Checked [`RncParams`]: τ as a checked [`Temperature`], and the rest.
#[derive(Debug, Clone, Copy)]
pub struct CheckedRnc {
    tau: Temperature,
    params: RncParams,
}

/// Rank-N-Contrast (Zha et al., NeurIPS 2023): L_RnC on a random subset of at most
/// `max_samples` rows during the pre-training stage; afterwards the encoder is frozen and only
/// the head trains (see [`MethodComponent::pretrain_epochs`]).
#[derive(Debug)]
pub struct RncTerm {
    loss: RankNContrast,
    pretrain_epochs: usize,
    max_samples: usize,
    sample: RowSample,
}

impl RncTerm {
    /// Builds the term: the first ⌊share · epochs⌋ epochs (at least 1, at most epochs − 1)
    /// pre-train the encoder.
    pub fn new(valid: &CheckedRnc, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let p = &valid.params;
        if ctx.epochs < 2 {
            return Err(TrainError::InvalidConfig {
                field: "optim.epochs",
                reason: "Rank-N-Contrast needs at least 2 epochs (pre-training, then the head)"
                    .into(),
            });
        }
        let pretrain = ((p.pretrain_share * ctx.epochs as f64) as usize).clamp(1, ctx.epochs - 1);
        Ok(RncTerm {
            loss: RankNContrast::with_temperature(valid.tau),
            pretrain_epochs: pretrain,
            max_samples: p.max_samples,
            sample: RowSample::new(ctx.seed ^ 0x0A4C_0A4C),
        })
    }
}

impl MethodComponent for RncTerm {
    fn name(&self) -> &'static str {
        "rnc"
    }

    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        self.sample.resume_state("rnc")
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        self.sample.restore_state("rnc", state)
    }

    fn pretrain_epochs(&self) -> usize {
        self.pretrain_epochs
    }

    fn active_in(&self, stage: Stage) -> bool {
        stage == Stage::Pretrain
    }

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        if batch.rows.len() < 2 {
            return Ok(Contribution::default());
        }
        self.sample.draw(batch, self.max_samples);
        let (h, y, grad) = self.sample.parts();
        let value = self
            .loss
            .forward_backward(h, y, grad)
            .map_err(|e| loss_error("rnc", e))?;
        self.sample.scatter(1.0, &mut grads.h);
        let v = f64::from(value);
        Ok(Contribution {
            total: v,
            terms: Terms::new(&[("rnc", v)]),
        })
    }
}
