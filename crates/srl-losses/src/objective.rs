//! The combined SRL objective (paper Eq. 7 and 11, without the regression term):
//!
//! L_SRL = λ_e·L_env + λ_h·L_homo + λ_c·L_con,
//!
//! evaluated on one batch of raw features h (M×d) with their label bins. The forward pass is
//! z = h/‖h‖ → completed centroid table C (batch centroids, memory rows, zero rows; see
//! [`srl_surrogate`]) → the three losses. The backward pass goes C → batch centroids → z → h,
//! plus the direct path z → L_con (C is stop-gradient inside the contrastive term).
//!
//! The regression loss and its gradient are added by the caller; so is the warm-up switch
//! ([`Surrogate::is_active`]) and the memory update ([`Surrogate::accumulate`] with
//! [`SrlObjective::normalized`], then [`Surrogate::end_epoch`]).

use crate::contrastive::CentroidContrastiveLoss;
use crate::enveloping::{shape_error, EnvelopingLoss, PointsPolicy};
use crate::homogeneity::{validate_bin_centres, HomogeneityForm, HomogeneityLoss};
use crate::{LossError, Temperature};
use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut2};
use serde::{Deserialize, Serialize};
use srl_geometry::{normalize_rows_backward_into, normalize_rows_into, Float};
use srl_surrogate::{MemoryParams, Surrogate, SurrogateTable, ValidMemoryParams};

/// Weights (λ_e, λ_h, λ_c) of the three SRL terms (paper Eq. 11); each finite and ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SrlWeights {
    /// λ_e, weight of the enveloping loss.
    pub envelope: f64,
    /// λ_h, weight of the homogeneity loss.
    pub homogeneity: f64,
    /// λ_c, weight of the centroid contrastive loss.
    pub contrastive: f64,
}

impl SrlWeights {
    /// Checks every weight is finite and ≥ 0; the error names e.g. `weights.envelope`.
    pub fn validate(&self) -> Result<(), LossError> {
        for (name, w) in [
            ("weights.envelope", self.envelope),
            ("weights.homogeneity", self.homogeneity),
            ("weights.contrastive", self.contrastive),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(LossError::InvalidParameter {
                    name,
                    reason: format!("must be finite and ≥ 0, got {w}"),
                });
            }
        }
        Ok(())
    }
}

/// Which centroids the geometric losses see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SurrogateMode {
    /// The paper's surrogate (Eq. 8–9): batch centroids completed with the memory rows of
    /// absent bins (zero rows for never-seen bins).
    #[default]
    Memory,
    /// Ablation "without the surrogate": only the batch's own centroids. The losses run on the
    /// table of the P bins present in the batch (the homogeneity loss pairs consecutive
    /// *present* bins with their centre spacing; the contrastive negatives are the other
    /// present centroids); absent bins are skipped and the memory is not read.
    BatchOnly,
}

impl SurrogateMode {
    /// Whether this is the paper's memory surrogate (the default).
    pub fn is_memory(&self) -> bool {
        *self == SurrogateMode::Memory
    }
}

/// Every hyper-parameter of SRL — the one place they are declared. Data-derived quantities
/// (number of bins K, dimension d, bin centres, seed) are not hyper-parameters and live in
/// [`SrlConfig`]; the memory's α, update mode and warm-up are [`MemoryParams`] of
/// `srl-surrogate`, embedded here.
///
/// linfa's pattern: presets are constructors ([`paper`](Self::paper),
/// [`authors_code`](Self::authors_code), [`tabular`](Self::tabular), …) and
/// [`check`](Self::check) validates every field, the error naming it.
///
/// ```
/// use srl_losses::SrlParams;
/// let p = SrlParams::paper();
/// assert_eq!((p.weights.envelope, p.weights.contrastive, p.tau), (0.1, 1.0, 1.0));
/// assert!(p.check().is_ok());
/// let bad = SrlParams { tau: 0.0, ..p };
/// assert!(bad.check().unwrap_err().to_string().contains("tau"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrlParams {
    /// λ_e, λ_h, λ_c (Eq. 11).
    pub weights: SrlWeights,
    /// Contrastive temperature τ > 0 (Eq. 10; the paper has τ = 1).
    pub tau: f64,
    /// Number N of Monte-Carlo points of the enveloping loss (≥ 1).
    pub num_points: usize,
    /// Fixed or per-epoch redrawn points.
    pub points_policy: PointsPolicy,
    /// Paper (Eq. 6) or authors'-code homogeneity loss.
    pub homogeneity: HomogeneityForm,
    /// Momentum α, update mode (streaming or exact) and warm-up epochs of the memory (Eq. 9).
    pub memory: MemoryParams,
    /// The paper's surrogate, or the batch's own centroids only (ablation); written only
    /// when not the default.
    #[serde(default, skip_serializing_if = "SurrogateMode::is_memory")]
    pub surrogate: SurrogateMode,
}

impl SrlParams {
    /// The paper's settings: λ_e = λ_h = 0.1, λ_c = 1, τ = 1, paper homogeneity (Eq. 6),
    /// N = 2000 fixed points, memory α = 0.9 streaming with one warm-up epoch.
    pub fn paper() -> Self {
        Self {
            weights: SrlWeights {
                envelope: 0.1,
                homogeneity: 0.1,
                contrastive: 1.0,
            },
            tau: 1.0,
            num_points: 2000,
            points_policy: PointsPolicy::Fixed,
            homogeneity: HomogeneityForm::Paper,
            memory: MemoryParams::default(),
            surrogate: SurrogateMode::Memory,
        }
    }

    /// The authors' AgeDB code: λ_c = 10, λ_e = 100, λ_h = 0.01, τ = 0.3, N = 2000 fixed
    /// points, homogeneity −Σ cos + 0.1·Var, exact memory without warm-up.
    pub fn authors_code() -> Self {
        Self {
            weights: SrlWeights {
                envelope: 100.0,
                homogeneity: 0.01,
                contrastive: 10.0,
            },
            tau: 0.3,
            homogeneity: HomogeneityForm::AuthorsCode { beta: 0.1 },
            memory: MemoryParams::authors_code(),
            ..Self::paper()
        }
    }

    /// The project's preset for the small tabular benchmarks (UCI-DIR): λ_e = 1, λ_h = 0.01,
    /// λ_c = 0.03, τ = 0.1, N = 1000, Eq. 6, streaming α = 0.9, one warm-up epoch — chosen on
    /// Airfoil validation MAE (docs/results/tuning/).
    pub fn tabular() -> Self {
        Self {
            weights: SrlWeights {
                envelope: 1.0,
                homogeneity: 0.01,
                contrastive: 0.03,
            },
            tau: 0.1,
            num_points: 1000,
            ..Self::paper()
        }
    }

    /// The operator-learning preset (IOL-nonlinear): the authors' IOL weights
    /// λ_e = λ_h = λ_c = 1e-4, τ = 1, N = 1000, Eq. 6, streaming α = 0.9, no warm-up.
    pub fn operator() -> Self {
        Self {
            weights: SrlWeights {
                envelope: 1e-4,
                homogeneity: 1e-4,
                contrastive: 1e-4,
            },
            tau: 1.0,
            num_points: 1000,
            memory: MemoryParams {
                warmup_epochs: 0,
                ..MemoryParams::default()
            },
            ..Self::paper()
        }
    }

    /// IOL-linear: [`operator`](Self::operator) with λ_c = 3e-3 and τ = 0.1, chosen on
    /// validation MAE in two rounds of `cargo xtask tune` (docs/results/tuning/).
    pub fn iol_linear() -> Self {
        Self {
            weights: SrlWeights {
                contrastive: 3e-3,
                ..Self::operator().weights
            },
            tau: 0.1,
            ..Self::operator()
        }
    }

    /// Validates every field once; the `InvalidParameter` error names it (`weights.*`, `tau`,
    /// `num_points`, `homogeneity.beta`, `memory.momentum`). The [`ValidSrlParams`] it returns
    /// is what [`SrlObjective::new`] builds from without checking again.
    pub fn check(&self) -> Result<ValidSrlParams, LossError> {
        self.weights.validate()?;
        let tau = Temperature::check("tau", self.tau)?;
        if self.num_points == 0 {
            return Err(LossError::InvalidParameter {
                name: "num_points",
                reason: "need at least one point".into(),
            });
        }
        if let HomogeneityForm::AuthorsCode { beta } = self.homogeneity {
            if !(beta.is_finite() && beta >= 0.0) {
                return Err(LossError::InvalidParameter {
                    name: "homogeneity.beta",
                    reason: format!("must be finite and ≥ 0, got {beta}"),
                });
            }
        }
        let memory = self
            .memory
            .check()
            .map_err(|e| LossError::InvalidParameter {
                name: "memory.momentum",
                reason: e.to_string(),
            })?;
        Ok(ValidSrlParams {
            params: *self,
            tau,
            memory,
        })
    }
}

/// [`SrlParams`] that passed [`SrlParams::check`] (only it makes one), with τ as a checked
/// [`Temperature`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidSrlParams {
    params: SrlParams,
    tau: Temperature,
    memory: ValidMemoryParams,
}

impl ValidSrlParams {
    /// The checked parameters.
    pub fn params(&self) -> &SrlParams {
        &self.params
    }

    /// The checked temperature τ.
    pub fn tau(&self) -> Temperature {
        self.tau
    }

    /// The checked memory settings.
    pub fn memory(&self) -> ValidMemoryParams {
        self.memory
    }

    /// The objective's config for K bins in d dimensions with `bin_centres` and the points'
    /// `seed`; only the shape (K, d, the centres) is checked, the parameters were.
    pub fn config(
        self,
        num_bins: usize,
        dim: usize,
        bin_centres: Vec<f64>,
        seed: u64,
    ) -> Result<ValidSrlConfig, LossError> {
        let config = SrlConfig {
            seed,
            ..SrlConfig::new(num_bins, dim, bin_centres, self.params)
        };
        config.check_shape()?;
        Ok(ValidSrlConfig {
            config,
            params: self,
        })
    }
}

/// An SRL objective's shape: the data-derived K, d and bin centres, the seed of the enveloping
/// points, and the hyper-parameters [`SrlParams`].
///
/// ```
/// use srl_losses::objective::SrlConfig;
/// let centres: Vec<f64> = (0..10).map(|k| k as f64 + 0.5).collect();
/// let paper = SrlConfig::paper(10, 16, centres.clone());
/// assert_eq!((paper.params.weights.envelope, paper.params.tau), (0.1, 1.0));
/// let code = SrlConfig::authors_code(10, 16, centres);
/// assert_eq!((code.params.weights.envelope, code.params.tau, code.params.num_points), (100.0, 0.3, 2000));
/// assert!(paper.validate().is_ok() && code.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SrlConfig {
    /// Number of label bins K (≥ 2).
    pub num_bins: usize,
    /// Representation dimension d (≥ 1).
    pub dim: usize,
    /// Bin centres y*_1 < … < y*_K (length K).
    pub bin_centres: Vec<f64>,
    /// Seed of the enveloping points (epoch e redraws from `seed + e`).
    pub seed: u64,
    /// The hyper-parameters.
    pub params: SrlParams,
}

impl SrlConfig {
    /// K × d with centres `bin_centres`, seed 0 and the given hyper-parameters.
    pub fn new(num_bins: usize, dim: usize, bin_centres: Vec<f64>, params: SrlParams) -> Self {
        Self {
            num_bins,
            dim,
            bin_centres,
            seed: 0,
            params,
        }
    }

    /// [`SrlParams::paper`] for K bins in d dimensions.
    pub fn paper(num_bins: usize, dim: usize, bin_centres: Vec<f64>) -> Self {
        Self::new(num_bins, dim, bin_centres, SrlParams::paper())
    }

    /// [`SrlParams::authors_code`] for K bins in d dimensions.
    pub fn authors_code(num_bins: usize, dim: usize, bin_centres: Vec<f64>) -> Self {
        Self::new(num_bins, dim, bin_centres, SrlParams::authors_code())
    }

    /// Validates every field; the `InvalidParameter` error names it (`num_bins`, `dim`,
    /// `bin_centres`, and those of [`SrlParams::check`]).
    pub fn validate(&self) -> Result<(), LossError> {
        self.check_ref().map(|_| ())
    }

    /// Validates every field once (see [`validate`](Self::validate)) and returns the config
    /// as a [`ValidSrlConfig`], which [`SrlObjective::new`] takes without checking again.
    ///
    /// ```
    /// use srl_losses::{SrlConfig, SrlObjective};
    /// let centres: Vec<f64> = (0..4).map(|k| k as f64).collect();
    /// let valid = SrlConfig::paper(4, 3, centres.clone()).check().unwrap();
    /// assert!(SrlObjective::<f32>::new(valid).is_ok());
    /// let mut bad = SrlConfig::paper(4, 3, centres);
    /// bad.params.weights.homogeneity = -1.0;
    /// assert!(bad.check().unwrap_err().to_string().contains("weights.homogeneity"));
    /// ```
    pub fn check(self) -> Result<ValidSrlConfig, LossError> {
        let params = self.check_ref()?;
        Ok(ValidSrlConfig {
            config: self,
            params,
        })
    }

    fn check_ref(&self) -> Result<ValidSrlParams, LossError> {
        self.check_shape()?;
        self.params.check()
    }

    /// Checks K ≥ 2, d ≥ 1 and the K centres.
    fn check_shape(&self) -> Result<(), LossError> {
        if self.num_bins < 2 {
            return Err(LossError::InvalidParameter {
                name: "num_bins",
                reason: format!("need at least 2 bins, got {}", self.num_bins),
            });
        }
        if self.dim == 0 {
            return Err(LossError::InvalidParameter {
                name: "dim",
                reason: "the representation dimension must be at least 1".into(),
            });
        }
        validate_bin_centres(&self.bin_centres)?;
        if self.bin_centres.len() != self.num_bins {
            return Err(LossError::InvalidParameter {
                name: "bin_centres",
                reason: format!(
                    "expected {} centres (num_bins), got {}",
                    self.num_bins,
                    self.bin_centres.len()
                ),
            });
        }
        Ok(())
    }
}

/// An [`SrlConfig`] that passed [`SrlConfig::check`] (only it makes one).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSrlConfig {
    config: SrlConfig,
    params: ValidSrlParams,
}

impl ValidSrlConfig {
    /// The checked config.
    pub fn config(&self) -> &SrlConfig {
        &self.config
    }

    /// Its checked hyper-parameters.
    pub fn params(&self) -> &ValidSrlParams {
        &self.params
    }
}

/// What [`SrlObjective::new`] accepts: a [`ValidSrlConfig`] (used as it is) or an
/// [`SrlConfig`] (checked once, by [`SrlConfig::check`]).
pub trait CheckedSrlConfig {
    /// The checked config.
    fn into_valid(self) -> Result<ValidSrlConfig, LossError>;
}

impl CheckedSrlConfig for ValidSrlConfig {
    fn into_valid(self) -> Result<ValidSrlConfig, LossError> {
        Ok(self)
    }
}

impl CheckedSrlConfig for SrlConfig {
    fn into_valid(self) -> Result<ValidSrlConfig, LossError> {
        self.check()
    }
}

/// Unweighted values of the three SRL terms of one batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SrlParts<F> {
    /// L_env.
    pub envelope: F,
    /// L_homo.
    pub homogeneity: F,
    /// L_con.
    pub contrastive: F,
}

impl<F: Float> SrlParts<F> {
    /// λ_e·L_env + λ_h·L_homo + λ_c·L_con.
    pub fn total(&self, w: &SrlWeights) -> F {
        F::cst(w.envelope) * self.envelope
            + F::cst(w.homogeneity) * self.homogeneity
            + F::cst(w.contrastive) * self.contrastive
    }
}

/// Result of [`SrlObjective::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct SrlOutput<F> {
    /// Weighted total λ_e·L_env + λ_h·L_homo + λ_c·L_con.
    pub total: F,
    /// Unweighted terms.
    pub parts: SrlParts<F>,
    /// ∂total/∂h (M×d).
    pub grad_h: Array2<F>,
}

/// The SRL objective with all its scratch buffers.
///
/// # Using SRL with features from another framework
///
/// Export the batch's raw features h (M×d, before normalisation) and the label bins, call
/// [`evaluate`](Self::evaluate) (or the allocation-free [`evaluate_into`](Self::evaluate_into)),
/// and feed `grad_h` back into your framework as the upstream gradient of h (e.g.
/// `h.backward(gradient=grad_h)` in PyTorch), added to the regression loss's gradient. After
/// the step, pass [`normalized`](Self::normalized) to [`Surrogate::accumulate`] and call
/// [`Surrogate::end_epoch`] once per epoch.
///
/// ```
/// use ndarray::array;
/// use srl_losses::objective::{SrlConfig, SrlObjective};
/// use srl_surrogate::{Surrogate, SurrogateConfig};
///
/// // 3 bins with centres 0, 1, 2; 2-D features.
/// let config = SrlConfig::paper(3, 2, vec![0.0, 1.0, 2.0]);
/// let mut srl = SrlObjective::<f32>::new(config).unwrap();
/// let mut memory = Surrogate::<f32>::new(SurrogateConfig::new(3, 2)).unwrap();
///
/// // Features h from your model (any framework), and each sample's label bin.
/// let h = array![[0.9_f32, 0.1], [0.2, 1.5], [-1.0, 0.3]];
/// let bins = [0, 1, 2];
/// let out = srl.evaluate(h.view(), &bins, &memory).unwrap();
/// assert!(out.total.is_finite());
/// assert_eq!(out.grad_h.dim(), (3, 2)); // ∂L_SRL/∂h: hand this back to your framework
///
/// // Memory update (streaming): accumulate this batch's normalised features; once per epoch:
/// memory.accumulate(srl.normalized(), &bins).unwrap();
/// memory.end_epoch().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct SrlObjective<F> {
    config: SrlConfig,
    envelope: EnvelopingLoss<F>,
    homogeneity: HomogeneityLoss<F>,
    contrastive: CentroidContrastiveLoss<F>,
    /// z = h/‖h‖ of the last batch (M×d).
    z: Array2<F>,
    /// ‖h_i‖ of the last batch.
    norms: Array1<F>,
    /// Completed table of the last batch.
    table: SurrogateTable<F>,
    /// ∂total/∂C (K×d).
    grad_table: Array2<F>,
    /// ∂total/∂z (M×d).
    grad_z: Array2<F>,
    /// Rows M of the last batch (the buffers above may hold more).
    batch: usize,
    /// Scratch of [`SurrogateMode::BatchOnly`] (`None` with the memory surrogate).
    batch_only: Option<BatchOnly<F>>,
}

/// What [`SurrogateMode::BatchOnly`] needs: an empty memory to complete from (so absent bins
/// are zero rows, never memory rows), and the compact table of the present bins.
#[derive(Debug, Clone)]
struct BatchOnly<F> {
    empty: Surrogate<F>,
    /// Rows of the present bins (P×d, a prefix of K×d).
    compact: Array2<F>,
    /// ∂total/∂(compact rows).
    compact_grad: Array2<F>,
    /// Index of each sample's bin among the present bins.
    compact_bins: Vec<usize>,
    /// Position of each bin among the present ones (`usize::MAX` when absent).
    position: Vec<usize>,
    /// L_homo over the present bins (restricted per batch, [`HomogeneityLoss::restrict_to`]).
    homogeneity: HomogeneityLoss<F>,
}

impl<F: Float> SrlObjective<F> {
    /// Builds the objective from a checked config (an [`SrlConfig`] is checked here, once, by
    /// [`SrlConfig::check`]; the error names the field) and draws the enveloping points from
    /// `config.seed`.
    pub fn new(config: impl CheckedSrlConfig) -> Result<Self, LossError> {
        let valid = config.into_valid()?;
        let tau = valid.params.tau;
        let config = valid.config;
        let (k, d) = (config.num_bins, config.dim);
        Ok(Self {
            envelope: EnvelopingLoss::with_checked_points(config.params.num_points, d, config.seed),
            homogeneity: HomogeneityLoss::with_checked(
                config.params.homogeneity,
                &config.bin_centres,
            ),
            contrastive: CentroidContrastiveLoss::with_temperature(tau),
            z: Array2::zeros((0, d)),
            norms: Array1::zeros(0),
            table: SurrogateTable::new(k, d),
            grad_table: Array2::zeros((k, d)),
            grad_z: Array2::zeros((0, d)),
            batch: 0,
            batch_only: match config.params.surrogate {
                SurrogateMode::Memory => None,
                SurrogateMode::BatchOnly => Some(BatchOnly {
                    empty: Surrogate::new(srl_surrogate::SurrogateConfig::new(k, d)).map_err(
                        |e| LossError::InvalidParameter {
                            name: "surrogate",
                            reason: e.to_string(),
                        },
                    )?,
                    compact: Array2::zeros((k, d)),
                    compact_grad: Array2::zeros((k, d)),
                    compact_bins: Vec::new(),
                    position: vec![usize::MAX; k],
                    homogeneity: HomogeneityLoss::with_checked(
                        config.params.homogeneity,
                        &config.bin_centres,
                    ),
                }),
            },
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SrlConfig {
        &self.config
    }

    /// Call at the start of every epoch: with [`PointsPolicy::RedrawEachEpoch`] the points are
    /// redrawn from `seed + epoch` (so epoch 0 reuses the initial points); otherwise nothing.
    pub fn start_epoch(&mut self, epoch: usize) {
        if self.config.params.points_policy == PointsPolicy::RedrawEachEpoch {
            self.envelope
                .redraw(self.config.seed.wrapping_add(epoch as u64));
        }
    }

    /// Replaces the enveloping points (N'×d, rows normalised). Errors on a bad array or a
    /// dimension ≠ d.
    pub fn set_points(&mut self, points: Array2<F>) -> Result<(), LossError> {
        if points.ncols() != self.config.dim {
            return Err(LossError::ShapeMismatch {
                what: "points columns",
                expected: self.config.dim,
                got: points.ncols(),
            });
        }
        self.envelope = EnvelopingLoss::new(points)?;
        Ok(())
    }

    /// The enveloping loss (its points and, after an evaluation, each point's nearest row).
    pub fn envelope(&self) -> &EnvelopingLoss<F> {
        &self.envelope
    }

    /// Evaluates the objective on a batch and WRITES (overwrites) ∂total/∂h into `grad_h`.
    ///
    /// `h`: raw features M×d (M ≥ 1, finite); `bins`: their bins (< K); `surrogate`: the
    /// memory (K×d). Steps: z = normalise(h); C = surrogate.complete(z, bins);
    /// total = λ_e·L_env(C) + λ_h·L_homo(C) + λ_c·L_con(z, C̄); backward C → z → h. Rows of h
    /// that are exactly zero give z = 0 and a zero gradient (no NaN). No allocation after the
    /// first call with the largest M (smaller batches reuse a prefix of the buffers).
    ///
    /// Errors: shape mismatches (h columns, bins length, grad_h, surrogate K or d), empty
    /// batch, bins ≥ K, non-finite h.
    pub fn evaluate_into(
        &mut self,
        h: ArrayView2<F>,
        bins: &[usize],
        surrogate: &Surrogate<F>,
        mut grad_h: ArrayViewMut2<F>,
    ) -> Result<SrlParts<F>, LossError> {
        self.check_inputs(h, bins, surrogate)?;
        if grad_h.dim() != h.dim() {
            return Err(shape_error("grad_h", h.dim(), grad_h.dim()));
        }
        let m = h.nrows();
        // Grow-only buffers: a smaller batch (the last, short one of an epoch) uses a prefix.
        if self.z.nrows() < m {
            self.z = Array2::zeros(h.raw_dim());
            self.norms = Array1::zeros(m);
            self.grad_z = Array2::zeros(h.raw_dim());
        }
        self.batch = m;
        let mut z = self.z.slice_mut(s![..m, ..]);
        let mut norms = self.norms.slice_mut(s![..m]);
        let mut grad_z = self.grad_z.slice_mut(s![..m, ..]);
        normalize_rows_into(h, z.view_mut(), norms.view_mut());
        let source = self.batch_only.as_ref().map_or(surrogate, |b| &b.empty);
        source.complete_into(z.view(), bins, &mut self.table)?;

        let w = self.config.params.weights;
        self.grad_table.fill(F::zero());
        grad_z.fill(F::zero());
        let (envelope, homogeneity, contrastive) = match &mut self.batch_only {
            None => {
                let table = self.table.table();
                let envelope = self.envelope.forward_backward(
                    table,
                    self.grad_table.view_mut(),
                    F::cst(w.envelope),
                )?;
                let homogeneity = self.homogeneity.forward_backward(
                    table,
                    self.grad_table.view_mut(),
                    F::cst(w.homogeneity),
                )?;
                let contrastive = self.contrastive.forward_backward(
                    z.view(),
                    bins,
                    table,
                    grad_z.view_mut(),
                    F::cst(w.contrastive),
                )?;
                (envelope, homogeneity, contrastive)
            }
            Some(b) => {
                // The P present bins' rows, in bin order, as a compact table.
                let present = self.table.present_bins();
                let p = present.len();
                let table = self.table.table();
                b.position.fill(usize::MAX);
                for (i, &k) in present.iter().enumerate() {
                    b.position[k] = i;
                    b.compact.row_mut(i).assign(&table.row(k));
                }
                b.compact_bins.clear();
                b.compact_bins.extend(bins.iter().map(|&k| b.position[k]));
                let compact = b.compact.slice(s![..p, ..]);
                let mut cgrad = b.compact_grad.slice_mut(s![..p, ..]);
                cgrad.fill(F::zero());
                let envelope = self.envelope.forward_backward(
                    compact,
                    cgrad.view_mut(),
                    F::cst(w.envelope),
                )?;
                // Consecutive present bins, spaced by their centres (none with one bin).
                let homogeneity = if p >= 2 {
                    b.homogeneity
                        .restrict_to(&self.config.bin_centres, present)?;
                    b.homogeneity.forward_backward(
                        compact,
                        cgrad.view_mut(),
                        F::cst(w.homogeneity),
                    )?
                } else {
                    F::zero()
                };
                let contrastive = self.contrastive.forward_backward(
                    z.view(),
                    &b.compact_bins,
                    compact,
                    grad_z.view_mut(),
                    F::cst(w.contrastive),
                )?;
                for (i, &k) in present.iter().enumerate() {
                    self.grad_table.row_mut(k).assign(&cgrad.row(i));
                }
                (envelope, homogeneity, contrastive)
            }
        };
        self.table
            .backward_into(self.grad_table.view(), grad_z.view_mut())?;
        normalize_rows_backward_into(z.view(), norms.view(), grad_z.view(), grad_h.view_mut());
        Ok(SrlParts {
            envelope,
            homogeneity,
            contrastive,
        })
    }

    /// Allocating convenience form of [`evaluate_into`](Self::evaluate_into).
    pub fn evaluate(
        &mut self,
        h: ArrayView2<F>,
        bins: &[usize],
        surrogate: &Surrogate<F>,
    ) -> Result<SrlOutput<F>, LossError> {
        let mut grad_h = Array2::zeros(h.raw_dim());
        let parts = self.evaluate_into(h, bins, surrogate, grad_h.view_mut())?;
        Ok(SrlOutput {
            total: parts.total(&self.config.params.weights),
            parts,
            grad_h,
        })
    }

    /// z = h/‖h‖ of the last evaluated batch (feed it to [`Surrogate::accumulate`]).
    pub fn normalized(&self) -> ArrayView2<'_, F> {
        self.z.slice(s![..self.batch, ..])
    }

    /// The completed K×d table C of the last evaluated batch.
    pub fn last_table(&self) -> ArrayView2<'_, F> {
        self.table.table()
    }

    /// The completed table of the last batch with its row sources.
    pub fn last_surrogate_table(&self) -> &SurrogateTable<F> {
        &self.table
    }

    fn check_inputs(
        &self,
        h: ArrayView2<F>,
        bins: &[usize],
        surrogate: &Surrogate<F>,
    ) -> Result<(), LossError> {
        let (k, d) = (self.config.num_bins, self.config.dim);
        if surrogate.num_bins() != k {
            return Err(LossError::ShapeMismatch {
                what: "surrogate bins",
                expected: k,
                got: surrogate.num_bins(),
            });
        }
        if surrogate.dim() != d {
            return Err(LossError::ShapeMismatch {
                what: "surrogate dim",
                expected: d,
                got: surrogate.dim(),
            });
        }
        if h.ncols() != d {
            return Err(LossError::ShapeMismatch {
                what: "h columns",
                expected: d,
                got: h.ncols(),
            });
        }
        if h.nrows() == 0 {
            return Err(LossError::Empty { what: "batch" });
        }
        if bins.len() != h.nrows() {
            return Err(LossError::ShapeMismatch {
                what: "bins length",
                expected: h.nrows(),
                got: bins.len(),
            });
        }
        if let Some((index, &bin)) = bins.iter().enumerate().find(|(_, &b)| b >= k) {
            return Err(LossError::BinOutOfRange {
                index,
                bin,
                num_bins: k,
            });
        }
        if let Some(index) = h.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite { what: "h", index });
        }
        Ok(())
    }
}
