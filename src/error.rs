//! The library's error type and the exit code each kind of failure maps to.
//!
//! Exit codes are a promise to scripts and CI: 0 ok, 1 invalid config or stale render,
//! 2 usage (a wrong argument, an unknown ID), 3 git or remote failure, 4 an unexpected I/O or
//! internal error (a file that cannot be read or written, a full disk).

use crate::validate::diagnostic::Diagnostic;

/// What the process exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Invalid = 1,
    Usage = 2,
    Git = 3,
    Internal = 4,
}

/// A failure, sorted by who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration (as it is, or as a command would leave it) breaks schemas or rules.
    #[error("{} problem{} found", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    /// Rendered files differ from what the configuration renders to.
    #[error("{count} rendered file{} out of date", if *.count == 1 { "" } else { "s" })]
    Stale { count: usize, diff: String },
    /// The command was asked for something that cannot be: an unknown ID, a bad argument.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// git refused, or the remote could not be reached or refused the push.
    #[error("{message}")]
    Git {
        message: String,
        hint: Option<String>,
    },
    /// The repo's own templates or schemas are broken: a configuration error, like `Invalid`.
    #[error("{error}")]
    Config {
        error: anyhow::Error,
        hint: Option<String>,
    },
    /// Reading or writing files, or anything else that is not the user's configuration.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A broken template or schema in the repo; `error` keeps its causes.
    pub fn config(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> Self {
        Error::Config {
            error: error.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn git(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Git {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// The exit code this failure maps to.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Invalid(_) | Error::Stale { .. } | Error::Config { .. } => ExitCode::Invalid,
            Error::Usage { .. } => ExitCode::Usage,
            Error::Git { .. } => ExitCode::Git,
            Error::Other(_) => ExitCode::Internal,
        }
    }

    /// The causes under the top message, outermost first (empty when there are none).
    pub fn causes(&self) -> Vec<String> {
        match self {
            Error::Other(error) | Error::Config { error, .. } => {
                error.chain().skip(1).map(ToString::to_string).collect()
            }
            _ => Vec::new(),
        }
    }

    /// A line that tells the user what to do next, where there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Usage { hint, .. } | Error::Git { hint, .. } | Error::Config { hint, .. } => {
                hint.as_deref()
            }
            Error::Stale { .. } => Some("run `tenantctl render` and commit the result"),
            Error::Invalid(_) | Error::Other(_) => None,
        }
    }
}

#[cfg(feature = "git")]
impl From<git2::Error> for Error {
    fn from(error: git2::Error) -> Self {
        Error::Git {
            message: format!("git: {}", error.message()),
            hint: None,
        }
    }
}

/// Results of library operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
