//! Finite-difference checks (f64, central differences) of the full MLP backward pass, and an
//! independent loop-based reference for the forward pass.

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_testkit::FdCheck;
use srl_train::{FeatureActivation, HeadInput, Mlp, MlpConfig};

const STEP: f64 = 1e-6;

/// Central differences (step [`STEP`]) of `value` in each of the network's flat parameters
/// against `analytic`, with the given `approx` tolerances; returns the compared count.
fn check_parameters(
    mlp: &mut Mlp<f64>,
    analytic: &[f64],
    epsilon: f64,
    max_relative: f64,
    value: impl Fn(&Mlp<f64>) -> f64,
) -> usize {
    let n = mlp.num_parameters();
    assert_eq!(analytic.len(), n);
    FdCheck::new(STEP)
        .epsilon(epsilon)
        .max_relative(max_relative)
        .compare(
            analytic,
            0..n,
            |i, offset| {
                let original = mlp.flat_parameters()[i];
                mlp.flat_parameters_mut()[i] = original + offset;
                let v = value(mlp);
                mlp.flat_parameters_mut()[i] = original;
                Some(v)
            },
            |i| format!("(flat parameter {i})"),
        )
        .checked
}

fn random_matrix(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| rng.gen_range(-1.5..1.5))
}

/// Loop-based forward pass written independently of the library: returns the predictions, the
/// representation h and the smallest |pre-activation| over all ReLU units (kink distance).
fn reference_forward(mlp: &Mlp<f64>, x: ArrayView2<f64>) -> (Array1<f64>, Array2<f64>, f64) {
    let cfg = mlp.config();
    let hidden = mlp.num_layers() - 1;
    let mut current = x.to_owned();
    let mut min_kink = f64::INFINITY;
    for layer in 0..hidden {
        let w = mlp.weight(layer).unwrap();
        let b = mlp.bias(layer).unwrap();
        let relu = layer + 1 < hidden || cfg.feature_activation == FeatureActivation::Relu;
        let mut next = Array2::zeros((current.nrows(), w.nrows()));
        for i in 0..current.nrows() {
            for o in 0..w.nrows() {
                let mut a = b[o];
                for k in 0..w.ncols() {
                    a += w[[o, k]] * current[[i, k]];
                }
                if relu {
                    min_kink = min_kink.min(a.abs());
                    a = a.max(0.0);
                }
                next[[i, o]] = a;
            }
        }
        current = next;
    }
    let w = mlp.weight(hidden).unwrap();
    let b = mlp.bias(hidden).unwrap();
    let preds = Array1::from_shape_fn(current.nrows(), |i| {
        let row = current.row(i);
        let norm = row.dot(&row).sqrt();
        let scale = match cfg.head_input {
            HeadInput::Raw => 1.0,
            HeadInput::Normalized if norm > 0.0 => 1.0 / norm,
            HeadInput::Normalized => 0.0,
        };
        b[0] + (0..row.len())
            .map(|k| w[[0, k]] * row[k] * scale)
            .sum::<f64>()
    });
    (preds, current, min_kink)
}

/// The scalar test objective L = Σ c_i ŷ_i + Σ G_ij h_ij, evaluated with the library forward.
fn objective(mlp: &Mlp<f64>, x: ArrayView2<f64>, c: &Array1<f64>, g: Option<&Array2<f64>>) -> f64 {
    let mut ws = mlp.workspace(x.nrows());
    mlp.forward(x, &mut ws).unwrap();
    let mut value = ws.predictions().dot(c);
    if let Some(g) = g {
        value += (&ws.features() * g).sum();
    }
    value
}

fn configs() -> Vec<MlpConfig> {
    let mut out = Vec::new();
    for activation in [FeatureActivation::Relu, FeatureActivation::Linear] {
        for head in [HeadInput::Raw, HeadInput::Normalized] {
            // 3-5-4-2 + head, as two forms of the same config (feature_dim vs. last hidden).
            out.push(
                MlpConfig::new(3, vec![5, 4])
                    .with_feature_dim(2)
                    .with_feature_activation(activation)
                    .with_head_input(head),
            );
            // A single hidden layer: the representation layer is also the first layer.
            out.push(
                MlpConfig::new(3, vec![6])
                    .with_feature_activation(activation)
                    .with_head_input(head),
            );
        }
    }
    out
}

/// Finds (deterministically) a network and inputs whose ReLU units stay ≥ 1e-3 away from their
/// kink, so central differences with step 1e-6 never cross one; also checks the reference
/// forward against the library forward.
fn kink_free_case(cfg: &MlpConfig, batch: usize) -> (Mlp<f64>, Array2<f64>) {
    for seed in 0..500u64 {
        let mlp = Mlp::<f64>::new(cfg, seed).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
        let x = random_matrix(batch, cfg.input_dim, &mut rng);
        let (preds, features, min_kink) = reference_forward(&mlp, x.view());
        // Require some active ReLU rows so the check is not vacuous.
        let active_rows = features
            .rows()
            .into_iter()
            .filter(|r| r.iter().any(|&v| v != 0.0))
            .count();
        if min_kink > 1e-3 && active_rows == batch {
            let mut ws = mlp.workspace(batch);
            mlp.forward(x.view(), &mut ws).unwrap();
            for (a, b) in ws.predictions().iter().zip(&preds) {
                assert_relative_eq!(*a, *b, max_relative = 1e-12, epsilon = 1e-12);
            }
            for (a, b) in ws.features().iter().zip(&features) {
                assert_relative_eq!(*a, *b, max_relative = 1e-12, epsilon = 1e-12);
            }
            return (mlp, x);
        }
    }
    panic!("no kink-free case found for {cfg:?}");
}

fn check_gradients(cfg: &MlpConfig, with_feature_grad: bool) {
    let batch = 6;
    let (mut mlp, x) = kink_free_case(cfg, batch);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let c = Array1::from_shape_fn(batch, |_| rng.gen_range(-1.0..1.0));
    let g = random_matrix(batch, mlp.representation_dim(), &mut rng);
    let g_opt = with_feature_grad.then_some(&g);

    let mut ws = mlp.workspace(batch);
    let mut grads = mlp.gradients();
    mlp.forward(x.view(), &mut ws).unwrap();
    mlp.backward(&mut ws, c.view(), g_opt.map(|g| g.view()), &mut grads)
        .unwrap();
    let analytic = grads.as_slice().to_vec();

    let nonzero = analytic.iter().filter(|a| a.abs() > 1e-8).count();
    check_parameters(&mut mlp, &analytic, 1e-8, 1e-6, |mlp| {
        objective(mlp, x.view(), &c, g_opt)
    });
    assert!(
        nonzero > mlp.num_parameters() / 2,
        "too few non-zero gradients: {nonzero}"
    );
}

#[test]
fn backward_matches_finite_differences_prediction_only() {
    for cfg in configs() {
        check_gradients(&cfg, false);
    }
}

#[test]
fn backward_matches_finite_differences_with_feature_gradient() {
    for cfg in configs() {
        check_gradients(&cfg, true);
    }
}

/// SRL losses live on z = h/‖h‖: mapping their ∂L/∂z through the workspace's z and ‖h‖ with
/// `normalize_rows_backward` must give the gradient of Σ G ⊙ z.
#[test]
fn gradient_through_normalized_features_matches_finite_differences() {
    let cfg = MlpConfig::new(3, vec![5, 4])
        .with_feature_dim(3)
        .with_feature_activation(FeatureActivation::Linear);
    let batch = 6;
    let (mut mlp, x) = kink_free_case(&cfg, batch);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let g = random_matrix(batch, 3, &mut rng);
    let zero_pred = Array1::zeros(batch);

    let mut ws = mlp.workspace(batch);
    let mut grads = mlp.gradients();
    mlp.forward(x.view(), &mut ws).unwrap();
    let grad_h = srl_geometry::normalize_rows_backward(
        ws.normalized_features(),
        ws.feature_norms(),
        g.view(),
    )
    .unwrap();
    mlp.backward(&mut ws, zero_pred.view(), Some(grad_h.view()), &mut grads)
        .unwrap();
    let analytic = grads.as_slice().to_vec();

    let objective_z = |mlp: &Mlp<f64>| {
        let mut ws = mlp.workspace(batch);
        mlp.forward(x.view(), &mut ws).unwrap();
        (&ws.normalized_features() * &g).sum()
    };
    check_parameters(&mut mlp, &analytic, 1e-8, 1e-6, objective_z);
    // The head gets no gradient when ∂L/∂ŷ = 0.
    let head = mlp.num_layers() - 1;
    assert!(grads.weight(head).unwrap().iter().all(|&v| v == 0.0));
}

/// A zero representation row (every ReLU of the last layer off) with a normalised head must
/// give finite gradients, the zero row contributing nothing through z.
#[test]
fn zero_feature_row_with_normalized_head_gives_finite_gradients() {
    let cfg = MlpConfig::new(2, vec![3]).with_head_input(HeadInput::Normalized);
    let mut mlp = Mlp::<f64>::new(&cfg, 3).unwrap();
    // Make every first-layer unit dead for x = (-1, -1) and alive for x = (1, 1).
    let params = mlp.flat_parameters_mut();
    params[..6].copy_from_slice(&[1.0, 1.0, 0.5, 0.5, 2.0, 1.0]);
    params[6..9].copy_from_slice(&[0.0, 0.0, 0.0]);
    let x = ndarray::array![[-1.0, -1.0], [1.0, 1.0]];
    let mut ws = mlp.workspace(2);
    mlp.forward(x.view(), &mut ws).unwrap();
    assert!(ws.features().row(0).iter().all(|&v| v == 0.0));
    assert!(ws.normalized_features().row(0).iter().all(|&v| v == 0.0));
    let mut grads = mlp.gradients();
    let g = ndarray::array![[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]];
    mlp.backward(
        &mut ws,
        ndarray::array![1.0, 1.0].view(),
        Some(g.view()),
        &mut grads,
    )
    .unwrap();
    assert!(grads.as_slice().iter().all(|v| v.is_finite()));
    // The head bias still receives Σ ∂L/∂ŷ.
    assert_eq!(grads.bias(1).unwrap()[0], 2.0);
}

/// FDS's calibrated head input u = h ⊙ S + T (S, T constants): central differences of
/// L = Σ c_i ŷ_i(u) + Σ G_ij h_ij against the backward pass, for every parameter.
#[test]
fn calibrated_head_input_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(71);
    for activation in [FeatureActivation::Relu, FeatureActivation::Linear] {
        let cfg = MlpConfig::new(3, vec![5])
            .with_feature_dim(4)
            .with_feature_activation(activation);
        let mut mlp = Mlp::<f64>::new(&cfg, 5).unwrap();
        let b = 6;
        let x = random_matrix(b, 3, &mut rng);
        let scale = Array2::from_shape_fn((b, 4), |_| rng.gen_range(0.3..3.0));
        let shift = random_matrix(b, 4, &mut rng);
        let c = Array1::from_shape_fn(b, |_| rng.gen_range(-1.0..1.0));
        let g = random_matrix(b, 4, &mut rng);
        let value = |mlp: &Mlp<f64>| {
            let mut ws = mlp.workspace(b);
            mlp.forward(x.view(), &mut ws).unwrap();
            mlp.calibrate_head_input(&mut ws, scale.view(), shift.view())
                .unwrap();
            // The calibrated predictions equal the hand-computed head on u.
            let u = &ws.features() * &scale + &shift;
            let head = mlp.num_layers() - 1;
            let w = mlp.weight(head).unwrap();
            let bias = mlp.bias(head).unwrap()[0];
            for i in 0..b {
                assert_relative_eq!(
                    ws.predictions()[i],
                    bias + u.row(i).dot(&w.row(0)),
                    max_relative = 1e-12
                );
            }
            ws.predictions().dot(&c) + (&ws.features() * &g).sum()
        };
        let mut ws = mlp.workspace(b);
        mlp.forward(x.view(), &mut ws).unwrap();
        mlp.calibrate_head_input(&mut ws, scale.view(), shift.view())
            .unwrap();
        let mut grads = mlp.gradients();
        mlp.backward(&mut ws, c.view(), Some(g.view()), &mut grads)
            .unwrap();
        let analytic = grads.as_slice().to_vec();
        check_parameters(&mut mlp, &analytic, 1e-6, 1e-5, value);
        // A forward without calibration resets it: the head reads h again.
        mlp.forward(x.view(), &mut ws).unwrap();
        let plain = mlp.predict(x.view()).unwrap();
        for i in 0..b {
            assert_relative_eq!(ws.predictions()[i], plain[i], max_relative = 1e-12);
        }
    }
}

#[test]
fn calibration_rejects_a_normalised_head_and_bad_shapes() {
    let cfg = MlpConfig::new(2, vec![3]).with_head_input(HeadInput::Normalized);
    let mlp = Mlp::<f64>::new(&cfg, 0).unwrap();
    let mut ws = mlp.workspace(2);
    mlp.forward(Array2::ones((2, 2)).view(), &mut ws).unwrap();
    let ones = Array2::<f64>::ones((2, 3));
    assert!(mlp
        .calibrate_head_input(&mut ws, ones.view(), ones.view())
        .is_err());
    let raw = Mlp::<f64>::new(&MlpConfig::new(2, vec![3]), 0).unwrap();
    let mut ws = raw.workspace(2);
    raw.forward(Array2::ones((2, 2)).view(), &mut ws).unwrap();
    let wrong = Array2::<f64>::ones((3, 3));
    assert!(raw
        .calibrate_head_input(&mut ws, wrong.view(), ones.view())
        .is_err());
}
