//! Seeded uniform samples on the unit sphere S^{d-1}.
//!
//! A standard Gaussian vector has a rotation-invariant law, so g/‖g‖ is uniform on the sphere
//! (the Monte-Carlo points of the enveloping loss, paper Eq. 3–4). A zero draw (probability 0,
//! but possible in finite precision) is redrawn.

use crate::{Float, GeometryError};
use ndarray::{Array2, ArrayViewMut2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Draws `n` points uniformly on S^{dim-1}, as the rows of an `n × dim` matrix.
///
/// Deterministic for a given `seed` (ChaCha8); `f32` and `f64` see the same random stream.
/// Errors if `n` or `dim` is 0.
///
/// ```
/// let p = srl_geometry::uniform_sphere_points::<f64>(100, 3, 7).unwrap();
/// assert_eq!(p.dim(), (100, 3));
/// assert!(p.rows().into_iter().all(|r| (r.dot(&r) - 1.0).abs() < 1e-12));
/// assert_eq!(p, srl_geometry::uniform_sphere_points::<f64>(100, 3, 7).unwrap());
/// ```
pub fn uniform_sphere_points<F: Float>(
    n: usize,
    dim: usize,
    seed: u64,
) -> Result<Array2<F>, GeometryError> {
    if n == 0 {
        return Err(GeometryError::Empty {
            what: "number of sphere points",
        });
    }
    let mut out = Array2::zeros((n, dim));
    uniform_sphere_points_into(&mut ChaCha8Rng::seed_from_u64(seed), out.view_mut())?;
    Ok(out)
}

/// Overwrites every row of `out` with a fresh uniform point on S^{d-1}, `d = out.ncols()`,
/// drawn from `rng` (e.g. to redraw the enveloping-loss points each epoch without allocating).
///
/// Errors if `out` has no columns (an empty row cannot be normalised); zero rows are allowed.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
/// let mut buf = ndarray::Array2::<f32>::zeros((5, 4));
/// srl_geometry::uniform_sphere_points_into(&mut rng, buf.view_mut()).unwrap();
/// assert!(buf.rows().into_iter().all(|r| (r.dot(&r) - 1.0).abs() < 1e-5));
/// ```
pub fn uniform_sphere_points_into<F: Float, R: Rng + ?Sized>(
    rng: &mut R,
    mut out: ArrayViewMut2<F>,
) -> Result<(), GeometryError> {
    if out.ncols() == 0 {
        return Err(GeometryError::Empty {
            what: "sphere dimension",
        });
    }
    for mut row in out.rows_mut() {
        loop {
            row.mapv_inplace(|_| F::cst(rng.sample::<f64, _>(StandardNormal)));
            let norm = row.dot(&row).sqrt();
            if norm > F::zero() && norm.is_finite() {
                let inv = F::one() / norm;
                row.mapv_inplace(|x| x * inv);
                break;
            }
        }
    }
    Ok(())
}
