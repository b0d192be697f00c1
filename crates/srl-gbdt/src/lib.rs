//! Gradient-boosted trees as the tabular reference of the SRL toolkit.
//!
//! People with an imbalanced table reach first for gradient boosting; a deep DIR method is
//! only worth its cost where it beats weighted boosting on the same data. This crate trains
//! boosted trees (the pure-Rust engine `hessboost`, chosen on evidence in
//! docs/results/gbdt-engine) on exactly what the networks train on — the same prepared
//! split or cross-validation fold, the same DIR re-weighting as sample weights (`gbdt+inv`,
//! `gbdt+sqinv`, `gbdt+lds`), early stopping on the same validation part — and reports the
//! same [`RunReport`](srl_train::RunReport), so `srl compare` ranks trees and networks with
//! one rule, and `srl predict` serves either model file.
//!
//! - [`GbdtParams`] → [`GbdtConfig`] → [`GbdtConfig::check`] → [`ValidGbdtConfig`];
//! - [`fit`] → [`GbdtOutcome`] (model, report, test predictions); [`write_run`] writes the
//!   run folder a network run writes (without `log.jsonl` and `test_features.npy`);
//! - [`GbdtModel`]: one or more members averaged, saved as JSON (`srl-gbdt-v1`).
//!
//! The core crates do not depend on this one (nor on the engine).

// Every declared dependency is used (test builds, which also see the dev-dependencies, are
// exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

mod error;
mod fit;
mod model;
mod params;
mod run;

pub use error::GbdtError;
pub use fit::{fit, GbdtOutcome};
pub use model::{GbdtMember, GbdtModel, FORMAT};
pub use params::{GbdtConfig, GbdtParams, ValidGbdtConfig};
pub use run::write_run;
