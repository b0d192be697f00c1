//! Suspected missing-value codes in a numeric column: `9999` among values in [7, 22].
//!
//! Public tables often code an unknown input as a number (`9`, `99`, `999`, `9999`, `99999`,
//! their negatives) instead of an empty cell. A network standardises such a column with a
//! σ dominated by the code and extrapolates wildly on a row that carries it. A value is a
//! **suspected code** when, measured against the *rest* of the column (every other value):
//!
//! 1. it is **code-like** (|v| ∈ {9, 99, …, 999999}), lies outside the range of the rest and
//!    more than [`CODE_Z`] robust standard deviations from the rest's median; or
//! 2. it is **isolated by an order of magnitude**: outside the rest, with a gap to the nearest
//!    other value larger than [`ISOLATION_RATIO`] × the rest's whole range and than
//!    [`CODE_Z`] robust standard deviations.
//!
//! The robust standard deviation of the rest is s = 1.4826 · MAD (median absolute deviation
//! from the median), or 1.2533 · mean absolute deviation when the MAD is 0 (a column that is
//! mostly one value). Real heavy tails are not codes: on the six public tables of
//! `shared/datasets/tables` and the four UCI-DIR tables, rule 1 at 20 σ and rule 2 at 10× find
//! nothing, while a plain "20 robust σ from the median" rule would flag five genuine
//! measurements there (forest-fires FFMC 18.7 and rain 6.4, wine residual sugar and
//! chlorides, abalone Height 1.13) — see the test `no_false_alarms_on_the_shared_tables`.
//!
//! ```
//! use srl_data::table::suspected_codes;
//! let mut col: Vec<f64> = (0..200).map(|i| 7.0 + (i % 16) as f64).collect();
//! col.extend([9999.0, 9999.0]);
//! let codes = suspected_codes(&col);
//! assert_eq!(codes.len(), 1);
//! assert_eq!((codes[0].value, codes[0].count), (9999.0, 2));
//! ```

use serde::{Deserialize, Serialize};

/// Robust standard deviations from the rest's median beyond which a code-like value is a
/// suspected missing-value code (and the minimum gap of an isolated value).
pub const CODE_Z: f64 = 20.0;

/// How many times the range of the rest an isolated value's gap must exceed.
pub const ISOLATION_RATIO: f64 = 10.0;

/// Fewest values of the rest a column needs before any value is called a code.
const MIN_REST: usize = 10;

/// One suspected missing-value code of a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuspectedCode {
    /// The value.
    pub value: f64,
    /// How many cells hold it.
    pub count: usize,
    /// Distance from the rest's median in robust standard deviations.
    pub robust_z: f64,
    /// Smallest value of the rest.
    pub rest_min: f64,
    /// Largest value of the rest.
    pub rest_max: f64,
}

/// Missing-value codes a fitted column treats as missing, and what they become.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingCodes {
    /// The code values (a cell equal to one is missing).
    pub values: Vec<f64>,
    /// The value they are replaced by: the column's imputation value when imputation is on,
    /// else the training median of the other values.
    pub fill: f64,
}

impl MissingCodes {
    /// Whether `v` is one of the codes.
    pub fn contains(&self, v: f64) -> bool {
        self.values.contains(&v)
    }
}

fn is_code_like(v: f64) -> bool {
    let a = v.abs();
    [9.0, 99.0, 999.0, 9_999.0, 99_999.0, 999_999.0].contains(&a)
}

/// Median of sorted values.
fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Median and robust standard deviation of sorted values (see the module docs).
fn robust_centre_scale(sorted: &[f64]) -> (f64, f64) {
    let med = median_sorted(sorted);
    let mut dev: Vec<f64> = sorted.iter().map(|v| (v - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = median_sorted(&dev);
    let s = if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * dev.iter().sum::<f64>() / dev.len() as f64
    };
    (med, s)
}

/// The suspected missing-value codes among the finite values of one numeric column (see the
/// module docs), largest count first; empty for a clean column.
pub fn suspected_codes(values: &[f64]) -> Vec<SuspectedCode> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    // Distinct values with their counts.
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in &sorted {
        match distinct.last_mut() {
            Some((d, c)) if *d == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mut found: Vec<SuspectedCode> = Vec::new();
    // Rule 1: code-like values against the rest (every value that is not code-like).
    let rest: Vec<f64> = sorted
        .iter()
        .copied()
        .filter(|v| !is_code_like(*v))
        .collect();
    if rest.len() >= MIN_REST {
        let (med, s) = robust_centre_scale(&rest);
        let (lo, hi) = (rest[0], rest[rest.len() - 1]);
        for &(v, count) in distinct.iter().filter(|(v, _)| is_code_like(*v)) {
            let z = if s > 0.0 {
                (v - med).abs() / s
            } else {
                f64::INFINITY
            };
            if (v < lo || v > hi) && z > CODE_Z {
                found.push(SuspectedCode {
                    value: v,
                    count,
                    robust_z: z,
                    rest_min: lo,
                    rest_max: hi,
                });
            }
        }
    }
    // Rule 2: values isolated by an order of magnitude, peeled from both ends.
    let mut keep: Vec<(f64, usize)> = distinct
        .iter()
        .copied()
        .filter(|(v, _)| !found.iter().any(|f| f.value == *v))
        .collect();
    loop {
        let n_rest: usize = keep.iter().map(|(_, c)| c).sum();
        if keep.len() < 3 {
            break;
        }
        let mut peeled = false;
        for top in [true, false] {
            let (cand, count) = if top { keep[keep.len() - 1] } else { keep[0] };
            if n_rest - count < MIN_REST {
                continue;
            }
            let rest: Vec<f64> = keep
                .iter()
                .filter(|(v, _)| *v != cand)
                .flat_map(|&(v, c)| std::iter::repeat_n(v, c))
                .collect();
            let (med, s) = robust_centre_scale(&rest);
            let (lo, hi) = (rest[0], rest[rest.len() - 1]);
            let gap = if top { cand - hi } else { lo - cand };
            let range = hi - lo;
            if range > 0.0 && gap > ISOLATION_RATIO * range && gap > CODE_Z * s {
                found.push(SuspectedCode {
                    value: cand,
                    count,
                    robust_z: (cand - med).abs() / s.max(f64::MIN_POSITIVE),
                    rest_min: lo,
                    rest_max: hi,
                });
                if top {
                    keep.pop();
                } else {
                    keep.remove(0);
                }
                peeled = true;
                break;
            }
        }
        if !peeled {
            break;
        }
    }
    found.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.total_cmp(&b.value)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn column(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 7.0 + ((i * 37) % 151) as f64 / 10.0)
            .collect()
    }

    #[test]
    fn codes_are_found_on_either_side_and_counted() {
        let mut c = column(300);
        c.extend([9999.0, -999.0, -999.0, 9999.0, 9999.0]);
        let f = suspected_codes(&c);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].value, f[0].count), (9999.0, 3));
        assert_eq!((f[1].value, f[1].count), (-999.0, 2));
        assert!(f[0].robust_z > 1000.0);
        assert_eq!((f[0].rest_min, f[0].rest_max), (7.0, 22.0));
    }

    #[test]
    fn a_code_inside_the_range_or_near_it_is_a_value() {
        // 9 inside [7, 22] and 99 in a column reaching 80 are ordinary values.
        let mut c = column(300);
        c.push(9.0);
        assert!(suspected_codes(&c).is_empty());
        let mut c: Vec<f64> = (0..300).map(|i| (i % 81) as f64).collect();
        c.push(99.0);
        assert!(suspected_codes(&c).is_empty());
    }

    #[test]
    fn isolated_non_code_values_are_found_heavy_tails_are_not() {
        let mut c = column(300);
        c.push(123_456.0);
        let f = suspected_codes(&c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].value, 123_456.0);
        // A log-normal-like tail: large values, but no gap of ten ranges.
        let tail: Vec<f64> = (0..400).map(|i| (i as f64 / 40.0).exp()).collect();
        assert!(suspected_codes(&tail).is_empty());
        // Mostly zeros with a few rain amounts (MAD = 0): not codes.
        let mut rain = vec![0.0; 500];
        rain.extend([0.2, 0.4, 0.8, 1.0, 1.4, 6.4]);
        assert!(suspected_codes(&rain).is_empty());
    }

    #[test]
    fn too_few_values_or_non_finite_ones_give_nothing() {
        assert!(suspected_codes(&[1.0, 2.0, 9999.0]).is_empty());
        assert!(suspected_codes(&[]).is_empty());
        let mut c = column(50);
        c.push(f64::NAN);
        assert!(suspected_codes(&c).is_empty());
    }

    proptest! {
        /// A column of values in a bounded range never has a suspected code, whatever their
        /// distribution; adding a far 9999 always gives exactly that one.
        #[test]
        fn bounded_columns_are_clean_and_a_planted_code_is_found(
            v in proptest::collection::vec(-50.0f64..50.0, 20..200),
            copies in 1usize..4,
        ) {
            prop_assert!(suspected_codes(&v).is_empty());
            let mut w = v.clone();
            w.extend(std::iter::repeat_n(9999.0, copies));
            let f = suspected_codes(&w);
            prop_assert_eq!(f.len(), 1);
            prop_assert_eq!(f[0].value, 9999.0);
            prop_assert_eq!(f[0].count, copies);
        }
    }
}
