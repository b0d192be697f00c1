//! Feature-level DIR regularisers as method components: RankSim, ConR and ordinal entropy. Each
//! adds weight × its gradient w.r.t. the raw representation h.

use super::{
    from_state, loss_error, to_state, BuildContext, Contribution, MethodComponent, StepBatch,
    StepGrads, Terms,
};
use crate::method::{ConrParams, OrdinalEntropyParams, RankSimParams, RncParams};
use crate::TrainError;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use srl_losses::baselines::conr::{ConR, ConrWorkspace};
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::baselines::ranksim::{unique_label_subsample, RankSim};
use srl_losses::baselines::rnc::RankNContrast;

/// A seeded random subset of at most `max` rows of the batch (all rows, in order, if the batch
/// is no larger), gathered into reused buffers, and the scatter of its gradient back onto the
/// batch. The O(M²) terms use it so a full-batch step (10⁴ IOL rows) stays affordable.
#[derive(Debug)]
struct RowSample {
    rng: ChaCha8Rng,
    /// Batch rows of the sample.
    rows: Vec<usize>,
    /// Scratch for [`restrict`](Self::restrict) (reused, no per-step allocation).
    kept: Vec<usize>,
    h: Array2<f32>,
    y: Array1<f32>,
    grad: Array2<f32>,
}

impl RowSample {
    fn new(seed: u64) -> Self {
        RowSample {
            rng: ChaCha8Rng::seed_from_u64(seed),
            rows: Vec::new(),
            kept: Vec::new(),
            h: Array2::zeros((0, 0)),
            y: Array1::zeros(0),
            grad: Array2::zeros((0, 0)),
        }
    }

    /// The generator's state (the buffers are refilled every step).
    fn resume_state(&self, component: &'static str) -> Result<serde_json::Value, TrainError> {
        to_state(component, &self.rng)
    }

    fn restore_state(
        &mut self,
        component: &'static str,
        state: serde_json::Value,
    ) -> Result<(), TrainError> {
        self.rng = from_state(component, state)?;
        Ok(())
    }

    /// Draws at most `max` rows of `batch` and gathers them; returns the sample size.
    fn draw(&mut self, batch: &StepBatch<'_>, max: usize) -> usize {
        let m = batch.rows.len();
        self.rows.clear();
        self.rows.extend(0..m);
        if m > max {
            self.rows.partial_shuffle(&mut self.rng, max);
            self.rows.truncate(max);
        }
        self.gather(batch.h, batch.y);
        self.rows.len()
    }

    /// Keeps only the sampled positions `keep` (indices into the current sample), regathering.
    fn restrict(&mut self, batch: &StepBatch<'_>, keep: &[usize]) -> usize {
        self.kept.clear();
        self.kept.extend(keep.iter().map(|&k| self.rows[k]));
        std::mem::swap(&mut self.rows, &mut self.kept);
        self.gather(batch.h, batch.y);
        self.rows.len()
    }

    fn gather(&mut self, h: ArrayView2<'_, f32>, y: ArrayView1<'_, f32>) {
        let (m, d) = (self.rows.len(), h.ncols());
        if self.h.nrows() < m || self.h.ncols() != d {
            self.h = Array2::zeros((m, d));
            self.grad = Array2::zeros((m, d));
            self.y = Array1::zeros(m);
        }
        for (r, &i) in self.rows.iter().enumerate() {
            self.h.row_mut(r).assign(&h.row(i));
            self.y[r] = y[i];
        }
    }

    /// The sample's features, targets and gradient buffer (first `m` rows).
    fn parts(
        &mut self,
    ) -> (
        ArrayView2<'_, f32>,
        ArrayView1<'_, f32>,
        ArrayViewMut2<'_, f32>,
    ) {
        let m = self.rows.len();
        (
            self.h.slice(s![..m, ..]),
            self.y.slice(s![..m]),
            self.grad.slice_mut(s![..m, ..]),
        )
    }

    /// Adds `weight` × the sample's gradient to its batch rows of `out`.
    fn scatter(&self, weight: f32, out: &mut ArrayViewMut2<'_, f32>) {
        for (r, &i) in self.rows.iter().enumerate() {
            out.row_mut(i).scaled_add(weight, &self.grad.row(r));
        }
    }
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
    pub fn new(p: &RankSimParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        Ok(RankSimTerm {
            loss: RankSim::new(p.lambda).map_err(|e| loss_error("ranksim", e))?,
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
    pub fn new(p: &ConrParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let bin_width = match ctx.bin_centres {
            [a, b, ..] => b - a,
            _ => 1.0,
        };
        let mut config = p.loss;
        config.omega *= bin_width / ctx.y_std;
        Ok(ConrTerm {
            loss: ConR::new(config).map_err(|e| loss_error("conr", e))?,
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
    pub fn new(p: &OrdinalEntropyParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        Ok(OrdinalEntropyTerm {
            loss: OrdinalEntropy::new(p.diversity_weight, p.tightness_weight)
                .map_err(|e| loss_error("ordinal-entropy", e))?,
            max_samples: p.max_samples,
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
    pub fn new(p: &RncParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        if ctx.epochs < 2 {
            return Err(TrainError::InvalidConfig {
                field: "optim.epochs",
                reason: "Rank-N-Contrast needs at least 2 epochs (pre-training, then the head)"
                    .into(),
            });
        }
        let pretrain = ((p.pretrain_share * ctx.epochs as f64) as usize).clamp(1, ctx.epochs - 1);
        Ok(RncTerm {
            loss: RankNContrast::new(p.tau).map_err(|e| loss_error("rnc", e))?,
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

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        if batch.epoch >= self.pretrain_epochs || batch.rows.len() < 2 {
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
