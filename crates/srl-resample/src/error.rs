//! Typed errors of the resamplers: every refusal of user data or parameters is one of these,
//! never a panic.

/// Why a resampling could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResampleError {
    /// A parameter outside its valid range.
    #[error("invalid {name}: {reason}")]
    InvalidParam {
        /// The parameter (`threshold`, `k`, `pert`, ...).
        name: &'static str,
        /// What is wrong, and what is allowed.
        reason: String,
    },
    /// Two inputs that must have one entry per row do not.
    #[error("length mismatch: {what} has {got} entries, the feature matrix has {expected} rows")]
    LengthMismatch {
        /// Which input (`targets`, `relevance`).
        what: &'static str,
        /// Number of rows of the feature matrix.
        expected: usize,
        /// Number of entries given.
        got: usize,
    },
    /// A NaN or infinite value in the inputs (impute missing values before resampling).
    #[error(
        "{what} has a non-finite value ({value}) at row {row}{col}; impute missing values \
         before resampling",
        col = col.map(|c| format!(", column {c}")).unwrap_or_default()
    )]
    NotFinite {
        /// Which input (`features`, `targets`, `relevance`).
        what: &'static str,
        /// 0-based row.
        row: usize,
        /// 0-based column (features only).
        col: Option<usize>,
        /// The value found.
        value: f64,
    },
    /// A relevance value outside [0, 1].
    #[error("relevance at row {row} is {value}, outside [0, 1]")]
    RelevanceOutOfRange {
        /// 0-based row.
        row: usize,
        /// The value found.
        value: f64,
    },
    /// No training rows at all, or no feature columns.
    #[error("nothing to resample: the feature matrix is {rows} × {cols}")]
    Empty {
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// No row is rare, so there is nothing to over-sample or balance against.
    #[error("no rows with relevance ≥ {threshold}; lower --threshold or give control points")]
    NoRare {
        /// The relevance threshold t.
        threshold: f64,
    },
    /// Fewer rare rows than a seed and its k neighbours need.
    #[error(
        "k = {k} nearest neighbours need at least {need} rare rows, there are {rare}; lower k \
         or the threshold",
        need = k + 1
    )]
    TooFewRare {
        /// The number of neighbours asked for.
        k: usize,
        /// The number of rare rows.
        rare: usize,
    },
    /// A column layout that does not fit the feature matrix.
    #[error("invalid column layout: {reason}")]
    Layout {
        /// What is wrong.
        reason: String,
    },
    /// A row whose nominal group is not a one-hot code (0/1 values, at most one 1).
    #[error(
        "row {row}: columns {start}..{end} form a nominal group but are not a one-hot code \
         (0/1 values, at most one 1)"
    )]
    NotOneHot {
        /// 0-based row.
        row: usize,
        /// First column of the group.
        start: usize,
        /// One past the last column of the group.
        end: usize,
    },
}

impl ResampleError {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        ResampleError::InvalidParam {
            name,
            reason: reason.into(),
        }
    }
}
