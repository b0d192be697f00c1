//! First-order optimisers with PyTorch's exact update rules, and global-norm gradient clipping.
//!
//! Optimisers work on one flat parameter slice and the aligned flat gradient slice (see
//! [`Mlp::flat_parameters_mut`](crate::Mlp::flat_parameters_mut)); both AdamW and SGD are
//! element-wise, so a flat state is equivalent to PyTorch's per-tensor state.

use crate::TrainError;
use serde::{Deserialize, Serialize};
use srl_geometry::Float;

fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}
fn default_adamw_weight_decay() -> f64 {
    0.01
}

/// Optimiser hyper-parameters (`serde`: `{"kind": "adam_w", "lr": 1e-3, ...}`; omitted fields
/// take PyTorch's defaults).
///
/// ```
/// use srl_train::OptimizerConfig;
/// let cfg: OptimizerConfig = serde_json::from_str(r#"{"kind":"adam_w","lr":0.001}"#).unwrap();
/// assert_eq!(cfg, OptimizerConfig::adamw(1e-3));
/// assert!(OptimizerConfig::adamw(-1.0).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// `torch.optim.AdamW` (Loshchilov & Hutter): decoupled weight decay `p ← p − lr·wd·p`, then
    /// the bias-corrected Adam step.
    AdamW {
        /// Base learning rate.
        lr: f64,
        /// First-moment decay β₁ (default 0.9).
        #[serde(default = "default_beta1")]
        beta1: f64,
        /// Second-moment decay β₂ (default 0.999).
        #[serde(default = "default_beta2")]
        beta2: f64,
        /// Denominator guard ε (default 1e-8).
        #[serde(default = "default_eps")]
        eps: f64,
        /// Decoupled weight decay (default 0.01).
        #[serde(default = "default_adamw_weight_decay")]
        weight_decay: f64,
    },
    /// `torch.optim.SGD` with momentum (dampening 0) and L2 weight decay added to the gradient.
    Sgd {
        /// Base learning rate.
        lr: f64,
        /// Momentum μ (default 0: plain SGD).
        #[serde(default)]
        momentum: f64,
        /// L2 penalty added to the gradient: `g ← g + wd·p` (default 0).
        #[serde(default)]
        weight_decay: f64,
        /// Nesterov momentum (requires `momentum > 0`).
        #[serde(default)]
        nesterov: bool,
    },
}

impl OptimizerConfig {
    /// AdamW with PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8, weight decay 0.01).
    pub fn adamw(lr: f64) -> Self {
        Self::AdamW {
            lr,
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: default_adamw_weight_decay(),
        }
    }

    /// Plain SGD (no momentum, no weight decay).
    pub fn sgd(lr: f64) -> Self {
        Self::Sgd {
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }

    /// The base learning rate (what a schedule scales).
    pub fn lr(&self) -> f64 {
        match *self {
            Self::AdamW { lr, .. } | Self::Sgd { lr, .. } => lr,
        }
    }

    /// Validates once ([`validate`](Self::validate)); the [`ValidOptimizerConfig`] it returns
    /// builds optimisers without checking again ([`Optimizer::from_valid`]).
    pub fn check(&self) -> Result<ValidOptimizerConfig, TrainError> {
        self.validate()?;
        Ok(ValidOptimizerConfig(*self))
    }

    /// Checks every hyper-parameter's range (the same checks `torch.optim` performs).
    pub fn validate(&self) -> Result<(), TrainError> {
        fn check(ok: bool, field: &'static str, reason: &str) -> Result<(), TrainError> {
            if ok {
                Ok(())
            } else {
                Err(TrainError::InvalidConfig {
                    field,
                    reason: reason.into(),
                })
            }
        }
        match *self {
            Self::AdamW {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
            } => {
                check(lr.is_finite() && lr >= 0.0, "lr", "must be finite and ≥ 0")?;
                check((0.0..1.0).contains(&beta1), "beta1", "must lie in [0, 1)")?;
                check((0.0..1.0).contains(&beta2), "beta2", "must lie in [0, 1)")?;
                check(
                    eps.is_finite() && eps > 0.0,
                    "eps",
                    "must be finite and > 0",
                )?;
                check(
                    weight_decay.is_finite() && weight_decay >= 0.0,
                    "weight_decay",
                    "must be finite and ≥ 0",
                )
            }
            Self::Sgd {
                lr,
                momentum,
                weight_decay,
                nesterov,
            } => {
                check(lr.is_finite() && lr >= 0.0, "lr", "must be finite and ≥ 0")?;
                check(
                    momentum.is_finite() && momentum >= 0.0,
                    "momentum",
                    "must be finite and ≥ 0",
                )?;
                check(
                    weight_decay.is_finite() && weight_decay >= 0.0,
                    "weight_decay",
                    "must be finite and ≥ 0",
                )?;
                check(
                    !nesterov || momentum > 0.0,
                    "nesterov",
                    "Nesterov momentum requires momentum > 0",
                )
            }
        }
    }
}

/// Per-parameter optimiser state (flat, aligned with the parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OptimizerState<F> {
    AdamW {
        /// First moment m.
        exp_avg: Vec<F>,
        /// Second moment v.
        exp_avg_sq: Vec<F>,
    },
    Sgd {
        /// Momentum buffer; empty until the first step (PyTorch initialises it to the first
        /// gradient).
        momentum_buffer: Vec<F>,
    },
}

/// An optimiser bound to a fixed number of parameters.
///
/// ```
/// use srl_train::{Optimizer, OptimizerConfig};
/// let mut opt = Optimizer::<f64>::new(OptimizerConfig::sgd(0.1), 2).unwrap();
/// let mut params = [1.0, -2.0];
/// opt.step(&mut params, &[0.5, 1.0], 0.1).unwrap();
/// assert_eq!(params, [0.95, -2.1]);
/// assert_eq!(opt.steps_taken(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "F: Serialize",
    deserialize = "F: serde::de::DeserializeOwned"
))]
pub struct Optimizer<F> {
    config: OptimizerConfig,
    num_params: usize,
    steps: u64,
    state: OptimizerState<F>,
}

/// An [`OptimizerConfig`] that passed [`OptimizerConfig::check`] (only it makes one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidOptimizerConfig(OptimizerConfig);

impl ValidOptimizerConfig {
    /// The checked configuration.
    pub fn config(&self) -> &OptimizerConfig {
        &self.0
    }
}

impl<F: Float> Optimizer<F> {
    /// Creates an optimiser for `num_params` scalars after validating `config`.
    pub fn new(config: OptimizerConfig, num_params: usize) -> Result<Self, TrainError> {
        Ok(Self::from_valid(config.check()?, num_params))
    }

    /// [`new`](Self::new) from a checked configuration (nothing checked again).
    pub fn from_valid(config: ValidOptimizerConfig, num_params: usize) -> Self {
        let config = config.0;
        let state = match config {
            OptimizerConfig::AdamW { .. } => OptimizerState::AdamW {
                exp_avg: vec![F::zero(); num_params],
                exp_avg_sq: vec![F::zero(); num_params],
            },
            OptimizerConfig::Sgd { .. } => OptimizerState::Sgd {
                momentum_buffer: Vec::new(),
            },
        };
        Self {
            config,
            num_params,
            steps: 0,
            state,
        }
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Number of completed [`step`](Self::step) calls.
    pub fn steps_taken(&self) -> u64 {
        self.steps
    }

    /// Checks a deserialised optimiser (a resumed run's) against the one the run would build:
    /// the same hyper-parameters and parameter count, state vectors of that length, finite
    /// state.
    pub fn check_resumable(&self, expected: &Self) -> Result<(), TrainError> {
        let bad = |reason: String| Err(TrainError::InvalidState { reason });
        if self.config != expected.config {
            return bad(format!(
                "optimiser settings {:?} differ from the run's {:?}",
                self.config, expected.config
            ));
        }
        if self.num_params != expected.num_params {
            return bad(format!(
                "optimiser holds {} parameters, the network has {}",
                self.num_params, expected.num_params
            ));
        }
        let n = self.num_params;
        let vectors: Vec<&Vec<F>> = match &self.state {
            OptimizerState::AdamW {
                exp_avg,
                exp_avg_sq,
            } => vec![exp_avg, exp_avg_sq],
            OptimizerState::Sgd { momentum_buffer } if momentum_buffer.is_empty() => vec![],
            OptimizerState::Sgd { momentum_buffer } => vec![momentum_buffer],
        };
        if std::mem::discriminant(&self.state) != std::mem::discriminant(&expected.state) {
            return bad("optimiser state does not match its configuration".into());
        }
        for v in vectors {
            if v.len() != n {
                return bad(format!(
                    "optimiser state of length {} for {n} parameters",
                    v.len()
                ));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return bad("optimiser state holds a non-finite value".into());
            }
        }
        Ok(())
    }

    /// One update of `params` from `grads` with learning rate `lr` (the scheduled rate; the
    /// configured `lr` is only the base).
    ///
    /// AdamW (t = step count after increment):
    /// `p ← p(1 − lr·wd)`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)g²`;
    /// `p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)`.
    ///
    /// SGD: `d = g + wd·p`; with momentum `b ← μb + d` (`b = d` on the first step), then
    /// `d = b` or, Nesterov, `d ← d + μb`; `p ← p − lr·d`.
    pub fn step(&mut self, params: &mut [F], grads: &[F], lr: F) -> Result<(), TrainError> {
        if params.len() != self.num_params {
            return Err(TrainError::ShapeMismatch {
                what: "optimiser parameter count",
                expected: self.num_params,
                got: params.len(),
            });
        }
        if grads.len() != self.num_params {
            return Err(TrainError::ShapeMismatch {
                what: "optimiser gradient count",
                expected: self.num_params,
                got: grads.len(),
            });
        }
        if !lr.is_finite() || lr < F::zero() {
            return Err(TrainError::InvalidConfig {
                field: "lr",
                reason: format!("scheduled learning rate {lr:?} must be finite and ≥ 0"),
            });
        }
        self.steps += 1;
        match (&self.config, &mut self.state) {
            (
                &OptimizerConfig::AdamW {
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    ..
                },
                OptimizerState::AdamW {
                    exp_avg,
                    exp_avg_sq,
                },
            ) => {
                let t = i32::try_from(self.steps).unwrap_or(i32::MAX);
                let bias_correction1 = 1.0 - beta1.powi(t);
                let bias_correction2_sqrt = (1.0 - beta2.powi(t)).sqrt();
                let decay = F::one() - lr * F::cst(weight_decay);
                let step_size = lr / F::cst(bias_correction1);
                let (b1, b2) = (F::cst(beta1), F::cst(beta2));
                let (one_m_b1, one_m_b2) = (F::cst(1.0 - beta1), F::cst(1.0 - beta2));
                let (bc2_sqrt, eps) = (F::cst(bias_correction2_sqrt), F::cst(eps));
                for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(exp_avg).zip(exp_avg_sq) {
                    *p *= decay;
                    *m = b1 * *m + one_m_b1 * g;
                    *v = b2 * *v + one_m_b2 * g * g;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    *p -= step_size * *m / denom;
                }
            }
            (
                &OptimizerConfig::Sgd {
                    momentum,
                    weight_decay,
                    nesterov,
                    ..
                },
                OptimizerState::Sgd { momentum_buffer },
            ) => {
                let (mu, wd) = (F::cst(momentum), F::cst(weight_decay));
                if momentum == 0.0 {
                    for (p, &g) in params.iter_mut().zip(grads) {
                        *p = *p - lr * (g + wd * *p);
                    }
                } else {
                    let first = momentum_buffer.is_empty();
                    if first {
                        momentum_buffer.resize(self.num_params, F::zero());
                    }
                    for ((p, &g), b) in params.iter_mut().zip(grads).zip(momentum_buffer) {
                        let d = g + wd * *p;
                        *b = if first { d } else { mu * *b + d };
                        let update = if nesterov { d + mu * *b } else { *b };
                        *p -= lr * update;
                    }
                }
            }
            _ => {
                return Err(TrainError::InvalidState {
                    reason: "optimiser state does not match its configuration".into(),
                })
            }
        }
        Ok(())
    }
}

/// Scales `grads` in place so their global L2 norm is at most `max_norm`, and returns the norm
/// before clipping — `torch.nn.utils.clip_grad_norm_` (norm type 2): the scale is
/// `min(1, max_norm / (‖g‖ + 1e-6))`. A non-finite norm is returned as is (the caller decides
/// whether that is divergence) and the gradients are then scaled by NaN, as in PyTorch.
///
/// ```
/// let mut g = [3.0_f64, 4.0];
/// let norm = srl_train::clip_grad_norm(&mut g, 1.0).unwrap();
/// assert_eq!(norm, 5.0);
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<F: Float>(grads: &mut [F], max_norm: F) -> Result<F, TrainError> {
    if !max_norm.is_finite() || max_norm <= F::zero() {
        return Err(TrainError::InvalidConfig {
            field: "max_norm",
            reason: format!("must be finite and > 0, got {max_norm:?}"),
        });
    }
    let total_norm = grads.iter().map(|&g| g * g).sum::<F>().sqrt();
    let coef = max_norm / (total_norm + F::cst(1e-6));
    if coef < F::one() || coef.is_nan() {
        // NaN is propagated into the gradients like PyTorch does.
        grads.iter_mut().for_each(|g| *g *= coef);
    }
    Ok(total_norm)
}
