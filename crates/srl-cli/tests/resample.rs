//! `srl resample` end to end, and resampled methods in `srl train` and `srl compare`.

mod common;

use common::{fixture, srl, srl_raw};
use std::collections::BTreeSet;
use std::path::Path;

/// Header and records of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The file's data lines by 1-based line number.
fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn resample_writes_the_table_with_origins() {
    let dir = tempfile::tempdir().unwrap();
    let csv = fixture("messy", "small_clean.csv");
    let out = dir.path().join("smoter.csv");
    let stdout = srl(&[
        "resample",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--method",
        "smoter",
        "--coef",
        "0.5",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("smoter on"), "{stdout}");
    assert!(
        stdout.contains("before") && stdout.contains("after"),
        "{stdout}"
    );
    let (header, rows) = read_csv(&out);
    assert_eq!(header, ["x", "temp", "y", "origin"]);
    let file = lines(&csv);
    let total: usize = stdout
        .lines()
        .find(|l| l.starts_with("total"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(rows.len(), total, "{stdout}");
    let range = |j: usize| {
        file[1..]
            .iter()
            .map(|l| l.split(',').nth(j).unwrap().parse::<f64>().unwrap())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            })
    };
    let (mut originals, mut synthetic) = (0, 0);
    for r in &rows {
        let origin = &r[3];
        if let Some(line) = origin.strip_prefix("original:") {
            // The file's own cells, unchanged.
            let line: usize = line.parse().unwrap();
            assert_eq!(r[..3].join(","), file[line - 1], "{origin}");
            originals += 1;
        } else if let Some(pair) = origin.strip_prefix("synthetic:") {
            let (a, b) = pair.split_once('~').unwrap();
            let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
            assert!(a >= 2 && b >= 2 && a <= file.len() && b <= file.len());
            for j in 0..3 {
                let v: f64 = r[j].parse().unwrap();
                let (lo, hi) = range(j);
                assert!(
                    v >= lo - 1e-9 && v <= hi + 1e-9,
                    "{r:?}: column {j} outside"
                );
            }
            synthetic += 1;
        } else {
            assert!(origin.starts_with("replica:"), "{origin}");
        }
    }
    assert!(originals > 0 && synthetic > 0, "{stdout}");

    // An existing --out needs --force; a flag mistake exits with 2.
    let o = srl_raw(&[
        "resample",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--method",
        "smoter",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    for bad in [
        vec!["--method", "lds"],
        vec!["--method", "smogn", "--threshold", "1.5"],
        vec!["--method", "smogn", "--k", "0"],
        vec!["--method", "smogn", "--coef", "-1"],
    ] {
        let mut args = vec![
            "resample",
            "--csv",
            csv.to_str().unwrap(),
            "--target",
            "y",
            "--force",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(bad.iter().copied());
        let o = srl_raw(&args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{bad:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn resample_keeps_categories_and_says_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let csv = fixture("resample", "mixed.csv");
    let file = lines(&csv);
    for method in ["smogn", "smoter", "wercs", "ros", "rus"] {
        let out = dir.path().join(format!("{method}.csv"));
        let stdout = srl(&[
            "resample",
            "--csv",
            csv.to_str().unwrap(),
            "--target",
            "y",
            "--exclude",
            "id",
            "--method",
            method,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            stdout.contains("left out (not used by the preprocessing): id"),
            "{stdout}"
        );
        let (header, rows) = read_csv(&out);
        assert_eq!(header, ["x", "colour", "temp", "y", "origin"]);
        let seen: BTreeSet<&str> = ["red", "green", "blue"].into();
        for r in &rows {
            assert!(seen.contains(r[1].as_str()), "{method}: {r:?}");
            if let Some(line) = r[4]
                .strip_prefix("original:")
                .or_else(|| r[4].strip_prefix("replica:"))
            {
                let line: usize = line.parse().unwrap();
                let cells: Vec<&str> = file[line - 1].split(',').collect();
                assert_eq!(r[..4], cells[1..], "{method}: {}", r[4]);
            } else {
                for j in [0, 2, 3] {
                    assert!(r[j].parse::<f64>().unwrap().is_finite());
                }
                assert!(r[4].starts_with("synthetic:") || r[4].starts_with("noise:"));
            }
        }
        match method {
            "ros" => assert!(rows.len() > 200),
            "rus" => assert!(rows.len() < 200),
            _ => {}
        }
    }
}

#[test]
fn train_and_compare_with_a_resampler() {
    let dir = tempfile::tempdir().unwrap();
    let csv = fixture("resample", "mixed.csv");
    let csv = csv.to_str().unwrap();
    let run = dir.path().join("smogn-gbdt");
    let stdout = srl(&[
        "train",
        "--csv",
        csv,
        "--target",
        "y",
        "--exclude",
        "id",
        "--method",
        "smogn+gbdt",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(stdout.contains("smogn+gbdt"), "{stdout}");
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(config.contains("[resample]"), "{config}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["method"], "smogn+gbdt");

    let cmp = dir.path().join("cmp");
    let stdout = srl(&[
        "compare",
        "--csv",
        csv,
        "--target",
        "y",
        "--exclude",
        "id",
        "--methods",
        "vanilla,smogn+srl",
        "--profile",
        "quick",
        "--seeds",
        "1",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert!(stdout.contains("smogn+srl"), "{stdout}");
}
