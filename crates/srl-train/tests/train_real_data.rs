//! End-to-end training on real data slices: the loss falls, metrics are finite, outputs are
//! written, divergence is reported.

use srl_data::{BenchmarkId, BinSpec};
use srl_train::{prepare_data, run, DataConfig, Profile, RunConfig, TrainError};

fn data_dir() -> Option<std::path::PathBuf> {
    srl_data::datadir::data_for_test("train_real_data", "")
}

fn quick(benchmark: &str, method: &str, epochs: usize) -> RunConfig {
    let mut cfg = RunConfig::preset(
        benchmark.parse::<BenchmarkId>().unwrap(),
        &method.parse().unwrap(),
        Profile::Quick,
    )
    .unwrap();
    cfg.optim.epochs = epochs;
    cfg.optim.schedule = srl_train::LrSchedule::constant();
    cfg
}

#[test]
fn airfoil_vanilla_and_srl_learn_and_write_outputs() {
    let Some(dir) = data_dir() else { return };
    let cfg = quick("airfoil", "srl", 12);
    let bench = prepare_data(&cfg.data, &dir).unwrap();
    for method in ["vanilla", "srl"] {
        let cfg = quick("airfoil", method, 12);
        let out = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        let outcome = run(&cfg.check().unwrap(), &bench, Some(out.path()), &mut |l| {
            lines.push(l.clone())
        })
        .unwrap();
        assert_eq!(lines.len(), 12);
        let first = &lines[0];
        let last = lines.last().unwrap();
        assert!(
            last.reg < first.reg,
            "{method}: regression loss did not fall: {} -> {}",
            first.reg,
            last.reg
        );
        assert!(
            last.val_mae < first.val_mae,
            "{method}: val MAE did not fall"
        );
        let test = &outcome.report.test;
        assert!(test.all.mae.unwrap().is_finite());
        assert!(
            test.all.mae.unwrap() < 8.0,
            "{method}: test MAE {:?}",
            test.all.mae
        );
        if method == "srl" {
            assert!(last.envelope > 0.0 && last.envelope.is_finite());
            assert!(last.contrastive > 0.0);
        } else {
            assert_eq!(last.envelope, 0.0);
        }
        let g = outcome.report.geometry;
        let in_unit = |v: Option<f64>| v.is_some_and(|v| (0.0..=1.0).contains(&v));
        assert!(in_unit(g.coverage), "{g:?}");
        assert!(in_unit(g.few_shot_share), "{g:?}");
        assert!(
            g.soft_coverage.is_some_and(|v| (-1.0..=1.0).contains(&v)),
            "{g:?}"
        );
        assert!(g.arc_length.is_some_and(|v| v > 0.0), "{g:?}");
        assert!(g.speed_cv.is_some_and(|v| v >= 0.0), "{g:?}");
        for f in [
            "config.toml",
            "log.jsonl",
            "metrics.json",
            "model.json",
            "test_predictions.csv",
            "test_features.npy",
            "train_bin_counts.csv",
        ] {
            assert!(out.path().join(f).is_file(), "{f} missing");
        }
        // The checkpoint reproduces the reported test metrics.
        let model = srl_train::TrainedModel::load(&out.path().join("model.json")).unwrap();
        let again = srl_train::evaluate(&model, &bench).unwrap();
        approx::assert_relative_eq!(
            again.all.mae.unwrap(),
            test.all.mae.unwrap(),
            max_relative = 1e-9
        );
        // And the written config parses back to the same run.
        let text = std::fs::read_to_string(out.path().join("config.toml")).unwrap();
        assert_eq!(RunConfig::from_toml_str(&text).unwrap(), cfg);
    }
}

#[test]
fn iol_sde_full_batch_srl_runs() {
    let Some(dir) = data_dir() else { return };
    let mut cfg = quick("iol-sde", "srl", 30);
    cfg.optim.eval_every = 10;
    let bench = prepare_data(&cfg.data, &dir).unwrap();
    let mut lines = Vec::new();
    let outcome = run(&cfg.check().unwrap(), &bench, None, &mut |l| {
        lines.push(l.clone())
    })
    .unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines[2].reg < lines[0].reg);
    assert!(outcome.report.test.few.mae.unwrap().is_finite());
}

#[test]
fn divergence_stops_with_a_named_term() {
    let Some(dir) = data_dir() else { return };
    let mut cfg = quick("airfoil", "vanilla", 5);
    cfg.optim.optimizer = srl_train::OptimizerConfig::Sgd {
        lr: 1e6,
        momentum: 0.0,
        weight_decay: 0.0,
        nesterov: false,
    };
    cfg.method.regression.loss = srl_losses::RegressionLoss::Mse;
    let bench = prepare_data(&cfg.data, &dir).unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = run(&cfg.check().unwrap(), &bench, Some(out.path()), &mut |_| {}).unwrap_err();
    match err {
        TrainError::Diverged { term, .. } => assert!(!term.is_empty()),
        other => panic!("expected Diverged, got {other}"),
    }
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "a diverged run wrote files"
    );
}

#[test]
fn csv_data_and_bad_config_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("toy.csv");
    let mut text = String::from("a,b,y\n");
    for i in 0..300 {
        let x = i as f64 / 300.0;
        text.push_str(&format!("{x},{},{}\n", (x * 7.0).sin(), 3.0 * x * x + x));
    }
    std::fs::write(&csv, text).unwrap();
    let mut cfg = quick("airfoil", "srl", 5);
    let mut table = srl_data::table::TableSpec::new(csv, "y");
    table.bins = Some(BinSpec::Count(10));
    table.split = srl_data::table::SplitSpec::Balanced { cap: 5 };
    cfg.data = DataConfig::Csv(table);
    let bench = prepare_data(&cfg.data, dir.path()).unwrap();
    assert_eq!(bench.binning.num_bins(), 10);
    let outcome = run(&cfg.check().unwrap(), &bench, None, &mut |_| {}).unwrap();
    assert!(outcome.report.test.all.mae.unwrap().is_finite());

    let mut bad = cfg.clone();
    if let Some(srl) = &mut bad.method.srl {
        srl.tau = 0.0;
    }
    let err = bad.check().unwrap_err();
    assert!(err.to_string().contains("method.srl.tau"), "{err}");
}

#[test]
fn a_run_keeps_its_best_model_so_far_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("toy.csv");
    let mut text = String::from("a,c,y\n");
    for i in 0..200 {
        let x = i as f64 / 200.0;
        let c = ["p", "q"][i % 2];
        text.push_str(&format!("{x},{c},{}\n", 3.0 * x * x + x));
    }
    std::fs::write(&csv, text).unwrap();
    let table = srl_data::table::TableSpec::new(csv, "y");
    let mut cfg =
        RunConfig::table_preset(table, &"vanilla".parse().unwrap(), Profile::Quick).unwrap();
    cfg.optim.early_stopping = None;
    cfg.optim.epochs = 40;
    let bench = prepare_data(&cfg.data, dir.path()).unwrap();
    let out = dir.path().join("run");
    let model = out.join(srl_train::run_folder::MODEL);
    // Before the end of the run (epochs 2, 4, … write), the file is a loadable model whose
    // preprocessing takes raw rows; metrics.json (the end marker) is not there yet.
    let mut seen_mid_run = 0;
    run(&cfg.check().unwrap(), &bench, Some(&out), &mut |log| {
        if log.epoch >= 10 && log.epoch < 39 {
            let m = srl_train::TrainedModel::load(&model).unwrap();
            assert!(m.input().is_some());
            assert!(!srl_train::run_folder::is_complete(&out));
            seen_mid_run += 1;
        }
    })
    .unwrap();
    assert!(seen_mid_run > 20);
    assert!(srl_train::run_folder::is_complete(&out));
}
