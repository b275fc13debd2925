//! `prim fn`: what the loop-level syntax parses to, and its errors.

use super::*;
use crate::ir::{BinOp, Buffer, Dim, LoopKind, PExpr, PrimFunc, Stmt, UnOp};
use crate::text::print_prim_func;
use relax_rt::DType;

/// The only `prim fn` of a module holding `text`.
fn prim(text: &str) -> PrimFunc {
    let m = parse(&format!("mod m {{\n{text}\n}}\n"));
    m.prim_funcs[0].clone()
}

/// The value stored by `out[0] = <expr>;` in a function with buffers `a`
/// (`[n, 4]`, f32) and `out`, dim `n`, inside a loop over `i`.
fn stored(expr: &str) -> PExpr {
    let f = prim(&format!(
        "prim fn k(a: Buffer<[n, 4], f32>) -> (out: Buffer<[n], f32>) dims(n) {{ for i in 0..n {{ out[0] = {expr}; }} }}"
    ));
    let Stmt::For { body, .. } = f.body else { panic!("a loop") };
    let Stmt::Store { value, .. } = *body else { panic!("a store") };
    value
}

/// `expr` after parsing and printing.
fn reprinted(expr: &str) -> String {
    super::super::print_tir::pexpr_text(&stored(expr))
}

fn error_in_body(body: &str) -> String {
    first_error(&format!(
        "mod m {{\n    prim fn k(a: Buffer<[n, 4], f32>) -> (out: Buffer<[n], f32>) dims(n) {{\n{body}\n    }}\n}}"
    ))
}

#[test]
fn signature_splits_inputs_outputs_and_dims() {
    let f = prim("prim fn k(a: Buffer<[n, 4], f32>, b: Buffer<[], i8>) -> (c: Buffer<[n * 2], f64>, d: Buffer<[m], bool>) dims(n, m) {\n}");
    assert_eq!(f.name, "k");
    assert_eq!(f.num_outputs, 2);
    assert_eq!(f.dims, vec!["n".to_string(), "m".to_string()]);
    assert_eq!(f.params[1], Buffer::new("b", DType::I8, vec![]));
    assert_eq!(f.outputs()[0], Buffer::new("c", DType::F64, vec![Dim::var("n") * 2]));
    assert_eq!(f.body, Stmt::Seq(vec![]));
    let no_dims = prim("prim fn k(a: Buffer<[4], f32>) -> (b: Buffer<[4], f32>) {\n}");
    assert!(no_dims.dims.is_empty());
}

#[test]
fn statements() {
    let f = prim(
        "prim fn k(a: Buffer<[n], f32>) -> (out: Buffer<[n], f32>) dims(n) {
            for parallel i in 0..n { for vectorized j in 0..4 { for unrolled k in 0..2 { for parallel in 0..1 {} } } }
            alloc acc: Buffer<[2, 2], f32> { acc[0, 1] = 0.0f32; }
            if n > 2 { out[0] = 1.0f32; } else if n > 1 { } else { { out[0] = 2.0f32; out[1] = 3.0f32; } }
        }",
    );
    let Stmt::Seq(stmts) = &f.body else { panic!("three statements") };
    let Stmt::For { var, kind: LoopKind::Parallel, extent, body } = &stmts[0] else { panic!("a parallel loop") };
    assert_eq!((var.as_str(), extent), ("i", &PExpr::var("n")));
    let Stmt::For { kind: LoopKind::Vectorized, body, .. } = &**body else { panic!("a vectorized loop") };
    let Stmt::For { kind: LoopKind::Unrolled, body, .. } = &**body else { panic!("an unrolled loop") };
    let Stmt::For { var, kind: LoopKind::Serial, .. } = &**body else { panic!("a loop over `parallel`") };
    assert_eq!(var, "parallel");
    let Stmt::Alloc { buf, body } = &stmts[1] else { panic!("an alloc") };
    assert_eq!(buf, &Buffer::new("acc", DType::F32, vec![Dim::Int(2), Dim::Int(2)]));
    assert_eq!(**body, Stmt::store("acc", vec![PExpr::int(0), PExpr::int(1)], PExpr::Float(0.0, DType::F32)));
    let Stmt::If { else_branch: Some(else_branch), .. } = &stmts[2] else { panic!("an if with else") };
    let Stmt::If { then_branch, else_branch: Some(last), .. } = &**else_branch else { panic!("an else if") };
    assert_eq!(**then_branch, Stmt::Seq(vec![]));
    assert!(matches!(&**last, Stmt::Seq(s) if s.len() == 2));
}

#[test]
fn operators_follow_rust_precedence() {
    let (i, n) = (|| PExpr::var("i"), || PExpr::var("n"));
    assert_eq!(
        stored("(i + n * 2 % 3 < n || i == 0 && !(i != 1)) as f32"),
        PExpr::cast(
            DType::F32,
            PExpr::bin(
                BinOp::Or,
                PExpr::bin(BinOp::Lt, i() + PExpr::bin(BinOp::Rem, n() * PExpr::int(2), PExpr::int(3)), n()),
                PExpr::bin(
                    BinOp::And,
                    PExpr::bin(BinOp::Eq, i(), PExpr::int(0)),
                    PExpr::un(UnOp::Not, PExpr::bin(BinOp::Ne, i(), PExpr::int(1)))
                )
            )
        )
    );
    assert_eq!(stored("-i as f32"), PExpr::cast(DType::F32, PExpr::un(UnOp::Neg, i())));
    assert_eq!(stored("-1 as f32"), PExpr::cast(DType::F32, PExpr::int(-1)));
    assert_eq!(stored("i - i - i"), (i() - i()) - i());
    for text in [
        "i - (i - i)",
        "(i + 1) * n",
        "-(1)",
        "-(1.5f32)",
        "a[i, 0] / (a[0, i] * 2.0f32)",
        "(i < n) == true",
        "i as f32 as f64",
    ] {
        assert_eq!(reprinted(text), text);
    }
}

#[test]
fn literals_intrinsics_and_casts() {
    assert_eq!(stored("3"), PExpr::int(3));
    assert_eq!(stored("3i32"), PExpr::Int(3, DType::I32));
    assert_eq!(stored("-2.5f32"), PExpr::Float(-2.5, DType::F32));
    assert_eq!(stored("0.1f32"), PExpr::Float(f64::from(0.1f32), DType::F32));
    assert_eq!(stored("1e-5 as f32"), PExpr::Float(1e-5, DType::F32));
    assert_eq!(stored("-inf as f32"), PExpr::Float(f64::NEG_INFINITY, DType::F32));
    assert_eq!(stored("true"), PExpr::Bool(true));
    let a = |i: i64| PExpr::load("a", vec![PExpr::var("i"), PExpr::int(i)]);
    assert_eq!(stored("max(a[i, 0], a[i, 1])"), PExpr::bin(BinOp::Max, a(0), a(1)));
    assert_eq!(stored("floormod(i, 2)"), PExpr::bin(BinOp::FloorMod, PExpr::var("i"), PExpr::int(2)));
    assert_eq!(stored("exp(a[i, 0])"), PExpr::un(UnOp::Exp, a(0)));
    assert_eq!(stored("select(true, a[i, 0], a[i, 1])"), PExpr::select(PExpr::Bool(true), a(0), a(1)));
    assert_eq!(stored("i as f64"), PExpr::cast(DType::F64, PExpr::var("i")));
    assert_eq!(reprinted("1e-5 as f32"), "1e-5 as f32");
    assert_eq!(reprinted("1e-5f32"), "1e-5f32");
    assert_eq!(reprinted("-(inf as f32)"), "-(inf as f32)");
    // The new dtypes' operators: bits, shifts, reinterpretation, u64 literals.
    assert_eq!(
        stored("bitcast_f32(bitcast_i32(a[i, 0]))"),
        PExpr::bitcast(DType::F32, PExpr::bitcast(DType::I32, a(0)))
    );
    assert_eq!(reprinted("bitcast_f32(shl(7i32, 2i32))"), "bitcast_f32(shl(7i32, 2i32))");
    assert_eq!(
        stored("bitxor(1u8, 3u8)"),
        PExpr::bin(BinOp::BitXor, PExpr::Int(1, DType::U8), PExpr::Int(3, DType::U8))
    );
    assert_eq!(stored("18446744073709551615u64"), PExpr::Int(-1, DType::U64));
    assert_eq!(reprinted("18446744073709551615u64 as f32"), "18446744073709551615u64 as f32");
    assert_eq!(reprinted("3i4 as f16"), "3i4 as f16");
}

#[test]
fn printed_prim_funcs_are_canonical() {
    let src = "prim fn k(a: Buffer<[n, 4], f32>) -> (out: Buffer<[n], f32>) dims(n) {
    for i in 0..n {
        alloc acc: Buffer<[], f32> {
            acc[] = 0.0f32;
            for j in 0..4 {
                acc[] = acc[] + a[i, j];
            }
            if acc[] > 0.0f32 {
                out[i] = acc[];
            } else {
                out[i] = -acc[];
            }
        }
    }
}
";
    let indented: String = src.lines().map(|l| format!("    {l}\n")).collect();
    assert_eq!(print_prim_func(&prim(&indented)), src);
}

#[test]
fn names_are_checked_where_they_are_used() {
    assert_eq!(error_in_body("        b[0] = 0.0f32;"), "3:9: there is no buffer `b` here");
    assert_eq!(error_in_body("        out[0, 1] = 0.0f32;"), "3:9: `out` has rank 1, but 2 indices are given");
    assert_eq!(error_in_body("        out[j] = 0.0f32;"), "3:13: `j` is not a loop variable or dim here");
    assert_eq!(error_in_body("        out[0] = a;"), "3:18: `a` is a buffer; read an element with `a[..]`");
    assert_eq!(
        error_in_body("        for i in 0..n { }\n        out[i] = 0.0f32;"),
        "4:13: `i` is not a loop variable or dim here"
    );
    assert_eq!(error_in_body("        for n in 0..2 { }"), "3:13: `n` is already defined here");
    assert_eq!(
        error_in_body("        alloc t: Buffer<[n], f32> { }"),
        "3:15: `t` lives on the stack, so its shape must be constant"
    );
    assert_eq!(
        first_error("mod m {\n    prim fn k(a: Buffer<[n], f32>) -> (b: Buffer<[m], f32>) dims(n) {\n    }\n}"),
        "2:40: `m` appears in the shape of `b` but is not listed in `dims(..)`"
    );
    assert_eq!(
        first_error("mod m {\n    prim fn k(a: Buffer<[n], f32>) -> (a: Buffer<[n], f32>) dims(n) {\n    }\n}"),
        "2:40: `a` is defined twice"
    );
}

#[test]
fn statement_and_expression_mistakes() {
    assert_eq!(error_in_body("        for i in 1..n { }"), "3:18: loops start at 0: `for i in 0..n`");
    assert_eq!(
        error_in_body("        out[0] = 1.5;"),
        "3:21: expected `as DTYPE` after the float literal (or write a suffix: `1.0f32`), found `;`"
    );
    assert_eq!(
        error_in_body("        out[0] = !1.5;"),
        "3:19: a float literal needs a dtype: `1.5f32` or `1.5 as f32`"
    );
    assert_eq!(
        error_in_body("        out[0] = inf;"),
        "3:21: expected `as DTYPE` after the float literal (or write a suffix: `1.0f32`), found `;`"
    );
    assert_eq!(error_in_body("        out[0] = sigmoid(1.0f32);"), "3:18: unknown function `sigmoid` in a `prim fn`; the functions are floordiv, floormod, min, max, pow, bitand, bitor, bitxor, shl, shr, abs, exp, log, sqrt, tanh, erf, floor, ceil, round, sin, cos, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, select, bitcast_DTYPE");
    assert_eq!(error_in_body("        out[0] = max(1.0f32);"), "3:18: `max` takes 2 arguments, got 1");
    assert_eq!(
        error_in_body("        out[0] = 1 < 2 < 3;"),
        "3:24: comparisons cannot be chained; add parentheses to say which comes first"
    );
    assert_eq!(error_in_body("        out[0] = 300u8;"), "3:18: 300 does not fit in u8");
    assert_eq!(
        error_in_body("        let x = 1;"),
        "3:9: expected a statement (`for`, `if`, `alloc`, a store `buf[i] = ..;`, `{` or `}`), found keyword `let`"
    );
    assert_eq!(
        first_error("mod m {\n    #[private]\n    prim fn k() -> () {\n    }\n}"),
        "2:5: `#[private]` cannot be put on a `prim fn`; it belongs on a `fn`"
    );
}
