//! The training loop that combines everything: MLP encoder, regression loss, the SRL objective
//! on the surrogate table (paper Eq. 11), memory updates, validation-based model selection and
//! the test report.
//!
//! One epoch (full-batch mode: one iteration):
//! 1. shuffle (seeded), and for each mini-batch: forward; ∂L_reg/∂ŷ; if SRL is active,
//!    ∂(λ_e·L_env + λ_h·L_homo + λ_c·L_con)/∂h from [`SrlObjective`]; backward; optional
//!    clipping; optimiser step. Every loss value is checked: NaN/inf stops the run with
//!    [`TrainError::Diverged`] naming the epoch, step and term.
//! 2. memory update: the epoch's batch features (streaming) or a full no-grad pass (exact),
//!    then S ← αS + (1−α)Ŝ. The memory is kept for vanilla runs too, to log the same geometry.
//! 3. every `eval_every` epochs: validation MAE; the best model (on validation only) is kept.
//!
//! At the end the kept model is evaluated on the test part per shot group.

use crate::config::{DataConfig, MethodConfig, RunConfig};
use crate::model::TrainedModel;
use crate::report::{geometry_report, table_geometry, EpochLog, RunReport};
use crate::{check_finite, clip_grad_norm, Mlp, MlpConfig, Optimizer, TrainError};
use ndarray::{s, Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use srl_data::{Benchmark, Part};
use srl_geometry::{normalize_rows_into, uniform_sphere_points};
use srl_losses::objective::{SrlConfig, SrlObjective};
use srl_surrogate::{MemoryUpdate, Surrogate, SurrogateConfig};
use std::path::Path;
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
}

/// Loads the data a configuration names (`data_dir` holds the dataset folders).
pub fn prepare_data(cfg: &DataConfig, data_dir: &Path) -> Result<Benchmark, TrainError> {
    match cfg {
        DataConfig::Benchmark { name, split_seed } => Ok(srl_data::load_benchmark(
            name,
            &srl_data::LoadOptions {
                data_dir: data_dir.to_path_buf(),
                split_seed: *split_seed,
            },
        )?),
        DataConfig::Csv {
            path,
            target,
            bin_width,
            num_bins,
            val_test_cap,
            split_seed,
        } => {
            let table = srl_data::tabular::read_csv_with_target(path, target)?;
            let y = table.targets.to_vec();
            let binning = match (bin_width, num_bins) {
                (Some(w), _) => srl_data::Binning::fit_fixed_width(&y, *w)?,
                (None, Some(k)) => srl_data::Binning::fit_equal_width(&y, *k)?,
                (None, None) => {
                    return Err(TrainError::InvalidConfig {
                        field: "data.bin_width/num_bins",
                        reason: "give one of them".into(),
                    })
                }
            };
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "csv".into());
            Ok(srl_data::uci::build_benchmark(
                &name,
                &table,
                binning,
                *val_test_cap,
                *split_seed,
                &srl_data::metrics::ShotRule::Terciles,
            )?)
        }
    }
}

/// f32 copies of a part's inputs and targets, the target standardised with the training
/// statistics (the bins are read from the part itself).
struct Arrays {
    x: Array2<f32>,
    y: Array1<f32>,
}

impl Arrays {
    fn new(part: &Part, y_mean: f64, y_std: f64) -> Self {
        Self {
            x: part.x.mapv(|v| v as f32),
            y: part.y.mapv(|v| ((v - y_mean) / y_std) as f32),
        }
    }
}

/// Running sums of the training losses between two log lines.
#[derive(Default)]
struct LossMeter {
    total: f64,
    reg: f64,
    envelope: f64,
    homogeneity: f64,
    contrastive: f64,
    batches: usize,
    srl_batches: usize,
}

impl LossMeter {
    fn mean(&self, v: f64) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            v / self.batches as f64
        }
    }

    /// Mean of an SRL term over the batches where SRL was active (0 if none).
    fn srl_mean(&self, v: f64) -> f64 {
        if self.srl_batches == 0 {
            0.0
        } else {
            v / self.srl_batches as f64
        }
    }
}

/// Trains one model as `cfg` says on `bench`, keeps the best-validation model, reports test
/// metrics. With `out_dir`, writes (each file atomically) `config.toml`, `log.jsonl`,
/// `metrics.json`, `model.json`, `test_predictions.csv`, `test_features.npy` and
/// `train_bin_counts.csv`. `observer` sees every log line as it is produced.
pub fn run(
    cfg: &RunConfig,
    bench: &Benchmark,
    out_dir: Option<&Path>,
    observer: &mut dyn FnMut(&EpochLog),
) -> Result<RunOutcome, TrainError> {
    cfg.validate()?;
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
    let train = Arrays::new(&bench.train, y_mean, y_std);
    let n = train.x.nrows();
    let input_dim = train.x.ncols();
    let num_bins = bench.binning.num_bins();
    let bin_centres = bench.binning.centres();

    let (hidden, feature) = cfg.model.hidden.split_at(cfg.model.hidden.len() - 1);
    let mlp_config = MlpConfig::new(input_dim, hidden.to_vec())
        .with_feature_dim(feature[0])
        .with_feature_activation(cfg.model.feature_activation)
        .with_head_input(cfg.model.head_input);
    let mut mlp = Mlp::<f32>::new(&mlp_config, cfg.seed)?;
    let dim = mlp.representation_dim();
    let mut optimizer = Optimizer::<f32>::new(cfg.optim.optimizer, mlp.num_parameters())?;
    let mut grads = mlp.gradients();

    // The SRL objective (None for vanilla) and the memory (always: it feeds the geometry log).
    let (mut objective, surrogate_config) = match &cfg.method {
        MethodConfig::Vanilla => (
            None,
            SurrogateConfig {
                num_bins,
                dim,
                momentum: 0.9,
                update: MemoryUpdate::Streaming,
                warmup_epochs: 0,
            },
        ),
        MethodConfig::Srl {
            weights,
            tau,
            num_points,
            points_policy,
            homogeneity,
            momentum,
            memory_update,
            warmup_epochs,
        } => (
            Some(SrlObjective::<f32>::new(SrlConfig {
                num_bins,
                dim,
                weights: *weights,
                tau: *tau,
                num_points: *num_points,
                points_policy: *points_policy,
                homogeneity: *homogeneity,
                bin_centres: bin_centres.clone(),
                seed: cfg.seed,
            })?),
            SurrogateConfig {
                num_bins,
                dim,
                momentum: *momentum,
                update: *memory_update,
                warmup_epochs: *warmup_epochs,
            },
        ),
    };
    let exact_update = surrogate_config.update == MemoryUpdate::Exact;
    let mut surrogate = Surrogate::<f32>::new(surrogate_config)?;
    let weights = match &cfg.method {
        MethodConfig::Srl { weights, .. } => Some(*weights),
        MethodConfig::Vanilla => None,
    };
    let geometry_points =
        uniform_sphere_points::<f64>(GEOMETRY_POINTS, dim, cfg.seed ^ 0x05EE_D6E0)?;

    // Buffers reused by every step.
    let batch = cfg.optim.batch_size.unwrap_or(n).min(n);
    let mut ws = mlp.workspace(batch);
    let mut xb = Array2::<f32>::zeros((batch, input_dim));
    let mut yb = Array1::<f32>::zeros(batch);
    let mut bins_b = vec![0usize; batch];
    let mut grad_pred = Array1::<f32>::zeros(batch);
    let mut grad_h = Array2::<f32>::zeros((batch, dim));
    let mut z_scratch = Array2::<f32>::zeros((batch, dim));
    let mut norm_scratch = Array1::<f32>::zeros(batch);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);

    let val_x = bench.val.x.mapv(|v| v as f32);
    let mut best: Option<(f64, usize, Vec<f32>)> = None;
    let mut log = Vec::new();
    let mut meter = LossMeter::default();
    let mut step = 0usize;
    let mut train_seconds = 0.0;

    for epoch in 0..cfg.optim.epochs {
        let epoch_start = Instant::now();
        let lr = cfg.optim.schedule.lr_at(cfg.optim.optimizer.lr(), epoch);
        let srl_active = objective.is_some() && surrogate.is_active(epoch);
        if let Some(obj) = objective.as_mut() {
            obj.start_epoch(epoch);
        }
        if batch < n {
            order.shuffle(&mut rng);
        }
        for chunk in order.chunks(batch) {
            let m = chunk.len();
            for (r, &i) in chunk.iter().enumerate() {
                xb.row_mut(r).assign(&train.x.row(i));
                yb[r] = train.y[i];
                bins_b[r] = bench.train.bins[i];
            }
            let bins = &bins_b[..m];
            mlp.forward(xb.slice(s![..m, ..]), &mut ws)?;
            let reg = cfg.optim.loss.forward_backward(
                ws.predictions(),
                yb.slice(s![..m]),
                None,
                grad_pred.slice_mut(s![..m]),
            )?;
            check_finite(epoch, step, "regression loss", f64::from(reg))?;
            let mut total = f64::from(reg);
            let extra_grad = if srl_active {
                let (obj, w) = match (objective.as_mut(), weights.as_ref()) {
                    (Some(o), Some(w)) => (o, w),
                    _ => unreachable!("srl_active implies an objective"),
                };
                let parts = obj.evaluate_into(
                    ws.features(),
                    bins,
                    &surrogate,
                    grad_h.slice_mut(s![..m, ..]),
                )?;
                for (term, v) in [
                    ("enveloping loss", parts.envelope),
                    ("homogeneity loss", parts.homogeneity),
                    ("contrastive loss", parts.contrastive),
                ] {
                    check_finite(epoch, step, term, f64::from(v))?;
                }
                meter.envelope += f64::from(parts.envelope);
                meter.homogeneity += f64::from(parts.homogeneity);
                meter.contrastive += f64::from(parts.contrastive);
                meter.srl_batches += 1;
                total += f64::from(parts.total(w));
                if !exact_update {
                    surrogate.accumulate(obj.normalized(), bins)?;
                }
                true
            } else {
                if !exact_update {
                    let mut z = z_scratch.slice_mut(s![..m, ..]);
                    normalize_rows_into(
                        ws.features(),
                        z.view_mut(),
                        norm_scratch.slice_mut(s![..m]),
                    );
                    surrogate.accumulate(z.view(), bins)?;
                }
                false
            };
            meter.reg += f64::from(reg);
            meter.total += total;
            meter.batches += 1;
            let grad_features = extra_grad.then(|| grad_h.slice(s![..m, ..]));
            mlp.backward(&mut ws, grad_pred.slice(s![..m]), grad_features, &mut grads)?;
            let grad_norm = match cfg.optim.grad_clip {
                Some(c) => clip_grad_norm(grads.as_slice_mut(), c as f32)?,
                None => grads.as_slice().iter().map(|g| g * g).sum::<f32>().sqrt(),
            };
            check_finite(epoch, step, "gradient norm", f64::from(grad_norm))?;
            optimizer.step(mlp.flat_parameters_mut(), grads.as_slice(), lr as f32)?;
            step += 1;
        }
        if exact_update {
            let (_, h) = mlp.predict_with_features(train.x.view())?;
            let (z, _) = srl_geometry::normalize_rows(h.view());
            surrogate.accumulate(z.view(), &bench.train.bins)?;
        }
        surrogate.end_epoch()?;
        train_seconds += epoch_start.elapsed().as_secs_f64();

        let last = epoch + 1 == cfg.optim.epochs;
        if (epoch + 1) % cfg.optim.eval_every == 0 || last {
            let val_pred = unscale(mlp.predict(val_x.view())?, y_mean, y_std);
            let val_mae = mean_abs_diff(&val_pred, &bench.val.y);
            check_finite(epoch, step, "validation MAE", val_mae)?;
            if best.as_ref().is_none_or(|(b, _, _)| val_mae < *b) {
                best = Some((val_mae, epoch, mlp.flat_parameters().to_vec()));
            }
            let memory = surrogate.memory().mapv(f64::from);
            let (memory_z, _) = srl_geometry::normalize_rows(memory.view());
            let table = table_geometry(
                memory_z.view(),
                &bin_centres,
                geometry_points.view(),
                COVERAGE_EPS,
            );
            let line = EpochLog {
                epoch,
                step,
                lr,
                train_loss: meter.mean(meter.total),
                reg: meter.mean(meter.reg),
                envelope: meter.srl_mean(meter.envelope),
                homogeneity: meter.srl_mean(meter.homogeneity),
                contrastive: meter.srl_mean(meter.contrastive),
                val_mae,
                coverage: table.coverage,
                soft_coverage: table.soft_coverage,
                speed_cv: table.speed_cv,
                arc_length: table.arc_length,
                seconds: started.elapsed().as_secs_f64(),
                total_epochs: cfg.optim.epochs,
            };
            observer(&line);
            log.push(line);
            meter = LossMeter::default();
        }
    }

    let (_, best_epoch, best_params) = best.ok_or(TrainError::Empty {
        what: "validation evaluations",
    })?;
    mlp.flat_parameters_mut().copy_from_slice(&best_params);
    let model = TrainedModel::new(cfg.clone(), bench.name.clone(), mlp, y_mean, y_std);

    let (val_pred, _) = model.predict_with_features(bench.val.x.view())?;
    let (test_pred, test_h) = model.predict_with_features(bench.test.x.view())?;
    let (_, train_h) = model.predict_with_features(bench.train.x.view())?;
    let val =
        srl_data::metrics::evaluate(&val_pred.to_vec(), &bench.val.y.to_vec(), &bench.val.shots)?;
    let test = srl_data::metrics::evaluate(
        &test_pred.to_vec(),
        &bench.test.y.to_vec(),
        &bench.test.shots,
    )?;
    let geometry = geometry_report(
        train_h.view(),
        &bench.train.bins,
        &bin_centres,
        &bench.few_shot_bins(),
        test_h.view(),
        geometry_points.view(),
        COVERAGE_EPS,
    );
    let epochs_run = cfg.optim.epochs;
    let report = RunReport {
        benchmark: bench.name.clone(),
        method: cfg.method_name().to_string(),
        seed: cfg.seed,
        best_epoch,
        epochs_run,
        val,
        test,
        geometry,
        seconds_total: started.elapsed().as_secs_f64(),
        seconds_per_epoch: train_seconds / epochs_run as f64,
    };
    if let Some(dir) = out_dir {
        crate::outputs::write_run(dir, cfg, bench, &model, &report, &log, &test_pred, &test_h)?;
    }
    Ok(RunOutcome { model, report, log })
}

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

fn mean_abs_diff(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    a.iter().zip(b).map(|(p, y)| (p - y).abs()).sum::<f64>() / a.len().max(1) as f64
}
