//! Max-shifted log-sum-exp, the one numerically stable form every softmax in SRL uses.
//!
//! log Σ_k exp(v_k) = M + log Σ_k exp(v_k − M) with M = max_k v_k: every shifted exponent is
//! ≤ 0, so nothing overflows, and the largest term is exp(0) = 1, so the sum never underflows
//! to 0 (the log stays finite however negative the values are, e.g. logits at a small
//! temperature).

use crate::Float;

/// The two parts of a max-shifted log-sum-exp of values v_1..v_n: the maximum M = max_k v_k and
/// the shifted sum S = Σ_k exp(v_k − M), so that log Σ_k exp(v_k) = M + log S
/// ([`value`](Self::value)) and the softmax weight of v is exp(v − M)/S
/// ([`softmax`](Self::softmax)).
///
/// Everything is computed in the values' own type `F` (`f32` or `f64`), summed in order. The
/// values should be finite; with no values (or all −∞) M = −∞, S = 0 and the value is −∞.
///
/// ```
/// use srl_geometry::LogSumExp;
/// let v = [1.0_f64, 2.0, 3.0];
/// let lse = LogSumExp::of(v.iter().copied());
/// assert_eq!(lse.max, 3.0);
/// let direct = (1.0_f64.exp() + 2.0_f64.exp() + 3.0_f64.exp()).ln();
/// assert!((lse.value() - direct).abs() < 1e-12);
/// // Softmax weights sum to one.
/// let total: f64 = v.iter().map(|&x| lse.softmax(x)).sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// // No overflow where exp(1000) would be infinite: log(2·e^1000) = 1000 + ln 2.
/// let big = LogSumExp::of([1000.0_f32, 1000.0]).value();
/// assert!((big - (1000.0 + 2.0_f32.ln())).abs() < 1e-3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogSumExp<F> {
    /// M = max_k v_k (−∞ for no values).
    pub max: F,
    /// S = Σ_k exp(v_k − M), summed in the values' order (≥ 1 for finite values).
    pub sum: F,
}

impl<F: Float> LogSumExp<F> {
    /// M and S of `values`: one pass for the maximum, one for the shifted sum.
    pub fn of<I>(values: I) -> Self
    where
        I: IntoIterator<Item = F>,
        I::IntoIter: Clone,
    {
        let values = values.into_iter();
        let max = values.clone().fold(F::neg_infinity(), F::max);
        if max == F::neg_infinity() {
            return Self {
                max,
                sum: F::zero(),
            };
        }
        let sum = values.map(|v| (v - max).exp()).sum();
        Self { max, sum }
    }

    /// Like [`of`](Self::of), but overwrites every value v_k with exp(v_k − M) (the
    /// unnormalised softmax weights, to be divided by S), saving a second `exp` per value.
    ///
    /// ```
    /// let mut v = [0.0_f64, 2.0_f64.ln()];
    /// let lse = srl_geometry::LogSumExp::exp_in_place(&mut v);
    /// assert_eq!(v, [0.5, 1.0]);
    /// assert!((lse.value() - 3.0_f64.ln()).abs() < 1e-15);
    /// ```
    pub fn exp_in_place(values: &mut [F]) -> Self {
        let max = values.iter().copied().fold(F::neg_infinity(), F::max);
        if max == F::neg_infinity() {
            values.iter_mut().for_each(|v| *v = F::zero());
            return Self {
                max,
                sum: F::zero(),
            };
        }
        let mut sum = F::zero();
        for v in values.iter_mut() {
            let e = (*v - max).exp();
            sum += e;
            *v = e;
        }
        Self { max, sum }
    }

    /// log Σ_k exp(v_k) = M + log S.
    pub fn value(&self) -> F {
        self.max + self.sum.ln()
    }

    /// The softmax weight exp(v − M)/S of a value `v` among those summed.
    pub fn softmax(&self, v: F) -> F {
        (v - self.max).exp() / self.sum
    }
}

/// log Σ_k exp(v_k), computed stably as M + log Σ_k exp(v_k − M) with M = max_k v_k (see
/// [`LogSumExp`]); −∞ for no values.
///
/// ```
/// let v = [-1000.0_f64, -1000.0];
/// // exp(-1000) underflows to 0; the shifted form gives log(2·e^-1000) = -1000 + ln 2.
/// let lse = srl_geometry::log_sum_exp(v.iter().copied());
/// assert!((lse - (-1000.0 + 2.0_f64.ln())).abs() < 1e-12);
/// ```
pub fn log_sum_exp<F, I>(values: I) -> F
where
    F: Float,
    I: IntoIterator<Item = F>,
    I::IntoIter: Clone,
{
    LogSumExp::of(values).value()
}

/// log Σ exp(v) over values pushed one at a time (one pass, no buffer): the running maximum M
/// and S = Σ exp(v − M), with S rescaled by exp(M_old − M_new) whenever a new maximum arrives.
/// Its value is M + log S, as for [`LogSumExp`] (equal up to rounding, not bit for bit).
///
/// ```
/// let mut lse = srl_geometry::StreamingLogSumExp::<f64>::default();
/// for v in [1.0, 3.0, 2.0] {
///     lse.push(v);
/// }
/// let direct = srl_geometry::log_sum_exp([1.0_f64, 3.0, 2.0]);
/// assert!((lse.value() - direct).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StreamingLogSumExp<F> {
    max: F,
    scaled_sum: F,
}

impl<F: Float> Default for StreamingLogSumExp<F> {
    fn default() -> Self {
        Self {
            max: F::neg_infinity(),
            scaled_sum: F::zero(),
        }
    }
}

impl<F: Float> StreamingLogSumExp<F> {
    /// Adds one value.
    pub fn push(&mut self, v: F) {
        if v > self.max {
            self.scaled_sum = self.scaled_sum * (self.max - v).exp() + F::one();
            self.max = v;
        } else {
            self.scaled_sum += (v - self.max).exp();
        }
    }

    /// log Σ exp(v) over the values pushed so far (−∞ for none).
    pub fn value(&self) -> F {
        self.max + self.scaled_sum.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_all_minus_infinity_give_minus_infinity() {
        let none: [f64; 0] = [];
        assert_eq!(log_sum_exp(none), f64::NEG_INFINITY);
        assert_eq!(log_sum_exp([f32::NEG_INFINITY; 3]), f32::NEG_INFINITY);
        let mut v = [f64::NEG_INFINITY; 2];
        let lse = LogSumExp::exp_in_place(&mut v);
        assert_eq!((lse.max, lse.sum, v), (f64::NEG_INFINITY, 0.0, [0.0, 0.0]));
        assert_eq!(
            StreamingLogSumExp::<f64>::default().value(),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn in_place_matches_the_iterator_form_bit_for_bit() {
        let v = [0.3_f32, -7.0, 12.5, 12.5, -0.25];
        let mut w = v;
        let a = LogSumExp::of(v);
        let b = LogSumExp::exp_in_place(&mut w);
        assert_eq!(a, b);
        for (x, e) in v.iter().zip(&w) {
            assert_eq!((x - a.max).exp(), *e);
        }
    }

    #[test]
    fn tiny_values_stay_finite() {
        // At τ = 1e-3 cosine logits reach ±1000: exp underflows, the shifted form does not.
        let v = [-1000.0_f32, -1001.0, -1002.0];
        let direct = -1000.0 + (1.0 + (-1.0_f64).exp() + (-2.0_f64).exp()).ln();
        assert!((f64::from(log_sum_exp(v)) - direct).abs() < 1e-3);
    }
}
