//! SRL on features from any model: the loss and ∂L/∂h, with the ndarray this crate re-exports.
//! The README's "Using only the losses" example; `cargo test` compiles it, and
//! `cargo run -p srl-losses --example losses_only` runs it.

use srl_losses::ndarray::array;
use srl_losses::{SrlConfig, SrlObjective, SrlParams};
use srl_surrogate::{Surrogate, SurrogateConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (num_bins, dim) = (3, 2);
    let config = SrlConfig::new(num_bins, dim, vec![0.0, 1.0, 2.0], SrlParams::paper());
    let mut objective = SrlObjective::<f32>::new(config)?;
    let mut memory = Surrogate::<f32>::new(SurrogateConfig::new(num_bins, dim))?;
    let features = array![[0.9_f32, 0.1], [0.2, 1.5], [-1.0, 0.3]];
    let bins = [0, 1, 2];
    let out = objective.evaluate(features.view(), &bins, &memory)?; // total, parts, grad_h
    assert_eq!(out.grad_h.dim(), (3, 2));
    memory.accumulate(objective.normalized(), &bins)?; // every step (streaming)
    memory.end_epoch()?; // once per epoch
    println!("L_SRL = {:.4}, ∂L/∂h = {:?}", out.total, out.grad_h);
    Ok(())
}
