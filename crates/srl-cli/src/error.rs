//! The errors of the `srl` command and how they map to exit codes.
//!
//! Every error is printed as one line, `error: <message>`, on stderr. Usage mistakes (a
//! missing or contradictory flag) exit with code 2 like clap's own usage errors; everything
//! else (unreadable files, bad data, a diverged run) exits with code 1.

use std::path::PathBuf;

/// Exit code of a failed command (bad file, bad data, training failure).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code of a usage error (missing or contradictory flags), as clap uses.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of a run stopped by SIGINT/SIGTERM (128 + SIGINT, the shell's convention); its
/// resume state was saved.
pub const EXIT_INTERRUPTED: i32 = 130;

/// Everything that can make an `srl` command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The flags do not describe a valid command (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Configuration, training or checkpoint problem reported by `srl-train`.
    #[error(transparent)]
    Train(#[from] srl_train::TrainError),
    /// Gradient-boosting problem reported by `srl-gbdt`.
    #[error(transparent)]
    Gbdt(#[from] srl_gbdt::GbdtError),
    /// Dataset problem reported by `srl-data` (missing file, bad CSV, checksum, …).
    #[error(transparent)]
    Data(#[from] srl_data::DataError),
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was attempted (`read`, `write`, `create`).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The training file of a model differs from the file it was trained on.
    #[error(
        "{path} changed since the model was trained (sha256 {actual}, trained on {expected}); \
         its split and test part would not be the ones the model was selected on — evaluate \
         on the original file, or pass the new file with --csv to evaluate on all of it"
    )]
    TrainingFileChanged {
        /// The file.
        path: PathBuf,
        /// sha256 recorded in the model.
        expected: String,
        /// sha256 of the file now.
        actual: String,
    },
    /// A result could not be serialised (never expected; reported rather than panicking).
    #[error("cannot serialise {what}: {reason}")]
    Serialise {
        /// What was being serialised.
        what: &'static str,
        /// The serialiser's message.
        reason: String,
    },
}

impl CliError {
    /// The process exit code for this error: [`EXIT_USAGE`] or [`EXIT_FAILURE`].
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Train(srl_train::TrainError::Interrupted { .. }) => EXIT_INTERRUPTED,
            _ => EXIT_FAILURE,
        }
    }

    /// The message on a single line (newlines of nested errors folded into `; `).
    pub fn one_line(&self) -> String {
        let text = self.to_string();
        let parts: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        parts.join("; ")
    }

    /// Shorthand for an [`CliError::Io`] error.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_with_two_others_with_one() {
        assert_eq!(CliError::Usage("missing --target".into()).exit_code(), 2);
        let io = CliError::io("read", "/nope", std::io::Error::other("gone"));
        assert_eq!(io.exit_code(), 1);
        assert_eq!(io.one_line(), "cannot read `/nope`: gone");
    }

    #[test]
    fn multi_line_messages_are_folded() {
        let e = CliError::Usage("first\n\n  second\n".into());
        assert_eq!(e.one_line(), "first; second");
    }
}
