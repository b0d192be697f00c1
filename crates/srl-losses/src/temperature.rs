//! The softmax temperature τ of the contrastive losses, checked once.

use crate::LossError;

/// A temperature τ known to be finite and > 0: the only way to make one is
/// [`Temperature::check`], so a loss built from it (e.g.
/// [`CentroidContrastiveLoss::with_temperature`](crate::CentroidContrastiveLoss::with_temperature),
/// [`RankNContrast::with_temperature`](crate::baselines::rnc::RankNContrast::with_temperature))
/// does not check it again.
///
/// ```
/// use srl_losses::Temperature;
/// assert_eq!(Temperature::check("tau", 0.5).unwrap().get(), 0.5);
/// let err = Temperature::check("method.rnc.tau", 0.0).unwrap_err().to_string();
/// assert!(err.contains("method.rnc.tau"), "{err}");
/// assert!(Temperature::check("tau", f64::NAN).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Temperature(f64);

impl Temperature {
    /// Checks τ finite and > 0; the `InvalidParameter` error carries `name` (the field, e.g.
    /// `tau` or `temperature`).
    pub fn check(name: &'static str, tau: f64) -> Result<Self, LossError> {
        if tau.is_finite() && tau > 0.0 {
            Ok(Self(tau))
        } else {
            Err(LossError::InvalidParameter {
                name,
                reason: format!("the temperature must be finite and > 0, got {tau}"),
            })
        }
    }

    /// τ.
    pub fn get(self) -> f64 {
        self.0
    }
}
