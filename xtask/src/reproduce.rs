//! `cargo xtask reproduce`: train every method on every benchmark over several seeds with the
//! release `srl` binary, then write the result tables, figures and a summary.
//!
//! Steps:
//! 1. build `srl` with `cargo build --release -p srl-cli` (xtask itself stays unoptimised);
//! 2. make sure the data is there (`srl fetch`, or a clear message how to provide it);
//! 3. write the preset configuration of every run with `srl config` into `configs/` (the
//!    exact configs of the tables);
//! 4. run `srl train --config … --out runs/<benchmark>/<method>/seed<k>` for all runs, J at a
//!    time, each run's output captured in `logs/<benchmark>/<method>-seed<k>.log`;
//! 5. aggregate into `<benchmark>.md/.json` (see [`crate::tables`]), draw `figures/` (see
//!    [`crate::figures`]) and write `summary.md/.json` with the commit, date, machine, wall
//!    time and command line.
//!
//! Profiles: `--quick` (default; the README's main command, minutes on 2 cores) and `--full`
//! (the paper's sizes: 5 seeds, IOL 20k/40k iterations; hours).

use crate::runner::{self, Job, JobResult, OnFailure};
use crate::{figures, tables};
use srl_train::RunConfig;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The benchmarks of the paper's tables, in order.
pub const ALL_BENCHMARKS: &[&str] = srl_data::BENCHMARKS;

/// The methods compared.
pub const METHODS: &[&str] = &["vanilla", "srl"];

/// Flags of `cargo xtask reproduce`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReproduceArgs {
    /// Small epochs and 2 seeds; the whole run takes minutes (the default profile).
    #[arg(long, conflicts_with = "full")]
    pub quick: bool,
    /// Paper-sized runs: 5 seeds, 300 epochs on UCI-DIR, 20k/40k IOL iterations (hours).
    #[arg(long)]
    pub full: bool,
    /// Comma-separated benchmarks to run [default: airfoil,abalone,concrete,real-estate,
    /// iol-linear,iol-sde].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub only: Vec<String>,
    /// Number of seeds per method and benchmark [default: 2 quick, 5 full].
    #[arg(long, value_name = "N")]
    pub seeds: Option<usize>,
    /// Runs in parallel [default: the available cores].
    #[arg(long, value_name = "J")]
    pub jobs: Option<usize>,
    /// Data directory [default: $SRL_DATA_DIR, else datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Import missing datasets from this folder (files you downloaded by hand).
    #[arg(long, value_name = "DIR")]
    pub from_dir: Option<PathBuf>,
    /// Output folder [default: docs/results/PROFILE].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the figures.
    #[arg(long)]
    pub no_figures: bool,
    /// Rebuild tables, figures and summary from the runs already in the output folder (no
    /// training); the original run's provenance is kept from its summary.json.
    #[arg(long)]
    pub aggregate_only: bool,
    /// Keep the finished runs of an earlier invocation into the same output folder (a
    /// `metrics.json` and the same configuration) and train only the missing or unfinished
    /// ones: continues after an interrupted session, or adds seeds. Kept runs are listed in
    /// the summary with the commit that trained them.
    #[arg(long, conflicts_with = "aggregate_only")]
    pub resume: bool,
}

/// What to run: profile, benchmarks, methods, seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `quick` or `full`.
    pub profile: &'static str,
    /// Benchmarks in table order.
    pub benchmarks: Vec<String>,
    /// Seeds `0..seeds`.
    pub seeds: usize,
}

/// One training run of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// Benchmark.
    pub benchmark: String,
    /// Method.
    pub method: &'static str,
    /// Training seed.
    pub seed: u64,
}

impl RunSpec {
    /// `airfoil/srl/seed0`.
    pub fn name(&self) -> String {
        format!("{}/{}/seed{}", self.benchmark, self.method, self.seed)
    }

    /// `configs/airfoil-srl-seed0.toml` under `out`.
    pub fn config_path(&self, out: &Path) -> PathBuf {
        out.join("configs").join(format!(
            "{}-{}-seed{}.toml",
            self.benchmark, self.method, self.seed
        ))
    }

    /// `runs/airfoil/srl/seed0` under `out`.
    pub fn run_dir(&self, out: &Path) -> PathBuf {
        out.join("runs")
            .join(&self.benchmark)
            .join(self.method)
            .join(format!("seed{}", self.seed))
    }

    /// `logs/airfoil/srl-seed0.log` under `out`.
    pub fn log_path(&self, out: &Path) -> PathBuf {
        out.join("logs")
            .join(&self.benchmark)
            .join(format!("{}-seed{}.log", self.method, self.seed))
    }
}

impl Plan {
    /// The plan the flags describe; unknown benchmarks and zero seeds are errors.
    pub fn from_args(args: &ReproduceArgs) -> Result<Plan, String> {
        let profile = if args.full { "full" } else { "quick" };
        let mut benchmarks: Vec<String> = Vec::new();
        if args.only.is_empty() {
            benchmarks.extend(ALL_BENCHMARKS.iter().map(|s| s.to_string()));
        } else {
            for b in &args.only {
                let b = b.trim();
                if b.is_empty() {
                    continue;
                }
                if !ALL_BENCHMARKS.contains(&b) {
                    return Err(format!(
                        "unknown benchmark `{b}` in --only (known: {})",
                        ALL_BENCHMARKS.join(", ")
                    ));
                }
                if !benchmarks.iter().any(|x| x == b) {
                    benchmarks.push(b.to_string());
                }
            }
            // Table order, whatever the order of the flag.
            benchmarks.sort_by_key(|b| ALL_BENCHMARKS.iter().position(|x| x == b));
        }
        if benchmarks.is_empty() {
            return Err("--only selects no benchmark".into());
        }
        let seeds = args.seeds.unwrap_or(if profile == "full" { 5 } else { 2 });
        if seeds == 0 {
            return Err("--seeds must be at least 1".into());
        }
        Ok(Plan {
            profile,
            benchmarks,
            seeds,
        })
    }

    /// Every run, benchmark-major, then seed, then method (so both methods of a seed finish
    /// close together).
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut out = Vec::new();
        for b in &self.benchmarks {
            for seed in 0..self.seeds as u64 {
                for m in METHODS {
                    out.push(RunSpec {
                        benchmark: b.clone(),
                        method: m,
                        seed,
                    });
                }
            }
        }
        out
    }
}

/// The repository root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Runs `cargo xtask reproduce`.
pub fn run(args: &ReproduceArgs) -> Result<(), String> {
    let start = Instant::now();
    let plan = Plan::from_args(args)?;
    let root = repo_root();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs").join("results").join(plan.profile));
    if args.aggregate_only {
        return aggregate_existing(args, &out);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).max(1);
    let runs = plan.runs();
    eprintln!(
        "reproduce ({}): {} benchmark(s) × {} methods × {} seed(s) = {} runs, {} at a time -> {}",
        plan.profile,
        plan.benchmarks.len(),
        METHODS.len(),
        plan.seeds,
        runs.len(),
        jobs,
        out.display()
    );

    let srl = build_srl(&root)?;
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    ensure_data(&srl, &data_dir, &plan.benchmarks, args.from_dir.as_deref())?;
    prepare_out_dir(&out, &plan, args.resume)?;
    for spec in &runs {
        write_config(&srl, spec, plan.profile, &out)?;
    }
    let (kept, mut to_train): (Vec<&RunSpec>, Vec<&RunSpec>) = runs
        .iter()
        .partition(|spec| args.resume && finished_with_same_config(spec, &out));
    longest_first(&mut to_train);
    for spec in &to_train {
        clear_run(spec, &out)?;
    }
    let kept_runs: Vec<String> = kept.iter().map(|spec| describe_kept(spec, &out)).collect();
    if args.resume {
        eprintln!(
            "--resume: keeping {} finished run(s), training {}",
            kept.len(),
            to_train.len()
        );
    }
    let commit = git_commit(&root);

    // Each child gets an equal share of the cores for its own threads.
    let threads_per_job = (cores / jobs).max(1).to_string();
    let job_list: Vec<Job> = to_train
        .iter()
        .map(|spec| Job {
            name: spec.name(),
            program: srl.clone(),
            args: train_args(spec, &out, &data_dir),
            env: vec![("RAYON_NUM_THREADS".into(), threads_per_job.clone())],
            log: spec.log_path(&out),
        })
        .collect();
    let train_start = Instant::now();
    // A failed seed (say, a diverged run) does not stop the others: the tables are written
    // from the runs that finished, the summary lists the failures and the exit code says so.
    let results = runner::run_jobs(job_list, jobs, OnFailure::KeepGoing, &|r, done, total| {
        let status = if r.success { "ok" } else { "FAILED" };
        eprintln!("[{done}/{total}] {} {status} ({:.1} s)", r.name, r.seconds);
    });
    let train_seconds = train_start.elapsed().as_secs_f64();
    for spec in &to_train {
        if results.iter().any(|r| r.success && r.name == spec.name()) {
            write_provenance(spec, &out, &commit)?;
        }
    }
    let failure = describe_failures(&results, to_train.len());
    if kept.is_empty() && results.iter().all(|r| !r.success) {
        return Err(failure.unwrap_or_else(|| "no run finished".into()));
    }
    let failed_runs: Vec<String> = results
        .iter()
        .filter(|r| !r.success)
        .map(|r| r.name.clone())
        .collect();

    let meta = RunMeta {
        profile: plan.profile.to_string(),
        command: command_line(),
        commit,
        date_utc: utc_now(),
        cores,
        jobs,
        seeds: plan.seeds,
        benchmarks: plan.benchmarks.clone(),
        wall_seconds: 0.0,
        train_seconds,
        data_dir: data_dir.display().to_string(),
        failed_runs,
        regenerated: None,
        kept_runs,
    };
    write_outputs(&out, meta, args.no_figures, Some(start))?;
    match failure {
        Some(message) => Err(format!(
            "{message}; the tables above were written from the runs that finished"
        )),
        None => Ok(()),
    }
}

/// `--aggregate-only`: rebuilds tables, figures and summary from the runs already in `out`
/// (after a change of the table format, or after removing a benchmark's runs). The provenance
/// of the original reproduction (command, commit, date, wall time) is read from
/// `summary.json` and kept; the summary says when and at which commit it was regenerated.
fn aggregate_existing(args: &ReproduceArgs, out: &Path) -> Result<(), String> {
    let summary = out.join("summary.json");
    let text = std::fs::read_to_string(&summary).map_err(|e| {
        format!(
            "--aggregate-only needs the summary.json of a finished reproduction in {}: {e}",
            out.display()
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("cannot parse {}: {e}", summary.display()))?;
    let mut meta: RunMeta = serde_json::from_value(value["meta"].clone())
        .map_err(|e| format!("cannot read the provenance in {}: {e}", summary.display()))?;
    let runs_dir = out.join("runs");
    meta.benchmarks = if args.only.is_empty() {
        ALL_BENCHMARKS
            .iter()
            .filter(|b| runs_dir.join(b).is_dir())
            .map(|b| b.to_string())
            .collect()
    } else {
        Plan::from_args(args)?.benchmarks
    };
    if meta.benchmarks.is_empty() {
        return Err(format!("no benchmark runs under {}", runs_dir.display()));
    }
    meta.regenerated = Some(format!(
        "{} at commit `{}` by `{}`",
        utc_now(),
        git_commit(&repo_root()),
        command_line()
    ));
    write_outputs(out, meta, args.no_figures, None)
}

/// Aggregates the runs of `meta.benchmarks` under `out/runs` into the per-benchmark tables, the
/// figures and `summary.md/.json`, and prints where they are. `started` (a fresh run) sets the
/// total wall time; regenerated outputs keep the original one.
fn write_outputs(
    out: &Path,
    mut meta: RunMeta,
    no_figures: bool,
    started: Option<Instant>,
) -> Result<(), String> {
    let runs_dir = out.join("runs");
    let mut tables_written = Vec::new();
    let mut bench_tables = Vec::new();
    for b in &meta.benchmarks {
        let reports = tables::collect_reports(&runs_dir, b)?;
        let table = tables::aggregate(b, &reports);
        let (md, json) = table.write(out)?;
        tables_written.push(md);
        tables_written.push(json);
        bench_tables.push(table);
    }
    let figures_written = if no_figures {
        Vec::new()
    } else {
        eprintln!("drawing figures…");
        figures::make_all(&runs_dir, &out.join("figures"), &meta.benchmarks)?
    };
    if let Some(start) = started {
        meta.wall_seconds = start.elapsed().as_secs_f64();
    }
    let figure_names: Vec<String> = figures_written
        .iter()
        .filter_map(|p| p.strip_prefix(out).ok())
        .map(|p| p.display().to_string())
        .collect();
    let summary_md = out.join("summary.md");
    write_file(
        &summary_md,
        &summary_markdown(&meta, &bench_tables, &figure_names),
    )?;
    let summary_json = out.join("summary.json");
    let json = serde_json::json!({
        "meta": meta,
        "tables": bench_tables,
        "figures": figure_names,
    });
    write_file(
        &summary_json,
        &(serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n"),
    )?;

    match &meta.regenerated {
        Some(_) => println!("reproduce ({}): outputs regenerated", meta.profile),
        None => println!(
            "reproduce ({}) finished in {}",
            meta.profile,
            human_duration(meta.wall_seconds)
        ),
    }
    println!("summary: {}", summary_md.display());
    for t in tables_written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        println!("table:   {}", t.display());
    }
    if !figures_written.is_empty() {
        println!(
            "figures: {} ({} files)",
            out.join("figures").display(),
            figures_written.len()
        );
    }
    println!("configs: {}", out.join("configs").display());
    Ok(())
}

/// Builds the release `srl` binary and returns its path (read from cargo's JSON messages, so
/// `CARGO_TARGET_DIR` and friends are honoured).
pub fn build_srl(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    eprintln!("building the release srl binary (cargo build --release -p srl-cli)…");
    let output = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "srl-cli",
            "--bin",
            "srl",
            "--message-format=json-render-diagnostics",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    if !output.status.success() {
        return Err(
            "`cargo build --release -p srl-cli` failed (see the compiler output above)".into(),
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    find_executable(&stdout, "srl")
        .ok_or_else(|| "cargo built srl-cli but reported no `srl` executable".to_string())
}

/// The path of binary `bin` in cargo's `--message-format=json` output.
pub fn find_executable(cargo_json: &str, bin: &str) -> Option<PathBuf> {
    cargo_json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == bin)
        .filter_map(|v| v["executable"].as_str().map(PathBuf::from))
        .next_back()
}

/// Checks every benchmark's files (size and checksum) and fetches the missing ones with
/// `srl fetch`; on failure, explains how to provide the data.
fn ensure_data(
    srl: &Path,
    data_dir: &Path,
    benchmarks: &[String],
    from_dir: Option<&Path>,
) -> Result<(), String> {
    for b in benchmarks {
        if !srl_data::registry::builtin_names().contains(&b.as_str()) {
            continue; // generated (iol-linear)
        }
        let manifest = srl_data::registry::builtin(b).map_err(|e| e.to_string())?;
        let Err(missing) = manifest.verify(data_dir) else {
            continue;
        };
        eprintln!("{b}: {missing}; fetching…");
        let mut cmd = Command::new(srl);
        cmd.arg("fetch").arg(b).arg("--data-dir").arg(data_dir);
        if let Some(f) = from_dir {
            cmd.arg("--from-dir").arg(f);
        }
        let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
        if !ok {
            let files: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
            return Err(format!(
                "the data of `{b}` is missing from {} and could not be fetched. Provide it by \
                 (a) placing the files you downloaded in a folder and running `cargo xtask \
                 reproduce --from-dir FOLDER` (or `srl fetch {b} --from-dir FOLDER`), or (b) \
                 pointing --data-dir / SRL_DATA_DIR at a folder that already holds {}; or leave \
                 it out with --only",
                data_dir.display(),
                files.join(", ")
            ));
        }
    }
    Ok(())
}

/// Creates the output folders and removes stale results of the benchmarks about to run, so
/// the tables only see this plan's seeds: everything of those benchmarks, or with `resume`
/// only the runs, logs and configurations outside the plan (seeds beyond `plan.seeds`).
fn prepare_out_dir(out: &Path, plan: &Plan, resume: bool) -> Result<(), String> {
    for sub in ["runs", "configs", "logs"] {
        let d = out.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let planned: Vec<RunSpec> = plan.runs();
    for b in &plan.benchmarks {
        if resume {
            for m in METHODS {
                let method_dir = out.join("runs").join(b).join(m);
                for entry in list_dir(&method_dir)? {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let is_planned = planned.iter().any(|s| {
                        s.benchmark == *b && s.method == *m && format!("seed{}", s.seed) == name
                    });
                    if !is_planned {
                        remove_dir(&entry.path())?;
                    }
                }
            }
            for entry in list_dir(&out.join("logs").join(b))? {
                let is_planned = planned.iter().any(|s| s.log_path(out) == entry.path());
                if !is_planned {
                    remove_file(&entry.path())?;
                }
            }
        } else {
            remove_dir(&out.join("runs").join(b))?;
            remove_dir(&out.join("logs").join(b))?;
        }
        let prefix = format!("{b}-");
        for entry in list_dir(&out.join("configs"))? {
            let name = entry.file_name().to_string_lossy().into_owned();
            // `real-estate-…` must not match `real-…`; methods follow the benchmark name.
            let is_ours = METHODS
                .iter()
                .any(|m| name.starts_with(&format!("{prefix}{m}-seed")));
            let is_planned = planned.iter().any(|s| s.config_path(out) == entry.path());
            if is_ours && !(resume && is_planned) {
                remove_file(&entry.path())?;
            }
        }
    }
    Ok(())
}

/// Removes the folder `d` and everything in it, if it exists.
fn remove_dir(d: &Path) -> Result<(), String> {
    if d.exists() {
        std::fs::remove_dir_all(d).map_err(|e| format!("cannot clear {}: {e}", d.display()))?;
    }
    Ok(())
}

/// Removes the file `f`, if it exists.
fn remove_file(f: &Path) -> Result<(), String> {
    if f.exists() {
        std::fs::remove_file(f).map_err(|e| format!("cannot remove {}: {e}", f.display()))?;
    }
    Ok(())
}

/// The entries of `dir` (none if it does not exist).
fn list_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, String> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .collect())
}

/// True if the run folder of `spec` holds a finished run (`metrics.json` is written last)
/// whose configuration equals the one in `configs/` (compared as parsed configurations).
fn finished_with_same_config(spec: &RunSpec, out: &Path) -> bool {
    let run_dir = spec.run_dir(out);
    if !run_dir.join("metrics.json").is_file() {
        return false;
    }
    let read = |p: PathBuf| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| RunConfig::from_toml_str(&t).ok())
    };
    match (
        read(run_dir.join("config.toml")),
        read(spec.config_path(out)),
    ) {
        (Some(done), Some(planned)) => done == planned,
        _ => false,
    }
}

/// Orders runs longest first: an SRL run takes 1.5–5× a vanilla one, so starting the SRL runs
/// first keeps the cores busy to the end instead of leaving one SRL run alone at the tail.
/// The order is otherwise the plan's (stable).
fn longest_first(runs: &mut [&RunSpec]) {
    runs.sort_by_key(|spec| spec.method != "srl");
}

/// Removes what an unfinished or outdated run of `spec` left (its folder and log).
fn clear_run(spec: &RunSpec, out: &Path) -> Result<(), String> {
    remove_dir(&spec.run_dir(out))?;
    remove_file(&spec.log_path(out))
}

/// Which commit trained a run, and when: `runs/…/provenance.json`, written by reproduce
/// after the run finished (so `--resume` can say where kept runs came from).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunProvenance {
    /// The commit of the `srl` binary that trained the run (as [`git_commit`] gives it).
    pub commit: String,
    /// When the run finished, UTC.
    pub finished_utc: String,
}

fn write_provenance(spec: &RunSpec, out: &Path, commit: &str) -> Result<(), String> {
    let p = RunProvenance {
        commit: commit.to_string(),
        finished_utc: utc_now(),
    };
    let text = serde_json::to_string_pretty(&p).map_err(|e| e.to_string())?;
    write_file(&spec.run_dir(out).join("provenance.json"), &text)
}

/// `iol-sde/srl/seed0 (commit …, finished …)` for a kept run.
fn describe_kept(spec: &RunSpec, out: &Path) -> String {
    let p = std::fs::read_to_string(spec.run_dir(out).join("provenance.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<RunProvenance>(&t).ok());
    match p {
        Some(p) => format!(
            "{} (commit {}, finished {})",
            spec.name(),
            p.commit,
            p.finished_utc
        ),
        None => format!("{} (provenance unknown)", spec.name()),
    }
}

/// Writes the preset configuration of one run with `srl config`.
fn write_config(srl: &Path, spec: &RunSpec, profile: &str, out: &Path) -> Result<(), String> {
    let path = spec.config_path(out);
    let mut command = Command::new(srl);
    command
        .args([
            "config",
            "--benchmark",
            &spec.benchmark,
            "--method",
            spec.method,
        ])
        .args(["--profile", profile, "--seed", &spec.seed.to_string()])
        .arg("--out")
        .arg(&path);
    run_quietly(&mut command, &format!("`srl config` for {}", spec.name()))
}

/// Runs `command` with no stdin and its output captured; a failure to start or a non-zero exit
/// is an error `"<what> failed: <stderr>"`.
pub fn run_quietly(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| {
        format!(
            "cannot run {}: {e}",
            command.get_program().to_string_lossy()
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(())
}

/// Arguments of `srl train` for one run.
fn train_args(spec: &RunSpec, out: &Path, data_dir: &Path) -> Vec<OsString> {
    vec![
        "train".into(),
        "--config".into(),
        spec.config_path(out).into(),
        "--data-dir".into(),
        data_dir.into(),
        "--out".into(),
        spec.run_dir(out).into(),
    ]
}

/// One message naming every failed run with its log (after showing the first log's tail), or
/// `None` if every run succeeded.
fn describe_failures(results: &[JobResult], planned: usize) -> Option<String> {
    let failed: Vec<&JobResult> = results.iter().filter(|r| !r.success).collect();
    let first = failed.first()?;
    if let Ok(text) = std::fs::read_to_string(&first.log) {
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("--- last lines of {} ---", first.log.display());
        for l in &lines[lines.len().saturating_sub(8)..] {
            eprintln!("{l}");
        }
        eprintln!("---");
    }
    let list: Vec<String> = failed
        .iter()
        .map(|r| {
            format!(
                "{} {} (log: {})",
                r.name,
                r.failure.as_deref().unwrap_or("failed"),
                r.log.display()
            )
        })
        .collect();
    Some(format!(
        "{} of {planned} runs failed ({} not started): {}",
        failed.len(),
        planned - results.len(),
        list.join("; ")
    ))
}

/// Writes `text` to `path` atomically (a reader never sees half a file).
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    srl_data::atomic::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Provenance and summary

/// Provenance of a reproduce run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunMeta {
    /// `quick` or `full`.
    pub profile: String,
    /// The command line as typed (`cargo xtask reproduce …`).
    pub command: String,
    /// `git rev-parse HEAD`, with ` (with uncommitted changes)` for uncommitted changes outside
    /// `docs/results`, or `unknown`.
    pub commit: String,
    /// Start date, UTC.
    pub date_utc: String,
    /// Available cores.
    pub cores: usize,
    /// Runs in parallel.
    pub jobs: usize,
    /// Seeds per method and benchmark.
    pub seeds: usize,
    /// Benchmarks run.
    pub benchmarks: Vec<String>,
    /// Total wall time (build, data, training, tables, figures).
    pub wall_seconds: f64,
    /// Wall time of the training runs.
    pub train_seconds: f64,
    /// Data directory used.
    pub data_dir: String,
    /// Runs that failed (their seeds are missing from the tables).
    #[serde(default)]
    pub failed_runs: Vec<String>,
    /// When the tables were rebuilt from existing runs (`--aggregate-only`), and how.
    #[serde(default)]
    pub regenerated: Option<String>,
    /// Runs kept from earlier invocations (`--resume`), each with its provenance.
    #[serde(default)]
    pub kept_runs: Vec<String>,
}

/// `cargo xtask reproduce …` with this process's arguments.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("cargo xtask {}", args.join(" "))
}

/// The commit of `root`, or `unknown` outside a git checkout.
pub fn git_commit(root: &Path) -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(head) if !head.is_empty() => {
            // Results being written (docs/results) are not a change of the code that ran.
            let dirty = run(&[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":(exclude)docs/results",
            ])
            .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head} (with uncommitted changes)")
            } else {
                head
            }
        }
        _ => "unknown".to_string(),
    }
}

/// The current time as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian,
/// H. Hinnant's days-to-civil algorithm).
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2 min 05 s`, `48.3 s`, `1 h 02 min`.
pub fn human_duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{} h {:02} min",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// The top-level `summary.md`: provenance, an overview of MAE All/Few with the SRL change next
/// to the paper's, every benchmark's tables, and the figures.
pub fn summary_markdown(
    meta: &RunMeta,
    tables: &[tables::BenchmarkTable],
    figures: &[String],
) -> String {
    let mut md = format!("# SRL reproduction — {} profile\n\n", meta.profile);
    md.push_str(&format!("- Command: `{}`\n", meta.command));
    md.push_str(&format!("- Commit: `{}`\n", meta.commit));
    md.push_str(&format!("- Date: {}\n", meta.date_utc));
    md.push_str(&format!(
        "- Machine: {} cores ({} runs in parallel), {} {}\n",
        meta.cores,
        meta.jobs,
        std::env::consts::OS,
        std::env::consts::ARCH
    ));
    md.push_str(&format!(
        "- Wall time: {} in total, {} of it training\n",
        human_duration(meta.wall_seconds),
        human_duration(meta.train_seconds)
    ));
    md.push_str(&format!(
        "- Runs: {} benchmark(s) × {} methods × {} seed(s); exact configurations in \
         `configs/`, run folders in `runs/`, logs in `logs/`\n",
        meta.benchmarks.len(),
        METHODS.len(),
        meta.seeds
    ));
    if let Some(when) = &meta.regenerated {
        md.push_str(&format!(
            "- Tables and figures regenerated from these runs (no training): {when}\n"
        ));
    }
    if !meta.kept_runs.is_empty() {
        md.push_str(&format!(
            "- Runs kept from earlier invocations (`--resume`, same configuration; the wall \
             times above exclude them): {}\n",
            meta.kept_runs.join("; ")
        ));
    }
    if !meta.failed_runs.is_empty() {
        md.push_str(&format!(
            "- **Failed runs** (missing from the tables; see their logs): {}\n",
            meta.failed_runs.join(", ")
        ));
    }
    if meta.profile == "quick" {
        md.push_str(
            "\nThe quick profile is a smoke test (few epochs and seeds): it checks the whole \
             pipeline in minutes, and its numbers are not paper-sized. `cargo xtask reproduce \
             --full` runs the paper's sizes.\n",
        );
    }

    md.push_str(
        "\n## Overview\n\nTest MAE (IOL: ×1e-3), mean over seeds; change = SRL vs vanilla.\n\n\
         | Benchmark | Vanilla All | SRL All | change All | paper change All | Vanilla Few | \
         SRL Few | change Few | paper change Few |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for t in tables {
        let scale = t.kind.metrics()[0].2;
        let v = |m: &str, g: usize| t.mean_mae(m, g);
        let show = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{:.3}", x / scale));
        let change = |new: Option<f64>, old: Option<f64>| match (new, old) {
            (Some(n), Some(o)) if o != 0.0 => format!("{:+.1} %", 100.0 * (n - o) / o),
            _ => "—".to_string(),
        };
        let paper = |m: &str, g: usize| t.paper.iter().find(|p| p.method == m).map(|p| p.mae[g]);
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            tables::display_benchmark(&t.benchmark),
            show(v("vanilla", 0)),
            show(v("srl", 0)),
            change(v("srl", 0), v("vanilla", 0)),
            change(paper("SRL", 0), paper("Vanilla", 0)),
            show(v("vanilla", 3)),
            show(v("srl", 3)),
            change(v("srl", 3), v("vanilla", 3)),
            change(paper("SRL", 3), paper("Vanilla", 3)),
        ));
    }

    for t in tables {
        md.push('\n');
        md.push_str(&t.to_markdown());
    }

    if !figures.is_empty() {
        md.push_str("\n## Figures\n\n");
        for f in figures.iter().filter(|f| f.ends_with(".png")) {
            let svg = f.trim_end_matches(".png").to_string() + ".svg";
            md.push_str(&format!("- [{f}]({f}) ([SVG]({svg}))\n"));
        }
        if let Some(fs) = figures.iter().find(|f| f.ends_with("feature-space.png")) {
            md.push_str(&format!("\n![feature space]({fs})\n"));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(only: &[&str]) -> ReproduceArgs {
        ReproduceArgs {
            only: only.iter().map(|s| s.to_string()).collect(),
            ..ReproduceArgs::default()
        }
    }

    #[test]
    fn plan_defaults_and_only() {
        let p = Plan::from_args(&args(&[])).unwrap();
        assert_eq!(p.profile, "quick");
        assert_eq!(p.seeds, 2);
        assert_eq!(p.benchmarks.len(), 6);
        assert_eq!(p.runs().len(), 24);

        let p = Plan::from_args(&args(&["iol-linear", "airfoil", "airfoil"])).unwrap();
        assert_eq!(p.benchmarks, vec!["airfoil", "iol-linear"]);
        let full = Plan::from_args(&ReproduceArgs {
            full: true,
            ..args(&["concrete"])
        })
        .unwrap();
        assert_eq!((full.profile, full.seeds), ("full", 5));
        assert_eq!(full.runs()[1].method, "srl");

        let e = Plan::from_args(&args(&["mnist"])).unwrap_err();
        assert!(e.contains("mnist") && e.contains("airfoil"), "{e}");
        let zero = ReproduceArgs {
            seeds: Some(0),
            ..args(&[])
        };
        assert!(Plan::from_args(&zero).is_err());
    }

    #[test]
    fn run_paths() {
        let spec = RunSpec {
            benchmark: "real-estate".into(),
            method: "srl",
            seed: 3,
        };
        let out = Path::new("/o");
        assert_eq!(spec.name(), "real-estate/srl/seed3");
        assert_eq!(
            spec.config_path(out),
            PathBuf::from("/o/configs/real-estate-srl-seed3.toml")
        );
        assert_eq!(
            spec.run_dir(out),
            PathBuf::from("/o/runs/real-estate/srl/seed3")
        );
        assert_eq!(
            spec.log_path(out),
            PathBuf::from("/o/logs/real-estate/srl-seed3.log")
        );
    }

    #[test]
    fn executable_is_found_in_cargo_json() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"srl_data"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"srl"},"executable":"/t/release/srl"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            find_executable(json, "srl"),
            Some(PathBuf::from("/t/release/srl"))
        );
        assert_eq!(find_executable(json, "other"), None);
    }

    #[test]
    fn utc_dates_and_durations() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(human_duration(48.34), "48.3 s");
        assert_eq!(human_duration(125.0), "2 min 05 s");
        assert_eq!(human_duration(3720.0), "1 h 02 min");
    }

    #[test]
    fn stale_results_of_selected_benchmarks_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for f in [
            "configs/real-estate-srl-seed0.toml",
            "configs/airfoil-srl-seed0.toml",
            "runs/real-estate/srl/seed0/metrics.json",
            "runs/airfoil/srl/seed0/metrics.json",
        ] {
            let p = out.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let plan = Plan::from_args(&args(&["airfoil"])).unwrap();
        prepare_out_dir(out, &plan, false).unwrap();
        assert!(!out.join("configs/airfoil-srl-seed0.toml").exists());
        assert!(!out.join("runs/airfoil").exists());
        assert!(out.join("configs/real-estate-srl-seed0.toml").exists());
        assert!(out.join("runs/real-estate/srl/seed0/metrics.json").exists());
        assert!(out.join("logs").is_dir());
    }

    #[test]
    fn resume_keeps_finished_runs_with_the_same_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let plan = Plan::from_args(&args(&["airfoil"])).unwrap(); // quick: seeds 0 and 1
        let config = |seed: u64, epochs: usize| {
            let mut c = RunConfig::preset("airfoil", "srl", srl_train::Profile::Quick).unwrap();
            c.seed = seed;
            c.optim.epochs = epochs;
            c.to_toml_string().unwrap()
        };
        let put = |rel: String, text: &str| {
            let p = out.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // seed0: finished with the planned configuration -> kept.
        // seed1: finished, but with another configuration -> trained again.
        // vanilla seed0: interrupted (no metrics.json) -> trained again.
        // seed7: outside the plan -> removed.
        put("runs/airfoil/srl/seed0/config.toml".into(), &config(0, 100));
        put("runs/airfoil/srl/seed0/metrics.json".into(), "{}");
        put("runs/airfoil/srl/seed1/config.toml".into(), &config(1, 5));
        put("runs/airfoil/srl/seed1/metrics.json".into(), "{}");
        put("runs/airfoil/vanilla/seed0/log.jsonl".into(), "");
        put("runs/airfoil/srl/seed7/metrics.json".into(), "{}");
        put("logs/airfoil/srl-seed7.log".into(), "");
        put("configs/airfoil-srl-seed7.toml".into(), "");
        prepare_out_dir(out, &plan, true).unwrap();
        assert!(!out.join("runs/airfoil/srl/seed7").exists());
        assert!(!out.join("logs/airfoil/srl-seed7.log").exists());
        assert!(!out.join("configs/airfoil-srl-seed7.toml").exists());
        assert!(out.join("runs/airfoil/srl/seed0/metrics.json").exists());
        put("configs/airfoil-srl-seed0.toml".into(), &config(0, 100));
        put("configs/airfoil-srl-seed1.toml".into(), &config(1, 100));
        let spec = |method: &'static str, seed: u64| RunSpec {
            benchmark: "airfoil".into(),
            method,
            seed,
        };
        assert!(finished_with_same_config(&spec("srl", 0), out));
        assert!(!finished_with_same_config(&spec("srl", 1), out));
        assert!(!finished_with_same_config(&spec("vanilla", 0), out));
        assert!(!finished_with_same_config(&spec("vanilla", 1), out));

        assert_eq!(
            describe_kept(&spec("srl", 0), out),
            "airfoil/srl/seed0 (provenance unknown)"
        );
        write_provenance(&spec("srl", 0), out, "abc").unwrap();
        assert!(describe_kept(&spec("srl", 0), out)
            .starts_with("airfoil/srl/seed0 (commit abc, finished 20"));
        clear_run(&spec("srl", 1), out).unwrap();
        let (v0, s0, v1, s1) = (
            spec("vanilla", 0),
            spec("srl", 0),
            spec("vanilla", 1),
            spec("srl", 1),
        );
        let mut order = vec![&v0, &s0, &v1, &s1];
        longest_first(&mut order);
        assert_eq!(order, vec![&s0, &s1, &v0, &v1]);
        assert!(!out.join("runs/airfoil/srl/seed1").exists());

        // Without --resume everything of the benchmark goes.
        prepare_out_dir(out, &plan, false).unwrap();
        assert!(!out.join("runs/airfoil").exists());
    }

    #[test]
    fn summary_from_synthetic_runs() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let mut reports = Vec::new();
        for (m, mae) in [("vanilla", 6.0), ("srl", 5.0)] {
            for s in 0..2u64 {
                let d = runs.join("airfoil").join(m).join(format!("seed{s}"));
                crate::figures::tests::write_synthetic_run(&d, m, s, 100);
                let json = crate::tables::tests::report_json(
                    "airfoil",
                    m,
                    s,
                    [mae + s as f64, mae, mae, mae + 2.0],
                );
                std::fs::write(d.join("metrics.json"), &json).unwrap();
                reports.push(serde_json::from_str(&json).unwrap());
            }
        }
        let collected = tables::collect_reports(&runs, "airfoil").unwrap();
        assert_eq!(collected.len(), 4);
        let table = tables::aggregate("airfoil", &reports);
        let meta = RunMeta {
            profile: "quick".into(),
            command: "cargo xtask reproduce --quick --only airfoil".into(),
            commit: "abc".into(),
            date_utc: format_utc(0),
            cores: 2,
            jobs: 2,
            seeds: 2,
            benchmarks: vec!["airfoil".into()],
            wall_seconds: 100.0,
            train_seconds: 80.0,
            data_dir: "/d".into(),
            failed_runs: vec!["airfoil/srl/seed2".into()],
            regenerated: None,
            kept_runs: vec!["airfoil/srl/seed0 (commit abc, finished x)".into()],
        };
        let md = summary_markdown(
            &meta,
            &[table],
            &["figures/airfoil-feature-space.png".into()],
        );
        assert!(
            md.contains("`cargo xtask reproduce --quick --only airfoil`"),
            "{md}"
        );
        // Vanilla All mean 6.5, SRL All mean 5.5: −15.4 %; paper −9.9 %.
        assert!(
            md.contains("| Airfoil | 6.500 | 5.500 | -15.4 % | -9.9 % |"),
            "{md}"
        );
        assert!(md.contains("![feature space](figures/airfoil-feature-space.png)"));
        assert!(md.contains("1 min 40 s"));
        assert!(md.contains("**Failed runs**"), "{md}");
        assert!(md.contains("airfoil/srl/seed2"), "{md}");
        assert!(md.contains("kept from earlier invocations"), "{md}");

        // --aggregate-only rebuilds the same tables from the runs and keeps the provenance.
        let out = dir.path();
        let summary = serde_json::json!({ "meta": meta, "tables": [], "figures": [] });
        std::fs::write(out.join("summary.json"), summary.to_string()).unwrap();
        let regen = ReproduceArgs {
            aggregate_only: true,
            no_figures: true,
            out: Some(out.to_path_buf()),
            ..ReproduceArgs::default()
        };
        run(&regen).unwrap();
        let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
        assert!(
            md.contains("| Airfoil | 6.500 | 5.500 | -15.4 % | -9.9 % |"),
            "{md}"
        );
        assert!(md.contains("Commit: `abc`"), "{md}");
        assert!(md.contains("regenerated from these runs"), "{md}");
        assert!(out.join("airfoil.md").is_file());
        let empty = tempfile::tempdir().unwrap();
        let e = run(&ReproduceArgs {
            out: Some(empty.path().to_path_buf()),
            ..regen
        })
        .unwrap_err();
        assert!(e.contains("summary.json"), "{e}");
    }
}
