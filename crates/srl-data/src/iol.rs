//! Imbalanced operator learning (IOL, paper §5 and Table 6): the two operator benchmarks.
//!
//! Both benchmarks learn an operator G: u ↦ G(u) from pairs ([u(sensors), x], G(u)(x)), where
//! the imbalance is in the *location* x: training locations are drawn with the piecewise
//! relative density of docs/protocols.md ([`location_weight`]), validation and test locations
//! are uniform, and the many/medium/few-shot groups are regions of x ([`shot_by_location`]).
//!
//! - **Linear** ([`linear_benchmark`]): the antiderivative s(x) = ∫₀ˣ u(t) dt of a zero-mean
//!   Gaussian random field u on [0, 1] with RBF kernel k(x,x') = exp(−(x−x')²/(2ℓ²)), ℓ = 0.2,
//!   observed at m = 100 equally spaced sensors. Generated here, deterministic for a seed.
//! - **Nonlinear** ([`sde_benchmark`]): the stochastic elliptic equation
//!   div(e^{b(x;ω)} ∇u(x;ω)) = f(x) (paper Eq. 13), read from `iol-sde/*.npz`.
//!
//! Inputs are *not* standardised: sensor values are O(1) by construction (unit-variance field
//! for the linear case, the authors' DeepONet inputs for the nonlinear one) and x ∈ [0, 1];
//! docs/protocols.md prescribes no standardisation for IOL and the authors' code uses raw
//! inputs. SRL bins are K = 100 equal-width bins over the training target range (validation
//! and test targets outside it are clamped into the end bins by [`Binning`]).

use crate::checksum::verify_file;
use crate::{Benchmark, Binning, DataError, Part, Shot};
use ndarray::{s, Array1, Array2, ArrayD, Axis, Ix2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Location weights and shot groups (shared by both benchmarks)
// ---------------------------------------------------------------------------------------------

/// The training-location density of docs/protocols.md as segments `(lo, hi, relative weight)`
/// covering [0, 1] in order; each segment is `[lo, hi)` except the last, which is `[0.9, 1]`.
pub const TRAIN_LOCATION_SEGMENTS: [(f64, f64, f64); 7] = [
    (0.0, 0.1, 0.1),
    (0.1, 0.2, 0.3),
    (0.2, 0.4, 0.6),
    (0.4, 0.6, 1.0),
    (0.6, 0.8, 0.6),
    (0.8, 0.9, 0.3),
    (0.9, 1.0, 0.1),
];

/// Relative sampling weight of a training location x (docs/protocols.md, IOL):
/// 1.0 on [0.4, 0.6), 0.6 on [0.2, 0.4) ∪ [0.6, 0.8), 0.3 on [0.1, 0.2) ∪ [0.8, 0.9), and
/// 0.1 elsewhere (x < 0.1 or x ≥ 0.9; the authors wrote "x > 0.9", the single point 0.9 is
/// given the same weight).
///
/// ```
/// use srl_data::iol::location_weight;
/// assert_eq!(location_weight(0.5), 1.0);
/// assert_eq!(location_weight(0.25), 0.6);
/// assert_eq!(location_weight(0.85), 0.3);
/// assert_eq!(location_weight(0.95), 0.1);
/// ```
pub fn location_weight(x: f64) -> f64 {
    let within = |lo: f64, hi: f64| (lo..hi).contains(&x);
    if within(0.4, 0.6) {
        1.0
    } else if within(0.2, 0.4) || within(0.6, 0.8) {
        0.6
    } else if within(0.1, 0.2) || within(0.8, 0.9) {
        0.3
    } else {
        0.1
    }
}

/// Shot group of a location x (docs/protocols.md, IOL): many-shot 0.2 < x < 0.8; medium-shot
/// 0.1 < x ≤ 0.2 or 0.8 ≤ x < 0.9; few-shot x ≤ 0.1 or x ≥ 0.9.
///
/// ```
/// use srl_data::{iol::shot_by_location, Shot};
/// assert_eq!(shot_by_location(0.5), Shot::Many);
/// assert_eq!(shot_by_location(0.2), Shot::Medium);
/// assert_eq!(shot_by_location(0.8), Shot::Medium);
/// assert_eq!(shot_by_location(0.1), Shot::Few);
/// assert_eq!(shot_by_location(0.9), Shot::Few);
/// ```
pub fn shot_by_location(x: f64) -> Shot {
    if x > 0.2 && x < 0.8 {
        Shot::Many
    } else if (x > 0.1 && x <= 0.2) || (0.8..0.9).contains(&x) {
        Shot::Medium
    } else {
        Shot::Few
    }
}

/// Draws `n` locations in [0, 1] with the piecewise-constant density proportional to
/// [`TRAIN_LOCATION_SEGMENTS`]: a segment is chosen with probability ∝ weight × length, then
/// x is uniform within it.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let xs = srl_data::iol::sample_train_locations(1000, &mut rng);
/// assert!(xs.iter().all(|&x| (0.0..=1.0).contains(&x)));
/// ```
pub fn sample_train_locations<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<f64> {
    let masses: Vec<f64> = TRAIN_LOCATION_SEGMENTS
        .iter()
        .map(|&(lo, hi, w)| w * (hi - lo))
        .collect();
    let total: f64 = masses.iter().sum();
    (0..n)
        .map(|_| {
            let mut r = rng.gen::<f64>() * total;
            let mut seg = TRAIN_LOCATION_SEGMENTS.len() - 1;
            for (k, &m) in masses.iter().enumerate() {
                if r < m {
                    seg = k;
                    break;
                }
                r -= m;
            }
            let (lo, hi, _) = TRAIN_LOCATION_SEGMENTS[seg];
            lo + (hi - lo) * rng.gen::<f64>()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Gaussian random field and the antiderivative
// ---------------------------------------------------------------------------------------------

/// The RBF (squared-exponential) kernel k(a, b) = exp(−(a−b)²/(2ℓ²)).
pub fn rbf_kernel(a: f64, b: f64, length_scale: f64) -> f64 {
    let d = a - b;
    (-(d * d) / (2.0 * length_scale * length_scale)).exp()
}

/// Smallest diagonal jitter tried when factorising the (numerically singular) RBF covariance.
const JITTER_START: f64 = 1e-10;
/// Largest jitter before giving up; the added white noise then has std 1e-2 at most.
const JITTER_MAX: f64 = 1e-4;
/// Largest grid the generator accepts (the factor is a dense points × points matrix).
const MAX_GRID_POINTS: usize = 10_000;

/// A zero-mean Gaussian random field on [0, 1] with RBF kernel, discretised on the uniform
/// grid `linspace(0, 1, points)`.
///
/// Samples are u = L·ξ with ξ ~ N(0, I) and L the lower Cholesky factor of
/// K + εI, K_ij = k(x_i, x_j); the jitter ε starts at 1e-10 and is multiplied by 10 until the
/// factorisation succeeds (the RBF Gram matrix on a fine grid is numerically singular). The
/// factor is computed once and reused for every draw, so sampling n functions is one GEMM.
///
/// ```
/// use rand::SeedableRng;
/// let grf = srl_data::iol::GaussianRandomField::new(0.2, 50).unwrap();
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let u = grf.sample(3, &mut rng);
/// assert_eq!(u.dim(), (3, 50));
/// assert!(grf.jitter() <= 1e-4);
/// ```
#[derive(Debug, Clone)]
pub struct GaussianRandomField {
    length_scale: f64,
    grid: Array1<f64>,
    factor: Array2<f64>,
    jitter: f64,
}

impl GaussianRandomField {
    /// Builds the field with length scale ℓ on `points` ≥ 2 equally spaced points of [0, 1].
    pub fn new(length_scale: f64, points: usize) -> Result<Self, DataError> {
        if !(length_scale.is_finite() && length_scale > 0.0) {
            return Err(DataError::invalid(
                "GRF length scale",
                format!("must be finite and > 0, got {length_scale}"),
            ));
        }
        if !(2..=MAX_GRID_POINTS).contains(&points) {
            return Err(DataError::invalid(
                "GRF grid points",
                format!("must be in 2..={MAX_GRID_POINTS}, got {points}"),
            ));
        }
        let grid = Array1::linspace(0.0, 1.0, points);
        let mut jitter = JITTER_START;
        loop {
            let cov = Array2::from_shape_fn((points, points), |(i, j)| {
                rbf_kernel(grid[i], grid[j], length_scale) + if i == j { jitter } else { 0.0 }
            });
            if let Some(factor) = cholesky_lower(&cov) {
                return Ok(Self {
                    length_scale,
                    grid,
                    factor,
                    jitter,
                });
            }
            jitter *= 10.0;
            if jitter > JITTER_MAX {
                return Err(DataError::invalid(
                    "GRF covariance",
                    format!(
                        "not positive definite even with jitter {JITTER_MAX:e} \
                         (length scale {length_scale}, {points} points)"
                    ),
                ));
            }
        }
    }

    /// Length scale ℓ of the kernel.
    pub fn length_scale(&self) -> f64 {
        self.length_scale
    }

    /// The grid points x_i = i/(points − 1).
    pub fn grid(&self) -> &Array1<f64> {
        &self.grid
    }

    /// The diagonal jitter ε that made K + εI factorisable.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// Lower Cholesky factor L of K + εI.
    pub fn factor(&self) -> &Array2<f64> {
        &self.factor
    }

    /// Draws `n` independent functions, one per row: U = Ξ·Lᵀ with Ξ (n × points) i.i.d.
    /// standard normal, drawn row by row from `rng`.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Array2<f64> {
        let points = self.grid.len();
        let xi = Array2::from_shape_simple_fn((n, points), || rng.sample::<f64, _>(StandardNormal));
        xi.dot(&self.factor.t())
    }
}

/// Lower Cholesky factor of a symmetric matrix, or `None` if a pivot is not positive.
///
/// Row-oriented (L_ij = (A_ij − Σ_{k<j} L_ik L_jk)/L_jj), so every inner product runs over
/// two contiguous row prefixes.
fn cholesky_lower(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot = dot_unrolled(&l[i * n..i * n + j], &l[j * n..j * n + j]);
            let v = a[[i, j]] - dot;
            if i == j {
                if !(v > 0.0 && v.is_finite()) {
                    return None;
                }
                l[i * n + i] = v.sqrt();
            } else {
                l[i * n + j] = v / l[j * n + j];
            }
        }
    }
    Array2::from_shape_vec((n, n), l).ok()
}

/// Inner product with four independent accumulators (lets the compiler vectorise).
fn dot_unrolled(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        for (k, slot) in acc.iter_mut().enumerate() {
            *slot += a[4 * c + k] * b[4 * c + k];
        }
    }
    let mut tail = 0.0;
    for k in 4 * chunks..a.len() {
        tail += a[k] * b[k];
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// A function on [0, 1] given by its values on the uniform grid `linspace(0, 1, n)`, extended
/// by linear interpolation, together with its exact running integral.
///
/// The integral is that of the piecewise-linear interpolant, so it is the cumulative
/// trapezoid rule at grid points, s(0) = 0 exactly, and d/dx ∫₀ˣ = [`value`](Self::value)
/// everywhere (no interpolation mismatch between u and s).
///
/// ```
/// // u(x) = x on 11 points: ∫₀ˣ t dt = x²/2 exactly for a linear function.
/// let u: Vec<f64> = (0..11).map(|i| i as f64 / 10.0).collect();
/// let f = srl_data::iol::GridFunction::new(u).unwrap();
/// assert_eq!(f.integral(0.0), 0.0);
/// assert!((f.integral(0.35) - 0.35 * 0.35 / 2.0).abs() < 1e-15);
/// assert!((f.value(0.35) - 0.35).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct GridFunction {
    step: f64,
    values: Vec<f64>,
    cumulative: Vec<f64>,
}

impl GridFunction {
    /// Wraps ≥ 2 finite grid values u(i/(n−1)), i = 0..n.
    pub fn new(values: Vec<f64>) -> Result<Self, DataError> {
        if values.len() < 2 {
            return Err(DataError::invalid(
                "grid function",
                format!("needs >= 2 values, got {}", values.len()),
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(DataError::invalid(
                "grid function",
                format!("non-finite value {} at index {i}", values[i]),
            ));
        }
        let step = 1.0 / (values.len() - 1) as f64;
        let mut cumulative = Vec::with_capacity(values.len());
        let mut acc = 0.0;
        cumulative.push(acc);
        for w in values.windows(2) {
            acc += 0.5 * step * (w[0] + w[1]);
            cumulative.push(acc);
        }
        Ok(Self {
            step,
            values,
            cumulative,
        })
    }

    /// Index of the grid interval holding x (x clamped to [0, 1]) and the offset into it.
    fn locate(&self, x: f64) -> (usize, f64) {
        let x = x.clamp(0.0, 1.0);
        let last = self.values.len() - 2;
        let k = ((x / self.step).floor() as usize).min(last);
        (k, x - k as f64 * self.step)
    }

    /// The linear interpolant u(x) (x clamped to [0, 1]).
    pub fn value(&self, x: f64) -> f64 {
        let (k, dx) = self.locate(x);
        let slope = (self.values[k + 1] - self.values[k]) / self.step;
        self.values[k] + slope * dx
    }

    /// s(x) = ∫₀ˣ u(t) dt of the linear interpolant (x clamped to [0, 1]).
    pub fn integral(&self, x: f64) -> f64 {
        let (k, dx) = self.locate(x);
        let ux = self.value(x);
        self.cumulative[k] + 0.5 * dx * (self.values[k] + ux)
    }

    /// The grid values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

// ---------------------------------------------------------------------------------------------
// Linear (antiderivative) benchmark
// ---------------------------------------------------------------------------------------------

/// Settings of the linear (antiderivative) IOL generator; [`Default`] is docs/protocols.md.
///
/// The field is sampled on a fine grid of `(sensors − 1)·refinement + 1` points of [0, 1], of
/// which every `refinement`-th point is a sensor (so the sensor values are exact samples of
/// the field, no interpolation), and s(x) is the exact integral of the fine-grid linear
/// interpolant ([`GridFunction`]).
///
/// ```
/// let cfg = srl_data::iol::LinearIolConfig::default();
/// assert_eq!((cfg.sensors, cfg.train_functions, cfg.test_functions), (100, 1000, 1000));
/// assert_eq!(cfg.fine_grid_points(), 991);
/// cfg.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearIolConfig {
    /// Kernel length scale ℓ (0.2).
    pub length_scale: f64,
    /// Number m of equally spaced sensors on [0, 1] (100).
    pub sensors: usize,
    /// Fine-grid intervals per sensor interval (10 → 991 fine points).
    pub refinement: usize,
    /// Training functions (1000).
    pub train_functions: usize,
    /// Weighted random locations per training function (10).
    pub locations_per_train_function: usize,
    /// Validation functions (100).
    pub val_functions: usize,
    /// Test functions (1000).
    pub test_functions: usize,
    /// Uniform-grid locations `linspace(0, 1, n)` per validation/test function (100).
    pub grid_locations: usize,
    /// SRL bins K, equal width over the training target range (100).
    pub num_bins: usize,
}

impl Default for LinearIolConfig {
    fn default() -> Self {
        Self {
            length_scale: 0.2,
            sensors: 100,
            refinement: 10,
            train_functions: 1000,
            locations_per_train_function: 10,
            val_functions: 100,
            test_functions: 1000,
            grid_locations: 100,
            num_bins: 100,
        }
    }
}

impl LinearIolConfig {
    /// Number of fine-grid points, (sensors − 1)·refinement + 1.
    pub fn fine_grid_points(&self) -> usize {
        self.sensors
            .saturating_sub(1)
            .saturating_mul(self.refinement)
            .saturating_add(1)
    }

    /// Checks every field; the error names the offending field.
    pub fn validate(&self) -> Result<(), DataError> {
        if !(self.length_scale.is_finite() && self.length_scale > 0.0) {
            return Err(DataError::invalid(
                "LinearIolConfig.length_scale",
                format!("must be finite and > 0, got {}", self.length_scale),
            ));
        }
        let at_least = |what: &str, v: usize, min: usize| {
            if v < min {
                Err(DataError::invalid(
                    format!("LinearIolConfig.{what}"),
                    format!("must be >= {min}, got {v}"),
                ))
            } else {
                Ok(())
            }
        };
        at_least("sensors", self.sensors, 2)?;
        at_least("refinement", self.refinement, 1)?;
        at_least("train_functions", self.train_functions, 1)?;
        at_least(
            "locations_per_train_function",
            self.locations_per_train_function,
            1,
        )?;
        at_least("val_functions", self.val_functions, 1)?;
        at_least("test_functions", self.test_functions, 1)?;
        at_least("grid_locations", self.grid_locations, 2)?;
        at_least("num_bins", self.num_bins, 1)?;
        if self.fine_grid_points() > MAX_GRID_POINTS {
            return Err(DataError::invalid(
                "LinearIolConfig.refinement",
                format!(
                    "(sensors − 1)·refinement + 1 = {} fine points exceeds {MAX_GRID_POINTS}",
                    self.fine_grid_points()
                ),
            ));
        }
        Ok(())
    }
}

/// Independent ChaCha8 streams of one split seed (disjoint by construction).
const STREAM_TRAIN_FUNCTIONS: u64 = 1;
const STREAM_TRAIN_LOCATIONS: u64 = 2;
const STREAM_VAL_FUNCTIONS: u64 = 3;
const STREAM_TEST_FUNCTIONS: u64 = 4;
const STREAM_SDE_VAL_FUNCTIONS: u64 = 11;
const STREAM_SDE_TRAIN_ROWS: u64 = 12;

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The linear (antiderivative) IOL benchmark `iol-linear` (docs/protocols.md, IOL).
///
/// Input rows are [u(sensor₀), …, u(sensor_{m−1}), x] (m + 1 columns), the target is
/// s(x) = ∫₀ˣ u. Train: `train_functions` × `locations_per_train_function` pairs with x drawn
/// from [`TRAIN_LOCATION_SEGMENTS`]; validation/test: `val_functions`/`test_functions` other
/// functions × the grid `linspace(0, 1, grid_locations)`. Functions of the three parts and
/// the training locations come from disjoint ChaCha8 streams of `seed`, so the benchmark is a
/// deterministic function of (`cfg`, `seed`). Shots are by location ([`shot_by_location`]);
/// bins are `num_bins` equal-width bins over the training targets.
///
/// ```
/// use srl_data::iol::{linear_benchmark, LinearIolConfig};
/// let cfg = LinearIolConfig {
///     sensors: 20, refinement: 4, train_functions: 30, val_functions: 5,
///     test_functions: 6, grid_locations: 11, num_bins: 10, ..Default::default()
/// };
/// let b = linear_benchmark(&cfg, 0).unwrap();
/// assert_eq!(b.train.x.dim(), (300, 21));
/// assert_eq!((b.val.len(), b.test.len()), (55, 66));
/// ```
pub fn linear_benchmark(cfg: &LinearIolConfig, seed: u64) -> Result<Benchmark, DataError> {
    cfg.validate()?;
    let grf = GaussianRandomField::new(cfg.length_scale, cfg.fine_grid_points())?;
    let m = cfg.sensors;
    let grid: Vec<f64> = Array1::linspace(0.0, 1.0, cfg.grid_locations).to_vec();

    let train_u = grf.sample(
        cfg.train_functions,
        &mut stream(seed, STREAM_TRAIN_FUNCTIONS),
    );
    let n_loc = cfg.locations_per_train_function;
    let train_locs = sample_train_locations(
        cfg.train_functions * n_loc,
        &mut stream(seed, STREAM_TRAIN_LOCATIONS),
    );
    let (train_x, train_y) = antiderivative_rows(&train_u, cfg.refinement, m, |f| {
        &train_locs[f * n_loc..(f + 1) * n_loc]
    })?;

    let val_u = grf.sample(cfg.val_functions, &mut stream(seed, STREAM_VAL_FUNCTIONS));
    let (val_x, val_y) = antiderivative_rows(&val_u, cfg.refinement, m, |_| &grid)?;
    let test_u = grf.sample(cfg.test_functions, &mut stream(seed, STREAM_TEST_FUNCTIONS));
    let (test_x, test_y) = antiderivative_rows(&test_u, cfg.refinement, m, |_| &grid)?;

    let mut feature_names: Vec<String> = (0..m).map(|i| format!("u_{i}")).collect();
    feature_names.push("x".to_string());
    assemble(
        "iol-linear",
        [(train_x, train_y), (val_x, val_y), (test_x, test_y)],
        cfg.num_bins,
        feature_names,
        "s",
    )
}

/// Rows [u(sensors), x] and targets s(x) for every function (row of `fine_u`) and each of
/// its locations.
fn antiderivative_rows<'a>(
    fine_u: &Array2<f64>,
    refinement: usize,
    sensors: usize,
    locations_of: impl Fn(usize) -> &'a [f64],
) -> Result<(Array2<f64>, Array1<f64>), DataError> {
    let n_rows: usize = (0..fine_u.nrows()).map(|f| locations_of(f).len()).sum();
    let mut x = Array2::zeros((n_rows, sensors + 1));
    let mut y = Array1::zeros(n_rows);
    let mut row = 0;
    for (f, u) in fine_u.outer_iter().enumerate() {
        let func = GridFunction::new(u.to_vec())?;
        let sensor_values = u.slice(s![..;refinement]);
        for &loc in locations_of(f) {
            let mut r = x.row_mut(row);
            r.slice_mut(s![..sensors]).assign(&sensor_values);
            r[sensors] = loc;
            y[row] = func.integral(loc);
            row += 1;
        }
    }
    Ok((x, y))
}

/// Bins over the training targets, shots by location (last input column), and the parts.
fn assemble(
    name: &str,
    parts: [(Array2<f64>, Array1<f64>); 3],
    num_bins: usize,
    feature_names: Vec<String>,
    target_name: &str,
) -> Result<Benchmark, DataError> {
    let train_y = parts[0].1.to_vec();
    let binning = Binning::fit_equal_width(&train_y, num_bins)?;
    let [train, val, test] = parts.map(|(x, y)| {
        let bins = y.iter().map(|&v| binning.bin(v)).collect();
        let shots = x
            .column(x.ncols() - 1)
            .iter()
            .map(|&loc| shot_by_location(loc))
            .collect();
        let out_of_range = vec![false; y.len()];
        Part {
            x,
            y,
            bins,
            shots,
            out_of_range,
        }
    });
    Ok(Benchmark {
        name: crate::DataName::of(name),
        train,
        val,
        test,
        binning,
        feature_names,
        target_name: target_name.to_string(),
        table: None,
        relevance: None,
        relevance_error: None,
        protocol: None,
    }
    .with_relevance())
}

// ---------------------------------------------------------------------------------------------
// Nonlinear (stochastic elliptic) benchmark
// ---------------------------------------------------------------------------------------------

/// sha256 of `iol-sde/train_sde.npz` (as in `../shared/datasets/SHA256SUMS`; hardcoded so this
/// module does not depend on the dataset registry).
pub const SDE_TRAIN_SHA256: &str =
    "ccbaa842d66f9cccc6d2b705da5ddd06a4f3d9ebd7b2fec927708695cfcde373";
/// sha256 of `iol-sde/test_sde.npz`.
pub const SDE_TEST_SHA256: &str =
    "64b2c9871e6f9abb01af469773303cc01c72c8398e53380f6d5bb70d2d7977a6";
/// Width of the input-function samples in the SDE files.
pub const SDE_INPUT_WIDTH: usize = 240;
/// Training functions held out for validation (docs/protocols.md).
pub const SDE_VAL_FUNCTIONS: usize = 100;
/// Share of the remaining training rows kept, drawn with the location weights.
pub const SDE_TRAIN_FRACTION: f64 = 0.6;
/// SRL bins K over the training target range.
pub const SDE_NUM_BINS: usize = 100;

/// The nonlinear (stochastic elliptic) IOL benchmark `iol-sde` (docs/protocols.md, IOL).
///
/// Reads `<data_dir>/iol-sde/train_sde.npz` and `test_sde.npz` (sha256-checked). Training
/// rows are grouped into input functions by identical `X_train0` rows (the file holds 1000
/// functions × 10 locations in consecutive blocks). Validation: all rows of
/// [`SDE_VAL_FUNCTIONS`] functions picked by a seeded shuffle (1000 rows). Train:
/// round(0.6 × remaining) = 5400 of the other 9000 rows, drawn without replacement with
/// probabilities ∝ [`location_weight`] (as the authors' `np.random.choice(replace=False, p)`;
/// here by Efraimidis–Spirakis keys, [`weighted_sample_without_replacement`]). Test: all
/// 10000 test rows. Input rows are [X0 (240 values), x] (241 columns); the target is u(x).
///
/// ```
/// if let Some(dir) = srl_data::datadir::shared_data_dir() {
///     let b = srl_data::iol::sde_benchmark(&dir, 0).unwrap();
///     assert_eq!((b.train.len(), b.val.len(), b.test.len()), (5400, 1000, 10000));
/// }
/// ```
pub fn sde_benchmark(data_dir: &Path, seed: u64) -> Result<Benchmark, DataError> {
    let folder = data_dir.join("iol-sde");
    let train_path = checked_file(&folder, "train_sde.npz", SDE_TRAIN_SHA256)?;
    let test_path = checked_file(&folder, "test_sde.npz", SDE_TEST_SHA256)?;
    let train = read_sde_file(&train_path, ["X_train0", "X_train1", "y_train"])?;
    let test = read_sde_file(&test_path, ["X_test0", "X_test1", "y_test"])?;

    let function_of_row = group_identical_rows(&train.inputs);
    let n_functions = function_of_row.iter().max().map_or(0, |&f| f + 1);
    if n_functions <= SDE_VAL_FUNCTIONS {
        return Err(DataError::invalid(
            "iol-sde training file",
            format!(
                "{} distinct input functions, need more than {SDE_VAL_FUNCTIONS} \
                 to hold out a validation set",
                n_functions
            ),
        ));
    }
    let mut order: Vec<usize> = (0..n_functions).collect();
    order.shuffle(&mut stream(seed, STREAM_SDE_VAL_FUNCTIONS));
    let mut is_val_function = vec![false; n_functions];
    for &f in &order[..SDE_VAL_FUNCTIONS] {
        is_val_function[f] = true;
    }
    let (val_rows, rest_rows): (Vec<usize>, Vec<usize>) =
        (0..train.len()).partition(|&r| is_val_function[function_of_row[r]]);

    let weights: Vec<f64> = rest_rows
        .iter()
        .map(|&r| location_weight(train.locations[r]))
        .collect();
    let keep = (SDE_TRAIN_FRACTION * rest_rows.len() as f64).round() as usize;
    let picked = weighted_sample_without_replacement(
        &weights,
        keep,
        &mut stream(seed, STREAM_SDE_TRAIN_ROWS),
    )?;
    let train_rows: Vec<usize> = picked.into_iter().map(|i| rest_rows[i]).collect();

    let mut feature_names: Vec<String> = (0..SDE_INPUT_WIDTH).map(|i| format!("u_{i}")).collect();
    feature_names.push("x".to_string());
    let all_test: Vec<usize> = (0..test.len()).collect();
    assemble(
        "iol-sde",
        [
            train.rows(&train_rows),
            train.rows(&val_rows),
            test.rows(&all_test),
        ],
        SDE_NUM_BINS,
        feature_names,
        "u",
    )
}

/// Path of an SDE file after checking it exists and has the expected sha256.
fn checked_file(folder: &Path, file: &str, sha256: &str) -> Result<PathBuf, DataError> {
    let path = folder.join(file);
    if !path.is_file() {
        return Err(DataError::MissingFile {
            dataset: "iol-sde".to_string(),
            path,
            hint: format!(
                "run `srl fetch iol-sde` or point SRL_DATA_DIR at a folder holding \
                 iol-sde/{file}"
            ),
        });
    }
    verify_file("iol-sde", &path, sha256)?;
    Ok(path)
}

/// One SDE file: input functions (n × 240), locations (n) and targets (n).
struct SdeFile {
    inputs: Array2<f64>,
    locations: Vec<f64>,
    targets: Vec<f64>,
}

impl SdeFile {
    fn len(&self) -> usize {
        self.targets.len()
    }

    /// Input rows [X0, x] and targets of the chosen rows.
    fn rows(&self, rows: &[usize]) -> (Array2<f64>, Array1<f64>) {
        let mut x = Array2::zeros((rows.len(), SDE_INPUT_WIDTH + 1));
        for (out, &r) in rows.iter().enumerate() {
            let mut row = x.row_mut(out);
            row.slice_mut(s![..SDE_INPUT_WIDTH])
                .assign(&self.inputs.row(r));
            row[SDE_INPUT_WIDTH] = self.locations[r];
        }
        let y = rows.iter().map(|&r| self.targets[r]).collect();
        (x, y)
    }
}

/// Reads the three arrays `[inputs, locations, targets]` of an SDE file and checks shapes,
/// finiteness and that locations lie in [0, 1].
fn read_sde_file(path: &Path, names: [&str; 3]) -> Result<SdeFile, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut npz = ndarray_npy::NpzReader::new(file).map_err(|e| DataError::Npz {
        path: path.to_path_buf(),
        array: "(archive)".to_string(),
        reason: e.to_string(),
    })?;
    let mut read = |name: &str| -> Result<ArrayD<f64>, DataError> {
        // `by_name` finds both "name" and "name.npy" members.
        let a: ArrayD<f64> = npz.by_name(name).map_err(|e| DataError::Npz {
            path: path.to_path_buf(),
            array: name.to_string(),
            reason: e.to_string(),
        })?;
        if let Some(bad) = a.iter().find(|v| !v.is_finite()) {
            return Err(DataError::Npz {
                path: path.to_path_buf(),
                array: name.to_string(),
                reason: format!("non-finite value {bad}"),
            });
        }
        Ok(a)
    };
    let shape_error = |name: &str, a: &ArrayD<f64>, want: String| DataError::Npz {
        path: path.to_path_buf(),
        array: name.to_string(),
        reason: format!("shape {:?}, expected {want}", a.shape()),
    };

    let x0 = read(names[0])?;
    if x0.ndim() != 2 || x0.shape()[1] != SDE_INPUT_WIDTH || x0.shape()[0] == 0 {
        return Err(shape_error(
            names[0],
            &x0,
            format!("(n, {SDE_INPUT_WIDTH})"),
        ));
    }
    let n = x0.shape()[0];
    let column = |name: &str, a: ArrayD<f64>| -> Result<Vec<f64>, DataError> {
        let ok =
            matches!(a.shape(), [len] if *len == n) || matches!(a.shape(), [len, 1] if *len == n);
        if !ok {
            return Err(shape_error(name, &a, format!("({n}, 1) or ({n},)")));
        }
        Ok(a.iter().copied().collect())
    };
    let locations = column(names[1], read(names[1])?)?;
    let targets = column(names[2], read(names[2])?)?;
    if let Some(bad) = locations.iter().find(|x| !(0.0..=1.0).contains(*x)) {
        return Err(DataError::Npz {
            path: path.to_path_buf(),
            array: names[1].to_string(),
            reason: format!("location {bad} outside [0, 1]"),
        });
    }
    let inputs = x0
        .into_dimensionality::<Ix2>()
        .map_err(|e| DataError::Npz {
            path: path.to_path_buf(),
            array: names[0].to_string(),
            reason: e.to_string(),
        })?;
    Ok(SdeFile {
        inputs,
        locations,
        targets,
    })
}

/// Function id of every row: rows with bit-identical values share an id; ids are numbered in
/// order of first appearance.
///
/// ```
/// let x = ndarray::array![[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [1.0, 2.0]];
/// assert_eq!(srl_data::iol::group_identical_rows(&x), vec![0, 0, 1, 0]);
/// ```
pub fn group_identical_rows(x: &Array2<f64>) -> Vec<usize> {
    let mut ids: HashMap<Vec<u64>, usize> = HashMap::new();
    x.axis_iter(Axis(0))
        .map(|row| {
            let key: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

/// Draws `k` distinct indices with probabilities ∝ `weights`, sequentially without
/// replacement (the distribution of `numpy.random.choice(n, k, replace=False, p=w/Σw)`),
/// by Efraimidis–Spirakis keys: keep the k largest ln(v_i)/w_i, v_i ~ U(0, 1]. Zero weights
/// are never drawn. Returns the indices in increasing order.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
/// let idx = srl_data::iol::weighted_sample_without_replacement(&[1.0, 0.0, 2.0, 1.0], 2, &mut rng)
///     .unwrap();
/// assert_eq!(idx.len(), 2);
/// assert!(!idx.contains(&1));
/// ```
pub fn weighted_sample_without_replacement<R: Rng + ?Sized>(
    weights: &[f64],
    k: usize,
    rng: &mut R,
) -> Result<Vec<usize>, DataError> {
    if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(DataError::invalid(
            "sampling weights",
            format!("weight {} at index {i} is not finite and >= 0", weights[i]),
        ));
    }
    let positive = weights.iter().filter(|&&w| w > 0.0).count();
    if k > positive {
        return Err(DataError::invalid(
            "sample size",
            format!("cannot draw {k} without replacement from {positive} positive weights"),
        ));
    }
    let mut keyed: Vec<(f64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let v = 1.0 - rng.gen::<f64>(); // in (0, 1]
            let key = if w > 0.0 {
                v.ln() / w
            } else {
                f64::NEG_INFINITY
            };
            (key, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut picked: Vec<usize> = keyed[..k].iter().map(|&(_, i)| i).collect();
    picked.sort_unstable();
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_reconstructs_spd_matrix() {
        let b = Array2::from_shape_fn((6, 6), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 1.5);
        let a = b.dot(&b.t()) + Array2::<f64>::eye(6);
        let l = cholesky_lower(&a).expect("SPD");
        for i in 0..6 {
            for j in i + 1..6 {
                assert_eq!(l[[i, j]], 0.0);
            }
        }
        let back = l.dot(&l.t());
        for (x, y) in back.iter().zip(a.iter()) {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
    }

    #[test]
    fn cholesky_rejects_indefinite_matrix() {
        let a = ndarray::array![[1.0, 2.0], [2.0, 1.0]];
        assert!(cholesky_lower(&a).is_none());
    }

    #[test]
    fn dot_unrolled_matches_naive() {
        for n in 0..11 {
            let a: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 1.0).collect();
            let b: Vec<f64> = (0..n).map(|i| (i * i) as f64 * 0.25).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot_unrolled(&a, &b) - naive).abs() < 1e-12);
        }
    }
}
