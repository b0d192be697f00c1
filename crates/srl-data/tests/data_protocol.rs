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

/// A table under a protocol, plain and as cross-validation folds: the folds come from the
/// remaining rows, every fold shares the protocol's test part, the bins span all targets.
#[test]
fn table_folds_are_drawn_from_the_remaining_rows() {
    use srl_data::table::{prepare, read_table, split_rows, SplitSpec, TableSpec};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let mut text = String::from("a,b,y\n");
    for i in 0..300 {
        let a = (i * 37 % 101) as f64 / 10.0;
        let b = (i * 53 % 89) as f64;
        text += &format!("{a},{b},{}\n", a * a + 0.1 * b);
    }
    std::fs::write(&path, text).unwrap();
    let mut spec = TableSpec::new(&path, "y");
    let standard = prepare(&spec).unwrap();
    assert!(standard.protocol.is_none());
    let p: Protocol = "blind-spot:q0.3..q0.4,q0.6..q0.65".parse().unwrap();
    spec.protocol = p.clone();
    let b = prepare(&spec).unwrap();
    check_protocol(&b, &p);
    assert_eq!(b.train.len() + b.val.len() + b.test.len(), 300);
    let (raw, _, _) = read_table(&spec).unwrap();
    let all: Vec<f64> = b.all_targets();
    let range = &b.protocol.as_ref().unwrap().removed;
    let mut test = None;
    for fold in 0..3 {
        let mut s = spec.clone();
        s.split = SplitSpec::CrossValidation {
            outer: Box::new(spec.split.clone()),
            folds: 3,
            fold,
            seed: 0,
        };
        let (split, _) = split_rows(&s, &raw).unwrap();
        let y = srl_data::table::checked_targets(&s, &raw).unwrap();
        for &i in split.train.iter().chain(&split.val) {
            assert!(
                !range.contains(y[i]),
                "fold {fold}: row {i} ({}) in {range}",
                y[i]
            );
        }
        assert!(test.as_ref().is_none_or(|t| *t == split.test));
        test = Some(split.test.clone());
        let f = prepare(&s).unwrap();
        check_protocol(&f, &p);
        assert_eq!(
            f.protocol
                .as_ref()
                .unwrap()
                .test_in_removed
                .iter()
                .filter(|&&x| x)
                .count(),
            all.iter().filter(|&&v| range.contains(v)).count()
        );
    }
}
