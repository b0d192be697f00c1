//! Dist Loss (Nie et al., ICLR 2025) — its whole room: parameters, presets, validation, memory
//! estimate and the training-step term. The term acts on the predictions, beside the
//! regression loss: λ·D(sort_ε(ŷ), t) with t the batch's pseudo-labels
//! ([`srl_losses::baselines::dist`]).

use super::{
    loss_error, BuildContext, Contribution, MemoryShape, MethodComponent, Room, StepBatch,
    StepGrads, Terms,
};
use crate::component::{Component, PresetContext};
use crate::TrainError;
use ndarray::{s, Array1};
use serde::{Deserialize, Serialize};
use srl_losses::baselines::dist::{DistLoss, DistWorkspace, Distance, PseudoLabels};

/// Grid points of the smoothed training label distribution.
const GRID: usize = 512;

/// Dist Loss (Nie et al., ICLR 2025): λ·(1/B) Σ_i ℓ(sort_ε(ŷ)_i − t_i) added to the regression
/// loss, with pseudo-labels t from a Gaussian KDE of the training targets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistParams {
    /// λ, the weight of the distribution term (reference 1).
    pub weight: f64,
    /// ε of the soft sort, in label-bin widths (reference 0.1 with 1-year labels on AgeDB).
    pub regularization: f64,
    /// The KDE bandwidth as a multiple of the training targets' std (reference 0.5).
    pub bandwidth: f64,
    /// ℓ: `l1` or `mse` (the reference uses the regression loss's).
    pub distance: Distance,
}

impl Room for DistParams {
    const COMPONENT: Component = Component::Dist;
    type Valid = CheckedDist;

    /// Tables: λ 0.1 (chosen on Airfoil validation, docs/results/tuning/uci-dist.md), ε 0.1
    /// bin and bandwidth 0.5 as the reference, ℓ = L1. IOL: the reference's λ 1 with ℓ = MSE,
    /// **not tuned**.
    fn preset(ctx: PresetContext) -> Self {
        DistParams {
            weight: if ctx.is_operator() { 1.0 } else { 0.1 },
            regularization: 0.1,
            bandwidth: 0.5,
            distance: if ctx.is_operator() {
                Distance::Mse
            } else {
                Distance::L1
            },
        }
    }

    fn check(&self) -> Result<CheckedDist, TrainError> {
        super::non_negative("method.dist.weight", self.weight)?;
        if !(self.bandwidth.is_finite() && self.bandwidth > 0.0) {
            return Err(super::invalid(
                "method.dist.bandwidth",
                format!("must be finite and > 0, got {}", self.bandwidth),
            ));
        }
        Ok(CheckedDist {
            loss: DistLoss::new(self.distance, self.regularization)
                .map_err(|e| super::invalid("method.dist.regularization", e.to_string()))?,
            params: *self,
        })
    }

    fn memory_bytes(&self, shape: &MemoryShape) -> f64 {
        // Five f64 buffers of the batch, the permutation and the grid.
        8.0 * (6.0 * shape.batch as f64 + 2.0 * GRID as f64)
    }

    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError> {
        Ok(Box::new(DistTerm::new(valid, ctx)?))
    }
}

/// Checked [`DistParams`]: the loss built (ε in bins checked by it) and the rest.
#[derive(Debug, Clone, Copy)]
pub struct CheckedDist {
    loss: DistLoss,
    params: DistParams,
}

/// Dist Loss on the batch's predictions.
#[derive(Debug)]
pub struct DistTerm {
    loss: DistLoss,
    weight: f64,
    pseudo_labels: PseudoLabels,
    pseudo: Vec<f64>,
    grad: Array1<f32>,
    workspace: DistWorkspace,
}

impl DistTerm {
    /// Builds the term: ε (in bin widths) becomes ε × bin width / target std, the units the
    /// model trains on; the pseudo-label distribution is fitted on the training targets as
    /// trained on.
    pub fn new(valid: &CheckedDist, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let y: Vec<f64> = ctx.train_y.iter().map(|&v| f64::from(v)).collect();
        Ok(DistTerm {
            loss: valid
                .loss
                .with_regularization_scaled(ctx.bin_in_trained_units())
                .map_err(|e| loss_error("dist", e))?,
            weight: valid.params.weight,
            pseudo_labels: PseudoLabels::fit(&y, valid.params.bandwidth, GRID)
                .map_err(|e| loss_error("dist", e))?,
            pseudo: Vec::new(),
            grad: Array1::zeros(0),
            workspace: DistWorkspace::default(),
        })
    }
}

impl MethodComponent for DistTerm {
    fn name(&self) -> &'static str {
        "dist"
    }

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        let m = batch.pred.len();
        self.pseudo.resize(m, 0.0);
        self.pseudo_labels.fill(&mut self.pseudo);
        if self.grad.len() < m {
            // Grows to the largest batch once; smaller batches use its first rows.
            self.grad = Array1::zeros(m);
        }
        let value = self
            .loss
            .forward_backward(
                batch.pred,
                &self.pseudo,
                &mut self.workspace,
                self.grad.slice_mut(s![..m]),
            )
            .map_err(|e| loss_error("dist", e))?;
        let w = self.weight as f32;
        grads
            .pred
            .zip_mut_with(&self.grad.slice(s![..m]), |g, &d| *g += w * d);
        Ok(Contribution {
            total: self.weight * value,
            terms: Terms::new(&[("dist", value)]),
        })
    }

    /// Its gradient goes to the predictions, beside the regression loss's.
    fn writes_features(&self) -> bool {
        false
    }
}
