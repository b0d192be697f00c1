//! RankSim (Gong et al., ICML 2022) — its whole room: parameters, presets, validation, memory
//! estimate and the training-step term.

use super::row_sample::RowSample;
use super::{
    loss_error, BuildContext, Contribution, MemoryShape, MethodComponent, Room, StepBatch,
    StepGrads, Terms,
};
use crate::component::{Component, PresetContext};
use crate::TrainError;
use ndarray::s;
use serde::{Deserialize, Serialize};
use srl_losses::baselines::ranksim::{unique_label_subsample, RankSim};

/// RankSim (Gong et al., ICML 2022): γ·Σ_anchors mean_j (rank(sim_ij) − rank(−|y_i − y_j|))²
/// on the batch's features, blackbox-differentiated with interpolation λ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankSimParams {
    /// γ, the weight of the term (reference 100 on AgeDB).
    pub weight: f64,
    /// λ, the blackbox interpolation strength (reference 2).
    pub lambda: f64,
    /// Use a random subset of at most this many rows of the batch (the O(M² log M) cost makes a
    /// full-batch IOL step with 10⁴ rows impractical; the reference batches hold 64–256).
    pub max_samples: usize,
}

impl Room for RankSimParams {
    const COMPONENT: Component = Component::Ranksim;
    type Valid = CheckedRankSim;

    /// γ 0.01 on tables (chosen on Airfoil validation, docs/results/tuning/uci-ranksim.md),
    /// 10⁻³ on IOL (untuned); λ 2 and batches of at most 256 rows as the reference.
    fn preset(ctx: PresetContext) -> Self {
        RankSimParams {
            weight: if ctx.is_operator() { 1e-3 } else { 0.01 },
            lambda: 2.0,
            max_samples: 256,
        }
    }

    fn check(&self) -> Result<CheckedRankSim, TrainError> {
        super::non_negative("method.ranksim.weight", self.weight)?;
        super::at_least_two("method.ranksim.max_samples", self.max_samples)?;
        Ok(CheckedRankSim {
            loss: RankSim::new(self.lambda)
                .map_err(|e| super::invalid("method.ranksim.lambda", e.to_string()))?,
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
        Ok(Box::new(RankSimTerm::new(valid, ctx)?))
    }
}

/// Checked [`RankSimParams`]: the loss built (λ checked by it) and the rest.
#[derive(Debug, Clone, Copy)]
pub struct CheckedRankSim {
    loss: RankSim,
    params: RankSimParams,
}

/// RankSim (Gong et al., ICML 2022): γ·L_RankSim on one sample per unique target of the batch
/// (the reference's subsampling), blackbox-differentiated.
#[derive(Debug)]
pub struct RankSimTerm {
    loss: RankSim,
    weight: f64,
    max_samples: usize,
    sample: RowSample,
}

impl RankSimTerm {
    /// Builds the term; the subsampling generator is seeded from the run seed.
    pub fn new(valid: &CheckedRankSim, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let p = &valid.params;
        Ok(RankSimTerm {
            loss: valid.loss,
            weight: p.weight,
            max_samples: p.max_samples,
            sample: RowSample::new(ctx.seed ^ 0x5A4E_C0DE),
        })
    }
}

impl MethodComponent for RankSimTerm {
    fn name(&self) -> &'static str {
        "ranksim"
    }

    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        self.sample.resume_state("ranksim")
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        self.sample.restore_state("ranksim", state)
    }

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        let m = self.sample.draw(batch, self.max_samples);
        let unique = unique_label_subsample(self.sample.y.slice(s![..m]), &mut self.sample.rng)
            .map_err(|e| loss_error("ranksim", e))?;
        if unique.len() < 2 {
            return Ok(Contribution::default());
        }
        self.sample.restrict(batch, &unique);
        let (h, y, grad) = self.sample.parts();
        let value = self
            .loss
            .forward_backward(h, y, grad)
            .map_err(|e| loss_error("ranksim", e))?;
        self.sample.scatter(self.weight as f32, &mut grads.h);
        let v = f64::from(value);
        Ok(Contribution {
            total: self.weight * v,
            terms: Terms::new(&[("ranksim", v)]),
        })
    }
}
