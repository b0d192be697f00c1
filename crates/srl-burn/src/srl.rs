//! [`SrlLoss`]: the SRL objective of `srl-losses` with its surrogate memory, as a burn loss.

use crate::host::{f64_of, grad_data, primitive, scalar, to_host2, HostFloat, HostLossBackend};
use crate::SrlBurnError;
use burn::module::{
    AutodiffModule, Content, Devices, HasAutodiffModule, Module, ModuleDisplay,
    ModuleDisplayDefault, ModuleMapper, ModuleVisitor,
};
use burn::record::{PrecisionSettings, Record};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use srl_losses::{CheckedSrlConfig, SrlConfig, SrlObjective, SrlParts};
use srl_surrogate::{MemoryUpdate, Surrogate, SurrogateConfig};
use std::marker::PhantomData;

/// The SRL objective L_SRL = λ_e·L_env + λ_h·L_homo + λ_c·L_con (paper Eq. 7, 11, without the
/// regression term) on a batch of raw features h (M×d) with their label bins, as a burn loss.
///
/// [`forward`](Self::forward) returns L_SRL as a scalar tensor (shape `[1]`) of the autodiff
/// graph: `(regression + srl).backward()` sends ∂L_SRL/∂h — computed by
/// [`SrlObjective::evaluate_into`], going back C → batch centroids → z → h with the
/// stop-gradient table inside L_con — into the encoder that produced h. The surrogate memory S
/// ([`Surrogate`], Eq. 9) is part of the loss: every forward pass accumulates the batch's
/// normalised features (streaming update), [`end_epoch`](Self::end_epoch) applies
/// S ← αS + (1 − α)Ŝ; before the warm-up ends the loss is 0 (gradient 0) and the memory still
/// learns. The state (S, seen flags, the epoch's sums and counts, update count, epoch) is
/// this module's burn [`Record`]: saved and loaded with any burn recorder, also as a field of
/// a `#[derive(Module)]` model.
///
/// `B` is the backend of the model it trains (an `Autodiff<_>` backend for
/// [`forward`](Self::forward)); `F` is the host float type (`f32` default, `f64` for gradient
/// checks).
///
/// ```
/// use burn::backend::{Autodiff, Flex};
/// use burn::tensor::Tensor;
/// use srl_burn::SrlLoss;
/// use srl_losses::{SrlConfig, SrlParams};
///
/// type B = Autodiff<Flex>;
/// let device = Default::default();
/// let mut params = SrlParams::tabular();
/// params.memory.warmup_epochs = 0;
/// let mut srl = SrlLoss::<B>::new(SrlConfig::new(3, 2, vec![0.0, 1.0, 2.0], params)).unwrap();
/// let h = Tensor::<B, 2>::from_floats([[0.9, 0.1], [0.2, 1.5], [-1.0, 0.3]], &device)
///     .require_grad();
/// let loss = srl.forward(h.clone(), &[0, 1, 2]).unwrap(); // Tensor<B, 1>, shape [1]
/// let grads = loss.backward();
/// assert_eq!(h.grad(&grads).unwrap().dims(), [3, 2]);
/// srl.end_epoch().unwrap(); // once per epoch: the memory update
/// ```
#[derive(Debug, Clone)]
pub struct SrlLoss<B: Backend, F: HostFloat = f32> {
    objective: SrlObjective<F>,
    memory: Surrogate<F>,
    epoch: usize,
    last: Option<SrlParts<F>>,
    /// Set by a [`Module::load_record`] whose record did not fit; returned by the next call.
    load_error: Option<SrlBurnError>,
    /// The backend the loss belongs to (burn's `#[derive(Module)]` persists only fields whose
    /// type names the backend).
    _backend: PhantomData<fn() -> B>,
}

/// The persistent state of an [`SrlLoss`]: its surrogate memory (whole, as
/// [`Surrogate`] serialises it) and the epoch counter. The record of [`SrlLoss`]'s
/// [`Module`] implementation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "F: Serialize",
    deserialize = "F: serde::de::DeserializeOwned"
))]
pub struct SrlLossRecord<F> {
    /// The surrogate memory with its pending epoch sums.
    pub memory: Surrogate<F>,
    /// Number of completed epochs.
    pub epoch: usize,
}

impl<B: Backend, F: HostFloat> Record<B> for SrlLossRecord<F> {
    type Item<S: PrecisionSettings> = SrlLossRecord<F>;

    fn into_item<S: PrecisionSettings>(self) -> Self::Item<S> {
        self
    }

    fn from_item<S: PrecisionSettings>(item: Self::Item<S>, _device: &B::Device) -> Self {
        item
    }
}

impl<B: Backend, F: HostFloat> SrlLoss<B, F> {
    /// Builds the objective (the config is checked once; the error names the field) and a
    /// fresh memory with the config's K, d and memory parameters.
    pub fn new(config: impl CheckedSrlConfig) -> Result<Self, SrlBurnError> {
        let objective = SrlObjective::<F>::new(config)?;
        let c = objective.config();
        let memory = Surrogate::new(SurrogateConfig::with_params(
            c.num_bins,
            c.dim,
            c.params.memory,
        ))?;
        Ok(Self {
            objective,
            memory,
            epoch: 0,
            last: None,
            load_error: None,
            _backend: PhantomData,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SrlConfig {
        self.objective.config()
    }

    /// The surrogate memory.
    pub fn memory(&self) -> &Surrogate<F> {
        &self.memory
    }

    /// The current epoch (number of [`end_epoch`](Self::end_epoch) calls).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Whether the SRL terms are on (the warm-up is over).
    pub fn is_active(&self) -> bool {
        self.memory.is_active(self.epoch)
    }

    /// The unweighted terms (L_env, L_homo, L_con) of the last [`forward`](Self::forward).
    pub fn last_parts(&self) -> Option<SrlParts<F>> {
        self.last
    }

    /// Accumulates a batch for the exact memory update ([`MemoryUpdate::Exact`]: an extra
    /// pass over the training data at the end of each epoch, features without gradient).
    pub fn accumulate(&mut self, h: Tensor<B, 2>, bins: &[usize]) -> Result<(), SrlBurnError> {
        let host = to_host2::<B, F>("h", &h)?;
        let (z, _) = srl_geometry::normalize_rows(host.view());
        self.memory.accumulate(z.view(), bins)?;
        Ok(())
    }

    /// Ends the epoch: the memory update S ← αS + (1 − α)Ŝ (the first update of a bin copies
    /// Ŝ), then the next epoch starts (its enveloping points redrawn under
    /// `PointsPolicy::RedrawEachEpoch`).
    pub fn end_epoch(&mut self) -> Result<(), SrlBurnError> {
        self.memory.end_epoch()?;
        self.epoch += 1;
        self.objective.start_epoch(self.epoch);
        Ok(())
    }

    /// The persistent state (also [`Module::into_record`]).
    pub fn record(&self) -> SrlLossRecord<F> {
        SrlLossRecord {
            memory: self.memory.clone(),
            epoch: self.epoch,
        }
    }

    /// Restores a saved state, checked: a valid memory state of this loss's K, d and memory
    /// parameters. ([`Module::load_record`] cannot fail: there a misfit is returned by the
    /// next call instead.)
    pub fn load_state(&mut self, record: SrlLossRecord<F>) -> Result<(), SrlBurnError> {
        record.memory.check_state()?;
        if record.memory.config() != self.memory.config() {
            return Err(SrlBurnError::Record {
                reason: format!(
                    "memory config {:?} saved, {:?} expected",
                    record.memory.config(),
                    self.memory.config()
                ),
            });
        }
        self.memory = record.memory;
        self.epoch = record.epoch;
        // Points under the per-epoch policy follow the epoch (seed + epoch).
        self.objective.start_epoch(self.epoch);
        self.load_error = None;
        Ok(())
    }
}

impl<B: HostLossBackend, F: HostFloat> SrlLoss<B, F> {
    /// L_SRL of the batch's raw features `h` (M×d) with label bins `bins` (< K), as a scalar
    /// tensor (shape `[1]`) whose backward pass gives the encoder ∂L_SRL/∂h. With the
    /// streaming memory update (the default) the batch's normalised features are accumulated
    /// for the next [`end_epoch`](Self::end_epoch): call it on training batches only.
    ///
    /// Errors: the shapes, bins and non-finite values [`SrlObjective::evaluate_into`] refuses,
    /// and a record loaded before that did not fit.
    pub fn forward(
        &mut self,
        h: Tensor<B, 2>,
        bins: &[usize],
    ) -> Result<Tensor<B, 1>, SrlBurnError> {
        if let Some(e) = &self.load_error {
            return Err(e.clone());
        }
        let host = to_host2::<B, F>("h", &h)?;
        let mut grad = Array2::<F>::zeros(host.raw_dim());
        let parts =
            self.objective
                .evaluate_into(host.view(), bins, &self.memory, grad.view_mut())?;
        if self.memory.config().memory.update == MemoryUpdate::Streaming {
            self.memory.accumulate(self.objective.normalized(), bins)?;
        }
        self.last = Some(parts);
        let (value, grad) = if self.is_active() {
            let total = parts.total(&self.config().params.weights);
            (f64_of(total), grad)
        } else {
            (0.0, Array2::zeros(host.raw_dim()))
        };
        let shape = vec![grad.nrows(), grad.ncols()];
        let (flat, _) = grad.into_raw_vec_and_offset();
        Ok(scalar(B::host_loss(
            [primitive(h)],
            value,
            [grad_data(flat, shape)],
        )))
    }
}

impl<B: Backend, F: HostFloat> Module<B> for SrlLoss<B, F> {
    type Record = SrlLossRecord<F>;

    fn collect_devices(&self, devices: Devices<B>) -> Devices<B> {
        devices
    }

    fn fork(self, _device: &B::Device) -> Self {
        self
    }

    fn to_device(self, _device: &B::Device) -> Self {
        self
    }

    fn visit<V: ModuleVisitor<B>>(&self, _visitor: &mut V) {}

    fn map<M: ModuleMapper<B>>(self, _mapper: &mut M) -> Self {
        self
    }

    fn load_record(mut self, record: Self::Record) -> Self {
        if let Err(e) = self.load_state(record) {
            self.load_error = Some(e);
        }
        self
    }

    fn into_record(self) -> Self::Record {
        self.record()
    }
}

impl<B: Backend, F: HostFloat> SrlLoss<B, F> {
    /// The same loss on another backend (same state).
    fn on<B2: Backend>(self) -> SrlLoss<B2, F> {
        SrlLoss {
            objective: self.objective,
            memory: self.memory,
            epoch: self.epoch,
            last: self.last,
            load_error: self.load_error,
            _backend: PhantomData,
        }
    }
}

impl<B: AutodiffBackend, F: HostFloat> AutodiffModule<B> for SrlLoss<B, F> {
    type InnerModule = SrlLoss<B::InnerBackend, F>;

    fn valid(&self) -> Self::InnerModule {
        self.clone().on()
    }

    fn from_inner(module: Self::InnerModule) -> Self {
        module.on()
    }
}

impl<B: AutodiffBackend, F: HostFloat> HasAutodiffModule<B> for SrlLoss<B::InnerBackend, F> {
    type TrainModule = SrlLoss<B, F>;
}

impl<B: Backend, F: HostFloat> ModuleDisplayDefault for SrlLoss<B, F> {
    fn content(&self, content: Content) -> Option<Content> {
        let c = self.config();
        content
            .add_formatted(&format!(
                "SrlLoss {{ bins: {}, dim: {}, epoch: {} }}",
                c.num_bins, c.dim, self.epoch
            ))
            .optional()
    }
}

impl<B: Backend, F: HostFloat> ModuleDisplay for SrlLoss<B, F> {}
