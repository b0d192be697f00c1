//! Which columns of the feature matrix are continuous and which form a one-hot (nominal) group.
//!
//! The table pipeline (`srl_data::table::Preprocessor`) turns a categorical column into one 0/1
//! column per category. Interpolating such columns would give a fractional code that is no
//! category at all, so the resamplers treat every group as one nominal attribute: a synthetic
//! row copies the whole group from one parent row.

use crate::ResampleError;
use ndarray::ArrayView2;
use srl_data::table::{ColumnKind, Preprocessor};
use std::ops::Range;

/// The column description of a feature matrix: its width and its nominal (one-hot) groups;
/// every column outside a group is continuous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureLayout {
    ncols: usize,
    nominal: Vec<Range<usize>>,
}

impl FeatureLayout {
    /// `ncols` continuous columns, no nominal group.
    pub fn continuous(ncols: usize) -> Self {
        FeatureLayout {
            ncols,
            nominal: Vec::new(),
        }
    }

    /// `ncols` columns, of which the given ranges are one-hot groups (each at least one column
    /// wide, inside `0..ncols`, not overlapping; given in any order).
    pub fn with_nominal(
        ncols: usize,
        groups: impl IntoIterator<Item = Range<usize>>,
    ) -> Result<Self, ResampleError> {
        let mut nominal: Vec<Range<usize>> = groups.into_iter().collect();
        nominal.sort_by_key(|g| g.start);
        for g in &nominal {
            if g.start >= g.end || g.end > ncols {
                return Err(ResampleError::Layout {
                    reason: format!(
                        "group {}..{} is empty or outside 0..{ncols}",
                        g.start, g.end
                    ),
                });
            }
        }
        for w in nominal.windows(2) {
            if w[1].start < w[0].end {
                return Err(ResampleError::Layout {
                    reason: format!(
                        "groups {}..{} and {}..{} overlap",
                        w[0].start, w[0].end, w[1].start, w[1].end
                    ),
                });
            }
        }
        Ok(FeatureLayout { ncols, nominal })
    }

    /// The layout of the network inputs of a fitted table preprocessor: one continuous column
    /// per numeric input, one nominal group per categorical input (its one-hot columns).
    pub fn from_preprocessor(prep: &Preprocessor) -> Self {
        let mut at = 0;
        let mut nominal = Vec::new();
        for c in &prep.columns {
            let w = c.width();
            if matches!(c.kind, ColumnKind::Categorical { .. }) && w > 0 {
                nominal.push(at..at + w);
            }
            at += w;
        }
        FeatureLayout { ncols: at, nominal }
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// The nominal groups, sorted by first column.
    pub fn nominal(&self) -> &[Range<usize>] {
        &self.nominal
    }

    /// The continuous columns, ascending.
    pub fn continuous_columns(&self) -> Vec<usize> {
        let mut is_nom = vec![false; self.ncols];
        for g in &self.nominal {
            is_nom[g.clone()].iter_mut().for_each(|b| *b = true);
        }
        (0..self.ncols).filter(|&j| !is_nom[j]).collect()
    }

    /// Checks the matrix against the layout: the width matches and every nominal group of every
    /// row is a one-hot code (all-zero allowed: the pipeline's ignored unknown category).
    pub(crate) fn check_matrix(&self, x: &ArrayView2<f64>) -> Result<(), ResampleError> {
        if x.ncols() != self.ncols {
            return Err(ResampleError::Layout {
                reason: format!(
                    "the layout has {} columns, the feature matrix {}",
                    self.ncols,
                    x.ncols()
                ),
            });
        }
        for (row, r) in x.rows().into_iter().enumerate() {
            for g in &self.nominal {
                let mut ones = 0;
                for j in g.clone() {
                    let v = r[j];
                    if v == 1.0 {
                        ones += 1;
                    } else if v != 0.0 {
                        ones = 2;
                    }
                }
                if ones > 1 {
                    return Err(ResampleError::NotOneHot {
                        row,
                        start: g.start,
                        end: g.end,
                    });
                }
            }
        }
        Ok(())
    }
}
