//! A trained model: the encoder + head, the target scaling, the configuration that made it and,
//! for a user's table, the input preprocessing — everything from a raw row to a prediction in
//! target units. Saved as JSON (`model.json`); implements linfa's `Predict`.

use crate::components::MethodState;
use crate::config::RunConfig;
use crate::mlp::PREDICT_CHUNK;
use crate::{Mlp, MlpState, TrainError};
use linfa::traits::PredictInplace;
use ndarray::{s, Array1, Array2, ArrayBase, ArrayView2, Data, Ix2, Zip};
use serde::{Deserialize, Serialize};
use srl_data::table::ModelInput;
use srl_data::tabular::RawTable;
use srl_data::DataName;
use std::path::Path;

/// A trained SRL or vanilla regressor.
///
/// Inputs are the benchmark's prepared rows (standardised as in `srl_data`); predictions are in
/// the target's own units. A model trained on a user's table also predicts from raw rows
/// ([`predict_table`](Self::predict_table)).
///
/// linfa's `Predict` works on prepared rows:
///
/// ```
/// use linfa::traits::Predict;
/// use srl_data::BenchmarkId;
/// use srl_train::{Mlp, MlpConfig, Profile, RunConfig, TrainedModel};
/// let cfg = RunConfig::preset(BenchmarkId::Airfoil, &"vanilla".parse().unwrap(), Profile::Quick)
///     .unwrap();
/// let mlp = Mlp::<f32>::new(&MlpConfig::new(5, vec![20, 30, 10]), 0).unwrap();
/// let model = TrainedModel::new(cfg, BenchmarkId::Airfoil.into(), mlp, 120.0, 7.0);
/// let x = srl_train::ndarray::Array2::<f64>::zeros((3, 5));
/// let y = model.predict(&x); // linfa's Predict: NaN for a wrong width
/// assert_eq!(y.len(), 3);
/// assert_eq!(y, model.try_predict(x.view()).unwrap()); // typed errors instead
/// ```
#[derive(Debug, Clone)]
pub struct TrainedModel {
    config: RunConfig,
    benchmark: DataName,
    mlp: Mlp<f32>,
    y_mean: f64,
    y_std: f64,
    method_state: MethodState,
    input: Option<ModelInput>,
}

/// The on-disk form of a [`TrainedModel`].
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    format: String,
    config: RunConfig,
    benchmark: DataName,
    y_mean: f64,
    y_std: f64,
    mlp: MlpState<f32>,
    #[serde(default)]
    method_state: MethodState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input: Option<ModelInput>,
}

const FORMAT: &str = "srl-checkpoint-v2";

impl TrainedModel {
    /// Wraps a trained network.
    pub fn new(
        config: RunConfig,
        benchmark: DataName,
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
            input: None,
        }
    }

    /// Attaches the preprocessing of a user's table (raw row → network inputs).
    pub fn with_input(mut self, input: Option<ModelInput>) -> Self {
        self.input = input;
        self
    }

    /// The preprocessing of the training table, for a model trained on a user's table.
    pub fn input(&self) -> Option<&ModelInput> {
        self.input.as_ref()
    }

    /// Predictions (target units) for the raw rows of `table` (all rows when `rows` is
    /// `None`), through the saved preprocessing: columns are found by name in any order,
    /// extra columns are ignored. Returns the predictions and, per row, why it lies outside
    /// the training range (see [`srl_data::table::Preprocessor`]).
    ///
    /// Errors for a model trained on a built-in benchmark (its inputs are prepared arrays:
    /// use [`try_predict`](Self::try_predict)), a missing column, a missing cell without
    /// imputation, a non-number, or an unknown category (unless ignored).
    pub fn predict_table(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<(Array1<f64>, Vec<Option<String>>), TrainError> {
        let input = self
            .input
            .as_ref()
            .ok_or_else(|| TrainError::InvalidState {
                reason: format!(
                    "the model was trained on `{}`, not on a table: it has no input preprocessing",
                    self.benchmark
                ),
            })?;
        let t = input.preprocessor.transform(table, rows)?;
        // Errors about an input row name the row's line in the file.
        let line_of = |i: usize| {
            let r = rows.map_or(i, |r| r[i]);
            table.rows.get(r).map_or(0, |row| row.line)
        };
        let pred = self.try_predict(t.x.view()).map_err(|e| match e {
            TrainError::NonFiniteInput { row, column, value } => TrainError::Data(format!(
                "{} line {}: input `{}` standardises to {value}, beyond what the model can \
                 take (the row lies far outside the training range)",
                table.path.display(),
                line_of(row),
                input
                    .preprocessor
                    .feature_names()
                    .get(column)
                    .map_or("?", String::as_str)
            )),
            TrainError::NonFinitePrediction { row } => TrainError::Data(format!(
                "{} line {}: the prediction is not finite (the row lies far outside the \
                 training range)",
                table.path.display(),
                line_of(row)
            )),
            other => other,
        })?;
        Ok((pred, t.out_of_range))
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
    pub fn benchmark(&self) -> &DataName {
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
        // The network computes in f32: NaN, ±inf and values beyond the f32 range are refused
        // with the row and column, and a prediction that overflows names its row.
        if let Some(((row, column), &value)) =
            x.indexed_iter().find(|(_, &v)| !(v as f32).is_finite())
        {
            return Err(TrainError::NonFiniteInput { row, column, value });
        }
        // Chunk by chunk (the network's own chunk size, so the same products and bits as one
        // call): only a chunk of f32 inputs and activations exists at a time, never f32
        // copies of the whole input and feature matrices (IOL's test set: 100,000 rows).
        let n = x.nrows();
        let mut pred = Array1::zeros(n);
        let mut h = Array2::zeros((n, self.mlp.representation_dim()));
        let mut start = 0;
        while start < n {
            let end = (start + PREDICT_CHUNK).min(n);
            let chunk = x.slice(s![start..end, ..]).mapv(|v| v as f32);
            let (p, f) = self.mlp.predict_with_features(chunk.view())?;
            Zip::from(pred.slice_mut(s![start..end]))
                .and(&p)
                .for_each(|o, &v| *o = f64::from(v) * self.y_std + self.y_mean);
            Zip::from(h.slice_mut(s![start..end, ..]))
                .and(&f)
                .for_each(|o, &v| *o = f64::from(v));
            start = end;
        }
        if let Some(row) = pred.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::NonFinitePrediction { row });
        }
        Ok((pred, h))
    }

    /// Predictions in target units for prepared input rows, with a typed error for a wrong
    /// width (linfa's [`Predict`](linfa::traits::Predict) gives NaN instead).
    pub fn try_predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, TrainError> {
        Ok(self.predict_with_features(x)?.0)
    }

    /// Representations h (the encoder's output) of the rows of `x`.
    pub fn features(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, TrainError> {
        Ok(self.predict_with_features(x)?.1)
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            format: FORMAT.into(),
            config: self.config.clone(),
            benchmark: self.benchmark.clone(),
            y_mean: self.y_mean,
            y_std: self.y_std,
            mlp: self.mlp.state(),
            method_state: self.method_state.clone(),
            input: self.input.clone(),
        }
    }

    /// Serialises to JSON.
    pub fn to_json(&self) -> Result<String, TrainError> {
        serde_json::to_string(&self.checkpoint()).map_err(|e| TrainError::InvalidState {
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
        Self::from_json(&read_model_text(path)?, path)
    }

    /// Reads a model from the JSON text [`to_json`](Self::to_json) wrote (an in-memory
    /// `model.json`; errors name it "model JSON").
    pub fn from_json_str(text: &str) -> Result<Self, TrainError> {
        Self::from_json(text, Path::new("model JSON"))
    }

    /// Reads a checkpoint from its JSON text (`path`: named in errors).
    fn from_json(text: &str, path: &Path) -> Result<Self, TrainError> {
        if text.contains(ENSEMBLE_FORMAT) && SavedModel::format_of(text) == Some(ENSEMBLE_FORMAT) {
            return Err(TrainError::InvalidState {
                reason: format!(
                    "{}: an ensemble of models (from `srl compare`); read it with                      `SavedModel::load`",
                    path.display()
                ),
            });
        }
        let ck: Checkpoint = serde_json::from_str(text).map_err(|e| TrainError::InvalidState {
            reason: format!("{}: {e}", path.display()),
        })?;
        Self::from_checkpoint(ck, path)
    }

    fn from_checkpoint(ck: Checkpoint, path: &Path) -> Result<Self, TrainError> {
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
        if let Some(input) = &ck.input {
            input
                .preprocessor
                .check()
                .map_err(|e| TrainError::InvalidState {
                    reason: format!("{}: {e}", path.display()),
                })?;
            if input.preprocessor.input_dim() != mlp.config().input_dim {
                return Err(TrainError::InvalidState {
                    reason: format!(
                        "{}: the preprocessing gives {} inputs but the network takes {}",
                        path.display(),
                        input.preprocessor.input_dim(),
                        mlp.config().input_dim
                    ),
                });
            }
        }
        Ok(Self::new(ck.config, ck.benchmark, mlp, ck.y_mean, ck.y_std)
            .with_method_state(ck.method_state)
            .with_input(ck.input))
    }
}

/// The on-disk form of an [`Ensemble`].
#[derive(Serialize, Deserialize)]
struct EnsembleFile {
    format: String,
    members: Vec<Checkpoint>,
}

const ENSEMBLE_FORMAT: &str = "srl-ensemble-v1";

/// Several models trained on the same table (cross-validation folds × seeds of one method, as
/// `srl compare` delivers them) whose predictions are averaged: ŷ(x) = (1/M) Σ_m ŷ_m(x).
/// Each member keeps its own preprocessing (fitted on its own training rows), so an ensemble
/// predicts from raw rows only ([`predict_table`](Self::predict_table)).
#[derive(Debug, Clone)]
pub struct Ensemble {
    members: Vec<TrainedModel>,
}

impl Ensemble {
    /// An ensemble of models trained on tables; refuses an empty list and members without
    /// input preprocessing (trained on a built-in benchmark).
    pub fn new(members: Vec<TrainedModel>) -> Result<Self, TrainError> {
        if members.is_empty() {
            return Err(TrainError::InvalidState {
                reason: "an ensemble needs at least one model".into(),
            });
        }
        if let Some(m) = members.iter().find(|m| m.input().is_none()) {
            return Err(TrainError::InvalidState {
                reason: format!(
                    "an ensemble's members predict from raw rows; `{}` was trained on a                      built-in benchmark",
                    m.benchmark()
                ),
            });
        }
        Ok(Self { members })
    }

    /// The members.
    pub fn members(&self) -> &[TrainedModel] {
        &self.members
    }

    /// Mean prediction of the members for the raw rows of `table` (all when `rows` is
    /// `None`), and per row why it lies outside the training range of some member (the first
    /// member's reason that flags it).
    pub fn predict_table(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<(Array1<f64>, Vec<Option<String>>), TrainError> {
        average_predictions(self.members.iter().map(|m| m.predict_table(table, rows)))
    }

    /// Serialises to JSON (every member's full checkpoint).
    pub fn to_json(&self) -> Result<String, TrainError> {
        let file = EnsembleFile {
            format: ENSEMBLE_FORMAT.into(),
            members: self.members.iter().map(TrainedModel::checkpoint).collect(),
        };
        serde_json::to_string(&file).map_err(|e| TrainError::InvalidState {
            reason: e.to_string(),
        })
    }

    /// Writes the ensemble atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        srl_data::atomic::write_atomic(path, self.to_json()?.as_bytes())?;
        Ok(())
    }
}

/// The mean of several models' predictions for the same rows, ŷ = (1/M) Σ_m ŷ_m, and per
/// row the first model's reason that flags it as outside the training range — how every
/// ensemble predicts (this crate's [`Ensemble`], and the boosted ensembles of `srl-gbdt`).
/// Stops at the first error; no models give empty predictions.
pub fn average_predictions(
    per_model: impl IntoIterator<Item = Result<(Array1<f64>, Vec<Option<String>>), TrainError>>,
) -> Result<(Array1<f64>, Vec<Option<String>>), TrainError> {
    let mut sum: Option<Array1<f64>> = None;
    let mut flags: Vec<Option<String>> = Vec::new();
    let mut count = 0usize;
    for r in per_model {
        let (p, f) = r?;
        count += 1;
        match &mut sum {
            None => {
                sum = Some(p);
                flags = f;
            }
            Some(s) => {
                *s += &p;
                for (a, b) in flags.iter_mut().zip(f) {
                    if a.is_none() {
                        *a = b;
                    }
                }
            }
        }
    }
    let sum = sum.unwrap_or_else(|| Array1::zeros(0));
    Ok((sum / count.max(1) as f64, flags))
}

/// A model file as `srl predict` and `srl eval` read it: one trained model, or an ensemble.
#[derive(Debug, Clone)]
pub enum SavedModel {
    /// `model.json` of a run.
    Single(Box<TrainedModel>),
    /// An ensemble written by `srl compare`.
    Ensemble(Ensemble),
}

impl SavedModel {
    /// Reads either kind of model file (told apart by its `format`).
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = read_model_text(path)?;
        if Self::format_of(&text) != Some(ENSEMBLE_FORMAT) {
            return Ok(Self::Single(Box::new(TrainedModel::from_json(
                &text, path,
            )?)));
        }
        let file: EnsembleFile =
            serde_json::from_str(&text).map_err(|e| TrainError::InvalidState {
                reason: format!("{}: {e}", path.display()),
            })?;
        let members = file
            .members
            .into_iter()
            .map(|ck| TrainedModel::from_checkpoint(ck, path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::Ensemble(Ensemble::new(members).map_err(|e| {
            TrainError::InvalidState {
                reason: format!("{}: {e}", path.display()),
            }
        })?))
    }

    /// The `format` field of a model file's JSON, if it has one.
    fn format_of(text: &str) -> Option<&'static str> {
        #[derive(Deserialize)]
        struct Format {
            format: String,
        }
        let f: Format = serde_json::from_str(text).ok()?;
        [FORMAT, ENSEMBLE_FORMAT]
            .into_iter()
            .find(|known| *known == f.format)
    }

    /// The first (or only) model: its configuration, benchmark name and input preprocessing
    /// describe the training data of every member.
    pub fn first(&self) -> &TrainedModel {
        match self {
            Self::Single(m) => m,
            Self::Ensemble(e) => &e.members[0],
        }
    }

    /// Number of models averaged.
    pub fn len(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::Ensemble(e) => e.members.len(),
        }
    }

    /// Always false: a saved model holds at least one network.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Sets what prediction does with a category unseen in training, for every member.
    pub fn set_unknown_category(&mut self, policy: srl_data::table::UnknownCategory) {
        fn set(m: &mut TrainedModel, policy: srl_data::table::UnknownCategory) {
            if let Some(input) = m.input.as_mut() {
                input.preprocessor.unknown_category = policy;
            }
        }
        match self {
            Self::Single(m) => set(m, policy),
            Self::Ensemble(e) => e.members.iter_mut().for_each(|m| set(m, policy)),
        }
    }

    /// Predictions for the raw rows of a table (see [`TrainedModel::predict_table`] and
    /// [`Ensemble::predict_table`]).
    pub fn predict_table(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<(Array1<f64>, Vec<Option<String>>), TrainError> {
        match self {
            Self::Single(m) => m.predict_table(table, rows),
            Self::Ensemble(e) => e.predict_table(table, rows),
        }
    }
}

fn read_model_text(path: &Path) -> Result<String, TrainError> {
    std::fs::read_to_string(path).map_err(|e| TrainError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// linfa's `Predict` for prepared input rows: `model.predict(&x)` (with
/// `linfa::traits::Predict` in scope) gives target-unit predictions. Rows with the wrong width
/// predict NaN (linfa's trait has no error channel; use [`TrainedModel::try_predict`] to get a
/// typed error).
impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<f64>> for TrainedModel {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<f64>) {
        match self.try_predict(x.view()) {
            Ok(p) if p.len() == y.len() => y.assign(&p),
            _ => y.fill(f64::NAN),
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<f64> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MethodName, MlpConfig, Profile};
    use ndarray::array;

    fn model(y_std: f64) -> TrainedModel {
        let cfg = RunConfig::preset(
            srl_data::BenchmarkId::Airfoil,
            &MethodName::vanilla(),
            Profile::Quick,
        )
        .unwrap();
        let mlp = Mlp::<f32>::new(&MlpConfig::new(2, vec![8, 4]), 0).unwrap();
        TrainedModel::new(
            cfg,
            srl_data::DataName::Table("toy".into()),
            mlp,
            1.0,
            y_std,
        )
    }

    #[test]
    fn non_finite_inputs_are_refused_with_row_and_column() {
        let m = model(2.0);
        assert!(m
            .try_predict(array![[0.5, -1.0], [2.0, 0.0]].view())
            .is_ok());
        for (bad, row, column) in [
            (array![[0.5, -1.0], [f64::NAN, 0.0]], 1, 0),
            (array![[0.5, f64::INFINITY], [0.0, 0.0]], 0, 1),
            // Finite in f64 but beyond f32, which the network computes in.
            (array![[0.5, -1.0], [0.0, 1e40]], 1, 1),
        ] {
            match m.try_predict(bad.view()) {
                Err(TrainError::NonFiniteInput {
                    row: r, column: c, ..
                }) => {
                    assert_eq!((r, c), (row, column));
                }
                other => panic!("expected a non-finite input error, got {other:?}"),
            }
        }
        // A prediction that overflows (here: a far-away row times a huge target scale) names
        // its row.
        match model(1e300).try_predict(array![[0.0, 0.0], [3e38, -3e38]].view()) {
            Err(TrainError::NonFinitePrediction { row }) => assert_eq!(row, 1),
            other => panic!("expected a non-finite prediction error, got {other:?}"),
        }
    }
}
