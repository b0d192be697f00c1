//! Ordinal entropy (Zhang et al., ICLR 2023) — its whole room: parameters, presets,
//! validation, memory estimate and the training-step term.

use super::row_sample::RowSample;
use super::{
    loss_error, BuildContext, Contribution, MemoryShape, MethodComponent, Room, StepBatch,
    StepGrads, Terms,
};
use crate::component::{Component, PresetContext};
use crate::TrainError;
use serde::{Deserialize, Serialize};
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;

/// Ordinal entropy (Zhang et al., ICLR 2023) on the normalised features: λ_d·L_d + λ_t·L_t
/// (diversity weighted by label distance, tightness to the label's mean feature).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdinalEntropyParams {
    /// λ_d, weight of the diversity term (SRL's baselines: 1e-3).
    pub diversity_weight: f64,
    /// λ_t, weight of the tightness term.
    pub tightness_weight: f64,
    /// Subsample at most this many rows of the batch for the O(M²) diversity term (the
    /// reference uses 100; 10 in the operator code).
    pub max_samples: usize,
}

impl Room for OrdinalEntropyParams {
    const COMPONENT: Component = Component::Oe;
    type Valid = CheckedOrdinalEntropy;

    /// λ_d = λ_t = 1 on tables (chosen on Airfoil validation, docs/results/tuning/uci-oe.md);
    /// λ_d 10⁻³ and no tightness on IOL (the reference's operator code); 100 rows as the
    /// reference.
    fn preset(ctx: PresetContext) -> Self {
        let op = ctx.is_operator();
        OrdinalEntropyParams {
            diversity_weight: if op { 1e-3 } else { 1.0 },
            tightness_weight: if op { 0.0 } else { 1.0 },
            max_samples: 100,
        }
    }

    fn check(&self) -> Result<CheckedOrdinalEntropy, TrainError> {
        super::at_least_two("method.ordinal_entropy.max_samples", self.max_samples)?;
        let loss = OrdinalEntropy::new(self.diversity_weight, self.tightness_weight).map_err(
            |e| match e {
                srl_losses::LossError::InvalidParameter {
                    name: "diversity_weight",
                    reason,
                } => super::invalid("method.ordinal_entropy.diversity_weight", reason),
                other => {
                    super::invalid("method.ordinal_entropy.tightness_weight", other.to_string())
                }
            },
        )?;
        Ok(CheckedOrdinalEntropy {
            loss,
            max_samples: self.max_samples,
        })
    }

    fn memory_bytes(&self, shape: &MemoryShape) -> f64 {
        shape.pairwise(self.max_samples)
    }

    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError> {
        Ok(Box::new(OrdinalEntropyTerm::new(valid, ctx)?))
    }
}

/// Checked [`OrdinalEntropyParams`]: the loss built (λ_d, λ_t checked by it) and the rest.
#[derive(Debug, Clone, Copy)]
pub struct CheckedOrdinalEntropy {
    loss: OrdinalEntropy,
    max_samples: usize,
}

/// Ordinal entropy (Zhang et al., ICLR 2023) on a random subsample of at most `max_samples`
/// rows of the batch.
#[derive(Debug)]
pub struct OrdinalEntropyTerm {
    loss: OrdinalEntropy,
    max_samples: usize,
    sample: RowSample,
}

impl OrdinalEntropyTerm {
    /// Builds the term; the subsampling generator is seeded from the run seed.
    pub fn new(valid: &CheckedOrdinalEntropy, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        Ok(OrdinalEntropyTerm {
            loss: valid.loss,
            max_samples: valid.max_samples,
            sample: RowSample::new(ctx.seed ^ 0x0E0E_0E0E),
        })
    }
}

impl MethodComponent for OrdinalEntropyTerm {
    fn name(&self) -> &'static str {
        "oe"
    }

    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        self.sample.resume_state("oe")
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        self.sample.restore_state("oe", state)
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
        let out = self
            .loss
            .forward_backward(h, y, grad)
            .map_err(|e| loss_error("ordinal-entropy", e))?;
        self.sample.scatter(1.0, &mut grads.h);
        Ok(Contribution {
            total: f64::from(out.value),
            terms: Terms::new(&[
                ("oe_diversity", f64::from(out.diversity)),
                ("oe_tightness", f64::from(out.tightness)),
            ]),
        })
    }
}
