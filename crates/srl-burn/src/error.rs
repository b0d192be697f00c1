//! Typed errors of the burn adapter.

use srl_losses::LossError;
use srl_surrogate::SurrogateError;

/// Errors raised by the burn losses: bad input (shapes, values, bins), a bad configuration, or
/// a record that does not fit the loss it is loaded into.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SrlBurnError {
    /// An error of the loss itself (shapes, bins, non-finite values, parameters).
    #[error(transparent)]
    Loss(#[from] LossError),
    /// An error of the surrogate memory.
    #[error(transparent)]
    Surrogate(#[from] SurrogateError),
    /// A tensor could not be read back to the host as the loss's float type.
    #[error("cannot read `{what}` back to the host: {reason}")]
    Data {
        /// Which input.
        what: &'static str,
        /// What burn reported.
        reason: String,
    },
    /// Inputs whose lengths must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which input.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Given size.
        got: usize,
    },
    /// A loaded record does not fit this loss (its configuration or state differs).
    #[error("the loaded record does not fit this loss: {reason}")]
    Record {
        /// What differs.
        reason: String,
    },
}
