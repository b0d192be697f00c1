//! Same configuration, same bits: two runs of `srl train` give byte-identical models and test
//! predictions, training from the preset flags equals training from the configuration file
//! `srl config` prints (which is what `cargo xtask reproduce` does), and one thread gives the
//! bits of two (the full-batch IOL products are large enough to be split over threads).

use std::path::Path;
use std::process::Command;

fn srl(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .output()
        .expect("the srl binary runs");
    assert!(
        out.status.success(),
        "srl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bytes(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

#[test]
fn reruns_and_the_reproduce_path_give_identical_bits() {
    // IOL-linear is generated: the test needs no data folder and runs everywhere.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data = data.to_str().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let common = ["--method", "srl+lds", "--profile", "quick", "--seed", "3"];
    let mut flags = vec![
        "train",
        "--benchmark",
        "iol-linear",
        "--data-dir",
        data,
        "--epochs",
        "5",
    ];
    flags.extend(common);
    for run in ["a", "b"] {
        let out = d(run);
        let mut args = flags.clone();
        args.extend(["--out", out.to_str().unwrap()]);
        srl(&args);
    }
    // The reproduce path: `srl config` writes the configuration, `srl train --config` runs it.
    let cfg = d("c.toml");
    let mut args = vec![
        "config",
        "--benchmark",
        "iol-linear",
        "--out",
        cfg.to_str().unwrap(),
    ];
    args.extend(common);
    srl(&args);
    let out = d("c");
    srl(&[
        "train",
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data,
        "--epochs",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    for file in [
        "model.json",
        "test_predictions.csv",
        "test_features.npy",
        "config.toml",
    ] {
        let a = bytes(&d("a"), file);
        assert_eq!(a, bytes(&d("b"), file), "{file}: rerun differs");
        assert_eq!(a, bytes(&d("c"), file), "{file}: config path differs");
    }
}

#[test]
fn one_and_two_threads_give_identical_bits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("t{threads}"));
        let o = Command::new(env!("CARGO_BIN_EXE_srl"))
            .args([
                "train",
                "--benchmark",
                "iol-linear",
                "--method",
                "srl+lds",
                "--epochs",
                "3",
                "--data-dir",
            ])
            .arg(tmp.path().join("data"))
            .arg("--out")
            .arg(&out)
            .env("RAYON_NUM_THREADS", threads)
            .env("MATMUL_NUM_THREADS", threads)
            .output()
            .expect("the srl binary runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outputs.push(out);
    }
    for file in ["model.json", "test_predictions.csv", "test_features.npy"] {
        assert_eq!(
            bytes(&outputs[0], file),
            bytes(&outputs[1], file),
            "{file}: 1 and 2 threads differ"
        );
    }
}
