//! End-to-end: an MLP trained with AdamW on full-batch MSE fits y = sin(x).

use ndarray::{Array1, Array2};
use srl_train::{clip_grad_norm, LrDecay, LrSchedule, Mlp, MlpConfig, Optimizer, OptimizerConfig};

#[test]
fn mlp_learns_sine_with_adamw() {
    let n = 256;
    let x = Array2::from_shape_fn((n, 1), |(i, _)| -3.0 + 6.0 * i as f32 / (n - 1) as f32);
    let y: Array1<f32> = x.column(0).mapv(f32::sin);

    let mut mlp = Mlp::<f32>::new(&MlpConfig::new(1, vec![32, 32]), 0).unwrap();
    let cfg = OptimizerConfig::adamw(1e-2);
    let mut opt = Optimizer::new(cfg, mlp.num_parameters()).unwrap();
    let schedule = LrSchedule::new(LrDecay::Cosine {
        total_steps: 2000,
        min_lr: 1e-4,
    });
    schedule.validate(cfg.lr()).unwrap();
    let mut ws = mlp.workspace(n);
    let mut grads = mlp.gradients();
    let mut grad_pred = Array1::<f32>::zeros(n);

    let mse = |mlp: &Mlp<f32>| {
        let p = mlp.predict(x.view()).unwrap();
        (&p - &y).mapv(|e| e * e).mean().unwrap()
    };
    let initial = mse(&mlp);
    for step in 0..2000 {
        mlp.forward(x.view(), &mut ws).unwrap();
        // ∂/∂ŷ of mean squared error.
        ndarray::Zip::from(&mut grad_pred)
            .and(&ws.predictions())
            .and(&y)
            .for_each(|g, &p, &t| *g = 2.0 * (p - t) / n as f32);
        mlp.backward(&mut ws, grad_pred.view(), None, &mut grads)
            .unwrap();
        clip_grad_norm(grads.as_slice_mut(), 10.0).unwrap();
        let lr = schedule.lr_at(cfg.lr(), step) as f32;
        opt.step(mlp.flat_parameters_mut(), grads.as_slice(), lr)
            .unwrap();
    }
    let last = mse(&mlp);
    assert!(last < 0.02, "MSE {initial} -> {last}");
    assert!(last < initial / 10.0);
}
