//! The memory's state through safetensors: a resumed loss gives identical next-step losses,
//! gradients and memory updates; bad states are refused.

mod common;

use candle_core::{DType, Device, Tensor, Var};
use srl_candle::{MemoryUpdate, SrlCandleError, SrlLoss, SrlParams};
use srl_testkit::random::gaussian_matrix;

fn batch(seed: u64) -> (Tensor, Vec<usize>) {
    let h = gaussian_matrix::<f32>(12, 4, seed);
    let bins: Vec<usize> = (0..12).map(|i| (i * 7 + seed as usize) % 5).collect();
    let t = Tensor::from_vec(h.iter().copied().collect(), (12, 4), &Device::Cpu).unwrap();
    (t, bins)
}

fn trained(params: SrlParams) -> SrlLoss<f32> {
    let centres: Vec<f64> = (0..6).map(|k| k as f64).collect();
    let mut srl = SrlLoss::<f32>::new(params, centres, 4, 11).unwrap();
    for epoch in 0..3 {
        for step in 0..3 {
            let (h, bins) = batch(10 * epoch + step);
            srl.forward(&h, &bins).unwrap();
        }
        srl.end_epoch().unwrap();
    }
    // Mid-epoch: pending sums and counts are part of the state.
    let (h, bins) = batch(100);
    srl.forward(&h, &bins).unwrap();
    srl
}

fn loss_and_grad(srl: &mut SrlLoss<f32>, seed: u64) -> (f32, Vec<f32>) {
    let (h, bins) = batch(seed);
    let h = Var::from_tensor(&h).unwrap();
    let l = srl.forward(h.as_tensor(), &bins).unwrap();
    let g = l
        .backward()
        .unwrap()
        .get(&h)
        .unwrap()
        .flatten_all()
        .unwrap();
    (l.to_scalar().unwrap(), g.to_vec1().unwrap())
}

#[test]
fn safetensors_round_trip_gives_identical_next_steps() {
    for params in [SrlParams::tabular(), {
        let mut p = SrlParams::paper();
        p.points_policy = srl_losses::PointsPolicy::RedrawEachEpoch;
        p.num_points = 50;
        p
    }] {
        let mut a = trained(params);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("srl.safetensors");
        a.save(&path).unwrap();
        let centres: Vec<f64> = (0..6).map(|k| k as f64).collect();
        let mut b = SrlLoss::<f32>::new(params, centres, 4, 11).unwrap();
        b.load(&path).unwrap();
        assert_eq!(b.memory(), a.memory());
        assert_eq!(b.epoch(), 3);
        for seed in [200, 201] {
            let (la, ga) = loss_and_grad(&mut a, seed);
            let (lb, gb) = loss_and_grad(&mut b, seed);
            assert_eq!(la.to_bits(), lb.to_bits(), "next-step loss");
            assert_eq!(ga, gb, "next-step gradient");
        }
        a.end_epoch().unwrap();
        b.end_epoch().unwrap();
        assert_eq!(a.memory(), b.memory(), "memory after the next update");
        assert_eq!(loss_and_grad(&mut a, 300), loss_and_grad(&mut b, 300));
    }
}

#[test]
fn the_state_merges_into_a_checkpoint_and_bad_states_are_refused() {
    let a = trained(SrlParams::tabular());
    let mut map = a.state_tensors().unwrap();
    map.insert(
        "encoder.weight".into(),
        Tensor::zeros((2, 2), DType::F32, &Device::Cpu).unwrap(),
    );
    let centres: Vec<f64> = (0..6).map(|k| k as f64).collect();
    let mut b = SrlLoss::<f32>::new(SrlParams::tabular(), centres.clone(), 4, 11).unwrap();
    b.load_state(&map).unwrap();
    assert_eq!(b.memory(), a.memory());

    let fresh = b.memory().clone();
    let mut missing = map.clone();
    missing.remove("srl.seen");
    assert!(matches!(
        b.load_state(&missing),
        Err(SrlCandleError::State { .. })
    ));
    let mut wrong = map.clone();
    wrong.insert(
        "srl.memory".into(),
        Tensor::zeros((6, 3), DType::F32, &Device::Cpu).unwrap(),
    );
    assert!(matches!(
        b.load_state(&wrong),
        Err(SrlCandleError::State { .. })
    ));
    // An unseen bin with a non-zero memory row: refused by the surrogate's own check.
    let mut unseen = map.clone();
    unseen.insert(
        "srl.seen".into(),
        Tensor::zeros(6, DType::U8, &Device::Cpu).unwrap(),
    );
    assert!(matches!(
        b.load_state(&unseen),
        Err(SrlCandleError::Surrogate(_))
    ));
    assert_eq!(b.memory(), &fresh, "a refused state changes nothing");

    // The exact update: no accumulation in forward, `accumulate` over a no-grad pass.
    let mut p = SrlParams::tabular();
    p.memory.update = MemoryUpdate::Exact;
    p.memory.warmup_epochs = 0;
    let mut exact = SrlLoss::<f32>::new(p, centres, 4, 0).unwrap();
    let (h, bins) = batch(1);
    exact.forward(&h, &bins).unwrap();
    assert_eq!(exact.memory().pending_counts().iter().sum::<usize>(), 0);
    exact.accumulate(&h, &bins).unwrap();
    assert_eq!(exact.memory().pending_counts().iter().sum::<usize>(), 12);
}
