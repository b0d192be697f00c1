//! `srl`: train, evaluate and fetch for SRL (Surrogate-driven Representation Learning, Dong et
//! al., CVPR 2025) deep imbalanced regression.
//!
//! Run `srl --help` (or `srl <command> --help`) for the flags. Errors are one line on stderr,
//! `error: …`; the exit code is 1 for failures and 2 for usage mistakes.

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

mod cli;
mod compare;
mod config;
mod data;
mod error;
mod eval;
mod fetch;
mod model;
mod named;
mod out;
mod predict;
mod progress;
mod report;
mod resample;
mod train;
mod weights;

use clap::Parser;
use cli::{Cli, Command};
use error::CliError;

fn main() {
    // clap prints its own usage errors (exit code 2) and --help/--version (exit code 0).
    let cli = Cli::parse();
    configure_threads(&cli.command);
    if let Err(e) = dispatch(&cli.command) {
        match &e {
            CliError::Usage(_) => eprintln!("error: {} (try '--help')", e.one_line()),
            _ => eprintln!("error: {}", e.one_line()),
        }
        std::process::exit(e.exit_code());
    }
}

/// Threads of the matrix products (matrixmultiply reads `MATMUL_NUM_THREADS` once, at the
/// first product): unless set, the rayon thread count (`RAYON_NUM_THREADS`, else the cores)
/// divided by the trainings `srl compare` runs at once. Each output element of a product is
/// computed by one thread in a fixed order, so results do not depend on it (tested).
fn configure_threads(command: &Command) {
    if std::env::var_os("MATMUL_NUM_THREADS").is_some() {
        return;
    }
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let per_training = match command {
        Command::Compare(a) => threads / a.jobs.unwrap_or(threads).clamp(1, threads),
        _ => threads,
    };
    // Edition 2021: single-threaded here, before any product or worker thread starts.
    std::env::set_var("MATMUL_NUM_THREADS", per_training.max(1).to_string());
}

/// Runs one sub-command.
fn dispatch(command: &Command) -> Result<(), CliError> {
    match command {
        Command::Train(a) => train::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Fetch(a) => fetch::run(a),
        Command::Config(a) => config::run(a),
        Command::Weights(a) => weights::run(a),
        Command::Resample(a) => resample::run(a),
    }
}
