//! Rank-N-Contrast (Zha, Cao, Son, Yang, Katabi, NeurIPS 2023; reference
//! `kaiwenzha/Rank-N-Contrast`, `loss.py::RnCLoss`): a contrastive loss that ranks samples by
//! their label distance. With features z_i (raw, no normalisation, as in the reference),
//! s_ij = −‖z_i − z_j‖₂ / τ and d_ij = |y_i − y_j|,
//!
//! ```text
//! L = 1/(n(n−1)) Σ_i Σ_{j≠i} −log( exp(s_ij) / Σ_{k≠i, d_ik ≥ d_ij} exp(s_ik) )
//! ```
//!
//! (the denominator's set S_ij includes j itself). The reference feeds two augmented views of
//! every sample (n = 2B); here the caller passes whatever rows it has (tabular data has no
//! augmentation: one view).
//!
//! **Backward.** With p_ijk = exp(s_ik) / Z_ij over S_ij,
//! ∂L/∂s_ik = (1/(n(n−1))) · (−1 + Σ_{j≠i: d_ij ≤ d_ik} p_ijk) for k ≠ i. Sorting each anchor's
//! row by label distance turns both the denominators Z_ij (suffix sums) and the sums over j
//! (prefix sums of 1/Z) into running sums: O(n² log n) instead of the naive O(n³). Then
//! ∂s_ij/∂z_i = −(z_i − z_j)/(τ‖z_i − z_j‖) (and the opposite for z_j); coincident points
//! (‖z_i − z_j‖ < 1e-12) get a zero sub-gradient.

use crate::{LossError, Temperature};
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use srl_geometry::Float;

/// Distances below this count as coincident (zero sub-gradient).
const MIN_DIST: f64 = 1e-12;

/// The Rank-N-Contrast loss with temperature τ (reference default 2).
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::rnc::RankNContrast;
/// let rnc = RankNContrast::new(2.0).unwrap();
/// // Features ordered like the labels: every anchor's nearest sample is its label-nearest one.
/// let z = array![[0.0_f64], [1.0], [2.0]];
/// let mut g = z.clone();
/// let v = rnc.forward_backward(z.view(), array![0.0, 1.0, 2.0].view(), g.view_mut()).unwrap();
/// assert!(v > 0.0 && v.is_finite());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankNContrast {
    tau: f64,
}

impl RankNContrast {
    /// Validates τ finite and > 0 (`InvalidParameter { name: "tau" }`, from
    /// [`Temperature::check`]).
    pub fn new(tau: f64) -> Result<Self, LossError> {
        Ok(Self::with_temperature(Temperature::check("tau", tau)?))
    }

    /// The loss for an already checked τ (no error possible).
    pub fn with_temperature(tau: Temperature) -> Self {
        RankNContrast { tau: tau.get() }
    }

    /// Temperature τ.
    pub fn tau(&self) -> f64 {
        self.tau
    }

    /// The loss on `z` (n × D, n ≥ 2) with labels `y` (n); **writes** ∂L/∂z into `grad`.
    /// Errors on shape mismatches, n < 2 and non-finite inputs.
    pub fn forward_backward<F: Float>(
        &self,
        z: ArrayView2<F>,
        y: ArrayView1<F>,
        mut grad: ArrayViewMut2<F>,
    ) -> Result<F, LossError> {
        let n = super::check_feature_batch(z, y, grad.dim(), "grad rows")?;
        if n < 2 {
            return Err(LossError::Empty {
                what: "pairs (Rank-N-Contrast needs at least 2 rows)",
            });
        }
        let inv_tau = F::one() / F::cst(self.tau);
        // Pairwise distances and logits.
        let mut dist = Array2::<F>::zeros((n, n));
        for i in 0..n {
            for j in (i + 1)..n {
                let mut s = F::zero();
                for (&a, &b) in z.row(i).iter().zip(z.row(j).iter()) {
                    s += (a - b) * (a - b);
                }
                let d = s.sqrt();
                dist[[i, j]] = d;
                dist[[j, i]] = d;
            }
        }
        let scale = F::one() / F::from_count(n * (n - 1));
        let mut grad_s = Array2::<F>::zeros((n, n));
        let mut order: Vec<usize> = Vec::with_capacity(n - 1);
        let mut loss = F::zero();
        for i in 0..n {
            // Others sorted by label distance, descending: S_ij is the prefix of everything
            // with d ≥ d_ij, i.e. up to the end of j's tie group.
            order.clear();
            order.extend((0..n).filter(|&k| k != i));
            let label_dist = |k: usize| (y[i] - y[k]).abs();
            order.sort_by(|&a, &b| {
                label_dist(b)
                    .partial_cmp(&label_dist(a))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let logit = |k: usize| -dist[[i, k]] * inv_tau;
            let max = order
                .iter()
                .map(|&k| logit(k))
                .fold(F::neg_infinity(), F::max);
            // Prefix sums of exp over the sorted order, evaluated at the end of each tie group.
            let m = order.len();
            let mut z_at = vec![F::zero(); m]; // Z of the group containing position t
            let mut t = 0;
            let mut running = F::zero();
            while t < m {
                let mut end = t;
                while end + 1 < m && label_dist(order[end + 1]) == label_dist(order[t]) {
                    end += 1;
                }
                for &k in &order[t..=end] {
                    running += (logit(k) - max).exp();
                }
                for slot in &mut z_at[t..=end] {
                    *slot = running;
                }
                t = end + 1;
            }
            // Loss and ∂L/∂s_ik: Σ over j with d_ij ≤ d_ik of 1/Z_ij = a suffix sum of 1/Z over
            // positions from k's tie group to the end.
            let mut inv_z_suffix = vec![F::zero(); m + 1];
            for t in (0..m).rev() {
                inv_z_suffix[t] = inv_z_suffix[t + 1] + F::one() / z_at[t];
            }
            let mut group_start = 0;
            for t in 0..m {
                let k = order[t];
                if t > 0 && label_dist(order[t]) != label_dist(order[t - 1]) {
                    group_start = t;
                }
                loss += -(logit(k) - max) + z_at[t].ln();
                // j ranges over positions with d_ij ≤ d_ik: from the start of k's group on.
                let e = (logit(k) - max).exp();
                grad_s[[i, k]] = scale * (-F::one() + e * inv_z_suffix[group_start]);
            }
        }
        // Back to z: s_ik = −‖z_i − z_k‖/τ.
        grad.fill(F::zero());
        for i in 0..n {
            for k in 0..n {
                let g = grad_s[[i, k]];
                let d = dist[[i, k]];
                if i == k || g == F::zero() || d < F::cst(MIN_DIST) {
                    continue;
                }
                let c = -g * inv_tau / d;
                for col in 0..z.ncols() {
                    let diff = z[[i, col]] - z[[k, col]];
                    grad[[i, col]] += c * diff;
                    grad[[k, col]] -= c * diff;
                }
            }
        }
        Ok(loss * scale)
    }
}
