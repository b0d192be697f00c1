//! The Rust half of the PyTorch side-by-side benchmark (`cargo xtask bench --against-pytorch`;
//! the PyTorch half is `benches/pytorch/srl_bench.py`). Times, in this process, the workloads
//! both sides run with the same shapes, losses and optimiser, and prints JSON
//! (`{"workloads": {name: {"ms": median, "unit": …, "samples_ms": […]}}}`):
//!
//! - `airfoil/vanilla`, `airfoil/srl`: one training epoch of the full-profile Airfoil preset
//!   (train split, batch 64, MLP 5-20-30-10 → 1, AdamW, L1; SRL with the tabular preset), as
//!   `srl train` runs it ([`Trainer::run_epoch`], no validation);
//! - `iol-linear/…`, `iol-sde/…`: one full-batch iteration of the IOL presets (MLP 100-100,
//!   MSE, AdamW);
//! - `objective/K100-N2000`, `objective/K1000-N10000`: the SRL objective's forward + backward
//!   alone (`SrlObjective::evaluate_into`, M = 256, d = 128, authors'-code parameters with N
//!   points, every bin in the memory).
//!
//! Every sample is one epoch / iteration / call, after `--warmup` untimed ones (at least two
//! epochs, so SRL's warm-up epoch is never timed); the median of `--repeats` samples is reported.
//! Threads: `RAYON_NUM_THREADS` and `MATMUL_NUM_THREADS` as set by the caller (the xtask runs
//! this once with 1 and once with 2).
//!
//! ```text
//! cargo run --release -p srl-train --example bench_workloads -- --data-dir ../shared/datasets
//!     [--only airfoil,objective] [--warmup 3] [--repeats 15] [--export DIR]
//! ```
//!
//! `--export DIR` writes each training workload's data (the training split as the trainer sees
//! it: standardised inputs, targets, bins) and its hyper-parameters (`workloads.json` and raw
//! little-endian arrays) for the PyTorch side, and exits.

use ndarray::Array2;
use serde_json::{json, Value};
use srl_data::{Benchmark, BenchmarkId};
use srl_losses::{SrlConfig, SrlObjective};
use srl_surrogate::{Surrogate, SurrogateConfig};
use srl_train::{
    Component, LrDecay, LrSchedule, MethodName, Profile, RunConfig, TrainError, Trainer,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Training workloads: (name prefix, benchmark, unit of a sample).
const TRAINING: [(&str, BenchmarkId, &str); 3] = [
    ("airfoil", BenchmarkId::Airfoil, "ms/epoch"),
    ("iol-linear", BenchmarkId::IolLinear, "ms/iteration"),
    ("iol-sde", BenchmarkId::IolSde, "ms/iteration"),
];

/// Objective workloads: (K, N); M = 256, d = 128.
const OBJECTIVE: [(usize, usize); 2] = [(100, 2000), (1000, 10000)];
const OBJECTIVE_M: usize = 256;
const OBJECTIVE_D: usize = 128;

struct Args {
    data_dir: PathBuf,
    only: Vec<String>,
    warmup: usize,
    repeats: usize,
    export: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data_dir: srl_data::datadir::resolve_data_dir(None),
        only: Vec::new(),
        warmup: 3,
        repeats: 15,
        export: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => args.data_dir = PathBuf::from(value()?),
            "--only" => {
                args.only = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "--warmup" => args.warmup = value()?.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--repeats" => {
                args.repeats = value()?.parse().map_err(|e| format!("--repeats: {e}"))?
            }
            "--export" => args.export = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.repeats = args.repeats.max(1);
    Ok(args)
}

/// Whether `name` is selected by `--only` (a prefix of the name, e.g. `airfoil`, or the name).
fn selected(only: &[String], name: &str) -> bool {
    only.is_empty() || only.iter().any(|o| name.starts_with(o.as_str()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn srl() -> MethodName {
    MethodName::new(&[Component::Srl]).unwrap_or_default()
}

/// The full-profile preset of `benchmark`/`method`, long enough for the timed epochs and
/// validating only after the last (never reached).
fn timing_config(
    benchmark: BenchmarkId,
    method: &MethodName,
    epochs: usize,
) -> Result<RunConfig, TrainError> {
    let mut cfg = RunConfig::preset(benchmark, method, Profile::Full)?;
    let epochs = epochs + 1;
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

/// Milliseconds of each of `repeats` epochs after `warmup` untimed ones.
fn time_training(
    bench: &Benchmark,
    benchmark: BenchmarkId,
    method: &MethodName,
    warmup: usize,
    repeats: usize,
) -> Result<Vec<f64>, TrainError> {
    let warmup = warmup.max(2);
    let cfg = timing_config(benchmark, method, warmup + repeats)?;
    let mut trainer = Trainer::new(&cfg.check()?, bench)?;
    let mut samples = Vec::with_capacity(repeats);
    for epoch in 0..warmup + repeats {
        let start = Instant::now();
        trainer.run_epoch()?;
        if epoch >= warmup {
            samples.push(1e3 * start.elapsed().as_secs_f64());
        }
    }
    Ok(samples)
}

fn gaussian(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    srl_testkit::random::gaussian_matrix(rows, cols, seed)
}

/// Milliseconds of each of `repeats` objective calls (forward + backward to ∂L/∂h).
fn time_objective(
    k: usize,
    n: usize,
    warmup: usize,
    repeats: usize,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let (m, d) = (OBJECTIVE_M, OBJECTIVE_D);
    let mut surrogate = Surrogate::<f32>::new(SurrogateConfig::new(k, d))?;
    let memory = srl_geometry::normalize_rows(gaussian(k, d, 1).view()).0;
    let all_bins: Vec<usize> = (0..k).collect();
    surrogate.accumulate(memory.view(), &all_bins)?;
    surrogate.end_epoch()?;
    let centres: Vec<f64> = (0..k).map(|i| i as f64).collect();
    let mut config = SrlConfig::authors_code(k, d, centres);
    config.params.num_points = n;
    let mut objective = SrlObjective::<f32>::new(config)?;
    let h = gaussian(m, d, 2);
    let bins: Vec<usize> = (0..m).map(|i| (i * 37) % k).collect();
    let mut grad_h = Array2::<f32>::zeros((m, d));
    let mut samples = Vec::with_capacity(repeats);
    for call in 0..warmup + repeats {
        let start = Instant::now();
        let parts = objective.evaluate_into(h.view(), &bins, &surrogate, grad_h.view_mut())?;
        let ms = 1e3 * start.elapsed().as_secs_f64();
        std::hint::black_box(parts);
        if call >= warmup {
            samples.push(ms);
        }
    }
    Ok(samples)
}

fn write_le<T: Copy, const W: usize>(
    path: &Path,
    values: impl Iterator<Item = T>,
    bytes: impl Fn(T) -> [u8; W],
) -> Result<(), String> {
    let data: Vec<u8> = values.flat_map(bytes).collect();
    std::fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes the training data and hyper-parameters of the selected training workloads.
fn export(args: &Args, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut workloads = serde_json::Map::new();
    for (name, benchmark, unit) in TRAINING {
        if !selected(&args.only, name) {
            continue;
        }
        let bench = load(benchmark, &args.data_dir)?;
        let cfg = RunConfig::preset(benchmark, &srl(), Profile::Full)?;
        let train = &bench.train;
        let (rows, inputs) = train.x.dim();
        write_le(&dir.join(format!("{name}.x.f32")), train.x.iter(), |v| {
            (*v as f32).to_le_bytes()
        })?;
        write_le(&dir.join(format!("{name}.y.f32")), train.y.iter(), |v| {
            (*v as f32).to_le_bytes()
        })?;
        write_le(
            &dir.join(format!("{name}.bins.i64")),
            train.bins.iter(),
            |b| (*b as i64).to_le_bytes(),
        )?;
        workloads.insert(
            name.to_string(),
            json!({
                "unit": unit,
                "rows": rows,
                "inputs": inputs,
                "num_bins": bench.binning.num_bins(),
                "bin_centres": bench.binning.centres(),
                "hidden": cfg.model.hidden,
                "batch_size": cfg.optim.batch_size,
                "optimizer": cfg.optim.optimizer,
                "schedule": cfg.optim.schedule,
                "epochs": cfg.optim.epochs,
                "regression_loss": cfg.method.regression.loss,
                "srl": cfg.method.srl,
                "x": format!("{name}.x.f32"),
                "y": format!("{name}.y.f32"),
                "bins": format!("{name}.bins.i64"),
            }),
        );
    }
    let text = serde_json::to_string_pretty(&json!({ "workloads": workloads }))?;
    std::fs::write(dir.join("workloads.json"), text)?;
    Ok(())
}

fn load(benchmark: BenchmarkId, data_dir: &Path) -> Result<Benchmark, srl_data::DataError> {
    srl_data::load_benchmark(
        benchmark,
        &srl_data::LoadOptions {
            data_dir: data_dir.to_path_buf(),
            split_seed: 0,
        },
    )
}

fn entry(unit: &str, samples: Vec<f64>) -> Value {
    json!({ "ms": median(samples.clone()), "unit": unit, "samples_ms": samples })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    if let Some(dir) = &args.export {
        return export(&args, dir);
    }
    let mut out = serde_json::Map::new();
    for (name, benchmark, unit) in TRAINING {
        let methods = [("vanilla", MethodName::vanilla()), ("srl", srl())];
        if !methods
            .iter()
            .any(|(m, _)| selected(&args.only, &format!("{name}/{m}")))
        {
            continue;
        }
        let bench = load(benchmark, &args.data_dir)?;
        for (m, method) in methods {
            let key = format!("{name}/{m}");
            if selected(&args.only, &key) {
                let samples = time_training(&bench, benchmark, &method, args.warmup, args.repeats)?;
                out.insert(key, entry(unit, samples));
            }
        }
    }
    for (k, n) in OBJECTIVE {
        let key = format!("objective/K{k}-N{n}");
        if selected(&args.only, &key) {
            let samples = time_objective(k, n, args.warmup, args.repeats)?;
            out.insert(key, entry("ms/call", samples));
        }
    }
    let report = json!({
        "implementation": "rust",
        "threads": 1,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "workloads": out,
    });
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
