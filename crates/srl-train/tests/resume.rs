//! An interrupted and resumed run ends with the same bits as an uninterrupted one: model bytes,
//! test predictions and features, log and metrics (timings aside), for every kind of method
//! state (SRL's memory in both update modes, FDS statistics, Balanced MSE's σ and optimiser,
//! the subsampling generators, the two-stage Rank-N-Contrast) and with early stopping.
//!
//! The runs train on a generated table with the tabular preset (the UCI-DIR network, batches of
//! 64 — the mini-batch path where SRL's memory is read), so the tests need no data folder and
//! run everywhere.

use srl_data::table::TableSpec;
use srl_data::Benchmark;
use srl_train::{
    prepare_data, run_folder, run_with, DataConfig, MethodName, Profile, ResumeState, RunConfig,
    RunControl, TrainError,
};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Writes a 300-row table (three inputs, a right-skewed target, so the top bins are rare) into
/// `dir` and returns its spec.
fn table(dir: &Path) -> TableSpec {
    let mut state: u64 = 0x853C_49E6_748F_EA9B;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut t = String::from("a,b,c,y\n");
    for _ in 0..300 {
        let (a, b, c) = (uniform(), uniform(), uniform());
        let y = 10.0 * a * a * a + 3.0 * b + c * c + 0.2 * uniform();
        t += &format!("{a:.4},{b:.4},{c:.4},{y:.4}\n");
    }
    let path = dir.join("t.csv");
    std::fs::write(&path, t).unwrap();
    TableSpec::new(path, "y")
}

fn config(table: &TableSpec, method: &str, epochs: usize) -> RunConfig {
    let method: MethodName = method.parse().unwrap();
    let mut cfg = RunConfig::table_preset(table.clone(), &method, Profile::Quick).unwrap();
    cfg.optim.epochs = epochs;
    cfg.optim.early_stopping = None;
    cfg.optim.eval_every = 1;
    cfg
}

fn prepare(cfg: &RunConfig) -> Benchmark {
    prepare_data(&cfg.data, Path::new(".")).unwrap()
}

/// Trains `cfg` into `dir`, stopping after each epoch listed in `stops` (1-based counts of
/// completed epochs) and resuming, until the run ends.
fn train_with_stops(cfg: &RunConfig, bench: &Benchmark, dir: &Path, stops: &[usize]) {
    let cfg = &cfg.check().unwrap();
    let mut resume = false;
    for &at in stops {
        let stop = AtomicBool::new(false);
        let control = RunControl {
            out_dir: Some(dir),
            resume,
            stop: Some(&stop),
            memory_limit: None,
        };
        let err = run_with(cfg, bench, &control, &mut |l| {
            if l.epoch + 1 == at {
                stop.store(true, Ordering::SeqCst);
            }
        })
        .unwrap_err();
        match err {
            TrainError::Interrupted {
                epoch,
                dir: Some(d),
            } => {
                assert_eq!(epoch, at);
                assert_eq!(d, dir);
            }
            other => panic!("expected an interruption, got {other}"),
        }
        assert!(dir.join(run_folder::RESUME).is_file());
        assert!(!run_folder::is_complete(dir));
        resume = true;
    }
    let control = RunControl {
        out_dir: Some(dir),
        resume,
        stop: None,
        memory_limit: None,
    };
    run_with(cfg, bench, &control, &mut |_| {}).unwrap();
    assert!(
        !dir.join(run_folder::RESUME).exists(),
        "a finished run keeps no resume state"
    );
}

/// The run's files with the timings zeroed.
fn fingerprint(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for f in [
        run_folder::MODEL,
        run_folder::TEST_PREDICTIONS,
        run_folder::TEST_FEATURES,
        run_folder::CONFIG,
    ] {
        out.push((f.to_string(), std::fs::read(dir.join(f)).unwrap()));
    }
    let mut report = run_folder::read_report(dir).unwrap();
    report.seconds_total = 0.0;
    report.seconds_per_epoch = 0.0;
    out.push(("metrics".into(), serde_json::to_vec(&report).unwrap()));
    let mut log = run_folder::read_log(dir).unwrap();
    for l in &mut log {
        l.seconds = 0.0;
    }
    out.push(("log".into(), serde_json::to_vec(&log).unwrap()));
    out
}

fn assert_same(a: &Path, b: &Path, what: &str) {
    for ((name, x), (_, y)) in fingerprint(a).into_iter().zip(fingerprint(b)) {
        assert!(x == y, "{what}: {name} differs after resuming");
    }
}

#[test]
fn resumed_runs_end_with_the_bits_of_uninterrupted_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let t = table(tmp.path());
    let config = |method: &str, epochs: usize| config(&t, method, epochs);
    let bench = prepare(&config("vanilla", 1));
    let mut cases: Vec<(&str, RunConfig, Vec<usize>)> = vec![
        ("vanilla", config("vanilla", 10), vec![4]),
        ("srl (streaming memory)", config("srl", 10), vec![1, 5, 9]),
        ("lds+fds", config("lds+fds", 10), vec![6]),
        ("bni", config("bni", 10), vec![3]),
        ("ranksim+srl", config("ranksim+srl", 10), vec![4]),
        ("conr", config("conr", 10), vec![5]),
        ("oe", config("oe", 10), vec![2]),
        ("srl+dist", config("srl+dist", 10), vec![3]),
        // A resampler: the training rows are resampled again, identically, on resume.
        ("smogn+srl (resampled)", config("smogn+srl", 10), vec![3]),
        ("smoter+lds (resampled)", config("smoter+lds", 10), vec![5]),
        (
            "rnc (in and after pre-training)",
            config("rnc", 10),
            vec![3, 8],
        ),
    ];
    let mut exact = config("srl+lds", 10);
    exact.method.srl.as_mut().unwrap().memory.update = srl_surrogate::MemoryUpdate::Exact;
    cases.push(("srl+lds (exact memory)", exact, vec![2, 7]));
    let mut early = config("srl", 60);
    early.optim.early_stopping = Some(3);
    cases.push(("srl with early stopping", early, vec![2]));

    for (what, cfg, stops) in cases {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        train_with_stops(&cfg, &bench, a.path(), &[]);
        train_with_stops(&cfg, &bench, b.path(), &stops);
        assert_same(a.path(), b.path(), what);
    }
}

#[test]
fn a_resume_state_is_refused_for_other_settings_or_other_data() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(&table(tmp.path()), "srl", 6);
    let bench = prepare(&cfg);
    let dir = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(true);
    let control = RunControl {
        out_dir: Some(dir.path()),
        resume: false,
        stop: Some(&stop),
        memory_limit: None,
    };
    assert!(matches!(
        run_with(&cfg.check().unwrap(), &bench, &control, &mut |_| {}),
        Err(TrainError::Interrupted { epoch: 1, .. })
    ));
    let resume = RunControl {
        out_dir: Some(dir.path()),
        resume: true,
        stop: None,
        memory_limit: None,
    };

    // Other settings.
    let mut other = cfg.clone();
    other.optim.epochs = 7;
    let e = run_with(&other.check().unwrap(), &bench, &resume, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("another configuration"), "{e}");

    // Other data (another split of the same table).
    let mut moved = cfg.clone();
    if let DataConfig::Csv(spec) = &mut moved.data {
        spec.split_seed += 1;
    }
    let other_bench = prepare(&moved);
    let state = ResumeState::load(&dir.path().join(run_folder::RESUME)).unwrap();
    let e = srl_train::Trainer::resume(state.clone(), &other_bench)
        .err()
        .unwrap();
    assert!(e.to_string().contains("other data"), "{e}");

    // A tampered state: wrong parameter count, a non-finite moment, an unknown component.
    let mut short = state.clone();
    short.parameters.pop();
    assert!(srl_train::Trainer::resume(short, &bench).is_err());
    let mut text = serde_json::to_value(&state).unwrap();
    text["components"][1][0] = "ranksim".into();
    let renamed: ResumeState = serde_json::from_value(text).unwrap();
    let e = srl_train::Trainer::resume(renamed, &bench).err().unwrap();
    assert!(e.to_string().contains("ranksim"), "{e}");
    std::fs::write(dir.path().join(run_folder::RESUME), "{\"format\": 1").unwrap();
    let e = run_with(&cfg.check().unwrap(), &bench, &resume, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("resume.json"), "{e}");

    // Resuming where nothing was saved.
    let empty = tempfile::tempdir().unwrap();
    let control = RunControl {
        out_dir: Some(empty.path()),
        resume: true,
        stop: None,
        memory_limit: None,
    };
    let e = run_with(&cfg.check().unwrap(), &bench, &control, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("resume.json"), "{e}");
}
