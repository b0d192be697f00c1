//! RankSim (Gong, Mori, Tung, "RankSim: Ranking Similarity Regularization for Deep Imbalanced
//! Regression", ICML 2022; reference `BorealisAI/ranksim-imbalanced-regression`, `ranksim.py`
//! and `ranking.py`).
//!
//! For a batch of M features x_i (one per unique label, see [`unique_label_subsample`]) with
//! labels y_i: S = x̂ x̂ᵀ (cosine similarities, x̂ = x/‖x‖) and, for every anchor i,
//!
//! ```text
//! r_y = rank_n(−|y_i − y|),   r_z = rank_n(S_i),   loss = Σ_i mean_j (r_z,ij − r_y,ij)²
//! ```
//!
//! with rank_n(v)_j = (position of v_j in descending order + 1)/M. As in the reference the
//! loss is **summed** over anchors (not averaged) and the diagonal S_ii = 1 takes part.
//!
//! **Backward** (blackbox differentiation of combinatorial solvers, Vlastelica et al., ICLR
//! 2020, the reference `TrueRanker`): for upstream gradient g = ∂loss/∂r_z of anchor i,
//! S' = S_i + λ·g and ∂loss/∂S_i ≈ −(rank_n(S_i) − rank_n(S'))/(λ + 1e-8). The row gradients
//! form G (M × M) and reach both factors of S: ∂/∂x̂ = (G + Gᵀ) x̂, then back through the row
//! normalisation. The loss is piecewise constant, so this is a surrogate gradient, not the
//! derivative (finite differences cannot check it).
//!
//! **Ties** are broken deterministically, replicating `argsort(argsort(v).flip(1))` with a
//! *stable* ascending argsort: among equal values the one with the larger index ranks first
//! (gets the smaller rank). torch's default argsort is unstable, so the reference is
//! non-deterministic on ties (which occur in r_y: equal label distances above and below).

use crate::regression::check_finite;
use crate::LossError;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use rand::Rng;
use srl_geometry::{normalize_rows, normalize_rows_backward_into, Float};

/// Offset added to λ in the blackbox backward, as in the reference.
const LAMBDA_EPS: f64 = 1e-8;

/// Writes rank_n(seq) into `out`: (descending position + 1)/len, ties as documented in the
/// module (larger index first).
///
/// ```
/// use srl_losses::baselines::ranksim::rank_normalised;
/// let mut r = [0.0; 4];
/// rank_normalised(&[0.2_f64, 0.9, 0.5, 0.5], &mut r);
/// assert_eq!(r, [1.0, 0.25, 0.75, 0.5]);
/// ```
///
/// # Panics
/// If `out.len() != seq.len()` (internal helper used with matching buffers).
pub fn rank_normalised<F: Float>(seq: &[F], out: &mut [F]) {
    assert_eq!(seq.len(), out.len(), "rank_normalised: buffer length");
    let n = seq.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Stable ascending sort by value (NaN-free input is checked by the callers).
    order.sort_by(|&a, &b| {
        seq[a]
            .partial_cmp(&seq[b])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let len = F::from_count(n);
    for (pos, &idx) in order.iter().rev().enumerate() {
        out[idx] = F::from_count(pos + 1) / len;
    }
}

/// Blackbox-differentiation backward of [`rank_normalised`]: given the sequence, its ranks and
/// the upstream gradient, writes −(rank_n(seq) − rank_n(seq + λ·grad))/(λ + 1e-8) into
/// `grad_seq`.
///
/// ```
/// use srl_losses::baselines::ranksim::{rank_normalised, true_ranker_backward};
/// let seq = [0.1_f64, 0.3];
/// let mut r = [0.0; 2];
/// rank_normalised(&seq, &mut r); // [1.0, 0.5]
/// let mut g = [0.0; 2];
/// // Upstream wants rank of entry 0 lower: push its similarity up past entry 1.
/// // (a positive ∂loss/∂rank means a larger rank value costs).
/// true_ranker_backward(&seq, &r, &[1.0, -1.0], 1.0, &mut g);
/// assert!((g[0] + 0.5).abs() < 1e-7 && (g[1] - 0.5).abs() < 1e-7);
/// ```
///
/// # Panics
/// If the slices do not all have the same length.
pub fn true_ranker_backward<F: Float>(
    seq: &[F],
    ranks: &[F],
    grad_ranks: &[F],
    lambda: F,
    grad_seq: &mut [F],
) {
    assert!(seq.len() == ranks.len() && seq.len() == grad_ranks.len());
    let perturbed: Vec<F> = seq
        .iter()
        .zip(grad_ranks)
        .map(|(&s, &g)| s + lambda * g)
        .collect();
    rank_normalised(&perturbed, grad_seq);
    let denom = lambda + F::cst(LAMBDA_EPS);
    for (g, &r) in grad_seq.iter_mut().zip(ranks) {
        *g = -(r - *g) / denom;
    }
}

/// Keeps one random sample per unique label (exact equality), as the reference does when
/// labels repeat (`random.choice` per `torch.unique` value). Returns indices in ascending
/// label order; when all labels are distinct this is all indices sorted by label (the loss is
/// invariant to the order up to tie-breaking). Errors on non-finite labels.
///
/// ```
/// use ndarray::array;
/// use rand::SeedableRng;
/// use srl_losses::baselines::ranksim::unique_label_subsample;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let idx = unique_label_subsample(array![3.0_f64, 1.0, 3.0].view(), &mut rng).unwrap();
/// assert_eq!(idx.len(), 2);
/// assert_eq!(idx[0], 1);
/// ```
pub fn unique_label_subsample<F: Float, R: Rng + ?Sized>(
    labels: ArrayView1<F>,
    rng: &mut R,
) -> Result<Vec<usize>, LossError> {
    check_finite("labels", labels)?;
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| {
        labels[a]
            .partial_cmp(&labels[b])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && labels[order[end]] == labels[order[start]] {
            end += 1;
        }
        out.push(order[rng.gen_range(start..end)]);
        start = end;
    }
    Ok(out)
}

/// RankSim regulariser with interpolation strength λ.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::ranksim::RankSim;
/// let rs = RankSim::new(2.0).unwrap();
/// // Features whose angle grows with the label: similarity order = label order, loss 0.
/// let h = array![[1.0_f64, 0.0], [0.9, 0.3], [0.5, 0.8]];
/// let mut g = h.clone();
/// let v = rs.forward_backward(h.view(), array![0.0, 1.0, 3.0].view(), g.view_mut()).unwrap();
/// assert_eq!(v, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankSim {
    lambda: f64,
}

impl RankSim {
    /// Validates λ finite and > 0 (reference default 2).
    pub fn new(lambda: f64) -> Result<Self, LossError> {
        if !(lambda.is_finite() && lambda > 0.0) {
            return Err(LossError::InvalidParameter {
                name: "lambda",
                reason: format!("interpolation λ must be finite and > 0, got {lambda}"),
            });
        }
        Ok(RankSim { lambda })
    }

    /// Interpolation strength λ.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// Loss on the batch as given (subsample first with [`unique_label_subsample`] to match
    /// the reference) and its blackbox gradient w.r.t. the raw features, **written** into
    /// `grad_features`.
    pub fn forward_backward<F: Float>(
        &self,
        features: ArrayView2<F>,
        labels: ArrayView1<F>,
        mut grad_features: ArrayViewMut2<F>,
    ) -> Result<F, LossError> {
        let m = super::check_feature_batch(
            features,
            labels,
            grad_features.dim(),
            "grad_features rows",
        )?;

        let (z, norms) = normalize_rows(features);
        let sim = z.dot(&z.t());
        let lambda = F::cst(self.lambda);
        let inv_m = F::one() / F::from_count(m);
        let mut grad_sim = Array2::<F>::zeros((m, m));
        let mut neg_dist = vec![F::zero(); m];
        let (mut r_y, mut r_z) = (vec![F::zero(); m], vec![F::zero(); m]);
        let (mut g_r, mut grad_row) = (vec![F::zero(); m], vec![F::zero(); m]);
        let mut loss = F::zero();
        for i in 0..m {
            for (d, &y) in neg_dist.iter_mut().zip(labels.iter()) {
                *d = -(labels[i] - y).abs();
            }
            rank_normalised(&neg_dist, &mut r_y);
            let row: Vec<F> = sim.row(i).to_vec();
            rank_normalised(&row, &mut r_z);
            for j in 0..m {
                let diff = r_z[j] - r_y[j];
                loss += diff * diff * inv_m;
                g_r[j] = F::cst(2.0) * diff * inv_m;
            }
            true_ranker_backward(&row, &r_z, &g_r, lambda, &mut grad_row);
            grad_sim
                .row_mut(i)
                .iter_mut()
                .zip(&grad_row)
                .for_each(|(o, &g)| *o = g);
        }
        let sym = &grad_sim + &grad_sim.t();
        let grad_z = sym.dot(&z);
        normalize_rows_backward_into(
            z.view(),
            norms.view(),
            grad_z.view(),
            grad_features.view_mut(),
        );
        Ok(loss)
    }
}
