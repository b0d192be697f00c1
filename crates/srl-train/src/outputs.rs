//! The files a run writes, each atomically (temp file + rename), so an interrupted or diverged
//! run never leaves a half-written file behind.

use crate::model::TrainedModel;
use crate::report::{EpochLog, RunReport};
use crate::{RunConfig, TrainError};
use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;
use srl_data::atomic::write_atomic;
use srl_data::Benchmark;
use std::fmt::Write as _;
use std::path::Path;

/// Writes `config.toml`, `log.jsonl`, `model.json`, `test_predictions.csv`,
/// `test_features.npy`, `train_bin_counts.csv` and, last, `metrics.json` into `dir` (created if
/// needed). A stale `metrics.json` from an earlier run is removed first, so a folder with
/// `metrics.json` always holds one complete run.
#[allow(clippy::too_many_arguments)]
pub fn write_run(
    dir: &Path,
    cfg: &RunConfig,
    bench: &Benchmark,
    model: &TrainedModel,
    report: &RunReport,
    log: &[EpochLog],
    test_pred: &Array1<f64>,
    test_h: &Array2<f64>,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::Io {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let stale = dir.join("metrics.json");
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| TrainError::Io {
            path: stale.clone(),
            reason: e.to_string(),
        })?;
    }
    write_atomic(&dir.join("config.toml"), cfg.to_toml_string()?.as_bytes())?;
    let mut lines = String::new();
    for l in log {
        lines.push_str(&json(l)?);
        lines.push('\n');
    }
    write_atomic(&dir.join("log.jsonl"), lines.as_bytes())?;
    model.save(&dir.join("model.json"))?;

    let mut csv = String::from("y,pred,bin,shot\n");
    for i in 0..bench.test.len() {
        let _ = writeln!(
            csv,
            "{},{},{},{}",
            bench.test.y[i],
            test_pred[i],
            bench.test.bins[i],
            shot_name(bench.test.shots[i])
        );
    }
    write_atomic(&dir.join("test_predictions.csv"), csv.as_bytes())?;

    let mut npy = Vec::new();
    test_h
        .write_npy(&mut npy)
        .map_err(|e| TrainError::InvalidState {
            reason: format!("writing test_features.npy: {e}"),
        })?;
    write_atomic(&dir.join("test_features.npy"), &npy)?;

    let counts = bench.train_bin_counts();
    let centres = bench.binning.centres();
    let mut shot_of_bin = vec![None; counts.len()];
    for (&b, &s) in bench.train.bins.iter().zip(&bench.train.shots) {
        shot_of_bin[b] = Some(s);
    }
    let mut bins_csv = String::from("bin,centre,count,shot\n");
    for k in 0..counts.len() {
        let _ = writeln!(
            bins_csv,
            "{k},{},{},{}",
            centres[k],
            counts[k],
            shot_of_bin[k].map_or("none", shot_name)
        );
    }
    write_atomic(&dir.join("train_bin_counts.csv"), bins_csv.as_bytes())?;
    // Last: a folder with metrics.json is a complete run (xtask keys on it).
    let metrics = serde_json::to_string_pretty(report).map_err(|e| TrainError::InvalidState {
        reason: e.to_string(),
    })?;
    write_atomic(&dir.join("metrics.json"), metrics.as_bytes())?;
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, TrainError> {
    serde_json::to_string(v).map_err(|e| TrainError::InvalidState {
        reason: e.to_string(),
    })
}

fn shot_name(s: srl_data::Shot) -> &'static str {
    match s {
        srl_data::Shot::Many => "many",
        srl_data::Shot::Medium => "medium",
        srl_data::Shot::Few => "few",
    }
}
