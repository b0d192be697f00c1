//! Where the data lives.
//!
//! Resolution order: an explicit path (a `--data-dir` flag), then the `SRL_DATA_DIR`
//! environment variable, then the git-ignored cache folder `datasets/cache/` of this
//! repository. The folder holds one sub-folder per dataset (`airfoil/`, `iol-sde/`, …), laid
//! out exactly like `../shared/datasets`.

use std::path::{Path, PathBuf};

/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "SRL_DATA_DIR";

/// The default cache folder: `<repo>/datasets/cache`.
pub fn default_cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/cache")
}

/// Resolves the data directory: `flag`, else `$SRL_DATA_DIR`, else [`default_cache_dir`].
///
/// ```
/// let d = srl_data::datadir::resolve_data_dir(Some(std::path::Path::new("/data/srl")));
/// assert_eq!(d, std::path::PathBuf::from("/data/srl"));
/// ```
pub fn resolve_data_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    match std::env::var_os(DATA_DIR_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => default_cache_dir(),
    }
}

/// The data directory for tests and CI: `$SRL_DATA_DIR` if set, else the project's shared
/// copy at `<repo>/../shared/datasets`. Returns `None` when neither exists.
pub fn shared_data_dir() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os(DATA_DIR_ENV) {
        if !v.is_empty() {
            let p = PathBuf::from(v);
            return p.is_dir().then_some(p);
        }
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    p.is_dir().then_some(p)
}

/// The shared data directory for a test that needs `needs` (a path inside it, e.g.
/// `airfoil/airfoil_self_noise.dat`, or `""` for the folder itself), or `None` after printing
/// `skipped: <test>: …` — a test that returns on `None` never passes silently. Under CI (the
/// `CI` environment variable set, as `.ci/run` is run) a missing folder or file is a failure,
/// not a skip: CI always has the data.
pub fn data_for_test(test: &str, needs: &str) -> Option<PathBuf> {
    let found = shared_data_dir().filter(|d| needs.is_empty() || d.join(needs).exists());
    if found.is_none() {
        let what = if needs.is_empty() {
            "the shared data folder".to_string()
        } else {
            format!("`{needs}` in the shared data folder")
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: CI must have {what} (set {DATA_DIR_ENV} or provide ../shared/datasets)"
        );
        eprintln!("skipped: {test}: no {what} (set {DATA_DIR_ENV} or provide ../shared/datasets)");
    }
    found
}
