//! The run folder: the one place that knows which files a run writes and how to read them back
//! (the CLI writes through it; `cargo xtask`'s tables, tuning and figures read through it).
//!
//! | file | content |
//! |---|---|
//! | `config.toml` | the [`RunConfig`] |
//! | `log.jsonl` | one [`EpochLog`] per validation pass |
//! | `model.json` | the [`TrainedModel`] checkpoint |
//! | `test_predictions.csv` | `y,pred,bin,shot` per test row; for a user's table first `row,line` (the row's 1-based number among the file's data rows, and its line in the file) and last `out_of_range` (1: an input lies outside the training range — clipped unless clipping is off) |
//! | `split.csv` | a user's table only: `row,line,part` (train/val/test) for every data row |
//! | `test_features.npy` | test representations h (n × d, f64) |
//! | `train_bin_counts.csv` | `bin,centre,count,shot` (shot: the bin's group by [`Benchmark::bin_shot_groups`]) |
//! | `metrics.json` | the [`RunReport`], written last: a folder with it holds one complete run |
//! | `resume.json` | during training only: the state to continue an interrupted run ([`crate::resume`]) |
//!
//! Every file is written atomically (temp file + rename), so an interrupted or diverged run
//! never leaves a half-written file behind.
//!
//! **Sweep layout** (`cargo xtask reproduce`, `tune`, `ablate`, `srl compare`): one run per
//! folder `<runs>/<benchmark>/<variant>/seed<k>` ([`sweep_run_dir`], [`seed_dir`],
//! [`seed_of_dir`]); `srl compare`'s cross-validation adds `fold<f>` before the seed.

use crate::model::TrainedModel;
use crate::report::{EpochLog, RunOutcome, RunReport};
use crate::{RunConfig, TrainError};
use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;
use srl_data::atomic::write_atomic;
use srl_data::names::Named;
use srl_data::{Benchmark, Shot};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The folder name of seed `k`: `seed<k>`.
pub fn seed_dir(seed: u64) -> String {
    format!("seed{seed}")
}

/// The seed a `seed<k>` folder name stands for (`None` for any other name).
///
/// ```
/// use srl_train::run_folder::{seed_dir, seed_of_dir};
/// assert_eq!(seed_of_dir(&seed_dir(7)), Some(7));
/// assert_eq!(seed_of_dir("fold2"), None);
/// ```
pub fn seed_of_dir(name: &str) -> Option<u64> {
    name.strip_prefix("seed")?.parse().ok()
}

/// `<runs>/<benchmark>/<variant>/seed<k>`: where a sweep keeps one run.
pub fn sweep_run_dir(runs: &Path, benchmark: &str, variant: &str, seed: u64) -> PathBuf {
    runs.join(benchmark).join(variant).join(seed_dir(seed))
}

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
/// `split.csv`.
pub const SPLIT: &str = "split.csv";
/// `resume.json`: an interrupted run's state ([`crate::resume`]); removed when the run ends.
pub const RESUME: &str = "resume.json";

/// Every file a run writes.
pub const RUN_FILES: [&str; 9] = [
    CONFIG,
    LOG,
    MODEL,
    TEST_PREDICTIONS,
    TEST_FEATURES,
    TRAIN_BIN_COUNTS,
    METRICS,
    SPLIT,
    RESUME,
];

/// Makes `dir` ready for a new run before any work is done: creates it, refuses a folder that
/// holds a run's files unless `force` (then removes exactly those files, so no stale file of
/// the earlier run survives; other files are left alone), and checks that a file can be
/// written there. Returns whether the folder was created (so a caller whose run then fails
/// can remove it again with [`std::fs::remove_dir`], which only removes an empty folder).
pub fn prepare_dir(dir: &Path, force: bool) -> Result<bool, TrainError> {
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    if !force && dir.join(RESUME).exists() {
        return Err(TrainError::OutputExists {
            dir: dir.to_path_buf(),
            file: format!(
                "{RESUME}: an interrupted run; continue it with `srl train --resume {}`",
                dir.display()
            ),
        });
    }
    for f in RUN_FILES {
        let p = dir.join(f);
        if p.exists() {
            if !force {
                return Err(TrainError::OutputExists {
                    dir: dir.to_path_buf(),
                    file: f.to_string(),
                });
            }
            std::fs::remove_file(&p).map_err(|e| io(&p, e))?;
        }
    }
    let probe = dir.join(".srl-write-probe");
    std::fs::write(&probe, b"").map_err(|e| io(dir, e))?;
    std::fs::remove_file(&probe).map_err(|e| io(&probe, e))?;
    Ok(created)
}

/// Writes every file of the table above into `dir` (created if needed). A stale
/// `metrics.json` from an earlier run is removed first.
pub fn write_run(
    dir: &Path,
    cfg: &RunConfig,
    bench: &Benchmark,
    outcome: &RunOutcome,
) -> Result<(), TrainError> {
    write_run_files(
        dir,
        bench,
        &RunFiles {
            config_toml: &cfg.to_toml_string()?,
            log: Some(&outcome.log),
            model_json: &outcome.model.to_json()?,
            report: &outcome.report,
            test_predictions: &outcome.test_predictions,
            test_features: Some(&outcome.test_features),
        },
    )
}

/// What a finished run writes, whatever its model: the network's runs ([`write_run`]) and
/// the gradient-boosted trees of `srl-gbdt`, which have no training log or representation.
#[derive(Debug, Clone, Copy)]
pub struct RunFiles<'a> {
    /// `config.toml`.
    pub config_toml: &'a str,
    /// `log.jsonl` (not written when `None`).
    pub log: Option<&'a [EpochLog]>,
    /// `model.json`.
    pub model_json: &'a str,
    /// `metrics.json`.
    pub report: &'a RunReport,
    /// The test predictions of `test_predictions.csv`, in the test part's order.
    pub test_predictions: &'a Array1<f64>,
    /// `test_features.npy` (not written when `None`).
    pub test_features: Option<&'a Array2<f64>>,
}

/// Writes the files of a finished run into `dir` (created if needed); `metrics.json` last, a
/// stale one removed first.
pub fn write_run_files(
    dir: &Path,
    bench: &Benchmark,
    files: &RunFiles<'_>,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let stale = dir.join(METRICS);
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| io(&stale, e))?;
    }
    write_atomic(&dir.join(CONFIG), files.config_toml.as_bytes())?;
    if let Some(log) = files.log {
        let mut lines = String::new();
        for l in log {
            lines.push_str(&json(l)?);
            lines.push('\n');
        }
        write_atomic(&dir.join(LOG), lines.as_bytes())?;
    }
    write_atomic(&dir.join(MODEL), files.model_json.as_bytes())?;

    let table = bench.table.as_deref();
    let mut csv = String::from(if table.is_some() {
        "row,line,y,pred,bin,shot,out_of_range\n"
    } else {
        "y,pred,bin,shot\n"
    });
    for i in 0..bench.test.len() {
        if let Some(t) = table {
            let r = t.split.test[i];
            let _ = write!(csv, "{},{},", r + 1, t.lines[r]);
        }
        let _ = write!(
            csv,
            "{},{},{},{}",
            bench.test.y[i],
            files.test_predictions[i],
            bench.test.bins[i],
            bench.test.shots[i].name()
        );
        if table.is_some() {
            let flagged = bench.test.out_of_range.get(i).copied().unwrap_or(false);
            let _ = write!(csv, ",{}", u8::from(flagged));
        }
        csv.push('\n');
    }
    write_atomic(&dir.join(TEST_PREDICTIONS), csv.as_bytes())?;
    if let Some(t) = table {
        let mut part = vec![""; t.lines.len()];
        for (name, rows) in [
            ("train", &t.split.train),
            ("val", &t.split.val),
            ("test", &t.split.test),
        ] {
            for &r in rows.iter() {
                part[r] = name;
            }
        }
        let mut split = String::from("row,line,part\n");
        for (r, (line, p)) in t.lines.iter().zip(&part).enumerate() {
            let _ = writeln!(split, "{},{line},{p}", r + 1);
        }
        write_atomic(&dir.join(SPLIT), split.as_bytes())?;
    }

    if let Some(features) = files.test_features {
        let mut npy = Vec::new();
        features
            .write_npy(&mut npy)
            .map_err(|e| TrainError::InvalidState {
                reason: format!("writing {TEST_FEATURES}: {e}"),
            })?;
        write_atomic(&dir.join(TEST_FEATURES), &npy)?;
    }

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
            groups[k].map_or("none", Shot::name)
        );
    }
    write_atomic(&dir.join(TRAIN_BIN_COUNTS), bins_csv.as_bytes())?;
    // Last: a folder with metrics.json is a complete run.
    let metrics =
        serde_json::to_string_pretty(files.report).map_err(|e| TrainError::InvalidState {
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
    #[derive(serde::Deserialize)]
    struct Row {
        y: f64,
        pred: f64,
        bin: usize,
        shot: String,
    }
    read_csv(&dir.join(TEST_PREDICTIONS), |r: Row| {
        Ok(TestPrediction {
            y: r.y,
            pred: r.pred,
            bin: r.bin,
            shot: Shot::from_name(&r.shot).map_err(|e| e.to_string())?,
        })
    })
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
    #[derive(serde::Deserialize)]
    struct Row {
        bin: usize,
        centre: f64,
        count: usize,
        shot: String,
    }
    read_csv(&dir.join(TRAIN_BIN_COUNTS), |r: Row| {
        Ok(BinCount {
            bin: r.bin,
            centre: r.centre,
            count: r.count,
            shot: match r.shot.as_str() {
                "none" => None,
                other => Some(Shot::from_name(other).map_err(|e| e.to_string())?),
            },
        })
    })
}

/// Reads a CSV file with a header into rows of `R`, mapped by `f`; errors name the file and
/// the line.
fn read_csv<R: serde::de::DeserializeOwned, T>(
    path: &Path,
    f: impl Fn(R) -> Result<T, String>,
) -> Result<Vec<T>, TrainError> {
    let bad = |line: u64, what: String| TrainError::InvalidState {
        reason: format!("{} line {line}: {what}", path.display()),
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| TrainError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(e.position().map_or(0, |p| p.line()), e.to_string())),
        }
        let line = record.position().map_or(0, |p| p.line());
        let row: R = record
            .deserialize(Some(&headers))
            .map_err(|e| bad(line, e.to_string()))?;
        out.push(f(row).map_err(|what| bad(line, what))?);
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_and_bin_files_round_trip_and_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TEST_PREDICTIONS),
            "y,pred,bin,shot\n1.5,1.25,3,few\n2,2.5,4,many\n",
        )
        .unwrap();
        let p = read_test_predictions(dir.path()).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].y, p[0].pred, p[0].bin, p[0].shot),
            (1.5, 1.25, 3, Shot::Few)
        );
        std::fs::write(
            dir.path().join(TRAIN_BIN_COUNTS),
            "bin,centre,count,shot\n0,0.5,10,medium\n1,1.5,0,none\n",
        )
        .unwrap();
        let b = read_bin_counts(dir.path()).unwrap();
        assert_eq!(
            (b[0].count, b[0].shot, b[1].shot),
            (10, Some(Shot::Medium), None)
        );
        std::fs::write(
            dir.path().join(TEST_PREDICTIONS),
            "y,pred,bin,shot\n1,1,1,few\n1,x,1,few\n",
        )
        .unwrap();
        let e = read_test_predictions(dir.path()).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains(TEST_PREDICTIONS), "{e}");
        std::fs::write(
            dir.path().join(TEST_PREDICTIONS),
            "y,pred,bin,shot\n1,1,1,rare\n",
        )
        .unwrap();
        let e = read_test_predictions(dir.path()).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("rare"), "{e}");
    }
}
