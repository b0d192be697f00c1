//! A whole run: [`run`] and [`run_with`] drive a [`Trainer`] to the end, write its best-so-far
//! checkpoints and resume state while it trains, and the run folder ([`crate::run_folder`]) at
//! the end; [`prepare_data`] loads what a configuration names, [`evaluate`] scores a model.

use crate::config::{DataConfig, ValidRunConfig};
use crate::memory::DEFAULT_MEMORY_LIMIT;
use crate::model::TrainedModel;
use crate::report::{EpochLog, RunOutcome};
use crate::resume::ResumeState;
use crate::{TrainError, Trainer};
use srl_data::Benchmark;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Loads the data a configuration names (`data_dir` holds the dataset folders).
pub fn prepare_data(cfg: &DataConfig, data_dir: &Path) -> Result<Benchmark, TrainError> {
    match cfg {
        DataConfig::Benchmark {
            name,
            split_seed,
            protocol,
        } => Ok(srl_data::load_benchmark_with(
            *name,
            &srl_data::LoadOptions {
                data_dir: data_dir.to_path_buf(),
                split_seed: *split_seed,
            },
            protocol,
        )?),
        DataConfig::Csv(table) => Ok(srl_data::table::prepare(table)?),
    }
}

/// Trains one model as `cfg` says on `bench`, keeps the best-validation model, reports test
/// metrics. With `out_dir`, writes the run folder ([`crate::run_folder`]). `observer` sees
/// every log line as it is produced. See [`run_with`] for resuming and stopping.
pub fn run(
    cfg: &ValidRunConfig,
    bench: &Benchmark,
    out_dir: Option<&Path>,
    observer: &mut dyn FnMut(&EpochLog),
) -> Result<RunOutcome, TrainError> {
    run_with(
        cfg,
        bench,
        &RunControl {
            out_dir,
            ..RunControl::default()
        },
        observer,
    )
}

/// Where a run writes, and how it can be continued or stopped.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunControl<'a> {
    /// The run folder. During training it receives, every 1/[`CHECKPOINTS_PER_RUN`] of the
    /// epochs, the best model so far (`model.json`) and the resume state (`resume.json`); at
    /// the end every file of the run, and `resume.json` is removed.
    pub out_dir: Option<&'a Path>,
    /// Continue the interrupted run in `out_dir` (its `resume.json`) instead of starting.
    pub resume: bool,
    /// Checked after every epoch: once set (e.g. by a SIGINT handler), the run saves its
    /// resume state and best model and returns [`TrainError::Interrupted`].
    pub stop: Option<&'a AtomicBool>,
    /// The limit (bytes) of the run's memory estimate; `None`: [`DEFAULT_MEMORY_LIMIT`].
    pub memory_limit: Option<f64>,
}

/// [`run`] with a [`RunControl`]: resumable, stoppable. A resumed run ends with the same
/// model, predictions and metrics (timings aside) as an uninterrupted one.
pub fn run_with(
    cfg: &ValidRunConfig,
    bench: &Benchmark,
    control: &RunControl<'_>,
    observer: &mut dyn FnMut(&EpochLog),
) -> Result<RunOutcome, TrainError> {
    let out_dir = control.out_dir;
    let limit = control.memory_limit.unwrap_or(DEFAULT_MEMORY_LIMIT);
    let mut trainer = match (control.resume, out_dir) {
        (true, Some(dir)) => {
            let state = ResumeState::load(&dir.join(crate::run_folder::RESUME))?;
            if state.config != cfg.to_toml_string()? {
                return Err(TrainError::InvalidState {
                    reason: format!(
                        "{} was saved with another configuration than this run's",
                        dir.join(crate::run_folder::RESUME).display()
                    ),
                });
            }
            let mut t = Trainer::with_memory_limit(cfg, bench, limit)?;
            t.restore(state)?;
            t
        }
        (true, None) => {
            return Err(TrainError::InvalidConfig {
                field: "out",
                reason: "resuming needs the run folder".into(),
            })
        }
        (false, _) => Trainer::with_memory_limit(cfg, bench, limit)?,
    };
    let every = (cfg.optim.epochs / CHECKPOINTS_PER_RUN).max(1);
    let mut saved_best = None;
    while !trainer.is_done() {
        if let Some(line) = trainer.run_epoch()? {
            observer(&line);
        }
        let stop = control.stop.is_some_and(|s| s.load(Ordering::SeqCst));
        let Some(dir) = out_dir else {
            if stop {
                return Err(TrainError::Interrupted {
                    epoch: trainer.epoch(),
                    dir: None,
                });
            }
            continue;
        };
        if stop || (trainer.epoch() % every == 0 && !trainer.is_done()) {
            if trainer.best_epoch() != saved_best {
                if let Some(model) = trainer.best_model() {
                    model.save(&dir.join(crate::run_folder::MODEL))?;
                    saved_best = trainer.best_epoch();
                }
            }
            trainer
                .resume_state()?
                .save(&dir.join(crate::run_folder::RESUME))?;
        }
        if stop {
            return Err(TrainError::Interrupted {
                epoch: trainer.epoch(),
                dir: Some(dir.to_path_buf()),
            });
        }
    }
    let outcome = trainer.finish()?;
    if let Some(dir) = out_dir {
        crate::run_folder::write_run(dir, cfg, bench, &outcome)?;
        let resume = dir.join(crate::run_folder::RESUME);
        if resume.exists() {
            std::fs::remove_file(&resume).map_err(|e| TrainError::Io {
                path: resume,
                reason: e.to_string(),
            })?;
        }
    }
    Ok(outcome)
}

/// How many best-so-far checkpoints [`run`] writes at most over a run.
pub const CHECKPOINTS_PER_RUN: usize = 20;

/// Evaluates a model on a benchmark's test part, per shot group.
pub fn evaluate(
    model: &TrainedModel,
    bench: &Benchmark,
) -> Result<srl_data::metrics::ShotMetrics, TrainError> {
    let (pred, _) = model.predict_with_features(bench.test.x.view())?;
    Ok(srl_data::metrics::evaluate(
        &pred.to_vec(),
        &bench.test.y.to_vec(),
        &bench.test.shots,
    )?)
}
