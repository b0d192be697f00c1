//! A trained model: the encoder + head, the target scaling, and the configuration that made it.
//! Saved as JSON (`model.json`); implements linfa's `Predict`.

use crate::components::MethodState;
use crate::config::RunConfig;
use crate::{Mlp, MlpState, TrainError};
use linfa::traits::PredictInplace;
use ndarray::{Array1, Array2, ArrayBase, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A trained SRL or vanilla regressor.
///
/// Inputs are the benchmark's prepared rows (standardised as in `srl_data`); predictions are in
/// the target's own units.
#[derive(Debug, Clone)]
pub struct TrainedModel {
    config: RunConfig,
    benchmark: String,
    mlp: Mlp<f32>,
    y_mean: f64,
    y_std: f64,
    method_state: MethodState,
}

/// The on-disk form of a [`TrainedModel`].
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    format: String,
    config: RunConfig,
    benchmark: String,
    y_mean: f64,
    y_std: f64,
    mlp: MlpState<f32>,
    #[serde(default)]
    method_state: MethodState,
}

const FORMAT: &str = "srl-checkpoint-v2";

impl TrainedModel {
    /// Wraps a trained network.
    pub fn new(
        config: RunConfig,
        benchmark: String,
        mlp: Mlp<f32>,
        y_mean: f64,
        y_std: f64,
    ) -> Self {
        Self {
            config,
            benchmark,
            mlp,
            y_mean,
            y_std,
            method_state: MethodState::default(),
        }
    }

    /// Attaches the method's learned state (FDS statistics, Balanced MSE's σ).
    pub fn with_method_state(mut self, state: MethodState) -> Self {
        self.method_state = state;
        self
    }

    /// The method's learned state beyond the network weights.
    pub fn method_state(&self) -> &MethodState {
        &self.method_state
    }

    /// The configuration the model was trained with.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Name of the training data.
    pub fn benchmark(&self) -> &str {
        &self.benchmark
    }

    /// The network.
    pub fn mlp(&self) -> &Mlp<f32> {
        &self.mlp
    }

    /// Predictions (target units) and representations h for the rows of `x`.
    pub fn predict_with_features(
        &self,
        x: ArrayView2<f64>,
    ) -> Result<(Array1<f64>, Array2<f64>), TrainError> {
        if x.ncols() != self.mlp.config().input_dim {
            return Err(TrainError::ShapeMismatch {
                what: "input columns",
                expected: self.mlp.config().input_dim,
                got: x.ncols(),
            });
        }
        let (p, h) = self
            .mlp
            .predict_with_features(x.mapv(|v| v as f32).view())?;
        Ok((
            p.mapv(|v| f64::from(v) * self.y_std + self.y_mean),
            h.mapv(f64::from),
        ))
    }

    /// Predictions in target units.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, TrainError> {
        Ok(self.predict_with_features(x)?.0)
    }

    /// Representations h (the encoder's output) of the rows of `x`.
    pub fn features(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, TrainError> {
        Ok(self.predict_with_features(x)?.1)
    }

    /// Serialises to JSON.
    pub fn to_json(&self) -> Result<String, TrainError> {
        let ck = Checkpoint {
            format: FORMAT.into(),
            config: self.config.clone(),
            benchmark: self.benchmark.clone(),
            y_mean: self.y_mean,
            y_std: self.y_std,
            mlp: self.mlp.state(),
            method_state: self.method_state.clone(),
        };
        serde_json::to_string(&ck).map_err(|e| TrainError::InvalidState {
            reason: e.to_string(),
        })
    }

    /// Writes the checkpoint atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        srl_data::atomic::write_atomic(path, self.to_json()?.as_bytes())?;
        Ok(())
    }

    /// Reads a checkpoint written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let ck: Checkpoint = serde_json::from_str(&text).map_err(|e| TrainError::InvalidState {
            reason: format!("{}: {e}", path.display()),
        })?;
        if ck.format != FORMAT {
            return Err(TrainError::InvalidState {
                reason: format!(
                    "{}: unknown checkpoint format `{}`",
                    path.display(),
                    ck.format
                ),
            });
        }
        let mlp = Mlp::from_state(ck.mlp)?;
        ck.method_state.check()?;
        Ok(Self::new(ck.config, ck.benchmark, mlp, ck.y_mean, ck.y_std)
            .with_method_state(ck.method_state))
    }
}

/// linfa's `Predict` for prepared input rows: `model.predict(&x)` gives target-unit
/// predictions. Rows with the wrong width predict NaN (linfa's trait has no error channel;
/// use [`TrainedModel::predict`] to get a typed error).
impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for TrainedModel {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        match self.predict(x.view()) {
            Ok(p) if p.len() == y.len() => y.assign(&p),
            _ => y.fill(f64::NAN),
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}
