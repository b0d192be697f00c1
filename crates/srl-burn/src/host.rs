//! The one custom autodiff operation every loss of this crate goes through.
//!
//! A loss of `srl-losses` computes its value and its gradient together on the host
//! (`forward_backward`). [`HostLossBackend::host_loss`] turns that pair into a burn tensor:
//! the output is the scalar value (shape `[1]`) registered in burn-autodiff's graph as one
//! operation whose parents are the inputs; its [`Backward`] step multiplies the stored host
//! gradient ∂L/∂xᵢ by the upstream gradient ∂ℓ/∂L and registers it for each input xᵢ, so
//! `loss.backward()` sends the Rust gradient to every parameter upstream (the chain rule of
//! burn does the rest). Inputs are read back to the host with `Tensor::into_data` (a copy from
//! GPU memory on a GPU backend); the gradients are created on the input's device, in its dtype.

use crate::SrlBurnError;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::Autodiff;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Element, Shape, Tensor, TensorData, TensorMetadata, TensorPrimitive};
use ndarray::{Array1, Array2};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The host float type a loss is evaluated in: `f32` (default) or `f64` (gradient checks).
/// Tensors of any float dtype are converted to it on the way to the host and back.
pub trait HostFloat: srl_geometry::Float + Element + Serialize + DeserializeOwned {}

impl HostFloat for f32 {}
impl HostFloat for f64 {}

/// An autodiff backend that can register a loss computed on the host, with its gradient, as a
/// node of the graph. Implemented for [`Autodiff<B, C>`] over every backend `B` and checkpoint
/// strategy `C`.
pub trait HostLossBackend: AutodiffBackend {
    /// A scalar tensor (shape `[1]`) holding `value`, whose gradient with respect to
    /// `inputs[i]` is `grads[i]` (same shape as the input) times the upstream gradient.
    /// `value` and `grads` are converted to the dtype of `inputs[0]` / `inputs[i]` and created
    /// on the device of `inputs[0]`.
    fn host_loss<const N: usize>(
        inputs: [Self::FloatTensorPrimitive; N],
        value: f64,
        grads: [TensorData; N],
    ) -> Self::FloatTensorPrimitive;
}

/// The backward step of [`HostLossBackend::host_loss`]: its state is the host gradient of
/// each input, already on the device.
#[derive(Debug)]
struct HostBackward<const N: usize>;

impl<B: Backend, const N: usize> Backward<B, N> for HostBackward<N> {
    type State = [B::FloatTensorPrimitive; N];

    fn backward(
        self,
        ops: Ops<Self::State, N>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        // ∂ℓ/∂L, shape [1].
        let upstream = grads.consume::<B>(&ops.node);
        for (parent, grad) in ops.parents.into_iter().zip(ops.state) {
            if let Some(node) = parent {
                let shape = grad.shape();
                let ones = Shape::from(vec![1; shape.num_dims()]);
                let scale = B::float_expand(B::float_reshape(upstream.clone(), ones), shape);
                grads.register::<B>(node.id, B::float_mul(grad, scale));
            }
        }
    }
}

impl<B: Backend, C: CheckpointStrategy> HostLossBackend for Autodiff<B, C> {
    fn host_loss<const N: usize>(
        inputs: [Self::FloatTensorPrimitive; N],
        value: f64,
        grads: [TensorData; N],
    ) -> Self::FloatTensorPrimitive {
        let first = &inputs[0].primitive;
        let device = B::float_device(first);
        let value = TensorData::new(vec![value], [1]).convert_dtype(first.dtype());
        let output = B::float_from_data(value, &device);
        let nodes = inputs.each_ref().map(|t| t.node.clone());
        match HostBackward::<N>
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let mut grads = grads.into_iter();
                let state = inputs.each_ref().map(|t| {
                    let g = grads.next().expect("one gradient per input");
                    B::float_from_data(g.convert_dtype(t.primitive.dtype()), &device)
                });
                prep.finish(state, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

/// The primitive of a float tensor (for [`HostLossBackend::host_loss`]).
pub fn primitive<B: Backend, const D: usize>(t: Tensor<B, D>) -> B::FloatTensorPrimitive {
    t.into_primitive().tensor()
}

/// Wraps a [`HostLossBackend::host_loss`] output as a scalar (shape `[1]`) tensor.
pub fn scalar<B: Backend>(p: B::FloatTensorPrimitive) -> Tensor<B, 1> {
    Tensor::from_primitive(TensorPrimitive::Float(p))
}

/// Host gradient data of shape `shape` from a flat vector.
pub(crate) fn grad_data<F: HostFloat>(values: Vec<F>, shape: Vec<usize>) -> TensorData {
    TensorData::new(values, shape)
}

fn host_vec<B: Backend, const D: usize, F: HostFloat>(
    what: &'static str,
    t: &Tensor<B, D>,
) -> Result<Vec<F>, SrlBurnError> {
    t.clone()
        .into_data()
        .convert::<F>()
        .into_vec::<F>()
        .map_err(|e| SrlBurnError::Data {
            what,
            reason: format!("{e:?}"),
        })
}

/// Reads a 2-D tensor back to the host as an M×d array of `F`.
pub fn to_host2<B: Backend, F: HostFloat>(
    what: &'static str,
    t: &Tensor<B, 2>,
) -> Result<Array2<F>, SrlBurnError> {
    let [m, d] = t.dims();
    Array2::from_shape_vec((m, d), host_vec(what, t)?).map_err(|e| SrlBurnError::Data {
        what,
        reason: e.to_string(),
    })
}

/// Reads a 1-D tensor back to the host as an array of `F`.
pub fn to_host1<B: Backend, F: HostFloat>(
    what: &'static str,
    t: &Tensor<B, 1>,
) -> Result<Array1<F>, SrlBurnError> {
    Ok(Array1::from(host_vec(what, t)?))
}

/// A host value as `f64` (exact for `f32` and `f64`).
pub(crate) fn f64_of<F: HostFloat>(v: F) -> f64 {
    burn::tensor::cast::ToElement::to_f64(&v)
}
