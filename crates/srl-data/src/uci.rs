//! UCI-DIR benchmarks (scaffold: to be replaced by the data helper).
use crate::{Benchmark, DataError, LoadOptions};

/// Loads a UCI-DIR benchmark with the balanced split of PROTOCOLS.md.
pub fn load_uci_benchmark(name: &str, _opts: &LoadOptions) -> Result<Benchmark, DataError> {
    Err(DataError::invalid(
        "benchmark",
        format!("{name}: UCI loading not built yet"),
    ))
}
