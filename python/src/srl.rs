//! The SRL objective and its surrogate memory for Python.
//!
//! The objective ([`SrlLoss`]) keeps what does not change during training (K, d, the bin
//! centres, the hyper-parameters, the enveloping points); the memory's state (S, the seen
//! flags, the epoch's per-bin sums and counts, the number of updates) stays with the caller —
//! a NumPy object or a PyTorch module's buffers — and is handed over on every call
//! ([`Surrogate::from_state`]), so that a framework's checkpoints and all-reduce see it.

use crate::arrays::{bins, float_dtype, matrix, value_error, Dtype, Real};
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use srl_losses::objective::{SrlConfig, SrlObjective, SrlParams, ValidSrlConfig};
use srl_surrogate::{MemoryParams, Surrogate, SurrogateConfig};

/// The named SRL presets (`SrlParams` constructors), as JSON text.
#[pyfunction]
pub fn srl_preset(name: &str) -> PyResult<String> {
    let params = match name {
        "paper" => SrlParams::paper(),
        "authors-code" => SrlParams::authors_code(),
        "tabular" => SrlParams::tabular(),
        "operator" => SrlParams::operator(),
        "iol-linear" => SrlParams::iol_linear(),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown SRL preset `{other}` (paper, authors-code, tabular, operator, iol-linear)"
            )))
        }
    };
    serde_json::to_string(&params).map_err(value_error)
}

/// The SRL objective L = λ_e·L_env + λ_h·L_homo + λ_c·L_con on raw features h (M×d) and their
/// label bins, for float32 and float64 (one objective per dtype, built on first use from the
/// same seed).
#[pyclass(module = "srldir._core")]
pub struct SrlLoss {
    config: ValidSrlConfig,
    f32: Option<SrlObjective<f32>>,
    f64: Option<SrlObjective<f64>>,
    epoch: usize,
}

impl SrlLoss {
    fn objective<F: Real>(&mut self) -> PyResult<&mut SrlObjective<F>>
    where
        Self: Holds<F>,
    {
        if self.slot().is_none() {
            let mut objective = SrlObjective::<F>::new(self.config.clone()).map_err(value_error)?;
            objective.start_epoch(self.epoch);
            *self.slot() = Some(objective);
        }
        Ok(self.slot().as_mut().expect("built above"))
    }

    fn memory_config(&self) -> SurrogateConfig {
        let c = self.config.config();
        SurrogateConfig::with_params(c.num_bins, c.dim, c.params.memory)
    }

    fn forward<'py, F: Real>(
        &mut self,
        py: Python<'py>,
        h: &Bound<'py, PyAny>,
        bins_obj: &Bound<'py, PyAny>,
        memory: &Bound<'py, PyAny>,
        seen: PyReadonlyArray1<'py, bool>,
    ) -> PyResult<Forward<'py, F>>
    where
        Self: Holds<F>,
    {
        let h = matrix::<F>("h", h)?;
        let memory = matrix::<F>("memory", memory)?;
        let bins = bins("bins", bins_obj)?;
        let surrogate = Surrogate::from_memory(
            self.memory_config(),
            memory.as_array().to_owned(),
            seen.as_array().to_vec(),
        )
        .map_err(value_error)?;
        let weights = self.config.config().params.weights;
        let objective = self.objective::<F>()?;
        let h = h.as_array();
        let mut grad = Array2::<F>::zeros(h.raw_dim());
        let parts = py
            .detach(|| objective.evaluate_into(h, &bins, &surrogate, grad.view_mut()))
            .map_err(value_error)?;
        let f = |v: F| v.to_f64().unwrap_or(f64::NAN);
        Ok((
            f(parts.total(&weights)),
            f(parts.envelope),
            f(parts.homogeneity),
            f(parts.contrastive),
            grad.into_pyarray(py),
        ))
    }
}

/// `(total, envelope, homogeneity, contrastive, grad_h)` of one evaluation.
type Forward<'py, F> = (f64, f64, f64, f64, Bound<'py, PyArray2<F>>);

/// Which objective slot holds `F`.
pub trait Holds<F> {
    fn slot(&mut self) -> &mut Option<SrlObjective<F>>;
}

impl Holds<f32> for SrlLoss {
    fn slot(&mut self) -> &mut Option<SrlObjective<f32>> {
        &mut self.f32
    }
}

impl Holds<f64> for SrlLoss {
    fn slot(&mut self) -> &mut Option<SrlObjective<f64>> {
        &mut self.f64
    }
}

#[pymethods]
impl SrlLoss {
    /// `SrlLoss(centres, dim, params_json, seed)`: K = len(centres) bins with increasing
    /// centres, d = dim, the hyper-parameters as the JSON of `srl_preset` (every field
    /// checked; the error names it), the enveloping points drawn from `seed`.
    #[new]
    fn new(centres: Vec<f64>, dim: usize, params_json: &str, seed: u64) -> PyResult<Self> {
        let params: SrlParams = serde_json::from_str(params_json).map_err(value_error)?;
        let mut config = SrlConfig::new(centres.len(), dim, centres, params);
        config.seed = seed;
        let config = config.check().map_err(value_error)?;
        Ok(Self {
            config,
            f32: None,
            f64: None,
            epoch: 0,
        })
    }

    /// Number of bins K.
    #[getter]
    fn num_bins(&self) -> usize {
        self.config.config().num_bins
    }

    /// Feature dimension d.
    #[getter]
    fn dim(&self) -> usize {
        self.config.config().dim
    }

    /// The bin centres.
    #[getter]
    fn centres<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.config.config().bin_centres)
    }

    /// The checked hyper-parameters, as JSON.
    #[getter]
    fn params_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.config.config().params).map_err(value_error)
    }

    /// Starts epoch `epoch` (redraws the points under the per-epoch policy).
    fn start_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
        if let Some(o) = &mut self.f32 {
            o.start_epoch(epoch);
        }
        if let Some(o) = &mut self.f64 {
            o.start_epoch(epoch);
        }
    }

    /// The enveloping points (N×d) in `dtype`.
    fn points<'py>(&mut self, py: Python<'py>, dtype: &str) -> PyResult<Bound<'py, PyAny>> {
        Ok(match Dtype::parse(dtype)? {
            Dtype::F32 => self
                .objective::<f32>()?
                .envelope()
                .points()
                .to_owned()
                .into_pyarray(py)
                .into_any(),
            Dtype::F64 => self
                .objective::<f64>()?
                .envelope()
                .points()
                .to_owned()
                .into_pyarray(py)
                .into_any(),
        })
    }

    /// `(total, envelope, homogeneity, contrastive, grad_h)` for raw features `h` (M×d,
    /// float32 or float64), their `bins`, the memory S (K×d, h's dtype) and the seen flags.
    fn forward_backward<'py>(
        &mut self,
        py: Python<'py>,
        h: &Bound<'py, PyAny>,
        bins: &Bound<'py, PyAny>,
        memory: &Bound<'py, PyAny>,
        seen: PyReadonlyArray1<'py, bool>,
    ) -> PyResult<(f64, f64, f64, f64, Bound<'py, PyAny>)> {
        Ok(match float_dtype("h", h)? {
            Dtype::F32 => {
                let (t, e, ho, c, g) = self.forward::<f32>(py, h, bins, memory, seen)?;
                (t, e, ho, c, g.into_any())
            }
            Dtype::F64 => {
                let (t, e, ho, c, g) = self.forward::<f64>(py, h, bins, memory, seen)?;
                (t, e, ho, c, g.into_any())
            }
        })
    }

    /// Whether the SRL terms are on in `epoch` (after the warm-up).
    fn is_active(&self, epoch: usize) -> bool {
        epoch >= self.config.config().params.memory.warmup_epochs
    }
}

/// The memory state a caller keeps: S (K×d), seen (K), sums (K×d, f64), counts (K, int64) and
/// the number of updates.
type State<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<i64>>,
    usize,
);

/// A caller's memory state as Python passes it: the tuple `(memory, seen, sums, counts,
/// updates)` of [`State`].
#[derive(FromPyObject)]
pub struct StateIn<'py>(
    Bound<'py, PyAny>,
    PyReadonlyArray1<'py, bool>,
    PyReadonlyArray2<'py, f64>,
    PyReadonlyArray1<'py, i64>,
    usize,
);

/// Builds the surrogate of a caller's state (checked as a resumed one).
fn surrogate<F: Real>(state: &StateIn<'_>, momentum: f64) -> PyResult<Surrogate<F>> {
    let StateIn(memory, seen, sums, counts, updates) = state;
    let memory = matrix::<F>("memory", memory)?;
    let counts = counts
        .as_array()
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            usize::try_from(c)
                .map_err(|_| PyValueError::new_err(format!("counts[{i}] = {c} is negative")))
        })
        .collect::<PyResult<Vec<usize>>>()?;
    // The warm-up is the objective's business (`SrlLoss::is_active`), not the memory's.
    let memory_params = MemoryParams {
        momentum,
        ..MemoryParams::default()
    };
    memory_params.check().map_err(value_error)?;
    let (k, d) = memory.as_array().dim();
    Surrogate::from_state(
        SurrogateConfig::with_params(k, d, memory_params),
        memory.as_array().to_owned(),
        seen.as_array().to_vec(),
        sums.as_array().to_owned(),
        counts,
        *updates,
    )
    .map_err(value_error)
}

/// The state of a surrogate, for the caller to keep.
fn state_of<'py, F: Real>(py: Python<'py>, s: &Surrogate<F>) -> State<'py> {
    (
        s.memory().to_owned().into_pyarray(py).into_any(),
        PyArray1::from_slice(py, s.seen()),
        s.pending_sums().to_owned().into_pyarray(py),
        PyArray1::from_iter(py, s.pending_counts().iter().map(|&c| c as i64)),
        s.num_updates(),
    )
}

/// One operation on a caller's memory state, in the memory's dtype.
trait MemoryOp {
    fn apply<F: Real>(&self, s: &mut Surrogate<F>) -> PyResult<()>;
}

/// Rebuilds the surrogate of a caller's state, applies `op` and returns the new state.
fn on_state<'py, O: MemoryOp>(
    py: Python<'py>,
    op: &O,
    state: &StateIn<'py>,
    momentum: f64,
) -> PyResult<State<'py>> {
    fn go<'py, F: Real, O: MemoryOp>(
        py: Python<'py>,
        op: &O,
        mut s: Surrogate<F>,
    ) -> PyResult<State<'py>> {
        op.apply(&mut s)?;
        Ok(state_of(py, &s))
    }
    match float_dtype("memory", &state.0)? {
        Dtype::F32 => go::<f32, O>(py, op, surrogate(state, momentum)?),
        Dtype::F64 => go::<f64, O>(py, op, surrogate(state, momentum)?),
    }
}

/// Adds h/‖h‖ of a batch to the epoch's sums.
struct Accumulate<'a, 'py> {
    h: &'a Bound<'py, PyAny>,
    bins: Vec<usize>,
}

impl MemoryOp for Accumulate<'_, '_> {
    fn apply<F: Real>(&self, s: &mut Surrogate<F>) -> PyResult<()> {
        let h = matrix::<F>("h", self.h)?;
        let (z, _) = srl_geometry::normalize_rows(h.as_array());
        s.accumulate(z.view(), &self.bins).map_err(value_error)
    }
}

/// The memory update of the epoch.
struct EndEpoch;

impl MemoryOp for EndEpoch {
    fn apply<F: Real>(&self, s: &mut Surrogate<F>) -> PyResult<()> {
        s.end_epoch().map_err(value_error)
    }
}

/// Adds the normalised rows h/‖h‖ of a batch to the epoch's per-bin sums; returns the new
/// state `(memory, seen, sums, counts, updates)` (memory unchanged).
#[pyfunction]
pub fn memory_accumulate<'py>(
    py: Python<'py>,
    h: &Bound<'py, PyAny>,
    bins_obj: &Bound<'py, PyAny>,
    state: StateIn<'py>,
    momentum: f64,
) -> PyResult<State<'py>> {
    let op = Accumulate {
        h,
        bins: bins("bins", bins_obj)?,
    };
    on_state(py, &op, &state, momentum)
}

/// The memory update of paper Eq. 9 from the accumulated sums (first update of a bin copies
/// its mean); returns the new state (sums and counts cleared).
#[pyfunction]
pub fn memory_end_epoch<'py>(
    py: Python<'py>,
    state: StateIn<'py>,
    momentum: f64,
) -> PyResult<State<'py>> {
    on_state(py, &EndEpoch, &state, momentum)
}

/// The state itself, checked as a resumed one (shapes, finite values, zero rows for bins never
/// seen); returns it as [`State`] arrays.
struct Unchanged;

impl MemoryOp for Unchanged {
    fn apply<F: Real>(&self, _: &mut Surrogate<F>) -> PyResult<()> {
        Ok(())
    }
}

/// Checks a memory state `(memory, seen, sums, counts, updates)` as a resumed Rust state is
/// checked (`ValueError` naming the problem) and returns it as arrays of the expected dtypes.
#[pyfunction]
pub fn memory_check<'py>(
    py: Python<'py>,
    state: StateIn<'py>,
    momentum: f64,
) -> PyResult<State<'py>> {
    on_state(py, &Unchanged, &state, momentum)
}

/// Registers this module's items.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SrlLoss>()?;
    m.add_function(wrap_pyfunction!(srl_preset, m)?)?;
    m.add_function(wrap_pyfunction!(memory_accumulate, m)?)?;
    m.add_function(wrap_pyfunction!(memory_end_epoch, m)?)?;
    m.add_function(wrap_pyfunction!(memory_check, m)?)?;
    Ok(())
}
