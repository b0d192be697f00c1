//! The memory a run will need, estimated before anything is allocated, and the guard that
//! refuses a run above a limit ([`DEFAULT_MEMORY_LIMIT`], or `--memory-limit` in the CLI).
//!
//! The estimate (bytes) is the sum of
//! - **data**: every part's inputs and targets in f64, plus the f32 copies of the training and
//!   validation inputs the trainer keeps;
//! - **network**: parameters, gradients, both AdamW moments, the validation-best copy and the
//!   head optimiser of two-stage methods (6 × P × 4 bytes);
//! - **activations**: the batch workspace (pre-activations, activations and their gradients of
//!   every layer), and the full-set passes (training pass for FDS / the exact SRL memory, the
//!   final evaluation with the f64 test and training representations);
//! - **method**: SRL's objective ([`srl_memory_estimate`]: N×K similarities and their softmax
//!   and gradient, points, tables, the K×K contrastive similarities), the bin memories, FDS
//!   statistics, and the O(S²) pairwise matrices of RankSim, ConR, ordinal entropy and RnC on
//!   their subsample of S rows; the 4000 geometry points.
//!
//! It is an upper-bound-minded estimate, not a measurement: it exists so that `--bins 100000`
//! or a typo in `num_points` fails in a millisecond with the numbers, instead of swapping.

use crate::{RunConfig, TrainError};
use srl_data::Benchmark;

/// The limit a run's estimate must stay under unless overridden: 4 GiB.
pub const DEFAULT_MEMORY_LIMIT: f64 = 4.0 * GIB;

const GIB: f64 = (1u64 << 30) as f64;

/// Estimated bytes of the SRL objective's buffers for K bins, N sphere points and width d
/// (f32): the N×K point–table similarities and their softmax/gradient (3·N·K), the points and
/// their gradient (2·N·d), the table, memory and their gradients (4·K·d) and the K×K
/// contrastive similarities (2·K²).
pub fn srl_memory_estimate(k: usize, n: usize, d: usize) -> f64 {
    let (k, n, d) = (k as f64, n as f64, d as f64);
    4.0 * (3.0 * n * k + 2.0 * n * d + 4.0 * k * d + 2.0 * k * k)
}

/// A run's estimated memory by part (bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Inputs and targets.
    pub data: f64,
    /// Parameters, gradients, optimiser state, best copy.
    pub network: f64,
    /// Batch workspace and full-set passes.
    pub activations: f64,
    /// The method's own buffers (SRL objective, memories, pairwise matrices).
    pub method: f64,
}

impl MemoryEstimate {
    /// The estimate of running `cfg` on `bench`.
    pub fn of(cfg: &RunConfig, bench: &Benchmark) -> Self {
        let f = |v: usize| v as f64;
        let inputs = bench.train.x.ncols();
        let (n_train, n_val, n_test) = (bench.train.len(), bench.val.len(), bench.test.len());
        let n_all = n_train + n_val + n_test;
        let data =
            8.0 * f(n_all) * (f(inputs) + 2.0) + 4.0 * f(n_train + n_val) * (f(inputs) + 1.0);

        let widths: Vec<usize> = std::iter::once(inputs)
            .chain(cfg.model.hidden.iter().copied())
            .chain(std::iter::once(1))
            .collect();
        // In f64: absurd widths from a hand-edited configuration must give a huge estimate,
        // not an integer overflow.
        let params: f64 = widths.windows(2).map(|w| (f(w[0]) + 1.0) * f(w[1])).sum();
        let network = 6.0 * 4.0 * params;

        let width_sum: f64 = widths.iter().map(|&w| f(w)).sum();
        let batch = cfg.optim.batch_size.map_or(n_train, |b| b.min(n_train));
        let d = f(*cfg.model.hidden.last().unwrap_or(&1));
        // Batch: pre-activations, activations and two gradient buffers per layer (f32), plus
        // the method's per-batch h-sized buffers; full-set passes: f32 activations of the
        // largest part and the f64 representations of the final evaluation.
        let activations = 4.0 * 4.0 * f(batch) * width_sum
            + 4.0 * 4.0 * f(batch) * d
            + 4.0 * 2.0 * f(n_train.max(n_test)) * width_sum
            + 8.0 * f(n_train + n_test) * d;

        let k = f(bench.binning.num_bins());
        // The monitor's memory and the geometry points, then each method room's own share.
        let shape = crate::components::MemoryShape {
            num_bins: bench.binning.num_bins(),
            dim: d as usize,
            batch,
        };
        let method = 2.0 * 8.0 * k * d
            + 8.0 * 4000.0 * d
            + crate::method::ROOMS
                .iter()
                .map(|r| (r.memory_bytes)(&cfg.method, &shape))
                .sum::<f64>();
        MemoryEstimate {
            data,
            network,
            activations,
            method,
        }
    }

    /// The sum of the parts.
    pub fn total(&self) -> f64 {
        self.data + self.network + self.activations + self.method
    }

    /// Refuses an estimate above `limit` bytes, naming the parts and how to get under it.
    pub fn check(&self, limit: f64) -> Result<(), TrainError> {
        if self.total() <= limit {
            return Ok(());
        }
        let part = |b: f64| {
            if b >= GIB / 10.0 {
                format!("{:.2} GiB", b / GIB)
            } else {
                format!("{:.2} MiB", b / (1u64 << 20) as f64)
            }
        };
        Err(TrainError::MemoryLimit {
            reason: format!(
                "the run needs about {} (data {}, network {}, activations {}, method {}), above \
                 the limit of {}; use fewer bins (--bins), fewer SRL points \
                 (method.srl.num_points) or a smaller batch, or raise the limit with \
                 --memory-limit GIB",
                part(self.total()),
                part(self.data),
                part(self.network),
                part(self.activations),
                part(self.method),
                part(limit)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_srl_estimate_grows_with_bins_and_points() {
        let small = srl_memory_estimate(100, 1000, 10);
        assert!(small < 2e6, "{small}");
        assert!(srl_memory_estimate(1_000_000, 1000, 10) > 4.0 * GIB);
        assert!(srl_memory_estimate(100, 2000, 10) > small);
    }
}
