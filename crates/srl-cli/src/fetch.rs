//! `srl fetch`: put a built-in dataset into the data directory (download or `--from-dir`).

use crate::cli::FetchArgs;
use crate::error::CliError;
use crate::out::sayln;
use srl_data::fetch::{fetch_dataset, FetchOptions};

/// Benchmarks that are generated on the fly and have nothing to fetch.
pub const GENERATED: &[&str] = &["iol-linear"];

/// Runs `srl fetch`.
pub fn run(args: &FetchArgs) -> Result<(), CliError> {
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    let names: Vec<&str> = if args.name == "all" {
        srl_data::registry::builtin_names().to_vec()
    } else if GENERATED.contains(&args.name.as_str()) {
        sayln(&format!(
            "{} is generated when it is used; nothing to fetch",
            args.name
        ))?;
        return Ok(());
    } else {
        vec![args.name.as_str()]
    };
    let mut opts = FetchOptions::new(&data_dir);
    opts.from_dir = args.from_dir.clone();
    opts.force = args.force;
    opts.base_url_override = args.base_url.clone();
    for name in names {
        let manifest = srl_data::registry::builtin(name)?;
        let report = fetch_dataset(&manifest, &opts)?;
        for file in &report.files {
            sayln(&file.to_string())?;
        }
    }
    sayln(&format!("data directory: {}", data_dir.display()))?;
    Ok(())
}
