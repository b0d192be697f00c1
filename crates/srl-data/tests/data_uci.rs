//! UCI-DIR benchmarks from the shared data: split sizes of docs/protocols.md, reproducibility,
//! train-only standardisation, tercile shot groups.

use srl_data::metrics::tercile_thresholds;
use srl_data::{datadir::data_for_test, load_benchmark, Benchmark, LoadOptions, Shot};

/// The benchmark, or `None` (a skip line; a failure under CI) without the shared data.
fn load(name: &str, seed: u64) -> Option<Benchmark> {
    let dir = data_for_test("data_uci", name)?;
    Some(
        load_benchmark(
            name.parse().unwrap(),
            &LoadOptions {
                data_dir: dir,
                split_seed: seed,
            },
        )
        .unwrap(),
    )
}

fn shot_counts(shots: &[Shot]) -> [usize; 3] {
    let c = |s| shots.iter().filter(|&&x| x == s).count();
    [c(Shot::Many), c(Shot::Medium), c(Shot::Few)]
}

/// (name, train/val/test, test many/medium/few, input dim).
const EXPECTED: [(&str, [usize; 3], [usize; 3], usize); 4] = [
    ("airfoil", [971, 266, 266], [120, 115, 31], 5),
    ("abalone", [3305, 436, 436], [210, 180, 46], 10),
    ("concrete", [708, 161, 161], [65, 65, 31], 8),
    ("real-estate", [208, 103, 103], [45, 46, 12], 6),
];

#[test]
fn split_sizes_and_shot_groups() {
    for (name, sizes, test_shots, dim) in EXPECTED {
        let Some(b) = load(name, 0) else {
            return;
        };
        assert_eq!([b.train.len(), b.val.len(), b.test.len()], sizes, "{name}");
        assert_eq!(shot_counts(&b.test.shots), test_shots, "{name} test shots");
        // val and test have the same bin histogram by construction.
        assert_eq!(shot_counts(&b.val.shots), test_shots, "{name} val shots");
        assert_eq!(b.train.x.ncols(), dim, "{name}");
        assert_eq!(b.feature_names.len(), dim, "{name}");
        for p in [&b.train, &b.val, &b.test] {
            assert_eq!(p.x.nrows(), p.len());
            assert_eq!(p.bins.len(), p.len());
            assert_eq!(p.shots.len(), p.len());
            assert!(p.x.iter().all(|v| v.is_finite()));
        }
        // The tercile rule, recomputed from the parts.
        let counts = b.train_bin_counts();
        let (t_lo, t_hi) = tercile_thresholds(&counts, &b.test.bins).unwrap();
        for (&bin, &shot) in b.train.bins.iter().zip(&b.train.shots) {
            let n = counts[bin];
            let want = if n < t_lo {
                Shot::Few
            } else if n >= t_hi {
                Shot::Many
            } else {
                Shot::Medium
            };
            assert_eq!(shot, want, "{name} bin {bin}");
        }
    }
}

#[test]
fn standardised_with_train_statistics_only() {
    let Some(b) = load("concrete", 0) else {
        return;
    };
    for j in 0..b.train.x.ncols() {
        let col = b.train.x.column(j);
        let mean = col.mean().unwrap();
        let var = col.mapv(|v| (v - mean) * (v - mean)).mean().unwrap();
        assert!(mean.abs() < 1e-10, "col {j} mean {mean}");
        assert!((var - 1.0).abs() < 1e-10, "col {j} var {var}");
    }
    // Test inputs are not re-centred on their own.
    let test_mean: f64 = b.test.x.column(0).mean().unwrap();
    assert!(test_mean.abs() > 1e-6);
    // Targets stay in MPa.
    assert!(b.test.y.iter().all(|&y| (2.0..83.0).contains(&y)));
}

#[test]
fn abalone_sex_is_one_hot() {
    let Some(b) = load("abalone", 0) else {
        return;
    };
    assert_eq!(&b.feature_names[..3], &["Sex=F", "Sex=I", "Sex=M"]);
    assert_eq!(b.target_name, "Rings");
    assert_eq!(b.binning.origin(), 1.0);
    assert_eq!(b.binning.num_bins(), 29);
}

#[test]
fn split_is_reproducible_and_seeded() {
    let (Some(a), Some(b), Some(c)) = (
        load("real-estate", 0),
        load("real-estate", 0),
        load("real-estate", 1),
    ) else {
        return;
    };
    assert_eq!(a.test.y, b.test.y);
    assert_eq!(a.train.x, b.train.x);
    assert_ne!(a.test.y, c.test.y);
    // Sizes do not depend on the seed.
    assert_eq!(c.test.len(), 103);
}

#[test]
fn uci_loader_rejects_other_names() {
    let opts = LoadOptions {
        data_dir: std::path::PathBuf::from("/nonexistent"),
        split_seed: 0,
    };
    assert!(matches!(
        srl_data::uci::load_uci_benchmark("stsb-dir", &opts),
        Err(srl_data::DataError::UnknownDataset { .. })
    ));
    assert!(matches!(
        load_benchmark(srl_data::BenchmarkId::Airfoil, &opts),
        Err(srl_data::DataError::MissingFile { .. })
    ));
}
