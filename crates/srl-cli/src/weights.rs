//! `srl weights`: DIR sample weights for any regressor — one weight per data row of a table,
//! from the re-weighting the trainer uses (`inv`, `sqinv`, `lds` or `denseweight`, with the
//! project's tabular presets), so a user's own model (scikit-learn, LightGBM, a network) can
//! train with them.
//!
//! The rows' targets are binned as `srl train --csv` bins them (the automatic rule, or
//! `--bin-width` / `--num-bins`), the counts of all rows give the weights
//! ([`srl_train::method::ValidRegressionParams::row_weights`]: 1/n_b for INV with counts clipped to
//! [5, 1000], 1/√n_b for SQINV, the counts first smoothed by the kernel for LDS), scaled to
//! mean 1. DenseWeight reads the targets themselves instead (max(1 − α·p', ε) of their scaled
//! kernel density p', α from `--alpha`, default 1), also mean 1; its `bin` column is still the
//! binning's. The output CSV has one line per data row, in file order: `line,target,bin,weight`.

use crate::cli::WeightsArgs;
use crate::error::CliError;
use crate::out::sayln;
use srl_data::table::{checked_targets, read_table};
use srl_train::method::{Family, MethodParams, PresetContext, TrainingLabels};
use srl_train::DataConfig;
use std::fmt::Write as _;

/// Runs `srl weights`.
pub fn run(args: &WeightsArgs) -> Result<(), CliError> {
    let components = args.scheme.components();
    let [c] = components else {
        return Err(CliError::Usage(format!(
            "--scheme takes one re-weighting: inv, sqinv, lds or denseweight (got `{}`)",
            args.scheme
        )));
    };
    if c.info().family != Family::Reweighting {
        return Err(CliError::Usage(format!(
            "--scheme takes one re-weighting: inv, sqinv, lds or denseweight (`{c}` is not one)",
            c = c.as_str()
        )));
    }
    let Some(DataConfig::Csv(spec)) = args.data.to_data_config()? else {
        return Err(CliError::Usage(
            "srl weights needs a table: --csv FILE --target COL".into(),
        ));
    };
    if args.out.exists() && !args.force {
        return Err(CliError::Usage(format!(
            "{} exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let mut preset = MethodParams::preset(&args.scheme, PresetContext::Tabular).regression;
    if let Some(alpha) = args.alpha {
        match preset.denseweight.as_mut() {
            Some(d) => d.alpha = alpha,
            None => {
                return Err(CliError::Usage(format!(
                    "--alpha is DenseWeight's: it needs --scheme denseweight (got `{}`)",
                    args.scheme
                )))
            }
        }
    }
    let regression = preset.check()?;
    let (table, _, _) = read_table(&spec)?;
    let y = checked_targets(&spec, &table)?;
    let (binning, rule) = match spec.bins {
        Some(b) => (b.fit(&y)?, format!("{b:?}")),
        None => srl_data::table::auto_bins(&y)?,
    };
    let bins = binning.bins(&y);
    let Some(weights) = regression.row_weights(TrainingLabels {
        targets: &y,
        bins: &bins,
        num_bins: binning.num_bins(),
    })?
    else {
        return Err(CliError::Usage(format!(
            "`{}` has no re-weighting",
            args.scheme
        )));
    };

    let mut csv = String::from("line,target,bin,weight\n");
    for (((row, t), b), w) in table.rows.iter().zip(&y).zip(&bins).zip(&weights) {
        let _ = writeln!(csv, "{},{t},{b},{w}", row.line);
    }
    srl_data::atomic::write_atomic(&args.out, csv.as_bytes())?;
    let scheme = match &preset.denseweight {
        Some(d) => format!("{} α {}", args.scheme, d.alpha),
        None => args.scheme.to_string(),
    };
    sayln(&format!(
        "{} weights ({scheme}, {} bins: {rule}; mean 1, from {:.4} to {:.4}) -> {}",
        weights.len(),
        binning.num_bins(),
        weights.iter().copied().fold(f64::INFINITY, f64::min),
        weights.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        args.out.display()
    ))?;
    Ok(())
}
