//! `srl compare`: every method × fold × seed, one table, and a method choice that knows its
//! noise.
//!
//! On a table of at most [`CV_MAX_ROWS`] rows the methods are compared by k-fold
//! cross-validation over the training + validation rows of the split (k = 5, stratified by
//! target bin, folds seeded by the split seed; the test part is held out and shared by every
//! fold); above it, and on the built-in benchmarks, on the one validation part. Each method
//! trains once per fold and seed. The choice keeps the reference (vanilla) unless a method is
//! better on validation by more than the noise of the paired fold × seed differences
//! ([`srl_train::compare::select_over_noise`]). For a table the selected method's runs become one ensemble
//! (predictions averaged) in `selected/model.json`, which `srl predict` applies; the test part
//! reports the ensemble, the single models and the paired test difference to vanilla over
//! seeds. Runs are independent and deterministic, so the results do not depend on `--jobs`.

use crate::cli::CompareArgs;
use crate::data;
use crate::error::CliError;
use crate::out::{say, sayln};
use rayon::prelude::*;
use srl_data::table::{self, SplitSpec, TableSpec};
use srl_data::Benchmark;
use srl_train::compare::{
    best_run, decide, markdown_table, rule_text, test_summary, DecideParams, Decision,
    MethodResult, RunResult, Selection, DEFAULT_COMPARE_METHODS,
};
use srl_train::{
    run_folder, DataConfig, Ensemble, MethodName, Profile, RunConfig, RunReport, TrainedModel,
    ValidRunConfig,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files of the comparison itself.
const MARKDOWN: &str = "comparison.md";
const JSON: &str = "comparison.json";

/// Largest table (data rows) compared by cross-validation by default.
pub const CV_MAX_ROWS: usize = 5_000;
/// Default number of cross-validation folds.
pub const DEFAULT_FOLDS: usize = 5;

/// How the validation scores were obtained.
#[derive(Debug, Clone, serde::Serialize)]
struct Protocol {
    /// Cross-validation folds (1: the split's one validation part).
    folds: usize,
    seeds: usize,
    /// Training + validation rows folded (or the training rows of the one split).
    train_rows: usize,
    /// Validation rows of each fold (or of the one split).
    val_rows_per_fold: Vec<usize>,
    test_rows: usize,
    /// The variance correction ρ of the paired validation intervals (1/(k − 1), or 0).
    rho: f64,
    /// The reference method every other is paired with.
    reference: String,
    /// The rule's margin, as a fraction of the reference's mean validation MAE.
    min_gain: f64,
}

/// What `comparison.json` holds.
#[derive(serde::Serialize)]
struct Comparison<'a> {
    data: &'a DataConfig,
    protocol: Protocol,
    selection: Selection,
    selected: Option<String>,
    /// Why the selected method was chosen.
    rule: String,
    selected_model: Option<PathBuf>,
    methods: &'a [MethodResult],
}

/// One training run of the comparison.
struct Job {
    method: usize,
    fold: Option<usize>,
    seed: u64,
    cfg: JobConfig,
}

/// What a run trains: the network, or boosted trees (`gbdt…`).
enum JobConfig {
    Network(Box<ValidRunConfig>),
    Gbdt(Box<srl_gbdt::ValidGbdtConfig>),
}

/// What a run produced.
enum Outcome {
    Network(Box<srl_train::RunOutcome>),
    Gbdt(Box<srl_gbdt::GbdtOutcome>),
}

impl Outcome {
    fn report(&self) -> &RunReport {
        match self {
            Self::Network(o) => &o.report,
            Self::Gbdt(o) => &o.report,
        }
    }

    fn test_predictions(&self) -> &srl_train::ndarray::Array1<f64> {
        match self {
            Self::Network(o) => &o.test_predictions,
            Self::Gbdt(o) => &o.test_predictions,
        }
    }
}

/// Trains one job into its run folder.
fn run_job(j: &Job, bench: &Benchmark, dir: &Path, memory_limit: f64) -> Result<Outcome, CliError> {
    run_folder::prepare_dir(dir, true)?;
    match &j.cfg {
        JobConfig::Network(cfg) => {
            let control = srl_train::RunControl {
                out_dir: Some(dir),
                memory_limit: Some(memory_limit),
                ..Default::default()
            };
            let outcome = srl_train::run_with(cfg, bench, &control, &mut |_| {})?;
            Ok(Outcome::Network(Box::new(outcome)))
        }
        JobConfig::Gbdt(cfg) => {
            // One engine thread per run: the runs themselves share the workers.
            let outcome = srl_gbdt::fit(cfg, bench, 1)?;
            srl_gbdt::write_run(dir, cfg, bench, &outcome)?;
            Ok(Outcome::Gbdt(Box::new(outcome)))
        }
    }
}

/// Runs `srl compare`.
pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    let Some(data_cfg) = args.data.to_data_config()? else {
        return Err(CliError::Usage(
            "say what to compare on: --csv FILE --target COL, or --benchmark NAME".into(),
        ));
    };
    if args.seeds == 0 {
        return Err(CliError::Usage("--seeds must be at least 1".into()));
    }
    if !(args.min_gain.is_finite() && args.min_gain >= 0.0) {
        return Err(CliError::Usage(format!(
            "--min-gain {}: must be a percentage ≥ 0",
            args.min_gain
        )));
    }
    if args.folds == Some(0) {
        return Err(CliError::Usage("--folds must be at least 1".into()));
    }
    let mut methods: Vec<MethodName> = match &args.methods {
        Some(m) if !m.is_empty() => m.clone(),
        _ => DEFAULT_COMPARE_METHODS
            .iter()
            .map(|m| m.parse())
            .collect::<Result<_, _>>()?,
    };
    // The reference is vanilla, or with --resample the resampled vanilla network.
    let reference = methods.iter().position(MethodName::is_vanilla).unwrap_or(0);
    if let Some(r) = &args.resample {
        methods = methods
            .iter()
            .map(|m| m.with_resampler(r))
            .collect::<Result<_, _>>()?;
    }
    let selection = args.select;
    // The data first (cheap, and a bad file then leaves no folder behind): the split as the
    // user gave it, then the folds.
    let bench = data::load(&data_cfg, &args.data)?;
    if selection == Selection::Sera && bench.relevance.is_none() {
        return Err(CliError::Usage(format!(
            "--select sera needs the relevance φ of the targets, and this data has none: {}",
            bench
                .relevance_error
                .as_deref()
                .unwrap_or("no relevance function")
        )));
    }
    let folds = match &data_cfg {
        DataConfig::Csv(_) => {
            let rows = bench.train.len() + bench.val.len() + bench.test.len();
            args.folds.unwrap_or(if rows <= CV_MAX_ROWS {
                DEFAULT_FOLDS
            } else {
                1
            })
        }
        DataConfig::Benchmark { .. } => 1,
    };
    let pool_rows = bench.train.len() + bench.val.len();
    if folds > 1 && pool_rows / folds < 5 {
        return Err(CliError::Usage(format!(
            "{folds} folds of {pool_rows} training + validation rows leave fewer than 5 rows \
             per fold; use fewer --folds"
        )));
    }
    let fold_spec = |t: &TableSpec, f: usize| -> TableSpec {
        let mut t = t.clone();
        t.split = SplitSpec::CrossValidation {
            outer: Box::new(t.split.clone()),
            folds,
            fold: f,
            seed: t.split_seed,
        };
        t
    };
    let fold_cfg = |f: usize| -> DataConfig {
        match &data_cfg {
            DataConfig::Csv(t) => DataConfig::Csv(fold_spec(t, f)),
            other => other.clone(),
        }
    };
    let fold_ids: Vec<Option<usize>> = if folds > 1 {
        (0..folds).map(Some).collect()
    } else {
        vec![None]
    };
    // Every fold from one read of the file: the folds share its rows, layout and hash.
    let fold_benches: Vec<Benchmark> = match &data_cfg {
        DataConfig::Csv(spec) if folds > 1 => {
            let (raw, layout, sha256) = table::read_table(spec)?;
            (0..folds)
                .map(|f| {
                    let s = fold_spec(spec, f);
                    let (split, fixed_bins) = table::split_rows(&s, &raw)?;
                    table::prepare_split(&s, &raw, layout, sha256.clone(), split, fixed_bins)
                })
                .collect::<Result<_, _>>()?
        }
        _ => Vec::new(),
    };
    let bench_of = |fold: Option<usize>| fold.map_or(&bench, |f| &fold_benches[f]);

    // Every configuration is built and checked before any work.
    let mut jobs = Vec::new();
    for (mi, method) in methods.iter().enumerate() {
        for &fold in &fold_ids {
            for seed in 0..args.seeds as u64 {
                if !method.is_network() {
                    let data = fold.map_or_else(|| data_cfg.clone(), fold_cfg);
                    let cfg = srl_gbdt::GbdtConfig::new(data, method.clone(), seed).check()?;
                    jobs.push(Job {
                        method: mi,
                        fold,
                        seed,
                        cfg: JobConfig::Gbdt(Box::new(cfg)),
                    });
                    continue;
                }
                let mut cfg = match &data_cfg {
                    DataConfig::Csv(t) => RunConfig::table_preset(
                        t.clone(),
                        method,
                        args.profile.unwrap_or(Profile::Full),
                    )?,
                    DataConfig::Benchmark { name, .. } => {
                        let mut c = RunConfig::preset(
                            *name,
                            method,
                            args.profile.unwrap_or(Profile::Quick),
                        )?;
                        c.data = data_cfg.clone();
                        c
                    }
                };
                if let Some(f) = fold {
                    cfg.data = fold_cfg(f);
                }
                cfg.seed = seed;
                jobs.push(Job {
                    method: mi,
                    fold,
                    seed,
                    cfg: JobConfig::Network(Box::new(cfg.check()?)),
                });
            }
        }
    }
    // A resampler needs rare targets in every fold's training part: checked (by resampling
    // each fold once) before any run starts, so a comparison does not fail half-way.
    for j in jobs.iter().filter(|j| j.seed == 0) {
        let spec = match &j.cfg {
            JobConfig::Network(cfg) => cfg.method_params().resample.clone(),
            JobConfig::Gbdt(cfg) => cfg.resample.clone(),
        };
        if let Some(spec) = spec {
            srl_train::resample::resample_training_part(bench_of(j.fold), &spec, 0).map_err(
                |e| {
                    CliError::Usage(format!(
                        "{} cannot run on this data{}: {}",
                        methods[j.method],
                        j.fold.map_or(String::new(), |f| format!(" (fold {f})")),
                        CliError::from(e).one_line()
                    ))
                },
            )?;
        }
    }
    // Every run's memory estimate is checked before the folder is made and the first starts.
    let limit = args.memory_limit * crate::train::GIB;
    for j in &jobs {
        if let JobConfig::Network(cfg) = &j.cfg {
            srl_train::MemoryEstimate::of(cfg, bench_of(j.fold)).check(limit)?;
        }
    }
    prepare_out(&args.out, args.force)?;
    if let Some(t) = bench.table.as_deref() {
        eprintln!("bins: {}", t.bins_rule);
        for w in &t.warnings {
            eprintln!("warning: {w}");
        }
    }
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let val_rows: Vec<usize> = if folds > 1 {
        fold_benches.iter().map(|b| b.val.len()).collect()
    } else {
        vec![bench.val.len()]
    };
    let protocol_text = describe_protocol(folds, args.seeds, &bench, &val_rows);
    eprintln!(
        "comparing {} method(s) × {} = {} runs on {} ({protocol_text}), {} at a time -> {}",
        methods.len(),
        if folds > 1 {
            format!("{folds} folds × {} seed(s)", args.seeds)
        } else {
            format!("{} seed(s)", args.seeds)
        },
        jobs.len(),
        data::describe(&data_cfg),
        threads,
        args.out.display()
    );
    let started = std::time::Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start {threads} worker threads: {e}")))?;
    let done = AtomicUsize::new(0);
    let total = jobs.len();
    let results: Vec<Result<Outcome, CliError>> = pool.install(|| {
        jobs.par_iter()
            .map(|j| {
                let dir = run_dir(&args.out, &methods[j.method], j.fold, j.seed);
                let outcome = run_job(j, bench_of(j.fold), &dir, limit)?;
                let r = outcome.report();
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!(
                    "[{k}/{total}] {}{} seed {}: val MAE {:.4}, best {} {} of {}, {:.1} s",
                    methods[j.method],
                    j.fold.map_or(String::new(), |f| format!(" fold {f}")),
                    j.seed,
                    r.val.all.mae.unwrap_or(f64::NAN),
                    if methods[j.method].is_network() {
                        "epoch"
                    } else {
                        "round"
                    },
                    r.best_epoch,
                    r.epochs_run,
                    r.seconds_total
                );
                Ok(outcome)
            })
            .collect()
    });
    let mut outcomes: Vec<Vec<Outcome>> = (0..methods.len()).map(|_| Vec::new()).collect();
    for (j, r) in jobs.iter().zip(results) {
        let r = r.map_err(|e| {
            CliError::Usage(format!(
                "run {}{} seed {} failed: {}",
                methods[j.method],
                j.fold.map_or(String::new(), |f| format!(" fold {f}")),
                j.seed,
                e.one_line()
            ))
        })?;
        outcomes[j.method].push(r);
    }
    let seconds = started.elapsed().as_secs_f64();

    // Every method's runs come in the same (fold, seed) order, so the pairs line up.
    let keys: Vec<(Option<usize>, u64)> = jobs
        .iter()
        .filter(|j| j.method == 0)
        .map(|j| (j.fold, j.seed))
        .collect();
    let runs: Vec<Vec<RunResult<'_>>> = outcomes
        .iter()
        .map(|o| {
            o.iter()
                .zip(&keys)
                .map(|(x, &(fold, seed))| RunResult {
                    fold,
                    seed,
                    report: x.report(),
                    test_predictions: x.test_predictions(),
                })
                .collect()
        })
        .collect();
    let params = DecideParams {
        selection,
        reference,
        min_gain: args.min_gain / 100.0,
        folds,
    };
    let test_y = bench.test.y.to_vec();
    let Decision {
        results,
        chosen,
        rule,
    } = decide(&methods, &runs, &test_y, &bench.test.shots, &params)?;
    let reference_name = methods[reference].to_string();

    // The delivered model: every run of the chosen method as one ensemble (tables), or the
    // validation-best run (benchmarks, whose models predict prepared rows only).
    let selected_dir = args.out.join("selected");
    let selected_model = selected_dir.join(run_folder::MODEL);
    match &data_cfg {
        DataConfig::Csv(_) => {
            run_folder::prepare_dir(&selected_dir, true)?;
            save_ensemble(&outcomes[chosen], &selected_model)?;
        }
        DataConfig::Benchmark { .. } => {
            let reports: Vec<RunReport> = outcomes[chosen]
                .iter()
                .map(|o| o.report().clone())
                .collect();
            if let Some(&(fold, seed)) = best_run(&reports, selection).and_then(|i| keys.get(i)) {
                copy_run(
                    &run_dir(&args.out, &methods[chosen], fold, seed),
                    &selected_dir,
                )?;
            }
        }
    }

    let protocol = Protocol {
        folds,
        seeds: args.seeds,
        train_rows: if folds > 1 {
            pool_rows
        } else {
            bench.train.len()
        },
        val_rows_per_fold: val_rows.clone(),
        test_rows: bench.test.len(),
        rho: params.rho(),
        reference: reference_name.clone(),
        min_gain: params.min_gain,
    };
    let table = markdown_table(&results, chosen, reference, folds > 1, selection);
    let mut test_line = test_summary(&results, chosen, reference, folds > 1);
    if matches!(data_cfg, DataConfig::Benchmark { .. }) {
        test_line.push_str(" The model copied to `selected/` is its validation-best single run.");
    }
    let md = format!(
        "# Method comparison on {}\n\n{protocol_text}. MAE in target units. Validation: mean ± \
         sample std over the {} runs of each method; Δ val: the paired difference to \
         {reference_name} over the same folds × seeds with its 95 % interval{}. Selection rule: \
         {}. Test numbers are reported, never used to choose.\n\n{table}\n{rule}.\n\n{test_line}\n\n\
         Selected model: `selected/model.json` — {}.\n",
        data::describe(&data_cfg),
        jobs.len() / methods.len(),
        if folds > 1 {
            format!(" (Nadeau–Bengio corrected for overlapping folds, ρ = 1/{})", folds - 1)
        } else {
            String::new()
        },
        rule_text(selection, params.min_gain, &reference_name),
        match &data_cfg {
            DataConfig::Csv(_) => format!(
                "the {} runs of {} averaged (`srl predict` applies it)",
                outcomes[chosen].len(),
                methods[chosen]
            ),
            DataConfig::Benchmark { .. } => format!(
                "the validation-best run of {} (a copy of its run folder)",
                methods[chosen]
            ),
        }
    );
    srl_data::atomic::write_atomic(&args.out.join(MARKDOWN), md.as_bytes())?;
    let json = serde_json::to_string_pretty(&Comparison {
        data: &data_cfg,
        protocol,
        selection,
        selected: Some(methods[chosen].to_string()),
        rule: rule.clone(),
        selected_model: Some(selected_model.clone()),
        methods: &results,
    })
    .map_err(|e| CliError::Serialise {
        what: "comparison",
        reason: e.to_string(),
    })?;
    srl_data::atomic::write_atomic(&args.out.join(JSON), json.as_bytes())?;
    sayln(&format!("{protocol_text}."))?;
    say(&table)?;
    sayln(&format!("{rule}."))?;
    sayln(&test_line)?;
    sayln(&format!(
        "selected {}; model: {} ({} runs in {:.1} s)",
        methods[chosen],
        selected_model.display(),
        jobs.len(),
        seconds
    ))?;
    Ok(())
}

/// Saves the runs of one method as one averaged model (networks or trees).
fn save_ensemble(runs: &[Outcome], path: &Path) -> Result<(), CliError> {
    let mut networks: Vec<TrainedModel> = Vec::new();
    let mut trees: Vec<srl_gbdt::GbdtModel> = Vec::new();
    for o in runs {
        match o {
            Outcome::Network(o) => networks.push(o.model.clone()),
            Outcome::Gbdt(o) => trees.push(o.model.clone()),
        }
    }
    if trees.is_empty() {
        Ensemble::new(networks)?.save(path)?;
    } else {
        srl_gbdt::GbdtModel::ensemble(trees)?.save(path)?;
    }
    Ok(())
}

/// "5-fold cross-validation over 338 …" — what the numbers are computed on.
fn describe_protocol(folds: usize, seeds: usize, bench: &Benchmark, val_rows: &[usize]) -> String {
    let (lo, hi) = (
        val_rows.iter().min().copied().unwrap_or(0),
        val_rows.iter().max().copied().unwrap_or(0),
    );
    if folds > 1 {
        format!(
            "{folds}-fold cross-validation (stratified by target bin) over the {} training + \
             validation rows ({} validation rows per fold) × {seeds} seed(s) = {} paired \
             validation scores per method; {} test rows held out",
            bench.train.len() + bench.val.len(),
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            },
            folds * seeds,
            bench.test.len()
        )
    } else {
        format!(
            "one split: {} training / {} validation / {} test rows × {seeds} seed(s)",
            bench.train.len(),
            bench.val.len(),
            bench.test.len()
        )
    }
}

fn run_dir(out: &Path, method: &MethodName, fold: Option<usize>, seed: u64) -> PathBuf {
    let mut d = out.join("runs").join(method.to_string());
    if let Some(f) = fold {
        d = d.join(format!("fold{f}"));
    }
    d.join(run_folder::seed_dir(seed))
}

/// Refuses a folder holding an earlier comparison unless `force` (then removes its files).
fn prepare_out(out: &Path, force: bool) -> Result<(), CliError> {
    let earlier = out.join(JSON);
    if earlier.exists() || out.join(MARKDOWN).exists() {
        if !force {
            return Err(srl_train::TrainError::OutputExists {
                dir: out.to_path_buf(),
                file: JSON.into(),
            }
            .into());
        }
        for sub in ["runs", "selected"] {
            let d = out.join(sub);
            if d.exists() {
                std::fs::remove_dir_all(&d).map_err(|e| CliError::io("remove", &d, e))?;
            }
        }
        for f in [JSON, MARKDOWN] {
            let p = out.join(f);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| CliError::io("remove", &p, e))?;
            }
        }
    }
    run_folder::prepare_dir(out, false)?;
    Ok(())
}

/// Copies a run folder's files.
fn copy_run(src: &Path, dst: &Path) -> Result<(), CliError> {
    run_folder::prepare_dir(dst, true)?;
    for f in run_folder::RUN_FILES {
        let from = src.join(f);
        if from.is_file() {
            let bytes = std::fs::read(&from).map_err(|e| CliError::io("read", &from, e))?;
            srl_data::atomic::write_atomic(&dst.join(f), &bytes)?;
        }
    }
    Ok(())
}
