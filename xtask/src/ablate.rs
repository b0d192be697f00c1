//! `cargo xtask ablate`: which ingredient of SRL does the work.
//!
//! The variants are configurations, not code forks: `docs/results/ablation/variants.toml` lists
//! each one as a method preset plus dotted overrides (the `[[variant]]` format of
//! `cargo xtask tune`, [`crate::tune::Variant`]), applied to each benchmark's own preset.
//! `full` (SRL as preset) and `vanilla` must be among them: they are the references of the
//! paired comparisons.
//!
//! By default the four UCI-DIR sets (5 seeds) and IOL-linear (3 seeds, see [`default_seeds`]);
//! `--only` trains fewer, and the summary still covers every benchmark with runs ([`scope`]).
//! Every benchmark × variant × seed is trained with the release `srl` (J at a time); a run
//! folder that already holds a finished run of exactly the planned configuration is kept, so an
//! interrupted sweep continues where it stopped. A variant whose configuration on a benchmark
//! is full SRL's own (the preset already has that setting, e.g. warm-up 0 on IOL-linear) is not
//! trained there: its row reads full SRL's runs and says so ([`same_as_full`]). Output in `<out>` (default
//! `docs/results/ablation`): `summary.md` with one table per benchmark — test MAE All / Many /
//! Medium / Few (mean ± sample std over seeds), paired-by-seed wins on All and Few MAE against
//! full SRL and against vanilla, and the geometry of the kept model (soft coverage, arc length,
//! speed CV, few-shot share; a trained variant whose test predictions are byte-identical to full
//! SRL's in a seed is flagged, [`identical_to_full`]) — `summary.json`, the exact configurations in `configs/`, the run
//! folders in `runs/<benchmark>/<variant>/seed<k>/` and the logs in `logs/`.

use crate::common::{build_srl, create_dir, read_file, repo_root, run_name, seed_file_stem};
use crate::error::{Result, XtaskError};
use crate::runner::{self, Job, OnFailure};
use crate::tables::{self, mean_std, PairedWins, Stat};
use crate::tune::{Grid, Variant};
use serde::{Deserialize, Serialize};
use srl_data::BenchmarkId;
use srl_train::{run_folder, Profile, RunConfig, RunReport};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Flags of `cargo xtask ablate`.
#[derive(Debug, Clone, clap::Args)]
pub struct AblateArgs {
    /// Benchmarks to train, comma-separated [default: the four UCI-DIR sets and IOL-linear].
    /// The summary covers these and every benchmark that already has runs in the output folder.
    #[arg(long, value_name = "B1,B2,…", value_delimiter = ',')]
    pub only: Option<Vec<BenchmarkId>>,
    /// Seeds 0..N per variant on the trained benchmarks [default: the protocol's, 5 on UCI-DIR
    /// and 3 on IOL-linear, see `default_seeds`].
    #[arg(long, value_name = "N")]
    pub seeds: Option<usize>,
    /// The variants file.
    #[arg(long, value_name = "FILE.toml")]
    pub variants: Option<PathBuf>,
    /// Size of the presets the variants start from (`quick` for a smoke run).
    #[arg(long, value_name = "PROFILE", default_value = "full", value_parser = parse_profile)]
    pub profile: Profile,
    /// Runs in parallel [default: the available cores].
    #[arg(long, value_name = "J")]
    pub jobs: Option<usize>,
    /// Data directory [default: $SRL_DATA_DIR, else datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output folder [default: docs/results/ablation].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only aggregate the runs already in the output folder (no training).
    #[arg(long)]
    pub aggregate_only: bool,
}

fn parse_profile(s: &str) -> Result<Profile, srl_train::TrainError> {
    s.parse()
}

/// The benchmarks of the ablation (issue: the four UCI-DIR sets and IOL-linear), in table order.
pub const BENCHMARKS: [BenchmarkId; 5] = [
    BenchmarkId::Airfoil,
    BenchmarkId::Abalone,
    BenchmarkId::Concrete,
    BenchmarkId::RealEstate,
    BenchmarkId::IolLinear,
];

/// Seeds per variant when `--seeds` is not given: 5 on the tabular sets, 3 on IOL (20,000
/// full-batch iterations per run).
pub fn default_seeds(b: BenchmarkId) -> usize {
    if b.is_operator() {
        3
    } else {
        5
    }
}

/// The variants file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VariantsFile {
    /// What the ablation is about (shown in the summary).
    #[serde(default)]
    pub description: String,
    /// The variants.
    #[serde(rename = "variant")]
    pub variants: Vec<Variant>,
}

/// The reference variants every variants file must contain.
pub const FULL: &str = "full";
/// See [`FULL`].
pub const VANILLA: &str = "vanilla";

impl VariantsFile {
    /// Parses and checks (names as in a tune grid, and `full` and `vanilla` present).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let file: VariantsFile = toml::from_str(text)
            .map_err(|e| XtaskError::InvalidArgument(format!("invalid variants file: {e}")))?;
        for needed in [FULL, VANILLA] {
            if !file.variants.iter().any(|v| v.name == needed) {
                return Err(XtaskError::InvalidArgument(format!(
                    "the variants file needs a variant named `{needed}`"
                )));
            }
        }
        // The grid of one benchmark checks names (file-safe, unique).
        file.grid(BenchmarkId::Airfoil, Profile::Quick, 1)?;
        Ok(file)
    }

    /// The variants as a tune grid of `benchmark` (no shared overrides).
    pub fn grid(&self, benchmark: BenchmarkId, profile: Profile, seeds: usize) -> Result<Grid> {
        let grid = Grid {
            description: self.description.clone(),
            benchmark,
            profile,
            seeds,
            base: BTreeMap::new(),
            variants: self.variants.clone(),
        };
        let text = toml::to_string(&grid)?;
        Grid::from_toml_str(&text)
    }
}

/// One variant's aggregate on one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct VariantRow {
    /// Variant name.
    pub name: String,
    /// Its overrides, `path = value`.
    pub set: Vec<String>,
    /// The variant's configuration is full SRL's on this benchmark: the row is full SRL's runs.
    pub same_as_full: bool,
    /// Seeds with a finished run.
    pub seeds: Vec<u64>,
    /// Test MAE per group (All, Many, Medium, Few).
    pub mae: [Option<Stat>; 4],
    /// Paired wins against full SRL on All and Few MAE.
    pub vs_full: [PairedWins; 2],
    /// Seeds in which the (trained) variant's test predictions are byte-identical to full
    /// SRL's: the switch changed nothing the model saw (e.g. the memory on full-batch data).
    pub identical_to_full: Vec<u64>,
    /// Paired wins against vanilla on All and Few MAE.
    pub vs_vanilla: [PairedWins; 2],
    /// Soft coverage 1 − L_env of the training-bin centroids.
    pub soft_coverage: Option<Stat>,
    /// Arc length of the trace of training-bin centroids.
    pub arc_length: Option<Stat>,
    /// Coefficient of variation of the trace's speed.
    pub speed_cv: Option<Stat>,
    /// Share of the sphere closest to few-shot bins.
    pub few_shot_share: Option<Stat>,
}

/// The ablation of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkAblation {
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// Seeds planned per variant (0..seeds); a row's `seeds` lists the finished ones.
    pub seeds: usize,
    /// Finished runs in the folder whose configuration is not the planned one (not counted).
    pub stale: Vec<String>,
    /// One row per variant, in the file's order.
    pub rows: Vec<VariantRow>,
}

fn run_dir(out: &Path, b: BenchmarkId, variant: &str, seed: u64) -> PathBuf {
    run_folder::sweep_run_dir(&out.join("runs"), b.as_str(), variant, seed)
}

/// Runs `cargo xtask ablate`.
pub fn run(args: &AblateArgs) -> Result<()> {
    let root = repo_root();
    let variants_path = args
        .variants
        .clone()
        .unwrap_or_else(|| root.join("docs/results/ablation/variants.toml"));
    let text = read_file(&variants_path)?;
    let file = VariantsFile::from_toml_str(&text)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs/results/ablation"));
    let mut selected = args.only.clone().unwrap_or_else(|| BENCHMARKS.to_vec());
    let mut seen = BTreeSet::new();
    selected.retain(|b| seen.insert(*b));
    let summarised = scope(&selected, args.seeds, &out)?;
    // Every configuration first: a bad override fails before any training.
    let mut planned: Vec<(BenchmarkId, &Variant, u64, RunConfig)> = Vec::new();
    for &(b, seeds) in &summarised {
        let grid = file.grid(b, args.profile, seeds)?;
        for v in &file.variants {
            for seed in 0..seeds as u64 {
                planned.push((b, v, seed, grid.config(v, seed)?));
            }
        }
    }
    let same = same_as_full(&planned);
    if !args.aggregate_only {
        let to_train: Vec<_> = planned
            .iter()
            .filter(|(b, v, _, _)| selected.contains(b) && !same.contains(&(*b, v.name.clone())))
            .cloned()
            .collect();
        train(args, &root, &out, &to_train)?;
    }
    let plan: Plan<'_> = planned
        .iter()
        .map(|(b, v, seed, cfg)| ((*b, v.name.clone(), *seed), cfg))
        .collect();
    let mut ablations = Vec::new();
    for &(b, seeds) in &summarised {
        ablations.push(aggregate(b, &file, seeds, &out, &same, &plan)?);
    }
    for &b in &selected {
        match feature_space_figure(b, &out) {
            Ok(Some(paths)) => eprintln!("figure: {}", paths[0].display()),
            Ok(None) => eprintln!(
                "{b}: no feature-space figure (seed-0 test features of {} missing)",
                FIGURE_VARIANTS.join(", ")
            ),
            Err(e) => return Err(e.context(format!("feature-space figure of {b}"))),
        }
    }
    let md = summary_markdown(&file, &ablations, args.profile.as_str(), &root);
    crate::common::write_file(&out.join("summary.md"), &md)?;
    let json = serde_json::to_string_pretty(&ablations)? + "\n";
    crate::common::write_file(&out.join("summary.json"), &json)?;
    println!("{md}");
    println!("summary: {}", out.join("summary.md").display());
    Ok(())
}

/// The planned configuration of each (benchmark, variant, seed).
pub type Plan<'a> = BTreeMap<(BenchmarkId, String, u64), &'a RunConfig>;

/// The benchmarks of the summary with their seeds, in [`BenchmarkId::ALL`]'s order: the
/// `selected` ones (to train; `seeds` or [`default_seeds`]) and every other benchmark that
/// already has runs in `out` (its default seeds, or more if more are on disk) — training one
/// benchmark never drops another's table or seeds.
pub fn scope(
    selected: &[BenchmarkId],
    seeds: Option<usize>,
    out: &Path,
) -> Result<Vec<(BenchmarkId, usize)>> {
    if seeds == Some(0) {
        return Err(XtaskError::InvalidArgument(
            "--seeds must be at least 1".into(),
        ));
    }
    Ok(BenchmarkId::ALL
        .into_iter()
        .filter_map(|b| {
            if selected.contains(&b) {
                Some((b, seeds.unwrap_or_else(|| default_seeds(b))))
            } else {
                let on_disk = seeds_on_disk(out, b);
                (on_disk > 0).then(|| (b, on_disk.max(default_seeds(b))))
            }
        })
        .collect())
}

/// 1 + the largest k of a finished `runs/<benchmark>/<variant>/seed<k>` in `out` (0 if none).
fn seeds_on_disk(out: &Path, b: BenchmarkId) -> usize {
    let dirs = |p: PathBuf| {
        std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
    };
    dirs(out.join("runs").join(b.as_str()))
        .flat_map(dirs)
        .filter(|dir| run_folder::is_complete(dir))
        .filter_map(|dir| {
            let seed = run_folder::seed_of_dir(dir.file_name()?.to_str()?)?;
            Some(seed as usize + 1)
        })
        .max()
        .unwrap_or(0)
}

/// The (benchmark, variant) pairs, other than `full` itself, whose configuration equals full
/// SRL's for every planned seed: a setting the benchmark's preset already has (warm-up 0 on
/// IOL-linear, warm-up 1 on UCI-DIR). They are not trained; their rows read full SRL's runs.
pub fn same_as_full(
    planned: &[(BenchmarkId, &Variant, u64, RunConfig)],
) -> BTreeSet<(BenchmarkId, String)> {
    let full: BTreeMap<(BenchmarkId, u64), &RunConfig> = planned
        .iter()
        .filter(|(_, v, _, _)| v.name == FULL)
        .map(|(b, _, seed, cfg)| ((*b, *seed), cfg))
        .collect();
    let mut differs = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (b, v, seed, cfg) in planned.iter().filter(|(_, v, _, _)| v.name != FULL) {
        names.insert((*b, v.name.clone()));
        if full.get(&(*b, *seed)) != Some(&cfg) {
            differs.insert((*b, v.name.clone()));
        }
    }
    names.difference(&differs).cloned().collect()
}

/// The variants of the feature-space figure (paper Fig. 5-like: the degradation modes).
pub const FIGURE_VARIANTS: [&str; 4] = [VANILLA, FULL, "no-env", "no-homo"];

/// Draws `<out>/figures/<benchmark>-feature-space` from the seed-0 runs of
/// [`FIGURE_VARIANTS`] (PCA and t-SNE of z = h/‖h‖, coloured by target, few-shot samples
/// marked); `None` when one of the runs lacks its test features or predictions.
fn feature_space_figure(b: BenchmarkId, out: &Path) -> Result<Option<Vec<PathBuf>>> {
    let runs: Vec<(String, PathBuf)> = FIGURE_VARIANTS
        .iter()
        .map(|v| (v.to_string(), run_dir(out, b, v, 0)))
        .collect();
    let ready = runs.iter().all(|(_, d)| {
        d.join(run_folder::TEST_FEATURES).is_file()
            && d.join(run_folder::TEST_PREDICTIONS).is_file()
    });
    if !ready {
        return Ok(None);
    }
    crate::figures::ensure_font()?;
    let fig =
        crate::figures::FeatureSpace::from_dirs(b, &runs, crate::figures::MAX_FEATURE_POINTS)?;
    crate::figures::save(&fig, &out.join("figures"), &format!("{b}-feature-space")).map(Some)
}

/// Trains the planned runs that are not finished with the same configuration.
fn train(
    args: &AblateArgs,
    root: &Path,
    out: &Path,
    planned: &[(BenchmarkId, &Variant, u64, RunConfig)],
) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).max(1);
    let srl = build_srl(root)?;
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    let configs = out.join("configs");
    create_dir(&configs)?;
    let mut job_list = Vec::new();
    let mut kept = 0;
    for (b, v, seed, cfg) in planned {
        let dir = run_dir(out, *b, &v.name, *seed);
        let same =
            run_folder::is_complete(&dir) && run_folder::read_config(&dir).is_ok_and(|c| &c == cfg);
        if same {
            kept += 1;
            continue;
        }
        let name = format!("{b}-{}", seed_file_stem(&v.name, *seed));
        let config_path = configs.join(format!("{name}.toml"));
        crate::common::write_file(&config_path, &cfg.to_toml_string()?)?;
        let call = runner::srl_train_call(&config_path, cfg, &data_dir, &dir);
        job_list.push(Job {
            name: run_name(b.as_str(), &v.name, *seed),
            program: srl.clone(),
            args: call.args,
            env: vec![(
                "RAYON_NUM_THREADS".into(),
                (cores / jobs).max(1).to_string(),
            )],
            log: out
                .join("logs")
                .join(b.as_str())
                .join(format!("{}.log", seed_file_stem(&v.name, *seed))),
            append_log: call.resumes,
        });
    }
    eprintln!(
        "ablate: {} runs planned, {kept} kept (finished with the same configuration), {} to \
         train, {jobs} at a time -> {}",
        planned.len(),
        job_list.len(),
        out.display()
    );
    let results = runner::run_jobs(job_list, jobs, OnFailure::KeepGoing, &|r, done, total| {
        let status = if r.success { "ok" } else { "FAILED" };
        eprintln!("[{done}/{total}] {} {status} ({:.1} s)", r.name, r.seconds);
    });
    for r in results.iter().filter(|r| !r.success) {
        eprintln!(
            "warning: {} {} (log: {})",
            r.name,
            r.failure.as_deref().unwrap_or("failed"),
            r.log.display()
        );
    }
    Ok(())
}

/// Reads the finished runs of `benchmark` and aggregates every variant.
fn aggregate(
    benchmark: BenchmarkId,
    file: &VariantsFile,
    seeds: usize,
    out: &Path,
    same: &BTreeSet<(BenchmarkId, String)>,
    plan: &Plan<'_>,
) -> Result<BenchmarkAblation> {
    let reads_full = |v: &Variant| same.contains(&(benchmark, v.name.clone()));
    let mut reports: BTreeMap<&str, BTreeMap<u64, RunReport>> = BTreeMap::new();
    let mut stale = Vec::new();
    for v in &file.variants {
        let e = reports.entry(v.name.as_str()).or_default();
        let source = if reads_full(v) { FULL } else { v.name.as_str() };
        for seed in 0..seeds as u64 {
            let dir = run_dir(out, benchmark, source, seed);
            if !run_folder::is_complete(&dir) {
                continue;
            }
            // Only a run of exactly the planned configuration counts (not one left by an
            // older preset or another profile).
            let planned = plan.get(&(benchmark, source.to_string(), seed));
            if planned.is_none_or(|p| run_folder::read_config(&dir).ok().as_ref() != Some(*p)) {
                if source == v.name {
                    stale.push(format!("{source}/{}", run_folder::seed_dir(seed)));
                }
                continue;
            }
            e.insert(seed, run_folder::read_report(&dir)?);
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "warning: {benchmark}: {} finished run(s) of another configuration than planned are \
             not counted: {}",
            stale.len(),
            stale.join(", ")
        );
    }
    let per_seed = |name: &str, g: usize| -> BTreeMap<u64, f64> {
        reports
            .get(name)
            .map(|r| {
                r.iter()
                    .filter_map(|(s, rep)| tables::group(&rep.test, g).mae.map(|m| (*s, m)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let rows = file
        .variants
        .iter()
        .map(|v| {
            let runs = &reports[v.name.as_str()];
            let stat = |f: &dyn Fn(&RunReport) -> Option<f64>| {
                mean_std(&runs.values().filter_map(f).collect::<Vec<_>>())
            };
            // A reference against itself: no pairs, not "0 of n".
            let wins = |reference: &str| {
                [tables::ALL, tables::FEW].map(|g| {
                    if v.name == reference {
                        PairedWins { wins: 0, pairs: 0 }
                    } else {
                        PairedWins::count(&per_seed(&v.name, g), &per_seed(reference, g))
                    }
                })
            };
            VariantRow {
                name: v.name.clone(),
                set: v.set.iter().map(|(k, x)| format!("{k} = {x}")).collect(),
                same_as_full: reads_full(v),
                seeds: runs.keys().copied().collect(),
                mae: std::array::from_fn(|g| stat(&|r| tables::group(&r.test, g).mae)),
                vs_full: wins(FULL),
                identical_to_full: if reads_full(v) || v.name == FULL {
                    Vec::new()
                } else {
                    identical_to_full(out, benchmark, &v.name, runs.keys().copied())
                },
                vs_vanilla: wins(VANILLA),
                soft_coverage: stat(&|r| r.geometry.soft_coverage),
                arc_length: stat(&|r| r.geometry.arc_length),
                speed_cv: stat(&|r| r.geometry.speed_cv),
                few_shot_share: stat(&|r| r.geometry.few_shot_share),
            }
        })
        .collect();
    Ok(BenchmarkAblation {
        benchmark,
        seeds,
        stale,
        rows,
    })
}

/// The seeds among `seeds` in which `variant`'s `test_predictions.csv` equals full SRL's of the
/// same seed byte for byte (a missing or unreadable file on either side is not identical).
pub fn identical_to_full(
    out: &Path,
    benchmark: BenchmarkId,
    variant: &str,
    seeds: impl IntoIterator<Item = u64>,
) -> Vec<u64> {
    let predictions = |name: &str, seed: u64| {
        std::fs::read(run_dir(out, benchmark, name, seed).join(run_folder::TEST_PREDICTIONS)).ok()
    };
    seeds
        .into_iter()
        .filter(
            |&seed| match (predictions(variant, seed), predictions(FULL, seed)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        )
        .collect()
}

/// The summary page.
fn summary_markdown(
    file: &VariantsFile,
    ablations: &[BenchmarkAblation],
    profile: &str,
    root: &Path,
) -> String {
    let mut s = String::from("# SRL ablation\n\n");
    s += &format!("{}\n\n", file.description.trim());
    s += &format!(
        "Command: `cargo xtask ablate` (profile `{profile}`; commit `{}`). Each \
         variant is the benchmark's preset with the overrides listed (variants.toml). Test MAE \
         of the model kept by validation, mean ± sample std over seeds; *wins* = seeds in which \
         the variant's MAE is below the reference's of the same seed (*k identical*: in k \
         seeds its test predictions are byte-identical to full SRL's); geometry of the \
         training-bin centroids of the kept model (soft coverage = 1 − L_env; few-shot share \
         of the sphere, paper Table 7).\n\n",
        crate::common::git_commit(root),
    );
    let f = |x: &Option<Stat>, d: usize| x.map_or("—".into(), |x| x.format(1.0, d));
    for a in ablations {
        // IOL's errors are ~1e-2: shown ×1e-3 like the other IOL tables.
        let (scale, decimals) = if a.benchmark.is_operator() {
            (1e-3, 2)
        } else {
            (1.0, 3)
        };
        let mae = |x: &Option<Stat>| x.map_or("—".into(), |x| x.format(scale, decimals));
        s += &format!("## {}\n\n", tables::display_benchmark(a.benchmark));
        s += &format!("Seeds 0–{}", a.seeds.saturating_sub(1));
        s += if a.benchmark.is_operator() {
            "; MAE ×1e-3."
        } else {
            "."
        };
        if !a.stale.is_empty() {
            s += &format!(
                " Not counted: {} finished run(s) of another configuration than planned ({}).",
                a.stale.len(),
                a.stale.join(", ")
            );
        }
        s += "\n\n";
        s += "| variant | overrides | n | MAE All | MAE Many | MAE Med | MAE Few | vs full All | vs full Few | vs vanilla All | vs vanilla Few | soft cov. | arc length | speed CV | few-shot share |\n";
        s += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
        for r in &a.rows {
            let mut set = if r.set.is_empty() {
                "(preset)".to_string()
            } else {
                r.set.join(", ").replace("method.srl.", "")
            };
            if r.same_as_full {
                set += " — the preset's own setting: full SRL's runs";
            }
            let vs_vanilla = |g: usize| r.vs_vanilla[g].cell();
            let vs_full = |g: usize| {
                if r.same_as_full {
                    "=".to_string()
                } else if r.identical_to_full.is_empty() {
                    r.vs_full[g].cell()
                } else {
                    format!(
                        "{} ({} identical)",
                        r.vs_full[g].cell(),
                        r.identical_to_full.len()
                    )
                }
            };
            s += &format!(
                "| {} | {set} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.name,
                r.seeds.len(),
                mae(&r.mae[0]),
                mae(&r.mae[1]),
                mae(&r.mae[2]),
                mae(&r.mae[3]),
                vs_full(0),
                vs_full(1),
                vs_vanilla(0),
                vs_vanilla(1),
                f(&r.soft_coverage, 3),
                f(&r.arc_length, 2),
                f(&r.speed_cv, 3),
                f(&r.few_shot_share, 3),
            );
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use srl_losses::objective::{SrlConfig, SrlObjective};
    use srl_surrogate::{Surrogate, SurrogateConfig};

    fn committed() -> VariantsFile {
        let path = repo_root().join("docs/results/ablation/variants.toml");
        VariantsFile::from_toml_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// ∂L_SRL/∂h of one batch under the given parameters.
    fn grad(params: srl_losses::SrlParams) -> ndarray::Array2<f64> {
        let (k, d, m) = (6, 5, 12);
        let centres: Vec<f64> = (0..k).map(|i| i as f64 + 0.5).collect();
        let mut obj = SrlObjective::<f64>::new(SrlConfig {
            seed: 3,
            ..SrlConfig::new(k, d, centres, params)
        })
        .unwrap();
        let h = ndarray::Array2::from_shape_fn((m, d), |(i, j)| ((i * 7 + j * 3) as f64).sin());
        let bins: Vec<usize> = (0..m).map(|i| (i * 5) % k).collect();
        let memory = Surrogate::<f64>::new(SurrogateConfig::new(k, d)).unwrap();
        obj.evaluate(h.view(), &bins, &memory).unwrap().grad_h
    }

    #[test]
    fn each_weight_variant_removes_exactly_its_terms_gradient() {
        let file = committed();
        for b in [BenchmarkId::Airfoil, BenchmarkId::IolLinear] {
            let grid = file.grid(b, Profile::Full, 1).unwrap();
            let full = grid
                .config(file.variants.iter().find(|v| v.name == FULL).unwrap(), 0)
                .unwrap()
                .method
                .srl
                .unwrap();
            // Per-term gradients with unit weight, everything else as in the preset.
            let unit = |e: f64, h: f64, c: f64| {
                let mut p = full;
                p.weights.envelope = e;
                p.weights.homogeneity = h;
                p.weights.contrastive = c;
                grad(p)
            };
            let terms = [
                unit(1.0, 0.0, 0.0),
                unit(0.0, 1.0, 0.0),
                unit(0.0, 0.0, 1.0),
            ];
            for v in &file.variants {
                let cfg = grid.config(v, 0).unwrap();
                let Some(p) = cfg.method.srl else {
                    assert_eq!(v.name, VANILLA);
                    continue;
                };
                if p.homogeneity != full.homogeneity
                    || p.memory != full.memory
                    || p.surrogate != full.surrogate
                {
                    continue;
                }
                let w = [
                    p.weights.envelope,
                    p.weights.homogeneity,
                    p.weights.contrastive,
                ];
                let expected = &terms[0] * w[0] + &terms[1] * w[1] + &terms[2] * w[2];
                let got = grad(p);
                for (a, b) in got.iter().zip(&expected) {
                    approx::assert_abs_diff_eq!(a, b, epsilon = 1e-12);
                }
                // The names say which terms are gone, and those weights are zero.
                let removed = match v.name.as_str() {
                    "no-env" => vec![0],
                    "no-homo" => vec![1],
                    "no-con" => vec![2],
                    "env-only" => vec![1, 2],
                    "con-only" => vec![0, 1],
                    _ => vec![],
                };
                for t in removed {
                    assert_eq!(w[t], 0.0, "{}: term {t}", v.name);
                }
                for t in 0..3 {
                    let full_w = [
                        full.weights.envelope,
                        full.weights.homogeneity,
                        full.weights.contrastive,
                    ];
                    assert!(
                        w[t] == 0.0 || w[t] == full_w[t],
                        "{}: term {t} reweighted",
                        v.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_other_variants_change_what_their_names_say() {
        let file = committed();
        let grid = file.grid(BenchmarkId::Airfoil, Profile::Full, 1).unwrap();
        let p = |name: &str| {
            grid.config(file.variants.iter().find(|v| v.name == name).unwrap(), 0)
                .unwrap()
                .method
                .srl
                .unwrap()
        };
        let full = p(FULL);
        assert_eq!(p("warmup-0").memory.warmup_epochs, 0);
        assert_eq!(p("warmup-1").memory.warmup_epochs, 1);
        assert_ne!(full.memory.warmup_epochs, 0);
        assert_eq!(
            p("exact-memory").memory.update,
            srl_surrogate::MemoryUpdate::Exact
        );
        assert_eq!(full.memory.update, srl_surrogate::MemoryUpdate::Streaming);
        for (name, alpha) in [("alpha-0", 0.0), ("alpha-0.5", 0.5), ("alpha-0.99", 0.99)] {
            assert_eq!(p(name).memory.momentum, alpha);
            assert_eq!(p(name).weights, full.weights);
        }
        assert_eq!(
            p("batch-only").surrogate,
            srl_losses::SurrogateMode::BatchOnly
        );
        assert_eq!(full.surrogate, srl_losses::SurrogateMode::Memory);
        assert!(matches!(
            p("homo-code").homogeneity,
            srl_losses::homogeneity::HomogeneityForm::AuthorsCode { .. }
        ));
        // homo-code changes L_homo's gradient only: L_env's and L_con's are full SRL's.
        let unit = |mut q: srl_losses::SrlParams, w: [f64; 3]| {
            q.weights.envelope = w[0];
            q.weights.homogeneity = w[1];
            q.weights.contrastive = w[2];
            grad(q)
        };
        let code = p("homo-code");
        for (w, same) in [
            ([1.0, 0.0, 0.0], true),
            ([0.0, 1.0, 0.0], false),
            ([0.0, 0.0, 1.0], true),
        ] {
            let (a, b) = (unit(code, w), unit(full, w));
            let max = (&a - &b).iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert_eq!(max < 1e-12, same, "weights {w:?}: max difference {max}");
        }
    }

    /// What [`two_epochs`] saw.
    struct TwoEpochs {
        /// The SRL terms gave a gradient in epoch 0.
        active: bool,
        /// The memory row of bin 0 after the two epochs.
        row: Vec<f32>,
        /// Bin 0's mean z per epoch: of the training step, and of the no-grad pass.
        step_means: [Vec<f32>; 2],
        pass_means: [Vec<f32>; 2],
    }

    /// Two epochs of SRL's component on one fixed batch per epoch (bins 0 and 1 of 4 present)
    /// and a different full training pass (rows 0 and 1 are bin 0).
    fn two_epochs(p: srl_losses::SrlParams) -> TwoEpochs {
        use srl_train::components::{
            BuildContext, MethodComponent, SrlTerm, StepBatch, StepGrads, TrainPass,
        };
        let (k, d, m) = (4, 3, 4);
        let centres = [0.5, 1.5, 2.5, 3.5];
        let bins = [0usize, 0, 1, 1];
        let y = ndarray::Array1::<f32>::from_vec(vec![0.5, 0.5, 1.5, 1.5]);
        let ctx = BuildContext {
            num_bins: k,
            dim: d,
            bin_centres: &centres,
            train_bins: &bins,
            train_weights: None,
            train_y: y.view(),
            train_targets: &[0.5, 0.5, 1.5, 1.5],
            y_mean: 0.0,
            y_std: 1.0,
            seed: 1,
            epochs: 2,
        };
        let mut term = SrlTerm::new(&p.check().unwrap(), &ctx).unwrap();
        let mut active = false;
        let bin0 = |z: &ndarray::Array2<f32>| (&z.row(0) + &z.row(1)).mapv(|v| v / 2.0).to_vec();
        let (mut step_means, mut pass_means) = ([vec![], vec![]], [vec![], vec![]]);
        for epoch in 0..2 {
            let e = epoch as f32;
            let h = ndarray::Array2::from_shape_fn((m, d), |(i, j)| {
                1.0 + ((i * 3 + j) as f32 + e).sin()
            });
            let (z, _) = srl_geometry::normalize_rows(h.view());
            // The no-grad pass sees other features than the steps did (a moving encoder).
            let pass_h = h.mapv(|v| v * v + 0.3);
            step_means[epoch] = bin0(&z);
            pass_means[epoch] = bin0(&srl_geometry::normalize_rows(pass_h.view()).0);
            let pred = ndarray::Array1::<f32>::zeros(m);
            let mut g_pred = ndarray::Array1::<f32>::zeros(m);
            let mut g_h = ndarray::Array2::<f32>::zeros((m, d));
            let rows = [0, 1, 2, 3];
            let batch = StepBatch {
                epoch,
                step: epoch,
                stage: srl_train::Stage::Regression,
                rows: &rows,
                h: h.view(),
                z: z.view(),
                pred: pred.view(),
                y: y.view(),
                bins: &bins,
            };
            term.start_epoch(epoch).unwrap();
            term.contribute(
                &batch,
                &mut StepGrads {
                    pred: g_pred.view_mut(),
                    h: g_h.view_mut(),
                },
            )
            .unwrap();
            if epoch == 0 {
                active = g_h.iter().any(|&g| g != 0.0);
            }
            term.after_step(&batch, 1.0).unwrap();
            let pass = TrainPass {
                h: pass_h.view(),
                bins: &bins,
            };
            let pass = term.needs_train_pass(epoch).then_some(&pass);
            term.end_epoch(epoch, pass).unwrap();
        }
        TwoEpochs {
            active,
            row: term.memory().unwrap().memory().row(0).to_vec(),
            step_means,
            pass_means,
        }
    }

    #[test]
    fn the_memory_variants_change_the_training_the_way_their_names_say() {
        let file = committed();
        let grid = file.grid(BenchmarkId::Airfoil, Profile::Full, 1).unwrap();
        let params = |name: &str| {
            let v = file.variants.iter().find(|v| v.name == name).unwrap();
            grid.config(v, 0).unwrap().method.srl.unwrap()
        };
        // Warm-up: the terms are off in epoch 0 with one warm-up epoch, on without.
        assert!(!two_epochs(params("warmup-1")).active);
        assert!(two_epochs(params("warmup-0")).active);
        // The memory after two epochs (Eq. 9): S = α·Ŝ₀ + (1−α)·Ŝ₁, the epoch means taken from
        // the training steps (streaming) or from the no-grad pass over the training set (exact).
        let mut rows = Vec::new();
        for (name, alpha, exact) in [
            (FULL, 0.9f32, false),
            ("exact-memory", 0.9, true),
            ("alpha-0", 0.0, false),
            ("alpha-0.5", 0.5, false),
            ("alpha-0.99", 0.99, false),
        ] {
            let r = two_epochs(params(name));
            let means = if exact { &r.pass_means } else { &r.step_means };
            assert!(means
                .iter()
                .all(|m| m.len() == r.row.len() && r.row.len() == 3));
            for ((got, m0), m1) in r.row.iter().zip(&means[0]).zip(&means[1]) {
                approx::assert_abs_diff_eq!(*got, alpha * m0 + (1.0 - alpha) * m1, epsilon = 1e-5);
            }
            rows.push(r.row);
        }
        // ... and the settings really differ in what they leave in the memory.
        for (a, b) in rows
            .iter()
            .enumerate()
            .flat_map(|(i, a)| rows[i + 1..].iter().map(move |b| (a, b)))
        {
            assert!(
                a.iter().zip(b).any(|(x, y)| (x - y).abs() > 1e-4),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn a_variant_equal_to_full_is_not_trained_and_says_so() {
        let file = committed();
        let mut planned = Vec::new();
        for b in [BenchmarkId::Airfoil, BenchmarkId::IolLinear] {
            let grid = file.grid(b, Profile::Full, 2).unwrap();
            for v in &file.variants {
                for seed in 0..2 {
                    planned.push((b, v, seed, grid.config(v, seed).unwrap()));
                }
            }
        }
        let same = same_as_full(&planned);
        // Each preset has one of the two warm-ups: the other is the real variant.
        let expected: BTreeSet<_> = [
            (BenchmarkId::Airfoil, "warmup-1".to_string()),
            (BenchmarkId::IolLinear, "warmup-0".to_string()),
        ]
        .into();
        assert_eq!(same, expected);
        // Aggregation reads full SRL's folders for them and marks the row.
        let out = std::env::temp_dir().join(format!("srl-ablate-same-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let plan: Plan<'_> = planned
            .iter()
            .map(|(b, v, seed, cfg)| ((*b, v.name.clone(), *seed), cfg))
            .collect();
        let a = aggregate(BenchmarkId::Airfoil, &file, 2, &out, &same, &plan).unwrap();
        let row = |n: &str| a.rows.iter().find(|r| r.name == n).unwrap().same_as_full;
        assert!(row("warmup-1") && !row("warmup-0") && !row(FULL));
        let md = summary_markdown(&file, &[a], "full", &repo_root());
        assert!(
            md.contains("warmup_epochs = 1 — the preset's own setting"),
            "{md}"
        );
    }

    #[test]
    fn a_trained_variant_with_full_srls_predictions_is_flagged_identical() {
        // Committed Airfoil runs (seed 0): no-env's run is given full SRL's predictions
        // (identical), no-homo's is its own; no-con's folder holds full SRL's configuration
        // (a stale run: not counted).
        let results = repo_root().join("docs/results/ablation");
        let out = std::env::temp_dir().join(format!("srl-ablate-identical-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let b = BenchmarkId::Airfoil;
        let copy = |from: &str, to: &str, file: &str| {
            let (src, dst) = (run_dir(&results, b, from, 0), run_dir(&out, b, to, 0));
            std::fs::create_dir_all(&dst).unwrap();
            std::fs::copy(src.join(file), dst.join(file)).unwrap();
        };
        for v in [FULL, VANILLA, "no-env", "no-homo", "no-con"] {
            for f in ["config.toml", "metrics.json", run_folder::TEST_PREDICTIONS] {
                copy(v, v, f);
            }
        }
        copy(FULL, "no-env", run_folder::TEST_PREDICTIONS);
        copy(FULL, "no-con", "config.toml");
        assert_eq!(identical_to_full(&out, b, "no-env", 0..1), vec![0]);
        assert!(identical_to_full(&out, b, "no-homo", 0..1).is_empty());
        // A seed without a run on either side is not identical.
        assert!(identical_to_full(&out, b, "no-env", 1..2).is_empty());
        let file = committed();
        let grid = file.grid(b, Profile::Full, 1).unwrap();
        let configs: Vec<_> = file
            .variants
            .iter()
            .map(|v| (v.name.clone(), grid.config(v, 0).unwrap()))
            .collect();
        let plan: Plan<'_> = configs
            .iter()
            .map(|(name, cfg)| ((b, name.clone(), 0), cfg))
            .collect();
        let a = aggregate(b, &file, 1, &out, &BTreeSet::new(), &plan).unwrap();
        let row = |n: &str| a.rows.iter().find(|r| r.name == n).unwrap().clone();
        // The committed runs are of the planned configurations; the stale one is left out.
        assert_eq!(a.stale, vec!["no-con/seed0".to_string()]);
        assert!(row("no-con").seeds.is_empty() && row("no-homo").seeds == [0]);
        assert_eq!(row("no-env").identical_to_full, vec![0]);
        assert!(row("no-homo").identical_to_full.is_empty());
        assert!(row(FULL).identical_to_full.is_empty());
        // Nor in the JSON: a reference has no pairs with itself.
        assert_eq!(row(FULL).vs_full[0].pairs, 0);
        assert_eq!(row(VANILLA).vs_vanilla[1].pairs, 0);
        let md = summary_markdown(&file, &[a], "full", &repo_root());
        let line = |n: &str| {
            md.lines()
                .find(|l| l.starts_with(&format!("| {n} |")))
                .unwrap()
                .to_string()
        };
        assert!(line("no-env").contains("0/1 (1 identical)"), "{md}");
        assert!(!line("no-homo").contains("identical"), "{md}");
        // The references are not compared with themselves: "—", not "0/1".
        let cells = |n: &str| line(n).split(" | ").map(str::to_string).collect::<Vec<_>>();
        let (full, vanilla) = (cells(FULL), cells(VANILLA));
        assert_eq!(&full[7..9], ["—", "—"], "{md}");
        assert_eq!(&vanilla[9..11], ["—", "—"], "{md}");
        assert!(md.contains("Not counted: 1 finished run(s)"), "{md}");
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn training_one_benchmark_keeps_the_others_in_the_summary() {
        let out = std::env::temp_dir().join(format!("srl-ablate-scope-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let finished = |b: &str, v: &str, k: usize| {
            let dir = run_folder::sweep_run_dir(&out.join("runs"), b, v, k as u64);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("metrics.json"), "{}").unwrap();
        };
        finished("airfoil", FULL, 0);
        finished("iol-sde", VANILLA, 7);
        // An unfinished folder does not count.
        std::fs::create_dir_all(out.join("runs/abalone/full/seed0")).unwrap();
        // --only iol-linear --seeds 2: Airfoil (has runs) stays with its protocol's 5 seeds,
        // IOL-nonlinear (not in the ablation's default five) with the 8 seeds on disk.
        let s = scope(&[BenchmarkId::IolLinear], Some(2), &out).unwrap();
        assert_eq!(
            s,
            vec![
                (BenchmarkId::Airfoil, 5),
                (BenchmarkId::IolLinear, 2),
                (BenchmarkId::IolSde, 8)
            ]
        );
        // Selecting twice trains once.
        let twice = scope(
            &[BenchmarkId::IolLinear, BenchmarkId::IolLinear],
            None,
            &out,
        );
        assert_eq!(twice.unwrap().len(), 3);
        // The defaults: all five, 5 seeds on UCI-DIR and 3 on IOL-linear.
        let s = scope(&BENCHMARKS, None, &out).unwrap();
        assert_eq!(s.len(), 6);
        assert_eq!(s[5], (BenchmarkId::IolSde, 8));
        let s = &s[..5];
        assert!(s
            .iter()
            .all(|&(b, n)| n == if b.is_operator() { 3 } else { 5 }));
        assert!(scope(&BENCHMARKS, Some(0), &out).is_err());
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn a_variants_file_needs_the_references() {
        let e = VariantsFile::from_toml_str("[[variant]]\nname = \"full\"\nmethod = \"srl\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("vanilla"), "{e}");
    }
}
