//! The enveloping loss (paper Eq. 1–4, soft form): make the trace of bin centroids envelop
//! as much of the hypersphere as possible.
//!
//! With N points p_j drawn uniformly on S^{d-1} and the completed K×d centroid table C,
//!
//! L_env = 1 − (1/N) Σ_j max_k ⟨p_j, c_k⟩.
//!
//! Its (sub-)gradient gives each point's arg-max row k*(j) the contribution −p_j/N (ties are
//! measure-zero). Zero rows (bins never seen) are excluded from the max; if every row is zero
//! the loss is 1 with zero gradient. The K×N product is the hot spot of SRL: it is computed as
//! GEMMs over blocks of points (B×d · d×K, B·K ≈ 2¹⁸) into a reused buffer, each block's
//! arg-max taken while its scores are still in cache.

use crate::LossError;
use ndarray::{linalg::general_mat_mul, s, Array2, ArrayView2, ArrayViewMut2, Zip};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use srl_geometry::Float;

/// Target size (elements) of one block of the score buffer: 2¹⁸ (1 MiB in f32), so a
/// block's scores are still in L2 when the arg-max reads them.
const SCORE_BLOCK_ELEMENTS: usize = 1 << 18;
/// Smallest block of points (keeps the GEMM efficient at very large K).
const MIN_BLOCK_ROWS: usize = 64;

/// Whether the Monte-Carlo points stay fixed for the whole run or are redrawn every epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PointsPolicy {
    /// Drawn once and kept (the authors' code).
    #[default]
    Fixed,
    /// Redrawn at the start of every epoch (seed + epoch).
    RedrawEachEpoch,
}

/// Soft enveloping loss L_env = 1 − (1/N) Σ_j max_k ⟨p_j, c_k⟩ with its sub-gradient.
///
/// Owns the N×d points, a block score buffer and the arg-max row of every point.
///
/// ```
/// use ndarray::{array, Array2};
/// use srl_losses::enveloping::EnvelopingLoss;
/// let points = array![[1.0_f64, 0.0], [0.0, 1.0]];
/// let mut env = EnvelopingLoss::new(points).unwrap();
/// let table = array![[1.0, 0.0], [0.0, 0.0]]; // second row: never-seen bin
/// let mut grad = Array2::zeros((2, 2));
/// let value = env.forward_backward(table.view(), grad.view_mut(), 1.0).unwrap();
/// // point 0 gets ⟨p, c_0⟩ = 1, point 1 gets 0 (zero rows never win): 1 − (1 + 0)/2
/// assert!((value - 0.5).abs() < 1e-12);
/// assert_eq!(grad, array![[-0.5, -0.5], [0.0, 0.0]]);
/// ```
#[derive(Debug, Clone)]
pub struct EnvelopingLoss<F> {
    /// N×d unit points.
    points: Array2<F>,
    /// B×K scores ⟨p_j, c_k⟩ of one block of B points (reused).
    scores: Array2<F>,
    /// Arg-max row of every point in the last forward (`usize::MAX` if every row was zero).
    nearest: Vec<usize>,
    /// Whether each table row is non-zero, for the last forward.
    valid: Vec<bool>,
}

impl<F: Float> EnvelopingLoss<F> {
    /// Uses the given points (N×d, N ≥ 1, d ≥ 1), normalising every row to unit length.
    ///
    /// Errors: empty array, non-finite entries, or a zero row (`InvalidParameter { name:
    /// "points" }`).
    pub fn new(mut points: Array2<F>) -> Result<Self, LossError> {
        if points.nrows() == 0 || points.ncols() == 0 {
            return Err(LossError::Empty { what: "points" });
        }
        if let Some(index) = points.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "points",
                index,
            });
        }
        for (j, mut row) in points.rows_mut().into_iter().enumerate() {
            let norm = row.dot(&row).sqrt();
            if norm <= F::zero() {
                return Err(LossError::InvalidParameter {
                    name: "points",
                    reason: format!("row {j} is zero and cannot be normalised"),
                });
            }
            row.mapv_inplace(|v| v / norm);
        }
        Ok(Self::from_unit_points(points))
    }

    /// Wraps points whose rows are already unit vectors.
    fn from_unit_points(points: Array2<F>) -> Self {
        let n = points.nrows();
        Self {
            points,
            scores: Array2::zeros((n, 0)),
            nearest: vec![usize::MAX; n],
            valid: Vec::new(),
        }
    }

    /// N points drawn uniformly on S^{dim−1} (normalised Gaussian vectors, ChaCha8 from
    /// `seed`). Errors if `n` or `dim` is 0 (`InvalidParameter` naming `num_points` / `dim`).
    ///
    /// ```
    /// let env = srl_losses::enveloping::EnvelopingLoss::<f32>::with_random_points(100, 8, 7).unwrap();
    /// assert_eq!(env.points().dim(), (100, 8));
    /// ```
    pub fn with_random_points(n: usize, dim: usize, seed: u64) -> Result<Self, LossError> {
        if n == 0 {
            return Err(LossError::InvalidParameter {
                name: "num_points",
                reason: "need at least one point".into(),
            });
        }
        if dim == 0 {
            return Err(LossError::InvalidParameter {
                name: "dim",
                reason: "the representation dimension must be at least 1".into(),
            });
        }
        let mut points = Array2::zeros((n, dim));
        fill_uniform_sphere(&mut points, seed);
        Ok(Self::from_unit_points(points))
    }

    /// The N×d unit points.
    pub fn points(&self) -> ArrayView2<'_, F> {
        self.points.view()
    }

    /// Number of points N.
    pub fn num_points(&self) -> usize {
        self.points.nrows()
    }

    /// Redraws the N points uniformly on the sphere from `seed` (same N and d), in place.
    pub fn redraw(&mut self, seed: u64) {
        fill_uniform_sphere(&mut self.points, seed);
    }

    /// The arg-max (nearest) table row of every point in the last forward pass, or
    /// `usize::MAX` for every point if all rows were zero. Useful for the few-shot share of
    /// the sphere (paper Table 7).
    pub fn nearest_rows(&self) -> &[usize] {
        &self.nearest
    }

    /// Loss value only (still fills the score buffer and [`nearest_rows`](Self::nearest_rows)).
    pub fn forward(&mut self, table: ArrayView2<F>) -> Result<F, LossError> {
        self.check_table(table)?;
        Ok(self.compute(table))
    }

    /// Loss value; ADDS `scale`·∂L/∂C into `grad_table` (K×d): the arg-max row k*(j) of every
    /// point receives −scale·p_j/N.
    ///
    /// Errors: `table` columns ≠ d, `grad_table` not the shape of `table`, non-finite table.
    pub fn forward_backward(
        &mut self,
        table: ArrayView2<F>,
        mut grad_table: ArrayViewMut2<F>,
        scale: F,
    ) -> Result<F, LossError> {
        self.check_table(table)?;
        if grad_table.dim() != table.dim() {
            return Err(shape_error("grad_table", table.dim(), grad_table.dim()));
        }
        let value = self.compute(table);
        let coef = -scale / F::from_count(self.num_points());
        for (p, &k) in self.points.rows().into_iter().zip(&self.nearest) {
            if k == usize::MAX {
                continue;
            }
            Zip::from(grad_table.row_mut(k))
                .and(&p)
                .for_each(|g, &pi| *g += coef * pi);
        }
        Ok(value)
    }

    /// Scores, arg-max and value. Shapes already checked.
    fn compute(&mut self, table: ArrayView2<F>) -> F {
        let (k, n) = (table.nrows(), self.num_points());
        self.valid.clear();
        self.valid.extend(
            table
                .rows()
                .into_iter()
                .map(|r| r.iter().any(|&v| v != F::zero())),
        );
        let num_valid = self.valid.iter().filter(|&&v| v).count();
        if num_valid == 0 {
            self.nearest.iter_mut().for_each(|a| *a = usize::MAX);
            return F::one();
        }
        // Points are processed in blocks so that the block's scores stay in cache between the
        // GEMM and the arg-max (and memory stays O(block·K) instead of O(N·K)).
        let block = (SCORE_BLOCK_ELEMENTS / k).max(MIN_BLOCK_ROWS).min(n);
        if self.scores.dim() != (block, k) {
            self.scores = Array2::zeros((block, k));
        }
        let mut total = F::zero();
        for start in (0..n).step_by(block) {
            let end = (start + block).min(n);
            let mut scores = self.scores.slice_mut(s![..end - start, ..]);
            general_mat_mul(
                F::one(),
                &self.points.slice(s![start..end, ..]),
                &table.t(),
                F::zero(),
                &mut scores,
            );
            if num_valid < k {
                // zero rows never win: their scores become −∞
                for (kk, _) in self.valid.iter().enumerate().filter(|(_, &v)| !v) {
                    scores.column_mut(kk).fill(F::neg_infinity());
                }
            }
            for (row, nearest) in scores.rows().into_iter().zip(&mut self.nearest[start..end]) {
                let (best_k, best) = match row.as_slice() {
                    Some(slice) => argmax(slice),
                    None => argmax(&row.to_vec()), // unreachable: the buffer is row-major
                };
                *nearest = best_k;
                total += best;
            }
        }
        F::one() - total / F::from_count(n)
    }

    fn check_table(&self, table: ArrayView2<F>) -> Result<(), LossError> {
        if table.ncols() != self.points.ncols() {
            return Err(LossError::ShapeMismatch {
                what: "table columns",
                expected: self.points.ncols(),
                got: table.ncols(),
            });
        }
        if table.nrows() == 0 {
            return Err(LossError::Empty { what: "table" });
        }
        if let Some(index) = table.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "table",
                index,
            });
        }
        Ok(())
    }
}

/// Index and value of the first maximum of a non-empty slice.
///
/// Eight independent lanes break the compare-and-select dependency chain (about 3× faster
/// than the sequential loop at K = 1000); ties resolve to the smallest index, as a sequential
/// scan would.
fn argmax<F: Float>(row: &[F]) -> (usize, F) {
    const LANES: usize = 8;
    let mut best = [F::neg_infinity(); LANES];
    let mut index = [usize::MAX; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    let filler = [F::neg_infinity(); LANES]; // never used: chunks_exact yields LANES items
    for (c, chunk) in chunks.enumerate() {
        let chunk: &[F; LANES] = chunk.try_into().unwrap_or(&filler);
        for l in 0..LANES {
            let v = chunk[l];
            let greater = v > best[l];
            best[l] = if greater { v } else { best[l] };
            index[l] = if greater { c * LANES + l } else { index[l] };
        }
    }
    let base = row.len() - tail.len();
    for (l, &v) in tail.iter().enumerate() {
        if v > best[l] {
            best[l] = v;
            index[l] = base + l;
        }
    }
    let mut winner = (usize::MAX, F::neg_infinity());
    for l in 0..LANES {
        if index[l] != usize::MAX
            && (best[l] > winner.1 || (best[l] == winner.1 && index[l] < winner.0))
        {
            winner = (index[l], best[l]);
        }
    }
    winner
}

/// Fills `points` with rows uniform on the unit sphere: Gaussian vectors (ChaCha8 from
/// `seed`), normalised; a (probability-zero) zero vector is redrawn.
pub(crate) fn fill_uniform_sphere<F: Float>(points: &mut Array2<F>, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for mut row in points.rows_mut() {
        loop {
            let mut sq = 0.0_f64;
            for v in row.iter_mut() {
                let x: f64 = StandardNormal.sample(&mut rng);
                sq += x * x;
                *v = F::cst(x);
            }
            if sq > 0.0 {
                let inv = F::cst(1.0 / sq.sqrt());
                row.mapv_inplace(|v| v * inv);
                break;
            }
        }
    }
}

/// A shape error for a 2-D argument that should match `expected`.
pub(crate) fn shape_error(
    what: &'static str,
    expected: (usize, usize),
    got: (usize, usize),
) -> LossError {
    if expected.0 != got.0 {
        LossError::ShapeMismatch {
            what,
            expected: expected.0,
            got: got.0,
        }
    } else {
        LossError::ShapeMismatch {
            what,
            expected: expected.1,
            got: got.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::argmax;

    /// The lane arg-max equals a sequential first-maximum scan, ties included.
    #[test]
    fn lane_argmax_matches_sequential_scan() {
        let mut state = 12345u64;
        for len in 1..40 {
            for _ in 0..20 {
                let row: Vec<f64> = (0..len)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((state >> 33) % 5) as f64 // few distinct values: many ties
                    })
                    .collect();
                let mut expected = (0, row[0]);
                for (i, &v) in row.iter().enumerate() {
                    if v > expected.1 {
                        expected = (i, v);
                    }
                }
                assert_eq!(argmax(&row), expected, "{row:?}");
            }
        }
        assert_eq!(
            argmax(&[f64::NEG_INFINITY, -1.0, f64::NEG_INFINITY]),
            (1, -1.0)
        );
    }
}
