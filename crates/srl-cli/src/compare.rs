//! `srl compare`: every method × seed on one split, one table, the validation-best method kept.
//!
//! Each run is an ordinary run folder (`<out>/runs/<method>/seed<k>/`); the comparison is
//! written to `comparison.md` and `comparison.json`, and the selected method's validation-best
//! run is copied to `<out>/selected/` (its `model.json` is what `srl predict` takes). Runs are
//! independent and deterministic, so the results do not depend on `--jobs`.

use crate::cli::{CompareArgs, ProfileArg, SelectArg};
use crate::data;
use crate::error::CliError;
use crate::out::{say, sayln};
use rayon::prelude::*;
use srl_train::compare::{
    best_run, markdown_table, select, summarise, MethodSummary, Selection, DEFAULT_COMPARE_METHODS,
};
use srl_train::{run_folder, DataConfig, MethodName, RunConfig, RunReport};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files of the comparison itself.
const MARKDOWN: &str = "comparison.md";
const JSON: &str = "comparison.json";

/// What `comparison.json` holds.
#[derive(serde::Serialize)]
struct Comparison<'a> {
    data: &'a DataConfig,
    seeds: usize,
    selection: Selection,
    selected: Option<String>,
    selected_run: Option<PathBuf>,
    methods: &'a [MethodSummary],
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
    let methods: Vec<MethodName> = match &args.methods {
        Some(m) if !m.is_empty() => m.clone(),
        _ => DEFAULT_COMPARE_METHODS
            .iter()
            .map(|m| m.parse())
            .collect::<Result<_, _>>()?,
    };
    let selection = match args.select {
        SelectArg::All => Selection::All,
        SelectArg::Few => Selection::Few,
    };
    // Every configuration is built and checked before any work.
    let mut jobs = Vec::new();
    for (mi, method) in methods.iter().enumerate() {
        for seed in 0..args.seeds as u64 {
            let mut cfg = match &data_cfg {
                DataConfig::Csv(t) => RunConfig::table_preset(
                    t.clone(),
                    method,
                    args.profile.unwrap_or(ProfileArg::Full).to_profile(),
                )?,
                DataConfig::Benchmark { name, .. } => {
                    let mut c = RunConfig::preset(
                        *name,
                        method,
                        args.profile.unwrap_or(ProfileArg::Quick).to_profile(),
                    )?;
                    c.data = data_cfg.clone();
                    c
                }
            };
            cfg.seed = seed;
            cfg.validate()?;
            jobs.push((mi, seed, cfg));
        }
    }
    // The data first (cheap, and a bad file then leaves no folder behind), then the output
    // folder — both before any training.
    let bench = data::load(&data_cfg, &args.data)?;
    // Every run's memory estimate is checked before the folder is made and the first starts.
    let limit = args.memory_limit * crate::train::GIB;
    for (_, _, cfg) in &jobs {
        srl_train::MemoryEstimate::of(cfg, &bench).check(limit)?;
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
    eprintln!(
        "comparing {} method(s) × {} seed(s) = {} runs on {} ({} train / {} val / {} test), {} \
         at a time -> {}",
        methods.len(),
        args.seeds,
        jobs.len(),
        data::describe(&data_cfg),
        bench.train.len(),
        bench.val.len(),
        bench.test.len(),
        threads,
        args.out.display()
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start {threads} worker threads: {e}")))?;
    let done = AtomicUsize::new(0);
    let total = jobs.len();
    let results: Vec<Result<RunReport, CliError>> = pool.install(|| {
        jobs.par_iter()
            .map(|(mi, seed, cfg)| {
                let dir = run_dir(&args.out, &methods[*mi], *seed);
                run_folder::prepare_dir(&dir, true)?;
                let control = srl_train::RunControl {
                    out_dir: Some(&dir),
                    memory_limit: Some(limit),
                    ..Default::default()
                };
                let outcome = srl_train::run_with(cfg, &bench, &control, &mut |_| {})?;
                let r = outcome.report;
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!(
                    "[{k}/{total}] {} seed {seed}: val MAE {:.4}, best epoch {} of {}, {:.1} s",
                    methods[*mi],
                    r.val.all.mae.unwrap_or(f64::NAN),
                    r.best_epoch,
                    r.epochs_run,
                    r.seconds_total
                );
                Ok(r)
            })
            .collect()
    });
    let mut per_method: Vec<Vec<RunReport>> = vec![Vec::new(); methods.len()];
    for ((mi, seed, _), r) in jobs.iter().zip(results) {
        let r = r.map_err(|e| {
            CliError::Usage(format!(
                "run {} seed {seed} failed: {}",
                methods[*mi],
                e.one_line()
            ))
        })?;
        per_method[*mi].push(r);
    }
    let summaries: Vec<MethodSummary> = methods
        .iter()
        .zip(&per_method)
        .map(|(m, r)| summarise(m, r))
        .collect();
    let chosen = select(&summaries, selection);
    let selected_run = chosen.and_then(|i| {
        best_run(&per_method[i], selection).map(|s| run_dir(&args.out, &methods[i], s as u64))
    });
    if let Some(src) = &selected_run {
        copy_run(src, &args.out.join("selected"))?;
    }
    let table = markdown_table(&summaries, chosen);
    let rule = match selection {
        Selection::All => "lowest mean validation MAE (All)",
        Selection::Few => "lowest mean validation MAE of the few-shot samples",
    };
    let selected_name = chosen.map(|i| methods[i].to_string());
    let mut md = format!(
        "# Method comparison on {}\n\nMAE in target units, mean ± sample std over {} seed(s); \
         one split for every run ({} train / {} validation / {} test rows). Selection: {rule} \
         — test numbers are reported, never used to choose.\n\n{table}\n",
        data::describe(&data_cfg),
        args.seeds,
        bench.train.len(),
        bench.val.len(),
        bench.test.len()
    );
    if let (Some(name), Some(dir)) = (&selected_name, &selected_run) {
        md.push_str(&format!(
            "Selected: **{name}**; its validation-best run ({}) is copied to `selected/`.\n",
            dir.strip_prefix(&args.out).unwrap_or(dir).display()
        ));
    }
    srl_data::atomic::write_atomic(&args.out.join(MARKDOWN), md.as_bytes())?;
    let json = serde_json::to_string_pretty(&Comparison {
        data: &data_cfg,
        seeds: args.seeds,
        selection,
        selected: selected_name.clone(),
        selected_run: selected_run.clone(),
        methods: &summaries,
    })
    .map_err(|e| CliError::Serialise {
        what: "comparison",
        reason: e.to_string(),
    })?;
    srl_data::atomic::write_atomic(&args.out.join(JSON), json.as_bytes())?;
    say(&table)?;
    match selected_name {
        Some(name) => sayln(&format!(
            "selected {name} ({rule}); model: {}",
            args.out.join("selected").join(run_folder::MODEL).display()
        ))?,
        None => sayln("no method has a finite validation MAE; nothing selected")?,
    }
    Ok(())
}

fn run_dir(out: &Path, method: &MethodName, seed: u64) -> PathBuf {
    out.join("runs")
        .join(method.to_string())
        .join(format!("seed{seed}"))
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
