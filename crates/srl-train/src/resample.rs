//! Resampling as a transform of the training rows, usable with every method (`smogn+srl`,
//! `smoter+lds`, `smogn+gbdt`, …): the one home of it.
//!
//! - [`ResampleSpec`] is the `[method.resample]` table of a run configuration (and of a
//!   boosting run's): the resampler ([`Component::Smoter`], [`Component::Smogn`],
//!   [`Component::Wercs`], [`Component::Ros`], [`Component::Rus`]), the relevance threshold,
//!   k, which tails of the target are rare and how many rows each region ends with.
//! - [`resample_training_part`] applies it to a [`Benchmark`]: φ fitted on the **training**
//!   targets (the automatic box-plot rule of [`srl_data::relevance`]), the column layout of the
//!   table (one-hot groups stay valid categories), the training part resampled by
//!   [`srl_resample::resample`] seeded by the run's seed; validation, test and the bins are
//!   untouched. The network trainer ([`crate::Trainer`]) and the trees (`srl_gbdt::fit`) both
//!   call it, so a resampled method sees the same rows whichever model it trains.
//! - [`resample_rows`] is the same on a bare matrix (what `srl resample` writes out).
//!
//! ```
//! use srl_train::resample::ResampleSpec;
//! use srl_train::Component;
//! let spec = ResampleSpec::preset(Component::Smogn);
//! assert_eq!((spec.threshold, spec.k), (0.5, 5));
//! assert!(spec.check().is_ok());
//! ```

use crate::components::invalid;
use crate::{Component, TrainError};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};
use srl_data::names::Named;
use srl_data::relevance::{Extremes, RelevanceParams, RelevanceProblem};
use srl_data::{Benchmark, DataError, Part};
use srl_resample::{
    Amount, FeatureLayout, Method, Origin, ResampleError, ResampleParams, Resampled, ValidParams,
    DEFAULT_K, DEFAULT_THRESHOLD,
};

/// How many rows each region ends with (see `srl_resample::Amount`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum ResampleAmount {
    /// Balance the regions (the default; UBL's and the `smogn` package's `"balance"`).
    #[default]
    Balance,
    /// Every normal region keeps `normal` × its rows (0 < normal ≤ 1), every rare region ends
    /// with `rare` × its rows (rare ≥ 1).
    Factors {
        /// Fraction of each normal region kept.
        normal: f64,
        /// Multiplier of each rare region.
        rare: f64,
    },
}

fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}

fn default_k() -> usize {
    DEFAULT_K
}

fn default_coef() -> f64 {
    srl_data::relevance::DEFAULT_COEF
}

/// The `[method.resample]` table: which resampler transforms the training rows before
/// training, and its settings. Serialised only when a method has a resampler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResampleSpec {
    /// The resampler: `smoter`, `smogn`, `wercs`, `ros` or `rus`.
    pub method: Component,
    /// Relevance threshold t ∈ (0, 1]: a training row is rare when φ(y) ≥ t (default 0.5;
    /// WERCS uses φ itself and ignores it).
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Nearest rare neighbours of SMOTER and SMOGN (default 5; ignored by the others).
    #[serde(default = "default_k")]
    pub k: usize,
    /// Which tails of the training targets are rare under the automatic box-plot φ (default
    /// both).
    #[serde(default)]
    pub extremes: Extremes,
    /// Box-plot coefficient of the automatic φ: targets beyond hinge ± coef·IQR are the rare
    /// ones (default 1.5, Tukey's fences; lower it when no target lies beyond them).
    #[serde(default = "default_coef")]
    pub coef: f64,
    /// How many rows each region ends with (default balance; ignored by WERCS).
    #[serde(default)]
    pub amount: ResampleAmount,
}

impl ResampleSpec {
    /// The preset of a resampler: t = 0.5, k = 5, both tails, balance (the SMOGN paper's and the
    /// reference packages' defaults; not tuned here).
    pub fn preset(method: Component) -> Self {
        ResampleSpec {
            method,
            threshold: DEFAULT_THRESHOLD,
            k: DEFAULT_K,
            extremes: Extremes::Both,
            coef: default_coef(),
            amount: ResampleAmount::Balance,
        }
    }

    /// The resampler's parameters with `seed`, checked; the error names the field
    /// (`method.resample.threshold`, …).
    pub fn params(&self, seed: u64) -> Result<ValidParams, TrainError> {
        let method = match self.method {
            Component::Smoter => Method::Smoter { k: self.k },
            Component::Smogn => match Method::smogn() {
                Method::Smogn { pert, safe, .. } => Method::Smogn {
                    k: self.k,
                    pert,
                    safe,
                },
                m => m,
            },
            Component::Wercs => Method::wercs(),
            Component::Ros => Method::RandomOver,
            Component::Rus => Method::RandomUnder,
            other => {
                return Err(invalid(
                    "method.resample.method",
                    format!(
                        "`{}` is not a resampler (smoter, smogn, wercs, ros, rus)",
                        other.as_str()
                    ),
                ))
            }
        };
        let amount = match self.amount {
            ResampleAmount::Balance => Amount::Balance,
            ResampleAmount::Factors { normal, rare } => Amount::Factors { normal, rare },
        };
        ResampleParams::new(method)
            .threshold(self.threshold)
            .amount(amount)
            .seed(seed)
            .check()
            .map_err(|e| match e {
                ResampleError::InvalidParam { name, reason } => invalid(
                    match name {
                        "threshold" => "method.resample.threshold",
                        "k" => "method.resample.k",
                        "normal factor" | "rare factor" | "region factor" => {
                            "method.resample.amount"
                        }
                        _ => "method.resample",
                    },
                    reason,
                ),
                other => invalid("method.resample", other.to_string()),
            })
    }

    /// Validates every field; the error names it (`method.resample.k`, …).
    pub fn check(&self) -> Result<(), TrainError> {
        if !(self.coef.is_finite() && self.coef > 0.0) {
            return Err(invalid(
                "method.resample.coef",
                format!("{}: must be a finite number > 0 (default 1.5)", self.coef),
            ));
        }
        self.params(0).map(|_| ())
    }

    /// The relevance function's parameters: the automatic box-plot rule on the spec's tails
    /// with its coefficient.
    pub fn relevance_params(&self) -> RelevanceParams {
        RelevanceParams {
            method: srl_data::RelevanceMethod::Auto {
                extremes: self.extremes,
                coef: self.coef,
            },
        }
    }
}

/// The relevance φ(yᵢ) of every target under the spec's automatic box-plot rule, fitted on
/// `y`; a target without a rare value is a [`TrainError::Component`] naming the fix.
pub fn relevance(y: &[f64], spec: &ResampleSpec) -> Result<Vec<f64>, TrainError> {
    let rel = spec.relevance_params().fit(y).map_err(|e| match e {
        DataError::Relevance { problem, hint } => TrainError::Component {
            component: spec.method.as_str(),
            reason: match problem {
                RelevanceProblem::NoExtremes { .. } => format!(
                    "no target is rare by the box-plot rule: {problem}. Resampling needs rare \
                     targets: lower the box-plot coefficient (`method.resample.coef`, \
                     `--coef`; now {}), choose another side (`extremes`), or train without a \
                     resampler",
                    spec.coef
                ),
                _ => format!(
                    "no target is rare by the box-plot rule: {problem}. {hint}; or train \
                     without a resampler"
                ),
            },
        },
        other => TrainError::from(other),
    })?;
    Ok(rel.phi_all(y))
}

/// Resamples the rows `(x, y)` with `spec`, seeded by `seed`: φ fitted on `y`, then
/// [`srl_resample::resample`] with `layout`. Errors of the resampler (no rare row, fewer rare
/// rows than k + 1, …) become a [`TrainError::Component`] that says what to change.
pub fn resample_rows(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    layout: &FeatureLayout,
    spec: &ResampleSpec,
    seed: u64,
) -> Result<Resampled, TrainError> {
    let params = spec.params(seed)?;
    let phi = relevance(y, spec)?;
    srl_resample::resample(x, y, &phi, layout, &params).map_err(|e| TrainError::Component {
        component: spec.method.as_str(),
        reason: match e {
            ResampleError::NoRare { threshold } => format!(
                "no training target has relevance ≥ {threshold} (box-plot rule, `{}` tails): \
                 lower `method.resample.threshold`, or train without a resampler",
                spec.extremes.name()
            ),
            ResampleError::TooFewRare { k, rare } => format!(
                "k = {k} nearest neighbours need at least {} rare training rows, there are \
                 {rare}: lower `method.resample.k` or the threshold",
                k + 1
            ),
            other => other.to_string(),
        },
    })
}

/// The column layout of `bench`'s inputs: the table's one-hot groups (checked against the
/// feature names, so the preprocessor's columns are the matrix's), or all continuous for a
/// built-in benchmark.
pub fn feature_layout(bench: &Benchmark) -> Result<FeatureLayout, TrainError> {
    let d = bench.train.x.ncols();
    let Some(table) = bench.table.as_deref() else {
        return Ok(FeatureLayout::continuous(d));
    };
    let prep = &table.preprocessor;
    let layout = FeatureLayout::from_preprocessor(prep);
    let names = prep.feature_names();
    if layout.ncols() != d || (!bench.feature_names.is_empty() && names != bench.feature_names) {
        return Err(TrainError::Data(format!(
            "the table's preprocessing gives {} input columns ({}), the training matrix has {d} \
             ({}): cannot tell its one-hot groups",
            layout.ncols(),
            names.join(", "),
            bench.feature_names.join(", ")
        )));
    }
    Ok(layout)
}

/// The benchmark with its training part resampled by `spec`, seeded by `seed` (the run's).
///
/// - φ is the automatic box-plot relevance of the **training** targets;
/// - the training rows are resampled in the table's layout ([`feature_layout`]): kept rows
///   first, in their order, then the new rows (`srl_resample::Resampled`);
/// - new rows get their bins from the benchmark's unchanged [`Binning`](srl_data::Binning)
///   (clamped), their shot group from the group the training rows of that bin had
///   ([`Benchmark::bin_shot_groups`]; the source row's when the bin had none) and
///   `out_of_range = false`; kept rows keep theirs;
/// - validation, test, binning, names and table information are the input's.
///
/// The result depends on the inputs and `seed` only (not on the thread count), so a resumed
/// run recomputes the same rows.
pub fn resample_training_part(
    bench: &Benchmark,
    spec: &ResampleSpec,
    seed: u64,
) -> Result<Benchmark, TrainError> {
    let train = &bench.train;
    if train.is_empty() {
        return Err(TrainError::Empty { what: "train part" });
    }
    let layout = feature_layout(bench)?;
    let y = train.y.to_vec();
    let out = resample_rows(train.x.view(), &y, &layout, spec, seed)?;
    let groups = bench.bin_shot_groups();
    let bins = bench.binning.bins(&out.y);
    let mut shots = Vec::with_capacity(out.y.len());
    let mut out_of_range = Vec::with_capacity(out.y.len());
    for (o, &b) in out.origin.iter().zip(&bins) {
        match *o {
            Origin::Original { row } => {
                shots.push(train.shots[row]);
                out_of_range.push(train.out_of_range.get(row).copied().unwrap_or(false));
            }
            _ => {
                let source = o.source();
                shots.push(
                    groups
                        .get(b)
                        .copied()
                        .flatten()
                        .unwrap_or(train.shots[source]),
                );
                out_of_range.push(false);
            }
        }
    }
    let mut resampled = bench.clone();
    resampled.train = Part {
        x: out.x,
        y: Array1::from(out.y),
        bins,
        shots,
        out_of_range,
    };
    Ok(resampled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_check_and_bad_fields_are_named() {
        for c in [
            Component::Smoter,
            Component::Smogn,
            Component::Wercs,
            Component::Ros,
            Component::Rus,
        ] {
            ResampleSpec::preset(c).check().unwrap();
        }
        let mut s = ResampleSpec::preset(Component::Smogn);
        s.threshold = 0.0;
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.resample.threshold"));
        let mut s = ResampleSpec::preset(Component::Smoter);
        s.k = 0;
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.resample.k"));
        let mut s = ResampleSpec::preset(Component::Smoter);
        s.amount = ResampleAmount::Factors {
            normal: 2.0,
            rare: 1.0,
        };
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.resample.amount"));
        let s = ResampleSpec::preset(Component::Srl);
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.resample.method"));
    }

    #[test]
    fn a_target_without_rare_values_is_a_clear_error() {
        let y: Vec<f64> = (0..50).map(|i| i as f64).collect();
        let e = relevance(&y, &ResampleSpec::preset(Component::Smogn))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no target is rare by the box-plot rule"), "{e}");
    }
}
