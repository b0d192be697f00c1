//! UCI-DIR benchmarks (paper Table 1): Airfoil, Abalone, Concrete, Real estate.
//!
//! Pipeline (docs/protocols.md), all parameters from the built-in manifest:
//! 1. verify the sha256 of the file, read it ([`crate::tabular::read_tabular`]; nominal
//!    columns one-hot encoded);
//! 2. bins of fixed width from ⌊min y⌋ over the whole file ([`Binning::fit_fixed_width`]);
//! 3. the balanced DIR split ([`crate::split::balanced_split`], cap per bin, split seed);
//! 4. inputs standardised with train mean/std ([`Standardizer`]); targets kept in their units;
//! 5. shot groups by the manifest's rule (terciles for UCI) from the training counts, with
//!    the reference bins = the bins present in the test part; every sample of every part gets
//!    the group of its bin.
//!
//! A bin with fewer than three samples contributes nothing to validation/test (k = 0) and all
//! its rows to training; this is the documented handling, not an error.

use crate::metrics::{shot_of_bins, shots_of_samples, ShotRule};
use crate::names::Named;
use crate::protocol::{Protocol, ProtocolInfo};
use crate::split::{balanced_split, SplitIndices};
use crate::standardize::Standardizer;
use crate::tabular::{read_tabular, TabularData};
use crate::{registry, Benchmark, BenchmarkId, Binning, DataError, LoadOptions, Part};
use ndarray::Axis;

/// Loads a UCI-DIR benchmark with the balanced split of docs/protocols.md.
///
/// ```no_run
/// use srl_data::{datadir::resolve_data_dir, uci::load_uci_benchmark, LoadOptions};
/// let opts = LoadOptions { data_dir: resolve_data_dir(None), split_seed: 0 };
/// let b = load_uci_benchmark("airfoil", &opts).unwrap();
/// assert_eq!((b.train.len(), b.val.len(), b.test.len()), (971, 266, 266));
/// ```
pub fn load_uci_benchmark(name: &str, opts: &LoadOptions) -> Result<Benchmark, DataError> {
    load_uci_benchmark_with(name, opts, &Protocol::Standard)
}

/// [`load_uci_benchmark`] under a test protocol ([`crate::protocol`]): see
/// [`build_benchmark_with`].
pub fn load_uci_benchmark_with(
    name: &str,
    opts: &LoadOptions,
    test_protocol: &Protocol,
) -> Result<Benchmark, DataError> {
    let uci = || {
        BenchmarkId::ALL
            .into_iter()
            .filter(|b| !b.is_operator())
            .map(Named::name)
    };
    if !uci().any(|b| b == name) {
        return Err(DataError::UnknownDataset {
            name: name.to_string(),
            known: uci().collect::<Vec<_>>().join(", "),
        });
    }
    let manifest = registry::builtin(name)?;
    let manifest_path = format!("{}/{name}.toml", registry::MANIFEST_DIR);
    let missing = |what: &str| DataError::Manifest {
        path: manifest_path.clone().into(),
        reason: format!("a UCI-DIR manifest needs {what}"),
    };
    let columns = manifest
        .columns
        .as_ref()
        .ok_or_else(|| missing("[columns]"))?;
    let protocol = manifest
        .protocol
        .as_ref()
        .ok_or_else(|| missing("[protocol]"))?;
    let width = protocol
        .bin_width
        .ok_or_else(|| missing("protocol.bin_width"))?;
    let cap = protocol
        .val_test_cap
        .ok_or_else(|| missing("protocol.val_test_cap"))?;
    let rule = ShotRule::of(protocol.shot_rule)?;
    let entry = manifest.files.first().ok_or_else(|| missing("a file"))?;

    manifest.verify(&opts.data_dir)?;
    let data = read_tabular(
        &manifest.file_path(&opts.data_dir, entry),
        &manifest.format,
        columns,
    )?;
    let binning = Binning::fit_fixed_width(data.targets.as_slice().unwrap_or(&[]), width)?;
    build_benchmark_with(
        name,
        &data,
        binning,
        cap,
        opts.split_seed,
        &rule,
        test_protocol,
    )
}

/// Builds a benchmark from any numeric table with the balanced DIR split: bins from
/// `binning`, `cap` rows per bin to validation and to test, inputs standardised with the
/// training statistics, shots by `rule` (reference bins: those in the test part).
///
/// Errors when the table is empty or the split leaves validation or test empty (every bin
/// has fewer than three rows — use wider or fewer bins).
///
/// ```
/// use srl_data::{metrics::ShotRule, tabular::TabularData, uci::build_benchmark, Binning};
/// let n = 60;
/// let t = TabularData {
///     records: ndarray::Array2::from_shape_fn((n, 2), |(i, j)| (i * (j + 1)) as f64),
///     targets: ndarray::Array1::from_shape_fn(n, |i| (i % 6) as f64),
///     feature_names: vec!["a".into(), "b".into()],
///     target_name: "y".into(),
///     categories: vec![],
/// };
/// let bins = Binning::fit_fixed_width(t.targets.as_slice().unwrap(), 1.0).unwrap();
/// let b = build_benchmark("toy", &t, bins, 2, 0, &ShotRule::Terciles).unwrap();
/// assert_eq!((b.train.len(), b.val.len(), b.test.len()), (36, 12, 12));
/// ```
pub fn build_benchmark(
    name: &str,
    data: &TabularData,
    binning: Binning,
    cap: usize,
    split_seed: u64,
    rule: &ShotRule,
) -> Result<Benchmark, DataError> {
    build_benchmark_with(
        name,
        data,
        binning,
        cap,
        split_seed,
        rule,
        &Protocol::Standard,
    )
}

/// [`build_benchmark`] under a test protocol: after the balanced split, the training and
/// validation rows whose target lies in the protocol's removed range (quantiles of all the
/// table's targets) move to the test part; then the inputs are standardised with the
/// remaining training rows and the shot groups computed from their counts (a removed bin
/// has none). The bins are those of the whole file. `Protocol::Standard` is exactly
/// [`build_benchmark`].
pub fn build_benchmark_with(
    name: &str,
    data: &TabularData,
    binning: Binning,
    cap: usize,
    split_seed: u64,
    rule: &ShotRule,
    protocol: &Protocol,
) -> Result<Benchmark, DataError> {
    if data.is_empty() {
        return Err(DataError::invalid("data", format!("{name}: no rows")));
    }
    if data.records.nrows() != data.targets.len() {
        return Err(DataError::invalid(
            "data",
            format!(
                "{name}: {} input rows but {} targets",
                data.records.nrows(),
                data.targets.len()
            ),
        ));
    }
    let y: Vec<f64> = data.targets.to_vec();
    let bins = binning.bins(&y);
    let split = balanced_split(&bins, cap, split_seed);
    if split.val.is_empty() || split.test.is_empty() {
        return Err(DataError::invalid(
            "split",
            format!(
                "{name}: no bin has 3 or more rows (or cap is 0), so validation/test would be \
                 empty; use wider or fewer bins"
            ),
        ));
    }
    let (split, info) = if protocol.is_standard() {
        (split, None)
    } else {
        let removed = protocol.resolve(&y)?;
        let (split, removed_train, removed_val) = removed.apply_to_split(&split, &y)?;
        let test_y: Vec<f64> = split.test.iter().map(|&i| y[i]).collect();
        let info = ProtocolInfo {
            protocol: protocol.clone(),
            test_in_removed: removed.mask(&test_y),
            removed,
            removed_train,
            removed_val,
            moved_to_test: true,
        };
        (split, Some(info))
    };
    let standardizer = Standardizer::fit(data.records.select(Axis(0), &split.train).view())?;

    let mut train_counts = vec![0usize; binning.num_bins()];
    for &i in &split.train {
        train_counts[bins[i]] += 1;
    }
    let test_bins: Vec<usize> = split.test.iter().map(|&i| bins[i]).collect();
    let per_bin = shot_of_bins(rule, &train_counts, &test_bins);

    let part = |rows: &[usize]| -> Result<Part, DataError> {
        let mut x = data.records.select(Axis(0), rows);
        standardizer.transform_inplace(&mut x)?;
        let part_bins: Vec<usize> = rows.iter().map(|&i| bins[i]).collect();
        Ok(Part {
            out_of_range: vec![false; rows.len()],
            x,
            y: data.targets.select(Axis(0), rows),
            shots: shots_of_samples(&per_bin, &part_bins),
            bins: part_bins,
        })
    };
    let SplitIndices { train, val, test } = &split;
    Ok(Benchmark {
        name: crate::DataName::of(name),
        train: part(train)?,
        val: part(val)?,
        test: part(test)?,
        binning,
        feature_names: data.feature_names.clone(),
        target_name: data.target_name.clone(),
        table: None,
        relevance: None,
        relevance_error: None,
        protocol: info,
    }
    .with_relevance())
}
