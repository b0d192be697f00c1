//! `cargo xtask reproduce`: train every method on every benchmark over several seeds with the
//! release `srl` binary, then write the result tables, figures and a summary.
//!
//! Steps:
//! 1. build `srl` with `cargo build --release -p srl-cli` (xtask itself stays unoptimised);
//! 2. make sure the data is there (`srl fetch`, or a clear message how to provide it);
//! 3. write the preset configuration of every run with `srl config` into `configs/` (the
//!    exact configs of the tables), `configs/<benchmark>-<method>-seed<k>.toml`;
//! 4. run `srl train --config … --out runs/<benchmark>/<method>/seed<k>` for all runs, J at a
//!    time, longest first ([`estimated_cost`]), each run's output captured in
//!    `logs/<benchmark>/<method>-seed<k>.log`;
//! 5. aggregate into `<benchmark>.md/.json` (see [`crate::tables`]), draw `figures/` (see
//!    [`crate::figures`]) and write `summary.md/.json` with the commit, date, machine, wall
//!    time and command line.
//!
//! Methods: `--methods LIST` (comma-separated [`MethodName`]s, e.g. `vanilla,srl,srl+ranksim`);
//! the default is [`DEFAULT_METHODS`]. A method's folder and file names use its canonical text
//! form (`srl+lds` is written `lds+srl`).
//!
//! Profiles: `--quick` (default; the README's main command, minutes on 2 cores) and `--full`
//! (the paper's sizes: 5 seeds, IOL 20k/40k iterations; hours).
//!
//! Sharding (docs/sweeps.md): `--shard I/N` trains run k of the plan ([`Plan::runs`], a fixed
//! order) when k mod N = I − 1, into its own output folder (same layout), writes
//! `shard-I-of-N.json` ([`ShardRecord`]: plan, runs, provenance) and no tables. `--aggregate-only
//! --from-shards DIR1,DIR2,… --out OUT` copies the shards' runs, configs and logs into OUT and
//! writes the tables, figures and summary there, as an unsharded reproduction would.

use crate::runner::{self, Job, JobResult, OnFailure, TrainCall};
use crate::{figures, tables};
use serde::{Deserialize, Serialize};
use srl_data::BenchmarkId;
use srl_train::{run_folder, MethodName, Profile, RunConfig};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The methods `reproduce` compares by default, in table order (canonical text forms): the
/// paper's comparison set — vanilla, LDS, LDS+FDS, RankSim, Balanced MSE, ConR, ordinal
/// entropy — plus Rank-N-Contrast, then SRL alone and SRL combined with LDS, RankSim and
/// Balanced MSE. Balanced MSE is its BNI estimator, the best of BMC/BNI/GAI on Airfoil
/// validation (docs/results/tuning/uci-bmse.md).
pub const DEFAULT_METHODS: &[&str] = &[
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

/// [`DEFAULT_METHODS`], parsed (every entry is a valid method; a test checks it).
pub fn default_methods() -> Vec<MethodName> {
    DEFAULT_METHODS
        .iter()
        .filter_map(|m| m.parse().ok())
        .collect()
}

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
    pub only: Vec<BenchmarkId>,
    /// Comma-separated methods, each a set of components joined by `+` (e.g. `vanilla,srl,srl+ranksim`)
    /// [default: vanilla,lds,lds+fds,ranksim,bni,conr,oe,rnc,srl,lds+srl,srl+ranksim,bni+srl].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub methods: Vec<MethodName>,
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
    /// Fetch missing datasets from a mirror of the canonical sites (scheme and host replaced,
    /// path kept), e.g. a local server with the UCI zips.
    #[arg(long, value_name = "URL", conflicts_with = "from_dir")]
    pub base_url: Option<String>,
    /// Output folder [default: docs/results/PROFILE; with --shard I/N:
    /// target/reproduce-shards/PROFILE/shard-I-of-N].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Skip the figures.
    #[arg(long)]
    pub no_figures: bool,
    /// Rebuild tables, figures and summary from the runs already in the output folder (no
    /// training); the original run's provenance is kept from its summary.json. With
    /// --from-shards: merge shard folders into the output folder first.
    #[arg(long)]
    pub aggregate_only: bool,
    /// Keep the finished runs of an earlier invocation into the same output folder (a
    /// `metrics.json` and the same configuration) and train only the missing or unfinished
    /// ones: continues after an interrupted session, or adds seeds or methods. Kept runs are
    /// listed in the summary with the commit that trained them; folders of methods outside
    /// --methods are kept too.
    #[arg(long, conflicts_with = "aggregate_only")]
    pub resume: bool,
    /// Replace an earlier full reproduction in the output folder. Without it, `--full` refuses
    /// a folder that already holds one (the committed results under docs/results/full): use
    /// `--resume` to add to it, or `--out` to write elsewhere.
    #[arg(long, conflicts_with_all = ["aggregate_only", "resume"])]
    pub force: bool,
    /// Train only shard I of N (1-based, e.g. `2/4`): run k of the plan when k mod N = I − 1.
    /// Writes the runs and a shard-I-of-N.json into --out, no tables (merge the shards with
    /// --aggregate-only --from-shards).
    #[arg(long, value_name = "I/N", conflicts_with = "aggregate_only")]
    pub shard: Option<Shard>,
    /// With --aggregate-only: comma-separated output folders of `--shard` runs to merge into
    /// --out (every shard of one plan; a missing shard's runs are listed as failed).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "DIRS",
        requires = "aggregate_only",
        conflicts_with = "only"
    )]
    pub from_shards: Vec<PathBuf>,
}

/// What to run: profile, benchmarks, methods, seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Preset size.
    pub profile: Profile,
    /// Benchmarks in table order.
    pub benchmarks: Vec<BenchmarkId>,
    /// Methods, in the order given (duplicates removed).
    pub methods: Vec<MethodName>,
    /// Seeds `0..seeds`.
    pub seeds: usize,
}

/// One training run of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunSpec {
    /// Benchmark.
    pub benchmark: BenchmarkId,
    /// Method.
    pub method: MethodName,
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
        run_folder::sweep_run_dir(
            &out.join("runs"),
            self.benchmark.as_str(),
            &self.method.to_string(),
            self.seed,
        )
    }

    /// `logs/airfoil/srl-seed0.log` under `out`.
    pub fn log_path(&self, out: &Path) -> PathBuf {
        out.join("logs")
            .join(self.benchmark.as_str())
            .join(format!("{}-seed{}.log", self.method, self.seed))
    }
}

/// `<method>-seed<k>` + `suffix` → the method and seed (the file names of logs and, after the
/// benchmark prefix, of configs).
fn parse_method_seed(name: &str, suffix: &str) -> Option<(MethodName, u64)> {
    let (method, seed) = name.strip_suffix(suffix)?.rsplit_once("-seed")?;
    Some((method.parse().ok()?, seed.parse().ok()?))
}

/// `<benchmark>-<method>-seed<k>.toml` → its parts (`None` for any other file name).
fn parse_config_name(name: &str) -> Option<(BenchmarkId, MethodName, u64)> {
    BenchmarkId::ALL.into_iter().find_map(|b| {
        let rest = name.strip_prefix(b.as_str())?.strip_prefix('-')?;
        let (m, seed) = parse_method_seed(rest, ".toml")?;
        Some((b, m, seed))
    })
}

impl Plan {
    /// The plan the flags describe: benchmarks in table order and methods in the given order
    /// (both deduplicated); no benchmark, no method or zero seeds are errors.
    pub fn from_args(args: &ReproduceArgs) -> Result<Plan, String> {
        let profile = if args.full {
            Profile::Full
        } else {
            Profile::Quick
        };
        let benchmarks: Vec<BenchmarkId> = if args.only.is_empty() {
            BenchmarkId::ALL.to_vec()
        } else {
            // Table order, whatever the order of the flag.
            BenchmarkId::ALL
                .into_iter()
                .filter(|b| args.only.contains(b))
                .collect()
        };
        let mut methods: Vec<MethodName> = Vec::new();
        let given = if args.methods.is_empty() {
            default_methods()
        } else {
            args.methods.clone()
        };
        for m in given {
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        if methods.is_empty() {
            return Err("--methods selects no method".into());
        }
        let seeds = args.seeds.unwrap_or(match profile {
            Profile::Full => 5,
            Profile::Quick => 2,
        });
        if seeds == 0 {
            return Err("--seeds must be at least 1".into());
        }
        Ok(Plan {
            profile,
            benchmarks,
            methods,
            seeds,
        })
    }

    /// Every run in the plan's fixed order: benchmark-major, then seed, then method (so the
    /// methods of a seed finish close together). Shards are assigned by position in this list.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut out = Vec::new();
        for &benchmark in &self.benchmarks {
            for seed in 0..self.seeds as u64 {
                for m in &self.methods {
                    out.push(RunSpec {
                        benchmark,
                        method: m.clone(),
                        seed,
                    });
                }
            }
        }
        out
    }
}

/// One of N disjoint parts of a plan: `--shard I/N`, I in 1..=N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based index I.
    pub index: usize,
    /// Number of shards N.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard I/N with 1 ≤ I ≤ N (e.g. 2/4)");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether run `k` (0-based position in [`Plan::runs`]) belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }

    /// This shard's runs of `runs` (the plan's list, in order).
    pub fn select(&self, runs: &[RunSpec]) -> Vec<RunSpec> {
        runs.iter()
            .enumerate()
            .filter(|(k, _)| self.owns(*k))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// `shard-2-of-4.json`, the record a shard writes into its output folder.
    pub fn record_file(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

/// What a `--shard I/N` run leaves in its output folder (`shard-I-of-N.json`), enough for
/// `--aggregate-only --from-shards` to merge it: the shard, the whole plan, the runs of the
/// shard and the provenance of the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Which shard.
    pub shard: Shard,
    /// The whole plan (every shard of one reproduction has the same).
    pub plan: Plan,
    /// Names of this shard's runs (`airfoil/srl/seed0`).
    pub runs: Vec<String>,
    /// False while the shard trains (the record is written at its start and again at its end).
    #[serde(default)]
    pub finished: bool,
    /// Provenance of this shard's session.
    pub meta: RunMeta,
}

impl ShardRecord {
    /// Writes the record into `out` atomically.
    pub fn write(&self, out: &Path) -> Result<PathBuf, String> {
        let path = out.join(self.shard.record_file());
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())? + "\n";
        write_file(&path, &text)?;
        Ok(path)
    }

    /// Reads the one `shard-*-of-*.json` in `dir`.
    pub fn read(dir: &Path) -> Result<ShardRecord, String> {
        let records = shard_record_files(dir)?;
        let [path] = records.as_slice() else {
            return Err(format!(
                "{} holds {} shard-I-of-N.json files, expected one (is it the --out of a \
                 finished `reproduce --shard I/N`?)",
                dir.display(),
                records.len()
            ));
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))
    }
}

/// The `shard-*-of-*.json` files in `dir`.
fn shard_record_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = list_dir(dir)?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The repository root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Runs `cargo xtask reproduce`.
pub fn run(args: &ReproduceArgs) -> Result<(), String> {
    let start = Instant::now();
    let mut plan = Plan::from_args(args)?;
    let root = repo_root();
    let profile = plan.profile.as_str();
    let out = args.out.clone().unwrap_or_else(|| match args.shard {
        Some(s) => root
            .join("target")
            .join("reproduce-shards")
            .join(profile)
            .join(format!("shard-{}-of-{}", s.index, s.count)),
        None => root.join("docs").join("results").join(profile),
    });
    refuse_to_overwrite(args, plan.profile, &out)?;
    if args.aggregate_only {
        if !args.from_shards.is_empty() {
            return merge_shards(args, &args.from_shards, &out);
        }
        return aggregate_existing(args, &out);
    }
    // Data first: an unsharded reproduction trains the benchmarks whose data is present or
    // fetchable and skips the others (listed, with the reason); a shard needs all of its plan,
    // since every shard must see the same plan.
    let srl = build_srl(&root)?;
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    let (ready, skipped) = ensure_data(
        &srl,
        &data_dir,
        &plan.benchmarks,
        args.from_dir.as_deref(),
        args.base_url.as_deref(),
    );
    for (b, why) in &skipped {
        eprintln!("skipping {b}: {why}");
    }
    if !skipped.is_empty() && args.shard.is_some() {
        return Err(format!(
            "a shard needs the data of every planned benchmark (missing: {}); fetch it first \
             (`cargo xtask fetch all`) or narrow the plan with --only on every shard",
            skipped
                .iter()
                .map(|(b, _)| b.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if ready.is_empty() {
        return Err(format!(
            "no benchmark can run: the data of {} is missing from {} and could not be fetched \
             (see the reasons above)",
            plan.benchmarks
                .iter()
                .map(|b| b.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            data_dir.display()
        ));
    }
    plan.benchmarks = ready;
    let skipped_benchmarks: Vec<String> = skipped
        .iter()
        .map(|(b, why)| format!("{b} ({why})"))
        .collect();
    let all_runs = plan.runs();
    let runs = match args.shard {
        Some(s) => {
            // A shard folder holds one shard: another shard's runs would be cleared below.
            for other in shard_record_files(&out)? {
                if other
                    .file_name()
                    .is_some_and(|n| n != s.record_file().as_str())
                {
                    return Err(format!(
                        "{} belongs to another shard ({}): give every shard its own --out",
                        out.display(),
                        other.display()
                    ));
                }
            }
            s.select(&all_runs)
        }
        None => all_runs,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).max(1);
    eprintln!(
        "reproduce ({profile}): {} benchmark(s) × {} method(s) × {} seed(s) = {} runs{}, {} at a \
         time -> {}",
        plan.benchmarks.len(),
        plan.methods.len(),
        plan.seeds,
        plan.runs().len(),
        args.shard
            .map(|s| format!(" (shard {s}: {} of them)", runs.len()))
            .unwrap_or_default(),
        jobs,
        out.display()
    );

    prepare_out_dir(&out, &plan, &runs, args.resume)?;
    for spec in &runs {
        write_config(&srl, spec, plan.profile, &out)?;
    }
    let (kept, mut to_train): (Vec<&RunSpec>, Vec<&RunSpec>) = runs
        .iter()
        .partition(|spec| args.resume && finished_with_same_config(spec, &out));
    longest_first(&mut to_train);
    // Interrupted attempts with the same configuration continue (`srl train --resume`); the
    // others start afresh.
    let mut calls = Vec::with_capacity(to_train.len());
    for spec in &to_train {
        let call = train_call(spec, &out, &data_dir)?;
        if !call.resumes {
            clear_run(spec, &out)?;
        }
        calls.push(call);
    }
    let resumed = calls.iter().filter(|c| c.resumes).count();
    if resumed > 0 {
        eprintln!("continuing {resumed} interrupted run(s) from their resume state");
    }
    let kept_runs: Vec<String> = kept.iter().map(|spec| describe_kept(spec, &out)).collect();
    if args.resume {
        eprintln!(
            "--resume: keeping {} finished run(s), training {}",
            kept.len(),
            to_train.len()
        );
    }
    let mut meta = RunMeta {
        profile: profile.to_string(),
        command: command_line(),
        commit: git_commit(&root),
        date_utc: utc_now(),
        cores,
        jobs,
        seeds: plan.seeds,
        benchmarks: plan.benchmarks.clone(),
        methods: plan.methods.clone(),
        wall_seconds: 0.0,
        train_seconds: 0.0,
        data_dir: data_dir.display().to_string(),
        failed_runs: Vec::new(),
        regenerated: None,
        kept_runs,
        shards: Vec::new(),
        skipped_benchmarks,
    };
    let commit = meta.commit.clone();
    // A shard's record exists from the start (unfinished), so a shard killed by a time limit
    // still merges: its finished runs count, the others are listed as failed.
    let mut record = args.shard.map(|shard| ShardRecord {
        shard,
        plan: plan.clone(),
        runs: runs.iter().map(RunSpec::name).collect(),
        finished: false,
        meta: meta.clone(),
    });
    if let Some(r) = &record {
        r.write(&out)?;
    }

    // Each child gets an equal share of the cores for its own threads.
    let threads_per_job = (cores / jobs).max(1).to_string();
    let job_list: Vec<Job> = to_train
        .iter()
        .zip(calls)
        .map(|(spec, call)| Job {
            name: spec.name(),
            program: srl.clone(),
            args: call.args,
            env: vec![("RAYON_NUM_THREADS".into(), threads_per_job.clone())],
            log: spec.log_path(&out),
            append_log: call.resumes,
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
    if kept.is_empty() && !results.is_empty() && results.iter().all(|r| !r.success) {
        return Err(failure.unwrap_or_else(|| "no run finished".into()));
    }
    let failed_runs: Vec<String> = results
        .iter()
        .filter(|r| !r.success)
        .map(|r| r.name.clone())
        .collect();

    meta.train_seconds = train_seconds;
    meta.failed_runs = failed_runs;
    match record.as_mut() {
        Some(record) => {
            let shard = record.shard;
            meta.wall_seconds = start.elapsed().as_secs_f64();
            record.meta = meta;
            record.finished = true;
            let path = record.write(&out)?;
            println!(
                "reproduce shard {shard} finished in {}: {} run(s) in {}; provenance in {}",
                human_duration(record.meta.wall_seconds),
                runs.len(),
                out.display(),
                path.display()
            );
            println!(
                "no tables for a shard: once every shard has finished, aggregate with \
                 `cargo xtask reproduce --aggregate-only --from-shards DIR1,…,DIR{} --out OUT`",
                shard.count
            );
        }
        None => write_outputs(&out, meta, args.no_figures, Some(start))?,
    }
    match failure {
        Some(message) if args.shard.is_some() => Err(format!(
            "{message}; the shard's record lists them, the merge will show them as failed"
        )),
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
            "--aggregate-only needs the summary.json of a finished reproduction in {} (for the \
             folders of `--shard` runs, add --from-shards): {e}",
            out.display()
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("cannot parse {}: {e}", summary.display()))?;
    let mut meta: RunMeta = serde_json::from_value(value["meta"].clone())
        .map_err(|e| format!("cannot read the provenance in {}: {e}", summary.display()))?;
    let runs_dir = out.join("runs");
    meta.benchmarks = if args.only.is_empty() {
        BenchmarkId::ALL
            .into_iter()
            .filter(|b| runs_dir.join(b.as_str()).is_dir())
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

/// `--aggregate-only --from-shards DIRS`: merges the output folders of `--shard I/N` runs into
/// `out` and writes the tables, figures and summary there.
///
/// Every folder must hold one `shard-I-of-N.json` ([`ShardRecord`]); all must share N and the
/// plan, and no shard may appear twice. `out`'s folders of the plan's benchmarks are cleared,
/// then each shard's run folders, configurations and logs (of the runs the plan assigns to it)
/// are copied in. A shard that is not given is reported, and its runs are listed as failed in
/// the summary. The summary's provenance combines the shards' (commits, earliest start, the
/// longest shard's wall time) and lists each shard.
fn merge_shards(args: &ReproduceArgs, dirs: &[PathBuf], out: &Path) -> Result<(), String> {
    let mut records: Vec<(PathBuf, ShardRecord)> = Vec::new();
    for d in dirs {
        if same_dir(d, out) {
            return Err(format!(
                "--out {} is one of the shard folders: merge into a new folder",
                out.display()
            ));
        }
        records.push((d.clone(), ShardRecord::read(d)?));
    }
    records.sort_by_key(|(_, r)| r.shard);
    let Some((first_dir, first)) = records.first().cloned() else {
        return Err("--from-shards names no folder".into());
    };
    for (d, r) in &records {
        if r.shard.count != first.shard.count || r.plan != first.plan {
            return Err(format!(
                "{} ({}) and {} ({}) are shards of different plans",
                first_dir.display(),
                first.shard,
                d.display(),
                r.shard
            ));
        }
    }
    if let Some(w) = records.windows(2).find(|w| w[0].1.shard == w[1].1.shard) {
        return Err(format!(
            "shard {} is given twice: {} and {}",
            w[0].1.shard,
            w[0].0.display(),
            w[1].0.display()
        ));
    }
    let plan = first.plan.clone();
    let n = first.shard.count;
    let all_runs = plan.runs();
    prepare_out_dir(out, &plan, &all_runs, false)?;
    let mut failed_runs = Vec::new();
    let mut kept_runs = Vec::new();
    let mut shard_lines = Vec::new();
    for index in 1..=n {
        let shard = Shard { index, count: n };
        let Some((dir, record)) = records.iter().find(|(_, r)| r.shard == shard) else {
            eprintln!("warning: shard {shard} is missing; its runs are listed as failed");
            failed_runs.extend(
                shard
                    .select(&all_runs)
                    .iter()
                    .map(|s| format!("{} (shard {shard} missing)", s.name())),
            );
            continue;
        };
        if !record.finished {
            eprintln!(
                "warning: shard {shard} did not finish ({}); its unfinished runs are listed as                  failed",
                dir.display()
            );
        }
        for spec in shard.select(&all_runs) {
            copy_dir(&spec.run_dir(dir), &spec.run_dir(out))?;
            copy_file(&spec.config_path(dir), &spec.config_path(out))?;
            copy_file(&spec.log_path(dir), &spec.log_path(out))?;
            if !record.finished && !run_folder::is_complete(&spec.run_dir(out)) {
                failed_runs.push(format!("{} (shard {shard} did not finish)", spec.name()));
            }
        }
        failed_runs.extend(record.meta.failed_runs.iter().cloned());
        kept_runs.extend(record.meta.kept_runs.iter().cloned());
        shard_lines.push(format!(
            "{shard}: {} run(s){}, commit {}, started {}, wall time {}, from {}",
            record.runs.len(),
            if record.finished {
                ""
            } else {
                " (did not finish)"
            },
            record.meta.commit,
            record.meta.date_utc,
            human_duration(record.meta.wall_seconds),
            dir.display()
        ));
    }
    let mut commits: Vec<String> = records.iter().map(|(_, r)| r.meta.commit.clone()).collect();
    commits.dedup();
    let max = |f: fn(&RunMeta) -> f64| {
        records
            .iter()
            .map(|(_, r)| f(&r.meta))
            .fold(0.0f64, f64::max)
    };
    let meta = RunMeta {
        profile: plan.profile.as_str().to_string(),
        // The command of one shard, with its index as the placeholder every job fills in.
        command: first.meta.command.replace(
            &format!("--shard {}", first.shard),
            &format!("--shard I/{n}"),
        ),
        commit: commits.join("; "),
        date_utc: records
            .iter()
            .map(|(_, r)| r.meta.date_utc.clone())
            .min()
            .unwrap_or_default(),
        cores: first.meta.cores,
        jobs: first.meta.jobs,
        seeds: plan.seeds,
        benchmarks: plan.benchmarks.clone(),
        methods: plan.methods.clone(),
        wall_seconds: max(|m| m.wall_seconds),
        train_seconds: max(|m| m.train_seconds),
        data_dir: first.meta.data_dir.clone(),
        failed_runs,
        regenerated: Some(format!(
            "{} shard folder(s) merged {} at commit `{}` by `{}`",
            records.len(),
            utc_now(),
            git_commit(&repo_root()),
            command_line()
        )),
        kept_runs,
        shards: shard_lines,
        skipped_benchmarks: Vec::new(),
    };
    write_outputs(out, meta, args.no_figures, None)
}

/// Whether `a` and `b` name the same folder (compared canonically where both exist).
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Copies the folder `from` to `to` recursively (nothing if `from` does not exist).
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in list_dir(from)? {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            copy_file(&entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Copies the file `from` to `to` (nothing if `from` does not exist).
fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    if !from.is_file() {
        return Ok(());
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// Aggregates the runs of `meta.benchmarks` under `out/runs` into the per-benchmark tables, the
/// figures and `summary.md/.json`, and prints where they are. `started` (a fresh run) sets the
/// total wall time; regenerated outputs keep the original one. `meta.methods` becomes the
/// methods found in the tables.
fn write_outputs(
    out: &Path,
    mut meta: RunMeta,
    no_figures: bool,
    started: Option<Instant>,
) -> Result<(), String> {
    let runs_dir = out.join("runs");
    let mut tables_written = Vec::new();
    let mut bench_tables = Vec::new();
    for &b in &meta.benchmarks {
        let reports = tables::collect_reports(&runs_dir, b)?;
        let table = tables::aggregate(b, &reports)?;
        let (md, json) = table.write(out)?;
        tables_written.push(md);
        tables_written.push(json);
        bench_tables.push(table);
    }
    let mut methods: Vec<MethodName> = bench_tables
        .iter()
        .flat_map(|t| t.rows.iter().map(|r| r.method.clone()))
        .collect();
    methods.sort_by_key(tables::method_order);
    methods.dedup();
    meta.methods = methods;
    let figures_written = if no_figures {
        Vec::new()
    } else {
        eprintln!("drawing figures…");
        figures::make_all(&runs_dir, &out.join("figures"), &bench_tables)?
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

/// Builds the release `srl` binary and returns its path.
pub fn build_srl(root: &Path) -> Result<PathBuf, String> {
    build_release(root, "srl-cli", "--bin", "srl")
}

/// Builds target `name` (`kind`: `--bin` or `--example`) of `package` in release mode and
/// returns its path (read from cargo's JSON messages, so `CARGO_TARGET_DIR` and friends are
/// honoured).
pub fn build_release(
    root: &Path,
    package: &str,
    kind: &str,
    name: &str,
) -> Result<PathBuf, String> {
    build_release_with(root, package, kind, name, &[])
}

/// [`build_release`] with extra cargo arguments (e.g. `--features blas --target-dir DIR`).
pub fn build_release_with(
    root: &Path,
    package: &str,
    kind: &str,
    name: &str,
    extra: &[&str],
) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let what = format!(
        "cargo build --release -p {package} {kind} {name} {}",
        extra.join(" ")
    );
    eprintln!("building {name} ({what})…");
    let output = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            package,
            kind,
            name,
            "--message-format=json-render-diagnostics",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    if !output.status.success() {
        return Err(format!("`{what}` failed (see the compiler output above)"));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    find_executable(&stdout, name)
        .ok_or_else(|| format!("cargo built {package} but reported no `{name}` executable"))
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

/// `--full` never silently replaces finished results: a folder holding a `summary.json` or
/// finished runs needs `--resume` (add to it), `--force` (replace it) or another `--out`.
fn refuse_to_overwrite(args: &ReproduceArgs, profile: Profile, out: &Path) -> Result<(), String> {
    if profile != Profile::Full || args.aggregate_only || args.resume || args.force {
        return Ok(());
    }
    let has_runs = out.join("runs").is_dir()
        && std::fs::read_dir(out.join("runs")).is_ok_and(|mut d| d.next().is_some());
    if out.join("summary.json").is_file() || has_runs {
        return Err(format!(
            "{} already holds a full reproduction (committed results?): add --resume to keep its \
             finished runs and train the rest, --force to replace it, or --out DIR to write \
             elsewhere",
            out.display()
        ));
    }
    Ok(())
}

/// Makes sure each benchmark's data is in `data_dir`, fetching (or importing `from_dir`) what
/// is missing. Returns the benchmarks that can run and, for the others, why not (the fetch
/// failed: no network, a checksum mismatch, …). Generated benchmarks (IOL-linear) always run.
fn ensure_data(
    srl: &Path,
    data_dir: &Path,
    benchmarks: &[BenchmarkId],
    from_dir: Option<&Path>,
    base_url: Option<&str>,
) -> (Vec<BenchmarkId>, Vec<(BenchmarkId, String)>) {
    let mut ready = Vec::new();
    let mut skipped = Vec::new();
    for &b in benchmarks {
        if !srl_data::registry::builtin_names().contains(&b.as_str()) {
            ready.push(b); // generated (iol-linear)
            continue;
        }
        let manifest = match srl_data::registry::builtin(b.as_str()) {
            Ok(m) => m,
            Err(e) => {
                skipped.push((b, e.to_string()));
                continue;
            }
        };
        let Err(missing) = manifest.verify(data_dir) else {
            ready.push(b);
            continue;
        };
        eprintln!("{b}: {missing}; fetching…");
        let mut cmd = Command::new(srl);
        cmd.arg("fetch")
            .arg(b.as_str())
            .arg("--data-dir")
            .arg(data_dir);
        if let Some(f) = from_dir {
            cmd.arg("--from-dir").arg(f);
        }
        if let Some(u) = base_url {
            cmd.arg("--base-url").arg(u);
        }
        match cmd.output() {
            Ok(out) if out.status.success() => ready.push(b),
            Ok(out) => {
                let reason = String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("fetch failed")
                    .trim()
                    .to_string();
                skipped.push((
                    b,
                    format!(
                        "not in {} and not fetchable: {reason}; place the files with \
                         --from-dir FOLDER or point --data-dir / SRL_DATA_DIR at them",
                        data_dir.display()
                    ),
                ));
            }
            Err(e) => skipped.push((b, format!("cannot run `srl fetch`: {e}"))),
        }
    }
    (ready, skipped)
}

/// Creates the output folders and removes stale results of the benchmarks about to run, so
/// the tables only see this plan's runs. Without `resume`: everything of those benchmarks
/// (runs, logs, configurations of every method). With `resume`: for the plan's methods, the
/// runs, logs and configurations that are not in `planned` (seeds beyond `plan.seeds`, another
/// shard's runs); the folders of methods outside the plan are kept (and reach the tables).
fn prepare_out_dir(
    out: &Path,
    plan: &Plan,
    planned: &[RunSpec],
    resume: bool,
) -> Result<(), String> {
    for sub in ["runs", "configs", "logs"] {
        let d = out.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let is_planned = |b: BenchmarkId, m: &MethodName, seed: u64| {
        planned
            .iter()
            .any(|s| s.benchmark == b && &s.method == m && s.seed == seed)
    };
    for &b in &plan.benchmarks {
        if resume {
            for m in &plan.methods {
                let method_dir = out.join("runs").join(b.as_str()).join(m.to_string());
                for entry in list_dir(&method_dir)? {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let seed = run_folder::seed_of_dir(&name);
                    if !seed.is_some_and(|seed| is_planned(b, m, seed)) {
                        remove_dir(&entry.path())?;
                    }
                }
            }
            for entry in list_dir(&out.join("logs").join(b.as_str()))? {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some((m, seed)) = parse_method_seed(&name, ".log") {
                    if plan.methods.contains(&m) && !is_planned(b, &m, seed) {
                        remove_file(&entry.path())?;
                    }
                }
            }
        } else {
            remove_dir(&out.join("runs").join(b.as_str()))?;
            remove_dir(&out.join("logs").join(b.as_str()))?;
        }
        for entry in list_dir(&out.join("configs"))? {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Parsed, so `real-estate-…` is never mistaken for another benchmark's file.
            let Some((cb, m, seed)) = parse_config_name(&name) else {
                continue;
            };
            let stale = !resume || (plan.methods.contains(&m) && !is_planned(cb, &m, seed));
            if cb == b && stale {
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

/// True if the run folder of `spec` holds a finished run ([`run_folder::is_complete`]: its
/// `metrics.json` is written last) whose configuration equals the one in `configs/` (compared
/// as parsed configurations).
fn finished_with_same_config(spec: &RunSpec, out: &Path) -> bool {
    let run_dir = spec.run_dir(out);
    if !run_folder::is_complete(&run_dir) {
        return false;
    }
    let planned = std::fs::read_to_string(spec.config_path(out))
        .ok()
        .and_then(|t| RunConfig::from_toml_str(&t).ok());
    match (run_folder::read_config(&run_dir).ok(), planned) {
        (Some(done), Some(planned)) => done == planned,
        _ => false,
    }
}

/// A rough relative cost of a run, for ordering only: operator-learning runs (thousands of
/// full-batch iterations) cost ~20 UCI-DIR runs; per method, 1 for the regression loss plus
/// each component's extra from its row of the method table (`ComponentInfo::cost`).
pub fn estimated_cost(spec: &RunSpec) -> f64 {
    let benchmark = if spec.benchmark.is_operator() {
        20.0
    } else {
        1.0
    };
    let method: f64 = 1.0
        + spec
            .method
            .components()
            .iter()
            .map(|c| c.info().cost)
            .sum::<f64>();
    benchmark * method
}

/// Orders runs longest first by [`estimated_cost`] (SRL, ConR, RankSim runs before the cheap
/// baselines), so the cores stay busy to the end instead of leaving one long run alone at the
/// tail. Equal costs keep the plan's order (stable).
fn longest_first(runs: &mut [&RunSpec]) {
    runs.sort_by(|a, b| estimated_cost(b).total_cmp(&estimated_cost(a)));
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
fn write_config(srl: &Path, spec: &RunSpec, profile: Profile, out: &Path) -> Result<(), String> {
    let path = spec.config_path(out);
    let mut command = Command::new(srl);
    command
        .args(["config", "--benchmark", spec.benchmark.as_str()])
        .arg("--method")
        .arg(spec.method.to_string())
        .args(["--profile", profile.as_str()])
        .args(["--seed", &spec.seed.to_string()])
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

/// The `srl train` call of one run ([`runner::srl_train_call`]), from its written
/// configuration.
fn train_call(spec: &RunSpec, out: &Path, data_dir: &Path) -> Result<TrainCall, String> {
    let path = spec.config_path(out);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cfg = RunConfig::from_toml_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(runner::srl_train_call(
        &path,
        &cfg,
        data_dir,
        &spec.run_dir(out),
    ))
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
    /// `docs/results`, or `unknown` (merged shards: their distinct commits, `; `-separated).
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
    pub benchmarks: Vec<BenchmarkId>,
    /// Methods in the tables (older summaries: absent).
    #[serde(default)]
    pub methods: Vec<MethodName>,
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
    /// For results merged from `--shard` runs: one line per shard (runs, commit, start, wall
    /// time, folder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<String>,
    /// Benchmarks of the plan that were not run because their data was missing and could not
    /// be fetched, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_benchmarks: Vec<String>,
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
pub fn utc_now() -> String {
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

/// The top-level `summary.md`: provenance, an overview per benchmark (vanilla and SRL All/Few
/// with SRL's change next to the paper's, the best method on All MAE, SRL's rank among the
/// methods on All and on Few), every benchmark's tables, and the figures.
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
    let method_list: Vec<String> = meta.methods.iter().map(|m| m.to_string()).collect();
    md.push_str(&format!(
        "- Runs: {} benchmark(s) × {} method(s) ({}) × {} seed(s); exact configurations in \
         `configs/`, run folders in `runs/`, logs in `logs/`\n",
        meta.benchmarks.len(),
        meta.methods.len(),
        method_list.join(", "),
        meta.seeds
    ));
    if !meta.shards.is_empty() {
        md.push_str(&format!(
            "- Trained in {} shards (`--shard I/N`, docs/sweeps.md) and merged with \
             `--aggregate-only --from-shards`; the wall time is the longest shard's: {}\n",
            meta.shards.len(),
            meta.shards.join("; ")
        ));
    }
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
    if !meta.skipped_benchmarks.is_empty() {
        md.push_str(&format!(
            "- **Benchmarks skipped** (data missing and not fetchable): {}\n",
            meta.skipped_benchmarks.join("; ")
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
        "\n## Overview\n\nTest MAE (IOL: ×1e-3), mean over seeds; change = SRL vs vanilla; best = \
         the method with the lowest mean All MAE; rank = SRL's place among the methods by mean \
         MAE (1 = lowest).\n\n\
         | Benchmark | Vanilla All | SRL All | change All | paper change All | Vanilla Few | \
         SRL Few | change Few | paper change Few | best All | SRL rank All | SRL rank Few |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
    );
    let (vanilla, srl) = (MethodName::vanilla(), tables::srl_method());
    for t in tables {
        let scale = t.kind.mae_scale();
        let show = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{:.3}", x / scale));
        let change = |new: Option<f64>, old: Option<f64>| {
            tables::percent_cell(new.zip(old).and_then(|(n, o)| tables::change_percent(n, o)))
        };
        let paper = |m: &str, g: usize| t.paper.iter().find(|p| p.method == m).map(|p| p.mae[g]);
        let best = t.best(tables::ALL).map_or("—".to_string(), |(m, v)| {
            format!("{} {}", tables::display_method(m), show(Some(v)))
        });
        let rank = |g: usize| {
            t.rank(&srl, g)
                .map_or("—".to_string(), |(r, n)| format!("{r}/{n}"))
        };
        let (all, few) = (tables::ALL, tables::FEW);
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {best} | {} | {} |\n",
            tables::display_benchmark(t.benchmark),
            show(t.mean_mae(&vanilla, all)),
            show(t.mean_mae(&srl, all)),
            change(t.mean_mae(&srl, all), t.mean_mae(&vanilla, all)),
            change(paper("SRL", all), paper("Vanilla", all)),
            show(t.mean_mae(&vanilla, few)),
            show(t.mean_mae(&srl, few)),
            change(t.mean_mae(&srl, few), t.mean_mae(&vanilla, few)),
            change(paper("SRL", few), paper("Vanilla", few)),
            rank(all),
            rank(few),
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
    use crate::tables::tests::{method, report, write_report};
    use clap::Parser;

    /// `cargo xtask reproduce` flags as clap parses them.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ReproduceArgs,
    }

    fn parse(flags: &[&str]) -> Result<ReproduceArgs, String> {
        let argv = std::iter::once("reproduce").chain(flags.iter().copied());
        Cli::try_parse_from(argv)
            .map(|c| c.args)
            .map_err(|e| e.to_string())
    }

    fn args(only: &[BenchmarkId]) -> ReproduceArgs {
        ReproduceArgs {
            only: only.to_vec(),
            ..ReproduceArgs::default()
        }
    }

    fn spec(benchmark: BenchmarkId, m: &str, seed: u64) -> RunSpec {
        RunSpec {
            benchmark,
            method: method(m),
            seed,
        }
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

    #[test]
    fn plan_defaults_only_and_methods() {
        let p = Plan::from_args(&args(&[])).unwrap();
        assert_eq!(p.profile, Profile::Quick);
        assert_eq!(p.seeds, 2);
        assert_eq!(p.benchmarks.len(), 6);
        assert_eq!(p.methods, default_methods());
        assert_eq!(p.runs().len(), 6 * 2 * DEFAULT_METHODS.len());

        let a = parse(&[
            "--only",
            "iol-linear,airfoil,airfoil",
            "--methods",
            "srl+ranksim,vanilla,ranksim+srl",
        ])
        .unwrap();
        let p = Plan::from_args(&a).unwrap();
        assert_eq!(
            p.benchmarks,
            vec![BenchmarkId::Airfoil, BenchmarkId::IolLinear]
        );
        assert_eq!(p.methods, vec![method("srl+ranksim"), method("vanilla")]);
        assert_eq!(p.runs()[0], spec(BenchmarkId::Airfoil, "srl+ranksim", 0));
        let full = Plan::from_args(&ReproduceArgs {
            full: true,
            methods: vec![method("vanilla"), method("srl")],
            ..args(&[BenchmarkId::Concrete])
        })
        .unwrap();
        assert_eq!((full.profile, full.seeds), (Profile::Full, 5));
        assert_eq!(full.runs()[1].method, method("srl"));

        let e = parse(&["--only", "mnist"]).unwrap_err();
        assert!(e.contains("mnist") && e.contains("airfoil"), "{e}");
        let e = parse(&["--methods", "srl+magic"]).unwrap_err();
        assert!(e.contains("magic"), "{e}");
        assert!(
            parse(&["--from-shards", "a,b"]).is_err(),
            "needs --aggregate-only"
        );
        assert!(parse(&["--shard", "0/3"]).unwrap_err().contains("0/3"));
        assert!(parse(&["--shard", "4/3"]).is_err());
        assert_eq!(
            parse(&["--shard", "2/3"]).unwrap().shard,
            Some(Shard { index: 2, count: 3 })
        );
        let zero = ReproduceArgs {
            seeds: Some(0),
            ..args(&[])
        };
        assert!(Plan::from_args(&zero).is_err());
    }

    #[test]
    fn run_paths() {
        let s = spec(BenchmarkId::RealEstate, "srl", 3);
        let out = Path::new("/o");
        assert_eq!(s.name(), "real-estate/srl/seed3");
        assert_eq!(
            s.config_path(out),
            PathBuf::from("/o/configs/real-estate-srl-seed3.toml")
        );
        assert_eq!(
            s.run_dir(out),
            PathBuf::from("/o/runs/real-estate/srl/seed3")
        );
        assert_eq!(
            s.log_path(out),
            PathBuf::from("/o/logs/real-estate/srl-seed3.log")
        );
        let c = spec(BenchmarkId::IolSde, "srl+ranksim", 0);
        assert_eq!(
            c.config_path(out),
            PathBuf::from("/o/configs/iol-sde-srl+ranksim-seed0.toml")
        );
        assert_eq!(
            parse_config_name("iol-sde-srl+ranksim-seed0.toml"),
            Some((BenchmarkId::IolSde, method("srl+ranksim"), 0))
        );
        assert_eq!(
            parse_config_name("real-estate-lds+fds-seed12.toml"),
            Some((BenchmarkId::RealEstate, method("lds+fds"), 12))
        );
        assert_eq!(parse_config_name("notes.toml"), None);
        assert_eq!(
            parse_method_seed("vanilla-seed4.log", ".log"),
            Some((method("vanilla"), 4))
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

    fn put(out: &Path, rel: &str, text: &str) {
        let p = out.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn stale_results_of_selected_benchmarks_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for f in [
            "configs/real-estate-srl-seed0.toml",
            "configs/airfoil-srl-seed0.toml",
            "configs/airfoil-focal-seed0.toml",
            "runs/real-estate/srl/seed0/metrics.json",
            "runs/airfoil/srl/seed0/metrics.json",
        ] {
            put(out, f, "x");
        }
        let plan = Plan::from_args(&args(&[BenchmarkId::Airfoil])).unwrap();
        prepare_out_dir(out, &plan, &plan.runs(), false).unwrap();
        assert!(!out.join("configs/airfoil-srl-seed0.toml").exists());
        assert!(!out.join("configs/airfoil-focal-seed0.toml").exists());
        assert!(!out.join("runs/airfoil").exists());
        assert!(out.join("configs/real-estate-srl-seed0.toml").exists());
        assert!(out.join("runs/real-estate/srl/seed0/metrics.json").exists());
        assert!(out.join("logs").is_dir());
    }

    #[test]
    fn resume_keeps_finished_runs_with_the_same_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let plan = Plan::from_args(&args(&[BenchmarkId::Airfoil])).unwrap(); // seeds 0 and 1
        let config = |seed: u64, epochs: usize| {
            let mut c =
                RunConfig::preset(BenchmarkId::Airfoil, &method("srl"), Profile::Quick).unwrap();
            c.seed = seed;
            c.optim.epochs = epochs;
            c.to_toml_string().unwrap()
        };
        // seed0: finished with the planned configuration -> kept.
        // seed1: finished, but with another configuration -> trained again.
        // vanilla seed0: interrupted (no metrics.json) -> trained again.
        // seed7: outside the plan -> removed.
        // focal: a method outside the plan -> left alone.
        put(out, "runs/airfoil/srl/seed0/config.toml", &config(0, 100));
        put(out, "runs/airfoil/srl/seed0/metrics.json", "{}");
        put(out, "runs/airfoil/srl/seed1/config.toml", &config(1, 5));
        put(out, "runs/airfoil/srl/seed1/metrics.json", "{}");
        put(out, "runs/airfoil/vanilla/seed0/log.jsonl", "");
        put(out, "runs/airfoil/srl/seed7/metrics.json", "{}");
        put(out, "logs/airfoil/srl-seed7.log", "");
        put(out, "configs/airfoil-srl-seed7.toml", "");
        put(out, "runs/airfoil/focal/seed9/metrics.json", "{}");
        put(out, "logs/airfoil/focal-seed9.log", "");
        put(out, "configs/airfoil-focal-seed9.toml", "");
        prepare_out_dir(out, &plan, &plan.runs(), true).unwrap();
        assert!(!out.join("runs/airfoil/srl/seed7").exists());
        assert!(!out.join("logs/airfoil/srl-seed7.log").exists());
        assert!(!out.join("configs/airfoil-srl-seed7.toml").exists());
        assert!(out.join("runs/airfoil/srl/seed0/metrics.json").exists());
        assert!(out.join("runs/airfoil/focal/seed9/metrics.json").exists());
        assert!(out.join("logs/airfoil/focal-seed9.log").exists());
        assert!(out.join("configs/airfoil-focal-seed9.toml").exists());
        put(out, "configs/airfoil-srl-seed0.toml", &config(0, 100));
        put(out, "configs/airfoil-srl-seed1.toml", &config(1, 100));
        let a = BenchmarkId::Airfoil;
        assert!(finished_with_same_config(&spec(a, "srl", 0), out));
        assert!(!finished_with_same_config(&spec(a, "srl", 1), out));
        assert!(!finished_with_same_config(&spec(a, "vanilla", 0), out));
        assert!(!finished_with_same_config(&spec(a, "vanilla", 1), out));

        assert_eq!(
            describe_kept(&spec(a, "srl", 0), out),
            "airfoil/srl/seed0 (provenance unknown)"
        );
        write_provenance(&spec(a, "srl", 0), out, "abc").unwrap();
        assert!(describe_kept(&spec(a, "srl", 0), out)
            .starts_with("airfoil/srl/seed0 (commit abc, finished 20"));
        clear_run(&spec(a, "srl", 1), out).unwrap();
        assert!(!out.join("runs/airfoil/srl/seed1").exists());

        // Without --resume everything of the benchmark goes, other methods too.
        prepare_out_dir(out, &plan, &plan.runs(), false).unwrap();
        assert!(!out.join("runs/airfoil").exists());
        assert!(!out.join("configs/airfoil-focal-seed9.toml").exists());
    }

    #[test]
    fn longest_runs_start_first() {
        let (a, i) = (BenchmarkId::Airfoil, BenchmarkId::IolLinear);
        let runs = [
            spec(a, "vanilla", 0),
            spec(a, "srl", 0),
            spec(a, "lds", 0),
            spec(a, "conr", 0),
            spec(a, "vanilla", 1),
            spec(a, "srl+ranksim", 0),
            spec(a, "srl", 1),
            spec(i, "vanilla", 0),
        ];
        let mut order: Vec<&RunSpec> = runs.iter().collect();
        longest_first(&mut order);
        let names: Vec<String> = order.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "iol-linear/vanilla/seed0",
                "airfoil/srl+ranksim/seed0",
                "airfoil/srl/seed0",
                "airfoil/srl/seed1",
                "airfoil/conr/seed0",
                "airfoil/lds/seed0",
                "airfoil/vanilla/seed0",
                "airfoil/vanilla/seed1",
            ]
        );
    }

    #[test]
    fn shards_partition_the_plan() {
        let plan = Plan::from_args(&ReproduceArgs {
            seeds: Some(3),
            ..args(&[BenchmarkId::Airfoil, BenchmarkId::IolSde])
        })
        .unwrap();
        let runs = plan.runs();
        for n in [1, 2, 4, 7, 100] {
            let mut union: Vec<RunSpec> = Vec::new();
            for index in 1..=n {
                let shard = Shard { index, count: n };
                let mine = shard.select(&runs);
                // Deterministic: the same plan gives the same shard.
                assert_eq!(mine, shard.select(&plan.runs()));
                // Balanced: sizes differ by at most one.
                assert!(mine.len() >= runs.len() / n && mine.len() <= runs.len().div_ceil(n));
                for r in &mine {
                    assert!(!union.contains(r), "{} is in two shards", r.name());
                }
                union.extend(mine);
            }
            let mut all = runs.clone();
            let key = |r: &RunSpec| r.name();
            all.sort_by_key(key);
            union.sort_by_key(key);
            assert_eq!(union, all, "N = {n}");
        }
        assert_eq!(
            Shard { index: 2, count: 4 }.record_file(),
            "shard-2-of-4.json"
        );
        assert_eq!("3/8".parse::<Shard>().unwrap().to_string(), "3/8");
    }

    fn meta(benchmarks: Vec<BenchmarkId>) -> RunMeta {
        RunMeta {
            profile: "quick".into(),
            command: "cargo xtask reproduce --quick --only airfoil".into(),
            commit: "abc".into(),
            date_utc: format_utc(0),
            cores: 2,
            jobs: 2,
            seeds: 2,
            benchmarks,
            methods: vec![],
            wall_seconds: 100.0,
            train_seconds: 80.0,
            data_dir: "/d".into(),
            failed_runs: vec![],
            regenerated: None,
            kept_runs: vec![],
            shards: vec![],
            skipped_benchmarks: vec![],
        }
    }

    #[test]
    fn full_refuses_to_overwrite_finished_results_without_resume_or_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let full = ReproduceArgs {
            full: true,
            out: Some(out.to_path_buf()),
            ..ReproduceArgs::default()
        };
        // An empty folder is fine.
        assert!(refuse_to_overwrite(&full, Profile::Full, out).is_ok());
        std::fs::write(out.join("summary.json"), "{}").unwrap();
        let e = refuse_to_overwrite(&full, Profile::Full, out).unwrap_err();
        assert!(e.contains("--resume") && e.contains("--force"), "{e}");
        for ok in [
            ReproduceArgs {
                resume: true,
                ..full.clone()
            },
            ReproduceArgs {
                force: true,
                ..full.clone()
            },
            ReproduceArgs {
                aggregate_only: true,
                ..full.clone()
            },
        ] {
            assert!(refuse_to_overwrite(&ok, Profile::Full, out).is_ok());
        }
        // The quick profile writes to a git-ignored folder and may overwrite.
        assert!(refuse_to_overwrite(&full, Profile::Quick, out).is_ok());
    }

    #[test]
    fn missing_unfetchable_data_skips_the_benchmark_with_the_reason() {
        // A stand-in for `srl` whose fetch always fails like a machine without network.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("srl");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho 'error: airfoil: network error: connection refused' >&2\nexit 1\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let empty = dir.path().join("data");
        std::fs::create_dir_all(&empty).unwrap();
        let (ready, skipped) = ensure_data(
            &fake,
            &empty,
            &[BenchmarkId::Airfoil, BenchmarkId::IolLinear],
            None,
            None,
        );
        // IOL-linear is generated: it always runs; airfoil is skipped with the fetch's reason.
        assert_eq!(ready, vec![BenchmarkId::IolLinear]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].0, BenchmarkId::Airfoil);
        assert!(
            skipped[0].1.contains("connection refused"),
            "{}",
            skipped[0].1
        );
        assert!(skipped[0].1.contains("--from-dir"), "{}", skipped[0].1);
        let mut m = meta(vec![BenchmarkId::IolLinear]);
        m.skipped_benchmarks = vec![format!("airfoil ({})", skipped[0].1)];
        let md = summary_markdown(&m, &[], &[]);
        assert!(
            md.contains("Benchmarks skipped") && md.contains("airfoil"),
            "{md}"
        );
    }

    #[test]
    fn summary_from_synthetic_runs() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let a = BenchmarkId::Airfoil;
        let mut reports = Vec::new();
        for (m, mae) in [("vanilla", 6.0), ("srl", 5.0)] {
            for s in 0..2u64 {
                let d = runs.join("airfoil").join(m).join(format!("seed{s}"));
                crate::figures::tests::write_synthetic_run(&d, m, s, 100);
                let r = report(a, m, s, [mae + s as f64, mae, mae, mae + 2.0]);
                write_report(&d, &r);
                reports.push(r);
            }
        }
        let collected = tables::collect_reports(&runs, a).unwrap();
        assert_eq!(collected.len(), 4);
        let table = tables::aggregate(a, &reports).unwrap();
        let mut meta = meta(vec![a]);
        meta.methods = vec![MethodName::vanilla(), tables::srl_method()];
        meta.failed_runs = vec!["airfoil/srl/seed2".into()];
        meta.kept_runs = vec!["airfoil/srl/seed0 (commit abc, finished x)".into()];
        let md = summary_markdown(
            &meta,
            &[table],
            &["figures/airfoil-feature-space.png".into()],
        );
        assert!(
            md.contains("`cargo xtask reproduce --quick --only airfoil`"),
            "{md}"
        );
        // Vanilla All mean 6.5, SRL All mean 5.5: −15.4 %; paper −9.9 %; SRL best, rank 1/2.
        let row =
            "| Airfoil | 6.500 | 5.500 | -15.4 % | -9.9 % | 8.000 | 7.000 | -12.5 % | -15.7 % \
                   | SRL 5.500 | 1/2 | 1/2 |";
        assert!(md.contains(row), "{md}");
        assert!(md.contains("2 method(s) (vanilla, srl)"), "{md}");
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
        assert!(md.contains(row), "{md}");
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

    #[test]
    fn many_methods_in_the_summary() {
        let b = BenchmarkId::IolLinear;
        let table = tables::aggregate(b, &crate::tables::tests::many_method_reports(b)).unwrap();
        let md = summary_markdown(&meta(vec![b]), &[table], &[]);
        // IOL values ×1e-3: vanilla All mean 10.1 → 10100.000; best is bni+srl (4.6).
        assert!(md.contains("| BNI+SRL 4600.000 | 4/12 | 4/12 |"), "{md}");
        assert!(
            md.contains("| IOL linear (antiderivative) | 10100.000 | 6100.000 | -39.6 % |"),
            "{md}"
        );
        for m in DEFAULT_METHODS {
            let shown = tables::display_method(&method(m));
            assert!(md.contains(&format!("| {shown} | 3 |")), "{shown}: {md}");
        }
    }

    /// Writes the reports of `runs` into `out` as finished runs (metrics.json, a config and a
    /// log), e.g. the runs of one shard.
    fn write_runs(out: &Path, runs: &[RunSpec]) {
        for s in runs {
            let all = 3.0 + s.seed as f64 + 0.1 * s.method.components().len() as f64;
            write_report(
                &s.run_dir(out),
                &report(
                    s.benchmark,
                    &s.method.to_string(),
                    s.seed,
                    [all, all, all, all + 1.0],
                ),
            );
            put(
                out,
                &s.config_path(Path::new("")).display().to_string(),
                "# config",
            );
            put(out, &s.log_path(Path::new("")).display().to_string(), "log");
        }
    }

    #[test]
    fn merged_shards_give_the_tables_of_an_unsharded_run() {
        let dir = tempfile::tempdir().unwrap();
        let plan_args = ReproduceArgs {
            methods: vec![method("vanilla"), method("srl"), method("srl+ranksim")],
            seeds: Some(3),
            ..args(&[BenchmarkId::Airfoil, BenchmarkId::IolLinear])
        };
        let plan = Plan::from_args(&plan_args).unwrap();
        let runs = plan.runs();

        // Unsharded: every run in one folder, aggregated as `--aggregate-only` does.
        let flat = dir.path().join("flat");
        write_runs(&flat, &runs);
        let summary = serde_json::json!({ "meta": meta(plan.benchmarks.clone()), "tables": [] });
        put(&flat, "summary.json", &summary.to_string());
        run(&ReproduceArgs {
            aggregate_only: true,
            no_figures: true,
            out: Some(flat.clone()),
            ..ReproduceArgs::default()
        })
        .unwrap();

        // Three shards, each in its own folder with its record.
        let n = 3;
        let mut shard_dirs = Vec::new();
        for index in 1..=n {
            let shard = Shard { index, count: n };
            let d = dir.path().join(format!("shard{index}"));
            let mine = shard.select(&runs);
            write_runs(&d, &mine);
            let mut m = meta(plan.benchmarks.clone());
            m.command = format!("cargo xtask reproduce --shard {shard} --out x");
            m.wall_seconds = 10.0 * index as f64;
            ShardRecord {
                shard,
                plan: plan.clone(),
                runs: mine.iter().map(RunSpec::name).collect(),
                finished: true,
                meta: m,
            }
            .write(&d)
            .unwrap();
            shard_dirs.push(d);
        }
        let merged = dir.path().join("merged");
        let merge = ReproduceArgs {
            aggregate_only: true,
            no_figures: true,
            out: Some(merged.clone()),
            from_shards: shard_dirs.clone(),
            ..ReproduceArgs::default()
        };
        run(&merge).unwrap();
        for b in &plan.benchmarks {
            let read = |d: &Path| std::fs::read_to_string(d.join(format!("{b}.json"))).unwrap();
            assert_eq!(read(&merged), read(&flat), "{b}");
            let read_md = |d: &Path| std::fs::read_to_string(d.join(format!("{b}.md"))).unwrap();
            assert_eq!(read_md(&merged), read_md(&flat), "{b}");
        }
        for s in &runs {
            assert!(run_folder::is_complete(&s.run_dir(&merged)), "{}", s.name());
            assert!(s.config_path(&merged).is_file() && s.log_path(&merged).is_file());
        }
        let md = std::fs::read_to_string(merged.join("summary.md")).unwrap();
        assert!(md.contains("Trained in 3 shards"), "{md}");
        assert!(
            md.contains("`cargo xtask reproduce --shard I/3 --out x`"),
            "{md}"
        );
        assert!(md.contains("30.0 s in total"), "{md}");
        // The merged folder is an ordinary result folder: --aggregate-only works on it.
        run(&ReproduceArgs {
            from_shards: vec![],
            ..merge.clone()
        })
        .unwrap();

        // A missing shard: its runs are listed as failed; a shard twice or of another plan is
        // an error; the output may not be a shard folder.
        run(&ReproduceArgs {
            from_shards: shard_dirs[..2].to_vec(),
            ..merge.clone()
        })
        .unwrap();
        let md = std::fs::read_to_string(merged.join("summary.md")).unwrap();
        assert!(md.contains("(shard 3/3 missing)"), "{md}");

        // A shard stopped by a time limit (record unfinished, one run without metrics.json):
        // its finished runs count, the other is listed as failed.
        let mut rec = ShardRecord::read(&shard_dirs[1]).unwrap();
        rec.finished = false;
        rec.write(&shard_dirs[1]).unwrap();
        let lost = &Shard { index: 2, count: n }.select(&runs)[0];
        std::fs::remove_file(lost.run_dir(&shard_dirs[1]).join(run_folder::METRICS)).unwrap();
        run(&merge).unwrap();
        let md = std::fs::read_to_string(merged.join("summary.md")).unwrap();
        assert!(
            md.contains(&format!("{} (shard 2/3 did not finish)", lost.name())),
            "{md}"
        );
        assert!(md.contains("2/3: "), "{md}");
        assert!(!run_folder::is_complete(&lost.run_dir(&merged)));
        let twice = vec![shard_dirs[0].clone(), shard_dirs[0].clone()];
        let e = run(&ReproduceArgs {
            from_shards: twice,
            ..merge.clone()
        })
        .unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let e = run(&ReproduceArgs {
            out: Some(shard_dirs[1].clone()),
            ..merge.clone()
        })
        .unwrap_err();
        assert!(e.contains("shard folders"), "{e}");
        let other = dir.path().join("other");
        let mut other_plan = plan.clone();
        other_plan.seeds = 2;
        ShardRecord {
            shard: Shard { index: 3, count: 3 },
            plan: other_plan,
            runs: vec![],
            finished: true,
            meta: meta(plan.benchmarks.clone()),
        }
        .write(&other)
        .unwrap();
        let e = run(&ReproduceArgs {
            from_shards: vec![shard_dirs[0].clone(), other],
            ..merge
        })
        .unwrap_err();
        assert!(e.contains("different plans"), "{e}");
    }
}
