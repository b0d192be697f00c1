//! Resumable runs: the whole state of a [`Trainer`](crate::Trainer) between two epochs, so an
//! interrupted run (Ctrl-C, a crash, the end of a session) continues where it stopped and ends
//! with the same bits as a run that was never interrupted.
//!
//! What is saved (`resume.json` in the run folder, written atomically):
//! - the run configuration (TOML, as in `config.toml`) and a fingerprint of the data (sizes and
//!   a 64-bit FNV-1a hash of every input, target and bin of the three parts), so a state is
//!   never continued on other data or with other settings;
//! - epochs and steps done, the network's parameters, the optimiser(s) with their moments and
//!   step counts, the validation-best parameters and epoch, the early-stopping flag;
//! - the log so far and the loss sums since the last log line;
//! - every method component's state ([`MethodComponent::resume_state`](crate::MethodComponent::resume_state):
//!   SRL's surrogate memory with this epoch's accumulators, FDS statistics, Balanced MSE's σ
//!   with its optimiser, the generators of the subsampling terms) and the monitor memory.
//!
//! What is not saved, because it is a function of the configuration, the data and the epoch
//! number: the batch order (drawn per epoch from the seed), SRL's sphere points, the LDS
//! weights, the BNI/GAI priors and every scratch buffer. Floats round-trip exactly through
//! JSON (shortest representation; `serde_json`'s `float_roundtrip`).
//!
//! ```
//! use srl_train::resume::data_fingerprint;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::var("SRL_DATA_DIR").unwrap_or_else(|_| "../../datasets".into());
//! # if !std::path::Path::new(&dir).join("airfoil/airfoil.csv").exists() { return Ok(()); }
//! let bench = srl_data::load_benchmark(
//!     srl_data::BenchmarkId::Airfoil,
//!     &srl_data::LoadOptions { data_dir: dir.into(), split_seed: 0 },
//! )?;
//! // The same data always gives the same fingerprint.
//! assert_eq!(data_fingerprint(&bench), data_fingerprint(&bench));
//! # Ok(()) }
//! ```

use crate::report::EpochLog;
use crate::{Optimizer, TrainError};
use serde::{Deserialize, Serialize};
use srl_data::{Benchmark, Part};
use srl_surrogate::Surrogate;
use std::collections::BTreeMap;
use std::path::Path;

/// Version of the `resume.json` layout.
pub const RESUME_FORMAT: u32 = 1;

/// Sizes and hash of the data a run trains, validates and tests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFingerprint {
    /// Training rows.
    pub train: usize,
    /// Validation rows.
    pub val: usize,
    /// Test rows.
    pub test: usize,
    /// Input columns.
    pub inputs: usize,
    /// FNV-1a (64-bit) over the bits of every input, target and bin, part by part.
    pub hash: u64,
}

/// The fingerprint of `bench` (see [`DataFingerprint`]).
pub fn data_fingerprint(bench: &Benchmark) -> DataFingerprint {
    let mut h = Fnv::default();
    for part in [&bench.train, &bench.val, &bench.test] {
        hash_part(&mut h, part);
    }
    DataFingerprint {
        train: bench.train.len(),
        val: bench.val.len(),
        test: bench.test.len(),
        inputs: bench.train.x.ncols(),
        hash: h.0,
    }
}

fn hash_part(h: &mut Fnv, part: &Part) {
    h.write(&(part.len() as u64).to_le_bytes());
    for v in part.x.iter().chain(part.y.iter()) {
        h.write(&v.to_bits().to_le_bytes());
    }
    for &b in &part.bins {
        h.write(&(b as u64).to_le_bytes());
    }
}

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The validation-best parameters so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestState {
    /// Its validation MAE.
    pub val_mae: f64,
    /// Its epoch (0-based).
    pub epoch: usize,
    /// The network's flat parameters at that epoch.
    pub parameters: Vec<f32>,
}

/// Loss sums since the last log line (per term: sum and number of batches that reported it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossSums {
    /// Sum of the per-batch total losses.
    pub total: f64,
    /// Batches summed.
    pub batches: usize,
    /// Per named term.
    pub terms: BTreeMap<String, (f64, usize)>,
}

impl LossSums {
    /// Adds one batch's value of term `name` (allocates only the first time a name is seen).
    pub fn add(&mut self, name: &str, v: f64) {
        match self.terms.get_mut(name) {
            Some(e) => {
                e.0 += v;
                e.1 += 1;
            }
            None => {
                self.terms.insert(name.to_string(), (v, 1));
            }
        }
    }

    /// Mean of a term over the batches that reported it (0 if none).
    pub fn mean_of(&self, name: &str) -> f64 {
        match self.terms.get(name) {
            Some(&(sum, n)) if n > 0 => sum / n as f64,
            _ => 0.0,
        }
    }
}

/// Everything a [`Trainer`](crate::Trainer) needs to continue a run (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeState {
    /// [`RESUME_FORMAT`].
    pub format: u32,
    /// The run configuration as TOML.
    pub config: String,
    /// What the run trains on.
    pub data: DataFingerprint,
    /// Epochs completed.
    pub epoch: usize,
    /// Optimisation steps completed.
    pub step: usize,
    /// The network's flat parameters now.
    pub parameters: Vec<f32>,
    /// The optimiser of the network.
    pub optimizer: Optimizer<f32>,
    /// Two-stage methods: the head's optimiser.
    pub head_optimizer: Option<Optimizer<f32>>,
    /// The validation-best model so far.
    pub best: Option<BestState>,
    /// Whether early stopping has ended the run.
    pub stopped_early: bool,
    /// The log lines so far.
    pub log: Vec<EpochLog>,
    /// Loss sums since the last log line.
    pub losses: LossSums,
    /// Seconds spent in training epochs so far.
    pub train_seconds: f64,
    /// Seconds since the run started (all sessions).
    pub seconds: f64,
    /// Per component, in step order: its name and state.
    pub components: Vec<(String, serde_json::Value)>,
    /// The bin-centroid memory kept for the geometry log when no component keeps one.
    pub monitor: Option<Surrogate<f32>>,
}

impl ResumeState {
    /// Reads a `resume.json`; errors name the file.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let state: ResumeState =
            serde_json::from_str(&text).map_err(|e| TrainError::InvalidState {
                reason: format!("{}: {e}", path.display()),
            })?;
        if state.format != RESUME_FORMAT {
            return Err(TrainError::InvalidState {
                reason: format!(
                    "{}: resume format {} (this build reads {RESUME_FORMAT})",
                    path.display(),
                    state.format
                ),
            });
        }
        Ok(state)
    }

    /// Writes the state atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let text = serde_json::to_string(self).map_err(|e| TrainError::InvalidState {
            reason: format!("saving the resume state: {e}"),
        })?;
        srl_data::atomic::write_atomic(path, text.as_bytes())?;
        Ok(())
    }
}
