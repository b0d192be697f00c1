//! Fitting the trees on a prepared benchmark or table: the same split (or fold), the same DIR
//! sample weights as the networks, early stopping on the validation part, and the network
//! runs' report.

use crate::model::{predict_booster, to_f32, GbdtMember, GbdtModel};
use crate::{GbdtError, ValidGbdtConfig};
use hessboost::prelude::{DMatrix, EvalMetric, Objective, RegLoss, Trainer, TrainingParams};
use ndarray::{Array1, Axis};
use srl_data::metrics::evaluate;
use srl_data::Benchmark;
use srl_train::method::TrainingLabels;
use srl_train::report::RelevanceReport;
use srl_train::{GeometryReport, RunReport};
use std::num::NonZeroUsize;
use std::time::Instant;

/// What one boosting run produces: the model, the report (`metrics.json`, the same type as a
/// network run's) and the test predictions.
#[derive(Debug, Clone)]
pub struct GbdtOutcome {
    /// The trees, with the table's preprocessing.
    pub model: GbdtModel,
    /// Validation and test metrics per shot group; `best_epoch` is the round kept (0-based)
    /// and `epochs_run` the rounds trained; no geometry (no representation).
    pub report: RunReport,
    /// Test predictions in target units, in the test part's order.
    pub test_predictions: Array1<f64>,
}

/// Fits `cfg` on `bench` with `threads` worker threads (the result does not depend on the
/// number; tested).
///
/// - Training rows: the training part — resampled first when the method has a resampler
///   (`smogn+gbdt`: [`srl_train::resample::resample_training_part`], seeded by `cfg.seed`) —,
///   each with its DIR weight when the method has a
///   re-weighting ([`srl_train::method::ValidRegressionParams::row_weights`], the networks'
///   weights, mean 1: INV, SQINV, LDS or DenseWeight).
/// - Objective: squared error; early stopping on the validation MAE (the networks' selection
///   metric) after [`GbdtParams::early_stopping_rounds`](crate::GbdtParams) rounds without
///   improvement. Validation rows flagged as outside the training range do not steer it, as
///   for the networks (unless every row is flagged).
/// - Errors: an empty training or validation part, inputs that are not finite in f32.
///
/// ```
/// use srl_gbdt::{fit, GbdtConfig};
/// use srl_train::DataConfig;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("t.csv");
/// let mut csv = String::from("a,b,y\n");
/// for i in 0..200 {
///     let (a, b) = ((i % 17) as f64, (i % 5) as f64);
///     csv.push_str(&format!("{a},{b},{}\n", 2.0 * a - b + 0.1 * ((i * 7) % 3) as f64));
/// }
/// std::fs::write(&path, csv).unwrap();
/// let spec = srl_data::table::TableSpec::new(&path, "y");
/// let bench = srl_data::table::prepare(&spec).unwrap();
/// let cfg = GbdtConfig::new(DataConfig::Csv(spec), "gbdt+sqinv".parse().unwrap(), 0);
/// let out = fit(&cfg.check().unwrap(), &bench, 1).unwrap();
/// assert!(out.report.test.all.mae.unwrap() < 1.0);
/// assert_eq!(out.test_predictions.len(), bench.test.len());
/// ```
pub fn fit(
    cfg: &ValidGbdtConfig,
    bench: &Benchmark,
    threads: usize,
) -> Result<GbdtOutcome, GbdtError> {
    let started = Instant::now();
    // A resampler replaces the training rows first: the networks' transform
    // (`srl_train::resample`), seeded by the run's seed.
    let resampled;
    let bench = match &cfg.resample {
        Some(spec) => {
            resampled = srl_train::resample::resample_training_part(bench, spec, cfg.seed)?;
            &resampled
        }
        None => bench,
    };
    let (train, val) = (&bench.train, &bench.val);
    if train.is_empty() || val.is_empty() {
        return Err(GbdtError::Data(format!(
            "gradient boosting needs training and validation rows (early stopping); the split \
             has {} training and {} validation rows",
            train.len(),
            val.len()
        )));
    }
    let targets = train.y.to_vec();
    let weights = cfg.weights().row_weights(TrainingLabels {
        targets: &targets,
        bins: &train.bins,
        num_bins: bench.binning.num_bins(),
    })?;
    let labels: Vec<f32> = train.y.iter().map(|&v| v as f32).collect();
    let mut dtrain = DMatrix::from_dense(&to_f32(train.x.view())?, train.len(), train.x.ncols())?
        .with_labels(&labels)?;
    if let Some(w) = &weights {
        let w: Vec<f32> = w.iter().map(|&v| v as f32).collect();
        dtrain = dtrain.with_weights(&w)?;
    }
    // The rows that steer early stopping: the validation rows inside the training range.
    let inside: Vec<usize> = (0..val.len())
        .filter(|&i| !val.out_of_range.get(i).copied().unwrap_or(false))
        .collect();
    let steer = if inside.is_empty() {
        (0..val.len()).collect()
    } else {
        inside
    };
    let xs = val.x.select(Axis(0), &steer);
    let ys: Vec<f32> = steer.iter().map(|&i| val.y[i] as f32).collect();
    let dval =
        DMatrix::from_dense(&to_f32(xs.view())?, xs.nrows(), xs.ncols())?.with_labels(&ys)?;

    let p = &cfg.gbdt;
    let params = TrainingParams::builder()
        .objective(Objective::SquaredError(RegLoss::default()))
        .eval_metric(EvalMetric::Mae)
        .eta(p.learning_rate)
        .max_depth(p.max_depth)
        .lambda(p.lambda)
        .min_child_weight(p.min_child_weight)
        .subsample(p.subsample)
        .colsample_bytree(p.colsample_bytree)
        .seed(cfg.seed)
        .nthread(threads.max(1))
        .build()?;
    let patience = NonZeroUsize::new(p.early_stopping_rounds)
        .ok_or_else(|| GbdtError::Data("early_stopping_rounds must be at least 1".into()))?;
    let booster = Trainer::new(&params, &dtrain, p.max_rounds)
        .eval(&dval, "valid")
        .early_stopping_rounds(patience)
        .train()?
        .model;
    let rounds = booster.num_trees();
    let best_round = booster.best_iteration().unwrap_or(rounds.saturating_sub(1));

    let val_pred = predict_booster(&booster, val.x.view())?;
    let test_pred = predict_booster(&booster, bench.test.x.view())?;
    let val_metrics = evaluate(&val_pred.to_vec(), &val.y.to_vec(), &val.shots)?;
    let test_metrics = evaluate(
        &test_pred.to_vec(),
        &bench.test.y.to_vec(),
        &bench.test.shots,
    )?;
    let relevance = RelevanceReport::of(bench, &val_pred.to_vec(), &test_pred.to_vec())?;
    let seconds = started.elapsed().as_secs_f64();
    let member = GbdtMember {
        config: (**cfg).clone(),
        benchmark: bench.name.clone(),
        input: bench
            .table
            .as_deref()
            .map(|t| t.model_input(&bench.binning)),
        rounds,
        best_round,
        booster,
    };
    Ok(GbdtOutcome {
        model: GbdtModel::new(vec![member])?,
        report: RunReport {
            benchmark: bench.name.clone(),
            method: cfg.method.clone(),
            seed: cfg.seed,
            best_epoch: best_round,
            epochs_run: rounds,
            val: val_metrics,
            test: test_metrics,
            geometry: GeometryReport::none(),
            seconds_total: seconds,
            seconds_per_epoch: seconds / rounds.max(1) as f64,
            relevance,
            protocol: srl_train::ProtocolReport::of(bench, &test_pred.to_vec()),
        },
        test_predictions: test_pred,
    })
}
