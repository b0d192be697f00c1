//! `srl eval`: load a checkpoint and report its test metrics per shot group.

use crate::cli::EvalArgs;
use crate::data;
use crate::error::CliError;
use crate::report;

/// Runs `srl eval`.
pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    let data_cfg = args.data.to_data_config()?.ok_or_else(|| {
        CliError::Usage(
            "say what to evaluate on: --benchmark NAME or --csv FILE --target COL \
             (--bin-width W | --bins K)"
                .into(),
        )
    })?;
    let model = srl_train::TrainedModel::load(&args.checkpoint)?;
    let bench = data::load(&data_cfg, &args.data)?;
    let metrics = srl_train::evaluate(&model, &bench)?;
    println!(
        "{} on the test part of {} ({} samples):",
        args.checkpoint.display(),
        data::describe(&data_cfg),
        bench.test.len()
    );
    print!("{}", report::metrics_table(&metrics));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&metrics).map_err(|e| CliError::Serialise {
            what: "metrics",
            reason: e.to_string(),
        })?;
        std::fs::write(path, text + "\n").map_err(|e| CliError::io("write", path, e))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
