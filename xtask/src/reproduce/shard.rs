//! Running the plan's runs: the output folder made ready (stale results cleared, or finished
//! runs kept with `--resume`), each run's configuration and `srl train` call, longest runs
//! first, provenance of finished runs, and `--shard I/N`: which runs a shard owns, the record
//! it leaves (`shard-I-of-N.json`) and the merge of shard folders
//! (`--aggregate-only --from-shards`).

use super::plan::{parse_config_name, parse_method_seed, Plan, RunSpec};
use super::summary::{write_outputs, RunMeta};
use crate::common::{
    command_line, copy_dir, copy_file, create_dir, git_commit, human_duration, list_dir, read_file,
    remove_dir, remove_file, repo_root, run_quietly, utc_now, write_file,
};
use crate::error::{Result, XtaskError};
use crate::runner::{self, Job, JobResult, OnFailure, TrainCall};
use serde::{Deserialize, Serialize};
use srl_data::BenchmarkId;
use srl_train::{run_folder, MethodName, Profile, RunConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One of N disjoint parts of a plan: `--shard I/N`, I in 1..=N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based index I.
    pub index: usize,
    /// Number of shards N.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = XtaskError;
    fn from_str(s: &str) -> Result<Shard> {
        let bad = || {
            XtaskError::InvalidArgument(format!(
                "`{s}` is not a shard I/N with 1 ≤ I ≤ N (e.g. 2/4)"
            ))
        };
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
    pub fn write(&self, out: &Path) -> Result<PathBuf> {
        let path = out.join(self.shard.record_file());
        let text = serde_json::to_string_pretty(self)? + "\n";
        write_file(&path, &text)?;
        Ok(path)
    }

    /// Reads the one `shard-*-of-*.json` in `dir`.
    pub fn read(dir: &Path) -> Result<ShardRecord> {
        let records = shard_record_files(dir)?;
        let [path] = records.as_slice() else {
            return Err(XtaskError::InvalidData(format!(
                "{} holds {} shard-I-of-N.json files, expected one (is it the --out of a \
                 finished `reproduce --shard I/N`?)",
                dir.display(),
                records.len()
            )));
        };
        let text = read_file(path)?;
        serde_json::from_str(&text).map_err(|e| XtaskError::parse(path, e))
    }
}

/// The `shard-*-of-*.json` files in `dir`.
pub fn shard_record_files(dir: &Path) -> Result<Vec<PathBuf>> {
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

/// `--aggregate-only --from-shards DIRS`: merges the output folders of `--shard I/N` runs into
/// `out` and writes the tables, figures and summary there.
///
/// Every folder must hold one `shard-I-of-N.json` ([`ShardRecord`]); all must share N and the
/// plan, and no shard may appear twice. `out`'s folders of the plan's benchmarks are cleared,
/// then each shard's run folders, configurations and logs (of the runs the plan assigns to it)
/// are copied in. A shard that is not given is reported, and its runs are listed as failed in
/// the summary. The summary's provenance combines the shards' (commits, earliest start, the
/// longest shard's wall time) and lists each shard.
pub fn merge_shards(dirs: &[PathBuf], out: &Path, no_figures: bool) -> Result<()> {
    let mut records: Vec<(PathBuf, ShardRecord)> = Vec::new();
    for d in dirs {
        if same_dir(d, out) {
            return Err(XtaskError::InvalidArgument(format!(
                "--out {} is one of the shard folders: merge into a new folder",
                out.display()
            )));
        }
        records.push((d.clone(), ShardRecord::read(d)?));
    }
    records.sort_by_key(|(_, r)| r.shard);
    let Some((first_dir, first)) = records.first().cloned() else {
        return Err(XtaskError::InvalidArgument(
            "--from-shards names no folder".into(),
        ));
    };
    for (d, r) in &records {
        if r.shard.count != first.shard.count || r.plan != first.plan {
            return Err(XtaskError::InvalidArgument(format!(
                "{} ({}) and {} ({}) are shards of different plans",
                first_dir.display(),
                first.shard,
                d.display(),
                r.shard
            )));
        }
    }
    if let Some(w) = records.windows(2).find(|w| w[0].1.shard == w[1].1.shard) {
        return Err(XtaskError::InvalidArgument(format!(
            "shard {} is given twice: {} and {}",
            w[0].1.shard,
            w[0].0.display(),
            w[1].0.display()
        )));
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
    write_outputs(out, meta, no_figures, None)
}

/// Whether `a` and `b` name the same folder (compared canonically where both exist).
pub fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The runs of one invocation, ready to train.
pub struct Prepared<'a> {
    /// Finished runs kept from an earlier invocation (`--resume`, same configuration).
    pub kept: Vec<&'a RunSpec>,
    /// The runs to train, longest first, each with its `srl train` call.
    pub to_train: Vec<(&'a RunSpec, TrainCall)>,
}

/// Makes `out` ready for `runs` ([`prepare_out_dir`]), writes every run's configuration with
/// `srl config`, keeps (with `resume`) the finished runs of the same configuration and prepares
/// the `srl train` call of the others, longest first ([`longest_first`]): an interrupted attempt
/// with the same configuration continues (`srl train --resume`), any other starts afresh.
pub fn prepare_runs<'a>(
    srl: &Path,
    out: &Path,
    plan: &Plan,
    runs: &'a [RunSpec],
    resume: bool,
    data_dir: &Path,
) -> Result<Prepared<'a>> {
    prepare_out_dir(out, plan, runs, resume)?;
    for spec in runs {
        write_config(srl, spec, plan.profile, out)?;
    }
    let (kept, mut train): (Vec<&RunSpec>, Vec<&RunSpec>) = runs
        .iter()
        .partition(|spec| resume && finished_with_same_config(spec, out));
    longest_first(&mut train);
    let mut to_train = Vec::with_capacity(train.len());
    for spec in train {
        let call = train_call(spec, out, data_dir)?;
        if !call.resumes {
            clear_run(spec, out)?;
        }
        to_train.push((spec, call));
    }
    let resumed = to_train.iter().filter(|(_, c)| c.resumes).count();
    if resumed > 0 {
        eprintln!("continuing {resumed} interrupted run(s) from their resume state");
    }
    if resume {
        eprintln!(
            "--resume: keeping {} finished run(s), training {}",
            kept.len(),
            to_train.len()
        );
    }
    Ok(Prepared { kept, to_train })
}

/// Trains `to_train` with the `srl` binary, `jobs` at a time (each child's threads an equal
/// share of `cores`), printing each as it finishes, and writes the provenance (`commit`) of
/// those that succeeded. A failed run (say, a diverged seed) does not stop the others. Returns
/// every run's result and the wall time of the training.
pub fn train_runs(
    srl: &Path,
    out: &Path,
    to_train: Vec<(&RunSpec, TrainCall)>,
    jobs: usize,
    cores: usize,
    commit: &str,
) -> Result<(Vec<JobResult>, f64)> {
    let threads_per_job = (cores / jobs).max(1).to_string();
    let specs: Vec<&RunSpec> = to_train.iter().map(|(spec, _)| *spec).collect();
    let job_list: Vec<Job> = to_train
        .into_iter()
        .map(|(spec, call)| Job {
            name: spec.name(),
            program: srl.to_path_buf(),
            args: call.args,
            env: vec![("RAYON_NUM_THREADS".into(), threads_per_job.clone())],
            log: spec.log_path(out),
            append_log: call.resumes,
        })
        .collect();
    let start = Instant::now();
    let results = runner::run_jobs(job_list, jobs, OnFailure::KeepGoing, &|r, done, total| {
        let status = if r.success { "ok" } else { "FAILED" };
        eprintln!("[{done}/{total}] {} {status} ({:.1} s)", r.name, r.seconds);
    });
    let seconds = start.elapsed().as_secs_f64();
    for spec in specs {
        if results.iter().any(|r| r.success && r.name == spec.name()) {
            write_provenance(spec, out, commit)?;
        }
    }
    Ok((results, seconds))
}

/// Creates the output folders and removes stale results of the benchmarks about to run, so
/// the tables only see this plan's runs. Without `resume`: everything of those benchmarks
/// (runs, logs, configurations of every method). With `resume`: for the plan's methods, the
/// runs, logs and configurations that are not in `planned` (seeds beyond `plan.seeds`, another
/// shard's runs); the folders of methods outside the plan are kept (and reach the tables).
pub fn prepare_out_dir(out: &Path, plan: &Plan, planned: &[RunSpec], resume: bool) -> Result<()> {
    for sub in ["runs", "configs", "logs"] {
        let d = out.join(sub);
        create_dir(&d)?;
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

/// True if the run folder of `spec` holds a finished run ([`run_folder::is_complete`]: its
/// `metrics.json` is written last) whose configuration equals the one in `configs/` (compared
/// as parsed configurations).
pub fn finished_with_same_config(spec: &RunSpec, out: &Path) -> bool {
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
pub fn longest_first(runs: &mut [&RunSpec]) {
    runs.sort_by(|a, b| estimated_cost(b).total_cmp(&estimated_cost(a)));
}

/// Removes what an unfinished or outdated run of `spec` left (its folder and log).
pub fn clear_run(spec: &RunSpec, out: &Path) -> Result<()> {
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

pub fn write_provenance(spec: &RunSpec, out: &Path, commit: &str) -> Result<()> {
    let p = RunProvenance {
        commit: commit.to_string(),
        finished_utc: utc_now(),
    };
    let text = serde_json::to_string_pretty(&p)?;
    write_file(&spec.run_dir(out).join("provenance.json"), &text)
}

/// `iol-sde/srl/seed0 (commit …, finished …)` for a kept run.
pub fn describe_kept(spec: &RunSpec, out: &Path) -> String {
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
pub fn write_config(srl: &Path, spec: &RunSpec, profile: Profile, out: &Path) -> Result<()> {
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

/// The `srl train` call of one run ([`runner::srl_train_call`]), from its written
/// configuration.
pub fn train_call(spec: &RunSpec, out: &Path, data_dir: &Path) -> Result<TrainCall> {
    let path = spec.config_path(out);
    let text = read_file(&path)?;
    let cfg = RunConfig::from_toml_str(&text).map_err(|e| XtaskError::parse(&path, e))?;
    Ok(runner::srl_train_call(
        &path,
        &cfg,
        data_dir,
        &spec.run_dir(out),
    ))
}

/// One message naming every failed run with its log (after showing the first log's tail), or
/// `None` if every run succeeded.
pub fn describe_failures(results: &[JobResult], planned: usize) -> Option<String> {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::reproduce::plan::tests::{quick_plan, spec};
    use crate::tables::tests::method;

    /// Writes `text` to `out/rel`, creating the folders (test helper).
    pub(crate) fn put(out: &Path, rel: &str, text: &str) {
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
        let plan = quick_plan(&[BenchmarkId::Airfoil]);
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
        let plan = quick_plan(&[BenchmarkId::Airfoil]); // seeds 0 and 1
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
        let plan = Plan::new(
            false,
            &[BenchmarkId::Airfoil, BenchmarkId::IolSde],
            &[],
            Some(3),
        )
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
}
