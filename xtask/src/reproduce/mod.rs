//! `cargo xtask reproduce`: train every method on every benchmark over several seeds with the
//! release `srl` binary, then write the result tables, figures and a summary.
//!
//! Steps:
//! 1. build `srl` with `cargo build --release -p srl-cli` (xtask itself stays unoptimised);
//! 2. make sure the data is there (`srl fetch`, or a clear message how to provide it);
//! 3. write the preset configuration of every run with `srl config` into `configs/` (the
//!    exact configs of the tables), `configs/<benchmark>-<method>-seed<k>.toml`;
//! 4. run `srl train --config … --out runs/<benchmark>/<method>/seed<k>` for all runs, J at a
//!    time, longest first ([`shard::estimated_cost`]), each run's output captured in
//!    `logs/<benchmark>/<method>-seed<k>.log`;
//! 5. aggregate into `<benchmark>.md/.json` (see [`crate::tables`]), draw `figures/` (see
//!    [`crate::figures`]) and write `summary.md/.json` with the commit, date, machine, wall
//!    time and command line ([`summary`]).
//!
//! Methods: `--methods LIST` (comma-separated [`MethodName`]s, e.g. `vanilla,srl,srl+ranksim`);
//! the default is [`crate::tables::DEFAULT_METHODS`]. A method's folder and file names use its canonical text
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

//!
//! The parts: [`plan`] (what runs and where its files go), [`shard`] (running, resuming and
//! sharding the runs, merging shards), [`summary`] (provenance, tables, figures, summary);
//! this file is the command itself.

mod plan;
mod shard;
mod summary;

pub use plan::{Plan, RunSpec};
pub use shard::{Shard, ShardRecord};

use crate::common::{build_srl, command_line, git_commit, human_duration, repo_root, utc_now};
use crate::error::{Result, XtaskError};
use shard::{
    describe_failures, describe_kept, merge_shards, prepare_runs, shard_record_files, train_runs,
    Prepared,
};
use srl_data::BenchmarkId;
use srl_train::{MethodName, Profile};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use summary::{write_outputs, RunMeta};

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

impl ReproduceArgs {
    /// The [`Plan`] these flags describe ([`Plan::new`]).
    pub fn plan(&self) -> Result<Plan> {
        Plan::new(self.full, &self.only, &self.methods, self.seeds)
    }
}

/// Runs `cargo xtask reproduce`.
pub fn run(args: &ReproduceArgs) -> Result<()> {
    let start = Instant::now();
    let mut plan = args.plan()?;
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
            return merge_shards(&args.from_shards, &out, args.no_figures);
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
        return Err(XtaskError::InvalidArgument(format!(
            "a shard needs the data of every planned benchmark (missing: {}); fetch it first \
             (`srl fetch all`) or narrow the plan with --only on every shard",
            skipped
                .iter()
                .map(|(b, _)| b.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if ready.is_empty() {
        return Err(XtaskError::InvalidData(format!(
            "no benchmark can run: the data of {} is missing from {} and could not be fetched \
             (see the reasons above)",
            plan.benchmarks
                .iter()
                .map(|b| b.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            data_dir.display()
        )));
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
                    return Err(XtaskError::InvalidArgument(format!(
                        "{} belongs to another shard ({}): give every shard its own --out",
                        out.display(),
                        other.display()
                    )));
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

    let Prepared { kept, to_train } =
        prepare_runs(&srl, &out, &plan, &runs, args.resume, &data_dir)?;
    let kept_runs: Vec<String> = kept.iter().map(|spec| describe_kept(spec, &out)).collect();
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

    let planned = to_train.len();
    let (results, train_seconds) = train_runs(&srl, &out, to_train, jobs, cores, &commit)?;
    let failure = describe_failures(&results, planned);
    if kept.is_empty() && !results.is_empty() && results.iter().all(|r| !r.success) {
        return Err(XtaskError::RunsFailed(
            failure.unwrap_or_else(|| "no run finished".into()),
        ));
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
        Some(message) if args.shard.is_some() => Err(XtaskError::RunsFailed(format!(
            "{message}; the shard's record lists them, the merge will show them as failed"
        ))),
        Some(message) => Err(XtaskError::RunsFailed(format!(
            "{message}; the tables above were written from the runs that finished"
        ))),
        None => Ok(()),
    }
}

/// `--aggregate-only`: rebuilds tables, figures and summary from the runs already in `out`
/// (after a change of the table format, or after removing a benchmark's runs). The provenance
/// of the original reproduction (command, commit, date, wall time) is read from
/// `summary.json` and kept; the summary says when and at which commit it was regenerated.
fn aggregate_existing(args: &ReproduceArgs, out: &Path) -> Result<()> {
    let summary = out.join("summary.json");
    let text = std::fs::read_to_string(&summary).map_err(|e| {
        XtaskError::InvalidArgument(format!(
            "--aggregate-only needs the summary.json of a finished reproduction in {} (for the \
             folders of `--shard` runs, add --from-shards): {e}",
            out.display()
        ))
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| XtaskError::parse(&summary, e))?;
    let mut meta: RunMeta = serde_json::from_value(value["meta"].clone())
        .map_err(|e| XtaskError::parse(&summary, format!("the provenance (meta): {e}")))?;
    let runs_dir = out.join("runs");
    meta.benchmarks = if args.only.is_empty() {
        BenchmarkId::ALL
            .into_iter()
            .filter(|b| runs_dir.join(b.as_str()).is_dir())
            .collect()
    } else {
        args.plan()?.benchmarks
    };
    if meta.benchmarks.is_empty() {
        return Err(XtaskError::InvalidData(format!(
            "no benchmark runs under {}",
            runs_dir.display()
        )));
    }
    meta.regenerated = Some(format!(
        "{} at commit `{}` by `{}`",
        utc_now(),
        git_commit(&repo_root()),
        command_line()
    ));
    write_outputs(out, meta, args.no_figures, None)
}

/// `--full` never silently replaces finished results: a folder holding a `summary.json` or
/// finished runs needs `--resume` (add to it), `--force` (replace it) or another `--out`.
fn refuse_to_overwrite(args: &ReproduceArgs, profile: Profile, out: &Path) -> Result<()> {
    if profile != Profile::Full || args.aggregate_only || args.resume || args.force {
        return Ok(());
    }
    let has_runs = out.join("runs").is_dir()
        && std::fs::read_dir(out.join("runs")).is_ok_and(|mut d| d.next().is_some());
    if out.join("summary.json").is_file() || has_runs {
        return Err(XtaskError::InvalidArgument(format!(
            "{} already holds a full reproduction (committed results?): add --resume to keep its \
             finished runs and train the rest, --force to replace it, or --out DIR to write \
             elsewhere",
            out.display()
        )));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduce::plan::tests::spec;
    use crate::reproduce::shard::tests::put;
    use crate::reproduce::summary::summary_markdown;
    use crate::reproduce::summary::tests::meta;
    use crate::tables::tests::{method, report, write_report};
    use crate::tables::{self, default_methods, DEFAULT_METHODS};
    use clap::Parser;
    use srl_train::run_folder;

    /// `cargo xtask reproduce` flags as clap parses them.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ReproduceArgs,
    }

    /// The flags as clap parses them (its error as clap reports it).
    fn parse(flags: &[&str]) -> Result<ReproduceArgs, clap::Error> {
        let argv = std::iter::once("reproduce").chain(flags.iter().copied());
        Cli::try_parse_from(argv).map(|c| c.args)
    }

    fn args(only: &[BenchmarkId]) -> ReproduceArgs {
        ReproduceArgs {
            only: only.to_vec(),
            ..ReproduceArgs::default()
        }
    }

    #[test]
    fn plan_defaults_only_and_methods() {
        let p = args(&[]).plan().unwrap();
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
        let p = a.plan().unwrap();
        assert_eq!(
            p.benchmarks,
            vec![BenchmarkId::Airfoil, BenchmarkId::IolLinear]
        );
        assert_eq!(p.methods, vec![method("srl+ranksim"), method("vanilla")]);
        assert_eq!(p.runs()[0], spec(BenchmarkId::Airfoil, "srl+ranksim", 0));
        let full = ReproduceArgs {
            full: true,
            methods: vec![method("vanilla"), method("srl")],
            ..args(&[BenchmarkId::Concrete])
        }
        .plan()
        .unwrap();
        assert_eq!((full.profile, full.seeds), (Profile::Full, 5));
        assert_eq!(full.runs()[1].method, method("srl"));

        let e = parse(&["--only", "mnist"]).unwrap_err().to_string();
        assert!(e.contains("mnist") && e.contains("airfoil"), "{e}");
        let e = parse(&["--methods", "srl+magic"]).unwrap_err().to_string();
        assert!(e.contains("magic"), "{e}");
        assert!(
            parse(&["--from-shards", "a,b"]).is_err(),
            "needs --aggregate-only"
        );
        assert!(parse(&["--shard", "0/3"])
            .unwrap_err()
            .to_string()
            .contains("0/3"));
        assert!(parse(&["--shard", "4/3"]).is_err());
        assert_eq!(
            parse(&["--shard", "2/3"]).unwrap().shard,
            Some(Shard { index: 2, count: 3 })
        );
        let zero = ReproduceArgs {
            seeds: Some(0),
            ..args(&[])
        };
        assert!(zero.plan().is_err());
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
        let e = refuse_to_overwrite(&full, Profile::Full, out)
            .unwrap_err()
            .to_string();
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
                let d = run_folder::sweep_run_dir(&runs, "airfoil", m, s);
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
        .unwrap_err()
        .to_string();
        assert!(e.contains("summary.json"), "{e}");
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
        let plan = plan_args.plan().unwrap();
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
        .unwrap_err()
        .to_string();
        assert!(e.contains("twice"), "{e}");
        let e = run(&ReproduceArgs {
            out: Some(shard_dirs[1].clone()),
            ..merge.clone()
        })
        .unwrap_err()
        .to_string();
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
        .unwrap_err()
        .to_string();
        assert!(e.contains("different plans"), "{e}");
    }
}
