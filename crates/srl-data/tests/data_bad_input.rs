//! The bad-input corpus in tests/fixtures/bad: every file gives a typed error naming the file
//! and line (or documented handling), never a panic.

use srl_data::manifest::{Columns, Format};
use srl_data::metrics::ShotRule;
use srl_data::tabular::{
    read_csv_with_nominal, read_csv_with_target, read_tabular_with_categories,
};
use srl_data::{agedb, stsb, Binning, DataError};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn parse_line(r: Result<impl std::fmt::Debug, DataError>, file: &str) -> (usize, String) {
    match r {
        Err(DataError::Parse { path, line, reason }) => {
            assert!(path.ends_with(file), "{path:?} should name {file}");
            (line, reason)
        }
        other => panic!("{file}: expected a Parse error, got {other:?}"),
    }
}

#[test]
fn wrong_field_count() {
    let f = "bad/wrong_field_count.csv";
    let (line, reason) = parse_line(
        read_csv_with_target(&fixture(f), "y"),
        "wrong_field_count.csv",
    );
    assert_eq!(line, 3);
    assert!(reason.contains("expected 3 fields, found 2"), "{reason}");
}

#[test]
fn non_numeric_field() {
    let (line, reason) = parse_line(
        read_csv_with_target(&fixture("bad/non_numeric.csv"), "y"),
        "non_numeric.csv",
    );
    assert_eq!(line, 4);
    assert!(reason.contains("`b`") && reason.contains("abc"), "{reason}");
}

#[test]
fn nan_and_inf_targets() {
    let (line, reason) = parse_line(
        read_csv_with_target(&fixture("bad/nan_target.csv"), "y"),
        "nan_target.csv",
    );
    assert_eq!(line, 2);
    assert!(
        reason.contains("target") && reason.contains("non-finite"),
        "{reason}"
    );
    let (line, _) = parse_line(
        read_csv_with_target(&fixture("bad/inf_target.csv"), "y"),
        "inf_target.csv",
    );
    assert_eq!(line, 3);
}

#[test]
fn empty_and_header_only() {
    for f in ["bad/empty.csv", "bad/header_only.csv"] {
        match read_csv_with_target(&fixture(f), "y") {
            Err(DataError::EmptyFile { path }) => assert!(path.ends_with(f)),
            other => panic!("{f}: {other:?}"),
        }
    }
}

#[test]
fn missing_target_column() {
    match read_csv_with_target(&fixture("bad/missing_target.csv"), "y") {
        Err(DataError::MissingColumn {
            column, available, ..
        }) => {
            assert_eq!(column, "y");
            assert_eq!(available, "a, b, z");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_nominal_at_test_time() {
    let nominal = vec!["Sex".to_string()];
    let train = read_csv_with_nominal(&fixture("good/nominal_train.csv"), "y", &nominal).unwrap();
    assert_eq!(
        train.categories,
        vec![("Sex".to_string(), vec!["F".into(), "I".into(), "M".into()])]
    );
    let format = Format::Delimited {
        delimiter: ",".into(),
        header: true,
        line_endings: "lf".into(),
        quoting: false,
    };
    let columns = Columns {
        names: None,
        target: "y".into(),
        nominal,
    };
    // Known categories encode with the training order.
    let test = read_tabular_with_categories(
        &fixture("good/nominal_test.csv"),
        &format,
        &columns,
        &train.categories,
    )
    .unwrap();
    assert_eq!(test.feature_names, train.feature_names);
    assert_eq!(test.records.row(0).to_vec(), vec![1.0, 0.0, 0.0, 0.45]);
    // An unseen one is a typed error at its line.
    match read_tabular_with_categories(
        &fixture("bad/unknown_nominal_test.csv"),
        &format,
        &columns,
        &train.categories,
    ) {
        Err(DataError::UnknownCategory {
            line,
            column,
            value,
            known,
            path,
        }) => {
            assert_eq!((line, column.as_str(), value.as_str()), (3, "Sex", "X"));
            assert_eq!(known, "F, I, M");
            assert!(path.ends_with("unknown_nominal_test.csv"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn quoting_errors() {
    let (line, reason) = parse_line(
        read_csv_with_target(&fixture("bad/unterminated_quote.csv"), "y"),
        "unterminated_quote.csv",
    );
    assert_eq!(line, 3);
    assert!(reason.contains("unterminated"), "{reason}");
    let (line, _) = parse_line(
        read_csv_with_target(&fixture("bad/quoted_non_numeric.tsv"), "y"),
        "quoted_non_numeric.tsv",
    );
    assert_eq!(line, 2);
}

#[test]
fn stsb_and_agedb_bad_rows() {
    let (line, _) = parse_line(
        stsb::read_stsb_tsv(&fixture("bad/stsb_wrong_fields.tsv")),
        "stsb_wrong_fields.tsv",
    );
    assert_eq!(line, 3);
    let (line, reason) = parse_line(
        agedb::read_agedb(&fixture("bad/agedb_negative_age.csv")),
        "agedb_negative_age.csv",
    );
    assert_eq!(line, 3);
    assert!(reason.contains("-4"));
    let (line, reason) = parse_line(
        agedb::read_agedb(&fixture("bad/agedb_bad_split.csv")),
        "agedb_bad_split.csv",
    );
    assert_eq!(line, 3);
    assert!(reason.contains("holdout"));
}

#[test]
fn missing_file_is_io_error() {
    assert!(matches!(
        read_csv_with_target(&fixture("bad/does_not_exist.csv"), "y"),
        Err(DataError::Io { .. })
    ));
}

#[test]
fn crlf_quoted_tab_file_reads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crlf.tsv");
    std::fs::write(&p, "\u{feff}\"a\"\tb\ty\r\n1\t\"2\"\t3\r\n\r\n4\t5\t6\r\n").unwrap();
    let t = read_csv_with_target(&p, "y").unwrap();
    assert_eq!(t.feature_names, vec!["a", "b"]);
    assert_eq!(t.records, ndarray::array![[1.0, 2.0], [4.0, 5.0]]);
    assert_eq!(t.targets, ndarray::array![3.0, 6.0]);
    let ds = t.to_linfa();
    assert_eq!(ds.feature_names(), vec!["a".to_string(), "b".to_string()]);
}

/// A bin with a single sample is documented handling, not an error: k = ⌊1/3⌋ = 0, so the
/// sample goes to training; a table where NO bin has three rows cannot be split → typed error.
#[test]
fn bins_with_one_sample() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    let mut text = String::from("x,y\n");
    for i in 0..30 {
        text.push_str(&format!("{i},{}\n", i % 3));
    }
    text.push_str("99,50\n"); // alone in its bin
    std::fs::write(&p, text).unwrap();
    let t = read_csv_with_target(&p, "y").unwrap();
    let binning = Binning::fit_fixed_width(t.targets.as_slice().unwrap(), 1.0).unwrap();
    let b = srl_data::uci::build_benchmark("t", &t, binning, 3, 0, &ShotRule::Terciles).unwrap();
    assert_eq!((b.train.len(), b.val.len(), b.test.len()), (13, 9, 9));
    assert!(b.train.y.iter().any(|&y| y == 50.0));
    assert_eq!(b.train_bin_counts()[50], 1);

    let p2 = dir.path().join("t2.csv");
    std::fs::write(&p2, "x,y\n1,1\n2,2\n3,3\n").unwrap();
    let t2 = read_csv_with_target(&p2, "y").unwrap();
    let binning = Binning::fit_fixed_width(t2.targets.as_slice().unwrap(), 1.0).unwrap();
    assert!(matches!(
        srl_data::uci::build_benchmark("t2", &t2, binning, 3, 0, &ShotRule::Terciles),
        Err(DataError::Invalid { .. })
    ));
}
