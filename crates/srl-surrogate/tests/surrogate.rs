//! Tests of the surrogate: table completion, its backward pass (finite differences), the
//! memory update and validation.

use approx::assert_relative_eq;
use ndarray::{array, Array2};
use proptest::prelude::*;
use srl_surrogate::{
    MemoryParams, MemoryUpdate, RowSource, Surrogate, SurrogateConfig, SurrogateError,
};

use srl_testkit::random::gaussian_matrix as gaussian;
use srl_testkit::FdCheck;

fn unit_rows(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    srl_geometry::normalize_rows(gaussian(rows, cols, seed).view()).0
}

/// A surrogate whose bins in `seen_bins` have memory rows from random features.
fn surrogate_with_memory(k: usize, d: usize, seen_bins: &[usize], seed: u64) -> Surrogate<f64> {
    let mut s = Surrogate::new(SurrogateConfig::new(k, d)).unwrap();
    let z = unit_rows(seen_bins.len() * 2, d, seed);
    let bins: Vec<usize> = seen_bins.iter().flat_map(|&b| [b, b]).collect();
    s.accumulate(z.view(), &bins).unwrap();
    s.end_epoch().unwrap();
    s
}

/// Checks `SurrogateTable::backward_into` against central differences of
/// L(z) = Σ_k ⟨W_k, C_k(z)⟩ for a random W.
fn check_backward(s: &Surrogate<f64>, z: &Array2<f64>, bins: &[usize], seed: u64) {
    let (k, d) = (s.num_bins(), s.dim());
    let w = gaussian(k, d, seed ^ 0xABCD);
    let loss = |z: &Array2<f64>| -> f64 {
        let t = s.complete(z.view(), bins).unwrap();
        (&t.table() * &w).sum()
    };
    let t = s.complete(z.view(), bins).unwrap();
    // backward_into ADDS: start from a known offset.
    let mut grad = Array2::from_elem(z.raw_dim(), 1.0);
    t.backward_into(w.view(), grad.view_mut()).unwrap();
    grad -= 1.0;
    FdCheck::new(1e-6)
        .epsilon(1e-8)
        .max_relative(1e-6)
        .check(z, &grad, loss);
}

#[test]
fn backward_matches_finite_differences_with_memory_and_unseen_rows() {
    // K = 6: bins 0, 3 present; 1, 4 from memory; 2, 5 never seen.
    let s = surrogate_with_memory(6, 4, &[1, 3, 4], 1);
    let z = gaussian(5, 4, 2);
    let bins = [0, 3, 0, 3, 3];
    let t = s.complete(z.view(), &bins).unwrap();
    assert_eq!(t.source(0), RowSource::Batch { count: 2 });
    assert_eq!(t.source(1), RowSource::Memory);
    assert_eq!(t.source(2), RowSource::Unseen);
    assert_eq!(t.source(3), RowSource::Batch { count: 3 });
    assert_eq!(t.present_bins(), &[0, 3]);
    assert!(t.is_zero_row(2) && t.is_zero_row(5) && !t.is_zero_row(4));
    check_backward(&s, &z, &bins, 3);
}

#[test]
fn backward_single_present_bin() {
    let s = surrogate_with_memory(4, 3, &[0, 1, 2, 3], 4);
    let z = gaussian(4, 3, 5);
    check_backward(&s, &z, &[2, 2, 2, 2], 6);
}

#[test]
fn backward_one_sample_per_bin_and_k2() {
    let s = Surrogate::new(SurrogateConfig::new(2, 5)).unwrap();
    let z = gaussian(2, 5, 7);
    check_backward(&s, &z, &[1, 0], 8);
    let s = Surrogate::new(SurrogateConfig::new(5, 3)).unwrap();
    let z = gaussian(5, 3, 9);
    check_backward(&s, &z, &[4, 2, 0, 1, 3], 10);
}

#[test]
fn backward_duplicate_samples() {
    let s = surrogate_with_memory(3, 4, &[2], 11);
    let mut z = gaussian(4, 4, 12);
    let first = z.row(0).to_owned();
    z.row_mut(1).assign(&first);
    check_backward(&s, &z, &[0, 0, 1, 0], 13);
}

#[test]
fn table_rows_are_unit_or_zero_and_memory_rows_normalised() {
    let s = surrogate_with_memory(5, 3, &[0, 1], 14);
    let z = unit_rows(3, 3, 15);
    let t = s.complete(z.view(), &[2, 2, 3]).unwrap();
    for k in 0..5 {
        let n = t.table().row(k).dot(&t.table().row(k)).sqrt();
        match t.source(k) {
            RowSource::Unseen => assert_eq!(n, 0.0),
            _ => assert_relative_eq!(n, 1.0, epsilon = 1e-12),
        }
    }
    let m = s.memory().row(1).to_owned();
    let mn = m.dot(&m).sqrt();
    for j in 0..3 {
        assert_relative_eq!(t.table()[[1, j]], m[j] / mn, epsilon = 1e-12);
    }
}

#[test]
fn complete_into_reuses_buffers_and_matches_complete() {
    let s = surrogate_with_memory(4, 3, &[1], 16);
    let mut table = srl_surrogate::SurrogateTable::new(4, 3);
    for seed in 0..3 {
        let z = gaussian(6, 3, 100 + seed);
        let bins = [0, 2, 2, 0, 3, 0];
        s.complete_into(z.view(), &bins, &mut table).unwrap();
        let fresh = s.complete(z.view(), &bins).unwrap();
        assert_eq!(table.table(), fresh.table());
        assert_eq!(table.sources(), fresh.sources());
        assert_eq!(table.batch_bins(), &bins);
    }
}

#[test]
fn first_update_copies_second_mixes_unseen_stay_zero() {
    let mut s = Surrogate::<f64>::new(SurrogateConfig::with_params(
        3,
        2,
        MemoryParams {
            momentum: 0.75,
            ..MemoryParams::default()
        },
    ))
    .unwrap();
    s.accumulate(array![[1.0, 0.0], [0.0, 1.0]].view(), &[0, 0])
        .unwrap();
    s.end_epoch().unwrap();
    assert_eq!(s.memory().row(0).to_vec(), vec![0.5, 0.5]);
    assert_eq!(s.seen(), &[true, false, false]);
    assert_eq!(s.memory().row(1).to_vec(), vec![0.0, 0.0]);
    // second epoch: bin 0 mixes, bin 2 first seen (copies), bin 1 still unseen
    s.accumulate(array![[1.0, 0.0]].view(), &[0]).unwrap();
    s.accumulate(array![[0.0, -1.0]].view(), &[2]).unwrap();
    assert_eq!(s.pending_counts(), &[1, 0, 1]);
    s.end_epoch().unwrap();
    assert_relative_eq!(s.memory()[[0, 0]], 0.75 * 0.5 + 0.25 * 1.0);
    assert_relative_eq!(s.memory()[[0, 1]], 0.75 * 0.5);
    assert_eq!(s.memory().row(2).to_vec(), vec![0.0, -1.0]);
    assert_eq!(s.memory().row(1).to_vec(), vec![0.0, 0.0]);
    assert_eq!(s.seen(), &[true, false, true]);
    assert_eq!(s.pending_counts(), &[0, 0, 0]);
    // an epoch without data for bin 2 keeps its row
    s.accumulate(array![[1.0, 0.0]].view(), &[0]).unwrap();
    s.end_epoch().unwrap();
    assert_eq!(s.memory().row(2).to_vec(), vec![0.0, -1.0]);
    assert_eq!(s.num_updates(), 3);
}

#[test]
fn streaming_and_exact_give_the_same_epoch_means() {
    let z = unit_rows(40, 5, 17);
    let bins: Vec<usize> = (0..40).map(|i| (i * 7) % 4).collect();
    let mut streaming = Surrogate::<f64>::new(SurrogateConfig::new(4, 5)).unwrap();
    for start in (0..40).step_by(8) {
        let rows = z.slice(ndarray::s![start..start + 8, ..]);
        streaming.accumulate(rows, &bins[start..start + 8]).unwrap();
    }
    streaming.end_epoch().unwrap();
    let mut exact = Surrogate::<f64>::new(SurrogateConfig::authors_code(4, 5)).unwrap();
    assert_eq!(exact.config().memory.update, MemoryUpdate::Exact);
    exact.accumulate(z.view(), &bins).unwrap();
    exact.end_epoch().unwrap();
    for (a, b) in streaming.memory().iter().zip(exact.memory().iter()) {
        assert_relative_eq!(a, b, epsilon = 1e-14);
    }
}

#[test]
fn warmup_controls_is_active() {
    let paper = Surrogate::<f64>::new(SurrogateConfig::new(3, 2)).unwrap();
    assert!(!paper.is_active(0));
    assert!(paper.is_active(1) && paper.is_active(5));
    let code = Surrogate::<f64>::new(SurrogateConfig::authors_code(3, 2)).unwrap();
    assert!(code.is_active(0));
    let three = Surrogate::<f64>::new(SurrogateConfig::with_params(
        3,
        2,
        MemoryParams {
            warmup_epochs: 3,
            ..MemoryParams::default()
        },
    ))
    .unwrap();
    assert!(!three.is_active(2) && three.is_active(3));
}

#[test]
fn bad_hyper_parameters_name_the_field() {
    let name_of = |c: SurrogateConfig| match Surrogate::<f64>::new(c) {
        Err(SurrogateError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(name_of(SurrogateConfig::new(1, 3)), "num_bins");
    assert_eq!(name_of(SurrogateConfig::new(3, 0)), "dim");
    for momentum in [1.0, -0.1, f64::NAN, 2.0] {
        let c = SurrogateConfig::with_params(
            3,
            2,
            MemoryParams {
                momentum,
                ..MemoryParams::default()
            },
        );
        assert_eq!(name_of(c), "momentum");
    }
    // α = 0 is valid (memory = last epoch's means)
    assert!(Surrogate::<f64>::new(SurrogateConfig::with_params(
        3,
        2,
        MemoryParams {
            momentum: 0.0,
            ..MemoryParams::default()
        },
    ))
    .is_ok());
}

#[test]
fn bad_batches_are_errors_not_panics() {
    let mut s = Surrogate::<f64>::new(SurrogateConfig::new(3, 2)).unwrap();
    let z = array![[1.0, 0.0], [0.0, 1.0]];
    assert!(matches!(
        s.complete(z.view(), &[0, 3]),
        Err(SurrogateError::BinOutOfRange {
            index: 1,
            bin: 3,
            num_bins: 3
        })
    ));
    assert!(matches!(
        s.complete(z.view(), &[0]),
        Err(SurrogateError::ShapeMismatch {
            what: "bins length",
            ..
        })
    ));
    let wide = Array2::<f64>::zeros((2, 3));
    assert!(matches!(
        s.accumulate(wide.view(), &[0, 1]),
        Err(SurrogateError::ShapeMismatch {
            what: "z columns",
            ..
        })
    ));
    let nan = array![[1.0, f64::NAN]];
    assert!(matches!(
        s.accumulate(nan.view(), &[0]),
        Err(SurrogateError::NonFinite { index: 1, .. })
    ));
    assert_eq!(s.pending_counts(), &[0, 0, 0]);
    let t = s.complete(z.view(), &[0, 1]).unwrap();
    let mut bad = Array2::zeros((3, 2));
    assert!(t
        .backward_into(Array2::zeros((2, 2)).view(), bad.view_mut())
        .is_err());
    assert!(t
        .backward_into(Array2::zeros((3, 2)).view(), bad.view_mut())
        .is_err());
    assert!(Surrogate::from_memory(
        SurrogateConfig::new(3, 2),
        Array2::<f64>::zeros((2, 2)),
        vec![false; 3]
    )
    .is_err());
}

#[test]
fn zero_features_and_empty_batches_do_not_produce_nan() {
    let s = surrogate_with_memory(3, 2, &[1], 18);
    let z = array![[0.0, 0.0], [1.0, 1.0], [-1.0, -1.0]];
    let t = s.complete(z.view(), &[0, 2, 2]).unwrap();
    assert!(t.table().iter().all(|v| v.is_finite()));
    assert!(t.is_zero_row(0) && t.is_zero_row(2)); // degenerate zero means
    let mut g = Array2::zeros((3, 2));
    t.backward_into(Array2::from_elem((3, 2), 1.0).view(), g.view_mut())
        .unwrap();
    assert!(g.iter().all(|&v| v == 0.0));
    let empty = Array2::<f64>::zeros((0, 2));
    let t = s.complete(empty.view(), &[]).unwrap();
    assert_eq!(t.source(1), RowSource::Memory);
    assert!(t.present_bins().is_empty());
}

#[test]
fn from_memory_round_trips() {
    let s = surrogate_with_memory(4, 3, &[0, 2], 19);
    let r = Surrogate::from_memory(s.config().clone(), s.memory().to_owned(), s.seen().to_vec())
        .unwrap();
    assert_eq!(r.memory(), s.memory());
    assert_eq!(r.seen(), s.seen());
}

#[test]
fn config_serde_round_trip_uses_kebab_case() {
    let c = SurrogateConfig::authors_code(10, 16);
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("\"exact\""), "{json}");
    let back: SurrogateConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The table does not depend on the order of the batch.
    #[test]
    fn table_is_permutation_invariant(seed in 0u64..1000, m in 1usize..12) {
        let s = surrogate_with_memory(4, 3, &[0, 3], seed);
        let z = gaussian(m, 3, seed + 1);
        let bins: Vec<usize> = (0..m).map(|i| (i * 5 + seed as usize) % 4).collect();
        let perm: Vec<usize> = (0..m).rev().collect();
        let zp = z.select(ndarray::Axis(0), &perm);
        let bp: Vec<usize> = perm.iter().map(|&i| bins[i]).collect();
        let a = s.complete(z.view(), &bins).unwrap();
        let b = s.complete(zp.view(), &bp).unwrap();
        for (x, y) in a.table().iter().zip(b.table().iter()) {
            prop_assert!((x - y).abs() < 1e-12);
        }
    }
}

/// Data-parallel memory: two workers' pending sums and counts, added, give after one
/// `end_epoch` the memory of a single worker that saw both halves; `from_state` round-trips a
/// state and refuses an impossible one.
#[test]
fn from_state_merges_workers_and_checks_the_state() {
    let (k, d) = (5, 3);
    let config = SurrogateConfig::new(k, d);
    let z = unit_rows(12, d, 4);
    let bins = [0, 1, 1, 3, 0, 2, 1, 0, 3, 3, 2, 0]; // bin 4 never seen
    let mut single = surrogate_with_memory(k, d, &[0, 1, 2], 8);
    let (mut a, mut b) = (single.clone(), single.clone());
    single.accumulate(z.view(), &bins).unwrap();
    a.accumulate(z.slice(ndarray::s![..5, ..]), &bins[..5])
        .unwrap();
    b.accumulate(z.slice(ndarray::s![5.., ..]), &bins[5..])
        .unwrap();
    let sums = &a.pending_sums() + &b.pending_sums();
    let counts: Vec<usize> = a
        .pending_counts()
        .iter()
        .zip(b.pending_counts())
        .map(|(x, y)| x + y)
        .collect();
    let mut merged = Surrogate::from_state(
        config.clone(),
        a.memory().to_owned(),
        a.seen().to_vec(),
        sums,
        counts,
        a.num_updates(),
    )
    .unwrap();
    single.end_epoch().unwrap();
    merged.end_epoch().unwrap();
    assert_eq!(merged.seen(), single.seen());
    for (x, y) in merged.memory().iter().zip(single.memory().iter()) {
        assert_relative_eq!(*x, *y, max_relative = 1e-14);
    }
    assert_eq!(merged.num_updates(), single.num_updates());

    // Round trip, then an impossible state: a non-zero row for a never-seen bin.
    let back = Surrogate::from_state(
        config.clone(),
        single.memory().to_owned(),
        single.seen().to_vec(),
        single.pending_sums().to_owned(),
        single.pending_counts().to_vec(),
        single.num_updates(),
    )
    .unwrap();
    assert_eq!(back, single);
    let mut memory = single.memory().to_owned();
    let unseen = single.seen().iter().position(|s| !s).unwrap();
    memory.row_mut(unseen).fill(1.0);
    let err = Surrogate::from_state(
        config,
        memory,
        single.seen().to_vec(),
        Array2::zeros((k, d)),
        vec![0; k],
        1,
    )
    .unwrap_err();
    assert!(matches!(err, SurrogateError::InvalidState { .. }), "{err}");
}
