//! The own-table path (`srl train --csv`): layout detection ([`sniff_layout`]), line
//! splitting ([`split_line`]), reading ([`read_table_at`], detected and given layouts) and
//! [`prepare`] (columns → target → split → bins → fitted preprocessing → warnings) on
//! arbitrary bytes, written to a file because the path is what these entry points take.
//!
//! Every input runs `prepare` with the defaults (target: the last column) and with one more
//! spec chosen by the byte sum (target: the first column, imputation, balanced or column
//! split, forced categorical, explicit bins, the header flipped). A prepared benchmark is
//! checked: consistent shapes, finite inputs, the split a partition of the rows, a fitted
//! preprocessing that passes the check a saved model is loaded with, survives a JSON round
//! trip, and re-applied to the raw rows gives the same inputs.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use srl_data::table::{
    prepare, read_table_at, Impute, ModelInput, SplitSpec, TableSpec, UnknownCategory, MIN_ROWS,
};
use srl_data::tabular::{sniff_layout, split_line, Delimiter, RawTable, SNIFF_LINES};
use srl_data::BinSpec;
use std::path::Path;
use std::sync::OnceLock;

static SCRATCH: OnceLock<common::Scratch> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let scratch = SCRATCH.get_or_init(|| common::Scratch::new("table.csv"));

    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(layout) = sniff_layout(text) {
            assert!(layout.quoting, "detection always turns quoting on");
            for line in text.lines().take(SNIFF_LINES) {
                let _ = split_line(line, &layout);
            }
        }
    }

    let path = scratch.write(data);
    let Ok((table, layout, sha)) = read_table_at(path, None, None) else {
        return;
    };
    check_table(&table, layout.header, &sha);
    let (Some(first), Some(last)) = (table.names.first(), table.names.last()) else {
        return;
    };

    prepare_and_check(&TableSpec::new(path, last.as_str()));

    let mut spec = TableSpec::new(path, last.as_str());
    let variant = data.iter().fold(0u8, |a, &b| a.wrapping_add(b)) % 4;
    match variant {
        0 => {
            spec.target = first.clone();
            spec.impute = Impute::Median;
            spec.unknown_category = UnknownCategory::Ignore;
            spec.split = SplitSpec::Balanced { cap: 5 };
        }
        1 => {
            spec.impute = Impute::Mode;
            spec.bins = Some(BinSpec::Count(3));
            spec.split = SplitSpec::Stratified {
                val: 0.2,
                test: 0.2,
            };
            if table.names.len() > 2 {
                spec.exclude = vec![first.clone()];
            }
        }
        2 => {
            if table.names.len() > 2 {
                spec.split = SplitSpec::Column {
                    name: first.clone(),
                };
                spec.categorical = vec![table.names[1].clone()];
            }
            spec.missing = vec!["?".into()];
        }
        _ => {
            // The detected header flipped: the columns are then named by the first line, or
            // `col1`, `col2`, ….
            let flipped = read_table_at(path, Some(layout.delimiter), Some(!layout.header));
            if let Ok((t, _, sha)) = &flipped {
                check_table(t, !layout.header, sha);
                if let Some(last) = t.names.last() {
                    spec.target = last.clone();
                }
            }
            spec.delimiter = Some(layout.delimiter);
            spec.header = Some(!layout.header);
            spec.bins = Some(BinSpec::Width(0.5));
        }
    }
    prepare_and_check(&spec);

    // A delimiter given explicitly rather than detected (whitespace, as for UCI `.data` files).
    if let Ok((t, _, sha)) = read_table_at(path, Some(Delimiter::Whitespace), Some(false)) {
        check_table(&t, false, &sha);
    }
});

/// What a successfully read table promises.
fn check_table(table: &RawTable, header: bool, sha: &str) {
    assert_eq!(sha.len(), 64);
    assert!(!table.rows.is_empty(), "a read table has data rows");
    for row in &table.rows {
        assert_eq!(row.fields.len(), table.names.len(), "line {}", row.line);
    }
    for (j, n) in table.names.iter().enumerate() {
        assert!(!table.names[..j].contains(n), "column `{n}` twice");
        if header {
            assert!(!n.is_empty(), "empty column name");
        }
    }
}

fn prepare_and_check(spec: &TableSpec) {
    let Ok(b) = prepare(spec) else {
        return;
    };
    common::check_benchmark(&b);
    let info = b
        .table
        .as_deref()
        .expect("a prepared table keeps its TableInfo");
    let n = b.train.len() + b.val.len() + b.test.len();
    assert!(n >= MIN_ROWS);
    assert!(!b.val.is_empty() && !b.test.is_empty());
    let mut all: Vec<usize> = info
        .split
        .train
        .iter()
        .chain(&info.split.val)
        .chain(&info.split.test)
        .copied()
        .collect();
    all.sort_unstable();
    assert!(
        all.iter().enumerate().all(|(i, &r)| i == r),
        "the split is not a partition of the rows"
    );
    assert_eq!(info.lines.len(), n);

    // The preprocessing a model saves: passes the load-time check, has the benchmark's width,
    // and round-trips through JSON.
    let p = &info.preprocessor;
    p.check()
        .expect("a fitted preprocessing passes its own check");
    assert_eq!(p.input_dim(), b.train.x.ncols());
    assert_eq!(p.feature_names(), b.feature_names);
    let mi = info.model_input(&b.binning);
    let json = serde_json::to_string(&mi).expect("ModelInput serialises");
    let back: ModelInput = serde_json::from_str(&json).expect("ModelInput re-parses");
    assert_eq!(back, mi);

    // Re-applying the preprocessing to the raw rows gives the test inputs again.
    let (table, _, _) = read_table_at(Path::new(&spec.path), spec.delimiter, spec.header)
        .expect("the file read once reads again");
    let again = p
        .transform(&table, Some(&info.split.test))
        .expect("the fitted preprocessing applies to its own rows");
    assert_eq!(again.x, b.test.x);
}
