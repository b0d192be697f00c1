//! The method layer: a deep-imbalanced-regression (DIR) method is a **regression side** (the
//! loss on the predictions, optionally re-weighted or replaced by Balanced MSE) × a
//! **representation side** (any set of feature-level terms: SRL, FDS, RankSim, ConR, Ordinal
//! Entropy), optionally trained on resampled training rows (at most one resampler: SMOTER,
//! SMOGN, WERCS, random over- or under-sampling; [`crate::resample`]).
//!
//! - [`MethodName`] is the typed form of `--method srl+ranksim`: a set of [`Component`]s.
//! - [`MethodParams`] is the `[method]` table of a run configuration: every component that is
//!   on carries its own parameters; components that are off are absent. Presets are
//!   constructors ([`MethodParams::preset`]); [`MethodParams::check`] validates every field,
//!   the error naming it (`method.ranksim.weight`, …), in linfa's `*Params` → `check()` style.
//!
//! Total loss of one step (paper Eq. 11 generalised):
//!
//! ```text
//! L = L_reg(ŷ, y; w) + λ_srl·L_SRL(h) + γ·L_RankSim(h) + β·L_ConR(h) + λ_oe·L_OE(h)
//! ```
//!
//! with L_reg one of L1/MSE/Huber/focal, per-sample weights w from INV/SQINV/LDS, or Balanced
//! MSE (BMC/BNI/GAI with a trained noise σ) in place of L_reg; FDS recalibrates the head's input
//! per bin (it has no loss term).
//!
//! ```
//! use srl_train::method::{Component, MethodName, MethodParams, PresetContext};
//! let name: MethodName = "ranksim+srl".parse().unwrap();
//! assert_eq!(name.to_string(), "srl+ranksim"); // canonical order
//! assert!(name.contains(Component::Srl));
//! let params = MethodParams::preset(&name, PresetContext::Tabular);
//! assert!(params.check().is_ok());
//! assert_eq!(params.name(), name);
//! assert!("lds+inv".parse::<MethodName>().is_err()); // two re-weightings
//! ```

pub use crate::component::{
    method_help, Component, ComponentInfo, Family, PresetContext, COMPONENTS,
};
pub use crate::components::conr::ConrParams;
pub use crate::components::dist::DistParams;
pub use crate::components::ordinal_entropy::OrdinalEntropyParams;
pub use crate::components::ranksim::RankSimParams;
pub use crate::components::regression::{
    BalancedMseKind, BalancedMseParams, RegressionParams, ReweightParams, TrainingLabels,
    ValidRegressionParams,
};
pub use crate::components::rnc::RncParams;
use crate::components::{
    checked, BuildContext, CheckedRoom, MemoryShape, MethodComponent, RegressionSide, Room,
};
pub use crate::resample::{ResampleAmount, ResampleSpec};
use crate::TrainError;
use serde::{Deserialize, Serialize};
use srl_losses::baselines::fds::FdsParams;
use srl_losses::regression::RegressionLoss;
use srl_losses::SrlParams;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A method as a set of components: `vanilla` is the empty set.
///
/// Parsing accepts the components in any order, separated by `+`; `vanilla` alone is the empty
/// set and `bmse` means `bmc`. At most one resampler (smoter, smogn, wercs, ros, rus; it
/// combines with everything, `gbdt` included), at most one re-weighting (inv, sqinv, lds, denseweight) and at most one
/// Balanced MSE variant (bmc, bni, gai); Balanced MSE replaces the regression loss, so it
/// combines with neither a re-weighting nor focal. The text form lists the components in
/// canonical order ([`Component::ALL`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MethodName(Vec<Component>);

impl MethodName {
    /// The vanilla method (regression loss only).
    pub fn vanilla() -> Self {
        MethodName(Vec::new())
    }

    /// The method made of `components` (validated like a parsed name).
    pub fn new(components: &[Component]) -> Result<Self, TrainError> {
        let mut v = components.to_vec();
        v.sort();
        v.dedup();
        if v.len() != components.len() {
            return Err(invalid("method", "a component is repeated".into()));
        }
        let count = |f: fn(Component) -> bool| v.iter().filter(|c| f(**c)).count();
        if count(Component::is_reweighting) > 1 {
            return Err(invalid(
                "method",
                "choose one re-weighting of inv, sqinv, lds, denseweight".into(),
            ));
        }
        if count(Component::is_resampler) > 1 {
            return Err(invalid(
                "method",
                "choose one resampler of smoter, smogn, wercs, ros, rus".into(),
            ));
        }
        if count(Component::is_balanced_mse) > 1 {
            return Err(invalid(
                "method",
                "choose one Balanced MSE variant of bmc, bni, gai".into(),
            ));
        }
        if count(|c| c.info().family == Family::TwoStage) > 0
            && count(|c| c.info().family == Family::Representation) > 0
        {
            return Err(invalid(
                "method",
                "rnc pre-trains the encoder on its own and then freezes it: it combines only with the regression side (e.g. rnc+lds)".into(),
            ));
        }
        if count(Component::is_model) > 0
            && count(|c| !c.is_model() && !c.is_reweighting() && !c.is_resampler()) > 0
        {
            return Err(invalid(
                "method",
                "gbdt trains trees instead of the network: it combines only with a re-weighting (gbdt+inv, gbdt+sqinv, gbdt+lds, gbdt+denseweight) and a resampler (smogn+gbdt, …)".into(),
            ));
        }
        if count(Component::is_balanced_mse) == 1
            && (count(Component::is_reweighting) > 0 || v.contains(&Component::Focal))
        {
            return Err(invalid(
                "method",
                "Balanced MSE replaces the regression loss: it does not combine with a re-weighting or focal".into(),
            ));
        }
        Ok(MethodName(v))
    }

    /// The components, in canonical order.
    pub fn components(&self) -> &[Component] {
        &self.0
    }

    /// Whether `c` is part of the method.
    pub fn contains(&self, c: Component) -> bool {
        self.0.contains(&c)
    }

    /// Whether this is the plain regression baseline.
    pub fn is_vanilla(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the method trains this crate's network (every method but `gbdt…`, whose trees
    /// the `srl-gbdt` crate trains).
    pub fn is_network(&self) -> bool {
        !self.0.iter().any(|c| c.is_model())
    }

    /// The method with a resampler added (`srl` with `smogn` → `smogn+srl`; what
    /// `--resample` does); an error when `resampler` is not exactly one resampler or the
    /// method already has one.
    pub fn with_resampler(&self, resampler: &MethodName) -> Result<MethodName, TrainError> {
        match resampler.components() {
            [r] if r.is_resampler() => {
                let mut v = self.0.clone();
                v.push(*r);
                MethodName::new(&v)
            }
            _ => Err(invalid(
                "resample",
                format!("`{resampler}` is not one resampler (smogn, smoter, wercs, ros or rus)"),
            )),
        }
    }

    /// The method without its model component: the DIR remedies it applies (`gbdt+lds` →
    /// `lds`, `smogn+gbdt` → `smogn`).
    pub fn remedies(&self) -> MethodName {
        MethodName(self.0.iter().copied().filter(|c| !c.is_model()).collect())
    }
}

impl fmt::Display for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("vanilla");
        }
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(c.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for MethodName {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        let s = s.trim();
        if s == "vanilla" {
            return Ok(MethodName::vanilla());
        }
        let mut parts = Vec::new();
        for p in s.split('+') {
            let p = p.trim();
            match Component::parse(p) {
                Some(c) => parts.push(c),
                None => {
                    let known: Vec<&str> = Component::ALL.iter().map(|c| c.as_str()).collect();
                    return Err(invalid(
                        "method",
                        format!(
                            "`{p}` is not a method component (known: vanilla, {}, bmse; combine with `+`, e.g. srl+ranksim)",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        MethodName::new(&parts)
    }
}

impl Serialize for MethodName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MethodName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Declares the rooms, one line each (its `[method]` key and parameter
/// type, which implements [`Room`]): the fields of [`MethodParams`], its vanilla constructor
/// and [`ROOMS`] all come from this list.
macro_rules! rooms {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty, )*) => {
        /// The `[method]` table: a regression side and the components with a room that
        /// are on (absent: off).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct MethodParams {
            /// The resampler of the training rows, applied before training
            /// ([`crate::resample`]); absent: the training rows as they are.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub resample: Option<ResampleSpec>,
            /// Loss, re-weighting, Balanced MSE.
            pub regression: RegressionParams,
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl MethodParams {
            /// Vanilla regression with `loss`.
            pub fn vanilla(loss: RegressionLoss) -> Self {
                MethodParams {
                    resample: None,
                    regression: RegressionParams {
                        loss,
                        reweight: None,
                        denseweight: None,
                        balanced_mse: None,
                    },
                    $( $field: None, )*
                }
            }
        }

        /// The rooms in the list's order, which is the step order (the
        /// order their gradients are added).
        pub const ROOMS: &[RoomFns] = &[
            $(
                RoomFns {
                    component: <$ty as Room>::COMPONENT,
                    set_preset: |p, ctx| p.$field = Some(<$ty as Room>::preset(ctx)),
                    is_on: |p| p.$field.is_some(),
                    check: |p| p.$field.as_ref().map(checked::<$ty>).transpose(),
                    memory_bytes: |p, shape| p.$field.as_ref().map_or(0.0, |r| r.memory_bytes(shape)),
                },
            )*
        ];
    };
}

rooms! {
    /// SRL (paper Eq. 11); its hyper-parameters live in [`SrlParams`] only.
    srl: SrlParams,
    /// FDS between encoder and head.
    fds: FdsParams,
    /// RankSim.
    ranksim: RankSimParams,
    /// ConR.
    conr: ConrParams,
    /// Ordinal entropy.
    ordinal_entropy: OrdinalEntropyParams,
    /// Rank-N-Contrast (two stages).
    rnc: RncParams,
    /// Dist Loss, beside the regression loss.
    dist: DistParams,
}

/// [`RoomFns::check`]: the checked room if the `[method]` table has it on.
pub type CheckFn = fn(&MethodParams) -> Result<Option<Arc<dyn CheckedRoom>>, TrainError>;

/// A [`Room`] as plain functions of the `[method]` table, so rooms of different types share
/// one list ([`ROOMS`]).
#[derive(Clone, Copy)]
pub struct RoomFns {
    /// Its component.
    pub component: Component,
    /// Switches the component on with its preset.
    pub set_preset: fn(&mut MethodParams, PresetContext),
    /// Whether the `[method]` table has it on.
    pub is_on: fn(&MethodParams) -> bool,
    /// [`Room::check`] when on: the checked room.
    pub check: CheckFn,
    /// [`Room::memory_bytes`] when on, else 0.
    pub memory_bytes: fn(&MethodParams, &MemoryShape) -> f64,
}

impl MethodParams {
    /// The project's preset for `name` in `ctx`: every component with its preset parameters.
    ///
    /// Tabular presets were chosen on Airfoil validation All MAE (full profile, 5 seeds), each
    /// baseline with at most the 21-variant budget SRL's UCI preset got
    /// (docs/results/tuning/uci-*.md): LDS = SQINV + Gaussian ks 15, σ 3; FDS momentum 0.99;
    /// RankSim γ 0.01; BMC σ₀ 0.1 fixed, BNI σ₀ 0.1 learned, GAI σ₀ 0.03 learned; ConR β 0.1,
    /// τ 0.2, ω ½ bin; ordinal entropy λ_d = λ_t = 1; Rank-N-Contrast τ 0.25, 80 % pre-training.
    /// Operator-learning (IOL) presets of the baselines are the references' settings scaled to
    /// the MSE of a standardised target, **not tuned** (docs/method.md).
    pub fn preset(name: &MethodName, ctx: PresetContext) -> Self {
        let op = ctx.is_operator();
        let base_loss = if op {
            RegressionLoss::Mse
        } else {
            RegressionLoss::L1
        };
        let mut p = MethodParams::vanilla(base_loss);
        for &c in name.components() {
            match c {
                c if c.is_resampler() => p.resample = Some(ResampleSpec::preset(c)),
                c if p.regression.apply_preset(c, ctx) => {}
                c => {
                    if let Some(room) = ROOMS.iter().find(|r| r.component == c) {
                        (room.set_preset)(&mut p, ctx);
                    }
                }
            }
        }
        p
    }

    /// The method's name, read off the components that are on.
    pub fn name(&self) -> MethodName {
        let mut v = self.regression.components();
        v.extend(self.resample.as_ref().map(|r| r.method));
        v.extend(
            ROOMS
                .iter()
                .filter(|r| (r.is_on)(self))
                .map(|r| r.component),
        );
        v.sort();
        MethodName(v)
    }

    /// Validates every parameter of every component that is on; the error names the field
    /// (e.g. `method.ranksim.weight`). The result is what the components are built from.
    pub fn check(&self) -> Result<ValidMethodParams, TrainError> {
        if let Some(r) = &self.resample {
            if !r.method.is_resampler() {
                return Err(invalid(
                    "method.resample.method",
                    format!(
                        "`{}` is not a resampler (smoter, smogn, wercs, ros, rus)",
                        r.method.as_str()
                    ),
                ));
            }
            r.check()?;
        }
        let regression = self.regression.check()?;
        let mut rooms = Vec::new();
        for room in ROOMS {
            rooms.extend((room.check)(self)?);
        }
        // The combination rules have one home: a table must form a valid method name too (no
        // focal loss with Balanced MSE, no rnc beside a representation term, …).
        MethodName::new(self.name().components())?;
        Ok(ValidMethodParams {
            params: self.clone(),
            regression,
            rooms,
        })
    }
}

/// A [`MethodParams`] that passed [`MethodParams::check`], with every room that is on in its
/// checked form ([`CheckedRoom`]); [`ValidMethodParams::build`] makes the components from it and checks
/// nothing again. Reads like a `MethodParams` (`Deref`).
#[derive(Debug, Clone)]
pub struct ValidMethodParams {
    params: MethodParams,
    regression: ValidRegressionParams,
    rooms: Vec<Arc<dyn CheckedRoom>>,
}

impl ValidMethodParams {
    /// The checked rooms that are on, in step order.
    pub fn rooms(&self) -> &[Arc<dyn CheckedRoom>] {
        &self.rooms
    }

    /// The training-step components in step order: the regression side first, then the rooms
    /// that are on.
    pub fn build(
        &self,
        ctx: &BuildContext<'_>,
    ) -> Result<Vec<Box<dyn MethodComponent>>, TrainError> {
        let mut out: Vec<Box<dyn MethodComponent>> =
            vec![Box::new(RegressionSide::new(&self.regression, ctx)?)];
        for room in &self.rooms {
            out.push(room.build(ctx)?);
        }
        Ok(out)
    }
}

impl PartialEq for ValidMethodParams {
    /// Equal parameters (the checked forms follow from them).
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params
    }
}

impl std::ops::Deref for ValidMethodParams {
    type Target = MethodParams;
    fn deref(&self) -> &MethodParams {
        &self.params
    }
}

use crate::components::invalid;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_order_and_print_canonically() {
        for (text, canonical) in [
            ("vanilla", "vanilla"),
            ("srl", "srl"),
            ("ranksim+srl", "srl+ranksim"),
            ("fds+lds", "lds+fds"),
            ("bmse", "bmc"),
            ("srl+bmse", "bmc+srl"),
            ("oe+conr+srl+sqinv", "sqinv+srl+conr+oe"),
            ("lds+gbdt", "gbdt+lds"),
        ] {
            let n: MethodName = text.parse().unwrap();
            assert_eq!(n.to_string(), canonical, "{text}");
            assert_eq!(canonical.parse::<MethodName>().unwrap(), n);
        }
    }

    #[test]
    fn the_component_table_is_complete_and_consistent() {
        // One row per component, in the enum's (canonical) order, with distinct names.
        for (i, info) in COMPONENTS.iter().enumerate() {
            assert_eq!(Component::ALL[i], info.component);
            assert_eq!(info.component.info(), info);
            assert!(info.cost >= 0.0);
            for name in std::iter::once(&info.name).chain(info.aliases) {
                assert_eq!(Component::parse(name), Some(info.component), "{name}");
            }
        }
        let mut sorted = Component::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Component::ALL.to_vec());
        let help = method_help();
        for info in COMPONENTS {
            assert!(
                help.contains(info.name),
                "{} missing from the help",
                info.name
            );
        }
    }

    #[test]
    fn contradictory_names_are_errors() {
        for bad in [
            "lds+sqinv",
            "bmc+bni",
            "bmse+lds",
            "focal+gai",
            "gbdt+srl",
            "gbdt+focal",
            "gbdt+bni",
            "gbdt+inv+lds",
            "srl+srl",
            "srl+foo",
            "",
        ] {
            let e = bad.parse::<MethodName>().unwrap_err().to_string();
            assert!(e.contains("method"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_single_component_preset_checks_and_names_itself() {
        for ctx in [
            PresetContext::Tabular,
            PresetContext::OperatorLinear,
            PresetContext::OperatorNonlinear,
        ] {
            for c in Component::ALL.into_iter().filter(|c| !c.is_model()) {
                let name = MethodName::new(&[c]).unwrap();
                let p = MethodParams::preset(&name, ctx);
                p.check().unwrap();
                assert_eq!(p.name(), name);
                let with_srl =
                    MethodName::new(&[c, Component::Srl]).or_else(|_| MethodName::new(&[c]));
                let with_srl = with_srl.unwrap();
                assert_eq!(MethodParams::preset(&with_srl, ctx).name(), with_srl);
            }
        }
    }

    #[test]
    fn check_names_the_field() {
        let mut p = MethodParams::preset(
            &"srl+ranksim+conr+oe+bmc".parse().unwrap(),
            PresetContext::Tabular,
        );
        p.ranksim.as_mut().unwrap().weight = -1.0;
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.ranksim.weight"));
        p.ranksim.as_mut().unwrap().weight = 1.0;
        p.srl.as_mut().unwrap().tau = 0.0;
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.srl.tau"));
        p.srl.as_mut().unwrap().tau = 0.1;
        p.regression.balanced_mse.as_mut().unwrap().init_sigma = f64::NAN;
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .contains("method.regression.balanced_mse.init_sigma"));
        // A table that no `--method` value could name is refused like the name would be.
        let mut focal_bmse = MethodParams::preset(&"bmc".parse().unwrap(), PresetContext::Tabular);
        focal_bmse.regression.loss = RegressionLoss::focal_l1();
        assert!(focal_bmse
            .check()
            .unwrap_err()
            .to_string()
            .contains("Balanced MSE"));
    }
}
