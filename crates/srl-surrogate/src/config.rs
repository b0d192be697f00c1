//! Hyper-parameters of the surrogate memory.

use crate::SurrogateError;
use serde::{Deserialize, Serialize};

/// How the per-epoch bin means Ŝ_k that feed the memory update are gathered.
///
/// The [`Surrogate`](crate::Surrogate) itself treats both the same way (it averages whatever is
/// passed to [`accumulate`](crate::Surrogate::accumulate) between two
/// [`end_epoch`](crate::Surrogate::end_epoch) calls); the variant tells the training loop
/// which features to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MemoryUpdate {
    /// Accumulate the normalised features of every training batch as it is processed (cheap:
    /// no extra pass; features come from a moving encoder).
    #[default]
    Streaming,
    /// Accumulate the features of an extra no-grad pass over the whole training set after the
    /// epoch (the authors' code).
    Exact,
}

/// Hyper-parameters of the surrogate memory: the one home of α, the update mode and the
/// warm-up (the SRL method's parameters embed this struct rather than repeating its fields).
///
/// ```
/// use srl_surrogate::{MemoryParams, MemoryUpdate};
/// let p = MemoryParams::default(); // the paper: α = 0.9, streaming, one warm-up epoch
/// assert_eq!((p.momentum, p.update, p.warmup_epochs), (0.9, MemoryUpdate::Streaming, 1));
/// assert!(p.check().is_ok());
/// let bad = MemoryParams { momentum: 1.0, ..p };
/// assert!(bad.check().unwrap_err().to_string().contains("momentum"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryParams {
    /// Momentum α of the memory update S ← α·S + (1−α)·Ŝ (paper Eq. 9), 0 ≤ α < 1.
    pub momentum: f64,
    /// Where the epoch means Ŝ come from.
    pub update: MemoryUpdate,
    /// Number of initial epochs trained with the regression loss only (paper: 1, authors'
    /// code: 0). See [`Surrogate::is_active`](crate::Surrogate::is_active).
    pub warmup_epochs: usize,
}

impl Default for MemoryParams {
    /// The paper's settings: α = 0.9, streaming means, one warm-up epoch.
    fn default() -> Self {
        Self {
            momentum: 0.9,
            update: MemoryUpdate::Streaming,
            warmup_epochs: 1,
        }
    }
}

impl MemoryParams {
    /// The authors' code: α = 0.9, exact means from a no-grad pass, no warm-up.
    pub fn authors_code() -> Self {
        Self {
            update: MemoryUpdate::Exact,
            warmup_epochs: 0,
            ..Self::default()
        }
    }

    /// Checks α ∈ [0, 1); the error names `momentum`. The [`ValidMemoryParams`] it returns
    /// is what [`Surrogate::from_valid`](crate::Surrogate::from_valid) builds from without
    /// checking again.
    pub fn check(&self) -> Result<ValidMemoryParams, SurrogateError> {
        if !(self.momentum.is_finite() && (0.0..1.0).contains(&self.momentum)) {
            return Err(SurrogateError::InvalidParameter {
                name: "momentum",
                reason: format!("must satisfy 0 ≤ α < 1, got {}", self.momentum),
            });
        }
        Ok(ValidMemoryParams(*self))
    }
}

/// [`MemoryParams`] that passed [`MemoryParams::check`] (only it makes one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidMemoryParams(MemoryParams);

impl ValidMemoryParams {
    /// The checked parameters.
    pub fn params(&self) -> &MemoryParams {
        &self.0
    }
}

/// Shape (K bins × d dimensions) and hyper-parameters of a [`Surrogate`](crate::Surrogate).
///
/// ```
/// use srl_surrogate::{MemoryUpdate, SurrogateConfig};
/// let c = SurrogateConfig::new(10, 128);
/// assert_eq!((c.memory.momentum, c.memory.update, c.memory.warmup_epochs), (0.9, MemoryUpdate::Streaming, 1));
/// assert!(c.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurrogateConfig {
    /// Number of label bins K (≥ 2).
    pub num_bins: usize,
    /// Representation dimension d (≥ 1).
    pub dim: usize,
    /// α, update mode and warm-up.
    pub memory: MemoryParams,
}

impl SurrogateConfig {
    /// K × d with the paper's memory settings ([`MemoryParams::default`]).
    pub fn new(num_bins: usize, dim: usize) -> Self {
        Self::with_params(num_bins, dim, MemoryParams::default())
    }

    /// K × d with the given memory settings.
    pub fn with_params(num_bins: usize, dim: usize, memory: MemoryParams) -> Self {
        Self {
            num_bins,
            dim,
            memory,
        }
    }

    /// K × d with the authors' code settings ([`MemoryParams::authors_code`]).
    pub fn authors_code(num_bins: usize, dim: usize) -> Self {
        Self::with_params(num_bins, dim, MemoryParams::authors_code())
    }

    /// Checks K ≥ 2, d ≥ 1 and α ∈ [0, 1); the error names the offending field.
    pub fn validate(&self) -> Result<(), SurrogateError> {
        self.check_shape()?;
        self.memory.check()?;
        Ok(())
    }

    /// Checks K ≥ 2 and d ≥ 1.
    pub(crate) fn check_shape(&self) -> Result<(), SurrogateError> {
        if self.num_bins < 2 {
            return Err(SurrogateError::InvalidParameter {
                name: "num_bins",
                reason: format!("need at least 2 bins, got {}", self.num_bins),
            });
        }
        if self.dim == 0 {
            return Err(SurrogateError::InvalidParameter {
                name: "dim",
                reason: "the representation dimension must be at least 1".into(),
            });
        }
        Ok(())
    }
}
