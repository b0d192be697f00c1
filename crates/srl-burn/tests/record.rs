//! The surrogate memory is the loss's burn record: a checkpoint round trip (through burn's
//! `BinBytesRecorder`, also as a field of a `#[derive(Module)]` model) gives identical
//! next-step losses and gradients, and a record that does not fit is refused.

use burn::backend::{Autodiff, Flex};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::{Tensor, TensorData};
use srl_burn::{SrlBurnError, SrlLoss};
use srl_losses::{SrlConfig, SrlParams};

type B = Autodiff<Flex>;

fn config(k: usize) -> SrlConfig {
    let mut p = SrlParams::tabular();
    p.num_points = 100;
    p.points_policy = srl_losses::PointsPolicy::RedrawEachEpoch;
    SrlConfig::new(k, 3, (0..k).map(|b| b as f64).collect(), p)
}

fn batch(seed: u64) -> (Tensor<B, 2>, Vec<usize>) {
    let h = srl_testkit::random::gaussian_matrix::<f32>(8, 3, seed);
    let bins = (0..8).map(|i| (i * 7 + seed as usize) % 5).collect();
    let data = TensorData::new(h.iter().copied().collect::<Vec<_>>(), [8, 3]);
    (Tensor::from_data(data, &Default::default()), bins)
}

fn value(t: Tensor<B, 1>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

/// A user's model with the loss as a field: the loss is saved with the model.
#[derive(Module, Debug)]
struct Model<B: burn::tensor::backend::Backend> {
    encoder: Linear<B>,
    srl: SrlLoss<B>,
}

#[test]
fn checkpoint_round_trip_gives_identical_next_steps() {
    let device = Default::default();
    let mut model = Model::<B> {
        encoder: LinearConfig::new(3, 3).init(&device),
        srl: SrlLoss::new(config(6)).unwrap(),
    };
    // Two epochs and a half: memory with updates and pending sums, points redrawn.
    for epoch in 0..2 {
        for s in 0..3 {
            let (h, bins) = batch(epoch * 10 + s);
            model.srl.forward(h, &bins).unwrap();
        }
        model.srl.end_epoch().unwrap();
    }
    let (h, bins) = batch(77);
    model.srl.forward(h, &bins).unwrap();

    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let bytes = recorder.record(model.clone().into_record(), ()).unwrap();
    let fresh = Model::<B> {
        encoder: LinearConfig::new(3, 3).init(&device),
        srl: SrlLoss::new(config(6)).unwrap(),
    };
    let record = recorder.load(bytes, &device).unwrap();
    let mut restored = fresh.load_record(record);
    assert_eq!(restored.srl.record(), model.srl.record());

    // Next steps, with an epoch end in between: bit-identical losses and gradients.
    for s in 0..3 {
        let (h, bins) = batch(100 + s);
        let h_a = h.clone().require_grad();
        let h_b = h.require_grad();
        let a = model.srl.forward(h_a.clone(), &bins).unwrap();
        let b = restored.srl.forward(h_b.clone(), &bins).unwrap();
        assert_eq!(value(a.clone()), value(b.clone()));
        let (ga, gb) = (a.backward(), b.backward());
        assert_eq!(
            h_a.grad(&ga).unwrap().into_data(),
            h_b.grad(&gb).unwrap().into_data()
        );
        model.srl.end_epoch().unwrap();
        restored.srl.end_epoch().unwrap();
    }
    assert_eq!(restored.srl.record(), model.srl.record());
}

#[test]
fn a_record_of_another_loss_is_refused() {
    let other = SrlLoss::<B>::new(config(7)).unwrap();
    let mut loaded = SrlLoss::<B>::new(config(6))
        .unwrap()
        .load_record(other.into_record());
    let (h, bins) = batch(1);
    let err = loaded.forward(h, &bins).unwrap_err();
    assert!(matches!(err, SrlBurnError::Record { .. }), "{err}");
}
