//! The error every generated function returns.

use alloc::string::String;
use core::fmt;

/// What went wrong, coarsely, so callers can match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// An argument has the wrong rank, dimension or dtype.
    Shape,
    /// A dtype did not match.
    DType,
    /// The caller supplied too small a workspace.
    Workspace,
    /// Tensor data length does not match its shape.
    Data,
    /// A weights file is unreadable or does not match the model.
    Weights,
    /// Generated code reported an error code the wrapper does not know.
    Internal,
}

/// An error with a message that names the parameter and both shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
