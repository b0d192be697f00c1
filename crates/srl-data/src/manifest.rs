//! Dataset manifests: `crates/srl-data/manifests/<name>.toml` in the repository, compiled into
//! the library so an installed binary knows every dataset without the source tree.
//!
//! A manifest says where each file comes from (canonical URL, archive member), its sha256,
//! how to make it when upstream serves something else (a converter and the original's sha256),
//! how to parse it, which columns are features/target/nominal, its license and citation,
//! and the protocol parameters of docs/protocols.md (bin width, val/test cap, shot rule).

use crate::convert::Converter;
use crate::DataError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One dataset's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Short name used everywhere (`airfoil`, `iol-sde`, …); also the data sub-folder.
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// License of the data.
    pub license: String,
    /// How to cite it.
    pub citation: String,
    /// Files that make up the dataset.
    pub files: Vec<FileEntry>,
    /// How to parse the main file(s).
    pub format: Format,
    /// Column roles (tabular datasets).
    #[serde(default)]
    pub columns: Option<Columns>,
    /// Protocol parameters (docs/protocols.md).
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// One file of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the data directory, e.g. `airfoil/airfoil_self_noise.dat`.
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Canonical download URL (absent when the file cannot be downloaded as-is).
    #[serde(default)]
    pub url: Option<String>,
    /// Member of the zip archive at `url` that is this file, if `url` is an archive.
    #[serde(default)]
    pub member: Option<String>,
    /// How this file was derived from its canonical source, for people. Without
    /// [`convert`](Self::convert), `fetch` cannot make it and asks the user to place the file
    /// by hand (`--from-dir`).
    #[serde(default)]
    pub derived: Option<String>,
    /// The converter that turns the original — the zip `member`, or the whole download when
    /// there is no member — into this file (`convert = "concrete-xls"`). `fetch` downloads,
    /// checks [`original_sha256`](Self::original_sha256), converts, and checks `sha256`.
    #[serde(default)]
    pub convert: Option<Converter>,
    /// Lower-case hex SHA-256 of the original the converter reads, when it is known; checked
    /// before converting. Only meaningful with `convert`.
    #[serde(default)]
    pub original_sha256: Option<String>,
}

impl FileEntry {
    /// The file name of what upstream serves for this entry: the zip `member`, else the last
    /// segment of the `url` path (`None` without either).
    ///
    /// ```
    /// let m = srl_data::registry::builtin("concrete").unwrap();
    /// assert_eq!(m.files[0].original_name(), Some("Concrete_Data.xls"));
    /// ```
    pub fn original_name(&self) -> Option<&str> {
        match &self.member {
            Some(m) => Path::new(m).file_name().and_then(|n| n.to_str()),
            None => self.url.as_deref().and_then(url_file_name),
        }
    }
}

/// Last non-empty segment of a URL's path, without query or fragment.
fn url_file_name(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let (_, path) = path.split_once('/')?;
    path.rsplit('/').find(|s| !s.is_empty())
}

/// File format of a dataset's main file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Format {
    /// Delimited text (CSV/TSV/whitespace).
    Delimited {
        /// `","`, `"\t"`, or `"whitespace"` (runs of spaces/tabs).
        delimiter: String,
        /// Whether the first line names the columns.
        header: bool,
        /// `"lf"` or `"crlf"` (both are accepted when reading; this documents the file).
        line_endings: String,
        /// Whether fields may be quoted with `"`.
        quoting: bool,
    },
    /// NumPy `.npz` archive(s).
    Npz,
    /// STS-B-DIR TSV (tab, header, quoting off).
    Stsb,
    /// AgeDB-DIR label file (`age,path,split`).
    Agedb,
}

/// Roles of columns in a tabular file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Column names when the file has no header.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// The target column's name.
    pub target: String,
    /// Nominal columns, one-hot encoded.
    #[serde(default)]
    pub nominal: Vec<String>,
}

/// Benchmark protocol parameters (docs/protocols.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// Bin width of the fixed-width binning (origin ⌊min y⌋).
    #[serde(default)]
    pub bin_width: Option<f64>,
    /// K equal-width bins (IOL).
    #[serde(default)]
    pub num_bins: Option<usize>,
    /// Per-bin cap of the balanced validation/test split.
    #[serde(default)]
    pub val_test_cap: Option<usize>,
    /// `terciles`, `threshold` (many > 100, few < 20), `stsb-fixed` or `location` (IOL).
    pub shot_rule: crate::metrics::ShotRuleName,
    /// Expected split sizes (train, val, test), checked by tests.
    #[serde(default)]
    pub split_sizes: Option<[usize; 3]>,
}

impl Manifest {
    /// Parses a manifest from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Self, DataError> {
        let m: Manifest = toml::from_str(text).map_err(|e| DataError::Manifest {
            path: origin.to_path_buf(),
            reason: e.to_string(),
        })?;
        m.validate(origin)?;
        Ok(m)
    }

    /// Checks internal consistency: non-empty files, 64-hex-digit checksums, and a `convert`
    /// entry has a `url` (`original_sha256` only comes with `convert`).
    pub fn validate(&self, origin: &Path) -> Result<(), DataError> {
        let bad = |reason: String| DataError::Manifest {
            path: origin.to_path_buf(),
            reason,
        };
        let is_sha256 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if self.files.is_empty() {
            return Err(bad("no [[files]] entries".into()));
        }
        for f in &self.files {
            if !is_sha256(&f.sha256) {
                return Err(bad(format!(
                    "file {}: sha256 must be 64 hex digits",
                    f.path
                )));
            }
            if let Some(o) = &f.original_sha256 {
                if !is_sha256(o) {
                    return Err(bad(format!(
                        "file {}: original_sha256 must be 64 hex digits",
                        f.path
                    )));
                }
                if f.convert.is_none() {
                    return Err(bad(format!(
                        "file {}: original_sha256 without convert (the original is the file \
                         itself; its sha256 is `sha256`)",
                        f.path
                    )));
                }
            }
            if f.convert.is_some() && f.original_name().is_none() {
                return Err(bad(format!(
                    "file {}: convert needs a url (and a member when the url is an archive)",
                    f.path
                )));
            }
        }
        Ok(())
    }

    /// Absolute path of a file entry inside `data_dir`.
    pub fn file_path(&self, data_dir: &Path, entry: &FileEntry) -> PathBuf {
        data_dir.join(&entry.path)
    }

    /// Verifies the sha256 of every file of this dataset in `data_dir`; a missing file is a
    /// [`DataError::MissingFile`] with a hint on how to get it.
    pub fn verify(&self, data_dir: &Path) -> Result<(), DataError> {
        for f in &self.files {
            let p = self.file_path(data_dir, f);
            if !p.is_file() {
                return Err(DataError::MissingFile {
                    dataset: self.name.clone(),
                    path: p,
                    hint: format!(
                        "run `srl fetch {}` or point SRL_DATA_DIR at a folder holding {}",
                        self.name, f.path
                    ),
                });
            }
            crate::checksum::verify_file(&self.name, &p, &f.sha256)?;
        }
        Ok(())
    }
}
