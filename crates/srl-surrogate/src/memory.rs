//! The surrogate memory S (K×d) with its epoch accumulators and momentum update (paper Eq. 9).

use crate::{RowSource, SurrogateConfig, SurrogateError, SurrogateTable, ValidMemoryParams};
use ndarray::{Array2, ArrayView2, Zip};
use serde::{Deserialize, Serialize};
use srl_geometry::Float;

/// The SRL surrogate: a K×d memory S of per-bin mean representations, updated once per epoch
/// with momentum, and used to complete each batch's centroid table (paper Eq. 8–9).
///
/// Typical loop (streaming update):
///
/// ```
/// use ndarray::array;
/// use srl_surrogate::{Surrogate, SurrogateConfig};
/// let mut s = Surrogate::<f64>::new(SurrogateConfig::new(3, 2)).unwrap();
/// // epoch 0: for every batch, z = normalised features, bins = label bins
/// let z = array![[1.0, 0.0], [0.0, 1.0]];
/// let table = s.complete(z.view(), &[0, 2]).unwrap(); // bin 1 never seen: zero row
/// assert_eq!(table.table().row(1).to_vec(), vec![0.0, 0.0]);
/// s.accumulate(z.view(), &[0, 2]).unwrap();
/// s.end_epoch().unwrap(); // first update copies the epoch means
/// assert_eq!(s.memory().row(2).to_vec(), vec![0.0, 1.0]);
/// assert_eq!(s.seen(), &[true, false, true]);
/// ```
///
/// The whole state (memory, seen flags, this epoch's accumulators, update count) serialises,
/// so a training run can be interrupted and resumed bit for bit; check a deserialised value
/// with [`check_state`](Self::check_state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(
        serialize = "F: Serialize",
        deserialize = "F: serde::de::DeserializeOwned"
    )
)]
pub struct Surrogate<F> {
    config: SurrogateConfig,
    /// Memory S (K×d), unnormalised momentum averages of bin means; zero rows for unseen bins.
    memory: Array2<F>,
    /// Whether each bin has received at least one update.
    seen: Vec<bool>,
    /// Per-bin sums of this epoch's accumulated features (f64 for accuracy over long passes).
    sums: Array2<f64>,
    /// Per-bin counts of this epoch's accumulated features.
    counts: Vec<usize>,
    /// Number of `end_epoch` calls so far.
    updates: usize,
}

impl<F: Float> Surrogate<F> {
    /// A fresh surrogate: zero memory, no bin seen. Validates K ≥ 2, d ≥ 1, α ∈ [0, 1).
    pub fn new(config: SurrogateConfig) -> Result<Self, SurrogateError> {
        let memory = config.memory.check()?;
        Self::from_valid(config.num_bins, config.dim, memory)
    }

    /// [`new`](Self::new) for K × d with checked memory settings (only K and d are checked).
    pub fn from_valid(
        num_bins: usize,
        dim: usize,
        memory: ValidMemoryParams,
    ) -> Result<Self, SurrogateError> {
        let config = SurrogateConfig::with_params(num_bins, dim, *memory.params());
        config.check_shape()?;
        let (k, d) = (config.num_bins, config.dim);
        Ok(Self {
            config,
            memory: Array2::zeros((k, d)),
            seen: vec![false; k],
            sums: Array2::zeros((k, d)),
            counts: vec![0; k],
            updates: 0,
        })
    }

    /// Restores a surrogate from a saved memory (K×d) and seen flags (e.g. a checkpoint).
    ///
    /// Rows of unseen bins are set to zero. Errors on a bad config, wrong shapes or non-finite
    /// memory.
    pub fn from_memory(
        config: SurrogateConfig,
        memory: Array2<F>,
        seen: Vec<bool>,
    ) -> Result<Self, SurrogateError> {
        let mut s = Self::new(config)?;
        check_shape("memory", memory.view(), s.num_bins(), s.dim())?;
        if seen.len() != s.num_bins() {
            return Err(SurrogateError::ShapeMismatch {
                what: "seen length",
                expected: s.num_bins(),
                got: seen.len(),
            });
        }
        check_finite("memory", memory.view())?;
        s.memory = memory;
        for (mut row, &flag) in s.memory.rows_mut().into_iter().zip(&seen) {
            if !flag {
                row.fill(F::zero());
            }
        }
        s.seen = seen;
        Ok(s)
    }

    /// Rebuilds a surrogate from its whole state: the memory (K×d), the seen flags, this
    /// epoch's per-bin sums (K×d, f64) and counts, and the number of updates so far. This is
    /// how a framework that keeps the state itself (as tensors or buffers) hands it over; the
    /// state is checked as a deserialised one is ([`check_state`](Self::check_state)), and
    /// [`pending_sums`](Self::pending_sums), [`pending_counts`](Self::pending_counts),
    /// [`memory`](Self::memory), [`seen`](Self::seen) and [`num_updates`](Self::num_updates)
    /// read it back.
    ///
    /// Summing the pending sums and counts of several workers before
    /// [`end_epoch`](Self::end_epoch) gives the memory of one worker that saw all their
    /// batches (how data-parallel training keeps one memory).
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use srl_surrogate::{Surrogate, SurrogateConfig};
    /// let config = SurrogateConfig::new(2, 2);
    /// let (mut a, mut b) = (Surrogate::<f64>::new(config.clone()).unwrap(), Surrogate::<f64>::new(config.clone()).unwrap());
    /// a.accumulate(array![[1.0, 0.0]].view(), &[0]).unwrap();
    /// b.accumulate(array![[0.0, 1.0]].view(), &[0]).unwrap();
    /// // All-reduce by hand: sums and counts added, then one update.
    /// let sums = &a.pending_sums() + &b.pending_sums();
    /// let counts: Vec<usize> = a.pending_counts().iter().zip(b.pending_counts()).map(|(x, y)| x + y).collect();
    /// let mut merged = Surrogate::<f64>::from_state(config, Array2::zeros((2, 2)), vec![false; 2], sums, counts, 0).unwrap();
    /// merged.end_epoch().unwrap();
    /// assert_eq!(merged.memory().row(0).to_vec(), vec![0.5, 0.5]);
    /// ```
    pub fn from_state(
        config: SurrogateConfig,
        memory: Array2<F>,
        seen: Vec<bool>,
        sums: Array2<f64>,
        counts: Vec<usize>,
        updates: usize,
    ) -> Result<Self, SurrogateError> {
        let s = Self {
            config,
            memory,
            seen,
            sums,
            counts,
            updates,
        };
        s.check_state()?;
        Ok(s)
    }

    /// Checks a deserialised surrogate: a valid configuration, a K×d memory and accumulator,
    /// K seen flags and counts, finite values, and zero rows for unseen bins.
    ///
    /// ```
    /// use srl_surrogate::{Surrogate, SurrogateConfig};
    /// let s = Surrogate::<f32>::new(SurrogateConfig::new(3, 2)).unwrap();
    /// let text = serde_json::to_string(&s).unwrap();
    /// let back: Surrogate<f32> = serde_json::from_str(&text).unwrap();
    /// back.check_state().unwrap();
    /// assert_eq!(back, s);
    /// ```
    pub fn check_state(&self) -> Result<(), SurrogateError> {
        self.config.validate()?;
        let (k, d) = (self.num_bins(), self.dim());
        check_shape("memory", self.memory.view(), k, d)?;
        check_shape("accumulated sums", self.sums.view(), k, d)?;
        for (what, len) in [
            ("seen length", self.seen.len()),
            ("counts length", self.counts.len()),
        ] {
            if len != k {
                return Err(SurrogateError::ShapeMismatch {
                    what,
                    expected: k,
                    got: len,
                });
            }
        }
        check_finite("memory", self.memory.view())?;
        check_finite("accumulated sums", self.sums.view())?;
        for (b, row) in self.memory.rows().into_iter().enumerate() {
            if !self.seen[b] && row.iter().any(|v| *v != F::zero()) {
                return Err(SurrogateError::InvalidState {
                    reason: format!("memory row {b} is not zero but bin {b} was never seen"),
                });
            }
        }
        Ok(())
    }

    /// Number of bins K.
    pub fn num_bins(&self) -> usize {
        self.config.num_bins
    }

    /// Representation dimension d.
    pub fn dim(&self) -> usize {
        self.config.dim
    }

    /// The memory S (K×d, rows not normalised; zero rows for unseen bins).
    pub fn memory(&self) -> ArrayView2<'_, F> {
        self.memory.view()
    }

    /// Whether each bin has been seen by at least one [`end_epoch`](Self::end_epoch).
    pub fn seen(&self) -> &[bool] {
        &self.seen
    }

    /// The configuration.
    pub fn config(&self) -> &SurrogateConfig {
        &self.config
    }

    /// Number of memory updates ([`end_epoch`](Self::end_epoch) calls) so far.
    pub fn num_updates(&self) -> usize {
        self.updates
    }

    /// Per-bin sums (K×d, f64) of the features accumulated since the last
    /// [`end_epoch`](Self::end_epoch).
    pub fn pending_sums(&self) -> ArrayView2<'_, f64> {
        self.sums.view()
    }

    /// Per-bin counts accumulated since the last [`end_epoch`](Self::end_epoch).
    pub fn pending_counts(&self) -> &[usize] {
        &self.counts
    }

    /// Whether the SRL terms are on in `epoch` (0-based): false during the
    /// `warmup_epochs` first epochs, which train with the regression loss only.
    ///
    /// ```
    /// use srl_surrogate::{Surrogate, SurrogateConfig};
    /// let s = Surrogate::<f32>::new(SurrogateConfig::new(4, 8)).unwrap(); // paper: 1 warm-up
    /// assert!(!s.is_active(0) && s.is_active(1));
    /// ```
    pub fn is_active(&self, epoch: usize) -> bool {
        epoch >= self.config.memory.warmup_epochs
    }

    /// Completes the centroid table of a batch (allocating form of
    /// [`complete_into`](Self::complete_into)).
    pub fn complete(
        &self,
        z: ArrayView2<F>,
        bins: &[usize],
    ) -> Result<SurrogateTable<F>, SurrogateError> {
        let mut table = SurrogateTable::new(self.num_bins(), self.dim());
        self.complete_into(z, bins, &mut table)?;
        Ok(table)
    }

    /// Completes the centroid table of a batch into `table`, reusing its buffers (no
    /// allocation once `table` is K×d and has seen a batch of this size).
    ///
    /// `z` are the batch's normalised features (M×d), `bins` their bins. Row k of the result
    /// is normalise(mean of z_i in bin k) for present bins, normalise(S_k) for absent seen
    /// bins, and zero for never-seen bins (paper Eq. 8). An empty batch gives the memory
    /// table.
    ///
    /// Errors: `z` not M×d, `bins.len() ≠ M`, a bin ≥ K, non-finite `z`.
    pub fn complete_into(
        &self,
        z: ArrayView2<F>,
        bins: &[usize],
        table: &mut SurrogateTable<F>,
    ) -> Result<(), SurrogateError> {
        self.check_batch(z, bins)?;
        let (k, d) = (self.num_bins(), self.dim());
        table.ensure_shape(k, d);
        table.bins.clear();
        table.bins.extend_from_slice(bins);
        table.present.clear();
        table.means.fill(F::zero());
        let mut counts = std::mem::take(&mut table.sources);
        // Count into `sources` first to avoid an extra buffer.
        counts
            .iter_mut()
            .for_each(|s| *s = RowSource::Batch { count: 0 });
        for (zi, &b) in z.rows().into_iter().zip(bins) {
            let mut mean = table.means.row_mut(b);
            mean += &zi;
            if let RowSource::Batch { count } = &mut counts[b] {
                *count += 1;
            }
        }
        for (b, source) in counts.iter_mut().enumerate() {
            let mut row = table.table.row_mut(b);
            let n = match *source {
                RowSource::Batch { count } => count,
                _ => 0,
            };
            if n > 0 {
                let mut mean = table.means.row_mut(b);
                mean.mapv_inplace(|v| v / F::from_count(n));
                let norm = mean.dot(&mean).sqrt();
                table.mean_norms[b] = norm;
                write_normalised(&mut row, mean.view(), norm);
                table.present.push(b);
            } else {
                table.mean_norms[b] = F::zero();
                if self.seen[b] {
                    let s = self.memory.row(b);
                    write_normalised(&mut row, s, s.dot(&s).sqrt());
                    *source = RowSource::Memory;
                } else {
                    row.fill(F::zero());
                    *source = RowSource::Unseen;
                }
            }
        }
        table.sources = counts;
        Ok(())
    }

    /// Adds a batch of normalised features to this epoch's per-bin sums.
    ///
    /// Streaming update: call every step with the training batch's `z`. Exact update: call
    /// over a full no-grad pass after the epoch. Then call [`end_epoch`](Self::end_epoch).
    ///
    /// Errors: `z` not M×d, `bins.len() ≠ M`, a bin ≥ K, non-finite `z` (nothing is added).
    pub fn accumulate(&mut self, z: ArrayView2<F>, bins: &[usize]) -> Result<(), SurrogateError> {
        self.check_batch(z, bins)?;
        for (zi, &b) in z.rows().into_iter().zip(bins) {
            Zip::from(self.sums.row_mut(b))
                .and(&zi)
                .for_each(|s, &v| *s += v.to_f64().unwrap_or(f64::NAN));
            self.counts[b] += 1;
        }
        Ok(())
    }

    /// Memory update (paper Eq. 9). For every bin with accumulated features this epoch,
    /// Ŝ_k = their mean; a bin seen for the first time gets S_k ← Ŝ_k, otherwise
    /// S_k ← α·S_k + (1−α)·Ŝ_k. Bins without data keep their row. Clears the accumulators.
    ///
    /// ```
    /// use ndarray::array;
    /// use srl_surrogate::{Surrogate, SurrogateConfig};
    /// let mut s = Surrogate::<f64>::new(SurrogateConfig::new(2, 2)).unwrap(); // α = 0.9
    /// s.accumulate(array![[1.0, 0.0]].view(), &[0]).unwrap();
    /// s.end_epoch().unwrap();
    /// s.accumulate(array![[0.0, 1.0]].view(), &[0]).unwrap();
    /// s.end_epoch().unwrap();
    /// let m = s.memory();
    /// assert!((m[[0, 0]] - 0.9).abs() < 1e-12 && (m[[0, 1]] - 0.1).abs() < 1e-12);
    /// ```
    pub fn end_epoch(&mut self) -> Result<(), SurrogateError> {
        let alpha = self.config.memory.momentum;
        for b in 0..self.num_bins() {
            let n = self.counts[b];
            if n == 0 {
                continue;
            }
            let inv_n = 1.0 / n as f64;
            let first = !self.seen[b];
            let sums = self.sums.row(b);
            for (s, &sum) in self.memory.row_mut(b).iter_mut().zip(sums.iter()) {
                let mean = sum * inv_n;
                let new = if first {
                    mean
                } else {
                    alpha * s.to_f64().unwrap_or(f64::NAN) + (1.0 - alpha) * mean
                };
                if !new.is_finite() {
                    return Err(SurrogateError::NonFinite {
                        what: "memory update",
                        index: b * self.config.dim,
                    });
                }
                *s = F::cst(new);
            }
            self.seen[b] = true;
        }
        self.sums.fill(0.0);
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.updates += 1;
        Ok(())
    }

    /// Validates a batch: `z` is M×d and finite, `bins` has length M with entries < K.
    fn check_batch(&self, z: ArrayView2<F>, bins: &[usize]) -> Result<(), SurrogateError> {
        if z.ncols() != self.dim() {
            return Err(SurrogateError::ShapeMismatch {
                what: "z columns",
                expected: self.dim(),
                got: z.ncols(),
            });
        }
        if bins.len() != z.nrows() {
            return Err(SurrogateError::ShapeMismatch {
                what: "bins length",
                expected: z.nrows(),
                got: bins.len(),
            });
        }
        if let Some((index, &bin)) = bins.iter().enumerate().find(|(_, &b)| b >= self.num_bins()) {
            return Err(SurrogateError::BinOutOfRange {
                index,
                bin,
                num_bins: self.num_bins(),
            });
        }
        check_finite("z", z)
    }
}

/// Writes v/‖v‖ into `out`, or zeros if ‖v‖ = 0.
fn write_normalised<F: Float>(
    out: &mut ndarray::ArrayViewMut1<F>,
    v: ndarray::ArrayView1<F>,
    norm: F,
) {
    if norm > F::zero() {
        let inv = F::one() / norm;
        Zip::from(out).and(&v).for_each(|o, &x| *o = x * inv);
    } else {
        out.fill(F::zero());
    }
}

fn check_shape<F>(
    what: &'static str,
    a: ArrayView2<F>,
    rows: usize,
    cols: usize,
) -> Result<(), SurrogateError> {
    if a.nrows() != rows {
        return Err(SurrogateError::ShapeMismatch {
            what,
            expected: rows,
            got: a.nrows(),
        });
    }
    if a.ncols() != cols {
        return Err(SurrogateError::ShapeMismatch {
            what,
            expected: cols,
            got: a.ncols(),
        });
    }
    Ok(())
}

fn check_finite<F: Float>(what: &'static str, a: ArrayView2<F>) -> Result<(), SurrogateError> {
    match a.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(SurrogateError::NonFinite { what, index }),
        None => Ok(()),
    }
}
