//! Boosted trees from the command line: `srl train --method gbdt…` writes a run folder that
//! `srl eval` and `srl predict` serve, and `srl compare` ranks trees and networks with one rule
//! and delivers the selected trees as one averaged model.

mod common;

use common::{json, srl, srl_raw};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    common::fixture("messy", name)
}

#[test]
fn train_eval_and_predict_with_weighted_trees() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let csv = fixture("small_clean.csv");
    let csv = csv.to_str().unwrap();
    let stdout = srl(&[
        "train",
        "--csv",
        csv,
        "--target",
        "y",
        "--method",
        "gbdt+lds",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("gbdt+lds on small_clean: best round"),
        "{stdout}"
    );
    let m = json(&out.join("metrics.json"));
    assert_eq!(m["method"], "gbdt+lds");
    let mae = m["test"]["all"]["mae"].as_f64().unwrap();
    assert!(mae.is_finite() && mae > 0.0);
    assert!(std::fs::read_to_string(out.join("config.toml"))
        .unwrap()
        .contains("[gbdt]"));
    // srl eval reproduces the run's test MAE from the raw rows.
    let model = out.join("model.json");
    let e = srl(&["eval", "--checkpoint", model.to_str().unwrap()]);
    assert!(
        e.contains("(one model)") && e.contains(&format!("{mae:.4}")),
        "{mae} not in\n{e}"
    );
    // srl predict: every row of the file, and the test rows as in test_predictions.csv.
    let p = srl(&["predict", "--model", model.to_str().unwrap(), "--csv", csv]);
    assert_eq!(p.lines().count(), 201, "{p}");
    let pred: Vec<f64> = p
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let tp = std::fs::read_to_string(out.join("test_predictions.csv")).unwrap();
    for l in tp.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let row: usize = f[0].parse().unwrap();
        let expected: f64 = f[3].parse().unwrap();
        assert_eq!(pred[row - 1], expected, "row {row}");
    }
    // Network-only flags are refused for trees.
    let o = srl_raw(&[
        "train",
        "--csv",
        csv,
        "--target",
        "y",
        "--method",
        "gbdt",
        "--epochs",
        "5",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("boosted trees"));
    // gbdt combines with a re-weighting only.
    let o = srl_raw(&[
        "train",
        "--csv",
        csv,
        "--target",
        "y",
        "--method",
        "gbdt+srl",
        "--out",
        dir.path().join("y").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("re-weighting"));
}

#[test]
fn compare_ranks_trees_and_networks_with_one_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let csv = fixture("small_clean.csv");
    let stdout = srl(&[
        "compare",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--methods",
        "vanilla,gbdt,gbdt+sqinv",
        "--seeds",
        "1",
        "--profile",
        "quick",
        "--out",
        out.to_str().unwrap(),
    ]);
    let c = json(&out.join("comparison.json"));
    let names: Vec<&str> = c["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vanilla", "gbdt", "gbdt+sqinv"], "{stdout}");
    for m in c["methods"].as_array().unwrap() {
        assert_eq!(m["runs"], 5);
    }
    // The trees are paired with vanilla over the same folds.
    assert_eq!(c["methods"][1]["val_vs_reference"]["n"], 5);
    for f in 0..5 {
        let run = out.join(format!("runs/gbdt+sqinv/fold{f}/seed0"));
        assert!(run.join("model.json").is_file() && run.join("metrics.json").is_file());
    }
    // Whatever was selected, the delivered model predicts every row and srl eval scores it
    // as the comparison did.
    let chosen = c["selected"].as_str().unwrap();
    let idx = names.iter().position(|n| *n == chosen).unwrap();
    let model = out.join("selected/model.json");
    let e = srl(&["eval", "--checkpoint", model.to_str().unwrap()]);
    let ens = c["methods"][idx]["test_ensemble"][0].as_f64().unwrap();
    assert!(
        e.contains("(5 models averaged)") && e.contains(&format!("{ens:.4}")),
        "{ens}\n{e}"
    );
    let p = srl(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(p.lines().count(), 201);
}

/// A skewed target: a few large values beyond the box-plot fence make φ > 0 there.
fn skewed(dir: &Path) -> PathBuf {
    let path = dir.join("skewed.csv");
    let mut csv = String::from("a,b,y\n");
    for i in 0..240u32 {
        let a = f64::from(i % 17);
        let b = f64::from((i * 7) % 13);
        let y = if i % 20 == 0 { 40.0 + a } else { a + 0.5 * b };
        csv.push_str(&format!("{a},{b},{y}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn resample_flag_adds_the_resampler_to_every_method() {
    let dir = tempfile::tempdir().unwrap();
    let path = skewed(dir.path());
    let p = path.to_str().unwrap();
    let out = dir.path().join("run");
    srl(&[
        "train",
        "--csv",
        p,
        "--target",
        "y",
        "--method",
        "gbdt",
        "--resample",
        "smogn",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(json(&out.join("metrics.json"))["method"], "smogn+gbdt");
    let cmp = dir.path().join("cmp");
    srl(&[
        "compare",
        "--csv",
        p,
        "--target",
        "y",
        "--methods",
        "vanilla,gbdt",
        "--resample",
        "smogn",
        "--seeds",
        "1",
        "--profile",
        "quick",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    let c = json(&cmp.join("comparison.json"));
    assert_eq!(c["methods"][0]["method"], "smogn");
    assert_eq!(c["methods"][1]["method"], "smogn+gbdt");
    assert_eq!(c["protocol"]["reference"], "smogn");
    let o = srl_raw(&[
        "train",
        "--csv",
        p,
        "--target",
        "y",
        "--resample",
        "lds",
        "--out",
        dir.path().join("bad").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not one resampler"));
}

#[test]
fn select_sera_ranks_on_the_validation_sera_or_says_why_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = skewed(dir.path());
    let out = dir.path().join("cmp");
    srl(&[
        "compare",
        "--csv",
        path.to_str().unwrap(),
        "--target",
        "y",
        "--methods",
        "vanilla,gbdt",
        "--seeds",
        "1",
        "--profile",
        "quick",
        "--select",
        "sera",
        "--out",
        out.to_str().unwrap(),
    ]);
    let c = json(&out.join("comparison.json"));
    assert_eq!(c["selection"], "sera");
    assert!(
        c["rule"].as_str().unwrap().contains("SERA"),
        "{}",
        c["rule"]
    );
    for m in c["methods"].as_array().unwrap() {
        assert!(m["val_sera"]["mean"].as_f64().unwrap() > 0.0);
    }
    let run = json(&out.join("runs/gbdt/fold0/seed0/metrics.json"));
    assert!(run["relevance"]["val"]["sera"].as_f64().unwrap() > 0.0);
    // small_clean.csv has no target beyond the fences: no φ, so no SERA to select on.
    let o = srl_raw(&[
        "compare",
        "--csv",
        fixture("small_clean.csv").to_str().unwrap(),
        "--target",
        "y",
        "--methods",
        "vanilla,gbdt",
        "--select",
        "sera",
        "--out",
        dir.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--select sera needs"));
}
