//! SRL losses with hand-derived gradients.

pub mod error;

pub use error::LossError;
