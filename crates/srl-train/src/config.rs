//! Run configuration: what data, which model, which method (vanilla or SRL), how to optimise.
//!
//! A [`RunConfig`] is a serde struct written as TOML. [`RunConfig::preset`] gives the settings
//! of docs/protocols.md for every benchmark in two profiles (`quick` for CI-sized smoke runs,
//! `full` for paper-sized runs); `srl config` prints a preset so a user can edit it.
//!
//! ```
//! use srl_train::{Profile, RunConfig};
//! let cfg = RunConfig::preset("airfoil", "srl", Profile::Quick).unwrap();
//! let text = cfg.to_toml_string().unwrap();
//! let back = RunConfig::from_toml_str(&text).unwrap();
//! assert_eq!(back, cfg);
//! assert_eq!(back.method_name(), "srl");
//! ```

use crate::{FeatureActivation, HeadInput, LrDecay, LrSchedule, OptimizerConfig, TrainError};
use serde::{Deserialize, Serialize};
use srl_losses::enveloping::PointsPolicy;
use srl_losses::homogeneity::HomogeneityForm;
use srl_losses::objective::SrlWeights;
use srl_losses::regression::RegressionLoss;
use srl_surrogate::MemoryUpdate;
use std::path::PathBuf;

/// A complete, self-describing training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Where the data comes from and how it is split.
    pub data: DataConfig,
    /// The encoder and head.
    pub model: ModelConfig,
    /// Vanilla regression or SRL.
    pub method: MethodConfig,
    /// Optimiser, schedule, loss, epochs, batches.
    pub optim: OptimConfig,
    /// Seed of initialisation, batch order and SRL sampling (the split has its own seed).
    pub seed: u64,
}

/// The data of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DataConfig {
    /// A named benchmark of `srl_data::BENCHMARKS`.
    Benchmark {
        /// Benchmark name (`airfoil`, `iol-linear`, …).
        name: String,
        /// Split seed (docs/protocols.md: 0 for every method).
        #[serde(default)]
        split_seed: u64,
    },
    /// A user's CSV file with a header; every other column is an input.
    Csv {
        /// The file.
        path: PathBuf,
        /// Name of the target column.
        target: String,
        /// Fixed bin width (origin ⌊min y⌋); exactly one of `bin_width`/`num_bins`.
        #[serde(default)]
        bin_width: Option<f64>,
        /// Number of equal-width bins over the target range.
        #[serde(default)]
        num_bins: Option<usize>,
        /// Per-bin cap of the balanced validation/test split.
        #[serde(default = "default_cap")]
        val_test_cap: usize,
        /// Split seed.
        #[serde(default)]
        split_seed: u64,
    },
}

fn default_cap() -> usize {
    30
}

/// Encoder shape and options (the input width comes from the data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Hidden widths; the last one is the representation width d.
    pub hidden: Vec<usize>,
    /// Activation of the representation layer.
    #[serde(default)]
    pub feature_activation: FeatureActivation,
    /// Whether the head reads h or z = h/‖h‖.
    #[serde(default)]
    pub head_input: HeadInput,
    /// Standardise the target for training (predictions are mapped back; metrics are always in
    /// the target's own units). Keeps the regression loss O(1) on every dataset; the bin
    /// spacing of the homogeneity loss (Eq. 6) stays in target units.
    #[serde(default = "yes")]
    pub standardize_target: bool,
}

fn yes() -> bool {
    true
}

/// Vanilla regression or SRL (paper Eq. 11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MethodConfig {
    /// Regression loss only.
    Vanilla,
    /// L = L_reg + λ_e·L_env + λ_h·L_homo + λ_c·L_con on the surrogate table.
    Srl {
        /// λ_e, λ_h, λ_c.
        weights: SrlWeights,
        /// Temperature τ of the centroid contrastive loss.
        tau: f64,
        /// Number N of uniform points of the enveloping loss.
        num_points: usize,
        /// Keep the points fixed (authors' code) or redraw them each epoch.
        points_policy: PointsPolicy,
        /// Paper Eq. 6 or the authors' code form.
        homogeneity: HomogeneityForm,
        /// Momentum α of the per-epoch memory update.
        momentum: f64,
        /// Streaming (epoch's own batch features) or exact (extra full pass) memory update.
        memory_update: MemoryUpdate,
        /// Epochs with the SRL terms off (paper: 1, authors' code: 0).
        warmup_epochs: usize,
    },
}

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    /// Optimiser and its learning rate.
    pub optimizer: OptimizerConfig,
    /// Learning-rate schedule, counted in epochs (in full-batch mode an epoch is one step).
    pub schedule: LrSchedule,
    /// Regression loss.
    pub loss: RegressionLoss,
    /// Number of epochs (full-batch mode: iterations).
    pub epochs: usize,
    /// Mini-batch size; `None` = full batch.
    pub batch_size: Option<usize>,
    /// Evaluate on validation every this many epochs (full-batch: iterations).
    pub eval_every: usize,
    /// Clip the global gradient norm to this value.
    #[serde(default)]
    pub grad_clip: Option<f64>,
}

/// Size of a preset: CI-sized smoke runs or the paper's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Small epochs, for `cargo xtask reproduce --quick` (minutes for everything).
    Quick,
    /// Paper-sized runs (hours).
    Full,
}

impl std::str::FromStr for Profile {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        match s {
            "quick" => Ok(Profile::Quick),
            "full" => Ok(Profile::Full),
            _ => Err(TrainError::InvalidConfig {
                field: "profile",
                reason: format!("`{s}` is not one of quick, full"),
            }),
        }
    }
}

impl MethodConfig {
    /// SRL settings for the small tabular benchmarks: λ_e = 1, λ_h = 0.01, λ_c = 0.03, τ = 0.1,
    /// chosen on Airfoil validation MAE over a small grid (docs/results/tuning/2026-11-29-sweep.md).
    pub fn srl_tabular() -> Self {
        MethodConfig::Srl {
            weights: SrlWeights {
                envelope: 1.0,
                homogeneity: 0.01,
                contrastive: 0.03,
            },
            tau: 0.1,
            num_points: 1000,
            points_policy: PointsPolicy::Fixed,
            homogeneity: HomogeneityForm::Paper,
            momentum: 0.9,
            memory_update: MemoryUpdate::Streaming,
            warmup_epochs: 1,
        }
    }

    /// SRL settings for IOL-linear: λ_e = λ_h = 1e-4, λ_c = 3e-3, τ = 0.1, chosen on validation
    /// MAE in two rounds of `cargo xtask tune` (docs/results/tuning/iol-linear-screen.md and
    /// iol-linear-refine.md): the authors' IOL weights with τ = 1 left the contrastive term at
    /// log K (no signal), and a sharper, stronger contrastive term was the one change that
    /// helped.
    pub fn srl_iol_linear() -> Self {
        Self::srl_operator(
            SrlWeights {
                envelope: 1e-4,
                homogeneity: 1e-4,
                contrastive: 3e-3,
            },
            0.1,
        )
    }

    /// SRL settings for IOL-nonlinear (and the starting point of IOL-linear's search):
    /// λ_e = λ_h = λ_c = 1e-4 (the authors' IOL weights), τ = 1; not tuned further.
    pub fn srl_iol() -> Self {
        Self::srl_operator(
            SrlWeights {
                envelope: 1e-4,
                homogeneity: 1e-4,
                contrastive: 1e-4,
            },
            1.0,
        )
    }

    /// The operator-learning settings shared by both IOL presets (N = 1000 fixed points,
    /// Eq. 6, streaming memory with α = 0.9, no warm-up) with the given weights and τ.
    fn srl_operator(weights: SrlWeights, tau: f64) -> Self {
        MethodConfig::Srl {
            weights,
            tau,
            num_points: 1000,
            points_policy: PointsPolicy::Fixed,
            homogeneity: HomogeneityForm::Paper,
            momentum: 0.9,
            memory_update: MemoryUpdate::Streaming,
            warmup_epochs: 0,
        }
    }

    /// `"vanilla"` or `"srl"`.
    pub fn name(&self) -> &'static str {
        match self {
            MethodConfig::Vanilla => "vanilla",
            MethodConfig::Srl { .. } => "srl",
        }
    }
}

impl RunConfig {
    /// The preset of docs/protocols.md for `benchmark` and `method` (`vanilla` or `srl`).
    pub fn preset(benchmark: &str, method: &str, profile: Profile) -> Result<Self, TrainError> {
        let is_iol = benchmark.starts_with("iol-");
        if !srl_data::BENCHMARKS.contains(&benchmark) {
            return Err(TrainError::InvalidConfig {
                field: "benchmark",
                reason: format!(
                    "unknown benchmark `{benchmark}` (known: {})",
                    srl_data::BENCHMARKS.join(", ")
                ),
            });
        }
        let method = match method {
            "vanilla" => MethodConfig::Vanilla,
            "srl" if benchmark == "iol-linear" => MethodConfig::srl_iol_linear(),
            "srl" if is_iol => MethodConfig::srl_iol(),
            "srl" => MethodConfig::srl_tabular(),
            other => {
                return Err(TrainError::InvalidConfig {
                    field: "method",
                    reason: format!("`{other}` is not one of vanilla, srl"),
                })
            }
        };
        let data = DataConfig::Benchmark {
            name: benchmark.to_string(),
            split_seed: 0,
        };
        let (model, optim) = if is_iol {
            // (m+1)-100-100 ReLU + Linear(100,1); MSE; full-batch AdamW.
            let iterations = match (profile, benchmark) {
                (Profile::Quick, _) => 150,
                (Profile::Full, "iol-linear") => 20_000,
                (Profile::Full, _) => 40_000,
            };
            let eval_every = match profile {
                Profile::Quick => 25,
                Profile::Full => 200,
            };
            (
                ModelConfig {
                    hidden: vec![100, 100],
                    feature_activation: FeatureActivation::Relu,
                    head_input: HeadInput::Raw,
                    standardize_target: true,
                },
                OptimConfig {
                    optimizer: OptimizerConfig::AdamW {
                        lr: 1e-3,
                        beta1: 0.9,
                        beta2: 0.999,
                        eps: 1e-8,
                        weight_decay: 1e-4,
                    },
                    schedule: LrSchedule::new(LrDecay::Cosine {
                        total_steps: iterations,
                        min_lr: 1e-5,
                    }),
                    loss: RegressionLoss::Mse,
                    epochs: iterations,
                    batch_size: None,
                    eval_every,
                    grad_clip: None,
                },
            )
        } else {
            // d-20-30-10 + Linear(10,1); AdamW; mini-batches.
            let epochs = match profile {
                Profile::Quick => 100,
                Profile::Full => 300,
            };
            (
                ModelConfig {
                    hidden: vec![20, 30, 10],
                    feature_activation: FeatureActivation::Relu,
                    head_input: HeadInput::Raw,
                    standardize_target: true,
                },
                OptimConfig {
                    optimizer: OptimizerConfig::AdamW {
                        lr: 3e-3,
                        beta1: 0.9,
                        beta2: 0.999,
                        eps: 1e-8,
                        weight_decay: 1e-4,
                    },
                    schedule: LrSchedule::new(LrDecay::Cosine {
                        total_steps: epochs,
                        min_lr: 1e-5,
                    }),
                    loss: RegressionLoss::L1,
                    epochs,
                    batch_size: Some(64),
                    eval_every: 1,
                    grad_clip: None,
                },
            )
        };
        let cfg = RunConfig {
            data,
            model,
            method,
            optim,
            seed: 0,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses and validates a TOML configuration.
    pub fn from_toml_str(text: &str) -> Result<Self, TrainError> {
        let invalid = |e: &dyn std::fmt::Display| TrainError::InvalidConfig {
            field: "config",
            reason: e.to_string().trim().replace('\n', " "),
        };
        let cfg: RunConfig = toml::from_str(text).map_err(|e| invalid(&e))?;
        // serde ignores extra keys next to a unit variant (`[method] kind = "vanilla"` with a
        // stray `tau = 0.5`); a key that does not survive the round trip had no effect.
        let given: toml::Value = toml::from_str(text).map_err(|e| invalid(&e))?;
        let kept: toml::Value = toml::from_str(&cfg.to_toml_string()?).map_err(|e| invalid(&e))?;
        let mut ignored = Vec::new();
        keys_missing_from(&given, &kept, String::new(), &mut ignored);
        if !ignored.is_empty() {
            return Err(TrainError::InvalidConfig {
                field: "config",
                reason: format!(
                    "key(s) {} have no effect for this configuration (method `{}`)",
                    ignored.join(", "),
                    cfg.method_name()
                ),
            });
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Serialises to TOML.
    pub fn to_toml_string(&self) -> Result<String, TrainError> {
        toml::to_string_pretty(self).map_err(|e| TrainError::InvalidConfig {
            field: "config",
            reason: e.to_string(),
        })
    }

    /// `"vanilla"` or `"srl"`.
    pub fn method_name(&self) -> &'static str {
        self.method.name()
    }

    /// Checks every field that can be checked without the data; errors name the field.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad =
            |field: &'static str, reason: String| Err(TrainError::InvalidConfig { field, reason });
        if self.model.hidden.is_empty() || self.model.hidden.contains(&0) {
            return bad(
                "model.hidden",
                format!(
                    "need at least one hidden layer, all widths ≥ 1, got {:?}",
                    self.model.hidden
                ),
            );
        }
        self.optim.optimizer.validate()?;
        self.optim.schedule.validate(self.optim.optimizer.lr())?;
        self.optim
            .loss
            .validate()
            .map_err(|e| TrainError::InvalidConfig {
                field: "optim.loss",
                reason: e.to_string(),
            })?;
        if self.optim.epochs == 0 {
            return bad("optim.epochs", "must be ≥ 1".into());
        }
        if self.optim.batch_size == Some(0) {
            return bad(
                "optim.batch_size",
                "must be ≥ 1 (omit for full batch)".into(),
            );
        }
        if self.optim.eval_every == 0 {
            return bad("optim.eval_every", "must be ≥ 1".into());
        }
        if let Some(c) = self.optim.grad_clip {
            if !(c.is_finite() && c > 0.0) {
                return bad(
                    "optim.grad_clip",
                    format!("must be finite and > 0, got {c}"),
                );
            }
        }
        if let DataConfig::Csv {
            bin_width,
            num_bins,
            val_test_cap,
            ..
        } = &self.data
        {
            match (bin_width, num_bins) {
                (Some(w), None) if w.is_finite() && *w > 0.0 => {}
                (None, Some(k)) if *k >= 2 => {}
                _ => {
                    return bad(
                        "data.bin_width/num_bins",
                        "give exactly one: a finite bin width > 0, or a number of bins ≥ 2".into(),
                    )
                }
            }
            if *val_test_cap == 0 {
                return bad("data.val_test_cap", "must be ≥ 1".into());
            }
        }
        if let MethodConfig::Srl {
            weights,
            tau,
            num_points,
            momentum,
            ..
        } = &self.method
        {
            for (field, v) in [
                ("method.weights.envelope", weights.envelope),
                ("method.weights.homogeneity", weights.homogeneity),
                ("method.weights.contrastive", weights.contrastive),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return bad(field, format!("must be finite and ≥ 0, got {v}"));
                }
            }
            if !(tau.is_finite() && *tau > 0.0) {
                return bad("method.tau", format!("must be finite and > 0, got {tau}"));
            }
            if *num_points == 0 {
                return bad("method.num_points", "must be ≥ 1".into());
            }
            if !(momentum.is_finite() && (0.0..1.0).contains(momentum)) {
                return bad(
                    "method.momentum",
                    format!("must be in [0, 1), got {momentum}"),
                );
            }
        }
        Ok(())
    }
}

/// Dotted paths of the keys of table `given` that `kept` lacks (recursing into tables that
/// both have).
fn keys_missing_from(
    given: &toml::Value,
    kept: &toml::Value,
    prefix: String,
    out: &mut Vec<String>,
) {
    let (Some(given), Some(kept)) = (given.as_table(), kept.as_table()) else {
        return;
    };
    for (key, value) in given {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match kept.get(key) {
            None => out.push(format!("`{path}`")),
            Some(k) => keys_missing_from(value, k, path, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_round_trips_through_toml() {
        for bench in srl_data::BENCHMARKS {
            for method in ["vanilla", "srl"] {
                for profile in [Profile::Quick, Profile::Full] {
                    let cfg = RunConfig::preset(bench, method, profile).unwrap();
                    let back = RunConfig::from_toml_str(&cfg.to_toml_string().unwrap())
                        .unwrap_or_else(|e| panic!("{bench} {method} {profile:?}: {e}"));
                    assert_eq!(back, cfg);
                }
            }
        }
    }

    #[test]
    fn keys_without_effect_are_errors_naming_them() {
        let cfg = RunConfig::preset("airfoil", "vanilla", Profile::Quick).unwrap();
        let text = cfg
            .to_toml_string()
            .unwrap()
            .replace("kind = \"vanilla\"", "kind = \"vanilla\"\ntau = 0.5");
        let e = RunConfig::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("`method.tau`") && e.contains("vanilla"), "{e}");
        // An unknown key elsewhere is rejected by serde itself.
        let text = cfg
            .to_toml_string()
            .unwrap()
            .replace("[optim]", "[optim]\nepochz = 3");
        let e = RunConfig::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("epochz"), "{e}");
    }
}
