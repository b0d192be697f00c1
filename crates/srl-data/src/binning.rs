//! Label bins: the ordered partition of the target range that SRL's surrogate and the DIR
//! shot groups are defined on.
//!
//! Two constructions, as in docs/protocols.md ("Label bins"):
//! - fixed width: b(y) = ⌊(y − origin)/width⌋ with origin = ⌊min y⌋ (UCI-DIR);
//! - K equal-width bins over [lo, hi] (IOL, user data with `--bins K`).
//!
//! Targets outside the fitted range are clamped into the first/last bin, so a test value
//! never produces an out-of-range index.

use crate::DataError;
use serde::{Deserialize, Serialize};

/// Largest number of bins a [`Binning`] may have (guards memory: the surrogate is K×d).
pub const MAX_BINS: usize = 100_000;

/// An ordered set of K contiguous bins of equal width, starting at `origin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binning {
    origin: f64,
    width: f64,
    num_bins: usize,
}

/// How a target range is cut into bins.
///
/// ```
/// use srl_data::{BinSpec, Binning};
/// let spec: BinSpec = toml::from_str::<std::collections::BTreeMap<String, BinSpec>>("bins = { width = 2.0 }")
///     .unwrap()["bins"];
/// assert_eq!(spec, BinSpec::Width(2.0));
/// let b = BinSpec::Count(4).fit(&[0.0, 1.0, 2.0, 4.0]).unwrap();
/// assert_eq!(b.num_bins(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BinSpec {
    /// Fixed width (origin ⌊min y⌋), e.g. 1 year of age.
    Width(f64),
    /// This many equal-width bins over [min y, max y].
    Count(usize),
}

impl BinSpec {
    /// The bins of targets `y` under this rule.
    pub fn fit(self, y: &[f64]) -> Result<Binning, DataError> {
        match self {
            BinSpec::Width(w) => Binning::fit_fixed_width(y, w),
            BinSpec::Count(k) => Binning::fit_equal_width(y, k),
        }
    }
}

impl Binning {
    /// Bins of the given `width` starting at `origin`, enough of them to cover `max`.
    ///
    /// ```
    /// let b = srl_data::Binning::fixed_width(103.0, 1.0, 140.987).unwrap();
    /// assert_eq!(b.num_bins(), 38);
    /// assert_eq!(b.bin(103.38), 0);
    /// assert_eq!(b.bin(140.987), 37);
    /// ```
    pub fn fixed_width(origin: f64, width: f64, max: f64) -> Result<Self, DataError> {
        if !(width.is_finite() && width > 0.0) {
            return Err(DataError::invalid(
                "bin width",
                format!("must be finite and > 0, got {width}"),
            ));
        }
        if !(origin.is_finite() && max.is_finite()) || max < origin {
            return Err(DataError::invalid(
                "bin range",
                format!("need finite origin <= max, got origin {origin}, max {max}"),
            ));
        }
        let span = ((max - origin) / width).floor();
        if span.is_nan() || span >= MAX_BINS as f64 {
            return Err(DataError::invalid(
                "bin width",
                format!("{width} cuts [{origin}, {max}] into more than {MAX_BINS} bins"),
            ));
        }
        let num_bins = span as usize + 1;
        Ok(Self {
            origin,
            width,
            num_bins,
        })
    }

    /// The UCI-DIR rule: origin ⌊min y⌋, fixed `width`, over the targets `y`.
    pub fn fit_fixed_width(y: &[f64], width: f64) -> Result<Self, DataError> {
        let (lo, hi) = finite_range(y)?;
        Self::fixed_width(lo.floor(), width, hi)
    }

    /// `k` equal-width bins over `[lo, hi]` (the top edge belongs to the last bin).
    ///
    /// ```
    /// let b = srl_data::Binning::equal_width(0.0, 1.0, 4).unwrap();
    /// assert_eq!(b.bin(1.0), 3);
    /// assert_eq!(b.centres(), vec![0.125, 0.375, 0.625, 0.875]);
    /// ```
    pub fn equal_width(lo: f64, hi: f64, k: usize) -> Result<Self, DataError> {
        if k == 0 || k > MAX_BINS {
            return Err(DataError::invalid(
                "number of bins",
                format!("must be in 1..={MAX_BINS}, got {k}"),
            ));
        }
        if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
            return Err(DataError::invalid(
                "bin range",
                format!("need finite lo < hi, got [{lo}, {hi}]"),
            ));
        }
        Ok(Self {
            origin: lo,
            width: (hi - lo) / k as f64,
            num_bins: k,
        })
    }

    /// `k` equal-width bins over the range of the targets `y`.
    pub fn fit_equal_width(y: &[f64], k: usize) -> Result<Self, DataError> {
        let (lo, hi) = finite_range(y)?;
        Self::equal_width(lo, hi, k)
    }

    /// Number of bins K.
    pub fn num_bins(&self) -> usize {
        self.num_bins
    }

    /// Bin width.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Left edge of bin 0.
    pub fn origin(&self) -> f64 {
        self.origin
    }

    /// Bin index of `y`, clamped into `0..K`.
    pub fn bin(&self, y: f64) -> usize {
        let t = ((y - self.origin) / self.width).floor();
        if t.is_nan() || t < 0.0 {
            0
        } else {
            (t as usize).min(self.num_bins - 1)
        }
    }

    /// Bin indices of many targets.
    pub fn bins(&self, y: &[f64]) -> Vec<usize> {
        y.iter().map(|&v| self.bin(v)).collect()
    }

    /// Bin centres y*_k = origin + (k + ½)·width, increasing.
    pub fn centres(&self) -> Vec<f64> {
        (0..self.num_bins)
            .map(|k| self.origin + (k as f64 + 0.5) * self.width)
            .collect()
    }

    /// Training count per bin.
    pub fn counts(&self, y: &[f64]) -> Vec<usize> {
        let mut c = vec![0; self.num_bins];
        for &v in y {
            c[self.bin(v)] += 1;
        }
        c
    }
}

/// Most distinct integer targets that still get one bin per value in [`auto_bins`].
pub const AUTO_MAX_INTEGER_BINS: usize = 50;

/// Fewest samples per bin, on average, that [`auto_bins`] keeps.
pub const AUTO_MIN_PER_BIN: usize = 5;

/// Bins chosen from the targets alone, with a sentence saying which rule applied.
///
/// 1. Every target an integer and at most [`AUTO_MAX_INTEGER_BINS`] distinct values: one bin
///    per integer from min to max (width 1, centred on the integers), so an ordinal target
///    such as a 3–8 quality score keeps its levels apart.
/// 2. Otherwise equal-width bins over [min, max], K = ⌈log₂ n⌉ + 1 (Sturges' rule), at most
///    n / [`AUTO_MIN_PER_BIN`] and at least 2.
///
/// ```
/// use srl_data::binning::auto_bins;
/// let (b, why) = auto_bins(&[3.0, 5.0, 5.0, 6.0, 8.0]).unwrap();
/// assert_eq!((b.num_bins(), b.bin(3.0), b.bin(8.0)), (6, 0, 5));
/// assert!(why.contains("integer"));
/// let y: Vec<f64> = (0..1000).map(|i| (i as f64).sqrt()).collect();
/// let (b, why) = auto_bins(&y).unwrap();
/// assert_eq!(b.num_bins(), 11);
/// assert!(why.contains("Sturges"));
/// ```
pub fn auto_bins(y: &[f64]) -> Result<(Binning, String), DataError> {
    let (lo, hi) = finite_range(y)?;
    if hi <= lo {
        return Err(DataError::invalid(
            "targets",
            format!("every target equals {lo}: nothing to learn"),
        ));
    }
    if y.iter().all(|v| v.fract() == 0.0) {
        let mut distinct: Vec<i64> = y.iter().map(|&v| v as i64).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() <= AUTO_MAX_INTEGER_BINS && hi - lo < 10.0 * AUTO_MAX_INTEGER_BINS as f64
        {
            let b = Binning::fixed_width(lo - 0.5, 1.0, hi)?;
            let why = format!(
                "one bin per integer value {lo}..{hi} ({} bins; {} distinct integer targets)",
                b.num_bins(),
                distinct.len()
            );
            return Ok((b, why));
        }
    }
    let n = y.len();
    let sturges = (n as f64).log2().ceil() as usize + 1;
    let k = sturges.min(n / AUTO_MIN_PER_BIN).max(2);
    let why = format!(
        "{k} equal-width bins over [{lo}, {hi}] (Sturges' rule ⌈log2 n⌉ + 1 for n = {n}, at most n/{AUTO_MIN_PER_BIN})"
    );
    Ok((Binning::equal_width(lo, hi, k)?, why))
}

fn finite_range(y: &[f64]) -> Result<(f64, f64), DataError> {
    if y.is_empty() {
        return Err(DataError::invalid("targets", "empty"));
    }
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (i, &v) in y.iter().enumerate() {
        if !v.is_finite() {
            return Err(DataError::invalid(
                "targets",
                format!("non-finite value {v} at index {i}"),
            ));
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_bin_counts_are_errors_not_panics() {
        assert!(Binning::fixed_width(0.0, 1e-12, 1.0).is_err());
        assert!(Binning::equal_width(0.0, 1.0, MAX_BINS + 1).is_err());
        assert!(Binning::fit_fixed_width(&[0.0, 1.0], f64::MIN_POSITIVE).is_err());
        assert_eq!(
            Binning::equal_width(0.0, 1.0, MAX_BINS).unwrap().num_bins(),
            MAX_BINS
        );
    }
}
