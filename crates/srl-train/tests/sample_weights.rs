//! Per-row sample weights (`Trainer::with_sample_weights`, used by the scikit-learn
//! estimator): equal weights train exactly as none, the INV re-weighting given as sample
//! weights to the plain method trains like the `inv` method, weights change the model, and
//! bad weights are refused. Also `TrainedModel::from_json_str` round-trips a model.

use srl_data::table::TableSpec;
use srl_data::Benchmark;
use srl_train::{MethodName, Profile, RunConfig, TrainError, TrainedModel, Trainer};
use std::fmt::Write;

/// A small mixed table (a categorical column, a skewed target) prepared as `srl train --csv`.
fn table() -> (tempfile::TempDir, TableSpec, Benchmark) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("colour,x,z,y\n");
    for i in 0..160 {
        let x = (i as f64 * 0.37).sin() * 2.0;
        let z = (i as f64 * 0.11).cos();
        let colour = ["red", "green", "blue"][i % 3];
        let y = (x + 0.5 * z + if i % 3 == 0 { 1.0 } else { 0.0 }).exp();
        let _ = writeln!(text, "{colour},{x},{z},{y}");
    }
    let path = dir.path().join("toy.csv");
    std::fs::write(&path, text).unwrap();
    let spec = TableSpec::new(&path, "y");
    let bench = srl_data::table::prepare(&spec).unwrap();
    (dir, spec, bench)
}

fn config(spec: &TableSpec, method: &str) -> srl_train::ValidRunConfig {
    let method: MethodName = method.parse().unwrap();
    let mut cfg = RunConfig::table_preset(spec.clone(), &method, Profile::Quick).unwrap();
    cfg.optim.epochs = 6;
    cfg.optim.early_stopping = None;
    cfg.check().unwrap()
}

fn train(t: Trainer<'_>) -> TrainedModel {
    let mut t = t;
    while !t.is_done() {
        t.run_epoch().unwrap();
    }
    t.finish().unwrap().model
}

fn predictions(m: &TrainedModel, bench: &Benchmark) -> Vec<f64> {
    m.try_predict(bench.test.x.view()).unwrap().to_vec()
}

const LIMIT: f64 = srl_train::DEFAULT_MEMORY_LIMIT;

#[test]
fn equal_weights_train_exactly_as_none() {
    let (_dir, spec, bench) = table();
    for method in ["vanilla", "inv", "srl"] {
        let cfg = config(&spec, method);
        let plain = train(Trainer::new(&cfg, &bench).unwrap());
        let equal = vec![2.5; bench.train.len()];
        let weighted = train(Trainer::with_sample_weights(&cfg, &bench, LIMIT, &equal).unwrap());
        assert_eq!(
            plain.to_json().unwrap(),
            weighted.to_json().unwrap(),
            "{method}"
        );
    }
}

#[test]
fn dir_weights_as_sample_weights_train_like_the_reweighted_method() {
    let (_dir, spec, bench) = table();
    let inv = config(&spec, "inv");
    let w = inv
        .method
        .regression
        .check()
        .unwrap()
        .row_weights(srl_train::method::TrainingLabels {
            targets: bench.train.y.as_slice().unwrap(),
            bins: &bench.train.bins,
            num_bins: bench.binning.num_bins(),
        })
        .unwrap()
        .unwrap();
    let by_method = predictions(&train(Trainer::new(&inv, &bench).unwrap()), &bench);
    let vanilla = config(&spec, "vanilla");
    let by_weights = predictions(
        &train(Trainer::with_sample_weights(&vanilla, &bench, LIMIT, &w).unwrap()),
        &bench,
    );
    let unweighted = predictions(&train(Trainer::new(&vanilla, &bench).unwrap()), &bench);
    let max_diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    };
    // Same loss up to the rounding of the rescaled weights.
    let same = max_diff(&by_method, &by_weights);
    let apart = max_diff(&by_method, &unweighted);
    assert!(same < 1e-3 * apart.max(1e-12) + 1e-6, "{same} vs {apart}");
    assert!(apart > 1e-6, "the weights changed nothing: {apart}");

    // Sample weights on top of the re-weighting multiply it: the user's weights change the
    // `inv` model too.
    let ramp: Vec<f64> = (0..bench.train.len()).map(|i| 1.0 + i as f64).collect();
    let both = predictions(
        &train(Trainer::with_sample_weights(&inv, &bench, LIMIT, &ramp).unwrap()),
        &bench,
    );
    assert!(max_diff(&both, &by_method) > 1e-6);
}

#[test]
fn bad_weights_are_refused() {
    let (_dir, spec, bench) = table();
    let cfg = config(&spec, "vanilla");
    let n = bench.train.len();
    let refused = |w: Vec<f64>, cfg: &srl_train::ValidRunConfig| {
        Trainer::with_sample_weights(cfg, &bench, LIMIT, &w)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(matches!(
        Trainer::with_sample_weights(&cfg, &bench, LIMIT, &[1.0; 3]),
        Err(TrainError::ShapeMismatch { .. })
    ));
    let mut negative = vec![1.0; n];
    negative[4] = -1.0;
    assert!(refused(negative, &cfg).contains("weight 4 is -1"));
    let mut nan = vec![1.0; n];
    nan[0] = f64::NAN;
    assert!(refused(nan, &cfg).contains("weight 0 is NaN"));
    assert!(refused(vec![0.0; n], &cfg).contains("zero weight"));
    let mut ramp: Vec<f64> = (0..n).map(|i| i as f64).collect();
    assert!(refused(ramp.clone(), &config(&spec, "bmc")).contains("Balanced MSE"));
    ramp[0] = 1.0;
    assert!(Trainer::with_sample_weights(&cfg, &bench, LIMIT, &ramp).is_ok());
}

#[test]
fn model_json_text_round_trips() {
    let (_dir, spec, bench) = table();
    let m = train(Trainer::new(&config(&spec, "vanilla"), &bench).unwrap());
    let text = m.to_json().unwrap();
    let back = TrainedModel::from_json_str(&text).unwrap();
    assert_eq!(back.to_json().unwrap(), text);
    assert_eq!(predictions(&back, &bench), predictions(&m, &bench));
    let e = TrainedModel::from_json_str("{\"format\": 3}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("model JSON"), "{e}");
}
