//! NumPy arrays in: the checks every binding shares, with Python's exception types.
//!
//! Float arrays are taken as they are when their dtype is float32 or float64 (a view, no copy,
//! whatever the strides); other numeric dtypes and non-arrays raise `TypeError` naming the
//! argument. A 1-D companion (labels, predictions, weights) is converted to the features'
//! dtype (a copy of one vector). Bins are integers ≥ 0. Shapes, non-finite values and bins out
//! of range are checked by the Rust losses themselves, whose messages arrive as `ValueError`.

use numpy::{
    Element, PyArray1, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use srl_geometry::Float;

/// A Rust error as Python's `ValueError`, with the Rust message.
pub fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The float dtypes the losses run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F64,
}

impl Dtype {
    /// NumPy's name of the dtype.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
        }
    }

    /// The dtype called `name` (`"float32"`/`"float64"`), else `TypeError`.
    pub fn parse(name: &str) -> PyResult<Self> {
        match name {
            "float32" | "f4" => Ok(Dtype::F32),
            "float64" | "f8" => Ok(Dtype::F64),
            other => Err(PyTypeError::new_err(format!(
                "dtype must be float32 or float64, got {other}"
            ))),
        }
    }
}

/// An element type the bindings compute in.
pub trait Real: Float + Element {
    /// Its [`Dtype`].
    const DTYPE: Dtype;
}

impl Real for f32 {
    const DTYPE: Dtype = Dtype::F32;
}

impl Real for f64 {
    const DTYPE: Dtype = Dtype::F64;
}

/// The array behind `obj`, or a `TypeError` naming `name`.
fn untyped<'a, 'py>(
    name: &str,
    obj: &'a Bound<'py, PyAny>,
) -> PyResult<&'a Bound<'py, PyUntypedArray>> {
    obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a numpy array, got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "an unknown type".into())
        ))
    })
}

/// The dtype of a float array `obj`: float32/float64, else `TypeError`.
pub fn float_dtype(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Dtype> {
    let a = untyped(name, obj)?;
    let dtype = a.dtype();
    let text = dtype.str()?.to_string();
    if dtype.is_equiv_to(&numpy::dtype::<f32>(obj.py())) {
        Ok(Dtype::F32)
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(obj.py())) {
        Ok(Dtype::F64)
    } else {
        Err(PyTypeError::new_err(format!(
            "{name} must be a float32 or float64 array, got dtype {text}"
        )))
    }
}

/// `obj` as a 2-D array of `F` (a view, no copy): `TypeError` for another dtype, `ValueError`
/// for another number of dimensions.
pub fn matrix<'py, F: Real>(
    name: &str,
    obj: &Bound<'py, PyAny>,
) -> PyResult<PyReadonlyArray2<'py, F>> {
    let dtype = float_dtype(name, obj)?;
    if dtype != F::DTYPE {
        return Err(PyTypeError::new_err(format!(
            "{name} must have dtype {}, got {}",
            F::DTYPE.name(),
            dtype.name()
        )));
    }
    let ndim = untyped(name, obj)?.ndim();
    if ndim != 2 {
        return Err(PyValueError::new_err(format!(
            "{name} must be 2-D (rows × columns), got {ndim}-D"
        )));
    }
    obj.extract::<PyReadonlyArray2<'py, F>>()
}

/// `obj` as a 1-D array of `F`: taken as is when it already is one, else converted with
/// `numpy.asarray(obj, dtype=F)` from any real numeric array or sequence. `TypeError` for
/// non-numeric input, `ValueError` for another number of dimensions.
pub fn vector<'py, F: Real>(
    name: &str,
    obj: &Bound<'py, PyAny>,
) -> PyResult<PyReadonlyArray1<'py, F>> {
    let py = obj.py();
    let array = one_dim(name, obj, b"biuf", "must hold real numbers")?;
    let a = untyped(name, &array)?;
    let array = if a.dtype().is_equiv_to(&numpy::dtype::<F>(py)) {
        array
    } else {
        numpy_asarray(py, &array, Some(F::DTYPE.name()))?
    };
    Ok(array.cast_into::<PyArray1<F>>()?.readonly())
}

/// Label bins: integers ≥ 0 (any integer dtype, or a sequence of ints), as `usize`.
pub fn bins(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let py = obj.py();
    let array = one_dim(name, obj, b"iu", "must be an integer array (bin indices)")?;
    let as_i64 = numpy_asarray(py, &array, Some("int64"))?;
    let values = as_i64.cast_into::<PyArray1<i64>>()?.readonly();
    values
        .as_array()
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            usize::try_from(b).map_err(|_| {
                PyValueError::new_err(format!("{name}[{i}] = {b} is negative; bins start at 0"))
            })
        })
        .collect()
}

/// `obj` as a 1-D NumPy array (sequences converted with `numpy.asarray`) whose dtype kind is
/// one of `kinds` (`b`ool, `i`nt, `u`nsigned, `f`loat): else `TypeError` (`{name} {what}, got
/// dtype …`), or `ValueError` for another number of dimensions.
fn one_dim<'py>(
    name: &str,
    obj: &Bound<'py, PyAny>,
    kinds: &[u8],
    what: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let array = if obj.cast::<PyUntypedArray>().is_ok() {
        obj.clone()
    } else {
        numpy_asarray(obj.py(), obj, None)?
    };
    let a = untyped(name, &array)?;
    if !kinds.contains(&a.dtype().kind()) {
        return Err(PyTypeError::new_err(format!(
            "{name} {what}, got dtype {}",
            a.dtype().str()?
        )));
    }
    if a.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "{name} must be 1-D, got {}-D",
            a.ndim()
        )));
    }
    Ok(array)
}

/// `numpy.asarray(obj, dtype=dtype)`.
fn numpy_asarray<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    dtype: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let np = py.import("numpy")?;
    match dtype {
        Some(d) => np.call_method1("asarray", (obj, d)),
        None => np.call_method1("asarray", (obj,)),
    }
}
