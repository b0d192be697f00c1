//! Seeded batching and gathering.

use ndarray::{array, Array1, Array2};
use proptest::prelude::*;
use srl_train::{gather_rows_into, BatchBuffer, BatchMode, BatchSampler, TrainError};

fn mini(batch_size: usize, drop_last: bool) -> BatchMode {
    BatchMode::MiniBatch {
        batch_size,
        drop_last,
    }
}

#[test]
fn epochs_are_reproducible_from_seed_and_epoch_alone() {
    let mut a = BatchSampler::new(50, mini(8, false), 3).unwrap();
    let mut b = BatchSampler::new(50, mini(8, false), 3).unwrap();
    a.shuffle_for_epoch(0);
    a.shuffle_for_epoch(1);
    let a1 = a.order().to_vec();
    b.shuffle_for_epoch(1); // without going through epoch 0
    assert_eq!(b.order(), &a1[..]);
    b.shuffle_for_epoch(2);
    assert_ne!(b.order(), &a1[..]);
    let mut c = BatchSampler::new(50, mini(8, false), 4).unwrap();
    c.shuffle_for_epoch(1);
    assert_ne!(c.order(), &a1[..]);
    assert_ne!(a1, (0..50).collect::<Vec<_>>());
}

#[test]
fn full_batch_is_identity_and_single() {
    let mut s = BatchSampler::new(7, BatchMode::Full, 0).unwrap();
    s.shuffle_for_epoch(5);
    let batches: Vec<&[usize]> = s.batches().collect();
    assert_eq!(batches, vec![&[0, 1, 2, 3, 4, 5, 6][..]]);
    assert_eq!(s.num_batches(), 1);
    assert_eq!(s.batch_size(), 7);
}

#[test]
fn drop_last_and_errors() {
    let mut s = BatchSampler::new(10, mini(4, true), 0).unwrap();
    s.shuffle_for_epoch(0);
    assert_eq!(
        s.batches().map(<[usize]>::len).collect::<Vec<_>>(),
        vec![4, 4]
    );
    assert_eq!(s.num_batches(), 2);
    let s = BatchSampler::new(3, mini(8, false), 0).unwrap();
    assert_eq!(s.batches().map(<[usize]>::len).collect::<Vec<_>>(), vec![3]);
    assert!(matches!(
        BatchSampler::new(3, mini(8, true), 0),
        Err(TrainError::InvalidConfig { .. })
    ));
    assert!(matches!(
        BatchSampler::new(3, mini(0, false), 0),
        Err(TrainError::InvalidConfig { .. })
    ));
    assert!(matches!(
        BatchSampler::new(0, BatchMode::Full, 0),
        Err(TrainError::Empty { .. })
    ));
}

#[test]
fn gathering_checks_shapes_and_indices() {
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    let y = array![1.0, 2.0];
    let mut dst = Array2::zeros((2, 3));
    assert!(matches!(
        gather_rows_into(x.view(), &[0], dst.view_mut()),
        Err(TrainError::ShapeMismatch { .. })
    ));
    let mut buf = BatchBuffer::new(2, 1);
    assert!(matches!(
        buf.gather(x.view(), y.view(), &[2]),
        Err(TrainError::ShapeMismatch { got: 2, .. })
    ));
    assert!(matches!(
        buf.gather(x.view(), Array1::zeros(3).view(), &[0]),
        Err(TrainError::ShapeMismatch { .. })
    ));
    // Grows when a bigger batch arrives, then serves smaller ones from the prefix.
    buf.gather(x.view(), y.view(), &[1, 0, 1]).unwrap();
    assert_eq!(buf.x(), array![[3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]);
    buf.gather(x.view(), y.view(), &[0]).unwrap();
    assert_eq!(buf.y(), array![1.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn every_epoch_visits_each_row_once(n in 1usize..200, bs in 1usize..64, seed in 0u64..1000, epoch in 0u64..50) {
        let mut s = BatchSampler::new(n, mini(bs, false), seed).unwrap();
        s.shuffle_for_epoch(epoch);
        let batches: Vec<&[usize]> = s.batches().collect();
        prop_assert_eq!(batches.len(), s.num_batches());
        prop_assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= bs));
        let mut seen: Vec<usize> = batches.concat();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }
}
