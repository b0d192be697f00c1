//! The regression side — its whole room: the parameters of the loss on the predictions, the
//! re-weightings (INV/SQINV/LDS/DenseWeight), focal and Balanced MSE, their presets,
//! validation and the method names they give, and the training-step component: L_reg(ŷ, y)
//! with optional per-sample weights, or Balanced MSE with its trained noise scale σ.

use super::{
    from_state, loss_error, to_state, BuildContext, Contribution, MethodComponent, MethodState,
    StepBatch, StepGrads, Terms,
};
use crate::component::{Component, PresetContext};
use crate::{Optimizer, OptimizerConfig, TrainError};
use ndarray::{s, Array1};
use serde::{Deserialize, Serialize};
use srl_geometry::LogSumExp;
use srl_losses::baselines::balanced_mse::{
    bmc_forward_backward, bni_forward_backward, gai_forward_backward, BalancedMseOutput, BniPrior,
    GaussianMixture1d,
};
use srl_losses::baselines::denseweight::{
    dense_weights, DenseWeightParams, ValidDenseWeightParams,
};
use srl_losses::baselines::lds::{lds_weights_checked, LdsKernel, Reweight, ValidLdsKernel};
use srl_losses::regression::{RegressionLoss, ValidRegressionLoss};

/// Re-weighting of the per-sample regression loss by the training label density
/// (DIR: Yang et al. 2021): w_i ∝ 1/ñ_{b(y_i)}, rescaled to mean 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReweightParams {
    /// INV (counts clipped to [5, 1000]) or SQINV (√counts).
    pub kind: Reweight,
    /// LDS: smooth the (clipped / square-rooted) counts with this max-normalised kernel.
    #[serde(default)]
    pub lds: Option<LdsKernel>,
}

/// Which Balanced MSE estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BalancedMseKind {
    /// Batch Monte-Carlo: the batch's targets stand in for the training label distribution.
    Bmc,
    /// Bin-based numerical integration over the training histogram of the bins.
    Bni,
    /// Gaussian-mixture analytic integration (a 1-D GMM fitted to the training targets).
    Gai,
}

/// Balanced MSE (Ren et al., CVPR 2022): L = −log N(y; ŷ, σ²) + log ∫ N(y'; ŷ, σ²) p_train(y')
/// dy', times 2σ² (detached), with the noise scale σ a trained parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalancedMseParams {
    /// The estimator of the normalising integral.
    pub kind: BalancedMseKind,
    /// Initial σ, in units of the training target's standard deviation (the model is trained
    /// on the standardised target).
    pub init_sigma: f64,
    /// Learning rate of σ (its own Adam; reference 1e-2); 0 keeps σ fixed.
    pub sigma_lr: f64,
    /// Number of mixture components of GAI (reference 8).
    #[serde(default = "default_gmm_components")]
    pub gmm_components: usize,
}

fn default_gmm_components() -> usize {
    8
}

/// The regression side of a method.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionParams {
    /// Loss on the predictions (ignored by Balanced MSE, which has its own).
    pub loss: RegressionLoss,
    /// Per-sample re-weighting (INV/SQINV, optionally LDS-smoothed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reweight: Option<ReweightParams>,
    /// DenseWeight re-weighting (from the raw training targets, not the bins); at most one of
    /// it and `reweight`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denseweight: Option<DenseWeightParams>,
    /// Balanced MSE in place of `loss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balanced_mse: Option<BalancedMseParams>,
}

impl RegressionParams {
    /// Switches on the regression-side component `c` with its preset in `ctx`; `false` (and
    /// nothing changed) for a representation-side component. Tables: LDS = SQINV + Gaussian
    /// kernel of size 15, σ 3; BMC σ₀ 0.1 fixed, BNI σ₀ 0.1 learned, GAI σ₀ 0.03 learned (chosen
    /// on Airfoil validation, docs/results/tuning/); IOL: the references' settings. DenseWeight:
    /// α = 1 in every context (the paper's and its package's default, not tuned here).
    pub fn apply_preset(&mut self, c: Component, ctx: PresetContext) -> bool {
        let op = ctx.is_operator();
        match c {
            Component::Inv | Component::Sqinv => {
                self.reweight = Some(ReweightParams {
                    kind: if c == Component::Inv {
                        Reweight::Inverse
                    } else {
                        Reweight::SqrtInverse
                    },
                    lds: None,
                })
            }
            Component::Lds => {
                self.reweight = Some(ReweightParams {
                    kind: Reweight::SqrtInverse,
                    lds: Some(if op {
                        LdsKernel::dir_default()
                    } else {
                        LdsKernel::Gaussian {
                            size: 15,
                            sigma: 3.0,
                        }
                    }),
                })
            }
            Component::Denseweight => self.denseweight = Some(DenseWeightParams::default()),
            Component::Focal => {
                self.loss = if op {
                    RegressionLoss::focal_mse()
                } else {
                    RegressionLoss::focal_l1()
                }
            }
            Component::Bmc | Component::Bni | Component::Gai => {
                let (kind, init_sigma, sigma_lr) = match (c, op) {
                    (Component::Bmc, false) => (BalancedMseKind::Bmc, 0.1, 0.0),
                    (Component::Bmc, true) => (BalancedMseKind::Bmc, 0.1, 1e-2),
                    (Component::Bni, _) => (BalancedMseKind::Bni, 0.1, 1e-2),
                    (_, false) => (BalancedMseKind::Gai, 0.03, 1e-2),
                    (_, true) => (BalancedMseKind::Gai, 0.1, 1e-2),
                };
                self.balanced_mse = Some(BalancedMseParams {
                    kind,
                    init_sigma,
                    sigma_lr,
                    gmm_components: default_gmm_components(),
                })
            }
            _ => return false,
        }
        true
    }

    /// The regression-side components that are on (for the method's name).
    pub fn components(&self) -> Vec<Component> {
        let mut v = Vec::new();
        if let Some(r) = &self.reweight {
            v.push(match (r.kind, r.lds.is_some()) {
                (_, true) => Component::Lds,
                (Reweight::Inverse, false) => Component::Inv,
                _ => Component::Sqinv,
            });
        }
        if self.denseweight.is_some() {
            v.push(Component::Denseweight);
        }
        if matches!(
            self.loss,
            RegressionLoss::FocalL1 { .. } | RegressionLoss::FocalMse { .. }
        ) {
            v.push(Component::Focal);
        }
        if let Some(b) = &self.balanced_mse {
            v.push(match b.kind {
                BalancedMseKind::Bmc => Component::Bmc,
                BalancedMseKind::Bni => Component::Bni,
                BalancedMseKind::Gai => Component::Gai,
            });
        }
        v
    }

    /// Validates the loss, the re-weighting and Balanced MSE once; errors name the field
    /// (`method.regression.balanced_mse.init_sigma`). The [`ValidRegressionParams`] it returns
    /// is what [`RegressionSide::new`] builds from without checking again.
    pub fn check(&self) -> Result<ValidRegressionParams, TrainError> {
        let loss = self
            .loss
            .check()
            .map_err(|e| super::invalid("method.regression.loss", e.to_string()))?;
        let mut lds = None;
        if let Some(rw) = &self.reweight {
            if rw.kind == Reweight::None {
                return Err(super::invalid(
                    "method.regression.reweight.kind",
                    "must be `inverse` or `sqrt-inverse` (omit the table for no re-weighting)"
                        .into(),
                ));
            }
            if let Some(k) = &rw.lds {
                lds = Some(k.check().map_err(|e| {
                    super::invalid("method.regression.reweight.lds", e.to_string())
                })?);
            }
        }
        let denseweight = match &self.denseweight {
            None => None,
            Some(_) if self.reweight.is_some() => {
                return Err(super::invalid(
                    "method.regression.denseweight",
                    "DenseWeight is a re-weighting of its own: remove `reweight`".into(),
                ))
            }
            Some(d) => Some(
                d.check()
                    .map_err(|e| super::invalid("method.regression.denseweight", e.to_string()))?,
            ),
        };
        if let Some(b) = &self.balanced_mse {
            if self.reweight.is_some() || self.denseweight.is_some() {
                return Err(super::invalid(
                    "method.regression.balanced_mse",
                    "Balanced MSE replaces the re-weighted loss: remove `reweight` / `denseweight`"
                        .into(),
                ));
            }
            super::positive("method.regression.balanced_mse.init_sigma", b.init_sigma)?;
            super::non_negative("method.regression.balanced_mse.sigma_lr", b.sigma_lr)?;
            if b.gmm_components == 0 {
                return Err(super::invalid(
                    "method.regression.balanced_mse.gmm_components",
                    "must be ≥ 1".into(),
                ));
            }
        }
        Ok(ValidRegressionParams {
            params: *self,
            loss,
            lds,
            denseweight,
        })
    }
}

/// Smallest σ Balanced MSE may reach (its updates are clamped here, keeping σ > 0).
const MIN_SIGMA: f32 = 1e-4;

/// BMC's Monte-Carlo sample is the batch (O(B²)); a larger batch (full-batch IOL: 10⁴ rows) is
/// cut into random blocks of at most this many rows, each a BMC batch of its own, as with the
/// reference's mini-batches.
const BMC_BLOCK: usize = 256;

/// [`RegressionParams`] that passed [`RegressionParams::check`] (only it makes one): the loss,
/// the LDS kernel and DenseWeight's parameters in their checked forms.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRegressionParams {
    params: RegressionParams,
    loss: ValidRegressionLoss,
    lds: Option<ValidLdsKernel>,
    denseweight: Option<ValidDenseWeightParams>,
}

/// The training rows as the re-weightings read them: their targets in their own units (as
/// read, not standardised: DenseWeight's density estimate) and their label bins (INV, SQINV,
/// LDS). One entry per training row, in the same order.
#[derive(Debug, Clone, Copy)]
pub struct TrainingLabels<'a> {
    /// The target of every training row.
    pub targets: &'a [f64],
    /// The label bin of every training row.
    pub bins: &'a [usize],
    /// Number of label bins K.
    pub num_bins: usize,
}

impl ValidRegressionParams {
    /// The re-weighting's per-row weights (mean 1) for the training rows `rows`: INV (1/n_b,
    /// counts of the bins clipped to [5, 1000]), SQINV (1/√n_b), LDS (the counts smoothed by the
    /// checked kernel first), DenseWeight (max(1 − α·p', ε) of the targets' scaled kernel
    /// density p', [`srl_losses::baselines::denseweight`]); `None` without a re-weighting. What
    /// training applies, and what `srl weights` writes for other models.
    pub fn row_weights(&self, rows: TrainingLabels<'_>) -> Result<Option<Vec<f64>>, TrainError> {
        if let Some(d) = &self.denseweight {
            if rows.targets.len() != rows.bins.len() {
                return Err(TrainError::Component {
                    component: "denseweight",
                    reason: format!(
                        "{} targets for {} training rows",
                        rows.targets.len(),
                        rows.bins.len()
                    ),
                });
            }
            return dense_weights(rows.targets, d)
                .map(Some)
                .map_err(|e| loss_error("denseweight", e));
        }
        match &self.params.reweight {
            None => Ok(None),
            Some(r) => lds_weights_checked(rows.bins, rows.num_bins, r.kind, self.lds.as_ref())
                .map(Some)
                .map_err(|e| loss_error("reweight", e)),
        }
    }
}

impl std::ops::Deref for ValidRegressionParams {
    type Target = RegressionParams;
    fn deref(&self) -> &RegressionParams {
        &self.params
    }
}

/// The per-row weights of the regression loss: the DIR re-weighting's (`dir`, mean 1) times
/// the user's sample weights (`user`, mean 1), the product rescaled to mean 1; either alone
/// as it is.
fn with_sample_weights(dir: Option<Vec<f64>>, user: Option<&[f64]>) -> Option<Vec<f64>> {
    match (dir, user) {
        (dir, None) => dir,
        (None, Some(u)) => Some(u.to_vec()),
        (Some(d), Some(u)) => {
            let product: Vec<f64> = d.iter().zip(u).map(|(a, b)| a * b).collect();
            let mean = product.iter().sum::<f64>() / product.len().max(1) as f64;
            Some(if mean > 0.0 {
                product.into_iter().map(|w| w / mean).collect()
            } else {
                product
            })
        }
    }
}

/// The regression loss of a step, re-weighted or Balanced.
#[derive(Debug)]
pub struct RegressionSide {
    loss: ValidRegressionLoss,
    /// Per-training-row weights (mean 1) of INV/SQINV/LDS/DenseWeight.
    row_weights: Option<Array1<f32>>,
    /// The current batch's weights.
    batch_weights: Array1<f32>,
    balanced: Option<Balanced>,
}

#[derive(Debug)]
struct Balanced {
    estimator: Estimator,
    /// Blocks of a large BMC batch: permutation, gathered predictions/targets/gradient.
    rng: rand_chacha::ChaCha8Rng,
    order: Vec<usize>,
    block: [Array1<f32>; 3],
    sigma: [f32; 1],
    grad_sigma: [f32; 1],
    sigma_lr: f64,
    optimizer: Optimizer<f32>,
}

#[derive(Debug)]
enum Estimator {
    Bmc,
    Bni(BniPrior),
    Gai(GaussianMixture1d),
}

impl RegressionSide {
    /// Builds the side: LDS weights from the training bins; BNI's prior from the training bin
    /// histogram (bin centres in trained-target units); GAI's mixture fitted to the training
    /// targets.
    pub fn new(params: &ValidRegressionParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        if ctx.train_weights.is_some() && params.balanced_mse.is_some() {
            return Err(TrainError::InvalidConfig {
                field: "sample_weight",
                reason: "Balanced MSE has no per-row loss terms to weigh; use a re-weighted \
                         or plain regression loss with sample weights"
                    .into(),
            });
        }
        let dir = params.row_weights(TrainingLabels {
            targets: ctx.train_targets,
            bins: ctx.train_bins,
            num_bins: ctx.num_bins,
        })?;
        let row_weights = with_sample_weights(dir, ctx.train_weights)
            .map(|w| w.into_iter().map(|v| v as f32).collect::<Array1<f32>>());
        let balanced = params
            .balanced_mse
            .as_ref()
            .map(|b| Balanced::new(b, ctx))
            .transpose()?;
        Ok(RegressionSide {
            loss: params.loss,
            row_weights,
            batch_weights: Array1::zeros(0),
            balanced,
        })
    }

    /// Balanced MSE's current σ, if any.
    pub fn sigma(&self) -> Option<f64> {
        self.balanced.as_ref().map(|b| f64::from(b.sigma[0]))
    }

    /// Restores σ from a checkpoint.
    pub fn set_sigma(&mut self, sigma: f64) {
        if let Some(b) = &mut self.balanced {
            b.sigma[0] = sigma as f32;
        }
    }
}

impl Balanced {
    fn new(p: &BalancedMseParams, ctx: &BuildContext<'_>) -> Result<Self, TrainError> {
        let estimator = match p.kind {
            BalancedMseKind::Bmc => Estimator::Bmc,
            BalancedMseKind::Bni => {
                let mut counts = vec![0.0; ctx.num_bins];
                for &b in ctx.train_bins {
                    if let Some(c) = counts.get_mut(b) {
                        *c += 1.0;
                    }
                }
                let centres = ctx
                    .bin_centres
                    .iter()
                    .map(|c| (c - ctx.y_mean) / ctx.y_std)
                    .collect();
                Estimator::Bni(BniPrior::new(centres, counts).map_err(|e| loss_error("bni", e))?)
            }
            BalancedMseKind::Gai => {
                let y: Vec<f64> = ctx.train_y.iter().map(|&v| f64::from(v)).collect();
                Estimator::Gai(fit_gmm_1d(&y, p.gmm_components)?)
            }
        };
        Ok(Balanced {
            estimator,
            rng: rand::SeedableRng::seed_from_u64(ctx.seed ^ 0xB3C_B3C),
            order: Vec::new(),
            block: [
                Array1::zeros(BMC_BLOCK),
                Array1::zeros(BMC_BLOCK),
                Array1::zeros(BMC_BLOCK),
            ],
            sigma: [p.init_sigma as f32],
            grad_sigma: [0.0],
            sigma_lr: p.sigma_lr,
            optimizer: Optimizer::new(
                OptimizerConfig::AdamW {
                    lr: p.sigma_lr.max(f64::MIN_POSITIVE),
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 1e-8,
                    weight_decay: 0.0,
                },
                1,
            )?,
        })
    }
}

impl Balanced {
    /// BMC over random blocks of at most [`BMC_BLOCK`] rows; value and gradients are the
    /// row-weighted means over blocks (each block's loss is a mean over its rows).
    fn blocked_bmc(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<BalancedMseOutput<f32>, srl_losses::LossError> {
        use rand::seq::SliceRandom;
        let m = batch.rows.len();
        self.order.clear();
        self.order.extend(0..m);
        self.order.shuffle(&mut self.rng);
        let (mut value, mut grad_sigma) = (0.0f32, 0.0f32);
        for chunk in self.order.chunks(BMC_BLOCK) {
            let n = chunk.len();
            let [p, y, g] = &mut self.block;
            for (r, &i) in chunk.iter().enumerate() {
                p[r] = batch.pred[i];
                y[r] = batch.y[i];
            }
            let out = bmc_forward_backward(
                p.slice(s![..n]),
                y.slice(s![..n]),
                self.sigma[0],
                g.slice_mut(s![..n]),
            )?;
            let share = n as f32 / m as f32;
            value += share * out.value;
            grad_sigma += share * out.grad_sigma;
            for (r, &i) in chunk.iter().enumerate() {
                grads.pred[i] = share * g[r];
            }
        }
        Ok(BalancedMseOutput { value, grad_sigma })
    }
}

impl MethodComponent for RegressionSide {
    fn name(&self) -> &'static str {
        "regression"
    }

    fn writes_features(&self) -> bool {
        false
    }

    fn contribute(
        &mut self,
        batch: &StepBatch<'_>,
        grads: &mut StepGrads<'_>,
    ) -> Result<Contribution, TrainError> {
        let m = batch.rows.len();
        if let Some(b) = &mut self.balanced {
            let out = match &b.estimator {
                Estimator::Bmc if m > BMC_BLOCK => b.blocked_bmc(batch, grads),
                Estimator::Bmc => {
                    bmc_forward_backward(batch.pred, batch.y, b.sigma[0], grads.pred.view_mut())
                }
                Estimator::Bni(prior) => bni_forward_backward(
                    batch.pred,
                    batch.y,
                    b.sigma[0],
                    prior,
                    grads.pred.view_mut(),
                ),
                Estimator::Gai(gmm) => gai_forward_backward(
                    batch.pred,
                    batch.y,
                    b.sigma[0],
                    gmm,
                    grads.pred.view_mut(),
                ),
            }
            .map_err(|e| loss_error("balanced-mse", e))?;
            b.grad_sigma[0] = out.grad_sigma;
            let value = f64::from(out.value);
            return Ok(Contribution {
                total: value,
                terms: Terms::new(&[("reg", value), ("sigma", f64::from(b.sigma[0]))]),
            });
        }
        let weights = match &self.row_weights {
            None => None,
            Some(w) => {
                if self.batch_weights.len() < m {
                    self.batch_weights = Array1::zeros(m);
                }
                for (dst, &r) in self.batch_weights.iter_mut().zip(batch.rows) {
                    *dst = w[r];
                }
                Some(self.batch_weights.slice(s![..m]))
            }
        };
        let reg = self
            .loss
            .forward_backward(batch.pred, batch.y, weights, grads.pred.view_mut())
            .map_err(|e| loss_error("regression", e))?;
        let value = f64::from(reg);
        Ok(Contribution {
            total: value,
            terms: Terms::new(&[("reg", value)]),
        })
    }

    fn after_step(&mut self, _batch: &StepBatch<'_>, _lr_scale: f64) -> Result<(), TrainError> {
        if let Some(b) = &mut self.balanced {
            if b.sigma_lr > 0.0 {
                b.optimizer
                    .step(&mut b.sigma, &b.grad_sigma, b.sigma_lr as f32)?;
                b.sigma[0] = b.sigma[0].max(MIN_SIGMA);
            }
        }
        Ok(())
    }

    fn save_state(&self, state: &mut MethodState) {
        state.balanced_mse_sigma = self.sigma();
    }

    /// Balanced MSE: σ, its optimiser and the generator of the BMC blocks (the re-weighting
    /// side is fixed by the training bins).
    fn resume_state(&self) -> Result<serde_json::Value, TrainError> {
        match &self.balanced {
            None => Ok(serde_json::Value::Null),
            Some(b) => to_state(
                "balanced-mse",
                &BalancedResume {
                    sigma: b.sigma[0],
                    optimizer: b.optimizer.clone(),
                    rng: b.rng.clone(),
                },
            ),
        }
    }

    fn restore_state(&mut self, state: serde_json::Value) -> Result<(), TrainError> {
        let Some(b) = &mut self.balanced else {
            return if state.is_null() {
                Ok(())
            } else {
                Err(TrainError::InvalidState {
                    reason: "a Balanced MSE state was saved for a run without Balanced MSE".into(),
                })
            };
        };
        let saved: BalancedResume = from_state("balanced-mse", state)?;
        if !(saved.sigma.is_finite() && saved.sigma > 0.0) {
            return Err(TrainError::InvalidState {
                reason: format!("Balanced MSE σ must be finite and > 0, got {}", saved.sigma),
            });
        }
        saved.optimizer.check_resumable(&b.optimizer)?;
        b.sigma[0] = saved.sigma;
        b.optimizer = saved.optimizer;
        b.rng = saved.rng;
        Ok(())
    }
}

/// What [`RegressionSide::resume_state`] saves of Balanced MSE.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BalancedResume {
    sigma: f32,
    optimizer: Optimizer<f32>,
    rng: rand_chacha::ChaCha8Rng,
}

/// Fits a 1-D Gaussian mixture with `k` components to `y` by EM (deterministic: means start at
/// the (j + ½)/k quantiles, variances at var(y)/k², equal weights; 200 iterations or until the
/// log-likelihood gains < 1e-10 per sample; variances floored at 1e-6·var(y)). GAI's prior,
/// standing in for the reference's `sklearn.mixture.GaussianMixture(K, random_state=0)`.
///
/// ```
/// let y: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { -3.0 } else { 3.0 } + (i as f64 * 0.37).sin() * 0.1).collect();
/// let g = srl_train::components::fit_gmm_1d(&y, 2).unwrap();
/// let mut means = g.means().to_vec();
/// means.sort_by(f64::total_cmp);
/// assert!((means[0] + 3.0).abs() < 0.05 && (means[1] - 3.0).abs() < 0.05);
/// ```
pub fn fit_gmm_1d(y: &[f64], k: usize) -> Result<GaussianMixture1d, TrainError> {
    let n = y.len();
    if n == 0 || k == 0 {
        return Err(TrainError::Empty {
            what: "targets for the Gaussian mixture",
        });
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(TrainError::Component {
            component: "gai",
            reason: format!("training target {i} is not finite"),
        });
    }
    let k = k.min(n);
    let mean = y.iter().sum::<f64>() / n as f64;
    let var = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).max(1e-12);
    let floor = 1e-6 * var;
    let mut sorted = y.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut means: Vec<f64> = (0..k)
        .map(|j| sorted[(((j as f64 + 0.5) / k as f64) * n as f64) as usize % n])
        .collect();
    let mut vars = vec![(var / (k * k) as f64).max(floor); k];
    let mut weights = vec![1.0 / k as f64; k];
    let mut resp = vec![0.0; n * k];
    let mut last_ll = f64::NEG_INFINITY;
    for _ in 0..200 {
        // E-step (log-sum-exp per sample).
        let mut ll = 0.0;
        for (i, &v) in y.iter().enumerate() {
            let r = &mut resp[i * k..(i + 1) * k];
            for j in 0..k {
                let d = v - means[j];
                r[j] = weights[j].ln()
                    - 0.5 * (2.0 * std::f64::consts::PI * vars[j]).ln()
                    - d * d / (2.0 * vars[j]);
            }
            let lse = LogSumExp::exp_in_place(r);
            ll += lse.value();
            for l in r.iter_mut() {
                *l /= lse.sum;
            }
        }
        // M-step.
        for j in 0..k {
            let nj: f64 = (0..n).map(|i| resp[i * k + j]).sum::<f64>().max(1e-12);
            let mj = (0..n).map(|i| resp[i * k + j] * y[i]).sum::<f64>() / nj;
            let vj = (0..n)
                .map(|i| resp[i * k + j] * (y[i] - mj) * (y[i] - mj))
                .sum::<f64>()
                / nj;
            weights[j] = nj / n as f64;
            means[j] = mj;
            vars[j] = vj.max(floor);
        }
        if (ll - last_ll).abs() < 1e-10 * n as f64 {
            break;
        }
        last_ll = ll;
    }
    GaussianMixture1d::new(weights, means, vars).map_err(|e| loss_error("gai", e))
}
