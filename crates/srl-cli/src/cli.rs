//! Command-line syntax of `srl` (clap derive): the four sub-commands and their flags.
//!
//! The help texts are the user documentation of the command, so they say what each flag
//! does, its default, and how flags combine.

use crate::named::named;
use clap::{Args, Parser, Subcommand, ValueEnum};
use srl_data::table::{Impute, InputScale, UnknownCategory};
use srl_data::BenchmarkId;
use srl_train::compare::Selection;
use srl_train::Profile;
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
  srl train --csv houses.csv --target price --exclude id --impute median --out runs/houses
  srl compare --csv houses.csv --target price --exclude id --impute median --out runs/cmp
  srl predict --model runs/houses/model.json --csv new_houses.csv --out predictions.csv
  srl resample --csv houses.csv --target price --method smogn --out houses-smogn.csv
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
    /// Train a model (any method) on a benchmark or your own table and write the run folder.
    #[command(visible_alias = "fit")]
    Train(TrainArgs),
    /// Evaluate a saved checkpoint on the test part of a benchmark or CSV file.
    Eval(EvalArgs),
    /// Predict the target of new rows of a table with a model trained by `srl train --csv`.
    Predict(PredictArgs),
    /// Train several methods over the same cross-validation folds (or split) and seeds, print
    /// one table, and keep vanilla unless a method is better on validation by more than the
    /// noise; deliver its runs as one averaged ensemble.
    Compare(CompareArgs),
    /// Download (or import with --from-dir) a built-in dataset into the data directory.
    Fetch(FetchArgs),
    /// Print the preset configuration of a benchmark and method as TOML (to edit and reuse).
    Config(ConfigArgs),
    /// Write DIR sample weights (inv, sqinv, lds or denseweight) for every row of a table, for
    /// any model.
    Weights(WeightsArgs),
    /// Resample a table (SMOGN, SMOTER, WERCS, random over- or under-sampling) and write the
    /// new table, in its own columns, with the origin of every row.
    Resample(ResampleArgs),
}

/// Flags of `srl resample`.
#[derive(Debug, Clone, Args)]
pub struct ResampleArgs {
    /// The table (--csv, --target; its reading flags apply). Every data row is resampled (no
    /// split).
    #[command(flatten)]
    pub data: DataArgs,
    /// The resampler: smogn, smoter, wercs, ros (random over-sampling) or rus (random
    /// under-sampling), with the presets `--method smogn+srl` uses.
    #[arg(long, value_name = "METHOD")]
    pub method: srl_train::MethodName,
    /// Relevance threshold t ∈ (0, 1]: a row is rare when φ(y) ≥ t, φ the automatic box-plot
    /// relevance of the targets [default: 0.5; WERCS ignores it].
    #[arg(long, value_name = "T")]
    pub threshold: Option<f64>,
    /// Nearest rare neighbours of SMOTER and SMOGN [default: 5].
    #[arg(long, value_name = "K")]
    pub k: Option<usize>,
    /// Which tails of the target are rare: high, low or both [default: both].
    #[arg(long, value_name = "SIDE", value_parser = named::<srl_data::Extremes>())]
    pub extremes: Option<srl_data::Extremes>,
    /// Box-plot coefficient of φ: targets beyond hinge ± C·IQR are rare [default: 1.5; lower
    /// it when no target lies beyond the fences].
    #[arg(long, value_name = "C")]
    pub coef: Option<f64>,
    /// Seed of every random choice (the output depends on it and the table only).
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Output CSV: the table's columns (those the preprocessing used, and the target) plus
    /// `origin` (`original:LINE`, `replica:LINE`, `synthetic:SEED_LINE~NEIGHBOUR_LINE`,
    /// `noise:SEED_LINE`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `srl weights`.
#[derive(Debug, Clone, Args)]
pub struct WeightsArgs {
    /// The table (--csv, --target; its reading flags and --bin-width / --num-bins apply).
    #[command(flatten)]
    pub data: DataArgs,
    /// The re-weighting: inv, sqinv, lds or denseweight (the tabular presets `srl train` uses).
    #[arg(long, value_name = "SCHEME")]
    pub scheme: srl_train::MethodName,
    /// DenseWeight's α ≥ 0 (only with --scheme denseweight) [default: 1].
    #[arg(long, value_name = "A")]
    pub alpha: Option<f64>,
    /// Output CSV: `line,target,bin,weight`, one line per data row in file order.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

/// How a user's table is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Random, stratified by target bin (--val-size, --test-size).
    Stratified,
    /// The DIR benchmark protocol: balanced validation and test parts (--val-test-cap).
    Balanced,
}

/// Where the data comes from: a named benchmark, or your own table.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Data")]
pub struct DataArgs {
    /// A built-in benchmark.
    #[arg(long, value_name = "NAME", conflicts_with = "csv", value_parser = named::<BenchmarkId>())]
    pub benchmark: Option<BenchmarkId>,
    /// Your own table (CSV, TSV, `;`- or whitespace-separated; delimiter and header detected).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Name of the target column of --csv (headless files: col1, col2, …).
    #[arg(long, value_name = "COL", requires = "csv")]
    pub target: Option<String>,
    /// Input columns [default: every column but the target, --exclude and --split-column].
    #[arg(
        long,
        value_name = "A,B,…",
        value_delimiter = ',',
        requires = "csv",
        conflicts_with = "exclude"
    )]
    pub features: Option<Vec<String>>,
    /// Columns that are not inputs (identifiers, leakage, a second target).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',', requires = "csv")]
    pub exclude: Vec<String>,
    /// Numeric columns to one-hot encode as categories (integer codes).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',', requires = "csv")]
    pub categorical: Vec<String>,
    /// More cell texts that mean "missing" (e.g. a code: --missing 9999), besides the
    /// defaults: empty, ?, NA, N/A, NaN, nan, null, NULL.
    #[arg(long, value_name = "A,B,…", value_delimiter = ',', requires = "csv")]
    pub missing: Option<Vec<String>>,
    /// Keep suspected missing-value codes (e.g. 9999 in a column whose other values lie in
    /// [7, 22]) as numbers [default: they are reported and read as missing, replaced by the
    /// imputation value or the training median].
    #[arg(long, requires = "csv")]
    pub keep_outliers: bool,
    /// Let the network see inputs beyond the training range as they are [default: numeric
    /// inputs are clipped to their training [min, max] at validation, test and prediction;
    /// such rows are flagged either way].
    #[arg(long, requires = "csv")]
    pub no_clip: bool,
    /// How numeric inputs are scaled: standard ((x − mean)/std), robust ((x − median)/IQR),
    /// quantile (uniform score of the training CDF) [default: standard].
    #[arg(long, value_name = "HOW", requires = "csv", value_parser = named::<InputScale>())]
    pub scale: Option<InputScale>,
    /// Fill missing input cells (median: numbers get the training median, categories the
    /// mode; mode: the mode for all) [default: a missing cell is an error].
    #[arg(long, value_name = "HOW", requires = "csv", value_parser = named::<Impute>())]
    pub impute: Option<Impute>,
    /// At prediction, a category unseen in training: error, or ignore (all-zero code, row
    /// flagged) [default: error].
    #[arg(long, value_name = "WHAT", value_parser = named::<UnknownCategory>())]
    pub unknown_category: Option<UnknownCategory>,
    /// Field delimiter: one character, `tab` or `whitespace` [default: detected].
    #[arg(long, value_name = "D", value_parser = parse_delimiter)]
    pub delimiter: Option<srl_data::tabular::Delimiter>,
    /// The first line is data, not column names (columns become col1, col2, …)
    /// [default: detected].
    #[arg(long, conflicts_with = "header")]
    pub no_header: bool,
    /// The first line names the columns [default: detected].
    #[arg(long)]
    pub header: bool,
    /// How --csv rows are split [default: stratified].
    #[arg(
        long,
        value_enum,
        value_name = "HOW",
        requires = "csv",
        conflicts_with = "split_column"
    )]
    pub split: Option<SplitArg>,
    /// Your own split: a column with train / val / test in every row.
    #[arg(long, value_name = "COL", requires = "csv")]
    pub split_column: Option<String>,
    /// Share of the rows for validation (stratified split) [default: 0.15].
    #[arg(long, value_name = "F", requires = "csv")]
    pub val_size: Option<f64>,
    /// Share of the rows for test (stratified split) [default: 0.15].
    #[arg(long, value_name = "F", requires = "csv")]
    pub test_size: Option<f64>,
    /// Width of the target bins of --csv [default: automatic, see docs/own-data.md].
    #[arg(long, value_name = "W", requires = "csv", conflicts_with = "num_bins")]
    pub bin_width: Option<f64>,
    /// Number of equal-width target bins of --csv [default: automatic].
    #[arg(long = "bins", value_name = "K", requires = "csv")]
    pub num_bins: Option<usize>,
    /// Per-bin cap of validation and test with --split balanced [default: 30].
    #[arg(long, value_name = "N", requires = "csv")]
    pub val_test_cap: Option<usize>,
    /// Seed of the train/validation/test split [default: 0, as in the paper's protocol].
    #[arg(long, value_name = "S")]
    pub split_seed: Option<u64>,
    /// Test protocol applied after the split: standard, blind-spot:LO..HI (or qLO..qHI),
    /// extrapolation:high|low:SHARE [default: standard].
    #[arg(long, value_name = "PROTOCOL", value_parser = parse_protocol, long_help = protocol_help())]
    pub protocol: Option<srl_data::Protocol>,
    /// Data directory [default: $SRL_DATA_DIR, else the repository's datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

fn parse_protocol(s: &str) -> Result<srl_data::Protocol, String> {
    s.parse().map_err(|e: srl_data::DataError| e.to_string())
}

/// The long help of --protocol, its kinds from the name table.
fn protocol_help() -> String {
    use srl_data::names::Named;
    use srl_data::protocol::ProtocolKind;
    let kinds: Vec<String> = [
        ProtocolKind::Standard,
        ProtocolKind::BlindSpot,
        ProtocolKind::Extrapolation,
    ]
    .iter()
    .map(|k| format!("  {}: {}", k.name(), k.help()))
    .collect();
    format!(
        "Test protocol applied after the split (docs/protocols.md, \"Blind spot and \
         extrapolation\"):\n{}\n\
         The training and validation rows whose target lies in the removed range (closed \
         intervals) leave their parts: on UCI benchmarks and tables they join the test part, \
         on IOL they are dropped (its test part covers the range already). A `q` bound is a \
         quantile of all the data's targets; SHARE is the share of all targets removed from \
         the top (high) or bottom (low). Several blind-spot intervals are comma-separated, \
         ascending and disjoint. The bins still span the full range. metrics.json reports \
         the test metrics on the removed range and on the rest apart (`protocol`). \
         [default: standard]",
        kinds.join("\n")
    )
}

fn parse_delimiter(s: &str) -> Result<srl_data::tabular::Delimiter, String> {
    srl_data::tabular::Delimiter::parse(s).map_err(|e| e.to_string())
}

/// Flags of `srl train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Data selection (overrides the data section of --config when given).
    #[command(flatten)]
    pub data: DataArgs,
    /// Method of the preset [default: srl on a benchmark, vanilla on --csv (see `srl
    /// compare`)]. Not with --config (edit the file instead).
    #[arg(long, value_name = "METHOD", long_help = srl_train::method::method_help())]
    pub method: Option<srl_train::MethodName>,
    /// Resample the training rows first (smogn, smoter, wercs, ros, rus; docs/resampling.md):
    /// `--method srl --resample smogn` is `--method smogn+srl`. Not with --config.
    #[arg(long, value_name = "RESAMPLER", conflicts_with = "config")]
    pub resample: Option<srl_train::MethodName>,
    /// A full run configuration in TOML (see `srl config`).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Size of the preset [default: quick]. Not with --config.
    #[arg(long, value_name = "PROFILE", value_parser = named::<Profile>())]
    pub profile: Option<Profile>,
    /// Training seed (initialisation, batch order, SRL sampling); overrides the config.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Number of epochs (full-batch benchmarks: iterations); overrides the config.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Output folder: config.toml, log.jsonl, metrics.json, model.json, predictions, features.
    /// During training it holds the best model so far and resume.json (the state to continue
    /// an interrupted run with --resume).
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    pub out: Option<PathBuf>,
    /// Replace an earlier run in --out (its files are removed first).
    #[arg(long)]
    pub force: bool,
    /// Continue the interrupted run in DIR (stopped by Ctrl-C, a crash or a closed session)
    /// from its resume.json: the same configuration and data, ending with the same bits as an
    /// uninterrupted run. Only --data-dir may be given with it.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["method", "config", "profile", "seed", "epochs", "out", "force"]
    )]
    pub resume: Option<PathBuf>,
    /// Refuse the run if its memory estimate (data, network, activations, the method's
    /// buffers; printed in the error) exceeds this many GiB.
    #[arg(
        long,
        value_name = "GIB",
        default_value_t = 4.0,
        value_parser = parse_gib,
        allow_negative_numbers = true
    )]
    pub memory_limit: f64,
}

/// A positive, finite number of GiB.
fn parse_gib(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a positive number of GiB")),
    }
}

/// Flags of `srl compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The data (one split shared by every method and seed).
    #[command(flatten)]
    pub data: DataArgs,
    /// Methods to compare, comma-separated [default: the networks vanilla, lds, bni, conr,
    /// srl, lds+srl and the trees gbdt, gbdt+inv, gbdt+sqinv, gbdt+lds, gbdt+denseweight].
    #[arg(long, value_name = "M1,M2,…", value_delimiter = ',', long_help = srl_train::method::method_help())]
    pub methods: Option<Vec<srl_train::MethodName>>,
    /// Resample the training rows of every compared method first, the reference included
    /// (smogn, smoter, wercs, ros, rus: `srl` becomes `smogn+srl`, `vanilla` `smogn`), so the
    /// comparison is among methods trained on the resampled rows.
    #[arg(long, value_name = "RESAMPLER")]
    pub resample: Option<srl_train::MethodName>,
    /// Seeds per method (0, 1, …).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub seeds: usize,
    /// Which validation score the rule compares: MAE (all), MAE of the few-shot rows (few) or
    /// SERA (sera) (see --min-gain).
    #[arg(long, default_value = "all", value_parser = named::<Selection>())]
    pub select: Selection,
    /// Cross-validation folds over the training + validation rows of --csv (stratified by
    /// target bin; the test part stays held out); 1 = the one validation part of the split
    /// [default: 5 for tables of at most 5,000 rows, else 1].
    #[arg(long, value_name = "K", requires = "csv")]
    pub folds: Option<usize>,
    /// How much better than vanilla (in % of vanilla's mean validation MAE) a method must be,
    /// at the upper end of the 95 % interval of its paired difference, to be selected instead
    /// [default: 0: the interval must lie below zero].
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    pub min_gain: f64,
    /// Size of the presets [default: full for --csv (early stopping), quick for a benchmark].
    #[arg(long, value_name = "PROFILE", value_parser = named::<Profile>())]
    pub profile: Option<Profile>,
    /// Runs trained at the same time [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output folder: comparison.md, comparison.json, runs/METHOD/[foldF/]seedK/, selected/
    /// (model.json: the selected method's runs as one averaged ensemble for --csv).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace an earlier comparison in --out.
    #[arg(long)]
    pub force: bool,
    /// Refuse a run whose memory estimate exceeds this many GiB (each of the --jobs runs
    /// trained at once is checked alone).
    #[arg(
        long,
        value_name = "GIB",
        default_value_t = 4.0,
        value_parser = parse_gib,
        allow_negative_numbers = true
    )]
    pub memory_limit: f64,
}

/// Flags of `srl predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// The model written by `srl train --csv` (`<out>/model.json`) or `srl compare --csv`
    /// (`<out>/selected/model.json`, an ensemble whose predictions are averaged).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The rows to predict: the training columns in any order (extra columns are ignored,
    /// the target may be absent).
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// Write the predictions here (CSV: row, line, prediction, out_of_range) [default:
    /// standard output].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Field delimiter of --csv [default: detected].
    #[arg(long, value_name = "D", value_parser = parse_delimiter)]
    pub delimiter: Option<srl_data::tabular::Delimiter>,
    /// The first line of --csv is data [default: detected].
    #[arg(long, conflicts_with = "header")]
    pub no_header: bool,
    /// The first line of --csv names the columns [default: detected].
    #[arg(long)]
    pub header: bool,
    /// A category unseen in training: error, or ignore [default: the model's setting].
    #[arg(long, value_name = "WHAT", value_parser = named::<UnknownCategory>())]
    pub unknown_category: Option<UnknownCategory>,
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
    /// `all` (every one is tried; the failures are listed at the end).
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
    /// Network timeout in seconds (connect, response, and each read of the body), ≥ 1.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Download from a mirror: replaces scheme and host of every canonical URL, keeping its
    /// path (e.g. http://127.0.0.1:8080 for a local copy laid out like the original sites).
    #[arg(long, value_name = "URL", conflicts_with = "from_dir")]
    pub base_url: Option<String>,
}

/// Flags of `srl config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Benchmark of the preset.
    #[arg(long, value_name = "NAME", value_parser = named::<BenchmarkId>())]
    pub benchmark: BenchmarkId,
    /// Method of the preset [default: srl].
    #[arg(long, value_name = "METHOD", long_help = srl_train::method::method_help())]
    pub method: Option<srl_train::MethodName>,
    /// Size of the preset.
    #[arg(long, value_name = "PROFILE", default_value = "quick", value_parser = named::<Profile>())]
    pub profile: Profile,
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
        assert_eq!(c.profile, Profile::Full);
    }
}
