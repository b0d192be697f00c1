//! Seeded mini-batch sampling and row gathering into reused buffers.
//!
//! Each epoch's permutation depends only on `(seed, epoch)`: a ChaCha8 generator seeded with
//! `seed` and switched to stream `epoch` shuffles the identity permutation (Fisher–Yates). So
//! epochs are reproducible individually (e.g. after resuming from a checkpoint).

use crate::TrainError;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How a training set is cut into batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BatchMode {
    /// One batch holding every row in its original order (full-batch gradient descent).
    Full,
    /// Shuffled batches of `batch_size` rows; the last one is smaller unless `drop_last`.
    MiniBatch {
        /// Rows per batch (≥ 1).
        batch_size: usize,
        /// Drop the final incomplete batch (PyTorch `DataLoader(drop_last=True)`).
        #[serde(default)]
        drop_last: bool,
    },
}

/// Produces each epoch's batches of row indices.
///
/// ```
/// use srl_train::{BatchMode, BatchSampler};
/// let mut sampler = BatchSampler::new(10, BatchMode::MiniBatch { batch_size: 4, drop_last: false }, 42).unwrap();
/// sampler.shuffle_for_epoch(0);
/// let sizes: Vec<usize> = sampler.batches().map(|b| b.len()).collect();
/// assert_eq!(sizes, vec![4, 4, 2]);
/// let mut seen: Vec<usize> = sampler.batches().flatten().copied().collect();
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSampler {
    mode: BatchMode,
    seed: u64,
    order: Vec<usize>,
}

impl BatchSampler {
    /// A sampler over `num_rows` rows; validates the batch size.
    pub fn new(num_rows: usize, mode: BatchMode, seed: u64) -> Result<Self, TrainError> {
        if num_rows == 0 {
            return Err(TrainError::Empty {
                what: "training set",
            });
        }
        if let BatchMode::MiniBatch {
            batch_size,
            drop_last,
        } = mode
        {
            if batch_size == 0 {
                return Err(TrainError::InvalidConfig {
                    field: "batch_size",
                    reason: "must be at least 1".into(),
                });
            }
            if drop_last && batch_size > num_rows {
                return Err(TrainError::InvalidConfig {
                    field: "batch_size",
                    reason: format!(
                        "{batch_size} exceeds the {num_rows} rows with drop_last: no batch would remain"
                    ),
                });
            }
        }
        Ok(Self {
            mode,
            seed,
            order: (0..num_rows).collect(),
        })
    }

    /// Number of rows sampled from.
    pub fn num_rows(&self) -> usize {
        self.order.len()
    }

    /// Rows per full batch.
    pub fn batch_size(&self) -> usize {
        match self.mode {
            BatchMode::Full => self.order.len(),
            BatchMode::MiniBatch { batch_size, .. } => batch_size.min(self.order.len()),
        }
    }

    /// Sets the permutation for `epoch` (identity in [`BatchMode::Full`]). No allocation.
    pub fn shuffle_for_epoch(&mut self, epoch: u64) {
        self.order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        if matches!(self.mode, BatchMode::MiniBatch { .. }) {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
            rng.set_stream(epoch);
            self.order.shuffle(&mut rng);
        }
    }

    /// The current epoch's row order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Number of batches per epoch.
    pub fn num_batches(&self) -> usize {
        let n = self.order.len();
        match self.mode {
            BatchMode::Full => 1,
            BatchMode::MiniBatch {
                batch_size,
                drop_last: true,
            } => n / batch_size,
            BatchMode::MiniBatch { batch_size, .. } => n.div_ceil(batch_size),
        }
    }

    /// The current epoch's batches of row indices.
    pub fn batches(&self) -> impl Iterator<Item = &[usize]> + '_ {
        let used = match self.mode {
            BatchMode::MiniBatch {
                batch_size,
                drop_last: true,
            } => self.order.len() - self.order.len() % batch_size,
            _ => self.order.len(),
        };
        self.order[..used].chunks(self.batch_size())
    }
}

/// Copies rows `indices` of `src` into the first `indices.len()` rows of `dst`.
///
/// ```
/// use ndarray::{array, Array2};
/// let src = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let mut dst = Array2::zeros((2, 2));
/// srl_train::gather_rows_into(src.view(), &[2, 0], dst.view_mut()).unwrap();
/// assert_eq!(dst, array![[5.0, 6.0], [1.0, 2.0]]);
/// ```
pub fn gather_rows_into<F: Clone>(
    src: ArrayView2<'_, F>,
    indices: &[usize],
    mut dst: ArrayViewMut2<'_, F>,
) -> Result<(), TrainError> {
    if dst.ncols() != src.ncols() {
        return Err(TrainError::ShapeMismatch {
            what: "gather destination columns",
            expected: src.ncols(),
            got: dst.ncols(),
        });
    }
    if dst.nrows() < indices.len() {
        return Err(TrainError::ShapeMismatch {
            what: "gather destination rows",
            expected: indices.len(),
            got: dst.nrows(),
        });
    }
    check_indices(indices, src.nrows())?;
    for (&i, mut row) in indices.iter().zip(dst.rows_mut()) {
        row.assign(&src.row(i));
    }
    Ok(())
}

/// Copies elements `indices` of `src` into the first `indices.len()` entries of `dst`.
pub fn gather_values_into<F: Clone>(
    src: ArrayView1<'_, F>,
    indices: &[usize],
    mut dst: ArrayViewMut1<'_, F>,
) -> Result<(), TrainError> {
    if dst.len() < indices.len() {
        return Err(TrainError::ShapeMismatch {
            what: "gather destination length",
            expected: indices.len(),
            got: dst.len(),
        });
    }
    check_indices(indices, src.len())?;
    for (&i, d) in indices.iter().zip(dst.iter_mut()) {
        *d = src[i].clone();
    }
    Ok(())
}

fn check_indices(indices: &[usize], len: usize) -> Result<(), TrainError> {
    match indices.iter().find(|&&i| i >= len) {
        Some(&bad) => Err(TrainError::ShapeMismatch {
            what: "row index (must be below the number of rows)",
            expected: len,
            got: bad,
        }),
        None => Ok(()),
    }
}

/// Reused storage for one batch of inputs and targets (grow-only).
///
/// ```
/// use ndarray::array;
/// use srl_train::BatchBuffer;
/// let x = array![[1.0_f32], [2.0], [3.0]];
/// let y = array![10.0_f32, 20.0, 30.0];
/// let mut buf = BatchBuffer::new(1, 2);
/// buf.gather(x.view(), y.view(), &[2, 1]).unwrap();
/// assert_eq!(buf.x(), array![[3.0_f32], [2.0]]);
/// assert_eq!(buf.y(), array![30.0_f32, 20.0]);
/// ```
#[derive(Debug, Clone)]
pub struct BatchBuffer<F> {
    x: Array2<F>,
    y: Array1<F>,
    len: usize,
}

impl<F: Clone + num_traits::Zero> BatchBuffer<F> {
    /// Storage for batches of up to `capacity` rows with `num_cols` input columns.
    pub fn new(num_cols: usize, capacity: usize) -> Self {
        Self {
            x: Array2::zeros((capacity, num_cols)),
            y: Array1::zeros(capacity),
            len: 0,
        }
    }

    /// Gathers rows `indices` of `(x, y)`; reallocates only if the batch exceeds the capacity.
    pub fn gather(
        &mut self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        indices: &[usize],
    ) -> Result<(), TrainError> {
        if x.nrows() != y.len() {
            return Err(TrainError::ShapeMismatch {
                what: "targets length (must equal input rows)",
                expected: x.nrows(),
                got: y.len(),
            });
        }
        if x.ncols() != self.x.ncols() {
            return Err(TrainError::ShapeMismatch {
                what: "batch input columns",
                expected: self.x.ncols(),
                got: x.ncols(),
            });
        }
        if indices.len() > self.x.nrows() {
            *self = Self::new(self.x.ncols(), indices.len());
        }
        gather_rows_into(x, indices, self.x.view_mut())?;
        gather_values_into(y, indices, self.y.view_mut())?;
        self.len = indices.len();
        Ok(())
    }

    /// Inputs of the current batch.
    pub fn x(&self) -> ArrayView2<'_, F> {
        self.x.slice(s![..self.len, ..])
    }

    /// Targets of the current batch.
    pub fn y(&self) -> ArrayView1<'_, F> {
        self.y.slice(s![..self.len])
    }
}
