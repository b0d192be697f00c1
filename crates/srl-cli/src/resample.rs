//! `srl resample`: a table resampled for imbalanced regression (SMOGN, SMOTER, WERCS, random
//! over- or under-sampling), written back in the table's own columns for any model.
//!
//! Every data row takes part (no split). The preprocessing `srl train --csv` fits (numbers
//! scaled, categories one-hot, missing cells imputed as the flags say) is fitted on all rows;
//! the rows are resampled by the trainer's transform ([`srl_train::resample::resample_rows`]:
//! the automatic box-plot φ of the targets, the one-hot groups kept whole) and written back:
//!
//! - kept rows and replicas: the file's own cells, unchanged;
//! - new rows (SMOTER interpolations, SMOGN noise rows): numeric columns in their original
//!   units (the scaling inverted), each categorical column the category of its one-hot group;
//! - the target, then `origin`: `original:<line>`, `replica:<line>`,
//!   `synthetic:<seed line>~<neighbour line>` or `noise:<seed line>` (1-based file lines).
//!
//! Columns the preprocessing does not use (--exclude, an unused split column) are left out,
//! and the command says so.

use crate::cli::ResampleArgs;
use crate::error::CliError;
use crate::out::sayln;
use srl_data::names::Named;
use srl_data::table::{
    checked_targets, input_columns, read_table, ColumnKind, Preprocessor, Scaling,
};
use srl_resample::{FeatureLayout, Origin};
use srl_train::resample::{resample_rows, ResampleSpec};
use srl_train::DataConfig;
use std::fmt::Write as _;

/// Runs `srl resample`.
pub fn run(args: &ResampleArgs) -> Result<(), CliError> {
    let components = args.method.components();
    let usage = || {
        CliError::Usage(format!(
            "--method takes one resampler: smogn, smoter, wercs, ros or rus (got `{}`)",
            args.method
        ))
    };
    let [c] = components else {
        return Err(usage());
    };
    if !c.is_resampler() {
        return Err(usage());
    }
    let Some(DataConfig::Csv(tspec)) = args.data.to_data_config()? else {
        return Err(CliError::Usage(
            "srl resample needs a table: --csv FILE --target COL".into(),
        ));
    };
    if args.out.exists() && !args.force {
        return Err(CliError::Usage(format!(
            "{} exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let mut spec = ResampleSpec::preset(*c);
    if let Some(t) = args.threshold {
        spec.threshold = t;
    }
    if let Some(k) = args.k {
        spec.k = k;
    }
    if let Some(e) = args.extremes {
        spec.extremes = e;
    }
    if let Some(c) = args.coef {
        spec.coef = c;
    }
    spec.check().map_err(|e| {
        CliError::Usage(
            e.to_string()
                .replace("`method.resample.threshold`", "--threshold")
                .replace("`method.resample.k`", "--k")
                .replace("`method.resample.coef`", "--coef"),
        )
    })?;

    tspec.check()?;
    let (table, _, _) = read_table(&tspec)?;
    let y = checked_targets(&tspec, &table)?;
    let inputs = input_columns(&table, &tspec)?;
    let all: Vec<usize> = (0..table.rows.len()).collect();
    let (prep, _) = Preprocessor::fit_reporting(&table, &tspec, &inputs, &all)?;
    let x = prep.transform(&table, None)?.x;
    let layout = FeatureLayout::from_preprocessor(&prep);
    let out = resample_rows(x.view(), &y, &layout, &spec, args.seed)?;

    // Output columns: the file's, in its order, that are inputs or the target.
    let target_col = srl_data::table::column_index(&table, &tspec.target)?;
    let mut kept: Vec<(usize, Option<usize>)> = Vec::new(); // (file column, input index)
    let mut left_out = Vec::new();
    for (j, name) in table.names.iter().enumerate() {
        if j == target_col {
            kept.push((j, None));
        } else if let Some(i) = prep.columns.iter().position(|c| &c.name == name) {
            kept.push((j, Some(i)));
        } else {
            left_out.push(name.clone());
        }
    }
    let offsets: Vec<usize> = prep
        .columns
        .iter()
        .scan(0, |at, c| {
            let o = *at;
            *at += c.width();
            Some(o)
        })
        .collect();

    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| CliError::Serialise {
        what: "the resampled table",
        reason: e.to_string(),
    };
    let mut header: Vec<&str> = kept.iter().map(|&(j, _)| table.names[j].as_str()).collect();
    header.push("origin");
    w.write_record(&header).map_err(csv_err)?;
    let line = |row: usize| table.rows[row].line;
    for (i, o) in out.origin.iter().enumerate() {
        let (copy, origin) = match *o {
            Origin::Original { row } => (Some(row), format!("original:{}", line(row))),
            Origin::Replica { row } => (Some(row), format!("replica:{}", line(row))),
            Origin::Interpolated {
                seed, neighbour, ..
            } => (
                None,
                format!("synthetic:{}~{}", line(seed), line(neighbour)),
            ),
            Origin::Noise { seed, .. } => (None, format!("noise:{}", line(seed))),
        };
        let mut record: Vec<String> = Vec::with_capacity(kept.len() + 1);
        for &(j, input) in &kept {
            let cell = match (copy, input) {
                (Some(row), _) => table.rows[row].fields[j].clone(),
                (None, None) => out.y[i].to_string(),
                (None, Some(c)) => {
                    let col = &prep.columns[c];
                    let at = offsets[c];
                    match &col.kind {
                        ColumnKind::Numeric {
                            mean, std, scaling, ..
                        } => unscale(out.x[[i, at]], *mean, *std, scaling.as_ref()).to_string(),
                        ColumnKind::Categorical { categories, .. } => {
                            match (0..categories.len()).find(|&h| out.x[[i, at + h]] == 1.0) {
                                Some(h) => categories[h].clone(),
                                // An all-zero group (no category): the seed row's cell.
                                None => table.rows[o.source()].fields[j].clone(),
                            }
                        }
                    }
                }
            };
            record.push(cell);
        }
        record.push(origin);
        w.write_record(&record).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| CliError::Serialise {
        what: "the resampled table",
        reason: e.to_string(),
    })?;
    srl_data::atomic::write_atomic(&args.out, &bytes)?;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "{} on {} ({} rows, target `{}`; φ: box-plot rule, {} tails, coef {}; threshold {}{}; seed {})",
        c.as_str(),
        tspec.path.display(),
        y.len(),
        tspec.target,
        spec.extremes.name(),
        spec.coef,
        spec.threshold,
        if matches!(
            c,
            srl_train::Component::Smoter | srl_train::Component::Smogn
        ) {
            format!(", k {}", spec.k)
        } else {
            String::new()
        },
        args.seed
    );
    let _ = writeln!(
        report,
        "{:<8} {:<6} {:>24} {:>8} {:>8} {:>10}",
        "region", "rare", "target range", "before", "after", "synthetic"
    );
    for (r, g) in out.regions.iter().enumerate() {
        let _ = writeln!(
            report,
            "{:<8} {:<6} {:>24} {:>8} {:>8} {:>10}",
            r + 1,
            if g.rare { "yes" } else { "no" },
            format!("[{}, {}]", g.y_min, g.y_max),
            g.before,
            g.after,
            g.synthetic
        );
    }
    let synthetic = out.origin.iter().filter(|o| o.is_synthetic()).count();
    let replicas = out
        .origin
        .iter()
        .filter(|o| matches!(o, Origin::Replica { .. }))
        .count();
    let _ = writeln!(
        report,
        "{:<8} {:<6} {:>24} {:>8} {:>8} {:>10}",
        "total",
        "",
        "",
        y.len(),
        out.y.len(),
        synthetic
    );
    let _ = write!(
        report,
        "{} rows ({} kept, {replicas} replicas, {synthetic} synthetic) -> {}",
        out.y.len(),
        out.y.len() - replicas - synthetic,
        args.out.display()
    );
    if !left_out.is_empty() {
        let _ = write!(
            report,
            "\nleft out (not used by the preprocessing): {}",
            left_out.join(", ")
        );
    }
    sayln(&report)?;
    Ok(())
}

/// A scaled numeric input back in its column's units: the inverse of (x − μ)/σ, of the robust
/// scaling, or of the quantile scaling (linear between its knots).
fn unscale(v: f64, mean: f64, std: f64, scaling: Option<&Scaling>) -> f64 {
    match scaling {
        None => v * std + mean,
        Some(Scaling::Robust { centre, scale }) => v * scale + centre,
        Some(Scaling::Quantile { knots }) => {
            let u = (v / 12f64.sqrt() + 0.5).clamp(0.0, 1.0);
            let pos = u * (knots.len() - 1) as f64;
            let i = (pos.floor() as usize).min(knots.len() - 1);
            let hi = knots[(i + 1).min(knots.len() - 1)];
            knots[i] + (pos - i as f64) * (hi - knots[i])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscale_inverts_every_scaling() {
        assert!((unscale((7.0 - 2.0) / 4.0, 2.0, 4.0, None) - 7.0).abs() < 1e-12);
        let robust = Scaling::Robust {
            centre: 3.0,
            scale: 2.0,
        };
        assert!((unscale(robust.apply(10.0), 0.0, 1.0, Some(&robust)) - 10.0).abs() < 1e-12);
        let q = Scaling::Quantile {
            knots: vec![0.0, 1.0, 4.0, 9.0],
        };
        for v in [0.0, 0.5, 2.5, 9.0] {
            assert!(
                (unscale(q.apply(v), 0.0, 1.0, Some(&q)) - v).abs() < 1e-9,
                "{v}"
            );
        }
    }
}
