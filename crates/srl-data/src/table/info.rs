//! What a prepared table keeps beside its arrays ([`TableInfo`], in [`Benchmark::table`]) and
//! the part of it a model saves ([`ModelInput`]).
//!
//! [`Benchmark::table`]: crate::Benchmark::table

use super::prep::Preprocessor;
use crate::split::SplitIndices;
use crate::tabular::TextLayout;
use crate::Binning;
use serde::{Deserialize, Serialize};

/// How a user's table became a [`Benchmark`](crate::Benchmark) (kept in its `table`).
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    /// The fitted preprocessing (saved with the model).
    pub preprocessor: Preprocessor,
    /// Row indices (0-based, into the data rows of the file) of each part; the parts'
    /// samples are in this order.
    pub split: SplitIndices,
    /// The 1-based line in the file of every data row.
    pub lines: Vec<usize>,
    /// The layout the file was read with.
    pub layout: TextLayout,
    /// sha256 of the file's bytes.
    pub sha256: String,
    /// Which bin rule applied.
    pub bins_rule: String,
    /// Things the user should know (leakage suspects, thin bins, out-of-range rows, …).
    pub warnings: Vec<String>,
}

impl TableInfo {
    /// What a model needs to predict from raw rows of this kind of file (`binning`: the
    /// benchmark's fitted bins).
    pub fn model_input(&self, binning: &Binning) -> ModelInput {
        ModelInput {
            preprocessor: self.preprocessor.clone(),
            sha256: self.sha256.clone(),
            delimiter: self.layout.delimiter,
            header: self.layout.header,
            binning: binning.clone(),
            bins_rule: self.bins_rule.clone(),
        }
    }
}

/// The part of a [`TableInfo`] saved with a model: the preprocessing, and the training file's
/// hash and layout (a new file is read with the same layout unless told otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInput {
    /// Raw row → network inputs.
    pub preprocessor: Preprocessor,
    /// sha256 of the training file.
    pub sha256: String,
    /// Delimiter of the training file.
    pub delimiter: crate::tabular::Delimiter,
    /// Whether the training file had a header line.
    pub header: bool,
    /// The target bins fitted at training (shot groups, SRL's surrogate table).
    pub binning: Binning,
    /// Which bin rule gave them.
    pub bins_rule: String,
}
