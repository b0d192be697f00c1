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
    fn mean_std() {
        let m = MeanStd::of(&[1.0, 3.0]);
        assert_eq!(m.mean, 2.0);
        assert!((m.std - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(MeanStd::of(&[4.0]).std, 0.0);
        assert_eq!(MeanStd::of_present([None, None]), None);
        assert_eq!(format!("{:.1}", m), "2.0 ± 1.4");
    }
}
