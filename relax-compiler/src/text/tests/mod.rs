//! Tests of the text format. `round_trip` prints and parses whole models,
//! `syntax` checks what each form parses to, `errors` checks messages and
//! where they point, `prim` covers loop-level functions.

mod errors;
mod prim;
mod round_trip;
mod syntax;

use super::{parse_module, print_module};
use crate::error::{Source, Span};
use crate::ir::{Expr, ExprKind, Function, IRModule, SeqExpr};

/// The module with every span set to `NONE`, to compare parses of texts that
/// differ only in layout.
pub(super) fn without_spans(mut m: IRModule) -> IRModule {
    m.functions.iter_mut().for_each(clear_function);
    m
}

fn clear_function(f: &mut Function) {
    f.span = Span::NONE;
    f.params.iter_mut().for_each(|p| p.span = Span::NONE);
    clear_seq(&mut f.body);
}

fn clear_seq(seq: &mut SeqExpr) {
    for block in &mut seq.blocks {
        block.span = Span::NONE;
        for binding in &mut block.bindings {
            binding.span = Span::NONE;
            binding.var.span = Span::NONE;
            clear_expr(&mut binding.value);
        }
    }
    clear_expr(&mut seq.result);
}

fn clear_expr(e: &mut Expr) {
    e.span = Span::NONE;
    match &mut e.kind {
        ExprKind::Tuple(items) => items.iter_mut().for_each(clear_expr),
        ExprKind::GetItem(inner, _) => clear_expr(inner),
        ExprKind::Call(call) => call.args.iter_mut().for_each(clear_expr),
        ExprKind::If { cond, then_branch, else_branch } => {
            clear_expr(cond);
            clear_seq(then_branch);
            clear_seq(else_branch);
        }
        ExprKind::Loop(l) => {
            for (v, init) in l.carried.iter_mut().chain(&mut l.scans) {
                v.span = Span::NONE;
                clear_expr(init);
            }
            clear_seq(&mut l.body);
        }
        ExprKind::Var(_) | ExprKind::Constant(_) | ExprKind::Literal(_) | ExprKind::TypedLiteral(..) => {}
    }
}

/// Parses `src`, panicking with the rendered error if it does not parse.
pub(super) fn parse(src: &str) -> IRModule {
    parse_module(src).unwrap_or_else(|e| panic!("{}\nin:\n{src}", e.render(&Source::new("test", src))))
}

/// `src` with its tokens re-joined by single spaces, as the `relax!` macro
/// hands them over.
pub(super) fn joined_by_spaces(src: &str) -> String {
    let tokens = super::lexer::lex(src).unwrap();
    let texts: Vec<&str> = tokens.iter().map(|t| &src[t.span.start as usize..t.span.end as usize]).collect();
    texts.join(" ").trim_end().to_string()
}

/// The first error of parsing `src`, as `line:col: message`.
pub(super) fn first_error(src: &str) -> String {
    let err = parse_module(src).expect_err("the source should not parse");
    let d = &err.diagnostics[0];
    let (line, col) = Source::new("test", src).line_col(d.span.start as usize);
    format!("{line}:{col}: {}", d.message)
}

/// Checks the printed text reads back to an equal module, and that printing
/// that again changes nothing.
pub(super) fn assert_reparses(m: &IRModule) {
    let text = print_module(m);
    let back = parse(&text);
    assert_eq!(without_spans(back.clone()), without_spans(m.clone()), "printed:\n{text}");
    assert_eq!(print_module(&back), text);
}
