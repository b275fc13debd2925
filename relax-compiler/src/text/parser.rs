//! The parser's cursor over the token list: looking ahead, consuming expected
//! tokens, and building errors that name the offending token.
//!
//! The grammar itself is spread over `parse_*.rs`, each adding methods to
//! [`Parser`] for one part of the language. It is recursive descent with one
//! token of lookahead (two to tell a named argument `axis = 1` from an
//! expression), and it stops at the first syntax error: with a one-token
//! lookahead there is no reliable way to resynchronise.

use super::lexer::{lex, Number, Token, TokenKind};
use crate::error::{Error, Result, Span};
use std::collections::HashSet;

/// Words that cannot name a variable, function or buffer. Contextual words
/// (`mod`, `dataflow`, `output`, `prim`, `alloc`, loop kinds, `dims`) stay
/// usable as names (`mod` is also an operator) because their position decides
/// what they mean.
const KEYWORDS: &[&str] = &[
    "_",
    "as",
    "call_extern",
    "call_tir",
    "const",
    "else",
    "false",
    "fn",
    "for",
    "if",
    "in",
    "inf",
    "let",
    "match_cast",
    "nan",
    "self",
    "true",
];

/// How deeply expressions, types and statements may nest: far beyond any real
/// model (nesting over 10 is rare; `normalize` flattens everything), and
/// within a 2 MiB thread stack even in debug builds (about 20 KiB a level), so
/// hostile input gets an error, not a stack overflow.
const MAX_NESTING: u32 = 64;

pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

pub(super) struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    /// Names of the module's graph functions, collected before parsing so a
    /// call can refer to a function defined further down.
    pub(super) functions: HashSet<String>,
    /// Names of the module's `prim fn`s, for checking `call_tir`.
    pub(super) prim_funcs: HashSet<String>,
    /// How many [`Parser::nested`] calls are active.
    depth: u32,
}

impl<'s> Parser<'s> {
    pub(super) fn new(src: &'s str) -> Result<Parser<'s>> {
        let tokens = lex(src)?;
        let (functions, prim_funcs) = item_names(&tokens);
        Ok(Parser { src, tokens, pos: 0, functions, prim_funcs, depth: 0 })
    }

    pub(super) fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    /// The token `n` places ahead (0 is [`Parser::peek`]); `Eof` past the end.
    pub(super) fn peek_nth(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    /// Consumes and returns the next token; at the end it keeps returning `Eof`.
    pub(super) fn bump(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    /// Where the next token starts, to begin a span.
    pub(super) fn start(&self) -> u32 {
        self.peek().span.start
    }

    /// From `start` to the end of the last consumed token.
    pub(super) fn span_from(&self, start: u32) -> Span {
        let end = if self.pos == 0 { start } else { self.tokens[self.pos - 1].span.end };
        Span { start, end: end.max(start) }
    }

    pub(super) fn at_punct(&self, punct: &str) -> bool {
        self.nth_is_punct(0, punct)
    }

    pub(super) fn at_keyword(&self, word: &str) -> bool {
        self.nth_is_keyword(0, word)
    }

    /// Whether the token `n` places ahead is `punct`.
    pub(super) fn nth_is_punct(&self, n: usize, punct: &str) -> bool {
        matches!(self.peek_nth(n).kind, TokenKind::Punct(p) if p == punct)
    }

    /// Whether the token `n` places ahead is the word `word`.
    pub(super) fn nth_is_keyword(&self, n: usize, word: &str) -> bool {
        matches!(&self.peek_nth(n).kind, TokenKind::Ident(w) if w == word)
    }

    pub(super) fn at_end(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    pub(super) fn eat_punct(&mut self, punct: &str) -> Option<Span> {
        self.at_punct(punct).then(|| self.bump().span)
    }

    pub(super) fn eat_keyword(&mut self, word: &str) -> Option<Span> {
        self.at_keyword(word).then(|| self.bump().span)
    }

    /// Consumes `punct` or fails with "expected `punct` {context}, found ...".
    pub(super) fn expect_punct(&mut self, punct: &str, context: &str) -> Result<Span> {
        self.eat_punct(punct).ok_or_else(|| self.unexpected(&format!("`{punct}` {context}")))
    }

    pub(super) fn expect_keyword(&mut self, word: &str, context: &str) -> Result<Span> {
        self.eat_keyword(word).ok_or_else(|| self.unexpected(&format!("`{word}` {context}")))
    }

    /// Consumes the `>` that closes `Tensor<..>` or `Buffer<..>`. Like Rust, it
    /// splits `>=` (as in `f32>= x`, which the lexer read as one operator).
    pub(super) fn expect_closing_angle(&mut self, context: &str) -> Result<Span> {
        if let Some(span) = self.eat_punct(">") {
            return Ok(span);
        }
        if self.at_punct(">=") {
            let token = &mut self.tokens[self.pos];
            let closing = Span { start: token.span.start, end: token.span.start + 1 };
            token.kind = TokenKind::Punct("=");
            token.span.start += 1;
            return Ok(closing);
        }
        Err(self.unexpected(&format!("`>` {context}")))
    }

    /// A name being introduced (a variable, function, buffer...).
    pub(super) fn expect_name(&mut self, what: &str) -> Result<(String, Span)> {
        match &self.peek().kind {
            TokenKind::Ident(name) if !is_keyword(name) => {
                let name = name.clone();
                Ok((name, self.bump().span))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// An identifier if one is next (keywords included).
    pub(super) fn peek_ident(&self) -> Option<&str> {
        match &self.peek().kind {
            TokenKind::Ident(name) => Some(name),
            _ => None,
        }
    }

    pub(super) fn peek_number(&self) -> Option<&Number> {
        match &self.peek().kind {
            TokenKind::Number(n) => Some(n),
            _ => None,
        }
    }

    pub(super) fn expect_string(&mut self, what: &str) -> Result<(String, Span)> {
        match &self.peek().kind {
            TokenKind::Str(s) => {
                let s = s.clone();
                Ok((s, self.bump().span))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// "expected {expected}, found {next token}", at the next token.
    pub(super) fn unexpected(&self, expected: &str) -> Error {
        Error::new(self.peek().span, format!("expected {expected}, found {}", self.describe(self.peek())))
    }

    /// How a token reads in a message: `` `}` ``, `` keyword `let` ``, `end of input`.
    pub(super) fn describe(&self, token: &Token) -> String {
        let text = &self.src[token.span.start as usize..token.span.end as usize];
        match &token.kind {
            TokenKind::Eof => "end of input".to_string(),
            TokenKind::Ident(word) if is_keyword(word) => format!("keyword `{word}`"),
            _ => format!("`{text}`"),
        }
    }

    /// Runs `parse` one nesting level deeper; every recursive rule goes
    /// through here so the depth stays bounded.
    pub(super) fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth == MAX_NESTING {
            return Err(Error::new(self.peek().span, format!("nested more than {MAX_NESTING} levels deep")));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    /// Items separated by commas up to `close` (consumed), a trailing comma allowed.
    /// `what` names the list in errors: "expected `,` or `)` in {what}".
    pub(super) fn comma_list<T>(
        &mut self,
        close: &str,
        what: &str,
        mut item: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        while self.eat_punct(close).is_none() {
            items.push(item(self)?);
            if self.eat_punct(",").is_none() {
                self.expect_punct(close, &format!("or `,` in {what}"))?;
                break;
            }
        }
        Ok(items)
    }
}

/// The names after `fn` and `prim fn`: graph functions and loop-level functions.
fn item_names(tokens: &[Token]) -> (HashSet<String>, HashSet<String>) {
    let mut functions = HashSet::new();
    let mut prim_funcs = HashSet::new();
    for (i, pair) in tokens.windows(2).enumerate() {
        let (TokenKind::Ident(keyword), TokenKind::Ident(name)) = (&pair[0].kind, &pair[1].kind) else { continue };
        if keyword != "fn" {
            continue;
        }
        let is_prim = i > 0 && tokens[i - 1].kind == TokenKind::Ident("prim".into());
        if is_prim { &mut prim_funcs } else { &mut functions }.insert(name.clone());
    }
    (functions, prim_funcs)
}
