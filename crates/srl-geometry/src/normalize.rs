//! Row normalisation onto the unit sphere and its backward pass.
//!
//! Forward: z_i = h_i / ‖h_i‖. Backward: ∂L/∂h_i = (I − z_i z_iᵀ) g_i / ‖h_i‖ where
//! g_i = ∂L/∂z_i. A zero row (‖h_i‖ = 0, e.g. a bin never seen) maps to a zero row in both
//! directions, so no NaN ever appears.

use crate::{Float, GeometryError};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2, Zip};

/// Normalises each row of `h` to unit length, returning `(z, norms)`.
///
/// Rows with norm 0 stay zero (their norm is reported as 0).
///
/// ```
/// use ndarray::array;
/// let h = array![[3.0_f64, 4.0], [0.0, 0.0]];
/// let (z, norms) = srl_geometry::normalize_rows(h.view());
/// approx::assert_abs_diff_eq!(z, array![[0.6, 0.8], [0.0, 0.0]], epsilon = 1e-15);
/// assert_eq!(norms, array![5.0, 0.0]);
/// ```
pub fn normalize_rows<F: Float>(h: ArrayView2<F>) -> (Array2<F>, Array1<F>) {
    let mut z = Array2::zeros(h.raw_dim());
    let mut norms = Array1::zeros(h.nrows());
    normalize_rows_into(h, z.view_mut(), norms.view_mut());
    (z, norms)
}

/// Allocation-free form of [`normalize_rows`]: writes into `z` and `norms`.
///
/// # Panics
/// If `z` does not have the shape of `h` or `norms` the length `h.nrows()` (a programming
/// error inside the workspace; public entry points validate shapes first).
pub fn normalize_rows_into<F: Float>(
    h: ArrayView2<F>,
    mut z: ArrayViewMut2<F>,
    mut norms: ndarray::ArrayViewMut1<F>,
) {
    assert_eq!(h.dim(), z.dim(), "normalize_rows_into: z shape");
    assert_eq!(h.nrows(), norms.len(), "normalize_rows_into: norms length");
    Zip::from(z.rows_mut())
        .and(h.rows())
        .and(&mut norms)
        .for_each(|mut zr, hr, n| {
            let norm = hr.dot(&hr).sqrt();
            *n = norm;
            if norm > F::zero() {
                let inv = F::one() / norm;
                Zip::from(&mut zr)
                    .and(&hr)
                    .for_each(|zi, &hi| *zi = hi * inv);
            } else {
                zr.fill(F::zero());
            }
        });
}

/// Backward of [`normalize_rows`]: maps `grad_z` = ∂L/∂z to ∂L/∂h = (I − z zᵀ) g / ‖h‖,
/// row by row. Zero rows (norm 0) get a zero gradient.
///
/// Returns a shape error if `z`, `norms` and `grad_z` do not agree.
///
/// ```
/// use ndarray::array;
/// let h = array![[3.0_f64, 4.0]];
/// let (z, n) = srl_geometry::normalize_rows(h.view());
/// // A gradient along z itself is removed entirely (moving along h does not change z).
/// let g = srl_geometry::normalize_rows_backward(z.view(), n.view(), z.view()).unwrap();
/// assert!(g.iter().all(|v| v.abs() < 1e-12));
/// ```
pub fn normalize_rows_backward<F: Float>(
    z: ArrayView2<F>,
    norms: ArrayView1<F>,
    grad_z: ArrayView2<F>,
) -> Result<Array2<F>, GeometryError> {
    if z.dim() != grad_z.dim() {
        return Err(GeometryError::ShapeMismatch {
            what: "grad_z rows",
            expected: z.nrows(),
            got: grad_z.nrows(),
        });
    }
    if norms.len() != z.nrows() {
        return Err(GeometryError::ShapeMismatch {
            what: "norms length",
            expected: z.nrows(),
            got: norms.len(),
        });
    }
    let mut grad_h = Array2::zeros(z.raw_dim());
    normalize_rows_backward_into(z, norms, grad_z, grad_h.view_mut());
    Ok(grad_h)
}

/// Allocation-free form of [`normalize_rows_backward`]; shapes must already agree.
pub fn normalize_rows_backward_into<F: Float>(
    z: ArrayView2<F>,
    norms: ArrayView1<F>,
    grad_z: ArrayView2<F>,
    mut grad_h: ArrayViewMut2<F>,
) {
    Zip::from(grad_h.rows_mut())
        .and(z.rows())
        .and(grad_z.rows())
        .and(&norms)
        .for_each(|mut gh, zr, gz, &n| {
            if n > F::zero() {
                let proj = zr.dot(&gz);
                let inv = F::one() / n;
                Zip::from(&mut gh)
                    .and(&zr)
                    .and(&gz)
                    .for_each(|o, &zi, &gi| *o = (gi - proj * zi) * inv);
            } else {
                gh.fill(F::zero());
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;

    /// L(h) = Σ w ⊙ normalize(h), so ∂L/∂z = w.
    fn loss(h: &Array2<f64>, w: &Array2<f64>) -> f64 {
        (&normalize_rows(h.view()).0 * w).sum()
    }

    #[test]
    fn backward_matches_central_differences() {
        // Awkward rows: tiny norm, huge norm, one-hot, negative, and a zero row.
        let h = array![
            [1e-3, -2e-3, 5e-4],
            [3e4, -1e4, 2e4],
            [0.0, 1.0, 0.0],
            [-0.7, 0.2, -1.3],
            [0.0, 0.0, 0.0]
        ];
        let w = array![
            [0.3, -1.1, 0.8],
            [1.5, 0.2, -0.4],
            [-0.6, 0.9, 1.2],
            [0.1, -0.5, 0.7],
            [2.0, -3.0, 1.0]
        ];
        let (z, n) = normalize_rows(h.view());
        let grad = normalize_rows_backward(z.view(), n.view(), w.view()).unwrap();
        for ((i, j), &g) in grad.indexed_iter() {
            if n[i] == 0.0 {
                assert_eq!(g, 0.0, "zero row must get a zero gradient");
                continue;
            }
            let step = 1e-6 * n[i];
            let (mut plus, mut minus) = (h.clone(), h.clone());
            plus[[i, j]] += step;
            minus[[i, j]] -= step;
            let fd = (loss(&plus, &w) - loss(&minus, &w)) / (2.0 * step);
            assert_relative_eq!(g, fd, max_relative = 1e-6, epsilon = 1e-9 / n[i]);
        }
    }

    #[test]
    fn forward_gives_unit_rows_and_keeps_zero_rows() {
        let h = array![[1e-150_f64, 0.0], [0.0, 0.0], [-2.0, 2.0]];
        let (z, n) = normalize_rows(h.view());
        assert_relative_eq!(z.row(0).dot(&z.row(0)), 1.0, max_relative = 1e-12);
        assert_eq!(z.row(1), array![0.0, 0.0]);
        assert_eq!(n[1], 0.0);
        assert_relative_eq!(z.row(2).dot(&z.row(2)), 1.0, max_relative = 1e-12);
    }

    #[test]
    fn backward_rejects_shape_mismatch() {
        let z = Array2::<f64>::zeros((2, 3));
        let n = Array1::<f64>::zeros(2);
        let bad_grad = Array2::<f64>::zeros((2, 2));
        assert!(normalize_rows_backward(z.view(), n.view(), bad_grad.view()).is_err());
        let bad_norms = Array1::<f64>::zeros(3);
        assert!(normalize_rows_backward(z.view(), bad_norms.view(), z.view()).is_err());
    }
}
