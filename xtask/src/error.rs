//! The one error type of `cargo xtask`: every command returns [`XtaskError`], whose variants
//! name what went wrong (a file that cannot be read or written, a file that does not parse, a
//! flag or input that is not valid, a child process or training run that failed, …) and
//! carry the libraries' own errors (`srl_train`, `srl_data`, serde) unchanged.

use std::path::{Path, PathBuf};

/// What can go wrong in an xtask command. The message (`Display`) is what `cargo xtask`
/// prints after `error: `.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// A file or folder operation on `path` failed; `action` says which (`read`, `write`,
    /// `create`, `list`, `clear`, `remove`).
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was attempted, as a verb.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Copying `from` to `to` failed.
    #[error("cannot copy {} to {}: {source}", from.display(), to.display())]
    Copy {
        /// The source file.
        from: PathBuf,
        /// The destination.
        to: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The content of `file` is not what it should be (invalid JSON or TOML, a missing field).
    #[error("cannot parse {}: {reason}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A value could not be serialised (JSON).
    #[error("cannot serialise: {0}")]
    Json(#[from] serde_json::Error),
    /// A value could not be serialised (TOML).
    #[error("cannot serialise: {0}")]
    Toml(#[from] toml::ser::Error),
    /// An error of the training library (configuration, run folder, …).
    #[error(transparent)]
    Train(#[from] srl_train::TrainError),
    /// An error of the data library (registry, fetch, …).
    #[error(transparent)]
    Data(#[from] srl_data::DataError),
    /// A flag, a grid or variants file, or a combination of them, that cannot be carried out.
    #[error("{0}")]
    InvalidArgument(String),
    /// Run folders, tables or records that do not hold what the command needs.
    #[error("{0}")]
    InvalidData(String),
    /// A program could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A child process (cargo, `srl config`, python, …) exited with an error.
    #[error("{what} failed{}", detail_suffix(.detail))]
    CommandFailed {
        /// What was run.
        what: String,
        /// What it said (its stderr), or empty.
        detail: String,
    },
    /// Training runs failed (the message names them and their logs).
    #[error("{0}")]
    RunsFailed(String),
    /// A figure could not be drawn.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// A projection of the representations (PCA, t-SNE) failed.
    #[error("{method} failed: {reason}")]
    Projection {
        /// `PCA` or `t-SNE`.
        method: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The results prose disagrees with the numbers generated from the runs.
    #[error("{0}")]
    ProseMismatch(String),
    /// An error with what was being done when it happened (`feature-space figure of airfoil`).
    #[error("{context}: {source}")]
    Context {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: Box<XtaskError>,
    },
}

/// `: <detail>` for a non-empty detail, else nothing.
fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// The result of an xtask function.
pub type Result<T, E = XtaskError> = std::result::Result<T, E>;

impl XtaskError {
    /// An [`XtaskError::Io`] error: `action` on `path` failed with `source`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> XtaskError {
        XtaskError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// An [`XtaskError::Parse`] error: `file` does not parse (`reason`).
    pub fn parse(file: &Path, reason: impl std::fmt::Display) -> XtaskError {
        XtaskError::Parse {
            file: file.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// An [`XtaskError::Spawn`] error: `program` could not be started (`source`).
    pub fn spawn(program: impl AsRef<std::ffi::OsStr>, source: std::io::Error) -> XtaskError {
        XtaskError::Spawn {
            program: program.as_ref().to_string_lossy().into_owned(),
            source,
        }
    }

    /// This error with `context` in front (`context: error`).
    pub fn context(self, context: impl Into<String>) -> XtaskError {
        XtaskError::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }
}
