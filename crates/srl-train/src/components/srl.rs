//! SRL as a method component: the objective λ_e·L_env + λ_h·L_homo + λ_c·L_con (paper Eq. 11)
//! on the surrogate table (Eq. 8–9), and the memory it is completed from.

use super::{
    from_state, to_state, BuildContext, Contribution, MemoryShape, MethodComponent, Room,
    StepBatch, StepGrads, Terms, TrainPass,
};
use crate::component::{Component, PresetContext};
use crate::TrainError;
use ndarray::{s, Array2};
use srl_losses::objective::SrlObjective;
use srl_losses::{SrlParams, ValidSrlParams};
use srl_surrogate::{MemoryUpdate, Surrogate};

/// SRL's room: its parameters are [`SrlParams`] (srl-losses, the one home of SRL's
/// hyper-parameters and presets).
impl Room for SrlParams {
    const COMPONENT: Component = Component::Srl;
    type Valid = ValidSrlParams;

    /// [`SrlParams::tabular`], [`SrlParams::iol_linear`] or [`SrlParams::operator`].
    fn preset(ctx: PresetContext) -> Self {
        match ctx {
            PresetContext::Tabular => SrlParams::tabular(),
            PresetContext::OperatorLinear => SrlParams::iol_linear(),
            PresetContext::OperatorNonlinear => SrlParams::operator(),
        }
    }

    fn check(&self) -> Result<ValidSrlParams, TrainError> {
        SrlParams::check(self).map_err(|e| match e {
            srl_losses::LossError::InvalidParameter { name, reason } => TrainError::InvalidConfig {
                field: srl_field(name),
                reason,
            },
            other => super::invalid("method.srl", other.to_string()),
        })
    }

    /// The objective's N×K point–table matrices ([`crate::memory::srl_memory_estimate`]) and
    /// the K × d memory.
    fn memory_bytes(&self, shape: &MemoryShape) -> f64 {
        crate::memory::srl_memory_estimate(shape.num_bins, self.num_points, shape.dim)
            + 8.0 * shape.num_bins as f64 * shape.dim as f64
    }

    fn build(
        valid: &Self::Valid,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn MethodComponent>, TrainError> {
        Ok(Box::new(SrlTerm::new(valid, ctx)?))
    }
}

/// The config path of an SRL parameter named by [`SrlParams::check`].
fn srl_field(name: &str) -> &'static str {
    match name {
        "weights.envelope" => "method.srl.weights.envelope",
        "weights.homogeneity" => "method.srl.weights.homogeneity",
        "weights.contrastive" => "method.srl.weights.contrastive",
        "tau" => "method.srl.tau",
        "num_points" => "method.srl.num_points",
        "homogeneity.beta" => "method.srl.homogeneity.beta",
        "memory.momentum" => "method.srl.memory.momentum",
        _ => "method.srl",
    }
}

/// The SRL objective and its memory.
#[derive(Debug)]
pub struct SrlTerm {
    objective: SrlObjective<f32>,
    memory: Surrogate<f32>,
    params: SrlParams,
    grad: Array2<f32>,
}

impl SrlTerm {
    /// Builds the objective for K bins with the data's bin centres, the enveloping points drawn
    /// from the run seed, and an empty memory.
    pub fn new(valid: &ValidSrlParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let params = valid.params();
        let config = valid.config(ctx.num_bins, ctx.dim, ctx.bin_centres.to_vec(), ctx.seed)?;
        Ok(SrlTerm {
            objective: SrlObjective::new(config)?,
            memory: Surrogate::from_valid(ctx.num_bins, ctx.dim, valid.memory())?,
            params: *params,
            grad: Array2::zeros((0, ctx.dim)),
        })
    }

    fn exact(&self) -> bool {
        self.params.memory.update == MemoryUpdate::Exact
    }
}

impl MethodComponent for SrlTerm {
    fn name(&self) -> &'static str {
        "srl"
    }

    fn start_epoch(&mut self, epoch: usize) -> Result<(), TrainError> {
        self.objective.start_epoch(epoch);
        Ok(())
    }

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        if !self.memory.is_active(batch.epoch) {
            return Ok(Contribution::default());
        }
        let m = batch.rows.len();
        if self.grad.nrows() < m {
            self.grad = Array2::zeros((m, batch.h.ncols()));
        }
        let mut g = self.grad.slice_mut(s![..m, ..]);
        let parts =
            self.objective
                .evaluate_into(batch.h, batch.bins, &self.memory, g.view_mut())?;
        grads.h += &g;
        Ok(Contribution {
            total: f64::from(parts.total(&self.params.weights)),
            terms: Terms::new(&[
                ("envelope", f64::from(parts.envelope)),
                ("homogeneity", f64::from(parts.homogeneity)),
                ("contrastive", f64::from(parts.contrastive)),
            ]),
        })
    }

    fn after_step(&mut self, batch: &StepBatch<'_>, _lr_scale: f64) -> Result<(), TrainError> {
        if !self.exact() {
            self.memory.accumulate(batch.z, batch.bins)?;
        }
        Ok(())
    }

    fn needs_train_pass(&self, _epoch: usize) -> bool {
        self.exact()
    }

    fn end_epoch(&mut self, _epoch: usize, pass: Option<&TrainPass<'_>>) -> Result<(), TrainError> {
        if self.exact() {
            let pass = pass.ok_or(TrainError::InvalidState {
                reason: "SRL's exact memory update needs the training pass".into(),
            })?;
            let (z, _) = srl_geometry::normalize_rows(pass.h);
            self.memory.accumulate(z.view(), pass.bins)?;
        }
        self.memory.end_epoch()?;
        Ok(())
    }

    fn memory(&self) -> Option<&Surrogate<f32>> {
        Some(&self.memory)
    }

    /// The memory with this epoch's accumulators (the objective itself only holds scratch
    /// buffers and points drawn from the seed).
    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        to_state("srl", &self.memory)
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        let memory: Surrogate<f32> = from_state("srl", state)?;
        memory.check_state()?;
        if memory.config() != self.memory.config() {
            return Err(TrainError::InvalidState {
                reason: "saved SRL memory has other settings than the run's".into(),
            });
        }
        self.memory = memory;
        Ok(())
    }
}
