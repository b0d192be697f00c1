//! Learning-rate schedules (PyTorch `StepLR` / `CosineAnnealingLR` closed forms) with optional
//! linear warm-up.

use crate::TrainError;
use serde::{Deserialize, Serialize};

/// How the learning rate decays after warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrDecay {
    /// `lr = base_lr`.
    Constant,
    /// `StepLR`: `lr = base_lr · γ^⌊t / step_size⌋`.
    Step {
        /// Steps between decays (≥ 1).
        step_size: usize,
        /// Multiplicative factor (> 0).
        gamma: f64,
    },
    /// `CosineAnnealingLR`: `lr = min_lr + (base_lr − min_lr)(1 + cos(π t / T))/2` for
    /// `t ≤ T`, and `min_lr` after `T` (PyTorch's formula would rise again; we hold the floor).
    Cosine {
        /// Length `T` of the annealing (≥ 1), in steps after warm-up.
        total_steps: usize,
        /// Final learning rate `η_min` (0 ≤ min_lr ≤ base_lr).
        #[serde(default)]
        min_lr: f64,
    },
}

/// A learning-rate schedule: optional linear warm-up followed by a [`LrDecay`].
///
/// During warm-up (`step < warmup_steps`) the rate ramps linearly,
/// `lr = base_lr · (step + 1) / warmup_steps`, so the last warm-up step uses `base_lr`. The
/// decay's clock starts after warm-up: the decay is evaluated at `t = step − warmup_steps`.
/// "Step" is whatever unit the trainer counts (optimiser steps or epochs).
///
/// ```
/// use srl_train::{LrDecay, LrSchedule};
/// let s = LrSchedule::new(LrDecay::Cosine { total_steps: 100, min_lr: 0.0 });
/// assert_eq!(s.lr_at(0.1, 0), 0.1);
/// assert!((s.lr_at(0.1, 50) - 0.05).abs() < 1e-12);
/// assert!(s.lr_at(0.1, 100).abs() < 1e-12);
/// let w = LrSchedule::constant().with_warmup(4);
/// assert_eq!(w.lr_at(1.0, 0), 0.25);
/// assert_eq!(w.lr_at(1.0, 3), 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// Decay after warm-up.
    pub decay: LrDecay,
    /// Number of linear warm-up steps (0: none).
    #[serde(default)]
    pub warmup_steps: usize,
}

impl Default for LrSchedule {
    fn default() -> Self {
        Self::constant()
    }
}

impl LrSchedule {
    /// A schedule with the given decay and no warm-up.
    pub fn new(decay: LrDecay) -> Self {
        Self {
            decay,
            warmup_steps: 0,
        }
    }

    /// A constant learning rate.
    pub fn constant() -> Self {
        Self::new(LrDecay::Constant)
    }

    /// Adds `steps` of linear warm-up.
    pub fn with_warmup(mut self, steps: usize) -> Self {
        self.warmup_steps = steps;
        self
    }

    /// Checks the decay's parameters against the base learning rate.
    pub fn validate(&self, base_lr: f64) -> Result<(), TrainError> {
        if !(base_lr.is_finite() && base_lr >= 0.0) {
            return Err(TrainError::InvalidConfig {
                field: "lr",
                reason: format!("base learning rate {base_lr} must be finite and ≥ 0"),
            });
        }
        match self.decay {
            LrDecay::Constant => Ok(()),
            LrDecay::Step { step_size, gamma } => {
                if step_size == 0 {
                    Err(TrainError::InvalidConfig {
                        field: "step_size",
                        reason: "must be at least 1".into(),
                    })
                } else if !(gamma.is_finite() && gamma > 0.0) {
                    Err(TrainError::InvalidConfig {
                        field: "gamma",
                        reason: format!("must be finite and > 0, got {gamma}"),
                    })
                } else {
                    Ok(())
                }
            }
            LrDecay::Cosine {
                total_steps,
                min_lr,
            } => {
                if total_steps == 0 {
                    Err(TrainError::InvalidConfig {
                        field: "total_steps",
                        reason: "must be at least 1".into(),
                    })
                } else if !(min_lr.is_finite() && (0.0..=base_lr).contains(&min_lr)) {
                    Err(TrainError::InvalidConfig {
                        field: "min_lr",
                        reason: format!("must lie in [0, base_lr = {base_lr}], got {min_lr}"),
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The learning rate at (0-based) `step` for base rate `base_lr`.
    pub fn lr_at(&self, base_lr: f64, step: usize) -> f64 {
        if step < self.warmup_steps {
            return base_lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let t = step - self.warmup_steps;
        match self.decay {
            LrDecay::Constant => base_lr,
            LrDecay::Step { step_size, gamma } => {
                let exponent = t / step_size.max(1);
                base_lr * gamma.powi(i32::try_from(exponent).unwrap_or(i32::MAX))
            }
            LrDecay::Cosine {
                total_steps,
                min_lr,
            } => {
                let progress = t.min(total_steps) as f64 / total_steps.max(1) as f64;
                min_lr + (base_lr - min_lr) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
            }
        }
    }
}
