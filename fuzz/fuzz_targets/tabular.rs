//! The benchmark readers: delimited text with a built-in manifest's format and columns
//! ([`read_tabular`], then the UCI-DIR pipeline [`build_benchmark`] with the manifest's bins,
//! cap and shot rule), the STS-B-DIR TSV ([`parse_stsb_tsv`]), the AgeDB-DIR label file
//! ([`read_agedb`]), and [`RawTable::parse_str`] + [`RawTable::encode`] under any layout.
//!
//! Input: one selector byte, then the file. Selector % 8: 0–3 the UCI manifests (airfoil,
//! abalone, concrete, real-estate), 4 STS-B, 5 AgeDB, 6–7 a layout from the selector's bits
//! (delimiter `,` `;` tab `|` space or whitespace runs; header; quoting).

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use srl_data::manifest::Format;
use srl_data::metrics::ShotRule;
use srl_data::tabular::{read_tabular, Delimiter, RawTable, TabularData, TextLayout};
use srl_data::uci::build_benchmark;
use srl_data::{agedb, registry, stsb, Binning, Manifest};
use std::path::Path;
use std::sync::OnceLock;

const UCI: [&str; 4] = ["airfoil", "abalone", "concrete", "real-estate"];

struct State {
    scratch: common::Scratch,
    manifests: Vec<Manifest>,
}

static STATE: OnceLock<State> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let state = STATE.get_or_init(|| State {
        scratch: common::Scratch::new("bench.csv"),
        manifests: UCI
            .iter()
            .map(|n| registry::builtin(n).expect("built-in manifest"))
            .collect(),
    });
    let Some((&sel, file)) = data.split_first() else {
        return;
    };
    match sel % 8 {
        i @ 0..=3 => uci(&state.manifests[i as usize], state.scratch.write(file)),
        4 => {
            let Ok(text) = std::str::from_utf8(file) else {
                return;
            };
            if let Ok(pairs) = stsb::parse_stsb_tsv(text, Path::new("train_new.tsv")) {
                assert!(!pairs.is_empty());
                assert!(pairs.iter().all(|p| p.score.is_finite()));
            }
        }
        5 => {
            if let Ok(labels) = agedb::read_agedb(state.scratch.write(file)) {
                for part in [
                    agedb::SplitPart::Train,
                    agedb::SplitPart::Val,
                    agedb::SplitPart::Test,
                ] {
                    // Ages are u32 from the file: the histogram is as long as the largest.
                    if labels.rows.iter().all(|r| r.age < 100_000) {
                        let h = labels.histogram(part);
                        assert_eq!(h.iter().sum::<usize>(), labels.ages(part).len());
                    }
                }
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(file) else {
                return;
            };
            let delimiter = match (sel >> 3) % 6 {
                0 => Delimiter::Char(','),
                1 => Delimiter::Char(';'),
                2 => Delimiter::Char('\t'),
                3 => Delimiter::Char('|'),
                4 => Delimiter::Char(' '),
                _ => Delimiter::Whitespace,
            };
            let layout = TextLayout {
                delimiter,
                header: sel & 1 == 0,
                quoting: sel & 0x80 == 0,
            };
            let names: Option<Vec<String>> = (!layout.header).then(|| {
                let n = text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .and_then(|l| srl_data::tabular::split_line(l, &layout).ok())
                    .map_or(1, |f| f.len());
                (1..=n).map(|i| format!("c{i}")).collect()
            });
            let Ok(t) = RawTable::parse_str(text, Path::new("t.csv"), &layout, names.as_deref())
            else {
                return;
            };
            assert!(t.rows.iter().all(|r| r.fields.len() == t.names.len()));
            let (Some(first), Some(last)) = (t.names.first(), t.names.last()) else {
                return;
            };
            // Target: the last column; nominal: the first, when it is another column.
            let nominal: Vec<String> = if first != last {
                vec![first.clone()]
            } else {
                vec![]
            };
            if let Ok(d) = t.encode(last, &nominal) {
                check_tabular(&d);
            }
            if let Ok(d) = t.encode(last, &[]) {
                check_tabular(&d);
            }
        }
    }
});

/// A UCI-DIR file: read with the manifest's format and columns, then the benchmark pipeline
/// of `load_uci_benchmark` (fixed-width bins, balanced split, standardisation, shots).
fn uci(m: &Manifest, path: &Path) {
    assert!(matches!(m.format, Format::Delimited { .. }));
    let columns = m.columns.as_ref().expect("UCI manifests have columns");
    let Ok(d) = read_tabular(path, &m.format, columns) else {
        return;
    };
    check_tabular(&d);
    let protocol = m.protocol.as_ref().expect("UCI manifests have a protocol");
    let rule = ShotRule::from_name(&protocol.shot_rule).expect("known shot rule");
    let width = protocol.bin_width.expect("bin width");
    let cap = protocol.val_test_cap.expect("cap");
    let Ok(binning) = Binning::fit_fixed_width(d.targets.as_slice().expect("contiguous"), width)
    else {
        return;
    };
    if let Ok(b) = build_benchmark(&m.name, &d, binning, cap, 0, &rule) {
        common::check_benchmark(&b);
        assert_eq!(b.train.len() + b.val.len() + b.test.len(), d.len());
    }
}

/// What an encoded table promises: one target per row, one name per input column, finite
/// numbers, one hot column per nominal value.
fn check_tabular(d: &TabularData) {
    assert_eq!(d.records.nrows(), d.targets.len());
    assert_eq!(d.records.ncols(), d.feature_names.len());
    assert!(d.records.iter().all(|v| v.is_finite()));
    assert!(d.targets.iter().all(|v| v.is_finite()));
    let hot: usize = d.categories.len();
    for row in d.records.rows() {
        let ones = row.iter().filter(|&&v| v == 1.0).count();
        assert!(ones >= hot, "a nominal value without its hot column");
    }
}
