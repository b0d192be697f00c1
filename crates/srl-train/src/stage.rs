//! One-stage and two-stage training: which stage an epoch belongs to, where it sits on the
//! learning-rate schedule, and which optimiser steps which parameters.
//!
//! A two-stage method (Rank-N-Contrast) asks for `P` pre-training epochs through
//! [`MethodComponent::pretrain_epochs`](crate::MethodComponent::pretrain_epochs): in epochs `0..P` the encoder trains on the
//! representation terms alone (the regression side writes no gradient and the head's output is
//! never selected); in epochs `P..E` the encoder is frozen and only the head trains, with its
//! own optimiser. Each stage runs the configured schedule over its own length:
//! `schedule_epoch(e) = t·E / len`, with `t` the epoch's position in its stage and `len` the
//! stage's length. `P = 0` is ordinary one-stage training.

use crate::optim::ValidOptimizerConfig;
use crate::{LrSchedule, Mlp, MlpGradients, Optimizer, TrainError};

/// The stage an epoch belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Pre-training of a two-stage method: the representation terms only, the head untrained.
    Pretrain,
    /// Training with the regression loss (one-stage training, or a two-stage method's second
    /// stage, where only the head trains).
    Regression,
}

/// The stages of a run of `epochs` epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stages {
    pretrain: usize,
    epochs: usize,
}

impl Stages {
    /// A run of `epochs` epochs whose first `pretrain` epochs pre-train (the longest
    /// pre-training any component asks for).
    pub fn new(pretrain: usize, epochs: usize) -> Self {
        Stages { pretrain, epochs }
    }

    /// Whether the run has a pre-training stage.
    pub fn is_two_stage(&self) -> bool {
        self.pretrain > 0
    }

    /// The stage of `epoch` (0-based).
    pub fn stage(&self, epoch: usize) -> Stage {
        if epoch < self.pretrain {
            Stage::Pretrain
        } else {
            Stage::Regression
        }
    }

    /// The learning rate of `epoch`: `schedule` over each stage's own length.
    pub fn lr_at(&self, schedule: &LrSchedule, base: f64, epoch: usize) -> f64 {
        let (total, p) = (self.epochs, self.pretrain);
        if p == 0 {
            return schedule.lr_at(base, epoch);
        }
        let (t, len) = if epoch < p {
            (epoch, p)
        } else {
            (epoch - p, total - p)
        };
        schedule.lr_at(base, t * total / len.max(1))
    }
}

/// The run's optimisers: one over every parameter and, for a two-stage run, one over the
/// head's parameters for the second stage.
#[derive(Debug, Clone)]
pub struct Optimizers {
    /// Steps every parameter (one-stage training, and pre-training).
    pub whole: Optimizer<f32>,
    /// Steps the head alone in a two-stage run's second stage.
    pub head: Option<Optimizer<f32>>,
}

impl Optimizers {
    /// Fresh optimisers for `mlp` trained in `stages`.
    pub fn new(config: ValidOptimizerConfig, mlp: &Mlp<f32>, stages: &Stages) -> Self {
        let whole = Optimizer::from_valid(config, mlp.num_parameters());
        let head = stages
            .is_two_stage()
            .then(|| Optimizer::from_valid(config, mlp.head_parameter_range().len()));
        Optimizers { whole, head }
    }

    /// One step of the optimiser `stage` uses: `θ ← step(θ, ∇θ, lr)` over every parameter, or
    /// over the head's alone in a two-stage run's second stage (the encoder frozen).
    pub fn step(
        &mut self,
        stage: Stage,
        mlp: &mut Mlp<f32>,
        grads: &MlpGradients<f32>,
        lr: f32,
    ) -> Result<(), TrainError> {
        match (&mut self.head, stage) {
            (Some(head), Stage::Regression) => {
                let range = mlp.head_parameter_range();
                head.step(
                    &mut mlp.flat_parameters_mut()[range.clone()],
                    &grads.as_slice()[range],
                    lr,
                )
            }
            _ => self
                .whole
                .step(mlp.flat_parameters_mut(), grads.as_slice(), lr),
        }
    }

    /// Checks saved optimisers against freshly built ones before a resumed run takes them.
    pub fn check_resumable(&self, fresh: &Self) -> Result<(), TrainError> {
        self.whole.check_resumable(&fresh.whole)?;
        match (&self.head, &fresh.head) {
            (Some(saved), Some(fresh)) => saved.check_resumable(fresh),
            (None, None) => Ok(()),
            _ => Err(TrainError::InvalidState {
                reason: "saved head optimiser does not match the method".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stage_follows_the_schedule_and_two_stages_restart_it() {
        let schedule = LrSchedule::default();
        let one = Stages::new(0, 10);
        assert_eq!(one.stage(0), Stage::Regression);
        assert!(!one.is_two_stage());
        let two = Stages::new(4, 10);
        assert_eq!(two.stage(3), Stage::Pretrain);
        assert_eq!(two.stage(4), Stage::Regression);
        // Both stages start at the schedule's first epoch.
        assert_eq!(two.lr_at(&schedule, 0.1, 0), schedule.lr_at(0.1, 0));
        assert_eq!(two.lr_at(&schedule, 0.1, 4), schedule.lr_at(0.1, 0));
        // The middle of the pre-training stage sits in the middle of the schedule.
        assert_eq!(two.lr_at(&schedule, 0.1, 2), schedule.lr_at(0.1, 5));
    }
}
