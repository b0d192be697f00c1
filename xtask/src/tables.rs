//! Result tables: aggregate the run folders of one benchmark over seeds and write them as
//! Markdown and JSON, next to the paper's numbers.
//!
//! Input: `runs/<benchmark>/<method>/seed<k>/metrics.json`, read with
//! [`srl_train::run_folder::read_report`] (xtask declares no schema of its own for run outputs).
//! Output per benchmark: `<benchmark>.md` and `<benchmark>.json`.
//!
//! The metric table has one row per method (vanilla first, then the baselines, then the SRL
//! variants; see [`method_order`]). UCI-DIR benchmarks report MAE and GM (geometric mean of the
//! absolute errors) for All / Many / Medium / Few; the IOL benchmarks report MAE×10⁻³ and
//! MSE×10⁻⁴ (the units of the paper's tables). Every cell is "mean ± std" over seeds, with the
//! sample standard deviation (n − 1); a single seed shows the mean only. A block "vs vanilla"
//! follows: **paired by seed**, the number of seeds in which the method's test MAE (All, Few)
//! is below vanilla's of the same seed, out of the seeds both finished, and the relative change
//! of the mean MAE. The paper's published rows are a second, separate table. A third table
//! gives the geometry of the learned space (coverage, few-shot share of the sphere, trace speed
//! CV) and the cost (epochs, seconds per epoch, and the cost per epoch relative to vanilla).

use crate::common::write_file;
use crate::error::{Result, XtaskError};
use serde::{Deserialize, Serialize};
use srl_data::metrics::{GroupMetrics, ShotMetrics};
use srl_data::BenchmarkId;
use srl_train::{run_folder, Component, MethodName, RunReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The methods `reproduce` compares by default, in table order ([`method_order`] follows it):
/// [`srl_train::compare::DEFAULT_SWEEP_METHODS`].
pub const DEFAULT_METHODS: &[&str] = srl_train::compare::DEFAULT_SWEEP_METHODS;

/// [`DEFAULT_METHODS`], parsed (every entry is a valid method; a test checks it).
pub fn default_methods() -> Vec<MethodName> {
    DEFAULT_METHODS
        .iter()
        .filter_map(|m| m.parse().ok())
        .collect()
}

/// Column labels of the shot groups, in table order (index 0 = All … 3 = Few).
pub const GROUPS: [&str; 4] = ["All", "Many", "Med", "Few"];
/// Index of the All group in [`GROUPS`].
pub const ALL: usize = 0;
/// Index of the Few group in [`GROUPS`].
pub const FEW: usize = 3;

/// The group of index `g` ([`GROUPS`] order) of `m`.
pub fn group(m: &ShotMetrics, g: usize) -> &GroupMetrics {
    match g {
        0 => &m.all,
        1 => &m.many,
        2 => &m.medium,
        _ => &m.few,
    }
}

/// A metric of a shot group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Mean absolute error.
    Mae,
    /// Mean squared error.
    Mse,
    /// Geometric mean of the absolute errors.
    Gm,
}

impl Metric {
    /// The metric of `g`, if defined (non-empty group, finite value).
    pub fn of(self, g: &GroupMetrics) -> Option<f64> {
        if g.count == 0 {
            return None;
        }
        let v = match self {
            Metric::Mae => g.mae,
            Metric::Mse => g.mse,
            Metric::Gm => g.gm,
        }?;
        v.is_finite().then_some(v)
    }
}

/// The family of a benchmark, which decides the table's metrics and units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// UCI-DIR tabular sets: MAE and GM in the target's units.
    Uci,
    /// Imbalanced operator learning: MAE×1e-3 and MSE×1e-4.
    Iol,
}

impl Kind {
    /// `Iol` for the operator-learning benchmarks, else `Uci`.
    pub fn of(benchmark: BenchmarkId) -> Kind {
        if benchmark.is_operator() {
            Kind::Iol
        } else {
            Kind::Uci
        }
    }

    /// The two metrics of the table: `(metric, column label, display scale)`; a value v is
    /// shown as v / scale. The first is always MAE.
    pub fn metrics(self) -> [(Metric, &'static str, f64); 2] {
        match self {
            Kind::Uci => [(Metric::Mae, "MAE", 1.0), (Metric::Gm, "GM", 1.0)],
            Kind::Iol => [
                (Metric::Mae, "MAE×1e-3", 1e-3),
                (Metric::Mse, "MSE×1e-4", 1e-4),
            ],
        }
    }

    /// Display scale of MAE (IOL: 1e-3).
    pub fn mae_scale(self) -> f64 {
        self.metrics()[0].2
    }

    /// Decimals shown for the metric columns.
    pub fn decimals(self) -> usize {
        match self {
            Kind::Uci => 3,
            Kind::Iol => 2,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading run reports

/// The seed folders `runs/<benchmark>/<method>/seed<k>` that hold a complete run
/// ([`run_folder::is_complete`]), sorted by method folder and seed.
pub fn run_folders(runs_dir: &Path, benchmark: BenchmarkId) -> Result<Vec<PathBuf>> {
    let bench_dir = runs_dir.join(benchmark.as_str());
    let mut out = Vec::new();
    for method_dir in sorted_subdirs(&bench_dir)? {
        for seed_dir in sorted_subdirs(&method_dir)? {
            if run_folder::is_complete(&seed_dir) {
                out.push(seed_dir);
            }
        }
    }
    Ok(out)
}

/// Every run report of `benchmark` under `runs_dir` (through [`run_folder::read_report`]).
pub fn collect_reports(runs_dir: &Path, benchmark: BenchmarkId) -> Result<Vec<RunReport>> {
    run_folders(runs_dir, benchmark)?
        .iter()
        .map(|d| Ok(run_folder::read_report(d)?))
        .collect()
}

/// Sub-folders of `dir` sorted by name (seed folders by their number); empty if `dir` is
/// missing.
pub fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| XtaskError::io("list", dir, e))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort_by_key(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (run_folder::seed_of_dir(&name).unwrap_or(u64::MAX), name)
    });
    Ok(dirs)
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

/// Mean and sample standard deviation of a metric over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); `None` for a single value.
    pub std: Option<f64>,
    /// Number of values.
    pub n: usize,
}

/// Mean and sample standard deviation of `values`; `None` if empty.
pub fn mean_std(values: &[f64]) -> Option<Stat> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = (n > 1).then(|| {
        let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    Some(Stat { mean, std, n })
}

impl Stat {
    /// `"mean ± std"` of the values divided by `scale`, with `decimals` decimals; a single
    /// value shows the mean only.
    pub fn format(&self, scale: f64, decimals: usize) -> String {
        match self.std {
            Some(s) => format!(
                "{:.d$} ± {:.d$}",
                self.mean / scale,
                s / scale,
                d = decimals
            ),
            None => format!("{:.d$}", self.mean / scale, d = decimals),
        }
    }
}

/// A table cell: the formatted statistic, or an em dash if undefined.
pub fn cell(stat: Option<Stat>, scale: f64, decimals: usize) -> String {
    stat.map(|s| s.format(scale, decimals))
        .unwrap_or_else(|| "—".to_string())
}

/// `+1.2 %`, or an em dash.
pub fn percent_cell(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_string(), |v| format!("{v:+.1} %"))
}

// The paper's numbers

/// Where the paper's numbers come from.
pub const PAPER_CITATION: &str = "Dong, Wu, Chen, Zou, Zhang, Zhou, \"Improve Representation \
for Imbalanced Regression through Geometric Constraints\", CVPR 2025, arXiv 2503.00876 \
(UCI-DIR: mean of 3 runs, the authors' split is unpublished; IOL: mean of 10 runs)";

/// One row of the paper's tables: MAE for All / Many / Medium / Few, in the target's own
/// units (IOL values are stored unscaled, e.g. 15.64e-3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaperRow {
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// Method as named in the paper.
    pub method: &'static str,
    /// MAE All / Many / Medium / Few.
    pub mae: [f64; 4],
    /// Number of runs the paper averaged.
    pub runs: usize,
}

/// The paper's MAE numbers (docs/method.md, "The paper's numbers"). The paper reports no GM for
/// UCI-DIR and no MSE for IOL; those cells stay empty.
pub const PAPER_ROWS: &[PaperRow] = &[
    PaperRow {
        benchmark: BenchmarkId::Airfoil,
        method: "Vanilla",
        mae: [5.66, 5.11, 5.03, 6.75],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::Airfoil,
        method: "RankSim",
        mae: [5.23, 5.05, 4.91, 5.72],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::Airfoil,
        method: "SRL",
        mae: [5.10, 4.83, 4.75, 5.69],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::Abalone,
        method: "Vanilla",
        mae: [4.57, 0.88, 2.65, 7.97],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::Abalone,
        method: "SRL",
        mae: [4.16, 0.89, 2.42, 7.19],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::RealEstate,
        method: "Vanilla",
        mae: [0.33, 0.27, 0.38, 0.37],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::RealEstate,
        method: "SRL",
        mae: [0.28, 0.26, 0.30, 0.29],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::Concrete,
        method: "Vanilla",
        mae: [7.29, 5.77, 6.92, 9.74],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::Concrete,
        method: "SRL",
        mae: [5.94, 5.32, 5.80, 6.60],
        runs: 3,
    },
    PaperRow {
        benchmark: BenchmarkId::IolLinear,
        method: "Vanilla",
        mae: [15.64e-3, 11.86e-3, 15.45e-3, 27.00e-3],
        runs: 10,
    },
    PaperRow {
        benchmark: BenchmarkId::IolLinear,
        method: "SRL",
        mae: [9.18e-3, 8.32e-3, 9.47e-3, 9.33e-3],
        runs: 10,
    },
    PaperRow {
        benchmark: BenchmarkId::IolSde,
        method: "Vanilla",
        mae: [11.64e-3, 9.89e-3, 11.02e-3, 19.77e-3],
        runs: 10,
    },
    PaperRow {
        benchmark: BenchmarkId::IolSde,
        method: "SRL",
        mae: [11.25e-3, 9.48e-3, 9.22e-3, 17.00e-3],
        runs: 10,
    },
];

/// A remark printed under a benchmark's table, where our numbers are not comparable as is.
pub fn paper_note(benchmark: BenchmarkId) -> Option<&'static str> {
    match benchmark {
        BenchmarkId::RealEstate => Some(
            "The paper's Real-estate numbers are evidently on a rescaled target; ours are in the \
             dataset's units (10,000 NT$ per ping), so only the relative SRL/vanilla change is \
             comparable.",
        ),
        BenchmarkId::Airfoil | BenchmarkId::Abalone | BenchmarkId::Concrete => Some(
            "The authors' UCI-DIR split is unpublished; ours follows docs/protocols.md (balanced \
             validation/test, split seed 0), so absolute numbers differ somewhat.",
        ),
        _ => None,
    }
}

/// The paper's rows for `benchmark`.
pub fn paper_rows(benchmark: BenchmarkId) -> Vec<PaperRow> {
    PAPER_ROWS
        .iter()
        .filter(|r| r.benchmark == benchmark)
        .copied()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/// Paired-by-seed win count of a method against vanilla on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PairedWins {
    /// Seeds in which the method's value is strictly below vanilla's of the same seed.
    pub wins: usize,
    /// Seeds in which both the method and vanilla have a value.
    pub pairs: usize,
}

impl PairedWins {
    /// Compares `method` with `vanilla` seed by seed; a seed missing on either side (a failed
    /// run, an empty group) is not a pair.
    pub fn count(method: &BTreeMap<u64, f64>, vanilla: &BTreeMap<u64, f64>) -> PairedWins {
        let mut w = PairedWins { wins: 0, pairs: 0 };
        for (seed, m) in method {
            if let Some(v) = vanilla.get(seed) {
                w.pairs += 1;
                if m < v {
                    w.wins += 1;
                }
            }
        }
        w
    }

    /// `4/5`, or an em dash without a pair.
    pub fn cell(&self) -> String {
        if self.pairs == 0 {
            "—".to_string()
        } else {
            format!("{}/{}", self.wins, self.pairs)
        }
    }
}

/// A method compared with vanilla on the test MAE (All and Few).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VsVanilla {
    /// Paired wins on All MAE.
    pub wins_all: PairedWins,
    /// Paired wins on Few MAE.
    pub wins_few: PairedWins,
    /// Change of the mean All MAE over vanilla's on the same seeds, in percent.
    pub change_all_percent: Option<f64>,
    /// Change of the mean Few MAE over vanilla's on the same seeds, in percent.
    pub change_few_percent: Option<f64>,
}

/// One method's aggregate over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct MethodRow {
    /// The method (`vanilla`, `srl`, `lds+fds`, …).
    pub method: MethodName,
    /// Seeds aggregated.
    pub seeds: Vec<u64>,
    /// For each metric of the benchmark's [`Kind`] (`mae`, `gm` or `mae`, `mse`): the
    /// statistic per group (All, Many, Medium, Few), in the target's own units (unscaled).
    pub metrics: Vec<MetricStats>,
    /// Test MAE per seed: All.
    pub mae_all_by_seed: BTreeMap<u64, f64>,
    /// Test MAE per seed: Few.
    pub mae_few_by_seed: BTreeMap<u64, f64>,
    /// Comparison with vanilla (`None` for vanilla itself and when vanilla did not run).
    pub vs_vanilla: Option<VsVanilla>,
    /// Coverage of the sphere.
    pub coverage: Option<Stat>,
    /// Soft coverage 1 − L_env.
    pub soft_coverage: Option<Stat>,
    /// Arc length of the trace.
    pub arc_length: Option<Stat>,
    /// Few-shot share of the sphere (Table 7).
    pub few_shot_share: Option<Stat>,
    /// Trace speed coefficient of variation.
    pub speed_cv: Option<Stat>,
    /// Epochs run.
    pub epochs: Option<Stat>,
    /// Epoch selected on validation.
    pub best_epoch: Option<Stat>,
    /// Wall time per epoch, seconds.
    pub seconds_per_epoch: Option<Stat>,
    /// Mean seconds per epoch relative to vanilla's (×).
    pub cost_vs_vanilla: Option<f64>,
}

/// One metric of one method over the four groups.
#[derive(Debug, Clone, Serialize)]
pub struct MetricStats {
    /// `mae`, `gm` or `mse`.
    pub metric: Metric,
    /// All, Many, Medium, Few.
    pub groups: [Option<Stat>; 4],
}

/// The aggregated table of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkTable {
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// Which metrics the table reports.
    pub kind: Kind,
    /// One row per method, in [`method_order`].
    pub rows: Vec<MethodRow>,
    /// The paper's numbers for this benchmark.
    pub paper: Vec<PaperRow>,
    /// Where the paper rows come from.
    pub paper_citation: &'static str,
}

/// The sort key of a method's row: vanilla first, then the methods without SRL, then the SRL
/// variants; within a group in the order of [`DEFAULT_METHODS`], methods
/// outside that list after it in their canonical order.
pub fn method_order(m: &MethodName) -> (u8, usize, MethodName) {
    let family = if m.is_vanilla() {
        0
    } else if m.contains(Component::Srl) {
        2
    } else {
        1
    };
    let position = default_methods()
        .iter()
        .position(|d| d == m)
        .unwrap_or(usize::MAX);
    (family, position, m.clone())
}

/// Aggregates the reports of one benchmark (reports of other benchmarks are ignored); a report
/// whose method does not parse is an error.
pub fn aggregate(benchmark: BenchmarkId, reports: &[RunReport]) -> Result<BenchmarkTable> {
    let kind = Kind::of(benchmark);
    let mut by_method: BTreeMap<(u8, usize, MethodName), Vec<&RunReport>> = BTreeMap::new();
    for r in reports.iter().filter(|r| r.benchmark == benchmark) {
        let m = r.method.clone();
        by_method.entry(method_order(&m)).or_default().push(r);
    }
    let mae_by_seed = |runs: &[&RunReport], g: usize| -> BTreeMap<u64, f64> {
        runs.iter()
            .filter_map(|r| Some((r.seed, Metric::Mae.of(group(&r.test, g))?)))
            .collect()
    };
    let mut rows: Vec<MethodRow> = by_method
        .into_iter()
        .map(|((_, _, method), runs)| {
            let stat_of = |f: &dyn Fn(&RunReport) -> Option<f64>| {
                let vals: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| f(r))
                    .filter(|v| v.is_finite())
                    .collect();
                mean_std(&vals)
            };
            let metrics = kind
                .metrics()
                .iter()
                .map(|&(metric, _, _)| MetricStats {
                    metric,
                    groups: [0, 1, 2, 3]
                        .map(|g| stat_of(&|r: &RunReport| metric.of(group(&r.test, g)))),
                })
                .collect();
            let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
            seeds.sort_unstable();
            seeds.dedup();
            MethodRow {
                method,
                seeds,
                metrics,
                mae_all_by_seed: mae_by_seed(&runs, ALL),
                mae_few_by_seed: mae_by_seed(&runs, FEW),
                vs_vanilla: None,
                coverage: stat_of(&|r| r.geometry.coverage),
                soft_coverage: stat_of(&|r| r.geometry.soft_coverage),
                arc_length: stat_of(&|r| r.geometry.arc_length),
                few_shot_share: stat_of(&|r| r.geometry.few_shot_share),
                speed_cv: stat_of(&|r| r.geometry.speed_cv),
                epochs: stat_of(&|r| Some(r.epochs_run as f64)),
                best_epoch: stat_of(&|r| Some(r.best_epoch as f64)),
                seconds_per_epoch: stat_of(&|r| Some(r.seconds_per_epoch)),
                cost_vs_vanilla: None,
            }
        })
        .collect();

    // Rows are sorted, so vanilla (if it ran) is the first.
    if let Some(vanilla) = rows.first().filter(|r| r.method.is_vanilla()).cloned() {
        let mean_mae = |r: &MethodRow, g: usize| r.metrics[0].groups[g].map(|s| s.mean);
        let spe = vanilla.seconds_per_epoch.map(|s| s.mean);
        for row in &mut rows {
            row.cost_vs_vanilla = match (row.seconds_per_epoch.map(|s| s.mean), spe) {
                (Some(m), Some(v)) if v > 0.0 => Some(m / v),
                _ => None,
            };
            if row.method.is_vanilla() {
                continue;
            }
            // Paired on the seeds both ran: with the same seeds, the two means; with fewer seeds
            // (3-seed baselines beside a 5-seed vanilla), vanilla's mean over those seeds.
            let by_seed = |r: &MethodRow, g: usize| {
                if g == ALL {
                    r.mae_all_by_seed.clone()
                } else {
                    r.mae_few_by_seed.clone()
                }
            };
            let change = |g: usize| {
                if row.seeds == vanilla.seeds {
                    return change_percent(mean_mae(row, g)?, mean_mae(&vanilla, g)?);
                }
                let (m, v) = (by_seed(row, g), by_seed(&vanilla, g));
                let common: Vec<(f64, f64)> = m
                    .iter()
                    .filter_map(|(s, a)| v.get(s).map(|b| (*a, *b)))
                    .collect();
                if common.is_empty() {
                    return None;
                }
                let n = common.len() as f64;
                change_percent(
                    common.iter().map(|p| p.0).sum::<f64>() / n,
                    common.iter().map(|p| p.1).sum::<f64>() / n,
                )
            };
            row.vs_vanilla = Some(VsVanilla {
                wins_all: PairedWins::count(&row.mae_all_by_seed, &vanilla.mae_all_by_seed),
                wins_few: PairedWins::count(&row.mae_few_by_seed, &vanilla.mae_few_by_seed),
                change_all_percent: change(ALL),
                change_few_percent: change(FEW),
            });
        }
    }
    Ok(BenchmarkTable {
        benchmark,
        kind,
        rows,
        paper: paper_rows(benchmark),
        paper_citation: PAPER_CITATION,
    })
}

/// Display name of a method (`vanilla` → `Vanilla`, `srl+ranksim` → `SRL+RankSim`).
pub fn display_method(method: &MethodName) -> String {
    if method.is_vanilla() {
        return "Vanilla".to_string();
    }
    method
        .components()
        .iter()
        .map(|c| c.display_name())
        .collect::<Vec<_>>()
        .join("+")
}

/// Display name of a benchmark.
pub fn display_benchmark(benchmark: BenchmarkId) -> &'static str {
    match benchmark {
        BenchmarkId::Airfoil => "Airfoil",
        BenchmarkId::Abalone => "Abalone",
        BenchmarkId::Concrete => "Concrete",
        BenchmarkId::RealEstate => "Real estate",
        BenchmarkId::IolLinear => "IOL linear (antiderivative)",
        BenchmarkId::IolSde => "IOL nonlinear (stochastic elliptic)",
    }
}

/// Relative change of `new` over `old` in percent.
pub fn change_percent(new: f64, old: f64) -> Option<f64> {
    (old != 0.0 && old.is_finite() && new.is_finite()).then(|| 100.0 * (new - old) / old)
}

impl BenchmarkTable {
    /// The row of `method`, if it ran.
    pub fn row(&self, method: &MethodName) -> Option<&MethodRow> {
        self.rows.iter().find(|r| &r.method == method)
    }

    /// The mean test MAE of a method for group index `g` (0 = All … 3 = Few).
    pub fn mean_mae(&self, method: &MethodName, g: usize) -> Option<f64> {
        self.row(method)
            .and_then(|r| r.metrics.iter().find(|m| m.metric == Metric::Mae))
            .and_then(|m| m.groups[g])
            .map(|s| s.mean)
    }

    /// The method with the lowest mean MAE in group `g`, and that mean (ties: the earlier row).
    pub fn best(&self, g: usize) -> Option<(&MethodName, f64)> {
        self.rows
            .iter()
            .filter_map(|r| Some((&r.method, self.mean_mae(&r.method, g)?)))
            .fold(None, |best, (m, v)| match best {
                Some((_, b)) if b <= v => best,
                _ => Some((m, v)),
            })
    }

    /// The rank of `method` by mean MAE in group `g` among the methods with a defined mean
    /// (1 = lowest; tied methods share the better rank), and the number of such methods.
    pub fn rank(&self, method: &MethodName, g: usize) -> Option<(usize, usize)> {
        let mine = self.mean_mae(method, g)?;
        let means: Vec<f64> = self
            .rows
            .iter()
            .filter_map(|r| self.mean_mae(&r.method, g))
            .collect();
        let better = means.iter().filter(|v| **v < mine).count();
        Some((better + 1, means.len()))
    }

    /// The Markdown section of this benchmark: the metric table with the paired comparison to
    /// vanilla, the paper's rows, and the geometry/cost table.
    pub fn to_markdown(&self) -> String {
        let kind_label = match self.kind {
            Kind::Uci => "UCI-DIR",
            Kind::Iol => "OL-DIR",
        };
        let n_max = self.rows.iter().map(|r| r.seeds.len()).max().unwrap_or(0);
        let mut md = format!(
            "## {} ({kind_label})\n\nTest set, mean ± sample std over seeds (n = {n_max}). \
             vs vanilla, paired by seed: *wins* = seeds in which the method's MAE is below \
             vanilla's of the same seed, out of the seeds both finished; Δ = change of the \
             mean MAE.\n\n",
            display_benchmark(self.benchmark)
        );
        let metrics = self.kind.metrics();
        let dec = self.kind.decimals();

        // Metric table with the vs-vanilla block.
        let mut header = String::from("| Method | n |");
        let mut rule = String::from("|---|---:|");
        for (_, label, _) in metrics {
            for g in GROUPS {
                header.push_str(&format!(" {label} {g} |"));
                rule.push_str("---:|");
            }
        }
        header.push_str(" wins All | wins Few | Δ All | Δ Few |");
        rule.push_str("---:|---:|---:|---:|");
        md.push_str(&header);
        md.push('\n');
        md.push_str(&rule);
        md.push('\n');
        for row in &self.rows {
            md.push_str(&format!(
                "| {} | {} |",
                display_method(&row.method),
                row.seeds.len()
            ));
            for (metric, _, scale) in metrics {
                let groups = row
                    .metrics
                    .iter()
                    .find(|m| m.metric == metric)
                    .map(|m| m.groups)
                    .unwrap_or([None; 4]);
                for s in groups {
                    md.push_str(&format!(" {} |", cell(s, scale, dec)));
                }
            }
            match &row.vs_vanilla {
                Some(v) => md.push_str(&format!(
                    " {} | {} | {} | {} |",
                    v.wins_all.cell(),
                    v.wins_few.cell(),
                    percent_cell(v.change_all_percent),
                    percent_cell(v.change_few_percent)
                )),
                None => md.push_str(" — | — | — | — |"),
            }
            md.push('\n');
        }

        // The paper's rows, separately.
        if !self.paper.is_empty() {
            let (_, label, scale) = metrics[0];
            md.push_str("\nPublished in the paper (MAE only):\n\n| Method (paper) | runs |");
            for g in GROUPS {
                md.push_str(&format!(" {label} {g} |"));
            }
            md.push_str("\n|---|---:|---:|---:|---:|---:|\n");
            for p in &self.paper {
                md.push_str(&format!("| {} | {} |", p.method, p.runs));
                for v in p.mae {
                    md.push_str(&format!(" {:.2} |", v / scale));
                }
                md.push('\n');
            }
        }

        // SRL vs vanilla change, ours and the paper's.
        let (srl, vanilla) = (srl_method(), MethodName::vanilla());
        let ours: Vec<Option<f64>> = (0..4)
            .map(|g| change_percent(self.mean_mae(&srl, g)?, self.mean_mae(&vanilla, g)?))
            .collect();
        if ours.iter().any(Option::is_some) {
            let fmt = |c: &Option<f64>| percent_cell(*c);
            md.push_str("\nMAE change of SRL over vanilla (All / Many / Med / Few): ours ");
            md.push_str(&ours.iter().map(fmt).collect::<Vec<_>>().join(" / "));
            let pv = self.paper.iter().find(|p| p.method == "Vanilla");
            let ps = self.paper.iter().find(|p| p.method == "SRL");
            if let (Some(pv), Some(ps)) = (pv, ps) {
                let paper: Vec<Option<f64>> = (0..4)
                    .map(|g| change_percent(ps.mae[g], pv.mae[g]))
                    .collect();
                md.push_str("; paper ");
                md.push_str(&paper.iter().map(fmt).collect::<Vec<_>>().join(" / "));
            }
            md.push_str(".\n");
        }

        // Geometry and cost.
        md.push_str(
            "\nGeometry of the learned space (trace of the training-bin centroids of the kept \
             model; coverage at ε = 0.5, soft coverage = 1 − L_env, which stays informative in \
             high dimension where the ε-tube share is ~0) and cost (seconds of optimisation per \
             epoch; cost = mean s/epoch relative to vanilla's):\n\n\
             | Method | coverage | soft coverage | few-shot share | speed CV | arc length | epochs | best epoch | s/epoch | cost |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for row in &self.rows {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                display_method(&row.method),
                cell(row.coverage, 1.0, 3),
                cell(row.soft_coverage, 1.0, 3),
                cell(row.few_shot_share, 1.0, 3),
                cell(row.speed_cv, 1.0, 3),
                cell(row.arc_length, 1.0, 2),
                cell(row.epochs, 1.0, 0),
                cell(row.best_epoch, 1.0, 1),
                cell(row.seconds_per_epoch, 1.0, 4),
                row.cost_vs_vanilla
                    .map_or_else(|| "—".to_string(), |c| format!("{c:.2}×")),
            ));
        }
        if let Some(note) = paper_note(self.benchmark) {
            md.push_str(&format!("\n{note}\n"));
        }
        md.push_str(&format!("\nPaper rows: {}.\n", self.paper_citation));
        md
    }

    /// The table as pretty JSON (unscaled values; `kind` says which metrics).
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Writes `<dir>/<benchmark>.md` and `<dir>/<benchmark>.json` atomically; returns both
    /// paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf)> {
        let md_path = dir.join(format!("{}.md", self.benchmark));
        let json_path = dir.join(format!("{}.json", self.benchmark));
        // A standalone file: the section heading becomes the title.
        let md = self.to_markdown().replacen("## ", "# ", 1);
        write_file(&md_path, &md)?;
        write_file(&json_path, &(self.to_json()? + "\n"))?;
        Ok((md_path, json_path))
    }
}

/// The method `srl` (SRL alone).
pub fn srl_method() -> MethodName {
    MethodName::new(&[Component::Srl]).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use approx_eq::assert_close;
    use srl_train::GeometryReport;

    /// Tiny float comparison helper (xtask has no `approx` dependency).
    mod approx_eq {
        macro_rules! assert_close {
            ($a:expr, $b:expr) => {{
                let (a, b): (f64, f64) = ($a, $b);
                assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} != {b}");
            }};
        }
        pub(crate) use assert_close;
    }

    #[test]
    fn the_default_methods_parse_in_canonical_form() {
        let methods = default_methods();
        assert_eq!(methods.len(), DEFAULT_METHODS.len());
        for (m, text) in methods.iter().zip(DEFAULT_METHODS) {
            assert_eq!(
                &m.to_string(),
                text,
                "write the canonical form in DEFAULT_METHODS"
            );
        }
        assert!(methods[0].is_vanilla());
    }

    /// The method named `m` (test helper).
    pub(crate) fn method(m: &str) -> MethodName {
        m.parse().unwrap()
    }

    /// A synthetic [`RunReport`]: test MAE `mae` for All / Many / Medium / Few (NaN = an empty
    /// group), MSE = 1.5·MAE², GM = 0.6·MAE; validation = test + 1; SRL methods take 3× the
    /// time per epoch.
    pub(crate) fn report(
        benchmark: BenchmarkId,
        method: &str,
        seed: u64,
        mae: [f64; 4],
    ) -> RunReport {
        let group = |v: f64, count: usize| {
            if v.is_nan() {
                GroupMetrics::of(&[])
            } else {
                GroupMetrics {
                    count,
                    mae: Some(v),
                    mse: Some(1.5 * v * v),
                    gm: Some(0.6 * v),
                    zero_errors: 0,
                    pearson: Some(0.9),
                }
            }
        };
        let metrics = |shift: f64| ShotMetrics {
            all: group(mae[0] + shift, 40),
            many: group(mae[1] + shift, 20),
            medium: group(mae[2] + shift, 12),
            few: group(mae[3] + shift, 8),
        };
        RunReport {
            benchmark: benchmark.into(),
            method: method.parse().unwrap(),
            seed,
            best_epoch: 3,
            epochs_run: 5,
            val: metrics(1.0),
            test: metrics(0.0),
            geometry: GeometryReport {
                coverage: Some(0.5),
                coverage_eps: 0.5,
                soft_coverage: None,
                few_shot_share: Some(0.2),
                speed_cv: Some(0.3),
                arc_length: None,
                uniformity: Some(-1.0),
            },
            seconds_total: 1.0,
            seconds_per_epoch: if method.contains("srl") { 0.03 } else { 0.01 },
            relevance: None,
            protocol: None,
        }
    }

    /// Writes `r` as `<dir>/metrics.json`, as the trainer does.
    pub(crate) fn write_report(dir: &Path, r: &RunReport) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join(run_folder::METRICS),
            serde_json::to_string_pretty(r).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn mean_and_sample_std() {
        let s = mean_std(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_close!(s.mean, 2.5);
        // Sample variance: (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3.
        assert_close!(s.std.unwrap(), (5.0f64 / 3.0).sqrt());
        assert_eq!(s.n, 4);
        let one = mean_std(&[7.0]).unwrap();
        assert_eq!(one.std, None);
        assert!(mean_std(&[]).is_none());
    }

    #[test]
    fn formatting_scales_and_rounds() {
        let s = Stat {
            mean: 0.015_64,
            std: Some(0.000_421),
            n: 3,
        };
        assert_eq!(s.format(1e-3, 2), "15.64 ± 0.42");
        let single = Stat {
            mean: 5.1,
            std: None,
            n: 1,
        };
        assert_eq!(single.format(1.0, 3), "5.100");
        assert_eq!(cell(None, 1.0, 3), "—");
    }

    #[test]
    fn paper_rows_match_method_md() {
        // Every paper row equals the cells of docs/method.md's paper tables: the row of the
        // benchmark, the column of the method, "All / Many / Medium / Few" (IOL ×10⁻³).
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/method.md"),
        )
        .unwrap();
        let label = |b: BenchmarkId| match b {
            BenchmarkId::Airfoil => "Airfoil",
            BenchmarkId::Abalone => "Abalone",
            BenchmarkId::Concrete => "Concrete",
            BenchmarkId::RealEstate => "Real estate",
            BenchmarkId::IolLinear => "linear (antiderivative)",
            BenchmarkId::IolSde => "nonlinear (stochastic elliptic)",
        };
        let mut checked = 0;
        for b in BenchmarkId::ALL {
            let scale = if b.is_operator() { 1e-3 } else { 1.0 };
            let cells = |l: &str| -> Vec<String> {
                l.trim()
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect()
            };
            let lines: Vec<&str> = text.lines().collect();
            let at = lines
                .iter()
                .position(|l| cells(l).first().map(String::as_str) == Some(label(b)))
                .unwrap_or_else(|| panic!("no row `{}` in docs/method.md", label(b)));
            // The header is the nearest line above starting with `| benchmark` or `| operator`.
            let header = lines[..at]
                .iter()
                .rev()
                .find(|l| l.starts_with("| benchmark") || l.starts_with("| operator"))
                .map(|l| cells(l))
                .unwrap();
            let row = cells(lines[at]);
            for r in paper_rows(b) {
                let col = header.iter().position(|h| h == r.method).unwrap();
                let doc: Vec<f64> = row[col]
                    .split('/')
                    .map(|v| v.trim().parse::<f64>().unwrap() * scale)
                    .collect();
                for (d, m) in doc.iter().zip(r.mae) {
                    assert_close!(*d, m);
                }
                assert_eq!(doc.len(), 4, "{b} {}", r.method);
                checked += 1;
            }
        }
        assert_eq!(checked, PAPER_ROWS.len());
        let airfoil = paper_rows(BenchmarkId::Airfoil);
        assert_eq!(airfoil.len(), 3);
        assert_eq!(airfoil[2].method, "SRL");
        assert_eq!(airfoil[2].mae, [5.10, 4.83, 4.75, 5.69]);
        let lin = paper_rows(BenchmarkId::IolLinear);
        assert_close!(lin[0].mae[3], 27.00e-3);
        for b in BenchmarkId::ALL {
            let rows = paper_rows(b);
            assert!(rows.iter().any(|r| r.method == "Vanilla"), "{b}");
            assert!(rows.iter().any(|r| r.method == "SRL"), "{b}");
        }
        assert!(paper_note(BenchmarkId::Airfoil)
            .unwrap()
            .contains("docs/protocols.md"));
    }

    #[test]
    fn changes_are_paired_on_the_seeds_both_ran() {
        let a = BenchmarkId::IolLinear;
        let mut reports: Vec<RunReport> = (0..5)
            .map(|s| report(a, "vanilla", s, [1.0 + s as f64; 4]))
            .collect();
        reports.extend((0..3).map(|s| report(a, "srl", s, [1.5 + s as f64; 4])));
        let t = aggregate(a, &reports).unwrap();
        let vs = t.row(&method_name("srl")).unwrap().vs_vanilla.unwrap();
        // srl 2.5 vs vanilla's 2.0 on seeds 0–2: +25 % (against all five seeds' 3.0: −16.7 %).
        assert_close!(vs.change_all_percent.unwrap(), 25.0);
        assert_close!(vs.change_few_percent.unwrap(), 25.0);
        assert_eq!(vs.wins_all.pairs, 3);
    }

    #[test]
    fn aggregation_over_seeds_and_markdown() {
        let a = BenchmarkId::Airfoil;
        let reports = vec![
            report(a, "srl", 0, [5.0, 4.0, 5.0, 6.0]),
            report(a, "srl", 1, [6.0, 5.0, 6.0, 7.0]),
            report(a, "vanilla", 0, [6.0, 5.0, 5.0, 8.0]),
            report(a, "vanilla", 1, [7.0, 5.0, 6.0, 9.0]),
            report(BenchmarkId::Concrete, "srl", 0, [1.0, 1.0, 1.0, 1.0]),
        ];
        let t = aggregate(a, &reports).unwrap();
        assert_eq!(t.kind, Kind::Uci);
        assert_eq!(t.rows.len(), 2);
        assert!(t.rows[0].method.is_vanilla());
        assert_eq!(t.rows[1].seeds, vec![0, 1]);
        let srl_mae = &t.rows[1].metrics[0];
        assert_eq!(srl_mae.metric, Metric::Mae);
        let all = srl_mae.groups[0].unwrap();
        assert_close!(all.mean, 5.5);
        assert_close!(all.std.unwrap(), 0.5f64.sqrt());
        // GM = 0.6 · MAE in the synthetic reports.
        assert_close!(t.rows[1].metrics[1].groups[3].unwrap().mean, 0.6 * 6.5);
        assert_close!(t.rows[1].cost_vs_vanilla.unwrap(), 3.0);
        let vs = t.rows[1].vs_vanilla.unwrap();
        assert_eq!(
            (vs.wins_all.cell(), vs.wins_few.cell()),
            ("2/2".into(), "2/2".into())
        );
        assert!(t.rows[0].vs_vanilla.is_none());

        let md = t.to_markdown();
        assert!(md.contains("| SRL | 2 | 5.500 ± 0.707 |"), "{md}");
        // vs vanilla: 2/2 wins on All and Few, −15.4 % and −23.5 %.
        assert!(md.contains("| 2/2 | 2/2 | -15.4 % | -23.5 % |"), "{md}");
        assert!(
            md.contains("| Vanilla | 3 | 5.66 | 5.11 | 5.03 | 6.75 |"),
            "{md}"
        );
        assert!(md.contains("| Method (paper) | runs | MAE All |"), "{md}");
        assert!(md.contains("| RankSim | 3 |"), "{md}");
        assert!(md.contains("GM All"), "{md}");
        // Ours: (5.5 − 6.5)/6.5 = −15.4 %; paper: (5.10 − 5.66)/5.66 = −9.9 %.
        assert!(md.contains("ours -15.4 %"), "{md}");
        assert!(md.contains("paper -9.9 %"), "{md}");
        assert!(md.contains("| 3.00× |"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&t.to_json().unwrap()).unwrap();
        assert_eq!(json["rows"][1]["method"], "srl");
        assert_eq!(json["kind"], "uci");
        assert_eq!(json["benchmark"], "airfoil");
    }

    #[test]
    fn iol_tables_use_scaled_mae_and_mse_and_empty_groups_show_dashes() {
        let b = BenchmarkId::IolLinear;
        let reports = vec![
            report(b, "vanilla", 0, [0.0156, 0.0118, 0.0154, f64::NAN]),
            report(b, "vanilla", 1, [0.0158, 0.0120, 0.0156, f64::NAN]),
        ];
        let t = aggregate(b, &reports).unwrap();
        assert_eq!(t.kind, Kind::Iol);
        let md = t.to_markdown();
        assert!(md.contains("MAE×1e-3 All"), "{md}");
        assert!(md.contains("MSE×1e-4 Few"), "{md}");
        assert!(md.contains("| Vanilla | 2 | 15.70 ± 0.14 |"), "{md}");
        // Few group empty in every seed: no statistic.
        assert!(t.rows[0].metrics[0].groups[3].is_none());
        assert!(
            md.contains("| SRL | 10 | 9.18 | 8.32 | 9.47 | 9.33 |"),
            "{md}"
        );
        // No SRL run: no change line.
        assert!(!md.contains("MAE change"));
    }

    #[test]
    fn wins_are_paired_by_seed_and_a_missing_seed_is_not_counted() {
        let m = |pairs: &[(u64, f64)]| pairs.iter().copied().collect::<BTreeMap<u64, f64>>();
        let vanilla = m(&[(0, 5.0), (1, 5.0), (2, 5.0), (4, 5.0)]);
        // Seed 3 has no vanilla, seed 4 no method run; a tie is not a win.
        let method = m(&[(0, 4.0), (1, 6.0), (2, 5.0), (3, 1.0)]);
        let w = PairedWins::count(&method, &vanilla);
        assert_eq!(w, PairedWins { wins: 1, pairs: 3 });
        assert_eq!(w.cell(), "1/3");
        assert_eq!(PairedWins::count(&m(&[(9, 1.0)]), &vanilla).cell(), "—");

        // Through the aggregation: the same seeds, method `ranksim` missing seed 1, a better
        // mean than vanilla despite losing the paired seed 2.
        let a = BenchmarkId::Airfoil;
        let reports = vec![
            report(a, "vanilla", 0, [5.0, 5.0, 5.0, 5.0]),
            report(a, "vanilla", 1, [5.0, 5.0, 5.0, 5.0]),
            report(a, "vanilla", 2, [5.0, 5.0, 5.0, 5.0]),
            report(a, "ranksim", 0, [1.0, 1.0, 1.0, 6.0]),
            report(a, "ranksim", 2, [6.0, 6.0, 6.0, 4.0]),
            report(a, "ranksim", 3, [1.0, 1.0, 1.0, 1.0]),
        ];
        let t = aggregate(a, &reports).unwrap();
        let vs = t.row(&method_name("ranksim")).unwrap().vs_vanilla.unwrap();
        assert_eq!(vs.wins_all, PairedWins { wins: 1, pairs: 2 });
        assert_eq!(vs.wins_few, PairedWins { wins: 1, pairs: 2 });
        // Paired on the seeds both ran (0 and 2; seed 3 has no vanilla): (1 + 6)/2 = 3.5 vs 5,
        // −30 % (the unpaired means, 8/3 vs 5, would say −46.7 %).
        assert_close!(vs.change_all_percent.unwrap(), -30.0);
    }

    fn method_name(m: &str) -> MethodName {
        method(m)
    }

    /// Reports of the default method list on airfoil, 3 seeds: method i has All MAE 10 − i/2
    /// (+ seed/10) and Few MAE 20 − i (`srl` is index 8).
    pub(crate) fn many_method_reports(benchmark: BenchmarkId) -> Vec<RunReport> {
        let mut reports = Vec::new();
        for (i, m) in default_methods().iter().enumerate() {
            for s in 0..3u64 {
                let all = 10.0 - 0.5 * i as f64 + 0.1 * s as f64;
                let few = 20.0 - i as f64 + 0.1 * s as f64;
                reports.push(report(benchmark, &m.to_string(), s, [all, all, all, few]));
            }
        }
        reports
    }

    #[test]
    fn rows_follow_the_method_order_and_ranks_count_better_means() {
        let a = BenchmarkId::Airfoil;
        let mut reports = many_method_reports(a);
        reports.reverse(); // the input order does not matter
        reports.push(report(a, "focal", 0, [9.0, 9.0, 9.0, 9.0]));
        let t = aggregate(a, &reports).unwrap();
        let names: Vec<String> = t.rows.iter().map(|r| r.method.to_string()).collect();
        assert_eq!(names[0], "vanilla");
        // Baselines (the default list's order, then others: focal), then the SRL variants.
        let srl_at = DEFAULT_METHODS.iter().position(|m| *m == "srl").unwrap();
        let mut expected = DEFAULT_METHODS.to_vec();
        expected.insert(srl_at, "focal");
        assert_eq!(names, expected);
        assert_eq!(&expected[..2], ["vanilla", "lds"]);
        assert_eq!(expected[srl_at - 1..srl_at + 2], ["rnc", "focal", "srl"]);
        // All MAE decreases along the default list: the last (bni+srl) is best; srl (index 8)
        // is beaten by the 3 SRL combinations after it; focal (9.0) sits between lds and
        // lds+fds… and is beaten by everything below 9.0.
        let (best, v) = t.best(ALL).unwrap();
        assert_eq!(best.to_string(), "bni+srl");
        assert_close!(v, 10.0 - 5.5 + 0.1);
        assert_eq!(t.rank(&srl_method(), ALL), Some((4, 13)));
        assert_eq!(t.rank(&MethodName::vanilla(), FEW), Some((13, 13)));
        assert_eq!(t.rank(&method("gai"), ALL), None);
        let md = t.to_markdown();
        assert!(md.contains("| SRL+RankSim | 3 |"), "{md}");
        assert!(md.contains("| LDS+FDS | 3 |"), "{md}");
    }

    #[test]
    fn reports_are_collected_from_seed_folders_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = BenchmarkId::Airfoil;
        for (m, seed) in [("srl", 10), ("srl", 2), ("vanilla", 0), ("srl+ranksim", 1)] {
            let d = run_folder::sweep_run_dir(dir.path(), "airfoil", m, seed);
            write_report(&d, &report(a, m, seed, [1.0, 1.0, 1.0, 1.0]));
        }
        // A folder without metrics.json (failed run) is skipped.
        std::fs::create_dir_all(dir.path().join("airfoil/srl/seed3")).unwrap();
        let folders = run_folders(dir.path(), a).unwrap();
        let names: Vec<String> = folders
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "airfoil/srl/seed2",
                "airfoil/srl/seed10",
                "airfoil/srl+ranksim/seed1",
                "airfoil/vanilla/seed0"
            ]
        );
        let reports = collect_reports(dir.path(), a).unwrap();
        assert_eq!(reports.len(), 4);
        assert!(collect_reports(dir.path(), BenchmarkId::Concrete)
            .unwrap()
            .is_empty());
        let t = aggregate(a, &reports).unwrap();
        let (md, json) = t.write(dir.path()).unwrap();
        assert!(md.is_file() && json.is_file());
        let text = std::fs::read_to_string(md).unwrap();
        assert!(text.starts_with("# Airfoil (UCI-DIR)\n"), "{text}");
        assert!(!text.contains("\n## "), "{text}");
    }

    #[test]
    fn broken_report_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("airfoil/srl/seed0");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("metrics.json"), "{not json").unwrap();
        let e = collect_reports(dir.path(), BenchmarkId::Airfoil)
            .unwrap_err()
            .to_string();
        assert!(e.contains("metrics.json"), "{e}");
        // A method name no `--method` could give is refused when metrics.json is read.
        let r = report(BenchmarkId::Airfoil, "srl", 0, [1.0; 4]);
        let text = serde_json::to_string(&r)
            .unwrap()
            .replace("\"method\":\"srl\"", "\"method\":\"srl+magic\"");
        assert!(text.contains("srl+magic"));
        std::fs::write(d.join("metrics.json"), text).unwrap();
        let e = collect_reports(dir.path(), BenchmarkId::Airfoil)
            .unwrap_err()
            .to_string();
        assert!(e.contains("magic") && e.contains("metrics.json"), "{e}");
    }

    #[test]
    fn committed_results_still_parse() {
        // Runs written before the method layer (older geometry fields, no `terms` in the log).
        let results = crate::common::repo_root().join("docs/results");
        let (mut count, mut logs) = (0, 0);
        for profile in crate::tables::sorted_subdirs(&results).unwrap() {
            for b in BenchmarkId::ALL {
                for d in run_folders(&profile.join("runs"), b).unwrap() {
                    let r = run_folder::read_report(&d)
                        .unwrap_or_else(|e| panic!("{}: {e}", d.display()));
                    assert!(!r.method.to_string().is_empty());
                    // The ablation folders keep no log (see .gitignore): check the log
                    // wherever one is committed.
                    if d.join("log.jsonl").exists() {
                        run_folder::read_log(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
                        logs += 1;
                    }
                    count += 1;
                }
            }
        }
        assert!(count > 0, "no committed run under {}", results.display());
        assert!(logs > 0, "no committed log under {}", results.display());
    }
}
