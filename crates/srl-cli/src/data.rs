//! Turning the data flags into the trainer's [`DataConfig`] and loading the benchmark.

use crate::cli::DataArgs;
use crate::error::CliError;
use srl_data::BinSpec;
use srl_train::DataConfig;
use std::path::PathBuf;

/// Default per-bin cap of the balanced validation and test sets of a CSV file.
pub const DEFAULT_VAL_TEST_CAP: usize = 30;

impl DataArgs {
    /// The data configuration these flags describe, or `None` if they name no data.
    ///
    /// A `--csv` needs `--target` and exactly one of `--bin-width` / `--bins`; anything else
    /// is a [`CliError::Usage`].
    pub fn to_data_config(&self) -> Result<Option<DataConfig>, CliError> {
        let split_seed = self.split_seed.unwrap_or(0);
        if let Some(name) = &self.benchmark {
            return Ok(Some(DataConfig::Benchmark {
                name: *name,
                split_seed,
            }));
        }
        let Some(path) = &self.csv else {
            return Ok(None);
        };
        let target = self.target.clone().ok_or_else(|| {
            CliError::Usage("--csv needs --target COL (the column to predict)".into())
        })?;
        let bins = match (self.bin_width, self.num_bins) {
            (Some(w), _) => BinSpec::Width(w),
            (None, Some(k)) => BinSpec::Count(k),
            (None, None) => {
                return Err(CliError::Usage(
                    "--csv needs the target bins: --bin-width W or --bins K".into(),
                ))
            }
        };
        Ok(Some(DataConfig::Csv {
            path: path.clone(),
            target,
            bins,
            val_test_cap: self.val_test_cap.unwrap_or(DEFAULT_VAL_TEST_CAP),
            split_seed,
        }))
    }

    /// The data directory: `--data-dir`, else `$SRL_DATA_DIR`, else the default cache.
    pub fn resolved_data_dir(&self) -> PathBuf {
        srl_data::datadir::resolve_data_dir(self.data_dir.as_deref())
    }
}

/// A short human name of the data (`airfoil`, `houses.csv`).
pub fn describe(cfg: &DataConfig) -> String {
    match cfg {
        DataConfig::Benchmark { name, .. } => name.to_string(),
        DataConfig::Csv { path, .. } => path.display().to_string(),
    }
}

/// Loads and prepares the data (split, bins, shot groups) from the resolved data directory.
pub fn load(cfg: &DataConfig, args: &DataArgs) -> Result<srl_data::Benchmark, CliError> {
    let dir = args.resolved_data_dir();
    Ok(srl_train::prepare_data(cfg, &dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> DataArgs {
        DataArgs::default()
    }

    #[test]
    fn no_data_flags_mean_no_config() {
        assert_eq!(args().to_data_config().unwrap(), None);
    }

    #[test]
    fn benchmark_flag_gives_a_benchmark_with_split_seed() {
        let a = DataArgs {
            benchmark: Some(srl_data::BenchmarkId::Airfoil),
            split_seed: Some(3),
            ..args()
        };
        assert_eq!(
            a.to_data_config().unwrap(),
            Some(DataConfig::Benchmark {
                name: srl_data::BenchmarkId::Airfoil,
                split_seed: 3
            })
        );
    }

    #[test]
    fn csv_needs_target_and_bins() {
        let no_target = DataArgs {
            csv: Some("d.csv".into()),
            num_bins: Some(5),
            ..args()
        };
        assert!(matches!(
            no_target.to_data_config(),
            Err(CliError::Usage(m)) if m.contains("--target")
        ));
        let no_bins = DataArgs {
            csv: Some("d.csv".into()),
            target: Some("y".into()),
            ..args()
        };
        assert!(matches!(
            no_bins.to_data_config(),
            Err(CliError::Usage(m)) if m.contains("--bins")
        ));
        let ok = DataArgs {
            csv: Some("d.csv".into()),
            target: Some("y".into()),
            bin_width: Some(0.5),
            ..args()
        };
        match ok.to_data_config().unwrap() {
            Some(DataConfig::Csv {
                bins, val_test_cap, ..
            }) => {
                assert_eq!(bins, BinSpec::Width(0.5));
                assert_eq!(val_test_cap, DEFAULT_VAL_TEST_CAP);
            }
            other => panic!("expected a CSV config, got {other:?}"),
        }
    }
}
