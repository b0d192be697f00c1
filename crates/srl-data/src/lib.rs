//! Datasets, bins, balanced DIR splits, shot-group metrics and the imbalanced
//! operator-learning (IOL) generators for SRL.
//!
//! - [`registry`]: the dataset manifests of `manifests/*.toml`, compiled in;
//! - `fetch` (feature `fetch`): download, import and verify a dataset's files;
//! - [`convert`]: the UCI originals (`abalone.data`, `.xls`, `.xlsx`) to the canonical CSVs
//!   (the converters need the feature `convert`, which `fetch` turns on);
//! - [`datadir`]: where the data lives (`--data-dir`, `SRL_DATA_DIR`, `datasets/cache/`);
//! - [`tabular`], [`stsb`], [`agedb`]: readers with typed, line-numbered errors;
//! - [`binning`], [`split`], [`standardize`]: label bins, the balanced DIR split, input
//!   standardisation fitted on training data;
//! - [`uci`], [`benchmark`]: ready-to-train UCI-DIR (and IOL) benchmarks;
//! - [`metrics`]: many/medium/few shot groups and MAE/MSE/GM/Pearson per group;
//! - [`protocol`]: the blind-spot and extrapolation test protocols;
//! - [`relevance`]: the relevance function φ of utility-based regression and SERA.

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

pub mod agedb;
pub mod atomic;
pub mod benchmark;
pub mod binning;
pub mod checksum;
pub mod convert;
pub mod datadir;
pub mod error;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod iol;
pub mod manifest;
pub mod metrics;
pub mod names;
pub mod protocol;
pub mod registry;
pub mod relevance;
pub mod split;
pub mod standardize;
pub mod stsb;
pub mod table;
pub mod tabular;
pub mod uci;

pub use benchmark::{
    load_benchmark, load_benchmark_with, Benchmark, BenchmarkId, DataName, LoadOptions, Part, Shot,
};
pub use binning::{BinSpec, Binning};
pub use error::DataError;
pub use manifest::Manifest;
pub use metrics::{evaluate, GroupMetrics, ShotMetrics, ShotRule, ShotRuleName};
pub use protocol::{Protocol, ProtocolInfo, RemovedRange};
pub use relevance::{ControlPoint, Extremes, Relevance, RelevanceMethod, RelevanceParams};
pub use split::{balanced_split, SplitIndices};
pub use standardize::Standardizer;
pub use tabular::TabularData;

/// The ndarray this crate is built on (0.16, the line linfa 0.8 uses): build inputs with it.
pub use ndarray;
