//! Comparing DIR methods on one dataset and choosing one on validation data only.
//!
//! Every method is trained with the same split (or the same cross-validation folds), the same
//! preset (network, optimiser, training length) and the same seeds. [`decide`] turns the runs
//! into one [`MethodResult`] per method — mean ± std of the validation and test MAE per shot
//! group ([`summarise`]), the paired validation difference to the reference method over the
//! same folds × seeds ([`PairedDifference`]), the test MAE of the ensembles (runs' predictions
//! averaged) — and applies the rule [`select_over_noise`]: keep the reference (vanilla) unless
//! a method is better on **validation** by more than the noise. Test numbers are reported,
//! never used to choose.
//!
//! ```
//! use srl_train::compare::{select_over_noise, PairedDifference};
//! // `lds` has the lower mean validation MAE, but its paired interval straddles zero.
//! let noisy = PairedDifference { mean: -0.05, low: -0.2, high: 0.1, n: 15 };
//! assert_eq!(select_over_noise(&[Some(2.0), Some(1.95)], &[None, Some(noisy)], 0, 0.0), 0);
//! ```

use crate::method::MethodName;
use crate::report::RunReport;
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use srl_data::metrics::{GroupMetrics, ShotMetrics};
use srl_data::names::Named;

/// The methods `srl compare` trains when none are given: the networks vanilla, a re-weighting
/// (LDS), a Balanced-MSE variant (BNI), a contrastive representation method (ConR), SRL and
/// SRL with LDS — the methods that were best on at least one UCI-DIR benchmark in
/// docs/results (All or Few MAE) plus vanilla as the reference; RankSim and RnC are left out
/// because they were worse than vanilla on every UCI-DIR benchmark — and gradient-boosted
/// trees plain and with each re-weighting as sample weights, the model tabular users reach
/// for first (the `srl-gbdt` crate trains them; a default LightGBM beat every network on 6 of
/// 15 tables the project had never seen).
pub const DEFAULT_COMPARE_METHODS: [&str; 11] = [
    "vanilla",
    "lds",
    "bni",
    "conr",
    "srl",
    "lds+srl",
    "gbdt",
    "gbdt+inv",
    "gbdt+sqinv",
    "gbdt+lds",
    "gbdt+denseweight",
];

/// The methods the benchmark sweeps (`cargo xtask reproduce`) compare by default, in table
/// order: the paper's comparison set — vanilla, LDS, LDS+FDS, RankSim, Balanced MSE, ConR,
/// ordinal entropy — plus Rank-N-Contrast, then SRL alone and SRL combined with LDS, RankSim
/// and Balanced MSE. Balanced MSE is its BNI estimator, the best of BMC/BNI/GAI on Airfoil
/// validation (docs/results/tuning/uci-bmse.md).
pub const DEFAULT_SWEEP_METHODS: &[&str] = &[
    "vanilla",
    "lds",
    "lds+fds",
    "ranksim",
    "bni",
    "conr",
    "oe",
    "rnc",
    "srl",
    "lds+srl",
    "srl+ranksim",
    "bni+srl",
];

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

/// Which validation score the rule ([`select_over_noise`], [`decide`]) compares: MAE (all or
/// few-shot rows) or SERA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// Mean validation MAE over all samples.
    #[default]
    All,
    /// Mean validation MAE of the few-shot samples (falls back to All when the validation part
    /// has no few-shot sample).
    Few,
    /// Validation SERA, the squared error-relevance area (errors weighted towards the rare
    /// targets by the relevance φ; [`srl_data::relevance`]). A run without relevance metrics
    /// (no rare targets by the box-plot rule) has no score.
    Sera,
}

impl Selection {
    /// A run's validation score under this rule (lower is better).
    pub fn score(self, r: &RunReport) -> Option<f64> {
        match self {
            Selection::All => r.val.all.mae,
            Selection::Few => r.val.few.mae.or(r.val.all.mae),
            Selection::Sera => r.relevance.as_ref().map(|x| x.val.sera),
        }
    }

    /// The score's name in sentences: "validation MAE", "validation MAE (Few)", "validation
    /// SERA".
    pub fn score_name(self) -> &'static str {
        match self {
            Selection::All => "validation MAE",
            Selection::Few => "validation MAE (Few)",
            Selection::Sera => "validation SERA",
        }
    }
}

impl Named for Selection {
    const WHAT: &'static str = "selection";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            Selection::All,
            "all",
            "the rule on the validation MAE over all samples",
        ),
        (
            Selection::Few,
            "few",
            "the rule on the validation MAE of the few-shot samples (all when a part has none)",
        ),
        (
            Selection::Sera,
            "sera",
            "the rule on the validation SERA (squared errors weighted towards rare targets)",
        ),
    ];
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
    /// Validation SERA (`None` without relevance metrics).
    #[serde(default)]
    pub val_sera: Option<MeanStd>,
    /// Test SERA of the single runs.
    #[serde(default)]
    pub test_sera: Option<MeanStd>,
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
        val_sera: MeanStd::of_present(
            reports
                .iter()
                .map(|r| r.relevance.as_ref().map(|x| x.val.sera)),
        ),
        test_sera: MeanStd::of_present(
            reports
                .iter()
                .map(|r| r.relevance.as_ref().map(|x| x.test.sera)),
        ),
    }
}

/// Of one method's runs, the index of the one with the lowest validation score (the model to
/// keep).
pub fn best_run(reports: &[RunReport], rule: Selection) -> Option<usize> {
    let score = |r: &RunReport| rule.score(r);
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

/// One finished run as the comparison sees it.
#[derive(Debug, Clone, Copy)]
pub struct RunResult<'a> {
    /// Cross-validation fold (`None` on one split).
    pub fold: Option<usize>,
    /// Training seed.
    pub seed: u64,
    /// The run's report (validation and test metrics, cost).
    pub report: &'a RunReport,
    /// Its test predictions (target units), on the test rows every run shares.
    pub test_predictions: &'a Array1<f64>,
}

/// How [`decide`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecideParams {
    /// Which validation MAE the rule looks at.
    pub selection: Selection,
    /// Index of the reference method (vanilla) the others are paired with.
    pub reference: usize,
    /// Margin of the rule, a fraction of the reference's mean validation MAE (0: the interval
    /// must lie below zero).
    pub min_gain: f64,
    /// Cross-validation folds k (1: one validation part); sets the correction ρ = 1/(k − 1).
    pub folds: usize,
}

impl DecideParams {
    /// The variance correction ρ of the paired validation intervals: n_val/n_train = 1/(k − 1)
    /// for k-fold cross-validation, 0 for one validation part.
    pub fn rho(&self) -> f64 {
        if self.folds > 1 {
            1.0 / (self.folds as f64 - 1.0)
        } else {
            0.0
        }
    }
}

/// One method's numbers in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodResult {
    /// Mean ± std over the runs.
    #[serde(flatten)]
    pub summary: MethodSummary,
    /// Paired validation difference to the reference over folds × seeds (the rule's score).
    pub val_vs_reference: Option<PairedDifference>,
    /// Test MAE (All, Many, Medium, Few) of the per-seed ensembles (each seed's fold runs
    /// averaged; on one split, the seed's run), mean ± std over seeds.
    pub test_ensemble_per_seed: [Option<MeanStd>; 4],
    /// Test MAE (All, Many, Medium, Few) of the ensemble of every run of the method.
    pub test_ensemble: [Option<f64>; 4],
    /// Paired test difference (All) of the per-seed ensembles to the reference's, over seeds.
    pub test_vs_reference: Option<PairedDifference>,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// One result per method, in the order given.
    pub results: Vec<MethodResult>,
    /// Index of the chosen method.
    pub chosen: usize,
    /// Why, in one sentence.
    pub rule: String,
}

/// Summarises every method's runs and chooses one (see the module docs). `runs[m]` holds
/// method `m`'s runs, every method in the same (fold, seed) order; `test_y` and `test_shots`
/// describe the test rows every run predicted.
pub fn decide(
    methods: &[MethodName],
    runs: &[Vec<RunResult<'_>>],
    test_y: &[f64],
    test_shots: &[srl_data::Shot],
    params: &DecideParams,
) -> Result<Decision, crate::TrainError> {
    let score = |r: &RunReport| params.selection.score(r);
    let rho = params.rho();
    let scores: Vec<Vec<Option<f64>>> = runs
        .iter()
        .map(|r| r.iter().map(|x| score(x.report)).collect())
        .collect();
    let paired = |a: &[Option<f64>], b: &[Option<f64>], rho: f64| {
        let (x, y): (Vec<f64>, Vec<f64>) = a
            .iter()
            .zip(b)
            .filter_map(|(p, q)| Some(((*p)?, (*q)?)))
            .unzip();
        PairedDifference::of(&x, &y, rho)
    };
    let ensemble = |runs: &[&RunResult<'_>]| -> Result<ShotMetrics, crate::TrainError> {
        let mut mean = vec![0.0; test_y.len()];
        for r in runs {
            for (m, p) in mean.iter_mut().zip(r.test_predictions) {
                *m += p / runs.len() as f64;
            }
        }
        Ok(srl_data::metrics::evaluate(&mean, test_y, test_shots)?)
    };
    let mut seeds: Vec<u64> = runs
        .first()
        .map(|r| r.iter().map(|x| x.seed).collect())
        .unwrap_or_default();
    seeds.sort_unstable();
    seeds.dedup();
    let per_seed: Vec<Vec<ShotMetrics>> = runs
        .iter()
        .map(|r| {
            seeds
                .iter()
                .map(|&s| ensemble(&r.iter().filter(|x| x.seed == s).collect::<Vec<_>>()))
                .collect::<Result<_, _>>()
        })
        .collect::<Result<_, _>>()?;
    let r = params.reference;
    let mut results = Vec::with_capacity(methods.len());
    for (mi, m) in methods.iter().enumerate() {
        let reports: Vec<RunReport> = runs[mi].iter().map(|x| x.report.clone()).collect();
        let all = ensemble(&runs[mi].iter().collect::<Vec<_>>())?;
        let seed_all =
            |x: usize| -> Vec<Option<f64>> { per_seed[x].iter().map(|t| t.all.mae).collect() };
        results.push(MethodResult {
            summary: summarise(m, &reports),
            val_vs_reference: (mi != r)
                .then(|| paired(&scores[mi], &scores[r], rho))
                .flatten(),
            test_ensemble_per_seed: std::array::from_fn(|g| {
                MeanStd::of_present(per_seed[mi].iter().map(|t| maes(t)[g]))
            }),
            test_ensemble: maes(&all),
            test_vs_reference: (mi != r)
                .then(|| paired(&seed_all(mi), &seed_all(r), 0.0))
                .flatten(),
        });
    }
    let mean_scores: Vec<Option<f64>> = scores
        .iter()
        .map(|s| MeanStd::of_present(s.iter().copied()).map(|m| m.mean))
        .collect();
    let diffs: Vec<Option<PairedDifference>> = results.iter().map(|x| x.val_vs_reference).collect();
    let chosen = select_over_noise(&mean_scores, &diffs, r, params.min_gain);
    let score = params.selection.score_name();
    let rule = if chosen == r {
        format!(
            "kept {}: no method's {score} is lower by more than the noise (upper end of the \
             95 % interval of the paired difference below {})",
            methods[r],
            margin_text(params.selection, params.min_gain)
        )
    } else {
        format!(
            "{} replaces {}: its paired difference in {score} {} lies below {}",
            methods[chosen],
            methods[r],
            diffs[chosen].map_or("—".to_string(), |d| format!("{d:.3}")),
            margin_text(params.selection, params.min_gain)
        )
    };
    Ok(Decision {
        results,
        chosen,
        rule,
    })
}

fn maes(m: &ShotMetrics) -> [Option<f64>; 4] {
    [m.all.mae, m.many.mae, m.medium.mae, m.few.mae]
}

fn margin_text(selection: Selection, min_gain: f64) -> String {
    if min_gain > 0.0 {
        format!(
            "−{:.1} % of the reference's {}",
            100.0 * min_gain,
            selection.score_name()
        )
    } else {
        "zero".into()
    }
}

/// The rule of [`select_over_noise`] in words.
pub fn rule_text(selection: Selection, min_gain: f64, reference: &str) -> String {
    format!(
        "keep {reference} unless a method's mean {} is lower and the upper end of its \
         interval lies below {}; of those, the lowest",
        selection.score_name(),
        margin_text(selection, min_gain)
    )
}

/// The comparison as a Markdown table: validation MAE and the paired difference to the
/// reference, test MAE of the single runs and of the ensembles (`cv`: the delivered
/// fold × seed ensemble; else the runs' mean), cost.
pub fn markdown_table(
    results: &[MethodResult],
    chosen: usize,
    reference: usize,
    cv: bool,
    selection: Selection,
) -> String {
    let cell = |m: &Option<MeanStd>| m.map_or("—".to_string(), |m| format!("{m:.3}"));
    let one = |v: &Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    let what = if cv { "ensemble" } else { "mean of runs" };
    let mut out = format!(
        "| method | runs | val All | Δ val{} vs {} | val Few | val SERA | test All (single) | \
         test All ({what}) | test Few ({what}) | test SERA (single) | epochs (trees: rounds) | \
         ms per epoch (round) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        match selection {
            Selection::All => "",
            Selection::Few => " Few",
            Selection::Sera => " SERA",
        },
        results[reference].summary.method,
    );
    for (i, r) in results.iter().enumerate() {
        let s = &r.summary;
        let mark = if i == chosen { " (selected)" } else { "" };
        let diff = if i == reference {
            "reference".to_string()
        } else {
            r.val_vs_reference
                .map_or("—".to_string(), |d| format!("{d:.3}"))
        };
        let (ens_all, ens_few) = if cv {
            (one(&r.test_ensemble[0]), one(&r.test_ensemble[3]))
        } else {
            (cell(&s.test[0]), cell(&s.test[3]))
        };
        // SERA sums squared errors: large in the target's units squared.
        let sera = |m: &Option<MeanStd>| match m {
            Some(m) if m.mean.abs() >= 1000.0 => format!("{m:.0}"),
            other => cell(other),
        };
        out.push_str(&format!(
            "| {}{mark} | {} | {} | {diff} | {} | {} | {} | {ens_all} | {ens_few} | {} | {:.0} | \
             {:.2} |\n",
            s.method,
            s.runs,
            cell(&s.val[0]),
            cell(&s.val[3]),
            sera(&s.val_sera),
            cell(&s.test[0]),
            sera(&s.test_sera),
            s.epochs.mean,
            1e3 * s.seconds_per_epoch.mean,
        ));
    }
    out
}

/// The test line: the chosen method's delivered ensemble next to the reference's, with the
/// paired test difference over seeds.
pub fn test_summary(results: &[MethodResult], chosen: usize, reference: usize, cv: bool) -> String {
    let one = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    let numbers = |x: &MethodResult| {
        format!(
            "MAE All {}, Few {} (single runs: All {})",
            one(x.test_ensemble[0]),
            one(x.test_ensemble[3]),
            x.summary.test[0].map_or("—".into(), |m| format!("{m:.3}")),
        )
    };
    let (c, r) = (&results[chosen], &results[reference]);
    let what = if cv {
        "ensemble of its fold × seed runs"
    } else {
        "ensemble of its seed runs"
    };
    let mut line = format!(
        "Test (held out): {} — {what}: {}",
        c.summary.method,
        numbers(c)
    );
    if chosen != reference {
        line.push_str(&format!("; {} — {}", r.summary.method, numbers(r)));
        if let Some(d) = c.test_vs_reference {
            line.push_str(&format!(
                "; paired test difference of the per-seed ensembles (All): {d:.3} over {} seeds",
                d.n
            ));
        }
    }
    line.push('.');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose validation MAE is `val` (every validation row off by it) and whose test
    /// predictions are `pred`.
    fn report(val: f64, test_y: &[f64], pred: &Array1<f64>, shots: &[srl_data::Shot]) -> RunReport {
        let v = srl_data::metrics::evaluate(&[1.0 + val], &[1.0], &[srl_data::Shot::Many]).unwrap();
        let t = srl_data::metrics::evaluate(&pred.to_vec(), test_y, shots).unwrap();
        let geometry: crate::GeometryReport = serde_json::from_str(
            r#"{"coverage":null,"coverage_eps":0.1,"soft_coverage":null,"few_shot_share":null,
                "speed_cv":null,"uniformity":null}"#,
        )
        .unwrap();
        RunReport {
            benchmark: srl_data::DataName::Table("t".into()),
            method: MethodName::vanilla(),
            seed: 0,
            best_epoch: 1,
            epochs_run: 2,
            val: v,
            test: t,
            geometry,
            seconds_total: 1.0,
            seconds_per_epoch: 0.1,
            relevance: None,
            protocol: None,
        }
    }

    #[test]
    fn sera_selection_scores_the_validation_sera_and_names_it() {
        let pred = Array1::from(vec![0.0]);
        let mut r = report(0.5, &[0.0], &pred, &[srl_data::Shot::Many]);
        assert_eq!(Selection::Sera.score(&r), None);
        assert_eq!(Selection::All.score(&r), Some(0.5));
        let m = |pred: &[f64]| {
            srl_data::relevance::RelevanceMetrics::of_phi(pred, &[0.0, 10.0], &[0.0, 1.0]).unwrap()
        };
        r.relevance = Some(crate::report::RelevanceReport {
            val: m(&[0.0, 9.0]),
            test: m(&[1.0, 10.0]),
        });
        let sera = Selection::Sera.score(&r).unwrap();
        assert_eq!(sera, r.relevance.as_ref().unwrap().val.sera);
        assert!((sera - 1.0).abs() < 1e-9, "{sera}");
        assert_eq!(Selection::from_name("sera").unwrap(), Selection::Sera);
        assert!(rule_text(Selection::Sera, 0.0, "vanilla").contains("validation SERA"));
    }

    #[test]
    fn decide_pairs_runs_ensembles_test_predictions_and_keeps_vanilla_on_noise() {
        use approx::assert_abs_diff_eq;
        use srl_data::Shot;
        let test_y = [0.0, 10.0];
        let shots = [Shot::Many, Shot::Few];
        let methods: Vec<MethodName> = ["vanilla", "lds", "srl"]
            .iter()
            .map(|m| m.parse().unwrap())
            .collect();
        // 2 folds × 2 seeds. lds: 0.1 better on every pair (a clear gain); srl: better on
        // average, but by ±0.5 alternately (noise).
        let keys = [(0, 0), (0, 1), (1, 0), (1, 1)];
        let vals = [
            [1.0, 1.2, 0.8, 1.0],
            [0.9, 1.1, 0.7, 0.9],
            [0.3, 1.6, 0.1, 1.4],
        ];
        // Test predictions: the two seeds' errors cancel in the ensemble for vanilla.
        let preds: Vec<Vec<Array1<f64>>> = (0..3)
            .map(|m| {
                keys.iter()
                    .map(|&(_, s)| {
                        let e = if s == 0 { 1.0 } else { -1.0 } * (m as f64 + 1.0);
                        Array1::from(vec![e, 10.0 + e])
                    })
                    .collect()
            })
            .collect();
        let reports: Vec<Vec<RunReport>> = (0..3)
            .map(|m| {
                (0..4)
                    .map(|i| report(vals[m][i], &test_y, &preds[m][i], &shots))
                    .collect()
            })
            .collect();
        let runs: Vec<Vec<RunResult<'_>>> = (0..3)
            .map(|m| {
                (0..4)
                    .map(|i| RunResult {
                        fold: Some(keys[i].0),
                        seed: keys[i].1,
                        report: &reports[m][i],
                        test_predictions: &preds[m][i],
                    })
                    .collect()
            })
            .collect();
        let params = DecideParams {
            selection: Selection::All,
            reference: 0,
            min_gain: 0.0,
            folds: 2,
        };
        let d = decide(&methods, &runs, &test_y, &shots, &params).unwrap();
        let lds = d.results[1].val_vs_reference.unwrap();
        assert_abs_diff_eq!(lds.mean, -0.1, epsilon = 1e-12);
        assert_abs_diff_eq!(lds.high, -0.1, epsilon = 1e-9); // constant differences
        let srl = d.results[2].val_vs_reference.unwrap();
        assert!(srl.mean < lds.mean && srl.high > 0.0, "{srl:?}");
        assert_eq!(d.chosen, 1, "{}", d.rule);
        assert!(d.rule.starts_with("lds replaces vanilla"), "{}", d.rule);
        // Ensembles: ±e errors of the two seeds cancel (MAE 0); single runs have MAE e.
        for (m, r) in d.results.iter().enumerate() {
            assert_abs_diff_eq!(r.test_ensemble[0].unwrap(), 0.0, epsilon = 1e-12);
            assert_abs_diff_eq!(
                r.summary.test[0].unwrap().mean,
                m as f64 + 1.0,
                epsilon = 1e-12
            );
            // Per seed (the seed's two folds averaged) the error stays e.
            assert_abs_diff_eq!(
                r.test_ensemble_per_seed[0].unwrap().mean,
                m as f64 + 1.0,
                epsilon = 1e-12
            );
        }
        assert!(d.results[0].val_vs_reference.is_none());
        // A margin of 20 % of vanilla's 1.0 is more than lds's 0.1: vanilla is kept.
        let strict = DecideParams {
            min_gain: 0.2,
            ..params
        };
        let d = decide(&methods, &runs, &test_y, &shots, &strict).unwrap();
        assert_eq!(d.chosen, 0);
        assert!(d.rule.starts_with("kept vanilla"), "{}", d.rule);
        let table = markdown_table(&d.results, d.chosen, 0, true, Selection::All);
        assert!(table.contains("| vanilla (selected) | 4 |"), "{table}");
        assert!(table.contains("-0.100 [-0.100, -0.100]"), "{table}");
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
