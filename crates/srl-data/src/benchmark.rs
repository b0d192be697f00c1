//! The prepared benchmark: train/validation/test arrays, bins and shot groups, ready for
//! training. One type for UCI-DIR and IOL so the trainer treats every benchmark alike.

use crate::{Binning, DataError};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Many / medium / few-shot group of a sample (DIR protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shot {
    /// Bins with many training samples.
    Many,
    /// Bins with a medium number of training samples.
    Medium,
    /// Bins with few training samples.
    Few,
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
    /// Benchmark name (e.g. `airfoil`, `iol-linear`).
    pub name: String,
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
    pub table: Option<Box<crate::table::TableInfo>>,
}

impl Benchmark {
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

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            BenchmarkId::Airfoil => "airfoil",
            BenchmarkId::Abalone => "abalone",
            BenchmarkId::Concrete => "concrete",
            BenchmarkId::RealEstate => "real-estate",
            BenchmarkId::IolLinear => "iol-linear",
            BenchmarkId::IolSde => "iol-sde",
        }
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

impl std::str::FromStr for BenchmarkId {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, DataError> {
        BenchmarkId::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| DataError::UnknownDataset {
                name: s.to_string(),
                known: BenchmarkId::ALL.map(BenchmarkId::as_str).join(", "),
            })
    }
}

/// Loads and prepares a benchmark.
///
/// UCI-DIR sets (`airfoil`, `abalone`, `concrete`, `real-estate`) use the balanced DIR split
/// of docs/protocols.md; `iol-linear` is generated, `iol-sde` read from `iol-sde/*.npz`.
pub fn load_benchmark(id: BenchmarkId, opts: &LoadOptions) -> Result<Benchmark, DataError> {
    match id {
        BenchmarkId::Airfoil
        | BenchmarkId::Abalone
        | BenchmarkId::Concrete
        | BenchmarkId::RealEstate => crate::uci::load_uci_benchmark(id.as_str(), opts),
        BenchmarkId::IolLinear => {
            crate::iol::linear_benchmark(&crate::iol::LinearIolConfig::default(), opts.split_seed)
        }
        BenchmarkId::IolSde => crate::iol::sde_benchmark(&opts.data_dir, opts.split_seed),
    }
}
