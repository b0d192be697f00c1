//! `cargo xtask fetch <name>|all`: download (or import with `--from-dir`) the built-in
//! datasets into the data directory, verifying every sha256 (see `srl_data::fetch`).
//! abalone, concrete and real-estate are made from what UCI serves (`abalone.data`,
//! `Concrete_Data.xls`, `Real estate valuation data set.xlsx`) by the converters of
//! `srl_data::convert`; the original's and the resulting CSV's sha256 are both checked.
//!
//! The data directory is `--data-dir`, else `$SRL_DATA_DIR`, else the repository's
//! git-ignored `datasets/cache/`. One line is printed per file; any failure makes the command
//! exit non-zero with the error (which names the dataset, the URL and what to do).
//!
//! `srl fetch` (crates/srl-cli) is the same front end over the same library call,
//! [`srl_data::fetch::fetch_dataset`], for users of the binary; this one stays because the data
//! library's own messages point developers at `cargo xtask fetch NAME`, and it adds `--timeout`
//! and, with `all`, tries every dataset before reporting the ones that failed (`srl fetch all`
//! stops at the first).

use crate::error::{Result, XtaskError};
use srl_data::datadir::resolve_data_dir;
use srl_data::fetch::{fetch_dataset, FetchOptions};
use srl_data::registry::{builtin, builtin_names};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `cargo xtask fetch`.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// A built-in dataset name (airfoil, abalone, …) or `all`.
    pub name: String,
    /// Data directory to fill [default: $SRL_DATA_DIR, else datasets/cache/].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Import files placed by hand in DIR (as `DIR/<dataset>/<file>` or `DIR/<file>`) instead of
    /// downloading; for abalone, concrete and real-estate the UCI original (abalone.data,
    /// Concrete_Data.xls, the .xlsx) is accepted too and converted. Checksums are verified all
    /// the same.
    #[arg(long, value_name = "DIR")]
    pub from_dir: Option<PathBuf>,
    /// Fetch again even files that are present with the right checksum.
    #[arg(long)]
    pub force: bool,
    /// Network timeout in seconds (connect, response, and each read of the body).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// Fetch from a mirror: replaces scheme and host of every canonical URL, keeping its path.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// The dataset names `name` stands for: every built-in one for `all`, else `name` itself.
fn selected_names(name: &str) -> Vec<String> {
    if name == "all" {
        builtin_names().iter().map(|s| s.to_string()).collect()
    } else {
        vec![name.to_string()]
    }
}

/// Runs `cargo xtask fetch`. With `all`, every dataset is attempted and the failures are
/// summarised at the end.
pub fn run(args: &FetchArgs) -> Result<()> {
    let opts = FetchOptions {
        data_dir: resolve_data_dir(args.data_dir.as_deref()),
        from_dir: args.from_dir.clone(),
        timeout: Duration::from_secs(args.timeout.max(1)),
        base_url_override: args.base_url.clone(),
        force: args.force,
    };
    println!("data dir: {}", opts.data_dir.display());
    if let Some(dir) = &opts.from_dir {
        println!("importing from: {}", dir.display());
    }

    let names = selected_names(&args.name);
    let mut failed = Vec::new();
    for name in &names {
        let result = builtin(name).and_then(|m| fetch_dataset(&m, &opts));
        match result {
            Ok(report) => {
                for file in &report.files {
                    println!("{file}");
                }
            }
            Err(e) if names.len() == 1 => return Err(e.into()),
            Err(e) => {
                eprintln!("{name}: error: {e}");
                failed.push(name.as_str());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(XtaskError::RunsFailed(format!(
            "{} of {} datasets failed: {}",
            failed.len(),
            names.len(),
            failed.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: FetchArgs,
    }

    #[test]
    fn parses_flags() {
        let w = Wrapper::parse_from([
            "fetch",
            "airfoil",
            "--data-dir",
            "/d",
            "--from-dir",
            "/in",
            "--force",
        ]);
        assert_eq!(w.args.name, "airfoil");
        assert_eq!(w.args.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(w.args.from_dir, Some(PathBuf::from("/in")));
        assert!(w.args.force);
        assert_eq!(w.args.timeout, 60);
    }

    #[test]
    fn all_expands_to_every_builtin() {
        assert_eq!(selected_names("all").len(), builtin_names().len());
        assert_eq!(selected_names("airfoil"), vec!["airfoil".to_string()]);
    }

    #[test]
    fn unknown_dataset_is_an_error_listing_known_names() {
        let tmp = tempfile::tempdir().unwrap();
        let w = Wrapper::parse_from(["fetch", "mnist", "--data-dir", tmp.path().to_str().unwrap()]);
        let err = run(&w.args).unwrap_err().to_string();
        assert!(err.contains("mnist") && err.contains("airfoil"), "{err}");
    }

    #[test]
    fn import_from_empty_dir_fails_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let inbox = tmp.path().join("inbox");
        std::fs::create_dir(&inbox).unwrap();
        let data = tmp.path().join("data");
        let w = Wrapper::parse_from([
            "fetch",
            "all",
            "--data-dir",
            data.to_str().unwrap(),
            "--from-dir",
            inbox.to_str().unwrap(),
        ]);
        let err = run(&w.args).unwrap_err().to_string();
        assert!(err.contains("datasets failed"), "{err}");
        assert!(!data.exists() || std::fs::read_dir(&data).unwrap().next().is_none());
    }
}
