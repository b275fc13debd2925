//! The one kind of error `relaxc` reports: a readable paragraph that names the
//! file it is about (and the node, parameter or output where there is one).
//! Every failure a user can cause ends up here; none is a panic.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct CliError {
    message: String,
    /// Already in `file:line:col: error: ...` form (compiler diagnostics),
    /// so it is printed without another `error:` in front.
    rendered: bool,
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError { message: message.into(), rendered: false }
    }

    /// Compiler diagnostics rendered against their source.
    pub fn rendered(text: impl Into<String>) -> CliError {
        CliError { message: text.into(), rendered: true }
    }

    /// `path: message`, the form every error about a file takes.
    pub fn in_file(path: &Path, message: impl fmt::Display) -> CliError {
        CliError::new(format!("{}: {message}", path.display()))
    }

    /// This error as one about `path`, unless it already names its place.
    pub fn about(self, path: &Path) -> CliError {
        if self.rendered {
            self
        } else {
            CliError::in_file(path, self.message)
        }
    }

    /// An I/O failure on `path`: `cannot read x.npy: No such file or directory`.
    pub fn io(action: &str, path: &Path, error: std::io::Error) -> CliError {
        CliError::new(format!("cannot {action} {}: {error}", path.display()))
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The text for the terminal: `error: ...` unless already rendered.
    pub fn report(&self) -> String {
        if self.rendered {
            self.to_string()
        } else {
            format!("error: {self}")
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.trim_end())
    }
}

impl std::error::Error for CliError {}
