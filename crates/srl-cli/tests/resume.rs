//! Crash-safe runs through the real binary: `srl train` stopped by SIGINT or SIGTERM mid-run
//! saves its state and exits with 130; `srl train --resume DIR` continues it, and the finished
//! run has the same model, predictions, features and metrics (timings aside) as a run that was
//! never interrupted. Also: what `--resume` refuses.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn srl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .output()
        .expect("the srl binary runs")
}

fn ok(args: &[&str]) {
    let out = srl(args);
    assert!(
        out.status.success(),
        "srl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `srl train ARGS`, waits until its first resume state and a best model so far are on
/// disk, sends `signal`, and returns the finished process's output.
fn interrupt(args: &[&str], dir: &Path, signal: &str) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the srl binary runs");
    let start = Instant::now();
    while !(dir.join("resume.json").exists() && dir.join("model.json").exists()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no resume.json after 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    child.wait_with_output().unwrap()
}

/// The run's result files, with the timings of metrics.json and log.jsonl removed.
fn result_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in [
        "model.json",
        "test_predictions.csv",
        "config.toml",
        "train_bin_counts.csv",
    ] {
        out.push((f.into(), std::fs::read_to_string(dir.join(f)).unwrap()));
    }
    let features = std::fs::read(dir.join("test_features.npy")).unwrap();
    out.push(("test_features.npy".into(), format!("{features:?}")));
    let strip = |text: &str| -> String {
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                for key in ["seconds", "seconds_total", "seconds_per_epoch"] {
                    if let Some(o) = v.as_object_mut() {
                        o.remove(key);
                    }
                }
                v.to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    out.push(("metrics.json".into(), strip(&metrics.to_string())));
    out.push((
        "log.jsonl".into(),
        strip(&std::fs::read_to_string(dir.join("log.jsonl")).unwrap()),
    ));
    out
}

fn assert_same_run(a: &Path, b: &Path) {
    for ((name, x), (_, y)) in result_files(a).into_iter().zip(result_files(b)) {
        assert!(
            x == y,
            "{name} differs between the uninterrupted and the resumed run"
        );
    }
}

fn check_interrupted(out: &Output, dir: &Path) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("srl train --resume"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(dir.join("resume.json").is_file());
    assert!(
        dir.join("model.json").is_file(),
        "the best model so far is kept"
    );
    assert!(!dir.join("metrics.json").exists());
}

#[test]
fn a_run_stopped_by_a_signal_resumes_to_the_same_bits() {
    // IOL-linear is generated: the test needs no data folder and runs everywhere.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data = data.to_str().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let args = |out: &Path| -> Vec<String> {
        [
            "train",
            "--benchmark",
            "iol-linear",
            "--data-dir",
            data,
            "--method",
            "srl+lds",
            "--epochs",
            "60",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let a_args = args(&a);
    ok(&a_args.iter().map(String::as_str).collect::<Vec<_>>());
    let b_args = args(&b);
    let out = interrupt(
        &b_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &b,
        "-INT",
    );
    check_interrupted(&out, &b);
    // A new run into the folder is refused: it holds an interrupted run.
    let again = srl(&b_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("resume.json"));

    ok(&["train", "--resume", b.to_str().unwrap(), "--data-dir", data]);
    assert!(!b.join("resume.json").exists());
    assert_same_run(&a, &b);

    // Nothing left to resume; flags that would change the run are refused.
    let done = srl(&["train", "--resume", b.to_str().unwrap(), "--data-dir", data]);
    assert_eq!(done.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&done.stderr).contains("has finished"));
    let mixed = srl(&["train", "--resume", b.to_str().unwrap(), "--epochs", "5"]);
    assert_eq!(mixed.status.code(), Some(2));
    let other_data = srl(&[
        "train",
        "--resume",
        b.to_str().unwrap(),
        "--benchmark",
        "abalone",
    ]);
    assert_eq!(other_data.status.code(), Some(2));
}

#[test]
fn a_table_run_stopped_by_sigterm_resumes_to_the_same_bits() {
    // A committed fixture table: the test runs everywhere.
    let table = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy/small_clean.csv");
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let args = |out: &Path| -> Vec<String> {
        [
            "train",
            "--csv",
            table.to_str().unwrap(),
            "--target",
            "y",
            "--method",
            "srl",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    ok(&args(&a).iter().map(String::as_str).collect::<Vec<_>>());
    let b_args = args(&b);
    let out = interrupt(
        &b_args.iter().map(String::as_str).collect::<Vec<_>>(),
        &b,
        "-TERM",
    );
    check_interrupted(&out, &b);
    ok(&["train", "--resume", b.to_str().unwrap()]);
    assert_same_run(&a, &b);
}
