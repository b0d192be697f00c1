//! ConR (Keramati et al., ICLR 2024) — its whole room: parameters, presets, validation,
//! memory estimate and the training-step term.

use super::row_sample::RowSample;
use super::{
    loss_error, BuildContext, Contribution, MemoryShape, MethodComponent, Room, StepBatch,
    StepGrads, Terms,
};
use crate::component::{Component, PresetContext};
use crate::TrainError;
use ndarray::{s, Array1};
use serde::{Deserialize, Serialize};
use srl_losses::baselines::conr::{ConR, ConrConfig, ConrWorkspace};

/// ConR (Keramati et al., ICLR 2024) on the batch's features: positives are samples within ω
/// in label, hard negatives are label-far but prediction-near samples, pushed with weight
/// exp(e·|Δy|). Tabular data has no augmented views: the batch itself is the single view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConrParams {
    /// β, the weight of the term (reference 4 on AgeDB).
    pub weight: f64,
    /// Use a random subset of at most this many rows of the batch (O(M²) memory and time).
    pub max_samples: usize,
    /// ω, τ, e and the denominator choice of the loss. Here ω is counted in **bin widths** of
    /// the data's binning (the reference's ω = 1 year is one AgeDB bin), so one preset fits
    /// every target scale.
    pub loss: ConrConfig,
}

impl Room for ConrParams {
    const COMPONENT: Component = Component::Conr;
    type Valid = CheckedConr;

    /// β 0.1, τ 0.2, ω ½ bin on tables (chosen on Airfoil validation,
    /// docs/results/tuning/uci-conr.md); β 10⁻², ω 1 bin on IOL (untuned).
    fn preset(ctx: PresetContext) -> Self {
        let op = ctx.is_operator();
        ConrParams {
            weight: if op { 1e-2 } else { 0.1 },
            max_samples: 256,
            loss: ConrConfig {
                omega: if op { 1.0 } else { 0.5 },
                temperature: 0.2,
                ..ConrConfig::default()
            },
        }
    }

    fn check(&self) -> Result<CheckedConr, TrainError> {
        super::non_negative("method.conr.weight", self.weight)?;
        super::at_least_two("method.conr.max_samples", self.max_samples)?;
        Ok(CheckedConr {
            loss: ConR::new(self.loss)
                .map_err(|e| super::invalid("method.conr.loss", e.to_string()))?,
            params: *self,
        })
    }

    fn memory_bytes(&self, shape: &MemoryShape) -> f64 {
        shape.pairwise(self.max_samples)
    }

    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError> {
        Ok(Box::new(ConrTerm::new(valid, ctx)?))
    }
}

/// Checked [`ConrParams`]: the regulariser built (ω in bins, τ, e checked by it) and the rest.
#[derive(Debug, Clone, Copy)]
pub struct CheckedConr {
    loss: ConR,
    params: ConrParams,
}

/// ConR (Keramati et al., ICLR 2024) on the batch as its single view: β·ConR with the label
/// window ω given in bin widths.
#[derive(Debug)]
pub struct ConrTerm {
    loss: ConR,
    weight: f64,
    max_samples: usize,
    sample: RowSample,
    pred: Array1<f32>,
    workspace: ConrWorkspace<f32>,
}

impl ConrTerm {
    /// Builds the term; ω (in bin widths) becomes ω × bin width / target std, the window in
    /// the units the model trains on.
    pub fn new(valid: &CheckedConr, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let p = &valid.params;
        Ok(ConrTerm {
            loss: valid
                .loss
                .with_omega_scaled(ctx.bin_in_trained_units())
                .map_err(|e| loss_error("conr", e))?,
            weight: p.weight,
            max_samples: p.max_samples,
            sample: RowSample::new(ctx.seed ^ 0xC0_4C0_4C0),
            pred: Array1::zeros(0),
            workspace: ConrWorkspace::new(),
        })
    }
}

impl MethodComponent for ConrTerm {
    fn name(&self) -> &'static str {
        "conr"
    }

    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        self.sample.resume_state("conr")
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        self.sample.restore_state("conr", state)
    }

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        let m = self.sample.draw(batch, self.max_samples);
        if self.pred.len() < m {
            self.pred = Array1::zeros(m);
        }
        for (dst, &i) in self.pred.iter_mut().zip(&self.sample.rows) {
            *dst = batch.pred[i];
        }
        let (h, y, grad) = self.sample.parts();
        let out = self
            .loss
            .forward_backward_with(
                &mut self.workspace,
                h,
                y,
                self.pred.slice(s![..m]),
                None,
                grad,
            )
            .map_err(|e| loss_error("conr", e))?;
        self.sample.scatter(self.weight as f32, &mut grads.h);
        let v = f64::from(out.value);
        Ok(Contribution {
            total: self.weight * v,
            terms: Terms::new(&[("conr", v)]),
        })
    }
}
