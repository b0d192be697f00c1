//! The crate's one error type.

use std::path::PathBuf;

/// What can go wrong fitting, saving or applying gradient-boosted trees. Library code returns
/// these instead of panicking on user input.
#[derive(Debug, thiserror::Error)]
pub enum GbdtError {
    /// A hyper-parameter or configuration field is out of its valid range.
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// The field (`gbdt.max_depth`, `method`, …).
        field: &'static str,
        /// Why, and what is allowed.
        reason: String,
    },
    /// The data cannot be used as asked (an empty validation part, …).
    #[error("{0}")]
    Data(String),
    /// The boosting engine refused (its message).
    #[error("gradient boosting: {0}")]
    Engine(String),
    /// A model file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// From the method layer or the run folder (weights, metrics files).
    #[error(transparent)]
    Train(#[from] srl_train::TrainError),
    /// From the data layer (preprocessing, metrics).
    #[error(transparent)]
    Table(#[from] srl_data::DataError),
}

impl From<hessboost::error::HessboostError> for GbdtError {
    fn from(e: hessboost::error::HessboostError) -> Self {
        GbdtError::Engine(e.to_string())
    }
}

impl From<GbdtError> for srl_train::TrainError {
    /// For callers that report every model's errors as the method layer's (`srl compare`).
    fn from(e: GbdtError) -> Self {
        match e {
            GbdtError::Train(t) => t,
            GbdtError::Table(d) => srl_train::TrainError::from(d),
            other => srl_train::TrainError::InvalidState {
                reason: other.to_string(),
            },
        }
    }
}
