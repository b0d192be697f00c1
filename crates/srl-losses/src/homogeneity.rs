//! The homogeneity loss (paper Eq. 5–6, Theorem 1): make the trace of bin centroids move at a
//! constant speed with respect to the label.
//!
//! Two forms ([`HomogeneityForm`]), both on the completed K×d centroid table C with bin
//! centres y*_1 < … < y*_K:
//! - Paper (Eq. 6): L = Σ_k ‖c_{k+1} − c_k‖² / (y*_{k+1} − y*_k). By Theorem 1,
//!   Σ d_k²/Δ_k ≥ (Σ d_k)²/Σ Δ_k with equality iff d_k/Δ_k is constant.
//! - Authors' code (AgeDB): L = −Σ_k s_k + β·Var_k(s_k), s_k = ⟨c_{k+1}, c_k⟩, with the
//!   population variance over the valid pairs. (Other copies of their code flip the sign of
//!   the first term; that is treated as a bug, not offered.)
//!
//! A pair (k, k+1) involving a zero row (a never-seen bin) is skipped: the trace simply has a
//! gap there (no bridging over missing bins). With no valid pair the loss is 0.

use crate::LossError;
use ndarray::{ArrayView2, ArrayViewMut2, Zip};
use serde::{Deserialize, Serialize};
use srl_geometry::Float;

/// Which homogeneity loss to use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HomogeneityForm {
    /// Σ_k ‖c_{k+1} − c_k‖² / (y*_{k+1} − y*_k) (paper Eq. 6).
    #[default]
    Paper,
    /// −Σ_k ⟨c_{k+1}, c_k⟩ + β·Var_k(⟨c_{k+1}, c_k⟩) (authors' AgeDB code, β = 0.1 there).
    AuthorsCode {
        /// Weight β ≥ 0 of the variance term.
        beta: f64,
    },
}

/// Homogeneity loss over the consecutive rows of the centroid table.
///
/// ```
/// use ndarray::{array, Array2};
/// use srl_losses::homogeneity::{HomogeneityForm, HomogeneityLoss};
/// let mut homo = HomogeneityLoss::<f64>::new(HomogeneityForm::Paper, vec![0.0, 1.0, 3.0]).unwrap();
/// let table = array![[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]];
/// let mut grad = Array2::zeros((3, 2));
/// let value = homo.forward_backward(table.view(), grad.view_mut(), 1.0).unwrap();
/// // ‖Δc‖² = 2 for both pairs, spacings 1 and 2: 2/1 + 2/2
/// assert!((value - 3.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct HomogeneityLoss<F> {
    form: HomogeneityForm,
    /// Bin spacings Δ_k = y*_{k+1} − y*_k (K−1 of them).
    spacings: Vec<F>,
    /// Scratch: s_k of the valid pairs, or NaN for skipped pairs (authors' form).
    pair_dots: Vec<F>,
}

impl<F: Float> HomogeneityLoss<F> {
    /// Builds the loss for K = `bin_centres.len()` bins.
    ///
    /// Errors (`InvalidParameter`): fewer than 2 centres or centres not finite and strictly
    /// increasing (`bin_centres`); β negative or not finite (`homogeneity.beta`).
    pub fn new(form: HomogeneityForm, bin_centres: Vec<f64>) -> Result<Self, LossError> {
        validate_bin_centres(&bin_centres)?;
        if let HomogeneityForm::AuthorsCode { beta } = form {
            if !(beta.is_finite() && beta >= 0.0) {
                return Err(LossError::InvalidParameter {
                    name: "homogeneity.beta",
                    reason: format!("must be finite and ≥ 0, got {beta}"),
                });
            }
        }
        Ok(Self::with_checked(form, &bin_centres))
    }

    /// [`new`](Self::new) for a form and centres already checked (by
    /// [`SrlConfig::check`](crate::SrlConfig::check)).
    pub(crate) fn with_checked(form: HomogeneityForm, bin_centres: &[f64]) -> Self {
        let spacings = bin_centres
            .windows(2)
            .map(|w| F::cst(w[1] - w[0]))
            .collect::<Vec<_>>();
        Self {
            form,
            pair_dots: vec![F::zero(); spacings.len()],
            spacings,
        }
    }

    /// Restricts the loss to the bins `subset` (strictly increasing indices into
    /// `bin_centres`): Δ between consecutive bins of the subset, in place (no allocation once
    /// the loss has had as many bins). Used by the batch-only surrogate, whose table holds the
    /// batch's present bins only.
    ///
    /// Errors (`InvalidParameter`): fewer than 2 bins, an index out of range or not increasing.
    pub(crate) fn restrict_to(
        &mut self,
        bin_centres: &[f64],
        subset: &[usize],
    ) -> Result<(), LossError> {
        let bad = subset.len() < 2
            || subset.iter().any(|&k| k >= bin_centres.len())
            || subset.windows(2).any(|w| w[1] <= w[0]);
        if bad {
            return Err(LossError::InvalidParameter {
                name: "bin_centres",
                reason: format!(
                    "a subset of ≥ 2 increasing bins of {} is needed, got {subset:?}",
                    bin_centres.len()
                ),
            });
        }
        self.spacings.clear();
        self.spacings.extend(
            subset
                .windows(2)
                .map(|w| F::cst(bin_centres[w[1]] - bin_centres[w[0]])),
        );
        self.pair_dots.clear();
        self.pair_dots.resize(self.spacings.len(), F::zero());
        Ok(())
    }

    /// The form in use.
    pub fn form(&self) -> HomogeneityForm {
        self.form
    }

    /// Number of bins K.
    pub fn num_bins(&self) -> usize {
        self.spacings.len() + 1
    }

    /// Loss value; ADDS `scale`·∂L/∂C into `grad_table`.
    ///
    /// Paper: ∂/∂c_{k+1} = 2(c_{k+1} − c_k)/Δ_k = −∂/∂c_k. Authors': with P valid pairs and
    /// mean s̄, ∂L/∂s_k = −1 + 2β(s_k − s̄)/P, and ∂s_k/∂c_{k+1} = c_k, ∂s_k/∂c_k = c_{k+1}.
    ///
    /// Errors: `table` rows ≠ K, `grad_table` not the shape of `table`, non-finite table.
    pub fn forward_backward(
        &mut self,
        table: ArrayView2<F>,
        mut grad_table: ArrayViewMut2<F>,
        scale: F,
    ) -> Result<F, LossError> {
        if table.nrows() != self.num_bins() {
            return Err(LossError::ShapeMismatch {
                what: "table rows",
                expected: self.num_bins(),
                got: table.nrows(),
            });
        }
        if grad_table.dim() != table.dim() {
            return Err(crate::enveloping::shape_error(
                "grad_table",
                table.dim(),
                grad_table.dim(),
            ));
        }
        if let Some(index) = table.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "table",
                index,
            });
        }
        let nonzero = |k: usize| table.row(k).iter().any(|&v| v != F::zero());
        let mut prev_nonzero = nonzero(0);
        match self.form {
            HomogeneityForm::Paper => {
                let two = F::cst(2.0);
                let mut value = F::zero();
                for k in 0..self.spacings.len() {
                    let next_nonzero = nonzero(k + 1);
                    if prev_nonzero && next_nonzero {
                        let inv_dy = F::one() / self.spacings[k];
                        let (a, b) = (table.row(k), table.row(k + 1));
                        let mut sq = F::zero();
                        Zip::from(&a).and(&b).for_each(|&ai, &bi| {
                            let diff = bi - ai;
                            sq += diff * diff;
                        });
                        value += sq * inv_dy;
                        let coef = two * inv_dy * scale;
                        for j in 0..table.ncols() {
                            let g = coef * (b[j] - a[j]);
                            grad_table[[k + 1, j]] += g;
                            grad_table[[k, j]] -= g;
                        }
                    }
                    prev_nonzero = next_nonzero;
                }
                Ok(value)
            }
            HomogeneityForm::AuthorsCode { beta } => {
                let beta = F::cst(beta);
                let mut count = 0usize;
                let mut sum = F::zero();
                for k in 0..self.spacings.len() {
                    let next_nonzero = nonzero(k + 1);
                    self.pair_dots[k] = if prev_nonzero && next_nonzero {
                        let s = table.row(k).dot(&table.row(k + 1));
                        count += 1;
                        sum += s;
                        s
                    } else {
                        F::nan()
                    };
                    prev_nonzero = next_nonzero;
                }
                if count == 0 {
                    return Ok(F::zero());
                }
                let p = F::from_count(count);
                let mean = sum / p;
                let var = self
                    .pair_dots
                    .iter()
                    .filter(|s| !s.is_nan())
                    .map(|&s| (s - mean) * (s - mean))
                    .sum::<F>()
                    / p;
                let two = F::cst(2.0);
                for (k, &s) in self.pair_dots.iter().enumerate() {
                    if s.is_nan() {
                        continue;
                    }
                    let coef = scale * (-F::one() + two * beta * (s - mean) / p);
                    for j in 0..table.ncols() {
                        let (a, b) = (table[[k, j]], table[[k + 1, j]]);
                        grad_table[[k, j]] += coef * b;
                        grad_table[[k + 1, j]] += coef * a;
                    }
                }
                Ok(-sum + beta * var)
            }
        }
    }
}

/// Checks that bin centres are at least 2, finite and strictly increasing.
pub(crate) fn validate_bin_centres(centres: &[f64]) -> Result<(), LossError> {
    if centres.len() < 2 {
        return Err(LossError::InvalidParameter {
            name: "bin_centres",
            reason: format!("need at least 2 bin centres, got {}", centres.len()),
        });
    }
    if let Some(i) = centres.iter().position(|c| !c.is_finite()) {
        return Err(LossError::InvalidParameter {
            name: "bin_centres",
            reason: format!("centre {i} is not finite"),
        });
    }
    if let Some(i) = centres.windows(2).position(|w| w[1] <= w[0]) {
        return Err(LossError::InvalidParameter {
            name: "bin_centres",
            reason: format!(
                "must be strictly increasing, but centre {} ({}) ≥ centre {} ({})",
                i,
                centres[i],
                i + 1,
                centres[i + 1]
            ),
        });
    }
    Ok(())
}
