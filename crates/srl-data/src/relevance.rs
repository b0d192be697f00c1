//! The relevance function φ: ℝ → [0, 1] of utility-based regression (Ribeiro 2011) and the
//! SERA family of metrics built on it (Ribeiro & Moniz 2020).
//!
//! # Relevance φ
//!
//! φ is a monotone piecewise cubic Hermite interpolant (Fritsch & Carlson 1980) through a few
//! *control points* `(y_k, φ(y_k), φ'(y_k))`, with `y_0 < y_1 < … < y_K`:
//!
//! - on `[y_k, y_{k+1}]`, with `h = y_{k+1} − y_k` and `s = (y − y_k)/h`,
//!   `φ(y) = φ_k·(2s³ − 3s² + 1) + h·m_k·(s³ − 2s² + s) + φ_{k+1}·(3s² − 2s³) + h·m_{k+1}·(s³ − s²)`,
//!   where the slopes `m_k` are the given `φ'(y_k)` after the Fritsch–Carlson step below;
//! - below `y_0` φ is `φ(y_0)`, above `y_K` it is `φ(y_K)` (clamped, no extrapolation), and
//!   the result is clamped to `[0, 1]`.
//!
//! The Fritsch–Carlson step visits the segments in order. With the secant
//! `δ_k = (φ_{k+1} − φ_k)/h`: if `δ_k = 0` both end slopes are set to 0 (a flat segment stays
//! flat); otherwise, with `α = m_k/δ_k`, `β = m_{k+1}/δ_k`, if `2α + β − 3 > 0`,
//! `α + 2β − 3 > 0` and `α(2α + β − 3 + α + 2β − 3) < (2α + β − 3)²` (the pair lies outside the
//! monotonicity region) both are scaled by `τ = 3/√(α² + β²)`. This is the rule of R's
//! `monoFC_mod` used by UBL's and IRon's `phi` and ported by the Python package `smogn`; it
//! makes φ monotone on every segment.
//!
//! ## Automatic control points ([`RelevanceMethod::Auto`])
//!
//! From the box-plot statistics of the targets as R's `boxplot.stats(y, coef)` computes them
//! ([`BoxPlot`]): Tukey's hinges (`fivenum`), the fences `hinge_lo − coef·IQR` and
//! `hinge_hi + coef·IQR` (IQR = `hinge_hi − hinge_lo`, `coef` = 1.5 by default), and the whisker
//! ends (adjacent values) = the smallest and largest target inside the fences. Then, as UBL's
//! and IRon's `phi.extremes` (IRon with `asym = FALSE`) do:
//!
//! - low side: if low extremes are wanted ([`Extremes::Low`] or [`Extremes::Both`]) and some
//!   target lies below the lower whisker end, the point `(lower whisker end, 1, 0)`; else
//!   `(min y, 0, 0)`;
//! - the point `(median, 0, 0)`, unless the median equals the first point's `y`;
//! - high side: if high extremes are wanted and some target lies above the upper whisker end,
//!   `(upper whisker end, 1, 0)`; else `(max y, 0, 0)` unless the median equals `max y`.
//!
//! All slopes are 0, so each segment is the "smoothstep" `φ_k + (φ_{k+1} − φ_k)(3s² − 2s³)`.
//!
//! ## Degenerate cases (typed errors, [`DataError::Relevance`])
//!
//! - a non-finite target ([`RelevanceProblem::NonFinite`]);
//! - fewer than [`MIN_ROWS`] targets ([`RelevanceProblem::TooFewRows`]);
//! - all targets equal ([`RelevanceProblem::ConstantTarget`]);
//! - no target beyond a whisker end on the requested side(s): φ would be 0 everywhere
//!   ([`RelevanceProblem::NoExtremes`]; the Python packages fail later with "all points have
//!   relevance 0");
//! - a whisker end that coincides with the median, e.g. when more than half of the targets
//!   share one value and the IQR is 0 ([`RelevanceProblem::CollapsedBoxPlot`]);
//! - manual control points that are not finite, not strictly increasing in `y`, have φ outside
//!   `[0, 1]`, a slope against the direction of an adjacent segment, are fewer than two, or all
//!   have φ = 0 ([`RelevanceProblem::ControlPoints`]);
//! - a box-plot coefficient that is not finite and > 0 ([`RelevanceProblem::Coef`]).
//!
//! # Metrics
//!
//! With φ fitted (usually on the training targets) and applied to the test targets:
//! [`ser_t`] (SER_t = Σ_{φ(y_i) ≥ t} (ŷ_i − y_i)²), [`sera`] (∫₀¹ SER_t dt by the trapezoid
//! rule with step 0.001, as IRon), and [`RelevanceMetrics`], which bundles SERA, the
//! φ-weighted MAE and MSE and a coarse SER_t curve for reports.
//!
//! ```
//! use srl_data::relevance::{Extremes, RelevanceParams};
//! let y = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0, 30.0];
//! let rel = RelevanceParams::auto(Extremes::Both).fit(&y).unwrap();
//! // median 3 → 0; the upper whisker end 5 → 1 (30 is beyond it); no low extremes.
//! assert_eq!(rel.phi(3.0), 0.0);
//! assert_eq!(rel.phi(5.0), 1.0);
//! assert_eq!(rel.phi(30.0), 1.0);
//! assert_eq!(rel.phi(4.0), 0.5);
//! assert_eq!(rel.phi(1.0), 0.0);
//! ```

use crate::names::Named;
use crate::DataError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Fewest targets the automatic method accepts (a five-number summary needs five values).
pub const MIN_ROWS: usize = 5;

/// The default box-plot coefficient (Tukey's 1.5 × IQR fences).
pub const DEFAULT_COEF: f64 = 1.5;

/// Which tails of the target distribution are relevant in the automatic method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Extremes {
    /// Values above the upper whisker end.
    High,
    /// Values below the lower whisker end.
    Low,
    /// Both tails (the reference packages' default).
    #[default]
    Both,
}

impl Extremes {
    fn wants_low(self) -> bool {
        matches!(self, Extremes::Low | Extremes::Both)
    }

    fn wants_high(self) -> bool {
        matches!(self, Extremes::High | Extremes::Both)
    }
}

impl Named for Extremes {
    const WHAT: &'static str = "extreme type";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (Extremes::High, "high", "rare high targets are relevant"),
        (Extremes::Low, "low", "rare low targets are relevant"),
        (
            Extremes::Both,
            "both",
            "rare targets on both sides are relevant",
        ),
    ];
}

/// One control point of φ: the target value `y`, its relevance `phi` and the slope φ'(y).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ControlPoint {
    /// The target value.
    pub y: f64,
    /// φ(y) ∈ [0, 1].
    pub phi: f64,
    /// φ'(y); 0 in the automatic method (a flat φ at each control point).
    pub slope: f64,
}

impl ControlPoint {
    /// The point `(y, phi, slope)`.
    pub fn new(y: f64, phi: f64, slope: f64) -> Self {
        Self { y, phi, slope }
    }
}

/// How the control points of φ are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelevanceMethod {
    /// From the box-plot statistics of the targets (module docs, "Automatic control points").
    Auto {
        /// Which tails are relevant.
        extremes: Extremes,
        /// Box-plot coefficient (fences at hinge ∓ coef·IQR); 1.5 by default.
        coef: f64,
    },
    /// Given by the user: sorted by `y`, strictly increasing, φ ∈ [0, 1].
    Manual(Vec<ControlPoint>),
}

/// Parameters of a relevance function: [`check`](RelevanceParams::check), then
/// [`fit`](RelevanceParams::fit) to targets.
///
/// ```
/// use srl_data::relevance::{ControlPoint, RelevanceParams};
/// // φ = 0 up to 10, rising to 1 at 20, with zero slopes.
/// let p = RelevanceParams::manual(vec![
///     ControlPoint::new(10.0, 0.0, 0.0),
///     ControlPoint::new(20.0, 1.0, 0.0),
/// ]);
/// let rel = p.fit(&[]).unwrap(); // manual points need no targets
/// assert_eq!(rel.phi(15.0), 0.5);
/// assert_eq!(rel.phi_all(&[0.0, 25.0]), vec![0.0, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevanceParams {
    /// How the control points are chosen.
    pub method: RelevanceMethod,
}

impl Default for RelevanceParams {
    /// The automatic method, both tails, coef 1.5.
    fn default() -> Self {
        Self::auto(Extremes::Both)
    }
}

impl RelevanceParams {
    /// The automatic method on the given tails with coef 1.5.
    pub fn auto(extremes: Extremes) -> Self {
        Self {
            method: RelevanceMethod::Auto {
                extremes,
                coef: DEFAULT_COEF,
            },
        }
    }

    /// User control points.
    pub fn manual(points: Vec<ControlPoint>) -> Self {
        Self {
            method: RelevanceMethod::Manual(points),
        }
    }

    /// Checks what can be checked without targets: a finite coef > 0, or valid manual points.
    pub fn check(&self) -> Result<(), DataError> {
        match &self.method {
            RelevanceMethod::Auto { coef, .. } => {
                if coef.is_finite() && *coef > 0.0 {
                    Ok(())
                } else {
                    Err(RelevanceProblem::Coef { coef: *coef }.into())
                }
            }
            RelevanceMethod::Manual(points) => check_points(points),
        }
    }

    /// The relevance function for the targets `y` (unused by the manual method).
    pub fn fit(&self, y: &[f64]) -> Result<Relevance, DataError> {
        self.check()?;
        match &self.method {
            RelevanceMethod::Auto { extremes, coef } => {
                let box_plot = BoxPlot::of(y, *coef)?;
                let points = auto_points(&box_plot, *extremes)?;
                Relevance::build(self.method.clone(), points, Some(box_plot))
            }
            RelevanceMethod::Manual(points) => {
                Relevance::build(self.method.clone(), points.clone(), None)
            }
        }
    }
}

/// Box-plot statistics as R's `boxplot.stats(y, coef)` computes them.
///
/// Hinges are Tukey's (R's `fivenum`): on the sorted targets `x_1 ≤ … ≤ x_n`, with
/// `n4 = ⌊(n + 3)/2⌋ / 2`, the lower hinge, median and upper hinge are the values at the
/// (1-based, possibly half-integer) positions `n4`, `(n + 1)/2` and `n + 1 − n4`, a half
/// position being the mean of its two neighbours. A target is an *extreme* (outlier) when it
/// lies below `hinge_lo − coef·IQR` or above `hinge_hi + coef·IQR`; the whisker ends are the
/// smallest and largest non-extreme targets.
///
/// ```
/// let b = srl_data::relevance::BoxPlot::of(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0], 1.5).unwrap();
/// assert_eq!((b.hinge_lo, b.median, b.hinge_hi), (2.5, 4.0, 5.5));
/// assert_eq!((b.whisker_lo, b.whisker_hi), (1.0, 6.0));
/// assert_eq!((b.n_low, b.n_high), (0, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoxPlot {
    /// Smallest target inside the fences (lower adjacent value).
    pub whisker_lo: f64,
    /// Lower hinge.
    pub hinge_lo: f64,
    /// Median.
    pub median: f64,
    /// Upper hinge.
    pub hinge_hi: f64,
    /// Largest target inside the fences (upper adjacent value).
    pub whisker_hi: f64,
    /// Smallest target.
    pub min: f64,
    /// Largest target.
    pub max: f64,
    /// Number of targets below the lower fence.
    pub n_low: usize,
    /// Number of targets above the upper fence.
    pub n_high: usize,
    /// Number of targets.
    pub n: usize,
    /// The coefficient of the fences.
    pub coef: f64,
}

impl BoxPlot {
    /// The statistics of `y` (at least [`MIN_ROWS`] finite values, not all equal).
    pub fn of(y: &[f64], coef: f64) -> Result<Self, DataError> {
        if !(coef.is_finite() && coef > 0.0) {
            return Err(RelevanceProblem::Coef { coef }.into());
        }
        if let Some(index) = y.iter().position(|v| !v.is_finite()) {
            return Err(RelevanceProblem::NonFinite {
                index,
                value: y[index],
            }
            .into());
        }
        if y.len() < MIN_ROWS {
            return Err(RelevanceProblem::TooFewRows { rows: y.len() }.into());
        }
        let mut x = y.to_vec();
        x.sort_by(f64::total_cmp);
        let n = x.len();
        let (min, max) = (x[0], x[n - 1]);
        if min == max {
            return Err(RelevanceProblem::ConstantTarget { value: min }.into());
        }
        // fivenum: the value at a 1-based position d ∈ {1, 1.5, 2, …}.
        let at = |d: f64| 0.5 * (x[d.floor() as usize - 1] + x[d.ceil() as usize - 1]);
        let n4 = ((n + 3) / 2) as f64 / 2.0;
        let nf = n as f64;
        let (hinge_lo, median, hinge_hi) = (at(n4), at((nf + 1.0) / 2.0), at(nf + 1.0 - n4));
        let iqr = hinge_hi - hinge_lo;
        let (fence_lo, fence_hi) = (hinge_lo - coef * iqr, hinge_hi + coef * iqr);
        let n_low = x.iter().take_while(|&&v| v < fence_lo).count();
        let n_high = x.iter().rev().take_while(|&&v| v > fence_hi).count();
        Ok(BoxPlot {
            whisker_lo: x[n_low],
            hinge_lo,
            median,
            hinge_hi,
            whisker_hi: x[n - 1 - n_high],
            min,
            max,
            n_low,
            n_high,
            n,
            coef,
        })
    }
}

/// The automatic control points of a box plot (module docs).
fn auto_points(b: &BoxPlot, extremes: Extremes) -> Result<Vec<ControlPoint>, DataError> {
    let low = extremes.wants_low() && b.n_low > 0;
    let high = extremes.wants_high() && b.n_high > 0;
    if !low && !high {
        return Err(RelevanceProblem::NoExtremes {
            extremes,
            n_low: b.n_low,
            n_high: b.n_high,
        }
        .into());
    }
    let collapsed = |side: &'static str, whisker: f64| RelevanceProblem::CollapsedBoxPlot {
        side,
        whisker,
        median: b.median,
    };
    if low && b.whisker_lo >= b.median {
        return Err(collapsed("lower", b.whisker_lo).into());
    }
    if high && b.whisker_hi <= b.median {
        return Err(collapsed("upper", b.whisker_hi).into());
    }
    let mut pts = vec![if low {
        ControlPoint::new(b.whisker_lo, 1.0, 0.0)
    } else {
        ControlPoint::new(b.min, 0.0, 0.0)
    }];
    if b.median != pts[0].y {
        pts.push(ControlPoint::new(b.median, 0.0, 0.0));
    }
    if high {
        pts.push(ControlPoint::new(b.whisker_hi, 1.0, 0.0));
    } else if b.median != b.max {
        pts.push(ControlPoint::new(b.max, 0.0, 0.0));
    }
    Ok(pts)
}

/// Validates control points: at least two, finite, `y` strictly increasing, φ ∈ [0, 1], some
/// φ > 0, and no slope against the direction of an adjacent segment.
fn check_points(points: &[ControlPoint]) -> Result<(), DataError> {
    let bad = |reason: String| Err(RelevanceProblem::ControlPoints { reason }.into());
    if points.len() < 2 {
        return bad(format!(
            "need at least 2 control points, got {}",
            points.len()
        ));
    }
    for (i, p) in points.iter().enumerate() {
        if !(p.y.is_finite() && p.phi.is_finite() && p.slope.is_finite()) {
            return bad(format!(
                "point {i} (y {}, φ {}, φ' {}) is not finite",
                p.y, p.phi, p.slope
            ));
        }
        if !(0.0..=1.0).contains(&p.phi) {
            return bad(format!(
                "point {i} (y {}) has φ {} outside [0, 1]",
                p.y, p.phi
            ));
        }
    }
    for (i, w) in points.windows(2).enumerate() {
        if w[1].y <= w[0].y {
            return bad(format!(
                "y must be strictly increasing: point {} (y {}) follows point {i} (y {}); \
                 sort the points and remove duplicates",
                i + 1,
                w[1].y,
                w[0].y
            ));
        }
    }
    if points.iter().all(|p| p.phi == 0.0) {
        return bad("every point has φ = 0, so no target would be relevant".into());
    }
    for (i, p) in points.iter().enumerate() {
        if p.slope == 0.0 {
            continue;
        }
        let before = (i > 0).then(|| p.phi - points[i - 1].phi);
        let after = points.get(i + 1).map(|q| q.phi - p.phi);
        for d in [before, after].into_iter().flatten() {
            if d != 0.0 && d.signum() != p.slope.signum() {
                return bad(format!(
                    "point {i} (y {}) has slope {} but φ {} on an adjacent segment; \
                     φ would not be monotone between the points (use slope 0 at a peak or \
                     a valley)",
                    p.y,
                    p.slope,
                    if d > 0.0 { "rises" } else { "falls" }
                ));
            }
        }
    }
    Ok(())
}

/// Fritsch–Carlson: the slopes adjusted so that the Hermite cubic is monotone on every segment
/// (module docs). `points` are valid (see [`check_points`]).
fn monotone_slopes(points: &[ControlPoint]) -> Vec<f64> {
    let mut m: Vec<f64> = points.iter().map(|p| p.slope).collect();
    for k in 0..points.len() - 1 {
        let delta = (points[k + 1].phi - points[k].phi) / (points[k + 1].y - points[k].y);
        if delta == 0.0 {
            m[k] = 0.0;
            m[k + 1] = 0.0;
            continue;
        }
        let (alpha, beta) = (m[k] / delta, m[k + 1] / delta);
        let a = 2.0 * alpha + beta - 3.0;
        let b = alpha + 2.0 * beta - 3.0;
        if a > 0.0 && b > 0.0 && alpha * (a + b) < a * a {
            let tau = 3.0 * delta / (alpha * alpha + beta * beta).sqrt();
            m[k] = tau * alpha;
            m[k + 1] = tau * beta;
        }
    }
    m
}

/// A fitted relevance function φ: ℝ → [0, 1] (module docs).
///
/// Serialises as its method, control points and (automatic method) box plot; reading it back
/// validates the control points again and recomputes the slopes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RelevanceFile", into = "RelevanceFile")]
pub struct Relevance {
    method: RelevanceMethod,
    points: Vec<ControlPoint>,
    box_plot: Option<BoxPlot>,
    /// The Fritsch–Carlson slopes, one per point.
    slopes: Vec<f64>,
}

/// The serialised form of a [`Relevance`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RelevanceFile {
    method: RelevanceMethod,
    control_points: Vec<ControlPoint>,
    box_plot: Option<BoxPlot>,
}

impl TryFrom<RelevanceFile> for Relevance {
    type Error = DataError;
    fn try_from(f: RelevanceFile) -> Result<Self, DataError> {
        Relevance::build(f.method, f.control_points, f.box_plot)
    }
}

impl From<Relevance> for RelevanceFile {
    fn from(r: Relevance) -> Self {
        RelevanceFile {
            method: r.method,
            control_points: r.points,
            box_plot: r.box_plot,
        }
    }
}

impl Relevance {
    fn build(
        method: RelevanceMethod,
        points: Vec<ControlPoint>,
        box_plot: Option<BoxPlot>,
    ) -> Result<Self, DataError> {
        check_points(&points)?;
        let slopes = monotone_slopes(&points);
        Ok(Self {
            method,
            points,
            box_plot,
            slopes,
        })
    }

    /// φ(y) ∈ [0, 1]; a NaN `y` gives NaN.
    pub fn phi(&self, y: f64) -> f64 {
        let p = &self.points;
        let last = p.len() - 1;
        if y.is_nan() {
            return f64::NAN;
        }
        if y <= p[0].y {
            return p[0].phi;
        }
        if y >= p[last].y {
            return p[last].phi;
        }
        // p[k].y < y < p[k + 1].y
        let k = p.partition_point(|c| c.y <= y) - 1;
        let (a, b) = (&p[k], &p[k + 1]);
        let h = b.y - a.y;
        let s = (y - a.y) / h;
        let (s2, s3) = (s * s, s * s * s);
        let v = a.phi * (2.0 * s3 - 3.0 * s2 + 1.0)
            + h * self.slopes[k] * (s3 - 2.0 * s2 + s)
            + b.phi * (3.0 * s2 - 2.0 * s3)
            + h * self.slopes[k + 1] * (s3 - s2);
        v.clamp(0.0, 1.0)
    }

    /// φ of every value.
    pub fn phi_all(&self, y: &[f64]) -> Vec<f64> {
        y.iter().map(|&v| self.phi(v)).collect()
    }

    /// The control points φ interpolates (automatic or given).
    pub fn control_points(&self) -> &[ControlPoint] {
        &self.points
    }

    /// The slopes actually used at the control points (after the Fritsch–Carlson step).
    pub fn slopes(&self) -> &[f64] {
        &self.slopes
    }

    /// The method that made this function.
    pub fn method(&self) -> &RelevanceMethod {
        &self.method
    }

    /// The box plot of the targets (automatic method only).
    pub fn box_plot(&self) -> Option<&BoxPlot> {
        self.box_plot.as_ref()
    }
}

/// What makes a relevance function impossible to build (inside [`DataError::Relevance`]).
#[derive(Debug, Clone, PartialEq)]
pub enum RelevanceProblem {
    /// A target that is NaN or infinite.
    NonFinite {
        /// 0-based index of the target.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Fewer than [`MIN_ROWS`] targets.
    TooFewRows {
        /// How many there are.
        rows: usize,
    },
    /// All targets equal.
    ConstantTarget {
        /// Their value.
        value: f64,
    },
    /// No target beyond a whisker end on the requested side(s).
    NoExtremes {
        /// The requested side(s).
        extremes: Extremes,
        /// Targets below the lower fence.
        n_low: usize,
        /// Targets above the upper fence.
        n_high: usize,
    },
    /// A whisker end at the median: the rise of φ from 0 to 1 would have zero width.
    CollapsedBoxPlot {
        /// `lower` or `upper`.
        side: &'static str,
        /// The whisker end.
        whisker: f64,
        /// The median.
        median: f64,
    },
    /// Invalid manual (or deserialised) control points.
    ControlPoints {
        /// What is wrong.
        reason: String,
    },
    /// A box-plot coefficient that is not finite and > 0.
    Coef {
        /// The value given.
        coef: f64,
    },
}

impl RelevanceProblem {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            RelevanceProblem::NonFinite { .. } => {
                "remove or impute the missing/non-finite targets first".into()
            }
            RelevanceProblem::TooFewRows { .. } => format!(
                "the automatic method needs at least {MIN_ROWS} targets; give manual control \
                 points instead"
            ),
            RelevanceProblem::ConstantTarget { .. } => {
                "a constant target has no rare values; nothing to weight".into()
            }
            RelevanceProblem::NoExtremes {
                extremes,
                n_low,
                n_high,
            } => {
                let other = match (extremes, n_low, n_high) {
                    (Extremes::High, l, _) if *l > 0 => "use `--extremes low` or `both`, or ",
                    (Extremes::Low, _, h) if *h > 0 => "use `--extremes high` or `both`, or ",
                    _ => "lower the box-plot coefficient, or ",
                };
                format!("{other}give manual control points (y, φ, φ') that mark the rare range")
            }
            RelevanceProblem::CollapsedBoxPlot { .. } => {
                "the targets are too concentrated on one value for the box-plot rule; give \
                 manual control points (y, φ, φ')"
                    .into()
            }
            RelevanceProblem::ControlPoints { .. } => {
                "control points are (y, φ(y), φ'(y)) triples with y strictly increasing and \
                 φ in [0, 1]"
                    .into()
            }
            RelevanceProblem::Coef { .. } => "use a finite coefficient > 0 (default 1.5)".into(),
        }
    }
}

impl fmt::Display for RelevanceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelevanceProblem::NonFinite { index, value } => {
                write!(f, "target {index} is {value}, not a finite number")
            }
            RelevanceProblem::TooFewRows { rows } => {
                write!(f, "{rows} targets, fewer than {MIN_ROWS}")
            }
            RelevanceProblem::ConstantTarget { value } => {
                write!(f, "every target equals {value}")
            }
            RelevanceProblem::NoExtremes {
                extremes,
                n_low,
                n_high,
            } => write!(
                f,
                "no extreme values on the requested side (`{}`): {n_low} below the lower and \
                 {n_high} above the upper box-plot fence, so every target would have \
                 relevance 0",
                extremes.name()
            ),
            RelevanceProblem::CollapsedBoxPlot {
                side,
                whisker,
                median,
            } => write!(
                f,
                "the {side} whisker end {whisker} is not away from the median {median}"
            ),
            RelevanceProblem::ControlPoints { reason } => {
                write!(f, "invalid control points: {reason}")
            }
            RelevanceProblem::Coef { coef } => {
                write!(f, "box-plot coefficient {coef} is not a finite number > 0")
            }
        }
    }
}

impl From<RelevanceProblem> for DataError {
    fn from(problem: RelevanceProblem) -> Self {
        let hint = problem.hint();
        DataError::Relevance { problem, hint }
    }
}

/// Step of SERA's threshold grid: 0.001, IRon's `sera` default (imbalance-metrics' `sera`
/// defaults to 0.01).
pub const SERA_STEP: f64 = 0.001;

/// Thresholds of [`RelevanceMetrics::ser_curve`]: t = 0, 0.1, …, 1.
pub const SER_CURVE_POINTS: usize = 11;

/// The squared errors of a sample, sorted by the relevance of their targets, for SER_t at any
/// threshold in O(log n).
struct SerTable {
    /// φ(y_i), ascending.
    phi: Vec<f64>,
    /// `tail[j]` = Σ of the squared errors of the samples `j..` (in `phi` order); `tail[n]` = 0.
    tail: Vec<f64>,
}

impl SerTable {
    fn new(pred: &[f64], target: &[f64], phi: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..phi.len()).collect();
        order.sort_by(|&a, &b| phi[a].total_cmp(&phi[b]));
        let mut tail = vec![0.0; phi.len() + 1];
        for (j, &i) in order.iter().enumerate().rev() {
            let e = pred[i] - target[i];
            tail[j] = tail[j + 1] + e * e;
        }
        SerTable {
            phi: order.iter().map(|&i| phi[i]).collect(),
            tail,
        }
    }

    /// SER_t = Σ_{φ(y_i) ≥ t} (ŷ_i − y_i)².
    fn ser(&self, t: f64) -> f64 {
        self.tail[self.phi.partition_point(|&p| p < t)]
    }

    /// The trapezoid rule over t_j = min(j·step, 1), j = 0, 1, …, ⌊1/step + 1e-10⌋ (R's
    /// `seq(0, 1, step)`).
    fn sera(&self, step: f64) -> f64 {
        let n = (1.0 / step + 1e-10).floor() as usize;
        let t = |j: usize| (j as f64 * step).min(1.0);
        let mut prev = self.ser(0.0);
        let mut area = 0.0;
        for j in 1..=n {
            let cur = self.ser(t(j));
            area += step * (prev + cur) / 2.0;
            prev = cur;
        }
        area
    }
}

/// Checks equal lengths, finite predictions and targets, and φ ∈ [0, 1].
fn check_inputs(pred: &[f64], target: &[f64], phi: Option<&[f64]>) -> Result<(), DataError> {
    let n_phi = phi.map_or(target.len(), <[f64]>::len);
    if pred.len() != target.len() || n_phi != target.len() {
        return Err(DataError::invalid(
            "relevance metrics inputs",
            format!(
                "lengths differ: {} predictions, {} targets, {n_phi} relevance values",
                pred.len(),
                target.len(),
            ),
        ));
    }
    for (what, v) in [("predictions", pred), ("targets", target)] {
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(DataError::invalid(
                what,
                format!("non-finite value {} at index {i}", v[i]),
            ));
        }
    }
    if let Some(phi) = phi {
        if let Some(i) = phi.iter().position(|p| !(0.0..=1.0).contains(p)) {
            return Err(DataError::invalid(
                "relevance values",
                format!("φ = {} at index {i} is not in [0, 1]", phi[i]),
            ));
        }
    }
    Ok(())
}

/// SER_t = Σ_{i : φ(y_i) ≥ t} (ŷ_i − y_i)², the squared error on the targets of relevance at
/// least `t`, given the relevance `phi[i]` = φ(y_i) of each target.
///
/// ```
/// use srl_data::relevance::ser_t;
/// let (pred, target, phi) = ([1.0, 2.0, 5.0], [0.0, 0.0, 2.0], [0.0, 0.5, 1.0]);
/// assert_eq!(ser_t(&pred, &target, &phi, 0.0).unwrap(), 14.0);
/// assert_eq!(ser_t(&pred, &target, &phi, 0.5).unwrap(), 13.0);
/// assert_eq!(ser_t(&pred, &target, &phi, 0.7).unwrap(), 9.0);
/// ```
pub fn ser_t(pred: &[f64], target: &[f64], phi: &[f64], t: f64) -> Result<f64, DataError> {
    check_inputs(pred, target, Some(phi))?;
    Ok(pred
        .iter()
        .zip(target)
        .zip(phi)
        .filter(|(_, &p)| p >= t)
        .map(|((&a, &b), _)| (a - b) * (a - b))
        .sum())
}

/// SERA = ∫₀¹ SER_t dt (Ribeiro & Moniz 2020), computed as IRon's `sera` does: the trapezoid
/// rule on the grid t = 0, step, 2·step, …, 1 (R's `seq(0, 1, step)`: t_j = j·step for
/// j = 0…⌊1/step + 1e-10⌋, capped at 1),
/// `SERA ≈ Σ_j step·(SER_{t_{j−1}} + SER_{t_j})/2`, with `step` = [`SERA_STEP`] = 0.001.
///
/// SERA ≥ 0, and it is 0 when every prediction is exact. Because the first trapezoid uses
/// SER_0 (all samples), errors on targets of relevance below `step` still add up to
/// `step/2 · Σ e²`; the exact integral would ignore φ = 0 samples.
///
/// ```
/// use srl_data::relevance::sera;
/// // SER_t is 14 at t = 0, 13 on (0, 0.5], 9 on (0.5, 1]: the integral is 11, the trapezoid
/// // rule adds step/2·(14 − 13) + step/2·(13 − 9) = 0.0025.
/// let s = sera(&[1.0, 2.0, 5.0], &[0.0, 0.0, 2.0], &[0.0, 0.5, 1.0]).unwrap();
/// assert!((s - 11.0025).abs() < 1e-9);
/// ```
pub fn sera(pred: &[f64], target: &[f64], phi: &[f64]) -> Result<f64, DataError> {
    sera_with_step(pred, target, phi, SERA_STEP)
}

/// [`sera`] with another grid step in (0, 1] (imbalance-metrics' default is 0.01). When
/// 1/step is not an integer the grid stops at the last multiple of `step` below 1, as in IRon.
pub fn sera_with_step(
    pred: &[f64],
    target: &[f64],
    phi: &[f64],
    step: f64,
) -> Result<f64, DataError> {
    if !(step.is_finite() && step > 0.0 && step <= 1.0) {
        return Err(DataError::invalid(
            "SERA step",
            format!("must be in (0, 1], got {step}"),
        ));
    }
    check_inputs(pred, target, Some(phi))?;
    Ok(SerTable::new(pred, target, phi).sera(step))
}

/// The relevance-based metrics of one set of predictions (Ribeiro & Moniz 2020).
///
/// - `sera`: [`sera`] with step [`SERA_STEP`];
/// - `phi_mae` = Σ φ(y_i)·|ŷ_i − y_i| / Σ φ(y_i) and `phi_mse` = Σ φ(y_i)·(ŷ_i − y_i)² / Σ φ(y_i)
///   (`None` when every target has φ = 0, e.g. a test part without rare targets);
/// - `ser_curve`: `(t, SER_t)` at t = 0, 0.1, …, 1 ([`SER_CURVE_POINTS`] points);
/// - `n_relevant`: the number of targets with φ > 0; `count`: the number of samples.
///
/// Cost: O(n log n) for n samples (φ, one sort, then O(log n) per threshold), so it is cheap
/// to call per run and per part.
///
/// ```
/// use srl_data::relevance::{ControlPoint, RelevanceMetrics, RelevanceParams};
/// let rel = RelevanceParams::manual(vec![
///     ControlPoint::new(0.0, 0.0, 0.0),
///     ControlPoint::new(10.0, 1.0, 0.0),
/// ])
/// .fit(&[])
/// .unwrap();
/// // φ(0) = 0, φ(5) = 0.5, φ(10) = 1; errors 1, 2, 3.
/// let m = RelevanceMetrics::of(&[1.0, 7.0, 13.0], &[0.0, 5.0, 10.0], &rel).unwrap();
/// assert_eq!(m.n_relevant, 2);
/// assert!((m.phi_mae.unwrap() - (0.5 * 2.0 + 3.0) / 1.5).abs() < 1e-12);
/// assert!((m.phi_mse.unwrap() - (0.5 * 4.0 + 9.0) / 1.5).abs() < 1e-12);
/// assert_eq!(m.ser_curve[0], (0.0, 14.0));
/// assert_eq!(m.ser_curve[10], (1.0, 9.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevanceMetrics {
    /// Number of samples.
    pub count: usize,
    /// Number of samples whose target has φ > 0.
    pub n_relevant: usize,
    /// SERA (trapezoid rule, step 0.001).
    pub sera: f64,
    /// φ-weighted mean absolute error (`None` if Σφ = 0).
    pub phi_mae: Option<f64>,
    /// φ-weighted mean squared error (`None` if Σφ = 0).
    pub phi_mse: Option<f64>,
    /// `(t, SER_t)` for t = 0, 0.1, …, 1.
    pub ser_curve: Vec<(f64, f64)>,
}

impl RelevanceMetrics {
    /// The metrics of `pred` against `target` under the relevance function `rel`. Errors on a
    /// length mismatch or a non-finite prediction or target.
    pub fn of(pred: &[f64], target: &[f64], rel: &Relevance) -> Result<Self, DataError> {
        check_inputs(pred, target, None)?;
        Self::of_phi(pred, target, &rel.phi_all(target))
    }

    /// As [`of`](Self::of), with φ of the targets already computed (`phi[i]` = φ(target[i]),
    /// each in [0, 1]).
    pub fn of_phi(pred: &[f64], target: &[f64], phi: &[f64]) -> Result<Self, DataError> {
        check_inputs(pred, target, Some(phi))?;
        let table = SerTable::new(pred, target, phi);
        let (mut w, mut wa, mut ws) = (0.0, 0.0, 0.0);
        for ((&p, &t), &f) in pred.iter().zip(target).zip(phi) {
            let e = (p - t).abs();
            w += f;
            wa += f * e;
            ws += f * e * e;
        }
        let ser_curve = (0..SER_CURVE_POINTS)
            .map(|k| {
                let t = k as f64 / (SER_CURVE_POINTS - 1) as f64;
                (t, table.ser(t))
            })
            .collect();
        Ok(RelevanceMetrics {
            count: pred.len(),
            n_relevant: phi.iter().filter(|&&f| f > 0.0).count(),
            sera: table.sera(SERA_STEP),
            phi_mae: (w > 0.0).then(|| wa / w),
            phi_mse: (w > 0.0).then(|| ws / w),
            ser_curve,
        })
    }
}
