//! Datasets, bins, balanced DIR splits, shot-group metrics and the imbalanced
//! operator-learning (IOL) generators for SRL.

pub mod agedb;
pub mod atomic;
pub mod benchmark;
pub mod binning;
pub mod checksum;
pub mod datadir;
pub mod error;
pub mod fetch;
pub mod iol;
pub mod manifest;
pub mod metrics;
pub mod registry;
pub mod split;
pub mod standardize;
pub mod stsb;
pub mod tabular;
pub mod uci;

pub use benchmark::{load_benchmark, Benchmark, LoadOptions, Part, Shot, BENCHMARKS};
pub use binning::Binning;
pub use error::DataError;
pub use manifest::Manifest;
