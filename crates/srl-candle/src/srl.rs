//! SRL as a candle loss: [`SrlLoss`] holds the objective (srl-losses) and the surrogate memory
//! (srl-surrogate).

use crate::host::{attach1, host_matrix, HostFloat};
use crate::{Result, SrlCandleError};
use candle_core::{DType, Device, Tensor};
use ndarray::Array2;
use srl_losses::objective::SrlObjective;
use srl_losses::{SrlParams, SrlParts, SrlWeights};
use srl_surrogate::{MemoryUpdate, Surrogate};
use std::collections::HashMap;
use std::path::Path;

/// Names of the memory's tensors in [`SrlLoss::state_tensors`] (after the prefix).
const MEMORY: &str = "memory";
const SEEN: &str = "seen";
const SUMS: &str = "pending_sums";
const COUNTS: &str = "pending_counts";
const UPDATES: &str = "num_updates";

/// The SRL objective of Dong et al. (CVPR 2025) on a batch of raw features h (M × d) with their
/// label bins, as a candle loss:
///
/// ```text
/// L_SRL = λ_e·L_env(C) + λ_h·L_homo(C) + λ_c·L_con(z, C̄),   z = h/‖h‖,
/// C = surrogate table: batch centroids of present bins, memory rows of absent seen bins,
///     zero rows of never-seen bins (paper Eq. 8);  memory S_k ← α·S_k + (1−α)·Ŝ_k per epoch (Eq. 9)
/// ```
///
/// C̄ is stop-gradient inside the contrastive term (docs/method.md). The value and ∂L/∂h come
/// from [`SrlObjective::evaluate_into`]; the loss tensor's backward hands ∂L/∂h to candle's
/// autodiff, so `loss.backward()` reaches the encoder's parameters. The regression loss is
/// added by the caller.
///
/// In training call [`forward`](Self::forward) once per step (it applies the warm-up and, with
/// the streaming memory update, accumulates the batch's z) and [`end_epoch`](Self::end_epoch)
/// once per epoch. [`loss`](Self::loss) evaluates without touching the memory. The memory's
/// whole state goes to and from tensors ([`state_tensors`](Self::state_tensors),
/// [`load_state`](Self::load_state)) and safetensors files ([`save`](Self::save),
/// [`load`](Self::load)).
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// use srl_candle::{SrlLoss, SrlParams};
///
/// // 3 bins (centres 0, 1, 2) of 2-D features; the paper's settings without warm-up.
/// let mut params = SrlParams::paper();
/// params.memory.warmup_epochs = 0;
/// let mut srl = SrlLoss::<f32>::new(params, vec![0.0, 1.0, 2.0], 2, 0)?;
/// let h = Var::from_slice(&[0.9_f32, 0.1, 0.2, 1.5, -1.0, 0.3], (3, 2), &Device::Cpu)?;
/// let loss = srl.forward(h.as_tensor(), &[0, 1, 2])?;
/// let grads = loss.backward()?;
/// assert_eq!(grads.get(&h).unwrap().dims(), &[3, 2]);
/// srl.end_epoch()?; // once per epoch: the memory update
/// assert!(srl.memory().seen().iter().all(|&s| s));
/// # Ok::<(), srl_candle::SrlCandleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SrlLoss<F> {
    objective: SrlObjective<F>,
    memory: Surrogate<F>,
    weights: SrlWeights,
    update: MemoryUpdate,
    last: Option<SrlParts<F>>,
}

impl<F: HostFloat> SrlLoss<F> {
    /// The loss for K = `bin_centres.len()` bins of `dim`-dimensional features with the given
    /// hyper-parameters (checked by [`SrlParams::check`]; presets `SrlParams::paper()`,
    /// `tabular()`, …) and the enveloping points drawn from `seed`; the memory starts empty.
    pub fn new(params: SrlParams, bin_centres: Vec<f64>, dim: usize, seed: u64) -> Result<Self> {
        let valid = params.check()?;
        let k = bin_centres.len();
        let config = valid.config(k, dim, bin_centres, seed)?;
        Ok(SrlLoss {
            objective: SrlObjective::new(config)?,
            memory: Surrogate::from_valid(k, dim, valid.memory())?,
            weights: params.weights,
            update: params.memory.update,
            last: None,
        })
    }

    /// One training step's loss on features `h` (M × d, any device, f32 or f64) with their
    /// bins: the weighted total λ_e·L_env + λ_h·L_homo + λ_c·L_con as a scalar tensor on h's
    /// device, of dtype `F`. During the warm-up epochs ([`is_active`](Self::is_active) false) it
    /// is a constant 0 (no gradient) and the objective is not evaluated. With the streaming
    /// memory update the batch's z = h/‖h‖ is accumulated (warm-up included), to enter the
    /// memory at [`end_epoch`](Self::end_epoch).
    pub fn forward(&mut self, h: &Tensor, bins: &[usize]) -> Result<Tensor> {
        let host = host_matrix::<F>("h", h)?;
        let streaming = self.update == MemoryUpdate::Streaming;
        if !self.is_active() {
            self.last = None;
            if streaming {
                let (z, _) = srl_geometry::normalize_rows(host.view());
                self.memory.accumulate(z.view(), bins)?;
            }
            return Ok(Tensor::zeros((), F::DTYPE, h.device())?);
        }
        let loss = self.evaluate(h, host, bins)?;
        if streaming {
            self.memory.accumulate(self.objective.normalized(), bins)?;
        }
        Ok(loss)
    }

    /// The loss on `h` with the current memory, whatever the epoch (no warm-up) and without
    /// accumulating anything: for evaluation and tests.
    pub fn loss(&mut self, h: &Tensor, bins: &[usize]) -> Result<Tensor> {
        let host = host_matrix::<F>("h", h)?;
        self.evaluate(h, host, bins)
    }

    fn evaluate(&mut self, h: &Tensor, host: Array2<F>, bins: &[usize]) -> Result<Tensor> {
        let mut grad = Array2::zeros(host.raw_dim());
        let parts =
            self.objective
                .evaluate_into(host.view(), bins, &self.memory, grad.view_mut())?;
        self.last = Some(parts);
        attach1("srl", h, parts.total(&self.weights), grad)
    }

    /// Adds the normalised features of `h` (no gradient) to this epoch's per-bin sums: for the
    /// exact memory update (`MemoryUpdate::Exact`), call it over a no-grad pass of the training
    /// set before [`end_epoch`](Self::end_epoch). The streaming update does this in
    /// [`forward`](Self::forward).
    pub fn accumulate(&mut self, h: &Tensor, bins: &[usize]) -> Result<()> {
        let host = host_matrix::<F>("h", h)?;
        let (z, _) = srl_geometry::normalize_rows(host.view());
        self.memory.accumulate(z.view(), bins)?;
        Ok(())
    }

    /// The memory update (paper Eq. 9) at the end of an epoch; the next epoch's enveloping
    /// points are redrawn if the points policy says so.
    pub fn end_epoch(&mut self) -> Result<()> {
        self.memory.end_epoch()?;
        self.objective.start_epoch(self.epoch());
        Ok(())
    }

    /// The current epoch: the number of [`end_epoch`](Self::end_epoch) calls so far.
    pub fn epoch(&self) -> usize {
        self.memory.num_updates()
    }

    /// Whether the SRL terms are on in the current epoch (after the warm-up epochs).
    pub fn is_active(&self) -> bool {
        self.memory.is_active(self.epoch())
    }

    /// The unweighted terms (L_env, L_homo, L_con) of the last evaluated batch (`None` after a
    /// warm-up step).
    pub fn last_parts(&self) -> Option<SrlParts<F>> {
        self.last
    }

    /// The objective (its config, points and the last batch's table).
    pub fn objective(&self) -> &SrlObjective<F> {
        &self.objective
    }

    /// The surrogate memory.
    pub fn memory(&self) -> &Surrogate<F> {
        &self.memory
    }

    /// The memory's whole state as CPU tensors named `srl.memory` (K × d, dtype F),
    /// `srl.seen` (K, u8), `srl.pending_sums` (K × d, f64), `srl.pending_counts` (K, i64) and
    /// `srl.num_updates` (1, i64): save it beside the model's variables (e.g. merged into the
    /// `VarMap`'s tensors) with `candle_core::safetensors::save`.
    pub fn state_tensors(&self) -> Result<HashMap<String, Tensor>> {
        self.state_tensors_with_prefix("srl")
    }

    /// [`state_tensors`](Self::state_tensors) with another prefix (several SRL losses in
    /// one file).
    pub fn state_tensors_with_prefix(&self, prefix: &str) -> Result<HashMap<String, Tensor>> {
        let m = &self.memory;
        let (k, d) = (m.num_bins(), m.dim());
        let cpu = Device::Cpu;
        let memory: Vec<F> = m.memory().iter().copied().collect();
        let sums: Vec<f64> = m.pending_sums().iter().copied().collect();
        let seen: Vec<u8> = m.seen().iter().map(|&s| u8::from(s)).collect();
        let counts: Vec<i64> = m.pending_counts().iter().map(|&c| c as i64).collect();
        let key = |name: &str| format!("{prefix}.{name}");
        Ok(HashMap::from([
            (key(MEMORY), Tensor::from_vec(memory, (k, d), &cpu)?),
            (key(SEEN), Tensor::from_vec(seen, k, &cpu)?),
            (key(SUMS), Tensor::from_vec(sums, (k, d), &cpu)?),
            (key(COUNTS), Tensor::from_vec(counts, k, &cpu)?),
            (
                key(UPDATES),
                Tensor::from_vec(vec![m.num_updates() as i64], 1, &cpu)?,
            ),
        ]))
    }

    /// Restores the memory from tensors written by [`state_tensors`](Self::state_tensors)
    /// (other entries of the map are ignored). The state is checked as a deserialised one
    /// ([`Surrogate::from_state`]: shapes, finite values, zero rows of unseen bins) against
    /// this loss's K, d and memory settings; on error nothing changes.
    pub fn load_state(&mut self, tensors: &HashMap<String, Tensor>) -> Result<()> {
        self.load_state_with_prefix(tensors, "srl")
    }

    /// [`load_state`](Self::load_state) with another prefix.
    pub fn load_state_with_prefix(
        &mut self,
        tensors: &HashMap<String, Tensor>,
        prefix: &str,
    ) -> Result<()> {
        let (k, d) = (self.memory.num_bins(), self.memory.dim());
        let get = |name: &str, dtype: DType, dims: &[usize]| -> Result<Tensor> {
            let key = format!("{prefix}.{name}");
            let t = tensors.get(&key).ok_or_else(|| SrlCandleError::State {
                reason: format!("no tensor `{key}`"),
            })?;
            if t.dims() != dims {
                return Err(SrlCandleError::State {
                    reason: format!("`{key}` has shape {:?}, expected {dims:?}", t.dims()),
                });
            }
            if t.dtype() != dtype {
                return Err(SrlCandleError::State {
                    reason: format!("`{key}` is {:?}, expected {dtype:?}", t.dtype()),
                });
            }
            Ok(t.to_device(&Device::Cpu)?.flatten_all()?)
        };
        let memory = get(MEMORY, F::DTYPE, &[k, d])?.to_vec1::<F>()?;
        let seen = get(SEEN, DType::U8, &[k])?.to_vec1::<u8>()?;
        let sums = get(SUMS, DType::F64, &[k, d])?.to_vec1::<f64>()?;
        let counts = get(COUNTS, DType::I64, &[k])?.to_vec1::<i64>()?;
        let updates = get(UPDATES, DType::I64, &[1])?.to_vec1::<i64>()?;
        let count = |what: &str, c: i64| {
            usize::try_from(c).map_err(|_| SrlCandleError::State {
                reason: format!("negative {what} {c}"),
            })
        };
        let counts = counts
            .into_iter()
            .map(|c| count("pending count", c))
            .collect::<Result<Vec<_>>>()?;
        let updates = count("number of updates", updates[0])?;
        let shape_err = |_| SrlCandleError::State {
            reason: "memory is not K × d".into(),
        };
        let memory = Surrogate::from_state(
            self.memory.config().clone(),
            Array2::from_shape_vec((k, d), memory).map_err(shape_err)?,
            seen.iter().map(|&s| s != 0).collect(),
            Array2::from_shape_vec((k, d), sums).map_err(shape_err)?,
            counts,
            updates,
        )?;
        self.memory = memory;
        self.objective.start_epoch(self.epoch());
        Ok(())
    }

    /// Writes [`state_tensors`](Self::state_tensors) to a safetensors file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        candle_core::safetensors::save(&self.state_tensors()?, path)?;
        Ok(())
    }

    /// Restores the memory from a safetensors file (e.g. written by [`save`](Self::save), or a
    /// checkpoint holding these tensors beside others).
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu)?;
        self.load_state(&tensors)
    }
}
