//! Input validation shared by the public entry points.

use crate::{Float, GeometryError};
use ndarray::ArrayView2;

/// Returns the first non-finite value's flat index as an error.
pub(crate) fn finite<'a, F: Float>(
    what: &'static str,
    values: impl IntoIterator<Item = &'a F>,
) -> Result<(), GeometryError> {
    match values.into_iter().position(|v| !v.is_finite()) {
        Some(index) => Err(GeometryError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// Checks that a matrix has at least one row and one column and only finite entries.
pub(crate) fn matrix<F: Float>(what: &'static str, m: ArrayView2<F>) -> Result<(), GeometryError> {
    if m.is_empty() {
        return Err(GeometryError::Empty { what });
    }
    finite(what, m.iter())
}

/// Checks that `got` equals `expected`.
pub(crate) fn same(what: &'static str, expected: usize, got: usize) -> Result<(), GeometryError> {
    if expected == got {
        Ok(())
    } else {
        Err(GeometryError::ShapeMismatch {
            what,
            expected,
            got,
        })
    }
}

/// Checks that a scalar parameter is finite.
pub(crate) fn finite_param<F: Float>(name: &'static str, x: F) -> Result<(), GeometryError> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(GeometryError::InvalidParameter {
            name,
            reason: format!("must be finite, got {x:?}"),
        })
    }
}
