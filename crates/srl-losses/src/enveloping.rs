//! The enveloping loss (paper Eq. 1–4, soft form): make the trace of bin centroids envelop
//! as much of the hypersphere as possible.
//!
//! With N points p_j drawn uniformly on S^{d-1} and the completed K×d centroid table C,
//!
//! L_env = 1 − (1/N) Σ_j max_k ⟨p_j, c_k⟩.
//!
//! Its (sub-)gradient gives each point's arg-max row k*(j) the contribution −p_j/N (ties are
//! measure-zero). Zero rows (bins never seen) are excluded from the max; if every row is zero
//! the loss is 1 with zero gradient. The K×N scores are the hot spot of SRL: they are computed
//! by the fused kernel [`srl_geometry::argmax::nearest_rows`], which keeps each point's scores
//! in registers and its running maximum with them (no K×N matrix, no packing), bit-identical
//! to a GEMM followed by a scan.

use crate::LossError;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Zip};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use srl_geometry::{argmax::PackedPoints, fill_sphere_rows, Float, SphereNorm};

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
/// Owns the N×d points (also packed for the fused kernel), and the maximum and arg-max row of
/// every point.
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
    /// The same points packed for the fused kernel.
    packed: PackedPoints<F>,
    /// Per point: the largest score of the last forward.
    best: Vec<F>,
    /// See `best` (`u32::MAX` if no row was valid).
    best_row: Vec<u32>,
    /// Arg-max row of every point in the last forward (`usize::MAX` if every row was zero).
    nearest: Vec<usize>,
    /// The non-zero table rows of the last forward, ascending.
    valid: Vec<u32>,
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
            packed: PackedPoints::new(points.view()),
            points,
            best: vec![F::neg_infinity(); n],
            best_row: vec![u32::MAX; n],
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
        Ok(Self::with_checked_points(n, dim, seed))
    }

    /// [`with_random_points`](Self::with_random_points) for n ≥ 1 and dim ≥ 1 already checked
    /// (by [`SrlConfig::check`](crate::SrlConfig::check)).
    pub(crate) fn with_checked_points(n: usize, dim: usize, seed: u64) -> Self {
        let mut points = Array2::zeros((n, dim));
        fill_uniform_sphere(&mut points, seed);
        Self::from_unit_points(points)
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
        self.packed.repack(self.points.view());
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
    ///
    /// The non-zero rows, in ascending order, go to the fused kernel
    /// [`nearest_rows`](srl_geometry::argmax::nearest_rows) (first maximum wins, as a
    /// sequential scan would); the value sums the maxima in point order.
    fn compute(&mut self, table: ArrayView2<F>) -> F {
        let n = self.num_points();
        self.valid.clear();
        self.valid.extend(
            table
                .rows()
                .into_iter()
                .enumerate()
                .filter(|(_, r)| r.iter().any(|&v| v != F::zero()))
                .map(|(k, _)| k as u32),
        );
        if self.valid.is_empty() {
            self.nearest.iter_mut().for_each(|a| *a = usize::MAX);
            return F::one();
        }
        srl_geometry::argmax::nearest_rows(
            table,
            &self.valid,
            &self.packed,
            &mut self.best,
            &mut self.best_row,
        );
        let mut total = F::zero();
        for ((nearest, &bi), &bv) in self.nearest.iter_mut().zip(&self.best_row).zip(&self.best) {
            *nearest = bi as usize;
            total += bv;
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

/// Fills `points` with rows uniform on the unit sphere: Gaussian vectors (ChaCha8 from
/// `seed`), normalised with their norm taken in `f64` ([`SphereNorm::InF64`]); a
/// (probability-zero) zero vector is redrawn.
pub(crate) fn fill_uniform_sphere<F: Float>(points: &mut Array2<F>, seed: u64) {
    fill_sphere_rows(
        &mut ChaCha8Rng::seed_from_u64(seed),
        points.view_mut(),
        SphereNorm::InF64,
    );
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
    use super::*;

    /// The reference: every score of the N×K product at once, then a sequential
    /// first-maximum scan over the non-zero rows of each point.
    fn reference<F: Float>(points: ArrayView2<F>, table: ArrayView2<F>) -> (F, Vec<usize>) {
        let scores = points.dot(&table.t());
        let valid: Vec<bool> = table
            .rows()
            .into_iter()
            .map(|r| r.iter().any(|&v| v != F::zero()))
            .collect();
        let mut total = F::zero();
        let mut nearest = Vec::new();
        for row in scores.rows() {
            let mut best = (usize::MAX, F::neg_infinity());
            for (k, &v) in row.iter().enumerate() {
                if valid[k] && v > best.1 {
                    best = (k, v);
                }
            }
            if best.0 == usize::MAX {
                return (F::one(), vec![usize::MAX; scores.nrows()]);
            }
            nearest.push(best.0);
            total += best.1;
        }
        (F::one() - total / F::from_count(scores.nrows()), nearest)
    }

    fn check<F: Float>(n: usize, k: usize, d: usize, seed: u64) {
        let mut env = EnvelopingLoss::<F>::with_random_points(n, d, seed).unwrap();
        let mut table = Array2::<F>::zeros((k, d));
        fill_uniform_sphere(&mut table, seed ^ 0xABCD);
        for kk in 0..k {
            match kk % 5 {
                1 => table.row_mut(kk).fill(F::zero()), // a never-seen bin
                3 if kk > 0 => {
                    // an exact duplicate of the previous row: ties go to the first
                    let prev = table.row(kk - 1).to_owned();
                    table.row_mut(kk).assign(&prev);
                }
                _ => {}
            }
        }
        let value = env.forward(table.view()).unwrap();
        let (expected, nearest) = reference(env.points(), table.view());
        assert_eq!(env.nearest_rows(), &nearest[..], "n {n} k {k} d {d}");
        assert_eq!(value, expected, "n {n} k {k} d {d}");
    }

    /// The fused arg-max gives the same rows and the same value, bit for bit, as the full
    /// product with a sequential scan: zero rows, exact ties, one row, one point, a tail of
    /// points, large K.
    #[test]
    fn fused_argmax_equals_the_full_product_scan() {
        for (n, k, d) in [
            (1, 1, 3),
            (7, 1, 2),
            (7, 3, 5),
            (1000, 38, 10),
            (513, 100, 16),
            (3000, 1500, 8),
        ] {
            check::<f64>(n, k, d, 17);
            check::<f32>(n, k, d, 29);
        }
    }
}
