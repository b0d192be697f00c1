//! Your own table: a raw CSV/TSV/whitespace file → a ready-to-train [`Benchmark`], with every
//! fitted preprocessing step kept in a [`Preprocessor`] so that raw rows can later be mapped
//! to the model's inputs (`srl predict`).
//!
//! [`prepare`] does, in order (every error names file, line, column or field):
//! 1. **read** ([`read_table`]): delimiter and header detected unless given (see
//!    [`sniff_layout`]); a headless file's columns are `col1`,
//!    `col2`, …; rows of empty fields are skipped; the file's sha256 is recorded;
//! 2. **columns**: the inputs are `features`, or every column but the target, the `exclude`d
//!    ones and the split column; each is numeric, or categorical (string values, or listed in
//!    `categorical`); date-like and free-text columns are refused with a hint;
//! 3. **target**: numeric, never missing, at least [`MIN_ROWS`] rows and two distinct values;
//! 4. **split** ([`SplitSpec`]): stratified by target bin (default 70/15/15), the DIR
//!    benchmark's balanced split, or the user's split column;
//! 5. **bins** (`bins`, else [`auto_bins`] on the training targets), refused when there are
//!    at least as many bins as training rows;
//! 6. **preprocessing** fitted on the training rows ([`Preprocessor`]), applied to all parts:
//!    suspected missing-value codes ([`suspected_codes`]: `9999` among values in [7, 22]) are
//!    reported and, unless kept, read as missing; numeric inputs are clipped to their
//!    training range unless clipping is off; shot groups by terciles of the training bin
//!    counts (as UCI-DIR);
//! 7. **warnings** (not errors): a numeric input nearly equal to the target (|r| ≥ 0.9 on the
//!    training rows — leakage?), the target a near-exact linear function of the inputs
//!    (R² ≥ 0.999), bins with few training rows on average, validation/test rows outside the
//!    training range, skipped empty rows, suspected missing-value codes.

pub(crate) mod info;
mod prep;
mod sentinel;
mod spec;

pub use info::{ModelInput, TableInfo};
pub use prep::{
    column_index, looks_like_date, read_targets, CodeReport, ColumnKind, InputColumn, Preprocessor,
    Scaling, Transformed, MAX_FREE_CATEGORIES,
};
pub use sentinel::{suspected_codes, MissingCodes, SuspectedCode, CODE_Z, ISOLATION_RATIO};
pub use spec::{
    Impute, InputScale, SplitSpec, TableSpec, UnknownCategory, DEFAULT_MISSING, DEFAULT_TEST_SIZE,
    DEFAULT_VAL_SIZE, DEFAULT_VAL_TEST_CAP, MIN_ROWS,
};

use crate::benchmark::{Benchmark, Part};
pub use crate::binning::auto_bins;
use crate::metrics::{shot_of_bins, shots_of_samples, ShotRule};
use crate::split::{balanced_split, stratified_folds, stratified_split, SplitIndices};
use crate::tabular::{sniff_layout, RawTable, TextLayout};
use crate::{Binning, DataError};
use ndarray::{Array1, Array2, Axis};
use prep::short_number;
use std::path::Path;

/// Reads the file of `spec` with its (given or detected) layout; returns the table, the layout
/// and the sha256 of the bytes.
pub fn read_table(spec: &TableSpec) -> Result<(RawTable, TextLayout, String), DataError> {
    read_table_at(&spec.path, spec.delimiter, spec.header)
}

/// Reads a table at `path`, detecting the delimiter and the header unless given.
pub fn read_table_at(
    path: &Path,
    delimiter: Option<crate::tabular::Delimiter>,
    header: Option<bool>,
) -> Result<(RawTable, TextLayout, String), DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let sha256 = crate::checksum::sha256_hex(&bytes);
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        DataError::Parse {
            path: path.to_path_buf(),
            line: upto.iter().filter(|&&b| b == b'\n').count() + 1,
            reason: "invalid UTF-8 (save the file as UTF-8)".into(),
        }
    })?;
    if text.trim().is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let sniffed = sniff_layout(&text);
    let delimiter = match (delimiter, sniffed) {
        (Some(d), _) => d,
        (None, Some(l)) => l.delimiter,
        (None, None) => {
            return Err(DataError::Parse {
                path: path.to_path_buf(),
                line: 1,
                reason: "cannot detect the delimiter: no candidate (`,` `;` tab `|` \
                         whitespace) splits the first lines into the same number (≥ 2) of \
                         fields; give it with --delimiter"
                    .into(),
            })
        }
    };
    let mut layout = TextLayout {
        delimiter,
        header: false,
        quoting: true,
    };
    layout.header = match header {
        Some(h) => h,
        // The detected header only counts if it was detected with the same delimiter.
        None => sniffed.is_none_or(|l| l.delimiter != delimiter || l.header),
    };
    let names: Option<Vec<String>> = if layout.header {
        None
    } else {
        let first =
            text.lines()
                .find(|l| !l.trim().is_empty())
                .ok_or_else(|| DataError::EmptyFile {
                    path: path.to_path_buf(),
                })?;
        let n = crate::tabular::split_line(first.trim_end_matches('\r'), &layout)
            .map_err(|reason| DataError::Parse {
                path: path.to_path_buf(),
                line: 1,
                reason,
            })?
            .len();
        Some((1..=n).map(|i| format!("col{i}")).collect())
    };
    let table = RawTable::parse_str(&text, path, &layout, names.as_deref())?;
    if layout.header {
        for (j, n) in table.names.iter().enumerate() {
            if n.is_empty() {
                return Err(DataError::invalid(
                    "columns",
                    format!(
                        "{}: column {} has an empty name in the header",
                        path.display(),
                        j + 1
                    ),
                ));
            }
        }
    }
    Ok((table, layout, sha256))
}

/// Reads, splits, bins and preprocesses the table of `spec` (see the module docs); the
/// benchmark's [`table`](Benchmark::table) says how.
pub fn prepare(spec: &TableSpec) -> Result<Benchmark, DataError> {
    spec.check()?;
    let (table, layout, sha256) = read_table(spec)?;
    prepare_read(spec, table, layout, sha256)
}

/// [`prepare`] on a table already read.
pub fn prepare_read(
    spec: &TableSpec,
    table: RawTable,
    layout: TextLayout,
    sha256: String,
) -> Result<Benchmark, DataError> {
    let (split, fixed_bins) = split_rows(spec, &table)?;
    prepare_split(spec, &table, layout, sha256, split, fixed_bins)
}

/// The rows of each part under `spec`'s split, after checking the target (numeric, at least
/// [`MIN_ROWS`] rows, not constant, not overflowing); for the balanced split also the bins
/// it was made with (which are the training bins).
pub fn split_rows(
    spec: &TableSpec,
    table: &RawTable,
) -> Result<(SplitIndices, Option<(Binning, String)>), DataError> {
    spec.check()?;
    let y_vec = checked_targets(spec, table)?;
    let (split, bins) = split_by(&spec.split, spec, table, &y_vec)?;
    if matches!(spec.split, SplitSpec::CrossValidation { .. }) {
        // the protocol applied to the outer split already
        return Ok((split, bins));
    }
    Ok((apply_protocol(spec, &split, &y_vec)?, bins))
}

/// `split` under `spec`'s protocol: the training and validation rows in the removed range
/// (quantiles of every target of the table) move to the test part.
fn apply_protocol(
    spec: &TableSpec,
    split: &SplitIndices,
    y_vec: &[f64],
) -> Result<SplitIndices, DataError> {
    if spec.protocol.is_standard() {
        return Ok(split.clone());
    }
    let removed = spec.protocol.resolve(y_vec)?;
    Ok(removed.apply_to_split(split, y_vec)?.0)
}

fn split_by(
    how: &SplitSpec,
    spec: &TableSpec,
    table: &RawTable,
    y_vec: &[f64],
) -> Result<(SplitIndices, Option<(Binning, String)>), DataError> {
    let mut balanced_bins: Option<(Binning, String)> = None;
    let split = match how {
        SplitSpec::CrossValidation {
            outer,
            folds,
            fold,
            seed,
        } => {
            let (o, _) = split_by(outer, spec, table, y_vec)?;
            let o = apply_protocol(spec, &o, y_vec)?;
            let mut pool: Vec<usize> = o.train.iter().chain(&o.val).copied().collect();
            pool.sort_unstable();
            let y_pool: Vec<f64> = pool.iter().map(|&i| y_vec[i]).collect();
            let (strata, _) = auto_bins(&y_pool)?;
            let parts = stratified_folds(&pool, &strata.bins(&y_pool), *folds, *seed);
            let val = parts[*fold].clone();
            let train = pool
                .iter()
                .copied()
                .filter(|i| val.binary_search(i).is_err())
                .collect();
            SplitIndices {
                train,
                val,
                test: o.test,
            }
        }
        SplitSpec::Stratified { val, test } => {
            let (strata, _) = auto_bins(y_vec)?;
            stratified_split(&strata.bins(y_vec), *val, *test, spec.split_seed)
        }
        SplitSpec::Balanced { cap } => {
            let (b, why) = match spec.bins {
                Some(bs) => (bs.fit(y_vec)?, format!("{bs:?} over all targets")),
                None => auto_bins(y_vec)?,
            };
            let s = balanced_split(&b.bins(y_vec), *cap, spec.split_seed);
            balanced_bins = Some((b, why));
            s
        }
        SplitSpec::Column { name } => column_split(table, name)?,
    };
    Ok((split, balanced_bins))
}

/// The targets of every row, checked: at least [`MIN_ROWS`], not constant, small enough to
/// standardise.
pub fn checked_targets(spec: &TableSpec, table: &RawTable) -> Result<Vec<f64>, DataError> {
    let path = &table.path;
    let y_vec = read_targets(table, &spec.target, None, &spec.missing)?.to_vec();
    let n = y_vec.len();
    if n < MIN_ROWS {
        return Err(DataError::invalid(
            "data",
            format!(
                "{}: {n} data rows; need at least {MIN_ROWS} to train, validate and test",
                path.display()
            ),
        ));
    }
    let (lo, hi) = y_vec
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if hi <= lo {
        return Err(DataError::invalid(
            format!("target `{}`", spec.target),
            format!("{}: every row has the value {lo}", path.display()),
        ));
    }
    let mean = y_vec.iter().sum::<f64>() / n as f64;
    let var = y_vec.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    if !(mean.is_finite() && var.is_finite()) {
        return Err(DataError::invalid(
            format!("target `{}`", spec.target),
            format!(
                "{}: values too large to standardise (from {lo:e} to {hi:e}); rescale the                  target, e.g. divide it by a power of ten",
                path.display()
            ),
        ));
    }
    Ok(y_vec)
}

/// Bins, preprocessing, parts and warnings of `table` for a given split (see the module
/// docs): the second half of [`prepare_read`], also used for cross-validation folds.
/// `fixed_bins`: the target bins to use instead of fitting them on the training targets.
pub fn prepare_split(
    spec: &TableSpec,
    table: &RawTable,
    layout: TextLayout,
    sha256: String,
    split: SplitIndices,
    fixed_bins: Option<(Binning, String)>,
) -> Result<Benchmark, DataError> {
    spec.check()?;
    let path = table.path.clone();
    let inputs = input_columns(table, spec)?;
    let y_all = read_targets(table, &spec.target, None, &spec.missing)?;
    let y_vec = y_all.to_vec();
    for (part, rows) in [("validation", &split.val), ("test", &split.test)] {
        if rows.is_empty() {
            return Err(DataError::invalid(
                "data.split",
                format!(
                    "{}: the split leaves the {part} part empty (use larger shares, fewer \
                     bins, or put rows into it)",
                    path.display()
                ),
            ));
        }
    }
    let n_train = split.train.len();
    if n_train < MIN_ROWS / 2 {
        return Err(DataError::invalid(
            "data.split",
            format!("{}: only {n_train} training rows", path.display()),
        ));
    }

    // Bins from the training targets.
    let y_train: Vec<f64> = split.train.iter().map(|&i| y_vec[i]).collect();
    let (binning, bins_rule) = match fixed_bins {
        Some(b) => b,
        // Under a protocol the bins span the full label range, removed intervals included.
        None if !spec.protocol.is_standard() => match spec.bins {
            Some(bs) => (
                bs.fit(&y_vec)?,
                format!("{bs:?} over all targets (test protocol)"),
            ),
            None => {
                let (b, why) = auto_bins(&y_vec)?;
                (b, format!("{why} (over all targets: test protocol)"))
            }
        },
        None => match spec.bins {
            Some(bs) => (
                bs.fit(&y_train)?,
                format!("{bs:?} over the training targets"),
            ),
            None => auto_bins(&y_train)?,
        },
    };
    let k = binning.num_bins();
    if k >= n_train {
        return Err(DataError::invalid(
            "data.bins",
            format!(
                "{k} bins for {n_train} training rows: every bin would hold at most one row \
                 and SRL's per-bin centroids would be noise; use at most {} bins (or leave \
                 bins automatic)",
                (n_train / crate::binning::AUTO_MIN_PER_BIN).max(2)
            ),
        ));
    }

    let protocol = if spec.protocol.is_standard() {
        None
    } else {
        let removed = spec.protocol.resolve(&y_vec)?;
        let in_range =
            |rows: &[usize]| rows.iter().filter(|&&i| removed.contains(y_vec[i])).count();
        if in_range(&split.train) + in_range(&split.val) > 0 {
            return Err(DataError::invalid(
                "data.split",
                format!(
                    "the split keeps rows of the removed range {removed} in training or \
                     validation; apply the protocol to the split first (table::split_rows)"
                ),
            ));
        }
        // How many rows the protocol took from the ordinary split (the outer one of a
        // cross-validation).
        let ordinary = match &spec.split {
            SplitSpec::CrossValidation { outer, .. } => &**outer,
            s => s,
        };
        let (before, _) = split_by(ordinary, spec, table, &y_vec)?;
        let test_y: Vec<f64> = split.test.iter().map(|&i| y_vec[i]).collect();
        Some(crate::protocol::ProtocolInfo {
            protocol: spec.protocol.clone(),
            test_in_removed: removed.mask(&test_y),
            removed_train: in_range(&before.train),
            removed_val: in_range(&before.val),
            moved_to_test: true,
            removed,
        })
    };
    let (preprocessor, codes) = Preprocessor::fit_reporting(table, spec, &inputs, &split.train)?;
    let bins = binning.bins(&y_vec);
    let mut train_counts = vec![0usize; k];
    for &i in &split.train {
        train_counts[bins[i]] += 1;
    }
    let test_bins: Vec<usize> = split.test.iter().map(|&i| bins[i]).collect();
    let per_bin = shot_of_bins(&ShotRule::Terciles, &train_counts, &test_bins);

    let mut warnings: Vec<String> = codes.iter().map(|c| code_warning(c, &path)).collect();
    if table.skipped_empty_rows > 0 {
        warnings.push(format!(
            "skipped {} row(s) whose fields are all empty",
            table.skipped_empty_rows
        ));
    }
    let part =
        |rows: &[usize], name: &str, warnings: &mut Vec<String>| -> Result<Part, DataError> {
            let t = preprocessor.transform(table, Some(rows))?;
            let flagged = t.num_out_of_range();
            if flagged > 0 {
                let first = t
                    .out_of_range
                    .iter()
                    .flatten()
                    .next()
                    .cloned()
                    .unwrap_or_default();
                warnings.push(format!(
                    "{flagged} {name} row(s) lie outside the training range (e.g. {first})"
                ));
            }
            let part_bins: Vec<usize> = rows.iter().map(|&i| bins[i]).collect();
            Ok(Part {
                out_of_range: t.out_of_range.iter().map(Option::is_some).collect(),
                x: t.x,
                y: y_all.select(Axis(0), rows),
                shots: shots_of_samples(&per_bin, &part_bins),
                bins: part_bins,
            })
        };
    let train = part(&split.train, "training", &mut Vec::new())?;
    let val = part(&split.val, "validation", &mut warnings)?;
    let test = part(&split.test, "test", &mut warnings)?;

    let thin = n_train as f64 / k as f64;
    if thin < crate::binning::AUTO_MIN_PER_BIN as f64 {
        warnings.push(format!(
            "{k} bins for {n_train} training rows ({thin:.1} per bin on average): per-bin \
             statistics (SRL centroids, re-weighting) will be noisy"
        ));
    }
    warnings.extend(leakage_warnings(
        &train.x,
        &train.y,
        &preprocessor,
        &spec.target,
    ));

    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "table".into());
    let lines = table.rows.iter().map(|r| r.line).collect();
    Ok(Benchmark {
        name: crate::DataName::Table(name),
        train,
        val,
        test,
        binning,
        feature_names: preprocessor.feature_names(),
        target_name: spec.target.clone(),
        table: Some(Box::new(TableInfo {
            preprocessor,
            split,
            lines,
            layout,
            sha256,
            bins_rule,
            warnings,
        })),
        relevance: None,
        relevance_error: None,
        protocol,
    }
    .with_relevance())
}

/// The warning about one column's suspected missing-value codes: which values, how many
/// cells, how far from the rest, what was done and how to change it.
fn code_warning(r: &CodeReport, path: &Path) -> String {
    let listed: Vec<String> = r
        .codes
        .iter()
        .map(|c| {
            format!(
                "{} ({} cell{}, {:.0} robust SD from the rest)",
                short_number(c.value),
                c.count,
                if c.count == 1 { "" } else { "s" },
                c.robust_z.min(1e9)
            )
        })
        .collect();
    let c0 = &r.codes[0];
    let values: Vec<String> = r.codes.iter().map(|c| short_number(c.value)).collect();
    let what = match r.replaced_by {
        Some(f) => format!(
            "read as missing (replaced by {}); keep them as numbers with --keep-outliers, or \
             say so explicitly with --missing {} --impute median",
            short_number(f),
            values.join(",")
        ),
        None => "kept as numbers (--keep-outliers): the network will see them".to_string(),
    };
    format!(
        "{}:{}: column `{}` holds {} outside the rest of its values [{}, {}] — a \
         missing-value code?; {what}",
        path.display(),
        r.first_line,
        r.column,
        listed.join(", "),
        short_number(c0.rest_min),
        short_number(c0.rest_max)
    )
}

/// The input columns of `spec` in file order (or in the order of `features`), checking that
/// every named column exists (what [`Preprocessor::fit`] is given; `srl resample` fits the
/// preprocessing on all rows with it).
pub fn input_columns(table: &RawTable, spec: &TableSpec) -> Result<Vec<String>, DataError> {
    column_index(table, &spec.target)?;
    for c in spec.exclude.iter().chain(&spec.categorical) {
        column_index(table, c)?;
    }
    let split_col = match &spec.split {
        SplitSpec::Column { name } => {
            column_index(table, name)?;
            Some(name.as_str())
        }
        _ => None,
    };
    let inputs: Vec<String> = match &spec.features {
        Some(f) => {
            for c in f {
                column_index(table, c)?;
                if Some(c.as_str()) == split_col {
                    return Err(DataError::invalid(
                        "data.features",
                        format!("lists the split column `{c}`"),
                    ));
                }
            }
            f.clone()
        }
        None => table
            .names
            .iter()
            .filter(|n| **n != spec.target && !spec.exclude.contains(n))
            .filter(|n| Some(n.as_str()) != split_col)
            .cloned()
            .collect(),
    };
    if inputs.is_empty() {
        return Err(DataError::invalid(
            "data.features",
            format!(
                "{}: no input column left (columns: {})",
                table.path.display(),
                table.names.join(", ")
            ),
        ));
    }
    Ok(inputs)
}

/// The user's split: `train`, `val`/`valid`/`validation`, `test` per row.
fn column_split(table: &RawTable, name: &str) -> Result<SplitIndices, DataError> {
    let j = column_index(table, name)?;
    let mut s = SplitIndices {
        train: Vec::new(),
        val: Vec::new(),
        test: Vec::new(),
    };
    for (i, row) in table.rows.iter().enumerate() {
        match row.fields[j].to_ascii_lowercase().as_str() {
            "train" | "training" => s.train.push(i),
            "val" | "valid" | "validation" => s.val.push(i),
            "test" => s.test.push(i),
            other => {
                return Err(DataError::Parse {
                    path: table.path.clone(),
                    line: row.line,
                    reason: format!("split column `{name}`: `{other}` is not train, val or test"),
                })
            }
        }
    }
    Ok(s)
}

/// |Pearson r| between a numeric input and the target above which a leakage warning is given.
pub const LEAKAGE_R: f64 = 0.9;

/// Leakage suspects on the training part: numeric inputs with |Pearson r| ≥ [`LEAKAGE_R`] to the
/// target, and a target that is an almost exact linear function of the inputs (R² ≥ 0.999 of
/// least squares with intercept).
fn leakage_warnings(
    x: &Array2<f64>,
    y: &Array1<f64>,
    prep: &Preprocessor,
    target: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let n = y.len() as f64;
    let y_mean = y.sum() / n;
    let y_var = y.iter().map(|v| (v - y_mean).powi(2)).sum::<f64>();
    if y_var <= 0.0 {
        return out;
    }
    let mut k = 0;
    for col in &prep.columns {
        if let ColumnKind::Numeric { .. } = col.kind {
            let c = x.column(k);
            let c_mean = c.sum() / n;
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (a, b) in c.iter().zip(y) {
                sxy += (a - c_mean) * (b - y_mean);
                sxx += (a - c_mean).powi(2);
            }
            if sxx > 0.0 {
                let r = sxy / (sxx * y_var).sqrt();
                if r.abs() >= LEAKAGE_R {
                    out.push(format!(
                        "input `{}` has correlation {r:.3} with the target `{target}` on the \
                         training rows: if it is known only together with the target (a second \
                         target, a part of it), exclude it (--exclude {})",
                        col.name, col.name
                    ));
                }
            }
        }
        k += col.width();
    }
    if let Some(r2) = linear_r2(x, y) {
        if r2 >= 0.999 {
            out.push(format!(
                "the target `{target}` is an almost exact linear function of the inputs (R² = \
                 {r2:.5} on the training rows): look for columns that sum to it or are derived \
                 from it"
            ));
        }
    }
    out
}

/// R² of least squares y ≈ a + X·b (normal equations with a tiny ridge, Gaussian elimination
/// with partial pivoting); `None` when there are fewer rows than unknowns.
fn linear_r2(x: &Array2<f64>, y: &Array1<f64>) -> Option<f64> {
    let (n, d) = x.dim();
    let p = d + 1;
    if n <= p {
        return None;
    }
    let mut a = Array2::<f64>::zeros((p, p + 1));
    for (row, &t) in x.rows().into_iter().zip(y) {
        let feat = |j: usize| if j == 0 { 1.0 } else { row[j - 1] };
        for i in 0..p {
            let fi = feat(i);
            for j in 0..p {
                a[[i, j]] += fi * feat(j);
            }
            a[[i, p]] += fi * t;
        }
    }
    for i in 0..p {
        a[[i, i]] += 1e-9 * n as f64;
    }
    for c in 0..p {
        let piv = (c..p).max_by(|&r, &s| a[[r, c]].abs().total_cmp(&a[[s, c]].abs()))?;
        if a[[piv, c]].abs() < 1e-300 {
            return None;
        }
        if piv != c {
            for j in 0..=p {
                a.swap([piv, j], [c, j]);
            }
        }
        for r in 0..p {
            if r != c {
                let f = a[[r, c]] / a[[c, c]];
                if f != 0.0 {
                    for j in c..=p {
                        a[[r, j]] -= f * a[[c, j]];
                    }
                }
            }
        }
    }
    let beta: Vec<f64> = (0..p).map(|i| a[[i, p]] / a[[i, i]]).collect();
    let y_mean = y.sum() / n as f64;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for (row, &t) in x.rows().into_iter().zip(y) {
        let pred = beta[0] + row.iter().zip(&beta[1..]).map(|(v, b)| v * b).sum::<f64>();
        ss_res += (t - pred).powi(2);
        ss_tot += (t - y_mean).powi(2);
    }
    (ss_tot > 0.0).then(|| 1.0 - ss_res / ss_tot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    fn toy(n: usize) -> String {
        let mut t = String::from("id;color;x;y\n");
        for i in 0..n {
            let color = ["red", "green", "blue"][i % 3];
            let x = (i as f64 * 0.37).sin();
            t += &format!("{i};\"{color}\";{x};{}\n", (i % 10) as f64 + x);
        }
        t
    }

    #[test]
    fn prepares_a_mixed_table_with_the_default_split() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "toy.csv", &toy(200));
        let mut spec = TableSpec::new(&path, "y");
        spec.exclude = vec!["id".into()];
        let b = prepare(&spec).unwrap();
        let p = b.table.as_deref().unwrap();
        assert_eq!(p.layout.delimiter, crate::tabular::Delimiter::Char(';'));
        assert!(p.layout.header);
        assert_eq!(b.train.len() + b.val.len() + b.test.len(), 200);
        assert_eq!((b.val.len(), b.test.len()), (30, 30));
        assert_eq!(
            b.feature_names,
            vec!["color=blue", "color=green", "color=red", "x"]
        );
        assert_eq!(p.sha256.len(), 64);
        // The split indexes the data rows; lines are 1-based with the header on line 1.
        assert_eq!(p.lines[0], 2);
        // Re-applying the saved preprocessing to the raw rows gives the same inputs.
        let (table, _, _) = read_table(&spec).unwrap();
        let again = p
            .preprocessor
            .transform(&table, Some(&p.split.test))
            .unwrap();
        assert_eq!(again.x, b.test.x);
    }

    #[test]
    fn split_column_is_honoured_and_never_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = String::from("x,part,y\n");
        for i in 0..40 {
            let part = match i % 10 {
                0 => "test",
                1 => "Val",
                _ => "train",
            };
            t += &format!("{i},{part},{}\n", i % 7);
        }
        let path = write(dir.path(), "s.csv", &t);
        let mut spec = TableSpec::new(&path, "y");
        spec.split = SplitSpec::Column {
            name: "part".into(),
        };
        let b = prepare(&spec).unwrap();
        let p = b.table.as_deref().unwrap();
        assert_eq!(p.split.test, vec![0, 10, 20, 30]);
        assert_eq!(p.split.val, vec![1, 11, 21, 31]);
        assert_eq!(b.feature_names, vec!["x"]);
        let bad = write(dir.path(), "b.csv", &t.replace("2,train", "2,holdout"));
        spec.path = bad;
        let e = prepare(&spec).unwrap_err().to_string();
        assert!(e.contains("b.csv:4") && e.contains("holdout"), "{e}");
    }

    #[test]
    fn target_and_bin_guards() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = String::from("x,y\n");
        for i in 0..30 {
            t += &format!("{i},5\n");
        }
        let spec = TableSpec::new(write(dir.path(), "c.csv", &t), "y");
        let e = prepare(&spec).unwrap_err().to_string();
        assert!(e.contains("every row has the value 5"), "{e}");
        let spec = TableSpec::new(write(dir.path(), "s.csv", "x,y\n1,2\n2,3\n"), "y");
        assert!(prepare(&spec)
            .unwrap_err()
            .to_string()
            .contains("at least 20"));
        let mut spec = TableSpec::new(write(dir.path(), "t.csv", &toy(100)), "y");
        spec.bins = Some(crate::BinSpec::Count(100_000));
        let e = prepare(&spec).unwrap_err().to_string();
        assert!(e.contains("bins for") && e.contains("data.bins"), "{e}");
    }

    #[test]
    fn leakage_is_warned() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = String::from("a,b,total\n");
        for i in 0..60 {
            let a = (i as f64 * 0.7).sin() * 10.0;
            let b = (i as f64 * 1.3).cos() * 3.0;
            t += &format!("{a},{b},{}\n", a + b);
        }
        let spec = TableSpec::new(write(dir.path(), "l.csv", &t), "total");
        let b = prepare(&spec).unwrap();
        let p = b.table.as_deref().unwrap();
        assert!(
            p.warnings.iter().any(|w| w.contains("linear function")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn headless_whitespace_file_gets_column_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = String::new();
        for i in 0..30 {
            t += &format!("{}.5   {}\t\"car {i}\"\n", i % 9, i % 4);
        }
        let mut spec = TableSpec::new(write(dir.path(), "w.data", &t), "col1");
        spec.exclude = vec!["col3".into()];
        let b = prepare(&spec).unwrap();
        assert_eq!(b.feature_names, vec!["col2"]);
    }
}
