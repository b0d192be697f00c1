//! Exact k nearest neighbours with deterministic ties.
//!
//! The candidates come from linfa-nn's KD-tree or ball tree (or from every pair, for the
//! brute force); their distances are then recomputed by one function ([`sq_dist`], the
//! squared Euclidean distance summed in column order) and sorted by (distance, row index), so
//! every search returns the same neighbours, bit for bit, and a tie at the k-th distance goes
//! to the lower row index. When the tree's k + 2 candidates cannot rule out a tie at the k-th
//! distance, the query is repeated as a range query at that distance, which returns every
//! tied point.

use crate::params::{NeighbourSearch, AUTO_KD_MAX_DIM};
use crate::ResampleError;
use linfa_nn::distance::L2Dist;
use linfa_nn::{BallTree, KdTree, NearestNeighbour, NearestNeighbourIndex};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Squared Euclidean distance, summed in column order (the one distance every search uses).
#[inline]
pub fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The k nearest neighbours (other than itself) of every row of `points`, nearest first,
/// as (row, Euclidean distance); ties broken by the lower row index. A row gets fewer than k
/// neighbours only when there are fewer than k other rows. Queries run in parallel on the
/// current rayon pool; the result does not depend on the number of threads.
pub fn k_nearest(
    points: ArrayView2<'_, f64>,
    k: usize,
    search: NeighbourSearch,
) -> Result<Vec<Vec<(usize, f64)>>, ResampleError> {
    let n = points.nrows();
    let k = k.min(n.saturating_sub(1));
    if k == 0 || n == 0 {
        return Ok(vec![Vec::new(); n]);
    }
    if let Some((row, col, value)) = points
        .indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|((r, c), v)| (r, c, *v))
    {
        return Err(ResampleError::NotFinite {
            what: "features",
            row,
            col: Some(col),
            value,
        });
    }
    let search = match search {
        NeighbourSearch::Auto if points.ncols() <= AUTO_KD_MAX_DIM => NeighbourSearch::KdTree,
        NeighbourSearch::Auto => NeighbourSearch::BruteForce,
        s => s,
    };
    // Contiguous rows (the KD-tree needs them; the brute force reads them as slices).
    let owned: Array2<f64> = points.as_standard_layout().into_owned();
    let row = |i: usize| owned.row(i).to_slice().expect("standard layout");
    match search {
        NeighbourSearch::BruteForce => Ok((0..n)
            .into_par_iter()
            .map(|i| {
                let mut c: Vec<(usize, f64)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (j, sq_dist(row(i), row(j))))
                    .collect();
                finish(&mut c, k);
                c
            })
            .collect()),
        NeighbourSearch::KdTree | NeighbourSearch::BallTree | NeighbourSearch::Auto => {
            let index = match search {
                NeighbourSearch::BallTree => BallTree.from_batch(&owned, L2Dist),
                _ => KdTree.from_batch(&owned, L2Dist),
            }
            .map_err(|e| ResampleError::param("features", format!("neighbour index: {e}")))?;
            (0..n)
                .into_par_iter()
                .map(|i| query(&*index, &owned, i, k))
                .collect()
        }
    }
}

fn query(
    index: &(dyn NearestNeighbourIndex<f64> + Send + Sync),
    points: &Array2<f64>,
    i: usize,
    k: usize,
) -> Result<Vec<(usize, f64)>, ResampleError> {
    let nn_err = |e: linfa_nn::NnError| ResampleError::param("features", format!("{e}"));
    let p = points.row(i);
    let pi = p.to_slice().expect("standard layout");
    let dist = |j: usize| sq_dist(pi, points.row(j).to_slice().expect("standard layout"));
    let mut c: Vec<(usize, f64)> = index
        .k_nearest(p, k + 2)
        .map_err(nn_err)?
        .into_iter()
        .filter(|&(_, j)| j != i)
        .map(|(_, j)| (j, dist(j)))
        .collect();
    c.sort_by(cmp);
    let n_other = points.nrows() - 1;
    // Complete when every other row was returned, or when the first candidate beyond the k-th
    // is strictly farther (with a margin for the tree's own rounding).
    let complete = c.len() >= n_other
        || (c.len() > k && c[k].1 > c[k - 1].1 * (1.0 + 1e-9) + f64::MIN_POSITIVE);
    if !complete {
        let dk = c[k - 1].1.sqrt();
        // A generous radius: extra candidates are harmless (they are sorted out below),
        // missing ones are not.
        c = index
            .within_range(p, dk * (1.0 + 1e-6) + 1e-9)
            .map_err(nn_err)?
            .into_iter()
            .filter(|&(_, j)| j != i)
            .map(|(_, j)| (j, dist(j)))
            .collect();
        if c.len() < k {
            // Defensive: a range query that missed points (never seen with the KD-tree) is
            // answered by scanning every row.
            c = (0..points.nrows())
                .filter(|&j| j != i)
                .map(|j| (j, dist(j)))
                .collect();
        }
    }
    finish(&mut c, k);
    Ok(c)
}

fn cmp(a: &(usize, f64), b: &(usize, f64)) -> std::cmp::Ordering {
    a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
}

/// Keeps the k smallest by (distance, index), sorted, with distances square-rooted.
fn finish(c: &mut Vec<(usize, f64)>, k: usize) {
    if c.len() > k {
        c.select_nth_unstable_by(k - 1, cmp);
        c.truncate(k);
    }
    c.sort_by(cmp);
    for e in c.iter_mut() {
        e.1 = e.1.sqrt();
    }
}
