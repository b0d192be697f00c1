//! Datasets, bins, balanced DIR splits, shot-group metrics and the imbalanced
//! operator-learning (IOL) generators for SRL.

pub mod benchmark;
pub mod binning;
pub mod error;
pub mod iol;
pub mod uci;

pub use benchmark::{load_benchmark, Benchmark, LoadOptions, Part, Shot, BENCHMARKS};
pub use binning::Binning;
pub use error::DataError;
