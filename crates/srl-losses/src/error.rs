//! Typed errors for loss construction and evaluation.

/// Errors raised when a loss is built with invalid hyper-parameters or fed bad input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossError {
    /// A hyper-parameter outside its valid range (e.g. τ ≤ 0, α ∉ [0,1), K < 2).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the field.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Arrays whose shapes must agree do not.
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
        /// Flat index of the first offending value.
        index: usize,
    },
    /// An input that must be non-empty is empty.
    #[error("{what} is empty")]
    Empty {
        /// Which input.
        what: &'static str,
    },
    /// Inputs on which an estimate is undefined (e.g. DenseWeight's density of fewer than two
    /// targets, or of targets that are all equal).
    #[error("{what}: {reason}")]
    Degenerate {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An error from the surrogate table.
    #[error(transparent)]
    Surrogate(#[from] srl_surrogate::SurrogateError),
    /// An error from a geometry routine.
    #[error(transparent)]
    Geometry(#[from] srl_geometry::GeometryError),
}

/// Checks `v` finite and > 0; the error names the field.
pub(crate) fn positive(name: &'static str, v: f64) -> Result<(), LossError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(LossError::InvalidParameter {
            name,
            reason: format!("must be finite and > 0, got {v}"),
        })
    }
}
