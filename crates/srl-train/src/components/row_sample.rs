//! A seeded random subset of a batch's rows for the O(M²) feature terms (RankSim, ConR,
//! ordinal entropy, Rank-N-Contrast), gathered into reused buffers.

use super::{from_state, to_state, StepBatch};
use crate::TrainError;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A seeded random subset of at most `max` rows of the batch (all rows, in order, if the batch
/// is no larger), gathered into reused buffers, and the scatter of its gradient back onto the
/// batch. The O(M²) terms use it so a full-batch step (10⁴ IOL rows) stays affordable.
#[derive(Debug)]
pub(crate) struct RowSample {
    pub(crate) rng: ChaCha8Rng,
    /// Batch rows of the sample.
    pub(crate) rows: Vec<usize>,
    /// Scratch for [`restrict`](Self::restrict) (reused, no per-step allocation).
    kept: Vec<usize>,
    h: Array2<f32>,
    pub(crate) y: Array1<f32>,
    grad: Array2<f32>,
}

impl RowSample {
    pub(crate) fn new(seed: u64) -> Self {
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
    pub(crate) fn resume_state(
        &self,
        component: &'static str,
    ) -> Result<serde_json::Value, TrainError> {
        to_state(component, &self.rng)
    }

    pub(crate) fn restore_state(
        &mut self,
        component: &'static str,
        state: serde_json::Value,
    ) -> Result<(), TrainError> {
        self.rng = from_state(component, state)?;
        Ok(())
    }

    /// Draws at most `max` rows of `batch` and gathers them; returns the sample size.
    pub(crate) fn draw(&mut self, batch: &StepBatch<'_>, max: usize) -> usize {
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
    pub(crate) fn restrict(&mut self, batch: &StepBatch<'_>, keep: &[usize]) -> usize {
        self.kept.clear();
        self.kept.extend(keep.iter().map(|&k| self.rows[k]));
        std::mem::swap(&mut self.rows, &mut self.kept);
        self.gather(batch.h, batch.y);
        self.rows.len()
    }

    pub(crate) fn gather(&mut self, h: ArrayView2<'_, f32>, y: ArrayView1<'_, f32>) {
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
    pub(crate) fn parts(
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
    pub(crate) fn scatter(&self, weight: f32, out: &mut ArrayViewMut2<'_, f32>) {
        for (r, &i) in self.rows.iter().enumerate() {
            out.row_mut(i).scaled_add(weight, &self.grad.row(r));
        }
    }
}
