//! Typed errors for everything between a file on disk and training arrays.

use std::path::PathBuf;

/// Errors raised while locating, fetching, parsing, splitting or scoring data.
///
/// Every variant names what went wrong and where (file, line, column, dataset), so a user can
/// act on the message without reading the source.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A name that is not one of the known datasets / benchmarks.
    #[error("unknown dataset `{name}` (known: {known})")]
    UnknownDataset {
        /// The name given.
        name: String,
        /// Comma-separated list of the names that exist.
        known: String,
    },
    /// A data file that should exist does not.
    #[error("data file for `{dataset}` not found at {path}: {hint}")]
    MissingFile {
        /// Dataset name.
        dataset: String,
        /// Where we looked.
        path: PathBuf,
        /// What the user can do (e.g. `srl fetch NAME` or set SRL_DATA_DIR).
        hint: String,
    },
    /// An I/O error on a given path.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A malformed row or field in a text file.
    #[error("{path}:{line}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A nominal value that the fitted category list does not contain (test-time data).
    #[error("{path}:{line}: column `{column}`: unknown category `{value}` (known: {known})")]
    UnknownCategory {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The nominal column.
        column: String,
        /// The value found.
        value: String,
        /// Comma-separated fitted categories.
        known: String,
    },
    /// A file with no data rows.
    #[error("{path}: no data rows")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// A column that was asked for is not there.
    #[error("{path}: column `{column}` not found (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns present.
        available: String,
    },
    /// A sha256 that does not match the manifest.
    #[error(
        "checksum mismatch for `{dataset}` file {file}: expected sha256 {expected}, got {actual}; \
         the file is corrupt or a different version — delete it and fetch again"
    )]
    ChecksumMismatch {
        /// Dataset name.
        dataset: String,
        /// The file (relative to the data dir or a URL).
        file: String,
        /// The manifest's sha256.
        expected: String,
        /// The sha256 of the bytes we have.
        actual: String,
    },
    /// Downloading failed.
    #[error("could not download `{dataset}` from {url}: {reason}. {hint}")]
    Download {
        /// Dataset name.
        dataset: String,
        /// The URL.
        url: String,
        /// What failed (HTTP status, connection error, truncated body…).
        reason: String,
        /// What to do instead.
        hint: String,
    },
    /// An archive that lacks the member the manifest names.
    #[error("archive {url} for `{dataset}` has no member `{member}`. {hint}")]
    MissingMember {
        /// Dataset name.
        dataset: String,
        /// The member asked for.
        member: String,
        /// The archive's URL.
        url: String,
        /// What to do instead.
        hint: String,
    },
    /// A manifest that does not parse or is inconsistent.
    #[error("manifest {path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A value outside its valid range, a shape mismatch, or another invalid argument.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which argument or field.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An upstream original (e.g. UCI's `Concrete_Data.xls`) that its converter cannot turn
    /// into the dataset's file.
    #[error(
        "cannot convert {original} into `{dataset}` file {path} with converter `{converter}`: \
         {source}. {hint}"
    )]
    Convert {
        /// Dataset name.
        dataset: String,
        /// The manifest path of the file being made.
        path: String,
        /// Where the original came from (a zip member and its URL, or a file).
        original: String,
        /// The converter that failed.
        converter: crate::convert::Converter,
        /// What is wrong with the original (boxed to keep `DataError` small).
        #[source]
        source: Box<crate::convert::ConvertError>,
        /// What to do instead.
        hint: String,
    },
    /// A relevance function φ that cannot be built from the targets or control points given
    /// (see [`crate::relevance`]).
    #[error("relevance function: {problem}. {hint}")]
    Relevance {
        /// What is wrong.
        problem: crate::relevance::RelevanceProblem,
        /// What to do instead.
        hint: String,
    },
    /// A test protocol (blind spot, extrapolation) that is malformed or does not fit the data
    /// (see [`crate::protocol`]).
    #[error("test protocol: {problem}")]
    Protocol {
        /// What is wrong.
        problem: crate::protocol::ProtocolProblem,
    },
    /// An `.npz`/`.npy` read failure.
    #[error("{path}: cannot read array `{array}`: {reason}")]
    Npz {
        /// The file.
        path: PathBuf,
        /// The array name inside the archive.
        array: String,
        /// The underlying error text.
        reason: String,
    },
}

impl DataError {
    /// Shorthand for [`DataError::Invalid`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        DataError::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`DataError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
