//! `cargo xtask bench`: run the criterion benchmarks of the library crates with optimisations
//! (`cargo bench` over the default members, i.e. `crates/*`), passing extra arguments through
//! to criterion (e.g. `cargo xtask bench -- srl_objective`).
//!
//! `cargo xtask bench --epochs` instead measures what a user pays for SRL in training: for
//! every benchmark it trains vanilla and SRL (full-profile presets, a few epochs) with the
//! release `srl` binary, **one run at a time** so no two runs share the cores, repeats the
//! pair, and reports the median seconds per epoch (validation and outputs excluded) and the
//! SRL/vanilla ratio.
//!
//! `cargo xtask bench --against-pytorch` times the same workloads in Rust and in PyTorch on the
//! CPU and writes the comparison into docs/benchmarks.md ([`pytorch`]).

pub mod pytorch;

use crate::common::{build_srl, repo_root, run_quietly, write_file};
use crate::error::{Result, XtaskError};
use crate::tables::srl_method;
use srl_data::BenchmarkId;
use srl_train::{run_folder, LrDecay, LrSchedule, MethodName, Profile, RunConfig};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags of `cargo xtask bench`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BenchArgs {
    /// Only the benchmarks of this package (e.g. `srl-losses`).
    #[arg(long, short = 'p', value_name = "PACKAGE")]
    pub package: Option<String>,
    /// Arguments passed to criterion after `--` (a filter, `--quick`, …).
    #[arg(last = true, value_name = "CRITERION ARGS")]
    pub criterion_args: Vec<String>,
    /// Measure SRL vs vanilla seconds per training epoch on the benchmarks instead.
    #[arg(long)]
    pub epochs: bool,
    /// With --epochs: comma-separated benchmarks [default: all].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub only: Vec<BenchmarkId>,
    /// With --epochs: repetitions of each vanilla/SRL pair (the median is reported).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub repeats: usize,
    /// With --epochs: threads of each timed run (RAYON_NUM_THREADS; matrix products and the
    /// enveloping kernel split above their size thresholds).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub threads: usize,
    /// With --epochs: also time an `srl` built with `--features blas` (a system OpenBLAS, e.g.
    /// Debian's libopenblas-dev; built into target/blas), interleaved with the default build.
    #[arg(long)]
    pub blas: bool,
    /// With --epochs: data directory [default: $SRL_DATA_DIR, else datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// With --epochs: also write the Markdown table to this file. With --against-pytorch: the
    /// Markdown file whose marked section is replaced [default: docs/benchmarks.md].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Time the same workloads in Rust and in PyTorch on the CPU (needs `import torch` in
    /// $SRL_BENCH_PYTHON or python3; without it, prints how to install it and exits 0).
    #[arg(long, conflicts_with = "epochs")]
    pub against_pytorch: bool,
    /// With --against-pytorch: rounds of Rust, PyTorch 2 threads, Rust, PyTorch 1 thread.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub rounds: usize,
    /// With --against-pytorch: at most this many seconds of waiting for a quiet CPU.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub max_wait: u64,
    /// With --against-pytorch: run the timed processes under `nice -n N` (e.g. -10 as root, so
    /// that normal-priority jobs on the machine yield to the benchmark; recorded in the doc).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub nice: Option<i32>,
}

/// The `cargo bench …` arguments for `args`.
pub fn cargo_args(args: &BenchArgs) -> Vec<String> {
    let mut out = vec!["bench".to_string()];
    if let Some(p) = &args.package {
        out.push("-p".into());
        out.push(p.clone());
    }
    if !args.criterion_args.is_empty() {
        out.push("--".into());
        out.extend(args.criterion_args.iter().cloned());
    }
    out
}

/// Runs `cargo xtask bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.against_pytorch {
        return pytorch::run(args);
    }
    if args.epochs {
        return epoch_ratio(args);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let status = Command::new(&cargo)
        .current_dir(crate::common::repo_root())
        .args(cargo_args(args))
        .status()
        .map_err(|e| XtaskError::spawn(&cargo, e))?;
    if status.success() {
        Ok(())
    } else {
        Err(XtaskError::CommandFailed {
            what: "cargo bench".into(),
            detail: "see the output above".into(),
        })
    }
}

/// Epochs timed per run: enough steps to dominate start-up, short enough for minutes in all.
pub fn timing_epochs(benchmark: BenchmarkId) -> usize {
    if benchmark.is_operator() {
        300
    } else {
        30
    }
}

/// The full-profile preset of `benchmark`/`method`, shortened to [`timing_epochs`] with a
/// single validation at the end.
pub fn timing_config(benchmark: BenchmarkId, method: &MethodName) -> Result<RunConfig> {
    let mut cfg = RunConfig::preset(benchmark, method, Profile::Full)?;
    let epochs = timing_epochs(benchmark);
    cfg.optim.epochs = epochs;
    cfg.optim.eval_every = epochs;
    if let LrDecay::Cosine { min_lr, .. } = cfg.optim.schedule.decay {
        cfg.optim.schedule = LrSchedule::new(LrDecay::Cosine {
            total_steps: epochs,
            min_lr,
        });
    }
    cfg.check()?;
    Ok(cfg)
}

/// Median of a non-empty list.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// `cargo xtask bench --epochs`.
fn epoch_ratio(args: &BenchArgs) -> Result<()> {
    let benchmarks: Vec<BenchmarkId> = if args.only.is_empty() {
        BenchmarkId::ALL.to_vec()
    } else {
        args.only.clone()
    };
    let repeats = args.repeats.max(1);
    let threads = args.threads.max(1);
    let root = repo_root();
    let mut builds = vec![build_srl(&root)?];
    if args.blas {
        let dir = root.join("target").join("blas");
        let dir = dir.to_string_lossy();
        builds.push(
            crate::common::build_release_with(
                &root,
                "srl-cli",
                "--bin",
                "srl",
                &["--features", "blas", "--target-dir", &dir],
            )
            .map_err(|e| {
                e.context("--blas needs a system OpenBLAS (e.g. `apt install libopenblas-dev`)")
            })?,
        );
    }
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    let work = root.join("target").join("bench-epochs");
    let mut table = String::from(
        "| benchmark | epochs timed | vanilla s/epoch | SRL s/epoch | SRL / vanilla |",
    );
    if args.blas {
        table.push_str(
            " vanilla, OpenBLAS | SRL, OpenBLAS | SRL / vanilla, OpenBLAS | OpenBLAS speed-up vanilla / SRL |",
        );
    }
    table.push_str(if args.blas {
        "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    } else {
        "\n|---|---:|---:|---:|---:|\n"
    });
    let methods = [MethodName::vanilla(), srl_method()];
    for &b in &benchmarks {
        // times[build][method]: the builds and methods interleaved within every repeat.
        let mut times = vec![[Vec::new(), Vec::new()]; builds.len()];
        for rep in 0..repeats {
            for (k, srl) in builds.iter().enumerate() {
                for (i, method) in methods.iter().enumerate() {
                    let dir = work.join(b.as_str()).join(format!("{method}-{k}-{rep}"));
                    times[k][i].push(time_one(srl, &data_dir, b, method, &dir, threads)?);
                }
            }
        }
        let medians: Vec<[f64; 2]> = times.into_iter().map(|t| t.map(median)).collect();
        let [v, s] = medians[0];
        let mut row = format!(
            "| {b} | {} | {v:.5} | {s:.5} | {:.2}× |",
            timing_epochs(b),
            s / v
        );
        if let Some(&[bv, bs]) = medians.get(1) {
            row.push_str(&format!(
                " {bv:.5} | {bs:.5} | {:.2}× | {:.2}× / {:.2}× |",
                bs / bv,
                v / bv,
                s / bs
            ));
        }
        row.push('\n');
        eprint!("{row}");
        table.push_str(&row);
    }
    let text = format!(
        "SRL vs vanilla seconds per training epoch (full-batch IOL: per iteration), median of \
         {repeats} runs each, one run at a time, {threads} thread(s) per run; \
         `cargo xtask bench --epochs --threads {threads}{}`.\n\n{table}",
        if args.blas { " --blas" } else { "" }
    );
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).map_err(|e| XtaskError::io("write", out, e))?;
    }
    Ok(())
}

/// Trains one shortened run with `threads` threads and returns its seconds per epoch.
fn time_one(
    srl: &Path,
    data_dir: &Path,
    benchmark: BenchmarkId,
    method: &MethodName,
    dir: &Path,
    threads: usize,
) -> Result<f64> {
    let cfg = timing_config(benchmark, method)?;
    crate::common::create_dir(dir)?;
    let config = dir.join("config.toml");
    write_file(&config, &cfg.to_toml_string()?)?;
    let run_dir = dir.join("run");
    let _ = std::fs::remove_dir_all(&run_dir);
    let mut command = Command::new(srl);
    command
        .arg("train")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--out")
        .arg(&run_dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env("OPENBLAS_NUM_THREADS", threads.to_string())
        .env_remove("MATMUL_NUM_THREADS");
    run_quietly(&mut command, &format!("{benchmark}/{method}: srl train"))?;
    Ok(run_folder::read_report(&run_dir)?.seconds_per_epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_pass_through() {
        assert_eq!(cargo_args(&BenchArgs::default()), vec!["bench"]);
        let a = BenchArgs {
            package: Some("srl-losses".into()),
            criterion_args: vec!["srl_objective".into(), "--quick".into()],
            ..BenchArgs::default()
        };
        assert_eq!(
            cargo_args(&a),
            vec![
                "bench",
                "-p",
                "srl-losses",
                "--",
                "srl_objective",
                "--quick"
            ]
        );
    }

    #[test]
    fn timing_configs_are_short_full_presets() {
        for b in BenchmarkId::ALL {
            for m in [MethodName::vanilla(), srl_method()] {
                let cfg = timing_config(b, &m).unwrap();
                assert_eq!(cfg.optim.epochs, timing_epochs(b));
                assert_eq!(cfg.optim.eval_every, cfg.optim.epochs);
                assert_eq!(cfg.method_name(), m);
            }
        }
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
