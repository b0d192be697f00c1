//! `cargo xtask tune GRID.toml`: a small, documented hyper-parameter search that chooses on
//! **validation only**.
//!
//! A grid file names a benchmark, a preset profile, the seeds, overrides applied to every run
//! (`[base]`, e.g. a shorter proxy length) and the variants to compare (`[[variant]]`, each a
//! method and its own overrides). Overrides are dotted paths into the run configuration that
//! `srl config` prints (`"method.tau" = 0.5`, `"method.weights.envelope" = 1e-3`); every
//! resulting configuration is parsed and validated before anything trains, so a typo fails at
//! once.
//!
//! Every variant × seed is trained with the release `srl` binary (J runs at a time). Each
//! `metrics.json` is read with [`srl_train::run_folder::read_report`] and immediately reduced
//! to a [`ValidationView`] by [`validation_view`], the one function that sees the whole report:
//! it keeps the **validation** metrics, the geometry and the timing and drops the test metrics,
//! so nothing downstream (aggregation, choice, summary) can look at test data. A grid chooses
//! a setting for each method it tunes — each method with at least two variants: of that
//! method's variants, the one with the lowest mean validation All MAE is marked as chosen. A
//! method with a single variant (vanilla, the reference every grid carries; INV or FDS alone
//! beside an LDS or LDS+FDS grid) has nothing to choose and is never marked, so a grid whose
//! variants are all worse than vanilla still names its best setting, and the "vs vanilla"
//! column says what it costs.
//!
//! Output: `<out>/<grid>.md` and `<out>/<grid>.json` (default `docs/results/tuning/`), the
//! exact configurations in `<out>/<grid>/configs/`, run folders in `target/tune/<grid>/`.
//! `--aggregate-only` rebuilds both from the run folders; `--from-json` re-renders them from
//! the committed `<grid>.json` (its per-variant validation results) when the run folders are
//! gone — no training either way.

use crate::common::{build_srl, create_dir, read_file, remove_dir, repo_root, seed_file_stem};
use crate::error::{Result, XtaskError};
use crate::runner::{self, Job, OnFailure};
use crate::tables::{mean_std, Metric, Stat};
use serde::{Deserialize, Serialize};
use srl_data::metrics::ShotMetrics;
use srl_data::BenchmarkId;
use srl_train::{run_folder, MethodName, Profile, RunConfig, RunReport};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Flags of `cargo xtask tune`.
#[derive(Debug, Clone, clap::Args)]
pub struct TuneArgs {
    /// The grid file (TOML; see docs/results/tuning/README.md).
    pub grid: PathBuf,
    /// Runs in parallel [default: the available cores].
    #[arg(long, value_name = "J")]
    pub jobs: Option<usize>,
    /// Data directory [default: $SRL_DATA_DIR, else datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of the Markdown/JSON summary [default: docs/results/tuning].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Folder of the run outputs [default: target/tune/GRID].
    #[arg(long, value_name = "DIR")]
    pub runs: Option<PathBuf>,
    /// Only aggregate the runs already in the runs folder (no training).
    #[arg(long)]
    pub aggregate_only: bool,
    /// Re-render OUT/GRID.md and OUT/GRID.json from the committed OUT/GRID.json (no training,
    /// no run folders needed; the choice is recomputed from its validation results).
    #[arg(long, conflicts_with = "aggregate_only")]
    pub from_json: bool,
}

/// A grid file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// What the search is for (shown in the summary).
    #[serde(default)]
    pub description: String,
    /// The benchmark (`airfoil`, `iol-linear`, …).
    pub benchmark: BenchmarkId,
    /// Preset profile the configurations start from (`quick` or `full`).
    pub profile: Profile,
    /// Seeds `0..seeds` for every variant.
    pub seeds: usize,
    /// Overrides applied to every run before the variant's own.
    #[serde(default)]
    pub base: BTreeMap<String, toml::Value>,
    /// The variants compared.
    #[serde(rename = "variant")]
    pub variants: Vec<Variant>,
}

/// One variant of a grid.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Short name, used in file names (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// The method whose preset the overrides start from (`vanilla`, `srl`, `srl+ranksim`, …).
    pub method: MethodName,
    /// Dotted-path overrides of the configuration.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
}

impl Grid {
    /// Parses and checks a grid: known benchmark and profile, ≥ 1 seed and variant, unique
    /// file-safe names.
    pub fn from_toml_str(text: &str) -> Result<Grid> {
        let grid: Grid = toml::from_str(text)
            .map_err(|e| XtaskError::InvalidArgument(format!("invalid grid: {e}")))?;
        if grid.seeds == 0 {
            return Err(XtaskError::InvalidArgument(
                "`seeds` must be at least 1".into(),
            ));
        }
        if grid.variants.is_empty() {
            return Err(XtaskError::InvalidArgument(
                "the grid has no [[variant]]".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in &grid.variants {
            let safe = !v.name.is_empty()
                && v.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !safe {
                return Err(XtaskError::InvalidArgument(format!(
                    "variant name `{}` must be letters, digits, `.`, `_` or `-`",
                    v.name
                )));
            }
            if !seen.insert(v.name.as_str()) {
                return Err(XtaskError::InvalidArgument(format!(
                    "variant `{}` appears twice",
                    v.name
                )));
            }
        }
        Ok(grid)
    }

    /// The configuration of `variant` for `seed`: preset, then `[base]`, then the variant's
    /// overrides; validated.
    pub fn config(&self, variant: &Variant, seed: u64) -> Result<RunConfig> {
        self.build_config(variant, seed)
            .map_err(|e| e.context(format!("variant `{}`", variant.name)))
    }

    /// [`Grid::config`] without the variant's name on its errors.
    fn build_config(&self, variant: &Variant, seed: u64) -> Result<RunConfig> {
        let mut cfg = RunConfig::preset(self.benchmark, &variant.method, self.profile)?;
        cfg.seed = seed;
        let text = cfg.to_toml_string()?;
        let mut value: toml::Value = toml::from_str(&text)
            .map_err(|e| XtaskError::InvalidData(format!("the preset as TOML: {e}")))?;
        for (path, v) in self.base.iter().chain(&variant.set) {
            set_path(&mut value, path, v.clone())?;
        }
        let text = toml::to_string(&value)?;
        let cfg = RunConfig::from_toml_str(&text)?;
        cfg.check()?;
        Ok(cfg)
    }
}

/// Sets the dotted `path` of a TOML table to `v`. Every table on the way must exist; the last
/// key may be new (an optional field the preset leaves out). A misspelt new key is caught when
/// the result is parsed as a `RunConfig` (unknown fields are rejected).
pub fn set_path(root: &mut toml::Value, path: &str, v: toml::Value) -> Result<()> {
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(XtaskError::InvalidArgument(format!(
            "bad override path `{path}`"
        )));
    }
    let (last, parents) = keys
        .split_last()
        .ok_or_else(|| XtaskError::InvalidArgument(format!("empty path `{path}`")))?;
    let mut node = root;
    for (i, k) in parents.iter().enumerate() {
        node = node
            .as_table_mut()
            .and_then(|t| t.get_mut(*k))
            .ok_or_else(|| {
                XtaskError::InvalidArgument(format!(
                    "override `{path}`: the configuration has no table `{}`",
                    keys[..=i].join(".")
                ))
            })?;
    }
    let table = node.as_table_mut().ok_or_else(|| {
        XtaskError::InvalidArgument(format!(
            "override `{path}`: `{}` is not a table",
            parents.join(".")
        ))
    })?;
    table.insert((*last).to_string(), v);
    Ok(())
}

/// What the tuner knows of a finished run: validation metrics, geometry, timing. There is
/// deliberately no test field (see [`validation_view`]).
#[derive(Debug, Clone)]
pub struct ValidationView {
    /// Validation metrics of the kept model.
    pub val: ShotMetrics,
    /// Epoch kept (validation).
    pub best_epoch: usize,
    /// Soft coverage of the kept model's training-bin centroids.
    pub soft_coverage: Option<f64>,
    /// Speed CV of their trace.
    pub speed_cv: Option<f64>,
    /// Seconds of optimisation per epoch.
    pub seconds_per_epoch: f64,
}

/// The tuner's only access to a run report: takes the validation metrics, geometry and timing
/// out of `report` and drops the rest — the test metrics in particular — so the choice of a
/// variant can never depend on test data.
pub fn validation_view(report: RunReport) -> ValidationView {
    ValidationView {
        val: report.val,
        best_epoch: report.best_epoch,
        soft_coverage: report.geometry.soft_coverage,
        speed_cv: report.geometry.speed_cv,
        seconds_per_epoch: report.seconds_per_epoch,
    }
}

/// Reads the run folder `dir` as a [`ValidationView`].
fn read_validation(dir: &Path) -> Result<ValidationView> {
    Ok(validation_view(run_folder::read_report(dir)?))
}

/// One variant's validation results over seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantResult {
    /// Variant name.
    pub name: String,
    /// Method.
    pub method: MethodName,
    /// Its overrides, as `path = value` strings.
    pub set: Vec<String>,
    /// Seeds planned.
    pub seeds: Vec<u64>,
    /// Seeds whose run failed (no metrics); absent from summaries written before it existed.
    #[serde(default)]
    pub failed_seeds: Vec<u64>,
    /// Validation All MAE per seed that finished.
    pub val_mae_all: Vec<f64>,
    /// Validation Few MAE per seed.
    pub val_mae_few: Vec<f64>,
    /// Mean ± std of the validation All MAE.
    pub all: Option<Stat>,
    /// Mean ± std of the validation Few MAE.
    pub few: Option<Stat>,
    /// Soft coverage (1 − L_env of the training-bin centroids) of the kept models.
    pub soft_coverage: Option<Stat>,
    /// Speed CV of the trace of the kept models.
    pub speed_cv: Option<Stat>,
    /// Epoch kept (validation).
    pub best_epoch: Option<Stat>,
    /// Seconds per epoch.
    pub seconds_per_epoch: Option<Stat>,
}

/// The outcome of a grid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuneSummary {
    /// The grid as given.
    pub grid: Grid,
    /// Results per variant, in grid order.
    pub results: Vec<VariantResult>,
    /// The chosen variants, one per tuned method (see [`choose`]), in grid order. Computed,
    /// never read: a summary read back gets its choice recomputed.
    #[serde(skip_deserializing)]
    pub chosen: Vec<String>,
    /// `git rev-parse HEAD` at the time.
    pub commit: String,
    /// Wall time of the training, seconds.
    pub train_seconds: f64,
}

/// Runs `cargo xtask tune`.
pub fn run(args: &TuneArgs) -> Result<()> {
    let text = read_file(&args.grid)?;
    let grid = Grid::from_toml_str(&text)?;
    let stem = args
        .grid
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "grid".into());
    let root = repo_root();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs").join("results").join("tuning"));
    let runs_dir = args
        .runs
        .clone()
        .unwrap_or_else(|| root.join("target").join("tune").join(&stem));
    let configs_dir = out.join(&stem).join("configs");

    // Every configuration first, so a bad override fails before any training.
    let mut planned = Vec::new();
    for v in &grid.variants {
        for seed in 0..grid.seeds as u64 {
            planned.push((v, seed, grid.config(v, seed)?));
        }
    }
    if args.from_json {
        return rerender(&grid, &out, &stem);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).max(1);
    let started = Instant::now();
    if !args.aggregate_only {
        eprintln!(
            "tune {stem}: {} variant(s) × {} seed(s) = {} runs on {}, {jobs} at a time",
            grid.variants.len(),
            grid.seeds,
            planned.len(),
            grid.benchmark
        );
        let srl = build_srl(&root)?;
        let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
        create_dir(&configs_dir)?;
        let mut job_list = Vec::new();
        for (v, seed, cfg) in &planned {
            let config_path = configs_dir.join(format!("{}.toml", seed_file_stem(&v.name, *seed)));
            let text = cfg.to_toml_string()?;
            std::fs::write(&config_path, text)
                .map_err(|e| XtaskError::io("write", &config_path, e))?;
            let run_dir = run_dir(&runs_dir, &v.name, *seed);
            remove_dir(&run_dir)?;
            let args: Vec<OsString> = vec![
                "train".into(),
                "--config".into(),
                config_path.into(),
                "--data-dir".into(),
                data_dir.clone().into(),
                "--out".into(),
                run_dir.clone().into(),
            ];
            job_list.push(Job {
                name: format!("{}/{}", v.name, run_folder::seed_dir(*seed)),
                program: srl.clone(),
                args,
                env: vec![(
                    "RAYON_NUM_THREADS".into(),
                    (cores / jobs).max(1).to_string(),
                )],
                log: runs_dir
                    .join("logs")
                    .join(format!("{}.log", seed_file_stem(&v.name, *seed))),
                append_log: false,
            });
        }
        let results = runner::run_jobs(job_list, jobs, OnFailure::KeepGoing, &|r, done, total| {
            let status = if r.success { "ok" } else { "FAILED" };
            eprintln!("[{done}/{total}] {} {status} ({:.1} s)", r.name, r.seconds);
        });
        // A failed run (a diverged setting, say) is a result too: its variant is shown with
        // the seeds that failed and cannot be chosen.
        for r in results.iter().filter(|r| !r.success) {
            eprintln!(
                "warning: {} {} (log: {})",
                r.name,
                r.failure.as_deref().unwrap_or("failed"),
                r.log.display()
            );
        }
    }
    let train_seconds = started.elapsed().as_secs_f64();

    let results = grid
        .variants
        .iter()
        .map(|v| aggregate_variant(v, grid.seeds, &runs_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let summary = TuneSummary {
        chosen: choose(&results),
        grid,
        results,
        commit: crate::common::git_commit(&root),
        train_seconds,
    };
    write_summary(&summary, &out, &stem)
}

/// Writes `<out>/<stem>.md` and `<out>/<stem>.json` and prints the Markdown.
fn write_summary(summary: &TuneSummary, out: &Path, stem: &str) -> Result<()> {
    create_dir(out)?;
    let md = out.join(format!("{stem}.md"));
    let json = out.join(format!("{stem}.json"));
    std::fs::write(&md, summary.to_markdown(stem)).map_err(|e| XtaskError::io("write", &md, e))?;
    std::fs::write(&json, summary.to_json()?).map_err(|e| XtaskError::io("write", &json, e))?;
    println!("{}", summary.to_markdown(stem));
    println!("summary: {}", md.display());
    Ok(())
}

/// `--from-json`: reads the summary `<out>/<stem>.json` written by an earlier run, recomputes
/// the choice from its validation results and writes the Markdown and JSON again. The grid,
/// commit and wall time stay those of the run that trained the variants; a grid file that has
/// changed since (renamed override paths, say) is reported, not applied.
fn rerender(grid: &Grid, out: &Path, stem: &str) -> Result<()> {
    let path = out.join(format!("{stem}.json"));
    let text = read_file(&path).map_err(|e| e.context("--from-json"))?;
    let summary = TuneSummary::from_json(&text).map_err(|e| XtaskError::parse(&path, e))?;
    if &summary.grid != grid {
        eprintln!(
            "note: the grid in {} differs from the grid file; the summary keeps the grid its \
             runs were trained with",
            path.display()
        );
    }
    write_summary(&summary, out, stem)
}

fn run_dir(runs_dir: &Path, variant: &str, seed: u64) -> PathBuf {
    runs_dir.join(variant).join(run_folder::seed_dir(seed))
}

/// Reads the validation results of one variant's seeds; a seed without `metrics.json` (the
/// run failed) is listed in `failed_seeds`.
fn aggregate_variant(v: &Variant, seeds: usize, runs_dir: &Path) -> Result<VariantResult> {
    let mut reports = Vec::new();
    let mut failed_seeds = Vec::new();
    for seed in 0..seeds as u64 {
        let dir = run_dir(runs_dir, &v.name, seed);
        if !run_folder::is_complete(&dir) {
            failed_seeds.push(seed);
            continue;
        }
        reports.push(read_validation(&dir)?);
    }
    let collect = |f: &dyn Fn(&ValidationView) -> Option<f64>| -> Vec<f64> {
        reports
            .iter()
            .filter_map(f)
            .filter(|x| x.is_finite())
            .collect()
    };
    let val_mae_all = collect(&|r| Metric::Mae.of(&r.val.all));
    let val_mae_few = collect(&|r| Metric::Mae.of(&r.val.few));
    Ok(VariantResult {
        name: v.name.clone(),
        method: v.method.clone(),
        set: v.set.iter().map(|(k, x)| format!("{k} = {x}")).collect(),
        seeds: (0..seeds as u64).collect(),
        failed_seeds,
        all: mean_std(&val_mae_all),
        few: mean_std(&val_mae_few),
        val_mae_all,
        val_mae_few,
        soft_coverage: mean_std(&collect(&|r| r.soft_coverage)),
        speed_cv: mean_std(&collect(&|r| r.speed_cv)),
        best_epoch: mean_std(&collect(&|r| Some(r.best_epoch as f64))),
        seconds_per_epoch: mean_std(&collect(&|r| Some(r.seconds_per_epoch))),
    })
}

/// The chosen variants, in grid order: for each method with at least two variants in the grid
/// (a method the grid tunes), the variant with the lowest mean validation All MAE among that
/// method's variants whose every seed finished (ties: the earlier variant). A method with one
/// variant — vanilla, the reference, or a single comparison such as FDS alone in the LDS+FDS
/// grid — has nothing to choose and gets no mark.
pub fn choose(results: &[VariantResult]) -> Vec<String> {
    let mut best: Vec<(&MethodName, f64, &str)> = Vec::new();
    for r in results {
        if results.iter().filter(|o| o.method == r.method).count() < 2 {
            continue;
        }
        let Some(mean) = r
            .all
            .filter(|_| r.val_mae_all.len() == r.seeds.len())
            .map(|s| s.mean)
        else {
            continue;
        };
        match best.iter_mut().find(|(m, _, _)| **m == r.method) {
            Some(b) if mean < b.1 => *b = (&r.method, mean, &r.name),
            Some(_) => {}
            None => best.push((&r.method, mean, &r.name)),
        }
    }
    let chosen: Vec<&str> = best.iter().map(|b| b.2).collect();
    results
        .iter()
        .filter(|r| chosen.contains(&r.name.as_str()))
        .map(|r| r.name.clone())
        .collect()
}

impl TuneSummary {
    /// Reads a summary written by [`TuneSummary::to_json`] and recomputes its choice with
    /// [`choose`] (a summary written before vanilla stopped being a candidate is corrected).
    pub fn from_json(text: &str) -> Result<TuneSummary> {
        let mut summary: TuneSummary = serde_json::from_str(text)
            .map_err(|e| XtaskError::InvalidData(format!("invalid tuning summary: {e}")))?;
        summary.chosen = choose(&summary.results);
        Ok(summary)
    }

    /// The summary as pretty JSON with a final newline.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// The summary as a Markdown page.
    pub fn to_markdown(&self, stem: &str) -> String {
        let g = &self.grid;
        let mut s = format!("# Tuning `{stem}`: {} (validation only)\n\n", g.benchmark);
        if !g.description.is_empty() {
            s += &format!("{}\n\n", g.description.trim());
        }
        s += &format!(
            "Command: `cargo xtask tune docs/results/tuning/grids/{stem}.toml`. Preset profile \
             `{}`, seeds 0..{}, commit `{}`, training wall time {:.0} s. Exact configurations: \
             `{stem}/configs/`.\n\n",
            g.profile.as_str(),
            g.seeds.saturating_sub(1),
            self.commit,
            self.train_seconds
        );
        if !g.base.is_empty() {
            let base: Vec<String> = g.base.iter().map(|(k, v)| format!("`{k} = {v}`")).collect();
            s += &format!("Applied to every run: {}.\n\n", base.join(", "));
        }
        let vanilla = self
            .results
            .iter()
            .find(|r| r.method.is_vanilla())
            .and_then(|r| r.all.map(|a| a.mean));
        s += "Validation MAE of the model kept by validation (mean ± sample std over seeds); \
              soft coverage = 1 − L_env of the training-bin centroids; *chosen* = of a tuned \
              method's variants (a method with at least two), the one with the lowest mean \
              validation All MAE; a method with a single variant (vanilla, the reference) is \
              not tuned here and never chosen.\n\n";
        s += "| variant | method | overrides | val MAE All | vs vanilla | val MAE Few | soft coverage | speed CV | best epoch | s/epoch |\n";
        s += "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
        for r in &self.results {
            let chosen = self.chosen.contains(&r.name);
            let mut name = if chosen {
                format!("**{}** (chosen)", r.name)
            } else {
                r.name.clone()
            };
            if !r.failed_seeds.is_empty() {
                name += &format!(" (failed seeds: {:?})", r.failed_seeds);
            }
            let rel = match (r.all, vanilla) {
                (Some(a), Some(v)) if !r.method.is_vanilla() && v > 0.0 => {
                    format!("{:+.1} %", 100.0 * (a.mean / v - 1.0))
                }
                _ => "—".into(),
            };
            let set = if r.set.is_empty() {
                "(preset)".to_string()
            } else {
                r.set.join(", ")
            };
            let f = |x: Option<Stat>, d: usize| x.map_or("—".into(), |x| x.format(1.0, d));
            let digits = decimals_for(r.all.map(|a| a.mean));
            s += &format!(
                "| {name} | {} | {set} | {} | {rel} | {} | {} | {} | {} | {} |\n",
                r.method,
                f(r.all, digits),
                f(r.few, digits),
                f(r.soft_coverage, 3),
                f(r.speed_cv, 3),
                f(r.best_epoch, 0),
                f(r.seconds_per_epoch, 4),
            );
        }
        s
    }
}

/// Four significant digits for a typical value.
fn decimals_for(v: Option<f64>) -> usize {
    match v {
        Some(v) if v > 0.0 && v.is_finite() => (3 - v.log10().floor() as i64).clamp(0, 8) as usize,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: &str = r#"
description = "test grid"
benchmark = "airfoil"
profile = "quick"
seeds = 2
[base]
"optim.epochs" = 7
[[variant]]
name = "vanilla"
method = "vanilla"
[[variant]]
name = "tau-0.5"
method = "srl"
[variant.set]
"method.srl.tau" = 0.5
"method.srl.weights.envelope" = 0.25
[[variant]]
name = "ranksim-strong"
method = "ranksim+srl"
[variant.set]
"method.ranksim.weight" = 10.0
[[variant]]
name = "ranksim-weak"
method = "srl+ranksim"
[variant.set]
"method.ranksim.weight" = 0.1
"#;

    #[test]
    fn overrides_reach_the_configuration() {
        let grid = Grid::from_toml_str(GRID).unwrap();
        let v = grid.config(&grid.variants[0], 1).unwrap();
        assert_eq!(v.seed, 1);
        assert_eq!(v.optim.epochs, 7);
        assert!(v.method_name().is_vanilla());
        let s = grid.config(&grid.variants[1], 0).unwrap();
        assert_eq!(s.optim.epochs, 7);
        let srl = s.method.srl.expect("SRL is on");
        assert_eq!(srl.tau, 0.5);
        assert_eq!(srl.weights.envelope, 0.25);
        let r = grid.config(&grid.variants[2], 0).unwrap();
        assert_eq!(r.method_name().to_string(), "srl+ranksim");
        assert_eq!(r.method.ranksim.map(|p| p.weight), Some(10.0));
    }

    #[test]
    fn bad_grids_are_errors_naming_the_problem() {
        let typo = GRID.replace("method.srl.tau", "method.srl.tua");
        let grid = Grid::from_toml_str(&typo).unwrap();
        let e = grid.config(&grid.variants[1], 0).unwrap_err().to_string();
        assert!(e.contains("tau-0.5") && e.contains("tua"), "{e}");
        let missing_table =
            GRID.replace("method.srl.weights.envelope", "method.srl.wieghts.envelope");
        let grid = Grid::from_toml_str(&missing_table).unwrap();
        let e = grid.config(&grid.variants[1], 0).unwrap_err().to_string();
        assert!(e.contains("method.srl.wieghts"), "{e}");
        let bad_value = GRID.replace("\"method.srl.tau\" = 0.5", "\"method.srl.tau\" = -1.0");
        let grid = Grid::from_toml_str(&bad_value).unwrap();
        assert!(grid
            .config(&grid.variants[1], 0)
            .unwrap_err()
            .to_string()
            .contains("tau"));
        // An SRL-only key in [base] does nothing for the vanilla variant: an error, not silence.
        let base_tau = GRID.replace(
            "\"optim.epochs\" = 7",
            "\"optim.epochs\" = 7\n\"method.srl.tau\" = 0.5",
        );
        let grid = Grid::from_toml_str(&base_tau).unwrap();
        let e = grid.config(&grid.variants[0], 0).unwrap_err().to_string();
        assert!(e.contains("vanilla") && e.contains("method.srl"), "{e}");
        for (from, to, needle) in [
            ("airfoil", "airfoyl", "airfoyl"),
            ("method = \"srl\"", "method = \"srl+magic\"", "magic"),
            ("seeds = 2", "seeds = 0", "seeds"),
            ("name = \"tau-0.5\"", "name = \"vanilla\"", "twice"),
            ("name = \"tau-0.5\"", "name = \"a/b\"", "letters"),
            ("profile = \"quick\"", "profile = \"medium\"", "medium"),
        ] {
            let e = Grid::from_toml_str(&GRID.replace(from, to))
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{from} -> {to}: {e}");
        }
    }

    #[test]
    fn every_committed_grid_gives_valid_configurations() {
        let dir = repo_root().join("docs/results/tuning/grids");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let grid = Grid::from_toml_str(&std::fs::read_to_string(&path).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                for v in &grid.variants {
                    grid.config(v, 0)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                }
                count += 1;
            }
        }
        assert!(count > 0, "no grid in {}", dir.display());
    }

    fn result(name: &str, method: &str, all: &[f64]) -> VariantResult {
        VariantResult {
            name: name.into(),
            method: method.parse().unwrap(),
            set: vec![],
            seeds: (0..all.len() as u64).collect(),
            failed_seeds: vec![],
            val_mae_all: all.to_vec(),
            val_mae_few: all.to_vec(),
            all: mean_std(all),
            few: mean_std(all),
            soft_coverage: None,
            speed_cv: None,
            best_epoch: None,
            seconds_per_epoch: None,
        }
    }

    #[test]
    fn the_choice_reads_validation_metrics_only() {
        use crate::tables::tests::{report, write_report};
        let dir = tempfile::tempdir().unwrap();
        let grid = Grid::from_toml_str(GRID).unwrap();
        // Validation and test disagree: by test MAE `ranksim-strong` would win the SRL+RankSim
        // pair, by validation `ranksim-weak`; `tau-0.5` (SRL's only variant) and vanilla are
        // not tuned here and never chosen, even with the lowest validation MAE.
        for (name, val, test) in [
            ("vanilla", 2.0, 0.5),
            ("tau-0.5", 1.0, 9.0),
            ("ranksim-strong", 3.0, 0.01),
            ("ranksim-weak", 2.5, 5.0),
        ] {
            for seed in 0..2u64 {
                let a = BenchmarkId::Airfoil;
                let mut r = report(a, "srl", seed, [test; 4]);
                r.val = report(a, "srl", seed, [val; 4]).test;
                write_report(&run_dir(dir.path(), name, seed), &r);
            }
        }
        let results: Vec<VariantResult> = grid
            .variants
            .iter()
            .map(|v| aggregate_variant(v, 2, dir.path()))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(results[1].val_mae_all, vec![1.0, 1.0]);
        assert_eq!(choose(&results), vec!["ranksim-weak".to_string()]);
        // A missing seed is a failed seed, not an error.
        std::fs::remove_file(run_dir(dir.path(), "vanilla", 1).join(run_folder::METRICS)).unwrap();
        let r = aggregate_variant(&grid.variants[0], 2, dir.path()).unwrap();
        assert_eq!(r.failed_seeds, vec![1]);
    }

    #[test]
    fn the_lowest_mean_validation_mae_is_chosen_and_incomplete_variants_are_not() {
        let mut incomplete = result("broken", "srl", &[0.1]);
        incomplete.seeds = vec![0, 1];
        let rs = vec![
            result("vanilla", "vanilla", &[1.0, 1.2]),
            result("a", "srl", &[0.9, 1.0]),
            result("b", "srl", &[0.8, 1.3]),
            incomplete,
        ];
        assert_eq!(choose(&rs), vec!["a".to_string()]);
        let summary = TuneSummary {
            grid: Grid::from_toml_str(GRID).unwrap(),
            results: rs,
            chosen: vec!["a".into()],
            commit: "abc".into(),
            train_seconds: 1.0,
        };
        let md = summary.to_markdown("t");
        assert!(md.contains("**a** (chosen)"), "{md}");
        assert!(md.contains("| vanilla |"), "{md}");
        assert!(md.contains("-13.6 %"), "{md}");
        assert!(!md.to_lowercase().contains("test mae"), "{md}");
    }

    #[test]
    fn vanilla_and_single_variant_methods_are_never_chosen_and_each_tuned_method_gets_one() {
        // Every variant is worse than vanilla (an LDS grid on Airfoil): the best LDS setting is
        // still the grid's choice; INV, alone in the grid, is a comparison, not a choice.
        let rs = vec![
            result("vanilla", "vanilla", &[1.0, 1.1]),
            result("inv", "inv", &[1.05, 1.1]),
            result("lds-a", "lds", &[1.4, 1.5]),
            result("lds-b", "lds", &[1.3, 1.4]),
            result("bni-a", "bni", &[1.2, 1.2]),
            result("bni-b", "bni", &[1.3, 1.2]),
        ];
        assert_eq!(choose(&rs), vec!["lds-b".to_string(), "bni-a".to_string()]);
        let only_references = vec![
            result("vanilla", "vanilla", &[1.0]),
            result("fds", "fds", &[0.9]),
        ];
        assert!(choose(&only_references).is_empty());
    }

    /// The committed summaries (`docs/results/tuning/<grid>.json`) are what the tool writes
    /// from them: the Markdown pages and the choices are up to date with the current rule
    /// (`cargo xtask tune GRID --from-json` rewrites them).
    #[test]
    fn committed_tuning_pages_are_the_tools_rendering_of_their_json() {
        let dir = repo_root().join("docs/results/tuning");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let summary =
                TuneSummary::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                summary.to_json().unwrap(),
                text,
                "{} is stale: run `cargo xtask tune docs/results/tuning/grids/{stem}.toml \
                 --from-json`",
                path.display()
            );
            let md = std::fs::read_to_string(dir.join(format!("{stem}.md"))).unwrap();
            assert_eq!(
                summary.to_markdown(&stem),
                md,
                "{stem}.md is stale: run `cargo xtask tune docs/results/tuning/grids/{stem}.toml \
                 --from-json`"
            );
            assert!(
                summary
                    .results
                    .iter()
                    .filter(|r| summary.chosen.contains(&r.name))
                    .all(|r| !r.method.is_vanilla()),
                "{stem}: vanilla chosen"
            );
            count += 1;
        }
        assert!(count > 0, "no tuning summary in {}", dir.display());
    }
}
