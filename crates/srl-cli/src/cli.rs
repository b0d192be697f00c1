//! Command-line syntax of `srl` (clap derive): the four sub-commands and their flags.
//!
//! The help texts are the user documentation of the command, so they say what each flag
//! does, its default, and how flags combine.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const ABOUT: &str = "Surrogate-driven Representation Learning (SRL) for deep imbalanced regression";

const LONG_ABOUT: &str = "\
Surrogate-driven Representation Learning (SRL, Dong et al., CVPR 2025) for deep imbalanced \
regression: train an MLP with or without the SRL geometry losses on a benchmark or on your own \
CSV file, evaluate a checkpoint per shot group (many / medium / few), and fetch datasets.";

const AFTER_HELP: &str = "\
Examples:
  srl fetch airfoil
  srl train --benchmark airfoil --method srl --out runs/airfoil-srl
  srl train --benchmark airfoil --method srl+ranksim --out runs/airfoil-srl-ranksim
  srl train --csv houses.csv --target price --bins 20 --out runs/houses
  srl config --benchmark airfoil --method srl > my.toml   # edit, then:
  srl train --config my.toml --out runs/mine
  srl eval --checkpoint runs/airfoil-srl/model.json --benchmark airfoil

Data directory: --data-dir, else $SRL_DATA_DIR, else the repository's datasets/cache/.";

/// `srl`: train, evaluate and fetch for SRL deep imbalanced regression.
#[derive(Debug, Parser)]
#[command(name = "srl", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// The sub-command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model (vanilla or SRL) on a benchmark or a CSV file and write the run folder.
    Train(TrainArgs),
    /// Evaluate a saved checkpoint on the test part of a benchmark or CSV file.
    Eval(EvalArgs),
    /// Download (or import with --from-dir) a built-in dataset into the data directory.
    Fetch(FetchArgs),
    /// Print the preset configuration of a benchmark and method as TOML (to edit and reuse).
    Config(ConfigArgs),
}

/// Vanilla regression or SRL.
/// Text of `--method`: every method and combination the trainer knows.
pub const METHOD_HELP: &str = "\
A DIR method: `vanilla`, or components joined with `+` in any order: regression side \
inv | sqinv | lds, focal, bmc | bni | gai (`bmse` = bmc); representation side srl, fds, \
ranksim, conr, oe. Examples: srl, lds+fds, ranksim, bmse, srl+ranksim, srl+lds.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// Few epochs: a smoke run in seconds.
    Quick,
    /// The paper's sizes (hundreds of epochs, 20k–40k IOL iterations).
    Full,
}

impl ProfileArg {
    /// The trainer's profile.
    pub fn to_profile(self) -> srl_train::Profile {
        match self {
            ProfileArg::Quick => srl_train::Profile::Quick,
            ProfileArg::Full => srl_train::Profile::Full,
        }
    }
}

/// Where the data comes from: a named benchmark, or a CSV file with a target column and bins.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Data")]
pub struct DataArgs {
    /// A built-in benchmark: airfoil, abalone, concrete, real-estate, iol-linear, iol-sde.
    #[arg(long, value_name = "NAME", conflicts_with = "csv")]
    pub benchmark: Option<srl_data::BenchmarkId>,
    /// Your own CSV file with a header row; every column but --target is an input.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Name of the target column of --csv.
    #[arg(long, value_name = "COL", requires = "csv")]
    pub target: Option<String>,
    /// Width of the target bins of --csv (bins decide the shot groups and SRL's surrogates).
    #[arg(long, value_name = "W", requires = "csv", conflicts_with = "num_bins")]
    pub bin_width: Option<f64>,
    /// Number of equal-width target bins of --csv (instead of --bin-width).
    #[arg(long = "bins", value_name = "K", requires = "csv")]
    pub num_bins: Option<usize>,
    /// Per-bin cap of the balanced validation and test sets of --csv [default: 30].
    #[arg(long, value_name = "N", requires = "csv")]
    pub val_test_cap: Option<usize>,
    /// Seed of the train/validation/test split [default: 0, as in the paper's protocol].
    #[arg(long, value_name = "S")]
    pub split_seed: Option<u64>,
    /// Data directory [default: $SRL_DATA_DIR, else the repository's datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `srl train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Data selection (overrides the data section of --config when given).
    #[command(flatten)]
    pub data: DataArgs,
    /// Method of the preset [default: srl]. Not with --config (edit the file instead).
    #[arg(long, value_name = "METHOD", long_help = METHOD_HELP)]
    pub method: Option<srl_train::MethodName>,
    /// A full run configuration in TOML (see `srl config`).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Size of the preset [default: quick]. Not with --config.
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<ProfileArg>,
    /// Training seed (initialisation, batch order, SRL sampling); overrides the config.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Number of epochs (full-batch benchmarks: iterations); overrides the config.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Output folder: config.toml, log.jsonl, metrics.json, model.json, predictions, features.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Flags of `srl eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The checkpoint written by `srl train` (`<out>/model.json`).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
    /// The data to evaluate on (its test part).
    #[command(flatten)]
    pub data: DataArgs,
    /// Also write the metrics as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Flags of `srl fetch`.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Dataset name (airfoil, abalone, concrete, real-estate, iol-sde, agedb-dir, stsb-dir) or
    /// `all`.
    #[arg(value_name = "NAME|all")]
    pub name: String,
    /// Data directory to fill [default: $SRL_DATA_DIR, else the repository's datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Import the files from this folder (a copy you downloaded by hand) instead of the network.
    #[arg(long, value_name = "DIR")]
    pub from_dir: Option<PathBuf>,
    /// Fetch again even if the files are present and verified.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `srl config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Benchmark of the preset.
    #[arg(long, value_name = "NAME")]
    pub benchmark: srl_data::BenchmarkId,
    /// Method of the preset [default: srl].
    #[arg(long, value_name = "METHOD", long_help = METHOD_HELP)]
    pub method: Option<srl_train::MethodName>,
    /// Size of the preset.
    #[arg(long, value_enum, value_name = "PROFILE", default_value_t = ProfileArg::Quick)]
    pub profile: ProfileArg,
    /// Training seed written into the configuration.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Write the TOML to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn csv_flags_parse_and_conflicts_are_rejected() {
        let ok = Cli::try_parse_from([
            "srl", "train", "--csv", "d.csv", "--target", "y", "--bins", "8", "--out", "o",
        ])
        .unwrap();
        let Command::Train(t) = ok.command else {
            panic!("expected train")
        };
        assert_eq!(t.data.num_bins, Some(8));
        assert_eq!(t.data.target.as_deref(), Some("y"));

        let both_bins = Cli::try_parse_from([
            "srl",
            "train",
            "--csv",
            "d.csv",
            "--target",
            "y",
            "--bins",
            "8",
            "--bin-width",
            "1",
            "--out",
            "o",
        ]);
        assert!(both_bins.is_err());
        let both_sources = Cli::try_parse_from([
            "srl",
            "train",
            "--csv",
            "d.csv",
            "--benchmark",
            "airfoil",
            "--out",
            "o",
        ]);
        assert!(both_sources.is_err());
        let target_without_csv =
            Cli::try_parse_from(["srl", "train", "--target", "y", "--out", "o"]);
        assert!(target_without_csv.is_err());
    }

    #[test]
    fn fetch_and_config_parse() {
        let f = Cli::try_parse_from(["srl", "fetch", "all", "--from-dir", "/x"]).unwrap();
        assert!(matches!(f.command, Command::Fetch(FetchArgs { ref name, .. }) if name == "all"));
        let c = Cli::try_parse_from([
            "srl",
            "config",
            "--benchmark",
            "airfoil",
            "--method",
            "vanilla",
            "--profile",
            "full",
        ])
        .unwrap();
        let Command::Config(c) = c.command else {
            panic!("expected config")
        };
        assert_eq!(c.method, Some(srl_train::MethodName::vanilla()));
        assert_eq!(c.profile, ProfileArg::Full);
    }
}
