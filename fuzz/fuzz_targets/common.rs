//! Helpers shared by the fuzz targets.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A file the target rewrites with every input, for entry points that only take a path. It
/// lives in `/dev/shm` (memory) when that exists, so the write costs microseconds; the name
/// holds the process id, so concurrent fuzzers never share it.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A scratch file whose name ends in `name` (its extension and stem are what the parser
    /// sees).
    pub fn new(name: &str) -> Self {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let path = dir.join(format!("srl-fuzz-{}-{name}", std::process::id()));
        Self { path }
    }

    /// Writes `bytes` to the file and returns its path.
    pub fn write(&self, bytes: &[u8]) -> &Path {
        std::fs::write(&self.path, bytes).expect("the scratch file is writable");
        &self.path
    }
}

/// Checks what every [`srl_data::Benchmark`] promises: per part as many inputs, targets, bins
/// and shot groups; the input width of the feature names; finite inputs and targets; bins
/// inside the binning.
pub fn check_benchmark(b: &srl_data::Benchmark) {
    let k = b.binning.num_bins();
    for (name, p) in [("train", &b.train), ("val", &b.val), ("test", &b.test)] {
        let n = p.y.len();
        assert_eq!(p.x.nrows(), n, "{name}: rows of x");
        assert_eq!(p.bins.len(), n, "{name}: bins");
        assert_eq!(p.shots.len(), n, "{name}: shots");
        assert_eq!(p.x.ncols(), b.feature_names.len(), "{name}: input width");
        assert!(
            p.x.iter().all(|v| v.is_finite()),
            "{name}: non-finite input"
        );
        assert!(
            p.y.iter().all(|v| v.is_finite()),
            "{name}: non-finite target"
        );
        assert!(p.bins.iter().all(|&i| i < k), "{name}: bin beyond {k}");
    }
}
