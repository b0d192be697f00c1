//! What a boosting run is: [`GbdtParams`] (the trees' hyper-parameters) inside a
//! [`GbdtConfig`] (data, method, seed), checked once into [`ValidGbdtConfig`] in linfa's
//! `*Params` → `check()` style.

use crate::GbdtError;
use serde::{Deserialize, Serialize};
use srl_train::method::{MethodParams, PresetContext, ResampleSpec, ValidRegressionParams};
use srl_train::{Component, DataConfig, MethodName};

/// Hyper-parameters of the boosted trees. The defaults are XGBoost's (learning rate 0.3,
/// depth 6, L2 λ 1, minimum child hessian 1, no subsampling) with up to 5,000 rounds and early
/// stopping after 50 rounds without a better validation MAE: on the six shared tables this
/// configuration had the lowest mean test MAE of the engines and settings measured
/// (docs/results/gbdt-engine; not tuned further).
///
/// Each round adds a tree f_t fitted to the squared-error gradients, F_t = F_{t−1} + η·f_t,
/// with leaf values −G/(H + λ) from the summed (sample-weighted) gradients G and hessians H
/// of the rows in the leaf; the model kept is the prefix of rounds with the lowest
/// validation MAE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdtParams {
    /// Shrinkage η of every tree, in (0, 1].
    pub learning_rate: f64,
    /// Maximum depth of a tree (≥ 1).
    pub max_depth: usize,
    /// L2 penalty λ on the leaf values (≥ 0).
    pub lambda: f64,
    /// Smallest summed hessian (for squared error: summed sample weight) of a child (≥ 0).
    pub min_child_weight: f64,
    /// Share of the training rows each tree sees, in (0, 1] (1: all, and the seed has no
    /// effect).
    pub subsample: f64,
    /// Share of the columns each tree sees, in (0, 1].
    pub colsample_bytree: f64,
    /// Most rounds (trees).
    pub max_rounds: usize,
    /// Stop after this many rounds without a better validation MAE (≥ 1).
    pub early_stopping_rounds: usize,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            learning_rate: 0.3,
            max_depth: 6,
            lambda: 1.0,
            min_child_weight: 1.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            max_rounds: 5_000,
            early_stopping_rounds: 50,
        }
    }
}

impl GbdtParams {
    /// Validates every field; the error names it (`gbdt.learning_rate`).
    pub fn check(&self) -> Result<(), GbdtError> {
        let unit = |field: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(invalid(field, format!("{v}: must lie in (0, 1]")))
            }
        };
        let nonneg = |field: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(invalid(field, format!("{v}: must be a finite number ≥ 0")))
            }
        };
        unit("gbdt.learning_rate", self.learning_rate)?;
        unit("gbdt.subsample", self.subsample)?;
        unit("gbdt.colsample_bytree", self.colsample_bytree)?;
        nonneg("gbdt.lambda", self.lambda)?;
        nonneg("gbdt.min_child_weight", self.min_child_weight)?;
        if self.max_depth == 0 {
            return Err(invalid("gbdt.max_depth", "must be at least 1".into()));
        }
        if self.max_rounds == 0 {
            return Err(invalid("gbdt.max_rounds", "must be at least 1".into()));
        }
        if self.early_stopping_rounds == 0 {
            return Err(invalid(
                "gbdt.early_stopping_rounds",
                "must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// One boosting run: what it trains on, the method (`gbdt` with at most one re-weighting,
/// whose weights become the sample weights), the seed and the trees' hyper-parameters.
/// Written to the run folder's `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbdtConfig {
    /// The data (a built-in benchmark or a table), as in a network run's configuration.
    pub data: DataConfig,
    /// `gbdt`, `gbdt+inv`, `gbdt+sqinv`, `gbdt+lds`, `smogn+gbdt`, ….
    pub method: MethodName,
    /// Seed of the engine's sampling (it matters only with subsampling) and of the resampler.
    pub seed: u64,
    /// The trees' hyper-parameters.
    #[serde(default)]
    pub gbdt: GbdtParams,
    /// The resampler of the training rows (`smogn+gbdt`, …), the networks' `[method.resample]`
    /// ([`srl_train::resample`]); absent for a method without one (and then not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resample: Option<ResampleSpec>,
}

impl GbdtConfig {
    /// The project's configuration of `method` on `data` with `seed`: the default trees and,
    /// for a re-weighting, its preset in the data's context (the same weights the networks
    /// get); for a resampler, its preset ([`ResampleSpec::preset`], the networks' too).
    pub fn new(data: DataConfig, method: MethodName, seed: u64) -> Self {
        let resample = method
            .components()
            .iter()
            .find(|c| c.is_resampler())
            .map(|&c| ResampleSpec::preset(c));
        Self {
            data,
            method,
            seed,
            gbdt: GbdtParams::default(),
            resample,
        }
    }

    /// Validates the method (it must contain `gbdt`), its re-weighting and the trees.
    pub fn check(&self) -> Result<ValidGbdtConfig, GbdtError> {
        if !self.method.contains(Component::Gbdt) {
            return Err(invalid(
                "method",
                format!(
                    "`{}` trains the network: srl-gbdt runs `gbdt`, `gbdt+<re-weighting>` and \
                     `<resampler>+gbdt`",
                    self.method
                ),
            ));
        }
        self.gbdt.check()?;
        let wanted = self
            .method
            .components()
            .iter()
            .copied()
            .find(|c| c.is_resampler());
        match (wanted, &self.resample) {
            (None, None) => {}
            (Some(c), Some(spec)) if spec.method == c => spec.check()?,
            (Some(c), _) => {
                return Err(invalid(
                    "resample",
                    format!(
                        "`{}` resamples with {}: the configuration needs a [resample] table \
                         with method = \"{}\"",
                        self.method,
                        c.as_str(),
                        c.as_str()
                    ),
                ))
            }
            (None, Some(spec)) => {
                return Err(invalid(
                    "resample",
                    format!(
                        "`{}` has no resampler, but the configuration has a [resample] table \
                         ({}); name it in the method (e.g. {}+gbdt) or remove the table",
                        self.method,
                        spec.method.as_str(),
                        spec.method.as_str()
                    ),
                ))
            }
        }
        let ctx = match &self.data {
            DataConfig::Benchmark { name, .. } => PresetContext::of_benchmark(*name),
            DataConfig::Csv(_) => PresetContext::Tabular,
        };
        let weights = MethodParams::preset(&self.method.remedies(), ctx)
            .regression
            .check()?;
        Ok(ValidGbdtConfig {
            config: self.clone(),
            weights,
        })
    }

    /// The configuration as TOML (the run folder's `config.toml`).
    pub fn to_toml_string(&self) -> Result<String, GbdtError> {
        toml::to_string_pretty(self).map_err(|e| invalid("config", e.to_string()))
    }

    /// Reads a configuration written by [`to_toml_string`](Self::to_toml_string).
    pub fn from_toml_str(text: &str) -> Result<Self, GbdtError> {
        toml::from_str(text).map_err(|e| invalid("config", e.to_string().trim().replace('\n', " ")))
    }
}

/// A checked [`GbdtConfig`] with its checked re-weighting.
#[derive(Debug, Clone)]
pub struct ValidGbdtConfig {
    config: GbdtConfig,
    weights: ValidRegressionParams,
}

impl ValidGbdtConfig {
    /// The re-weighting side (its [`ValidRegressionParams::row_weights`] are the sample
    /// weights; `None` for plain `gbdt`).
    pub fn weights(&self) -> &ValidRegressionParams {
        &self.weights
    }
}

impl std::ops::Deref for ValidGbdtConfig {
    type Target = GbdtConfig;
    fn deref(&self) -> &GbdtConfig {
        &self.config
    }
}

fn invalid(field: &'static str, reason: String) -> GbdtError {
    GbdtError::InvalidConfig { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use srl_data::BenchmarkId;
    use srl_train::method::TrainingLabels;

    fn airfoil() -> DataConfig {
        DataConfig::Benchmark {
            name: BenchmarkId::Airfoil,
            split_seed: 0,
            protocol: srl_data::Protocol::Standard,
        }
    }

    #[test]
    fn defaults_check_and_every_field_is_named_when_bad() {
        assert!(GbdtParams::default().check().is_ok());
        type Spoil = fn(&mut GbdtParams);
        let cases: [(&str, Spoil); 8] = [
            ("gbdt.learning_rate", |p| p.learning_rate = 0.0),
            ("gbdt.subsample", |p| p.subsample = 1.5),
            ("gbdt.colsample_bytree", |p| p.colsample_bytree = f64::NAN),
            ("gbdt.lambda", |p| p.lambda = -1.0),
            ("gbdt.min_child_weight", |p| {
                p.min_child_weight = f64::INFINITY
            }),
            ("gbdt.max_depth", |p| p.max_depth = 0),
            ("gbdt.max_rounds", |p| p.max_rounds = 0),
            ("gbdt.early_stopping_rounds", |p| {
                p.early_stopping_rounds = 0
            }),
        ];
        for (field, spoil) in cases {
            let mut p = GbdtParams::default();
            spoil(&mut p);
            match p.check() {
                Err(GbdtError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_gbdt_methods_and_their_weights() {
        let ok = GbdtConfig::new(airfoil(), "gbdt+lds".parse().unwrap(), 0)
            .check()
            .unwrap();
        let labels = TrainingLabels {
            targets: &[0.5, 1.5, 1.7],
            bins: &[0, 1, 1],
            num_bins: 2,
        };
        assert!(ok.weights().row_weights(labels).unwrap().is_some());
        let plain = GbdtConfig::new(airfoil(), "gbdt".parse().unwrap(), 0)
            .check()
            .unwrap();
        assert!(plain.weights().row_weights(labels).unwrap().is_none());
        assert!(matches!(
            GbdtConfig::new(airfoil(), "lds".parse().unwrap(), 0).check(),
            Err(GbdtError::InvalidConfig {
                field: "method",
                ..
            })
        ));
    }

    #[test]
    fn toml_round_trip() {
        let c = GbdtConfig::new(airfoil(), "gbdt+sqinv".parse().unwrap(), 3);
        let back = GbdtConfig::from_toml_str(&c.to_toml_string().unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(GbdtConfig::from_toml_str("method = 'gbdt'\nseed = 0\nbogus = 1").is_err());
    }
}
