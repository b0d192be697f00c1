//! A model file as `srl predict` and `srl eval` read it, whatever trained it: the network's
//! checkpoint or ensemble ([`srl_train::SavedModel`]), or boosted trees
//! ([`srl_gbdt::GbdtModel`]), told apart by the file's `format`.

use crate::error::CliError;
use srl_data::table::{ModelInput, UnknownCategory};
use srl_data::tabular::RawTable;
use srl_train::ndarray::Array1;
use srl_train::{DataConfig, SavedModel};
use std::path::Path;

/// A loaded model file.
pub enum AnyModel {
    /// A network run's `model.json`, or a networks' ensemble from `srl compare`.
    Network(SavedModel),
    /// Boosted trees: a run's model or an ensemble of runs.
    Gbdt(srl_gbdt::GbdtModel),
}

impl AnyModel {
    /// Reads a model file of either kind.
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))?;
        if srl_gbdt::GbdtModel::is_gbdt_file(&text) {
            Ok(Self::Gbdt(srl_gbdt::GbdtModel::load(path)?))
        } else {
            Ok(Self::Network(SavedModel::load(path)?))
        }
    }

    /// The input preprocessing of the (first) model; `None` for a built-in benchmark's model.
    pub fn input(&self) -> Option<&ModelInput> {
        match self {
            Self::Network(m) => m.first().input(),
            Self::Gbdt(m) => m.input(),
        }
    }

    /// The data the (first) model was trained on.
    pub fn data(&self) -> &DataConfig {
        match self {
            Self::Network(m) => &m.first().config().data,
            Self::Gbdt(m) => &m.first().config.data,
        }
    }

    /// The name of that data.
    pub fn data_name(&self) -> String {
        match self {
            Self::Network(m) => m.first().benchmark().to_string(),
            Self::Gbdt(m) => m.first().benchmark.to_string(),
        }
    }

    /// Models averaged.
    pub fn len(&self) -> usize {
        match self {
            Self::Network(m) => m.len(),
            Self::Gbdt(m) => m.members().len(),
        }
    }

    /// Sets what prediction does with a category unseen in training, for every member.
    pub fn set_unknown_category(&mut self, policy: UnknownCategory) {
        match self {
            Self::Network(m) => m.set_unknown_category(policy),
            Self::Gbdt(m) => m.set_unknown_category(policy),
        }
    }

    /// Predictions for the raw rows of a table, and per row why it lies outside the training
    /// range.
    pub fn predict_table(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<(Array1<f64>, Vec<Option<String>>), CliError> {
        Ok(match self {
            Self::Network(m) => m.predict_table(table, rows)?,
            Self::Gbdt(m) => m.predict_table(table, rows)?,
        })
    }
}
