//! Run configuration: what data, which model, which method, how to optimise.
//!
//! A [`RunConfig`] is a serde struct written as TOML. [`RunConfig::preset`] gives the settings
//! of docs/protocols.md for every benchmark and method in two profiles (`quick` for CI-sized
//! smoke runs, `full` for paper-sized runs); `srl config` prints a preset so a user can edit
//! it. The `[method]` table is a [`MethodParams`]: a regression side and the representation
//! components that are on (docs/method.md).
//!
//! ```
//! use srl_data::BenchmarkId;
//! use srl_train::{Profile, RunConfig};
//! let method = "srl+ranksim".parse().unwrap();
//! let cfg = RunConfig::preset(BenchmarkId::Airfoil, &method, Profile::Quick).unwrap();
//! let text = cfg.to_toml_string().unwrap();
//! let back = RunConfig::from_toml_str(&text).unwrap();
//! assert_eq!(back, cfg);
//! assert_eq!(back.method_name(), method);
//! ```

use crate::method::{MethodName, MethodParams, PresetContext, ValidMethodParams};
use crate::optim::ValidOptimizerConfig;
use crate::{FeatureActivation, HeadInput, LrDecay, LrSchedule, OptimizerConfig, TrainError};
use serde::{Deserialize, Serialize};
use srl_data::names::Named;
use srl_data::BenchmarkId;

/// A complete, self-describing training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Where the data comes from and how it is split.
    pub data: DataConfig,
    /// The encoder and head.
    pub model: ModelConfig,
    /// The DIR method: regression side × representation components.
    pub method: MethodParams,
    /// Optimiser, schedule, epochs, batches.
    pub optim: OptimConfig,
    /// Seed of initialisation, batch order and SRL sampling (the split has its own seed).
    pub seed: u64,
}

/// The data of a run.
// One per run and never in a hot path: boxing the table spec would only add noise to every
// caller that builds or matches one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DataConfig {
    /// A built-in benchmark.
    Benchmark {
        /// Which one (`airfoil`, `iol-linear`, …).
        name: BenchmarkId,
        /// Split seed (docs/protocols.md: 0 for every method).
        #[serde(default)]
        split_seed: u64,
        /// The test protocol applied after the split: `standard` (not written), a blind spot
        /// or an extrapolation range ([`srl_data::protocol`]).
        #[serde(default, skip_serializing_if = "srl_data::Protocol::is_standard")]
        protocol: srl_data::Protocol,
    },
    /// A user's own table (CSV, TSV, `;`- or whitespace-separated): columns, missing cells,
    /// split and bins as in [`srl_data::table::TableSpec`].
    Csv(srl_data::table::TableSpec),
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

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    /// Optimiser and its learning rate.
    pub optimizer: OptimizerConfig,
    /// Learning-rate schedule, counted in epochs (in full-batch mode an epoch is one step).
    pub schedule: LrSchedule,
    /// Number of epochs (full-batch mode: iterations).
    pub epochs: usize,
    /// Mini-batch size; `None` = full batch.
    pub batch_size: Option<usize>,
    /// Evaluate on validation every this many epochs (full-batch: iterations).
    pub eval_every: usize,
    /// Clip the global gradient norm to this value.
    #[serde(default)]
    pub grad_clip: Option<f64>,
    /// Early stopping: end the run once this many epochs passed since the validation-best
    /// epoch (`epochs` is then the maximum). The validation-best model is kept either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<usize>,
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

impl Profile {
    /// The text form (`quick`, `full`): what [`str::parse`] reads, `srl config --profile`
    /// takes and serde writes (its row of the name table, [`Named`]).
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl Named for Profile {
    const WHAT: &'static str = "profile";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            Profile::Quick,
            "quick",
            "few epochs: a smoke run in seconds",
        ),
        (
            Profile::Full,
            "full",
            "the paper's sizes (hundreds of epochs, 20k–40k IOL iterations)",
        ),
    ];
}

impl std::str::FromStr for Profile {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        Profile::from_name(s).map_err(|e| TrainError::InvalidConfig {
            field: "profile",
            reason: e.to_string(),
        })
    }
}

/// Maximum epochs and early-stopping patience of [`RunConfig::table_preset`] per profile.
pub const TABLE_EPOCHS: [(Profile, usize, usize); 2] =
    [(Profile::Quick, 100, 20), (Profile::Full, 500, 50)];

impl RunConfig {
    /// The preset for a user's table: the tabular network, optimiser and method presets of
    /// the UCI-DIR benchmarks, but trained until validation stops improving — at most 500
    /// epochs (`quick`: 100), stopped once 50 epochs (`quick`: 20) passed without a new best
    /// validation MAE, with the learning rate annealed over the maximum.
    ///
    /// ```
    /// use srl_data::table::TableSpec;
    /// use srl_train::{Profile, RunConfig};
    /// let spec = TableSpec::new("houses.csv", "price");
    /// let cfg = RunConfig::table_preset(spec, &"vanilla".parse().unwrap(), Profile::Full).unwrap();
    /// assert_eq!((cfg.optim.epochs, cfg.optim.early_stopping), (500, Some(50)));
    /// ```
    pub fn table_preset(
        table: srl_data::table::TableSpec,
        method: &MethodName,
        profile: Profile,
    ) -> Result<Self, TrainError> {
        let mut cfg = Self::preset(BenchmarkId::Airfoil, method, profile)?;
        cfg.data = DataConfig::Csv(table);
        let (_, epochs, patience) = TABLE_EPOCHS
            .into_iter()
            .find(|(p, _, _)| *p == profile)
            .unwrap_or((profile, 500, 50));
        cfg.set_epochs(epochs);
        cfg.optim.early_stopping = Some(patience);
        cfg.optim.eval_every = 1;
        Ok(cfg)
    }

    /// Sets the number of epochs, stretching a cosine schedule (and the evaluation period, if
    /// it would leave no evaluation) to the new length (`srl train --epochs`).
    ///
    /// ```
    /// use srl_train::{LrDecay, Profile, RunConfig};
    /// let mut cfg = RunConfig::preset("airfoil".parse().unwrap(), &"srl".parse().unwrap(), Profile::Full).unwrap();
    /// cfg.set_epochs(40);
    /// assert_eq!(cfg.optim.epochs, 40);
    /// if let LrDecay::Cosine { total_steps, .. } = cfg.optim.schedule.decay {
    ///     assert_eq!(total_steps, 40 - cfg.optim.schedule.warmup_steps);
    /// }
    /// ```
    pub fn set_epochs(&mut self, epochs: usize) {
        self.optim.epochs = epochs;
        if let LrDecay::Cosine { total_steps, .. } = &mut self.optim.schedule.decay {
            *total_steps = epochs
                .saturating_sub(self.optim.schedule.warmup_steps)
                .max(1);
        }
        if self.optim.eval_every > epochs {
            self.optim.eval_every = epochs.max(1);
        }
    }

    /// The preset of docs/protocols.md for `benchmark` and `method` (every method's
    /// parameters from [`MethodParams::preset`]).
    pub fn preset(
        benchmark: BenchmarkId,
        method: &MethodName,
        profile: Profile,
    ) -> Result<Self, TrainError> {
        if !method.is_network() {
            return Err(TrainError::InvalidConfig {
                field: "method",
                reason: format!(
                    "`{method}` trains gradient-boosted trees, not this crate's network: the \
                     srl-gbdt crate runs it (`srl train` and `srl compare` do)"
                ),
            });
        }
        let is_iol = benchmark.is_operator();
        let ctx = PresetContext::of_benchmark(benchmark);
        let method = MethodParams::preset(method, ctx);
        let data = DataConfig::Benchmark {
            name: benchmark,
            split_seed: 0,
            protocol: srl_data::Protocol::Standard,
        };
        let (model, optim) = if is_iol {
            // (m+1)-100-100 ReLU + Linear(100,1); MSE; full-batch AdamW.
            let iterations = match (profile, benchmark) {
                (Profile::Quick, _) => 150,
                (Profile::Full, BenchmarkId::IolLinear) => 20_000,
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
                    epochs: iterations,
                    batch_size: None,
                    eval_every,
                    grad_clip: None,
                    early_stopping: None,
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
                    epochs,
                    batch_size: Some(64),
                    eval_every: 1,
                    grad_clip: None,
                    early_stopping: None,
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
        cfg.check()?;
        Ok(cfg)
    }

    /// Serialises to TOML.
    pub fn to_toml_string(&self) -> Result<String, TrainError> {
        toml::to_string_pretty(self).map_err(|e| TrainError::InvalidConfig {
            field: "config",
            reason: e.to_string(),
        })
    }

    /// The method's name (`vanilla`, `srl+ranksim`, …).
    pub fn method_name(&self) -> MethodName {
        self.method.name()
    }

    /// Checks every field that can be checked without the data (errors name the field) and
    /// returns the configuration as a [`ValidRunConfig`], the only form the trainer takes — so
    /// a run's configuration is checked once.
    pub fn check(&self) -> Result<ValidRunConfig, TrainError> {
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
        let optimizer = self.optim.optimizer.check()?;
        self.optim.schedule.validate(self.optim.optimizer.lr())?;
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
        if let Some(p) = self.optim.early_stopping {
            if p < self.optim.eval_every {
                return bad(
                    "optim.early_stopping",
                    format!(
                        "patience {p} is shorter than the validation period eval_every = {}",
                        self.optim.eval_every
                    ),
                );
            }
        }
        match &self.data {
            DataConfig::Csv(table) => table.check()?,
            DataConfig::Benchmark { protocol, .. } => protocol.check()?,
        }
        let method = self.method.check()?;
        if self.method.fds.is_some() && self.model.head_input != HeadInput::Raw {
            return bad(
                "method.fds",
                "FDS calibrates the head's input: it needs `model.head_input = \"raw\"`".into(),
            );
        }
        Ok(ValidRunConfig {
            cfg: self.clone(),
            method,
            optimizer,
        })
    }
}

/// A [`RunConfig`] that passed [`RunConfig::check`] (linfa's `*Params` → `check()` → valid
/// params): the trainer, [`crate::run()`] and [`crate::run_with`] take only this, so no part of
/// the configuration is re-checked during a run. Reads like a `RunConfig` (`Deref`).
///
/// ```
/// use srl_train::{Profile, RunConfig};
/// let mut cfg = RunConfig::preset(srl_data::BenchmarkId::Airfoil, &"srl".parse().unwrap(),
///     Profile::Quick).unwrap();
/// let valid = cfg.check().unwrap();
/// assert_eq!(valid.optim.epochs, cfg.optim.epochs);
/// cfg.optim.epochs = 0;
/// assert!(cfg.check().unwrap_err().to_string().contains("optim.epochs"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRunConfig {
    cfg: RunConfig,
    method: ValidMethodParams,
    optimizer: ValidOptimizerConfig,
}

impl ValidRunConfig {
    /// The checked `[method]` table.
    pub fn method_params(&self) -> &ValidMethodParams {
        &self.method
    }

    /// The checked optimiser settings.
    pub fn optimizer(&self) -> ValidOptimizerConfig {
        self.optimizer
    }

    /// The configuration itself.
    pub fn into_inner(self) -> RunConfig {
        self.cfg
    }
}

impl std::ops::Deref for ValidRunConfig {
    type Target = RunConfig;
    fn deref(&self) -> &RunConfig {
        &self.cfg
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

    /// The name tables of srl-train's closed sets are complete, round-trip, and agree with serde.
    #[test]
    fn profile_and_selection_name_tables() {
        use crate::compare::Selection;
        srl_data::names::check_table(&[Profile::Quick, Profile::Full]).unwrap();
        srl_data::names::check_table(&[Selection::All, Selection::Few]).unwrap();
        for p in [Profile::Quick, Profile::Full] {
            assert_eq!(p.as_str().parse::<Profile>().unwrap(), p);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        for s in [Selection::All, Selection::Few] {
            assert_eq!(Selection::from_name(s.name()).unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
    }

    #[test]
    fn every_preset_round_trips_through_toml() {
        for bench in BenchmarkId::ALL {
            for method in ["vanilla", "srl", "lds+fds", "srl+ranksim", "bmc", "conr+oe"] {
                for profile in [Profile::Quick, Profile::Full] {
                    let cfg = RunConfig::preset(bench, &method.parse().unwrap(), profile).unwrap();
                    let back = RunConfig::from_toml_str(&cfg.to_toml_string().unwrap())
                        .unwrap_or_else(|e| panic!("{bench} {method} {profile:?}: {e}"));
                    assert_eq!(back, cfg);
                }
            }
        }
    }

    /// Presets are built unchecked (their users change seeds and lengths, then check once):
    /// every preset of every benchmark, table and method must pass the check.
    #[test]
    fn every_preset_checks() {
        let table = srl_data::table::TableSpec::new("t.csv", "y");
        let methods = crate::method::Component::ALL
            .iter()
            .map(|c| crate::method::MethodName::new(&[*c]).unwrap())
            .filter(crate::method::MethodName::is_network);
        for method in methods.chain(
            ["vanilla", "lds+srl", "bni+srl", "srl+ranksim"]
                .iter()
                .map(|m| m.parse().unwrap()),
        ) {
            for profile in [Profile::Quick, Profile::Full] {
                for bench in BenchmarkId::ALL {
                    RunConfig::preset(bench, &method, profile)
                        .unwrap()
                        .check()
                        .unwrap_or_else(|e| panic!("{bench} {method} {profile:?}: {e}"));
                }
                RunConfig::table_preset(table.clone(), &method, profile)
                    .unwrap()
                    .check()
                    .unwrap_or_else(|e| panic!("table {method} {profile:?}: {e}"));
            }
        }
    }

    #[test]
    fn a_profile_reads_back_its_text_form_in_str_and_serde() {
        for profile in [Profile::Quick, Profile::Full] {
            assert_eq!(profile.as_str().parse::<Profile>().unwrap(), profile);
            let json = serde_json::to_string(&profile).unwrap();
            assert_eq!(json, format!("\"{}\"", profile.as_str()));
        }
        assert!("medium".parse::<Profile>().is_err());
    }

    #[test]
    fn keys_without_effect_are_errors_naming_them() {
        let cfg = RunConfig::preset(BenchmarkId::Airfoil, &MethodName::vanilla(), Profile::Quick)
            .unwrap();
        let text = cfg
            .to_toml_string()
            .unwrap()
            .replace("kind = \"l1\"", "kind = \"l1\"\ntau = 0.5");
        let e = RunConfig::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("tau"), "{e}");
        // An unknown key elsewhere is rejected by serde itself.
        let text = cfg
            .to_toml_string()
            .unwrap()
            .replace("[optim]", "[optim]\nepochz = 3");
        let e = RunConfig::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("epochz"), "{e}");
    }
}
