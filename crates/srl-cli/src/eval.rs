//! `srl eval`: load a checkpoint and report its test metrics per shot group.

use crate::cli::EvalArgs;
use crate::data;
use crate::error::CliError;
use crate::out::{say, sayln};
use crate::report;

/// Runs `srl eval`.
pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    let model = srl_train::TrainedModel::load(&args.checkpoint)?;
    // Default: the data (and split) the model was trained on, so "test" really is held out.
    let data_cfg = match args.data.to_data_config()? {
        Some(cfg) => {
            if cfg != model.config().data {
                eprintln!(
                    "warning: evaluating on {} although the model was trained on {}; \
                     if the split differs, its test part may contain training rows",
                    data::describe(&cfg),
                    data::describe(&model.config().data)
                );
            }
            cfg
        }
        None => model.config().data.clone(),
    };
    let bench = data::load(&data_cfg, &args.data)?;
    let metrics = srl_train::evaluate(&model, &bench)?;
    sayln(&format!(
        "{} on the test part of {} ({} samples):",
        args.checkpoint.display(),
        data::describe(&data_cfg),
        bench.test.len()
    ))?;
    say(&report::metrics_table(&metrics))?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&metrics).map_err(|e| CliError::Serialise {
            what: "metrics",
            reason: e.to_string(),
        })?;
        std::fs::write(path, text + "\n").map_err(|e| CliError::io("write", path, e))?;
        sayln(&format!("wrote {}", path.display()))?;
    }
    Ok(())
}
