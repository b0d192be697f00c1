//! Ordinal entropy regulariser (Zhang et al., "Improving Deep Regression with Ordinal
//! Entropy", ICLR 2023), in the form used as a baseline by the SRL authors.
//!
//! On the L2-normalised features z_i = h_i/‖h_i‖ of a batch of M samples:
//!
//! - **Diversity** L_d = −mean_{i<j} w̃_ij·d_ij with d_ij = ‖z_i − z_j‖₂ (clamped below at
//!   √1e-12 like the reference `euclidean_dist`; no gradient when clamped) and
//!   w̃_ij = (|y_i − y_j| − min)/max, min and max taken over the upper triangle — the
//!   reference's rescaling, replicated as is (it maps to [0, 1 − min/max], not exactly [0, 1]).
//! - **Tightness** L_t = mean_i ‖z_i − z̄_{y_i}‖², z̄_y = mean of the z with label exactly y
//!   (not re-normalised).
//!
//! Value = λ_d·L_d + λ_t·L_t; the backward maps through the row normalisation to the raw
//! features h ([`srl_geometry::normalize_rows_backward`]). Subsampling the batch (S = 10 or 100
//! in the reference) is the caller's job: the batch is taken as given.
//!
//! Fixes: the reference divides by the maximum label distance and produces NaN when all labels
//! are equal or M < 2; here the diversity term is 0 in those cases.

use crate::LossError;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use srl_geometry::{normalize_rows, normalize_rows_backward_into, Float};

/// Ordinal-entropy weights λ_d (diversity) and λ_t (tightness).
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
/// let oe = OrdinalEntropy::new(1.0, 0.0).unwrap();
/// let h = array![[1.0_f64, 0.0], [0.0, 2.0]];
/// let mut g = h.clone();
/// let out = oe.forward_backward(h.view(), array![0.0, 1.0].view(), g.view_mut()).unwrap();
/// // One pair, label weight (1 − 1)/1 = 0 after the reference's min-max rescaling.
/// assert_eq!(out.diversity, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrdinalEntropy {
    diversity_weight: f64,
    tightness_weight: f64,
}

/// Components of the ordinal-entropy loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrdinalEntropyOutput<F> {
    /// L_d (≤ 0).
    pub diversity: F,
    /// L_t (≥ 0).
    pub tightness: F,
    /// λ_d·L_d + λ_t·L_t, the value whose gradient is written.
    pub value: F,
}

/// Squared-distance clamp of the reference `euclidean_dist`.
const MIN_SQ_DIST: f64 = 1e-12;

impl OrdinalEntropy {
    /// Validates λ_d, λ_t finite and ≥ 0.
    pub fn new(diversity_weight: f64, tightness_weight: f64) -> Result<Self, LossError> {
        for (name, v) in [
            ("diversity_weight", diversity_weight),
            ("tightness_weight", tightness_weight),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(LossError::InvalidParameter {
                    name,
                    reason: format!("must be finite and ≥ 0, got {v}"),
                });
            }
        }
        Ok(OrdinalEntropy {
            diversity_weight,
            tightness_weight,
        })
    }

    /// Forward and backward on raw features `h` (M × D) with labels `y` (M). **Writes**
    /// ∂value/∂h into `grad_h`.
    pub fn forward_backward<F: Float>(
        &self,
        h: ArrayView2<F>,
        labels: ArrayView1<F>,
        mut grad_h: ArrayViewMut2<F>,
    ) -> Result<OrdinalEntropyOutput<F>, LossError> {
        super::check_feature_batch(h, labels, grad_h.dim(), "grad_h rows")?;

        let (z, norms) = normalize_rows(h);
        let mut grad_z = Array2::<F>::zeros(z.raw_dim());
        let diversity = self.diversity(&z, labels, &mut grad_z);
        let tightness = self.tightness(&z, labels, &mut grad_z);
        normalize_rows_backward_into(z.view(), norms.view(), grad_z.view(), grad_h.view_mut());
        Ok(OrdinalEntropyOutput {
            diversity,
            tightness,
            value: F::cst(self.diversity_weight) * diversity
                + F::cst(self.tightness_weight) * tightness,
        })
    }

    /// L_d; accumulates λ_d·∂L_d/∂z into `grad_z`.
    fn diversity<F: Float>(&self, z: &Array2<F>, y: ArrayView1<F>, grad_z: &mut Array2<F>) -> F {
        let m = z.nrows();
        if m < 2 {
            return F::zero();
        }
        let pairs = F::from_count(m * (m - 1) / 2);
        let (mut w_min, mut w_max) = (F::infinity(), F::zero());
        for i in 0..m {
            for j in i + 1..m {
                let w = (y[i] - y[j]).abs();
                w_min = w_min.min(w);
                w_max = w_max.max(w);
            }
        }
        if w_max <= F::zero() {
            return F::zero();
        }
        let coef = -F::cst(self.diversity_weight) / pairs;
        let mut total = F::zero();
        for i in 0..m {
            for j in i + 1..m {
                let w = ((y[i] - y[j]).abs() - w_min) / w_max;
                let diff = &z.row(i) - &z.row(j);
                let sq = diff.dot(&diff);
                let clamped = sq <= F::cst(MIN_SQ_DIST);
                let d = if clamped {
                    F::cst(MIN_SQ_DIST).sqrt()
                } else {
                    sq.sqrt()
                };
                total += w * d;
                if !clamped && w != F::zero() {
                    // ∂d_ij/∂z_i = (z_i − z_j)/d_ij = −∂d_ij/∂z_j.
                    let g = diff.mapv(|v| coef * w * v / d);
                    let mut gi = grad_z.row_mut(i);
                    gi += &g;
                    let mut gj = grad_z.row_mut(j);
                    gj -= &g;
                }
            }
        }
        -total / pairs
    }

    /// L_t; accumulates λ_t·∂L_t/∂z into `grad_z` (= λ_t·2(z_i − z̄)/M, the centroid terms
    /// cancel because Σ_{j∈g}(z_j − z̄_g) = 0).
    fn tightness<F: Float>(&self, z: &Array2<F>, y: ArrayView1<F>, grad_z: &mut Array2<F>) -> F {
        let m = z.nrows();
        let mut group_of = vec![0usize; m];
        let mut reps: Vec<F> = Vec::new();
        for i in 0..m {
            group_of[i] = match reps.iter().position(|&r| r == y[i]) {
                Some(g) => g,
                None => {
                    reps.push(y[i]);
                    reps.len() - 1
                }
            };
        }
        let mut centres = Array2::<F>::zeros((reps.len(), z.ncols()));
        let mut counts = vec![0usize; reps.len()];
        for i in 0..m {
            let mut c = centres.row_mut(group_of[i]);
            c += &z.row(i);
            counts[group_of[i]] += 1;
        }
        for (mut c, &n) in centres.rows_mut().into_iter().zip(&counts) {
            c.mapv_inplace(|v| v / F::from_count(n));
        }
        let inv_m = F::one() / F::from_count(m);
        let coef = F::cst(2.0 * self.tightness_weight) * inv_m;
        let mut total = F::zero();
        for (i, &group) in group_of.iter().enumerate() {
            let diff = &z.row(i) - &centres.row(group);
            total += diff.dot(&diff);
            let mut g = grad_z.row_mut(i);
            g.scaled_add(coef, &diff);
        }
        total * inv_m
    }
}
