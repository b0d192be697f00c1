//! End-to-end tests of the `srl` binary on a tiny CSV file in a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn srl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .env_remove("SRL_DATA_DIR")
        .output()
        .expect("the srl binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small imbalanced regression problem: 320 rows, target skewed towards small values so the
/// upper bins are few-shot.
fn write_csv(dir: &Path) -> PathBuf {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut csv = String::from("width,angle,speed\n");
    for _ in 0..320 {
        let a = uniform();
        let b = uniform();
        // Squaring a uniform piles the mass near 0: many-shot low bins, few-shot high bins.
        let u = uniform();
        let y = 10.0 * u * u + 0.5 * b;
        let width = y * 0.3 + 0.2 * a;
        let angle = (y * 0.5).sin() + 0.1 * b;
        csv.push_str(&format!("{width:.5},{angle:.5},{y:.5}\n"));
    }
    let path = dir.join("toy.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn train_and_eval_on_a_csv_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_csv(dir.path());
    let csv = csv.to_str().unwrap();
    let out = dir.path().join("run");
    let train = srl(&[
        "train",
        "--csv",
        csv,
        "--target",
        "speed",
        "--bins",
        "6",
        "--split",
        "balanced",
        "--val-test-cap",
        "10",
        "--method",
        "srl",
        "--epochs",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = text(&train.stderr);
    assert!(
        train.status.success(),
        "train failed: {stderr}\n{}",
        text(&train.stdout)
    );
    for f in [
        "metrics.json",
        "model.json",
        "config.toml",
        "log.jsonl",
        "test_predictions.csv",
        "test_features.npy",
        "train_bin_counts.csv",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Not a terminal: one plain line per logged epoch, with the SRL terms.
    assert!(stderr.contains("epoch 3/3"), "{stderr}");
    assert!(
        stderr.contains("env ") && stderr.contains("val_mae"),
        "{stderr}"
    );
    let stdout = text(&train.stdout);
    assert!(stdout.contains("MAE") && stdout.contains("few"), "{stdout}");
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["method"], "srl");
    assert!(metrics["test"]["all"]["mae"].as_f64().unwrap().is_finite());

    let json = dir.path().join("eval.json");
    let eval = srl(&[
        "eval",
        "--checkpoint",
        out.join("model.json").to_str().unwrap(),
        "--csv",
        csv,
        "--target",
        "speed",
        "--bins",
        "6",
        "--split",
        "balanced",
        "--val-test-cap",
        "10",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(eval.status.success(), "eval failed: {}", text(&eval.stderr));
    let evaluated: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // Same data, same split: the checkpoint reproduces the run's test MAE.
    let a = evaluated["all"]["mae"].as_f64().unwrap();
    let b = metrics["test"]["all"]["mae"].as_f64().unwrap();
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
}

#[test]
fn a_missing_file_is_one_error_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let out = srl(&[
        "train",
        "--csv",
        missing.to_str().unwrap(),
        "--target",
        "y",
        "--bins",
        "5",
        "--out",
        dir.path().join("run").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains("nope.csv"), "{stderr}");
    assert!(!dir.path().join("run/metrics.json").exists());
}

#[test]
fn a_bad_target_column_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_csv(dir.path());
    let out = srl(&[
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "price",
        "--bins",
        "5",
        "--out",
        dir.path().join("run").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("price"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_with_code_2() {
    // --csv without --target: our own check.
    let out = srl(&["train", "--csv", "x.csv", "--out", "o"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: "),
        "{}",
        text(&out.stderr)
    );
    // Nothing to train on.
    let out = srl(&["train", "--out", "o"]);
    assert_eq!(out.status.code(), Some(2));
    // clap's own usage error: an unknown method.
    let out = srl(&[
        "train",
        "--benchmark",
        "airfoil",
        "--method",
        "magic",
        "--out",
        "o",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_prints_an_editable_preset() {
    let out = srl(&[
        "config",
        "--benchmark",
        "airfoil",
        "--method",
        "vanilla",
        "--profile",
        "full",
        "--seed",
        "4",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let parsed: toml::Value = toml::from_str(&stdout).expect("valid TOML");
    assert_eq!(parsed["seed"].as_integer(), Some(4));
    assert_eq!(parsed["optim"]["epochs"].as_integer(), Some(300));
    // An unknown benchmark or method is a usage error (exit 2) naming the value and the choices.
    let bad = srl(&["config", "--benchmark", "mnist"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("mnist") && text(&bad.stderr).contains("airfoil"));
    let bad = srl(&["config", "--benchmark", "airfoil", "--method", "srl+magic"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("magic") && text(&bad.stderr).contains("ranksim"));
    let bad = srl(&["config", "--benchmark", "airfoil", "--method", "lds+inv"]);
    assert_eq!(bad.status.code(), Some(2));
    // Every method is one CLI value and one config.
    let combo = srl(&[
        "config",
        "--benchmark",
        "airfoil",
        "--method",
        "ranksim+srl",
    ]);
    assert!(combo.status.success(), "{}", text(&combo.stderr));
    let parsed: toml::Value = toml::from_str(&text(&combo.stdout)).expect("valid TOML");
    assert!(parsed["method"]["srl"]["tau"].as_float().is_some());
    assert!(parsed["method"]["ranksim"]["weight"].as_float().is_some());
    assert!(parsed["method"].get("fds").is_none());
}

#[test]
fn help_documents_the_commands() {
    let out = srl(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in [
        "train",
        "eval",
        "fetch",
        "config",
        "Examples",
        "SRL_DATA_DIR",
    ] {
        assert!(help.contains(word), "--help lacks {word}: {help}");
    }
    let train_help = text(&srl(&["train", "--help"]).stdout);
    assert!(train_help.contains("--bin-width") && train_help.contains("--bins"));
}

#[test]
fn fetch_of_a_generated_benchmark_is_a_no_op_and_unknown_names_fail() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let ok = srl(&["fetch", "iol-linear", "--data-dir", d]);
    assert!(ok.status.success());
    assert!(text(&ok.stdout).contains("generated"));
    let bad = srl(&["fetch", "mnist", "--data-dir", d]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("mnist"));
}

#[test]
fn a_reader_that_goes_away_does_not_make_srl_panic() {
    // `srl config | head -c 0`, deterministically: the pipe's read end is closed before srl
    // starts, so its first write fails with EPIPE (println! would panic with exit code 101).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(["config", "--benchmark", "airfoil"])
        .stdout(writer)
        .output()
        .expect("the srl binary runs");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn weights_cover_every_row_with_mean_one_and_rarer_bins_weigh_more() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_csv(dir.path());
    let csv = csv.to_str().unwrap();
    let read = |path: &Path| -> Vec<(usize, f64, usize, f64)> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("line,target,bin,weight"));
        lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (
                    f[0].parse().unwrap(),
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                )
            })
            .collect()
    };
    let weights_with = |scheme: &str, out: &Path, extra: &[&str]| {
        let mut args = vec![
            "weights",
            "--csv",
            csv,
            "--target",
            "speed",
            "--scheme",
            scheme,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        srl(&args)
    };
    let weights = |scheme: &str, out: &Path| weights_with(scheme, out, &[]);
    let mut by_scheme = Vec::new();
    for scheme in ["inv", "sqinv", "lds", "denseweight"] {
        let out = dir.path().join(format!("{scheme}.csv"));
        let o = weights(scheme, &out);
        assert!(o.status.success(), "{scheme}: {}", text(&o.stderr));
        let rows = read(&out);
        // One row per data row, in file order (the header is line 1).
        assert_eq!(rows.len(), 320, "{scheme}");
        assert!(
            rows.iter().enumerate().all(|(i, r)| r.0 == i + 2),
            "{scheme}"
        );
        let w: Vec<f64> = rows.iter().map(|r| r.3).collect();
        assert!(w.iter().all(|&v| v > 0.0 && v.is_finite()), "{scheme}");
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        assert!((mean - 1.0).abs() < 1e-9, "{scheme}: mean {mean}");
        // The skewed target: the top bin is rarer than the bottom one, so it weighs more.
        let weight_of = |bin: usize| rows.iter().find(|r| r.2 == bin).map(|r| r.3);
        let top = rows.iter().map(|r| r.2).max().unwrap();
        assert!(weight_of(top).unwrap() > weight_of(0).unwrap(), "{scheme}");
        by_scheme.push(w);
    }
    assert_ne!(by_scheme[0], by_scheme[1]);
    assert_ne!(by_scheme[1], by_scheme[2]);
    assert_ne!(by_scheme[2], by_scheme[3]);

    // DenseWeight's α: the preset is 1, 0 gives all ones, a larger α spreads the weights.
    let dense = |alpha: &str| {
        let out = dir.path().join(format!("dense-{alpha}.csv"));
        let o = weights_with("denseweight", &out, &["--alpha", alpha]);
        assert!(o.status.success(), "α {alpha}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains(&format!("denseweight α {alpha}")));
        read(&out).into_iter().map(|r| r.3).collect::<Vec<f64>>()
    };
    assert_eq!(dense("1"), by_scheme[3]);
    assert!(dense("0").iter().all(|&w| w == 1.0));
    let spread = |w: &[f64]| {
        w.iter().copied().fold(0.0, f64::max) / w.iter().copied().fold(f64::INFINITY, f64::min)
    };
    assert!(spread(&dense("0.5")) < spread(&by_scheme[3]));
    // --alpha belongs to DenseWeight and must be ≥ 0.
    let out = dir.path().join("y.csv");
    let o = weights_with("lds", &out, &["--alpha", "0.5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("--scheme denseweight"),
        "{}",
        text(&o.stderr)
    );
    let o = weights_with("denseweight", &out, &["--alpha=-1"]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("alpha"), "{}", text(&o.stderr));
    assert!(!out.exists());

    // Not a re-weighting, an existing output without --force: usage errors, nothing written.
    let out = dir.path().join("x.csv");
    let o = weights("srl", &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!out.exists());
    let existing = dir.path().join("inv.csv");
    let o = weights("inv", &existing);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"));
}
