//! Every text parser of srl-data on arbitrary input returns a value or a typed error — never a
//! panic (the in-CI stand-in for fuzzing): the delimited-text splitter with every layout, the
//! layout detection, the whole own-table path (read → columns → split → bins → preprocessing)
//! on arbitrary bytes written to a file, and the manifest TOML.

use proptest::prelude::*;
use srl_data::table::{prepare, TableSpec};
use srl_data::tabular::{sniff_layout, Delimiter, RawTable, TextLayout};
use srl_data::Manifest;
use std::path::Path;

/// Text that looks like a table often enough to reach the deep code: digits, separators,
/// quotes, markers, line breaks, and some arbitrary characters.
fn table_like() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => "[0-9]{1,3}(\\.[0-9]{1,2})?",
        2 => Just(",".to_string()),
        1 => Just(";".to_string()),
        1 => Just("\t".to_string()),
        1 => Just(" ".to_string()),
        2 => Just("\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\"".to_string()),
        1 => prop_oneof![Just("?"), Just("NA"), Just("nan"), Just("inf"), Just("-"), Just("y")]
            .prop_map(str::to_string),
        1 => "[a-z]{1,4}",
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(atom, 0..300).prop_map(|v| v.concat())
}

/// A headed table `a,b,y` of 15–60 rows whose cells are numbers, markers, text, dates, empty
/// or quoted, joined by a random delimiter: reaches column inference, splits, bins and the
/// preprocessing.
fn messy_table() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        6 => (-1000i32..1000).prop_map(|v| format!("{}", v as f64 / 7.0)),
        2 => (0i32..5).prop_map(|v| v.to_string()),
        1 => prop_oneof![Just(""), Just("?"), Just("NA"), Just("inf"), Just("1e308"), Just("-0")]
            .prop_map(str::to_string),
        1 => "[a-c]{1,2}",
        1 => Just("2020-01-02".to_string()),
        1 => Just("\"q, r\"".to_string()),
    ];
    let row = proptest::collection::vec(cell, 3);
    (
        proptest::collection::vec(row, 15..60),
        prop_oneof![Just(","), Just(";"), Just("\t")],
    )
        .prop_map(|(rows, d)| {
            let mut t = format!("a{d}b{d}y\n");
            for r in rows {
                t += &r.join(d);
                t.push('\n');
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn messy_tables_never_panic(text in messy_table(), impute in any::<bool>(), bins in 0usize..40) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &text).unwrap();
        let mut spec = TableSpec::new(&path, "y");
        if impute {
            spec.impute = srl_data::table::Impute::Median;
        }
        if bins >= 2 {
            spec.bins = Some(srl_data::BinSpec::Count(bins));
        }
        if let Ok(b) = prepare(&spec) {
            let n = b.train.len() + b.val.len() + b.test.len();
            prop_assert!(b.train.x.iter().all(|v| v.is_finite()));
            prop_assert!(n >= srl_data::table::MIN_ROWS);
        }
    }

    #[test]
    fn splitting_and_detection_never_panic(text in table_like(), header in any::<bool>(), quoting in any::<bool>()) {
        let _ = sniff_layout(&text);
        for d in [Delimiter::Char(','), Delimiter::Char(';'), Delimiter::Char('\t'), Delimiter::Whitespace] {
            let layout = TextLayout { delimiter: d, header, quoting };
            if let Ok(t) = RawTable::parse_str(&text, Path::new("f.csv"), &layout, None) {
                // Every row has as many fields as there are names.
                prop_assert!(t.rows.iter().all(|r| r.fields.len() == t.names.len()));
                if let Some(target) = t.names.first().cloned() {
                    let _ = t.encode(&target, &[]);
                }
            }
        }
    }

    #[test]
    fn the_own_table_path_never_panics(text in table_like(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [("t.csv", text.into_bytes()), ("b.bin", bytes)] {
            let path = dir.path().join(name);
            std::fs::write(&path, &content).unwrap();
            for target in ["y", "col1", "a"] {
                let _ = prepare(&TableSpec::new(&path, target));
            }
        }
    }

    #[test]
    fn manifest_toml_never_panics(text in "[a-z_=\"\\[\\]{}., 0-9\\n]{0,200}") {
        let _ = Manifest::from_toml(&text, Path::new("m.toml"));
    }
}
