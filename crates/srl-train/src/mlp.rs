//! Multi-layer perceptron encoder + linear regression head, with a hand-derived backward pass.
//!
//! Architecture (docs/protocols.md; the authors' tabular code):
//! `x → [Linear → ReLU]* → h → Linear → ŷ`, e.g. `d-20-30-10` with ReLU after every hidden
//! layer and a head `Linear(10, 1)`.
//!
//! - The **representation** `h ∈ R^d` is the output of the *last hidden layer after its
//!   activation*. In the authors' tabular code the regressor and the SRL objective read the same
//!   feature, so `h` is both the head's input and what SRL normalises to `z = h/‖h‖`
//!   (docs/method.md, "Notation").
//! - [`FeatureActivation`] chooses the last hidden layer's activation. ReLU (the default, as in
//!   the authors' code) keeps `h` in the positive orthant, so `z` can only cover 1/2^d of the
//!   sphere — this caps the enveloping objective (Eq. 1–4). `Linear` removes that restriction.
//! - [`HeadInput`] chooses whether the head reads `h` (default) or the normalised `z`.
//!
//! Parameters live in one flat vector (layer by layer: weight in PyTorch's `out × in`
//! row-major layout, then bias), so optimisers work on a single slice without allocation.
//! [`MlpWorkspace`] caches the batch's activations and is grow-only: repeated steps with the same
//! batch size do not allocate.

use crate::TrainError;
use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
use ndarray::{
    s, Array1, Array2, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut1, ArrayViewMut2,
    ArrayViewMutD, Axis, Zip,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Uniform};
use serde::{Deserialize, Serialize};
use srl_geometry::{normalize_rows_backward_into, normalize_rows_into, Float};

/// Rows per forward pass when predicting many rows (bounds the activations held at once).
pub(crate) const PREDICT_CHUNK: usize = 4096;

/// Activation applied to the last hidden layer, i.e. to the representation `h`.
///
/// Every earlier hidden layer always uses ReLU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureActivation {
    /// `h = max(a, 0)` (authors' code). Features live in the positive orthant, which limits how
    /// much of the sphere `z = h/‖h‖` can cover.
    #[default]
    Relu,
    /// `h = a` (no activation): features can point anywhere on the sphere.
    Linear,
}

/// What the regression head reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadInput {
    /// The raw representation `h` (authors' tabular code).
    #[default]
    Raw,
    /// The normalised representation `z = h/‖h‖` (a zero row stays zero).
    Normalized,
}

/// Shape and options of an [`Mlp`].
///
/// Hidden widths are `hidden` followed by `feature_dim` if given; the last of them is the
/// representation width `d`. The head is always `Linear(d, 1)`.
///
/// ```
/// use srl_train::{MlpConfig, FeatureActivation};
/// // The Airfoil backbone 5-20-30-10 + Linear(10, 1):
/// let cfg = MlpConfig::new(5, vec![20, 30]).with_feature_dim(10);
/// assert_eq!(cfg.hidden_widths(), vec![20, 30, 10]);
/// assert_eq!(cfg.representation_dim(), 10);
/// assert_eq!(cfg.feature_activation, FeatureActivation::Relu);
/// assert_eq!(cfg.num_parameters(), 5 * 20 + 20 + 20 * 30 + 30 + 30 * 10 + 10 + 10 + 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Number of input columns.
    pub input_dim: usize,
    /// Widths of the hidden layers (each followed by ReLU, except possibly the last one).
    pub hidden: Vec<usize>,
    /// Optional extra last hidden layer of this width: the representation `h`. When `None`, the
    /// last entry of `hidden` is the representation.
    #[serde(default)]
    pub feature_dim: Option<usize>,
    /// Activation of the last hidden layer (default ReLU).
    #[serde(default)]
    pub feature_activation: FeatureActivation,
    /// Input of the regression head (default: raw `h`).
    #[serde(default)]
    pub head_input: HeadInput,
}

impl MlpConfig {
    /// A configuration with ReLU features and a head reading `h`.
    pub fn new(input_dim: usize, hidden: Vec<usize>) -> Self {
        Self {
            input_dim,
            hidden,
            feature_dim: None,
            feature_activation: FeatureActivation::Relu,
            head_input: HeadInput::Raw,
        }
    }

    /// Appends a representation layer of width `dim`.
    pub fn with_feature_dim(mut self, dim: usize) -> Self {
        self.feature_dim = Some(dim);
        self
    }

    /// Sets the activation of the representation layer.
    pub fn with_feature_activation(mut self, activation: FeatureActivation) -> Self {
        self.feature_activation = activation;
        self
    }

    /// Sets what the regression head reads.
    pub fn with_head_input(mut self, head_input: HeadInput) -> Self {
        self.head_input = head_input;
        self
    }

    /// All hidden widths, the representation layer last.
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.hidden
            .iter()
            .copied()
            .chain(self.feature_dim)
            .collect()
    }

    /// Width `d` of the representation `h` (0 if the configuration has no hidden layer).
    pub fn representation_dim(&self) -> usize {
        self.feature_dim
            .or_else(|| self.hidden.last().copied())
            .unwrap_or(0)
    }

    /// Total number of trainable scalars (weights and biases, head included).
    pub fn num_parameters(&self) -> usize {
        layer_layouts(self).last().map_or(0, |l| l.end())
    }

    /// Checks that every width is positive and that there is at least one hidden layer.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.input_dim == 0 {
            return Err(TrainError::InvalidConfig {
                field: "input_dim",
                reason: "must be at least 1".into(),
            });
        }
        if self.hidden.is_empty() && self.feature_dim.is_none() {
            return Err(TrainError::InvalidConfig {
                field: "hidden",
                reason: "need at least one hidden layer (the representation)".into(),
            });
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return Err(TrainError::InvalidConfig {
                field: "hidden",
                reason: format!("width of hidden layer {i} is 0"),
            });
        }
        if self.feature_dim == Some(0) {
            return Err(TrainError::InvalidConfig {
                field: "feature_dim",
                reason: "must be at least 1".into(),
            });
        }
        // The parameter count, with overflow checked, below a sane cap (a corrupt or hostile
        // checkpoint must not make the loader overflow or try to allocate exabytes).
        let mut fan_in = self.input_dim;
        let mut total: usize = 0;
        for fan_out in self.hidden_widths().into_iter().chain(std::iter::once(1)) {
            total = fan_in
                .checked_add(1)
                .and_then(|f| f.checked_mul(fan_out))
                .and_then(|layer| total.checked_add(layer))
                .filter(|&t| t <= MAX_PARAMETERS)
                .ok_or_else(|| TrainError::InvalidConfig {
                    field: "hidden",
                    reason: format!(
                        "the network ({} inputs, widths {:?}) has more than {MAX_PARAMETERS} \
                         parameters",
                        self.input_dim,
                        self.hidden_widths()
                    ),
                })?;
            fan_in = fan_out;
        }
        Ok(())
    }
}

/// Most parameters a network may have (2³¹: 8 GiB of f32 weights).
pub const MAX_PARAMETERS: usize = 1 << 31;

/// Where one linear layer lives in the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LayerLayout {
    fan_in: usize,
    fan_out: usize,
    /// Offset of the weight block (`fan_out × fan_in`, row-major); the bias follows it.
    offset: usize,
}

impl LayerLayout {
    fn weight_len(&self) -> usize {
        self.fan_in * self.fan_out
    }
    fn end(&self) -> usize {
        self.offset + self.weight_len() + self.fan_out
    }
}

/// Layouts of all linear layers: hidden layers in order, then the head `Linear(d, 1)`.
fn layer_layouts(cfg: &MlpConfig) -> Vec<LayerLayout> {
    let widths = cfg.hidden_widths();
    let mut layouts = Vec::with_capacity(widths.len() + 1);
    let mut fan_in = cfg.input_dim;
    let mut offset = 0;
    for fan_out in widths.into_iter().chain(std::iter::once(1)) {
        let layout = LayerLayout {
            fan_in,
            fan_out,
            offset,
        };
        offset = layout.end();
        layouts.push(layout);
        fan_in = fan_out;
    }
    layouts
}

/// Weight and bias views of one layer inside a flat buffer.
fn layer_views<F>(buf: &[F], layout: LayerLayout) -> (ArrayView2<'_, F>, ArrayView1<'_, F>) {
    let (w, b) = buf[layout.offset..layout.end()].split_at(layout.weight_len());
    let w = ArrayView2::from_shape((layout.fan_out, layout.fan_in), w)
        .expect("layer layout matches its buffer by construction");
    (w, ArrayView1::from(b))
}

/// Mutable weight and bias views of one layer inside a flat buffer.
fn layer_views_mut<F>(
    buf: &mut [F],
    layout: LayerLayout,
) -> (ArrayViewMut2<'_, F>, ArrayViewMut1<'_, F>) {
    let (w, b) = buf[layout.offset..layout.end()].split_at_mut(layout.weight_len());
    let w = ArrayViewMut2::from_shape((layout.fan_out, layout.fan_in), w)
        .expect("layer layout matches its buffer by construction");
    (w, ArrayViewMut1::from(b))
}

/// A ReLU MLP encoder with a linear regression head; see the [module docs](self).
///
/// ```
/// use ndarray::array;
/// use srl_train::{Mlp, MlpConfig};
/// let mlp = Mlp::<f64>::new(&MlpConfig::new(2, vec![8, 4]), 7).unwrap();
/// let x = array![[0.5, -1.0], [1.0, 2.0], [0.0, 0.0]];
/// let mut ws = mlp.workspace(3);
/// mlp.forward(x.view(), &mut ws).unwrap();
/// assert_eq!(ws.features().dim(), (3, 4));
/// assert_eq!(ws.predictions().len(), 3);
/// // Gradient of L = Σ ŷ_i with respect to every parameter:
/// let mut grads = mlp.gradients();
/// let ones = ndarray::Array1::ones(3);
/// mlp.backward(&mut ws, ones.view(), None, &mut grads).unwrap();
/// assert_eq!(grads.as_slice().len(), mlp.num_parameters());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    into = "MlpState<F>",
    try_from = "MlpState<F>",
    bound(
        serialize = "F: Float + Serialize",
        deserialize = "F: Float + serde::de::DeserializeOwned"
    )
)]
pub struct Mlp<F> {
    config: MlpConfig,
    layouts: Vec<LayerLayout>,
    params: Vec<F>,
}

impl<F: Float> Mlp<F> {
    /// Builds a network with PyTorch's default `nn.Linear` initialisation:
    /// `kaiming_uniform_(a = √5)` for weights, which is `U(−1/√fan_in, 1/√fan_in)`, and the same
    /// uniform law for biases. Values are drawn layer by layer (weight row-major, then bias)
    /// from a ChaCha8 generator seeded with `seed`.
    pub fn new(config: &MlpConfig, seed: u64) -> Result<Self, TrainError> {
        config.validate()?;
        let layouts = layer_layouts(config);
        let total = layouts.last().map_or(0, |l| l.end());
        let mut params = Vec::with_capacity(total);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for layout in &layouts {
            let bound = 1.0 / (layout.fan_in as f64).sqrt();
            let law = Uniform::new(-bound, bound);
            params.extend(
                (0..layout.weight_len() + layout.fan_out).map(|_| F::cst(law.sample(&mut rng))),
            );
        }
        Ok(Self {
            config: config.clone(),
            layouts,
            params,
        })
    }

    /// The configuration this network was built from.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// Number of linear layers, head included (hidden layers + 1).
    pub fn num_layers(&self) -> usize {
        self.layouts.len()
    }

    /// Number of hidden layers (the last one produces the representation).
    fn num_hidden(&self) -> usize {
        self.layouts.len() - 1
    }

    /// Width `d` of the representation `h`.
    pub fn representation_dim(&self) -> usize {
        self.config.representation_dim()
    }

    /// The head's parameters (weight then bias) within [`flat_parameters`](Self::flat_parameters)
    /// and the gradient buffer: the last `d + 1` scalars.
    pub fn head_parameter_range(&self) -> std::ops::Range<usize> {
        let head = self.layouts[self.num_hidden()];
        head.offset..head.end()
    }

    /// Total number of trainable scalars.
    pub fn num_parameters(&self) -> usize {
        self.params.len()
    }

    /// Weight of linear layer `layer` (`fan_out × fan_in`, PyTorch layout); the head is the
    /// last layer. `None` if `layer >= num_layers()`.
    pub fn weight(&self, layer: usize) -> Option<ArrayView2<'_, F>> {
        let layout = *self.layouts.get(layer)?;
        Some(layer_views(&self.params, layout).0)
    }

    /// Bias of linear layer `layer`; `None` if `layer >= num_layers()`.
    pub fn bias(&self, layer: usize) -> Option<ArrayView1<'_, F>> {
        let layout = *self.layouts.get(layer)?;
        Some(layer_views(&self.params, layout).1)
    }

    /// All parameter tensors in order `[W₀, b₀, W₁, b₁, …, W_head, b_head]`.
    pub fn parameters(&self) -> Vec<ArrayViewD<'_, F>> {
        tensor_views(&self.params, &self.layouts)
    }

    /// Mutable views of all parameter tensors, in the order of [`parameters`](Self::parameters).
    pub fn parameters_mut(&mut self) -> Vec<ArrayViewMutD<'_, F>> {
        tensor_views_mut(&mut self.params, &self.layouts)
    }

    /// All parameters as one flat slice (the layout optimisers work on).
    pub fn flat_parameters(&self) -> &[F] {
        &self.params
    }

    /// All parameters as one flat mutable slice, aligned with [`MlpGradients::as_slice`].
    pub fn flat_parameters_mut(&mut self) -> &mut [F] {
        &mut self.params
    }

    /// A workspace for batches of up to `batch_capacity` rows (it grows if a larger batch
    /// arrives).
    pub fn workspace(&self, batch_capacity: usize) -> MlpWorkspace<F> {
        MlpWorkspace::with_capacity(
            self.config.input_dim,
            self.config.hidden_widths(),
            batch_capacity,
        )
    }

    /// A zeroed gradient buffer laid out like this network's parameters.
    pub fn gradients(&self) -> MlpGradients<F> {
        MlpGradients {
            layouts: self.layouts.clone(),
            values: vec![F::zero(); self.params.len()],
        }
    }

    /// Activation of hidden layer `layer`: ReLU except possibly the representation layer.
    fn activation(&self, layer: usize) -> FeatureActivation {
        if layer + 1 == self.num_hidden() {
            self.config.feature_activation
        } else {
            FeatureActivation::Relu
        }
    }

    fn check_workspace(&self, ws: &MlpWorkspace<F>) -> Result<(), TrainError> {
        if ws.input_dim != self.config.input_dim {
            return Err(TrainError::ShapeMismatch {
                what: "workspace input width (workspace built for another network)",
                expected: self.config.input_dim,
                got: ws.input_dim,
            });
        }
        if ws.widths.len() != self.num_hidden() {
            return Err(TrainError::ShapeMismatch {
                what: "workspace hidden layer count (workspace built for another network)",
                expected: self.num_hidden(),
                got: ws.widths.len(),
            });
        }
        for (layout, &width) in self.layouts.iter().zip(&ws.widths) {
            if layout.fan_out != width {
                return Err(TrainError::ShapeMismatch {
                    what: "workspace hidden width (workspace built for another network)",
                    expected: layout.fan_out,
                    got: width,
                });
            }
        }
        Ok(())
    }

    /// Forward pass on a batch `x` (`B × input_dim`), filling `ws` with the representation `h`
    /// (`B × d`, see [`MlpWorkspace::features`]), its normalised form `z = h/‖h‖` and the
    /// predictions `ŷ = w_headᵀ u + b_head` with `u = h` or `z` per [`HeadInput`].
    ///
    /// Hidden layer ℓ computes `a_ℓ = h_{ℓ−1} W_ℓᵀ + b_ℓ`, `h_ℓ = relu(a_ℓ)` (or `h_ℓ = a_ℓ` for
    /// a linear representation layer). Allocates only if `B` exceeds the workspace capacity.
    pub fn forward(
        &self,
        x: ArrayView2<'_, F>,
        ws: &mut MlpWorkspace<F>,
    ) -> Result<(), TrainError> {
        self.check_workspace(ws)?;
        if x.ncols() != self.config.input_dim {
            return Err(TrainError::ShapeMismatch {
                what: "input columns",
                expected: self.config.input_dim,
                got: x.ncols(),
            });
        }
        let batch = x.nrows();
        if batch == 0 {
            return Err(TrainError::Empty {
                what: "input batch",
            });
        }
        ws.ensure_capacity(batch);
        ws.batch = batch;
        ws.is_calibrated = false;
        ws.input.slice_mut(s![..batch, ..]).assign(&x);

        for layer in 0..self.num_hidden() {
            let (weight, bias) = layer_views(&self.params, self.layouts[layer]);
            let (done, rest) = ws.activations.split_at_mut(layer);
            let input = match done.last() {
                Some(prev) => prev.slice(s![..batch, ..]),
                None => ws.input.slice(s![..batch, ..]),
            };
            let mut out = rest[0].slice_mut(s![..batch, ..]);
            out.assign(&bias);
            general_mat_mul(F::one(), &input, &weight.t(), F::one(), &mut out);
            if self.activation(layer) == FeatureActivation::Relu {
                // `v < 0` keeps NaN as NaN (like torch.relu), so divergence stays visible.
                out.mapv_inplace(|v| if v < F::zero() { F::zero() } else { v });
            }
        }

        let features = ws.activations[self.num_hidden() - 1].slice(s![..batch, ..]);
        normalize_rows_into(
            features,
            ws.normalized.slice_mut(s![..batch, ..]),
            ws.norms.slice_mut(s![..batch]),
        );
        let head_input = match self.config.head_input {
            HeadInput::Raw => features,
            HeadInput::Normalized => ws.normalized.slice(s![..batch, ..]),
        };
        let (w_head, b_head) = layer_views(&self.params, self.layouts[self.num_hidden()]);
        let mut predictions = ws.predictions.slice_mut(s![..batch]);
        predictions.fill(b_head[0]);
        general_mat_vec_mul(
            F::one(),
            &head_input,
            &w_head.row(0),
            F::one(),
            &mut predictions,
        );
        Ok(())
    }

    /// Re-runs the head of the last [`forward`](Self::forward) batch on a calibrated input
    /// u = h ⊙ S + T (per row and dimension; S = `scale`, T = `shift`, both `B × d`), as FDS
    /// does between encoder and head (Yang et al. 2021, Eq. 3–4). The predictions are
    /// overwritten; [`backward`](Self::backward) then uses u for the head's weight gradient
    /// and maps ∂L/∂u to ∂L/∂h = ∂L/∂u ⊙ S. The representation `h` itself (what SRL and the
    /// other feature losses read) is unchanged. Only for [`HeadInput::Raw`].
    pub fn calibrate_head_input(
        &self,
        ws: &mut MlpWorkspace<F>,
        scale: ArrayView2<'_, F>,
        shift: ArrayView2<'_, F>,
    ) -> Result<(), TrainError> {
        self.check_workspace(ws)?;
        if self.config.head_input != HeadInput::Raw {
            return Err(TrainError::InvalidConfig {
                field: "model.head_input",
                reason: "a calibrated head input (FDS) needs the head to read the raw features"
                    .into(),
            });
        }
        let (batch, d) = (ws.batch, self.representation_dim());
        if batch == 0 {
            return Err(TrainError::Empty {
                what: "workspace batch (call forward first)",
            });
        }
        for (what, dim) in [
            ("calibration scale", scale.dim()),
            ("calibration shift", shift.dim()),
        ] {
            if dim != (batch, d) {
                return Err(TrainError::ShapeMismatch {
                    what,
                    expected: batch * d,
                    got: dim.0 * dim.1,
                });
            }
        }
        if ws.calibrated.nrows() < batch {
            ws.calibrated = Array2::zeros((ws.capacity, d));
            ws.calibration_scale = Array2::zeros((ws.capacity, d));
        }
        let features = ws.activations[self.num_hidden() - 1].slice(s![..batch, ..]);
        let mut u = ws.calibrated.slice_mut(s![..batch, ..]);
        Zip::from(&mut u)
            .and(&features)
            .and(&scale)
            .and(&shift)
            .for_each(|u, &h, &s, &t| *u = h * s + t);
        ws.calibration_scale
            .slice_mut(s![..batch, ..])
            .assign(&scale);
        let (w_head, b_head) = layer_views(&self.params, self.layouts[self.num_hidden()]);
        let mut predictions = ws.predictions.slice_mut(s![..batch]);
        predictions.fill(b_head[0]);
        general_mat_vec_mul(
            F::one(),
            &ws.calibrated.slice(s![..batch, ..]),
            &w_head.row(0),
            F::one(),
            &mut predictions,
        );
        ws.is_calibrated = true;
        Ok(())
    }

    /// Backward pass for the batch of the last [`forward`](Self::forward) on `ws`.
    ///
    /// `grad_pred` is ∂L/∂ŷ (length `B`); `grad_features`, if given, is an extra gradient ∂L/∂h
    /// (`B × d`, e.g. from the SRL objective) added to what flows back from the head. `grads` is
    /// overwritten with ∂L/∂θ for every parameter.
    ///
    /// Head: ∂W_head = gᵀU, ∂b_head = Σ g, ∂U = g w_headᵀ; for [`HeadInput::Normalized`],
    /// ∂h = (I − z zᵀ) ∂z / ‖h‖ per row. Hidden layer ℓ: ∂a_ℓ = ∂h_ℓ ⊙ 1\[h_ℓ > 0\] (ReLU),
    /// ∂W_ℓ = ∂a_ℓᵀ h_{ℓ−1}, ∂b_ℓ = Σ_rows ∂a_ℓ, ∂h_{ℓ−1} = ∂a_ℓ W_ℓ. Allocation-free.
    pub fn backward(
        &self,
        ws: &mut MlpWorkspace<F>,
        grad_pred: ArrayView1<'_, F>,
        grad_features: Option<ArrayView2<'_, F>>,
        grads: &mut MlpGradients<F>,
    ) -> Result<(), TrainError> {
        self.check_workspace(ws)?;
        let batch = ws.batch;
        if batch == 0 {
            return Err(TrainError::Empty {
                what: "workspace batch (call forward first)",
            });
        }
        if grads.layouts != self.layouts {
            return Err(TrainError::ShapeMismatch {
                what: "gradient buffer length (built for another network)",
                expected: self.params.len(),
                got: grads.values.len(),
            });
        }
        if grad_pred.len() != batch {
            return Err(TrainError::ShapeMismatch {
                what: "grad_pred length",
                expected: batch,
                got: grad_pred.len(),
            });
        }
        let d = self.representation_dim();
        if let Some(gf) = &grad_features {
            if gf.nrows() != batch {
                return Err(TrainError::ShapeMismatch {
                    what: "grad_features rows",
                    expected: batch,
                    got: gf.nrows(),
                });
            }
            if gf.ncols() != d {
                return Err(TrainError::ShapeMismatch {
                    what: "grad_features columns",
                    expected: d,
                    got: gf.ncols(),
                });
            }
        }

        let hidden = self.num_hidden();
        let MlpWorkspace {
            input,
            activations,
            normalized,
            norms,
            grad_hidden,
            grad_head_input,
            calibrated,
            calibration_scale,
            is_calibrated,
            ..
        } = ws;

        // Head.
        let features = activations[hidden - 1].slice(s![..batch, ..]);
        let normalized = normalized.slice(s![..batch, ..]);
        let head_input = match (self.config.head_input, *is_calibrated) {
            (_, true) => calibrated.slice(s![..batch, ..]),
            (HeadInput::Raw, false) => features,
            (HeadInput::Normalized, false) => normalized,
        };
        let (w_head, _) = layer_views(&self.params, self.layouts[hidden]);
        {
            let (mut dw, mut db) = layer_views_mut(&mut grads.values, self.layouts[hidden]);
            general_mat_mul(
                F::one(),
                &grad_pred.insert_axis(Axis(0)),
                &head_input,
                F::zero(),
                &mut dw,
            );
            db[0] = grad_pred.sum();
        }
        let mut grad_h = grad_hidden[hidden - 1].slice_mut(s![..batch, ..]);
        let grad_pred_col = grad_pred.insert_axis(Axis(1));
        match self.config.head_input {
            HeadInput::Raw => {
                general_mat_mul(F::one(), &grad_pred_col, &w_head, F::zero(), &mut grad_h);
                if *is_calibrated {
                    grad_h *= &calibration_scale.slice(s![..batch, ..]);
                }
            }
            HeadInput::Normalized => {
                let mut grad_z = grad_head_input.slice_mut(s![..batch, ..]);
                general_mat_mul(F::one(), &grad_pred_col, &w_head, F::zero(), &mut grad_z);
                normalize_rows_backward_into(
                    normalized,
                    norms.slice(s![..batch]),
                    grad_z.view(),
                    grad_h.view_mut(),
                );
            }
        }
        if let Some(gf) = grad_features {
            grad_h += &gf;
        }

        // Hidden layers, last to first.
        for layer in (0..hidden).rev() {
            let (below, current) = grad_hidden.split_at_mut(layer);
            let mut grad_a = current[0].slice_mut(s![..batch, ..]);
            if self.activation(layer) == FeatureActivation::Relu {
                Zip::from(&mut grad_a)
                    .and(activations[layer].slice(s![..batch, ..]))
                    .for_each(|g, &h| {
                        if h <= F::zero() {
                            *g = F::zero();
                        }
                    });
            }
            let layer_input = if layer == 0 {
                input.slice(s![..batch, ..])
            } else {
                activations[layer - 1].slice(s![..batch, ..])
            };
            let (mut dw, mut db) = layer_views_mut(&mut grads.values, self.layouts[layer]);
            general_mat_mul(F::one(), &grad_a.t(), &layer_input, F::zero(), &mut dw);
            db.fill(F::zero());
            for row in grad_a.rows() {
                db += &row;
            }
            if let Some(grad_below) = below.last_mut() {
                let (weight, _) = layer_views(&self.params, self.layouts[layer]);
                let mut grad_below = grad_below.slice_mut(s![..batch, ..]);
                general_mat_mul(F::one(), &grad_a, &weight, F::zero(), &mut grad_below);
            }
        }
        Ok(())
    }

    /// Predictions for all rows of `x` (allocating convenience; evaluates in chunks of at most
    /// 4096 rows to bound memory).
    ///
    /// ```
    /// use srl_train::{Mlp, MlpConfig};
    /// let mlp = Mlp::<f32>::new(&MlpConfig::new(3, vec![4]), 0).unwrap();
    /// let y = mlp.predict(ndarray::Array2::zeros((5, 3)).view()).unwrap();
    /// assert_eq!(y.len(), 5);
    /// ```
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array1<F>, TrainError> {
        Ok(self.predict_with_features(x)?.0)
    }

    /// Predictions and representations `h` for all rows of `x` (allocating; chunked like
    /// [`predict`](Self::predict)).
    pub fn predict_with_features(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(Array1<F>, Array2<F>), TrainError> {
        let n = x.nrows();
        if n == 0 {
            return Err(TrainError::Empty { what: "input" });
        }
        let mut predictions = Array1::zeros(n);
        let mut features = Array2::zeros((n, self.representation_dim()));
        let mut ws = self.workspace(n.min(PREDICT_CHUNK));
        let mut start = 0;
        while start < n {
            let end = (start + PREDICT_CHUNK).min(n);
            self.forward(x.slice(s![start..end, ..]), &mut ws)?;
            predictions
                .slice_mut(s![start..end])
                .assign(&ws.predictions());
            features
                .slice_mut(s![start..end, ..])
                .assign(&ws.features());
            start = end;
        }
        Ok((predictions, features))
    }

    /// A serialisable snapshot of configuration and weights (also what `serde` writes).
    pub fn state(&self) -> MlpState<F> {
        MlpState {
            config: self.config.clone(),
            layers: self
                .layouts
                .iter()
                .map(|&layout| {
                    let (w, b) = layer_views(&self.params, layout);
                    LayerState {
                        shape: [layout.fan_out, layout.fan_in],
                        weights: w.iter().copied().collect(),
                        bias: b.to_vec(),
                    }
                })
                .collect(),
        }
    }

    /// Rebuilds a network from a snapshot, checking every shape and that all values are finite.
    pub fn from_state(state: MlpState<F>) -> Result<Self, TrainError> {
        state.config.validate()?;
        let layouts = layer_layouts(&state.config);
        if state.layers.len() != layouts.len() {
            return Err(TrainError::InvalidState {
                reason: format!(
                    "configuration implies {} linear layers, state has {}",
                    layouts.len(),
                    state.layers.len()
                ),
            });
        }
        let mut params = Vec::with_capacity(layouts.last().map_or(0, |l| l.end()));
        for (i, (layout, layer)) in layouts.iter().zip(&state.layers).enumerate() {
            let expected = [layout.fan_out, layout.fan_in];
            if layer.shape != expected
                || layer.weights.len() != layout.weight_len()
                || layer.bias.len() != layout.fan_out
            {
                return Err(TrainError::InvalidState {
                    reason: format!(
                        "layer {i}: expected weight {expected:?} ({} values) and {} biases, got shape {:?} with {} values and {} biases",
                        layout.weight_len(),
                        layout.fan_out,
                        layer.shape,
                        layer.weights.len(),
                        layer.bias.len()
                    ),
                });
            }
            if layer
                .weights
                .iter()
                .chain(&layer.bias)
                .any(|v| !v.is_finite())
            {
                return Err(TrainError::InvalidState {
                    reason: format!("layer {i} contains a non-finite value"),
                });
            }
            params.extend_from_slice(&layer.weights);
            params.extend_from_slice(&layer.bias);
        }
        Ok(Self {
            config: state.config,
            layouts,
            params,
        })
    }
}

/// Splits a flat buffer into per-tensor views `[W₀, b₀, …]`.
fn tensor_views<'a, F>(buf: &'a [F], layouts: &[LayerLayout]) -> Vec<ArrayViewD<'a, F>> {
    layouts
        .iter()
        .flat_map(|&layout| {
            let (w, b) = layer_views(buf, layout);
            [w.into_dyn(), b.into_dyn()]
        })
        .collect()
}

/// Splits a flat buffer into mutable per-tensor views `[W₀, b₀, …]`.
fn tensor_views_mut<'a, F>(
    mut buf: &'a mut [F],
    layouts: &[LayerLayout],
) -> Vec<ArrayViewMutD<'a, F>> {
    let mut views = Vec::with_capacity(2 * layouts.len());
    for &layout in layouts {
        let (w, rest) = std::mem::take(&mut buf).split_at_mut(layout.weight_len());
        let (b, rest) = rest.split_at_mut(layout.fan_out);
        buf = rest;
        let w = ArrayViewMut2::from_shape((layout.fan_out, layout.fan_in), w)
            .expect("layer layout matches its buffer by construction");
        views.push(w.into_dyn());
        views.push(ArrayViewMut1::from(b).into_dyn());
    }
    views
}

impl<F: Float> From<Mlp<F>> for MlpState<F> {
    fn from(mlp: Mlp<F>) -> Self {
        mlp.state()
    }
}

impl<F: Float> TryFrom<MlpState<F>> for Mlp<F> {
    type Error = TrainError;
    fn try_from(state: MlpState<F>) -> Result<Self, TrainError> {
        Mlp::from_state(state)
    }
}

/// Weights of one linear layer in a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerState<F> {
    /// `[fan_out, fan_in]` (PyTorch's `weight.shape`).
    pub shape: [usize; 2],
    /// Row-major weights, `fan_out × fan_in` values.
    pub weights: Vec<F>,
    /// `fan_out` biases.
    pub bias: Vec<F>,
}

/// A checkpoint of an [`Mlp`]: its configuration and every layer's weights (head last).
///
/// ```
/// use srl_train::{Mlp, MlpConfig};
/// let mlp = Mlp::<f32>::new(&MlpConfig::new(3, vec![4, 2]), 1).unwrap();
/// let json = serde_json::to_string(&mlp).unwrap();
/// let back: Mlp<f32> = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, mlp);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpState<F> {
    /// Architecture.
    pub config: MlpConfig,
    /// Linear layers in order, the head last.
    pub layers: Vec<LayerState<F>>,
}

/// Gradient buffer aligned with an [`Mlp`]'s flat parameter vector.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpGradients<F> {
    layouts: Vec<LayerLayout>,
    values: Vec<F>,
}

impl<F: Float> MlpGradients<F> {
    /// All gradients as one flat slice, aligned with [`Mlp::flat_parameters`].
    pub fn as_slice(&self) -> &[F] {
        &self.values
    }

    /// Mutable flat view (e.g. for gradient clipping).
    pub fn as_slice_mut(&mut self) -> &mut [F] {
        &mut self.values
    }

    /// Gradient of layer `layer`'s weight; `None` if out of range.
    pub fn weight(&self, layer: usize) -> Option<ArrayView2<'_, F>> {
        let layout = *self.layouts.get(layer)?;
        Some(layer_views(&self.values, layout).0)
    }

    /// Gradient of layer `layer`'s bias; `None` if out of range.
    pub fn bias(&self, layer: usize) -> Option<ArrayView1<'_, F>> {
        let layout = *self.layouts.get(layer)?;
        Some(layer_views(&self.values, layout).1)
    }

    /// Per-tensor views in the order of [`Mlp::parameters`].
    pub fn tensors(&self) -> Vec<ArrayViewD<'_, F>> {
        tensor_views(&self.values, &self.layouts)
    }

    /// Sets every gradient to zero.
    pub fn fill_zero(&mut self) {
        self.values.fill(F::zero());
    }
}

/// Per-batch caches of an [`Mlp`]'s forward pass, reused across steps.
///
/// Holds the input copy, every hidden activation, `z = h/‖h‖`, `‖h‖`, the predictions and the
/// backward scratch buffers, all for up to `capacity` rows. Grow-only: a larger batch
/// reallocates once, smaller batches use a prefix.
#[derive(Debug, Clone)]
pub struct MlpWorkspace<F> {
    input_dim: usize,
    widths: Vec<usize>,
    capacity: usize,
    batch: usize,
    input: Array2<F>,
    activations: Vec<Array2<F>>,
    normalized: Array2<F>,
    norms: Array1<F>,
    predictions: Array1<F>,
    grad_hidden: Vec<Array2<F>>,
    grad_head_input: Array2<F>,
    /// Head input u = h ⊙ S + T after [`Mlp::calibrate_head_input`] (unused otherwise).
    calibrated: Array2<F>,
    /// The scale S of the calibration (its backward).
    calibration_scale: Array2<F>,
    /// Whether the last forward batch's head read `calibrated`.
    is_calibrated: bool,
}

impl<F: Float> MlpWorkspace<F> {
    fn with_capacity(input_dim: usize, widths: Vec<usize>, capacity: usize) -> Self {
        let d = widths.last().copied().unwrap_or(0);
        Self {
            input_dim,
            capacity,
            batch: 0,
            input: Array2::zeros((capacity, input_dim)),
            activations: widths
                .iter()
                .map(|&w| Array2::zeros((capacity, w)))
                .collect(),
            normalized: Array2::zeros((capacity, d)),
            norms: Array1::zeros(capacity),
            predictions: Array1::zeros(capacity),
            grad_hidden: widths
                .iter()
                .map(|&w| Array2::zeros((capacity, w)))
                .collect(),
            grad_head_input: Array2::zeros((capacity, d)),
            calibrated: Array2::zeros((0, d)),
            calibration_scale: Array2::zeros((0, d)),
            is_calibrated: false,
            widths,
        }
    }

    fn ensure_capacity(&mut self, batch: usize) {
        if batch > self.capacity {
            *self = Self::with_capacity(self.input_dim, std::mem::take(&mut self.widths), batch);
        }
    }

    /// Rows of the last forward batch (0 before any forward pass).
    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// Number of rows the buffers currently hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The representation `h` of the last batch (`B × d`): last hidden layer after activation.
    pub fn features(&self) -> ArrayView2<'_, F> {
        self.activations.last().map_or_else(
            || self.normalized.slice(s![..0, ..]),
            |a| a.slice(s![..self.batch, ..]),
        )
    }

    /// `z = h/‖h‖` of the last batch (`B × d`); zero rows of `h` stay zero.
    pub fn normalized_features(&self) -> ArrayView2<'_, F> {
        self.normalized.slice(s![..self.batch, ..])
    }

    /// `‖h_i‖` of the last batch (length `B`), as needed by
    /// [`srl_geometry::normalize_rows_backward_into`] to map ∂L/∂z to ∂L/∂h.
    pub fn feature_norms(&self) -> ArrayView1<'_, F> {
        self.norms.slice(s![..self.batch])
    }

    /// Predictions `ŷ` of the last batch (length `B`).
    pub fn predictions(&self) -> ArrayView1<'_, F> {
        self.predictions.slice(s![..self.batch])
    }
}
