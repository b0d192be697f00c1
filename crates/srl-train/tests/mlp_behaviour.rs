//! MLP construction, initialisation, workspace reuse, errors and checkpoints.

use approx::assert_relative_eq;
use ndarray::{array, Array1, Array2};
use srl_train::{FeatureActivation, HeadInput, Mlp, MlpConfig, MlpState, TrainError};

fn airfoil() -> MlpConfig {
    MlpConfig::new(5, vec![20, 30]).with_feature_dim(10)
}

#[test]
fn shapes_follow_the_configuration() {
    let mlp = Mlp::<f32>::new(&airfoil(), 0).unwrap();
    assert_eq!(mlp.num_layers(), 4);
    let shapes: Vec<Vec<usize>> = mlp
        .parameters()
        .iter()
        .map(|p| p.shape().to_vec())
        .collect();
    assert_eq!(
        shapes,
        vec![
            vec![20, 5],
            vec![20],
            vec![30, 20],
            vec![30],
            vec![10, 30],
            vec![10],
            vec![1, 10],
            vec![1]
        ]
    );
    assert_eq!(mlp.num_parameters(), airfoil().num_parameters());
    assert_eq!(mlp.num_parameters(), 120 + 630 + 310 + 11);
    // feature_dim = None: the last hidden width is the representation.
    let same = MlpConfig::new(5, vec![20, 30, 10]);
    assert_eq!(same.hidden_widths(), airfoil().hidden_widths());
    assert!(mlp.weight(4).is_none() && mlp.bias(4).is_none());
}

#[test]
fn invalid_configurations_are_rejected() {
    let bad = [
        MlpConfig::new(0, vec![4]),
        MlpConfig::new(3, vec![]),
        MlpConfig::new(3, vec![4, 0]),
        MlpConfig::new(3, vec![4]).with_feature_dim(0),
    ];
    for cfg in bad {
        assert!(
            matches!(
                Mlp::<f64>::new(&cfg, 0),
                Err(TrainError::InvalidConfig { .. })
            ),
            "{cfg:?}"
        );
    }
    // Only a feature layer is fine.
    assert!(Mlp::<f64>::new(&MlpConfig::new(3, vec![]).with_feature_dim(2), 0).is_ok());
}

#[test]
fn initialisation_is_pytorch_uniform_and_seeded() {
    let cfg = MlpConfig::new(100, vec![100, 100]);
    let a = Mlp::<f64>::new(&cfg, 5).unwrap();
    assert_eq!(a, Mlp::<f64>::new(&cfg, 5).unwrap());
    assert_ne!(a, Mlp::<f64>::new(&cfg, 6).unwrap());
    for layer in 0..a.num_layers() {
        let w = a.weight(layer).unwrap();
        let bound = 1.0 / (w.ncols() as f64).sqrt();
        let all: Vec<f64> = w
            .iter()
            .chain(a.bias(layer).unwrap().iter())
            .copied()
            .collect();
        assert!(all.iter().all(|v| v.abs() <= bound));
        if w.len() >= 10_000 {
            // U(−b, b) has mean 0 and E[w²] = b²/3.
            let n = w.len() as f64;
            let mean = w.sum() / n;
            let second = w.iter().map(|v| v * v).sum::<f64>() / n;
            assert!(mean.abs() < 0.03 * bound, "mean {mean}");
            assert_relative_eq!(second, bound * bound / 3.0, max_relative = 0.05);
        }
    }
}

#[test]
fn workspace_grows_and_reuses_without_changing_results() {
    let cfg = MlpConfig::new(3, vec![7, 5]).with_head_input(HeadInput::Normalized);
    let mlp = Mlp::<f64>::new(&cfg, 1).unwrap();
    let x = Array2::from_shape_fn((10, 3), |(i, j)| ((i * 3 + j) as f64 * 0.37).sin());
    let fresh = mlp.predict(x.view()).unwrap();
    let mut ws = mlp.workspace(2);
    for rows in [6, 10, 3, 10] {
        mlp.forward(x.slice(ndarray::s![..rows, ..]), &mut ws)
            .unwrap();
        assert_eq!(ws.batch_size(), rows);
        assert_eq!(ws.predictions(), fresh.slice(ndarray::s![..rows]));
        assert_eq!(ws.features().dim(), (rows, 5));
        assert_eq!(ws.feature_norms().len(), rows);
    }
    assert_eq!(ws.capacity(), 10);
    // z rows are unit (or zero) and z·‖h‖ = h.
    for ((z, h), n) in ws
        .normalized_features()
        .rows()
        .into_iter()
        .zip(ws.features().rows())
        .zip(ws.feature_norms())
    {
        let zz = z.dot(&z);
        assert!((zz - 1.0).abs() < 1e-12 || (zz == 0.0 && *n == 0.0));
        for (zi, hi) in z.iter().zip(h) {
            assert_relative_eq!(zi * n, *hi, epsilon = 1e-12);
        }
    }
}

#[test]
fn predict_with_features_handles_several_chunks() {
    let mlp = Mlp::<f32>::new(
        &MlpConfig::new(2, vec![4]).with_feature_activation(FeatureActivation::Linear),
        3,
    )
    .unwrap();
    let x = Array2::from_shape_fn((5000, 2), |(i, j)| (i as f32 * 0.001) - j as f32);
    let (pred, feats) = mlp.predict_with_features(x.view()).unwrap();
    assert_eq!(feats.dim(), (5000, 4));
    let mut ws = mlp.workspace(1);
    mlp.forward(x.slice(ndarray::s![4500..4501, ..]), &mut ws)
        .unwrap();
    assert_eq!(ws.predictions()[0], pred[4500]);
    assert_eq!(ws.features().row(0), feats.row(4500));
}

#[test]
fn shape_errors_are_reported_not_panicked() {
    let mlp = Mlp::<f64>::new(&MlpConfig::new(3, vec![4, 2]), 0).unwrap();
    let other = Mlp::<f64>::new(&MlpConfig::new(3, vec![4, 3]), 0).unwrap();
    let mut ws = mlp.workspace(4);
    let mut grads = mlp.gradients();
    let x = Array2::<f64>::zeros((4, 3));

    assert!(matches!(
        mlp.forward(Array2::zeros((4, 2)).view(), &mut ws),
        Err(TrainError::ShapeMismatch {
            what: "input columns",
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        mlp.forward(Array2::zeros((0, 3)).view(), &mut ws),
        Err(TrainError::Empty { .. })
    ));
    // Backward before any forward.
    assert!(matches!(
        mlp.backward(&mut ws, Array1::zeros(4).view(), None, &mut grads),
        Err(TrainError::Empty { .. })
    ));
    mlp.forward(x.view(), &mut ws).unwrap();
    assert!(matches!(
        mlp.backward(&mut ws, Array1::zeros(3).view(), None, &mut grads),
        Err(TrainError::ShapeMismatch {
            what: "grad_pred length",
            ..
        })
    ));
    assert!(matches!(
        mlp.backward(
            &mut ws,
            Array1::zeros(4).view(),
            Some(Array2::zeros((4, 3)).view()),
            &mut grads
        ),
        Err(TrainError::ShapeMismatch {
            what: "grad_features columns",
            ..
        })
    ));
    assert!(matches!(
        mlp.backward(
            &mut ws,
            Array1::zeros(4).view(),
            Some(Array2::zeros((5, 2)).view()),
            &mut grads
        ),
        Err(TrainError::ShapeMismatch {
            what: "grad_features rows",
            ..
        })
    ));
    let mut other_grads = other.gradients();
    assert!(matches!(
        mlp.backward(&mut ws, Array1::zeros(4).view(), None, &mut other_grads),
        Err(TrainError::ShapeMismatch { .. })
    ));
    let mut other_ws = other.workspace(4);
    assert!(matches!(
        mlp.forward(x.view(), &mut other_ws),
        Err(TrainError::ShapeMismatch { .. })
    ));
}

#[test]
fn relu_propagates_nan_so_divergence_is_visible() {
    let mut mlp = Mlp::<f64>::new(&MlpConfig::new(1, vec![2]), 0).unwrap();
    mlp.flat_parameters_mut()[0] = f64::NAN;
    let y = mlp.predict(array![[1.0]].view()).unwrap();
    assert!(y[0].is_nan());
}

#[test]
fn parameter_views_alias_the_flat_vector() {
    let mut mlp = Mlp::<f64>::new(&MlpConfig::new(2, vec![3]), 0).unwrap();
    {
        let mut views = mlp.parameters_mut();
        views[1].fill(7.0); // first bias
        views[3].fill(-1.0); // head bias
    }
    assert_eq!(mlp.bias(0).unwrap(), array![7.0, 7.0, 7.0]);
    assert_eq!(mlp.flat_parameters()[6..9], [7.0, 7.0, 7.0]);
    assert_eq!(*mlp.flat_parameters().last().unwrap(), -1.0);
    let grads = mlp.gradients();
    let shapes: Vec<_> = grads.tensors().iter().map(|t| t.shape().to_vec()).collect();
    let param_shapes: Vec<_> = mlp
        .parameters()
        .iter()
        .map(|t| t.shape().to_vec())
        .collect();
    assert_eq!(shapes, param_shapes);
}

#[test]
fn checkpoints_round_trip_and_reject_corruption() {
    let cfg = airfoil()
        .with_head_input(HeadInput::Normalized)
        .with_feature_activation(FeatureActivation::Linear);
    let mlp64 = Mlp::<f64>::new(&cfg, 9).unwrap();
    let back64: Mlp<f64> = serde_json::from_str(&serde_json::to_string(&mlp64).unwrap()).unwrap();
    assert_eq!(back64, mlp64);
    let mlp32 = Mlp::<f32>::new(&cfg, 9).unwrap();
    let text = toml::to_string(&mlp32.state()).unwrap();
    let state: MlpState<f32> = toml::from_str(&text).unwrap();
    assert_eq!(Mlp::from_state(state).unwrap(), mlp32);

    let mut state = mlp64.state();
    state.layers[1].bias.pop();
    assert!(matches!(
        Mlp::from_state(state),
        Err(TrainError::InvalidState { .. })
    ));
    let mut state = mlp64.state();
    state.layers.pop();
    assert!(matches!(
        Mlp::from_state(state),
        Err(TrainError::InvalidState { .. })
    ));
    let mut state = mlp64.state();
    state.layers[0].weights[3] = f64::INFINITY;
    assert!(matches!(
        Mlp::from_state(state),
        Err(TrainError::InvalidState { .. })
    ));
    let mut json: serde_json::Value = serde_json::to_value(&mlp64).unwrap();
    json["layers"][2]["shape"] = serde_json::json!([31, 20]);
    assert!(serde_json::from_value::<Mlp<f64>>(json).is_err());
}
