//! The one error type of the tool: every failure becomes one line on stderr.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Anything that stops a command.
#[derive(Debug)]
pub enum Error {
    /// Bad command line.
    Usage(String),
    /// A file could not be read or written.
    Io {
        /// What was being done ("read", "write", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A key file that is not a usable key.
    Key {
        /// The key file.
        path: PathBuf,
        /// Why it is unusable.
        reason: String,
    },
    /// The header could not be laid out.
    Header(wolfboot_image_format::BuildError),
    /// The signature primitive failed.
    Sign(String),
    /// A file that is not a (well-formed) wolfBoot image.
    Image(String),
    /// An image that does not verify.
    Verify(String),
}

impl Error {
    /// Shorthand for a usage error.
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }

    /// Shorthand for a key error.
    pub fn key(path: &Path, reason: impl Into<String>) -> Self {
        Error::Key {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// Wrap an I/O error with the file and the action.
    pub fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Process exit code for this error: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => write!(f, "{m} (try --help)"),
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::Key { path, reason } => write!(f, "key file {}: {reason}", path.display()),
            Error::Header(e) => write!(f, "cannot build the manifest header: {e}"),
            Error::Sign(m) => write!(f, "signing failed: {m}"),
            Error::Image(m) => write!(f, "bad image: {m}"),
            Error::Verify(m) => write!(f, "verification failed: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Header(e) => Some(e),
            _ => None,
        }
    }
}

impl From<wolfboot_image_format::BuildError> for Error {
    fn from(e: wolfboot_image_format::BuildError) -> Self {
        Error::Header(e)
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Read a whole file, mapping the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io("read", path, e))
}

/// Write a whole file, mapping the error.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io("write", path, e))
}
