//! Speed profile of the trace of bin centroids, and Theorem 1 (paper Eq. 5–6).
//!
//! The centroids c_1..c_K of consecutive target bins (centres y*_1 < … < y*_K) trace a curve on
//! the sphere. With segment lengths d_k = ‖c_{k+1} − c_k‖ and spacings Δ_k = y*_{k+1} − y*_k,
//! the discrete homogeneity energy is E = Σ_k d_k²/Δ_k (Eq. 6). By Cauchy–Schwarz
//! (Theorem 1, discrete form) E ≥ (Σ_k d_k)² / Σ_k Δ_k, with equality iff the speed d_k/Δ_k is
//! the same for every k; in fact E − (Σd)²/ΣΔ = Σ_k Δ_k (d_k/Δ_k − s̄)², s̄ = Σd/ΣΔ.

use crate::{check, Float, GeometryError};
use ndarray::{ArrayView1, ArrayView2, Zip};

/// One segment of the trace between consecutive bins `bin` and `bin + 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceSegment<F> {
    /// Index k of the first bin of the pair.
    pub bin: usize,
    /// d_k = ‖c_{k+1} − c_k‖.
    pub length: F,
    /// Δ_k = y*_{k+1} − y*_k (> 0).
    pub spacing: F,
    /// d_k / Δ_k.
    pub speed: F,
}

/// Summary of the trace of a centroid table: segments, arc length, speed profile and the
/// homogeneity energy with its Theorem 1 lower bound.
///
/// Only pairs of consecutive bins whose rows are both non-zero form segments (a zero row is a
/// bin never seen). With no segment the sums are 0 and the speed CV is undefined (`None`).
///
/// ```
/// use ndarray::array;
/// let c = array![[1.0_f64, 0.0], [0.0, 1.0], [-1.0, 0.0]];
/// let y = array![0.0, 1.0, 3.0];
/// let t = srl_geometry::TraceStats::new(c.view(), y.view()).unwrap();
/// let d = 2.0_f64.sqrt();
/// assert!((t.arc_length - 2.0 * d).abs() < 1e-12);
/// assert!((t.energy - (2.0 + 1.0)).abs() < 1e-12); // d²/1 + d²/2
/// assert!(t.energy > t.energy_lower_bound); // the two speeds differ
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStats<F> {
    /// The segments, in bin order.
    pub segments: Vec<TraceSegment<F>>,
    /// Σ_k d_k.
    pub arc_length: F,
    /// Mean of the speeds d_k/Δ_k (unweighted over segments).
    pub mean_speed: F,
    /// Coefficient of variation of the speeds: population std / mean. `None` when it is
    /// undefined: no segment, or a collapsed trace (every centroid equal, mean speed 0) —
    /// a collapsed trace is not "perfectly homogeneous", read [`TraceStats::arc_length`].
    pub speed_cv: Option<F>,
    /// Homogeneity energy Σ_k d_k²/Δ_k (paper Eq. 6).
    pub energy: F,
    /// Theorem 1 lower bound (Σ_k d_k)² / Σ_k Δ_k of [`TraceStats::energy`].
    pub energy_lower_bound: F,
}

impl<F: Float> TraceStats<F> {
    /// Computes the trace statistics of `centroids` (K × d, one row per bin) with strictly
    /// increasing bin `centres` (length K).
    ///
    /// Errors on a length mismatch, an empty table, non-finite values or centres that do not
    /// strictly increase.
    pub fn new(centroids: ArrayView2<F>, centres: ArrayView1<F>) -> Result<Self, GeometryError> {
        check::matrix("centroids", centroids)?;
        check::same("bin centres length", centroids.nrows(), centres.len())?;
        check::finite("bin centres", centres.iter())?;
        if let Some(k) = (1..centres.len()).find(|&k| centres[k] <= centres[k - 1]) {
            return Err(GeometryError::InvalidParameter {
                name: "centres",
                reason: format!("bin centres must strictly increase; index {k} does not"),
            });
        }

        let live: Vec<bool> = centroids
            .rows()
            .into_iter()
            .map(|r| r.iter().any(|&x| x != F::zero()))
            .collect();
        let segments: Vec<TraceSegment<F>> = (0..live.len().saturating_sub(1))
            .filter(|&k| live[k] && live[k + 1])
            .map(|k| {
                let mut sq = F::zero();
                Zip::from(centroids.row(k + 1))
                    .and(centroids.row(k))
                    .for_each(|&a, &b| sq += (a - b) * (a - b));
                let length = sq.sqrt();
                let spacing = centres[k + 1] - centres[k];
                TraceSegment {
                    bin: k,
                    length,
                    spacing,
                    speed: length / spacing,
                }
            })
            .collect();
        if segments.is_empty() {
            return Ok(Self {
                segments,
                arc_length: F::zero(),
                mean_speed: F::zero(),
                speed_cv: None,
                energy: F::zero(),
                energy_lower_bound: F::zero(),
            });
        }

        let lengths: Vec<F> = segments.iter().map(|s| s.length).collect();
        let spacings: Vec<F> = segments.iter().map(|s| s.spacing).collect();
        let (energy, energy_lower_bound) = energy_and_bound(&lengths, &spacings);
        let count = F::from_count(segments.len());
        let mean_speed = segments.iter().map(|s| s.speed).sum::<F>() / count;
        let variance = segments
            .iter()
            .map(|s| (s.speed - mean_speed) * (s.speed - mean_speed))
            .sum::<F>()
            / count;
        let speed_cv = (mean_speed > F::zero()).then(|| variance.sqrt() / mean_speed);
        Ok(Self {
            arc_length: lengths.iter().copied().sum(),
            segments,
            mean_speed,
            speed_cv,
            energy,
            energy_lower_bound,
        })
    }
}

/// Theorem 1 (discrete form): returns `(Σ_k d_k²/Δ_k, (Σ_k d_k)²/Σ_k Δ_k)`; the first is always
/// ≥ the second, with equality iff d_k/Δ_k is constant.
///
/// Requires equal, non-zero lengths, finite d_k ≥ 0 and finite Δ_k > 0.
///
/// ```
/// let (energy, bound) = srl_geometry::theorem1_bound(&[1.0_f64, 2.0], &[1.0, 2.0]).unwrap();
/// assert!((energy - bound).abs() < 1e-12); // constant speed 1: equality
/// let (energy, bound) = srl_geometry::theorem1_bound(&[1.0_f64, 1.0], &[1.0, 2.0]).unwrap();
/// assert!(energy > bound);
/// ```
pub fn theorem1_bound<F: Float>(d: &[F], delta: &[F]) -> Result<(F, F), GeometryError> {
    if d.is_empty() {
        return Err(GeometryError::Empty { what: "d" });
    }
    check::same("delta length", d.len(), delta.len())?;
    check::finite("d", d)?;
    check::finite("delta", delta)?;
    if let Some(k) = d.iter().position(|&x| x < F::zero()) {
        return Err(GeometryError::InvalidParameter {
            name: "d",
            reason: format!("segment lengths must be >= 0; index {k} is negative"),
        });
    }
    if let Some(k) = delta.iter().position(|&x| x <= F::zero()) {
        return Err(GeometryError::InvalidParameter {
            name: "delta",
            reason: format!("spacings must be > 0; index {k} is not"),
        });
    }
    Ok(energy_and_bound(d, delta))
}

/// (Σ d²/Δ, (Σd)²/ΣΔ) for validated inputs.
fn energy_and_bound<F: Float>(d: &[F], delta: &[F]) -> (F, F) {
    let energy = d.iter().zip(delta).map(|(&dk, &tk)| dk * dk / tk).sum();
    let total_d: F = d.iter().copied().sum();
    let total_delta: F = delta.iter().copied().sum();
    (energy, total_d * total_d / total_delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn zero_rows_break_the_trace() {
        let c = array![
            [1.0_f64, 0.0],
            [0.0, 1.0],
            [0.0, 0.0],
            [0.0, -1.0],
            [-1.0, 0.0]
        ];
        let y = array![0.0, 1.0, 2.0, 3.0, 5.0];
        let t = TraceStats::new(c.view(), y.view()).unwrap();
        let bins: Vec<usize> = t.segments.iter().map(|s| s.bin).collect();
        assert_eq!(bins, vec![0, 3]);
        let d = 2.0_f64.sqrt();
        assert!((t.arc_length - 2.0 * d).abs() < 1e-12);
        // speeds d and d/2: mean 3d/4, population std d/4, CV 1/3.
        assert!((t.mean_speed - 0.75 * d).abs() < 1e-12);
        assert!((t.speed_cv.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((t.energy - 3.0).abs() < 1e-12);
        assert!((t.energy_lower_bound - 8.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn no_segments_gives_zero_sums_and_no_cv() {
        let c = array![[1.0_f32, 0.0], [0.0, 0.0], [0.0, 1.0]];
        let y = array![0.0_f32, 1.0, 2.0];
        let t = TraceStats::new(c.view(), y.view()).unwrap();
        assert!(t.segments.is_empty());
        assert_eq!((t.arc_length, t.energy), (0.0, 0.0));
        assert_eq!(t.speed_cv, None);
    }

    #[test]
    fn collapsed_trace_has_no_cv_and_zero_arc_length() {
        let c = array![[1.0_f64, 0.0], [1.0, 0.0], [1.0, 0.0]];
        let t = TraceStats::new(c.view(), array![0.0, 1.0, 2.0].view()).unwrap();
        assert_eq!((t.mean_speed, t.arc_length, t.energy), (0.0, 0.0, 0.0));
        assert_eq!(t.speed_cv, None);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let c = array![[1.0_f64, 0.0], [0.0, 1.0]];
        assert!(matches!(
            TraceStats::new(c.view(), array![0.0].view()),
            Err(GeometryError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            TraceStats::new(c.view(), array![1.0, 1.0].view()),
            Err(GeometryError::InvalidParameter {
                name: "centres",
                ..
            })
        ));
        assert!(TraceStats::new(c.view(), array![0.0, f64::INFINITY].view()).is_err());
        assert!(matches!(
            theorem1_bound::<f64>(&[], &[]),
            Err(GeometryError::Empty { .. })
        ));
        assert!(theorem1_bound(&[1.0_f64], &[1.0, 2.0]).is_err());
        assert!(theorem1_bound(&[-1.0_f64], &[1.0]).is_err());
        assert!(theorem1_bound(&[1.0_f64], &[0.0]).is_err());
        assert!(theorem1_bound(&[f64::NAN], &[1.0]).is_err());
    }
}
