//! The method table: every component a DIR method is made of ([`Component`]), one row each in
//! [`COMPONENTS`] — its `--method` name and aliases, the name tables and figures print, its
//! family (and so what it combines with), a relative cost per epoch and one line of help — and
//! the preset families ([`PresetContext`]). Everything that lists, names or orders components
//! reads this table; it depends on nothing else in the crate (only on srl-data's benchmark
//! names, for [`PresetContext::of_benchmark`]).
//!
//! Adding a method is its room (a file in `components/`, see [`crate::components`]), its
//! variant and row here, and its line in the room list of [`crate::method`].

use serde::{Deserialize, Serialize};

/// One ingredient of a DIR method, as written in `--method a+b+c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// SMOTER (Torgo et al. 2013): the training rows resampled before training — common
    /// targets under-sampled, rare ones interpolated between a rare row and a rare neighbour.
    Smoter,
    /// SMOGN (Branco et al. 2017): SMOTER where the neighbour is near, Gaussian noise around
    /// the rare row otherwise.
    Smogn,
    /// WERCS (Branco et al. 2019): replicas drawn ∝ φ(y), removals drawn ∝ 1 − φ(y).
    Wercs,
    /// Random over-sampling: replicas of the rare training rows.
    Ros,
    /// Random under-sampling: a random subset of the common training rows.
    Rus,
    /// Gradient-boosted trees in place of the network (trained by the `srl-gbdt` crate, not by
    /// this crate's trainer); combines with a re-weighting only, whose weights become the
    /// trees' sample weights.
    Gbdt,
    /// Inverse-frequency re-weighting (counts clipped to [5, 1000]).
    Inv,
    /// Square-root inverse-frequency re-weighting.
    Sqinv,
    /// Label distribution smoothing: SQINV of the kernel-smoothed counts (Yang et al. 2021).
    Lds,
    /// DenseWeight: 1 − α·(scaled kernel density of the raw training target), floored at ε
    /// (Steininger et al. 2021).
    Denseweight,
    /// Focal-R: the regression loss scaled by tanh(β|e|)^γ.
    Focal,
    /// Balanced MSE, batch Monte-Carlo (Ren et al. 2022); `bmse` is an alias.
    Bmc,
    /// Balanced MSE, bin-based numerical integration.
    Bni,
    /// Balanced MSE, Gaussian-mixture analytic integration.
    Gai,
    /// SRL: enveloping + homogeneity + centroid contrastive losses on the surrogate table.
    Srl,
    /// Feature distribution smoothing (Yang et al. 2021).
    Fds,
    /// RankSim (Gong et al. 2022).
    Ranksim,
    /// ConR, contrastive regularisation (Keramati et al. 2024).
    Conr,
    /// Ordinal entropy (Zhang et al. 2023).
    Oe,
    /// Rank-N-Contrast (Zha et al. 2023): contrastive pre-training of the encoder, then the
    /// regression head on the frozen encoder.
    Rnc,
    /// Dist Loss (Nie et al. 2025): soft-sorted predictions pulled towards pseudo-labels drawn
    /// from the smoothed training label distribution, beside the regression loss.
    Dist,
}

/// Which part of a method a component is, and so what it combines with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A transform of the training rows before training (at most one; combines with every
    /// method, the trees included): the `srl-resample` resamplers.
    Resample,
    /// A model other than the network (gradient-boosted trees): with a re-weighting only.
    Model,
    /// Per-sample re-weighting of the regression loss (at most one).
    Reweighting,
    /// A change of the regression loss itself (focal).
    Loss,
    /// Balanced MSE in place of the regression loss (at most one; with neither a re-weighting
    /// nor focal).
    BalancedMse,
    /// A term on the representation (any number).
    Representation,
    /// Two-stage training of the encoder (only with the regression side).
    TwoStage,
}

/// What the rest of the project needs to know about one component, in one row: its
/// `--method` name, the name tables and figures print, its family, a rough relative cost per
/// epoch (ordering of long sweeps only) and one line of help. [`Component::info`] reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComponentInfo {
    /// The component.
    pub component: Component,
    /// The name in `--method` (and in run folders).
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// The name in tables and figures.
    pub display: &'static str,
    /// The family (and its combination rules).
    pub family: Family,
    /// Extra cost of an epoch relative to the regression loss alone (1), for ordering runs.
    pub cost: f64,
    /// One line of help.
    pub help: &'static str,
}

/// Every component, one row each, in canonical order (the resamplers, then the regression side).
pub const COMPONENTS: &[ComponentInfo] = &[
    ComponentInfo {
        component: Component::Smoter,
        name: "smoter",
        aliases: &[],
        display: "SMOTER",
        family: Family::Resample,
        cost: 0.0,
        help: "SMOTER: common training rows under-sampled, rare ones interpolated",
    },
    ComponentInfo {
        component: Component::Smogn,
        name: "smogn",
        aliases: &[],
        display: "SMOGN",
        family: Family::Resample,
        cost: 0.0,
        help: "SMOGN: SMOTER interpolation where safe, Gaussian noise otherwise",
    },
    ComponentInfo {
        component: Component::Wercs,
        name: "wercs",
        aliases: &[],
        display: "WERCS",
        family: Family::Resample,
        cost: 0.0,
        help: "WERCS: replicas drawn ∝ relevance, removals ∝ 1 − relevance",
    },
    ComponentInfo {
        component: Component::Ros,
        name: "ros",
        aliases: &[],
        display: "ROS",
        family: Family::Resample,
        cost: 0.0,
        help: "random over-sampling of the rare training rows",
    },
    ComponentInfo {
        component: Component::Rus,
        name: "rus",
        aliases: &[],
        display: "RUS",
        family: Family::Resample,
        cost: 0.0,
        help: "random under-sampling of the common training rows",
    },
    ComponentInfo {
        component: Component::Gbdt,
        name: "gbdt",
        aliases: &[],
        display: "GBDT",
        family: Family::Model,
        cost: 0.0,
        help:
            "gradient-boosted trees instead of the network (with a re-weighting as sample weights)",
    },
    ComponentInfo {
        component: Component::Inv,
        name: "inv",
        aliases: &[],
        display: "INV",
        family: Family::Reweighting,
        cost: 0.05,
        help: "inverse-frequency re-weighting",
    },
    ComponentInfo {
        component: Component::Sqinv,
        name: "sqinv",
        aliases: &[],
        display: "SQINV",
        family: Family::Reweighting,
        cost: 0.05,
        help: "square-root inverse-frequency re-weighting",
    },
    ComponentInfo {
        component: Component::Lds,
        name: "lds",
        aliases: &[],
        display: "LDS",
        family: Family::Reweighting,
        cost: 0.05,
        help: "label distribution smoothing (SQINV of smoothed counts)",
    },
    ComponentInfo {
        component: Component::Denseweight,
        name: "denseweight",
        aliases: &[],
        display: "DenseWeight",
        family: Family::Reweighting,
        cost: 0.05,
        help: "DenseWeight: 1 − α·(scaled kernel density of the target)",
    },
    ComponentInfo {
        component: Component::Focal,
        name: "focal",
        aliases: &[],
        display: "Focal-R",
        family: Family::Loss,
        cost: 0.05,
        help: "focal regression loss",
    },
    ComponentInfo {
        component: Component::Bmc,
        name: "bmc",
        aliases: &["bmse"],
        display: "BMC",
        family: Family::BalancedMse,
        cost: 0.2,
        help: "Balanced MSE, batch Monte-Carlo",
    },
    ComponentInfo {
        component: Component::Bni,
        name: "bni",
        aliases: &[],
        display: "BNI",
        family: Family::BalancedMse,
        cost: 0.2,
        help: "Balanced MSE, bin-based numerical integration",
    },
    ComponentInfo {
        component: Component::Gai,
        name: "gai",
        aliases: &[],
        display: "GAI",
        family: Family::BalancedMse,
        cost: 0.2,
        help: "Balanced MSE, Gaussian-mixture integration",
    },
    ComponentInfo {
        component: Component::Srl,
        name: "srl",
        aliases: &[],
        display: "SRL",
        family: Family::Representation,
        cost: 2.5,
        help: "SRL: enveloping + homogeneity + centroid contrastive losses",
    },
    ComponentInfo {
        component: Component::Fds,
        name: "fds",
        aliases: &[],
        display: "FDS",
        family: Family::Representation,
        cost: 0.3,
        help: "feature distribution smoothing",
    },
    ComponentInfo {
        component: Component::Ranksim,
        name: "ranksim",
        aliases: &[],
        display: "RankSim",
        family: Family::Representation,
        cost: 1.5,
        help: "RankSim ranking similarity regulariser",
    },
    ComponentInfo {
        component: Component::Conr,
        name: "conr",
        aliases: &[],
        display: "ConR",
        family: Family::Representation,
        cost: 1.5,
        help: "ConR contrastive regulariser",
    },
    ComponentInfo {
        component: Component::Oe,
        name: "oe",
        aliases: &[],
        display: "OE",
        family: Family::Representation,
        cost: 0.5,
        help: "ordinal entropy",
    },
    ComponentInfo {
        component: Component::Rnc,
        name: "rnc",
        aliases: &[],
        display: "RnC",
        family: Family::TwoStage,
        cost: 1.5,
        help: "Rank-N-Contrast pre-training, then the head on the frozen encoder",
    },
    ComponentInfo {
        component: Component::Dist,
        name: "dist",
        aliases: &[],
        display: "Dist",
        family: Family::Loss,
        cost: 0.1,
        help: "Dist Loss: sorted predictions against the training label distribution",
    },
];

impl Component {
    /// Every component, in canonical order (the resamplers, then the regression side).
    pub const ALL: [Component; COMPONENTS.len()] = {
        let mut all = [Component::Gbdt; COMPONENTS.len()];
        let mut i = 0;
        while i < COMPONENTS.len() {
            all[i] = COMPONENTS[i].component;
            i += 1;
        }
        all
    };

    /// The component's row of [`COMPONENTS`].
    pub fn info(self) -> &'static ComponentInfo {
        // The table lists the components in declaration order (tested).
        &COMPONENTS[self as usize]
    }

    /// The name used in `--method`.
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The name in tables and figures (`ranksim` → `RankSim`).
    pub fn display_name(self) -> &'static str {
        self.info().display
    }

    pub(crate) fn parse(s: &str) -> Option<Component> {
        COMPONENTS
            .iter()
            .find(|i| i.name == s || i.aliases.contains(&s))
            .map(|i| i.component)
    }

    pub(crate) fn is_reweighting(self) -> bool {
        self.info().family == Family::Reweighting
    }

    pub(crate) fn is_balanced_mse(self) -> bool {
        self.info().family == Family::BalancedMse
    }

    /// Whether the component resamples the training rows ([`Family::Resample`]).
    pub fn is_resampler(self) -> bool {
        self.info().family == Family::Resample
    }

    /// Whether the component replaces the network by another model.
    pub(crate) fn is_model(self) -> bool {
        self.info().family == Family::Model
    }
}

/// The help text of `--method`, made from [`COMPONENTS`].
pub fn method_help() -> String {
    let list = |f: Family| -> String {
        COMPONENTS
            .iter()
            .filter(|i| i.family == f)
            .map(|i| {
                let aliases: Vec<String> = i.aliases.iter().map(|a| format!(" = {a}")).collect();
                format!("{}{} ({})", i.name, aliases.concat(), i.help)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!(
        "A DIR method: `vanilla`, or components joined with `+` in any order. Regression side — \
         re-weighting (at most one): {}; loss: {}; Balanced MSE (at most one, replaces the loss: \
         not with a re-weighting or focal): {}. Representation side (any number): {}. Two-stage \
         (with the regression side only): {}. Another model (with a re-weighting and a \
         resampler only): {}. Resampling of the training rows before training (at most one; \
         with every method): {}. Examples: srl, lds+fds, ranksim, bmse, srl+ranksim, srl+lds, \
         rnc+lds, gbdt+sqinv, smogn+srl, smogn+gbdt.",
        list(Family::Reweighting),
        list(Family::Loss),
        list(Family::BalancedMse),
        list(Family::Representation),
        list(Family::TwoStage),
        list(Family::Model),
        list(Family::Resample),
    )
}

/// Which family of presets applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetContext {
    /// Small tabular data (UCI-DIR, user CSVs): L1 regression loss, mini-batches.
    Tabular,
    /// Operator learning, linear operator (IOL-linear): MSE, full batch.
    OperatorLinear,
    /// Operator learning, nonlinear operator (IOL-nonlinear): MSE, full batch.
    OperatorNonlinear,
}

impl PresetContext {
    /// The presets of a built-in benchmark: operator learning for IOL, tabular otherwise.
    pub fn of_benchmark(benchmark: srl_data::BenchmarkId) -> Self {
        match benchmark {
            srl_data::BenchmarkId::IolLinear => PresetContext::OperatorLinear,
            srl_data::BenchmarkId::IolSde => PresetContext::OperatorNonlinear,
            _ => PresetContext::Tabular,
        }
    }

    /// Whether this is an operator-learning (full-batch, MSE) context.
    pub fn is_operator(self) -> bool {
        self != PresetContext::Tabular
    }
}
