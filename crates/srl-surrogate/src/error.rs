//! Typed errors of the surrogate.

/// Errors raised when the surrogate is built with invalid hyper-parameters or fed bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurrogateError {
    /// A hyper-parameter outside its valid range (K < 2, d = 0, α ∉ [0, 1)).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Field name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Arrays whose sizes must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which argument or dimension.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Given size.
        got: usize,
    },
    /// A bin index ≥ K.
    #[error("bin index {bin} at sample {index} is out of range (K = {num_bins})")]
    BinOutOfRange {
        /// Sample position in the batch.
        index: usize,
        /// The offending bin.
        bin: usize,
        /// Number of bins.
        num_bins: usize,
    },
    /// NaN or infinity in an input.
    #[error("{what} contains a non-finite value at flat index {index}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Flat index (row-major) of the first offending value.
        index: usize,
    },
    /// A saved state (e.g. a resumed run's) that cannot have come from training.
    #[error("invalid saved surrogate state: {reason}")]
    InvalidState {
        /// What is wrong.
        reason: String,
    },
}
