//! AgeDB-DIR label file (`agedb.csv`: header `age,path,split`).
//!
//! The images are not distributable; the labels and the DIR split are what this crate uses —
//! the train histogram is the canonical DIR imbalance profile, and the file pins down the
//! shot-group facts listed in docs/protocols.md (51/16/25 test ages, 1530/448/162 test
//! samples).

use crate::tabular::{Delimiter, RawTable, TextLayout};
use crate::{registry, DataError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which part of the DIR split a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SplitPart {
    /// Training.
    Train,
    /// Validation.
    Val,
    /// Test.
    Test,
}

impl SplitPart {
    /// Parses `train`, `val` or `test`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "train" => Some(SplitPart::Train),
            "val" => Some(SplitPart::Val),
            "test" => Some(SplitPart::Test),
            _ => None,
        }
    }
}

/// One labelled image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgedbRow {
    /// Age in years (an integer in the file).
    pub age: u32,
    /// Image path inside the AgeDB archive (kept as given).
    pub path: String,
    /// Split part.
    pub split: SplitPart,
}

/// The rows of `agedb.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgedbLabels {
    /// Rows in file order.
    pub rows: Vec<AgedbRow>,
}

impl AgedbLabels {
    /// Ages of one part, in file order.
    pub fn ages(&self, part: SplitPart) -> Vec<u32> {
        self.rows
            .iter()
            .filter(|r| r.split == part)
            .map(|r| r.age)
            .collect()
    }

    /// Count per integer age `0..=max age` of one part.
    pub fn histogram(&self, part: SplitPart) -> Vec<usize> {
        let max = self.rows.iter().map(|r| r.age).max().unwrap_or(0) as usize;
        let mut h = vec![0; max + 1];
        for a in self.ages(part) {
            h[a as usize] += 1;
        }
        h
    }
}

/// Reads `agedb.csv`: comma-separated, header with columns `age`, `path`, `split` (any
/// order); ages must be non-negative integers and splits `train`/`val`/`test`, else a
/// [`DataError::Parse`] at the line.
///
/// ```no_run
/// let dir = srl_data::datadir::resolve_data_dir(None);
/// let labels = srl_data::agedb::read_agedb(&dir.join("agedb-dir/agedb.csv")).unwrap();
/// println!("{} rows", labels.rows.len());
/// ```
pub fn read_agedb(path: &Path) -> Result<AgedbLabels, DataError> {
    let layout = TextLayout {
        delimiter: Delimiter::Char(','),
        header: true,
        quoting: true,
    };
    let table = RawTable::read(path, &layout, None)?;
    let col = |name: &str| {
        table
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                available: table.names.join(", "),
            })
    };
    let (ja, jp, js) = (col("age")?, col("path")?, col("split")?);
    let parse_err = |line: usize, reason: String| DataError::Parse {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let rows = table
        .rows
        .iter()
        .map(|r| {
            let age = r.fields[ja].parse::<u32>().map_err(|_| {
                parse_err(
                    r.line,
                    format!("age `{}` is not a non-negative integer", r.fields[ja]),
                )
            })?;
            let split = SplitPart::parse(&r.fields[js]).ok_or_else(|| {
                parse_err(
                    r.line,
                    format!("split `{}` is not train, val or test", r.fields[js]),
                )
            })?;
            Ok(AgedbRow {
                age,
                path: r.fields[jp].clone(),
                split,
            })
        })
        .collect::<Result<Vec<_>, DataError>>()?;
    Ok(AgedbLabels { rows })
}

/// Reads `agedb-dir/agedb.csv` from `data_dir` after verifying the sha256 of the dataset's
/// files against the built-in `agedb-dir` manifest.
pub fn load_agedb(data_dir: &Path) -> Result<AgedbLabels, DataError> {
    let manifest = registry::builtin("agedb-dir")?;
    manifest.verify(data_dir)?;
    read_agedb(&data_dir.join("agedb-dir/agedb.csv"))
}
