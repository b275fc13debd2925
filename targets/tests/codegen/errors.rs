//! Malformed IR is a clear error from code generation, never a panic or
//! native code that misbehaves.

use crate::common::*;
use crate::entries::scale_module;
use relax_compiler::ir::entry::{BufRef, Check, Step};
use relax_compiler::ir::{BinOp, Buffer, Dim, PExpr, Stmt};
use relax_compiler::IRModule;
use relax_rt::DType;
use relax_targets::{emit_object, Target};

fn error_of(module: &IRModule) -> String {
    match emit_object(module, &Target::host(), "test") {
        Ok(_) => panic!("code generation accepted a malformed module"),
        Err(e) => e.to_string(),
    }
}

fn one_kernel(body: Stmt) -> IRModule {
    let params = vec![Buffer::new("a", DType::F32, dims(&["n"])), Buffer::new("out", DType::F32, dims(&["n"]))];
    let mut module = module_of(vec![kernel("k", params, 1, &["n"], body)]);
    module.entries.push(map_entry("k", "k", DType::F32, DType::F32));
    module
}

fn store_out(value: PExpr) -> Stmt {
    Stmt::for_("i", PExpr::var("n"), Stmt::store("out", vec![PExpr::var("i")], value))
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "`{message}` does not mention `{part}`");
    }
}

#[test]
fn kernel_errors_name_the_kernel_and_the_problem() {
    let scratch = Buffer::new("tmp", DType::F32, dims(&["n"]));
    let e = error_of(&one_kernel(Stmt::alloc(scratch, store_out(PExpr::Float(0.0, DType::F32)))));
    assert_mentions(&e, &["kernel `k`", "tmp", "static"]);

    let mixed = PExpr::bin(BinOp::Add, PExpr::load("a", vec![PExpr::var("i")]), PExpr::Float(1.0, DType::F64));
    assert_mentions(&error_of(&one_kernel(store_out(mixed))), &["kernel `k`", "f32", "f64"]);

    assert_mentions(
        &error_of(&one_kernel(store_out(PExpr::load("b", vec![PExpr::var("i")])))),
        &["unknown buffer `b`"],
    );
    assert_mentions(&error_of(&one_kernel(store_out(PExpr::load("a", vec![])))), &["`a` has rank 1"]);
    assert_mentions(
        &error_of(&one_kernel(store_out(PExpr::cast(DType::F32, PExpr::var("q"))))),
        &["unbound variable `q`"],
    );
}

#[test]
fn entry_errors_name_the_entry_and_the_problem() {
    let mut unknown_kernel = scale_module();
    if let Step::Call { func, .. } = &mut unknown_kernel.entries[0].steps[0] {
        *func = "missing".into();
    }
    assert_mentions(&error_of(&unknown_kernel), &["entry `forward`", "unknown kernel `missing`"]);

    let mut unchecked_rank = scale_module();
    unchecked_rank.entries[0].checks.retain(|c| !matches!(c, Check::Rank { .. }));
    assert_mentions(&error_of(&unchecked_rank), &["entry `forward`", "rank is never checked"]);

    let mut wrong_arity = scale_module();
    if let Step::Call { args, .. } = &mut wrong_arity.entries[0].steps[0] {
        args.pop();
    }
    assert_mentions(&error_of(&wrong_arity), &["`scale_rows` takes 3 buffers"]);

    let mut wrong_dtype = scale_module();
    wrong_dtype.entries[0].inputs[0].dtype = DType::F64;
    assert_mentions(&error_of(&wrong_dtype), &["parameter `x` is f32", "passes f64"]);

    let mut missing_constant = scale_module();
    if let Step::Call { args, .. } = &mut missing_constant.entries[0].steps[0] {
        args[1] = BufRef::Constant("nope".into());
    }
    assert_mentions(&error_of(&missing_constant), &["unknown constant `nope`"]);

    let mut bad_axis = scale_module();
    bad_axis.entries[0].checks.push(Check::Dim { input: 0, axis: 5, expected: Dim::Int(1) });
    assert_mentions(&error_of(&bad_axis), &["axis 5 of input `x`"]);
}

#[test]
fn unsupported_triples_are_rejected() {
    let e = Target::from_triple("mips-unknown-linux-gnu", &[]).unwrap_err();
    assert_mentions(&e.to_string(), &["mips-unknown-linux-gnu", "x86_64"]);
}
