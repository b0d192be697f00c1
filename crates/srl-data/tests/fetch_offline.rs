//! `fetch_dataset` without a network: `--from-dir` imports (good, by file name, corrupted,
//! missing), files that must be placed by hand (no URL, derived), and unsafe manifest paths.

use srl_data::checksum::sha256_hex;
use srl_data::fetch::{fetch_dataset, FetchAction, FetchOptions};
use srl_data::{DataError, Manifest};
use std::path::{Path, PathBuf};

const CSV: &[u8] = b"x,y\n0.5,1\n1.5,2\n";

/// A one-file manifest; `extra` is appended to the `[[files]]` table (url, derived, …).
fn manifest(path: &str, sha256: &str, extra: &str) -> Manifest {
    let toml = format!(
        "name = \"toy\"\ntitle = \"Toy\"\nlicense = \"CC0\"\ncitation = \"none\"\n\
         [format]\nkind = \"npz\"\n\
         [[files]]\npath = \"{path}\"\nsha256 = \"{sha256}\"\n{extra}"
    );
    Manifest::from_toml(&toml, Path::new("toy.toml")).unwrap()
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

struct Setup {
    _tmp: tempfile::TempDir,
    inbox: PathBuf,
    data: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&inbox).unwrap();
    Setup {
        _tmp: tmp,
        inbox,
        data,
    }
}

fn import_opts(s: &Setup) -> FetchOptions {
    let mut o = FetchOptions::new(&s.data);
    o.from_dir = Some(s.inbox.clone());
    o
}

#[test]
fn from_dir_imports_with_the_data_dir_layout() {
    let s = setup();
    std::fs::create_dir_all(s.inbox.join("toy")).unwrap();
    std::fs::write(s.inbox.join("toy/toy.csv"), CSV).unwrap();
    let m = manifest("toy/toy.csv", &sha256_hex(CSV), "");
    let r = fetch_dataset(&m, &import_opts(&s)).unwrap();
    assert_eq!(
        r.files[0].action,
        FetchAction::Copied {
            from: s.inbox.join("toy/toy.csv")
        }
    );
    assert_eq!(std::fs::read(s.data.join("toy/toy.csv")).unwrap(), CSV);
    assert_eq!(files_below(&s.data), vec![PathBuf::from("toy/toy.csv")]);
    // The source is left alone.
    assert!(s.inbox.join("toy/toy.csv").is_file());
}

#[test]
fn from_dir_accepts_a_flat_file_name() {
    let s = setup();
    std::fs::write(s.inbox.join("toy.csv"), CSV).unwrap();
    let m = manifest("toy/toy.csv", &sha256_hex(CSV), "");
    let r = fetch_dataset(&m, &import_opts(&s)).unwrap();
    assert_eq!(
        r.files[0].action,
        FetchAction::Copied {
            from: s.inbox.join("toy.csv")
        }
    );
    assert_eq!(std::fs::read(s.data.join("toy/toy.csv")).unwrap(), CSV);
}

#[test]
fn from_dir_refuses_a_corrupted_file_and_writes_nothing() {
    let s = setup();
    std::fs::write(s.inbox.join("toy.csv"), b"x,y\n0.5,1\n1.5,3\n").unwrap();
    let m = manifest("toy/toy.csv", &sha256_hex(CSV), "");
    let err = fetch_dataset(&m, &import_opts(&s)).unwrap_err();
    match &err {
        DataError::ChecksumMismatch {
            dataset,
            file,
            expected,
            ..
        } => {
            assert_eq!(dataset, "toy");
            assert!(file.contains("inbox"), "must name the source file: {file}");
            assert_eq!(expected, &sha256_hex(CSV));
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    assert!(files_below(&s.data).is_empty());
}

#[test]
fn from_dir_without_the_file_is_a_missing_file_naming_the_source() {
    let s = setup();
    let m = manifest(
        "toy/toy.csv",
        &sha256_hex(CSV),
        "url = \"https://example.invalid/toy.zip\"\nmember = \"toy.data\"\n",
    );
    let err = fetch_dataset(&m, &import_opts(&s)).unwrap_err();
    match &err {
        DataError::MissingFile { dataset, hint, .. } => {
            assert_eq!(dataset, "toy");
            assert!(hint.contains("https://example.invalid/toy.zip"), "{hint}");
            assert!(hint.contains("toy.data"), "{hint}");
        }
        other => panic!("expected MissingFile, got {other:?}"),
    }
    assert!(files_below(&s.data).is_empty());
}

#[test]
fn already_present_file_is_not_reimported() {
    let s = setup();
    std::fs::create_dir_all(s.data.join("toy")).unwrap();
    std::fs::write(s.data.join("toy/toy.csv"), CSV).unwrap();
    // The inbox copy is corrupt, but the good local copy wins without `force`…
    std::fs::write(s.inbox.join("toy.csv"), b"corrupt").unwrap();
    let m = manifest("toy/toy.csv", &sha256_hex(CSV), "");
    let r = fetch_dataset(&m, &import_opts(&s)).unwrap();
    assert_eq!(r.files[0].action, FetchAction::AlreadyPresent);
    assert_eq!(r.files[0].bytes, CSV.len() as u64);
    // …while `force` re-imports, refuses the corrupt copy and keeps the good file.
    let mut forced = import_opts(&s);
    forced.force = true;
    let err = fetch_dataset(&m, &forced).unwrap_err();
    assert!(matches!(err, DataError::ChecksumMismatch { .. }), "{err:?}");
    assert_eq!(std::fs::read(s.data.join("toy/toy.csv")).unwrap(), CSV);
    assert_eq!(files_below(&s.data), vec![PathBuf::from("toy/toy.csv")]);
}

#[test]
fn file_without_url_must_be_placed_by_hand() {
    let s = setup();
    let m = manifest("toy/toy.csv", &sha256_hex(CSV), "");
    let err = fetch_dataset(&m, &FetchOptions::new(&s.data)).unwrap_err();
    match &err {
        DataError::MissingFile { dataset, hint, .. } => {
            assert_eq!(dataset, "toy");
            assert!(hint.contains("--from-dir"), "{hint}");
            assert!(hint.contains("SRL_DATA_DIR"), "{hint}");
        }
        other => panic!("expected MissingFile, got {other:?}"),
    }
    assert!(files_below(&s.data).is_empty());
}

#[test]
fn derived_file_is_not_downloaded_and_names_the_canonical_url() {
    let s = setup();
    let m = manifest(
        "toy/toy.csv",
        &sha256_hex(CSV),
        "url = \"https://example.invalid/toy.zip\"\nmember = \"Toy.xls\"\n\
         derived = \"Sheet1 of Toy.xls exported as CSV\"\n",
    );
    // No server anywhere: the error must come before any network access.
    let err = fetch_dataset(&m, &FetchOptions::new(&s.data)).unwrap_err();
    match &err {
        DataError::Download {
            dataset,
            url,
            reason,
            hint,
        } => {
            assert_eq!(dataset, "toy");
            assert_eq!(url, "https://example.invalid/toy.zip");
            assert!(reason.contains("derived"), "{reason}");
            assert!(hint.contains("--from-dir"), "{hint}");
        }
        other => panic!("expected Download, got {other:?}"),
    }
    // The same file imports fine from a folder.
    std::fs::write(s.inbox.join("toy.csv"), CSV).unwrap();
    let r = fetch_dataset(&m, &import_opts(&s)).unwrap();
    assert!(matches!(r.files[0].action, FetchAction::Copied { .. }));
}

#[test]
fn unsafe_manifest_paths_are_rejected() {
    let s = setup();
    for bad in ["../escape.csv", "/abs/toy.csv", "toy/../../x.csv"] {
        let m = manifest(bad, &sha256_hex(CSV), "");
        let err = fetch_dataset(&m, &import_opts(&s)).unwrap_err();
        assert!(matches!(err, DataError::Invalid { .. }), "{bad}: {err:?}");
    }
    assert!(files_below(&s.data).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Converted datasets imported with --from-dir
// ---------------------------------------------------------------------------------------------

#[test]
fn from_dir_converts_an_upstream_original_of_a_builtin_dataset() {
    let Some(shared) =
        srl_data::datadir::data_for_test("fetch_offline", "concrete/original/Concrete_Data.xls")
    else {
        return;
    };
    let s = setup();
    let manifest = srl_data::registry::builtin("concrete").unwrap();
    // No network: the workbook as extracted from UCI's zip, placed flat in the folder.
    std::fs::copy(
        shared.join("concrete/original/Concrete_Data.xls"),
        s.inbox.join("Concrete_Data.xls"),
    )
    .unwrap();
    let report = fetch_dataset(&manifest, &import_opts(&s)).unwrap();
    let outcome = &report.files[0];
    assert_eq!(
        outcome.action,
        FetchAction::Copied {
            from: s.inbox.join("Concrete_Data.xls")
        }
    );
    let conversion = outcome.converted.as_ref().unwrap();
    assert_eq!(conversion.original, "Concrete_Data.xls");
    assert!(conversion.original_verified);
    assert_eq!(
        std::fs::read(s.data.join("concrete/concrete.csv")).unwrap(),
        std::fs::read(shared.join("concrete/concrete.csv")).unwrap()
    );
    assert_eq!(
        files_below(&s.data),
        vec![PathBuf::from("concrete/concrete.csv")]
    );
}

#[test]
fn from_dir_refuses_a_damaged_original_and_writes_nothing() {
    let Some(shared) =
        srl_data::datadir::data_for_test("fetch_offline", "abalone/original/abalone.data")
    else {
        return;
    };
    let s = setup();
    let manifest = srl_data::registry::builtin("abalone").unwrap();
    let mut original = std::fs::read(shared.join("abalone/original/abalone.data")).unwrap();
    original.truncate(original.len() / 2);
    std::fs::create_dir_all(s.inbox.join("abalone")).unwrap();
    std::fs::write(s.inbox.join("abalone/abalone.data"), &original).unwrap();
    let err = fetch_dataset(&manifest, &import_opts(&s)).unwrap_err();
    match &err {
        DataError::ChecksumMismatch { file, expected, .. } => {
            assert!(
                file.contains("abalone.data") && file.contains("inbox"),
                "{file}"
            );
            assert_eq!(Some(expected), manifest.files[0].original_sha256.as_ref());
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    assert!(files_below(&s.data).is_empty());
}

#[test]
fn missing_import_names_the_original_a_converted_file_accepts() {
    let s = setup();
    let manifest = srl_data::registry::builtin("real-estate").unwrap();
    let err = fetch_dataset(&manifest, &import_opts(&s)).unwrap_err();
    match &err {
        DataError::MissingFile { hint, .. } => {
            assert!(hint.contains("real_estate.csv"), "{hint}");
            assert!(
                hint.contains("Real estate valuation data set.xlsx"),
                "{hint}"
            );
            assert!(hint.contains("real-estate-xlsx"), "{hint}");
        }
        other => panic!("expected MissingFile, got {other:?}"),
    }
}

#[test]
fn manifest_convert_fields_are_validated() {
    let sha = sha256_hex(CSV);
    let parse = |extra: &str| {
        Manifest::from_toml(
            &format!(
                "name = \"toy\"\ntitle = \"Toy\"\nlicense = \"CC0\"\ncitation = \"none\"\n\
                 [format]\nkind = \"npz\"\n[[files]]\npath = \"toy/toy.csv\"\n\
                 sha256 = \"{sha}\"\n{extra}"
            ),
            Path::new("toy.toml"),
        )
    };
    let url = "url = \"https://example.invalid/static/toy.zip\"\n";
    let ok = parse(&format!(
        "{url}member = \"dir/Toy.xls\"\nconvert = \"concrete-xls\"\noriginal_sha256 = \"{sha}\"\n"
    ))
    .unwrap();
    assert_eq!(ok.files[0].original_name(), Some("Toy.xls"));
    let whole = parse(&format!("{url}convert = \"abalone-data\"\n")).unwrap();
    assert_eq!(whole.files[0].original_name(), Some("toy.zip"));
    for bad in [
        format!("{url}convert = \"xls-to-csv\"\n"),
        "convert = \"abalone-data\"\n".to_string(),
        format!("{url}original_sha256 = \"{sha}\"\n"),
        format!("{url}convert = \"abalone-data\"\noriginal_sha256 = \"abc\"\n"),
    ] {
        assert!(
            matches!(parse(&bad), Err(DataError::Manifest { .. })),
            "{bad}"
        );
    }
}
