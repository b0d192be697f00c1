//! Dist Loss (Nie, Tang, Hong, "Dist Loss: Enhancing Regression in Few-Shot Region through
//! Distribution Distance Constraint", ICLR 2025, arXiv 2411.15216): besides the per-sample
//! regression loss, the batch's predictions *as a distribution* are pulled towards the training
//! label distribution.
//!
//! For a batch of B predictions ŷ:
//!
//! 1. **Pseudo-labels** t_1 ≤ … ≤ t_B: the training label distribution, smoothed by a Gaussian
//!    kernel density estimate (bandwidth h = factor × sample std of the training labels,
//!    reference factor 0.5) on a grid of 512 points over [min y, max y], read at the B
//!    mid-quantiles p_i = (i − ½)/B, each snapped to the grid ([`PseudoLabels`]).
//! 2. **Soft sort** of the predictions, ascending (Blondel et al., ICML 2020, ℓ2
//!    regularisation of strength ε, reference 0.1): with s the predictions sorted descending
//!    after negation, w_j = (B − j)/ε and v the non-increasing isotonic regression of
//!    w − s, the sorted vector is v − w ([`SoftSort`]). ε → 0 gives the hard sort, large ε the
//!    mean.
//! 3. **Distance** D = (1/B) Σ_i ℓ(sort_ε(ŷ)_i − t_i), ℓ = |·| (L1) or (·)² (MSE); the method
//!    adds λ·D to the regression loss.
//!
//! Backward: the soft sort's Jacobian is block-diagonal in sorted order — within a block of
//! the isotonic solution every output is the block mean — so ∂D/∂ŷ_{π(k)} is the mean of
//! ∂D/∂sort_i over the block holding k (π: the sorting permutation).
//!
//! Differences from the reference code: the pseudo-labels are the mid-quantiles of the
//! smoothed distribution (on its grid); the reference rounds B·density per grid label and spreads the
//! rounding residual around the mode (its batches have a fixed size; ours may not, since the
//! last mini-batch can be smaller and full-batch runs use every row). The per-sample weights
//! the reference can apply to the distance term are not applied.

use crate::LossError;
use ndarray::{ArrayView1, ArrayViewMut1};
use serde::{Deserialize, Serialize};
use srl_geometry::Float;

/// ℓ, the per-position distance between sorted predictions and pseudo-labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distance {
    /// |d| (the reference's default with an L1 regression loss).
    L1,
    /// d².
    Mse,
}

/// The Dist Loss term D with a checked soft-sort strength ε.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::dist::{DistLoss, DistWorkspace, Distance};
/// let loss = DistLoss::new(Distance::Mse, 1e-3).unwrap();
/// let mut ws = DistWorkspace::default();
/// let pred = array![2.0_f64, 0.0, 1.0];
/// let mut grad = array![0.0, 0.0, 0.0];
/// // Predictions already spread like the pseudo-labels: (almost) no distance.
/// let d = loss.forward_backward(pred.view(), &[0.0, 1.0, 2.0], &mut ws, grad.view_mut()).unwrap();
/// assert!(d < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistLoss {
    distance: Distance,
    regularization: f64,
}

impl DistLoss {
    /// Checks ε finite and > 0 (field `regularization`).
    pub fn new(distance: Distance, regularization: f64) -> Result<Self, LossError> {
        crate::error::positive("regularization", regularization)?;
        Ok(DistLoss {
            distance,
            regularization,
        })
    }

    /// The same term with ε multiplied by `factor` (e.g. ε given in label bins, trained on a
    /// standardised target: factor = bin width / target std). Only `factor` is checked.
    pub fn with_regularization_scaled(&self, factor: f64) -> Result<Self, LossError> {
        crate::error::positive("regularization", factor)?;
        let regularization = self.regularization * factor;
        // The product of two positive numbers can still underflow to 0.
        crate::error::positive("regularization", regularization)?;
        Ok(DistLoss {
            regularization,
            ..*self
        })
    }

    /// ε of the soft sort.
    pub fn regularization(&self) -> f64 {
        self.regularization
    }

    /// D of predictions `pred` (B) against ascending pseudo-labels `pseudo` (B); **writes**
    /// ∂D/∂ŷ into `grad`. `ws` keeps the buffers between calls (no allocation once they have
    /// grown to the batch size).
    pub fn forward_backward<F: Float>(
        &self,
        pred: ArrayView1<F>,
        pseudo: &[f64],
        ws: &mut DistWorkspace,
        mut grad: ArrayViewMut1<F>,
    ) -> Result<f64, LossError> {
        let b = pred.len();
        if b == 0 {
            return Err(LossError::Empty {
                what: "predictions",
            });
        }
        for (what, len) in [("pseudo-labels", pseudo.len()), ("gradient", grad.len())] {
            if len != b {
                return Err(LossError::ShapeMismatch {
                    what,
                    expected: b,
                    got: len,
                });
            }
        }
        ws.x.clear();
        ws.x.extend(pred.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)));
        if let Some(index) = ws.x.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "predictions",
                index,
            });
        }
        ws.sorted.resize(b, 0.0);
        ws.soft.forward(&ws.x, self.regularization, &mut ws.sorted);
        ws.g.resize(b, 0.0);
        let mut value = 0.0;
        for ((g, &o), &t) in ws.g.iter_mut().zip(&ws.sorted).zip(pseudo) {
            let d = o - t;
            let (v, dv) = match self.distance {
                Distance::L1 => (d.abs(), sign(d)),
                Distance::Mse => (d * d, 2.0 * d),
            };
            value += v;
            *g = dv / b as f64;
        }
        ws.gx.resize(b, 0.0);
        ws.soft.backward(&ws.g, &mut ws.gx);
        for (dst, &v) in grad.iter_mut().zip(&ws.gx) {
            *dst = F::cst(v);
        }
        Ok(value / b as f64)
    }
}

/// The buffers of [`DistLoss::forward_backward`].
#[derive(Debug, Clone, Default)]
pub struct DistWorkspace {
    soft: SoftSort,
    x: Vec<f64>,
    sorted: Vec<f64>,
    g: Vec<f64>,
    gx: Vec<f64>,
}

/// Ascending soft sort with ℓ2 regularisation (Blondel et al. 2020), and its backward.
///
/// ```
/// use srl_losses::baselines::dist::SoftSort;
/// let mut s = SoftSort::default();
/// let mut out = [0.0; 3];
/// s.forward(&[3.0, 1.0, 2.0], 1e-3, &mut out); // small ε: the hard sort
/// assert_eq!(out.map(|v| (v * 1e6).round() / 1e6), [1.0, 2.0, 3.0]);
/// s.forward(&[3.0, 1.0, 2.0], 1e3, &mut out); // large ε: every value near the mean
/// assert!(out.iter().all(|v| (v - 2.0).abs() < 1e-2));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SoftSort {
    /// perm[j]: the input index at sorted position j (ascending, ties by index).
    perm: Vec<usize>,
    /// Blocks of the isotonic solution over sorted positions: (start, length, sum).
    blocks: Vec<(usize, usize, f64)>,
}

impl SoftSort {
    /// Writes sort_ε(x) (ascending) into `out` (same length as `x`) and keeps the sorting
    /// permutation and the isotonic blocks for [`backward`](Self::backward).
    pub fn forward(&mut self, x: &[f64], eps: f64, out: &mut [f64]) {
        let n = x.len();
        self.perm.clear();
        self.perm.extend(0..n);
        // A total order (ties by index), so the unstable sort gives the stable order without
        // the stable sort's buffer allocation on large batches.
        self.perm
            .sort_unstable_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
        // y_j = w_j − s_j with s = −x sorted descending (= −x ascending), w_j = (n − j)/ε.
        let w = |j: usize| (n - j) as f64 / eps;
        // Pool adjacent violators: the non-increasing fit of y.
        self.blocks.clear();
        for j in 0..n {
            let y = w(j) + x[self.perm[j]];
            self.blocks.push((j, 1, y));
            while self.blocks.len() >= 2 {
                let (_, l2, s2) = self.blocks[self.blocks.len() - 1];
                let (_, l1, s1) = self.blocks[self.blocks.len() - 2];
                if s1 / l1 as f64 >= s2 / l2 as f64 {
                    break;
                }
                self.blocks.pop();
                let last = self.blocks.len() - 1;
                self.blocks[last].1 += l2;
                self.blocks[last].2 += s2;
            }
        }
        // sort_ε(x)_j = v_j − w_j.
        for &(start, len, sum) in &self.blocks {
            let mean = sum / len as f64;
            for (j, o) in out.iter_mut().enumerate().skip(start).take(len) {
                *o = mean - w(j);
            }
        }
    }

    /// Whether `other` sorted in the same order into the same isotonic blocks (then both lie
    /// on the same smooth piece of sort_ε).
    pub fn same_structure(&self, other: &SoftSort) -> bool {
        self.perm == other.perm
            && self.blocks.len() == other.blocks.len()
            && self
                .blocks
                .iter()
                .zip(&other.blocks)
                .all(|(a, b)| (a.0, a.1) == (b.0, b.1))
    }

    /// From g = ∂L/∂sort_ε(x) to ∂L/∂x: the block mean of g, at the input index of each sorted
    /// position.
    pub fn backward(&self, g: &[f64], grad_x: &mut [f64]) {
        for &(start, len, _) in &self.blocks {
            let mean = g[start..start + len].iter().sum::<f64>() / len as f64;
            for j in start..start + len {
                grad_x[self.perm[j]] = mean;
            }
        }
    }
}

/// The pseudo-labels of Dist Loss: a Gaussian KDE of the training labels on a grid, read at
/// mid-quantiles.
///
/// ```
/// use srl_losses::baselines::dist::PseudoLabels;
/// let labels: Vec<f64> = (0..100).map(|i| i as f64).collect();
/// let p = PseudoLabels::fit(&labels, 0.5, 256).unwrap();
/// let mut t = [0.0; 4];
/// p.fill(&mut t);
/// assert!(t.windows(2).all(|w| w[0] <= w[1]) && t[0] > 0.0 && t[3] < 99.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PseudoLabels {
    grid: Vec<f64>,
    cdf: Vec<f64>,
}

impl PseudoLabels {
    /// The smoothed distribution of `labels` (finite, at least one) with bandwidth
    /// `bandwidth` × their sample std on `grid_size` (≥ 2) points over [min, max]. Checks the
    /// bandwidth factor (finite, > 0), the labels and the grid size.
    pub fn fit(labels: &[f64], bandwidth: f64, grid_size: usize) -> Result<Self, LossError> {
        crate::error::positive("bandwidth", bandwidth)?;
        if labels.is_empty() {
            return Err(LossError::Empty { what: "labels" });
        }
        if let Some(index) = labels.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "labels",
                index,
            });
        }
        if grid_size < 2 {
            return Err(LossError::InvalidParameter {
                name: "grid_size",
                reason: format!("need at least 2 points, got {grid_size}"),
            });
        }
        let lo = labels.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = labels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let n = labels.len() as f64;
        let mean = labels.iter().sum::<f64>() / n;
        let var = labels.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let h = bandwidth * var.sqrt();
        if hi <= lo || h <= 0.0 {
            // One distinct label: every pseudo-label is it.
            return Ok(PseudoLabels {
                grid: vec![lo],
                cdf: vec![1.0],
            });
        }
        let step = (hi - lo) / (grid_size - 1) as f64;
        let grid: Vec<f64> = (0..grid_size).map(|k| lo + step * k as f64).collect();
        let mut cdf: Vec<f64> = grid
            .iter()
            .map(|g| {
                labels
                    .iter()
                    .map(|y| (-0.5 * ((g - y) / h).powi(2)).exp())
                    .sum::<f64>()
            })
            .collect();
        let mut acc = 0.0;
        for c in cdf.iter_mut() {
            acc += *c;
            *c = acc;
        }
        for c in cdf.iter_mut() {
            *c /= acc;
        }
        Ok(PseudoLabels { grid, cdf })
    }

    /// Writes the `out.len()` ascending pseudo-labels: t_i = the first grid point whose
    /// cumulative mass reaches (i + ½)/B.
    pub fn fill(&self, out: &mut [f64]) {
        let b = out.len() as f64;
        let mut k = 0;
        for (i, t) in out.iter_mut().enumerate() {
            let p = (i as f64 + 0.5) / b;
            while k + 1 < self.cdf.len() && self.cdf[k] < p {
                k += 1;
            }
            *t = self.grid[k];
        }
    }
}

/// sign(d), 0 at 0 (torch's subgradient of |d|).
fn sign(d: f64) -> f64 {
    if d > 0.0 {
        1.0
    } else if d < 0.0 {
        -1.0
    } else {
        0.0
    }
}
