//! DIR evaluation: many/medium/few shot groups and per-group error metrics.
//!
//! Shot groups are defined per label bin from the TRAINING count of the bin
//! (docs/protocols.md, "DIR evaluation"):
//! - [`ShotRule::Threshold`]: many if count > `many_above`, few if count < `few_below`,
//!   medium otherwise (DIR/SRL `shot_metrics`: 100 and 20);
//! - [`ShotRule::Terciles`]: the rule of docs/protocols.md for the small UCI sets — over the
//!   bins that occur in the test set, sort their training counts; t_lo = count at index
//!   ⌊K'/3⌋, t_hi = count at index ⌊2K'/3⌋; few if count < t_lo, many if count ≥ t_hi, else
//!   medium; every other bin is classified with the same two thresholds;
//! - [`ShotRule::Fixed`]: hard-coded bin lists (STS-B-DIR, [`stsb_shot_bins`]).
//!
//! Metrics per group and overall are sample-weighted (docs/protocols.md, "DIR evaluation"):
//! MAE = Σ|e|/n, MSE = Σe²/n, GM = exp(mean ln|e|) (geometric mean of the absolute errors),
//! Pearson r of prediction and target. Exact zero errors would make GM 0; following the STS-B
//! scorer, 1e-10 is used in place of an exact zero and the number of such zeros is reported.
//! An empty group has `count = 0` and `None` for every metric — never NaN, never a panic.

use crate::names::Named;
use crate::{DataError, Shot};
use serde::{Deserialize, Serialize};

/// Value used in place of an exact zero absolute error inside the geometric mean
/// (as the STS-B-DIR scorer does).
pub const GM_ZERO_FLOOR: f64 = 1e-10;

/// How bins are assigned to many/medium/few-shot groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShotRule {
    /// many: train count > `many_above`; few: train count < `few_below`; else medium.
    Threshold {
        /// Strict lower bound of a many-shot bin's train count (DIR: 100).
        many_above: usize,
        /// Strict upper bound of a few-shot bin's train count (DIR: 20).
        few_below: usize,
    },
    /// Terciles of the train counts of the test bins (docs/protocols.md, UCI-DIR shot groups).
    Terciles,
    /// Fixed lists of many and medium bins; every other bin is few.
    Fixed {
        /// Many-shot bins.
        many: Vec<usize>,
        /// Medium-shot bins.
        medium: Vec<usize>,
    },
}

impl ShotRule {
    /// The DIR default: many > 100, few < 20.
    pub fn dir_default() -> Self {
        ShotRule::Threshold {
            many_above: 100,
            few_below: 20,
        }
    }

    /// The rule a manifest's `shot_rule` names; `location` (IOL) is no rule on training
    /// counts and is an error here.
    pub fn of(name: ShotRuleName) -> Result<Self, DataError> {
        match name {
            ShotRuleName::Terciles => Ok(ShotRule::Terciles),
            ShotRuleName::Threshold => Ok(ShotRule::dir_default()),
            ShotRuleName::StsbFixed => Ok(stsb_shot_bins()),
            ShotRuleName::Location => Err(DataError::invalid(
                "shot rule",
                "`location` groups IOL samples by input location, not by training counts",
            )),
        }
    }
}

/// The shot rules a dataset manifest can name (`shot_rule = "terciles"`); IOL's shot groups
/// are by location (`location`), not by a rule on the training counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShotRuleName {
    /// [`ShotRule::Terciles`].
    Terciles,
    /// [`ShotRule::dir_default`]: many > 100, few < 20 training samples.
    Threshold,
    /// The STS-B-DIR fixed bin lists.
    StsbFixed,
    /// IOL: shot group by input location.
    Location,
}

impl Named for ShotRuleName {
    const WHAT: &'static str = "shot rule";
    const NAMES: &'static [(Self, &'static str, &'static str)] = &[
        (
            ShotRuleName::Terciles,
            "terciles",
            "terciles of the test bins' training counts",
        ),
        (
            ShotRuleName::Threshold,
            "threshold",
            "many > 100, few < 20 training samples",
        ),
        (
            ShotRuleName::StsbFixed,
            "stsb-fixed",
            "STS-B-DIR's fixed bin lists",
        ),
        (ShotRuleName::Location, "location", "IOL: by input location"),
    ];
}

/// Shot group of every bin.
///
/// `train_counts[b]` is the number of training samples in bin b; `test_bins` are the bins of
/// the test samples (only used by [`ShotRule::Terciles`], which takes its thresholds from
/// the distinct test bins). The result covers bins `0..max(train_counts.len(), max test
/// bin + 1)`; a bin beyond `train_counts` has train count 0. With no test bins, the terciles
/// are taken over the bins with a non-zero train count (all bins few if there are none).
///
/// ```
/// use srl_data::metrics::{shot_of_bins, ShotRule};
/// use srl_data::Shot;
/// let rule = ShotRule::dir_default();
/// let s = shot_of_bins(&rule, &[150, 100, 20, 19], &[]);
/// assert_eq!(s, vec![Shot::Many, Shot::Medium, Shot::Medium, Shot::Few]);
/// // Terciles over test bins {0,1,2}: sorted counts [2, 5, 9] → t_lo = 5, t_hi = 9.
/// let s = shot_of_bins(&ShotRule::Terciles, &[9, 2, 5, 1], &[0, 1, 2, 2]);
/// assert_eq!(s, vec![Shot::Many, Shot::Few, Shot::Medium, Shot::Few]);
/// ```
pub fn shot_of_bins(rule: &ShotRule, train_counts: &[usize], test_bins: &[usize]) -> Vec<Shot> {
    let num_bins = test_bins
        .iter()
        .map(|&b| b + 1)
        .max()
        .unwrap_or(0)
        .max(train_counts.len());
    let count = |b: usize| train_counts.get(b).copied().unwrap_or(0);
    match rule {
        ShotRule::Threshold {
            many_above,
            few_below,
        } => (0..num_bins)
            .map(|b| classify_threshold(count(b), *many_above, *few_below))
            .collect(),
        ShotRule::Terciles => match tercile_thresholds(train_counts, test_bins) {
            Some((t_lo, t_hi)) => (0..num_bins)
                .map(|b| classify_terciles(count(b), t_lo, t_hi))
                .collect(),
            None => vec![Shot::Few; num_bins],
        },
        ShotRule::Fixed { many, medium } => (0..num_bins)
            .map(|b| {
                if many.contains(&b) {
                    Shot::Many
                } else if medium.contains(&b) {
                    Shot::Medium
                } else {
                    Shot::Few
                }
            })
            .collect(),
    }
}

/// The tercile thresholds `(t_lo, t_hi)` of docs/protocols.md: over the distinct `test_bins`
/// (or, when there are none, the bins with non-zero train count), the sorted train counts at
/// indices ⌊K'/3⌋ and ⌊2K'/3⌋. `None` when there is no reference bin at all.
pub fn tercile_thresholds(train_counts: &[usize], test_bins: &[usize]) -> Option<(usize, usize)> {
    let count = |b: usize| train_counts.get(b).copied().unwrap_or(0);
    let mut reference: Vec<usize> = test_bins.to_vec();
    reference.sort_unstable();
    reference.dedup();
    if reference.is_empty() {
        reference = (0..train_counts.len()).filter(|&b| count(b) > 0).collect();
    }
    if reference.is_empty() {
        return None;
    }
    let mut counts: Vec<usize> = reference.into_iter().map(count).collect();
    counts.sort_unstable();
    let k = counts.len();
    Some((counts[k / 3], counts[2 * k / 3]))
}

fn classify_threshold(count: usize, many_above: usize, few_below: usize) -> Shot {
    if count > many_above {
        Shot::Many
    } else if count < few_below {
        Shot::Few
    } else {
        Shot::Medium
    }
}

fn classify_terciles(count: usize, t_lo: usize, t_hi: usize) -> Shot {
    if count < t_lo {
        Shot::Few
    } else if count >= t_hi {
        Shot::Many
    } else {
        Shot::Medium
    }
}

/// The shot group of each sample from its bin and the per-bin groups (bins beyond
/// `per_bin` are few).
pub fn shots_of_samples(per_bin: &[Shot], bins: &[usize]) -> Vec<Shot> {
    bins.iter()
        .map(|&b| per_bin.get(b).copied().unwrap_or(Shot::Few))
        .collect()
}

/// Many-shot bins of STS-B-DIR (50 bins of width 0.1), hard-coded in the DIR and SRL code.
pub const STSB_MANY_BINS: [usize; 22] = [
    0, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 49,
];
/// Medium-shot bins of STS-B-DIR; all other bins are few.
pub const STSB_MEDIUM_BINS: [usize; 7] = [2, 4, 6, 8, 27, 35, 37];
/// Number of STS-B-DIR evaluation bins (width 0.1 on [0, 5]).
pub const STSB_NUM_BINS: usize = 50;

/// The STS-B-DIR shot rule: the hard-coded lists of the reference code (copied verbatim; they
/// do not follow a fresh >100/<20 count on either shipped train file, see docs/protocols.md).
///
/// ```
/// use srl_data::metrics::{shot_of_bins, stsb_shot_bins};
/// let s = shot_of_bins(&stsb_shot_bins(), &[0; 50], &[]);
/// assert_eq!(s[49], srl_data::Shot::Many);
/// assert_eq!(s[27], srl_data::Shot::Medium);
/// assert_eq!(s[1], srl_data::Shot::Few);
/// ```
pub fn stsb_shot_bins() -> ShotRule {
    ShotRule::Fixed {
        many: STSB_MANY_BINS.to_vec(),
        medium: STSB_MEDIUM_BINS.to_vec(),
    }
}

/// STS-B-DIR evaluation bin of a score: the index of the first float32 histogram edge
/// (`linspace(0, 5, 51)` as float32) greater than the float32 score, minus one; 5.0 and above
/// go to bin 49, negative scores to bin 0.
///
/// ```
/// use srl_data::metrics::stsb_bin;
/// assert_eq!((stsb_bin(0.0), stsb_bin(0.3), stsb_bin(0.299), stsb_bin(5.0)), (0, 3, 2, 49));
/// ```
pub fn stsb_bin(score: f64) -> usize {
    let s = score as f32;
    (1..=STSB_NUM_BINS)
        .find(|&i| (i as f64 * 0.1) as f32 > s)
        .map_or(STSB_NUM_BINS - 1, |i| i - 1)
}

/// Error metrics of one group of test samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMetrics {
    /// Number of samples in the group.
    pub count: usize,
    /// Mean absolute error Σ|ŷ−y|/n (`None` for an empty group).
    pub mae: Option<f64>,
    /// Mean squared error Σ(ŷ−y)²/n (`None` for an empty group).
    pub mse: Option<f64>,
    /// Geometric mean of |ŷ−y|, exact zeros replaced by [`GM_ZERO_FLOOR`] (`None` if empty).
    pub gm: Option<f64>,
    /// Number of exact-zero absolute errors (each entered GM as [`GM_ZERO_FLOOR`]).
    pub zero_errors: usize,
    /// Pearson correlation of ŷ and y (`None` with fewer than 2 samples or a constant side).
    pub pearson: Option<f64>,
}

impl GroupMetrics {
    /// Metrics of the pairs `(prediction, target)`.
    ///
    /// ```
    /// let g = srl_data::metrics::GroupMetrics::of(&[(1.0, 2.0), (4.0, 2.0)]);
    /// assert_eq!((g.mae, g.mse), (Some(1.5), Some(2.5)));
    /// assert!((g.gm.unwrap() - 2f64.sqrt()).abs() < 1e-12);
    /// ```
    pub fn of(pairs: &[(f64, f64)]) -> Self {
        let n = pairs.len();
        if n == 0 {
            return GroupMetrics {
                count: 0,
                mae: None,
                mse: None,
                gm: None,
                zero_errors: 0,
                pearson: None,
            };
        }
        let nf = n as f64;
        let mut abs_sum = 0.0;
        let mut sq_sum = 0.0;
        let mut log_sum = 0.0;
        let mut zero_errors = 0;
        for &(p, t) in pairs {
            let e = (p - t).abs();
            abs_sum += e;
            sq_sum += e * e;
            if e == 0.0 {
                zero_errors += 1;
                log_sum += GM_ZERO_FLOOR.ln();
            } else {
                log_sum += e.ln();
            }
        }
        GroupMetrics {
            count: n,
            mae: Some(abs_sum / nf),
            mse: Some(sq_sum / nf),
            gm: Some((log_sum / nf).exp()),
            zero_errors,
            pearson: pearson(pairs),
        }
    }
}

/// Pearson r of the pairs; `None` with fewer than two pairs or zero variance on either side.
fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let (p0, t0) = *pairs.first()?;
    // An exactly constant side has no correlation (checked exactly, since a rounded mean
    // would leave a spurious tiny variance).
    if pairs.len() < 2 || pairs.iter().all(|&(p, _)| p == p0) || pairs.iter().all(|&(_, t)| t == t0)
    {
        return None;
    }
    let n = pairs.len() as f64;
    let (sp, st) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), &(p, t)| (a + p, b + t));
    let (mp, mt) = (sp / n, st / n);
    let (mut spp, mut stt, mut spt) = (0.0, 0.0, 0.0);
    for &(p, t) in pairs {
        spp += (p - mp) * (p - mp);
        stt += (t - mt) * (t - mt);
        spt += (p - mp) * (t - mt);
    }
    let denom = (spp * stt).sqrt();
    (denom > 0.0 && denom.is_finite()).then(|| (spt / denom).clamp(-1.0, 1.0))
}

/// Metrics overall and per shot group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShotMetrics {
    /// All test samples.
    pub all: GroupMetrics,
    /// Many-shot samples.
    pub many: GroupMetrics,
    /// Medium-shot samples.
    pub medium: GroupMetrics,
    /// Few-shot samples.
    pub few: GroupMetrics,
}

impl ShotMetrics {
    /// The group of a shot.
    pub fn group(&self, shot: Shot) -> &GroupMetrics {
        match shot {
            Shot::Many => &self.many,
            Shot::Medium => &self.medium,
            Shot::Few => &self.few,
        }
    }
}

/// Sample-weighted metrics overall and per shot group.
///
/// Errors when the three slices differ in length or a prediction/target is not finite.
///
/// ```
/// use srl_data::{metrics::evaluate, Shot};
/// let m = evaluate(&[1.0, 2.0, 3.0], &[1.5, 2.0, 5.0], &[Shot::Many, Shot::Many, Shot::Few])
///     .unwrap();
/// assert_eq!(m.all.mae, Some(2.5 / 3.0));
/// assert_eq!(m.many.zero_errors, 1);
/// assert_eq!(m.medium.count, 0);
/// assert_eq!(m.medium.mae, None);
/// ```
pub fn evaluate(pred: &[f64], target: &[f64], shots: &[Shot]) -> Result<ShotMetrics, DataError> {
    if pred.len() != target.len() || pred.len() != shots.len() {
        return Err(DataError::invalid(
            "evaluation inputs",
            format!(
                "lengths differ: {} predictions, {} targets, {} shot labels",
                pred.len(),
                target.len(),
                shots.len()
            ),
        ));
    }
    check_finite(pred, target)?;
    let pairs: Vec<(f64, f64)> = pred.iter().copied().zip(target.iter().copied()).collect();
    let group = |s: Shot| {
        let g: Vec<(f64, f64)> = pairs
            .iter()
            .zip(shots)
            .filter(|(_, &sh)| sh == s)
            .map(|(&p, _)| p)
            .collect();
        GroupMetrics::of(&g)
    };
    Ok(ShotMetrics {
        all: GroupMetrics::of(&pairs),
        many: group(Shot::Many),
        medium: group(Shot::Medium),
        few: group(Shot::Few),
    })
}

/// Balanced MAE: the mean over the distinct bins present in `bins` of each bin's MAE
/// (BalancedMSE's bMAE). Errors on length mismatch, non-finite values or empty input.
///
/// ```
/// // bin 0: errors 1, 3 → 2; bin 1: error 4 → bMAE = 3 (the plain MAE is 8/3).
/// let b = srl_data::metrics::balanced_mae(&[1.0, 3.0, 4.0], &[0.0, 0.0, 0.0], &[0, 0, 1]);
/// assert_eq!(b.unwrap(), 3.0);
/// ```
pub fn balanced_mae(pred: &[f64], target: &[f64], bins: &[usize]) -> Result<f64, DataError> {
    if pred.len() != target.len() || pred.len() != bins.len() {
        return Err(DataError::invalid(
            "evaluation inputs",
            format!(
                "lengths differ: {} predictions, {} targets, {} bins",
                pred.len(),
                target.len(),
                bins.len()
            ),
        ));
    }
    if pred.is_empty() {
        return Err(DataError::invalid("evaluation inputs", "no samples"));
    }
    check_finite(pred, target)?;
    let num_bins = bins.iter().max().map_or(0, |&m| m + 1);
    let mut sum = vec![0.0; num_bins];
    let mut cnt = vec![0usize; num_bins];
    for ((&p, &t), &b) in pred.iter().zip(target).zip(bins) {
        sum[b] += (p - t).abs();
        cnt[b] += 1;
    }
    let (total, present) = sum
        .iter()
        .zip(&cnt)
        .filter(|(_, &c)| c > 0)
        .fold((0.0, 0usize), |(acc, k), (&s, &c)| {
            (acc + s / c as f64, k + 1)
        });
    Ok(total / present as f64)
}

fn check_finite(pred: &[f64], target: &[f64]) -> Result<(), DataError> {
    if let Some(i) = pred.iter().position(|v| !v.is_finite()) {
        return Err(DataError::invalid(
            "predictions",
            format!("non-finite value {} at index {i}", pred[i]),
        ));
    }
    if let Some(i) = target.iter().position(|v| !v.is_finite()) {
        return Err(DataError::invalid(
            "targets",
            format!("non-finite value {} at index {i}", target[i]),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn hand_computed_groups() {
        // errors: many [1, 2, 0], medium [4], few [] ; targets/preds chosen by hand.
        let target = [1.0, 2.0, 3.0, 10.0];
        let pred = [2.0, 0.0, 3.0, 14.0];
        let shots = [Shot::Many, Shot::Many, Shot::Many, Shot::Medium];
        let m = evaluate(&pred, &target, &shots).unwrap();
        assert_eq!(m.many.count, 3);
        assert_relative_eq!(m.many.mae.unwrap(), 1.0);
        assert_relative_eq!(m.many.mse.unwrap(), 5.0 / 3.0);
        assert_eq!(m.many.zero_errors, 1);
        let gm = (1f64.ln() + 2f64.ln() + 1e-10f64.ln()) / 3.0;
        assert_relative_eq!(m.many.gm.unwrap(), gm.exp(), max_relative = 1e-12);
        assert_eq!(m.medium.count, 1);
        assert_relative_eq!(m.medium.mae.unwrap(), 4.0);
        assert_relative_eq!(m.medium.gm.unwrap(), 4.0);
        assert_eq!(m.medium.pearson, None);
        assert_eq!(m.few, GroupMetrics::of(&[]));
        assert_eq!(m.few.gm, None);
        // overall: |e| = 1, 2, 0, 4
        assert_relative_eq!(m.all.mae.unwrap(), 7.0 / 4.0);
        assert_relative_eq!(m.all.mse.unwrap(), 21.0 / 4.0);
        // Pearson by hand: means 4.75 and 4; Σdp·dt = 75, Σdp² = 118.75, Σdt² = 50.
        assert_relative_eq!(
            m.all.pearson.unwrap(),
            75.0 / (118.75f64 * 50.0).sqrt(),
            max_relative = 1e-12
        );
        // serialises without NaN
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("NaN") && json.contains("\"gm\":null"));
    }

    #[test]
    fn pearson_edge_cases() {
        assert_eq!(pearson(&[(1.0, 2.0), (1.0, 3.0)]), None);
        assert_eq!(pearson(&[(0.1, 1.0), (0.1, 2.0), (0.1, 3.0)]), None);
        assert_eq!(pearson(&[(0.5, 1.0)]), None);
        assert_relative_eq!(pearson(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]).unwrap(), 1.0);
        assert_relative_eq!(pearson(&[(1.0, 2.0), (2.0, 0.0)]).unwrap(), -1.0);
    }

    #[test]
    fn evaluate_rejects_bad_input() {
        assert!(evaluate(&[1.0], &[1.0, 2.0], &[Shot::Few]).is_err());
        assert!(evaluate(&[f64::NAN], &[1.0], &[Shot::Few]).is_err());
        assert!(evaluate(&[1.0], &[f64::INFINITY], &[Shot::Few]).is_err());
        let empty = evaluate(&[], &[], &[]).unwrap();
        assert_eq!(empty.all.count, 0);
        assert!(balanced_mae(&[], &[], &[]).is_err());
        assert!(balanced_mae(&[1.0], &[1.0], &[]).is_err());
    }

    #[test]
    fn thresholds_are_configurable_and_strict() {
        let rule = ShotRule::Threshold {
            many_above: 10,
            few_below: 2,
        };
        let s = shot_of_bins(&rule, &[11, 10, 2, 1, 0], &[]);
        use Shot::*;
        assert_eq!(s, vec![Many, Medium, Medium, Few, Few]);
    }

    #[test]
    fn terciles_follow_protocol_and_cover_non_test_bins() {
        use Shot::*;
        // test bins {1,2,3,4,5,6}: counts [1,4,6,8,20,30] → t_lo = c[2] = 6, t_hi = c[4] = 20.
        let counts = [50, 1, 4, 6, 8, 20, 30, 5];
        let test_bins = [1, 2, 3, 4, 5, 6, 6, 6];
        let s = shot_of_bins(&ShotRule::Terciles, &counts, &test_bins);
        assert_eq!(tercile_thresholds(&counts, &test_bins), Some((6, 20)));
        assert_eq!(s, vec![Many, Few, Few, Medium, Medium, Many, Many, Few]);
        // test bin beyond the train counts has count 0; reference counts [0, 5] → t_lo = 0,
        // t_hi = 5, so count 0 is medium (not < 0) and bins 1, 2 (count 5 / 0) many / medium.
        let s = shot_of_bins(&ShotRule::Terciles, &[5, 5], &[0, 3]);
        assert_eq!(s, vec![Many, Many, Medium, Medium]);
        // nothing at all → every bin few, no panic.
        assert_eq!(
            shot_of_bins(&ShotRule::Terciles, &[0, 0], &[]),
            vec![Few, Few]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// GM ≤ MAE ≤ √MSE (AM–GM and Jensen), groups partition the samples.
        #[test]
        fn mean_inequalities_and_partition(
            data in proptest::collection::vec((-50.0f64..50.0, -50.0f64..50.0, 0usize..3), 1..40)
        ) {
            let pred: Vec<f64> = data.iter().map(|d| d.0).collect();
            let target: Vec<f64> = data.iter().map(|d| d.1).collect();
            let shots: Vec<Shot> = data.iter().map(|d| [Shot::Many, Shot::Medium, Shot::Few][d.2]).collect();
            let m = evaluate(&pred, &target, &shots).unwrap();
            proptest::prop_assert_eq!(m.many.count + m.medium.count + m.few.count, m.all.count);
            for g in [&m.all, &m.many, &m.medium, &m.few] {
                if g.count == 0 {
                    proptest::prop_assert!(g.mae.is_none() && g.gm.is_none());
                    continue;
                }
                let (mae, mse, gm) = (g.mae.unwrap(), g.mse.unwrap(), g.gm.unwrap());
                proptest::prop_assert!(gm <= mae * (1.0 + 1e-12) + 1e-300);
                proptest::prop_assert!(mae <= mse.sqrt() * (1.0 + 1e-12));
                if let Some(r) = g.pearson {
                    proptest::prop_assert!((-1.0..=1.0).contains(&r));
                }
            }
            let weighted = [&m.many, &m.medium, &m.few]
                .iter()
                .map(|g| g.mae.unwrap_or(0.0) * g.count as f64)
                .sum::<f64>() / m.all.count as f64;
            proptest::prop_assert!((weighted - m.all.mae.unwrap()).abs() <= 1e-9 * (1.0 + weighted));
        }
    }

    #[test]
    fn stsb_bins_use_float32_edges() {
        assert_eq!(stsb_bin(0.1), 1);
        assert_eq!(stsb_bin(0.2), 2);
        assert_eq!(stsb_bin(0.6), 6);
        assert_eq!(stsb_bin(4.99), 49);
        assert_eq!(stsb_bin(7.0), 49);
        assert_eq!(stsb_bin(-1.0), 0);
        for i in 0..50 {
            assert_eq!(stsb_bin(i as f64 / 10.0), i, "score {}", i as f64 / 10.0);
        }
    }
}
