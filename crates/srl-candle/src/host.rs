//! Tensors to host arrays and back, and the custom ops that carry a gradient computed on the
//! host into candle's autodiff.
//!
//! Every loss of this crate works the same way: the inputs are copied to the host (a no-op for
//! CPU tensors; the copy is a `to_device` node of the graph, so candle carries the gradient
//! back to the tensor's device), srl-losses computes the value and the gradient in one
//! forward-backward call, and a custom op whose forward returns that value and whose `bwd`
//! returns upstream × gradient is applied to the host copy. So the numbers have one home
//! (srl-losses) and `loss.backward()` reaches the parameters through candle's autodiff.

use crate::{Result, SrlCandleError};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Device, Layout, Shape, Tensor};
use ndarray::{Array1, Array2};
use std::sync::Arc;

/// The scalar types the losses compute in: `f32` and `f64` (srl-geometry's [`Float`] that is
/// also a candle [`WithDType`](candle_core::WithDType)).
///
/// [`Float`]: srl_geometry::Float
pub trait HostFloat: srl_geometry::Float + candle_core::WithDType {}
impl HostFloat for f32 {}
impl HostFloat for f64 {}

/// Checks the dtype is f32 or f64.
pub(crate) fn float_dtype(what: &'static str, t: &Tensor) -> Result<DType> {
    match t.dtype() {
        d @ (DType::F32 | DType::F64) => Ok(d),
        dtype => Err(SrlCandleError::UnsupportedDType { what, dtype }),
    }
}

/// The M × d host copy of a rank-2 tensor of dtype `F`.
pub(crate) fn host_matrix<F: HostFloat>(what: &'static str, t: &Tensor) -> Result<Array2<F>> {
    let (m, d) = t.dims2().map_err(|_| SrlCandleError::Shape {
        what,
        expected: "M × d (rank 2)".into(),
        got: t.dims().to_vec(),
    })?;
    let values = t
        .to_device(&Device::Cpu)?
        .to_dtype(F::DTYPE)?
        .flatten_all()?
        .to_vec1::<F>()?;
    Array2::from_shape_vec((m, d), values).map_err(|_| SrlCandleError::Shape {
        what,
        expected: "M × d".into(),
        got: t.dims().to_vec(),
    })
}

/// The host copy of a vector given as shape (M) or (M, 1), of length `len` if given, in `F`
/// (values only: no gradient flows to it).
pub(crate) fn host_vector<F: HostFloat>(
    what: &'static str,
    t: &Tensor,
    len: Option<usize>,
) -> Result<Array1<F>> {
    let n = match t.dims() {
        [n] | [n, 1] => *n,
        other => {
            return Err(SrlCandleError::Shape {
                what,
                expected: "(M) or (M, 1)".into(),
                got: other.to_vec(),
            })
        }
    };
    if let Some(len) = len.filter(|&l| l != n) {
        return Err(SrlCandleError::Shape {
            what,
            expected: format!("({len}) or ({len}, 1)"),
            got: t.dims().to_vec(),
        });
    }
    // Any numeric dtype (integer labels too): only the values are read.
    let values = t
        .to_device(&Device::Cpu)?
        .to_dtype(F::DTYPE)?
        .flatten_all()?
        .to_vec1::<F>()?;
    Ok(Array1::from_vec(values))
}

/// The single value of a one-element tensor, in `F`.
pub(crate) fn host_scalar<F: HostFloat>(what: &'static str, t: &Tensor) -> Result<F> {
    if t.elem_count() != 1 {
        return Err(SrlCandleError::Shape {
            what,
            expected: "one element".into(),
            got: t.dims().to_vec(),
        });
    }
    float_dtype(what, t)?;
    let v = t
        .to_device(&Device::Cpu)?
        .to_dtype(F::DTYPE)?
        .flatten_all()?
        .to_vec1::<F>()?;
    Ok(v[0])
}

/// A host array as a CPU tensor of `shape`.
pub(crate) fn to_tensor<F: HostFloat, D: ndarray::Dimension>(
    a: ndarray::Array<F, D>,
    shape: &[usize],
) -> Result<Tensor> {
    let values: Vec<F> = if a.is_standard_layout() {
        a.into_raw_vec_and_offset().0
    } else {
        a.iter().copied().collect()
    };
    Ok(Tensor::from_vec(values, shape, &Device::Cpu)?)
}

fn scalar_storage(value: f64, dtype: DType) -> candle_core::Result<CpuStorage> {
    match dtype {
        DType::F32 => Ok(CpuStorage::F32(vec![value as f32])),
        DType::F64 => Ok(CpuStorage::F64(vec![value])),
        other => candle_core::bail!("srl-candle computes in f32 or f64, not {other:?}"),
    }
}

/// A scalar loss of one tensor: the forward returns `value`, the backward upstream × `grad`
/// (`grad` has the argument's shape and lives on the host, like the argument the op is
/// applied to).
struct HostGrad1 {
    name: &'static str,
    value: f64,
    grad: Tensor,
}

impl CustomOp1 for HostGrad1 {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(&self, _: &CpuStorage, _: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        Ok((
            scalar_storage(self.value, self.grad.dtype())?,
            Shape::from(()),
        ))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let upstream = grad_res
            .to_dtype(self.grad.dtype())?
            .broadcast_as(arg.shape())?;
        Ok(Some(self.grad.mul(&upstream)?))
    }
}

/// A scalar loss of two tensors (Balanced MSE: predictions and σ).
struct HostGrad2 {
    name: &'static str,
    value: f64,
    grad1: Tensor,
    grad2: Tensor,
}

impl CustomOp2 for HostGrad2 {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        Ok((
            scalar_storage(self.value, self.grad1.dtype())?,
            Shape::from(()),
        ))
    }

    fn bwd(
        &self,
        arg1: &Tensor,
        arg2: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let up1 = grad_res
            .to_dtype(self.grad1.dtype())?
            .broadcast_as(arg1.shape())?;
        let up2 = grad_res
            .to_dtype(self.grad2.dtype())?
            .broadcast_as(arg2.shape())?;
        Ok((Some(self.grad1.mul(&up1)?), Some(self.grad2.mul(&up2)?)))
    }
}

/// The loss tensor of `x` with the host-computed `value` and `grad` (∂value/∂x, as a host
/// array of x's shape): a scalar on x's device whose backward gives x the gradient.
pub(crate) fn attach1<F: HostFloat, D: ndarray::Dimension>(
    name: &'static str,
    x: &Tensor,
    value: F,
    grad: ndarray::Array<F, D>,
) -> Result<Tensor> {
    let host = x.to_device(&Device::Cpu)?.to_dtype(F::DTYPE)?;
    let grad = to_tensor(grad, host.dims())?;
    let value = <F as candle_core::WithDType>::to_f64(value);
    let op: Arc<Box<dyn CustomOp1 + Send + Sync>> =
        Arc::new(Box::new(HostGrad1 { name, value, grad }));
    Ok(host.apply_op1_arc(op)?.to_device(x.device())?)
}

/// [`attach1`] for a loss of two tensors; the gradients have the tensors' shapes.
pub(crate) fn attach2<F: HostFloat, D1: ndarray::Dimension, D2: ndarray::Dimension>(
    name: &'static str,
    (x1, grad1): (&Tensor, ndarray::Array<F, D1>),
    (x2, grad2): (&Tensor, ndarray::Array<F, D2>),
    value: F,
) -> Result<Tensor> {
    let h1 = x1.to_device(&Device::Cpu)?.to_dtype(F::DTYPE)?;
    let h2 = x2.to_device(&Device::Cpu)?.to_dtype(F::DTYPE)?;
    let grad1 = to_tensor(grad1, h1.dims())?;
    let grad2 = to_tensor(grad2, h2.dims())?;
    let op: Arc<Box<dyn CustomOp2 + Send + Sync>> = Arc::new(Box::new(HostGrad2 {
        name,
        value: <F as candle_core::WithDType>::to_f64(value),
        grad1,
        grad2,
    }));
    Ok(h1.apply_op2_arc(&h2, op)?.to_device(x1.device())?)
}
