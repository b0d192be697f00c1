//! What the command-line tests share: the fixtures, running the `srl` binary (without
//! `SRL_DATA_DIR`, so a test never reads the shared data by accident) and reading its JSON.

#![allow(dead_code)] // each test file uses a part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `tests/fixtures/<dir>/<name>`.
pub fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name)
}

/// Runs `srl ARGS`, whatever its exit status.
pub fn srl_raw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .env_remove("SRL_DATA_DIR")
        .output()
        .expect("the srl binary runs")
}

/// Runs `srl ARGS`, which must succeed; its standard output.
pub fn srl(args: &[&str]) -> String {
    let o = srl_raw(args);
    assert!(
        o.status.success(),
        "srl {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
