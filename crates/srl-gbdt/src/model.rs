//! A boosted model and its file: one or more tree ensembles (a run's model, or the runs of
//! one method that `srl compare` averages), each with the input preprocessing of the table it
//! was trained on.

use crate::{GbdtConfig, GbdtError};
use hessboost::prelude::{BoostedModel, DMatrix, Iterations};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};
use srl_data::table::ModelInput;
use srl_data::tabular::RawTable;
use srl_data::DataName;
use std::path::Path;

/// The `format` of a boosted model's JSON file.
pub const FORMAT: &str = "srl-gbdt-v1";

/// One boosted tree ensemble with what it was trained on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdtMember {
    /// The run's configuration.
    pub config: GbdtConfig,
    /// The benchmark, or the table's name.
    pub benchmark: DataName,
    /// Raw row → inputs, for a model trained on a user's table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<ModelInput>,
    /// Rounds trained (including those after the best one).
    pub rounds: usize,
    /// The round kept (0-based; predictions use rounds `0..=best_round`).
    pub best_round: usize,
    /// The trees (hessboost's own serialised form).
    pub booster: BoostedModel,
}

/// Gradient-boosted trees as `srl predict` serves them: ŷ(x) = (1/M) Σ_m F_m(x) over the
/// members (one for a run's `model.json`; the runs of the selected method for
/// `srl compare`'s `selected/model.json`).
#[derive(Debug, Clone)]
pub struct GbdtModel {
    members: Vec<GbdtMember>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GbdtFile {
    format: String,
    members: Vec<GbdtMember>,
}

impl GbdtModel {
    /// A model of one or more members; refuses none, and members that mix built-in
    /// benchmarks and tables or tables of different input widths.
    pub fn new(members: Vec<GbdtMember>) -> Result<Self, GbdtError> {
        let Some(first) = members.first() else {
            return Err(GbdtError::Data(
                "a boosted model needs at least one member".into(),
            ));
        };
        let table = first.input.is_some();
        if members.iter().any(|m| m.input.is_some() != table) {
            return Err(GbdtError::Data(
                "a boosted ensemble mixes models of a table and of a built-in benchmark".into(),
            ));
        }
        Ok(Self { members })
    }

    /// Joins models into one whose prediction is the mean of all their members.
    pub fn ensemble(models: Vec<GbdtModel>) -> Result<Self, GbdtError> {
        Self::new(models.into_iter().flat_map(|m| m.members).collect())
    }

    /// The members.
    pub fn members(&self) -> &[GbdtMember] {
        &self.members
    }

    /// The first member (its data, method and preprocessing describe every member's).
    pub fn first(&self) -> &GbdtMember {
        &self.members[0]
    }

    /// The first member's input preprocessing (`None` for a built-in benchmark).
    pub fn input(&self) -> Option<&ModelInput> {
        self.first().input.as_ref()
    }

    /// Sets what prediction does with a category unseen in training, for every member.
    pub fn set_unknown_category(&mut self, policy: srl_data::table::UnknownCategory) {
        for m in &mut self.members {
            if let Some(input) = m.input.as_mut() {
                input.preprocessor.unknown_category = policy;
            }
        }
    }

    /// Mean prediction (target units) of the members for prepared input rows (the
    /// benchmark's arrays, or a table's rows after the preprocessing).
    pub fn try_predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, GbdtError> {
        let mut sum = Array1::<f64>::zeros(x.nrows());
        for m in &self.members {
            sum += &predict_member(m, x)?;
        }
        Ok(sum / self.members.len() as f64)
    }

    /// Predictions for the raw rows of `table` (all when `rows` is `None`): every member
    /// transforms them with its own preprocessing, and the predictions are averaged
    /// ([`srl_train::average_predictions`]); per row, why it lies outside a member's training
    /// range (the first reason found).
    pub fn predict_table(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<(Array1<f64>, Vec<Option<String>>), GbdtError> {
        let per_member = self.members.iter().map(|m| {
            let input = m
                .input
                .as_ref()
                .ok_or_else(|| srl_train::TrainError::InvalidState {
                    reason: format!(
                        "the model was trained on `{}`, not on a table: it has no input \
                         preprocessing",
                        m.benchmark
                    ),
                })?;
            let t = input.preprocessor.transform(table, rows)?;
            let p = predict_member(m, t.x.view()).map_err(srl_train::TrainError::from)?;
            Ok((p, t.out_of_range))
        });
        Ok(srl_train::average_predictions(per_member)?)
    }

    /// The model file's JSON text.
    pub fn to_json(&self) -> Result<String, GbdtError> {
        serde_json::to_string(&GbdtFile {
            format: FORMAT.into(),
            members: self.members.clone(),
        })
        .map_err(|e| GbdtError::Data(format!("serialising the boosted model: {e}")))
    }

    /// Writes the model file atomically.
    pub fn save(&self, path: &Path) -> Result<(), GbdtError> {
        srl_data::atomic::write_atomic(path, self.to_json()?.as_bytes())?;
        Ok(())
    }

    /// Reads a model file written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Self, GbdtError> {
        let text = std::fs::read_to_string(path).map_err(|e| GbdtError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::from_json_str(&text).map_err(|e| GbdtError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Reads the JSON text of a model file.
    pub fn from_json_str(text: &str) -> Result<Self, GbdtError> {
        let file: GbdtFile = serde_json::from_str(text)
            .map_err(|e| GbdtError::Data(format!("not a boosted model file: {e}")))?;
        if file.format != FORMAT {
            return Err(GbdtError::Data(format!(
                "format `{}` is not `{FORMAT}`",
                file.format
            )));
        }
        Self::new(file.members)
    }

    /// Whether a model file's text is a boosted model's (its `format` field), without
    /// parsing the trees.
    pub fn is_gbdt_file(text: &str) -> bool {
        #[derive(Deserialize)]
        struct Format {
            format: String,
        }
        serde_json::from_str::<Format>(text).is_ok_and(|f| f.format == FORMAT)
    }
}

/// A member's prediction for prepared rows, in f64 (the engine computes in f32).
pub(crate) fn predict_member(m: &GbdtMember, x: ArrayView2<f64>) -> Result<Array1<f64>, GbdtError> {
    let features = m.booster.n_features();
    if x.ncols() != features {
        return Err(GbdtError::Data(format!(
            "the rows have {} inputs; the trees were trained on {features}",
            x.ncols()
        )));
    }
    predict_booster(&m.booster, x)
}

/// The booster's prediction (rounds up to the best one) for prepared rows.
pub(crate) fn predict_booster(
    booster: &BoostedModel,
    x: ArrayView2<f64>,
) -> Result<Array1<f64>, GbdtError> {
    if x.nrows() == 0 {
        return Ok(Array1::zeros(0));
    }
    let d = DMatrix::from_dense(&to_f32(x)?, x.nrows(), x.ncols())?;
    let p = booster.predict(&d, Iterations::Best)?;
    Ok(p.as_slice().iter().map(|&v| f64::from(v)).collect())
}

/// Row-major f32 copy of prepared rows; refuses a value that is not finite in f32 (naming
/// its row and column), since the engine would read NaN as missing.
pub(crate) fn to_f32(x: ArrayView2<f64>) -> Result<Vec<f32>, GbdtError> {
    let mut out = Vec::with_capacity(x.len());
    for (i, row) in x.rows().into_iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let f = v as f32;
            if !f.is_finite() {
                return Err(GbdtError::Data(format!(
                    "row {i}, input {j}: {v} is not a finite number in f32"
                )));
            }
            out.push(f);
        }
    }
    Ok(out)
}
