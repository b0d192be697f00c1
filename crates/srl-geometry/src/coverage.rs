//! Tube coverage and nearest-centroid statistics of a centroid table (paper Eq. 3–4, Table 7).
//!
//! The trace of the K bin centroids c_1..c_K defines a tube
//! T(ε) = {p ∈ S^{d-1} : max_k ⟨p, c_k⟩ > ε}; its share of the sphere is estimated by the share
//! of Monte-Carlo points p_j (e.g. from [`crate::uniform_sphere_points`]) that fall inside it.
//!
//! Conventions shared by every function here:
//! - rows of `centroids` are normalised first (so ⟨p, ĉ_k⟩ is the cosine for unit points);
//! - zero rows (bins never seen) are ignored; with no non-zero row, no point is covered and no
//!   point has a nearest centroid;
//! - scores ⟨p_j, ĉ_k⟩ and their maximum come from the fused kernel
//!   [`crate::argmax::nearest_rows`] (bit-identical to a GEMM and a scan, no score matrix);
//! - ties go to the lowest bin index.

use crate::argmax::PackedPoints;
use crate::{check, normalize_rows, Float, GeometryError};
use ndarray::ArrayView2;

/// Share of `points` covered by the tube of width `eps` around the centroid trace (Eq. 3–4):
/// |{j : max_k ⟨p_j, ĉ_k⟩ > ε}| / N, with ĉ_k the normalised non-zero rows of `centroids`.
///
/// Returns 0 when every centroid row is zero. Errors on empty inputs, a dimension mismatch,
/// non-finite values or a non-finite `eps`.
///
/// ```
/// use ndarray::array;
/// let c = array![[1.0_f64, 0.0], [0.0, 0.0]]; // second bin never seen
/// let p = array![[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.6, -0.8]];
/// let cov = srl_geometry::coverage(c.view(), p.view(), 0.5).unwrap();
/// assert_eq!(cov, 0.5); // [1, 0] and [0.6, -0.8]
/// ```
pub fn coverage<F: Float>(
    centroids: ArrayView2<F>,
    points: ArrayView2<F>,
    eps: F,
) -> Result<F, GeometryError> {
    check::finite_param("eps", eps)?;
    let mut covered = 0usize;
    for_each_nearest(centroids, points, |_, best| {
        if best.is_some_and(|(_, score)| score > eps) {
            covered += 1;
        }
    })?;
    Ok(F::from_count(covered) / F::from_count(points.nrows()))
}

/// For each point, the index of the centroid row with the largest cosine, ignoring zero rows
/// (`None` when every row is zero).
///
/// ```
/// use ndarray::array;
/// let c = array![[0.0_f32, 0.0], [1.0, 0.0], [0.0, 2.0]];
/// let p = array![[0.8_f32, 0.6], [0.6, 0.8]];
/// let nearest = srl_geometry::nearest_centroids(c.view(), p.view()).unwrap();
/// assert_eq!(nearest, vec![Some(1), Some(2)]);
/// ```
pub fn nearest_centroids<F: Float>(
    centroids: ArrayView2<F>,
    points: ArrayView2<F>,
) -> Result<Vec<Option<usize>>, GeometryError> {
    let mut nearest = vec![None; points.nrows()];
    for_each_nearest(centroids, points, |j, best| {
        nearest[j] = best.map(|(k, _)| k);
    })?;
    Ok(nearest)
}

/// Share of `points` whose nearest centroid (see [`nearest_centroids`]) is one of `few_bins`
/// (paper Table 7: how much of the sphere the few-shot bins claim).
///
/// Errors if a bin index is `≥ K`; duplicates are harmless.
///
/// ```
/// use ndarray::array;
/// let c = array![[1.0_f64, 0.0], [-1.0, 0.0]];
/// let p = array![[0.9, 0.1], [-0.9, 0.1], [-0.5, -0.5], [0.1, 0.9]];
/// let share = srl_geometry::few_shot_share(c.view(), p.view(), &[1]).unwrap();
/// assert_eq!(share, 0.5);
/// ```
pub fn few_shot_share<F: Float>(
    centroids: ArrayView2<F>,
    points: ArrayView2<F>,
    few_bins: &[usize],
) -> Result<F, GeometryError> {
    let mut is_few = vec![false; centroids.nrows()];
    for &bin in few_bins {
        match is_few.get_mut(bin) {
            Some(flag) => *flag = true,
            None => {
                return Err(GeometryError::InvalidParameter {
                    name: "few_bins",
                    reason: format!("bin {bin} is out of range for {} bins", centroids.nrows()),
                })
            }
        }
    }
    let mut hits = 0usize;
    for_each_nearest(centroids, points, |_, best| {
        if best.is_some_and(|(k, _)| is_few[k]) {
            hits += 1;
        }
    })?;
    Ok(F::from_count(hits) / F::from_count(points.nrows()))
}

/// Each point's nearest non-zero centroid row and its cosine, `Some((k, ⟨p_j, ĉ_k⟩))`, or
/// `None` for every point when all rows are zero — with the points already packed, so a caller
/// that scores many tables against the same points (the trainer's geometry log, every epoch)
/// packs them once. The statistics above are counts over this list.
///
/// Errors on an empty or non-finite table, no points, or a dimension mismatch (the packed
/// points' values are not re-checked: check them before packing).
///
/// ```
/// use ndarray::array;
/// use srl_geometry::argmax::PackedPoints;
/// let c = array![[0.0_f64, 0.0], [2.0, 0.0]]; // bin 0 never seen
/// let p = PackedPoints::new(array![[1.0, 0.0], [0.6, 0.8]].view());
/// let nearest = srl_geometry::coverage::nearest_scores(c.view(), &p).unwrap();
/// assert_eq!(nearest, vec![Some((1, 1.0)), Some((1, 0.6))]);
/// ```
pub fn nearest_scores<F: Float>(
    centroids: ArrayView2<F>,
    points: &PackedPoints<F>,
) -> Result<Vec<Option<(usize, F)>>, GeometryError> {
    check::matrix("centroids", centroids)?;
    if points.is_empty() {
        return Err(GeometryError::Empty { what: "points" });
    }
    check::same("points columns", centroids.ncols(), points.dim())?;
    Ok(nearest_checked(centroids, points))
}

/// Validates the inputs, then calls `visit(j, best)` for every point j in order, where `best`
/// is `Some((k, ⟨p_j, ĉ_k⟩))` for the arg-max non-zero row k, or `None` if all rows are zero.
fn for_each_nearest<F: Float>(
    centroids: ArrayView2<F>,
    points: ArrayView2<F>,
    mut visit: impl FnMut(usize, Option<(usize, F)>),
) -> Result<(), GeometryError> {
    check::matrix("centroids", centroids)?;
    check::matrix("points", points)?;
    check::same("points columns", centroids.ncols(), points.ncols())?;
    let nearest = nearest_checked(centroids, &PackedPoints::new(points));
    for (j, best) in nearest.into_iter().enumerate() {
        visit(j, best);
    }
    Ok(())
}

/// [`nearest_scores`] on validated inputs: the rows normalised, the non-zero ones (ascending
/// bin indices) scored by the fused kernel of the enveloping loss (no score matrix; see
/// `argmax`).
fn nearest_checked<F: Float>(
    centroids: ArrayView2<F>,
    points: &PackedPoints<F>,
) -> Vec<Option<(usize, F)>> {
    let n = points.len();
    let (unit, norms) = normalize_rows(centroids);
    let live: Vec<u32> = (0..norms.len())
        .filter(|&k| norms[k] > F::zero())
        .map(|k| k as u32)
        .collect();
    if live.is_empty() {
        return vec![None; n];
    }
    let (mut best, mut best_row) = (vec![F::neg_infinity(); n], vec![u32::MAX; n]);
    crate::argmax::nearest_rows(unit.view(), &live, points, &mut best, &mut best_row);
    best_row
        .iter()
        .zip(&best)
        .map(|(&k, &score)| (k != u32::MAX).then_some((k as usize, score)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn all_zero_table_covers_nothing() {
        let c = Array2::<f64>::zeros((3, 2));
        let p = array![[1.0, 0.0], [0.0, 1.0]];
        assert_eq!(coverage(c.view(), p.view(), -2.0).unwrap(), 0.0);
        assert_eq!(
            nearest_centroids(c.view(), p.view()).unwrap(),
            vec![None, None]
        );
        assert_eq!(few_shot_share(c.view(), p.view(), &[0, 1, 2]).unwrap(), 0.0);
    }

    #[test]
    fn zero_rows_do_not_cover_with_negative_eps() {
        // A zero row would score 0 > -0.5 for every point if it were not ignored.
        let c = array![[1.0_f64, 0.0], [0.0, 0.0]];
        let p = array![[-1.0, 0.0], [1.0, 0.0]];
        assert_eq!(coverage(c.view(), p.view(), -0.5).unwrap(), 0.5);
    }

    #[test]
    fn centroids_are_normalised() {
        let c = array![[10.0_f64, 0.0]];
        let p = array![[0.6, 0.8]];
        assert_eq!(coverage(c.view(), p.view(), 0.59).unwrap(), 1.0);
        assert_eq!(coverage(c.view(), p.view(), 0.61).unwrap(), 0.0);
    }

    #[test]
    fn many_points_match_the_full_product() {
        let p = crate::uniform_sphere_points::<f64>(2 * 2048 + 17, 3, 1).unwrap();
        let c = crate::uniform_sphere_points::<f64>(5, 3, 2).unwrap();
        let nearest = nearest_centroids(c.view(), p.view()).unwrap();
        let scores = p.dot(&c.t());
        for (row, got) in scores.rows().into_iter().zip(nearest) {
            let k = got.unwrap();
            assert!(row.iter().all(|&s| s <= row[k]));
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let c = array![[1.0_f64, 0.0]];
        let p = array![[1.0, 0.0, 0.0]];
        let mismatch = coverage(c.view(), p.view(), 0.0);
        assert!(matches!(mismatch, Err(GeometryError::ShapeMismatch { .. })));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(
            coverage(c.view(), empty.view(), 0.0),
            Err(GeometryError::Empty { what: "points" })
        ));
        let nan = array![[f64::NAN, 0.0]];
        assert!(matches!(
            nearest_centroids(nan.view(), c.view()),
            Err(GeometryError::NonFinite { index: 0, .. })
        ));
        assert!(coverage(c.view(), c.view(), f64::NAN).is_err());
        assert!(matches!(
            few_shot_share(c.view(), c.view(), &[1]),
            Err(GeometryError::InvalidParameter { .. })
        ));
    }
}
