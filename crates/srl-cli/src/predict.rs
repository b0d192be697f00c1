//! `srl predict`: apply a model trained on a table to the raw rows of a (new) file.
//!
//! The model carries its preprocessing, so the file only needs the training input columns, in
//! any order (extra columns, including the target, are ignored). An ensemble written by
//! `srl compare` averages its members' predictions; boosted trees (`--method gbdt…`) are
//! served the same way. The output is CSV:
//! `row,line,prediction,out_of_range` — the row's 1-based number among the file's data rows,
//! its line in the file, the prediction in target units, and why the row lies outside the
//! training range (empty when it does not; rule in docs/own-data.md).

use crate::cli::PredictArgs;
use crate::data::header_flag;
use crate::error::CliError;
use crate::model::AnyModel;
use crate::out::say;

/// Runs `srl predict`.
pub fn run(args: &PredictArgs) -> Result<(), CliError> {
    let mut model = AnyModel::load(&args.model)?;
    if model.input().is_none() {
        return Err(CliError::Usage(format!(
            "{} was trained on the benchmark `{}`; `srl predict` needs a model trained with \
             `srl train --csv` or `srl compare --csv` (it carries the input preprocessing)",
            args.model.display(),
            model.data_name()
        )));
    }
    let header = header_flag(args.header, args.no_header);
    let (table, _, _) = srl_data::table::read_table_at(&args.csv, args.delimiter, header)?;
    if let Some(u) = args.unknown_category {
        model.set_unknown_category(u);
    }
    let (pred, flags) = model.predict_table(&table, None)?;

    let mut w = csv::Writer::from_writer(Vec::new());
    let ser = |e: csv::Error| CliError::Serialise {
        what: "predictions",
        reason: e.to_string(),
    };
    w.write_record(["row", "line", "prediction", "out_of_range"])
        .map_err(ser)?;
    for (i, (p, f)) in pred.iter().zip(&flags).enumerate() {
        w.write_record([
            (i + 1).to_string(),
            table.rows[i].line.to_string(),
            p.to_string(),
            f.clone().unwrap_or_default(),
        ])
        .map_err(ser)?;
    }
    let bytes = w.into_inner().map_err(|e| CliError::Serialise {
        what: "predictions",
        reason: e.to_string(),
    })?;
    let flagged = flags.iter().filter(|f| f.is_some()).count();
    if flagged > 0 {
        let first = flags.iter().flatten().next().cloned().unwrap_or_default();
        let clipped = model.input().is_some_and(|i| i.preprocessor.clip);
        eprintln!(
            "warning: {flagged} of {} rows lie outside the training range (column \
             out_of_range; e.g. {first}): {}",
            pred.len(),
            if clipped {
                "their inputs were clipped to it, so they are predicted as if at its edge"
            } else {
                "their predictions are extrapolations"
            }
        );
    }
    match &args.out {
        Some(path) => {
            srl_data::atomic::write_atomic(path, &bytes)?;
            eprintln!("wrote {} predictions to {}", pred.len(), path.display());
        }
        None => say(&String::from_utf8_lossy(&bytes))?,
    }
    Ok(())
}
