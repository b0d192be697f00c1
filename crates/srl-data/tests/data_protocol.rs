//! The blind-spot and extrapolation protocols on real benchmarks (docs/protocols.md, "Blind
//! spot and extrapolation"): no training or validation row in the removed range, every
//! removed row tested (UCI) or dropped (IOL), the standard protocol unchanged.

use srl_data::iol::{linear_benchmark, LinearIolConfig};
use srl_data::protocol::{Protocol, ProtocolProblem};
use srl_data::{
    datadir::data_for_test, load_benchmark, load_benchmark_with, Benchmark, BenchmarkId, DataError,
    LoadOptions, Part,
};

fn opts(test: &str) -> Option<LoadOptions> {
    Some(LoadOptions {
        data_dir: data_for_test(test, "airfoil/airfoil_self_noise.dat")?,
        split_seed: 0,
    })
}

fn same_part(a: &Part, b: &Part) {
    assert_eq!(a.x, b.x);
    assert_eq!(a.y, b.y);
    assert_eq!(a.bins, b.bins);
    assert_eq!(a.shots, b.shots);
    assert_eq!(a.out_of_range, b.out_of_range);
}

/// Every training/validation target outside the removed range, every test row flagged iff
/// inside it, and `expect_removed` rows of the whole data in it.
fn check_protocol(b: &Benchmark, p: &Protocol) {
    let info = b.protocol.as_ref().expect("protocol info");
    assert_eq!(&info.protocol, p);
    let range = &info.removed;
    for (name, part) in [("training", &b.train), ("validation", &b.val)] {
        for &y in &part.y {
            assert!(!range.contains(y), "{name} target {y} in {range}");
        }
    }
    assert_eq!(info.test_in_removed.len(), b.test.len());
    for (&y, &flag) in b.test.y.iter().zip(&info.test_in_removed) {
        assert_eq!(range.contains(y), flag, "test target {y}");
    }
    assert!(info.test_in_removed.iter().any(|&f| f));
    // the bins are those of the full range: the removed bins exist but have no training rows
    let counts = b.train_bin_counts();
    for (&bin, _) in b
        .test
        .bins
        .iter()
        .zip(&info.test_in_removed)
        .filter(|(_, &f)| f)
    {
        assert!(bin < b.binning.num_bins());
        let inside_only = b
            .test
            .bins
            .iter()
            .zip(&b.test.y)
            .filter(|(&c, _)| c == bin)
            .all(|(_, &y)| range.contains(y));
        if inside_only {
            assert_eq!(counts[bin], 0, "bin {bin} entirely removed but trained on");
        }
    }
}

#[test]
fn airfoil_standard_protocol_is_unchanged() {
    let Some(o) = opts("airfoil_standard_protocol_is_unchanged") else {
        return;
    };
    let a = load_benchmark(BenchmarkId::Airfoil, &o).unwrap();
    let b = load_benchmark_with(BenchmarkId::Airfoil, &o, &Protocol::Standard).unwrap();
    for (x, y) in [(&a.train, &b.train), (&a.val, &b.val), (&a.test, &b.test)] {
        same_part(x, y);
    }
    assert_eq!(a.binning, b.binning);
    assert!(a.protocol.is_none() && b.protocol.is_none());
    assert_eq!((a.train.len(), a.val.len(), a.test.len()), (971, 266, 266));
}

#[test]
fn airfoil_removed_rows_move_to_test() {
    let Some(o) = opts("airfoil_removed_rows_move_to_test") else {
        return;
    };
    let standard = load_benchmark(BenchmarkId::Airfoil, &o).unwrap();
    let all = standard.all_targets();
    for text in [
        "blind-spot:q0.45..q0.55",
        "blind-spot:115..118,125..127",
        "extrapolation:high:0.1",
        "extrapolation:low:0.1",
    ] {
        let p: Protocol = text.parse().unwrap();
        let b = load_benchmark_with(BenchmarkId::Airfoil, &o, &p).unwrap();
        check_protocol(&b, &p);
        let info = b.protocol.as_ref().unwrap();
        assert!(info.moved_to_test);
        // no row lost: every row of the file in one part; every removed row in the test part
        assert_eq!(b.train.len() + b.val.len() + b.test.len(), 1503, "{text}");
        let in_range = all.iter().filter(|&&y| info.removed.contains(y)).count();
        let tested = info.test_in_removed.iter().filter(|&&f| f).count();
        assert_eq!(tested, in_range, "{text}: every removed row is tested");
        assert_eq!(
            b.train.len() + info.removed_train,
            standard.train.len(),
            "{text}"
        );
        assert_eq!(b.val.len() + info.removed_val, standard.val.len(), "{text}");
        assert_eq!(
            b.binning, standard.binning,
            "{text}: bins of the full range"
        );
        // inputs standardised with the remaining training rows
        let mean = b.train.x.mean_axis(ndarray::Axis(0)).unwrap();
        assert!(mean.iter().all(|m| m.abs() < 1e-9), "{text}: {mean}");
    }
}

#[test]
fn iol_linear_removed_rows_are_dropped() {
    let cfg = LinearIolConfig {
        train_functions: 60,
        val_functions: 10,
        test_functions: 10,
        ..Default::default()
    };
    let standard = linear_benchmark(&cfg, 0).unwrap();
    for text in ["blind-spot:q0.4..q0.6", "extrapolation:high:0.1"] {
        let p: Protocol = text.parse().unwrap();
        let b = linear_benchmark(&cfg, 0)
            .unwrap()
            .drop_removed_rows(&p)
            .unwrap();
        check_protocol(&b, &p);
        let info = b.protocol.as_ref().unwrap();
        assert!(!info.moved_to_test);
        same_part(&b.test, &standard.test);
        assert_eq!(b.binning, standard.binning);
        assert_eq!(b.train.len() + info.removed_train, standard.train.len());
        assert_eq!(b.val.len() + info.removed_val, standard.val.len());
        assert!(info.removed_train > 0, "{text}");
    }
    let same = linear_benchmark(&cfg, 0)
        .unwrap()
        .drop_removed_rows(&Protocol::Standard)
        .unwrap();
    same_part(&same.train, &standard.train);
    assert!(same.protocol.is_none());
}

#[test]
fn a_protocol_that_leaves_no_training_rows_is_refused() {
    let Some(o) = opts("a_protocol_that_leaves_no_training_rows_is_refused") else {
        return;
    };
    let p: Protocol = "extrapolation:low:0.999".parse().unwrap();
    match load_benchmark_with(BenchmarkId::Airfoil, &o, &p) {
        Err(DataError::Protocol {
            problem: ProtocolProblem::NoRowsLeft { .. },
        }) => {}
        other => panic!("{:?}", other.map(|b| b.train.len())),
    }
    let p: Protocol = "blind-spot:100..150".parse().unwrap();
    assert!(matches!(
        load_benchmark_with(BenchmarkId::Airfoil, &o, &p),
        Err(DataError::Protocol {
            problem: ProtocolProblem::NotInterior { .. }
        })
    ));
}
