//! Input standardisation fitted on the training part only (docs/protocols.md).
//!
//! x'_ij = (x_ij − μ_j) / σ_j with μ_j the training mean and σ_j the training population
//! standard deviation (divisor n, as scikit-learn's `StandardScaler`). A column with zero
//! variance on the training part (e.g. a one-hot category absent from training) gets σ_j = 1,
//! so it is only centred and never divides by zero.

use crate::DataError;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Per-column mean and standard deviation of a training matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    mean: Array1<f64>,
    std: Array1<f64>,
}

impl Standardizer {
    /// Fits μ and σ on `x_train` (rows are samples). Errors when there are no rows or a value
    /// is not finite.
    ///
    /// ```
    /// use ndarray::array;
    /// let s = srl_data::standardize::Standardizer::fit(array![[1.0, 5.0], [3.0, 5.0]].view())
    ///     .unwrap();
    /// assert_eq!(s.transform(array![[2.0, 6.0]].view()).unwrap(), array![[0.0, 1.0]]);
    /// ```
    pub fn fit(x_train: ArrayView2<'_, f64>) -> Result<Self, DataError> {
        if x_train.nrows() == 0 {
            return Err(DataError::invalid("training inputs", "no rows to fit on"));
        }
        if let Some(((i, j), v)) = x_train.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(DataError::invalid(
                "training inputs",
                format!("non-finite value {v} at row {i}, column {j}"),
            ));
        }
        let n = x_train.nrows() as f64;
        let mean = x_train.sum_axis(Axis(0)) / n;
        let mut var = Array1::<f64>::zeros(x_train.ncols());
        for row in x_train.rows() {
            for ((v, &x), &m) in var.iter_mut().zip(row).zip(&mean) {
                *v += (x - m) * (x - m);
            }
        }
        let std = var.mapv(|v| {
            let s = (v / n).sqrt();
            if s > 0.0 && s.is_finite() {
                s
            } else {
                1.0
            }
        });
        Ok(Self { mean, std })
    }

    /// Training mean per column.
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// Training standard deviation per column (1 for zero-variance columns).
    pub fn std(&self) -> &Array1<f64> {
        &self.std
    }

    /// Standardised copy of `x`; errors when its column count differs from the fit.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, DataError> {
        let mut out = x.to_owned();
        self.transform_inplace(&mut out)?;
        Ok(out)
    }

    /// Standardises `x` in place (no allocation).
    pub fn transform_inplace(&self, x: &mut Array2<f64>) -> Result<(), DataError> {
        self.check_cols(x.ncols())?;
        for mut row in x.rows_mut() {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
        Ok(())
    }

    /// Undoes [`Standardizer::transform`].
    pub fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>, DataError> {
        self.check_cols(x.ncols())?;
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for ((v, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = *v * s + m;
            }
        }
        Ok(out)
    }

    fn check_cols(&self, ncols: usize) -> Result<(), DataError> {
        if ncols != self.mean.len() {
            return Err(DataError::invalid(
                "inputs",
                format!(
                    "{ncols} columns, standardiser fitted on {}",
                    self.mean.len()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn train_columns_get_zero_mean_unit_std() {
        let x = array![[1.0, 10.0, 7.0], [2.0, 20.0, 7.0], [6.0, 60.0, 7.0]];
        let s = Standardizer::fit(x.view()).unwrap();
        let z = s.transform(x.view()).unwrap();
        for j in 0..2 {
            let col = z.column(j);
            assert_abs_diff_eq!(col.mean().unwrap(), 0.0, epsilon = 1e-12);
            assert_abs_diff_eq!(col.mapv(|v| v * v).mean().unwrap(), 1.0, epsilon = 1e-12);
        }
        // zero-variance column: std 1, only centred.
        assert_eq!(s.std()[2], 1.0);
        assert_eq!(z.column(2), array![0.0, 0.0, 0.0]);
        let back = s.inverse_transform(z.view()).unwrap();
        assert_abs_diff_eq!(back, x, epsilon = 1e-12);
    }

    #[test]
    fn errors() {
        assert!(Standardizer::fit(Array2::<f64>::zeros((0, 2)).view()).is_err());
        assert!(Standardizer::fit(array![[f64::NAN]].view()).is_err());
        let s = Standardizer::fit(array![[1.0, 2.0]].view()).unwrap();
        assert!(s.transform(array![[1.0]].view()).is_err());
    }
}
