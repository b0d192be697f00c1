//! The training loop as a type: [`Trainer`] holds the network, the optimiser, the batch
//! sampler and the method's components ([`crate::components`]), and advances one epoch per
//! [`Trainer::run_epoch`]; [`Trainer::finish`] restores the validation-best model and scores it.
//! [`run`] does all of it and writes the run folder.
//!
//! One epoch (full-batch mode: one iteration):
//! 1. the seeded permutation of the epoch ([`BatchSampler`]); per mini-batch: forward; the FDS
//!    calibration of the head input if FDS is on; the regression side writes ∂L_reg/∂ŷ; every
//!    representation component adds its weighted ∂L/∂h (SRL: paper Eq. 11); backward; optional
//!    clipping; optimiser step; components' after-step hooks (SRL memory accumulation, Balanced
//!    MSE's σ step). Every loss term and the gradient norm are checked: NaN/inf stops the run
//!    with [`TrainError::Diverged`] naming the epoch, step and term.
//! 2. if a component asks for it (FDS statistics, SRL's exact memory), one no-grad pass over
//!    the training set; the components' epoch-end hooks. A memory of bin centroids is kept for
//!    every method (SRL's own, or a monitor), so the geometry log is comparable across methods.
//! 3. every `eval_every` epochs: validation MAE; the best model (on validation only) is kept;
//!    with `optim.early_stopping = P` the run ends once P epochs passed without a new best.

use crate::components::{
    self, BuildContext, MethodComponent, MethodState, StepBatch, StepGrads, TrainPass,
};
use crate::config::{DataConfig, RunConfig, ValidRunConfig};
use crate::memory::{MemoryEstimate, DEFAULT_MEMORY_LIMIT};
use crate::model::TrainedModel;
use crate::report::{geometry_report, table_geometry, EpochLog, RunReport};
use crate::resume::{data_fingerprint, BestState, LossSums, ResumeState, RESUME_FORMAT};
use crate::{
    check_finite, clip_grad_norm, BatchBuffer, BatchMode, BatchSampler, Mlp, MlpConfig,
    MlpGradients, MlpWorkspace, Optimizer, TrainError,
};
use ndarray::{s, Array1, Array2};
use srl_data::{Benchmark, Part};
use srl_geometry::argmax::PackedPoints;
use srl_geometry::uniform_sphere_points;
use srl_surrogate::{MemoryParams, Surrogate, SurrogateConfig};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// ε of the tube coverage reported in logs and reports.
pub const COVERAGE_EPS: f64 = 0.5;
/// Number of uniform points used for the geometry metrics.
const GEOMETRY_POINTS: usize = 4000;

/// A trained model and its report.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The model kept (best validation MAE).
    pub model: TrainedModel,
    /// Metrics, geometry and timing.
    pub report: RunReport,
    /// The log lines, as written to `log.jsonl`.
    pub log: Vec<EpochLog>,
    /// Test predictions (target units) and representations of the kept model.
    pub test_predictions: Array1<f64>,
    /// See `test_predictions`.
    pub test_features: Array2<f64>,
}

/// Loads the data a configuration names (`data_dir` holds the dataset folders).
pub fn prepare_data(cfg: &DataConfig, data_dir: &Path) -> Result<Benchmark, TrainError> {
    match cfg {
        DataConfig::Benchmark { name, split_seed } => Ok(srl_data::load_benchmark(
            *name,
            &srl_data::LoadOptions {
                data_dir: data_dir.to_path_buf(),
                split_seed: *split_seed,
            },
        )?),
        DataConfig::Csv(table) => Ok(srl_data::table::prepare(table)?),
    }
}

/// A training run in progress.
pub struct Trainer<'a> {
    cfg: RunConfig,
    bench: &'a Benchmark,
    y_mean: f64,
    y_std: f64,
    train_x: Array2<f32>,
    train_y: Array1<f32>,
    val_x: Array2<f32>,
    bin_centres: Vec<f64>,
    mlp: Mlp<f32>,
    optimizer: Optimizer<f32>,
    /// Two-stage methods: epochs of encoder pre-training, and the head's own optimiser for the
    /// second stage (the encoder frozen).
    pretrain_epochs: usize,
    head_optimizer: Option<Optimizer<f32>>,
    grads: MlpGradients<f32>,
    ws: MlpWorkspace<f32>,
    sampler: BatchSampler,
    batch: BatchBuffer<f32>,
    batch_bins: Vec<usize>,
    grad_pred: Array1<f32>,
    grad_h: Array2<f32>,
    calib_scale: Array2<f32>,
    calib_shift: Array2<f32>,
    components: Vec<Box<dyn MethodComponent>>,
    /// Bin-centroid memory for the geometry log when no component keeps one.
    monitor: Option<Surrogate<f32>>,
    geometry_points: Array2<f64>,
    /// The same points packed once for the per-epoch geometry log.
    geometry_packed: PackedPoints<f64>,
    epoch: usize,
    step: usize,
    best: Option<BestState>,
    stopped_early: bool,
    log: Vec<EpochLog>,
    meter: LossSums,
    started: Instant,
    /// Seconds of earlier sessions of a resumed run.
    seconds_before: f64,
    train_seconds: f64,
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
        MemoryEstimate::of(cfg, bench).check(memory_limit)?;
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
        let optimizer = Optimizer::<f32>::new(cfg.optim.optimizer, mlp.num_parameters())?;
        let grads = mlp.gradients();

        let components = components::build(
            cfg.method_params(),
            &BuildContext {
                num_bins,
                dim,
                bin_centres: &bin_centres,
                train_bins: &bench.train.bins,
                train_y: train_y.view(),
                y_mean,
                y_std,
                seed: cfg.seed,
                epochs: cfg.optim.epochs,
            },
        )?;
        let pretrain_epochs = components
            .iter()
            .map(|c| c.pretrain_epochs())
            .max()
            .unwrap_or(0);
        let head_optimizer = if pretrain_epochs > 0 {
            Some(Optimizer::<f32>::new(
                cfg.optim.optimizer,
                mlp.head_parameter_range().len(),
            )?)
        } else {
            None
        };
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
        let geometry_points =
            uniform_sphere_points::<f64>(GEOMETRY_POINTS, dim, cfg.seed ^ 0x05EE_D6E0)?;

        let mode = match cfg.optim.batch_size {
            Some(b) if b < n => BatchMode::MiniBatch {
                batch_size: b,
                drop_last: false,
            },
            _ => BatchMode::Full,
        };
        let sampler = BatchSampler::new(n, mode, cfg.seed)?;
        let batch = sampler.batch_size();
        Ok(Trainer {
            cfg: RunConfig::clone(cfg),
            bench,
            y_mean,
            y_std,
            val_x: bench.val.x.mapv(|v| v as f32),
            train_x,
            train_y,
            bin_centres,
            ws: mlp.workspace(batch),
            mlp,
            optimizer,
            pretrain_epochs,
            head_optimizer,
            grads,
            sampler,
            batch: BatchBuffer::new(input_dim, batch),
            batch_bins: vec![0; batch],
            grad_pred: Array1::zeros(batch),
            grad_h: Array2::zeros((batch, dim)),
            calib_scale: Array2::zeros((batch, dim)),
            calib_shift: Array2::zeros((batch, dim)),
            components,
            monitor,
            geometry_packed: PackedPoints::new(geometry_points.view()),
            geometry_points,
            epoch: 0,
            step: 0,
            best: None,
            log: Vec::new(),
            stopped_early: false,
            meter: LossSums::default(),
            started,
            seconds_before: 0.0,
            train_seconds: 0.0,
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

    /// Seconds since the run started, earlier sessions of a resumed run included.
    fn seconds(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
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
            data: data_fingerprint(self.bench),
            epoch: self.epoch,
            step: self.step,
            parameters: self.mlp.flat_parameters().to_vec(),
            optimizer: self.optimizer.clone(),
            head_optimizer: self.head_optimizer.clone(),
            best: self.best.clone(),
            stopped_early: self.stopped_early,
            log: self.log.clone(),
            losses: self.meter.clone(),
            train_seconds: self.train_seconds,
            seconds: self.seconds(),
            components,
            monitor: self.monitor.clone(),
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

    fn restore(&mut self, state: ResumeState) -> Result<(), TrainError> {
        let bad = |reason: String| Err(TrainError::InvalidState { reason });
        let data = data_fingerprint(self.bench);
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
        state.optimizer.check_resumable(&self.optimizer)?;
        match (&state.head_optimizer, &self.head_optimizer) {
            (Some(saved), Some(fresh)) => saved.check_resumable(fresh)?,
            (None, None) => {}
            _ => return bad("saved head optimiser does not match the method".into()),
        }
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
        match (state.monitor, self.monitor.as_mut()) {
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
        self.optimizer = state.optimizer;
        self.head_optimizer = state.head_optimizer;
        self.epoch = state.epoch;
        self.step = state.step;
        self.best = state.best;
        self.stopped_early = state.stopped_early;
        self.log = state.log;
        self.meter = state.losses;
        self.train_seconds = state.train_seconds;
        self.seconds_before = state.seconds;
        self.started = Instant::now();
        Ok(())
    }

    /// Trains one epoch; returns the log line if the epoch ended with a validation pass.
    pub fn run_epoch(&mut self) -> Result<Option<EpochLog>, TrainError> {
        if self.is_done() {
            return Ok(None);
        }
        let epoch = self.epoch;
        let epoch_start = Instant::now();
        let lr = self.lr_at(epoch);
        for c in &mut self.components {
            c.start_epoch(epoch)?;
        }
        self.sampler.shuffle_for_epoch(epoch as u64);
        let num_batches = self.sampler.num_batches();
        for b in 0..num_batches {
            self.train_step(epoch, b, lr)?;
        }
        self.end_epoch(epoch)?;
        self.train_seconds += epoch_start.elapsed().as_secs_f64();
        self.epoch += 1;

        let last = self.epoch >= self.cfg.optim.epochs;
        if !(self.epoch.is_multiple_of(self.cfg.optim.eval_every) || last) {
            return Ok(None);
        }
        let line = self.validate(epoch, lr)?;
        self.log.push(line.clone());
        Ok(Some(line))
    }

    /// The learning rate of `epoch`. A two-stage method runs the schedule over each stage's
    /// own length (its progress through the stage mapped onto the configured length).
    fn lr_at(&self, epoch: usize) -> f64 {
        let (total, p) = (self.cfg.optim.epochs, self.pretrain_epochs);
        let base = self.cfg.optim.optimizer.lr();
        let schedule = &self.cfg.optim.schedule;
        if p == 0 {
            return schedule.lr_at(base, epoch);
        }
        let (t, len) = if epoch < p {
            (epoch, p)
        } else {
            (epoch - p, total - p)
        };
        schedule.lr_at(base, t * total / len.max(1))
    }

    /// Whether `epoch` trains the regression (not a pre-training epoch of a two-stage method).
    fn trains_regression(&self, epoch: usize) -> bool {
        epoch >= self.pretrain_epochs
    }

    /// One optimisation step on batch `b` of the epoch's permutation.
    fn train_step(&mut self, epoch: usize, b: usize, lr: f64) -> Result<(), TrainError> {
        let Trainer {
            sampler,
            batch,
            batch_bins,
            train_x,
            train_y,
            bench,
            mlp,
            ws,
            grads,
            grad_pred,
            grad_h,
            calib_scale,
            calib_shift,
            components,
            monitor,
            optimizer,
            head_optimizer,
            pretrain_epochs,
            meter,
            cfg,
            step,
            ..
        } = self;
        let pretraining = epoch < *pretrain_epochs;
        let size = sampler.batch_size();
        let order = sampler.order();
        let rows = &order[b * size..((b + 1) * size).min(order.len())];
        let m = rows.len();
        batch.gather(train_x.view(), train_y.view(), rows)?;
        for (dst, &r) in batch_bins.iter_mut().zip(rows) {
            *dst = bench.train.bins[r];
        }
        let bins = &batch_bins[..m];
        mlp.forward(batch.x(), ws)?;
        for c in components.iter() {
            let on = c.head_calibration(
                epoch,
                bins,
                calib_scale.slice_mut(s![..m, ..]),
                calib_shift.slice_mut(s![..m, ..]),
            )?;
            if on {
                mlp.calibrate_head_input(
                    ws,
                    calib_scale.slice(s![..m, ..]),
                    calib_shift.slice(s![..m, ..]),
                )?;
            }
        }

        grad_h.slice_mut(s![..m, ..]).fill(0.0);
        let mut total = 0.0;
        let mut features_touched = false;
        {
            let sb = step_batch(epoch, *step, rows, ws, batch, bins);
            for (i, c) in components.iter_mut().enumerate() {
                if i == 0 && pretraining {
                    // Two-stage pre-training: no regression loss, the head is not trained.
                    grad_pred.slice_mut(s![..m]).fill(0.0);
                    continue;
                }
                let mut g = StepGrads {
                    pred: grad_pred.slice_mut(s![..m]),
                    h: grad_h.slice_mut(s![..m, ..]),
                };
                let contribution = c.contribute(&sb, &mut g)?;
                for &(name, v) in contribution.terms.as_slice() {
                    if !v.is_finite() {
                        check_finite(epoch, *step, &term_label(name), v)?;
                    }
                    meter.add(name, v);
                }
                check_finite(epoch, *step, c.name(), contribution.total)?;
                total += contribution.total;
                features_touched |= i > 0 && !contribution.terms.is_empty();
            }
        }
        meter.total += total;
        meter.batches += 1;

        let grad_features = features_touched.then(|| grad_h.slice(s![..m, ..]));
        mlp.backward(ws, grad_pred.slice(s![..m]), grad_features, grads)?;
        let grad_norm = match cfg.optim.grad_clip {
            Some(c) => clip_grad_norm(grads.as_slice_mut(), c as f32)?,
            None => grads.as_slice().iter().map(|g| g * g).sum::<f32>().sqrt(),
        };
        check_finite(epoch, *step, "gradient norm", f64::from(grad_norm))?;
        match head_optimizer {
            // Second stage of a two-stage method: the encoder is frozen, the head trains.
            Some(head) if !pretraining => {
                let range = mlp.head_parameter_range();
                head.step(
                    &mut mlp.flat_parameters_mut()[range.clone()],
                    &grads.as_slice()[range],
                    lr as f32,
                )?;
            }
            _ => optimizer.step(mlp.flat_parameters_mut(), grads.as_slice(), lr as f32)?,
        }

        let sb = step_batch(epoch, *step, rows, ws, batch, bins);
        for c in components.iter_mut() {
            c.after_step(&sb, lr)?;
        }
        if let Some(memory) = monitor.as_mut() {
            memory.accumulate(sb.z, bins)?;
        }
        *step += 1;
        Ok(())
    }

    /// The epoch-end hooks (with one training pass if a component asks for it).
    fn end_epoch(&mut self, epoch: usize) -> Result<(), TrainError> {
        let needs_pass = self.components.iter().any(|c| c.needs_train_pass(epoch));
        let pass_h = if needs_pass {
            Some(self.mlp.predict_with_features(self.train_x.view())?.1)
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
        if let Some(memory) = self.monitor.as_mut() {
            memory.end_epoch()?;
        }
        Ok(())
    }

    /// Validation MAE, best-model bookkeeping and the log line of `epoch`.
    fn validate(&mut self, epoch: usize, lr: f64) -> Result<EpochLog, TrainError> {
        let val_pred = unscale(
            self.mlp.predict(self.val_x.view())?,
            self.y_mean,
            self.y_std,
        );
        let val_mae = selection_mae(&val_pred, &self.bench.val.y, &self.bench.val.out_of_range);
        check_finite(epoch, self.step, "validation MAE", val_mae)?;
        // A pre-training epoch's head is untrained: it is never selected.
        if self.trains_regression(epoch) && self.best.as_ref().is_none_or(|b| val_mae < b.val_mae) {
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
            .or(self.monitor.as_ref())
            .map(|m| m.memory().mapv(f64::from))
            .unwrap_or_else(|| Array2::zeros((self.bin_centres.len(), 1)));
        let (memory_z, _) = srl_geometry::normalize_rows(memory.view());
        let table = table_geometry(
            memory_z.view(),
            &self.bin_centres,
            &self.geometry_packed,
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
            seconds: self.seconds(),
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
                self.y_mean,
                self.y_std,
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
        let seconds_total = self.seconds();
        let model = TrainedModel::new(
            self.cfg.clone(),
            bench.name.clone(),
            self.mlp,
            self.y_mean,
            self.y_std,
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
            &self.bin_centres,
            &bench.few_shot_bins(),
            test_h.view(),
            self.geometry_points.view(),
            COVERAGE_EPS,
        );
        let epochs_run = self.epoch.max(1);
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
            seconds_per_epoch: self.train_seconds / epochs_run as f64,
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

/// What the components see of the current step: the batch's rows, representation,
/// predictions, targets and bins (after the forward pass).
fn step_batch<'b>(
    epoch: usize,
    step: usize,
    rows: &'b [usize],
    ws: &'b MlpWorkspace<f32>,
    batch: &'b BatchBuffer<f32>,
    bins: &'b [usize],
) -> StepBatch<'b> {
    StepBatch {
        epoch,
        step,
        rows,
        h: ws.features(),
        z: ws.normalized_features(),
        pred: ws.predictions(),
        y: batch.y(),
        bins,
    }
}

/// The name of a logged term in a divergence error.
fn term_label(name: &str) -> String {
    match name {
        "reg" => "regression loss".into(),
        "envelope" => "enveloping loss".into(),
        "homogeneity" => "homogeneity loss".into(),
        "contrastive" => "contrastive loss".into(),
        other => format!("{other} loss"),
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
