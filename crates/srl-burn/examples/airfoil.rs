//! UCI-DIR Airfoil in burn, vanilla vs SRL (`SrlParams::tabular`), with the network, optimiser
//! and schedule of `srl train`'s Airfoil preset: MLP d-20-30-10 (ReLU; the representation h is
//! the last hidden layer after ReLU) + Linear(10, 1) head, L1 loss on the standardised target,
//! AdamW (lr 3e-3, β = (0.9, 0.999), ε = 1e-8, weight decay 1e-4), cosine schedule per epoch
//! down to 1e-5, batches of 64, split seed 0; the epoch with the best validation MAE (All) is
//! kept and its test metrics are reported. Only the losses come from srl-burn; initialisation,
//! batch order and optimiser are burn's (Flex backend, f32).
//!
//! ```text
//! cargo run --release -p srl-burn --example airfoil -- --epochs 300 --seeds 5
//! cargo run --profile test -p srl-burn --example airfoil -- --epochs 3 --seeds 1   # CI slice
//! ```

use burn::backend::{Autodiff, Flex};
use burn::module::{AutodiffModule, Module};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use srl_burn::SrlLoss;
use srl_data::{load_benchmark, BenchmarkId, LoadOptions, Part, Shot, ShotMetrics};
use srl_losses::{SrlConfig, SrlParams};
use std::path::PathBuf;
use std::time::Instant;

type Train = Autodiff<Flex>;

#[derive(Module, Debug)]
struct Mlp<B: Backend> {
    hidden: Vec<Linear<B>>,
    head: Linear<B>,
    relu: Relu,
}

impl<B: Backend> Mlp<B> {
    fn new(inputs: usize, device: &B::Device) -> Self {
        let mut hidden = Vec::new();
        let mut width = inputs;
        for out in [20, 30, 10] {
            hidden.push(LinearConfig::new(width, out).init(device));
            width = out;
        }
        Mlp {
            hidden,
            head: LinearConfig::new(width, 1).init(device),
            relu: Relu::new(),
        }
    }

    /// (h, ŷ): the representation (last hidden layer after ReLU) and the prediction.
    fn forward(&self, x: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let mut h = x;
        for layer in &self.hidden {
            h = self.relu.forward(layer.forward(h));
        }
        let m = h.dims()[0];
        let y = self.head.forward(h.clone()).reshape([m]);
        (h, y)
    }
}

struct Args {
    epochs: usize,
    seeds: u64,
    data_dir: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        epochs: 300,
        seeds: 5,
        data_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--epochs" => a.epochs = value()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--seeds" => a.seeds = value()?.parse().map_err(|e| format!("--seeds: {e}"))?,
            "--data-dir" => a.data_dir = Some(PathBuf::from(value()?)),
            other => {
                return Err(format!(
                    "unknown flag {other} (--epochs, --seeds, --data-dir)"
                ))
            }
        }
    }
    if a.epochs == 0 || a.seeds == 0 {
        return Err("--epochs and --seeds must be ≥ 1".into());
    }
    Ok(a)
}

fn matrix<B: Backend>(part: &Part, rows: &[usize], device: &B::Device) -> Tensor<B, 2> {
    let d = part.x.ncols();
    let v: Vec<f32> = rows
        .iter()
        .flat_map(|&i| part.x.row(i).to_vec())
        .map(|v| v as f32)
        .collect();
    Tensor::from_data(TensorData::new(v, [rows.len(), d]), device)
}

fn vector<B: Backend>(v: Vec<f32>, device: &B::Device) -> Tensor<B, 1> {
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

/// Test metrics (target units) of the predictions of `model` on `part`.
fn predict(model: &Mlp<Flex>, part: &Part, mean: f64, std: f64) -> Vec<f64> {
    let rows: Vec<usize> = (0..part.len()).collect();
    let (_, y) = model.forward(matrix(part, &rows, &Default::default()));
    y.into_data()
        .to_vec::<f32>()
        .unwrap_or_default()
        .into_iter()
        .map(|v| v as f64 * std + mean)
        .collect()
}

/// A seeded Fisher–Yates shuffle (SplitMix64), the batch order of one epoch.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        order.swap(i, (z % (i as u64 + 1)) as usize);
    }
}

fn cosine_lr(epoch: usize, epochs: usize) -> f64 {
    let (base, min) = (3e-3, 1e-5);
    let progress = epoch.min(epochs) as f64 / epochs.max(1) as f64;
    min + (base - min) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
}

/// One run; returns the test metrics of the validation-selected epoch and the seconds per
/// epoch (training and evaluation).
fn run(
    data: &srl_data::Benchmark,
    srl: bool,
    seed: u64,
    epochs: usize,
) -> Result<(ShotMetrics, f64), Box<dyn std::error::Error>> {
    let device = Default::default();
    Train::seed(&device, seed);
    let train = &data.train;
    let (mean, std) = {
        let y = &train.y;
        let mean = y.mean().unwrap_or(0.0);
        (mean, y.std(0.0).max(1e-12))
    };
    let mut model = Mlp::<Train>::new(train.x.ncols(), &device);
    let mut optim = AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(1e-4)
        .init();
    let mut config = SrlConfig::new(
        data.binning.num_bins(),
        10,
        data.binning.centres(),
        SrlParams::tabular(),
    );
    config.seed = seed;
    let mut loss_srl = SrlLoss::<Train>::new(config)?;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = seed ^ 0x5EED;
    let mut best: Option<(f64, ShotMetrics)> = None;
    let start = Instant::now();
    for epoch in 0..epochs {
        shuffle(&mut order, &mut rng);
        let lr = cosine_lr(epoch, epochs);
        for rows in order.chunks(64) {
            let x = matrix::<Train>(train, rows, &device);
            let y = vector::<Train>(
                rows.iter()
                    .map(|&i| ((train.y[i] - mean) / std) as f32)
                    .collect(),
                &device,
            );
            let bins: Vec<usize> = rows.iter().map(|&i| train.bins[i]).collect();
            let (h, pred) = model.forward(x);
            let mut loss = (pred - y).abs().mean();
            if srl {
                loss = loss + loss_srl.forward(h, &bins)?;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        if srl {
            loss_srl.end_epoch()?;
        }
        let valid = model.valid();
        let val = srl_data::evaluate(
            &predict(&valid, &data.val, mean, std),
            data.val.y.as_slice().unwrap_or(&[]),
            &data.val.shots,
        )?;
        let val_mae = val.all.mae.unwrap_or(f64::INFINITY);
        if best.as_ref().is_none_or(|(b, _)| val_mae < *b) {
            let test = srl_data::evaluate(
                &predict(&valid, &data.test, mean, std),
                data.test.y.as_slice().unwrap_or(&[]),
                &data.test.shots,
            )?;
            best = Some((val_mae, test));
        }
    }
    let per_epoch = start.elapsed().as_secs_f64() / epochs as f64;
    let (_, test) = best.ok_or("no epoch ran")?;
    Ok((test, per_epoch))
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let data_dir = srl_data::datadir::resolve_data_dir(a.data_dir.as_deref());
    let data = load_benchmark(
        BenchmarkId::Airfoil,
        &LoadOptions {
            data_dir,
            split_seed: 0,
        },
    )?;
    println!(
        "Airfoil (burn Flex backend, f32): {} epochs, seeds 0..{}; test MAE of the validation-selected epoch, mean ± std",
        a.epochs, a.seeds
    );
    println!(
        "{:<8} {:>15} {:>15} {:>15} {:>15} {:>10}",
        "method", "All", "Many", "Medium", "Few", "s/epoch"
    );
    for (name, srl) in [("vanilla", false), ("srl", true)] {
        let mut cols: [Vec<f64>; 4] = Default::default();
        let mut times = Vec::new();
        for seed in 0..a.seeds {
            let (m, t) = run(&data, srl, seed, a.epochs)?;
            for (c, g) in cols.iter_mut().zip([
                &m.all,
                m.group(Shot::Many),
                m.group(Shot::Medium),
                m.group(Shot::Few),
            ]) {
                c.push(g.mae.unwrap_or(f64::NAN));
            }
            times.push(t);
        }
        let cell = |v: &[f64]| {
            let (m, s) = mean_std(v);
            format!("{m:.3} ± {s:.3}")
        };
        println!(
            "{:<8} {:>15} {:>15} {:>15} {:>15} {:>10.4}",
            name,
            cell(&cols[0]),
            cell(&cols[1]),
            cell(&cols[2]),
            cell(&cols[3]),
            mean_std(&times).0
        );
    }
    Ok(())
}
