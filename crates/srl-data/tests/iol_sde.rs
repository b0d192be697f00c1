//! Tests of the nonlinear (stochastic elliptic) IOL benchmark read from `iol-sde/*.npz`.
//!
//! Tests needing the real files are skipped (with a message) when no data directory is found
//! (`SRL_DATA_DIR` or `../shared/datasets`).

use ndarray::Array2;
use ndarray_npy::NpzReader;
use srl_data::datadir::data_for_test;
use srl_data::iol::{group_identical_rows, location_weight, sde_benchmark, SDE_INPUT_WIDTH};
use srl_data::{DataError, Part, Shot};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    data_for_test("iol_sde", "iol-sde/train_sde.npz")
}

fn shot_counts(part: &Part) -> [usize; 3] {
    let mut c = [0; 3];
    for s in &part.shots {
        c[match s {
            Shot::Many => 0,
            Shot::Medium => 1,
            Shot::Few => 2,
        }] += 1;
    }
    c
}

/// Bit patterns of the function part (first 240 columns) of every row.
fn function_keys(part: &Part) -> Vec<Vec<u64>> {
    part.x
        .outer_iter()
        .map(|r| {
            r.iter()
                .take(SDE_INPUT_WIDTH)
                .map(|v| v.to_bits())
                .collect()
        })
        .collect()
}

fn centre_share(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut centre, mut n) = (0usize, 0usize);
    for x in xs {
        n += 1;
        if location_weight(x) == 1.0 {
            centre += 1;
        }
    }
    centre as f64 / n as f64
}

#[test]
fn training_file_is_1000_functions_in_consecutive_blocks_of_10() {
    let Some(dir) = data_dir() else { return };
    let file = std::fs::File::open(dir.join("iol-sde/train_sde.npz")).unwrap();
    let mut npz = NpzReader::new(file).unwrap();
    let x0: Array2<f64> = npz.by_name("X_train0").unwrap();
    assert_eq!(x0.dim(), (10_000, 240));
    let ids = group_identical_rows(&x0);
    let expected: Vec<usize> = (0..10_000).map(|r| r / 10).collect();
    assert_eq!(ids, expected);
}

#[test]
fn split_sizes_follow_the_protocol() {
    let Some(dir) = data_dir() else { return };
    let b = sde_benchmark(&dir, 0).unwrap();
    assert_eq!(b.name, srl_data::BenchmarkId::IolSde);
    assert_eq!(b.target_name, "u");
    assert_eq!(b.feature_names.len(), 241);
    assert_eq!(b.feature_names[240], "x");
    assert_eq!(b.train.x.dim(), (5_400, 241));
    assert_eq!(b.val.x.dim(), (1_000, 241));
    assert_eq!(b.test.x.dim(), (10_000, 241));
    assert_eq!(b.binning.num_bins(), 100);
    for part in [&b.train, &b.val, &b.test] {
        assert_eq!(part.bins.len(), part.len());
        assert!(part.bins.iter().all(|&k| k < 100));
    }
    println!(
        "iol-sde shots [many, medium, few]: train {:?}, val {:?}, test {:?}; target range \
         [{:.4}, {:.4}]",
        shot_counts(&b.train),
        shot_counts(&b.val),
        shot_counts(&b.test),
        b.binning.origin(),
        b.binning.origin() + 100.0 * b.binning.width()
    );
}

#[test]
fn validation_functions_are_whole_and_disjoint_from_training() {
    let Some(dir) = data_dir() else { return };
    let b = sde_benchmark(&dir, 0).unwrap();
    let mut per_val_function: HashMap<Vec<u64>, usize> = HashMap::new();
    for k in function_keys(&b.val) {
        *per_val_function.entry(k).or_default() += 1;
    }
    assert_eq!(per_val_function.len(), 100);
    assert!(per_val_function.values().all(|&c| c == 10));
    let train_functions: HashSet<Vec<u64>> = function_keys(&b.train).into_iter().collect();
    assert!(per_val_function
        .keys()
        .all(|k| !train_functions.contains(k)));
    // 900 remaining functions, nearly all of which keep some rows.
    assert!(train_functions.len() > 850 && train_functions.len() <= 900);
    // Training rows are distinct file rows (drawn without replacement).
    let rows: HashSet<(Vec<u64>, u64)> = function_keys(&b.train)
        .into_iter()
        .zip(b.train.x.column(240).iter().map(|x| x.to_bits()))
        .collect();
    assert_eq!(rows.len(), 5_400);
}

#[test]
fn training_locations_skew_toward_the_centre() {
    let Some(dir) = data_dir() else { return };
    let b = sde_benchmark(&dir, 0).unwrap();
    let train_centre = centre_share(b.train.x.column(240).iter().copied());
    let val_centre = centre_share(b.val.x.column(240).iter().copied());
    let test_centre = centre_share(b.test.x.column(240).iter().copied());
    println!("centre [0.4,0.6) share: train {train_centre:.3}, val {val_centre:.3}, test {test_centre:.3}");
    assert!((test_centre - 0.2).abs() < 0.02);
    assert!(train_centre > 0.25, "train centre share {train_centre}");
    let [_, _, few] = shot_counts(&b.train);
    let [_, _, val_few] = shot_counts(&b.val);
    assert!((few as f64 / 5_400.0) < 0.5 * (val_few as f64 / 1_000.0));
    let mean_w = |p: &Part| {
        p.x.column(240)
            .iter()
            .map(|&x| location_weight(x))
            .sum::<f64>()
            / p.len() as f64
    };
    assert!(mean_w(&b.train) > mean_w(&b.val) + 0.05);
}

#[test]
fn split_is_deterministic_for_a_seed() {
    let Some(dir) = data_dir() else { return };
    let a = sde_benchmark(&dir, 0).unwrap();
    let b = sde_benchmark(&dir, 0).unwrap();
    let c = sde_benchmark(&dir, 1).unwrap();
    assert_eq!(a.train.x, b.train.x);
    assert_eq!(a.val.y, b.val.y);
    assert_ne!(a.train.x, c.train.x);
    assert_ne!(a.val.x, c.val.x);
    // The test part is every test-file row in file order, whatever the seed.
    assert_eq!(a.test.x, c.test.x);
    assert_eq!(a.test.y, c.test.y);
}

#[test]
fn missing_files_are_reported_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    match sde_benchmark(tmp.path(), 0) {
        Err(DataError::MissingFile {
            dataset,
            path,
            hint,
        }) => {
            assert_eq!(dataset, "iol-sde");
            assert!(path.ends_with("iol-sde/train_sde.npz"));
            assert!(hint.contains("SRL_DATA_DIR"));
        }
        other => panic!("expected MissingFile, got {:?}", other.map(|b| b.name)),
    }
}

#[test]
fn corrupt_files_fail_the_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("iol-sde")).unwrap();
    for f in ["train_sde.npz", "test_sde.npz"] {
        std::fs::write(tmp.path().join("iol-sde").join(f), b"not an npz").unwrap();
    }
    assert!(matches!(
        sde_benchmark(tmp.path(), 0),
        Err(DataError::ChecksumMismatch { .. })
    ));
}
