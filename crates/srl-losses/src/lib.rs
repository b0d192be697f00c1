//! SRL losses with hand-derived gradients: the enveloping, homogeneity and centroid
//! contrastive losses of Dong et al. (CVPR 2025), the combined SRL objective, regression
//! losses, and the DIR baselines.

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

pub mod baselines;
pub mod contrastive;
pub mod enveloping;
pub mod error;
pub mod homogeneity;
pub mod objective;
pub mod regression;
pub mod temperature;

pub use contrastive::CentroidContrastiveLoss;
pub use enveloping::{EnvelopingLoss, PointsPolicy};
pub use error::LossError;
pub use homogeneity::{HomogeneityForm, HomogeneityLoss};
/// The ndarray this crate is built on (0.16, the line linfa 0.8 uses): use it to build inputs.
pub use ndarray;
pub use objective::{
    CheckedSrlConfig, SrlConfig, SrlObjective, SrlOutput, SrlParams, SrlParts, SrlWeights,
    SurrogateMode, ValidSrlConfig, ValidSrlParams,
};
pub use regression::RegressionLoss;
pub use temperature::Temperature;
