//! The run folder of a boosting run: the files a network run writes ([`srl_train::run_folder`]),
//! less the training log and the representations, which trees do not have.

use crate::{GbdtError, GbdtOutcome, ValidGbdtConfig};
use srl_data::Benchmark;
use srl_train::run_folder::{write_run_files, RunFiles};
use std::path::Path;

/// Writes `config.toml` (the [`GbdtConfig`](crate::GbdtConfig)), `model.json` (the
/// [`GbdtModel`](crate::GbdtModel)), `test_predictions.csv`, `split.csv` (tables),
/// `train_bin_counts.csv` and, last, `metrics.json` into `dir`.
pub fn write_run(
    dir: &Path,
    cfg: &ValidGbdtConfig,
    bench: &Benchmark,
    outcome: &GbdtOutcome,
) -> Result<(), GbdtError> {
    write_run_files(
        dir,
        bench,
        &RunFiles {
            config_toml: &cfg.to_toml_string()?,
            log: None,
            model_json: &outcome.model.to_json()?,
            report: &outcome.report,
            test_predictions: &outcome.test_predictions,
            test_features: None,
        },
    )?;
    Ok(())
}
