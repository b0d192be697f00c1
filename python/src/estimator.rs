//! The Rust side of `srldir.sklearn.DIRRegressor`: train the project's tabular network on a
//! table with the preprocessing of `srl train --csv`, and predict from raw rows as
//! `srl predict` does.
//!
//! The Python side writes X (and y as one more column) to a CSV file with a header; here it
//! is read with the table reader (`,`, header line), the target checked, the rows split into
//! training and validation (stratified by the automatic target bins, seeded, like the CLI's
//! split but without a test part: every other row trains), binned, preprocessed (categorical
//! columns one-hot, missing cells, suspected missing-value codes, clipping, scaling — all
//! fitted on the training rows) and trained with the table preset of `--method` and
//! `--profile`, stopped early on the validation MAE. The fitted model travels as the JSON text
//! of `model.json`, which carries its preprocessing.

use crate::arrays::{value_error, vector};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use srl_data::names::Named;
use srl_data::split::{stratified_split, SplitIndices};
use srl_data::table::{
    auto_bins, checked_targets, prepare_split, read_table, Impute, InputScale, TableSpec,
    UnknownCategory, MIN_ROWS,
};
use srl_data::tabular::Delimiter;
use srl_data::BinSpec;
use srl_train::{MethodName, Profile, RunConfig, TrainedModel, Trainer};
use std::path::PathBuf;

/// A name of a [`Named`] enum, or `ValueError` naming `what` and the choices.
fn named<T: Named>(value: &str) -> PyResult<T> {
    T::from_name(value).map_err(value_error)
}

/// Trains on the CSV file at `path` (`,`-separated, header line, `target` one of its columns)
/// and returns `(model_json, info_json)`. `sample_weight`: one weight per data row of the
/// file, multiplying that row's regression-loss term (on top of the method's DIR
/// re-weighting; see `Trainer::with_sample_weights`). The GIL is released while training.
#[pyfunction]
#[pyo3(signature = (
    path, target, *, method, profile, epochs, patience, seed, bins, bin_width, val_size,
    impute, scale, clip, keep_outliers, categorical, unknown_category, sample_weight
))]
#[allow(clippy::too_many_arguments)]
fn table_fit(
    py: Python<'_>,
    path: PathBuf,
    target: String,
    method: &str,
    profile: &str,
    epochs: Option<usize>,
    patience: Option<usize>,
    seed: u64,
    bins: Option<usize>,
    bin_width: Option<f64>,
    val_size: f64,
    impute: &str,
    scale: &str,
    clip: bool,
    keep_outliers: bool,
    categorical: Vec<String>,
    unknown_category: &str,
    sample_weight: Option<Bound<'_, PyAny>>,
) -> PyResult<(String, String)> {
    let method: MethodName = method.parse().map_err(value_error)?;
    let profile: Profile = profile.parse().map_err(value_error)?;
    if !(val_size.is_finite() && val_size > 0.0 && val_size < 0.5) {
        return Err(value_error(format!(
            "val_size must be in (0, 0.5), got {val_size}"
        )));
    }
    let mut spec = TableSpec::new(path, target);
    spec.delimiter = Some(Delimiter::Char(','));
    spec.header = Some(true);
    spec.impute = named::<Impute>(impute)?;
    spec.scale = named::<InputScale>(scale)?;
    spec.unknown_category = named::<UnknownCategory>(unknown_category)?;
    spec.clip = clip;
    spec.keep_outliers = keep_outliers;
    spec.categorical = categorical;
    spec.split_seed = seed;
    spec.bins = match (bin_width, bins) {
        (Some(w), _) => Some(BinSpec::Width(w)),
        (None, Some(k)) => Some(BinSpec::Count(k)),
        (None, None) => None,
    };

    // The configuration saved with the model names the file `X.csv`, not the temporary file
    // it was read from: the same data and settings give the same model text.
    let mut saved = spec.clone();
    saved.path = PathBuf::from("X.csv");
    let mut cfg = RunConfig::table_preset(saved, &method, profile).map_err(value_error)?;
    cfg.seed = seed;
    if let Some(e) = epochs {
        cfg.set_epochs(e);
    }
    if let Some(p) = patience {
        cfg.optim.early_stopping = Some(p);
    }
    let cfg = cfg.check().map_err(value_error)?;
    let weights: Option<Vec<f64>> = match sample_weight {
        None => None,
        Some(w) => Some(
            vector::<f64>("sample_weight", &w)?
                .as_array()
                .iter()
                .copied()
                .collect(),
        ),
    };

    py.detach(move || -> Result<(String, String), String> {
        spec.check().map_err(|e| e.to_string())?;
        let (table, layout, sha256) = read_table(&spec).map_err(|e| e.to_string())?;
        let y = checked_targets(&spec, &table).map_err(|e| e.to_string())?;
        // The CLI's stratified split with no test part: validation steers early stopping and
        // every other row trains. The trainer wants a test part; it gets the validation rows
        // (scored in the report only, never used for selection).
        let (strata, _) = auto_bins(&y).map_err(|e| e.to_string())?;
        let s = stratified_split(&strata.bins(&y), val_size, 0.0, seed);
        let split = SplitIndices {
            test: s.val.clone(),
            ..s
        };
        let bench =
            prepare_split(&spec, &table, layout, sha256, split, None).map_err(|e| e.to_string())?;
        let info = bench.table.as_deref().ok_or("no table information")?;
        let limit = srl_train::DEFAULT_MEMORY_LIMIT;
        let mut trainer = match &weights {
            None => Trainer::with_memory_limit(&cfg, &bench, limit),
            Some(w) => {
                if w.len() != table.rows.len() {
                    return Err(format!(
                        "sample_weight has {} values for {} rows",
                        w.len(),
                        table.rows.len()
                    ));
                }
                let train: Vec<f64> = info.split.train.iter().map(|&i| w[i]).collect();
                Trainer::with_sample_weights(&cfg, &bench, limit, &train)
            }
        }
        .map_err(|e| e.to_string())?;
        while !trainer.is_done() {
            trainer.run_epoch().map_err(|e| e.to_string())?;
        }
        let outcome = trainer.finish().map_err(|e| e.to_string())?;
        let model = outcome.model.to_json().map_err(|e| e.to_string())?;
        let r = &outcome.report;
        let summary = serde_json::json!({
            "method": r.method.to_string(),
            "feature_names": bench.feature_names,
            "input_columns": info.preprocessor.columns.iter().map(|c| c.name.clone())
                .collect::<Vec<_>>(),
            "warnings": info.warnings,
            "bins_rule": info.bins_rule,
            "num_bins": bench.binning.num_bins(),
            "bin_centres": bench.binning.centres(),
            "train_rows": info.split.train,
            "val_rows": info.split.val,
            "best_epoch": r.best_epoch,
            "epochs_run": r.epochs_run,
            "max_epochs": cfg.optim.epochs,
            "val_mae": r.val.all.mae,
            "seconds": r.seconds_total,
        });
        Ok((model, summary.to_string()))
    })
    .map_err(value_error)
}

/// Predictions and, per row, why it lies outside the training range.
type Predictions<'py> = (Bound<'py, PyArray1<f64>>, Vec<Option<String>>);

/// Predictions (target units, float64) for the data rows of the CSV file at `path` (`,`,
/// header line; the training input columns found by name) with the model of `model_json`,
/// and per row why it lies outside the training range (`None` when it does not).
#[pyfunction]
fn table_predict<'py>(
    py: Python<'py>,
    model_json: &str,
    path: PathBuf,
) -> PyResult<Predictions<'py>> {
    let (pred, flags) = py
        .detach(|| -> Result<_, String> {
            let model = TrainedModel::from_json_str(model_json).map_err(|e| e.to_string())?;
            let (table, _, _) =
                srl_data::table::read_table_at(&path, Some(Delimiter::Char(',')), Some(true))
                    .map_err(|e| e.to_string())?;
            model.predict_table(&table, None).map_err(|e| e.to_string())
        })
        .map_err(value_error)?;
    Ok((pred.into_pyarray(py), flags))
}

/// Registers the estimator functions and `TABLE_MIN_ROWS` in `srldir._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("TABLE_MIN_ROWS", MIN_ROWS)?;
    m.add_function(wrap_pyfunction!(table_fit, m)?)?;
    m.add_function(wrap_pyfunction!(table_predict, m)?)?;
    Ok(())
}
