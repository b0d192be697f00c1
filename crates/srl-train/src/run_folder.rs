//! The run folder: the one place that knows which files a run writes and how to read them back
//! (the CLI writes through it; `cargo xtask`'s tables, tuning and figures read through it).
//!
//! | file | content |
//! |---|---|
//! | `config.toml` | the [`RunConfig`] |
//! | `log.jsonl` | one [`EpochLog`] per validation pass |
//! | `model.json` | the [`TrainedModel`] checkpoint |
//! | `test_predictions.csv` | `y,pred,bin,shot` per test row |
//! | `test_features.npy` | test representations h (n × d, f64) |
//! | `train_bin_counts.csv` | `bin,centre,count,shot` (shot: the bin's group by [`Benchmark::bin_shot_groups`]) |
//! | `metrics.json` | the [`RunReport`], written last: a folder with it holds one complete run |
//!
//! Every file is written atomically (temp file + rename), so an interrupted or diverged run
//! never leaves a half-written file behind.

use crate::model::TrainedModel;
use crate::report::{EpochLog, RunReport};
use crate::trainer::RunOutcome;
use crate::{RunConfig, TrainError};
use ndarray_npy::WriteNpyExt;
use srl_data::atomic::write_atomic;
use srl_data::{Benchmark, Shot};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `config.toml`.
pub const CONFIG: &str = "config.toml";
/// `log.jsonl`.
pub const LOG: &str = "log.jsonl";
/// `model.json`.
pub const MODEL: &str = "model.json";
/// `test_predictions.csv`.
pub const TEST_PREDICTIONS: &str = "test_predictions.csv";
/// `test_features.npy`.
pub const TEST_FEATURES: &str = "test_features.npy";
/// `train_bin_counts.csv`.
pub const TRAIN_BIN_COUNTS: &str = "train_bin_counts.csv";
/// `metrics.json`.
pub const METRICS: &str = "metrics.json";

/// Writes every file of the table above into `dir` (created if needed). A stale
/// `metrics.json` from an earlier run is removed first.
pub fn write_run(
    dir: &Path,
    cfg: &RunConfig,
    bench: &Benchmark,
    outcome: &RunOutcome,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let stale = dir.join(METRICS);
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| io(&stale, e))?;
    }
    write_atomic(&dir.join(CONFIG), cfg.to_toml_string()?.as_bytes())?;
    let mut lines = String::new();
    for l in &outcome.log {
        lines.push_str(&json(l)?);
        lines.push('\n');
    }
    write_atomic(&dir.join(LOG), lines.as_bytes())?;
    outcome.model.save(&dir.join(MODEL))?;

    let mut csv = String::from("y,pred,bin,shot\n");
    for i in 0..bench.test.len() {
        let _ = writeln!(
            csv,
            "{},{},{},{}",
            bench.test.y[i],
            outcome.test_predictions[i],
            bench.test.bins[i],
            shot_name(bench.test.shots[i])
        );
    }
    write_atomic(&dir.join(TEST_PREDICTIONS), csv.as_bytes())?;

    let mut npy = Vec::new();
    outcome
        .test_features
        .write_npy(&mut npy)
        .map_err(|e| TrainError::InvalidState {
            reason: format!("writing {TEST_FEATURES}: {e}"),
        })?;
    write_atomic(&dir.join(TEST_FEATURES), &npy)?;

    let counts = bench.train_bin_counts();
    let centres = bench.binning.centres();
    let groups = bench.bin_shot_groups();
    let mut bins_csv = String::from("bin,centre,count,shot\n");
    for k in 0..counts.len() {
        let _ = writeln!(
            bins_csv,
            "{k},{},{},{}",
            centres[k],
            counts[k],
            groups[k].map_or("none", shot_name)
        );
    }
    write_atomic(&dir.join(TRAIN_BIN_COUNTS), bins_csv.as_bytes())?;
    // Last: a folder with metrics.json is a complete run.
    let metrics =
        serde_json::to_string_pretty(&outcome.report).map_err(|e| TrainError::InvalidState {
            reason: e.to_string(),
        })?;
    write_atomic(&dir.join(METRICS), metrics.as_bytes())?;
    Ok(())
}

/// Whether `dir` holds a finished run (its `metrics.json` exists).
pub fn is_complete(dir: &Path) -> bool {
    dir.join(METRICS).is_file()
}

/// Reads `metrics.json`.
pub fn read_report(dir: &Path) -> Result<RunReport, TrainError> {
    let path = dir.join(METRICS);
    let text = read(&path)?;
    serde_json::from_str(&text).map_err(|e| TrainError::InvalidState {
        reason: format!("{}: {e}", path.display()),
    })
}

/// Reads `log.jsonl`.
pub fn read_log(dir: &Path) -> Result<Vec<EpochLog>, TrainError> {
    let path = dir.join(LOG);
    let text = read(&path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| TrainError::InvalidState {
                reason: format!("{} line {}: {e}", path.display(), i + 1),
            })
        })
        .collect()
}

/// Reads `config.toml`.
pub fn read_config(dir: &Path) -> Result<RunConfig, TrainError> {
    RunConfig::from_toml_str(&read(&dir.join(CONFIG))?)
}

/// Reads `model.json`.
pub fn read_model(dir: &Path) -> Result<TrainedModel, TrainError> {
    TrainedModel::load(&dir.join(MODEL))
}

/// One row of `test_predictions.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestPrediction {
    /// Target.
    pub y: f64,
    /// Prediction.
    pub pred: f64,
    /// Bin of the target.
    pub bin: usize,
    /// Shot group of the row.
    pub shot: Shot,
}

/// Reads `test_predictions.csv`.
pub fn read_test_predictions(dir: &Path) -> Result<Vec<TestPrediction>, TrainError> {
    let path = dir.join(TEST_PREDICTIONS);
    let text = read(&path)?;
    let bad = |line: usize, what: &str| TrainError::InvalidState {
        reason: format!("{} line {line}: {what}", path.display()),
    };
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() != 4 {
                return Err(bad(i + 1, "expected 4 fields y,pred,bin,shot"));
            }
            Ok(TestPrediction {
                y: f[0].parse().map_err(|_| bad(i + 1, "y is not a number"))?,
                pred: f[1]
                    .parse()
                    .map_err(|_| bad(i + 1, "pred is not a number"))?,
                bin: f[2]
                    .parse()
                    .map_err(|_| bad(i + 1, "bin is not an integer"))?,
                shot: parse_shot(f[3]).ok_or_else(|| bad(i + 1, "unknown shot group"))?,
            })
        })
        .collect()
}

/// One row of `train_bin_counts.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinCount {
    /// Bin index.
    pub bin: usize,
    /// Bin centre.
    pub centre: f64,
    /// Training samples in the bin.
    pub count: usize,
    /// The bin's shot group (`None` for an empty bin).
    pub shot: Option<Shot>,
}

/// Reads `train_bin_counts.csv`.
pub fn read_bin_counts(dir: &Path) -> Result<Vec<BinCount>, TrainError> {
    let path = dir.join(TRAIN_BIN_COUNTS);
    let text = read(&path)?;
    let bad = |line: usize, what: &str| TrainError::InvalidState {
        reason: format!("{} line {line}: {what}", path.display()),
    };
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() != 4 {
                return Err(bad(i + 1, "expected 4 fields bin,centre,count,shot"));
            }
            Ok(BinCount {
                bin: f[0]
                    .parse()
                    .map_err(|_| bad(i + 1, "bin is not an integer"))?,
                centre: f[1]
                    .parse()
                    .map_err(|_| bad(i + 1, "centre is not a number"))?,
                count: f[2]
                    .parse()
                    .map_err(|_| bad(i + 1, "count is not an integer"))?,
                shot: if f[3] == "none" {
                    None
                } else {
                    Some(parse_shot(f[3]).ok_or_else(|| bad(i + 1, "unknown shot group"))?)
                },
            })
        })
        .collect()
}

/// The path of one of the run's files.
pub fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn read(path: &Path) -> Result<String, TrainError> {
    std::fs::read_to_string(path).map_err(|e| io(path, e))
}

fn io(path: &Path, e: std::io::Error) -> TrainError {
    TrainError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, TrainError> {
    serde_json::to_string(v).map_err(|e| TrainError::InvalidState {
        reason: e.to_string(),
    })
}

/// `many`, `medium` or `few`.
pub fn shot_name(s: Shot) -> &'static str {
    match s {
        Shot::Many => "many",
        Shot::Medium => "medium",
        Shot::Few => "few",
    }
}

fn parse_shot(s: &str) -> Option<Shot> {
    match s {
        "many" => Some(Shot::Many),
        "medium" => Some(Shot::Medium),
        "few" => Some(Shot::Few),
        _ => None,
    }
}
