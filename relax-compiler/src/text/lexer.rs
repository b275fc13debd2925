//! The lexer: source text to tokens, each with its byte span.
//!
//! Every token is also a Rust token, so a model written inside the `relax!`
//! macro (which re-joins Rust's tokens with single spaces) lexes exactly like
//! the same model in a `.relax` file. Whitespace and comments only separate
//! tokens; nothing in the language depends on layout.

use crate::error::{Error, Result, Span};
use relax_rt::DType;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind {
    /// A name or keyword (`forward`, `let`, `_`).
    Ident(String),
    Number(Number),
    /// A string literal, escapes already resolved.
    Str(String),
    /// Punctuation, one of [`PUNCTUATION`].
    Punct(&'static str),
    /// The end of the source; the parser never reads past it.
    Eof,
}

/// A numeric literal as written, before the parser decides what it means (an
/// integer, a float, a tuple index, a negative literal).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Number {
    /// The digits without `_` separators, with any fraction and exponent: `2.5e-3`.
    pub text: String,
    /// Written with a fraction or an exponent.
    pub is_float: bool,
    /// A Rust-style type suffix (`2.0f32`, `3i64`).
    pub suffix: Option<DType>,
}

/// Multi-character operators come first so the longest match wins.
const PUNCTUATION: &[&str] = &[
    "->", "==", "!=", "<=", ">=", "&&", "||", "..", "::", "(", ")", "[", "]", "{", "}", "<", ">", ",", ";", ":", ".",
    "=", "+", "-", "*", "/", "%", "#", "!",
];

/// Splits `src` into tokens, ending with one [`TokenKind::Eof`].
pub(super) fn lex(src: &str) -> Result<Vec<Token>> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_whitespace_and_comments()?;
        let token = lexer.next_token()?;
        let done = token.kind == TokenKind::Eof;
        tokens.push(token);
        if done {
            return Ok(tokens);
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The character after the next one.
    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn advance(&mut self, c: char) {
        self.pos += c.len_utf8();
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.pos)
    }

    /// Consumes characters while `keep` holds.
    fn eat_while(&mut self, keep: impl Fn(char) -> bool) {
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            self.advance(c);
        }
    }

    fn skip_whitespace_and_comments(&mut self) -> Result<()> {
        loop {
            self.eat_while(char::is_whitespace);
            if self.rest().starts_with("//") {
                self.eat_while(|c| c != '\n');
            } else if self.rest().starts_with("/*") {
                self.skip_block_comment()?;
            } else {
                return Ok(());
            }
        }
    }

    /// Skips a `/* .. */` comment; like Rust's, they nest.
    fn skip_block_comment(&mut self) -> Result<()> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            if self.rest().starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if self.rest().starts_with("*/") {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return Ok(());
                }
            } else {
                self.advance(c);
            }
        }
        Err(Error::new(Span::new(start, start + 2), "unterminated `/*` comment"))
    }

    fn next_token(&mut self) -> Result<Token> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(Token { kind: TokenKind::Eof, span: self.span_from(start) });
        };
        let kind = if c == 'r' && matches!(self.peek_second(), Some('"' | '#')) && self.raw_string_follows() {
            TokenKind::Str(self.lex_raw_string()?)
        } else if is_ident_start(c) {
            self.eat_while(is_ident_continue);
            TokenKind::Ident(self.src[start..self.pos].to_string())
        } else if c.is_ascii_digit() {
            TokenKind::Number(self.lex_number()?)
        } else if c == '"' {
            TokenKind::Str(self.lex_string()?)
        } else {
            TokenKind::Punct(self.lex_punct()?)
        };
        Ok(Token { kind, span: self.span_from(start) })
    }

    fn lex_punct(&mut self) -> Result<&'static str> {
        match PUNCTUATION.iter().find(|p| self.rest().starts_with(**p)) {
            Some(p) => {
                self.pos += p.len();
                Ok(p)
            }
            None => {
                let c = self.peek().expect("not at the end");
                Err(Error::new(Span::new(self.pos, self.pos + c.len_utf8()), format!("unexpected character `{c}`")))
            }
        }
    }

    /// Digits with `_` separators, an optional fraction (only if a digit follows
    /// the dot, so `0..n` and `x.0.1` stay apart), an optional exponent, then an
    /// optional type suffix.
    fn lex_number(&mut self) -> Result<Number> {
        let start = self.pos;
        self.eat_while(|c| c.is_ascii_digit() || c == '_');
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
            self.advance('.');
            self.eat_while(|c| c.is_ascii_digit() || c == '_');
            is_float = true;
        }
        if self.exponent_follows() {
            self.advance('e');
            if let Some(sign @ ('+' | '-')) = self.peek() {
                self.advance(sign);
            }
            self.eat_while(|c| c.is_ascii_digit() || c == '_');
            is_float = true;
        }
        let text = self.src[start..self.pos].replace('_', "");
        let suffix_start = self.pos;
        self.eat_while(is_ident_continue);
        let suffix = match &self.src[suffix_start..self.pos] {
            "" => None,
            name => Some(DType::from_name(name).ok_or_else(|| {
                Error::new(
                    self.span_from(suffix_start),
                    format!("unknown literal suffix `{name}`; a suffix is a dtype such as `f32` or `i64`"),
                )
            })?),
        };
        Ok(Number { text, is_float, suffix })
    }

    /// `e` or `E`, then digits, optionally after a sign.
    fn exponent_follows(&self) -> bool {
        let mut chars = self.rest().chars();
        if !matches!(chars.next(), Some('e' | 'E')) {
            return false;
        }
        match chars.next() {
            Some('+' | '-') => chars.next().is_some_and(|c| c.is_ascii_digit()),
            Some(c) => c.is_ascii_digit(),
            None => false,
        }
    }

    /// A `"..."` literal with Rust's escapes.
    fn lex_string(&mut self) -> Result<String> {
        let start = self.pos;
        self.advance('"');
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Error::new(Span::new(start, start + 1), "unterminated string literal"));
            };
            self.advance(c);
            match c {
                '"' => return Ok(value),
                '\\' => {
                    if let Some(resolved) = self.lex_escape()? {
                        value.push(resolved);
                    }
                }
                _ => value.push(c),
            }
        }
    }

    /// The character an escape stands for (after its `\`); `None` for a line
    /// continuation, which skips the newline and the next line's indentation.
    fn lex_escape(&mut self) -> Result<Option<char>> {
        let start = self.pos - 1;
        let bad = |lexer: &Self, what: &str| Error::new(lexer.span_from(start), format!("invalid escape: {what}"));
        let Some(c) = self.peek() else { return Err(bad(self, "the string ends after `\\`")) };
        self.advance(c);
        Ok(Some(match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '0' => '\0',
            '\\' | '"' | '\'' => c,
            '\n' => {
                self.eat_while(char::is_whitespace);
                return Ok(None);
            }
            'x' => {
                let code =
                    self.lex_hex(2).filter(|&v| v <= 0x7f).ok_or_else(|| bad(self, "expected `\\x00`..`\\x7f`"))?;
                char::from_u32(code).expect("ASCII")
            }
            'u' => self.lex_unicode_escape().ok_or_else(|| bad(self, "expected `\\u{..}` with a valid code point"))?,
            other => return Err(bad(self, &format!("`\\{other}` is not a known escape"))),
        }))
    }

    /// Exactly `count` hex digits.
    fn lex_hex(&mut self, count: usize) -> Option<u32> {
        let digits = self.rest().get(..count)?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        self.pos += count;
        Some(value)
    }

    /// `{1F600}` after `\u`.
    fn lex_unicode_escape(&mut self) -> Option<char> {
        let body = self.rest().strip_prefix('{')?;
        let close = body.find('}')?;
        let code = u32::from_str_radix(&body[..close].replace('_', ""), 16).ok()?;
        self.pos += close + 2;
        char::from_u32(code)
    }

    /// `r"` or `r#..#"` (as opposed to an identifier starting with `r`).
    fn raw_string_follows(&self) -> bool {
        self.rest()[1..].trim_start_matches('#').starts_with('"')
    }

    /// `r"..."` or `r#"..."#`: no escapes, ended by a quote and as many `#`.
    fn lex_raw_string(&mut self) -> Result<String> {
        let start = self.pos;
        self.advance('r');
        let hashes = self.rest().len() - self.rest().trim_start_matches('#').len();
        self.pos += hashes + 1;
        let terminator = format!("\"{}", "#".repeat(hashes));
        match self.rest().find(&terminator) {
            Some(end) => {
                let value = self.rest()[..end].to_string();
                self.pos += end + terminator.len();
                Ok(value)
            }
            None => Err(Error::new(Span::new(start, start + 1), "unterminated raw string literal")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        lex(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn number(text: &str, is_float: bool, suffix: Option<DType>) -> TokenKind {
        TokenKind::Number(Number { text: text.to_string(), is_float, suffix })
    }

    #[test]
    fn splits_operators_by_longest_match() {
        let punct = |p| TokenKind::Punct(p);
        assert_eq!(
            kinds("a->b>=c..d::e"),
            vec![
                TokenKind::Ident("a".into()),
                punct("->"),
                TokenKind::Ident("b".into()),
                punct(">="),
                TokenKind::Ident("c".into()),
                punct(".."),
                TokenKind::Ident("d".into()),
                punct("::"),
                TokenKind::Ident("e".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn numbers_keep_ranges_and_tuple_indices_apart() {
        assert_eq!(kinds("0..n")[..2], [number("0", false, None), TokenKind::Punct("..")]);
        assert_eq!(kinds("x.0.1")[2], number("0.1", true, None));
        assert_eq!(kinds("1_000")[0], number("1000", false, None));
        assert_eq!(kinds("2.5e-3f32")[0], number("2.5e-3", true, Some(DType::F32)));
        assert_eq!(kinds("1e5")[0], number("1e5", true, None));
        assert_eq!(kinds("3i64")[0], number("3", false, Some(DType::I64)));
    }

    #[test]
    fn strings_resolve_rust_escapes() {
        assert_eq!(kinds(r#""a\"b\\c\n\u{e9}\x41""#)[0], TokenKind::Str("a\"b\\c\n\u{e9}A".into()));
        assert_eq!(kinds(r##"r#"raw "quoted" \n"#"##)[0], TokenKind::Str(r#"raw "quoted" \n"#.into()));
        assert_eq!(kinds("\"one \\\n    line\"")[0], TokenKind::Str("one line".into()));
    }

    #[test]
    fn comments_and_whitespace_only_separate() {
        assert_eq!(kinds("a /* x /* nested */ y */ b // end\n"), kinds("a b"));
        let tokens = lex("  foo").unwrap();
        assert_eq!(tokens[0].span, Span::new(2, 5));
        assert_eq!(tokens[1].span, Span::new(5, 5));
    }

    #[test]
    fn reports_bad_input_where_it_is() {
        let err = lex("a @ b").unwrap_err();
        assert_eq!(err.diagnostics[0].message, "unexpected character `@`");
        assert_eq!(err.diagnostics[0].span, Span::new(2, 3));
        let err = lex("2.0f128").unwrap_err();
        assert_eq!(err.diagnostics[0].span, Span::new(3, 7));
        assert!(err.diagnostics[0].message.contains("unknown literal suffix `f128`"));
        assert_eq!(lex("x \"abc").unwrap_err().diagnostics[0].span, Span::new(2, 3));
        assert_eq!(lex("/* open").unwrap_err().diagnostics[0].message, "unterminated `/*` comment");
        assert!(lex(r#""\q""#).unwrap_err().diagnostics[0].message.contains("`\\q`"));
    }
}
