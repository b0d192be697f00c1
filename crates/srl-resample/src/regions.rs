//! Regions of the target: the SMOGN paper's bumps, or simply rare vs normal.

use crate::params::Regions;

/// One region: a set of rows that are all rare or all normal.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Whether its rows are rare (φ ≥ t).
    pub rare: bool,
    /// Its rows, ascending row index.
    pub rows: Vec<usize>,
    /// Smallest target in the region.
    pub y_min: f64,
    /// Largest target in the region.
    pub y_max: f64,
}

/// Splits the rows into regions. Bumps: sort the rows by (target, row index) and cut wherever
/// the rare flag changes; the regions come in ascending target order. Rare vs normal: the
/// normal rows (if any), then the rare rows (if any).
pub(crate) fn split(y: &[f64], rare: &[bool], how: Regions) -> Vec<Region> {
    let make = |rare: bool, mut rows: Vec<usize>| {
        rows.sort_unstable();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &i in &rows {
            lo = lo.min(y[i]);
            hi = hi.max(y[i]);
        }
        Region {
            rare,
            rows,
            y_min: lo,
            y_max: hi,
        }
    };
    match how {
        Regions::RareVsNormal => {
            let (r, n): (Vec<usize>, Vec<usize>) = (0..y.len()).partition(|&i| rare[i]);
            [(false, n), (true, r)]
                .into_iter()
                .filter(|(_, rows)| !rows.is_empty())
                .map(|(flag, rows)| make(flag, rows))
                .collect()
        }
        Regions::Bumps => {
            let mut order: Vec<usize> = (0..y.len()).collect();
            order.sort_by(|&a, &b| y[a].total_cmp(&y[b]).then(a.cmp(&b)));
            let mut out = Vec::new();
            let mut start = 0;
            for i in 1..=order.len() {
                if i == order.len() || rare[order[i]] != rare[order[start]] {
                    out.push(make(rare[order[start]], order[start..i].to_vec()));
                    start = i;
                }
            }
            out
        }
    }
}
