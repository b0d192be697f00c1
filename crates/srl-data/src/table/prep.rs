//! The fitted preprocessing of a user's table: from the raw cells of the input columns to the
//! network's inputs, with every fitted value recorded so prediction on new rows repeats it.
//!
//! Per input column, in the order of [`Preprocessor::columns`]:
//! - **numeric**: a missing cell gets the imputation value (if any, else an error); a suspected
//!   missing-value code ([`suspected_codes`](super::suspected_codes), unless the spec keeps
//!   them) gets the imputation value or, without imputation, the training median; with
//!   clipping on (the default) the value is clipped to the training range [min, max]; then it
//!   is standardised, x' = (x − μ)/σ, with the training mean μ and population standard
//!   deviation σ (σ = 1 for a constant column);
//! - **categorical**: one 0/1 column per category of the training file (sorted); a missing
//!   cell gets the imputed category (if any, else an error); an unknown category is an error
//!   or, with [`UnknownCategory::Ignore`], an all-zero code.
//!
//! **Out of range** (flagged, never silently trusted): a numeric value below
//! min − ½(max − min) or above max + ½(max − min) of its training values (for a column constant
//! in training: any other value), or an ignored unknown category.

use super::sentinel::{suspected_codes, MissingCodes, SuspectedCode};
use super::spec::{Impute, InputScale, TableSpec, UnknownCategory};
use crate::tabular::RawTable;
use crate::DataError;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How one input column becomes network inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ColumnKind {
    /// A number, standardised.
    Numeric {
        /// Training mean μ.
        mean: f64,
        /// Training population standard deviation σ (1 when the column is constant).
        std: f64,
        /// Smallest training value.
        min: f64,
        /// Largest training value.
        max: f64,
        /// Value of a missing cell (training median or mode), if imputation is on.
        fill: Option<f64>,
        /// Suspected missing-value codes read as missing (`None`: none, or kept as numbers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        codes: Option<MissingCodes>,
        /// A scaling other than (x − μ)/σ (`None`: standardisation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scaling: Option<Scaling>,
    },
    /// A category, one-hot encoded.
    Categorical {
        /// The categories of the training file, sorted; one input column each.
        categories: Vec<String>,
        /// Category of a missing cell (training mode), if imputation is on.
        fill: Option<String>,
    },
}

/// A fitted non-standard scaling of a numeric column (see [`InputScale`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Scaling {
    /// x' = (x − centre)/scale.
    Robust {
        /// Training median.
        centre: f64,
        /// IQR/1.349 (σ when the IQR is 0; 1 for a constant column).
        scale: f64,
    },
    /// x' = √12 · (F̂(x) − ½) with F̂ linear between the knots (training quantiles at
    /// 0, 1/(m−1), …, 1), 0 below the first and 1 above the last.
    Quantile {
        /// Training quantiles, non-decreasing.
        knots: Vec<f64>,
    },
}

impl Scaling {
    /// The scaled value of `v`.
    pub fn apply(&self, v: f64) -> f64 {
        match self {
            Scaling::Robust { centre, scale } => (v - centre) / scale,
            Scaling::Quantile { knots } => 12f64.sqrt() * (ecdf(knots, v) - 0.5),
        }
    }

    fn fit(how: InputScale, sorted: &[f64], std: f64) -> Option<Self> {
        let q = |p: f64| {
            let x = p * (sorted.len() - 1) as f64;
            let (i, f) = (x.floor() as usize, x - x.floor());
            let hi = sorted[(i + 1).min(sorted.len() - 1)];
            sorted[i] + f * (hi - sorted[i])
        };
        match how {
            InputScale::Standard => None,
            InputScale::Robust => {
                let iqr = q(0.75) - q(0.25);
                let scale = if iqr > 0.0 { iqr / 1.349 } else { std };
                Some(Scaling::Robust {
                    centre: q(0.5),
                    scale,
                })
            }
            InputScale::Quantile => Some(Scaling::Quantile {
                knots: (0..=100).map(|k| q(k as f64 / 100.0)).collect(),
            }),
        }
    }

    fn is_valid(&self) -> bool {
        match self {
            Scaling::Robust { centre, scale } => {
                centre.is_finite() && scale.is_finite() && *scale > 0.0
            }
            Scaling::Quantile { knots } => {
                knots.len() >= 2
                    && knots.iter().all(|k| k.is_finite())
                    && knots.windows(2).all(|w| w[0] <= w[1])
            }
        }
    }
}

/// The empirical CDF through the knots: linear between consecutive distinct knots, the mean
/// position over a run of equal knots (ties), 0 below the first knot and 1 above the last.
fn ecdf(knots: &[f64], v: f64) -> f64 {
    let m = knots.len();
    let last = (m - 1) as f64;
    if v < knots[0] {
        return 0.0;
    }
    if v > knots[m - 1] {
        return 1.0;
    }
    // First knot ≥ v, and first knot > v.
    let lo = knots.partition_point(|&k| k < v);
    let hi = knots.partition_point(|&k| k <= v);
    if hi > lo {
        // v equals knots[lo..hi]: the middle of the tie.
        return 0.5 * (lo + hi - 1) as f64 / last;
    }
    // knots[lo - 1] < v < knots[lo].
    let (a, b) = (knots[lo - 1], knots[lo]);
    ((lo - 1) as f64 + (v - a) / (b - a)) / last
}

/// One input column of the file and its preprocessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    /// The column's name in the file.
    pub name: String,
    /// Its preprocessing.
    #[serde(flatten)]
    pub kind: ColumnKind,
}

impl InputColumn {
    /// Number of network inputs this column gives.
    pub fn width(&self) -> usize {
        match &self.kind {
            ColumnKind::Numeric { .. } => 1,
            ColumnKind::Categorical { categories, .. } => categories.len(),
        }
    }
}

/// Everything needed to turn raw rows of a table into network inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preprocessor {
    /// The target column (read only when evaluating).
    pub target: String,
    /// The input columns, in network-input order.
    pub columns: Vec<InputColumn>,
    /// Cell texts read as missing.
    pub missing: Vec<String>,
    /// What to do with an unknown category.
    pub unknown_category: UnknownCategory,
    /// Whether numeric inputs are clipped to their training range [min, max] (models saved
    /// before clipping existed read as `false`).
    #[serde(default)]
    pub clip: bool,
}

/// The suspected missing-value codes found in one numeric input column while fitting.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeReport {
    /// The column.
    pub column: String,
    /// The codes found (values, counts, distance from the rest).
    pub codes: Vec<SuspectedCode>,
    /// The value they were replaced by, or `None` when they were kept as numbers.
    pub replaced_by: Option<f64>,
    /// First line of the file holding one of them.
    pub first_line: usize,
}

/// Network inputs of some rows, with the rows that lie outside the training range.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformed {
    /// One row per input row.
    pub x: Array2<f64>,
    /// For each row, why it is out of range (`None` when it is inside).
    pub out_of_range: Vec<Option<String>>,
}

impl Transformed {
    /// Number of flagged rows.
    pub fn num_out_of_range(&self) -> usize {
        self.out_of_range.iter().filter(|r| r.is_some()).count()
    }
}

impl Preprocessor {
    /// Number of network inputs.
    pub fn input_dim(&self) -> usize {
        self.columns.iter().map(InputColumn::width).sum()
    }

    /// Names of the network inputs (`col`, or `col=category` for one-hot columns).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.input_dim());
        for c in &self.columns {
            match &c.kind {
                ColumnKind::Numeric { .. } => names.push(c.name.clone()),
                ColumnKind::Categorical { categories, .. } => {
                    names.extend(categories.iter().map(|k| format!("{}={k}", c.name)))
                }
            }
        }
        names
    }

    /// Checks a preprocessor read from a file: categories sorted and distinct (the one-hot
    /// lookup relies on it), finite statistics with σ > 0, imputation values of the right kind.
    pub fn check(&self) -> Result<(), DataError> {
        for c in &self.columns {
            let bad = |reason: String| {
                Err(DataError::invalid(
                    format!("preprocessing of column `{}`", c.name),
                    reason,
                ))
            };
            match &c.kind {
                ColumnKind::Numeric {
                    mean,
                    std,
                    min,
                    max,
                    fill,
                    codes,
                    scaling,
                } => {
                    let finite = [*mean, *std, *min, *max]
                        .iter()
                        .chain(fill.iter())
                        .chain(codes.iter().flat_map(|c| c.values.iter().chain([&c.fill])))
                        .all(|v| v.is_finite())
                        && scaling.as_ref().is_none_or(Scaling::is_valid);
                    if !finite || *std <= 0.0 || min > max {
                        return bad(format!(
                            "statistics must be finite with std > 0 and min ≤ max (mean {mean}, \
                             std {std}, min {min}, max {max})"
                        ));
                    }
                }
                ColumnKind::Categorical { categories, fill } => {
                    if categories.is_empty() || categories.windows(2).any(|w| w[0] >= w[1]) {
                        return bad("categories must be non-empty, sorted and distinct".into());
                    }
                    if let Some(f) = fill {
                        if categories.binary_search(f).is_err() {
                            return bad(format!("imputed category `{f}` is not a category"));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether a cell is missing.
    pub fn is_missing(&self, cell: &str) -> bool {
        self.missing.iter().any(|m| m == cell)
    }

    /// Fits the preprocessing of the `inputs` (column names of `table`) under `spec`'s rules
    /// (target, forced categorical columns, missing markers, imputation, unknown categories,
    /// missing-value codes, clipping): each column's kind and suspected codes from all rows,
    /// statistics and imputation values from the `train` rows only.
    pub fn fit(
        table: &RawTable,
        spec: &TableSpec,
        inputs: &[String],
        train: &[usize],
    ) -> Result<Self, DataError> {
        Ok(Self::fit_reporting(table, spec, inputs, train)?.0)
    }

    /// [`fit`](Self::fit), also returning the suspected missing-value codes of every numeric
    /// column that has some (whether they were replaced or kept).
    pub fn fit_reporting(
        table: &RawTable,
        spec: &TableSpec,
        inputs: &[String],
        train: &[usize],
    ) -> Result<(Self, Vec<CodeReport>), DataError> {
        let mut columns = Vec::with_capacity(inputs.len());
        let mut reports = Vec::new();
        for name in inputs {
            let j = column_index(table, name)?;
            let forced = spec.categorical.contains(name);
            let kind = infer_kind(table, j, forced, &spec.missing)?;
            let found = match kind {
                RawKind::Numeric => column_codes(table, j, &spec.missing)?,
                RawKind::Categorical => Vec::new(),
            };
            let act = if spec.keep_outliers {
                &[][..]
            } else {
                &found[..]
            };
            let kind = fit_column(table, j, kind, train, spec, act)?;
            if !found.is_empty() {
                let values: Vec<f64> = found.iter().map(|c| c.value).collect();
                let first_line = table
                    .rows
                    .iter()
                    .find(|r| {
                        r.fields[j]
                            .parse::<f64>()
                            .is_ok_and(|v| values.contains(&v))
                    })
                    .map_or(0, |r| r.line);
                let replaced_by = match &kind {
                    ColumnKind::Numeric { codes, .. } => codes.as_ref().map(|c| c.fill),
                    ColumnKind::Categorical { .. } => None,
                };
                reports.push(CodeReport {
                    column: name.clone(),
                    codes: found,
                    replaced_by,
                    first_line,
                });
            }
            columns.push(InputColumn {
                name: name.clone(),
                kind,
            });
        }
        let prep = Self {
            target: spec.target.clone(),
            columns,
            missing: spec.missing.clone(),
            unknown_category: spec.unknown_category,
            clip: spec.clip,
        };
        Ok((prep, reports))
    }

    /// The network inputs of `rows` of `table` (all rows when `None`). Columns are found by
    /// name, so the file may order them differently or have extra columns.
    pub fn transform(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<Transformed, DataError> {
        let idx: Vec<usize> = self
            .columns
            .iter()
            .map(|c| column_index(table, &c.name))
            .collect::<Result<_, _>>()?;
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..table.rows.len()).collect();
                &all
            }
        };
        let mut x = Array2::<f64>::zeros((rows.len(), self.input_dim()));
        let mut out_of_range = vec![None; rows.len()];
        for (i, &r) in rows.iter().enumerate() {
            let row = &table.rows[r];
            let mut k = 0;
            for (col, &j) in self.columns.iter().zip(&idx) {
                let cell = row.fields[j].as_str();
                match &col.kind {
                    ColumnKind::Numeric {
                        mean,
                        std,
                        min,
                        max,
                        fill,
                        codes,
                        scaling,
                    } => {
                        let mut v = if self.is_missing(cell) {
                            fill.ok_or_else(|| missing_cell(table, row.line, &col.name, cell))?
                        } else {
                            parse_number(table, row.line, &col.name, cell)?
                        };
                        if let Some(c) = codes.as_ref().filter(|c| c.contains(v)) {
                            v = c.fill;
                        }
                        let margin = 0.5 * (max - min);
                        if (v < min - margin || v > max + margin) && out_of_range[i].is_none() {
                            let what = if self.clip { "clipped to" } else { "outside" };
                            out_of_range[i] = Some(format!(
                                "`{}` = {} is {what} the training range [{min}, {max}]",
                                col.name,
                                short_number(v)
                            ));
                        }
                        if self.clip {
                            v = v.clamp(*min, *max);
                        }
                        x[[i, k]] = match scaling {
                            None => (v - mean) / std,
                            Some(s) => s.apply(v),
                        };
                    }
                    ColumnKind::Categorical { categories, fill } => {
                        let value = if self.is_missing(cell) {
                            fill.as_deref()
                                .ok_or_else(|| missing_cell(table, row.line, &col.name, cell))?
                        } else {
                            cell
                        };
                        match categories.binary_search_by(|c| c.as_str().cmp(value)) {
                            Ok(h) => x[[i, k + h]] = 1.0,
                            Err(_) => match self.unknown_category {
                                UnknownCategory::Error => {
                                    return Err(DataError::UnknownCategory {
                                        path: table.path.clone(),
                                        line: row.line,
                                        column: col.name.clone(),
                                        value: value.to_string(),
                                        known: categories.join(", "),
                                    })
                                }
                                UnknownCategory::Ignore => {
                                    if out_of_range[i].is_none() {
                                        out_of_range[i] = Some(format!(
                                            "`{}` = `{value}` is a category unseen in training",
                                            col.name
                                        ));
                                    }
                                }
                            },
                        }
                    }
                }
                k += col.width();
            }
        }
        Ok(Transformed { x, out_of_range })
    }

    /// The targets of `rows` (all when `None`): numbers, never missing.
    pub fn targets(
        &self,
        table: &RawTable,
        rows: Option<&[usize]>,
    ) -> Result<Array1<f64>, DataError> {
        read_targets(table, &self.target, rows, &self.missing)
    }
}

/// The numeric target of `rows` (all when `None`); a missing or non-numeric cell is an error
/// at its line.
pub fn read_targets(
    table: &RawTable,
    target: &str,
    rows: Option<&[usize]>,
    missing: &[String],
) -> Result<Array1<f64>, DataError> {
    let j = column_index(table, target)?;
    let n = rows.map_or(table.rows.len(), <[usize]>::len);
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let row = &table.rows[rows.map_or(i, |r| r[i])];
        let cell = row.fields[j].as_str();
        if missing.iter().any(|m| m == cell) {
            return Err(DataError::Parse {
                path: table.path.clone(),
                line: row.line,
                reason: format!(
                    "target `{target}` is missing (`{cell}`); remove the rows without a target"
                ),
            });
        }
        y[i] = parse_number(table, row.line, target, cell)?;
    }
    Ok(y)
}

/// Index of a named column, or [`DataError::MissingColumn`].
pub fn column_index(table: &RawTable, name: &str) -> Result<usize, DataError> {
    table
        .names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| DataError::MissingColumn {
            path: table.path.clone(),
            column: name.to_string(),
            available: table.names.join(", "),
        })
}

fn missing_cell(table: &RawTable, line: usize, column: &str, cell: &str) -> DataError {
    DataError::Parse {
        path: table.path.clone(),
        line,
        reason: format!(
            "column `{column}`: missing value `{cell}`; fill missing inputs with \
             --impute median|mode, or exclude the column"
        ),
    }
}

fn parse_number(table: &RawTable, line: usize, column: &str, cell: &str) -> Result<f64, DataError> {
    let v: f64 = cell.parse().map_err(|_| DataError::Parse {
        path: table.path.clone(),
        line,
        reason: format!("column `{column}`: `{cell}` is not a number"),
    })?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(DataError::Parse {
            path: table.path.clone(),
            line,
            reason: format!("column `{column}`: non-finite value `{cell}`"),
        })
    }
}

/// Kind of a column before fitting.
enum RawKind {
    Numeric,
    Categorical,
}

/// Most distinct values a string column may have before it is taken for free text or an
/// identifier (together with: more distinct values than half the rows).
pub const MAX_FREE_CATEGORIES: usize = 50;

/// Decides numeric vs categorical from every non-missing cell of column `j`; refuses date-like,
/// mostly-numeric-with-stray-text and free-text columns with a message saying what to do.
fn infer_kind(
    table: &RawTable,
    j: usize,
    forced_categorical: bool,
    missing: &[String],
) -> Result<RawKind, DataError> {
    let name = &table.names[j];
    let cells: Vec<(usize, &str)> = table
        .rows
        .iter()
        .map(|r| (r.line, r.fields[j].as_str()))
        .filter(|(_, c)| !missing.iter().any(|m| m == c))
        .collect();
    if cells.is_empty() {
        return Err(DataError::invalid(
            format!("column `{name}`"),
            format!(
                "{}: every cell is missing; exclude it",
                table.path.display()
            ),
        ));
    }
    if forced_categorical {
        return Ok(RawKind::Categorical);
    }
    let text: Vec<(usize, &str)> = cells
        .iter()
        .copied()
        .filter(|(_, c)| c.parse::<f64>().is_err())
        .collect();
    if text.is_empty() {
        return Ok(RawKind::Numeric);
    }
    let dates = text.iter().filter(|(_, c)| looks_like_date(c)).count();
    if 2 * dates > text.len() {
        let (line, example) = text[0];
        return Err(DataError::Parse {
            path: table.path.clone(),
            line,
            reason: format!(
                "column `{name}` holds dates or times (`{example}`); exclude it (--exclude \
                 {name}) or turn it into numbers first (e.g. day of year, month, hour)"
            ),
        });
    }
    if 10 * text.len() <= cells.len() {
        let (line, example) = text[0];
        return Err(DataError::Parse {
            path: table.path.clone(),
            line,
            reason: format!(
                "column `{name}` is numeric except for {} cell(s) such as `{example}`; if that \
                 marks a missing value add it to the missing markers (--missing), else \
                 exclude the column or declare it categorical",
                text.len()
            ),
        });
    }
    let mut distinct: Vec<&str> = cells.iter().map(|(_, c)| *c).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > MAX_FREE_CATEGORIES && 2 * distinct.len() > cells.len() {
        return Err(DataError::invalid(
            format!("column `{name}`"),
            format!(
                "{}: {} distinct values in {} rows look like free text or an identifier; \
                 exclude it (--exclude {name}), or force one-hot encoding with --categorical \
                 {name}",
                table.path.display(),
                distinct.len(),
                cells.len()
            ),
        ));
    }
    Ok(RawKind::Categorical)
}

/// Whether a cell looks like a date or a time of day: digit groups joined by `-`, `/` or `.`
/// (three groups) or `:` (two or three), optionally an ISO date followed by a time.
pub fn looks_like_date(cell: &str) -> bool {
    let mut shape = String::with_capacity(cell.len());
    for c in cell.chars() {
        let s = if c.is_ascii_digit() { '9' } else { c };
        if !(s == '9' && shape.ends_with('9')) {
            shape.push(s);
        }
    }
    matches!(
        shape.as_str(),
        "9-9-9" | "9/9/9" | "9.9.9" | "9:9" | "9:9:9"
    ) || shape.starts_with("9-9-9T")
        || shape.starts_with("9-9-9 9:9")
}

/// Fits one column on the training rows.
fn fit_column(
    table: &RawTable,
    j: usize,
    kind: RawKind,
    train: &[usize],
    spec: &TableSpec,
    codes: &[SuspectedCode],
) -> Result<ColumnKind, DataError> {
    let (missing, impute) = (&spec.missing[..], spec.impute);
    let name = &table.names[j];
    let is_missing = |c: &str| missing.iter().any(|m| m == c);
    let present: Vec<(usize, &str)> = train
        .iter()
        .map(|&r| (table.rows[r].line, table.rows[r].fields[j].as_str()))
        .filter(|(_, c)| !is_missing(c))
        .collect();
    if present.is_empty() {
        return Err(DataError::invalid(
            format!("column `{name}`"),
            format!(
                "{}: no training row has a value; exclude it",
                table.path.display()
            ),
        ));
    }
    match kind {
        RawKind::Numeric => {
            let parsed = present
                .iter()
                .map(|&(line, c)| parse_number(table, line, name, c))
                .collect::<Result<Vec<f64>, _>>()?;
            let is_code = |v: &f64| codes.iter().any(|c| c.value == *v);
            let mut values: Vec<f64> = parsed.iter().copied().filter(|v| !is_code(v)).collect();
            if values.is_empty() {
                return Err(DataError::invalid(
                    format!("column `{name}`"),
                    format!(
                        "{}: every training value is a suspected missing-value code; exclude                          the column, or keep the codes as numbers (--keep-outliers)",
                        table.path.display()
                    ),
                ));
            }
            let fill = match impute {
                Impute::None => None,
                Impute::Median => Some(median(&mut values.clone())),
                Impute::Mode => Some(mode_f64(&values)),
            };
            let codes = (!codes.is_empty()).then(|| MissingCodes {
                values: codes.iter().map(|c| c.value).collect(),
                fill: fill.unwrap_or_else(|| median(&mut values.clone())),
            });
            if let Some(c) = &codes {
                values.resize(parsed.len(), c.fill);
            }
            if let Some(f) = fill {
                values.resize(train.len(), f);
            }
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            let std = if var.sqrt() > 0.0 && var.is_finite() {
                var.sqrt()
            } else {
                1.0
            };
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !(mean.is_finite() && var.is_finite()) {
                return Err(DataError::invalid(
                    format!("column `{name}`"),
                    format!(
                        "{}: values too large to standardise (from {min:e} to {max:e}: their \
                         mean or variance overflows); rescale the column, e.g. divide it by a \
                         power of ten",
                        table.path.display()
                    ),
                ));
            }
            let mut sorted = values;
            sorted.sort_by(f64::total_cmp);
            Ok(ColumnKind::Numeric {
                mean,
                std,
                min,
                max,
                fill,
                codes,
                scaling: Scaling::fit(spec.scale, &sorted, std),
            })
        }
        RawKind::Categorical => {
            // The category list comes from every row of the file (a property of the file, not
            // of the targets), so a level that happens to fall only into validation or test
            // is known; the imputed mode comes from training rows.
            let mut categories: Vec<String> = table
                .rows
                .iter()
                .map(|r| r.fields[j].clone())
                .filter(|c| !is_missing(c))
                .collect();
            categories.sort_unstable();
            categories.dedup();
            let fill = match impute {
                Impute::None => None,
                Impute::Median | Impute::Mode => {
                    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                    for (_, c) in &present {
                        *counts.entry(c).or_default() += 1;
                    }
                    let best = counts.values().copied().max().unwrap_or(0);
                    counts
                        .into_iter()
                        .find(|&(_, n)| n == best)
                        .map(|(c, _)| c.to_string())
                }
            };
            Ok(ColumnKind::Categorical { categories, fill })
        }
    }
}

/// The suspected missing-value codes among every non-missing cell of numeric column `j`.
fn column_codes(
    table: &RawTable,
    j: usize,
    missing: &[String],
) -> Result<Vec<SuspectedCode>, DataError> {
    let values = table
        .rows
        .iter()
        .filter(|r| !missing.iter().any(|m| *m == r.fields[j]))
        .map(|r| parse_number(table, r.line, &table.names[j], &r.fields[j]))
        .collect::<Result<Vec<f64>, _>>()?;
    Ok(suspected_codes(&values))
}

/// A number with at most seven significant digits, in scientific notation when it is very
/// large or small (14.844999999999999 → 14.845, 1e308 → 1e308).
pub(crate) fn short_number(v: f64) -> String {
    let r: f64 = format!("{v:.6e}").parse().unwrap_or(v);
    if r != 0.0 && !(1e-4..1e7).contains(&r.abs()) {
        format!("{r:e}")
    } else {
        r.to_string()
    }
}

/// Median (mean of the two middle values for an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// Most frequent value (ties: the smallest).
fn mode_f64(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (mut best, mut best_n) = (sorted[0], 0);
    let mut i = 0;
    while i < sorted.len() {
        let mut k = i;
        while k < sorted.len() && sorted[k] == sorted[i] {
            k += 1;
        }
        if k - i > best_n {
            best = sorted[i];
            best_n = k - i;
        }
        i = k;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular::{Delimiter, TextLayout};
    use std::path::Path;

    fn table(text: &str) -> RawTable {
        let layout = TextLayout {
            delimiter: Delimiter::Char(','),
            header: true,
            quoting: true,
        };
        RawTable::parse_str(text, Path::new("t.csv"), &layout, None).unwrap()
    }

    fn spec(categorical: &[&str], impute: Impute, unknown: UnknownCategory) -> TableSpec {
        let mut s = TableSpec::new("t.csv", "y");
        s.categorical = categorical.iter().map(|c| c.to_string()).collect();
        s.missing = vec!["".into(), "?".into()];
        s.impute = impute;
        s.unknown_category = unknown;
        s
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn scalings_fit_on_training_rows_and_map_as_documented() {
        use approx::assert_abs_diff_eq;
        let mut text = String::from("a,y\n");
        for v in [1.0, 2.0, 3.0, 4.0, 5.0, 1000.0] {
            text += &format!("{v},0\n");
        }
        let t = table(&text);
        let fit = |scale| {
            let mut s = spec(&[], Impute::None, UnknownCategory::Error);
            s.scale = scale;
            s.clip = false;
            Preprocessor::fit(&t, &s, &names(&["a"]), &[0, 1, 2, 3, 4, 5]).unwrap()
        };
        // Robust: median 3.5, IQR (quartiles 2.25 and 4.75) / 1.349 — the 1000 does not
        // squeeze the rest as σ ≈ 371 would.
        let p = fit(InputScale::Robust);
        p.check().unwrap();
        let x = p.transform(&t, None).unwrap().x;
        assert_abs_diff_eq!(x[[0, 0]], (1.0 - 3.5) / (2.5 / 1.349), epsilon = 1e-12);
        // Quantile: the six values are evenly spread over [−√3, √3] whatever their scale.
        let p = fit(InputScale::Quantile);
        p.check().unwrap();
        let x = p.transform(&t, None).unwrap().x;
        let r3 = 3f64.sqrt();
        assert_abs_diff_eq!(x[[0, 0]], -r3, epsilon = 1e-12);
        assert_abs_diff_eq!(x[[5, 0]], r3, epsilon = 1e-12);
        assert!(x.column(0).windows(2).into_iter().all(|w| w[0] < w[1]));
        assert_abs_diff_eq!(ecdf(&[0.0, 1.0, 1.0, 1.0, 2.0], 1.0), 0.5, epsilon = 1e-12);
        assert_abs_diff_eq!(ecdf(&[0.0, 2.0, 4.0], 3.0), 0.75, epsilon = 1e-12);
        assert_eq!(ecdf(&[0.0, 2.0], -1.0), 0.0);
        assert_eq!(ecdf(&[0.0, 2.0], 9.0), 1.0);
        // Standard stays (x − μ)/σ and is not written to the model file.
        let p = fit(InputScale::Standard);
        assert!(!serde_json::to_string(&p).unwrap().contains("scaling"));
    }

    #[test]
    fn dates_are_recognised() {
        for d in [
            "2011-01-03",
            "3/4/2020",
            "12:30",
            "2011-01-03T10:00:00",
            "1.2.2020",
        ] {
            assert!(looks_like_date(d), "{d}");
        }
        for d in ["mar", "1.5", "-3", "1e5", "GT3", "a-b-c"] {
            assert!(!looks_like_date(d), "{d}");
        }
    }

    #[test]
    fn fit_and_transform_numeric_and_categorical_with_imputation() {
        let t = table("a,c,y\n1,x,0\n3,y,1\n?,x,2\n100,z,3\n");
        let p = Preprocessor::fit(
            &t,
            &spec(&[], Impute::Median, UnknownCategory::Error),
            &names(&["a", "c"]),
            &[0, 1, 2],
        )
        .unwrap();
        assert_eq!(p.feature_names(), vec!["a", "c=x", "c=y", "c=z"]);
        // Training values of a: 1, 3 and the median 2 for the missing one.
        let ColumnKind::Numeric { mean, fill, .. } = p.columns[0].kind else {
            panic!()
        };
        assert_eq!((mean, fill), (2.0, Some(2.0)));
        let out = p.transform(&t, None).unwrap();
        assert_eq!(out.x.row(2).to_vec()[1..], [1.0, 0.0, 0.0]);
        assert_eq!(out.x[[2, 0]], 0.0);
        // 100 is far outside [1, 3].
        assert_eq!(out.num_out_of_range(), 1);
        assert!(out.out_of_range[3]
            .as_deref()
            .unwrap()
            .contains("`a` = 100"));
    }

    #[test]
    fn missing_without_imputation_names_line_and_column() {
        let t = table("a,y\n1,0\n?,1\n");
        let p = Preprocessor::fit(
            &t,
            &spec(&[], Impute::None, UnknownCategory::Error),
            &names(&["a"]),
            &[0],
        )
        .unwrap();
        let e = p.transform(&t, None).unwrap_err().to_string();
        assert!(
            e.contains("t.csv:3") && e.contains("`a`") && e.contains("--impute"),
            "{e}"
        );
    }

    #[test]
    fn refuses_dates_free_text_and_stray_text() {
        let t = table("d,y\n2020-01-01,1\n2020-01-02,2\n");
        let e = Preprocessor::fit(
            &t,
            &spec(&[], Impute::None, UnknownCategory::Error),
            &names(&["d"]),
            &[0, 1],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("dates"), "{e}");
        let mut text = String::from("a,y\n");
        for i in 0..120 {
            text += &format!("name{i},{i}\n");
        }
        let e = Preprocessor::fit(
            &table(&text),
            &spec(&[], Impute::None, UnknownCategory::Error),
            &names(&["a"]),
            &[0, 1],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("free text") && e.contains("--exclude a"), "{e}");
        let mut text = String::from("a,y\n");
        for i in 0..30 {
            text += &format!("{i},{i}\n");
        }
        text += "oops,3\n";
        let e = Preprocessor::fit(
            &table(&text),
            &spec(&[], Impute::None, UnknownCategory::Error),
            &names(&["a"]),
            &[0, 1],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("t.csv:32") && e.contains("`oops`"), "{e}");
    }

    #[test]
    fn unknown_category_errors_or_is_flagged() {
        let train = table("c,y\nx,0\ny,1\n");
        let mut p = Preprocessor::fit(
            &train,
            &spec(&[], Impute::None, UnknownCategory::Error),
            &names(&["c"]),
            &[0, 1],
        )
        .unwrap();
        let new = table("y,c,extra\n5,w,1\n");
        let e = p.transform(&new, None).unwrap_err().to_string();
        assert!(
            e.contains("t.csv:2") && e.contains("`w`") && e.contains("`c`"),
            "{e}"
        );
        p.unknown_category = UnknownCategory::Ignore;
        let out = p.transform(&new, None).unwrap();
        assert_eq!(out.x.row(0).to_vec(), vec![0.0, 0.0]);
        assert_eq!(out.num_out_of_range(), 1);
    }

    #[test]
    fn check_refuses_unsorted_categories_and_bad_statistics() {
        let t = table("a,c,y\n1,x,0\n3,y,1\n");
        let mut p = Preprocessor::fit(
            &t,
            &spec(&[], Impute::None, UnknownCategory::Error),
            &names(&["a", "c"]),
            &[0, 1],
        )
        .unwrap();
        p.check().unwrap();
        if let ColumnKind::Categorical { categories, .. } = &mut p.columns[1].kind {
            categories.reverse();
        }
        assert!(p.check().unwrap_err().to_string().contains("sorted"));
        if let ColumnKind::Categorical { categories, .. } = &mut p.columns[1].kind {
            categories.reverse();
        }
        if let ColumnKind::Numeric { std, .. } = &mut p.columns[0].kind {
            *std = 0.0;
        }
        assert!(p.check().unwrap_err().to_string().contains("std > 0"));
    }

    #[test]
    fn serde_round_trip() {
        let t = table("a,c,y\n1,x,0\n3,y,1\n");
        let p = Preprocessor::fit(
            &t,
            &spec(&["a"], Impute::Mode, UnknownCategory::Ignore),
            &names(&["c", "a"]),
            &[0, 1],
        )
        .unwrap();
        let json = serde_json::to_string(&p).unwrap();
        let back: Preprocessor = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert_eq!(p.feature_names(), vec!["c=x", "c=y", "a=1", "a=3"]);
    }
}
