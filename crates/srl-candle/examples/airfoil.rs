//! Airfoil (UCI-DIR) trained with candle: vanilla (L1) and SRL (`SrlParams::tabular`, the
//! `srl train` preset) over several seeds, the epoch selected on validation MAE, the test shot
//! table (All / Many / Medium / Few MAE, mean ± sample std over seeds) and the time per epoch.
//!
//! The network, optimiser and schedule are read off `srl train`'s Airfoil preset
//! (`RunConfig::preset`): d-20-30-10 ReLU + Linear(10, 1), PyTorch's default initialisation
//! (the same draws as `srl train` for a seed), AdamW (lr 3e-3, wd 1e-4), cosine annealing over
//! the epochs to 1e-5, batches of 64 in the same seeded order, the target standardised with the
//! training statistics.
//!
//! ```text
//! cargo run --release -p srl-candle --example airfoil                       # 300 epochs, 5 seeds
//! cargo run --profile test -p srl-candle --example airfoil -- --epochs 3 --seeds 1   # CI slice
//! ```
//!
//! Flags: `--epochs N` (default: the preset's 300), `--seeds S` (seeds 0..S, default 5),
//! `--data-dir PATH` (default `$SRL_DATA_DIR`, else `datasets/cache`).

use candle_core::{Device, Module, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use srl_candle::{SrlLoss, SrlParams};
use srl_data::{load_benchmark, Benchmark, BenchmarkId, LoadOptions, Shot};
use srl_train::{BatchMode, BatchSampler, Mlp, MlpConfig, OptimizerConfig, Profile, RunConfig};
use std::time::Instant;

type Error = Box<dyn std::error::Error>;

struct Args {
    epochs: Option<usize>,
    seeds: u64,
    data_dir: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = Args {
        epochs: None,
        seeds: 5,
        data_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--epochs" => args.epochs = Some(value()?.parse()?),
            "--seeds" => args.seeds = value()?.parse()?,
            "--data-dir" => args.data_dir = Some(value()?.into()),
            "-h" | "--help" => {
                println!("airfoil [--epochs N] [--seeds S] [--data-dir PATH]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if args.seeds == 0 || args.epochs == Some(0) {
        return Err("--epochs and --seeds must be ≥ 1".into());
    }
    Ok(args)
}

/// The MLP as candle variables: hidden layers with ReLU (h = the last one's output), then the
/// linear head.
struct Net {
    layers: Vec<(Var, Var)>,
}

impl Net {
    /// The same initial values as `srl train` for this seed (srl-train's `Mlp::new`).
    fn new(config: &MlpConfig, seed: u64, dev: &Device) -> Result<Self, Error> {
        let mlp = Mlp::<f32>::new(config, seed)?;
        let mut layers = Vec::new();
        for l in 0..mlp.num_layers() {
            let (w, b) = (mlp.weight(l).ok_or("layer")?, mlp.bias(l).ok_or("layer")?);
            let w = Var::from_vec(w.iter().copied().collect(), w.dim(), dev)?;
            let b = Var::from_vec(b.to_vec(), b.len(), dev)?;
            layers.push((w, b));
        }
        Ok(Net { layers })
    }

    fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    /// (h, ŷ) of a batch.
    fn forward(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (hidden, head) = self.layers.split_at(self.layers.len() - 1);
        let mut h = x.clone();
        for (w, b) in hidden {
            h = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()))
                .forward(&h)?
                .relu()?;
        }
        let (w, b) = &head[0];
        let pred = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()))
            .forward(&h)?
            .squeeze(1)?;
        Ok((h, pred))
    }
}

/// Test MAE per shot group of the validation-best epoch, and the training seconds per epoch.
struct Outcome {
    mae: [f64; 4],
    best_epoch: usize,
    seconds_per_epoch: f64,
}

fn matrix(a: &ndarray::Array2<f64>, dev: &Device) -> candle_core::Result<Tensor> {
    Tensor::from_vec(a.iter().map(|&v| v as f32).collect(), a.dim(), dev)
}

fn train(bench: &Benchmark, srl: bool, seed: u64, epochs: Option<usize>) -> Result<Outcome, Error> {
    let dev = Device::Cpu;
    let method = if srl { "srl" } else { "vanilla" };
    let mut cfg = RunConfig::preset(BenchmarkId::Airfoil, &method.parse()?, Profile::Full)?;
    if let Some(e) = epochs {
        cfg.set_epochs(e);
    }
    cfg.seed = seed;
    let OptimizerConfig::AdamW {
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
    } = cfg.optim.optimizer
    else {
        return Err("the Airfoil preset uses AdamW".into());
    };
    let batch_size = cfg
        .optim
        .batch_size
        .ok_or("the Airfoil preset uses mini-batches")?;

    let train = &bench.train;
    let (mean, std) = (train.y.mean().unwrap_or(0.0), train.y.std(0.0));
    let std = if std > 0.0 { std } else { 1.0 };
    let x = matrix(&train.x, &dev)?;
    let y = Tensor::from_vec(
        train.y.iter().map(|&v| ((v - mean) / std) as f32).collect(),
        train.len(),
        &dev,
    )?;
    let (x_val, x_test) = (matrix(&bench.val.x, &dev)?, matrix(&bench.test.x, &dev)?);

    let mlp_config = MlpConfig::new(train.x.ncols(), cfg.model.hidden.clone());
    let net = Net::new(&mlp_config, seed, &dev)?;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        },
    )?;
    let mut srl_loss = match (srl, cfg.method.srl) {
        (true, Some(params)) => {
            assert_eq!(params, SrlParams::tabular());
            let d = mlp_config.representation_dim();
            Some(SrlLoss::<f32>::new(
                params,
                bench.binning.centres(),
                d,
                seed,
            )?)
        }
        _ => None,
    };
    let mode = BatchMode::MiniBatch {
        batch_size,
        drop_last: false,
    };
    let mut sampler = BatchSampler::new(train.len(), mode, seed)?;

    let unscale = |p: Tensor| -> candle_core::Result<Vec<f64>> {
        Ok(p.to_vec1::<f32>()?
            .iter()
            .map(|&v| f64::from(v) * std + mean)
            .collect())
    };
    let mut best: Option<(f64, usize, Vec<f64>)> = None;
    let mut seconds = 0.0;
    for epoch in 0..cfg.optim.epochs {
        let start = Instant::now();
        opt.set_learning_rate(cfg.optim.schedule.lr_at(lr, epoch));
        sampler.shuffle_for_epoch(epoch as u64);
        for rows in sampler.batches() {
            let idx = Tensor::from_vec(rows.iter().map(|&r| r as u32).collect(), rows.len(), &dev)?;
            let (h, pred) = net.forward(&x.index_select(&idx, 0)?)?;
            let mut loss = (pred - y.index_select(&idx, 0)?)?.abs()?.mean_all()?;
            if let Some(s) = srl_loss.as_mut() {
                let bins: Vec<usize> = rows.iter().map(|&r| train.bins[r]).collect();
                loss = (loss + s.forward(&h, &bins)?)?;
            }
            opt.backward_step(&loss)?;
        }
        if let Some(s) = srl_loss.as_mut() {
            s.end_epoch()?;
        }
        seconds += start.elapsed().as_secs_f64();

        let val = unscale(net.forward(&x_val)?.1)?;
        let val_mae = mae(&val, bench.val.y.as_slice().ok_or("contiguous")?);
        if !val_mae.is_finite() {
            return Err(format!(
                "{method} seed {seed}: validation MAE is {val_mae} at epoch {epoch}"
            )
            .into());
        }
        if best.as_ref().is_none_or(|(b, _, _)| val_mae < *b) {
            best = Some((val_mae, epoch, unscale(net.forward(&x_test)?.1)?));
        }
    }
    let (_, best_epoch, test_pred) = best.ok_or("no epoch")?;
    let m = srl_data::evaluate(&test_pred, &bench.test.y.to_vec(), &bench.test.shots)?;
    let group = |s: Option<Shot>| {
        let g = match s {
            None => &m.all,
            Some(s) => m.group(s),
        };
        g.mae.unwrap_or(f64::NAN)
    };
    Ok(Outcome {
        mae: [
            group(None),
            group(Some(Shot::Many)),
            group(Some(Shot::Medium)),
            group(Some(Shot::Few)),
        ],
        best_epoch,
        seconds_per_epoch: seconds / cfg.optim.epochs as f64,
    })
}

fn mae(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

/// Mean and sample standard deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

fn main() -> Result<(), Error> {
    let args = parse_args()?;
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    let bench = load_benchmark(
        BenchmarkId::Airfoil,
        &LoadOptions {
            data_dir,
            split_seed: 0,
        },
    )?;
    println!(
        "Airfoil: {} train / {} val / {} test rows, {} bins; seeds 0..{}; candle CPU threads {}",
        bench.train.len(),
        bench.val.len(),
        bench.test.len(),
        bench.binning.num_bins(),
        args.seeds,
        candle_core::utils::get_num_threads()
    );
    let mut rows = Vec::new();
    for srl in [false, true] {
        let name = if srl { "srl" } else { "vanilla" };
        let mut outcomes = Vec::new();
        for seed in 0..args.seeds {
            let o = train(&bench, srl, seed, args.epochs)?;
            println!(
                "{name:>8} seed {seed}: test All MAE {:.3} (Few {:.3}), best epoch {}, {:.4} s/epoch",
                o.mae[0], o.mae[3], o.best_epoch, o.seconds_per_epoch
            );
            outcomes.push(o);
        }
        rows.push((name, outcomes));
    }
    println!("\ntest MAE, mean ± sample std over {} seed(s)", args.seeds);
    println!("| method | All | Many | Medium | Few | s/epoch |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut per_epoch = Vec::new();
    for (name, outcomes) in &rows {
        let cell = |g: usize| {
            let (m, s) = mean_std(&outcomes.iter().map(|o| o.mae[g]).collect::<Vec<_>>());
            format!("{m:.3} ± {s:.3}")
        };
        let (t, _) = mean_std(
            &outcomes
                .iter()
                .map(|o| o.seconds_per_epoch)
                .collect::<Vec<_>>(),
        );
        per_epoch.push(t);
        println!(
            "| {name} | {} | {} | {} | {} | {t:.4} |",
            cell(0),
            cell(1),
            cell(2),
            cell(3)
        );
    }
    println!(
        "\nSRL / vanilla time per epoch: {:.2}×",
        per_epoch[1] / per_epoch[0]
    );
    Ok(())
}
