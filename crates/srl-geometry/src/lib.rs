//! Geometry of representations on the unit hypersphere S^{d-1}, as used by SRL
//! (Dong et al., "Improve Representation for Imbalanced Regression through Geometric
//! Constraints", CVPR 2025, arXiv 2503.00876).
//!
//! SRL asks the centroids c_1..c_K of consecutive target bins to trace a curve that covers the
//! sphere (enveloping, Eq. 3–4) and moves along it at constant speed (homogeneity, Eq. 5–6).
//! This crate holds the shared geometry and the metrics that make those goals measurable:
//!
//! - [`normalize`]: z = h/‖h‖ row-wise and its backward (zero rows stay zero, never NaN).
//! - [`sphere`]: seeded uniform Monte-Carlo points on S^{d-1} (Gaussian vectors, normalised).
//! - [`logsumexp`](mod@logsumexp): the stable max-shifted log Σ exp(v) = M + log Σ exp(v − M)
//!   behind every softmax of the losses.
//! - [`coverage`](mod@coverage): tube coverage |{j : max_k ⟨p_j, c_k⟩ > ε}| / N (Eq. 3–4),
//!   nearest-centroid assignment and the few-shot share of the sphere (Table 7).
//! - [`trace`]: segment lengths, speeds d_k/Δ_k and their coefficient of variation, the
//!   homogeneity energy Σ d_k²/Δ_k (Eq. 6) and its Theorem 1 lower bound (Σ d_k)²/Σ Δ_k.
//! - [`uniformity`](mod@uniformity): the Wang–Isola uniformity
//!   log mean_{i<j} exp(−t‖z_i − z_j‖²).
//!
//! Everything is generic over [`Float`] (`f32` for training, `f64` for gradient checks), and
//! bad input returns a [`GeometryError`] rather than panicking. Zero centroid rows stand for
//! bins never seen and are ignored by every metric.
//!
//! ```
//! use srl_geometry::{coverage, uniform_sphere_points, TraceStats};
//! // Four centroids spaced along a great circle of S^2, bins at 0, 1, 2, 3.
//! let angles = [0.0_f64, 0.5, 1.0, 1.5];
//! let c = ndarray::Array2::from_shape_fn((4, 3), |(k, i)| match i {
//!     0 => angles[k].cos(),
//!     1 => angles[k].sin(),
//!     _ => 0.0,
//! });
//! let p = uniform_sphere_points::<f64>(4000, 3, 0).unwrap();
//! let cov = coverage(c.view(), p.view(), 0.5).unwrap();
//! assert!(cov > 0.25 && cov < 1.0);
//! let y = ndarray::array![0.0, 1.0, 2.0, 3.0];
//! let trace = TraceStats::new(c.view(), y.view()).unwrap();
//! assert!(trace.speed_cv.unwrap() < 1e-12); // equal arcs, equal spacings: constant speed
//! assert!((trace.energy - trace.energy_lower_bound).abs() < 1e-12); // Theorem 1 equality
//! ```

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

pub mod argmax;
mod check;
pub mod coverage;
pub mod error;
pub mod float;
pub mod logsumexp;
pub mod normalize;
pub mod sphere;
pub mod trace;
pub mod uniformity;

pub use coverage::{coverage, few_shot_share, nearest_centroids, nearest_scores};
pub use error::GeometryError;
pub use float::Float;
pub use logsumexp::{log_sum_exp, LogSumExp, StreamingLogSumExp};
pub use normalize::{
    normalize_rows, normalize_rows_backward, normalize_rows_backward_into, normalize_rows_into,
};
pub use sphere::{fill_sphere_rows, uniform_sphere_points, uniform_sphere_points_into, SphereNorm};
pub use trace::{theorem1_bound, TraceSegment, TraceStats};
pub use uniformity::{uniformity, DEFAULT_UNIFORMITY_T};

/// The ndarray this crate is built on (0.16, the line linfa 0.8 uses): build inputs with it.
pub use ndarray;
