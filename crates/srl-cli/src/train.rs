//! `srl train`: assemble the run configuration, load the data, train, write the run folder.
//!
//! The configuration is, in order of precedence: the flags `--seed`, `--epochs` and the data
//! flags; then `--config FILE.toml`; then the preset of `--benchmark` with `--method` and
//! `--profile`, or for `--csv` the table preset (the tabular network, trained until validation
//! stops improving; profile `full` unless `--profile quick`).
//!
//! The output folder is checked before the data is read: it must be writable, and an earlier
//! run in it is replaced only with `--force`.
//!
//! Interruptions: the run writes its best model so far and its resume state every 1/20 of the
//! epochs; on SIGINT/SIGTERM it stops after the current epoch, writes both and exits with 130.
//! `srl train --resume DIR` continues it from the state (configuration and data as saved),
//! ending with the bits of an uninterrupted run.

use crate::cli::TrainArgs;
use crate::data;
use crate::error::CliError;
use crate::out::{say, sayln};
use crate::progress::Progress;
use crate::report;
use srl_train::{Component, DataConfig, MethodName, Profile, RunConfig};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the SIGINT/SIGTERM handler: the run stops after its current epoch and saves its
/// resume state.
static STOP: AtomicBool = AtomicBool::new(false);

/// Bytes per GiB (`--memory-limit`).
pub const GIB: f64 = (1u64 << 30) as f64;

/// Installs the handler: the first Ctrl-C (or SIGTERM) asks the run to stop after the current
/// epoch with its state saved; a second one exits at once.
fn install_stop_handler() {
    // A handler may already be installed (a second run in the same process): keep it.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(crate::error::EXIT_INTERRUPTED);
        }
        eprintln!("\nstopping after this epoch (saving the run's state; Ctrl-C again to quit now)");
    });
}

/// Runs `srl train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    if let Some(dir) = &args.resume {
        return resume(args, dir);
    }
    // `--resample R` is the method with R added (`--method srl --resample smogn` = smogn+srl).
    let resolved;
    let args = match &args.resample {
        Some(r) => {
            let base = match &args.method {
                Some(m) => m.clone(),
                None => default_method(&args.data.to_data_config()?)?,
            };
            resolved = TrainArgs {
                method: Some(base.with_resampler(r)?),
                resample: None,
                ..args.clone()
            };
            &resolved
        }
        None => args,
    };
    if let Some(m) = args.method.as_ref().filter(|m| !m.is_network()) {
        return train_gbdt(args, m);
    }
    let cfg = build_config(args)?;
    let out = args
        .out
        .as_deref()
        .ok_or_else(|| CliError::Usage("say where to write the run: --out DIR".into()))?;
    let created = srl_train::run_folder::prepare_dir(out, args.force)?;
    let result = train_into(args, &cfg, out, false);
    if result.is_err() && created {
        // Leave nothing behind: the folder this run created goes if it is still empty.
        let _ = std::fs::remove_dir(out);
    }
    result
}

/// `srl train --method gbdt…`: boosted trees on the same data, split and weights a network
/// would get, written to the same run folder layout (no log, no representations).
fn train_gbdt(args: &TrainArgs, method: &MethodName) -> Result<(), CliError> {
    if args.config.is_some() || args.epochs.is_some() || args.profile.is_some() {
        return Err(CliError::Usage(format!(
            "--config, --epochs and --profile set up a network; `{method}` trains boosted trees \
             that stop on their validation MAE (up to {} rounds)",
            srl_gbdt::GbdtParams::default().max_rounds
        )));
    }
    let Some(data_cfg) = args.data.to_data_config()? else {
        return Err(CliError::Usage(
            "say what to train on: --benchmark NAME or --csv FILE --target COL".into(),
        ));
    };
    let cfg =
        srl_gbdt::GbdtConfig::new(data_cfg, method.clone(), args.seed.unwrap_or(0)).check()?;
    let out = args
        .out
        .as_deref()
        .ok_or_else(|| CliError::Usage("say where to write the run: --out DIR".into()))?;
    let created = srl_train::run_folder::prepare_dir(out, args.force)?;
    let result = (|| -> Result<(), CliError> {
        let bench = data::load(&cfg.data, &args.data)?;
        describe_table(&cfg.data, &bench);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        eprintln!(
            "training {method} on {} (seed {}, {} train / {} val / {} test samples) -> {}",
            data::describe(&cfg.data),
            cfg.seed,
            bench.train.len(),
            bench.val.len(),
            bench.test.len(),
            out.display()
        );
        let outcome = srl_gbdt::fit(&cfg, &bench, threads)?;
        srl_gbdt::write_run(out, &cfg, &bench, &outcome)?;
        let r = &outcome.report;
        sayln(&format!(
            "{} on {}: best round {} of {} (early stopping on the validation MAE after {} \
             rounds without improvement), {:.2} s",
            r.method,
            r.benchmark,
            r.best_epoch + 1,
            r.epochs_run,
            cfg.gbdt.early_stopping_rounds,
            r.seconds_total
        ))?;
        say(&report::metrics_table(&r.test))?;
        say(&report::protocol_rows(r.protocol.as_ref()))?;
        sayln(&report::relevance_line(r, &bench))?;
        sayln(&format!(
            "wrote {}",
            out.join(srl_train::run_folder::METRICS).display()
        ))?;
        Ok(())
    })();
    if result.is_err() && created {
        let _ = std::fs::remove_dir(out);
    }
    result
}

/// Prints how a table was read and what the user should know about it.
fn describe_table(data_cfg: &DataConfig, bench: &srl_data::Benchmark) {
    if let Some(t) = bench.table.as_deref() {
        eprintln!(
            "read {} ({} delimiter, {}; {} inputs from {} columns); bins: {}",
            data::describe(data_cfg),
            t.layout.delimiter,
            if t.layout.header {
                "header line"
            } else {
                "no header: columns col1, col2, …"
            },
            bench.feature_names.len(),
            t.preprocessor.columns.len(),
            t.bins_rule
        );
        for w in &t.warnings {
            eprintln!("warning: {w}");
        }
    }
}

/// `srl train --resume DIR`: the configuration comes from DIR's resume state.
fn resume(args: &TrainArgs, dir: &Path) -> Result<(), CliError> {
    if args.data.to_data_config()?.is_some() {
        return Err(CliError::Usage(
            "--resume continues the run on the data it was started on; only --data-dir may \
             be given"
                .into(),
        ));
    }
    let path = dir.join(srl_train::run_folder::RESUME);
    if !path.is_file() {
        let why = if srl_train::run_folder::is_complete(dir) {
            "the run there has finished"
        } else {
            "no interrupted run there"
        };
        return Err(CliError::Usage(format!(
            "nothing to resume in {}: {why} ({} not found)",
            dir.display(),
            srl_train::run_folder::RESUME
        )));
    }
    let state = srl_train::ResumeState::load(&path)?;
    let cfg = srl_train::RunConfig::from_toml_str(&state.config)?.check()?;
    eprintln!(
        "resuming {} after epoch {} of {}",
        dir.display(),
        state.epoch,
        cfg.optim.epochs
    );
    train_into(args, &cfg, dir, true)
}

/// Loads the data, trains and writes the run folder (already checked by [`run`]).
fn train_into(
    args: &TrainArgs,
    cfg: &srl_train::ValidRunConfig,
    out: &Path,
    resume: bool,
) -> Result<(), CliError> {
    let bench = data::load(&cfg.data, &args.data)?;
    describe_table(&cfg.data, &bench);

    let mut progress = Progress::for_stderr(cfg.method.srl.is_some());
    progress.println(&format!(
        "training {} on {} (seed {}, {} epochs, {} train / {} val / {} test samples) -> {}",
        cfg.method_name(),
        data::describe(&cfg.data),
        cfg.seed,
        cfg.optim.epochs,
        bench.train.len(),
        bench.val.len(),
        bench.test.len(),
        out.display()
    ));
    install_stop_handler();
    let control = srl_train::RunControl {
        out_dir: Some(out),
        resume,
        stop: Some(&STOP),
        memory_limit: Some(args.memory_limit * GIB),
    };
    let outcome = srl_train::run_with(cfg, &bench, &control, &mut |log| progress.observe(log));
    progress.finish();
    let outcome = outcome?;
    let r = &outcome.report;
    let stop = if r.epochs_run < cfg.optim.epochs {
        format!(
            " (stopped early: no better validation MAE for {} epochs; maximum {})",
            cfg.optim.early_stopping.unwrap_or(0),
            cfg.optim.epochs
        )
    } else {
        String::new()
    };
    sayln(&format!(
        "{} on {}: best epoch {} of {}{stop}, {:.2} s ({:.4} s/epoch)",
        r.method, r.benchmark, r.best_epoch, r.epochs_run, r.seconds_total, r.seconds_per_epoch
    ))?;
    say(&report::metrics_table(&r.test))?;
    say(&report::protocol_rows(r.protocol.as_ref()))?;
    sayln(&report::relevance_line(r, &bench))?;
    sayln(&format!(
        "geometry: coverage {}, soft coverage {}, few-shot share {}, speed CV {}, arc length {}",
        report::fmt_opt(r.geometry.coverage, 3),
        report::fmt_opt(r.geometry.soft_coverage, 3),
        report::fmt_opt(r.geometry.few_shot_share, 3),
        report::fmt_opt(r.geometry.speed_cv, 3),
        report::fmt_opt(r.geometry.arc_length, 3),
    ))?;
    sayln(&format!(
        "wrote {}",
        out.join(srl_train::run_folder::METRICS).display()
    ))?;
    Ok(())
}

/// The method `srl train` trains without `--method`: the paper's method on its benchmarks; on a
/// user's table vanilla, because SRL with our presets beat it on 2 of 6 public tables and lost
/// on 3 (docs/results/own-data) — `srl compare` finds out which method helps.
fn default_method(data: &Option<DataConfig>) -> Result<MethodName, CliError> {
    Ok(match data {
        Some(DataConfig::Csv(_)) => MethodName::vanilla(),
        _ => MethodName::new(&[Component::Srl])?,
    })
}

/// The run configuration the flags describe (see the module docs for precedence).
pub fn build_config(args: &TrainArgs) -> Result<srl_train::ValidRunConfig, CliError> {
    let data_override = args.data.to_data_config()?;
    let mut cfg = match &args.config {
        Some(path) => {
            if args.method.is_some() || args.profile.is_some() {
                return Err(CliError::Usage(
                    "--method and --profile choose a preset; with --config edit the file instead"
                        .into(),
                ));
            }
            let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))?;
            RunConfig::from_toml_str(&text)?
        }
        None => {
            let method = match &args.method {
                Some(m) => m.clone(),
                None => default_method(&data_override)?,
            };
            match &data_override {
                Some(DataConfig::Benchmark { name, .. }) => {
                    let profile = args.profile.unwrap_or(Profile::Quick);
                    RunConfig::preset(*name, &method, profile)?
                }
                Some(DataConfig::Csv(table)) => {
                    let profile = args.profile.unwrap_or(Profile::Full);
                    RunConfig::table_preset(table.clone(), &method, profile)?
                }
                None => {
                    return Err(CliError::Usage(
                        "say what to train on: --benchmark NAME, --csv FILE --target COL, or \
                         --config FILE.toml"
                            .into(),
                    ))
                }
            }
        }
    };
    if let Some(d) = data_override {
        cfg.data = d;
    }
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    if let Some(epochs) = args.epochs {
        cfg.set_epochs(epochs);
    }
    Ok(cfg.check()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::DataArgs;
    use srl_data::BenchmarkId;
    use srl_train::LrDecay;
    use std::path::PathBuf;

    fn train_args() -> TrainArgs {
        TrainArgs {
            data: DataArgs::default(),
            method: None,
            resample: None,
            config: None,
            profile: None,
            seed: None,
            epochs: None,
            out: Some(PathBuf::from("out")),
            force: false,
            resume: None,
            memory_limit: 4.0,
        }
    }

    #[test]
    fn no_data_and_no_config_is_a_usage_error() {
        assert!(matches!(
            build_config(&train_args()),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn preset_with_overrides() {
        let mut a = train_args();
        a.data.benchmark = Some(BenchmarkId::Airfoil);
        a.method = Some(MethodName::vanilla());
        a.seed = Some(7);
        a.epochs = Some(4);
        let cfg = build_config(&a).unwrap();
        assert_eq!(cfg.method_name().to_string(), "vanilla");
        assert_eq!(cfg.seed, 7);
        assert_eq!(cfg.optim.epochs, 4);
        if let LrDecay::Cosine { total_steps, .. } = cfg.optim.schedule.decay {
            assert_eq!(total_steps, 4);
        }
    }

    #[test]
    fn csv_uses_the_table_preset_with_early_stopping() {
        let mut a = train_args();
        a.data.csv = Some("d.csv".into());
        a.data.target = Some("y".into());
        a.data.num_bins = Some(6);
        let cfg = build_config(&a).unwrap();
        assert_eq!(cfg.method_name().to_string(), "vanilla");
        assert!(cfg.optim.early_stopping.is_some());
        match &cfg.data {
            DataConfig::Csv(t) => assert_eq!(t.bins, Some(srl_data::BinSpec::Count(6))),
            other => panic!("expected a CSV config, got {other:?}"),
        }
    }

    #[test]
    fn config_file_is_read_and_method_flag_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let preset = RunConfig::preset(
            BenchmarkId::Concrete,
            &MethodName::vanilla(),
            srl_train::Profile::Quick,
        )
        .unwrap();
        std::fs::write(&path, preset.to_toml_string().unwrap()).unwrap();
        let mut a = train_args();
        a.config = Some(path.clone());
        let cfg = build_config(&a).unwrap();
        assert_eq!(*cfg, preset);
        a.method = Some("srl".parse().unwrap());
        assert!(matches!(build_config(&a), Err(CliError::Usage(_))));
        a.method = None;
        a.config = Some(dir.path().join("missing.toml"));
        assert!(matches!(build_config(&a), Err(CliError::Io { .. })));
    }
}
