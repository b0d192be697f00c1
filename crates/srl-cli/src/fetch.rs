//! `srl fetch NAME|all`: put built-in datasets into the data directory (download or
//! `--from-dir`), through the library's one front end, [`srl_data::fetch::fetch_named`].

use crate::cli::FetchArgs;
use crate::error::CliError;
use crate::out::sayln;
use srl_data::fetch::{fetch_named, FetchOptions};
use std::time::Duration;

/// Runs `srl fetch`.
pub fn run(args: &FetchArgs) -> Result<(), CliError> {
    let data_dir = srl_data::datadir::resolve_data_dir(args.data_dir.as_deref());
    let mut opts = FetchOptions::new(&data_dir);
    opts.from_dir = args.from_dir.clone();
    opts.force = args.force;
    opts.base_url_override = args.base_url.clone();
    opts.timeout = Duration::from_secs(args.timeout);
    let mut said = Ok(());
    let result = fetch_named(&args.name, &opts, |report| {
        for file in &report.files {
            if said.is_ok() {
                said = sayln(&file.to_string());
            }
        }
    });
    said?;
    if result?.is_empty() {
        // fetch_named fetches nothing only for a set that is generated when used.
        sayln(&format!(
            "{} is generated when it is used; nothing to fetch",
            args.name
        ))?;
        return Ok(());
    }
    sayln(&format!("data directory: {}", data_dir.display()))?;
    Ok(())
}
