//! `--method denseweight`: the DenseWeight re-weighting in the method layer — its name, family
//! and combinations, its preset α, its validation, its per-row weights (the targets', from
//! `srl_losses::baselines::denseweight`) and that they reach the regression loss in training.

use srl_data::table::TableSpec;
use srl_data::Benchmark;
use srl_losses::baselines::denseweight::{dense_weights, DenseWeightParams};
use srl_train::method::{
    Component, Family, MethodParams, PresetContext, RegressionParams, TrainingLabels,
};
use srl_train::{MethodName, Profile, RunConfig, TrainedModel, Trainer};
use std::fmt::Write;

#[test]
fn denseweight_is_a_reweighting_that_combines_like_lds() {
    let c = Component::Denseweight;
    assert_eq!(c.as_str(), "denseweight");
    assert_eq!(c.display_name(), "DenseWeight");
    assert_eq!(c.info().family, Family::Reweighting);
    for (text, canonical) in [
        ("denseweight", "denseweight"),
        ("srl+denseweight", "denseweight+srl"),
        ("fds+denseweight", "denseweight+fds"),
        ("focal+denseweight", "denseweight+focal"),
        ("rnc+denseweight", "denseweight+rnc"),
    ] {
        let n: MethodName = text.parse().unwrap();
        assert_eq!(n.to_string(), canonical);
        let p = MethodParams::preset(&n, PresetContext::Tabular);
        p.check().unwrap();
        assert_eq!(p.name(), n);
    }
    for bad in [
        "denseweight+lds",
        "denseweight+inv",
        "sqinv+denseweight",
        "denseweight+bmc",
        "gai+denseweight",
    ] {
        let e = bad.parse::<MethodName>().unwrap_err().to_string();
        assert!(e.contains("method"), "{bad}: {e}");
    }
}

#[test]
fn the_preset_is_the_papers_alpha_in_every_context() {
    let name: MethodName = "denseweight".parse().unwrap();
    for ctx in [
        PresetContext::Tabular,
        PresetContext::OperatorLinear,
        PresetContext::OperatorNonlinear,
    ] {
        let p = MethodParams::preset(&name, ctx);
        assert_eq!(p.regression.denseweight, Some(DenseWeightParams::default()));
        assert_eq!(p.regression.denseweight.unwrap().alpha, 1.0);
        assert!(p.regression.reweight.is_none());
    }
    // Other methods do not get the field (their configurations stay as they were).
    let lds = MethodParams::preset(&"lds".parse().unwrap(), PresetContext::Tabular);
    assert!(lds.regression.denseweight.is_none());
}

#[test]
fn check_names_the_field_and_refuses_two_reweightings() {
    let name: MethodName = "denseweight".parse().unwrap();
    let mut p = MethodParams::preset(&name, PresetContext::Tabular);
    for bad in [f64::NAN, -1.0] {
        p.regression.denseweight.as_mut().unwrap().alpha = bad;
        let e = p.check().unwrap_err().to_string();
        assert!(e.contains("method.regression.denseweight"), "{e}");
        assert!(e.contains("alpha"), "{e}");
    }
    // A table with both re-weightings, or DenseWeight under Balanced MSE.
    let mut both = MethodParams::preset(&"lds".parse().unwrap(), PresetContext::Tabular);
    both.regression.denseweight = Some(DenseWeightParams::default());
    assert!(both
        .check()
        .unwrap_err()
        .to_string()
        .contains("method.regression.denseweight"));
    let mut bmc = MethodParams::preset(&"bmc".parse().unwrap(), PresetContext::Tabular);
    bmc.regression.denseweight = Some(DenseWeightParams::default());
    assert!(bmc
        .check()
        .unwrap_err()
        .to_string()
        .contains("Balanced MSE"));
}

#[test]
fn the_regression_table_reads_and_writes_denseweight() {
    let p = MethodParams::preset(&"denseweight".parse().unwrap(), PresetContext::Tabular);
    let text = toml::to_string(&p.regression).unwrap();
    assert!(text.contains("[denseweight]\nalpha = 1.0\n"), "{text}");
    let edited = text.replace("alpha = 1.0", "alpha = 0.5");
    let r: RegressionParams = toml::from_str(&edited).unwrap();
    assert_eq!(r.denseweight, Some(DenseWeightParams::with_alpha(0.5)));
    // Only α given: the package's other defaults.
    let short = format!(
        "{}[denseweight]\nalpha = 2.0\n",
        text.split("[denseweight]").next().unwrap()
    );
    let r: RegressionParams = toml::from_str(&short).unwrap();
    assert_eq!(r.denseweight, Some(DenseWeightParams::with_alpha(2.0)));
    // Without DenseWeight the table has no trace of it.
    let lds = MethodParams::preset(&"lds".parse().unwrap(), PresetContext::Tabular);
    assert!(!toml::to_string(&lds.regression)
        .unwrap()
        .contains("denseweight"));
}

/// A small table with a skewed target, prepared as `srl train --csv`.
fn table() -> (tempfile::TempDir, TableSpec, Benchmark) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,z,y\n");
    for i in 0..160 {
        let x = (i as f64 * 0.37).sin() * 2.0;
        let z = (i as f64 * 0.11).cos();
        let y = (x + 0.5 * z).exp();
        let _ = writeln!(text, "{x},{z},{y}");
    }
    let path = dir.path().join("skewed.csv");
    std::fs::write(&path, text).unwrap();
    let spec = TableSpec::new(&path, "y");
    let bench = srl_data::table::prepare(&spec).unwrap();
    (dir, spec, bench)
}

fn config(spec: &TableSpec, method: &str) -> srl_train::ValidRunConfig {
    let method: MethodName = method.parse().unwrap();
    let mut cfg = RunConfig::table_preset(spec.clone(), &method, Profile::Quick).unwrap();
    cfg.optim.epochs = 5;
    cfg.optim.early_stopping = None;
    cfg.check().unwrap()
}

fn train(mut t: Trainer<'_>) -> TrainedModel {
    while !t.is_done() {
        t.run_epoch().unwrap();
    }
    t.finish().unwrap().model
}

fn predictions(m: &TrainedModel, bench: &Benchmark) -> Vec<f64> {
    m.try_predict(bench.test.x.view()).unwrap().to_vec()
}

#[test]
fn denseweight_trains_and_its_weights_reach_the_regression_loss() {
    let (_dir, spec, bench) = table();
    let cfg = config(&spec, "denseweight");
    let targets = bench.train.y.to_vec();
    // The method's weights are the raw training targets' DenseWeight weights.
    let w = cfg
        .method
        .regression
        .check()
        .unwrap()
        .row_weights(TrainingLabels {
            targets: &targets,
            bins: &bench.train.bins,
            num_bins: bench.binning.num_bins(),
        })
        .unwrap()
        .unwrap();
    let direct = dense_weights(&targets, &DenseWeightParams::default().check().unwrap()).unwrap();
    assert_eq!(w, direct);
    assert!(w.iter().copied().fold(0.0, f64::max) > 2.0 * w.iter().copied().fold(9.0, f64::min));

    let by_method = predictions(&train(Trainer::new(&cfg, &bench).unwrap()), &bench);
    assert!(by_method.iter().all(|p| p.is_finite()));
    // Training with the method is training the plain loss with those weights as sample weights
    // (the same weighted loss, up to rounding of the weights to f32) — and not the plain loss.
    let vanilla = config(&spec, "vanilla");
    let by_weights = predictions(
        &train(
            Trainer::with_sample_weights(&vanilla, &bench, srl_train::DEFAULT_MEMORY_LIMIT, &w)
                .unwrap(),
        ),
        &bench,
    );
    let unweighted = predictions(&train(Trainer::new(&vanilla, &bench).unwrap()), &bench);
    let max_diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    };
    let same = max_diff(&by_method, &by_weights);
    let apart = max_diff(&by_method, &unweighted);
    assert!(apart > 1e-6, "the weights changed nothing: {apart}");
    assert!(same < 1e-3 * apart + 1e-6, "{same} vs {apart}");
    // With SRL beside it, the run trains too.
    let with_srl = config(&spec, "denseweight+srl");
    assert!(
        predictions(&train(Trainer::new(&with_srl, &bench).unwrap()), &bench)
            .iter()
            .all(|p| p.is_finite())
    );
}
