//! A small parallel job runner: child processes, J at a time, each with its own log file.
//!
//! Every job is a program with arguments; its stdout and stderr go to the job's log file. Up
//! to `parallel` jobs run at once (worker threads pulling from a shared queue). With
//! [`OnFailure::Stop`], no new job starts after the first failure (running ones finish), so a
//! broken setup fails fast; with [`OnFailure::KeepGoing`] every job runs (one diverged seed
//! does not cost the other runs of a long reproduction). The result of every job that ran is
//! returned, with its log path for the error message.

use srl_train::{run_folder, ResumeState, RunConfig};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One child process to run.
#[derive(Debug, Clone)]
pub struct Job {
    /// Short name for messages (`airfoil/srl/seed0`).
    pub name: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// File receiving the child's stdout and stderr.
    pub log: PathBuf,
    /// Append to the log (a resumed run) instead of starting it afresh.
    pub append_log: bool,
}

/// How `srl train` is called for one planned run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainCall {
    /// The arguments after the program.
    pub args: Vec<OsString>,
    /// Whether the call continues an interrupted attempt (its log is appended to).
    pub resumes: bool,
}

/// The `srl train` call of a run whose configuration `cfg` is written at `config_path`: if
/// `run_dir` holds the resume state of an interrupted attempt with the same configuration,
/// continue it (`--resume`: nothing trained so far is lost, and the result has the bits of
/// an uninterrupted run); otherwise train afresh with `--force` (the caller decided this run
/// is (re)trained, so whatever an earlier attempt left is replaced).
pub fn srl_train_call(
    config_path: &Path,
    cfg: &RunConfig,
    data_dir: &Path,
    run_dir: &Path,
) -> TrainCall {
    let same_config = ResumeState::load(&run_dir.join(run_folder::RESUME))
        .ok()
        .and_then(|s| RunConfig::from_toml_str(&s.config).ok())
        .is_some_and(|saved| &saved == cfg);
    if same_config {
        return TrainCall {
            args: vec![
                "train".into(),
                "--resume".into(),
                run_dir.into(),
                "--data-dir".into(),
                data_dir.into(),
            ],
            resumes: true,
        };
    }
    TrainCall {
        args: vec![
            "train".into(),
            "--config".into(),
            config_path.into(),
            "--data-dir".into(),
            data_dir.into(),
            "--out".into(),
            run_dir.into(),
            "--force".into(),
        ],
        resumes: false,
    }
}

/// How a job ended.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// The job's name.
    pub name: String,
    /// Its log file.
    pub log: PathBuf,
    /// True if it exited with status 0.
    pub success: bool,
    /// A one-line description of the failure (exit code, or why it could not start).
    pub failure: Option<String>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// What to do after a job fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Start no new job (running ones finish).
    Stop,
    /// Run every job anyway.
    KeepGoing,
}

/// Runs `jobs` with at most `parallel` at a time; `on_done(result, finished, total)` is called
/// as each finishes. Returns the results of the jobs that ran, in job order. With
/// [`OnFailure::Stop`], jobs not started because an earlier one failed are absent.
pub fn run_jobs(
    jobs: Vec<Job>,
    parallel: usize,
    on_failure: OnFailure,
    on_done: &(dyn Fn(&JobResult, usize, usize) + Sync),
) -> Vec<JobResult> {
    let total = jobs.len();
    let queue: Mutex<VecDeque<(usize, Job)>> = Mutex::new(jobs.into_iter().enumerate().collect());
    let results: Mutex<Vec<(usize, JobResult)>> = Mutex::new(Vec::with_capacity(total));
    let failed = AtomicBool::new(false);
    let finished = AtomicUsize::new(0);
    let workers = parallel.clamp(1, total.max(1));

    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if failed.load(Ordering::SeqCst) {
                    break;
                }
                let next = lock(&queue).pop_front();
                let Some((index, job)) = next else { break };
                let result = run_one(&job);
                if !result.success && on_failure == OnFailure::Stop {
                    failed.store(true, Ordering::SeqCst);
                }
                let done = finished.fetch_add(1, Ordering::SeqCst) + 1;
                on_done(&result, done, total);
                lock(&results).push((index, result));
            });
        }
    });

    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Locks a mutex, recovering the data if a worker panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs one job to completion.
fn run_one(job: &Job) -> JobResult {
    let start = Instant::now();
    let finish = |failure: Option<String>| JobResult {
        name: job.name.clone(),
        log: job.log.clone(),
        success: failure.is_none(),
        failure,
        seconds: start.elapsed().as_secs_f64(),
    };
    if let Some(parent) = job.log.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return finish(Some(format!("cannot create {}: {e}", parent.display())));
        }
    }
    let opened = if job.append_log {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&job.log)
    } else {
        File::create(&job.log)
    };
    let log = match opened {
        Ok(f) => f,
        Err(e) => return finish(Some(format!("cannot create {}: {e}", job.log.display()))),
    };
    let log_err = match log.try_clone() {
        Ok(f) => f,
        Err(e) => return finish(Some(format!("cannot share {}: {e}", job.log.display()))),
    };
    let mut cmd = Command::new(&job.program);
    cmd.args(&job.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(status) if status.success() => finish(None),
        Ok(status) => finish(Some(match status.code() {
            Some(c) => format!("exited with code {c}"),
            None => "was killed by a signal".to_string(),
        })),
        Err(e) => finish(Some(format!(
            "could not start {}: {e}",
            job.program.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_run_with_the_same_configuration_is_resumed() {
        let Some(data) = srl_data::datadir::shared_data_dir() else {
            return;
        };
        let cfg = RunConfig::preset(
            srl_data::BenchmarkId::Airfoil,
            &srl_train::MethodName::vanilla(),
            srl_train::Profile::Quick,
        )
        .unwrap();
        let bench = srl_train::prepare_data(&cfg.data, &data).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (config, run) = (dir.path().join("c.toml"), dir.path().join("run"));
        let call = srl_train_call(&config, &cfg, &data, &run);
        assert!(!call.resumes && call.args.contains(&"--force".into()));

        std::fs::create_dir_all(&run).unwrap();
        let trainer = srl_train::Trainer::new(&cfg.check().unwrap(), &bench).unwrap();
        let state = trainer.resume_state().unwrap();
        state.save(&run.join(run_folder::RESUME)).unwrap();
        let call = srl_train_call(&config, &cfg, &data, &run);
        assert!(call.resumes);
        let expected: [OsString; 3] = ["train".into(), "--resume".into(), run.clone().into()];
        assert_eq!(call.args[..3], expected);

        // Another configuration (or a damaged state) starts afresh.
        let mut other = cfg.clone();
        other.seed += 1;
        assert!(!srl_train_call(&config, &other, &data, &run).resumes);
        std::fs::write(run.join(run_folder::RESUME), "{").unwrap();
        assert!(!srl_train_call(&config, &cfg, &data, &run).resumes);
    }

    fn sh(name: &str, script: &str, log: PathBuf) -> Job {
        Job {
            name: name.to_string(),
            program: PathBuf::from("sh"),
            args: vec!["-c".into(), script.into()],
            env: vec![("GREETING".into(), "hello".into())],
            log,
            append_log: false,
        }
    }

    #[test]
    fn jobs_run_in_parallel_and_logs_capture_both_streams() {
        let dir = tempfile::tempdir().unwrap();
        let jobs: Vec<Job> = (0..4)
            .map(|i| {
                sh(
                    &format!("job{i}"),
                    &format!("echo $GREETING {i}; echo oops {i} >&2"),
                    dir.path().join(format!("logs/{i}.log")),
                )
            })
            .collect();
        let count = AtomicUsize::new(0);
        let results = run_jobs(jobs, 2, OnFailure::Stop, &|_, done, total| {
            assert!(done <= total);
            count.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(count.load(Ordering::SeqCst), 4);
        assert_eq!(results.len(), 4);
        for (i, r) in results.iter().enumerate() {
            assert!(r.success, "{r:?}");
            assert_eq!(r.name, format!("job{i}"));
            let text = std::fs::read_to_string(&r.log).unwrap();
            assert!(text.contains(&format!("hello {i}")), "{text}");
            assert!(text.contains(&format!("oops {i}")), "{text}");
        }
    }

    #[test]
    fn a_failure_is_reported_and_stops_new_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let mut jobs = vec![sh("bad", "exit 3", dir.path().join("bad.log"))];
        for i in 0..5 {
            jobs.push(sh(
                &format!("ok{i}"),
                "true",
                dir.path().join(format!("{i}.log")),
            ));
        }
        let results = run_jobs(jobs.clone(), 1, OnFailure::Stop, &|_, _, _| {});
        assert_eq!(results.len(), 1, "no job starts after the failure");
        assert!(!results[0].success);
        assert_eq!(results[0].failure.as_deref(), Some("exited with code 3"));
        assert_eq!(results[0].log, dir.path().join("bad.log"));

        let results = run_jobs(jobs, 1, OnFailure::KeepGoing, &|_, _, _| {});
        assert_eq!(results.len(), 6, "every job runs");
        assert!(!results[0].success);
        assert!(results[1..].iter().all(|r| r.success));
    }

    #[test]
    fn a_missing_program_is_a_failure_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let job = Job {
            name: "ghost".into(),
            program: dir.path().join("no-such-program"),
            args: vec![],
            env: vec![],
            log: dir.path().join("ghost.log"),
            append_log: false,
        };
        let results = run_jobs(vec![job], 4, OnFailure::Stop, &|_, _, _| {});
        assert!(results[0]
            .failure
            .as_deref()
            .unwrap()
            .starts_with("could not start"));
    }
}
