//! Central finite differences against analytic gradients.

use ndarray::{Array, Dimension};

/// The central difference (f(x + h) − f(x − h)) / 2h of a scalar function, error O(h²).
///
/// ```
/// let d = srl_testkit::central_difference(|x| x.powi(3), 2.0, 1e-5);
/// assert!((d - 12.0).abs() < 1e-8);
/// ```
pub fn central_difference(mut f: impl FnMut(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// A finite-difference gradient check: each coordinate i of the analytic gradient g_i is
/// compared with n_i = (f(x + h·e_i) − f(x − h·e_i)) / 2h (x + h·e_i and x − h·e_i both taken
/// from the unperturbed x) and passes as `approx::relative_eq!(g_i, n_i, epsilon, max_relative)`
/// does: |g_i − n_i| ≤ `epsilon`, or |g_i − n_i| ≤ `max_relative` · max(|g_i|, |n_i|).
///
/// Every coordinate is evaluated before judging; a failing check panics naming the worst
/// coordinate (the largest |g_i − n_i| / max(epsilon, max_relative · max(|g_i|, |n_i|))).
/// Coordinates whose evaluation says "not comparable" (`None`, e.g. a step that crosses a
/// kink or changes an arg-max) are skipped and counted; at most `max_skipped_fraction` of the
/// coordinates may be, and at least one must be checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FdCheck {
    /// The step h.
    pub step: f64,
    /// The absolute tolerance (approx's `epsilon`).
    pub epsilon: f64,
    /// The relative tolerance (approx's `max_relative`).
    pub max_relative: f64,
    /// The largest share of compared coordinates that may be skipped.
    pub max_skipped_fraction: f64,
}

/// What a passing [`FdCheck`] compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FdReport {
    /// Coordinates compared.
    pub checked: usize,
    /// Coordinates skipped because an evaluation returned `None`.
    pub skipped: usize,
    /// The coordinate closest to failing (`None` if nothing was checked).
    pub worst: Option<FdWorst>,
}

/// One compared coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FdWorst {
    /// Its flat index (row-major).
    pub index: usize,
    /// The analytic derivative.
    pub analytic: f64,
    /// The central difference.
    pub numeric: f64,
    /// |analytic − numeric| / max(epsilon, max_relative · max(|analytic|, |numeric|)): ≤ 1
    /// passes (∞ for a NaN).
    pub ratio: f64,
}

impl FdCheck {
    /// A check with step `step`, `epsilon` 1e-8, `max_relative` 1e-6 and no skipped
    /// coordinates allowed.
    pub fn new(step: f64) -> Self {
        Self {
            step,
            epsilon: 1e-8,
            max_relative: 1e-6,
            max_skipped_fraction: 0.0,
        }
    }

    /// Sets the absolute tolerance.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Sets the relative tolerance.
    pub fn max_relative(mut self, max_relative: f64) -> Self {
        self.max_relative = max_relative;
        self
    }

    /// Allows up to this share of the compared coordinates to be skipped.
    pub fn allow_skipped(mut self, fraction: f64) -> Self {
        self.max_skipped_fraction = fraction;
        self
    }

    /// Checks `analytic` (the gradient of `f` at `x`, same shape) coordinate by coordinate.
    /// Panics on a mismatch, naming the worst coordinate.
    pub fn check<D: Dimension>(
        &self,
        x: &Array<f64, D>,
        analytic: &Array<f64, D>,
        mut f: impl FnMut(&Array<f64, D>) -> f64,
    ) -> FdReport {
        self.check_where(x, analytic, |_| false, |x| Some(f(x)))
    }

    /// Like [`check`](Self::check), but coordinates where `skip(index)` holds are not compared
    /// (nor counted), and `f` may return `None` for a perturbed point that is not comparable
    /// (counted as skipped, see [`allow_skipped`](Self::allow_skipped)).
    pub fn check_where<D: Dimension>(
        &self,
        x: &Array<f64, D>,
        analytic: &Array<f64, D>,
        skip: impl Fn(D::Pattern) -> bool,
        mut f: impl FnMut(&Array<f64, D>) -> Option<f64>,
    ) -> FdReport {
        assert_eq!(
            x.shape(),
            analytic.shape(),
            "x and the gradient differ in shape"
        );
        let mut xp = x.as_standard_layout().into_owned();
        let flat: Vec<f64> = analytic.iter().copied().collect(); // logical (row-major) order
        let coords: Vec<(usize, D::Pattern)> = ndarray::indices(x.raw_dim())
            .into_iter()
            .enumerate()
            .filter(|(_, idx)| !skip(idx.clone()))
            .collect();
        self.compare(
            &flat,
            coords.iter().map(|(i, _)| *i),
            |i, offset| {
                let slot = &mut xp.as_slice_mut().expect("standard layout")[i];
                let orig = *slot;
                *slot = orig + offset;
                let value = f(&xp);
                xp.as_slice_mut().expect("standard layout")[i] = orig;
                value
            },
            |i| match coords.iter().find(|(j, _)| *j == i) {
                Some((_, idx)) => format!("{idx:?}"),
                None => String::new(),
            },
        )
    }

    /// The general form: for each coordinate i in `coords`, `value_at(i, ±h)` evaluates f with
    /// coordinate i displaced by ±h (and must leave it restored), or returns `None` if that
    /// point is not comparable. `name(i)` names a coordinate in the failure message.
    pub fn compare(
        &self,
        analytic: &[f64],
        coords: impl IntoIterator<Item = usize>,
        mut value_at: impl FnMut(usize, f64) -> Option<f64>,
        name: impl Fn(usize) -> String,
    ) -> FdReport {
        let h = self.step;
        let (mut checked, mut skipped) = (0usize, 0usize);
        let mut worst: Option<FdWorst> = None;
        let mut failed = 0usize;
        for i in coords {
            let (Some(up), Some(down)) = (value_at(i, h), value_at(i, -h)) else {
                skipped += 1;
                continue;
            };
            checked += 1;
            let numeric = (up - down) / (2.0 * h);
            let a = analytic[i];
            let pass = approx::relative_eq!(
                a,
                numeric,
                epsilon = self.epsilon,
                max_relative = self.max_relative
            );
            if !pass {
                failed += 1;
            }
            let allowed = self
                .epsilon
                .max(self.max_relative * a.abs().max(numeric.abs()));
            let ratio = if pass {
                ((a - numeric).abs() / allowed).min(1.0)
            } else {
                let r = (a - numeric).abs() / allowed;
                if r.is_nan() || r <= 1.0 {
                    f64::INFINITY
                } else {
                    r
                }
            };
            if worst.is_none_or(|w| ratio > w.ratio) {
                worst = Some(FdWorst {
                    index: i,
                    analytic: a,
                    numeric,
                    ratio,
                });
            }
        }
        if let Some(w) = worst.filter(|_| failed > 0) {
            panic!(
                "finite differences disagree at {failed} of {checked} coordinates; worst at index {} {}: \
                 analytic {:e}, numeric {:e}, |diff| {:e} ({}× the tolerance epsilon {:e} / max_relative {:e}, step {:e})",
                w.index,
                name(w.index),
                w.analytic,
                w.numeric,
                (w.analytic - w.numeric).abs(),
                w.ratio,
                self.epsilon,
                self.max_relative,
                h
            );
        }
        assert!(
            checked > 0,
            "finite differences: nothing checked ({skipped} skipped)"
        );
        assert!(
            skipped as f64 <= self.max_skipped_fraction * (checked + skipped) as f64,
            "finite differences: too many skipped coordinates: {skipped} of {}",
            checked + skipped
        );
        FdReport {
            checked,
            skipped,
            worst,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_correct_gradient_passes_and_reports_its_worst_coordinate() {
        let x = array![[1.0, -2.0], [0.5, 3.0]];
        let g = x.mapv(|v: f64| 3.0 * v * v);
        let r = FdCheck::new(1e-5).check(&x, &g, |x| x.mapv(|v| v.powi(3)).sum());
        assert_eq!((r.checked, r.skipped), (4, 0));
        assert!(r.worst.unwrap().ratio <= 1.0);
    }

    #[test]
    #[should_panic(expected = "worst at index 3 (1, 1)")]
    fn a_wrong_coordinate_is_named() {
        let x = array![[1.0, -2.0], [0.5, 3.0]];
        let mut g = x.mapv(|v: f64| 2.0 * v);
        g[[0, 1]] += 1e-4; // a small error
        g[[1, 1]] += 1.0; // the worst
        FdCheck::new(1e-6).check(&x, &g, |x| x.mapv(|v| v * v).sum());
    }

    #[test]
    #[should_panic(expected = "too many skipped")]
    fn skipped_coordinates_are_limited() {
        let x = array![1.0, 2.0, 3.0];
        FdCheck::new(1e-6).allow_skipped(0.3).check_where(
            &x,
            &x,
            |_| false,
            |x| (x[0] == 1.0).then(|| 0.5 * x.dot(x)),
        );
    }

    #[test]
    fn skip_leaves_coordinates_out() {
        let x = array![1.0, 2.0, 3.0];
        let mut g = x.clone();
        g[1] = 99.0; // never compared
        let r = FdCheck::new(1e-6).check_where(&x, &g, |i| i == 1, |x| Some(0.5 * x.dot(x)));
        assert_eq!((r.checked, r.skipped), (2, 0));
    }

    #[test]
    fn nan_fails() {
        let x = array![1.0];
        let g = array![f64::NAN];
        let result = std::panic::catch_unwind(|| FdCheck::new(1e-6).check(&x, &g, |x| x[0]));
        assert!(result.is_err());
    }
}
