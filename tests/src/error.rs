//! The error every helper returns: a plain-text explanation of what failed.

use std::fmt;

/// A failure explained in words, built to be read in a test report.
///
/// `Debug` prints the message as is (not as an escaped string), because that is
/// what the test harness shows when a `#[test]` function returns `Err`:
/// multi-line messages such as a program's captured stderr stay readable.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(String);

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// Prefixes the message with what was being done (`digits on aarch64: ...`).
    pub fn context(self, context: impl fmt::Display) -> Error {
        Error(format!("{context}: {}", self.0))
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_message_unescaped() {
        let e = Error::new("line one\n\"quoted\"");
        assert_eq!(format!("{e:?}"), "line one\n\"quoted\"");
    }

    #[test]
    fn context_is_prefixed() {
        let e = Error::new("file not found").context("loading weights");
        assert_eq!(e.message(), "loading weights: file not found");
    }
}
