//! Fast, seeded resamplers for imbalanced regression: random under- and over-sampling,
//! SMOTER, SMOGN and WERCS.
//!
//! One entry point, [`resample`], takes a numeric feature matrix (already imputed and encoded
//! by the table pipeline), the targets, each row's relevance φ(y) ∈ [0, 1], the column
//! [`FeatureLayout`] (continuous columns and one-hot groups) and checked [`ResampleParams`];
//! it returns the new rows with the [`Origin`] of each.
//!
//! - [`params`]: [`Method`], [`Amount`], [`Regions`], [`NeighbourSearch`], defaults;
//! - [`knn`]: exact k nearest neighbours (linfa-nn KD-tree / ball tree, or brute force,
//!   chosen by dimension by default)
//!   with deterministic ties;
//! - regions: the SMOGN paper's bumps of the sorted target, or rare vs normal.
//!
//! ```
//! use ndarray::array;
//! use srl_resample::{resample, FeatureLayout, Method, ResampleParams};
//! let x = array![[0.0], [1.0], [2.0], [3.0], [10.0], [11.0]];
//! let y = [0.0, 1.0, 2.0, 3.0, 10.0, 11.0];
//! let phi = [0.0, 0.0, 0.1, 0.2, 1.0, 1.0];
//! let params = ResampleParams::new(Method::Smoter { k: 1 }).seed(7).check().unwrap();
//! let out = resample(x.view(), &y, &phi, &FeatureLayout::continuous(1), &params).unwrap();
//! // Two regions (normal, rare), each balanced to 6 / 2 = 3 rows.
//! assert_eq!(out.y.len(), 6);
//! assert!(out.y.iter().filter(|&&t| t >= 10.0).count() == 3);
//! ```

// Every declared dependency is used (test builds, which also see the dev-dependencies, are
// exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

mod error;
pub mod knn;
mod layout;
pub mod params;
mod regions;
mod resample;

pub use error::ResampleError;
pub use layout::FeatureLayout;
pub use params::{
    Amount, Method, NeighbourSearch, Regions, ResampleParams, SafeDistance, ValidParams, DEFAULT_K,
    DEFAULT_PERT, DEFAULT_THRESHOLD, SAFE_SAMPLE,
};
pub use resample::{resample, Origin, RegionReport, Resampled, NOISE_TRUNCATION};

/// The ndarray this crate is built on (0.16, the line linfa 0.8 uses).
pub use ndarray;
