//! The one error type of code generation.

use std::fmt;

/// Why code generation failed: malformed input IR (an unknown buffer, mismatched
/// dtypes, a dynamic-size scratch buffer...), an unsupported target, or an LLVM
/// failure. The message says which function and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodegenError {
    message: String,
}

impl CodegenError {
    pub fn new(message: impl Into<String>) -> CodegenError {
        CodegenError { message: message.into() }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` (e.g. "in kernel `add`") in front.
    pub fn context(self, context: impl fmt::Display) -> CodegenError {
        CodegenError { message: format!("{context}: {}", self.message) }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CodegenError {}

/// Builder failures only happen when codegen itself misuses the builder (e.g. an
/// instruction with no insertion block), so they are reported, never unwrapped.
impl From<inkwell::builder::BuilderError> for CodegenError {
    fn from(e: inkwell::builder::BuilderError) -> CodegenError {
        CodegenError::new(format!("LLVM builder: {e}"))
    }
}

pub type Result<T, E = CodegenError> = std::result::Result<T, E>;
