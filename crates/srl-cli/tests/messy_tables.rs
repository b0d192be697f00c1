//! The regression suite of messy tables (fixtures in `tests/fixtures/messy/`, written by its
//! `make.py`): each reproduces a failure seen on public tables the project had never seen, and
//! each test failed on the code before the fix (numbers in the comments).
//!
//! - a `9999` code in one test row: the network extrapolated to a test MAE of 208 (0.15
//!   without the row);
//! - the same code in one validation row: early stopping kept epoch 4 instead of 252;
//! - a `9999` code in three rows of a column otherwise in [7, 22]: σ of the column blown up,
//!   test MAE 1.56 instead of 0.17;
//! - a 200-row table: one 30-row validation part decided the method alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/messy")
        .join(name)
}

fn srl(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .env_remove("SRL_DATA_DIR")
        .output()
        .expect("the srl binary runs");
    assert!(
        o.status.success(),
        "srl {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    o
}

/// `srl train --profile full` on a fixture; returns the run folder's metrics.json.
fn train(file: &str, out: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let csv = fixture(file);
    let mut args = vec![
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--profile",
        "full",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = srl(&args);
    let metrics = std::fs::read_to_string(out.join("metrics.json")).unwrap();
    (
        serde_json::from_str(&metrics).unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn test_mae(m: &serde_json::Value) -> f64 {
    m["test"]["all"]["mae"].as_f64().unwrap()
}

fn best_epoch(m: &serde_json::Value) -> u64 {
    m["best_epoch"].as_u64().unwrap()
}

#[test]
fn a_code_in_one_test_row_does_not_explode() {
    let dir = tempfile::tempdir().unwrap();
    let split = ["--split-column", "part"];
    // Default: the code is reported and read as missing.
    let (m, log) = train("sentinel_in_test.csv", &dir.path().join("a"), &split);
    assert!(
        log.contains("column `temp` holds 9999 (1 cell") && log.contains("--keep-outliers"),
        "{log}"
    );
    assert!(test_mae(&m) < 0.5, "{}", test_mae(&m));
    // Kept as a number: clipped to the training range, flagged in the predictions.
    let out = dir.path().join("b");
    let (m, _) = train(
        "sentinel_in_test.csv",
        &out,
        &["--split-column", "part", "--keep-outliers"],
    );
    assert!(test_mae(&m) < 0.5, "{}", test_mae(&m));
    let preds = std::fs::read_to_string(out.join("test_predictions.csv")).unwrap();
    assert!(preds.starts_with("row,line,y,pred,bin,shot,out_of_range\n"));
    let flagged: Vec<&str> = preds.lines().filter(|l| l.ends_with(",1")).collect();
    assert_eq!(flagged.len(), 1, "{preds}");
    assert!(flagged[0].starts_with("1,2,"), "{flagged:?}");
    // --no-clip restores the extrapolation the defaults prevent.
    let (m, _) = train(
        "sentinel_in_test.csv",
        &dir.path().join("c"),
        &["--split-column", "part", "--keep-outliers", "--no-clip"],
    );
    assert!(test_mae(&m) > 5.0, "{}", test_mae(&m));
}

#[test]
fn one_outlier_in_validation_does_not_choose_the_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let split = ["--split-column", "part"];
    // Kept as a number (clipped or not), the far row is flagged and does not steer early
    // stopping: the kept epoch is the one of the same table without it.
    for clip in [&[][..], &["--no-clip"]] {
        let mut args = split.to_vec();
        args.extend_from_slice(clip);
        let (without, _) = train(
            "sentinel_in_val_removed.csv",
            &dir.path().join(format!("w{}", clip.len())),
            &args,
        );
        args.push("--keep-outliers");
        let (with, _) = train(
            "sentinel_in_val.csv",
            &dir.path().join(format!("k{}", clip.len())),
            &args,
        );
        assert_eq!(best_epoch(&with), best_epoch(&without), "{clip:?}");
        assert_eq!(test_mae(&with), test_mae(&without), "{clip:?}");
    }
    // Default: the code is read as missing; the network trains (the old code kept epoch 4).
    let (m, _) = train("sentinel_in_val.csv", &dir.path().join("d"), &split);
    assert!(best_epoch(&m) > 50, "{}", best_epoch(&m));
    assert!(test_mae(&m) < 0.5, "{}", test_mae(&m));
}

#[test]
fn a_code_in_training_rows_leaves_the_column_scale_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let (m, log) = train("code_in_column.csv", &out, &[]);
    assert!(log.contains("9999 (3 cells"), "{log}");
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    let temp = model["input"]["preprocessor"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "temp")
        .unwrap()
        .clone();
    // σ of values in [7, 22] (a 9999 in the statistics makes it ≈ 1,200).
    let std = temp["std"].as_f64().unwrap();
    assert!(std > 3.0 && std < 6.0, "{std}");
    assert_eq!(temp["codes"]["values"][0].as_f64(), Some(9999.0));
    assert!(test_mae(&m) < 0.5, "{}", test_mae(&m));
    // With --keep-outliers the code stays a number, as before.
    let (_, log) = train(
        "code_in_column.csv",
        &dir.path().join("k"),
        &["--keep-outliers"],
    );
    assert!(log.contains("kept as numbers"), "{log}");
}

#[test]
fn compare_on_a_small_table_cross_validates_and_delivers_an_ensemble() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let csv = fixture("small_clean.csv");
    let o = srl(&[
        "compare",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--methods",
        "vanilla,lds",
        "--seeds",
        "2",
        "--profile",
        "quick",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("5-fold cross-validation") && stdout.contains("validation rows per fold"),
        "{stdout}"
    );
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(c["protocol"]["folds"], 5);
    assert_eq!(c["protocol"]["test_rows"], 30);
    // 170 training + validation rows in 5 folds of 34.
    assert_eq!(
        c["protocol"]["val_rows_per_fold"],
        serde_json::json!([34, 34, 34, 34, 34])
    );
    let lds = &c["methods"][1];
    assert_eq!(lds["runs"], 10);
    let d = &lds["val_vs_reference"];
    assert_eq!(d["n"], 10);
    // The rule: lds replaces vanilla only when its whole interval lies below zero.
    let chosen = c["selected"].as_str().unwrap();
    assert_eq!(chosen == "lds", d["high"].as_f64().unwrap() < 0.0);
    for f in 0..5 {
        for s in 0..2 {
            assert!(out
                .join(format!("runs/lds/fold{f}/seed{s}/model.json"))
                .is_file());
        }
    }
    // The delivered ensemble: srl eval reproduces the comparison's ensemble test MAE, and
    // srl predict applies it to raw rows.
    let model = out.join("selected/model.json");
    let e = srl(&["eval", "--checkpoint", model.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&e.stdout);
    assert!(e.contains("(10 models averaged)"), "{e}");
    let idx = if chosen == "lds" { 1 } else { 0 };
    let ens = c["methods"][idx]["test_ensemble"][0].as_f64().unwrap();
    assert!(e.contains(&format!("{ens:.4}")), "{ens} not in\n{e}");
    let p = srl(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    let preds = String::from_utf8_lossy(&p.stdout);
    assert_eq!(preds.lines().count(), 201, "{preds}");
}
