//! Feature distribution smoothing (FDS) of the DIR benchmark (Yang et al., "Delving into Deep
//! Imbalanced Regression", ICML 2021, §3.2; reference `fds.py`, also embedded verbatim in the
//! SRL authors' `resnet.py`).
//!
//! FDS keeps, for every label bin b (C bins) and feature dimension d (D dims), running
//! statistics μ_b, σ²_b of the pre-regressor features, smooths the statistics *of the last
//! epoch* across neighbouring bins with a sum-normalised kernel k,
//!
//! ```text
//! μ̃_b = Σ_j k_j · μ_{b+j−h},   σ̃²_b = Σ_j k_j · σ²_{b+j−h}   (torch `reflect` padding)
//! ```
//!
//! and, during training, re-calibrates every feature z of a sample in bin b (paper Eq. 3-4):
//!
//! ```text
//! z̃ = (z − μ_b) · sqrt(clamp(σ̃²_b / σ²_b, 0.1, 10)) + μ̃_b        (per dimension)
//! ```
//!
//! Dimensions with σ²_{b,d} = 0 are left untouched, and a bin whose total variance
//! Σ_d σ²_{b,d} < 1e-10 is not calibrated at all (`calibrate_mean_var`). The map is linear in z
//! with constant coefficients (the statistics are buffers, not parameters), so the backward is
//! ∂L/∂z = ∂L/∂z̃ ⊙ sqrt(clamp(σ̃²/σ², 0.1, 10)) per dimension.
//!
//! **Statistics.** After each epoch e ≥ `start_update` the reference runs a second full pass
//! over the training set and calls, in this order,
//!
//! 1. `update_last_epoch_stats(e)`: if e = previous + 1, copy running → last-epoch and smooth
//!    the copies (μ̃, σ̃²) over the bin axis;
//! 2. `update_running_stats`: for every bin present, the mean and variance (unbiased, biased
//!    when the bin holds one sample) of that epoch's features, folded into the running stats as
//!    running ← (1 − m)·current + m·running with m = momentum (0.9), m = 0 on the first update
//!    (e = `start_update`), and m = 1 − n_current/n_tracked when the momentum is `None`.
//!
//! [`FeatureDistributionSmoothing::update`] performs both steps.
//!
//! **Fixed quirk — aliasing.** The reference writes `running_mean_last_epoch = running_mean`,
//! which rebinds the buffer to the *same tensor*; the in-place EMA of step 2 therefore also
//! moves the "last epoch" statistics, and from the second update on the calibration subtracts
//! the *current* running mean (already including the latest epoch) while μ̃ was smoothed from
//! the statistics before that update. We **fix** this: the last-epoch statistics are genuine
//! copies, so μ and μ̃ (σ² and σ̃²) used for calibration always describe the same epoch and the
//! calibration is the identity whenever the smoothing kernel does not change the statistics.
//! (The smoothed statistics are real copies in the reference too.)
//!
//! **Other choices.** The reference writes the calibrated features in place into the encoding
//! it returns, so its statistics pass (run in train mode) sees already-smoothed features after
//! `start_smooth`; which features the caller feeds to [`FeatureDistributionSmoothing::update`]
//! is the caller's decision. Label → bin mapping is also the caller's: [`fds_label_bins`] pools
//! labels ≤ `bucket_start` into the first bin and labels ≥ `bucket_num − 1` into the last one
//! *always*, whereas the reference pools a batch's out-of-range labels only if a sample with the
//! exact boundary label is in the same batch (otherwise those samples are left unsmoothed). The
//! reference pads with torch `reflect`, which requires h < C; for C ≤ h we extend the mirror
//! periodically (identical wherever torch is defined). Epochs must be fed in order (the
//! reference silently stops copying the last-epoch statistics after a skipped epoch; we return
//! an error). The STS-B variant's imputation of empty bins is available through
//! [`FdsParams::impute_empty_bins`].

use crate::baselines::lds::{LdsKernel, ValidLdsKernel};
use crate::LossError;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Zip};
use srl_geometry::Float;

/// Lower clamp of the variance ratio σ̃²/σ² (`calibrate_mean_var`'s `clip_min`).
pub const CALIBRATION_CLIP_MIN: f64 = 0.1;
/// Upper clamp of the variance ratio σ̃²/σ² (`calibrate_mean_var`'s `clip_max`).
pub const CALIBRATION_CLIP_MAX: f64 = 10.0;
/// A bin whose total variance Σ_d σ²_{b,d} is below this is not calibrated.
pub const MIN_TOTAL_VARIANCE: f64 = 1e-10;

/// FDS hyper-parameters (the one place they are declared; [`FdsConfig`] adds the shape).
///
/// ```
/// use srl_losses::baselines::fds::FdsParams;
/// let p = FdsParams::default(); // README/paper: Gaussian ks 5, σ 2, m 0.9, update 0, smooth 1
/// assert_eq!((p.momentum, p.start_update, p.start_smooth), (Some(0.9), 0, 1));
/// assert!(p.check().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FdsParams {
    /// Smoothing kernel; its window is sum-normalised
    /// ([`LdsKernel::window_sum_normalised`]).
    pub kernel: LdsKernel,
    /// EMA momentum m ∈ [0, 1] (reference 0.9); `None` uses the cumulative-average factor
    /// m = 1 − n_current/n_tracked.
    pub momentum: Option<f64>,
    /// First epoch whose features update the statistics (reference 0).
    pub start_update: usize,
    /// First epoch whose training features are smoothed (reference 1).
    pub start_smooth: usize,
    /// STS-B variant: after each update, bins absent from that epoch's pass are imputed in
    /// increasing order (first ← second, last ← previous, interior ← mean of both neighbours,
    /// using the already-imputed left neighbour, as the reference does in place).
    #[serde(default)]
    pub impute_empty_bins: bool,
}

impl Default for FdsParams {
    /// The README/paper setting: Gaussian kernel ks = 5, σ = 2 (the argparse default is ks = 9,
    /// σ = 1), momentum 0.9, `start_update` 0, `start_smooth` 1, no imputation.
    fn default() -> Self {
        FdsParams {
            kernel: LdsKernel::dir_default(),
            momentum: Some(0.9),
            start_update: 0,
            start_smooth: 1,
            impute_empty_bins: false,
        }
    }
}

impl FdsParams {
    /// Checks the kernel and m ∈ [0, 1]; the error names the field. The [`ValidFdsParams`]
    /// it returns is what [`FeatureDistributionSmoothing::from_valid`] builds from without
    /// checking again.
    pub fn check(&self) -> Result<ValidFdsParams, LossError> {
        let kernel = self.kernel.check()?;
        if let Some(m) = self.momentum {
            if !(m.is_finite() && (0.0..=1.0).contains(&m)) {
                return Err(LossError::InvalidParameter {
                    name: "momentum",
                    reason: format!("must be in [0, 1], got {m}"),
                });
            }
        }
        Ok(ValidFdsParams {
            params: *self,
            kernel,
        })
    }
}

/// [`FdsParams`] that passed [`FdsParams::check`] (only it makes one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidFdsParams {
    params: FdsParams,
    kernel: ValidLdsKernel,
}

impl ValidFdsParams {
    /// The checked parameters.
    pub fn params(&self) -> &FdsParams {
        &self.params
    }
}

/// Shape (C bins × D feature dimensions) and hyper-parameters of an FDS layer.
///
/// ```
/// use srl_losses::baselines::fds::FdsConfig;
/// let cfg = FdsConfig::new(118, 512); // AgeDB: bucket_num 121 − bucket_start 3
/// assert_eq!((cfg.params.momentum, cfg.params.start_update, cfg.params.start_smooth), (Some(0.9), 0, 1));
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FdsConfig {
    /// Number of bins C (the reference's `bucket_num − bucket_start`), ≥ 1.
    pub num_bins: usize,
    /// Feature dimension D, ≥ 1.
    pub feature_dim: usize,
    /// The hyper-parameters.
    pub params: FdsParams,
}

impl FdsConfig {
    /// C × D statistics with the default (README/paper) [`FdsParams`].
    pub fn new(num_bins: usize, feature_dim: usize) -> Self {
        Self::with_params(num_bins, feature_dim, FdsParams::default())
    }

    /// C × D statistics with the given hyper-parameters.
    pub fn with_params(num_bins: usize, feature_dim: usize, params: FdsParams) -> Self {
        FdsConfig {
            num_bins,
            feature_dim,
            params,
        }
    }

    /// Checks C ≥ 1, D ≥ 1, the kernel, and m ∈ [0, 1].
    pub fn validate(&self) -> Result<(), LossError> {
        self.check_shape()?;
        self.params.check()?;
        Ok(())
    }

    /// Checks C ≥ 1 and D ≥ 1.
    fn check_shape(&self) -> Result<(), LossError> {
        for (name, v) in [
            ("num_bins", self.num_bins),
            ("feature_dim", self.feature_dim),
        ] {
            if v == 0 {
                return Err(LossError::InvalidParameter {
                    name,
                    reason: "must be ≥ 1".into(),
                });
            }
        }
        Ok(())
    }
}

/// Index into a length-`len` sequence mirrored without repeating the edge (torch `reflect`):
/// for len 4, positions −2..6 read [c, b, a, b, c, d, c, b] from [a, b, c, d].
///
/// Extended periodically (period 2(len − 1)) beyond one reflection; `len == 1` always maps
/// to 0.
///
/// ```
/// use srl_losses::baselines::fds::reflect_index;
/// let idx: Vec<usize> = (-2..6).map(|j| reflect_index(j, 4)).collect();
/// assert_eq!(idx, vec![2, 1, 0, 1, 2, 3, 2, 1]);
/// ```
///
/// # Panics
/// If `len == 0`.
pub fn reflect_index(j: isize, len: usize) -> usize {
    assert!(len > 0, "reflect_index: empty sequence");
    if len == 1 {
        return 0;
    }
    let period = 2 * (len as isize - 1);
    let r = j.rem_euclid(period);
    if r >= len as isize {
        (period - r) as usize
    } else {
        r as usize
    }
}

/// Smooths per-bin statistics (C × D, bins along axis 0) with a symmetric odd `window`:
/// out_b = Σ_j window_j · stats_{reflect(b + j − h)}, the reference's `conv1d` over the bin
/// axis after `F.pad(..., mode='reflect')`.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::fds::smooth_bin_axis;
/// let s = smooth_bin_axis(array![[1.0_f64], [2.0], [4.0]].view(), &[0.25, 0.5, 0.25]).unwrap();
/// // Bin 0 reads [2, 1, 2]: 0.25·2 + 0.5·1 + 0.25·2 = 1.5.
/// assert_eq!(s, array![[1.5], [2.25], [3.0]]);
/// ```
///
/// Errors if the window is empty or of even length, or `stats` has no rows.
pub fn smooth_bin_axis<F: Float>(
    stats: ArrayView2<F>,
    window: &[F],
) -> Result<Array2<F>, LossError> {
    if window.is_empty() || window.len().is_multiple_of(2) {
        return Err(LossError::InvalidParameter {
            name: "window",
            reason: format!("length must be odd, got {}", window.len()),
        });
    }
    let mut out = Array2::zeros(stats.raw_dim());
    smooth_bin_axis_into(stats, window, out.view_mut())?;
    Ok(out)
}

/// Allocation-free [`smooth_bin_axis`]: writes into `out` (same shape as `stats`).
fn smooth_bin_axis_into<F: Float>(
    stats: ArrayView2<F>,
    window: &[F],
    mut out: ArrayViewMut2<F>,
) -> Result<(), LossError> {
    let c = stats.nrows();
    if c == 0 {
        return Err(LossError::Empty { what: "stats" });
    }
    let half = (window.len() / 2) as isize;
    out.fill(F::zero());
    for b in 0..c {
        let mut row = out.row_mut(b);
        for (j, &w) in window.iter().enumerate() {
            let src = reflect_index(b as isize + j as isize - half, c);
            row.scaled_add(w, &stats.row(src));
        }
    }
    Ok(())
}

/// DIR's label → FDS bin map with boundary pooling: bin = clamp(⌊label⌋, bucket_start,
/// bucket_num − 1) − bucket_start (always pooling, see the module notes).
///
/// ```
/// use srl_losses::baselines::fds::fds_label_bins;
/// assert_eq!(fds_label_bins(&[0.0, 3.0, 4.9, 150.0], 3, 121).unwrap(), vec![0, 0, 1, 117]);
/// ```
///
/// Errors on `bucket_start ≥ bucket_num` and non-finite labels.
pub fn fds_label_bins(
    labels: &[f64],
    bucket_start: usize,
    bucket_num: usize,
) -> Result<Vec<usize>, LossError> {
    if bucket_start >= bucket_num {
        return Err(LossError::InvalidParameter {
            name: "bucket_start",
            reason: format!("must be < bucket_num = {bucket_num}, got {bucket_start}"),
        });
    }
    let (lo, hi) = (bucket_start as f64, (bucket_num - 1) as f64);
    labels
        .iter()
        .enumerate()
        .map(|(index, &y)| {
            if y.is_finite() {
                Ok(y.floor().clamp(lo, hi) as usize - bucket_start)
            } else {
                Err(LossError::NonFinite {
                    what: "labels",
                    index,
                })
            }
        })
        .collect()
}

/// FDS state: running, last-epoch and smoothed per-bin statistics, and the cached calibration.
///
/// ```
/// use ndarray::array;
/// use srl_losses::baselines::fds::{FdsConfig, FeatureDistributionSmoothing};
/// use srl_losses::baselines::lds::LdsKernel;
/// let mut cfg = FdsConfig::new(3, 1);
/// cfg.params.kernel = LdsKernel::Triang { size: 3 }; // sum-normalised: [0.25, 0.5, 0.25]
/// let mut fds = FeatureDistributionSmoothing::<f64>::new(cfg).unwrap();
/// // Bin variances 2, 8, 2 (two samples per bin at mean ± 1, ± 2, ± 1).
/// let feats = array![[-1.0], [1.0], [8.0], [12.0], [19.0], [21.0]];
/// let bins = [0, 0, 1, 1, 2, 2];
/// fds.update(0, feats.view(), &bins).unwrap(); // epoch 0: running ← epoch-0 stats
/// fds.update(1, feats.view(), &bins).unwrap(); // epoch 1: last-epoch ← copy, then smooth
/// // Bin 1: μ = 10, σ² = 8, μ̃ = 0.25·0 + 0.5·10 + 0.25·20 = 10, σ̃² = 5 → scale √(5/8).
/// let out = fds.smooth_forward(array![[11.0]].view(), &[1], 2).unwrap();
/// assert!((out[[0, 0]] - (10.0 + (5.0_f64 / 8.0).sqrt())).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureDistributionSmoothing<F> {
    config: FdsConfig,
    window: Vec<F>,
    running_mean: Array2<F>,
    running_var: Array2<F>,
    last_epoch_mean: Array2<F>,
    last_epoch_var: Array2<F>,
    smoothed_mean: Array2<F>,
    smoothed_var: Array2<F>,
    num_samples_tracked: Vec<usize>,
    last_updated_epoch: Option<usize>,
    /// z̃ = z·scale + shift per bin and dimension (scale 1, shift 0 where untouched).
    scale: Array2<F>,
    shift: Array2<F>,
}

impl<F: Float> FeatureDistributionSmoothing<F> {
    /// Fresh state (means 0, variances 1, as the reference buffers); validates `config`.
    pub fn new(config: FdsConfig) -> Result<Self, LossError> {
        Self::from_valid(config.num_bins, config.feature_dim, config.params.check()?)
    }

    /// [`new`](Self::new) for C × D statistics with checked parameters (only C and D are
    /// checked here).
    pub fn from_valid(
        num_bins: usize,
        feature_dim: usize,
        params: ValidFdsParams,
    ) -> Result<Self, LossError> {
        let config = FdsConfig::with_params(num_bins, feature_dim, params.params);
        config.check_shape()?;
        let window = params
            .kernel
            .window_sum_normalised()
            .into_iter()
            .map(F::cst)
            .collect();
        let shape = (config.num_bins, config.feature_dim);
        let zeros = Array2::<F>::zeros(shape);
        let ones = Array2::<F>::ones(shape);
        Ok(FeatureDistributionSmoothing {
            config,
            window,
            running_mean: zeros.clone(),
            running_var: ones.clone(),
            last_epoch_mean: zeros.clone(),
            last_epoch_var: ones.clone(),
            smoothed_mean: zeros.clone(),
            smoothed_var: ones.clone(),
            num_samples_tracked: vec![0; config.num_bins],
            last_updated_epoch: None,
            scale: ones,
            shift: zeros,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FdsConfig {
        &self.config
    }

    /// Per-bin shift t of the calibration z̃ = z·s + t (C × D; 0 where untouched), with the
    /// scale s of [`calibration_scale`](Self::calibration_scale).
    pub fn calibration_shift(&self) -> ArrayView2<'_, F> {
        self.shift.view()
    }

    /// Checks a deserialised state: valid configuration and every buffer of shape C × D
    /// (C for the counts), all finite. Use after loading a checkpoint.
    pub fn check_state(&self) -> Result<(), LossError> {
        self.config.validate()?;
        let shape = (self.config.num_bins, self.config.feature_dim);
        for (what, a) in [
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
            ("last_epoch_mean", &self.last_epoch_mean),
            ("last_epoch_var", &self.last_epoch_var),
            ("smoothed_mean", &self.smoothed_mean),
            ("smoothed_var", &self.smoothed_var),
            ("scale", &self.scale),
            ("shift", &self.shift),
        ] {
            if a.dim() != shape {
                return Err(LossError::ShapeMismatch {
                    what,
                    expected: shape.0 * shape.1,
                    got: a.len(),
                });
            }
            if let Some(index) = a.iter().position(|v| !v.is_finite()) {
                return Err(LossError::NonFinite { what, index });
            }
        }
        if self.num_samples_tracked.len() != shape.0
            || self.window.len() != self.config.params.kernel.size()
        {
            return Err(LossError::ShapeMismatch {
                what: "num_samples_tracked",
                expected: shape.0,
                got: self.num_samples_tracked.len(),
            });
        }
        Ok(())
    }

    /// The sum-normalised kernel window.
    pub fn window(&self) -> &[F] {
        &self.window
    }

    /// Running means (C × D), updated by every [`update`](Self::update).
    pub fn running_mean(&self) -> ArrayView2<'_, F> {
        self.running_mean.view()
    }

    /// Running variances (C × D).
    pub fn running_var(&self) -> ArrayView2<'_, F> {
        self.running_var.view()
    }

    /// μ: the running means as they were before the latest update (genuine copy).
    pub fn last_epoch_mean(&self) -> ArrayView2<'_, F> {
        self.last_epoch_mean.view()
    }

    /// σ²: the running variances as they were before the latest update (genuine copy).
    pub fn last_epoch_var(&self) -> ArrayView2<'_, F> {
        self.last_epoch_var.view()
    }

    /// μ̃: [`last_epoch_mean`](Self::last_epoch_mean) smoothed over the bin axis.
    pub fn smoothed_mean(&self) -> ArrayView2<'_, F> {
        self.smoothed_mean.view()
    }

    /// σ̃²: [`last_epoch_var`](Self::last_epoch_var) smoothed over the bin axis.
    pub fn smoothed_var(&self) -> ArrayView2<'_, F> {
        self.smoothed_var.view()
    }

    /// Number of samples folded into each bin's running statistics so far.
    pub fn num_samples_tracked(&self) -> &[usize] {
        &self.num_samples_tracked
    }

    /// The epoch of the latest accepted [`update`](Self::update), if any.
    pub fn last_updated_epoch(&self) -> Option<usize> {
        self.last_updated_epoch
    }

    /// Per-bin, per-dimension calibration factor sqrt(clamp(σ̃²/σ², 0.1, 10)) (1 where the
    /// dimension or bin is left untouched); this is also the backward's Jacobian diagonal.
    pub fn calibration_scale(&self) -> ArrayView2<'_, F> {
        self.scale.view()
    }

    /// Whether training features of `epoch` are smoothed (epoch ≥ `start_smooth`).
    pub fn is_smoothing(&self, epoch: usize) -> bool {
        epoch >= self.config.params.start_smooth
    }

    /// End-of-epoch statistics update from a full pass: `features` (N × D) of all training
    /// samples and their `bins` (< C).
    ///
    /// Epochs before `start_update` are ignored (returns `Ok(false)`). The first accepted
    /// update must be at `start_update` and every later one at the previous epoch + 1. Except
    /// on the first update, the running statistics are first copied to the last-epoch ones and
    /// smoothed; then the running statistics of every bin present are updated by EMA (see the
    /// module docs). Errors on shape mismatch, empty input, a bin ≥ C, non-finite features or
    /// an out-of-order epoch; the state is unchanged on error.
    pub fn update(
        &mut self,
        epoch: usize,
        features: ArrayView2<F>,
        bins: &[usize],
    ) -> Result<bool, LossError> {
        self.check_batch(features, bins)?;
        if let Some(index) = features.iter().position(|v| !v.is_finite()) {
            return Err(LossError::NonFinite {
                what: "features",
                index,
            });
        }
        if epoch < self.config.params.start_update {
            return Ok(false);
        }
        let expected = self
            .last_updated_epoch
            .map_or(self.config.params.start_update, |e| e + 1);
        if epoch != expected {
            return Err(LossError::InvalidParameter {
                name: "epoch",
                reason: format!("updates must come once per epoch in order: expected epoch {expected}, got {epoch}"),
            });
        }
        if self.last_updated_epoch.is_some() {
            self.refresh_last_epoch();
        }
        self.fold_in_epoch(epoch, features, bins);
        self.last_updated_epoch = Some(epoch);
        Ok(true)
    }

    /// Step 1: last-epoch ← copy of running; smoothed ← kernel ⋆ last-epoch; cached calibration.
    fn refresh_last_epoch(&mut self) {
        self.last_epoch_mean.assign(&self.running_mean);
        self.last_epoch_var.assign(&self.running_var);
        // Shapes are fixed at construction and C ≥ 1, so smoothing cannot fail.
        let _ = smooth_bin_axis_into(
            self.last_epoch_mean.view(),
            &self.window,
            self.smoothed_mean.view_mut(),
        );
        let _ = smooth_bin_axis_into(
            self.last_epoch_var.view(),
            &self.window,
            self.smoothed_var.view_mut(),
        );
        self.refresh_calibration();
    }

    /// Recomputes z̃ = z·scale + shift from (μ, σ², μ̃, σ̃²) following `calibrate_mean_var`.
    fn refresh_calibration(&mut self) {
        let (lo, hi) = (F::cst(CALIBRATION_CLIP_MIN), F::cst(CALIBRATION_CLIP_MAX));
        for b in 0..self.config.num_bins {
            let var = self.last_epoch_var.row(b);
            let total: F = var.iter().copied().sum();
            let calibrate = total >= F::cst(MIN_TOTAL_VARIANCE);
            Zip::from(self.scale.row_mut(b))
                .and(self.shift.row_mut(b))
                .and(&var)
                .and(&self.last_epoch_mean.row(b))
                .and(&self.smoothed_var.row(b))
                .and(&self.smoothed_mean.row(b))
                .for_each(|s, t, &v, &m, &sv, &sm| {
                    if calibrate && v != F::zero() {
                        *s = (sv / v).max(lo).min(hi).sqrt();
                        *t = sm - m * *s;
                    } else {
                        *s = F::one();
                        *t = F::zero();
                    }
                });
        }
    }

    /// Step 2: per-bin mean / variance of this epoch folded into the running statistics.
    fn fold_in_epoch(&mut self, epoch: usize, features: ArrayView2<F>, bins: &[usize]) {
        let (c, d) = (self.config.num_bins, self.config.feature_dim);
        let mut counts = vec![0usize; c];
        let mut mean = Array2::<F>::zeros((c, d));
        for (row, &b) in features.rows().into_iter().zip(bins) {
            counts[b] += 1;
            let mut m = mean.row_mut(b);
            m += &row;
        }
        for (mut m, &n) in mean.rows_mut().into_iter().zip(&counts) {
            if n > 0 {
                let inv = F::one() / F::from_count(n);
                m.mapv_inplace(|v| v * inv);
            }
        }
        let mut var = Array2::<F>::zeros((c, d));
        for (row, &b) in features.rows().into_iter().zip(bins) {
            Zip::from(var.row_mut(b))
                .and(&row)
                .and(&mean.row(b))
                .for_each(|v, &x, &m| *v += (x - m) * (x - m));
        }
        for (mut v, &n) in var.rows_mut().into_iter().zip(&counts) {
            if n > 1 {
                let inv = F::one() / F::from_count(n - 1);
                v.mapv_inplace(|x| x * inv);
            }
        }
        for (b, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            self.num_samples_tracked[b] += n;
            let factor = if epoch == self.config.params.start_update {
                F::zero()
            } else {
                match self.config.params.momentum {
                    Some(m) => F::cst(m),
                    None => {
                        F::one() - F::from_count(n) / F::from_count(self.num_samples_tracked[b])
                    }
                }
            };
            let keep = F::one() - factor;
            Zip::from(self.running_mean.row_mut(b))
                .and(&mean.row(b))
                .for_each(|r, &cur| *r = keep * cur + factor * *r);
            Zip::from(self.running_var.row_mut(b))
                .and(&var.row(b))
                .for_each(|r, &cur| *r = keep * cur + factor * *r);
        }
        if self.config.params.impute_empty_bins {
            self.impute_empty_bins(&counts);
        }
    }

    /// STS-B variant: fill bins absent from this pass from their neighbours, in place.
    fn impute_empty_bins(&mut self, counts: &[usize]) {
        let c = counts.len();
        if c < 2 {
            return; // a single bin has no neighbour to copy from
        }
        let half = F::cst(0.5);
        for stats in [&mut self.running_mean, &mut self.running_var] {
            for b in (0..c).filter(|&b| counts[b] == 0) {
                let value = if b == 0 {
                    stats.row(1).to_owned()
                } else if b == c - 1 {
                    stats.row(b - 1).to_owned()
                } else {
                    (&stats.row(b - 1) + &stats.row(b + 1)) * half
                };
                stats.row_mut(b).assign(&value);
            }
        }
    }

    /// Smoothed copy of `features` (B × D) for samples in `bins` at training `epoch`:
    /// z̃ = (z − μ_b)·sqrt(clamp(σ̃²_b/σ²_b, 0.1, 10)) + μ̃_b, or a plain copy before
    /// `start_smooth`. Errors on shape mismatch, empty input or a bin ≥ C.
    pub fn smooth_forward(
        &self,
        features: ArrayView2<F>,
        bins: &[usize],
        epoch: usize,
    ) -> Result<Array2<F>, LossError> {
        let mut out = features.to_owned();
        self.smooth_forward_inplace(out.view_mut(), bins, epoch)?;
        Ok(out)
    }

    /// Allocation-free [`smooth_forward`](Self::smooth_forward): calibrates `features` in
    /// place (like the reference's `features[mask] = calibrate(...)`).
    pub fn smooth_forward_inplace(
        &self,
        mut features: ArrayViewMut2<F>,
        bins: &[usize],
        epoch: usize,
    ) -> Result<(), LossError> {
        self.check_batch(features.view(), bins)?;
        if !self.is_smoothing(epoch) {
            return Ok(());
        }
        for (mut row, &b) in features.rows_mut().into_iter().zip(bins) {
            Zip::from(&mut row)
                .and(&self.scale.row(b))
                .and(&self.shift.row(b))
                .for_each(|z, &s, &t| *z = *z * s + t);
        }
        Ok(())
    }

    /// Backward of [`smooth_forward`](Self::smooth_forward): ∂L/∂z = ∂L/∂z̃ ⊙
    /// sqrt(clamp(σ̃²_b/σ²_b, 0.1, 10)) (1 on untouched dimensions and before `start_smooth`).
    pub fn smooth_backward(
        &self,
        grad_smoothed: ArrayView2<F>,
        bins: &[usize],
        epoch: usize,
    ) -> Result<Array2<F>, LossError> {
        let mut out = grad_smoothed.to_owned();
        self.smooth_backward_inplace(out.view_mut(), bins, epoch)?;
        Ok(out)
    }

    /// Allocation-free [`smooth_backward`](Self::smooth_backward): turns ∂L/∂z̃ into ∂L/∂z
    /// in place.
    pub fn smooth_backward_inplace(
        &self,
        mut grad: ArrayViewMut2<F>,
        bins: &[usize],
        epoch: usize,
    ) -> Result<(), LossError> {
        self.check_batch(grad.view(), bins)?;
        if !self.is_smoothing(epoch) {
            return Ok(());
        }
        for (mut row, &b) in grad.rows_mut().into_iter().zip(bins) {
            row *= &self.scale.row(b);
        }
        Ok(())
    }

    /// Shape and bin-range checks shared by every entry point.
    fn check_batch(&self, features: ArrayView2<F>, bins: &[usize]) -> Result<(), LossError> {
        if features.nrows() == 0 {
            return Err(LossError::Empty { what: "features" });
        }
        if features.ncols() != self.config.feature_dim {
            return Err(LossError::ShapeMismatch {
                what: "feature dimension",
                expected: self.config.feature_dim,
                got: features.ncols(),
            });
        }
        if bins.len() != features.nrows() {
            return Err(LossError::ShapeMismatch {
                what: "bins length",
                expected: features.nrows(),
                got: bins.len(),
            });
        }
        if let Some(index) = bins.iter().position(|&b| b >= self.config.num_bins) {
            return Err(LossError::BinOutOfRange {
                index,
                bin: bins[index],
                num_bins: self.config.num_bins,
            });
        }
        Ok(())
    }
}
