//! Boosted trees on the table path: deterministic (reruns and thread counts), the DIR weights
//! reach the engine, the model file round-trips and predicts raw rows as the run reported, and
//! bad input gives typed errors.

use approx::assert_abs_diff_eq;
use ndarray::Array2;
use srl_data::table::{prepare, TableSpec};
use srl_data::Benchmark;
use srl_gbdt::{fit, write_run, GbdtConfig, GbdtError, GbdtModel, GbdtOutcome};
use srl_train::DataConfig;
use std::path::Path;

/// A skewed synthetic table: y = 3a − b + a·c (rare large values), 300 rows.
fn table(dir: &Path) -> TableSpec {
    let path = dir.join("t.csv");
    let mut csv = String::from("a,b,c,kind,y\n");
    for i in 0..300u32 {
        let a = f64::from(i % 23) / 4.0;
        let b = f64::from((i * 7) % 11);
        let c = if i % 29 == 0 { 5.0 } else { 0.1 };
        let kind = ["x", "y", "z"][(i % 3) as usize];
        let y = 3.0 * a - b + a * c + if kind == "z" { 1.0 } else { 0.0 };
        csv.push_str(&format!("{a},{b},{c},{kind},{y}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let mut spec = TableSpec::new(path, "y");
    spec.categorical = vec!["kind".into()];
    spec
}

fn run(
    spec: &TableSpec,
    bench: &Benchmark,
    method: &str,
    seed: u64,
    threads: usize,
) -> GbdtOutcome {
    let cfg = GbdtConfig::new(DataConfig::Csv(spec.clone()), method.parse().unwrap(), seed);
    fit(&cfg.check().unwrap(), bench, threads).unwrap()
}

#[test]
fn learns_and_is_deterministic_across_reruns_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let a = run(&spec, &bench, "gbdt", 0, 1);
    let b = run(&spec, &bench, "gbdt", 0, 1);
    let c = run(&spec, &bench, "gbdt", 0, 2);
    assert_eq!(a.test_predictions, b.test_predictions);
    assert_eq!(a.test_predictions, c.test_predictions);
    assert_eq!(a.report.best_epoch, c.report.best_epoch);
    // Far better than predicting the mean.
    let y = &bench.test.y;
    let mean = y.mean().unwrap();
    let baseline = y.iter().map(|v| (v - mean).abs()).sum::<f64>() / y.len() as f64;
    let mae = a.report.test.all.mae.unwrap();
    assert!(
        mae < 0.3 * baseline,
        "MAE {mae} vs mean predictor {baseline}"
    );
    assert!(a.report.epochs_run > a.report.best_epoch);
    assert!(a.report.geometry.coverage.is_none());
}

#[test]
fn subsampling_makes_the_seed_matter_and_reproduce() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let fit_sub = |seed: u64| {
        let mut cfg = GbdtConfig::new(DataConfig::Csv(spec.clone()), "gbdt".parse().unwrap(), seed);
        cfg.gbdt.subsample = 0.7;
        fit(&cfg.check().unwrap(), &bench, 1)
            .unwrap()
            .test_predictions
    };
    assert_eq!(fit_sub(1), fit_sub(1));
    assert_ne!(fit_sub(1), fit_sub(2));
}

#[test]
fn dir_weights_reach_the_trees() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let plain = run(&spec, &bench, "gbdt", 0, 1);
    for m in ["gbdt+inv", "gbdt+sqinv", "gbdt+lds", "gbdt+denseweight"] {
        let w = run(&spec, &bench, m, 0, 1);
        assert_ne!(w.test_predictions, plain.test_predictions, "{m}");
        assert_eq!(w.report.method.to_string(), m);
    }
}

#[test]
fn model_file_round_trips_and_predicts_raw_rows_as_reported() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let out = run(&spec, &bench, "gbdt+sqinv", 0, 1);
    let run_dir = dir.path().join("run");
    let cfg = GbdtConfig::new(
        DataConfig::Csv(spec.clone()),
        "gbdt+sqinv".parse().unwrap(),
        0,
    );
    write_run(&run_dir, &cfg.check().unwrap(), &bench, &out).unwrap();
    for f in [
        "config.toml",
        "model.json",
        "metrics.json",
        "test_predictions.csv",
        "split.csv",
    ] {
        assert!(run_dir.join(f).is_file(), "{f}");
    }
    assert!(!run_dir.join("log.jsonl").exists());
    let report = srl_train::run_folder::read_report(&run_dir).unwrap();
    assert_eq!(report, out.report);
    let text = std::fs::read_to_string(run_dir.join("model.json")).unwrap();
    assert!(GbdtModel::is_gbdt_file(&text));
    let back = GbdtModel::load(&run_dir.join("model.json")).unwrap();
    assert_eq!(
        back.try_predict(bench.test.x.view()).unwrap(),
        out.test_predictions
    );
    // Raw rows of the file, through the saved preprocessing.
    let (raw, _, _) = srl_data::table::read_table(&spec).unwrap();
    let test_rows = &bench.table.as_deref().unwrap().split.test;
    let (pred, flags) = back.predict_table(&raw, Some(test_rows)).unwrap();
    assert_eq!(pred, out.test_predictions);
    assert_eq!(flags.len(), pred.len());
}

#[test]
fn an_ensemble_averages_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let a = run(&spec, &bench, "gbdt", 0, 1);
    let b = run(&spec, &bench, "gbdt+inv", 0, 1);
    let e = GbdtModel::ensemble(vec![a.model.clone(), b.model.clone()]).unwrap();
    assert_eq!(e.members().len(), 2);
    let p = e.try_predict(bench.test.x.view()).unwrap();
    for i in 0..p.len() {
        assert_abs_diff_eq!(
            p[i],
            0.5 * (a.test_predictions[i] + b.test_predictions[i]),
            epsilon = 1e-12
        );
    }
    let back = GbdtModel::from_json_str(&e.to_json().unwrap()).unwrap();
    assert_eq!(back.try_predict(bench.test.x.view()).unwrap(), p);
}

#[test]
fn bad_input_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let out = run(&spec, &bench, "gbdt", 0, 1);
    // Wrong width.
    let e = out
        .model
        .try_predict(Array2::<f64>::zeros((2, 3)).view())
        .unwrap_err();
    assert!(e.to_string().contains("inputs"), "{e}");
    // Not finite in f32.
    let mut x = bench.test.x.slice(ndarray::s![0..2, ..]).to_owned();
    x[[1, 0]] = 1e300;
    let e = out.model.try_predict(x.view()).unwrap_err().to_string();
    assert!(e.contains("row 1, input 0"), "{e}");
    // No validation rows.
    let mut empty = bench.clone();
    empty.val = srl_data::Part {
        x: Array2::zeros((0, bench.train.x.ncols())),
        y: ndarray::Array1::zeros(0),
        bins: Vec::new(),
        shots: Vec::new(),
        out_of_range: Vec::new(),
    };
    let cfg = GbdtConfig::new(DataConfig::Csv(spec.clone()), "gbdt".parse().unwrap(), 0);
    assert!(matches!(
        fit(&cfg.check().unwrap(), &empty, 1),
        Err(GbdtError::Data(_))
    ));
    // Not a boosted model file; the wrong format.
    assert!(GbdtModel::from_json_str("{\"format\":\"srl-checkpoint-v2\"}").is_err());
    assert!(!GbdtModel::is_gbdt_file(
        "{\"format\":\"srl-checkpoint-v2\"}"
    ));
    assert!(GbdtModel::ensemble(Vec::new()).is_err());
}

#[test]
fn a_resampler_changes_the_training_rows_of_the_trees() {
    let dir = tempfile::tempdir().unwrap();
    let spec = table(dir.path());
    let bench = prepare(&spec).unwrap();
    let plain = run(&spec, &bench, "gbdt", 0, 1);
    let smogn = run(&spec, &bench, "smogn+gbdt", 0, 1);
    let again = run(&spec, &bench, "gbdt+smogn", 0, 2);
    assert_eq!(smogn.report.method.to_string(), "smogn+gbdt");
    assert_ne!(plain.test_predictions, smogn.test_predictions);
    assert_eq!(smogn.test_predictions, again.test_predictions, "seeded");
    assert!(smogn.report.test.all.mae.unwrap().is_finite());
    // The configuration carries the resampler, and only then.
    let cfg = GbdtConfig::new(
        DataConfig::Csv(spec.clone()),
        "smogn+gbdt+lds".parse().unwrap(),
        0,
    );
    let text = cfg.to_toml_string().unwrap();
    assert!(text.contains("[resample]"), "{text}");
    assert_eq!(GbdtConfig::from_toml_str(&text).unwrap(), cfg);
    cfg.check().unwrap();
    let plain_cfg = GbdtConfig::new(DataConfig::Csv(spec.clone()), "gbdt".parse().unwrap(), 0);
    assert!(!plain_cfg.to_toml_string().unwrap().contains("resample"));
    // A table for another resampler, or none, is refused.
    let mut wrong = cfg.clone();
    wrong.resample = None;
    assert!(matches!(
        wrong.check(),
        Err(GbdtError::InvalidConfig {
            field: "resample",
            ..
        })
    ));
}
