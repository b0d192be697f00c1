//! The converters of `srl_data::convert` against the upstream originals kept in the shared
//! data folder (`$SRL_DATA_DIR`, else `../shared/datasets`): each must reproduce the canonical
//! CSV byte for byte, and the originals must be the files the manifests pin. Skipped, with a
//! message, when the shared data is absent.

use srl_data::checksum::sha256_hex;
use srl_data::convert::{abalone_data_to_csv, format_number, Converter, ABALONE_HEADER};
use srl_data::{datadir::data_for_test, registry};
use std::path::PathBuf;

/// `(dataset, original file below <dataset>/original/)` of every converted dataset.
const CASES: [(&str, &str); 3] = [
    ("abalone", "abalone.data"),
    ("concrete", "Concrete_Data.xls"),
    ("real-estate", "Real estate valuation data set.xlsx"),
];

/// The shared data folder, or `None` (and a message) when it or the originals are absent.
fn data_dir() -> Option<PathBuf> {
    data_for_test("fetch_convert", "abalone/original/abalone.data")
}

/// Converts the original of `dataset` and compares with the canonical CSV, byte for byte.
fn check_byte_for_byte(dataset: &str) {
    let Some(dir) = data_dir() else { return };
    let (_, original_name) = CASES
        .iter()
        .find(|(d, _)| *d == dataset)
        .expect("a converted dataset");
    let manifest = registry::builtin(dataset).unwrap();
    let entry = &manifest.files[0];
    let converter = entry.convert.expect("manifest names a converter");
    assert_eq!(entry.original_name(), Some(*original_name));

    let original = std::fs::read(dir.join(dataset).join("original").join(original_name)).unwrap();
    assert_eq!(
        Some(sha256_hex(&original)),
        entry.original_sha256,
        "{dataset}: the original is not the file the manifest pins"
    );
    let canonical = std::fs::read(dir.join(&entry.path)).unwrap();
    assert_eq!(
        sha256_hex(&canonical),
        entry.sha256,
        "{dataset}: reference copy"
    );

    let converted = converter.convert(&original).unwrap();
    if converted != canonical {
        let first_diff = converted
            .iter()
            .zip(&canonical)
            .position(|(a, b)| a != b)
            .unwrap_or(converted.len().min(canonical.len()));
        let line = canonical[..first_diff]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        panic!(
            "{dataset}: {converter} output differs from {} at byte {first_diff} (line {line}); \
             {} vs {} bytes",
            entry.path,
            converted.len(),
            canonical.len()
        );
    }
    assert_eq!(sha256_hex(&converted), entry.sha256);
    println!(
        "{dataset}: {original_name} ({} bytes, sha256 {}) --{converter}--> {} ({} bytes, \
         sha256 {}) = reference copy byte for byte",
        original.len(),
        sha256_hex(&original),
        entry.path,
        converted.len(),
        sha256_hex(&converted)
    );
}

#[test]
fn abalone_data_converts_to_abalone_csv_byte_for_byte() {
    check_byte_for_byte("abalone");
}

#[test]
fn concrete_xls_converts_to_concrete_csv_byte_for_byte() {
    check_byte_for_byte("concrete");
}

#[test]
fn real_estate_xlsx_converts_to_real_estate_csv_byte_for_byte() {
    check_byte_for_byte("real-estate");
}

/// The trap SOURCE.md describes: header + `abalone.data` verbatim is *not* `abalone.csv`; the
/// two cells holding 0.0005 must be written R's way, `5e-04`, and nothing else changes.
#[test]
fn abalone_differs_from_header_plus_data_only_in_the_r_scientific_cells() {
    let Some(dir) = data_dir() else { return };
    let original = std::fs::read(dir.join("abalone/original/abalone.data")).unwrap();
    let naive = [format!("{ABALONE_HEADER}\n").as_bytes(), &original].concat();
    assert_eq!(naive.len(), 191_958);
    assert!(sha256_hex(&naive).starts_with("ea12ff37"));

    let converted = abalone_data_to_csv(&original).unwrap();
    let naive_text = String::from_utf8(naive).unwrap();
    let converted_text = String::from_utf8(converted).unwrap();
    let changed: Vec<(usize, &str, &str)> = naive_text
        .lines()
        .zip(converted_text.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a, b))
        .collect();
    assert_eq!(
        changed.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![238, 3524],
        "{changed:?}"
    );
    for (_, before, after) in changed {
        assert_eq!(before.replace(",0.0005,", ",5e-04,"), after);
    }
}

/// Every numeric text of the three reference CSVs is what `format_number` writes for its value
/// (so the formatter, not only the converters' output, matches the files).
#[test]
fn reference_csv_numbers_are_format_number_of_their_value() {
    let Some(dir) = data_dir() else { return };
    let mut cells = 0;
    for (dataset, _) in CASES {
        let manifest = registry::builtin(dataset).unwrap();
        let text = std::fs::read_to_string(dir.join(&manifest.files[0].path)).unwrap();
        for line in text.lines().skip(1) {
            for field in line.split(',').filter(|f| !matches!(*f, "M" | "F" | "I")) {
                let v: f64 = field.parse().unwrap();
                assert_eq!(format_number(v), field, "{dataset}");
                cells += 1;
            }
        }
    }
    // 4177 x 8 + 1030 x 9 + 414 x 7
    assert_eq!(cells, 33_416 + 9_270 + 2_898);
}

/// Every converter name in the manifests is a known one, and a broken original is a typed
/// error, never a panic.
#[test]
fn converters_reject_garbage_with_typed_errors() {
    for c in Converter::ALL {
        assert!(c.convert(b"").is_err(), "{c}");
        assert!(
            c.convert(&[0xd0, 0xcf, 0x11, 0xe0, 0, 1, 2]).is_err(),
            "{c}"
        );
        assert!(c.convert(b"PK\x03\x04garbage").is_err(), "{c}");
    }
}

/// Truncated and bit-flipped copies of the workbooks give an error or some output — never a
/// panic (calamine panics on some of them; the converters turn that into an error).
#[test]
fn damaged_workbooks_never_panic() {
    let Some(dir) = data_dir() else { return };
    for (dataset, name) in &CASES[1..] {
        let manifest = registry::builtin(dataset).unwrap();
        let converter = manifest.files[0].convert.unwrap();
        let bytes = std::fs::read(dir.join(dataset).join("original").join(name)).unwrap();
        let n = bytes.len();
        let mut cases: Vec<Vec<u8>> = (1..60).map(|k| bytes[..n * k / 60].to_vec()).collect();
        let mut state: u64 = 0x5eed;
        for _ in 0..150 {
            let mut b = bytes.clone();
            for _ in 0..3 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let i = (state >> 33) as usize % n;
                b[i] ^= 1 << ((state >> 20) % 8);
            }
            cases.push(b);
        }
        let mut errors = 0;
        for case in &cases {
            let outcome = std::panic::catch_unwind(|| converter.convert(case));
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => errors += 1,
                Err(_) => panic!("{converter} panicked on a damaged {name}"),
            }
        }
        assert!(errors > cases.len() / 2, "{converter}: {errors} errors");
    }
}
