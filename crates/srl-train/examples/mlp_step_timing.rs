//! Quick (criterion-free) timing of one training step's forward + backward + AdamW update.
//!
//! `cargo run --release -p srl-train --example mlp_step_timing`

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_train::{Mlp, MlpConfig, Optimizer, OptimizerConfig, TrainError};
use std::time::Instant;

fn time_case(name: &str, cfg: &MlpConfig, batch: usize) -> Result<(), TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = Array2::from_shape_fn((batch, cfg.input_dim), |_| rng.gen_range(-1.0f32..1.0));
    let y = Array1::from_shape_fn(batch, |_| rng.gen_range(-1.0f32..1.0));
    let mut mlp = Mlp::<f32>::new(cfg, 0)?;
    let mut ws = mlp.workspace(batch);
    let mut grads = mlp.gradients();
    let mut opt = Optimizer::new(OptimizerConfig::adamw(1e-3), mlp.num_parameters())?;
    let mut grad_pred = Array1::<f32>::zeros(batch);
    let grad_features = Array2::<f32>::from_elem((batch, mlp.representation_dim()), 1e-3);

    let mut fwd_bwd = 0.0;
    let mut total = 0.0;
    let reps = 2000;
    for rep in 0..reps + 50 {
        let start = Instant::now();
        mlp.forward(x.view(), &mut ws)?;
        ndarray::Zip::from(&mut grad_pred)
            .and(&ws.predictions())
            .and(&y)
            .for_each(|g, &p, &t| *g = 2.0 * (p - t) / batch as f32);
        mlp.backward(
            &mut ws,
            grad_pred.view(),
            Some(grad_features.view()),
            &mut grads,
        )?;
        let mid = start.elapsed().as_secs_f64();
        opt.step(mlp.flat_parameters_mut(), grads.as_slice(), 1e-3)?;
        let end = start.elapsed().as_secs_f64();
        if rep >= 50 {
            fwd_bwd += mid;
            total += end;
        }
    }
    println!(
        "{name}: {} params, B = {batch}: forward+backward {:.1} µs/step, with AdamW {:.1} µs/step",
        mlp.num_parameters(),
        1e6 * fwd_bwd / reps as f64,
        1e6 * total / reps as f64
    );
    Ok(())
}

fn main() -> Result<(), TrainError> {
    time_case(
        "airfoil 5-20-30-10-1",
        &MlpConfig::new(5, vec![20, 30]).with_feature_dim(10),
        256,
    )?;
    time_case(
        "IOL 101-100-100-1",
        &MlpConfig::new(101, vec![100, 100]),
        1000,
    )?;
    Ok(())
}
