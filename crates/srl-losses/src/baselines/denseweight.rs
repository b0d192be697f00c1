//! DenseWeight: density-based sample weights for imbalanced regression (Steininger, Kobs,
//! Davidson, Krause and Hotho, "Density-based weighting for imbalanced regression", Machine
//! Learning 110, 2021), matching the authors' package `denseweight` (PyPI, 0.1.2) to ≤ 1e-6.
//!
//! For training targets y_1 … y_N and α ≥ 0:
//!
//! ```text
//! p(y)       Gaussian kernel density estimate of the training targets
//! p'(y)      = (p(y) − min p) / (max p − min p)          (min/max over the evaluation grid)
//! f_w(α, y)  = max(1 − α·p'(y), ε)                       (ε = 1e-6)
//! w_i        = f_w(α, y_i) / mean_j f_w(α, y_j)          (weights average 1)
//! ```
//!
//! so the rarest targets get weights near 1/mean and the densest near ε/mean; α = 0 gives all
//! ones, α > 1 sends every target with p' ≥ 1/α to the floor ε.
//!
//! **What the package computes exactly** (`DenseWeight(alpha).fit(y)` with its defaults, KDEpy
//! 1.1's `FFTKDE`), which this module reproduces step by step:
//!
//! 1. Bandwidth h = 1.06 · std(y) · N^(−1/5), std the population one (ddof 0): the normal
//!    reference rule (Silverman's "rule of thumb" with the standard deviation only, no IQR).
//!    The targets are **not** standardised first.
//! 2. A Gaussian kernel of standard deviation h, truncated at its *practical support* s: the
//!    distance where the kernel density falls to 1e-4 (an absolute density, so s depends on the
//!    targets' units), found by Brent's method on [0, 8h] with x-tolerance 1e-3, plus 1e-3.
//! 3. An equidistant grid of G = 4096 points from min y − b to max y + b with
//!    b = max(0.05 · (max y − min y), s) (numpy `linspace`: point i is i·step + start, the last
//!    point is the end itself).
//! 4. Linear binning of the targets onto the grid (each target splits its mass 1/N between the
//!    two grid points around it by distance), then a discrete convolution with the kernel
//!    sampled at −L·dx … L·dx, L = ⌊s/dx⌋ (FFT in the package; a direct sum here — the same
//!    numbers to rounding), plus machine ε.
//! 5. p' is the grid density min-max scaled **over the grid** (its minimum is in the far
//!    tails, so p' > 0 at every target), and the density of a target is p' at the grid point
//!    at or below it (a bisection: **no interpolation**).
//! 6. ε (1e-6) floors 1 − α·p' before the mean is taken; the weights are divided by the mean
//!    of the floored values over the training targets.
//!
//! Where the package fails, this module either refuses with a typed error or documents its
//! value: fewer than two targets or constant targets (h = 0: the package raises) are
//! [`LossError::Degenerate`]; if the support equation has no root in [0, 8h] (the kernel's
//! peak 1/(√(2π)·h) is below 1e-4, i.e. h > 3989 target units — KDEpy raises "unable to solve
//! for support") the support is 8h, the kernel kept untruncated for practical purposes.
//! [`DenseWeight::density`] of a value outside the grid is the nearest end of the grid (the
//! package reads the *last* grid point for values below the grid — only for new targets, never
//! for the training ones, which the grid encloses).

use crate::LossError;

/// The package's and the paper's default α.
pub const DEFAULT_ALPHA: f64 = 1.0;
/// The package's floor of 1 − α·p' (the minimum weight before the mean normalisation).
pub const DEFAULT_EPS: f64 = 1e-6;
/// The package's number of grid points of the density estimate.
pub const DEFAULT_GRID_POINTS: usize = 4096;

/// KDEpy's practical support: where the kernel density falls to this value.
const SUPPORT_ATOL: f64 = 1e-4;
/// Brent's x-tolerance in KDEpy's support search, also added to the root found.
const SUPPORT_XTOL: f64 = 1e-3;
/// KDEpy's 1-D Gaussian normalisation: ∫₀^∞ exp(−x²/2) dx = √(π/2) (times the unit ball's
/// volume 2 in the kernel).
const GAUSS_HALF_INTEGRAL: f64 = 1.253_314_137_315_500_1;

/// The parameters of DenseWeight; [`check`](Self::check) validates them once.
///
/// ```
/// use srl_losses::baselines::denseweight::{DenseWeight, DenseWeightParams};
/// let y = [1.0, 1.1, 1.2, 1.25, 1.3, 5.0];
/// let dw = DenseWeight::fit(&y, &DenseWeightParams::default().check().unwrap()).unwrap();
/// let w = dw.weights();
/// assert!((w.iter().sum::<f64>() / 6.0 - 1.0).abs() < 1e-12);
/// assert!(w[5] > w[2]); // the rare target weighs more than the crowded ones
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenseWeightParams {
    /// α ≥ 0: the strength of the weighting (0: every weight 1; package default 1).
    pub alpha: f64,
    /// ε > 0: the floor of 1 − α·p' (package default 1e-6).
    #[serde(default = "default_eps")]
    pub eps: f64,
    /// Grid points of the density estimate, ≥ 2 (package default 4096).
    #[serde(default = "default_grid_points")]
    pub grid_points: usize,
    /// The kernel's standard deviation in target units; `None` (the package's default): the
    /// rule 1.06 · std(y) · N^(−1/5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<f64>,
}

fn default_eps() -> f64 {
    DEFAULT_EPS
}

fn default_grid_points() -> usize {
    DEFAULT_GRID_POINTS
}

impl Default for DenseWeightParams {
    /// The package's defaults: α = 1, ε = 1e-6, 4096 grid points, the bandwidth rule.
    fn default() -> Self {
        DenseWeightParams::with_alpha(DEFAULT_ALPHA)
    }
}

impl DenseWeightParams {
    /// The package's defaults with this α.
    pub fn with_alpha(alpha: f64) -> Self {
        DenseWeightParams {
            alpha,
            eps: DEFAULT_EPS,
            grid_points: DEFAULT_GRID_POINTS,
            bandwidth: None,
        }
    }

    /// Checks α finite and ≥ 0, ε finite and > 0, at least 2 grid points and a given bandwidth
    /// finite and > 0; errors name the field.
    pub fn check(&self) -> Result<ValidDenseWeightParams, LossError> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(LossError::InvalidParameter {
                name: "alpha",
                reason: format!("must be finite and ≥ 0, got {}", self.alpha),
            });
        }
        crate::error::positive("eps", self.eps)?;
        if self.grid_points < 2 {
            return Err(LossError::InvalidParameter {
                name: "grid_points",
                reason: format!("must be ≥ 2, got {}", self.grid_points),
            });
        }
        if let Some(h) = self.bandwidth {
            crate::error::positive("bandwidth", h)?;
        }
        Ok(ValidDenseWeightParams(*self))
    }
}

/// [`DenseWeightParams`] that passed [`DenseWeightParams::check`] (only it makes one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidDenseWeightParams(DenseWeightParams);

impl std::ops::Deref for ValidDenseWeightParams {
    type Target = DenseWeightParams;
    fn deref(&self) -> &DenseWeightParams {
        &self.0
    }
}

/// DenseWeight fitted to training targets: the scaled density on its grid and the weight of
/// every training target ([`weights`](Self::weights)); [`weight`](Self::weight) gives the
/// weight of any other target value, as the package's `eval` does.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseWeight {
    alpha: f64,
    eps: f64,
    bandwidth: f64,
    support: f64,
    grid: Vec<f64>,
    /// p' on the grid (min-max scaled).
    scaled: Vec<f64>,
    /// mean of max(1 − α·p', ε) over the training targets.
    mean_floored: f64,
    weights: Vec<f64>,
}

impl DenseWeight {
    /// Fits the density to the training targets `y` and weighs them (mean 1).
    ///
    /// Errors: non-finite targets ([`LossError::NonFinite`]), fewer than two targets or all
    /// equal ([`LossError::Degenerate`]).
    pub fn fit(y: &[f64], params: &ValidDenseWeightParams) -> Result<Self, LossError> {
        let n = y.len();
        if let Some(index) = y.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "targets",
                index,
            });
        }
        if n < 2 {
            return Err(LossError::Degenerate {
                what: "DenseWeight targets",
                reason: format!("a density estimate needs at least 2 targets, got {n}"),
            });
        }
        let (lo, hi) = y
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if lo == hi {
            return Err(LossError::Degenerate {
                what: "DenseWeight targets",
                reason: format!("all {n} targets are {lo}: no spread for a bandwidth"),
            });
        }
        let bandwidth = match params.bandwidth {
            Some(h) => h,
            None => 1.06 * population_std(y) * (n as f64).powf(-1.0 / 5.0),
        };
        if !(bandwidth.is_finite() && bandwidth > 0.0) {
            return Err(LossError::Degenerate {
                what: "DenseWeight targets",
                reason: format!("the bandwidth rule gives {bandwidth}"),
            });
        }
        let support = practical_support(bandwidth);
        let g = params.grid_points;
        let border = (0.05 * (hi - lo)).max(support);
        let grid = linspace(lo - border, hi + border, g);
        let (start, end) = (grid[0], grid[g - 1]);
        let dx = (end - start) / (g - 1) as f64;

        // Linear binning: each target's mass 1/N split between its two grid neighbours.
        let mut binned = vec![0.0; g + 1];
        for &v in y {
            let t = (v - start) / dx;
            let k = t.floor();
            let frac = t - k;
            let k = k as usize;
            binned[k] += 1.0 - frac;
            binned[k + 1] += frac;
        }
        binned.truncate(g);
        for b in &mut binned {
            *b /= n as f64;
        }

        // The kernel sampled on −L·dx … L·dx, convolved with the binned mass ('same' size).
        let half = ((support / dx).floor()).min(g as f64) as usize;
        let offsets = linspace(-dx * half as f64, dx * half as f64, 2 * half + 1);
        let kernel: Vec<f64> = offsets
            .iter()
            .map(|&x| gaussian_kernel(x, bandwidth))
            .collect();
        let mut density = vec![f64::EPSILON; g];
        for (j, &mass) in binned.iter().enumerate() {
            if mass == 0.0 {
                continue;
            }
            // As the convolution indexes it: out[i] += in[j]·k[i − j + L], |i − j| ≤ L.
            let lo_i = j.saturating_sub(half);
            let hi_i = (j + half).min(g - 1);
            for (i, d) in density.iter_mut().enumerate().take(hi_i + 1).skip(lo_i) {
                *d += mass * kernel[i + half - j];
            }
        }
        let (dmin, dmax) = density
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        // scikit-learn's MinMaxScaler: x·scale + (0 − min·scale), scale = 1/(max − min).
        let range = dmax - dmin;
        let scale = if range == 0.0 { 1.0 } else { 1.0 / range };
        let offset = 0.0 - dmin * scale;
        let scaled: Vec<f64> = density.iter().map(|&d| d * scale + offset).collect();

        let mut fit = DenseWeight {
            alpha: params.alpha,
            eps: params.eps,
            bandwidth,
            support,
            grid,
            scaled,
            mean_floored: 1.0,
            weights: Vec::new(),
        };
        let floored: Vec<f64> = y.iter().map(|&v| fit.floored(v)).collect();
        fit.mean_floored = pairwise_sum(&floored) / n as f64;
        fit.weights = floored.iter().map(|w| w / fit.mean_floored).collect();
        Ok(fit)
    }

    /// The weight of every training target, in their order (mean 1).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Takes the weights of the training targets.
    pub fn into_weights(self) -> Vec<f64> {
        self.weights
    }

    /// The kernel's standard deviation h, in target units.
    pub fn bandwidth(&self) -> f64 {
        self.bandwidth
    }

    /// The distance at which the kernel was truncated (and the grid's least margin).
    pub fn support(&self) -> f64 {
        self.support
    }

    /// The evaluation grid.
    pub fn grid(&self) -> &[f64] {
        &self.grid
    }

    /// p'(y) ∈ [0, 1]: the min-max scaled density at the grid point at or below `y` (the
    /// nearest end of the grid outside it).
    pub fn density(&self, y: f64) -> f64 {
        let last = self.grid.len() - 1;
        let i = if y == self.grid[last] {
            last
        } else {
            self.grid.partition_point(|&g| g <= y).saturating_sub(1)
        };
        self.scaled[i.min(last)]
    }

    /// The weight DenseWeight gives a target value `y`: max(1 − α·p'(y), ε) over the mean of
    /// the training targets' (the package's `eval`).
    pub fn weight(&self, y: f64) -> f64 {
        self.floored(y) / self.mean_floored
    }

    fn floored(&self, y: f64) -> f64 {
        (1.0 - self.alpha * self.density(y)).max(self.eps)
    }
}

/// The DenseWeight weights of the training targets `y` (mean 1): [`DenseWeight::fit`], then
/// its weights.
///
/// ```
/// use srl_losses::baselines::denseweight::{dense_weights, DenseWeightParams};
/// let y = [0.0, 0.1, 0.2, 0.3, 3.0];
/// let ones = dense_weights(&y, &DenseWeightParams::with_alpha(0.0).check().unwrap()).unwrap();
/// assert!(ones.iter().all(|&w| w == 1.0));
/// ```
pub fn dense_weights(y: &[f64], params: &ValidDenseWeightParams) -> Result<Vec<f64>, LossError> {
    DenseWeight::fit(y, params).map(DenseWeight::into_weights)
}

/// KDEpy's Gaussian kernel of standard deviation `h` at `x`.
fn gaussian_kernel(x: f64, h: f64) -> f64 {
    let u = x.abs() / h;
    (-(u * u) / 2.0).exp() / GAUSS_HALF_INTEGRAL / (h * 2.0)
}

/// KDEpy's practical support of the Gaussian kernel of bandwidth `h`: the root of
/// K(x) = 1e-4 on [0, 8h] by Brent's method (x-tolerance 1e-3), plus 1e-3; 8h without a root.
fn practical_support(h: f64) -> f64 {
    let f = |x: f64| gaussian_kernel(x, h) - SUPPORT_ATOL;
    match brent_root(f, 0.0, 8.0 * h, SUPPORT_XTOL, 4.0 * f64::EPSILON, 100) {
        Some(x) => x + SUPPORT_XTOL,
        None => 8.0 * h,
    }
}

/// Brent's root finder in the form scipy's `brentq` uses (Charles Harris's variant: inverse
/// quadratic extrapolation while the iterates shrink, else bisection; stop when half the
/// bracket is below (xtol + rtol·|x|)/2). `None` if f(a), f(b) have the same sign.
fn brent_root(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    xtol: f64,
    rtol: f64,
    max_iter: usize,
) -> Option<f64> {
    let (mut x_prev, mut x_cur) = (a, b);
    let (mut f_prev, mut f_cur) = (f(x_prev), f(x_cur));
    if f_prev * f_cur > 0.0 {
        return None;
    }
    if f_prev == 0.0 {
        return Some(x_prev);
    }
    if f_cur == 0.0 {
        return Some(x_cur);
    }
    let (mut x_blk, mut f_blk) = (0.0, 0.0);
    let (mut s_prev, mut s_cur) = (0.0f64, 0.0f64);
    for _ in 0..max_iter {
        if f_prev * f_cur < 0.0 {
            x_blk = x_prev;
            f_blk = f_prev;
            s_cur = x_cur - x_prev;
            s_prev = s_cur;
        }
        if f_blk.abs() < f_cur.abs() {
            x_prev = x_cur;
            x_cur = x_blk;
            x_blk = x_prev;
            f_prev = f_cur;
            f_cur = f_blk;
            f_blk = f_prev;
        }
        let tol = (xtol + rtol * x_cur.abs()) / 2.0;
        let s_bis = (x_blk - x_cur) / 2.0;
        if f_cur == 0.0 || s_bis.abs() < tol {
            return Some(x_cur);
        }
        let mut bisect = true;
        if s_prev.abs() > tol && f_cur.abs() < f_prev.abs() {
            let s_try = if x_prev == x_blk {
                // Secant step.
                -f_cur * (x_cur - x_prev) / (f_cur - f_prev)
            } else {
                // Inverse quadratic step through the three points.
                let d_prev = (f_prev - f_cur) / (x_prev - x_cur);
                let d_blk = (f_blk - f_cur) / (x_blk - x_cur);
                -f_cur * (f_blk * d_blk - f_prev * d_prev) / (d_blk * d_prev * (f_blk - f_prev))
            };
            if 2.0 * s_try.abs() < s_prev.abs().min(3.0 * s_bis.abs() - tol) {
                s_prev = s_cur;
                s_cur = s_try;
                bisect = false;
            }
        }
        if bisect {
            s_prev = s_bis;
            s_cur = s_bis;
        }
        x_prev = x_cur;
        f_prev = f_cur;
        if s_cur.abs() > tol {
            x_cur += s_cur;
        } else {
            x_cur += if s_bis > 0.0 { tol } else { -tol };
        }
        f_cur = f(x_cur);
    }
    Some(x_cur)
}

/// numpy `linspace(start, end, num)`: point i is i·step + start, the last point `end`.
fn linspace(start: f64, end: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (end - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    v[num - 1] = end;
    v
}

/// The population standard deviation as numpy's `std` computes it (pairwise sums).
fn population_std(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    let mean = pairwise_sum(y) / n;
    let sq: Vec<f64> = y
        .iter()
        .map(|v| {
            let d = v - mean;
            d * d
        })
        .collect();
    (pairwise_sum(&sq) / n).sqrt()
}

/// numpy's pairwise summation of a contiguous float64 array (blocks of 128, eight partial
/// sums), so sums round as numpy's do.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |s, &v| s + v)
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        for chunk in a[8..whole].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[whole..] {
            s += v;
        }
        s
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practical_support_matches_kdepy() {
        // KDEpy 1.1.12: Kernel(gaussian).practical_support(1.0).
        assert_eq!(practical_support(1.0), 4.073159992998083);
    }

    #[test]
    fn linspace_ends_and_steps() {
        let v = linspace(-1.0, 1.0, 5);
        assert_eq!(v, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(linspace(0.0, 0.0, 1), vec![0.0]);
    }

    #[test]
    fn pairwise_sum_is_a_sum() {
        let a: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        assert_eq!(pairwise_sum(&a), 499_500.0);
        assert_eq!(pairwise_sum(&a[..5]), 10.0);
        assert_eq!(pairwise_sum(&a[..20]), 190.0);
    }

    #[test]
    fn grid_density_is_the_kernel_density_estimate() {
        // Away from the truncation, the binned, convolved density is the plain KDE sum.
        let y: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).sin() * 3.0).collect();
        let p = DenseWeightParams::default().check().unwrap();
        let fit = DenseWeight::fit(&y, &p).unwrap();
        let h = fit.bandwidth();
        let n = y.len() as f64;
        let exact = |x: f64| -> f64 {
            y.iter()
                .map(|&v| (-(x - v) * (x - v) / (2.0 * h * h)).exp())
                .sum::<f64>()
                / (n * h * (2.0 * std::f64::consts::PI).sqrt())
        };
        let dens: Vec<f64> = fit.grid().iter().map(|&x| exact(x)).collect();
        let (lo, hi) = dens
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        for (i, &x) in fit.grid().iter().enumerate().step_by(97) {
            let want = (dens[i] - lo) / (hi - lo);
            assert!((fit.density(x) - want).abs() < 2e-3, "{x}");
        }
    }
}
