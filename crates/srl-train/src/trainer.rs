//! The training loop as a type: [`Trainer`] holds the network, the optimisers, the batch
//! sampler and the method's components ([`crate::components`]), and advances one epoch per
//! [`Trainer::run_epoch`]; [`Trainer::finish`] restores the validation-best model and scores it.
//! [`crate::run()`] drives it and writes the run folder.
//!
//! One epoch (full-batch mode: one iteration):
//! 1. the epoch's stage and learning rate ([`crate::stage`]); the seeded permutation of the
//!    epoch ([`BatchSampler`]); one optimisation step per mini-batch (`step.rs`).
//! 2. if a component asks for it (FDS statistics, SRL's exact memory), one no-grad pass over
//!    the training set; the components' epoch-end hooks. A memory of bin centroids is kept for
//!    every method (SRL's own, or a monitor), so the geometry log is comparable across methods.
//! 3. every `eval_every` epochs: validation MAE; the best model (on validation only, never a
//!    pre-training epoch's) is kept; with `optim.early_stopping = P` the run ends once P epochs
//!    passed without a new best.

use crate::components::{BuildContext, MethodComponent, MethodState, TrainPass};
use crate::config::{RunConfig, ValidRunConfig};
use crate::memory::{MemoryEstimate, DEFAULT_MEMORY_LIMIT};
use crate::model::TrainedModel;
use crate::report::{geometry_report, table_geometry, EpochLog, RunOutcome, RunReport};
use crate::resume::{data_fingerprint, BestState, LossSums, ResumeState, RESUME_FORMAT};
use crate::stage::{Optimizers, Stage, Stages};
use crate::step::{StepAt, StepBuffers, TrainSet};
use crate::{check_finite, BatchMode, BatchSampler, Mlp, MlpConfig, TrainError};
use ndarray::{Array1, Array2};
use srl_data::{Benchmark, Part};
use srl_geometry::argmax::PackedPoints;
use srl_geometry::uniform_sphere_points;
use srl_surrogate::{MemoryParams, Surrogate, SurrogateConfig};
use std::borrow::Cow;
use std::time::Instant;

/// ε of the tube coverage reported in logs and reports.
pub const COVERAGE_EPS: f64 = 0.5;
/// Number of uniform points used for the geometry metrics.
const GEOMETRY_POINTS: usize = 4000;

/// The data as trained on: f32 inputs, the target scaled to (y − mean)/std.
struct TrainData {
    train_x: Array2<f32>,
    train_y: Array1<f32>,
    val_x: Array2<f32>,
    y_mean: f64,
    y_std: f64,
}

/// The geometry log's inputs: the bin-centroid memory when no component keeps one, the bin
/// centres and the uniform points, drawn once, packed once.
struct GeometryLog {
    monitor: Option<Surrogate<f32>>,
    bin_centres: Vec<f64>,
    points: Array2<f64>,
    packed: PackedPoints<f64>,
}

/// Wall-clock time of a run, earlier sessions of a resumed run included.
struct Clock {
    started: Instant,
    /// Seconds of earlier sessions of a resumed run.
    before: f64,
    /// Seconds spent in training epochs (validation and logging excluded).
    training: f64,
}

impl Clock {
    fn seconds(&self) -> f64 {
        self.before + self.started.elapsed().as_secs_f64()
    }
}

/// A training run in progress.
pub struct Trainer<'a> {
    cfg: RunConfig,
    /// The benchmark trained on: the caller's, or a copy with the training part resampled
    /// when the method has a resampler ([`crate::resample`]).
    bench: Cow<'a, Benchmark>,
    data: TrainData,
    mlp: Mlp<f32>,
    stages: Stages,
    optimizers: Optimizers,
    sampler: BatchSampler,
    buffers: StepBuffers,
    components: Vec<Box<dyn MethodComponent>>,
    geometry: GeometryLog,
    epoch: usize,
    step: usize,
    best: Option<BestState>,
    stopped_early: bool,
    log: Vec<EpochLog>,
    meter: LossSums,
    clock: Clock,
}

impl<'a> Trainer<'a> {
    /// Validates `cfg` against `bench` and builds the network, optimiser and components, after
    /// checking the run's memory estimate against [`DEFAULT_MEMORY_LIMIT`].
    pub fn new(cfg: &ValidRunConfig, bench: &'a Benchmark) -> Result<Self, TrainError> {
        Self::with_memory_limit(cfg, bench, DEFAULT_MEMORY_LIMIT)
    }

    /// [`Trainer::new`] with another memory limit (bytes) for the estimate
    /// ([`MemoryEstimate`]).
    pub fn with_memory_limit(
        cfg: &ValidRunConfig,
        bench: &'a Benchmark,
        memory_limit: f64,
    ) -> Result<Self, TrainError> {
        Self::build(cfg, bench, memory_limit, None)
    }

    /// [`Trainer::with_memory_limit`] with a weight for every row of the training part
    /// (`bench.train`, in its order): each row's term of the regression loss is multiplied by
    /// its weight — on top of the method's DIR re-weighting (INV/SQINV/LDS), the product
    /// rescaled to mean 1. The weights are rescaled to mean 1 first (only their ratios count),
    /// and equal weights train exactly as no weights. They weigh nothing else: the
    /// representation terms (SRL, RankSim, …), the bins, the FDS statistics and the
    /// validation MAE that selects the model are unweighted.
    ///
    /// Errors: a length other than the training part's, a negative or non-finite weight, all
    /// weights zero, or a Balanced MSE method (its loss has no per-row terms to weigh). A run
    /// with weights is not resumable by [`Trainer::resume`] (the resume state does not hold
    /// them).
    pub fn with_sample_weights(
        cfg: &ValidRunConfig,
        bench: &'a Benchmark,
        memory_limit: f64,
        weights: &[f64],
    ) -> Result<Self, TrainError> {
        let n = bench.train.len();
        if weights.len() != n {
            return Err(TrainError::ShapeMismatch {
                what: "sample weights (one per training row)",
                expected: n,
                got: weights.len(),
            });
        }
        if let Some((i, w)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(TrainError::InvalidConfig {
                field: "sample_weight",
                reason: format!("weight {i} is {w}; weights must be finite and ≥ 0"),
            });
        }
        let sum: f64 = weights.iter().sum();
        if !(sum > 0.0 && sum.is_finite()) {
            return Err(TrainError::InvalidConfig {
                field: "sample_weight",
                reason: "all training rows have zero weight (or the weights' sum overflows)".into(),
            });
        }
        if weights.iter().all(|&w| w == weights[0]) {
            return Self::build(cfg, bench, memory_limit, None);
        }
        let mean = sum / n as f64;
        let scaled: Vec<f64> = weights.iter().map(|w| w / mean).collect();
        Self::build(cfg, bench, memory_limit, Some(&scaled))
    }

    fn build(
        cfg: &ValidRunConfig,
        bench: &'a Benchmark,
        memory_limit: f64,
        train_weights: Option<&[f64]>,
    ) -> Result<Self, TrainError> {
        // A resampler replaces the training rows before anything reads them (seeded by the
        // run's seed, so a resumed run recomputes the same rows).
        let bench: Cow<'a, Benchmark> = match &cfg.method_params().resample {
            None => Cow::Borrowed(bench),
            Some(_) if train_weights.is_some() => {
                return Err(TrainError::InvalidConfig {
                    field: "sample_weight",
                    reason: "sample weights are given per training row, and a resampler \
                             changes the training rows: train without one of them"
                        .into(),
                })
            }
            Some(spec) => Cow::Owned(crate::resample::resample_training_part(
                bench, spec, cfg.seed,
            )?),
        };
        MemoryEstimate::of(cfg, &bench).check(memory_limit)?;
        for (what, part) in [
            ("train part", &bench.train),
            ("validation part", &bench.val),
            ("test part", &bench.test),
        ] {
            if part.is_empty() {
                return Err(TrainError::Empty { what });
            }
        }
        let started = Instant::now();
        let (y_mean, y_std) = if cfg.model.standardize_target {
            target_stats(&bench.train.y)
        } else {
            (0.0, 1.0)
        };
        let (train_x, train_y) = scaled(&bench.train, y_mean, y_std);
        let n = train_x.nrows();
        let input_dim = train_x.ncols();
        let num_bins = bench.binning.num_bins();
        let bin_centres = bench.binning.centres();

        let (hidden, feature) = cfg.model.hidden.split_at(cfg.model.hidden.len() - 1);
        let mlp_config = MlpConfig::new(input_dim, hidden.to_vec())
            .with_feature_dim(feature[0])
            .with_feature_activation(cfg.model.feature_activation)
            .with_head_input(cfg.model.head_input);
        let mlp = Mlp::<f32>::new(&mlp_config, cfg.seed)?;
        let dim = mlp.representation_dim();

        let components = cfg.method_params().build(&BuildContext {
            num_bins,
            dim,
            bin_centres: &bin_centres,
            train_bins: &bench.train.bins,
            train_weights,
            train_y: train_y.view(),
            train_targets: &bench.train.y.to_vec(),
            y_mean,
            y_std,
            seed: cfg.seed,
            epochs: cfg.optim.epochs,
        })?;
        let pretrain = components.iter().map(|c| c.pretrain_epochs()).max();
        let stages = Stages::new(pretrain.unwrap_or(0), cfg.optim.epochs);
        let optimizers = Optimizers::new(cfg.optimizer(), &mlp, &stages);
        let monitor = if components.iter().any(|c| c.memory().is_some()) {
            None
        } else {
            Some(Surrogate::new(SurrogateConfig::with_params(
                num_bins,
                dim,
                MemoryParams {
                    warmup_epochs: 0,
                    ..MemoryParams::default()
                },
            ))?)
        };
        let points = uniform_sphere_points::<f64>(GEOMETRY_POINTS, dim, cfg.seed ^ 0x05EE_D6E0)?;

        let mode = match cfg.optim.batch_size {
            Some(b) if b < n => BatchMode::MiniBatch {
                batch_size: b,
                drop_last: false,
            },
            _ => BatchMode::Full,
        };
        let sampler = BatchSampler::new(n, mode, cfg.seed)?;
        let val_x = bench.val.x.mapv(|v| v as f32);
        Ok(Trainer {
            cfg: RunConfig::clone(cfg),
            bench,
            data: TrainData {
                val_x,
                train_x,
                train_y,
                y_mean,
                y_std,
            },
            buffers: StepBuffers::new(&mlp, input_dim, sampler.batch_size()),
            mlp,
            stages,
            optimizers,
            sampler,
            components,
            geometry: GeometryLog {
                monitor,
                bin_centres,
                packed: PackedPoints::new(points.view()),
                points,
            },
            epoch: 0,
            step: 0,
            best: None,
            log: Vec::new(),
            stopped_early: false,
            meter: LossSums::default(),
            clock: Clock {
                started,
                before: 0.0,
                training: 0.0,
            },
        })
    }

    /// Epochs completed so far.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Whether every configured epoch has run, or early stopping ended the run.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.cfg.optim.epochs || self.stopped_early
    }

    /// Whether early stopping ended the run (validation MAE did not improve for
    /// `optim.early_stopping` epochs).
    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }

    /// The network as it is now.
    pub fn mlp(&self) -> &Mlp<f32> {
        &self.mlp
    }

    /// The whole state between two epochs ([`crate::resume`]): restoring it into a fresh
    /// trainer of the same configuration and data continues the run bit for bit.
    pub fn resume_state(&self) -> Result<ResumeState, TrainError> {
        let mut components = Vec::with_capacity(self.components.len());
        for c in &self.components {
            components.push((c.name().to_string(), c.resume_state()?));
        }
        Ok(ResumeState {
            format: RESUME_FORMAT,
            config: self.cfg.to_toml_string()?,
            data: data_fingerprint(&self.bench),
            epoch: self.epoch,
            step: self.step,
            parameters: self.mlp.flat_parameters().to_vec(),
            optimizer: self.optimizers.whole.clone(),
            head_optimizer: self.optimizers.head.clone(),
            best: self.best.clone(),
            stopped_early: self.stopped_early,
            log: self.log.clone(),
            losses: self.meter.clone(),
            train_seconds: self.clock.training,
            seconds: self.clock.seconds(),
            components,
            monitor: self.geometry.monitor.clone(),
        })
    }

    /// A trainer for the run `state` was saved from, continued where it stopped. The
    /// configuration comes from the state; `bench` must be the data it trained on (checked by
    /// its fingerprint), and everything restored is checked against what a fresh start builds.
    pub fn resume(state: ResumeState, bench: &'a Benchmark) -> Result<Self, TrainError> {
        let cfg = RunConfig::from_toml_str(&state.config)?.check()?;
        let mut t = Trainer::new(&cfg, bench)?;
        t.restore(state)?;
        Ok(t)
    }

    pub(crate) fn restore(&mut self, state: ResumeState) -> Result<(), TrainError> {
        let bad = |reason: String| Err(TrainError::InvalidState { reason });
        let data = data_fingerprint(&self.bench);
        if state.data != data {
            return bad(format!(
                "the saved run trained on other data ({} / {} / {} rows, hash {:016x}) than \
                 this ({} / {} / {} rows, hash {:016x})",
                state.data.train,
                state.data.val,
                state.data.test,
                state.data.hash,
                data.train,
                data.val,
                data.test,
                data.hash
            ));
        }
        if state.epoch > self.cfg.optim.epochs {
            return bad(format!(
                "saved at epoch {} of a run of {} epochs",
                state.epoch, self.cfg.optim.epochs
            ));
        }
        let n = self.mlp.num_parameters();
        if state.parameters.len() != n
            || state.best.as_ref().is_some_and(|b| b.parameters.len() != n)
        {
            return bad(format!(
                "saved parameters do not fit the network of {n} parameters"
            ));
        }
        if state.parameters.iter().any(|v| !v.is_finite()) {
            return bad("saved parameters hold a non-finite value".into());
        }
        let optimizers = Optimizers {
            whole: state.optimizer,
            head: state.head_optimizer,
        };
        optimizers.check_resumable(&self.optimizers)?;
        if state.components.len() != self.components.len() {
            return bad(format!(
                "{} saved method components, the method has {}",
                state.components.len(),
                self.components.len()
            ));
        }
        for (c, (name, value)) in self.components.iter_mut().zip(state.components) {
            if name != c.name() {
                return bad(format!(
                    "saved component `{name}` where the method has `{}`",
                    c.name()
                ));
            }
            c.restore_state(value)?;
        }
        match (state.monitor, self.geometry.monitor.as_mut()) {
            (Some(saved), Some(fresh)) => {
                saved.check_state()?;
                if saved.config() != fresh.config() {
                    return bad("saved monitor memory has other settings".into());
                }
                *fresh = saved;
            }
            (None, None) => {}
            _ => return bad("saved monitor memory does not match the method".into()),
        }
        self.mlp
            .flat_parameters_mut()
            .copy_from_slice(&state.parameters);
        self.optimizers = optimizers;
        self.epoch = state.epoch;
        self.step = state.step;
        self.best = state.best;
        self.stopped_early = state.stopped_early;
        self.log = state.log;
        self.meter = state.losses;
        self.clock = Clock {
            started: Instant::now(),
            before: state.seconds,
            training: state.train_seconds,
        };
        Ok(())
    }

    /// Trains one epoch; returns the log line if the epoch ended with a validation pass.
    pub fn run_epoch(&mut self) -> Result<Option<EpochLog>, TrainError> {
        if self.is_done() {
            return Ok(None);
        }
        let epoch = self.epoch;
        let epoch_start = Instant::now();
        let stage = self.stages.stage(epoch);
        let optim = &self.cfg.optim;
        let lr = self
            .stages
            .lr_at(&optim.schedule, optim.optimizer.lr(), epoch);
        for c in &mut self.components {
            c.start_epoch(epoch)?;
        }
        self.sampler.shuffle_for_epoch(epoch as u64);
        let train = TrainSet {
            x: self.data.train_x.view(),
            y: self.data.train_y.view(),
            bins: &self.bench.train.bins,
        };
        let size = self.sampler.batch_size();
        for rows in self
            .sampler
            .order()
            .chunks(size)
            .take(self.sampler.num_batches())
        {
            let at = StepAt {
                epoch,
                step: self.step,
                stage,
                lr,
                rows,
                grad_clip: optim.grad_clip,
            };
            self.buffers.step(
                &at,
                &train,
                &mut self.mlp,
                &mut self.components,
                &mut self.optimizers,
                self.geometry.monitor.as_mut(),
                &mut self.meter,
            )?;
            self.step += 1;
        }
        self.end_epoch(epoch)?;
        self.clock.training += epoch_start.elapsed().as_secs_f64();
        self.epoch += 1;

        let last = self.epoch >= self.cfg.optim.epochs;
        if !(self.epoch.is_multiple_of(self.cfg.optim.eval_every) || last) {
            return Ok(None);
        }
        let line = self.validate(epoch, lr)?;
        self.log.push(line.clone());
        Ok(Some(line))
    }

    /// The epoch-end hooks (with one training pass if a component asks for it).
    fn end_epoch(&mut self, epoch: usize) -> Result<(), TrainError> {
        let needs_pass = self.components.iter().any(|c| c.needs_train_pass(epoch));
        let pass_h = if needs_pass {
            Some(self.mlp.predict_with_features(self.data.train_x.view())?.1)
        } else {
            None
        };
        let pass = pass_h.as_ref().map(|h| TrainPass {
            h: h.view(),
            bins: &self.bench.train.bins,
        });
        for c in &mut self.components {
            c.end_epoch(epoch, pass.as_ref())?;
        }
        if let Some(memory) = self.geometry.monitor.as_mut() {
            memory.end_epoch()?;
        }
        Ok(())
    }

    /// Validation MAE, best-model bookkeeping and the log line of `epoch`.
    fn validate(&mut self, epoch: usize, lr: f64) -> Result<EpochLog, TrainError> {
        let val_pred = unscale(
            self.mlp.predict(self.data.val_x.view())?,
            self.data.y_mean,
            self.data.y_std,
        );
        let val_mae = selection_mae(&val_pred, &self.bench.val.y, &self.bench.val.out_of_range);
        check_finite(epoch, self.step, "validation MAE", val_mae)?;
        // A pre-training epoch's head is untrained: it is never selected.
        if self.stages.stage(epoch) == Stage::Regression
            && self.best.as_ref().is_none_or(|b| val_mae < b.val_mae)
        {
            self.best = Some(BestState {
                val_mae,
                epoch,
                parameters: self.mlp.flat_parameters().to_vec(),
            });
        }
        if let (Some(patience), Some(best)) = (self.cfg.optim.early_stopping, &self.best) {
            if epoch - best.epoch >= patience {
                self.stopped_early = true;
            }
        }
        let memory = self
            .components
            .iter()
            .find_map(|c| c.memory())
            .or(self.geometry.monitor.as_ref())
            .map(|m| m.memory().mapv(f64::from))
            .unwrap_or_else(|| Array2::zeros((self.geometry.bin_centres.len(), 1)));
        let (memory_z, _) = srl_geometry::normalize_rows(memory.view());
        let table = table_geometry(
            memory_z.view(),
            &self.geometry.bin_centres,
            &self.geometry.packed,
            COVERAGE_EPS,
        );
        let meter = std::mem::take(&mut self.meter);
        let srl_terms = ["reg", "envelope", "homogeneity", "contrastive"];
        Ok(EpochLog {
            epoch,
            step: self.step,
            lr,
            train_loss: if meter.batches == 0 {
                0.0
            } else {
                meter.total / meter.batches as f64
            },
            reg: meter.mean_of("reg"),
            envelope: meter.mean_of("envelope"),
            homogeneity: meter.mean_of("homogeneity"),
            contrastive: meter.mean_of("contrastive"),
            terms: meter
                .terms
                .keys()
                .filter(|k| !srl_terms.contains(&k.as_str()))
                .map(|k| (k.to_string(), meter.mean_of(k)))
                .collect(),
            val_mae,
            coverage: table.coverage,
            soft_coverage: table.soft_coverage,
            speed_cv: table.speed_cv,
            arc_length: table.arc_length,
            seconds: self.clock.seconds(),
            total_epochs: self.cfg.optim.epochs,
        })
    }

    /// Restores the validation-best model and scores it on validation and test.
    /// The validation-best model so far (`None` before the first validation of a trained
    /// head), with the method's current state — what an interrupted run keeps.
    pub fn best_model(&self) -> Option<TrainedModel> {
        let best = self.best.as_ref()?;
        let mut mlp = self.mlp.clone();
        mlp.flat_parameters_mut().copy_from_slice(&best.parameters);
        let mut state = MethodState::default();
        for c in &self.components {
            c.save_state(&mut state);
        }
        Some(
            TrainedModel::new(
                self.cfg.clone(),
                self.bench.name.clone(),
                mlp,
                self.data.y_mean,
                self.data.y_std,
            )
            .with_method_state(state)
            .with_input(
                self.bench
                    .table
                    .as_ref()
                    .map(|t| t.model_input(&self.bench.binning)),
            ),
        )
    }

    /// Epoch of the validation-best model so far.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.as_ref().map(|b| b.epoch)
    }

    pub fn finish(mut self) -> Result<RunOutcome, TrainError> {
        let best = self.best.take().ok_or(TrainError::Empty {
            what: "validation evaluations",
        })?;
        self.mlp
            .flat_parameters_mut()
            .copy_from_slice(&best.parameters);
        let mut state = MethodState::default();
        for c in &self.components {
            c.save_state(&mut state);
        }
        let bench = self.bench;
        let seconds_total = self.clock.seconds();
        let model = TrainedModel::new(
            self.cfg.clone(),
            bench.name.clone(),
            self.mlp,
            self.data.y_mean,
            self.data.y_std,
        )
        .with_method_state(state)
        .with_input(bench.table.as_ref().map(|t| t.model_input(&bench.binning)));

        let (val_pred, _) = model.predict_with_features(bench.val.x.view())?;
        let (test_pred, test_h) = model.predict_with_features(bench.test.x.view())?;
        let (_, train_h) = model.predict_with_features(bench.train.x.view())?;
        let val = srl_data::metrics::evaluate(
            &val_pred.to_vec(),
            &bench.val.y.to_vec(),
            &bench.val.shots,
        )?;
        let test = srl_data::metrics::evaluate(
            &test_pred.to_vec(),
            &bench.test.y.to_vec(),
            &bench.test.shots,
        )?;
        let geometry = geometry_report(
            train_h.view(),
            &bench.train.bins,
            &self.geometry.bin_centres,
            &bench.few_shot_bins(),
            test_h.view(),
            self.geometry.points.view(),
            COVERAGE_EPS,
        );
        let epochs_run = self.epoch.max(1);
        let relevance =
            crate::report::RelevanceReport::of(&bench, &val_pred.to_vec(), &test_pred.to_vec())?;
        let report = RunReport {
            benchmark: bench.name.clone(),
            method: self.cfg.method_name(),
            seed: self.cfg.seed,
            best_epoch: best.epoch,
            epochs_run: self.epoch,
            val,
            test,
            geometry,
            seconds_total,
            seconds_per_epoch: self.clock.training / epochs_run as f64,
            relevance,
            protocol: crate::report::ProtocolReport::of(&bench, &test_pred.to_vec()),
        };
        Ok(RunOutcome {
            model,
            report,
            log: self.log,
            test_predictions: test_pred,
            test_features: test_h,
        })
    }
}

/// f32 copies of a part's inputs and targets, the target as trained on.
fn scaled(part: &Part, y_mean: f64, y_std: f64) -> (Array2<f32>, Array1<f32>) {
    (
        part.x.mapv(|v| v as f32),
        part.y.mapv(|v| ((v - y_mean) / y_std) as f32),
    )
}

fn target_stats(y: &Array1<f64>) -> (f64, f64) {
    let mean = y.mean().unwrap_or(0.0);
    let std = y.std(0.0);
    (
        mean,
        if std > 0.0 && std.is_finite() {
            std
        } else {
            1.0
        },
    )
}

fn unscale(pred: Array1<f32>, mean: f64, std: f64) -> Array1<f64> {
    pred.mapv(|p| f64::from(p) * std + mean)
}

/// The validation MAE early stopping and the kept epoch follow: over the rows whose inputs lie
/// inside the training range (all rows when every row is flagged), so one far-off row cannot
/// decide which epoch is kept.
fn selection_mae(pred: &Array1<f64>, y: &Array1<f64>, flagged: &[bool]) -> f64 {
    let inside = flagged.iter().filter(|&&f| !f).count();
    if flagged.len() != y.len() || inside == y.len() || inside == 0 {
        return mean_abs_diff(pred, y);
    }
    let sum: f64 = pred
        .iter()
        .zip(y)
        .zip(flagged)
        .filter(|(_, &f)| !f)
        .map(|((p, t), _)| (p - t).abs())
        .sum();
    sum / inside as f64
}

fn mean_abs_diff(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    a.iter().zip(b).map(|(p, y)| (p - y).abs()).sum::<f64>() / a.len().max(1) as f64
}
