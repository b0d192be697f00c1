//! Turning the data flags into the trainer's [`DataConfig`] and loading the data.

use crate::cli::{DataArgs, SplitArg};
use crate::error::CliError;
use srl_data::table::{SplitSpec, TableSpec};
use srl_data::BinSpec;
use srl_train::DataConfig;
use std::path::PathBuf;

/// `--header` / `--no-header` as the table reader's option (`None` = detect).
pub fn header_flag(header: bool, no_header: bool) -> Option<bool> {
    match (header, no_header) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

impl DataArgs {
    /// The data configuration these flags describe, or `None` if they name no data.
    ///
    /// A `--csv` needs `--target`; the path is made absolute so the run folder's
    /// configuration still finds the file from another working directory.
    pub fn to_data_config(&self) -> Result<Option<DataConfig>, CliError> {
        let split_seed = self.split_seed.unwrap_or(0);
        let protocol = self.protocol.clone().unwrap_or_default();
        if let Some(name) = &self.benchmark {
            return Ok(Some(DataConfig::Benchmark {
                name: *name,
                split_seed,
                protocol,
            }));
        }
        let Some(path) = &self.csv else {
            if self.protocol.is_some() {
                return Err(CliError::Usage(
                    "--protocol needs the data it applies to: --benchmark NAME or --csv FILE \
                     (with --config, set `protocol` in its [data] table)"
                        .into(),
                ));
            }
            return Ok(None);
        };
        let target = self.target.clone().ok_or_else(|| {
            CliError::Usage("--csv needs --target COL (the column to predict)".into())
        })?;
        let path = std::path::absolute(path).map_err(|e| CliError::io("resolve", path, e))?;
        let mut spec = TableSpec::new(path, target);
        spec.features = self.features.clone();
        spec.exclude = self.exclude.clone();
        spec.categorical = self.categorical.clone();
        if let Some(m) = &self.missing {
            for marker in m {
                if !spec.missing.contains(marker) {
                    spec.missing.push(marker.clone());
                }
            }
        }
        spec.keep_outliers = self.keep_outliers;
        spec.clip = !self.no_clip;
        spec.scale = self.scale.unwrap_or_default();
        spec.impute = self.impute.unwrap_or_default();
        if let Some(u) = self.unknown_category {
            spec.unknown_category = u;
        }
        spec.delimiter = self.delimiter;
        spec.header = header_flag(self.header, self.no_header);
        spec.bins = match (self.bin_width, self.num_bins) {
            (Some(w), _) => Some(BinSpec::Width(w)),
            (None, Some(k)) => Some(BinSpec::Count(k)),
            (None, None) => None,
        };
        spec.split = match (&self.split_column, self.split) {
            (Some(name), _) => SplitSpec::Column { name: name.clone() },
            (None, Some(SplitArg::Balanced)) => {
                if self.val_size.is_some() || self.test_size.is_some() {
                    return Err(CliError::Usage(
                        "--val-size/--test-size are for the stratified split; the balanced \
                         split takes --val-test-cap"
                            .into(),
                    ));
                }
                SplitSpec::Balanced {
                    cap: self
                        .val_test_cap
                        .unwrap_or(srl_data::table::DEFAULT_VAL_TEST_CAP),
                }
            }
            (None, _) => {
                if self.val_test_cap.is_some() {
                    return Err(CliError::Usage(
                        "--val-test-cap is for --split balanced".into(),
                    ));
                }
                SplitSpec::Stratified {
                    val: self.val_size.unwrap_or(srl_data::table::DEFAULT_VAL_SIZE),
                    test: self.test_size.unwrap_or(srl_data::table::DEFAULT_TEST_SIZE),
                }
            }
        };
        spec.split_seed = split_seed;
        spec.protocol = protocol;
        Ok(Some(DataConfig::Csv(spec)))
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
        DataConfig::Csv(t) => t.path.display().to_string(),
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
                split_seed: 3,
                protocol: srl_data::Protocol::Standard,
            })
        );
    }

    #[test]
    fn protocol_flag_reaches_both_kinds_of_data() {
        let p: srl_data::Protocol = "extrapolation:high:0.1".parse().unwrap();
        let bench = DataArgs {
            benchmark: Some(srl_data::BenchmarkId::Airfoil),
            protocol: Some(p.clone()),
            ..args()
        };
        assert!(matches!(
            bench.to_data_config().unwrap(),
            Some(DataConfig::Benchmark { protocol, .. }) if protocol == p
        ));
        let csv = DataArgs {
            csv: Some("d.csv".into()),
            target: Some("y".into()),
            protocol: Some(p.clone()),
            ..args()
        };
        assert!(matches!(
            csv.to_data_config().unwrap(),
            Some(DataConfig::Csv(t)) if t.protocol == p
        ));
        let alone = DataArgs {
            protocol: Some(p),
            ..args()
        };
        assert!(matches!(
            alone.to_data_config(),
            Err(CliError::Usage(m)) if m.contains("--protocol")
        ));
    }

    #[test]
    fn csv_needs_a_target_and_builds_a_table_spec() {
        let no_target = DataArgs {
            csv: Some("d.csv".into()),
            num_bins: Some(5),
            ..args()
        };
        assert!(matches!(
            no_target.to_data_config(),
            Err(CliError::Usage(m)) if m.contains("--target")
        ));
        let ok = DataArgs {
            csv: Some("d.csv".into()),
            target: Some("y".into()),
            exclude: vec!["id".into()],
            split_column: Some("part".into()),
            ..args()
        };
        match ok.to_data_config().unwrap() {
            Some(DataConfig::Csv(t)) => {
                assert!(t.path.is_absolute());
                assert_eq!(t.bins, None);
                assert_eq!(t.exclude, vec!["id"]);
                assert_eq!(
                    t.split,
                    SplitSpec::Column {
                        name: "part".into()
                    }
                );
            }
            other => panic!("expected a CSV config, got {other:?}"),
        }
        let cap_without_balanced = DataArgs {
            csv: Some("d.csv".into()),
            target: Some("y".into()),
            val_test_cap: Some(3),
            ..args()
        };
        assert!(matches!(
            cap_without_balanced.to_data_config(),
            Err(CliError::Usage(m)) if m.contains("balanced")
        ));
    }
}
