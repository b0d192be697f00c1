//! IOL generators (scaffold: to be replaced by the IOL helper).
use crate::{Benchmark, DataError};
use std::path::Path;

/// Settings of the linear (antiderivative) IOL generator.
#[derive(Debug, Clone, Default)]
pub struct LinearIolConfig {}

/// The linear (antiderivative) IOL benchmark.
pub fn linear_benchmark(_cfg: &LinearIolConfig, _seed: u64) -> Result<Benchmark, DataError> {
    Err(DataError::invalid("benchmark", "iol-linear not built yet"))
}

/// The nonlinear (stochastic elliptic) IOL benchmark.
pub fn sde_benchmark(_data_dir: &Path, _seed: u64) -> Result<Benchmark, DataError> {
    Err(DataError::invalid("benchmark", "iol-sde not built yet"))
}
