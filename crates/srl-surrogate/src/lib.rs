//! The SRL surrogate (scaffold: to be replaced by the core helper).

/// Errors of the surrogate table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurrogateError {
    /// Placeholder variant until the surrogate lands.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Field name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
}
