//! Printing `prim fn`s: the signature, then statements as nested blocks, and
//! scalar expressions with Rust's operators and only the parentheses their
//! precedence needs (see `operators`). A block reads back as its one statement
//! or a `Seq` of the others, so a `Seq` holding a single statement (which the
//! parser never builds) prints as that statement.

use super::literal::typed_float;
use super::operators::{tir_prec, tir_prefix_symbol, Prec, BITCAST_PREFIX, TIR_ATOM, TIR_CAST, TIR_COMPARE, TIR_UNARY};
use super::writer::Writer;
use crate::ir::dim::shape_to_string;
use crate::ir::{Buffer, LoopKind, PExpr, PrimFunc, Stmt};
use relax_rt::DType;

pub fn print_prim_func(f: &PrimFunc) -> String {
    prim_func_text(f, 0)
}

pub(super) fn prim_func_text(f: &PrimFunc, depth: usize) -> String {
    let mut w = Writer::new(depth);
    let buffers = |list: &[Buffer]| list.iter().map(buffer_text).collect::<Vec<_>>().join(", ");
    let dims = if f.dims.is_empty() { String::new() } else { format!(" dims({})", f.dims.join(", ")) };
    w.open(&format!("prim fn {}({}) -> ({}){dims} {{", f.name, buffers(f.inputs()), buffers(f.outputs())));
    write_body(&mut w, &f.body);
    w.close("}");
    w.finish()
}

/// `name: Buffer<[..], dtype>`.
fn buffer_text(b: &Buffer) -> String {
    format!("{}: Buffer<{}, {}>", b.name, shape_to_string(&b.shape), b.dtype)
}

/// The inside of a block: a `Seq`'s statements, or the one statement.
fn write_body(w: &mut Writer, body: &Stmt) {
    match body {
        Stmt::Seq(stmts) => stmts.iter().for_each(|s| write_stmt(w, s)),
        single => write_stmt(w, single),
    }
}

fn write_stmt(w: &mut Writer, stmt: &Stmt) {
    match stmt {
        Stmt::For { var, extent, kind, body } => {
            w.open(&format!("for {}{var} in 0..{} {{", loop_kind_prefix(*kind), pexpr_text(extent)));
            write_body(w, body);
            w.close("}");
        }
        Stmt::Store { buf, idx, value } => w.line(&format!("{buf}[{}] = {};", index_text(idx), pexpr_text(value))),
        Stmt::Seq(stmts) => {
            // Only a sequence nested in another prints as its own block.
            w.open("{");
            stmts.iter().for_each(|s| write_stmt(w, s));
            w.close("}");
        }
        Stmt::Alloc { buf, body } => {
            w.open(&format!("alloc {} {{", buffer_text(buf)));
            write_body(w, body);
            w.close("}");
        }
        Stmt::If { cond, then_branch, else_branch } => {
            w.open(&format!("if {} {{", pexpr_text(cond)));
            write_branches(w, then_branch, else_branch.as_deref());
        }
    }
}

/// The rest of an `if` after its opening line; an else branch that is only
/// another `if` prints as `} else if .. {`.
fn write_branches(w: &mut Writer, then_branch: &Stmt, else_branch: Option<&Stmt>) {
    write_body(w, then_branch);
    match else_branch {
        None => w.close("}"),
        Some(Stmt::If { cond, then_branch, else_branch }) => {
            w.reopen(&format!("}} else if {} {{", pexpr_text(cond)));
            write_branches(w, then_branch, else_branch.as_deref());
        }
        Some(other) => {
            w.reopen("} else {");
            write_body(w, other);
            w.close("}");
        }
    }
}

fn loop_kind_prefix(kind: LoopKind) -> &'static str {
    match kind {
        LoopKind::Serial => "",
        LoopKind::Parallel => "parallel ",
        LoopKind::Vectorized => "vectorized ",
        LoopKind::Unrolled => "unrolled ",
    }
}

fn index_text(idx: &[PExpr]) -> String {
    idx.iter().map(pexpr_text).collect::<Vec<_>>().join(", ")
}

pub(super) fn pexpr_text(e: &PExpr) -> String {
    pexpr_with_prec(e).0
}

/// `e`, parenthesized if it binds looser than `min`.
fn operand(e: &PExpr, min: Prec) -> String {
    let (text, prec) = pexpr_with_prec(e);
    if prec < min {
        format!("({text})")
    } else {
        text
    }
}

/// The text of `e` and the level it parses at.
fn pexpr_with_prec(e: &PExpr) -> (String, Prec) {
    match e {
        PExpr::Int(v, DType::I64) => literal_prec(v.to_string()),
        PExpr::Int(v, DType::U64) => literal_prec(format!("{}u64", *v as u64)),
        PExpr::Int(v, dtype) => literal_prec(format!("{v}{dtype}")),
        PExpr::Float(v, dtype) => literal_prec(typed_float(*v, *dtype)),
        PExpr::Bool(b) => (b.to_string(), TIR_ATOM),
        PExpr::Var(name) => (name.clone(), TIR_ATOM),
        PExpr::Load { buf, idx } => (format!("{buf}[{}]", index_text(idx)), TIR_ATOM),
        PExpr::Bin(op, a, b) => match tir_prec(*op) {
            Some(prec) => {
                // Left-associative, except comparisons, which do not chain at all.
                let left_min = if prec == TIR_COMPARE { prec + 1 } else { prec };
                (format!("{} {} {}", operand(a, left_min), op.name(), operand(b, prec + 1)), prec)
            }
            None => (format!("{}({}, {})", op.name(), pexpr_text(a), pexpr_text(b)), TIR_ATOM),
        },
        PExpr::Un(op, a) => match tir_prefix_symbol(*op) {
            Some(symbol) => {
                // `-1` would read back as a negative literal, not a negation.
                let inner = if matches!(**a, PExpr::Int(..) | PExpr::Float(..)) {
                    format!("({})", pexpr_text(a))
                } else {
                    operand(a, TIR_UNARY)
                };
                (format!("{symbol}{inner}"), TIR_UNARY)
            }
            None => (format!("{}({})", op.name(), pexpr_text(a)), TIR_ATOM),
        },
        PExpr::Cast(dtype, a) => (format!("{} as {dtype}", operand(a, TIR_CAST)), TIR_CAST),
        PExpr::Bitcast(dtype, a) => (format!("{BITCAST_PREFIX}{dtype}({})", pexpr_text(a)), TIR_ATOM),
        PExpr::Select(c, a, b) => {
            (format!("select({}, {}, {})", pexpr_text(c), pexpr_text(a), pexpr_text(b)), TIR_ATOM)
        }
    }
}

/// A literal's level: `1.0 as f32` is a cast, `-1` a unary expression.
fn literal_prec(text: String) -> (String, Prec) {
    let prec = if text.contains(" as ") {
        TIR_CAST
    } else if text.starts_with('-') {
        TIR_UNARY
    } else {
        TIR_ATOM
    };
    (text, prec)
}
