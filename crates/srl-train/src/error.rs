//! Typed errors for the training crate.

/// Everything that can go wrong while building or training a model.
///
/// Library code in this crate returns these instead of panicking on user input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A hyper-parameter or configuration field is out of its valid range.
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// Name of the offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Two arrays that must agree in a dimension do not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which argument or dimension.
        what: &'static str,
        /// The expected size.
        expected: usize,
        /// The size that was passed.
        got: usize,
    },
    /// A prediction input that is not a finite number the network can take (NaN, ±inf, or
    /// beyond the f32 range the network computes in, after standardisation).
    #[error("input row {row}, column {column}: {value} is not a finite number the model can take")]
    NonFiniteInput {
        /// 0-based row of the input matrix.
        row: usize,
        /// 0-based input column.
        column: usize,
        /// The value (standardised, as the network sees it).
        value: f64,
    },
    /// A prediction came out non-finite (the input lies so far outside the training range
    /// that the network overflowed).
    #[error(
        "the prediction of input row {row} is not finite: the row lies far outside the training \
         range"
    )]
    NonFinitePrediction {
        /// 0-based row of the input matrix.
        row: usize,
    },
    /// The run's memory estimate is above the limit ([`crate::memory`]); checked before
    /// anything is allocated.
    #[error("{reason}")]
    MemoryLimit {
        /// The estimate, its parts, the limit and what to change.
        reason: String,
    },
    /// An input that must be non-empty is empty.
    #[error("{what} is empty")]
    Empty {
        /// Which input.
        what: &'static str,
    },
    /// A serialised model or optimiser state is inconsistent.
    #[error("invalid checkpoint state: {reason}")]
    InvalidState {
        /// What is inconsistent.
        reason: String,
    },
    /// Training produced a non-finite (or exploding) value.
    #[error("training diverged at epoch {epoch}, step {step}: {term} = {value}")]
    Diverged {
        /// Epoch in which the value appeared.
        epoch: usize,
        /// Global optimisation step at which the value appeared.
        step: usize,
        /// Which quantity diverged (e.g. `"loss_reg"`, `"grad_norm"`).
        term: String,
        /// The offending value.
        value: f64,
    },
    /// A file could not be read or written.
    #[error("I/O error on {path}: {reason}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        reason: String,
    },
    /// Loading, splitting or scoring the data failed (the message names file and line).
    #[error("{0}")]
    Data(String),
    /// The output folder already holds a run (refused so results are never overwritten by
    /// accident).
    #[error(
        "{dir} already holds a run ({file}); choose another --out, or pass --force to replace it"
    )]
    OutputExists {
        /// The folder.
        dir: std::path::PathBuf,
        /// The run file found there.
        file: String,
    },
    /// The run was stopped (e.g. Ctrl-C) after `epoch` epochs; its resume state and best model
    /// so far are in `dir`.
    #[error("{}", interrupted_message(*epoch, dir.as_deref()))]
    Interrupted {
        /// Epochs completed.
        epoch: usize,
        /// The run folder holding `resume.json` (none for a run without a folder).
        dir: Option<std::path::PathBuf>,
    },
    /// A method component (e.g. RankSim) rejected its input.
    #[error("{component}: {reason}")]
    Component {
        /// The component (`ranksim`, `conr`, …).
        component: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A loss rejected its input or configuration.
    #[error(transparent)]
    Loss(#[from] srl_losses::LossError),
    /// The surrogate table rejected its input or configuration.
    #[error(transparent)]
    Surrogate(#[from] srl_surrogate::SurrogateError),
    /// A geometry routine rejected its input.
    #[error(transparent)]
    Geometry(#[from] srl_geometry::GeometryError),
}

impl From<srl_data::DataError> for TrainError {
    fn from(e: srl_data::DataError) -> Self {
        TrainError::Data(e.to_string())
    }
}

/// Returns [`TrainError::Diverged`] if `value` is NaN or infinite.
///
/// ```
/// use srl_train::{check_finite, TrainError};
/// assert!(check_finite(0, 0, "loss", 1.5).is_ok());
/// assert!(matches!(
///     check_finite(2, 17, "loss", f64::NAN),
///     Err(TrainError::Diverged { epoch: 2, step: 17, .. })
/// ));
/// ```
pub fn check_finite(epoch: usize, step: usize, term: &str, value: f64) -> Result<(), TrainError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(TrainError::Diverged {
            epoch,
            step,
            term: term.to_string(),
            value,
        })
    }
}

fn interrupted_message(epoch: usize, dir: Option<&std::path::Path>) -> String {
    match dir {
        Some(d) => format!(
            "interrupted after epoch {epoch}; the best model so far and the resume state are in \
             {}; continue with `srl train --resume {}`",
            d.display(),
            d.display()
        ),
        None => format!("interrupted after epoch {epoch}"),
    }
}
