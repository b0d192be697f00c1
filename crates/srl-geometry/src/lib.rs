//! Geometry of representations on the unit hypersphere S^{d-1}, as used by SRL
//! (Dong et al., "Improve Representation for Imbalanced Regression through Geometric
//! Constraints", CVPR 2025, arXiv 2503.00876).
//!
//! - [`normalize`]: z = h/‖h‖ row-wise and its backward (zero rows stay zero, never NaN).
//! - Everything is generic over [`Float`] (`f32` for training, `f64` for gradient checks).

pub mod error;
pub mod float;
pub mod normalize;

pub use error::GeometryError;
pub use float::Float;
pub use normalize::{
    normalize_rows, normalize_rows_backward, normalize_rows_backward_into, normalize_rows_into,
};
