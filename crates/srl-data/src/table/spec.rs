//! What the user says about their table: which columns, how missing cells and unknown
//! categories are handled, how the rows are split and the target binned.
//!
//! [`TableSpec`] is plain data (the `[data]` table of a run configuration with
//! `source = "csv"`); [`TableSpec::check`] validates it and names the offending field.

use crate::names::Named;
use crate::protocol::Protocol;
use crate::tabular::Delimiter;
use crate::{BinSpec, DataError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The cell texts read as "missing" unless the user says otherwise.
pub const DEFAULT_MISSING: &[&str] = &["", "?", "NA", "N/A", "NaN", "nan", "null", "NULL"];

/// Default share of the rows in the validation part of a stratified split.
pub const DEFAULT_VAL_SIZE: f64 = 0.15;
/// Default share of the rows in the test part of a stratified split.
pub const DEFAULT_TEST_SIZE: f64 = 0.15;
/// Default per-bin cap of the balanced DIR split.
pub const DEFAULT_VAL_TEST_CAP: usize = 30;

/// Fewest data rows a table must have to be trained on.
pub const MIN_ROWS: usize = 20;

/// What to do with a missing input cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impute {
    /// A missing input cell is an error naming its line and column.
    #[default]
    None,
    /// Numeric columns get the training median, string columns the training mode.
    Median,
    /// Every column gets its training mode (most frequent value; ties: the smallest).
    Mode,
}

/// What prediction does with a category the training file did not contain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownCategory {
    /// An error naming the column, the value and the line.
    #[default]
    Error,
    /// An all-zero one-hot code; the row is flagged as out of range.
    Ignore,
}

/// How a numeric input is scaled before the network sees it (fitted on the training rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputScale {
    /// x' = (x − μ)/σ: training mean and population standard deviation.
    #[default]
    Standard,
    /// x' = (x − median)/(IQR/1.349): training median and inter-quartile range (σ when the
    /// IQR is 0), so a few extreme training values do not squeeze the rest.
    Robust,
    /// x' = √12 · (F̂(x) − ½): the training empirical CDF F̂ (linear between 101 quantiles),
    /// a uniform score with unit variance — any monotone transform of the column gives the
    /// same inputs.
    Quantile,
}

impl Named for Impute {
    const WHAT: &'static str = "imputation";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            Impute::None,
            "none",
            "a missing input cell is an error naming line and column",
        ),
        (
            Impute::Median,
            "median",
            "numbers: training median; categories: training mode",
        ),
        (Impute::Mode, "mode", "training mode for every column"),
    ];
}

impl Named for UnknownCategory {
    const WHAT: &'static str = "unknown-category policy";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            UnknownCategory::Error,
            "error",
            "an error naming column, value and line",
        ),
        (
            UnknownCategory::Ignore,
            "ignore",
            "an all-zero one-hot code; the row is flagged as out of range",
        ),
    ];
}

impl Named for InputScale {
    const WHAT: &'static str = "input scaling";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            InputScale::Standard,
            "standard",
            "(x − training mean) / training std",
        ),
        (
            InputScale::Robust,
            "robust",
            "(x − training median) / (training IQR / 1.349)",
        ),
        (
            InputScale::Quantile,
            "quantile",
            "√12 · (training CDF(x) − ½)",
        ),
    ];
}

/// How the rows are divided into training, validation and test parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SplitSpec {
    /// A seeded random split stratified by target bin: each bin sends about `val` and `test`
    /// of its rows to validation and test (systematic sampling over the rows sorted by bin).
    Stratified {
        /// Share of the rows for validation, in (0, 1).
        val: f64,
        /// Share of the rows for test, in (0, 1).
        test: f64,
    },
    /// The DIR benchmark protocol (docs/protocols.md): `min(cap, ⌊n_b/3⌋)` rows of every bin
    /// to validation and as many to test, the rest to training — balanced evaluation parts,
    /// at the price of training rows in rare bins.
    Balanced {
        /// Per-bin cap of validation and test.
        cap: usize,
    },
    /// The user's own split: a column whose values are `train`, `val` (or `valid`,
    /// `validation`) and `test`, case-insensitive. The column is never an input.
    Column {
        /// The column's name.
        name: String,
    },
    /// Fold `fold` of a `folds`-fold cross-validation over the training and validation rows
    /// of the `outer` split ([`crate::split::stratified_folds`], stratified by the automatic
    /// target bins of those rows, seeded by `seed`): that fold validates, the other folds
    /// train, and the outer test part stays the test part — every fold shares it.
    CrossValidation {
        /// The split whose training + validation rows are folded (not itself a fold).
        outer: Box<SplitSpec>,
        /// Number of folds k ≥ 2.
        folds: usize,
        /// Which fold validates, 0 ≤ fold < k.
        fold: usize,
        /// Seed of the fold assignment.
        seed: u64,
    },
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec::Stratified {
            val: DEFAULT_VAL_SIZE,
            test: DEFAULT_TEST_SIZE,
        }
    }
}

/// A user's table and everything needed to turn it into training data.
///
/// ```
/// use srl_data::table::{SplitSpec, TableSpec};
/// let spec: TableSpec = toml::from_str(r#"
///     path = "houses.csv"
///     target = "price"
///     exclude = ["id"]
///     impute = "median"
///     split = { kind = "stratified", val = 0.2, test = 0.2 }
/// "#).unwrap();
/// assert_eq!(spec.bins, None); // automatic
/// assert!(matches!(spec.split, SplitSpec::Stratified { .. }));
/// spec.check().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The file (CSV, TSV, `;`- or whitespace-separated text).
    pub path: PathBuf,
    /// The column to predict.
    pub target: String,
    /// The input columns (default: every column but the target, the excluded ones and the
    /// split column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Columns never used as inputs (identifiers, leakage, a second target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Columns one-hot encoded although their values are numbers (integer codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categorical: Vec<String>,
    /// Field delimiter (default: detected from the first lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<Delimiter>,
    /// Whether the first line names the columns (default: detected). Without a header the
    /// columns are named `col1`, `col2`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<bool>,
    /// Cell texts that mean "missing".
    #[serde(default = "default_missing")]
    pub missing: Vec<String>,
    /// What to do with missing input cells.
    #[serde(default)]
    pub impute: Impute,
    /// What prediction does with a category unseen in the training file.
    #[serde(default)]
    pub unknown_category: UnknownCategory,
    /// Target bins (default: automatic, see [`crate::table::auto_bins`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<BinSpec>,
    /// How rows are split.
    #[serde(default)]
    pub split: SplitSpec,
    /// Seed of the split.
    #[serde(default)]
    pub split_seed: u64,
    /// Keep suspected missing-value codes (`9999` among values in [7, 22], see
    /// [`crate::table::suspected_codes`]) as numbers instead of treating them as missing;
    /// they are reported either way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_outliers: bool,
    /// Clip numeric inputs to their training range [min, max] before the network sees them
    /// (validation, test, prediction); rows beyond it are still flagged. `false` lets the
    /// network extrapolate.
    #[serde(default = "yes")]
    pub clip: bool,
    /// How numeric inputs are scaled.
    #[serde(default)]
    pub scale: InputScale,
    /// The test protocol applied after the split ([`crate::protocol`]): `standard` (not
    /// written), or a blind spot / extrapolation range whose training and validation rows
    /// move to the test part. With cross-validation it applies to the outer split, so the
    /// folds are drawn from the remaining rows.
    #[serde(default, skip_serializing_if = "Protocol::is_standard")]
    pub protocol: Protocol,
}

fn yes() -> bool {
    true
}

fn default_missing() -> Vec<String> {
    DEFAULT_MISSING.iter().map(|s| s.to_string()).collect()
}

impl TableSpec {
    /// A spec with every default: detected layout, all other columns as inputs, missing cells
    /// are errors, suspected missing-value codes treated as missing, inputs clipped to the
    /// training range, automatic bins, stratified 70/15/15 split with seed 0.
    pub fn new(path: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            target: target.into(),
            features: None,
            exclude: Vec::new(),
            categorical: Vec::new(),
            delimiter: None,
            header: None,
            missing: default_missing(),
            impute: Impute::None,
            unknown_category: UnknownCategory::Error,
            bins: None,
            split: SplitSpec::default(),
            split_seed: 0,
            keep_outliers: false,
            clip: true,
            scale: InputScale::Standard,
            protocol: Protocol::Standard,
        }
    }

    /// Checks the values that do not need the file; errors name the field.
    pub fn check(&self) -> Result<(), DataError> {
        if self.target.is_empty() {
            return Err(DataError::invalid("data.target", "empty column name"));
        }
        if let Some(features) = &self.features {
            if features.is_empty() {
                return Err(DataError::invalid(
                    "data.features",
                    "empty list: name at least one input column",
                ));
            }
            if !self.exclude.is_empty() {
                return Err(DataError::invalid(
                    "data.exclude",
                    "give either the input columns (features) or the columns to exclude, not both",
                ));
            }
            if features.contains(&self.target) {
                return Err(DataError::invalid(
                    "data.features",
                    format!("lists the target `{}`", self.target),
                ));
            }
        }
        if self.categorical.contains(&self.target) {
            return Err(DataError::invalid(
                "data.categorical",
                format!(
                    "lists the target `{}`; the target must be numeric",
                    self.target
                ),
            ));
        }
        self.check_split(&self.split)?;
        self.protocol.check()?;
        match self.bins {
            Some(BinSpec::Count(k)) if k < 2 => Err(DataError::invalid(
                "data.bins.count",
                format!("{k}: need at least 2 bins"),
            )),
            Some(BinSpec::Width(w)) if !(w.is_finite() && w > 0.0) => Err(DataError::invalid(
                "data.bins.width",
                format!("{w}: must be finite and > 0"),
            )),
            _ => Ok(()),
        }
    }

    fn check_split(&self, split: &SplitSpec) -> Result<(), DataError> {
        match split {
            SplitSpec::CrossValidation {
                outer, folds, fold, ..
            } => {
                if matches!(**outer, SplitSpec::CrossValidation { .. }) {
                    return Err(DataError::invalid(
                        "data.split.outer",
                        "a cross-validation fold cannot fold another fold",
                    ));
                }
                if *folds < 2 || fold >= folds {
                    return Err(DataError::invalid(
                        "data.split.fold",
                        format!("fold {fold} of {folds}: need k ≥ 2 folds and 0 ≤ fold < k"),
                    ));
                }
                self.check_split(outer)?;
            }
            SplitSpec::Stratified { val, test } => {
                for (field, v) in [("data.split.val", *val), ("data.split.test", *test)] {
                    if !(v.is_finite() && v > 0.0 && v < 1.0) {
                        return Err(DataError::invalid(field, format!("{v} is not in (0, 1)")));
                    }
                }
                if val + test >= 0.9 {
                    return Err(DataError::invalid(
                        "data.split",
                        format!(
                            "validation {val} + test {test} leave {:.0} % or less for training",
                            (1.0 - val - test) * 100.0
                        ),
                    ));
                }
            }
            SplitSpec::Balanced { cap } => {
                if *cap == 0 {
                    return Err(DataError::invalid(
                        "data.split.cap",
                        "0 leaves validation and test empty",
                    ));
                }
            }
            SplitSpec::Column { name } => {
                if name == &self.target {
                    return Err(DataError::invalid(
                        "data.split.name",
                        "the split column cannot be the target",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_check() {
        let s = TableSpec::new("t.csv", "y");
        s.check().unwrap();
        let text = toml::to_string(&s).unwrap();
        let back: TableSpec = toml::from_str(&text).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn check_names_the_field() {
        let mut s = TableSpec::new("t.csv", "y");
        s.features = Some(vec!["a".into()]);
        s.exclude = vec!["b".into()];
        assert!(s.check().unwrap_err().to_string().contains("data.exclude"));
        let mut s = TableSpec::new("t.csv", "y");
        s.split = SplitSpec::Stratified {
            val: 0.5,
            test: 0.45,
        };
        assert!(s.check().unwrap_err().to_string().contains("data.split"));
        s.split = SplitSpec::Stratified {
            val: 0.0,
            test: 0.2,
        };
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("data.split.val"));
        let mut s = TableSpec::new("t.csv", "y");
        s.bins = Some(BinSpec::Count(1));
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("data.bins.count"));
        let mut s = TableSpec::new("t.csv", "y");
        s.categorical = vec!["y".into()];
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("data.categorical"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<TableSpec>("path = \"a\"\ntarget = \"y\"\nbinz = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("binz"), "{e}");
    }
}
