//! The completed K×d centroid table ("the surrogate") and its backward pass.
//!
//! Row k of the table is (paper Eq. 8):
//! - a batch centroid c_k = m_k/‖m_k‖, m_k = (1/n_k) Σ_{i: b_i = k} z_i, when bin k is present in
//!   the batch — the only rows that carry gradient back into z;
//! - the normalised memory row S_k/‖S_k‖ when bin k is absent but has been seen before (a
//!   constant);
//! - a zero row when bin k has never been seen (and, as a measure-zero edge case, whenever the
//!   vector to normalise is exactly zero). Zero rows never produce NaN.

use crate::SurrogateError;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Zip};
use srl_geometry::Float;

/// Where a row of a [`SurrogateTable`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowSource {
    /// Batch centroid of the `count` samples of this bin in the batch (carries gradient).
    Batch {
        /// Number of batch samples in the bin (≥ 1).
        count: usize,
    },
    /// Normalised memory row S_k of a bin absent from the batch (no gradient).
    Memory,
    /// A bin never seen so far: a zero row (no gradient).
    Unseen,
}

/// The completed K×d table C of one batch, with what its backward pass needs.
///
/// Built by [`Surrogate::complete`](crate::Surrogate::complete) or, without allocation, by
/// [`Surrogate::complete_into`](crate::Surrogate::complete_into) into a table made once with
/// [`SurrogateTable::new`].
///
/// ```
/// use ndarray::array;
/// use srl_surrogate::{RowSource, Surrogate, SurrogateConfig};
/// let s = Surrogate::<f64>::new(SurrogateConfig::new(3, 2)).unwrap();
/// let z = array![[1.0, 0.0], [0.0, 1.0]];
/// let t = s.complete(z.view(), &[0, 0]).unwrap();
/// let r = 0.5_f64.sqrt();
/// assert!((t.table()[[0, 0]] - r).abs() < 1e-12 && (t.table()[[0, 1]] - r).abs() < 1e-12);
/// assert_eq!(t.source(0), RowSource::Batch { count: 2 });
/// assert_eq!(t.source(1), RowSource::Unseen); // never seen: zero row
/// assert_eq!(t.present_bins(), &[0]);
/// ```
#[derive(Debug, Clone)]
pub struct SurrogateTable<F> {
    /// Completed K×d table C.
    pub(crate) table: Array2<F>,
    /// Unnormalised batch means m_k (rows of absent bins are unspecified).
    pub(crate) means: Array2<F>,
    /// ‖m_k‖ for present bins (0 otherwise).
    pub(crate) mean_norms: Vec<F>,
    /// Source of every row.
    pub(crate) sources: Vec<RowSource>,
    /// Present bins in increasing order.
    pub(crate) present: Vec<usize>,
    /// Bin of every sample of the batch the table was built from.
    pub(crate) bins: Vec<usize>,
}

impl<F: Float> SurrogateTable<F> {
    /// An empty table of K×d buffers (all rows [`RowSource::Unseen`]) for
    /// [`Surrogate::complete_into`](crate::Surrogate::complete_into).
    pub fn new(num_bins: usize, dim: usize) -> Self {
        Self {
            table: Array2::zeros((num_bins, dim)),
            means: Array2::zeros((num_bins, dim)),
            mean_norms: vec![F::zero(); num_bins],
            sources: vec![RowSource::Unseen; num_bins],
            present: Vec::with_capacity(num_bins),
            bins: Vec::new(),
        }
    }

    /// Number of bins K (rows).
    pub fn num_bins(&self) -> usize {
        self.table.nrows()
    }

    /// Representation dimension d (columns).
    pub fn dim(&self) -> usize {
        self.table.ncols()
    }

    /// The completed K×d table C: batch centroids for present bins, normalised memory rows for
    /// absent seen bins, zero rows for never-seen bins.
    pub fn table(&self) -> ArrayView2<'_, F> {
        self.table.view()
    }

    /// Where row `k` came from. Panics if `k ≥ K` (an index, not user data).
    pub fn source(&self, k: usize) -> RowSource {
        self.sources[k]
    }

    /// Sources of all K rows.
    pub fn sources(&self) -> &[RowSource] {
        &self.sources
    }

    /// Bins present in the batch, in increasing order.
    pub fn present_bins(&self) -> &[usize] {
        &self.present
    }

    /// Bins of the batch samples the table was built from.
    pub fn batch_bins(&self) -> &[usize] {
        &self.bins
    }

    /// Whether row `k` is exactly zero (never-seen bin, or a degenerate zero mean).
    pub fn is_zero_row(&self, k: usize) -> bool {
        self.table.row(k).iter().all(|&v| v == F::zero())
    }

    /// Resizes the buffers to K×d (allocating only if the shape changes).
    pub(crate) fn ensure_shape(&mut self, num_bins: usize, dim: usize) {
        if self.table.dim() != (num_bins, dim) {
            *self = Self::new(num_bins, dim);
        }
    }

    /// Backward pass: ADDS ∂L/∂z into `grad_z` (M×d) given `grad_table` = ∂L/∂C (K×d).
    ///
    /// For a present bin k with n_k samples, c_k = m_k/‖m_k‖ and m_k = (1/n_k) Σ z_i, so for
    /// every sample i of bin k
    /// ∂L/∂z_i += (I − c_k c_kᵀ) g_k / (n_k ‖m_k‖), g_k = ∂L/∂c_k.
    /// Memory and unseen rows are constants and carry no gradient.
    ///
    /// Errors: `grad_table` not K×d, or `grad_z` not M×d for the batch the table was built from.
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use srl_surrogate::{Surrogate, SurrogateConfig};
    /// let s = Surrogate::<f64>::new(SurrogateConfig::new(2, 2)).unwrap();
    /// let z = array![[1.0, 0.0]];
    /// let t = s.complete(z.view(), &[1]).unwrap();
    /// // A gradient along the centroid itself does not change a unit vector: no gradient.
    /// let g = array![[5.0, 5.0], [1.0, 0.0]];
    /// let mut gz = Array2::zeros((1, 2));
    /// t.backward_into(g.view(), gz.view_mut()).unwrap();
    /// assert_eq!(gz, array![[0.0, 0.0]]);
    /// ```
    pub fn backward_into(
        &self,
        grad_table: ArrayView2<F>,
        mut grad_z: ArrayViewMut2<F>,
    ) -> Result<(), SurrogateError> {
        let (k, d) = self.table.dim();
        if grad_table.dim() != (k, d) {
            let (what, expected, got) = if grad_table.nrows() != k {
                ("grad_table rows", k, grad_table.nrows())
            } else {
                ("grad_table columns", d, grad_table.ncols())
            };
            return Err(SurrogateError::ShapeMismatch {
                what,
                expected,
                got,
            });
        }
        if grad_z.nrows() != self.bins.len() {
            return Err(SurrogateError::ShapeMismatch {
                what: "grad_z rows",
                expected: self.bins.len(),
                got: grad_z.nrows(),
            });
        }
        if grad_z.ncols() != d {
            return Err(SurrogateError::ShapeMismatch {
                what: "grad_z columns",
                expected: d,
                got: grad_z.ncols(),
            });
        }
        for (mut gz, &b) in grad_z.rows_mut().into_iter().zip(&self.bins) {
            let RowSource::Batch { count } = self.sources[b] else {
                continue; // unreachable: a sample's own bin is always present
            };
            let norm = self.mean_norms[b];
            if norm <= F::zero() {
                continue; // degenerate zero mean: the normalisation has zero gradient
            }
            let c = self.table.row(b);
            let g = grad_table.row(b);
            let proj = c.dot(&g);
            let inv = F::one() / (norm * F::from_count(count));
            Zip::from(&mut gz)
                .and(&c)
                .and(&g)
                .for_each(|o, &ci, &gi| *o += (gi - proj * ci) * inv);
        }
        Ok(())
    }
}
