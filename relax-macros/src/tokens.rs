//! Turning macro tokens into source text and text positions back into spans.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use relax_compiler::Span as TextSpan;

/// Where each token landed in the text.
pub struct SourceMap {
    tokens: Vec<(usize, usize, Span)>,
}

impl SourceMap {
    /// An error covering the tokens that overlap `span` (the call site if none).
    pub fn error(&self, span: TextSpan, message: &str) -> syn::Error {
        let (start, end) = (span.start as usize, span.end.max(span.start + 1) as usize);
        let hit: Vec<Span> = self.tokens.iter().filter(|(s, e, _)| *s < end && *e > start).map(|t| t.2).collect();
        match (hit.first(), hit.last()) {
            (Some(&first), Some(&last)) if !span.is_none() => {
                // syn spans an error from the first to the last token given.
                let a = proc_macro2::Ident::new("a", first);
                let b = proc_macro2::Ident::new("b", last);
                syn::Error::new_spanned(quote::quote!(#a #b), message)
            }
            _ => syn::Error::new(Span::call_site(), message),
        }
    }
}

/// Joins tokens with single spaces (none after joint punctuation such as the
/// `-` of `->`), recording each token's byte range.
pub fn flatten(stream: TokenStream) -> (String, SourceMap) {
    let mut text = String::new();
    let mut map = SourceMap { tokens: Vec::new() };
    push_stream(stream, &mut text, &mut map);
    (text, map)
}

fn push_token(text: &mut String, map: &mut SourceMap, s: &str, span: Span, space_after: bool) {
    let start = text.len();
    text.push_str(s);
    map.tokens.push((start, text.len(), span));
    if space_after {
        text.push(' ');
    }
}

fn push_stream(stream: TokenStream, text: &mut String, map: &mut SourceMap) {
    for tt in stream {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                push_token(text, map, open, g.span_open(), true);
                push_stream(g.stream(), text, map);
                push_token(text, map, close, g.span_close(), true);
            }
            TokenTree::Ident(i) => push_token(text, map, &i.to_string(), i.span(), true),
            TokenTree::Literal(l) => push_token(text, map, &l.to_string(), l.span(), true),
            TokenTree::Punct(p) => {
                let joint = p.spacing() == proc_macro2::Spacing::Joint;
                push_token(text, map, &p.as_char().to_string(), p.span(), !joint);
            }
        }
    }
}

/// Strips a leading `runtime = some::path;` (how the `relax` facade passes its
/// own runtime path) and returns it.
pub fn split_runtime_path(stream: TokenStream) -> (Option<TokenStream>, TokenStream) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let is_runtime = matches!(tokens.first(), Some(TokenTree::Ident(i)) if i == "runtime")
        && matches!(tokens.get(1), Some(TokenTree::Punct(p)) if p.as_char() == '=');
    if !is_runtime {
        return (None, tokens.into_iter().collect());
    }
    let end = tokens.iter().position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'));
    match end {
        Some(end) => {
            let path: TokenStream = tokens[2..end].iter().cloned().collect();
            (Some(path), tokens[end + 1..].iter().cloned().collect())
        }
        None => (None, tokens.into_iter().collect()),
    }
}

/// Replaces every identifier `placeholder` by `with` (used for the runtime
/// path, which may contain `$crate` and so cannot go through text).
pub fn replace_ident(stream: TokenStream, placeholder: &str, with: &TokenStream) -> TokenStream {
    stream
        .into_iter()
        .flat_map(|tt| -> Vec<TokenTree> {
            match tt {
                TokenTree::Ident(i) if i == placeholder => with.clone().into_iter().collect(),
                TokenTree::Group(g) => {
                    let mut ng = proc_macro2::Group::new(g.delimiter(), replace_ident(g.stream(), placeholder, with));
                    ng.set_span(g.span());
                    vec![TokenTree::Group(ng)]
                }
                other => vec![other],
            }
        })
        .collect()
}
