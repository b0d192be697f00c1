//! The prepared benchmark: train/validation/test arrays, bins and shot groups, ready for
//! training. One type for UCI-DIR and IOL so the trainer treats every benchmark alike.

use crate::names::Named;
use crate::table::info::TableInfo;
use crate::{Binning, DataError};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Many / medium / few-shot group of a sample (DIR protocol). Its text form ([`Named`]) is
/// `many` / `medium` / `few`; serde keeps the variant names (`Many`, …) of the files written
/// so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shot {
    /// Bins with many training samples.
    Many,
    /// Bins with a medium number of training samples.
    Medium,
    /// Bins with few training samples.
    Few,
}

impl Shot {
    /// Every group, many to few.
    pub const ALL: [Shot; 3] = [Shot::Many, Shot::Medium, Shot::Few];
}

impl Named for Shot {
    const WHAT: &'static str = "shot group";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (Shot::Many, "many", "bins with many training samples"),
        (
            Shot::Medium,
            "medium",
            "bins with a medium number of training samples",
        ),
        (Shot::Few, "few", "bins with few training samples"),
    ];
}

/// One part (train, validation or test) of a benchmark.
#[derive(Debug, Clone)]
pub struct Part {
    /// Inputs, one row a sample (standardised for UCI-DIR with train statistics).
    pub x: Array2<f64>,
    /// Targets in their own units.
    pub y: Array1<f64>,
    /// SRL bin of each sample (from the benchmark's [`Binning`], clamped).
    pub bins: Vec<usize>,
    /// Shot group of each sample (from the TRAINING counts, or by location for IOL).
    pub shots: Vec<Shot>,
    /// Whether each sample's inputs lie outside the training range (own tables; always
    /// `false` for the built-in benchmarks). Flagged validation rows do not steer early
    /// stopping.
    pub out_of_range: Vec<bool>,
}

impl Part {
    /// The samples at `rows` (in that order).
    pub fn select(&self, rows: &[usize]) -> Part {
        Part {
            x: self.x.select(ndarray::Axis(0), rows),
            y: self.y.select(ndarray::Axis(0), rows),
            bins: rows.iter().map(|&i| self.bins[i]).collect(),
            shots: rows.iter().map(|&i| self.shots[i]).collect(),
            out_of_range: rows.iter().map(|&i| self.out_of_range[i]).collect(),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True if the part has no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// A benchmark ready for training: three parts plus the bin structure.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// What the data is: a built-in benchmark, or a table (`airfoil`, `iol-linear`,
    /// `yacht_hydrodynamics`).
    pub name: DataName,
    /// Training part.
    pub train: Part,
    /// Validation part (model selection only).
    pub val: Part,
    /// Test part (reported, never used for selection).
    pub test: Part,
    /// The SRL label bins.
    pub binning: Binning,
    /// Names of the input columns.
    pub feature_names: Vec<String>,
    /// Name of the target.
    pub target_name: String,
    /// For a user's table: how it was read, split and preprocessed (`None` for the built-in
    /// benchmarks).
    pub table: Option<Box<TableInfo>>,
    /// The relevance function φ of the targets, fitted on the training targets at preparation
    /// by the automatic box-plot rule ([`crate::relevance`]; both tails) — what SERA and the
    /// φ-weighted errors of every run are computed with, kept as is when a method resamples
    /// the training part. `None` when the rule finds no rare targets (no box-plot extremes:
    /// every φ would be 0), with the reason in [`relevance_error`](Self::relevance_error).
    pub relevance: Option<crate::relevance::Relevance>,
    /// Why [`relevance`](Self::relevance) is `None`.
    pub relevance_error: Option<String>,
    /// The blind-spot or extrapolation protocol applied after the split, with its removed
    /// range and which test rows lie in it ([`crate::protocol`]); `None` for the standard
    /// protocol.
    pub protocol: Option<crate::protocol::ProtocolInfo>,
}

impl Benchmark {
    /// Fits [`relevance`](Self::relevance) on the training targets (the automatic rule), or
    /// records why it cannot be fitted.
    pub fn with_relevance(mut self) -> Self {
        match crate::relevance::RelevanceParams::default()
            .fit(self.train.y.as_slice().unwrap_or(&self.train.y.to_vec()))
        {
            Ok(r) => {
                self.relevance = Some(r);
                self.relevance_error = None;
            }
            Err(e) => {
                self.relevance = None;
                self.relevance_error = Some(e.to_string());
            }
        }
        self
    }

    /// Every target of the benchmark: training, validation and test parts together.
    pub fn all_targets(&self) -> Vec<f64> {
        [&self.train, &self.val, &self.test]
            .iter()
            .flat_map(|p| p.y.iter().copied())
            .collect()
    }

    /// Applies `protocol` to a benchmark whose test part is a sample of its own (IOL): the
    /// training and validation rows in the removed range are dropped, the test part stays
    /// as it is (it covers the whole range already), the bins and shot groups stay, and the
    /// relevance function is fitted again on the remaining training targets. The standard
    /// protocol returns the benchmark unchanged.
    pub fn drop_removed_rows(
        mut self,
        protocol: &crate::protocol::Protocol,
    ) -> Result<Self, DataError> {
        if protocol.is_standard() {
            return Ok(self);
        }
        let removed = protocol.resolve(&self.all_targets())?;
        let keep = |p: &Part| -> Vec<usize> {
            (0..p.len())
                .filter(|&i| !removed.contains(p.y[i]))
                .collect()
        };
        let (train_rows, val_rows) = (keep(&self.train), keep(&self.val));
        removed.check_left(train_rows.len(), val_rows.len())?;
        let info = crate::protocol::ProtocolInfo {
            protocol: protocol.clone(),
            removed_train: self.train.len() - train_rows.len(),
            removed_val: self.val.len() - val_rows.len(),
            moved_to_test: false,
            test_in_removed: removed.mask(self.test.y.as_slice().unwrap_or(&self.test.y.to_vec())),
            removed,
        };
        self.train = self.train.select(&train_rows);
        self.val = self.val.select(&val_rows);
        self.protocol = Some(info);
        Ok(self.with_relevance())
    }

    /// Training count of every bin.
    pub fn train_bin_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.binning.num_bins()];
        for &b in &self.train.bins {
            c[b] += 1;
        }
        c
    }

    /// The shot group of every bin, decided by its training samples: the group most of them
    /// belong to (ties go to the rarer group), `None` for a bin without training samples. For
    /// UCI-DIR all samples of a bin share its group; for IOL, where groups come from the
    /// location x, a target bin mixes groups and this is their plurality — never the group of
    /// one particular sample.
    pub fn bin_shot_groups(&self) -> Vec<Option<Shot>> {
        let k = self.binning.num_bins();
        let mut counts = vec![[0usize; 3]; k];
        for (&b, &s) in self.train.bins.iter().zip(&self.train.shots) {
            if b < k {
                counts[b][match s {
                    Shot::Many => 0,
                    Shot::Medium => 1,
                    Shot::Few => 2,
                }] += 1;
            }
        }
        counts
            .iter()
            .map(|c| {
                let best = *c.iter().max().unwrap_or(&0);
                if best == 0 {
                    None
                } else if c[2] == best {
                    Some(Shot::Few)
                } else if c[1] == best {
                    Some(Shot::Medium)
                } else {
                    Some(Shot::Many)
                }
            })
            .collect()
    }

    /// Bins whose training samples are mostly few-shot (used for the few-shot share of the
    /// sphere, paper Table 7). For UCI-DIR every sample of a bin has the bin's group; for IOL,
    /// where groups come from the location x, a target bin counts as few-shot when more than
    /// half of its training samples are.
    pub fn few_shot_bins(&self) -> Vec<usize> {
        let k = self.binning.num_bins();
        let mut few = vec![0usize; k];
        let mut all = vec![0usize; k];
        for (&b, &s) in self.train.bins.iter().zip(&self.train.shots) {
            if b < k {
                all[b] += 1;
                if s == Shot::Few {
                    few[b] += 1;
                }
            }
        }
        (0..k).filter(|&b| 2 * few[b] > all[b]).collect()
    }
}

/// Where the data lives and which split to draw.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The data directory (holding `airfoil/`, `iol-sde/`, … as in `../shared/datasets`).
    pub data_dir: PathBuf,
    /// Seed of the split (docs/protocols.md: split seed 0 for every method).
    pub split_seed: u64,
}

/// A built-in benchmark (PROTOCOLS: UCI-DIR and IOL), typed; its text form is the kebab-case
/// name used on the command line and in configs (`airfoil`, `iol-linear`, …).
///
/// ```
/// use srl_data::BenchmarkId;
/// let b: BenchmarkId = "real-estate".parse().unwrap();
/// assert_eq!(b, BenchmarkId::RealEstate);
/// assert_eq!(b.to_string(), "real-estate");
/// assert!(BenchmarkId::IolSde.is_operator() && !b.is_operator());
/// assert!("mnist".parse::<BenchmarkId>().unwrap_err().to_string().contains("airfoil"));
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum BenchmarkId {
    /// UCI Airfoil self-noise.
    Airfoil,
    /// UCI Abalone.
    Abalone,
    /// UCI Concrete compressive strength.
    Concrete,
    /// UCI Real estate valuation.
    RealEstate,
    /// Imbalanced operator learning, linear operator (antiderivative), generated.
    IolLinear,
    /// Imbalanced operator learning, nonlinear operator (stochastic elliptic equation).
    IolSde,
}

impl BenchmarkId {
    /// Every benchmark, in the order of the result tables.
    pub const ALL: [BenchmarkId; 6] = [
        BenchmarkId::Airfoil,
        BenchmarkId::Abalone,
        BenchmarkId::Concrete,
        BenchmarkId::RealEstate,
        BenchmarkId::IolLinear,
        BenchmarkId::IolSde,
    ];

    /// The kebab-case name (its row of the name table, [`Named`]).
    pub fn as_str(self) -> &'static str {
        self.name()
    }

    /// Whether this is an operator-learning (IOL) benchmark.
    pub fn is_operator(self) -> bool {
        matches!(self, BenchmarkId::IolLinear | BenchmarkId::IolSde)
    }
}

impl std::fmt::Display for BenchmarkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Named for BenchmarkId {
    const WHAT: &'static str = "benchmark";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (BenchmarkId::Airfoil, "airfoil", "UCI Airfoil self-noise"),
        (BenchmarkId::Abalone, "abalone", "UCI Abalone"),
        (
            BenchmarkId::Concrete,
            "concrete",
            "UCI Concrete compressive strength",
        ),
        (
            BenchmarkId::RealEstate,
            "real-estate",
            "UCI Real estate valuation",
        ),
        (
            BenchmarkId::IolLinear,
            "iol-linear",
            "imbalanced operator learning, linear operator (generated)",
        ),
        (
            BenchmarkId::IolSde,
            "iol-sde",
            "imbalanced operator learning, stochastic elliptic equation",
        ),
    ];
}

impl std::str::FromStr for BenchmarkId {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, DataError> {
        BenchmarkId::from_name(s).map_err(|e| DataError::UnknownDataset {
            name: e.name,
            known: e.known,
        })
    }
}

/// The name of the data a model trained on: a built-in benchmark, or a user's table (named by
/// its file stem). Its text form (serde, [`fmt::Display`](std::fmt::Display)) is the plain
/// name; read back, a name in the benchmark table is that benchmark, so a table whose file is
/// named like a benchmark reads back as the benchmark (the run's `config.toml` says which).
///
/// ```
/// use srl_data::{BenchmarkId, DataName};
/// assert_eq!(DataName::of("airfoil"), DataName::Benchmark(BenchmarkId::Airfoil));
/// assert_eq!(DataName::of("yacht"), DataName::Table("yacht".into()));
/// assert_eq!(DataName::of("iol-sde").to_string(), "iol-sde");
/// assert!(DataName::of("concrete") == BenchmarkId::Concrete);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataName {
    /// A built-in benchmark.
    Benchmark(BenchmarkId),
    /// A table, by its file stem.
    Table(String),
}

impl DataName {
    /// The benchmark named `name`, else a table of that name.
    pub fn of(name: &str) -> Self {
        BenchmarkId::from_name(name).map_or_else(|_| DataName::Table(name.to_string()), Self::from)
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        match self {
            DataName::Benchmark(b) => b.name(),
            DataName::Table(t) => t,
        }
    }

    /// The benchmark, if it is one.
    pub fn benchmark(&self) -> Option<BenchmarkId> {
        match self {
            DataName::Benchmark(b) => Some(*b),
            DataName::Table(_) => None,
        }
    }
}

impl From<BenchmarkId> for DataName {
    fn from(b: BenchmarkId) -> Self {
        DataName::Benchmark(b)
    }
}

impl PartialEq<BenchmarkId> for DataName {
    fn eq(&self, b: &BenchmarkId) -> bool {
        self.benchmark() == Some(*b)
    }
}

impl std::fmt::Display for DataName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DataName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DataName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| DataName::of(&s))
    }
}

/// Loads and prepares a benchmark.
///
/// UCI-DIR sets (`airfoil`, `abalone`, `concrete`, `real-estate`) use the balanced DIR split
/// of docs/protocols.md; `iol-linear` is generated, `iol-sde` read from `iol-sde/*.npz`.
pub fn load_benchmark(id: BenchmarkId, opts: &LoadOptions) -> Result<Benchmark, DataError> {
    load_benchmark_with(id, opts, &crate::protocol::Protocol::Standard)
}

/// [`load_benchmark`] under a test protocol ([`crate::protocol`]). UCI-DIR: the removed
/// training and validation rows join the test part before the inputs are standardised (so
/// the statistics come from the remaining training rows); IOL: they are dropped
/// ([`Benchmark::drop_removed_rows`]). `Protocol::Standard` is exactly [`load_benchmark`].
pub fn load_benchmark_with(
    id: BenchmarkId,
    opts: &LoadOptions,
    protocol: &crate::protocol::Protocol,
) -> Result<Benchmark, DataError> {
    match id {
        BenchmarkId::Airfoil
        | BenchmarkId::Abalone
        | BenchmarkId::Concrete
        | BenchmarkId::RealEstate => {
            crate::uci::load_uci_benchmark_with(id.as_str(), opts, protocol)
        }
        BenchmarkId::IolLinear => {
            crate::iol::linear_benchmark(&crate::iol::LinearIolConfig::default(), opts.split_seed)?
                .drop_removed_rows(protocol)
        }
        BenchmarkId::IolSde => {
            crate::iol::sde_benchmark(&opts.data_dir, opts.split_seed)?.drop_removed_rows(protocol)
        }
    }
}
