//! Diagnostics that point at the user's source.
//!
//! Every IR node carries a [`Span`]: a byte range in the model's source text.
//! A `.relax` file renders it as `file:line:column`; the `relax!` macro maps it
//! back to the offending token so `compile_error!` underlines it.

use std::fmt;

/// A byte range in the source text. `Span::NONE` marks compiler-made nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const NONE: Span = Span { start: 0, end: 0 };

    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    pub fn is_none(&self) -> bool {
        *self == Span::NONE
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.is_none() {
            return other;
        }
        if other.is_none() {
            return self;
        }
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// `self` unless it is `NONE`, then `fallback`.
    pub fn or(self, fallback: Span) -> Span {
        if self.is_none() {
            fallback
        } else {
            self
        }
    }
}

/// One problem, with the place it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
}

/// One or more diagnostics: the compiler reports everything it found at once
/// where it can (for example every unsupported operator), not just the first.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub diagnostics: Vec<Diagnostic>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(span: Span, message: impl Into<String>) -> Error {
        Error { diagnostics: vec![Diagnostic { message: message.into(), span }] }
    }

    /// An error about no particular place.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::new(Span::NONE, message)
    }

    /// Joins several errors into one report.
    pub fn many(errors: impl IntoIterator<Item = Error>) -> Error {
        Error { diagnostics: errors.into_iter().flat_map(|e| e.diagnostics).collect() }
    }

    /// Prefixes every message with some context (`in pass fuse: ...`).
    pub fn context(mut self, context: impl fmt::Display) -> Error {
        for d in &mut self.diagnostics {
            d.message = format!("{context}: {}", d.message);
        }
        self
    }

    /// Gives diagnostics without a place this span.
    pub fn at(mut self, span: Span) -> Error {
        for d in &mut self.diagnostics {
            d.span = d.span.or(span);
        }
        self
    }

    /// Renders against the source text: `file:line:col: error: message` plus the line.
    pub fn render(&self, source: &Source) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            if d.span.is_none() {
                out += &format!("{}: error: {}\n", source.name, d.message);
                continue;
            }
            let (line, col) = source.line_col(d.span.start as usize);
            out += &format!("{}:{}:{}: error: {}\n", source.name, line, col, d.message);
            if let Some(text) = source.text.lines().nth(line - 1) {
                let width = (d.span.end.saturating_sub(d.span.start) as usize)
                    .clamp(1, text.len().saturating_sub(col - 1).max(1));
                out += &format!("  {text}\n  {}{}\n", " ".repeat(col - 1), "^".repeat(width));
            }
        }
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msgs: Vec<&str> = self.diagnostics.iter().map(|d| d.message.as_str()).collect();
        f.write_str(&msgs.join("\n"))
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error::msg(s)
    }
}

/// Model source text and the name it is reported under.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source { name: name.into(), text: text.into() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}
