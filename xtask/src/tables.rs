//! Result tables: aggregate the run folders of one benchmark over seeds and write them as
//! Markdown and JSON, next to the paper's numbers.
//!
//! Input: `runs/<benchmark>/<method>/seed<k>/metrics.json`, the `RunReport` that `srl train`
//! writes. Only the fields the tables need are read, so the tables survive additions to the
//! report. Output per benchmark: `<benchmark>.md` and `<benchmark>.json`.
//!
//! Columns: UCI-DIR benchmarks report MAE and GM (geometric mean of the absolute errors) for
//! All / Many / Medium / Few; the IOL benchmarks report MAE×10⁻³ and MSE×10⁻⁴ (the units of
//! the paper's tables). Every cell is "mean ± std" over seeds, with the sample standard
//! deviation (n − 1); a single seed shows the mean only. A second table gives the geometry of
//! the learned space (coverage, few-shot share of the sphere, trace speed CV) and the cost
//! (epochs, seconds per epoch, SRL/vanilla wall-time ratio).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The shot groups in table order, with their column labels.
pub const GROUPS: [(&str, &str); 4] = [
    ("all", "All"),
    ("many", "Many"),
    ("medium", "Med"),
    ("few", "Few"),
];

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
    /// `Iol` for names starting with `iol-`, else `Uci`.
    pub fn of(benchmark: &str) -> Kind {
        if benchmark.starts_with("iol-") {
            Kind::Iol
        } else {
            Kind::Uci
        }
    }

    /// The two metrics of the table: `(json key, column label, display scale)`; a value v is
    /// shown as v / scale.
    pub fn metrics(self) -> [(&'static str, &'static str, f64); 2] {
        match self {
            Kind::Uci => [("mae", "MAE", 1.0), ("gm", "GM", 1.0)],
            Kind::Iol => [("mae", "MAE×1e-3", 1e-3), ("mse", "MSE×1e-4", 1e-4)],
        }
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

/// Metrics of one shot group, as written by `srl-data` (`null` where undefined).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupMetrics {
    /// Number of test samples in the group.
    #[serde(default)]
    pub count: usize,
    /// Mean absolute error.
    #[serde(default)]
    pub mae: Option<f64>,
    /// Mean squared error.
    #[serde(default)]
    pub mse: Option<f64>,
    /// Geometric mean of the absolute errors.
    #[serde(default)]
    pub gm: Option<f64>,
}

impl GroupMetrics {
    /// The metric named `key` (`mae`, `mse`, `gm`), if defined (non-empty group, finite).
    pub fn get(&self, key: &str) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let v = match key {
            "mae" => self.mae,
            "mse" => self.mse,
            "gm" => self.gm,
            _ => None,
        }?;
        v.is_finite().then_some(v)
    }
}

/// Metrics of the four shot groups.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShotMetrics {
    /// Every test sample.
    pub all: GroupMetrics,
    /// Many-shot bins.
    pub many: GroupMetrics,
    /// Medium-shot bins.
    pub medium: GroupMetrics,
    /// Few-shot bins.
    pub few: GroupMetrics,
}

impl ShotMetrics {
    /// The group named `key` (`all`, `many`, `medium`, `few`).
    pub fn group(&self, key: &str) -> Option<&GroupMetrics> {
        match key {
            "all" => Some(&self.all),
            "many" => Some(&self.many),
            "medium" => Some(&self.medium),
            "few" => Some(&self.few),
            _ => None,
        }
    }
}

/// Geometry of the learned test representation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Geometry {
    /// Share of the sphere covered by the representation.
    #[serde(default)]
    pub coverage: Option<f64>,
    /// Soft coverage 1 − L_env of the training-bin centroids (absent in older runs).
    #[serde(default)]
    pub soft_coverage: Option<f64>,
    /// Arc length of the trace of training-bin centroids (absent in older runs).
    #[serde(default)]
    pub arc_length: Option<f64>,
    /// Share of uniform points whose nearest centroid is a few-shot bin (paper Table 7).
    #[serde(default)]
    pub few_shot_share: Option<f64>,
    /// Coefficient of variation of the trace speed ‖Δc_k‖/Δ_k.
    #[serde(default)]
    pub speed_cv: Option<f64>,
}

/// The part of `metrics.json` (the trainer's `RunReport`) the tables use.
#[derive(Debug, Clone, Deserialize)]
pub struct RunReport {
    /// Benchmark name.
    pub benchmark: String,
    /// `vanilla` or `srl`.
    pub method: String,
    /// Training seed.
    pub seed: u64,
    /// Epochs actually run.
    #[serde(default)]
    pub epochs_run: usize,
    /// Epoch selected on validation.
    #[serde(default)]
    pub best_epoch: usize,
    /// Test metrics of the selected model.
    pub test: ShotMetrics,
    /// Geometry of the learned space.
    #[serde(default)]
    pub geometry: Geometry,
    /// Wall time per epoch.
    #[serde(default)]
    pub seconds_per_epoch: Option<f64>,
}

/// Reads one `metrics.json`.
pub fn read_report(path: &Path) -> Result<RunReport, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// The seed folders `runs/<benchmark>/<method>/seed<k>` that hold a `metrics.json`, sorted by
/// method and seed.
pub fn run_folders(runs_dir: &Path, benchmark: &str) -> Result<Vec<PathBuf>, String> {
    let bench_dir = runs_dir.join(benchmark);
    let mut out = Vec::new();
    for method_dir in sorted_subdirs(&bench_dir)? {
        for seed_dir in sorted_subdirs(&method_dir)? {
            if seed_dir.join("metrics.json").is_file() {
                out.push(seed_dir);
            }
        }
    }
    Ok(out)
}

/// Every run report of `benchmark` under `runs_dir`.
pub fn collect_reports(runs_dir: &Path, benchmark: &str) -> Result<Vec<RunReport>, String> {
    run_folders(runs_dir, benchmark)?
        .iter()
        .map(|d| read_report(&d.join("metrics.json")))
        .collect()
}

/// Sub-folders of `dir` sorted by name (seed folders by their number); empty if `dir` is
/// missing.
pub fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort_by_key(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let number: Option<u64> = name.strip_prefix("seed").and_then(|s| s.parse().ok());
        (number.unwrap_or(u64::MAX), name)
    });
    Ok(dirs)
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

/// Mean and sample standard deviation of a metric over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

// ---------------------------------------------------------------------------------------------
// The paper's numbers

/// Where the paper's numbers come from.
pub const PAPER_CITATION: &str = "Dong, Wu, Chen, Zou, Zhang, Zhou, \"Improve Representation \
for Imbalanced Regression through Geometric Constraints\", CVPR 2025, arXiv 2503.00876 \
(UCI-DIR: mean of 3 runs, the authors' split is unpublished; IOL: mean of 10 runs)";

/// One row of the paper's tables: MAE for All / Many / Medium / Few, in the target's own
/// units (IOL values are stored unscaled, e.g. 15.64e-3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaperRow {
    /// Benchmark name as in `srl_data::BENCHMARKS`.
    pub benchmark: &'static str,
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
        benchmark: "airfoil",
        method: "Vanilla",
        mae: [5.66, 5.11, 5.03, 6.75],
        runs: 3,
    },
    PaperRow {
        benchmark: "airfoil",
        method: "RankSim",
        mae: [5.23, 5.05, 4.91, 5.72],
        runs: 3,
    },
    PaperRow {
        benchmark: "airfoil",
        method: "SRL",
        mae: [5.10, 4.83, 4.75, 5.69],
        runs: 3,
    },
    PaperRow {
        benchmark: "abalone",
        method: "Vanilla",
        mae: [4.57, 0.88, 2.65, 7.97],
        runs: 3,
    },
    PaperRow {
        benchmark: "abalone",
        method: "SRL",
        mae: [4.16, 0.89, 2.42, 7.19],
        runs: 3,
    },
    PaperRow {
        benchmark: "real-estate",
        method: "Vanilla",
        mae: [0.33, 0.27, 0.38, 0.37],
        runs: 3,
    },
    PaperRow {
        benchmark: "real-estate",
        method: "SRL",
        mae: [0.28, 0.26, 0.30, 0.29],
        runs: 3,
    },
    PaperRow {
        benchmark: "concrete",
        method: "Vanilla",
        mae: [7.29, 5.77, 6.92, 9.74],
        runs: 3,
    },
    PaperRow {
        benchmark: "concrete",
        method: "SRL",
        mae: [5.94, 5.32, 5.80, 6.60],
        runs: 3,
    },
    PaperRow {
        benchmark: "iol-linear",
        method: "Vanilla",
        mae: [15.64e-3, 11.86e-3, 15.45e-3, 27.00e-3],
        runs: 10,
    },
    PaperRow {
        benchmark: "iol-linear",
        method: "SRL",
        mae: [9.18e-3, 8.32e-3, 9.47e-3, 9.33e-3],
        runs: 10,
    },
    PaperRow {
        benchmark: "iol-sde",
        method: "Vanilla",
        mae: [11.64e-3, 9.89e-3, 11.02e-3, 19.77e-3],
        runs: 10,
    },
    PaperRow {
        benchmark: "iol-sde",
        method: "SRL",
        mae: [11.25e-3, 9.48e-3, 9.22e-3, 17.00e-3],
        runs: 10,
    },
];

/// A remark printed under a benchmark's table, where our numbers are not comparable as is.
pub fn paper_note(benchmark: &str) -> Option<&'static str> {
    match benchmark {
        "real-estate" => Some(
            "The paper's Real-estate numbers are evidently on a rescaled target; ours are in the \
             dataset's units (10,000 NT$ per ping), so only the relative SRL/vanilla change is \
             comparable.",
        ),
        "airfoil" | "abalone" | "concrete" => Some(
            "The authors' UCI-DIR split is unpublished; ours follows PROTOCOLS.md (balanced \
             validation/test, split seed 0), so absolute numbers differ somewhat.",
        ),
        _ => None,
    }
}

/// The paper's rows for `benchmark`.
pub fn paper_rows(benchmark: &str) -> Vec<PaperRow> {
    PAPER_ROWS
        .iter()
        .filter(|r| r.benchmark == benchmark)
        .copied()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/// One method's aggregate over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct MethodRow {
    /// `vanilla`, `srl`, …
    pub method: String,
    /// Seeds aggregated.
    pub seeds: Vec<u64>,
    /// For each metric key of the benchmark's [`Kind`] (`mae`, `gm` or `mae`, `mse`): the
    /// statistic per group (All, Many, Medium, Few), in the target's own units (unscaled).
    pub metrics: Vec<MetricStats>,
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
}

/// One metric of one method over the four groups.
#[derive(Debug, Clone, Serialize)]
pub struct MetricStats {
    /// `mae`, `gm` or `mse`.
    pub metric: String,
    /// All, Many, Medium, Few.
    pub groups: [Option<Stat>; 4],
}

/// The aggregated table of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkTable {
    /// Benchmark name.
    pub benchmark: String,
    /// UCI-DIR or IOL.
    pub kind: Kind,
    /// Our methods, vanilla first, then SRL, then any other.
    pub rows: Vec<MethodRow>,
    /// The paper's rows for comparison.
    pub paper: Vec<PaperRow>,
    /// Mean seconds per epoch of SRL divided by vanilla's.
    pub srl_vanilla_time_ratio: Option<f64>,
    /// Where the paper rows come from.
    pub paper_citation: &'static str,
}

/// Aggregates the reports of one benchmark (reports of other benchmarks are ignored).
pub fn aggregate(benchmark: &str, reports: &[RunReport]) -> BenchmarkTable {
    let kind = Kind::of(benchmark);
    let mine: Vec<&RunReport> = reports
        .iter()
        .filter(|r| r.benchmark == benchmark)
        .collect();
    let mut methods: Vec<String> = mine.iter().map(|r| r.method.clone()).collect();
    methods.sort_by_key(|m| (method_rank(m), m.clone()));
    methods.dedup();

    let rows: Vec<MethodRow> = methods
        .iter()
        .map(|method| {
            let runs: Vec<&RunReport> = mine
                .iter()
                .copied()
                .filter(|r| &r.method == method)
                .collect();
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
                .map(|(key, _, _)| MetricStats {
                    metric: key.to_string(),
                    groups: GROUPS.map(|(g, _)| {
                        stat_of(&|r: &RunReport| r.test.group(g).and_then(|m| m.get(key)))
                    }),
                })
                .collect();
            let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
            seeds.sort_unstable();
            MethodRow {
                method: method.clone(),
                seeds,
                metrics,
                coverage: stat_of(&|r| r.geometry.coverage),
                soft_coverage: stat_of(&|r| r.geometry.soft_coverage),
                arc_length: stat_of(&|r| r.geometry.arc_length),
                few_shot_share: stat_of(&|r| r.geometry.few_shot_share),
                speed_cv: stat_of(&|r| r.geometry.speed_cv),
                epochs: stat_of(&|r| Some(r.epochs_run as f64)),
                best_epoch: stat_of(&|r| Some(r.best_epoch as f64)),
                seconds_per_epoch: stat_of(&|r| r.seconds_per_epoch),
            }
        })
        .collect();

    let spe = |m: &str| {
        rows.iter()
            .find(|r| r.method == m)
            .and_then(|r| r.seconds_per_epoch)
            .map(|s| s.mean)
    };
    let srl_vanilla_time_ratio = match (spe("srl"), spe("vanilla")) {
        (Some(s), Some(v)) if v > 0.0 => Some(s / v),
        _ => None,
    };
    BenchmarkTable {
        benchmark: benchmark.to_string(),
        kind,
        rows,
        paper: paper_rows(benchmark),
        srl_vanilla_time_ratio,
        paper_citation: PAPER_CITATION,
    }
}

fn method_rank(method: &str) -> usize {
    match method {
        "vanilla" => 0,
        "srl" => 1,
        _ => 2,
    }
}

/// Display name of a method (`vanilla` → `Vanilla`, `srl` → `SRL`).
pub fn display_method(method: &str) -> String {
    match method {
        "vanilla" => "Vanilla".to_string(),
        "srl" => "SRL".to_string(),
        other => other.to_string(),
    }
}

/// Display name of a benchmark.
pub fn display_benchmark(benchmark: &str) -> &str {
    match benchmark {
        "airfoil" => "Airfoil",
        "abalone" => "Abalone",
        "concrete" => "Concrete",
        "real-estate" => "Real estate",
        "iol-linear" => "IOL linear (antiderivative)",
        "iol-sde" => "IOL nonlinear (stochastic elliptic)",
        other => other,
    }
}

/// Relative change of `new` over `old` in percent.
fn change_percent(new: f64, old: f64) -> Option<f64> {
    (old != 0.0 && old.is_finite() && new.is_finite()).then(|| 100.0 * (new - old) / old)
}

impl BenchmarkTable {
    /// The mean MAE of a method for group index `g` (0 = All … 3 = Few).
    pub fn mean_mae(&self, method: &str, g: usize) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.method == method)
            .and_then(|r| r.metrics.iter().find(|m| m.metric == "mae"))
            .and_then(|m| m.groups[g])
            .map(|s| s.mean)
    }

    /// The Markdown section of this benchmark: the metric table (ours and the paper's), the
    /// geometry/cost table, and the SRL-vs-vanilla change next to the paper's.
    pub fn to_markdown(&self) -> String {
        let kind_label = match self.kind {
            Kind::Uci => "UCI-DIR",
            Kind::Iol => "OL-DIR",
        };
        let n_max = self.rows.iter().map(|r| r.seeds.len()).max().unwrap_or(0);
        let mut md = format!(
            "## {} ({kind_label})\n\nTest set, mean ± sample std over seeds (n = {n_max}).\n\n",
            display_benchmark(&self.benchmark)
        );
        let metrics = self.kind.metrics();
        let dec = self.kind.decimals();

        // Metric table.
        let mut header = String::from("| Method | n |");
        let mut rule = String::from("|---|---:|");
        for (_, label, _) in metrics {
            for (_, g) in GROUPS {
                header.push_str(&format!(" {label} {g} |"));
                rule.push_str("---:|");
            }
        }
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
            for (key, _, scale) in metrics {
                let groups = row
                    .metrics
                    .iter()
                    .find(|m| m.metric == key)
                    .map(|m| m.groups)
                    .unwrap_or([None; 4]);
                for s in groups {
                    md.push_str(&format!(" {} |", cell(s, scale, dec)));
                }
            }
            md.push('\n');
        }
        for p in &self.paper {
            md.push_str(&format!("| {} (paper) | {} |", p.method, p.runs));
            for (key, _, scale) in metrics {
                for v in p.mae {
                    let text = if key == "mae" {
                        format!("{:.2}", v / scale)
                    } else {
                        "—".to_string()
                    };
                    md.push_str(&format!(" {text} |"));
                }
            }
            md.push('\n');
        }

        // SRL vs vanilla change, ours and the paper's.
        let ours: Vec<Option<f64>> = (0..4)
            .map(|g| change_percent(self.mean_mae("srl", g)?, self.mean_mae("vanilla", g)?))
            .collect();
        if ours.iter().any(Option::is_some) {
            let fmt = |c: &Option<f64>| match c {
                Some(v) => format!("{v:+.1} %"),
                None => "—".to_string(),
            };
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
             high dimension where the ε-tube share is ~0) and cost:\n\n\
             | Method | coverage | soft coverage | few-shot share | speed CV | arc length | epochs | best epoch | s/epoch |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for row in &self.rows {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                display_method(&row.method),
                cell(row.coverage, 1.0, 3),
                cell(row.soft_coverage, 1.0, 3),
                cell(row.few_shot_share, 1.0, 3),
                cell(row.speed_cv, 1.0, 3),
                cell(row.arc_length, 1.0, 2),
                cell(row.epochs, 1.0, 0),
                cell(row.best_epoch, 1.0, 1),
                cell(row.seconds_per_epoch, 1.0, 4),
            ));
        }
        if let Some(r) = self.srl_vanilla_time_ratio {
            md.push_str(&format!("\nSRL / vanilla wall time per epoch: {r:.2}×.\n"));
        }
        if let Some(note) = paper_note(&self.benchmark) {
            md.push_str(&format!("\n{note}\n"));
        }
        md.push_str(&format!("\nPaper rows: {}.\n", self.paper_citation));
        md
    }

    /// The table as pretty JSON (unscaled values; `kind` says which metrics).
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string_pretty(self).map_err(|e| format!("cannot serialise table: {e}"))
    }

    /// Writes `<dir>/<benchmark>.md` and `<dir>/<benchmark>.json`; returns both paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
        let md_path = dir.join(format!("{}.md", self.benchmark));
        let json_path = dir.join(format!("{}.json", self.benchmark));
        // A standalone file: the section heading becomes the title.
        let md = self.to_markdown().replacen("## ", "# ", 1);
        std::fs::write(&md_path, md)
            .map_err(|e| format!("cannot write {}: {e}", md_path.display()))?;
        std::fs::write(&json_path, self.to_json()? + "\n")
            .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
        Ok((md_path, json_path))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use approx_eq::assert_close;

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

    /// A `metrics.json` as the trainer writes it (with extra fields the tables ignore).
    pub(crate) fn report_json(benchmark: &str, method: &str, seed: u64, mae: [f64; 4]) -> String {
        let group = |i: usize, count: usize| {
            if count == 0 {
                r#"{"count":0,"mae":null,"mse":null,"gm":null,"zero_errors":0,"pearson":null}"#
                    .to_string()
            } else {
                format!(
                    r#"{{"count":{count},"mae":{},"mse":{},"gm":{},"zero_errors":0,"pearson":0.9}}"#,
                    mae[i],
                    mae[i] * mae[i] * 1.5,
                    mae[i] * 0.6
                )
            }
        };
        format!(
            r#"{{"benchmark":"{benchmark}","method":"{method}","seed":{seed},"best_epoch":3,"epochs_run":5,
            "val":{{"all":{g0},"many":{g1},"medium":{g2},"few":{g3}}},
            "test":{{"all":{g0},"many":{g1},"medium":{g2},"few":{g3}}},
            "geometry":{{"coverage":0.5,"few_shot_share":0.2,"speed_cv":0.3,"uniformity":-1.0}},
            "seconds_total":1.0,"seconds_per_epoch":{spe}}}"#,
            g0 = group(0, 40),
            g1 = group(1, 20),
            g2 = group(2, 12),
            g3 = group(3, if mae[3].is_nan() { 0 } else { 8 }),
            spe = if method == "srl" { 0.03 } else { 0.01 },
        )
    }

    fn report(benchmark: &str, method: &str, seed: u64, mae: [f64; 4]) -> RunReport {
        serde_json::from_str(&report_json(benchmark, method, seed, mae)).unwrap()
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
        let airfoil = paper_rows("airfoil");
        assert_eq!(airfoil.len(), 3);
        assert_eq!(airfoil[2].method, "SRL");
        assert_eq!(airfoil[2].mae, [5.10, 4.83, 4.75, 5.69]);
        let lin = paper_rows("iol-linear");
        assert_close!(lin[0].mae[3], 27.00e-3);
        for &b in srl_data::BENCHMARKS {
            let rows = paper_rows(b);
            assert!(rows.iter().any(|r| r.method == "Vanilla"), "{b}");
            assert!(rows.iter().any(|r| r.method == "SRL"), "{b}");
        }
        assert!(paper_rows("agedb-dir").is_empty());
    }

    #[test]
    fn aggregation_over_seeds_and_markdown() {
        let reports = vec![
            report("airfoil", "srl", 0, [5.0, 4.0, 5.0, 6.0]),
            report("airfoil", "srl", 1, [6.0, 5.0, 6.0, 7.0]),
            report("airfoil", "vanilla", 0, [6.0, 5.0, 5.0, 8.0]),
            report("airfoil", "vanilla", 1, [7.0, 5.0, 6.0, 9.0]),
            report("concrete", "srl", 0, [1.0, 1.0, 1.0, 1.0]),
        ];
        let t = aggregate("airfoil", &reports);
        assert_eq!(t.kind, Kind::Uci);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].method, "vanilla");
        assert_eq!(t.rows[1].seeds, vec![0, 1]);
        let srl_mae = &t.rows[1].metrics[0];
        assert_eq!(srl_mae.metric, "mae");
        let all = srl_mae.groups[0].unwrap();
        assert_close!(all.mean, 5.5);
        assert_close!(all.std.unwrap(), 0.5f64.sqrt());
        // GM = 0.6 · MAE in the synthetic reports.
        assert_close!(t.rows[1].metrics[1].groups[3].unwrap().mean, 0.6 * 6.5);
        assert_close!(t.srl_vanilla_time_ratio.unwrap(), 3.0);

        let md = t.to_markdown();
        assert!(md.contains("| SRL | 2 | 5.500 ± 0.707 |"), "{md}");
        assert!(
            md.contains("| Vanilla (paper) | 3 | 5.66 | 5.11 | 5.03 | 6.75 | — |"),
            "{md}"
        );
        assert!(md.contains("| RankSim (paper) |"), "{md}");
        assert!(md.contains("MAE GM") || md.contains("GM All"), "{md}");
        // Ours: (5.5 − 6.5)/6.5 = −15.4 %; paper: (5.10 − 5.66)/5.66 = −9.9 %.
        assert!(md.contains("ours -15.4 %"), "{md}");
        assert!(md.contains("paper -9.9 %"), "{md}");
        assert!(md.contains("3.00×"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&t.to_json().unwrap()).unwrap();
        assert_eq!(json["rows"][1]["method"], "srl");
        assert_eq!(json["kind"], "uci");
    }

    #[test]
    fn iol_tables_use_scaled_mae_and_mse_and_empty_groups_show_dashes() {
        let reports = vec![
            report(
                "iol-linear",
                "vanilla",
                0,
                [0.0156, 0.0118, 0.0154, f64::NAN],
            ),
            report(
                "iol-linear",
                "vanilla",
                1,
                [0.0158, 0.0120, 0.0156, f64::NAN],
            ),
        ];
        let t = aggregate("iol-linear", &reports);
        assert_eq!(t.kind, Kind::Iol);
        let md = t.to_markdown();
        assert!(md.contains("MAE×1e-3 All"), "{md}");
        assert!(md.contains("MSE×1e-4 Few"), "{md}");
        assert!(md.contains("| Vanilla | 2 | 15.70 ± 0.14 |"), "{md}");
        // Few group empty in every seed: no statistic.
        assert!(t.rows[0].metrics[0].groups[3].is_none());
        assert!(
            md.contains("| SRL (paper) | 10 | 9.18 | 8.32 | 9.47 | 9.33 | — |"),
            "{md}"
        );
        // No SRL run: no ratio, no change line.
        assert!(t.srl_vanilla_time_ratio.is_none());
        assert!(!md.contains("MAE change"));
    }

    #[test]
    fn reports_are_collected_from_seed_folders_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for (method, seed) in [("srl", 10), ("srl", 2), ("vanilla", 0)] {
            let d = dir
                .path()
                .join("airfoil")
                .join(method)
                .join(format!("seed{seed}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("metrics.json"),
                report_json("airfoil", method, seed, [1.0, 1.0, 1.0, 1.0]),
            )
            .unwrap();
        }
        // A folder without metrics.json (failed run) is skipped.
        std::fs::create_dir_all(dir.path().join("airfoil/srl/seed3")).unwrap();
        let folders = run_folders(dir.path(), "airfoil").unwrap();
        let names: Vec<String> = folders
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "airfoil/srl/seed2",
                "airfoil/srl/seed10",
                "airfoil/vanilla/seed0"
            ]
        );
        let reports = collect_reports(dir.path(), "airfoil").unwrap();
        assert_eq!(reports.len(), 3);
        assert!(collect_reports(dir.path(), "concrete").unwrap().is_empty());
        let t = aggregate("airfoil", &reports);
        let (md, json) = t.write(dir.path()).unwrap();
        assert!(md.is_file() && json.is_file());
        let text = std::fs::read_to_string(md).unwrap();
        assert!(text.starts_with("# Airfoil (UCI-DIR)\n"), "{text}");
        assert!(!text.contains("\n## "), "{text}");
    }

    #[test]
    fn broken_report_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrics.json");
        std::fs::write(&p, "{not json").unwrap();
        let e = read_report(&p).unwrap_err();
        assert!(e.contains("metrics.json"), "{e}");
    }
}
