//! Project automation for srl-rs: `cargo xtask <command>` (the alias lives in
//! `.cargo/config.toml`).
//!
//! - `reproduce`: train the DIR methods (`--methods`, default
//!   [`tables::DEFAULT_METHODS`]) on every benchmark over several seeds with the release
//!   `srl` binary and write tables, figures and a summary to `docs/results/<profile>/`;
//!   `--shard I/N` and `--aggregate-only --from-shards` split it over cluster jobs
//!   (docs/sweeps.md).
//! - `bench`: run the criterion benchmarks of the library crates (`--epochs`: SRL vs vanilla per
//!   epoch; `--against-pytorch`: the same workloads in Rust and PyTorch, docs/benchmarks.md).
//! - `tune`: a validation-only hyper-parameter search over a grid file (docs/results/tuning/).
//! - `ablate`: SRL's ingredients switched off one by one, as configurations
//!   (docs/results/ablation/).
//! - `prose`: the numbers the results prose quotes, generated from the committed run folders
//!   into docs/results/numbers.md, and the prose checked against them.

// Every declared dependency is used (checked by clippy in CI; test builds, which also see the
// dev-dependencies, are exempt).
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

mod ablate;
mod bench;
mod common;
mod error;
mod figures;
mod prose;
mod reproduce;
mod runner;
mod tables;
mod tune;

use clap::{Parser, Subcommand};

/// `cargo xtask`: project automation.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Project automation for srl-rs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The automation commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Train the DIR methods on the benchmarks over several seeds and write docs/results/.
    Reproduce(reproduce::ReproduceArgs),
    /// Run the criterion benchmarks of the library crates (cargo bench).
    Bench(bench::BenchArgs),
    /// Compare variants of a preset over seeds on validation only and mark the best.
    Tune(tune::TuneArgs),
    /// Train SRL's ablation variants (docs/results/ablation/variants.toml) and write the tables.
    Ablate(ablate::AblateArgs),
    /// Write docs/results/numbers.md from the committed runs and check the prose against it.
    Prose(prose::ProseArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Reproduce(args) => reproduce::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Tune(args) => tune::run(args),
        Command::Ablate(args) => ablate::run(args),
        Command::Prose(args) => prose::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
