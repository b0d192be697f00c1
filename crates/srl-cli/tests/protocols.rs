//! `--protocol` end to end: a blind-spot or extrapolation run writes the test metrics on the
//! removed range in metrics.json, records the protocol in config.toml (which reads back to
//! the same configuration), and `srl compare` folds only the remaining rows.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/messy")
        .join(name)
}

fn srl(args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_srl"));
    c.args(args).env_remove("SRL_DATA_DIR");
    if let Some(d) = data_dir {
        c.env("SRL_DATA_DIR", d);
    }
    c.output().expect("the srl binary runs")
}

fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "srl failed: {}\n{out}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The run folder's config.toml names `protocol` and reads back to itself.
fn config_round_trips(run: &Path, protocol: &str) {
    let text = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        text.contains(&format!("protocol = \"{protocol}\"")),
        "{text}"
    );
    let cfg = srl_train::RunConfig::from_toml_str(&text).unwrap();
    assert_eq!(cfg.to_toml_string().unwrap(), text);
    let p = match &cfg.data {
        srl_train::DataConfig::Benchmark { protocol, .. } => protocol.clone(),
        srl_train::DataConfig::Csv(t) => t.protocol.clone(),
    };
    assert_eq!(p.to_string(), protocol);
}

/// metrics.json's `protocol`: removed-range and kept test groups that add up to the test part.
fn removed_range_metrics(run: &Path, protocol: &str) -> serde_json::Value {
    let m = json(&run.join("metrics.json"));
    let p = &m["protocol"];
    assert_eq!(p["protocol"], protocol, "{m}");
    let removed = p["test_removed"]["count"].as_u64().unwrap();
    let kept = p["test_kept"]["count"].as_u64().unwrap();
    assert!(removed > 0, "{p}");
    assert_eq!(removed + kept, m["test"]["all"]["count"].as_u64().unwrap());
    assert!(p["test_removed"]["mae"].as_f64().unwrap() >= 0.0);
    m
}

#[test]
fn a_table_under_a_blind_spot_reports_the_removed_range() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let csv = fixture("small_clean.csv");
    let protocol = "blind-spot:q0.4..q0.6";
    let stdout = ok(&srl(
        &[
            "train",
            "--csv",
            csv.to_str().unwrap(),
            "--target",
            "y",
            "--protocol",
            protocol,
            "--epochs",
            "2",
            "--out",
            run.to_str().unwrap(),
        ],
        None,
    ));
    assert!(
        stdout.contains("removed") && stdout.contains("kept"),
        "{stdout}"
    );
    let m = removed_range_metrics(&run, protocol);
    // training rows were moved: about a fifth of the rows, the test part grows by them
    let p = &m["protocol"];
    assert!(p["removed_train"].as_u64().unwrap() > 10, "{p}");
    assert_eq!(p["moved_to_test"], true);
    config_round_trips(&run, protocol);
    // srl eval re-prepares the data from the config: the same split, the same two groups
    let model = run.join("model.json");
    let e = ok(&srl(
        &["eval", "--checkpoint", model.to_str().unwrap()],
        None,
    ));
    let removed_mae = m["protocol"]["test_removed"]["mae"].as_f64().unwrap();
    assert!(
        e.contains(&format!("protocol {protocol}")) && e.contains(&format!("{removed_mae:.4}")),
        "{removed_mae}\n{e}"
    );

    // the standard protocol writes neither field
    let plain = dir.path().join("plain");
    ok(&srl(
        &[
            "train",
            "--csv",
            csv.to_str().unwrap(),
            "--target",
            "y",
            "--epochs",
            "2",
            "--out",
            plain.to_str().unwrap(),
        ],
        None,
    ));
    assert!(json(&plain.join("metrics.json")).get("protocol").is_none());
    let text = std::fs::read_to_string(plain.join("config.toml")).unwrap();
    assert!(!text.contains("protocol ="), "{text}");
}

#[test]
fn a_degenerate_protocol_is_refused_with_its_reason() {
    let csv = fixture("small_clean.csv");
    for (protocol, why) in [
        ("blind-spot:q0.6..q0.4", "empty"),
        ("blind-spot:q0.1..q0.3,q0.2..q0.5", "overlap"),
        ("extrapolation:high:1.5", "not in (0, 1)"),
        ("blind-spot:-1000..1000", "not interior"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let o = srl(
            &[
                "train",
                "--csv",
                csv.to_str().unwrap(),
                "--target",
                "y",
                "--protocol",
                protocol,
                "--epochs",
                "1",
                "--out",
                dir.path().join("r").to_str().unwrap(),
            ],
            None,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(why),
            "{protocol}: {err}"
        );
    }
}

#[test]
fn compare_folds_the_rows_left_by_an_extrapolation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let csv = fixture("small_clean.csv");
    let protocol = "extrapolation:high:0.1";
    ok(&srl(
        &[
            "compare",
            "--csv",
            csv.to_str().unwrap(),
            "--target",
            "y",
            "--protocol",
            protocol,
            "--methods",
            "vanilla,gbdt",
            "--seeds",
            "1",
            "--folds",
            "2",
            "--profile",
            "quick",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    ));
    for method in ["vanilla", "gbdt"] {
        for f in 0..2 {
            let run = out.join(format!("runs/{method}/fold{f}/seed0"));
            let m = removed_range_metrics(&run, protocol);
            // the removed rows are tested, never trained or validated on
            assert_eq!(m["protocol"]["moved_to_test"], true);
            let removed = m["protocol"]["removed"][0].clone();
            assert!(removed[1].is_null(), "open upper end: {removed}");
            if method == "gbdt" {
                let text = std::fs::read_to_string(run.join("config.toml")).unwrap();
                assert!(
                    text.contains(&format!("protocol = \"{protocol}\"")),
                    "{text}"
                );
            } else {
                config_round_trips(&run, protocol);
            }
        }
    }
}

#[test]
fn airfoil_under_extrapolation_writes_the_removed_range_mae() {
    let Some(data) = srl_data::datadir::data_for_test(
        "airfoil_under_extrapolation_writes_the_removed_range_mae",
        "airfoil/airfoil_self_noise.dat",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let protocol = "extrapolation:high:0.1";
    ok(&srl(
        &[
            "train",
            "--benchmark",
            "airfoil",
            "--protocol",
            protocol,
            "--epochs",
            "2",
            "--out",
            run.to_str().unwrap(),
        ],
        Some(&data),
    ));
    let m = removed_range_metrics(&run, protocol);
    // every Airfoil row with a target in the top decile is tested: 10 % of 1503 rows
    let tested = m["protocol"]["test_removed"]["count"].as_u64().unwrap();
    assert!((150..=160).contains(&tested), "{tested}");
    config_round_trips(&run, protocol);
}
