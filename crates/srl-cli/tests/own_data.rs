//! The own-table workflow end to end through the `srl` binary: fit on a messy table (string
//! column, missing cells), predict on raw rows, the guards and the output safety.

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

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "srl failed: {}\n{}",
        text(&o.stderr),
        text(&o.stdout)
    );
}

/// 240 rows `id;city;size;rooms;price` (`;`-separated, `?` for missing sizes, a string column),
/// price skewed so the top bins are rare.
fn write_table(dir: &Path) -> PathBuf {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut t = String::from("id;city;size;rooms;price\n");
    for i in 0..240 {
        let city = ["Lyon", "Paris", "Nantes"][i % 3];
        let u = uniform();
        let size = 20.0 + 150.0 * u * u;
        let rooms = 1 + (size / 30.0) as usize;
        let bonus = if city == "Paris" { 1.5 } else { 1.0 };
        let price = size * 3.0 * bonus + 10.0 * uniform();
        let size_cell = if i % 17 == 5 {
            "?".to_string()
        } else {
            format!("{size:.2}")
        };
        t += &format!("{i};\"{city}\";{size_cell};{rooms};{price:.3}\n");
    }
    let p = dir.join("houses.csv");
    std::fs::write(&p, t).unwrap();
    p
}

fn train(csv: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--csv",
        csv.to_str().unwrap(),
        "--target",
        "price",
        "--exclude",
        "id",
        "--impute",
        "median",
        "--method",
        "vanilla",
        "--profile",
        "quick",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    srl(&args)
}

/// `part` of every row from the run's split.csv, by 1-based row number.
fn split_parts(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("split.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_string())
        .collect()
}

#[test]
fn fit_then_predict_on_the_raw_test_rows_reproduces_the_test_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_table(dir.path());
    let run = dir.path().join("run");
    let t = train(&csv, &run, &[]);
    ok(&t);
    let stderr = text(&t.stderr);
    assert!(stderr.contains("`;` delimiter"), "{stderr}");

    // The raw test rows, columns reordered, the target and id dropped, one extra column.
    let parts = split_parts(&run);
    let raw = std::fs::read_to_string(&csv).unwrap();
    let mut new = String::from("rooms,extra,size,city\n");
    let mut test_rows = Vec::new();
    for (r, line) in raw.lines().skip(1).enumerate() {
        if parts[r] == "test" {
            let f: Vec<&str> = line.split(';').collect();
            new += &format!("{},x,{},{}\n", f[3], f[2], f[1]);
            test_rows.push(r + 1);
        }
    }
    let new_path = dir.path().join("new.csv");
    std::fs::write(&new_path, new).unwrap();
    let preds = dir.path().join("preds.csv");
    let model = run.join("model.json");
    let predict = |extra: &[&str]| {
        let mut args = vec![
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--csv",
            new_path.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        srl(&args)
    };
    let p = predict(&["--out", preds.to_str().unwrap()]);
    ok(&p);

    // test_predictions.csv: row,line,y,pred,bin,shot.
    let expected: Vec<(usize, f64)> = std::fs::read_to_string(run.join("test_predictions.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[3].parse().unwrap())
        })
        .collect();
    let got: Vec<f64> = std::fs::read_to_string(&preds)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(expected.len(), got.len());
    assert_eq!(expected.iter().map(|e| e.0).collect::<Vec<_>>(), test_rows);
    for ((_, e), g) in expected.iter().zip(&got) {
        assert!((e - g).abs() <= 1e-9 * (1.0 + e.abs()), "{e} vs {g}");
    }

    // An unknown category is an error naming column, value and line …
    std::fs::write(&new_path, "rooms,size,city\n2,40,Lyon\n3,55,Marseille\n").unwrap();
    let e = predict(&[]);
    assert_eq!(e.status.code(), Some(1));
    let msg = text(&e.stderr);
    assert!(
        msg.contains(":3:") && msg.contains("`city`") && msg.contains("`Marseille`"),
        "{msg}"
    );
    // … or, when ignored, an all-zero code and a flagged row; a far-away size is flagged too.
    std::fs::write(
        &new_path,
        "rooms,size,city\n2,40,Lyon\n3,55,Marseille\n2,90000,Paris\n",
    )
    .unwrap();
    let p = predict(&["--unknown-category", "ignore"]);
    ok(&p);
    let out = text(&p.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].ends_with(','), "{out}");
    assert!(lines[2].contains("Marseille"), "{out}");
    // Clipped to the training range (the default), so the prediction stays within the
    // training targets' reach.
    assert!(
        lines[3].contains("clipped to the training range [20.04, 168.98]"),
        "{out}"
    );
    assert!(
        text(&p.stderr).contains("2 of 3 rows"),
        "{}",
        text(&p.stderr)
    );
    // A huge finite input is clipped and flagged, not an error.
    std::fs::write(&new_path, "rooms,size,city\n2,40,Lyon\n2,1e300,Lyon\n").unwrap();
    let p = predict(&[]);
    ok(&p);
    assert!(
        text(&p.stdout).contains("1e300 is clipped"),
        "{}",
        text(&p.stdout)
    );
    // Non-finite inputs are errors naming the line (no output written).
    let pred_out = new_path.with_extension("pred.csv");
    for (row, said) in [
        ("2,inf,Lyon", "non-finite value `inf`"),
        ("2,-inf,Lyon", "non-finite value `-inf`"),
    ] {
        std::fs::write(&new_path, format!("rooms,size,city\n2,40,Lyon\n{row}\n")).unwrap();
        let e = predict(&["--out", pred_out.to_str().unwrap()]);
        let msg = text(&e.stderr);
        assert_eq!(e.status.code(), Some(1), "{row}: {msg}");
        assert!(msg.contains(said) && msg.contains('3'), "{row}: {msg}");
        assert!(!pred_out.exists(), "{row}");
    }
    // A missing training column is an error.
    std::fs::write(&new_path, "rooms,city\n2,Lyon\n").unwrap();
    let e = predict(&[]);
    assert_eq!(e.status.code(), Some(1));
    assert!(
        text(&e.stderr).contains("`size` not found"),
        "{}",
        text(&e.stderr)
    );
}

#[test]
fn eval_finds_the_file_and_refuses_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_table(dir.path());
    let run = dir.path().join("run");
    ok(&train(&csv, &run, &["--epochs", "3"]));
    let model = run.join("model.json");
    // From another working directory, with no data flags: the recorded file is used.
    let e = Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(["eval", "--checkpoint", model.to_str().unwrap()])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    ok(&e);
    // Change one cell: refused.
    let changed = std::fs::read_to_string(&csv)
        .unwrap()
        .replacen("Lyon", "Lyon ", 1);
    std::fs::write(&csv, changed).unwrap();
    let e = srl(&["eval", "--checkpoint", model.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(1));
    assert!(text(&e.stderr).contains("changed since the model was trained"));
}

#[test]
fn split_column_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_table(dir.path());
    // Add a split column: every 5th row test, every 5th+1 validation.
    let raw = std::fs::read_to_string(&csv).unwrap();
    let mut t = String::new();
    for (i, line) in raw.lines().enumerate() {
        let part = match i {
            0 => "part",
            _ if i % 5 == 0 => "test",
            _ if i % 5 == 1 => "val",
            _ => "train",
        };
        t += &format!("{line};{part}\n");
    }
    std::fs::write(&csv, t).unwrap();
    let run = dir.path().join("run");
    ok(&train(
        &csv,
        &run,
        &["--split-column", "part", "--epochs", "2"],
    ));
    let parts = split_parts(&run);
    for (r, p) in parts.iter().enumerate() {
        let i = r + 1;
        let want = match i % 5 {
            0 => "test",
            1 => "val",
            _ => "train",
        };
        assert_eq!(p, want, "row {i}");
    }
}

#[test]
fn guards_run_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_table(dir.path());
    let run = dir.path().join("run");
    // An absurd bin count is refused before training, and leaves no run behind.
    let e = train(&csv, &run, &["--bins", "100000"]);
    assert_eq!(e.status.code(), Some(1));
    assert!(text(&e.stderr).contains("bins for"), "{}", text(&e.stderr));
    assert!(!run.join("model.json").exists());
    // An earlier run is not overwritten without --force; --force replaces it.
    ok(&train(&csv, &run, &["--epochs", "2"]));
    let e = train(&csv, &run, &["--epochs", "2"]);
    assert_eq!(e.status.code(), Some(1));
    assert!(text(&e.stderr).contains("--force"), "{}", text(&e.stderr));
    ok(&train(&csv, &run, &["--epochs", "2", "--force"]));
    // A folder that cannot be written is refused before the data is read.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let e = train(&csv, &file.join("run"), &[]);
    assert_eq!(e.status.code(), Some(1));
    assert!(!text(&e.stderr).contains("training"), "{}", text(&e.stderr));
}

#[test]
fn early_stopping_keeps_the_validation_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_table(dir.path());
    let run = dir.path().join("run");
    ok(&train(&csv, &run, &[]));
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    let best = metrics["best_epoch"].as_u64().unwrap() as usize;
    let run_epochs = metrics["epochs_run"].as_u64().unwrap() as usize;
    let log = std::fs::read_to_string(run.join("log.jsonl")).unwrap();
    let val: Vec<(usize, f64)> = log
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["epoch"].as_u64().unwrap() as usize,
                v["val_mae"].as_f64().unwrap(),
            )
        })
        .collect();
    let argmin = val
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|v| v.0)
        .unwrap();
    assert_eq!(best, argmin);
    // Quick table preset: at most 100 epochs, patience 20.
    assert!(
        run_epochs == 100 || run_epochs == best + 1 + 20,
        "{run_epochs} {best}"
    );
}
