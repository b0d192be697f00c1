//! Label bins, DIR sample weights, FDS statistics and shot metrics for Python.

use crate::arrays::{bins, value_error, vector};
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use srl_data::metrics::{evaluate, shot_of_bins, shots_of_samples, GroupMetrics, ShotRule};
use srl_data::{BinSpec, Binning};
use srl_losses::baselines::fds::{FdsConfig, FdsParams, FeatureDistributionSmoothing};
use srl_losses::baselines::lds::{lds_weights, LdsKernel, Reweight};

/// Ordered equal-width label bins: b(y) = ⌊(y − origin)/width⌋ clamped into 0..K.
#[pyclass(module = "srldir._core", name = "Bins")]
#[derive(Clone)]
pub struct Bins {
    binning: Binning,
    rule: String,
}

#[pymethods]
impl Bins {
    /// The automatic rule of `srl train --csv` on training targets `y`: one bin per integer
    /// value for small integer targets, else Sturges-style equal-width bins; `rule` says which.
    #[staticmethod]
    fn auto(y: &Bound<'_, PyAny>) -> PyResult<Self> {
        let y = vector::<f64>("y", y)?;
        let (binning, rule) =
            srl_data::table::auto_bins(y.as_slice().map_err(value_error)?).map_err(value_error)?;
        Ok(Self { binning, rule })
    }

    /// `k` equal-width bins over [min y, max y].
    #[staticmethod]
    fn count(y: &Bound<'_, PyAny>, k: usize) -> PyResult<Self> {
        let y = vector::<f64>("y", y)?;
        let binning = BinSpec::Count(k)
            .fit(y.as_slice().map_err(value_error)?)
            .map_err(value_error)?;
        Ok(Self {
            binning,
            rule: format!("{k} equal-width bins"),
        })
    }

    /// Bins of the given width starting at ⌊min y⌋ (UCI-DIR).
    #[staticmethod]
    fn width(y: &Bound<'_, PyAny>, width: f64) -> PyResult<Self> {
        let y = vector::<f64>("y", y)?;
        let binning = BinSpec::Width(width)
            .fit(y.as_slice().map_err(value_error)?)
            .map_err(value_error)?;
        Ok(Self {
            binning,
            rule: format!("width {width}"),
        })
    }

    /// Number of bins K.
    #[getter]
    fn num_bins(&self) -> usize {
        self.binning.num_bins()
    }

    /// Bin width.
    #[getter]
    fn bin_width(&self) -> f64 {
        self.binning.width()
    }

    /// Left edge of bin 0.
    #[getter]
    fn origin(&self) -> f64 {
        self.binning.origin()
    }

    /// Why these bins (the automatic rule's explanation).
    #[getter]
    fn rule(&self) -> &str {
        &self.rule
    }

    /// Bin centres (K).
    #[getter]
    fn centres<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_vec(py, self.binning.centres())
    }

    /// The bin (int64) of every target in `y`.
    fn assign<'py>(
        &self,
        py: Python<'py>,
        y: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let y = vector::<f64>("y", y)?;
        Ok(PyArray1::from_iter(
            py,
            y.as_array().iter().map(|&v| self.binning.bin(v) as i64),
        ))
    }

    /// Number of targets of `y` per bin (int64, K).
    fn counts<'py>(
        &self,
        py: Python<'py>,
        y: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let y = vector::<f64>("y", y)?;
        let y = y.as_array().to_vec();
        Ok(PyArray1::from_iter(
            py,
            self.binning.counts(&y).into_iter().map(|c| c as i64),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "Bins(num_bins={}, origin={}, width={}; {})",
            self.binning.num_bins(),
            self.binning.origin(),
            self.binning.width(),
            self.rule
        )
    }
}

/// The LDS kernel called `name` (`gaussian`, `triang`, `laplace`).
fn kernel(name: &str, size: usize, sigma: f64) -> PyResult<LdsKernel> {
    Ok(match name {
        "gaussian" => LdsKernel::Gaussian { size, sigma },
        "triang" => LdsKernel::Triang { size },
        "laplace" => LdsKernel::Laplace { size, sigma },
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown kernel `{other}` (gaussian, triang, laplace)"
            )))
        }
    })
}

/// Per-sample DIR weights (mean 1): `scheme` `inv` (1/clip(n_b, 5, 1000)) or `sqinv` (1/√n_b),
/// with LDS when `kernel` is given (`gaussian`, `triang`, `laplace` with `size`, `sigma`).
#[pyfunction]
#[pyo3(signature = (bins, num_bins, *, scheme="sqinv", kernel=None, size=5, sigma=2.0))]
fn dir_weights<'py>(
    py: Python<'py>,
    bins: &Bound<'py, PyAny>,
    num_bins: usize,
    scheme: &str,
    kernel: Option<&str>,
    size: usize,
    sigma: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let b = crate::arrays::bins("bins", bins)?;
    let reweight = match scheme {
        "inv" => Reweight::Inverse,
        "sqinv" => Reweight::SqrtInverse,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown scheme `{other}` (inv, sqinv)"
            )))
        }
    };
    let k = kernel
        .map(|name| self::kernel(name, size, sigma))
        .transpose()?;
    let w = lds_weights(&b, num_bins, reweight, k.as_ref()).map_err(value_error)?;
    Ok(PyArray1::from_vec(py, w))
}

/// One shot group's metrics as a dict (`count`, `mae`, `mse`, `gm`, `pearson`; `None` when
/// undefined).
fn group<'py>(py: Python<'py>, g: &GroupMetrics) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("count", g.count)?;
    d.set_item("mae", g.mae)?;
    d.set_item("mse", g.mse)?;
    d.set_item("gm", g.gm)?;
    d.set_item("pearson", g.pearson)?;
    Ok(d)
}

/// MAE, MSE, GM and Pearson overall and per shot group (many/medium/few by the training count
/// of each test sample's bin). `rule`: `"terciles"` (UCI-DIR) or `"dir"` (many > 100,
/// few < 20).
#[pyfunction]
#[pyo3(signature = (pred, target, test_bins, train_counts, *, rule="terciles"))]
fn shot_metrics<'py>(
    py: Python<'py>,
    pred: &Bound<'py, PyAny>,
    target: &Bound<'py, PyAny>,
    test_bins: &Bound<'py, PyAny>,
    train_counts: &Bound<'py, PyAny>,
    rule: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let rule = match rule {
        "terciles" => ShotRule::Terciles,
        "dir" => ShotRule::dir_default(),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown shot rule `{other}` (terciles, dir)"
            )))
        }
    };
    let p = vector::<f64>("pred", pred)?.as_array().to_vec();
    let t = vector::<f64>("target", target)?.as_array().to_vec();
    let b = bins("test_bins", test_bins)?;
    let counts = bins("train_counts", train_counts)?;
    let per_bin = shot_of_bins(&rule, &counts, &b);
    let shots = shots_of_samples(&per_bin, &b);
    let m = evaluate(&p, &t, &shots).map_err(value_error)?;
    let d = PyDict::new(py);
    d.set_item("all", group(py, &m.all)?)?;
    d.set_item("many", group(py, &m.many)?)?;
    d.set_item("medium", group(py, &m.medium)?)?;
    d.set_item("few", group(py, &m.few)?)?;
    Ok(d)
}

/// Feature distribution smoothing (Yang et al. 2021): per-bin running feature statistics,
/// smoothed over neighbouring bins, and the calibration of features towards them (float64).
#[pyclass(module = "srldir._core", name = "FDS")]
pub struct Fds {
    inner: FeatureDistributionSmoothing<f64>,
}

#[pymethods]
impl Fds {
    /// `FDS(num_bins, dim, *, kernel="gaussian", size=5, sigma=2.0, momentum=0.9,
    /// start_update=0, start_smooth=1)`; `momentum=None` is the cumulative average.
    #[new]
    #[pyo3(signature = (num_bins, dim, *, kernel="gaussian", size=5, sigma=2.0, momentum=Some(0.9), start_update=0, start_smooth=1))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        num_bins: usize,
        dim: usize,
        kernel: &str,
        size: usize,
        sigma: f64,
        momentum: Option<f64>,
        start_update: usize,
        start_smooth: usize,
    ) -> PyResult<Self> {
        let params = FdsParams {
            kernel: self::kernel(kernel, size, sigma)?,
            momentum,
            start_update,
            start_smooth,
            impute_empty_bins: false,
        };
        let inner =
            FeatureDistributionSmoothing::new(FdsConfig::with_params(num_bins, dim, params))
                .map_err(value_error)?;
        Ok(Self { inner })
    }

    /// Updates the statistics with an epoch's features (N×dim, float64) and bins; returns
    /// whether the epoch was used (epochs before `start_update` are not).
    fn update(
        &mut self,
        epoch: usize,
        features: &Bound<'_, PyAny>,
        bins: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let x = crate::arrays::matrix::<f64>("features", features)?;
        let b = crate::arrays::bins("bins", bins)?;
        self.inner
            .update(epoch, x.as_array(), &b)
            .map_err(value_error)
    }

    /// The calibrated features (a new array) for `epoch`: unchanged before `start_smooth`.
    fn smooth<'py>(
        &self,
        py: Python<'py>,
        features: &Bound<'py, PyAny>,
        bins: &Bound<'py, PyAny>,
        epoch: usize,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = crate::arrays::matrix::<f64>("features", features)?;
        let b = crate::arrays::bins("bins", bins)?;
        let out: Array2<f64> = self
            .inner
            .smooth_forward(x.as_array(), &b, epoch)
            .map_err(value_error)?;
        Ok(out.into_pyarray(py))
    }

    /// The gradient with respect to the features of `smooth`, given the gradient of its output.
    fn smooth_backward<'py>(
        &self,
        py: Python<'py>,
        grad: &Bound<'py, PyAny>,
        bins: &Bound<'py, PyAny>,
        epoch: usize,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let g = crate::arrays::matrix::<f64>("grad", grad)?;
        let b = crate::arrays::bins("bins", bins)?;
        let out = self
            .inner
            .smooth_backward(g.as_array(), &b, epoch)
            .map_err(value_error)?;
        Ok(out.into_pyarray(py))
    }

    /// Running per-bin feature means (K×dim).
    #[getter]
    fn running_mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.running_mean().to_owned().into_pyarray(py)
    }

    /// Running per-bin feature variances (K×dim).
    #[getter]
    fn running_var<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.running_var().to_owned().into_pyarray(py)
    }

    /// Smoothed means (K×dim), what features are calibrated towards.
    #[getter]
    fn smoothed_mean<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.smoothed_mean().to_owned().into_pyarray(py)
    }

    /// Smoothed variances (K×dim).
    #[getter]
    fn smoothed_var<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.smoothed_var().to_owned().into_pyarray(py)
    }
}

/// A built-in benchmark with its protocol split (docs/protocols.md), as the Rust trainer sees
/// it: a dict with `x_train`, `y_train`, `bins_train`, `shots_train` (and the same for `val`
/// and `test`; shots are `"many"`, `"medium"`, `"few"`), `centres`, `feature_names`,
/// `target_name`. `name`: `airfoil`, `abalone`, `concrete`, `real-estate`, `iol-linear`,
/// `iol-sde`; `data_dir`: the datasets folder (`$SRL_DATA_DIR`).
#[pyfunction]
#[pyo3(signature = (name, data_dir, *, split_seed=0))]
fn load_benchmark<'py>(
    py: Python<'py>,
    name: &str,
    data_dir: std::path::PathBuf,
    split_seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let id: srl_data::BenchmarkId = name.parse().map_err(value_error)?;
    let opts = srl_data::LoadOptions {
        data_dir,
        split_seed,
    };
    let bench = py
        .detach(|| srl_data::load_benchmark(id, &opts))
        .map_err(value_error)?;
    let d = PyDict::new(py);
    for (part, data) in [
        ("train", &bench.train),
        ("val", &bench.val),
        ("test", &bench.test),
    ] {
        d.set_item(format!("x_{part}"), data.x.clone().into_pyarray(py))?;
        d.set_item(format!("y_{part}"), data.y.clone().into_pyarray(py))?;
        d.set_item(
            format!("bins_{part}"),
            PyArray1::from_iter(py, data.bins.iter().map(|&b| b as i64)),
        )?;
        let shots: Vec<&str> = data
            .shots
            .iter()
            .map(|s| match s {
                srl_data::Shot::Many => "many",
                srl_data::Shot::Medium => "medium",
                srl_data::Shot::Few => "few",
            })
            .collect();
        d.set_item(format!("shots_{part}"), shots)?;
    }
    d.set_item("centres", PyArray1::from_vec(py, bench.binning.centres()))?;
    d.set_item("feature_names", bench.feature_names.clone())?;
    d.set_item("target_name", bench.target_name.clone())?;
    Ok(d)
}

/// Registers this module's items.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Bins>()?;
    m.add_class::<Fds>()?;
    m.add_function(wrap_pyfunction!(dir_weights, m)?)?;
    m.add_function(wrap_pyfunction!(shot_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(load_benchmark, m)?)?;
    Ok(())
}
