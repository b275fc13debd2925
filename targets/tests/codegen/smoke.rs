use crate::common::*;
use relax_compiler::ir::{BinOp, Buffer, PExpr, Stmt};
use relax_compiler::NDArray;
use relax_rt::DType;
use relax_targets::Target;

#[test]
fn add_kernel_matches_interpreter() {
    let body = Stmt::for_(
        "i",
        PExpr::var("n"),
        Stmt::store(
            "out",
            vec![PExpr::var("i")],
            PExpr::bin(BinOp::Add, PExpr::load("a", vec![PExpr::var("i")]), PExpr::load("b", vec![PExpr::var("i")])),
        ),
    );
    let params = vec![
        Buffer::new("a", DType::F32, dims(&["n"])),
        Buffer::new("b", DType::F32, dims(&["n"])),
        Buffer::new("out", DType::F32, dims(&["n"])),
    ];
    let module = module_of(vec![kernel("add", params, 1, &["n"], body)]);
    let args = vec![NDArray::random(DType::F32, &[37], 1), NDArray::random(DType::F32, &[37], 2), NDArray::zeros(DType::F32, &[37])];
    with_jit(&module, &Target::host(), |jit| {
        let (got, want) = run_both(jit, &module, "add", &args, &[37]);
        got[2].assert_close(&want[2], 0.0, 0.0).unwrap();
    });
}
