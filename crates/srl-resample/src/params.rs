//! Parameters, linfa-style: build a [`ResampleParams`], [`check`](ResampleParams::check) it
//! into a [`ValidParams`], hand that to [`resample`](crate::resample).

use crate::ResampleError;

/// Default relevance threshold t: a row is rare when φ(y) ≥ t.
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Default number of nearest rare neighbours of SMOTER and SMOGN.
pub const DEFAULT_K: usize = 5;
/// Default SMOGN perturbation: the Gaussian noise has standard deviation `pert` × the
/// feature's standard deviation (the `smogn` package's and the paper's 0.02).
pub const DEFAULT_PERT: f64 = 0.02;
/// Default WERCS over- and under-sampling fractions (UBL's `WERCSRegress` defaults).
pub const DEFAULT_WERCS_FRACTION: f64 = 0.5;

/// The resampling method and its own parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Random under-sampling of the normal rows (φ < t); rare rows all kept.
    RandomUnder,
    /// Random over-sampling (replication) of the rare rows; normal rows all kept.
    RandomOver,
    /// SMOTER (Torgo et al. 2013): normal rows under-sampled, synthetic rare rows interpolated
    /// between a rare seed and one of its `k` nearest rare neighbours.
    Smoter {
        /// Number of nearest neighbours (default 5).
        k: usize,
    },
    /// SMOGN (Branco, Torgo & Ribeiro 2017): SMOTER interpolation when the neighbour is within
    /// the seed's safe distance, Gaussian noise around the seed otherwise.
    Smogn {
        /// Number of nearest neighbours (default 5).
        k: usize,
        /// Noise scale as a fraction of each feature's standard deviation (default 0.02).
        pert: f64,
        /// What the safe distance is half the median of (default [`SafeDistance::Region`]).
        safe: SafeDistance,
    },
    /// WERCS (Branco, Ribeiro & Torgo 2019): replicas drawn with probability ∝ φ, removals
    /// drawn with probability ∝ 1 − φ. Ignores the threshold, regions and amount.
    Wercs {
        /// Number of replicas as a fraction of the row count (default 0.5).
        over: f64,
        /// Number of removed rows as a fraction of the row count (default 0.5).
        under: f64,
    },
}

impl Method {
    /// SMOTER with k = 5.
    pub fn smoter() -> Self {
        Method::Smoter { k: DEFAULT_K }
    }
    /// SMOGN with k = 5 and pert = 0.02.
    pub fn smogn() -> Self {
        Method::Smogn {
            k: DEFAULT_K,
            pert: DEFAULT_PERT,
            safe: SafeDistance::Region,
        }
    }
    /// WERCS with over = under = 0.5.
    pub fn wercs() -> Self {
        Method::Wercs {
            over: DEFAULT_WERCS_FRACTION,
            under: DEFAULT_WERCS_FRACTION,
        }
    }
    /// The method's short name (`smogn`, `random-under`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Method::RandomUnder => "random-under",
            Method::RandomOver => "random-over",
            Method::Smoter { .. } => "smoter",
            Method::Smogn { .. } => "smogn",
            Method::Wercs { .. } => "wercs",
        }
    }
}

/// SMOGN's safe distance of a seed is half the median of some of its distances; a neighbour
/// closer than that is interpolated with, a farther one gives a noise row instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafeDistance {
    /// Half the median distance from the seed to the rows of its region, itself included (the
    /// default; what UBL's `SMOGNRegress` and the `smogn` package compute from their full
    /// distance matrix). Exact for regions of up to [`SAFE_SAMPLE`] rows; in larger regions the
    /// median is taken over [`SAFE_SAMPLE`] rows of the region drawn without replacement from
    /// the seed's own random stream, which keeps the cost linear in the region size.
    Region,
    /// Half the median distance from the seed to its k nearest neighbours. Only the
    /// neighbours clearly nearer than the others are then safe, so most synthetic rows are
    /// noise rows.
    Neighbours,
}

/// Rows sampled per seed for [`SafeDistance::Region`] in regions larger than this.
pub const SAFE_SAMPLE: usize = 256;

/// How many rows each region ends with.
#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    /// UBL's `C.perc = "balance"` (the default). For SMOTER and SMOGN every region ends with
    /// round(N / number of regions) rows: normal regions larger than that are under-sampled,
    /// rare regions smaller than that are over-sampled (rare rows are never removed, normal
    /// rows never synthesised). For random under-sampling alone the normal regions shrink, all
    /// by the same factor, until the normal total equals the rare total; for random
    /// over-sampling alone the rare regions grow, all by the same factor, until the rare total
    /// equals the normal total.
    Balance,
    /// User factors: every normal region keeps `round(normal × size)` of its rows
    /// (0 < normal ≤ 1) and every rare region ends with `round(rare × size)` rows (rare ≥ 1).
    Factors {
        /// Fraction of each normal region kept.
        normal: f64,
        /// Multiplier of each rare region.
        rare: f64,
    },
    /// One factor per region, in the order of [`Resampled::regions`](crate::Resampled)
    /// (ascending target for bumps; normal then rare for rare-vs-normal), as UBL's `C.perc`
    /// list: a normal region keeps `round(f × size)` rows (0 < f ≤ 1), a rare region ends with
    /// `round(f × size)` rows (f ≥ 1). The number of factors is checked against the regions
    /// when resampling.
    PerRegion(Vec<f64>),
}

/// How the rows are grouped into regions (each region is resampled on its own and a
/// synthetic row's neighbours come from its seed's region).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regions {
    /// The SMOGN paper's bumps (the default): sort the rows by target; every maximal run of
    /// consecutive rows on the same side of the threshold is a region. A two-tailed target
    /// gives three regions (low rare, normal, high rare), so the low and the high tail never
    /// interpolate with each other.
    Bumps,
    /// Two regions: all rare rows, all normal rows.
    RareVsNormal,
}

/// Which nearest-neighbour search SMOTER and SMOGN use. All give the same neighbours (ties
/// broken by the lower row index); they differ in speed only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighbourSearch {
    /// The KD-tree for at most [`AUTO_KD_MAX_DIM`] columns, the brute force above (the
    /// default). Measured on the benchmark tables: with 11 columns the KD-tree is 1.5× faster
    /// than the brute force, with 59 columns 1.8× slower (a tree prunes little in high
    /// dimension, and its queries cost more than a scan of contiguous rows).
    Auto,
    /// linfa-nn's KD-tree.
    KdTree,
    /// linfa-nn's ball tree.
    BallTree,
    /// Every pair (O(n²) per region): the reference for tests, and fastest in small regions.
    BruteForce,
}

/// Widest search space for which [`NeighbourSearch::Auto`] uses the KD-tree.
pub const AUTO_KD_MAX_DIM: usize = 20;

/// Unchecked resampling parameters (build with [`ResampleParams::new`] and the setters).
#[derive(Debug, Clone, PartialEq)]
pub struct ResampleParams {
    /// The method.
    pub method: Method,
    /// Relevance threshold t ∈ (0, 1]: rare means φ ≥ t (default 0.5).
    pub threshold: f64,
    /// How many rows each region ends with (default [`Amount::Balance`]).
    pub amount: Amount,
    /// How rows are grouped into regions (default [`Regions::Bumps`]).
    pub regions: Regions,
    /// Nearest-neighbour search (default [`NeighbourSearch::Auto`]).
    pub search: NeighbourSearch,
    /// Seed of every random choice; the output depends on it and on the inputs only (not on
    /// the number of threads).
    pub seed: u64,
}

impl ResampleParams {
    /// The defaults for a method: t = 0.5, balance, bumps, automatic search, seed 0.
    pub fn new(method: Method) -> Self {
        ResampleParams {
            method,
            threshold: DEFAULT_THRESHOLD,
            amount: Amount::Balance,
            regions: Regions::Bumps,
            search: NeighbourSearch::Auto,
            seed: 0,
        }
    }
    /// Sets the relevance threshold.
    pub fn threshold(mut self, t: f64) -> Self {
        self.threshold = t;
        self
    }
    /// Sets the amount.
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = amount;
        self
    }
    /// Sets the regions.
    pub fn regions(mut self, regions: Regions) -> Self {
        self.regions = regions;
        self
    }
    /// Sets the neighbour search.
    pub fn search(mut self, search: NeighbourSearch) -> Self {
        self.search = search;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every parameter: t ∈ (0, 1], k ≥ 1, 0 < pert ≤ 1, WERCS fractions in [0, 1] and
    /// finite, factors 0 < normal ≤ 1 ≤ rare and finite.
    pub fn check(&self) -> Result<ValidParams, ResampleError> {
        let t = self.threshold;
        if !(t > 0.0 && t <= 1.0) {
            return Err(ResampleError::param(
                "threshold",
                format!("{t}: must lie in (0, 1]"),
            ));
        }
        match self.method {
            Method::Smoter { k } | Method::Smogn { k, .. } if k == 0 => {
                return Err(ResampleError::param("k", "0: must be at least 1"));
            }
            Method::Smogn { pert, .. } if !(pert > 0.0 && pert <= 1.0) => {
                return Err(ResampleError::param(
                    "pert",
                    format!("{pert}: must lie in (0, 1]"),
                ));
            }
            Method::Wercs { over, under } => {
                for (name, v) in [("over", over), ("under", under)] {
                    if !(0.0..=1.0).contains(&v) {
                        return Err(ResampleError::param(
                            name,
                            format!("{v}: the WERCS fraction must lie in [0, 1]"),
                        ));
                    }
                }
            }
            _ => {}
        }
        if let Amount::Factors { normal, rare } = self.amount {
            if !(normal > 0.0 && normal <= 1.0) {
                return Err(ResampleError::param(
                    "normal factor",
                    format!("{normal}: the fraction of normal rows kept must lie in (0, 1]"),
                ));
            }
            if !(rare >= 1.0 && rare.is_finite() && rare <= 1e6) {
                return Err(ResampleError::param(
                    "rare factor",
                    format!("{rare}: the rare multiplier must lie in [1, 1e6]"),
                ));
            }
        }
        if let Amount::PerRegion(f) = &self.amount {
            if let Some(v) = f
                .iter()
                .find(|v| !(v.is_finite() && **v > 0.0 && **v <= 1e6))
            {
                return Err(ResampleError::param(
                    "region factor",
                    format!("{v}: must lie in (0, 1e6]"),
                ));
            }
        }
        Ok(ValidParams(self.clone()))
    }
}

/// Parameters that passed [`ResampleParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidParams(pub(crate) ResampleParams);

impl ValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &ResampleParams {
        &self.0
    }
}

impl std::ops::Deref for ValidParams {
    type Target = ResampleParams;
    fn deref(&self) -> &ResampleParams {
        &self.0
    }
}
