//! Optimisers against hand-derived PyTorch reference values, and gradient clipping.

use approx::assert_relative_eq;
use proptest::prelude::*;
use srl_train::{clip_grad_norm, Optimizer, OptimizerConfig, TrainError};

/// Gradient of the toy objective f(p) = ½(3 p₀² + 0.5 p₁²) + p₀p₁.
fn toy_grad(p: &[f64; 2]) -> [f64; 2] {
    [3.0 * p[0] + p[1], 0.5 * p[1] + p[0]]
}

#[test]
fn adamw_first_step_matches_hand_computed_value() {
    // p = 1, g = 0.5, lr = 0.1, wd = 0.01: p ← 1·(1 − 0.001) = 0.999; m̂ = 0.5, v̂ = 0.25;
    // p ← 0.999 − 0.1·0.5/(0.5 + 1e-8) = 0.899000002 (to 1e-15).
    let mut opt = Optimizer::<f64>::new(OptimizerConfig::adamw(0.1), 1).unwrap();
    let mut p = [1.0];
    opt.step(&mut p, &[0.5], 0.1).unwrap();
    assert_relative_eq!(p[0], 0.999 - 0.05 / 0.500_000_01, epsilon = 1e-15);
    assert_relative_eq!(p[0], 0.899_000_002, epsilon = 1e-12);
    // Second step, same gradient: m = 0.095, v = 0.0004975; m̂ = 0.5, v̂ = 0.25 again.
    opt.step(&mut p, &[0.5], 0.1).unwrap();
    assert_relative_eq!(
        p[0],
        0.899_000_002 * 0.999 - 0.05 / 0.500_000_01,
        epsilon = 1e-12
    );
}

#[test]
fn adamw_matches_pytorch_algorithm_on_a_toy_problem() {
    let (lr, b1, b2, eps, wd) = (0.05, 0.8, 0.95, 1e-6, 0.1);
    let cfg = OptimizerConfig::AdamW {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
        weight_decay: wd,
    };
    let mut opt = Optimizer::<f64>::new(cfg, 2).unwrap();
    let mut p = [1.0, -2.0];
    // Reference: PyTorch documentation's algorithm, written out per scalar.
    let mut q = [1.0, -2.0];
    let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
    for t in 1..=5 {
        let lr_t = lr * (1.0 - 0.1 * t as f64); // a varying scheduled rate
        let g = toy_grad(&p);
        opt.step(&mut p, &g, lr_t).unwrap();
        let g = toy_grad(&q);
        for k in 0..2 {
            q[k] -= lr_t * wd * q[k];
            m[k] = b1 * m[k] + (1.0 - b1) * g[k];
            v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
            let m_hat = m[k] / (1.0 - b1.powi(t));
            let v_hat = v[k] / (1.0 - b2.powi(t));
            q[k] -= lr_t * m_hat / (v_hat.sqrt() + eps);
        }
        for k in 0..2 {
            assert_relative_eq!(p[k], q[k], max_relative = 1e-12);
        }
    }
    assert_eq!(opt.steps_taken(), 5);
    // f32 follows the same path.
    let mut opt32 = Optimizer::<f32>::new(cfg, 2).unwrap();
    let mut p32 = [1.0f32, -2.0];
    opt32.step(&mut p32, &[4.0, -1.0], 0.05).unwrap();
    assert!((p32[0] - (0.995 - 0.05)).abs() < 1e-6 && (p32[1] - (-1.99 + 0.05)).abs() < 1e-6);
}

#[test]
fn sgd_momentum_matches_hand_computed_values() {
    // Constant g = 0.5, lr = 0.1, μ = 0.9: b = 0.5, 0.95, 1.355; p = 0.95, 0.855, 0.7195.
    let cfg = OptimizerConfig::Sgd {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.0,
        nesterov: false,
    };
    let mut opt = Optimizer::<f64>::new(cfg, 1).unwrap();
    let mut p = [1.0];
    for expected in [0.95, 0.855, 0.7195] {
        opt.step(&mut p, &[0.5], 0.1).unwrap();
        assert_relative_eq!(p[0], expected, epsilon = 1e-12);
    }
    // Nesterov: d = g + μb; b = 0.5 → d = 0.95 → p = 0.905; b = 0.95 → d = 1.355 → p = 0.7695.
    let cfg = OptimizerConfig::Sgd {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.0,
        nesterov: true,
    };
    let mut opt = Optimizer::<f64>::new(cfg, 1).unwrap();
    let mut p = [1.0];
    for expected in [0.905, 0.7695] {
        opt.step(&mut p, &[0.5], 0.1).unwrap();
        assert_relative_eq!(p[0], expected, epsilon = 1e-12);
    }
    // Weight decay joins the gradient: d = 0.5 + 0.1·1 = 0.6 → b = 0.6, p = 0.94;
    // d = 0.5 + 0.094 = 0.594 → b = 0.54 + 0.594 = 1.134 → p = 0.8266.
    let cfg = OptimizerConfig::Sgd {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.1,
        nesterov: false,
    };
    let mut opt = Optimizer::<f64>::new(cfg, 1).unwrap();
    let mut p = [1.0];
    for expected in [0.94, 0.8266] {
        opt.step(&mut p, &[0.5], 0.1).unwrap();
        assert_relative_eq!(p[0], expected, epsilon = 1e-12);
    }
}

#[test]
fn sgd_without_momentum_on_two_parameters() {
    let cfg = OptimizerConfig::Sgd {
        lr: 0.1,
        momentum: 0.0,
        weight_decay: 0.5,
        nesterov: false,
    };
    let mut opt = Optimizer::<f64>::new(cfg, 2).unwrap();
    let mut p = [1.0, -2.0];
    let g = toy_grad(&p); // [1.0, -0.0]
    opt.step(&mut p, &g, 0.1).unwrap();
    assert_relative_eq!(p[0], 1.0 - 0.1 * (1.0 + 0.5), epsilon = 1e-15);
    assert_relative_eq!(p[1], -2.0 - 0.1 * (0.0 - 1.0), epsilon = 1e-15);
}

#[test]
fn optimizer_rejects_bad_configs_and_shapes() {
    let bad = [
        OptimizerConfig::adamw(f64::NAN),
        OptimizerConfig::AdamW {
            lr: 1e-3,
            beta1: 1.0,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        OptimizerConfig::AdamW {
            lr: 1e-3,
            beta1: 0.9,
            beta2: -0.1,
            eps: 1e-8,
            weight_decay: 0.0,
        },
        OptimizerConfig::AdamW {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 0.0,
            weight_decay: 0.0,
        },
        OptimizerConfig::AdamW {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: -1.0,
        },
        OptimizerConfig::Sgd {
            lr: 0.1,
            momentum: -0.5,
            weight_decay: 0.0,
            nesterov: false,
        },
        OptimizerConfig::Sgd {
            lr: 0.1,
            momentum: 0.0,
            weight_decay: 0.0,
            nesterov: true,
        },
    ];
    for cfg in bad {
        assert!(
            matches!(
                Optimizer::<f64>::new(cfg, 2),
                Err(TrainError::InvalidConfig { .. })
            ),
            "{cfg:?}"
        );
    }
    let mut opt = Optimizer::<f64>::new(OptimizerConfig::adamw(1e-3), 2).unwrap();
    assert!(matches!(
        opt.step(&mut [0.0; 3], &[0.0; 3], 1e-3),
        Err(TrainError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        opt.step(&mut [0.0; 2], &[0.0; 1], 1e-3),
        Err(TrainError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        opt.step(&mut [0.0; 2], &[0.0; 2], -1.0),
        Err(TrainError::InvalidConfig { .. })
    ));
    assert_eq!(opt.steps_taken(), 0);
}

#[test]
fn optimizer_config_and_state_serialise() {
    let cfg: OptimizerConfig =
        serde_json::from_str(r#"{"kind":"sgd","lr":0.1,"momentum":0.9,"nesterov":true}"#).unwrap();
    assert_eq!(
        cfg,
        OptimizerConfig::Sgd {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
            nesterov: true
        }
    );
    assert_eq!(cfg.lr(), 0.1);
    let mut opt = Optimizer::<f64>::new(OptimizerConfig::adamw(0.1), 2).unwrap();
    let mut p = [1.0, 2.0];
    opt.step(&mut p, &[0.3, -0.2], 0.1).unwrap();
    let mut resumed: Optimizer<f64> =
        serde_json::from_str(&serde_json::to_string(&opt).unwrap()).unwrap();
    assert_eq!(resumed, opt);
    let mut p2 = p;
    opt.step(&mut p, &[0.1, 0.1], 0.1).unwrap();
    resumed.step(&mut p2, &[0.1, 0.1], 0.1).unwrap();
    assert_eq!(p, p2);
}

#[test]
fn clipping_matches_torch_formula() {
    let mut g = [3.0, 4.0, 0.0];
    let norm = clip_grad_norm(&mut g, 2.5).unwrap();
    assert_eq!(norm, 5.0);
    let coef = 2.5 / (5.0 + 1e-6);
    assert_eq!(g, [3.0 * coef, 4.0 * coef, 0.0]);
    // Below the threshold nothing changes.
    let mut g = [0.3, 0.4];
    assert_relative_eq!(clip_grad_norm(&mut g, 1.0).unwrap(), 0.5, epsilon = 1e-15);
    assert_eq!(g, [0.3, 0.4]);
    // A non-finite norm is reported and propagates, as in PyTorch.
    let mut g = [f64::NAN, 1.0];
    assert!(clip_grad_norm(&mut g, 1.0).unwrap().is_nan());
    assert!(g[1].is_nan());
    assert!(matches!(
        clip_grad_norm(&mut [1.0f32], 0.0),
        Err(TrainError::InvalidConfig { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn clipped_norm_never_exceeds_max_and_direction_is_kept(
        g in proptest::collection::vec(-100.0f64..100.0, 1..20),
        max_norm in 0.01f64..50.0,
    ) {
        let mut clipped = g.clone();
        let before = clip_grad_norm(&mut clipped, max_norm).unwrap();
        let after = clipped.iter().map(|v| v * v).sum::<f64>().sqrt();
        prop_assert!(after <= max_norm * (1.0 + 1e-12));
        prop_assert!((after - before.min(max_norm)).abs() <= 1e-6 * (1.0 + max_norm));
        for (a, b) in clipped.iter().zip(&g) {
            prop_assert!(a * b >= 0.0);
        }
    }
}
