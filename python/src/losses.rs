//! The DIR losses for Python: feature-side (RankSim, ConR, Ordinal Entropy, Rank-N-Contrast)
//! and prediction-side (the point-wise regression losses, Balanced MSE, Dist Loss), each
//! returning its value and its gradient from `srl-losses`, in the input's dtype.

use crate::arrays::{float_dtype, matrix, value_error, vector, Dtype, Real};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut2};
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward, BniPrior, GaussianMixture1d,
};
use srl_losses::baselines::conr::{ConR, ConrConfig};
use srl_losses::baselines::dist::{DistLoss, DistWorkspace, Distance, PseudoLabels};
use srl_losses::baselines::ordinal_entropy::OrdinalEntropy;
use srl_losses::baselines::ranksim::RankSim;
use srl_losses::baselines::rnc::RankNContrast;
use srl_losses::{LossError, RegressionLoss};

fn to_f64<F: Real>(v: F) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

/// Runs `$body` with `F` the dtype of `$x` (float32 or float64).
macro_rules! by_dtype {
    ($name:expr, $x:expr, $body:ident ( $($arg:expr),* )) => {
        match float_dtype($name, $x)? {
            Dtype::F32 => $body::<f32>($($arg),*),
            Dtype::F64 => $body::<f64>($($arg),*),
        }
    };
}

/// A loss value and its named parts.
type Valued<F> = (F, Vec<(&'static str, F)>);

/// A loss on features (M×D) and labels (M) that writes its gradient with respect to the
/// features: the value and its named parts.
trait FeatureLoss: Sync {
    fn eval<F: Real>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        grad: ArrayViewMut2<'_, F>,
    ) -> Result<Valued<F>, LossError>;
}

/// Losses whose `forward_backward(x, y, grad)` returns the value alone.
macro_rules! value_only_feature_loss {
    ($($loss:ty),*) => {$(
        impl FeatureLoss for $loss {
            fn eval<F: Real>(
                &self,
                x: ArrayView2<'_, F>,
                y: ArrayView1<'_, F>,
                grad: ArrayViewMut2<'_, F>,
            ) -> Result<Valued<F>, LossError> {
                Ok((self.forward_backward(x, y, grad)?, Vec::new()))
            }
        }
    )*};
}

value_only_feature_loss!(RankSim, RankNContrast);

impl FeatureLoss for OrdinalEntropy {
    fn eval<F: Real>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        grad: ArrayViewMut2<'_, F>,
    ) -> Result<Valued<F>, LossError> {
        let out = self.forward_backward(x, y, grad)?;
        Ok((
            out.value,
            vec![("diversity", out.diversity), ("tightness", out.tightness)],
        ))
    }
}

/// `(value, parts, grad)` of a [`FeatureLoss`] on the features `x` (named `name` in errors)
/// and `labels`, in the features' dtype, with the GIL released while it computes.
fn feature_loss<'py, L: FeatureLoss>(
    py: Python<'py>,
    loss: &L,
    name: &str,
    x: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
) -> PyResult<(f64, Bound<'py, PyDict>, Bound<'py, PyAny>)> {
    fn go<'py, F: Real, L: FeatureLoss>(
        py: Python<'py>,
        loss: &L,
        name: &str,
        x: &Bound<'py, PyAny>,
        labels: &Bound<'py, PyAny>,
    ) -> PyResult<(f64, Bound<'py, PyDict>, Bound<'py, PyAny>)> {
        let (x, y) = (matrix::<F>(name, x)?, vector::<F>("labels", labels)?);
        let (x, y) = (x.as_array(), y.as_array());
        let mut grad = Array2::<F>::zeros(x.raw_dim());
        let (value, parts) = py
            .detach(|| loss.eval(x, y, grad.view_mut()))
            .map_err(value_error)?;
        let dict = PyDict::new(py);
        for (key, v) in parts {
            dict.set_item(key, to_f64(v))?;
        }
        Ok((to_f64(value), dict, grad.into_pyarray(py).into_any()))
    }
    match float_dtype(name, x)? {
        Dtype::F32 => go::<f32, L>(py, loss, name, x, labels),
        Dtype::F64 => go::<f64, L>(py, loss, name, x, labels),
    }
}

/// `(value, grad)` of RankSim (Gupta et al. 2022) on `features` (M×D) and `labels` (M), with
/// the blackbox gradient of the ranking (interpolation strength `lam`).
#[pyfunction]
#[pyo3(signature = (features, labels, *, lam))]
fn ranksim<'py>(
    py: Python<'py>,
    features: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    lam: f64,
) -> PyResult<(f64, Bound<'py, PyAny>)> {
    let loss = RankSim::new(lam).map_err(value_error)?;
    let (value, _, grad) = feature_loss(py, &loss, "features", features, labels)?;
    Ok((value, grad))
}

/// `(value, grad)` of ConR (Keramati et al. 2024) on `features` (M×D), `labels`, detached
/// `predictions` and optional per-sample `weights`.
#[pyfunction]
#[pyo3(signature = (features, labels, predictions, weights=None, *, omega=1.0, temperature=0.07, e=0.01, paper_denominator=false))]
#[allow(clippy::too_many_arguments)]
fn conr<'py>(
    py: Python<'py>,
    features: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    predictions: &Bound<'py, PyAny>,
    weights: Option<&Bound<'py, PyAny>>,
    omega: f64,
    temperature: f64,
    e: f64,
    paper_denominator: bool,
) -> PyResult<(f64, Bound<'py, PyAny>)> {
    let loss = ConR::new(ConrConfig {
        omega,
        temperature,
        e,
        paper_denominator,
    })
    .map_err(value_error)?;
    fn go<'py, F: Real>(
        py: Python<'py>,
        loss: &ConR,
        features: &Bound<'py, PyAny>,
        labels: &Bound<'py, PyAny>,
        predictions: &Bound<'py, PyAny>,
        weights: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(f64, Bound<'py, PyAny>)> {
        let x = matrix::<F>("features", features)?;
        let y = vector::<F>("labels", labels)?;
        let p = vector::<F>("predictions", predictions)?;
        let w = weights.map(|w| vector::<F>("weights", w)).transpose()?;
        let (x, y, p) = (x.as_array(), y.as_array(), p.as_array());
        let w = w.as_ref().map(|w| w.as_array());
        let mut grad = Array2::<F>::zeros(x.raw_dim());
        let out = py
            .detach(|| loss.forward_backward(x, y, p, w, grad.view_mut()))
            .map_err(value_error)?;
        Ok((to_f64(out.value), grad.into_pyarray(py).into_any()))
    }
    by_dtype!(
        "features",
        features,
        go(py, &loss, features, labels, predictions, weights)
    )
}

/// `(value, {"diversity", "tightness"}, grad)` of Ordinal Entropy (Zhang et al. 2023) on raw
/// features `h` (M×D) and `labels`.
#[pyfunction]
#[pyo3(signature = (h, labels, *, diversity_weight, tightness_weight))]
fn ordinal_entropy<'py>(
    py: Python<'py>,
    h: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    diversity_weight: f64,
    tightness_weight: f64,
) -> PyResult<(f64, Bound<'py, PyDict>, Bound<'py, PyAny>)> {
    let loss = OrdinalEntropy::new(diversity_weight, tightness_weight).map_err(value_error)?;
    feature_loss(py, &loss, "h", h, labels)
}

/// `(value, grad)` of Rank-N-Contrast (Zha et al. 2023) on `z` (n×D, n ≥ 2) and `labels`.
#[pyfunction]
#[pyo3(signature = (z, labels, *, tau))]
fn rnc<'py>(
    py: Python<'py>,
    z: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    tau: f64,
) -> PyResult<(f64, Bound<'py, PyAny>)> {
    let loss = RankNContrast::new(tau).map_err(value_error)?;
    let (value, _, grad) = feature_loss(py, &loss, "z", z, labels)?;
    Ok((value, grad))
}

/// A 1-D float array's dtype (float32/float64), for the prediction-side losses.
fn vector_dtype(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Dtype> {
    float_dtype(name, obj)
}

/// `(value, grad)` of a point-wise regression loss (1/M) Σ w_i ℓ(ŷ_i − y_i): `kind` is `l1`,
/// `mse`, `huber` (δ), `focal-l1` or `focal-mse` (factor tanh(β|e|)^γ; β = 0.1 is DIR's default
/// sigmoid β = 0.2).
#[pyfunction]
#[pyo3(signature = (pred, target, weights=None, *, kind="l1", delta=1.0, beta=0.1, gamma=1.0))]
#[allow(clippy::too_many_arguments)]
fn regression_loss<'py>(
    py: Python<'py>,
    pred: &Bound<'py, PyAny>,
    target: &Bound<'py, PyAny>,
    weights: Option<&Bound<'py, PyAny>>,
    kind: &str,
    delta: f64,
    beta: f64,
    gamma: f64,
) -> PyResult<(f64, Bound<'py, PyAny>)> {
    let loss = match kind {
        "l1" => RegressionLoss::L1,
        "mse" => RegressionLoss::Mse,
        "huber" => RegressionLoss::Huber { delta },
        "focal-l1" => RegressionLoss::FocalL1 { beta, gamma },
        "focal-mse" => RegressionLoss::FocalMse { beta, gamma },
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown regression loss `{other}` (l1, mse, huber, focal-l1, focal-mse)"
            )))
        }
    }
    .check()
    .map_err(value_error)?;
    fn go<'py, F: Real>(
        py: Python<'py>,
        loss: &srl_losses::regression::ValidRegressionLoss,
        pred: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        weights: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(f64, Bound<'py, PyAny>)> {
        let p = vector::<F>("pred", pred)?;
        let t = vector::<F>("target", target)?;
        let w = weights.map(|w| vector::<F>("weights", w)).transpose()?;
        let mut grad = Array1::<F>::zeros(p.as_array().len());
        let v = loss
            .forward_backward(
                p.as_array(),
                t.as_array(),
                w.as_ref().map(|w| w.as_array()),
                grad.view_mut(),
            )
            .map_err(value_error)?;
        Ok((to_f64(v), grad.into_pyarray(py).into_any()))
    }
    by_dtype!("pred", pred, go(py, &loss, pred, target, weights))
}

/// `(value, grad_pred, grad_sigma)` of Balanced MSE (Ren et al. 2022) with noise scale σ:
/// `method` `bmc` (batch Monte-Carlo), `bni` (a bucket prior: `prior_centres`,
/// `prior_weights`) or `gai` (a 1-D Gaussian mixture: `gmm_weights`, `gmm_means`,
/// `gmm_variances`).
#[pyfunction]
#[pyo3(signature = (pred, target, sigma, *, method="bmc", prior_centres=None, prior_weights=None, gmm_weights=None, gmm_means=None, gmm_variances=None))]
#[allow(clippy::too_many_arguments)]
fn balanced_mse<'py>(
    py: Python<'py>,
    pred: &Bound<'py, PyAny>,
    target: &Bound<'py, PyAny>,
    sigma: f64,
    method: &str,
    prior_centres: Option<Vec<f64>>,
    prior_weights: Option<Vec<f64>>,
    gmm_weights: Option<Vec<f64>>,
    gmm_means: Option<Vec<f64>>,
    gmm_variances: Option<Vec<f64>>,
) -> PyResult<(f64, Bound<'py, PyAny>, f64)> {
    enum Kind {
        Bmc,
        Bni(BniPrior),
        Gai(GaussianMixture1d),
    }
    let need = |v: Option<Vec<f64>>, name: &str| {
        v.ok_or_else(|| PyValueError::new_err(format!("method `{method}` needs `{name}`")))
    };
    let kind = match method {
        "bmc" => Kind::Bmc,
        "bni" => Kind::Bni(
            BniPrior::new(
                need(prior_centres, "prior_centres")?,
                need(prior_weights, "prior_weights")?,
            )
            .map_err(value_error)?,
        ),
        "gai" => Kind::Gai(
            GaussianMixture1d::new(
                need(gmm_weights, "gmm_weights")?,
                need(gmm_means, "gmm_means")?,
                need(gmm_variances, "gmm_variances")?,
            )
            .map_err(value_error)?,
        ),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown Balanced-MSE method `{other}` (bmc, bni, gai)"
            )))
        }
    };
    fn go<'py, F: Real>(
        py: Python<'py>,
        kind: &Kind,
        pred: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        sigma: f64,
    ) -> PyResult<(f64, Bound<'py, PyAny>, f64)> {
        let p = vector::<F>("pred", pred)?;
        let t = vector::<F>("target", target)?;
        let (p, t) = (p.as_array(), t.as_array());
        let mut grad = Array1::<F>::zeros(p.len());
        let s = F::cst(sigma);
        let out = match kind {
            Kind::Bmc => bmc_forward_backward(p, t, s, grad.view_mut()),
            Kind::Bni(prior) => bni_forward_backward(p, t, s, prior, grad.view_mut()),
            Kind::Gai(gmm) => gai_forward_backward(p, t, s, gmm, grad.view_mut()),
        }
        .map_err(value_error)?;
        Ok((
            to_f64(out.value),
            grad.into_pyarray(py).into_any(),
            to_f64(out.grad_sigma),
        ))
    }
    by_dtype!("pred", pred, go(py, &kind, pred, target, sigma))
}

/// `(value, grad)` of Dist Loss (Nie et al. 2024): the distance between the sorted batch
/// predictions and the pseudo-labels of the training label distribution. `train_labels` fit
/// the kernel density of the pseudo-labels (bandwidth `bandwidth` × their std, the reference's
/// 0.5, on a `grid_size` grid); the batch's pseudo-labels are its B mid-quantiles on that grid;
/// `regularization` is the soft-sort strength ε in label units.
#[pyfunction]
#[pyo3(signature = (pred, train_labels, *, distance="l1", regularization=0.1, bandwidth=0.5, grid_size=512))]
fn dist_loss<'py>(
    py: Python<'py>,
    pred: &Bound<'py, PyAny>,
    train_labels: Vec<f64>,
    distance: &str,
    regularization: f64,
    bandwidth: f64,
    grid_size: usize,
) -> PyResult<(f64, Bound<'py, PyAny>)> {
    let distance = match distance {
        "l1" => Distance::L1,
        "mse" => Distance::Mse,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown distance `{other}` (l1, mse)"
            )))
        }
    };
    let loss = DistLoss::new(distance, regularization).map_err(value_error)?;
    let labels = PseudoLabels::fit(&train_labels, bandwidth, grid_size).map_err(value_error)?;
    fn go<'py, F: Real>(
        py: Python<'py>,
        loss: &DistLoss,
        labels: &PseudoLabels,
        pred: &Bound<'py, PyAny>,
    ) -> PyResult<(f64, Bound<'py, PyAny>)> {
        let p = vector::<F>("pred", pred)?;
        let p = p.as_array();
        let mut pseudo = vec![0.0; p.len()];
        labels.fill(&mut pseudo);
        let mut ws = DistWorkspace::default();
        let mut grad = Array1::<F>::zeros(p.len());
        let v = loss
            .forward_backward(p, &pseudo, &mut ws, grad.view_mut())
            .map_err(value_error)?;
        Ok((v, grad.into_pyarray(py).into_any()))
    }
    match vector_dtype("pred", pred)? {
        Dtype::F32 => go::<f32>(py, &loss, &labels, pred),
        Dtype::F64 => go::<f64>(py, &loss, &labels, pred),
    }
}

/// Registers this module's items.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ranksim, m)?)?;
    m.add_function(wrap_pyfunction!(conr, m)?)?;
    m.add_function(wrap_pyfunction!(ordinal_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(rnc, m)?)?;
    m.add_function(wrap_pyfunction!(regression_loss, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_mse, m)?)?;
    m.add_function(wrap_pyfunction!(dist_loss, m)?)?;
    Ok(())
}
