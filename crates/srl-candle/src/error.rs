//! The crate's error type.

use candle_core::DType;

/// Errors of the candle adapter: bad tensors (dtype, shape), the losses' own checks
/// ([`srl_losses::LossError`], [`srl_surrogate::SurrogateError`]) and candle's.
///
/// It converts into [`candle_core::Error`], so `?` works inside a function returning
/// `candle_core::Result`.
#[derive(Debug, thiserror::Error)]
pub enum SrlCandleError {
    /// A tensor of a dtype the losses do not compute in (they take f32 and f64).
    #[error("{what} must be f32 or f64, got {dtype:?}")]
    UnsupportedDType {
        /// Which argument.
        what: &'static str,
        /// Its dtype.
        dtype: DType,
    },
    /// A tensor of the wrong shape.
    #[error("{what} has shape {got:?}, expected {expected}")]
    Shape {
        /// Which argument.
        what: &'static str,
        /// What was expected, in words (e.g. `M × d`).
        expected: String,
        /// The shape it has.
        got: Vec<usize>,
    },
    /// A saved memory state that cannot be restored (missing tensor, wrong dtype or shape).
    #[error("memory state: {reason}")]
    State {
        /// What is wrong.
        reason: String,
    },
    /// A loss refused its input or parameters.
    #[error(transparent)]
    Loss(#[from] srl_losses::LossError),
    /// The surrogate memory refused an update or a state.
    #[error(transparent)]
    Surrogate(#[from] srl_surrogate::SurrogateError),
    /// A candle operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl From<SrlCandleError> for candle_core::Error {
    fn from(e: SrlCandleError) -> Self {
        match e {
            SrlCandleError::Candle(c) => c,
            other => candle_core::Error::wrap(other),
        }
    }
}

/// This crate's result type.
pub type Result<T, E = SrlCandleError> = std::result::Result<T, E>;
