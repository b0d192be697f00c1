//! One optimisation step as a function of the network, the method's components, the
//! optimisers and a set of buffers allocated once per run ([`StepBuffers`]); nothing is
//! allocated per step.
//!
//! On the batch's rows: forward; the FDS calibration of the head input if a component asks for
//! it; the components active in the epoch's stage contribute — the regression side writes
//! ∂L_reg/∂ŷ (zero while a two-stage method pre-trains), Dist Loss adds to it, every
//! representation-side component adds its weighted ∂L/∂h (SRL: paper Eq. 11); backward, with
//! ∂L/∂h only if a representation term touched it; optional global-norm clipping; the stage's optimiser step ([`Optimizers::step`]);
//! the components' after-step hooks. Every loss term and the gradient norm are checked: NaN/inf
//! ends the run with [`TrainError::Diverged`] naming the epoch, step and term.

use crate::components::{MethodComponent, StepBatch, StepGrads};
use crate::resume::LossSums;
use crate::stage::{Optimizers, Stage};
use crate::{
    check_finite, clip_grad_norm, BatchBuffer, Mlp, MlpGradients, MlpWorkspace, TrainError,
};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2};
use srl_surrogate::Surrogate;

/// Where a step is: its counters, stage, learning rate and rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepAt<'a> {
    /// Epoch (full-batch mode: iteration), 0-based.
    pub epoch: usize,
    /// Global step counter.
    pub step: usize,
    /// The epoch's stage.
    pub stage: Stage,
    /// Learning rate of the epoch.
    pub lr: f64,
    /// Rows of the batch in the training part.
    pub rows: &'a [usize],
    /// Global gradient-norm clipping threshold.
    pub grad_clip: Option<f64>,
}

/// The training part as trained on: f32 inputs, targets (standardised if the model
/// standardises) and label bins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrainSet<'a> {
    pub x: ArrayView2<'a, f32>,
    pub y: ArrayView1<'a, f32>,
    pub bins: &'a [usize],
}

/// The per-step buffers of a run, sized for its largest batch.
pub(crate) struct StepBuffers {
    batch: BatchBuffer<f32>,
    bins: Vec<usize>,
    ws: MlpWorkspace<f32>,
    grads: MlpGradients<f32>,
    /// ∂L/∂ŷ.
    grad_pred: Array1<f32>,
    /// ∂L/∂h.
    grad_h: Array2<f32>,
    /// FDS head-input calibration u = h ⊙ scale + shift.
    calib_scale: Array2<f32>,
    calib_shift: Array2<f32>,
}

impl StepBuffers {
    /// Buffers for `mlp` on batches of at most `batch` rows of `input_dim` inputs.
    pub fn new(mlp: &Mlp<f32>, input_dim: usize, batch: usize) -> Self {
        let dim = mlp.representation_dim();
        StepBuffers {
            batch: BatchBuffer::new(input_dim, batch),
            bins: vec![0; batch],
            ws: mlp.workspace(batch),
            grads: mlp.gradients(),
            grad_pred: Array1::zeros(batch),
            grad_h: Array2::zeros((batch, dim)),
            calib_scale: Array2::zeros((batch, dim)),
            calib_shift: Array2::zeros((batch, dim)),
        }
    }

    /// One optimisation step at `at` (see the module docs). `monitor`, the geometry log's
    /// memory when no component keeps one, accumulates the step's normalised representations;
    /// `meter` sums the logged loss terms.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        at: &StepAt<'_>,
        train: &TrainSet<'_>,
        mlp: &mut Mlp<f32>,
        components: &mut [Box<dyn MethodComponent>],
        optimizers: &mut Optimizers,
        monitor: Option<&mut Surrogate<f32>>,
        meter: &mut LossSums,
    ) -> Result<(), TrainError> {
        let (epoch, step, rows) = (at.epoch, at.step, at.rows);
        let m = rows.len();
        self.batch.gather(train.x, train.y, rows)?;
        for (dst, &r) in self.bins.iter_mut().zip(rows) {
            *dst = train.bins[r];
        }
        let bins = &self.bins[..m];
        mlp.forward(self.batch.x(), &mut self.ws)?;
        for c in components.iter() {
            let on = c.head_calibration(
                epoch,
                bins,
                self.calib_scale.slice_mut(s![..m, ..]),
                self.calib_shift.slice_mut(s![..m, ..]),
            )?;
            if on {
                mlp.calibrate_head_input(
                    &mut self.ws,
                    self.calib_scale.slice(s![..m, ..]),
                    self.calib_shift.slice(s![..m, ..]),
                )?;
            }
        }

        self.grad_h.slice_mut(s![..m, ..]).fill(0.0);
        if at.stage == Stage::Pretrain {
            // No regression loss while a two-stage method pre-trains: the head is not trained.
            self.grad_pred.slice_mut(s![..m]).fill(0.0);
        }
        let mut total = 0.0;
        let mut features_touched = false;
        {
            let sb = step_batch(at, &self.ws, &self.batch, bins);
            for c in components.iter_mut().filter(|c| c.active_in(at.stage)) {
                let mut g = StepGrads {
                    pred: self.grad_pred.slice_mut(s![..m]),
                    h: self.grad_h.slice_mut(s![..m, ..]),
                };
                let contribution = c.contribute(&sb, &mut g)?;
                for &(name, v) in contribution.terms.as_slice() {
                    if !v.is_finite() {
                        check_finite(epoch, step, &term_label(name), v)?;
                    }
                    meter.add(name, v);
                }
                check_finite(epoch, step, c.name(), contribution.total)?;
                total += contribution.total;
                features_touched |= c.writes_features() && !contribution.terms.is_empty();
            }
        }
        meter.total += total;
        meter.batches += 1;

        let grad_features = features_touched.then(|| self.grad_h.slice(s![..m, ..]));
        mlp.backward(
            &mut self.ws,
            self.grad_pred.slice(s![..m]),
            grad_features,
            &mut self.grads,
        )?;
        let grad_norm = match at.grad_clip {
            Some(c) => clip_grad_norm(self.grads.as_slice_mut(), c as f32)?,
            None => self
                .grads
                .as_slice()
                .iter()
                .map(|g| g * g)
                .sum::<f32>()
                .sqrt(),
        };
        check_finite(epoch, step, "gradient norm", f64::from(grad_norm))?;
        optimizers.step(at.stage, mlp, &self.grads, at.lr as f32)?;

        let sb = step_batch(at, &self.ws, &self.batch, bins);
        for c in components.iter_mut() {
            c.after_step(&sb, at.lr)?;
        }
        if let Some(memory) = monitor {
            memory.accumulate(sb.z, bins)?;
        }
        Ok(())
    }
}

/// What the components see of the current step: the batch's rows, representation,
/// predictions, targets and bins (after the forward pass).
fn step_batch<'b>(
    at: &StepAt<'b>,
    ws: &'b MlpWorkspace<f32>,
    batch: &'b BatchBuffer<f32>,
    bins: &'b [usize],
) -> StepBatch<'b> {
    StepBatch {
        epoch: at.epoch,
        step: at.step,
        stage: at.stage,
        rows: at.rows,
        h: ws.features(),
        z: ws.normalized_features(),
        pred: ws.predictions(),
        y: batch.y(),
        bins,
    }
}

/// The name of a logged term in a divergence error.
fn term_label(name: &str) -> String {
    match name {
        "reg" => "regression loss".into(),
        "envelope" => "enveloping loss".into(),
        "homogeneity" => "homogeneity loss".into(),
        "contrastive" => "contrastive loss".into(),
        other => format!("{other} loss"),
    }
}
