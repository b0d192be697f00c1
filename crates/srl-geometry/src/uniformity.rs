//! Wang–Isola uniformity of a set of unit vectors (Wang & Isola, ICML 2020).
//!
//! U_t(z) = log mean_{i<j} exp(−t‖z_i − z_j‖²). Lower is more uniform: it is 0 when all
//! points coincide and reaches −4t for an antipodal pair.

use crate::{check, Float, GeometryError};
use ndarray::{ArrayView2, Axis};

/// The usual temperature t = 2 of the uniformity metric.
pub const DEFAULT_UNIFORMITY_T: f64 = 2.0;

/// Rows scored per GEMM block (memory `ROW_CHUNK × n` scalars).
const ROW_CHUNK: usize = 512;

/// Uniformity U_t(z) = log mean_{i<j} exp(−t‖z_i − z_j‖²) over the rows of `z`, which are
/// meant to be unit vectors (they are used as given).
///
/// Squared distances come from blocked GEMMs (‖z_i‖² + ‖z_j‖² − 2⟨z_i, z_j⟩, clamped at 0) and
/// the mean is accumulated with a streaming log-sum-exp, so it neither overflows nor underflows.
/// Errors if `z` has fewer than 2 rows or no columns, holds a non-finite value, or `t` is not
/// finite and > 0.
///
/// ```
/// use ndarray::array;
/// use srl_geometry::{uniformity, DEFAULT_UNIFORMITY_T};
/// let t = DEFAULT_UNIFORMITY_T;
/// let antipodal = array![[1.0_f64, 0.0], [-1.0, 0.0]];
/// assert!((uniformity(antipodal.view(), t).unwrap() + 4.0 * t).abs() < 1e-12);
/// let same = array![[1.0_f64, 0.0], [1.0, 0.0]];
/// assert_eq!(uniformity(same.view(), t).unwrap(), 0.0);
/// ```
pub fn uniformity<F: Float>(z: ArrayView2<F>, t: F) -> Result<F, GeometryError> {
    if !(t.is_finite() && t > F::zero()) {
        return Err(GeometryError::InvalidParameter {
            name: "t",
            reason: format!("must be finite and > 0, got {t:?}"),
        });
    }
    check::matrix("z", z)?;
    let n = z.nrows();
    if n < 2 {
        return Err(GeometryError::InvalidParameter {
            name: "z",
            reason: format!("uniformity needs at least 2 rows, got {n}"),
        });
    }

    let sq_norms: Vec<F> = z.rows().into_iter().map(|r| r.dot(&r)).collect();
    let two = F::cst(2.0);
    let mut lse = crate::StreamingLogSumExp::<F>::default();
    for (block_index, block) in z.axis_chunks_iter(Axis(0), ROW_CHUNK).enumerate() {
        let first = block_index * ROW_CHUNK;
        let gram = block.dot(&z.t());
        for (r, row) in gram.rows().into_iter().enumerate() {
            let i = first + r;
            for j in i + 1..n {
                let sq_dist = (sq_norms[i] + sq_norms[j] - two * row[j]).max(F::zero());
                lse.push(-t * sq_dist);
            }
        }
    }
    let pairs = F::from_count(n) * F::from_count(n - 1) / two;
    Ok(lse.value() - pairs.ln())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    /// Direct evaluation, fine for moderate t.
    fn naive(z: &Array2<f64>, t: f64) -> f64 {
        let n = z.nrows();
        let mut sum = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                let d = &z.row(i) - &z.row(j);
                sum += (-t * d.dot(&d)).exp();
            }
        }
        (sum / (n * (n - 1) / 2) as f64).ln()
    }

    #[test]
    fn matches_naive_formula_across_blocks() {
        let z = crate::uniform_sphere_points::<f64>(ROW_CHUNK + 37, 4, 3).unwrap();
        let got = uniformity(z.view(), 2.0).unwrap();
        assert!((got - naive(&z, 2.0)).abs() < 1e-10, "{got}");
    }

    #[test]
    fn huge_t_stays_finite() {
        // exp(-1e4 * 2) underflows to 0 naively; log-sum-exp keeps the exact answer -2e4.
        let z = array![[1.0_f64, 0.0], [0.0, 1.0]];
        assert!((uniformity(z.view(), 1e4).unwrap() + 2e4).abs() < 1e-8);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let one = array![[1.0_f64, 0.0]];
        assert!(uniformity(one.view(), 2.0).is_err());
        let two = array![[1.0_f64, 0.0], [0.0, 1.0]];
        assert!(uniformity(two.view(), 0.0).is_err());
        assert!(uniformity(two.view(), f64::NAN).is_err());
        let nan = array![[1.0_f64, 0.0], [f64::NAN, 1.0]];
        assert!(matches!(
            uniformity(nan.view(), 2.0),
            Err(GeometryError::NonFinite { index: 2, .. })
        ));
    }
}
