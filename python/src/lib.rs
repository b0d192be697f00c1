//! `srldir._core`: the Rust side of the `srldir` Python package (pyo3 + numpy).
//!
//! Python users import `srldir` (NumPy layer), `srldir.torch` (autograd Functions and
//! `SRLLoss`) and `srldir.sklearn` (`DIRRegressor`); those Python modules call this one. Every
//! function takes NumPy arrays (float32 or float64 are used without a copy) and raises
//! `TypeError` for a wrong dtype or type and `ValueError`, with the Rust crates' message, for
//! wrong shapes, non-finite values and out-of-range bins.

#![cfg_attr(not(test), deny(unused_crate_dependencies))]

use pyo3::prelude::*;

mod arrays;
mod data;
mod estimator;
mod losses;
mod srl;

/// The module `srldir._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    srl::register(m)?;
    losses::register(m)?;
    data::register(m)?;
    estimator::register(m)?;
    Ok(())
}
