//! `srl config`: print a preset run configuration as TOML.

use crate::cli::ConfigArgs;
use crate::error::CliError;
use srl_train::{MethodName, RunConfig};

/// The preset TOML for the flags (benchmark, method, profile, seed).
pub fn preset_toml(args: &ConfigArgs) -> Result<String, CliError> {
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| MethodName::new(&[srl_train::Component::Srl]).unwrap_or_default());
    let mut cfg = RunConfig::preset(args.benchmark, &method, args.profile)?;
    cfg.seed = args.seed;
    Ok(cfg.to_toml_string()?)
}

/// Runs `srl config`.
pub fn run(args: &ConfigArgs) -> Result<(), CliError> {
    let text = preset_toml(args)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| CliError::io("write", path, e))?;
        }
        None => crate::out::say(&text)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use srl_data::BenchmarkId;
    use srl_train::Profile;

    #[test]
    fn preset_round_trips_and_carries_the_seed() {
        let args = ConfigArgs {
            benchmark: BenchmarkId::IolLinear,
            method: None,
            profile: Profile::Full,
            seed: 3,
            out: None,
        };
        let text = preset_toml(&args).unwrap();
        let cfg = RunConfig::from_toml_str(&text).unwrap();
        assert_eq!(cfg.seed, 3);
        assert_eq!(cfg.method_name().to_string(), "srl");
        assert_eq!(cfg.optim.epochs, 20_000);
    }
}
