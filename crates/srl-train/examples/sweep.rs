//! A small validation-only hyper-parameter sweep (the engine of `cargo xtask tune`):
//! `cargo run --release -p srl-train --example sweep -- BENCHMARK PROFILE SEEDS [key=value ...]`
//! Each extra argument is one variant: `env=0.1,homo=0.1,con=0.1,tau=1,act=linear`.
//! Prints validation and test MAE (All/Few) mean over seeds; choose on validation.

use srl_train::{prepare_data, run, FeatureActivation, MethodConfig, Profile, RunConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench_name = args.first().map(String::as_str).unwrap_or("airfoil");
    let profile: Profile = args
        .get(1)
        .map(|s| s.parse().expect("profile"))
        .unwrap_or(Profile::Full);
    let seeds: u64 = args.get(2).map(|s| s.parse().expect("seeds")).unwrap_or(3);
    let variants: Vec<String> = if args.len() > 3 {
        args[3..].to_vec()
    } else {
        vec!["vanilla".into()]
    };
    let dir = srl_data::datadir::shared_data_dir().expect("data dir");
    let base = RunConfig::preset(bench_name, "vanilla", profile).expect("preset");
    let bench = prepare_data(&base.data, &dir).expect("data");
    for v in &variants {
        let mut rows = Vec::new();
        let started = std::time::Instant::now();
        for seed in 0..seeds {
            let mut cfg = RunConfig::preset(
                bench_name,
                if v.starts_with("vanilla") {
                    "vanilla"
                } else {
                    "srl"
                },
                profile,
            )
            .unwrap();
            cfg.seed = seed;
            for kv in v.split(',').filter(|s| s.contains('=')) {
                let (k, val) = kv.split_once('=').unwrap();
                let x: f64 = val.parse().unwrap_or(f64::NAN);
                match k {
                    "act" => {
                        cfg.model.feature_activation = if val == "linear" {
                            FeatureActivation::Linear
                        } else {
                            FeatureActivation::Relu
                        }
                    }
                    "lr" => {
                        if let srl_train::OptimizerConfig::AdamW { lr, .. } =
                            &mut cfg.optim.optimizer
                        {
                            *lr = x
                        }
                    }
                    "epochs" => {
                        cfg.optim.epochs = x as usize;
                        cfg.optim.schedule =
                            srl_train::LrSchedule::new(srl_train::LrDecay::Cosine {
                                total_steps: x as usize,
                                min_lr: 1e-5,
                            });
                    }
                    "loss" => {
                        cfg.optim.loss = if val == "mse" {
                            srl_losses::RegressionLoss::Mse
                        } else {
                            srl_losses::RegressionLoss::L1
                        }
                    }
                    "bs" => cfg.optim.batch_size = Some(x as usize),
                    _ => {}
                }
                if let MethodConfig::Srl {
                    weights,
                    tau,
                    num_points,
                    warmup_epochs,
                    ..
                } = &mut cfg.method
                {
                    match k {
                        "env" => weights.envelope = x,
                        "homo" => weights.homogeneity = x,
                        "con" => weights.contrastive = x,
                        "tau" => *tau = x,
                        "n" => *num_points = x as usize,
                        "warm" => *warmup_epochs = x as usize,
                        _ => {}
                    }
                }
            }
            let out = run(&cfg, &bench, None, &mut |_| {}).expect("run");
            let r = out.report;
            rows.push([
                r.val.all.mae.unwrap_or(f64::NAN),
                r.val.few.mae.unwrap_or(f64::NAN),
                r.test.all.mae.unwrap_or(f64::NAN),
                r.test.few.mae.unwrap_or(f64::NAN),
                r.geometry.coverage,
                r.geometry.speed_cv,
            ]);
        }
        let mean = |j: usize| rows.iter().map(|r| r[j]).sum::<f64>() / rows.len() as f64;
        println!(
            "{bench_name} {v:<40} val all {:.4} few {:.4} | test all {:.4} few {:.4} | cov {:.3} cv {:.3} | {:.1}s",
            mean(0), mean(1), mean(2), mean(3), mean(4), mean(5), started.elapsed().as_secs_f64()
        );
    }
}
