//! Inverse-frequency re-weighting and label distribution smoothing (LDS), as in the DIR
//! benchmark (Yang et al., "Delving into Deep Imbalanced Regression", ICML 2021;
//! `datasets.py::_prepare_weights` and `utils.py::get_lds_kernel_window`).
//!
//! Per-sample weights are computed once from the training labels:
//!
//! 1. n_b = training count of bin b (integer labels; the caller maps labels to bins, see
//!    [`integer_label_bins`] for DIR's `min(max_target − 1, int(label))`).
//! 2. Re-weighting: `Inverse` uses clip(n_b, 5, 1000), `SqrtInverse` uses √n_b.
//! 3. LDS (optional, requires a re-weighting): ñ = n ⋆ k with zero padding
//!    (scipy `convolve1d(mode='constant')`). As in the reference, the kernel smooths the
//!    *already clipped / square-rooted* counts.
//! 4. w_i = 1/ñ_{b(y_i)}, rescaled so that Σ_i w_i = N (mean 1).
//!
//! The kernel windows reproduce scipy exactly, including the non-obvious Gaussian one: scipy
//! `gaussian_filter1d` of a length-ks delta with truncate = 4σ and `reflect` (half-sample
//! symmetric) boundary, divided by its maximum. For ks = 5, σ = 2 this is
//! [0.858285, 0.945828, 1, 0.945828, 0.858285], much flatter than a sampled Gaussian because
//! the 17-tap filter folds back into the 5-sample array. We replicate this quirk (it is what
//! every published LDS/FDS number used). The reference casts 1/ñ to `float32` before
//! rescaling; we stay in `f64` (differences ≤ 1e-7 relative).

use crate::LossError;

/// A smoothing kernel window (LDS and FDS).
///
/// ```
/// use srl_losses::baselines::lds::LdsKernel;
/// let w = LdsKernel::Gaussian { size: 5, sigma: 2.0 }.window().unwrap();
/// assert!((w[0] - 0.858285).abs() < 1e-6 && w[2] == 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LdsKernel {
    /// scipy `gaussian_filter1d` of a delta (reflect boundary, truncate 4σ).
    Gaussian {
        /// Window length ks (odd, ≥ 1).
        size: usize,
        /// Standard deviation σ > 0.
        sigma: f64,
    },
    /// scipy `signal.windows.triang(ks)`.
    Triang {
        /// Window length ks (odd, ≥ 1).
        size: usize,
    },
    /// exp(−|x|/σ)/(2σ) at x = −h..h.
    Laplace {
        /// Window length ks (odd, ≥ 1).
        size: usize,
        /// Scale σ > 0.
        sigma: f64,
    },
}

impl LdsKernel {
    /// The DIR README/paper setting: Gaussian, ks = 5, σ = 2.
    pub fn dir_default() -> Self {
        LdsKernel::Gaussian {
            size: 5,
            sigma: 2.0,
        }
    }

    /// Window length ks.
    pub fn size(&self) -> usize {
        match *self {
            LdsKernel::Gaussian { size, .. }
            | LdsKernel::Triang { size }
            | LdsKernel::Laplace { size, .. } => size,
        }
    }

    /// Checks ks odd and ≥ 1, σ finite and > 0.
    pub fn validate(&self) -> Result<(), LossError> {
        let size = self.size();
        if size == 0 || size.is_multiple_of(2) {
            return Err(LossError::InvalidParameter {
                name: "size",
                reason: format!("kernel size must be odd and ≥ 1, got {size}"),
            });
        }
        match *self {
            LdsKernel::Gaussian { sigma, .. } | LdsKernel::Laplace { sigma, .. }
                if !(sigma.is_finite() && sigma > 0.0) =>
            {
                Err(LossError::InvalidParameter {
                    name: "sigma",
                    reason: format!("must be finite and > 0, got {sigma}"),
                })
            }
            _ => Ok(()),
        }
    }

    /// Checks the kernel ([`validate`](Self::validate)) once; the [`ValidLdsKernel`] it
    /// returns gives the windows without checking again.
    pub fn check(&self) -> Result<ValidLdsKernel, LossError> {
        self.validate()?;
        Ok(ValidLdsKernel(*self))
    }

    /// The window normalised to peak 1 (LDS convention).
    pub fn window(&self) -> Result<Vec<f64>, LossError> {
        Ok(self.check()?.window())
    }

    /// The window normalised to sum 1 (FDS convention). Gaussian ks = 5, σ = 2 gives
    /// [0.186251, 0.205248, 0.217003, 0.205248, 0.186251].
    pub fn window_sum_normalised(&self) -> Result<Vec<f64>, LossError> {
        Ok(self.check()?.window_sum_normalised())
    }
}

/// An [`LdsKernel`] that passed [`LdsKernel::check`] (only it makes one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidLdsKernel(LdsKernel);

impl ValidLdsKernel {
    /// The checked kernel.
    pub fn kernel(&self) -> &LdsKernel {
        &self.0
    }

    /// The window normalised to peak 1 (LDS convention).
    pub fn window(&self) -> Vec<f64> {
        let raw = match self.0 {
            LdsKernel::Gaussian { size, sigma } => gaussian_filter_delta(size, sigma),
            LdsKernel::Triang { size } => triang(size),
            LdsKernel::Laplace { size, sigma } => {
                let h = (size / 2) as f64;
                (0..size)
                    .map(|i| (-(i as f64 - h).abs() / sigma).exp() / (2.0 * sigma))
                    .collect()
            }
        };
        let max = raw.iter().cloned().fold(f64::MIN, f64::max);
        raw.into_iter().map(|v| v / max).collect()
    }

    /// The window normalised to sum 1 (FDS convention).
    pub fn window_sum_normalised(&self) -> Vec<f64> {
        let w = self.window();
        let s: f64 = w.iter().sum();
        w.into_iter().map(|v| v / s).collect()
    }
}

/// scipy `gaussian_filter1d(delta_ks, sigma)` (mode 'reflect', truncate 4.0), before max-norm.
fn gaussian_filter_delta(size: usize, sigma: f64) -> Vec<f64> {
    // scipy: radius = int(truncate·σ + 0.5); taps exp(−x²/(2σ²)) normalised to sum 1.
    let radius = (4.0 * sigma + 0.5) as i64;
    let taps: Vec<f64> = (-radius..=radius)
        .map(|x| (-0.5 * (x * x) as f64 / (sigma * sigma)).exp())
        .collect();
    let total: f64 = taps.iter().sum();
    let n = size as i64;
    let centre = n / 2;
    // Half-sample symmetric extension is periodic with period 2n: d c b a | a b c d | d c b a.
    let reflect = |j: i64| {
        let r = j.rem_euclid(2 * n);
        if r >= n {
            2 * n - 1 - r
        } else {
            r
        }
    };
    (0..n)
        .map(|i| {
            (-radius..=radius)
                .zip(&taps)
                .filter(|(k, _)| reflect(i + k) == centre)
                .map(|(_, t)| t / total)
                .sum()
        })
        .collect()
}

/// scipy `signal.windows.triang(m)` for odd m: 2n/(m+1), n = 1..(m+1)/2, mirrored.
fn triang(m: usize) -> Vec<f64> {
    let half = m.div_ceil(2);
    (0..m)
        .map(|i| {
            let n = if i < half { i + 1 } else { m - i };
            2.0 * n as f64 / (m as f64 + 1.0)
        })
        .collect()
}

/// Re-weighting scheme of DIR (`--reweight`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reweight {
    /// No re-weighting: every weight is 1.
    #[default]
    None,
    /// w ∝ 1/clip(n_b, 5, 1000).
    Inverse,
    /// w ∝ 1/√n_b (`sqrt_inv`).
    SqrtInverse,
}

/// DIR's label → bin map: `min(num_bins − 1, int(label))` (truncation toward zero).
///
/// Errors on non-finite or negative labels and `num_bins == 0`.
///
/// ```
/// use srl_losses::baselines::lds::integer_label_bins;
/// assert_eq!(integer_label_bins(&[3.7, 0.0, 130.0], 121).unwrap(), vec![3, 0, 120]);
/// ```
pub fn integer_label_bins(labels: &[f64], num_bins: usize) -> Result<Vec<usize>, LossError> {
    if num_bins == 0 {
        return Err(LossError::InvalidParameter {
            name: "num_bins",
            reason: "must be ≥ 1".into(),
        });
    }
    labels
        .iter()
        .enumerate()
        .map(|(index, &y)| {
            if !y.is_finite() {
                Err(LossError::NonFinite {
                    what: "labels",
                    index,
                })
            } else if y < 0.0 {
                Err(LossError::InvalidParameter {
                    name: "labels",
                    reason: format!("label {index} is negative ({y}); bins start at 0"),
                })
            } else {
                Ok((y.trunc().min(usize::MAX as f64) as usize).min(num_bins - 1))
            }
        })
        .collect()
}

/// Effective per-bin counts ñ after re-weighting (clip or √) and optional LDS smoothing.
///
/// `counts[b]` is the number of training samples in bin b. Errors if `reweight` is
/// [`Reweight::None`] while a kernel is given (the reference asserts the same), on an invalid
/// kernel, or on negative / non-finite counts.
///
/// ```
/// use srl_losses::baselines::lds::{effective_counts, Reweight};
/// let n = effective_counts(&[4.0, 0.0, 2000.0], Reweight::Inverse, None).unwrap();
/// assert_eq!(n, vec![5.0, 5.0, 1000.0]);
/// ```
pub fn effective_counts(
    counts: &[f64],
    reweight: Reweight,
    kernel: Option<&LdsKernel>,
) -> Result<Vec<f64>, LossError> {
    let kernel = kernel.map(LdsKernel::check).transpose()?;
    effective_counts_checked(counts, reweight, kernel.as_ref())
}

/// [`effective_counts`] with a checked kernel.
fn effective_counts_checked(
    counts: &[f64],
    reweight: Reweight,
    kernel: Option<&ValidLdsKernel>,
) -> Result<Vec<f64>, LossError> {
    if let Some(index) = counts.iter().position(|c| !c.is_finite()) {
        return Err(LossError::NonFinite {
            what: "counts",
            index,
        });
    }
    if let Some(i) = counts.iter().position(|&c| c < 0.0) {
        return Err(LossError::InvalidParameter {
            name: "counts",
            reason: format!("count of bin {i} is negative"),
        });
    }
    let base: Vec<f64> = match reweight {
        Reweight::None => {
            if kernel.is_some() {
                return Err(LossError::InvalidParameter {
                    name: "reweight",
                    reason: "LDS needs a re-weighting (inverse or sqrt-inverse)".into(),
                });
            }
            counts.to_vec()
        }
        Reweight::Inverse => counts.iter().map(|c| c.clamp(5.0, 1000.0)).collect(),
        Reweight::SqrtInverse => counts.iter().map(|c| c.sqrt()).collect(),
    };
    match kernel {
        None => Ok(base),
        Some(k) => Ok(convolve_zero_padded(&base, &k.window())),
    }
}

/// Centred correlation with a symmetric odd window, zero padding (scipy `convolve1d`,
/// `mode='constant'`).
fn convolve_zero_padded(x: &[f64], window: &[f64]) -> Vec<f64> {
    let h = (window.len() / 2) as i64;
    let n = x.len() as i64;
    (0..n)
        .map(|i| {
            window
                .iter()
                .enumerate()
                .filter_map(|(k, w)| {
                    let j = i + k as i64 - h;
                    (0..n).contains(&j).then(|| w * x[j as usize])
                })
                .sum()
        })
        .collect()
}

/// Per-sample training weights with mean 1 (DIR `_prepare_weights`).
///
/// `bins[i] < num_bins` is the bin of training sample i. With [`Reweight::None`] (and no
/// kernel) every weight is 1. Errors: empty `bins`, a bin ≥ `num_bins`, LDS without
/// re-weighting, invalid kernel.
///
/// ```
/// use srl_losses::baselines::lds::{lds_weights, LdsKernel, Reweight};
/// let bins = [0, 0, 0, 0, 1];
/// let w = lds_weights(&bins, 2, Reweight::SqrtInverse, None).unwrap();
/// // 1/√4 = 0.5 and 1/√1 = 1, rescaled to mean 1.
/// assert!((w[0] - 5.0 / 6.0).abs() < 1e-12 && (w[4] - 5.0 / 3.0).abs() < 1e-12);
/// let smoothed = lds_weights(&bins, 2, Reweight::SqrtInverse, Some(&LdsKernel::dir_default())).unwrap();
/// assert!((smoothed.iter().sum::<f64>() - 5.0).abs() < 1e-12);
/// ```
pub fn lds_weights(
    bins: &[usize],
    num_bins: usize,
    reweight: Reweight,
    kernel: Option<&LdsKernel>,
) -> Result<Vec<f64>, LossError> {
    let kernel = kernel.map(LdsKernel::check).transpose()?;
    lds_weights_checked(bins, num_bins, reweight, kernel.as_ref())
}

/// [`lds_weights`] with a checked kernel (not checked again).
pub fn lds_weights_checked(
    bins: &[usize],
    num_bins: usize,
    reweight: Reweight,
    kernel: Option<&ValidLdsKernel>,
) -> Result<Vec<f64>, LossError> {
    if bins.is_empty() {
        return Err(LossError::Empty { what: "bins" });
    }
    let mut counts = vec![0.0; num_bins];
    for (index, &bin) in bins.iter().enumerate() {
        if bin >= num_bins {
            return Err(LossError::BinOutOfRange {
                index,
                bin,
                num_bins,
            });
        }
        counts[bin] += 1.0;
    }
    let smoothed = effective_counts_checked(&counts, reweight, kernel)?;
    if reweight == Reweight::None {
        return Ok(vec![1.0; bins.len()]);
    }
    // Every occupied bin has ñ ≥ 1 (centre tap 1, non-negative neighbours), so 1/ñ is finite.
    let raw: Vec<f64> = bins.iter().map(|&b| 1.0 / smoothed[b]).collect();
    let scale = bins.len() as f64 / raw.iter().sum::<f64>();
    Ok(raw.into_iter().map(|w| w * scale).collect())
}
