//! What `reproduce` runs: the plan (profile, benchmarks × methods × seeds, in a fixed order)
//! and where each run keeps its files under the output folder — its run folder
//! `runs/<benchmark>/<method>/seed<k>` (the sweep layout of [`run_folder::sweep_run_dir`]),
//! its configuration `configs/<benchmark>-<method>-seed<k>.toml` and its log
//! `logs/<benchmark>/<method>-seed<k>.log`.

use crate::common::{run_name, seed_file_stem};
use crate::error::{Result, XtaskError};
use crate::tables::default_methods;
use serde::{Deserialize, Serialize};
use srl_data::BenchmarkId;
use srl_train::{run_folder, MethodName, Profile};
use std::path::{Path, PathBuf};

/// What to run: profile, benchmarks, methods, seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Preset size.
    pub profile: Profile,
    /// Benchmarks in table order.
    pub benchmarks: Vec<BenchmarkId>,
    /// Methods, in the order given (duplicates removed).
    pub methods: Vec<MethodName>,
    /// Seeds `0..seeds`.
    pub seeds: usize,
}

/// One training run of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunSpec {
    /// Benchmark.
    pub benchmark: BenchmarkId,
    /// Method.
    pub method: MethodName,
    /// Training seed.
    pub seed: u64,
}

impl RunSpec {
    /// `airfoil/srl/seed0`.
    pub fn name(&self) -> String {
        run_name(self.benchmark.as_str(), &self.method.to_string(), self.seed)
    }

    /// `configs/airfoil-srl-seed0.toml` under `out`.
    pub fn config_path(&self, out: &Path) -> PathBuf {
        out.join("configs").join(format!(
            "{}-{}.toml",
            self.benchmark,
            seed_file_stem(&self.method.to_string(), self.seed)
        ))
    }

    /// `runs/airfoil/srl/seed0` under `out`.
    pub fn run_dir(&self, out: &Path) -> PathBuf {
        run_folder::sweep_run_dir(
            &out.join("runs"),
            self.benchmark.as_str(),
            &self.method.to_string(),
            self.seed,
        )
    }

    /// `logs/airfoil/srl-seed0.log` under `out`.
    pub fn log_path(&self, out: &Path) -> PathBuf {
        out.join("logs").join(self.benchmark.as_str()).join(format!(
            "{}.log",
            seed_file_stem(&self.method.to_string(), self.seed)
        ))
    }
}

/// `<method>-seed<k>` + `suffix` → the method and seed (the file names of logs and, after the
/// benchmark prefix, of configs).
pub fn parse_method_seed(name: &str, suffix: &str) -> Option<(MethodName, u64)> {
    let (method, seed) = name.strip_suffix(suffix)?.rsplit_once('-')?;
    Some((method.parse().ok()?, run_folder::seed_of_dir(seed)?))
}

/// `<benchmark>-<method>-seed<k>.toml` → its parts (`None` for any other file name).
pub fn parse_config_name(name: &str) -> Option<(BenchmarkId, MethodName, u64)> {
    BenchmarkId::ALL.into_iter().find_map(|b| {
        let rest = name.strip_prefix(b.as_str())?.strip_prefix('-')?;
        let (m, seed) = parse_method_seed(rest, ".toml")?;
        Some((b, m, seed))
    })
}

impl Plan {
    /// The plan of the flags `--full`, `--only`, `--methods` and `--seeds`: benchmarks in
    /// table order and methods in the given order (both deduplicated; no `only` means every
    /// benchmark, no `methods` the [`default_methods`]); no method or zero seeds are errors.
    pub fn new(
        full: bool,
        only: &[BenchmarkId],
        methods: &[MethodName],
        seeds: Option<usize>,
    ) -> Result<Plan> {
        let profile = if full { Profile::Full } else { Profile::Quick };
        let benchmarks: Vec<BenchmarkId> = if only.is_empty() {
            BenchmarkId::ALL.to_vec()
        } else {
            // Table order, whatever the order of the flag.
            BenchmarkId::ALL
                .into_iter()
                .filter(|b| only.contains(b))
                .collect()
        };
        let given = if methods.is_empty() {
            default_methods()
        } else {
            methods.to_vec()
        };
        let mut unique: Vec<MethodName> = Vec::new();
        for m in given {
            if !unique.contains(&m) {
                unique.push(m);
            }
        }
        if unique.is_empty() {
            return Err(XtaskError::InvalidArgument(
                "--methods selects no method".into(),
            ));
        }
        let seeds = seeds.unwrap_or(match profile {
            Profile::Full => 5,
            Profile::Quick => 2,
        });
        if seeds == 0 {
            return Err(XtaskError::InvalidArgument(
                "--seeds must be at least 1".into(),
            ));
        }
        Ok(Plan {
            profile,
            benchmarks,
            methods: unique,
            seeds,
        })
    }

    /// Every run in the plan's fixed order: benchmark-major, then seed, then method (so the
    /// methods of a seed finish close together). Shards are assigned by position in this list.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut out = Vec::new();
        for &benchmark in &self.benchmarks {
            for seed in 0..self.seeds as u64 {
                for m in &self.methods {
                    out.push(RunSpec {
                        benchmark,
                        method: m.clone(),
                        seed,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tables::tests::method;

    /// The run of method `m` (test helper).
    pub(crate) fn spec(benchmark: BenchmarkId, m: &str, seed: u64) -> RunSpec {
        RunSpec {
            benchmark,
            method: method(m),
            seed,
        }
    }

    /// The quick plan of `benchmarks` with the default methods and 2 seeds (test helper).
    pub(crate) fn quick_plan(benchmarks: &[BenchmarkId]) -> Plan {
        Plan::new(false, benchmarks, &[], None).unwrap()
    }

    #[test]
    fn run_paths() {
        let s = spec(BenchmarkId::RealEstate, "srl", 3);
        let out = Path::new("/o");
        assert_eq!(s.name(), "real-estate/srl/seed3");
        assert_eq!(
            s.config_path(out),
            PathBuf::from("/o/configs/real-estate-srl-seed3.toml")
        );
        assert_eq!(
            s.run_dir(out),
            PathBuf::from("/o/runs/real-estate/srl/seed3")
        );
        assert_eq!(
            s.log_path(out),
            PathBuf::from("/o/logs/real-estate/srl-seed3.log")
        );
        let c = spec(BenchmarkId::IolSde, "srl+ranksim", 0);
        assert_eq!(
            c.config_path(out),
            PathBuf::from("/o/configs/iol-sde-srl+ranksim-seed0.toml")
        );
        assert_eq!(
            parse_config_name("iol-sde-srl+ranksim-seed0.toml"),
            Some((BenchmarkId::IolSde, method("srl+ranksim"), 0))
        );
        assert_eq!(
            parse_config_name("real-estate-lds+fds-seed12.toml"),
            Some((BenchmarkId::RealEstate, method("lds+fds"), 12))
        );
        assert_eq!(parse_config_name("notes.toml"), None);
        assert_eq!(
            parse_method_seed("vanilla-seed4.log", ".log"),
            Some((method("vanilla"), 4))
        );
    }
}
