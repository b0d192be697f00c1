//! Harder test protocols than the balanced split: a **blind spot** (interior label intervals
//! held out of training) and **extrapolation** (the top or bottom of the label range held
//! out). See docs/protocols.md, "Blind spot and extrapolation".
//!
//! A [`Protocol`] is applied after the benchmark's ordinary split:
//!
//! 1. it is turned into target intervals ([`Protocol::resolve`]): intervals given in target
//!    units are taken as they are; quantile bounds are quantiles (linear interpolation
//!    between order statistics) of **every** target of the benchmark, all parts together, so
//!    the removed range does not depend on the split seed or the method;
//! 2. every training and validation row whose target lies in a removed interval (closed at
//!    both ends) leaves its part. Where the parts are drawn from one pool of rows (UCI-DIR,
//!    own tables) those rows join the test part; where the test part is a separate sample
//!    that already covers the whole range (IOL: other functions, a uniform grid) they are
//!    dropped;
//! 3. the bins stay those of the full label range, so the removed bins exist in SRL's
//!    surrogate table but have no training rows; shot groups are computed as usual from the
//!    training counts (a removed bin counts 0 and is few-shot).
//!
//! The result records which test rows lie in the removed range ([`ProtocolInfo`]), so the
//! error on the held-out labels can be reported apart from the error on the labels seen in
//! training.
//!
//! Text form (flag `--protocol`, configs): `standard`; `blind-spot:LO..HI[,LO..HI…]` in
//! target units or `blind-spot:qLO..qHI[,…]` in quantiles; `extrapolation:high:SHARE` or
//! `extrapolation:low:SHARE` (SHARE: the share of all targets, by quantile, removed from
//! the top or bottom).
//!
//! ```
//! use srl_data::protocol::{IntervalUnit, Protocol, Side};
//! let p: Protocol = "blind-spot:q0.45..q0.55".parse().unwrap();
//! assert_eq!(p, Protocol::BlindSpot { intervals: vec![(0.45, 0.55)], unit: IntervalUnit::Quantile });
//! assert_eq!(p.to_string(), "blind-spot:q0.45..q0.55");
//! let e: Protocol = "extrapolation:high:0.1".parse().unwrap();
//! assert_eq!(e, Protocol::Extrapolation { side: Side::High, share: 0.1 });
//! let y: Vec<f64> = (0..=100).map(f64::from).collect();
//! let r = e.resolve(&y).unwrap();
//! assert!(r.contains(95.0) && !r.contains(85.0));
//! ```

use crate::names::Named;
use crate::split::SplitIndices;
use crate::DataError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which labels a benchmark's training part may contain.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Protocol {
    /// The benchmark's own split, unchanged.
    #[default]
    Standard,
    /// Interior label intervals held out of training and validation.
    BlindSpot {
        /// The intervals `(lo, hi)`, closed, ascending and disjoint.
        intervals: Vec<(f64, f64)>,
        /// Whether the bounds are target values or quantiles of the targets.
        unit: IntervalUnit,
    },
    /// The top or bottom of the label range held out of training and validation.
    Extrapolation {
        /// Which end.
        side: Side,
        /// Share of the targets (by quantile) held out, in (0, 1).
        share: f64,
    },
}

/// The three kinds of protocol, for their names and help ([`Named`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolKind {
    /// [`Protocol::Standard`].
    Standard,
    /// [`Protocol::BlindSpot`].
    BlindSpot,
    /// [`Protocol::Extrapolation`].
    Extrapolation,
}

impl Named for ProtocolKind {
    const WHAT: &'static str = "test protocol";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            ProtocolKind::Standard,
            "standard",
            "the benchmark's own split (`standard`)",
        ),
        (
            ProtocolKind::BlindSpot,
            "blind-spot",
            "interior target intervals held out of training, tested on \
             (`blind-spot:2.5..3.0`, `blind-spot:q0.45..q0.55,q0.7..q0.75`)",
        ),
        (
            ProtocolKind::Extrapolation,
            "extrapolation",
            "the top or bottom share of the targets held out of training, tested on \
             (`extrapolation:high:0.1`, `extrapolation:low:0.1`)",
        ),
    ];
}

/// Whether blind-spot bounds are target values or quantiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IntervalUnit {
    /// Bounds in the target's own units.
    #[default]
    Target,
    /// Bounds are quantile levels in (0, 1) of all the benchmark's targets (written `q0.45`).
    Quantile,
}

/// The end of the label range an extrapolation protocol holds out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The largest targets.
    High,
    /// The smallest targets.
    Low,
}

impl Named for Side {
    const WHAT: &'static str = "extrapolation side";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (Side::High, "high", "the largest targets are held out"),
        (Side::Low, "low", "the smallest targets are held out"),
    ];
}

/// What is wrong with a protocol (inside [`DataError::Protocol`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolProblem {
    /// Text that is not a protocol.
    #[error("cannot read `{text}`: {reason}")]
    Syntax {
        /// The text given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// A blind spot without intervals.
    #[error("a blind spot needs at least one interval")]
    NoIntervals,
    /// Some bounds are quantiles and others target values.
    #[error("give every bound as a quantile (`q0.4..q0.5`) or none")]
    MixedUnits,
    /// A bound that is not a finite number.
    #[error("bound {value} is not a finite number")]
    NotFinite {
        /// The bound.
        value: f64,
    },
    /// An interval whose lower bound is not below its upper bound.
    #[error("interval {lo}..{hi} is empty: the lower bound must be below the upper one")]
    EmptyInterval {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// A quantile bound outside (0, 1).
    #[error("quantile {value} is not in (0, 1)")]
    QuantileOutOfRange {
        /// The bound.
        value: f64,
    },
    /// Intervals not in ascending order.
    #[error("intervals {first:?} and {second:?} are not in ascending order")]
    Unsorted {
        /// The earlier interval.
        first: (f64, f64),
        /// The later one, which starts below it.
        second: (f64, f64),
    },
    /// Intervals that share labels.
    #[error("intervals {first:?} and {second:?} overlap; merge them")]
    Overlapping {
        /// The earlier interval.
        first: (f64, f64),
        /// The later one.
        second: (f64, f64),
    },
    /// An extrapolation share outside (0, 1).
    #[error("share {share} is not in (0, 1)")]
    ShareOutOfRange {
        /// The share.
        share: f64,
    },
    /// A blind spot that reaches the lowest or highest target: it is no interior interval.
    #[error(
        "interval {lo}..{hi} is not interior: the targets run from {min} to {max} and a blind \
         spot must leave targets on both sides (use extrapolation for an end of the range)"
    )]
    NotInterior {
        /// Lower bound (target units).
        lo: f64,
        /// Upper bound (target units).
        hi: f64,
        /// The smallest target.
        min: f64,
        /// The largest target.
        max: f64,
    },
    /// A removed interval that holds no target at all.
    #[error("interval {lo}..{hi} holds no target: there is nothing to hold out or test on")]
    IntervalHoldsNoRows {
        /// Lower bound (target units).
        lo: f64,
        /// Upper bound (target units).
        hi: f64,
    },
    /// Every row of a part lies in the removed range.
    #[error("no {part} row is left outside the removed range {removed}")]
    NoRowsLeft {
        /// `training` or `validation`.
        part: &'static str,
        /// The removed range.
        removed: RemovedRange,
    },
}

impl From<ProtocolProblem> for DataError {
    fn from(problem: ProtocolProblem) -> Self {
        DataError::Protocol { problem }
    }
}

/// The removed label range of a protocol, in target units: closed intervals, ascending and
/// disjoint (an extrapolation interval is open-ended, with an infinite bound).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RemovedRange {
    /// The intervals `[lo, hi]`.
    pub intervals: Vec<(f64, f64)>,
}

impl RemovedRange {
    /// Whether `y` lies in a removed interval.
    pub fn contains(&self, y: f64) -> bool {
        self.intervals.iter().any(|&(lo, hi)| lo <= y && y <= hi)
    }

    /// Whether nothing is removed (the standard protocol).
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }
}

impl fmt::Display for RemovedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.intervals.iter().enumerate() {
            if i > 0 {
                f.write_str(" ∪ ")?;
            }
            write!(f, "[{lo}, {hi}]")?;
        }
        Ok(())
    }
}

/// What a protocol did to a benchmark (kept in [`Benchmark::protocol`](crate::Benchmark)).
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolInfo {
    /// The protocol.
    pub protocol: Protocol,
    /// Its removed range in target units.
    pub removed: RemovedRange,
    /// Training rows (of the ordinary split) in the removed range.
    pub removed_train: usize,
    /// Validation rows (of the ordinary split) in the removed range.
    pub removed_val: usize,
    /// Whether those rows joined the test part (`false`: dropped, IOL).
    pub moved_to_test: bool,
    /// For every test row, whether its target lies in the removed range.
    pub test_in_removed: Vec<bool>,
}

/// The `q`-quantile of sorted values (linear interpolation between order statistics, as
/// numpy's default).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let mut pos = q * (sorted.len() - 1) as f64;
    // a level that falls on an order statistic up to rounding (0.55 · 100) is that statistic
    if (pos - pos.round()).abs() < 1e-9 {
        pos = pos.round();
    }
    let i = pos.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (pos - i as f64) * (sorted[j] - sorted[i])
}

impl Protocol {
    /// Whether this is the standard protocol (nothing removed).
    pub fn is_standard(&self) -> bool {
        matches!(self, Protocol::Standard)
    }

    /// Its kind.
    pub fn kind(&self) -> ProtocolKind {
        match self {
            Protocol::Standard => ProtocolKind::Standard,
            Protocol::BlindSpot { .. } => ProtocolKind::BlindSpot,
            Protocol::Extrapolation { .. } => ProtocolKind::Extrapolation,
        }
    }

    /// Checks what can be checked without data: intervals non-empty, finite, ascending and
    /// disjoint, quantiles and shares in (0, 1).
    pub fn check(&self) -> Result<(), DataError> {
        match self {
            Protocol::Standard => Ok(()),
            Protocol::Extrapolation { share, .. } => {
                if share.is_finite() && *share > 0.0 && *share < 1.0 {
                    Ok(())
                } else {
                    Err(ProtocolProblem::ShareOutOfRange { share: *share }.into())
                }
            }
            Protocol::BlindSpot { intervals, unit } => {
                if intervals.is_empty() {
                    return Err(ProtocolProblem::NoIntervals.into());
                }
                for &(lo, hi) in intervals {
                    for value in [lo, hi] {
                        if !value.is_finite() {
                            return Err(ProtocolProblem::NotFinite { value }.into());
                        }
                        if *unit == IntervalUnit::Quantile && !(value > 0.0 && value < 1.0) {
                            return Err(ProtocolProblem::QuantileOutOfRange { value }.into());
                        }
                    }
                    if lo >= hi {
                        return Err(ProtocolProblem::EmptyInterval { lo, hi }.into());
                    }
                }
                check_ordered(intervals)
            }
        }
    }

    /// The removed range in target units for a benchmark whose targets (every part) are
    /// `all_targets`: quantile bounds are quantiles of these targets. Errors for an invalid
    /// protocol ([`check`](Self::check)), a blind spot that is not interior or an interval
    /// that holds no target. The standard protocol removes nothing.
    pub fn resolve(&self, all_targets: &[f64]) -> Result<RemovedRange, DataError> {
        self.check()?;
        if self.is_standard() {
            return Ok(RemovedRange::default());
        }
        let mut sorted: Vec<f64> = all_targets
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        if sorted.is_empty() {
            return Err(DataError::invalid(
                "test protocol",
                "the data has no targets",
            ));
        }
        sorted.sort_by(f64::total_cmp);
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let q = |level: f64| quantile_sorted(&sorted, level);
        let intervals: Vec<(f64, f64)> = match self {
            Protocol::Standard => Vec::new(),
            Protocol::Extrapolation { side, share } => match side {
                Side::High => vec![(q(1.0 - share), f64::INFINITY)],
                Side::Low => vec![(f64::NEG_INFINITY, q(*share))],
            },
            Protocol::BlindSpot { intervals, unit } => {
                let resolved: Vec<(f64, f64)> = match unit {
                    IntervalUnit::Target => intervals.clone(),
                    IntervalUnit::Quantile => {
                        intervals.iter().map(|&(a, b)| (q(a), q(b))).collect()
                    }
                };
                for &(lo, hi) in &resolved {
                    if lo <= min || hi >= max {
                        return Err(ProtocolProblem::NotInterior { lo, hi, min, max }.into());
                    }
                }
                // Quantiles of tied targets can make neighbouring intervals touch.
                check_ordered(&resolved)?;
                resolved
            }
        };
        for &(lo, hi) in &intervals {
            if !sorted.iter().any(|&y| lo <= y && y <= hi) {
                return Err(ProtocolProblem::IntervalHoldsNoRows { lo, hi }.into());
            }
        }
        Ok(RemovedRange { intervals })
    }
}

fn check_ordered(intervals: &[(f64, f64)]) -> Result<(), DataError> {
    for w in intervals.windows(2) {
        let (first, second) = (w[0], w[1]);
        if second.0 < first.0 {
            return Err(ProtocolProblem::Unsorted { first, second }.into());
        }
        if second.0 <= first.1 {
            return Err(ProtocolProblem::Overlapping { first, second }.into());
        }
    }
    Ok(())
}

impl RemovedRange {
    /// The split without the removed rows in training and validation, with those rows added
    /// to the test part (each part sorted), and how many training and validation rows moved.
    /// `y`: the target of every row the indices point into. Errors when no training or no
    /// validation row is left.
    pub fn apply_to_split(
        &self,
        split: &SplitIndices,
        y: &[f64],
    ) -> Result<(SplitIndices, usize, usize), DataError> {
        let (train, out_train): (Vec<usize>, Vec<usize>) =
            split.train.iter().partition(|&&i| !self.contains(y[i]));
        let (val, out_val): (Vec<usize>, Vec<usize>) =
            split.val.iter().partition(|&&i| !self.contains(y[i]));
        self.check_left(train.len(), val.len())?;
        let mut test = split.test.clone();
        test.extend(&out_train);
        test.extend(&out_val);
        test.sort_unstable();
        Ok((
            SplitIndices { train, val, test },
            out_train.len(),
            out_val.len(),
        ))
    }

    /// Errors when a part would be left empty.
    pub fn check_left(&self, train: usize, val: usize) -> Result<(), DataError> {
        for (part, n) in [("training", train), ("validation", val)] {
            if n == 0 {
                return Err(ProtocolProblem::NoRowsLeft {
                    part,
                    removed: self.clone(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// For every target of `y`, whether it lies in the range.
    pub fn mask(&self, y: &[f64]) -> Vec<bool> {
        y.iter().map(|&v| self.contains(v)).collect()
    }
}

fn number(text: &str, whole: &str) -> Result<f64, ProtocolProblem> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| ProtocolProblem::Syntax {
            text: whole.to_string(),
            reason: format!("`{text}` is not a number"),
        })
}

impl std::str::FromStr for Protocol {
    type Err = DataError;

    /// Reads the text form (see the module docs) and [checks](Protocol::check) it.
    fn from_str(s: &str) -> Result<Self, DataError> {
        let syntax = |reason: &str| ProtocolProblem::Syntax {
            text: s.to_string(),
            reason: reason.to_string(),
        };
        let (head, rest) = match s.split_once(':') {
            Some((h, r)) => (h, Some(r)),
            None => (s, None),
        };
        let kind = ProtocolKind::from_name(head).map_err(|e| syntax(&e.to_string()))?;
        let p = match (kind, rest) {
            (ProtocolKind::Standard, None) => Protocol::Standard,
            (ProtocolKind::Standard, Some(_)) => {
                return Err(syntax("`standard` takes no arguments").into())
            }
            (ProtocolKind::BlindSpot, None) | (ProtocolKind::Extrapolation, None) => {
                return Err(syntax(
                    "give the range: `blind-spot:LO..HI` (target units), \
                     `blind-spot:qLO..qHI` (quantiles), `extrapolation:high:SHARE`",
                )
                .into())
            }
            (ProtocolKind::BlindSpot, Some(list)) => {
                let mut intervals = Vec::new();
                let mut units = Vec::new();
                for item in list.split(',') {
                    let (a, b) = item
                        .split_once("..")
                        .ok_or_else(|| syntax(&format!("interval `{item}` is not LO..HI")))?;
                    for bound in [a, b] {
                        units.push(bound.trim().starts_with('q'));
                    }
                    let strip = |t: &str| t.trim().trim_start_matches('q').to_string();
                    intervals.push((number(&strip(a), s)?, number(&strip(b), s)?));
                }
                let unit = if units.iter().all(|&u| u) {
                    IntervalUnit::Quantile
                } else if units.iter().any(|&u| u) {
                    return Err(ProtocolProblem::MixedUnits.into());
                } else {
                    IntervalUnit::Target
                };
                Protocol::BlindSpot { intervals, unit }
            }
            (ProtocolKind::Extrapolation, Some(args)) => {
                let (side, share) = args
                    .split_once(':')
                    .ok_or_else(|| syntax("write `extrapolation:high:SHARE` or `…:low:SHARE`"))?;
                let side = Side::from_name(side).map_err(|e| syntax(&e.to_string()))?;
                Protocol::Extrapolation {
                    side,
                    share: number(share, s)?,
                }
            }
        };
        p.check()?;
        Ok(p)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().name())?;
        match self {
            Protocol::Standard => Ok(()),
            Protocol::Extrapolation { side, share } => write!(f, ":{}:{share}", side.name()),
            Protocol::BlindSpot { intervals, unit } => {
                let q = if *unit == IntervalUnit::Quantile {
                    "q"
                } else {
                    ""
                };
                for (i, (lo, hi)) in intervals.iter().enumerate() {
                    let sep = if i == 0 { ":" } else { "," };
                    write!(f, "{sep}{q}{lo}..{q}{hi}")?;
                }
                Ok(())
            }
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem(r: Result<impl fmt::Debug, DataError>) -> ProtocolProblem {
        match r {
            Err(DataError::Protocol { problem }) => problem,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn text_round_trips() {
        for text in [
            "standard",
            "blind-spot:2.5..3",
            "blind-spot:-3..-1.5,0..0.001",
            "blind-spot:q0.45..q0.55",
            "blind-spot:q0.1..q0.2,q0.7..q0.75",
            "extrapolation:high:0.1",
            "extrapolation:low:0.25",
        ] {
            let p: Protocol = text.parse().unwrap();
            assert_eq!(p.to_string(), text);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Protocol>(&json).unwrap(), p);
        }
    }

    #[test]
    fn degenerate_protocols_are_typed_errors() {
        use ProtocolProblem as P;
        let parse = |t: &str| problem(t.parse::<Protocol>());
        assert!(matches!(parse("blind"), P::Syntax { .. }));
        assert!(matches!(parse("blind-spot"), P::Syntax { .. }));
        assert!(matches!(parse("blind-spot:1-2"), P::Syntax { .. }));
        assert!(matches!(parse("blind-spot:a..2"), P::Syntax { .. }));
        assert!(matches!(parse("standard:1"), P::Syntax { .. }));
        assert!(matches!(parse("extrapolation:up:0.1"), P::Syntax { .. }));
        assert!(matches!(parse("blind-spot:3..2"), P::EmptyInterval { .. }));
        assert!(matches!(parse("blind-spot:2..2"), P::EmptyInterval { .. }));
        assert!(matches!(
            parse("blind-spot:q0..q0.5"),
            P::QuantileOutOfRange { .. }
        ));
        assert!(matches!(
            parse("blind-spot:q0.5..q1.2"),
            P::QuantileOutOfRange { .. }
        ));
        assert!(matches!(parse("blind-spot:q0.1..0.2"), P::MixedUnits));
        assert!(matches!(parse("blind-spot:5..6,1..2"), P::Unsorted { .. }));
        assert!(matches!(
            parse("blind-spot:1..3,2..4"),
            P::Overlapping { .. }
        ));
        assert!(matches!(
            parse("blind-spot:1..3,3..4"),
            P::Overlapping { .. }
        ));
        assert!(matches!(parse("blind-spot:1..inf"), P::NotFinite { .. }));
        assert!(matches!(
            parse("extrapolation:high:0"),
            P::ShareOutOfRange { .. }
        ));
        assert!(matches!(
            parse("extrapolation:low:1"),
            P::ShareOutOfRange { .. }
        ));
        let empty = Protocol::BlindSpot {
            intervals: vec![],
            unit: IntervalUnit::Target,
        };
        assert_eq!(problem(empty.check()), P::NoIntervals);

        let y: Vec<f64> = (0..10).map(f64::from).collect();
        let res = |t: &str| problem(t.parse::<Protocol>().unwrap().resolve(&y));
        // covering everything, or reaching an end: not interior
        assert!(matches!(res("blind-spot:-1..20"), P::NotInterior { .. }));
        assert!(matches!(res("blind-spot:0..3"), P::NotInterior { .. }));
        assert!(matches!(res("blind-spot:5..9"), P::NotInterior { .. }));
        // between two targets: nothing to test on
        assert!(matches!(
            res("blind-spot:4.2..4.8"),
            P::IntervalHoldsNoRows { .. }
        ));
        assert!(matches!(
            res("blind-spot:2..3,4.2..4.8"),
            P::IntervalHoldsNoRows { .. }
        ));
        // everything left out of training
        let r: RemovedRange = "blind-spot:2..7"
            .parse::<Protocol>()
            .unwrap()
            .resolve(&y)
            .unwrap();
        let split = SplitIndices {
            train: vec![3, 4],
            val: vec![1],
            test: vec![0],
        };
        let e = problem(r.apply_to_split(&split, &y));
        assert!(
            matches!(
                e,
                P::NoRowsLeft {
                    part: "training",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("[2, 7]"), "{e}");
    }

    #[test]
    fn quantiles_are_of_all_targets() {
        let y: Vec<f64> = (0..=100).map(f64::from).collect();
        let r = "blind-spot:q0.45..q0.55"
            .parse::<Protocol>()
            .unwrap()
            .resolve(&y)
            .unwrap();
        assert_eq!(r.intervals, vec![(45.0, 55.0)]);
        let low = "extrapolation:low:0.2".parse::<Protocol>().unwrap();
        assert_eq!(
            low.resolve(&y).unwrap().intervals,
            vec![(f64::NEG_INFINITY, 20.0)]
        );
        assert!(Protocol::Standard.resolve(&y).unwrap().is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// No training or validation row lies in a removed interval; every removed row of
        /// the ordinary split is in the test part; nothing else moves.
        #[test]
        fn no_removed_row_is_trained_or_validated_on(
            y in proptest::collection::vec(-50.0f64..50.0, 20..200),
            a in 0.05f64..0.9, w1 in 0.01f64..0.3, gap in 0.0f64..0.2, w2 in 0.01f64..0.3,
            two in any::<bool>(), quantile in any::<bool>(), seed in 0u64..50,
            high in any::<bool>(), share in 0.01f64..0.6, extrapolate in any::<bool>(),
        ) {
            let split = crate::split::stratified_split(
                &(0..y.len()).map(|i| i % 3).collect::<Vec<_>>(), 0.2, 0.2, seed);
            let (lo, hi) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
            let at = |t: f64| if quantile { t } else { lo + t * (hi - lo) };
            let mut intervals = vec![(at(a), at((a + w1).min(0.95)))];
            if two && a + w1 + gap + 0.01 < 0.95 {
                intervals.push((at(a + w1 + gap + 0.005), at((a + w1 + gap + w2).min(0.97).max(a + w1 + gap + 0.01))));
            }
            let p = if extrapolate {
                Protocol::Extrapolation { side: if high { Side::High } else { Side::Low }, share }
            } else {
                Protocol::BlindSpot { intervals, unit: if quantile { IntervalUnit::Quantile } else { IntervalUnit::Target } }
            };
            let Ok(range) = p.resolve(&y) else { return Ok(()); };
            prop_assert!(!range.is_empty());
            let Ok((s, moved_train, moved_val)) = range.apply_to_split(&split, &y) else { return Ok(()); };
            for &i in s.train.iter().chain(&s.val) {
                prop_assert!(!range.contains(y[i]), "row {} (y = {}) of training/validation in {}", i, y[i], range);
            }
            let removed: Vec<usize> = split.train.iter().chain(&split.val).copied().filter(|&i| range.contains(y[i])).collect();
            prop_assert_eq!(removed.len(), moved_train + moved_val);
            for i in &removed {
                prop_assert!(s.test.binary_search(i).is_ok());
            }
            for &i in &split.test {
                prop_assert!(s.test.binary_search(&i).is_ok());
            }
            prop_assert_eq!(s.train.len() + s.val.len() + s.test.len(), y.len());
        }
    }
}
