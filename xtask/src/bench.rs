//! `cargo xtask bench`: run the criterion benchmarks of the library crates with optimisations
//! (`cargo bench` over the default members, i.e. `crates/*`), passing extra arguments through
//! to criterion (e.g. `cargo xtask bench -- srl_objective`).

use std::ffi::OsString;
use std::process::Command;

/// Flags of `cargo xtask bench`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BenchArgs {
    /// Only the benchmarks of this package (e.g. `srl-losses`).
    #[arg(long, short = 'p', value_name = "PACKAGE")]
    pub package: Option<String>,
    /// Arguments passed to criterion after `--` (a filter, `--quick`, …).
    #[arg(last = true, value_name = "CRITERION ARGS")]
    pub criterion_args: Vec<String>,
}

/// The `cargo bench …` arguments for `args`.
pub fn cargo_args(args: &BenchArgs) -> Vec<String> {
    let mut out = vec!["bench".to_string()];
    if let Some(p) = &args.package {
        out.push("-p".into());
        out.push(p.clone());
    }
    if !args.criterion_args.is_empty() {
        out.push("--".into());
        out.extend(args.criterion_args.iter().cloned());
    }
    out
}

/// Runs `cargo xtask bench`.
pub fn run(args: &BenchArgs) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let status = Command::new(&cargo)
        .current_dir(crate::reproduce::repo_root())
        .args(cargo_args(args))
        .status()
        .map_err(|e| format!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    if status.success() {
        Ok(())
    } else {
        Err("cargo bench failed (see the output above)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_pass_through() {
        assert_eq!(cargo_args(&BenchArgs::default()), vec!["bench"]);
        let a = BenchArgs {
            package: Some("srl-losses".into()),
            criterion_args: vec!["srl_objective".into(), "--quick".into()],
        };
        assert_eq!(
            cargo_args(&a),
            vec![
                "bench",
                "-p",
                "srl-losses",
                "--",
                "srl_objective",
                "--quick"
            ]
        );
    }
}
