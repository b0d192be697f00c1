//! STS-B-DIR sentence pairs (`{train,dev,test}_new.tsv`).
//!
//! Format (`stsb-dir/SOURCE.md` of the data copy): tab-separated, UTF-8, one header line,
//! 10 columns `index genre filename year old_index source1 source2 sentence1 sentence2 score`.
//! Sentences contain `"`, so fields are split on `\t` only (quoting off) and kept verbatim
//! (a trailing `\r` of a CRLF line is removed). Scores are parsed as `f64` (`0`, `0.20`,
//! `3.800` all occur).
//!
//! Two copies of the split circulate (see docs/protocols.md, "AgeDB-DIR and STS-B-DIR"): the
//! SRL copy at the top level of `stsb-dir/` (use it to match SRL) and the DIR repository's
//! copy in `stsb-dir/dir-official/`. They are different random splits of the same pool.

use crate::{registry, DataError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One sentence pair with its similarity score in [0, 5].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StsbPair {
    /// First sentence.
    pub sentence1: String,
    /// Second sentence.
    pub sentence2: String,
    /// Similarity score (0 = unrelated … 5 = equivalent).
    pub score: f64,
}

/// Which copy of the STS-B-DIR split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StsbCopy {
    /// The files shipped with the SRL code (top level of `stsb-dir/`).
    Srl,
    /// The DIR repository's files (`stsb-dir/dir-official/`).
    DirOfficial,
}

/// Part of the STS-B-DIR split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StsbPart {
    /// `train_new.tsv` (5249 pairs).
    Train,
    /// `dev_new.tsv` (1000 pairs).
    Dev,
    /// `test_new.tsv` (1000 pairs).
    Test,
}

/// Path of a part of a copy, relative to the data directory (as in the manifest).
///
/// ```
/// use srl_data::stsb::{relative_path, StsbCopy, StsbPart};
/// assert_eq!(relative_path(StsbCopy::DirOfficial, StsbPart::Dev),
///            "stsb-dir/dir-official/dev_new.tsv");
/// ```
pub fn relative_path(copy: StsbCopy, part: StsbPart) -> String {
    let file = match part {
        StsbPart::Train => "train_new.tsv",
        StsbPart::Dev => "dev_new.tsv",
        StsbPart::Test => "test_new.tsv",
    };
    match copy {
        StsbCopy::Srl => format!("stsb-dir/{file}"),
        StsbCopy::DirOfficial => format!("stsb-dir/dir-official/{file}"),
    }
}

/// Number of columns of an STS-B-DIR TSV.
pub const STSB_COLUMNS: usize = 10;

/// Reads one STS-B-DIR TSV file (header required; columns located by the names `sentence1`,
/// `sentence2`, `score`). Every row must have exactly as many tab-separated fields as the
/// header, and a finite score; otherwise a [`DataError::Parse`] at the line.
pub fn read_stsb_tsv(path: &Path) -> Result<Vec<StsbPair>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    parse_stsb_tsv(&text, path)
}

/// Parses STS-B-DIR TSV text as if read from `path` (see [`read_stsb_tsv`]).
///
/// ```
/// let text = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n\
///             0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA \"man\".\tA man.\t4.800\n";
/// let pairs = srl_data::stsb::parse_stsb_tsv(text, "x.tsv".as_ref()).unwrap();
/// assert_eq!(pairs[0].sentence1, "A \"man\".");
/// assert_eq!(pairs[0].score, 4.8);
/// ```
pub fn parse_stsb_tsv(text: &str, path: &Path) -> Result<Vec<StsbPair>, DataError> {
    let err = |line: usize, reason: String| DataError::Parse {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| DataError::EmptyFile {
        path: path.to_path_buf(),
    })?;
    let names: Vec<&str> = header.split('\t').map(str::trim).collect();
    let col = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| DataError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                available: names.join(", "),
            })
    };
    let (j1, j2, js) = (col("sentence1")?, col("sentence2")?, col("score")?);
    let mut pairs = Vec::new();
    for (line, l) in lines {
        let fields: Vec<&str> = l.split('\t').collect();
        if fields.len() != names.len() {
            return Err(err(
                line,
                format!(
                    "expected {} tab-separated fields, found {}",
                    names.len(),
                    fields.len()
                ),
            ));
        }
        let score: f64 = fields[js]
            .trim()
            .parse()
            .map_err(|_| err(line, format!("score `{}` is not a number", fields[js])))?;
        if !score.is_finite() {
            return Err(err(line, format!("score `{}` is not finite", fields[js])));
        }
        pairs.push(StsbPair {
            sentence1: fields[j1].to_string(),
            sentence2: fields[j2].to_string(),
            score,
        });
    }
    if pairs.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Ok(pairs)
}

/// The three parts of one copy of STS-B-DIR.
#[derive(Debug, Clone, PartialEq)]
pub struct StsbData {
    /// Training pairs.
    pub train: Vec<StsbPair>,
    /// Development (validation) pairs.
    pub dev: Vec<StsbPair>,
    /// Test pairs.
    pub test: Vec<StsbPair>,
}

/// Reads one part of a copy from `data_dir`, verifying its sha256 against the built-in
/// `stsb-dir` manifest first.
pub fn load_stsb_part(
    data_dir: &Path,
    copy: StsbCopy,
    part: StsbPart,
) -> Result<Vec<StsbPair>, DataError> {
    let manifest = registry::builtin("stsb-dir")?;
    let rel = relative_path(copy, part);
    let entry = manifest
        .files
        .iter()
        .find(|f| f.path == rel)
        .ok_or_else(|| DataError::Manifest {
            path: format!("{}/stsb-dir.toml", crate::registry::MANIFEST_DIR).into(),
            reason: format!("no file entry for {rel}"),
        })?;
    let path = manifest.file_path(data_dir, entry);
    if !path.is_file() {
        return Err(DataError::MissingFile {
            dataset: manifest.name.clone(),
            path,
            hint: format!(
                "run `srl fetch stsb-dir` or point SRL_DATA_DIR at a folder holding {rel}"
            ),
        });
    }
    crate::checksum::verify_file(&manifest.name, &path, &entry.sha256)?;
    read_stsb_tsv(&path)
}

/// Reads train/dev/test of a copy from `data_dir` (sha256-verified).
pub fn load_stsb(data_dir: &Path, copy: StsbCopy) -> Result<StsbData, DataError> {
    Ok(StsbData {
        train: load_stsb_part(data_dir, copy, StsbPart::Train)?,
        dev: load_stsb_part(data_dir, copy, StsbPart::Dev)?,
        test: load_stsb_part(data_dir, copy, StsbPart::Test)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore";

    #[test]
    fn wrong_field_count_names_line() {
        let text = format!("{HEADER}\n0\tg\tf\ty\to\ts\ts\ta\tb\t1.0\n1\tg\tf\ty\ta\tb\t2\n");
        match parse_stsb_tsv(&text, Path::new("t.tsv")) {
            Err(DataError::Parse { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_score_and_empty() {
        let text = format!("{HEADER}\r\n0\tg\tf\ty\to\ts\ts\ta\tb\tnan\r\n");
        assert!(matches!(
            parse_stsb_tsv(&text, Path::new("t.tsv")),
            Err(DataError::Parse { line: 2, .. })
        ));
        assert!(matches!(
            parse_stsb_tsv(HEADER, Path::new("t.tsv")),
            Err(DataError::EmptyFile { .. })
        ));
        assert!(matches!(
            parse_stsb_tsv("", Path::new("t.tsv")),
            Err(DataError::EmptyFile { .. })
        ));
        assert!(matches!(
            parse_stsb_tsv("a\tb\n1\t2\n", Path::new("t.tsv")),
            Err(DataError::MissingColumn { .. })
        ));
    }
}
