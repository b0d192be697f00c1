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
    out: ArrayViewMut2<F>,
) -> Result<(), GeometryError> {
    if out.ncols() == 0 {
        return Err(GeometryError::Empty {
            what: "sphere dimension",
        });
    }
    fill_sphere_rows(rng, out, SphereNorm::InFloat);
    Ok(())
}

/// Where [`fill_sphere_rows`] computes the norm ‖g‖ = (Σ_i g_i²)^{1/2} of a Gaussian draw g.
///
/// Both give uniform points on the sphere from the same random stream; they differ only in
/// the last bits of each point, and each caller keeps the one its results were produced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SphereNorm {
    /// In the output type `F`: g is rounded to `F` first, ‖g‖ is the row's `dot` in `F` and
    /// each entry is multiplied by 1/‖g‖ (what [`uniform_sphere_points`] does).
    InFloat,
    /// In `f64` from the unrounded draws: Σ_i g_i² summed in order, 1/‖g‖ in `f64` rounded
    /// to `F` once, each entry rounded to `F` and multiplied by it (the enveloping loss's
    /// Monte-Carlo points).
    InF64,
}

/// Overwrites every row of `out` with a uniform point on S^{d−1}, d = `out.ncols()`: a standard
/// Gaussian vector g (d `f64` draws from `rng`) scaled to g/‖g‖, its norm computed as `norm`
/// says. A zero (or non-finite) g, probability zero, is redrawn. With no columns there is
/// nothing to draw and `out` is left as it is.
///
/// ```
/// use rand::SeedableRng;
/// use srl_geometry::{fill_sphere_rows, SphereNorm};
/// let mut a = ndarray::Array2::<f32>::zeros((5, 4));
/// let mut b = a.clone();
/// fill_sphere_rows(&mut rand_chacha::ChaCha8Rng::seed_from_u64(7), a.view_mut(), SphereNorm::InFloat);
/// fill_sphere_rows(&mut rand_chacha::ChaCha8Rng::seed_from_u64(7), b.view_mut(), SphereNorm::InF64);
/// assert!(a.rows().into_iter().all(|r| (r.dot(&r) - 1.0).abs() < 1e-5));
/// assert!((&a - &b).iter().all(|d| d.abs() < 1e-6)); // same draws, rounding apart
/// ```
pub fn fill_sphere_rows<F: Float, R: Rng + ?Sized>(
    rng: &mut R,
    mut out: ArrayViewMut2<F>,
    norm: SphereNorm,
) {
    if out.ncols() == 0 {
        return;
    }
    for mut row in out.rows_mut() {
        loop {
            let inv = match norm {
                SphereNorm::InFloat => {
                    row.mapv_inplace(|_| F::cst(rng.sample::<f64, _>(StandardNormal)));
                    let norm = row.dot(&row).sqrt();
                    (norm > F::zero() && norm.is_finite()).then(|| F::one() / norm)
                }
                SphereNorm::InF64 => {
                    let mut sq = 0.0_f64;
                    for v in row.iter_mut() {
                        let x = rng.sample::<f64, _>(StandardNormal);
                        sq += x * x;
                        *v = F::cst(x);
                    }
                    (sq > 0.0 && sq.is_finite()).then(|| F::cst(1.0 / sq.sqrt()))
                }
            };
            if let Some(inv) = inv {
                row.mapv_inplace(|x| x * inv);
                break;
            }
        }
    }
}
