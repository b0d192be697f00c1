//! The built-in manifests against the shared data folder: every file of SHA256SUMS is covered
//! with the same hash, every dataset verifies, and the protocol parameters are those of
//! docs/protocols.md.

use srl_data::manifest::Format;
use srl_data::metrics::ShotRuleName;
use srl_data::{datadir::data_for_test, registry, DataError};

#[test]
fn every_sha256sums_entry_is_in_a_manifest() {
    let Some(dir) = data_for_test("data_manifests", "") else {
        return;
    };
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let manifests = registry::builtin_all().unwrap();
    let mut listed = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, path) = line.split_once("  ").expect("sha256sum format");
        let entry = manifests
            .iter()
            .flat_map(|m| &m.files)
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} is in SHA256SUMS but in no manifest"));
        assert_eq!(entry.sha256, hash, "{path}");
        listed += 1;
    }
    let in_manifests: usize = manifests.iter().map(|m| m.files.len()).sum();
    assert_eq!(
        listed, in_manifests,
        "manifests list files not in SHA256SUMS"
    );
}

#[test]
fn every_dataset_verifies() {
    let Some(dir) = data_for_test("data_manifests", "") else {
        return;
    };
    for name in registry::builtin_names() {
        registry::builtin(name).unwrap().verify(&dir).unwrap();
    }
}

#[test]
fn tampered_or_missing_file_is_reported() {
    let Some(dir) = data_for_test("data_manifests", "") else {
        return;
    };
    let m = registry::builtin("real-estate").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    match m.verify(tmp.path()) {
        Err(DataError::MissingFile { dataset, hint, .. }) => {
            assert_eq!(dataset, "real-estate");
            assert!(hint.contains("SRL_DATA_DIR"));
        }
        other => panic!("{other:?}"),
    }
    std::fs::create_dir_all(tmp.path().join("real-estate")).unwrap();
    let mut bytes = std::fs::read(dir.join("real-estate/real_estate.csv")).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(tmp.path().join("real-estate/real_estate.csv"), bytes).unwrap();
    assert!(matches!(
        m.verify(tmp.path()),
        Err(DataError::ChecksumMismatch { .. })
    ));
    let opts = srl_data::LoadOptions {
        data_dir: tmp.path().to_path_buf(),
        split_seed: 0,
    };
    assert!(matches!(
        srl_data::load_benchmark(srl_data::BenchmarkId::RealEstate, &opts),
        Err(DataError::ChecksumMismatch { .. })
    ));
}

#[test]
fn protocol_parameters_match_protocols_md() {
    let expect = [
        ("airfoil", 1.0, 10, [971, 266, 266], false),
        ("abalone", 1.0, 30, [3305, 436, 436], true),
        ("concrete", 2.0, 5, [708, 161, 161], true),
        ("real-estate", 2.0, 5, [208, 103, 103], true),
    ];
    for (name, width, cap, sizes, header) in expect {
        let m = registry::builtin(name).unwrap();
        let p = m.protocol.as_ref().unwrap();
        assert_eq!(p.bin_width, Some(width), "{name}");
        assert_eq!(p.val_test_cap, Some(cap), "{name}");
        assert_eq!(p.split_sizes, Some(sizes), "{name}");
        assert_eq!(p.shot_rule, ShotRuleName::Terciles, "{name}");
        match &m.format {
            Format::Delimited { header: h, .. } => assert_eq!(*h, header, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(m.files[0]
            .url
            .as_deref()
            .unwrap()
            .starts_with("https://archive.ics.uci.edu/"));
        assert!(m.files[0].member.is_some());
    }
    // Converted from .xls/.xlsx → derived note.
    for name in ["concrete", "real-estate"] {
        assert!(registry::builtin(name).unwrap().files[0].derived.is_some());
    }
    assert_eq!(
        registry::builtin("abalone")
            .unwrap()
            .columns
            .unwrap()
            .nominal,
        vec!["Sex"]
    );
    let agedb = registry::builtin("agedb-dir").unwrap();
    assert_eq!(agedb.protocol.unwrap().shot_rule, ShotRuleName::Threshold);
    let stsb = registry::builtin("stsb-dir").unwrap();
    assert_eq!(stsb.files.len(), 7);
    assert_eq!(stsb.protocol.unwrap().num_bins, Some(50));
}
