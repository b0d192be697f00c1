//! Comparing DIR methods on one dataset and choosing one on validation data only.
//!
//! Every method is trained with the same split, the same preset (network, optimiser, training
//! length) and the same seeds; [`summarise`] gives mean ± std over seeds of the validation and
//! test MAE per shot group and the cost; [`select`] picks a method by its **validation** MAE
//! (All by default, Few with [`Selection::Few`]) — test numbers are reported, never used to
//! choose. Ties go to the method listed first, so listing `vanilla` first prefers it when a
//! DIR method is not better.
//!
//! ```
//! use srl_train::compare::{select, MeanStd, MethodSummary, Selection};
//! let row = |name: &str, val: f64, test: f64| MethodSummary {
//!     method: name.parse().unwrap(),
//!     runs: 3,
//!     val: [Some(MeanStd::of(&[val])), None, None, None],
//!     test: [Some(MeanStd::of(&[test])), None, None, None],
//!     seconds_per_epoch: MeanStd::of(&[0.01]),
//!     epochs: MeanStd::of(&[100.0]),
//! };
//! // `srl` is best on test, but `lds` is best on validation: `lds` is chosen.
//! let rows = [row("vanilla", 2.0, 2.0), row("lds", 1.8, 1.9), row("srl", 1.9, 1.5)];
//! assert_eq!(select(&rows, Selection::All), Some(1));
//! ```

use crate::method::MethodName;
use crate::report::RunReport;
use serde::{Deserialize, Serialize};
use srl_data::metrics::{GroupMetrics, ShotMetrics};

/// The methods `srl compare` trains when none are given: vanilla, a re-weighting (LDS), a
/// Balanced-MSE variant (BNI), a contrastive representation method (ConR), SRL and SRL with
/// LDS — the methods that were best on at least one UCI-DIR benchmark in
/// docs/results (All or Few MAE) plus vanilla as the reference. RankSim and RnC are left out
/// of the default because they were worse than vanilla on every UCI-DIR benchmark.
pub const DEFAULT_COMPARE_METHODS: [&str; 6] = ["vanilla", "lds", "bni", "conr", "srl", "lds+srl"];

/// The paired difference of a method's validation (or test) MAE to the reference method's,
/// over the same folds × seeds, with a 95 % interval.
///
/// d_i = MAE_i(method) − MAE_i(reference); the interval is d̄ ± t₀.₉₇₅(n − 1) · s_d · √c with
/// c = 1/n + ρ. For cross-validation ρ = n_val/n_train = 1/(k − 1) — Nadeau and Bengio's
/// correction for the overlap of the folds' training sets, without which the plain t
/// interval (ρ = 0) is too narrow; for seeds on one split ρ = 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedDifference {
    /// Mean difference d̄ (negative: the method has the lower MAE).
    pub mean: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    /// Number of pairs.
    pub n: usize,
}

impl PairedDifference {
    /// Of paired values (`a[i]` and `b[i]` from the same fold and seed), with the variance
    /// correction ρ (0 for independent pairs); `None` with fewer than two pairs.
    ///
    /// ```
    /// use srl_train::compare::PairedDifference;
    /// let d = PairedDifference::of(&[1.0, 1.5, 0.5, 1.0], &[1.25, 1.75, 0.75, 1.25], 0.0).unwrap();
    /// assert_eq!(d.mean, -0.25);
    /// assert_eq!(d.low, d.high); // every pair differs by exactly 0.25
    /// assert!(d.excludes_zero());
    /// ```
    pub fn of(a: &[f64], b: &[f64], rho: f64) -> Option<Self> {
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let n = d.len();
        if n < 2 || d.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let m = MeanStd::of(&d);
        let half = t_975(n - 1) * m.std * (1.0 / n as f64 + rho).sqrt();
        Some(Self {
            mean: m.mean,
            low: m.mean - half,
            high: m.mean + half,
            n,
        })
    }

    /// Whether the interval lies entirely below or above zero.
    pub fn excludes_zero(&self) -> bool {
        self.high < 0.0 || self.low > 0.0
    }
}

impl std::fmt::Display for PairedDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(3);
        write!(
            f,
            "{:+.p$} [{:+.p$}, {:+.p$}]",
            self.mean, self.low, self.high
        )
    }
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (exact to
/// three decimals from a table up to 30, then Hill's expansion around the normal quantile).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => {
            let z = 1.959_963_984_540_054_f64;
            let v = df as f64;
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

/// The selection rule of `srl compare`: keep the reference method (vanilla) unless another is
/// better on validation by more than the noise — the upper end of its paired difference's 95 %
/// interval below −`min_gain` × the reference's mean validation MAE. Of the methods that
/// pass, the one with the lowest mean validation score is chosen. Returns the chosen index
/// (the reference when none passes, or when it has no score).
///
/// ```
/// use srl_train::compare::{select_over_noise, PairedDifference};
/// let clear = PairedDifference { mean: -0.3, low: -0.5, high: -0.1, n: 15 };
/// let noisy = PairedDifference { mean: -0.4, low: -0.9, high: 0.1, n: 15 };
/// // index 0 is the reference (vanilla, validation MAE 2.0)
/// let diffs = [None, Some(noisy), Some(clear)];
/// let scores = [Some(2.0), Some(1.6), Some(1.7)];
/// assert_eq!(select_over_noise(&scores, &diffs, 0, 0.0), 2); // the noisy one is not trusted
/// assert_eq!(select_over_noise(&scores, &diffs, 0, 0.1), 0); // −0.1 is not 10 % of 2.0
/// ```
pub fn select_over_noise(
    scores: &[Option<f64>],
    diffs: &[Option<PairedDifference>],
    reference: usize,
    min_gain: f64,
) -> usize {
    let Some(ref_score) = scores.get(reference).copied().flatten() else {
        return reference;
    };
    let mut best = (reference, ref_score);
    for (i, (s, d)) in scores.iter().zip(diffs).enumerate() {
        if let (Some(s), Some(d)) = (s, d) {
            if i != reference && d.high < -min_gain * ref_score && *s < best.1 {
                best = (i, *s);
            }
        }
    }
    best.0
}

/// Which validation MAE [`select`] minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// Mean validation MAE over all samples.
    #[default]
    All,
    /// Mean validation MAE of the few-shot samples (falls back to All when the validation part
    /// has no few-shot sample).
    Few,
}

/// Mean and sample standard deviation (0 for one value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1; 0 when n = 1).
    pub std: f64,
}

impl MeanStd {
    /// Of a non-empty list (NaN for an empty one).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = if values.len() > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Self { mean, std }
    }

    /// Of the values that are present; `None` when none is.
    pub fn of_present(values: impl IntoIterator<Item = Option<f64>>) -> Option<Self> {
        let v: Vec<f64> = values.into_iter().flatten().collect();
        (!v.is_empty()).then(|| Self::of(&v))
    }
}

impl std::fmt::Display for MeanStd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(3);
        write!(f, "{:.p$} ± {:.p$}", self.mean, self.std)
    }
}

/// One method's runs over the seeds, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    /// The method.
    pub method: MethodName,
    /// Number of runs (seeds).
    pub runs: usize,
    /// Validation MAE: All, Many, Medium, Few (`None` for a group without samples).
    pub val: [Option<MeanStd>; 4],
    /// Test MAE: All, Many, Medium, Few.
    pub test: [Option<MeanStd>; 4],
    /// Seconds of optimisation per epoch.
    pub seconds_per_epoch: MeanStd,
    /// Epochs trained (early stopping may end a run before the maximum).
    pub epochs: MeanStd,
}

fn groups(m: &ShotMetrics) -> [&GroupMetrics; 4] {
    [&m.all, &m.many, &m.medium, &m.few]
}

/// Summarises one method's reports (one per seed).
pub fn summarise(method: &MethodName, reports: &[RunReport]) -> MethodSummary {
    let per_group = |pick: fn(&RunReport) -> &ShotMetrics| {
        std::array::from_fn(|g| MeanStd::of_present(reports.iter().map(|r| groups(pick(r))[g].mae)))
    };
    MethodSummary {
        method: method.clone(),
        runs: reports.len(),
        val: per_group(|r| &r.val),
        test: per_group(|r| &r.test),
        seconds_per_epoch: MeanStd::of(
            &reports
                .iter()
                .map(|r| r.seconds_per_epoch)
                .collect::<Vec<_>>(),
        ),
        epochs: MeanStd::of(
            &reports
                .iter()
                .map(|r| r.epochs_run as f64)
                .collect::<Vec<_>>(),
        ),
    }
}

/// The validation score `rule` minimises for one summary.
pub fn validation_score(s: &MethodSummary, rule: Selection) -> Option<f64> {
    let all = s.val[0].map(|m| m.mean);
    match rule {
        Selection::All => all,
        Selection::Few => s.val[3].map(|m| m.mean).or(all),
    }
}

/// Index of the method with the lowest validation score (ties: the first listed); test
/// metrics are not looked at. `None` when no summary has a score.
pub fn select(summaries: &[MethodSummary], rule: Selection) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, s) in summaries.iter().enumerate() {
        if let Some(v) = validation_score(s, rule) {
            if v.is_finite() && best.is_none_or(|(_, b)| v < b) {
                best = Some((i, v));
            }
        }
    }
    best.map(|(i, _)| i)
}

/// Of one method's runs, the index of the one with the lowest validation score (the model to
/// keep).
pub fn best_run(reports: &[RunReport], rule: Selection) -> Option<usize> {
    let score = |r: &RunReport| match rule {
        Selection::All => r.val.all.mae,
        Selection::Few => r.val.few.mae.or(r.val.all.mae),
    };
    let mut best: Option<(usize, f64)> = None;
    for (i, r) in reports.iter().enumerate() {
        if let Some(v) = score(r) {
            if v.is_finite() && best.is_none_or(|(_, b)| v < b) {
                best = Some((i, v));
            }
        }
    }
    best.map(|(i, _)| i)
}

/// The comparison as a Markdown table (validation and test MAE per group, cost).
pub fn markdown_table(summaries: &[MethodSummary], selected: Option<usize>) -> String {
    let cell = |m: &Option<MeanStd>| m.map_or("—".to_string(), |m| format!("{m:.3}"));
    let mut out = String::from(
        "| method | runs | val All | val Few | test All | test Many | test Med | test Few | epochs | ms/epoch |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (i, s) in summaries.iter().enumerate() {
        let mark = if Some(i) == selected {
            " (selected)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {}{mark} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.2} |\n",
            s.method,
            s.runs,
            cell(&s.val[0]),
            cell(&s.val[3]),
            cell(&s.test[0]),
            cell(&s.test[1]),
            cell(&s.test[2]),
            cell(&s.test[3]),
            s.epochs.mean,
            1e3 * s.seconds_per_epoch.mean,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, val_all: f64, val_few: Option<f64>, test_all: f64) -> MethodSummary {
        MethodSummary {
            method: name.parse().unwrap(),
            runs: 2,
            val: [
                Some(MeanStd::of(&[val_all])),
                None,
                None,
                val_few.map(|v| MeanStd::of(&[v])),
            ],
            test: [Some(MeanStd::of(&[test_all])), None, None, None],
            seconds_per_epoch: MeanStd::of(&[0.1]),
            epochs: MeanStd::of(&[10.0]),
        }
    }

    #[test]
    fn selection_uses_validation_only_and_ties_go_first() {
        // Test-best is srl (index 2), validation-best is lds (index 1).
        let rows = [
            summary("vanilla", 3.0, Some(5.0), 3.0),
            summary("lds", 2.5, Some(6.0), 2.9),
            summary("srl", 2.7, Some(4.0), 1.0),
        ];
        assert_eq!(select(&rows, Selection::All), Some(1));
        assert_eq!(select(&rows, Selection::Few), Some(2));
        let tie = [
            summary("vanilla", 2.0, None, 9.0),
            summary("srl", 2.0, None, 1.0),
        ];
        assert_eq!(select(&tie, Selection::All), Some(0));
        // No few-shot validation samples: Few falls back to All.
        assert_eq!(select(&tie, Selection::Few), Some(0));
        assert_eq!(select(&[], Selection::All), None);
    }

    #[test]
    fn t_quantiles_and_the_fold_correction() {
        use approx::assert_abs_diff_eq;
        // Reference values of t₀.₉₇₅: df 40 → 2.0211, 60 → 2.0003, 120 → 1.9799.
        for (df, t) in [
            (1, 12.706),
            (14, 2.145),
            (40, 2.0211),
            (60, 2.0003),
            (120, 1.9799),
        ] {
            assert_abs_diff_eq!(t_975(df), t, epsilon = 1e-3);
        }
        let a = [1.0, 1.3, 0.8, 1.1, 0.9];
        let b = [1.2, 1.2, 1.1, 1.3, 1.0];
        let plain = PairedDifference::of(&a, &b, 0.0).unwrap();
        let folds = PairedDifference::of(&a, &b, 0.25).unwrap();
        assert_abs_diff_eq!(plain.mean, -0.14, epsilon = 1e-12);
        assert_eq!(plain.mean, folds.mean);
        // ρ = 1/(k − 1) widens the interval by √((1/n + ρ)/(1/n)) = √2.25 for n = 5, k = 5.
        let ratio = (folds.high - folds.low) / (plain.high - plain.low);
        assert_abs_diff_eq!(ratio, 1.5, epsilon = 1e-12);
        assert!(PairedDifference::of(&[1.0], &[2.0], 0.0).is_none());
        assert!(PairedDifference::of(&[1.0, f64::NAN], &[2.0, 1.0], 0.0).is_none());
    }

    #[test]
    fn the_reference_is_kept_without_a_score_or_a_clear_gain() {
        let clear = PairedDifference {
            mean: -0.3,
            low: -0.5,
            high: -0.1,
            n: 15,
        };
        assert_eq!(
            select_over_noise(&[None, Some(1.0)], &[None, Some(clear)], 0, 0.0),
            0
        );
        assert_eq!(
            select_over_noise(&[Some(2.0), Some(1.7)], &[None, Some(clear)], 0, 0.0),
            1
        );
        // The reference need not come first.
        assert_eq!(
            select_over_noise(&[Some(1.7), Some(2.0)], &[Some(clear), None], 1, 0.0),
            0
        );
    }

    #[test]
    fn mean_std() {
        let m = MeanStd::of(&[1.0, 3.0]);
        assert_eq!(m.mean, 2.0);
        assert!((m.std - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(MeanStd::of(&[4.0]).std, 0.0);
        assert_eq!(MeanStd::of_present([None, None]), None);
        assert_eq!(format!("{:.1}", m), "2.0 ± 1.4");
    }
}
