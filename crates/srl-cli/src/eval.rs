//! `srl eval`: load a checkpoint and report its test metrics per shot group.
//!
//! Without data flags the model is evaluated on the test part of the data it was trained on.
//! For a table, a relative path in the model's configuration is resolved against the model's
//! folder, and a file whose sha256 differs from the one recorded at training is refused (its
//! split would differ, so "test" rows could have been trained on).

use crate::cli::EvalArgs;
use crate::data;
use crate::error::CliError;
use crate::model::AnyModel;
use crate::out::{say, sayln};
use crate::report;

/// The data configuration a model was trained on, with a table's path resolved against the
/// model's folder and its hash checked against the one recorded at training (`input`).
fn training_data(
    data: &srl_train::DataConfig,
    input: Option<&srl_data::table::ModelInput>,
    checkpoint: &std::path::Path,
) -> Result<srl_train::DataConfig, CliError> {
    let mut cfg = data.clone();
    if let srl_train::DataConfig::Csv(table) = &mut cfg {
        if table.path.is_relative() {
            let base = checkpoint.parent().unwrap_or(std::path::Path::new("."));
            table.path = base.join(&table.path);
        }
        if let Some(input) = input {
            let actual = srl_data::checksum::sha256_file(&table.path)?;
            if actual != input.sha256 {
                return Err(CliError::TrainingFileChanged {
                    path: table.path.clone(),
                    expected: input.sha256.clone(),
                    actual,
                });
            }
        }
    }
    Ok(cfg)
}

/// Runs `srl eval`.
pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    let model = match AnyModel::load(&args.checkpoint)? {
        AnyModel::Network(srl_train::SavedModel::Single(m)) => *m,
        AnyModel::Gbdt(g) if g.input().is_none() => return run_gbdt_benchmark(args, &g),
        other => return run_on_raw_rows(args, &other),
    };
    // Default: the data (and split) the model was trained on, so "test" really is held out.
    let data_cfg = match args.data.to_data_config()? {
        Some(cfg) => {
            if cfg != model.config().data {
                eprintln!(
                    "warning: evaluating on {} although the model was trained on {}; \
                     if the split differs, its test part may contain training rows",
                    data::describe(&cfg),
                    data::describe(&model.config().data)
                );
            }
            cfg
        }
        None => training_data(&model.config().data, model.input(), &args.checkpoint)?,
    };
    let bench = data::load(&data_cfg, &args.data)?;
    let (pred, _) = model.predict_with_features(bench.test.x.view())?;
    let label = args.checkpoint.display().to_string();
    report_test(args, &label, &data_cfg, &bench, &pred.to_vec())
}

/// Scores test predictions: a header naming the model and the data, the metrics table (with
/// a protocol's removed and kept rows), and `--json`.
fn report_test(
    args: &EvalArgs,
    label: &str,
    data_cfg: &srl_train::DataConfig,
    bench: &srl_data::Benchmark,
    pred: &[f64],
) -> Result<(), CliError> {
    let metrics = srl_data::metrics::evaluate(pred, &bench.test.y.to_vec(), &bench.test.shots)?;
    sayln(&format!(
        "{label} on the test part of {} ({} samples):",
        data::describe(data_cfg),
        bench.test.len()
    ))?;
    report_metrics(args, &metrics, srl_train::ProtocolReport::of(bench, pred))
}

/// Prints the metrics table and, with `--json`, writes the metrics (atomically).
fn report_metrics(
    args: &EvalArgs,
    metrics: &srl_data::metrics::ShotMetrics,
    protocol: Option<srl_train::ProtocolReport>,
) -> Result<(), CliError> {
    say(&report::metrics_table(metrics))?;
    say(&report::protocol_rows(protocol.as_ref()))?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(metrics).map_err(|e| CliError::Serialise {
            what: "metrics",
            reason: e.to_string(),
        })?;
        srl_data::atomic::write_atomic(path, (text + "\n").as_bytes())?;
        sayln(&format!("wrote {}", path.display()))?;
    }
    Ok(())
}

/// `srl eval` of boosted trees trained on a built-in benchmark: scored on its test part (or
/// on the data the flags name), from the prepared rows.
fn run_gbdt_benchmark(args: &EvalArgs, model: &srl_gbdt::GbdtModel) -> Result<(), CliError> {
    let own = &model.first().config.data;
    let data_cfg = match args.data.to_data_config()? {
        Some(cfg) => cfg,
        None => own.clone(),
    };
    let bench = data::load(&data_cfg, &args.data)?;
    let pred = model.try_predict(bench.test.x.view())?;
    let label = args.checkpoint.display().to_string();
    report_test(args, &label, &data_cfg, &bench, &pred.to_vec())
}

/// `srl eval` of a model that predicts from raw rows only — an ensemble from `srl compare`
/// (networks or trees), or boosted trees trained on a table: scored on the test part of the
/// table's split (a comparison's folds share the outer split's test part), from the raw rows,
/// each member through its own preprocessing.
fn run_on_raw_rows(args: &EvalArgs, model: &AnyModel) -> Result<(), CliError> {
    if args.data.to_data_config()?.is_some() {
        return Err(CliError::Usage(
            "this model is evaluated on the test part of its own table; give no data flags \
             (or use `srl predict` on other rows)"
                .into(),
        ));
    }
    let mut cfg = training_data(model.data(), model.input(), &args.checkpoint)?;
    if let srl_train::DataConfig::Csv(t) = &mut cfg {
        if let srl_data::table::SplitSpec::CrossValidation { outer, .. } = &t.split {
            t.split = (**outer).clone();
        }
    }
    let bench = data::load(&cfg, &args.data)?;
    let (spec, table) = match (&cfg, bench.table.as_deref()) {
        (srl_train::DataConfig::Csv(spec), Some(info)) => (spec, info),
        _ => {
            return Err(CliError::Usage(
                "the model's members were not trained on a table".into(),
            ))
        }
    };
    let (raw, _, _) = srl_data::table::read_table(spec)?;
    let (pred, _) = model.predict_table(&raw, Some(&table.split.test))?;
    let label = format!(
        "{} ({})",
        args.checkpoint.display(),
        match model.len() {
            1 => "one model".to_string(),
            n => format!("{n} models averaged"),
        }
    );
    report_test(args, &label, &cfg, &bench, &pred.to_vec())
}
