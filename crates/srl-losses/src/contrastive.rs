//! The centroid contrastive loss (paper Eq. 10, in the authors' code form with τ and the
//! batch mean): pull every representation towards its own bin's centroid and away from the
//! other centroids.
//!
//! L_con = −(1/M) Σ_i log softmax_k(⟨z_i, c̄_k⟩/τ)[b(y_i)],
//!
//! where c̄ = C is the completed table with a stop-gradient (so the gradient flows into z only
//! directly, not through the batch centroids). ∂L/∂z_i = (1/(Mτ)) Σ_k (π_ik − δ_{k,b_i}) c̄_k
//! with π the softmax. The row max is subtracted before `exp`.
//!
//! **Zero rows** (never-seen bins) are kept in the softmax, as in the authors' code: they give
//! logit 0 and so still act as (weak) negatives, and their gradient contribution π_ik·0 is
//! zero. A sample's own row is a batch centroid and so never a never-seen zero row. With the
//! paper's τ = 1 and no mean, multiply the value by M.

use crate::{LossError, Temperature};
use ndarray::{linalg::general_mat_mul, s, Array2, ArrayView2, ArrayViewMut2};
use srl_geometry::{Float, LogSumExp};

/// Centroid contrastive loss with temperature τ and stop-gradient centroids.
///
/// ```
/// use ndarray::{array, Array2};
/// use srl_losses::contrastive::CentroidContrastiveLoss;
/// let mut con = CentroidContrastiveLoss::<f64>::new(1.0).unwrap();
/// let z = array![[1.0, 0.0]];
/// let table = array![[1.0, 0.0], [0.0, 1.0]];
/// let mut grad = Array2::zeros((1, 2));
/// let value = con.forward_backward(z.view(), &[0], table.view(), grad.view_mut(), 1.0).unwrap();
/// // −log(e¹ / (e¹ + e⁰))
/// assert!((value - (1.0 + 1.0_f64.exp().recip()).ln()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct CentroidContrastiveLoss<F> {
    tau: f64,
    /// M×K logits, then softmax − one-hot (reused).
    logits: Array2<F>,
}

impl<F: Float> CentroidContrastiveLoss<F> {
    /// Builds the loss. Errors unless τ is finite and > 0 (`InvalidParameter { name: "tau" }`,
    /// from [`Temperature::check`]).
    pub fn new(tau: f64) -> Result<Self, LossError> {
        Ok(Self::with_temperature(Temperature::check("tau", tau)?))
    }

    /// Builds the loss from an already checked τ (no error possible).
    pub fn with_temperature(tau: Temperature) -> Self {
        Self {
            tau: tau.get(),
            logits: Array2::zeros((0, 0)),
        }
    }

    /// The temperature τ.
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// Loss value; ADDS `scale`·∂L/∂z into `grad_z` (M×d). The table gets no gradient.
    ///
    /// Errors: empty batch, `bins.len() ≠ M`, a bin ≥ K, column mismatch between `z` and
    /// `table`, `grad_z` not M×d, non-finite `z` or `table`.
    pub fn forward_backward(
        &mut self,
        z: ArrayView2<F>,
        bins: &[usize],
        table: ArrayView2<F>,
        mut grad_z: ArrayViewMut2<F>,
        scale: F,
    ) -> Result<F, LossError> {
        let (m, d) = z.dim();
        let k = table.nrows();
        if m == 0 {
            return Err(LossError::Empty { what: "batch" });
        }
        if bins.len() != m {
            return Err(LossError::ShapeMismatch {
                what: "bins length",
                expected: m,
                got: bins.len(),
            });
        }
        if table.ncols() != d {
            return Err(LossError::ShapeMismatch {
                what: "table columns",
                expected: d,
                got: table.ncols(),
            });
        }
        if grad_z.dim() != (m, d) {
            return Err(crate::enveloping::shape_error(
                "grad_z",
                (m, d),
                grad_z.dim(),
            ));
        }
        if let Some((index, &bin)) = bins.iter().enumerate().find(|(_, &b)| b >= k) {
            return Err(LossError::BinOutOfRange {
                index,
                bin,
                num_bins: k,
            });
        }
        if let Some(index) = z.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite { what: "z", index });
        }
        if let Some(index) = table.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "table",
                index,
            });
        }
        // Grow-only: a smaller batch (the last, short one of an epoch) or a smaller table (the
        // batch-only surrogate's present bins) uses a corner of the buffer.
        if self.logits.nrows() < m || self.logits.ncols() < k {
            let (rows, cols) = self.logits.dim();
            self.logits = Array2::zeros((m.max(rows), k.max(cols)));
        }
        let mut logits = self.logits.slice_mut(s![..m, ..k]);
        let inv_tau = F::cst(1.0 / self.tau);
        general_mat_mul(inv_tau, &z, &table.t(), F::zero(), &mut logits);
        let mut total = F::zero();
        for (mut row, &b) in logits.rows_mut().into_iter().zip(bins) {
            let own = row[b];
            let row_slice = row
                .as_slice_mut()
                .expect("a row of a row-major buffer is contiguous");
            // π_k = exp(l_k − M)/S, written in place (S = Σ_k exp(l_k − M), M = max_k l_k).
            let lse = LogSumExp::exp_in_place(row_slice);
            // −log π_b = log S − (l_b − M) (no underflow at small τ)
            total += lse.sum.ln() - (own - lse.max);
            let inv_sum = F::one() / lse.sum;
            row.mapv_inplace(|e| e * inv_sum);
            row[b] -= F::one();
        }
        let m_f = F::from_count(m);
        // grad_z += scale/(Mτ) · (π − Y) · C
        general_mat_mul(
            scale * inv_tau / m_f,
            &logits,
            &table,
            F::one(),
            &mut grad_z,
        );
        Ok(total / m_f)
    }
}
