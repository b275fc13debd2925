//! End-to-end checks of the pass pipeline on small models built in code:
//! every pass must preserve results (see `verify::check_passes`), fusion and
//! memory planning must do their jobs, and bad models must give clear errors.

use relax_compiler::interp::entry::run_entry;
use relax_compiler::ir::entry::Check;
use relax_compiler::ir::{AttrValue, Attrs, Binding, Block, Dim, Expr, Function, IRModule, SeqExpr, StructInfo, Var};
use relax_compiler::pipeline::{compile, Options};
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::NDArray;
use relax_rt::DType;
use std::collections::HashMap;

fn tensor(shape: &[Dim]) -> StructInfo {
    StructInfo::tensor(DType::F32, shape.to_vec())
}

fn n() -> Dim {
    Dim::var("n")
}

fn call(op: &str, args: Vec<Expr>) -> Expr {
    Expr::op(op, args, Attrs::new())
}

fn bind(name: &str, value: Expr) -> Binding {
    Binding { var: Var::new(name, StructInfo::Unknown), value, cast: None, span: Default::default() }
}

/// softmax(relu(x @ w1 + b1) @ w2 + b2): the digits classifier's shape.
fn mlp(hidden: usize) -> IRModule {
    let mut m = IRModule { name: "mlp".into(), ..Default::default() };
    for (name, shape, seed) in
        [("w1", vec![8, hidden], 1), ("b1", vec![hidden], 2), ("w2", vec![hidden, 4], 3), ("b2", vec![4], 4)]
    {
        m.constants.insert(name.into(), NDArray::random(DType::F32, &shape, seed));
    }
    let h =
        call("relu", vec![call("add", vec![call("matmul", vec![Expr::var("x"), Expr::var("w1")]), Expr::var("b1")])]);
    let logits = call("add", vec![call("matmul", vec![Expr::var("h"), Expr::var("w2")]), Expr::var("b2")]);
    let y = Expr::op("softmax", vec![logits], Attrs::new().with("axis", AttrValue::Int(-1)));
    let block = Block {
        dataflow: true,
        bindings: vec![bind("h", h), bind("y", y)],
        outputs: vec!["y".into()],
        span: Default::default(),
    };
    m.functions.push(Function {
        name: "forward".into(),
        params: vec![Var::new("x", tensor(&[n(), Dim::Int(8)]))],
        value_dims: vec![],
        derived_dims: vec![],
        dim_max: vec![],
        ret: tensor(&[n(), Dim::Int(4)]),
        body: SeqExpr { blocks: vec![block], result: Box::new(Expr::var("y")) },
        public: true,
        memory: None,
        span: Default::default(),
    });
    m
}

#[test]
fn every_pass_preserves_the_mlp() {
    for batch in [1, 3] {
        let x = NDArray::random(DType::F32, &[batch, 8], 7);
        check_passes(mlp(16), "forward", &[x], Tolerance::default()).unwrap();
    }
}

#[test]
fn fusion_merges_bias_and_activation_into_matmul() {
    let m = compile(mlp(16), &Options::default()).unwrap();
    let entry = &m.entries[0];
    // matmul+add+relu, matmul+add, softmax: three kernels instead of six.
    assert_eq!(entry.steps.len(), 3, "steps: {:#?}", entry.steps);
}

#[test]
fn workspace_is_symbolic_in_the_batch() {
    let m = compile(mlp(16), &Options::default()).unwrap();
    let ws = &m.entries[0].workspace_bytes;
    // Two intermediates of [n, 16] and [n, 4] floats, 64-byte aligned each.
    assert!(ws.free_vars().contains("n"), "workspace {ws} should depend on n");
    let env = std::collections::HashMap::from([("n".to_string(), 4)]);
    assert_eq!(ws.eval(&env), Some(256 + 64));
}

#[test]
fn shape_mismatch_is_reported_at_the_call() {
    let mut m = mlp(16);
    m.constants.insert("w2".into(), NDArray::random(DType::F32, &[15, 4], 3));
    let err = compile(m, &Options::default()).unwrap_err().to_string();
    assert!(err.contains("matmul") && err.contains("16") && err.contains("15"), "{err}");
}

#[test]
fn all_unknown_operators_are_listed_at_once() {
    let mut m = mlp(16);
    let f = &mut m.functions[0];
    f.body.blocks[0].bindings[0].value = call("frobnicate", vec![Expr::var("x")]);
    f.body.blocks[0].bindings[1].value = call("wibble", vec![Expr::var("h")]);
    // `h` failed to type-check; the unknown operator using it is still reported.
    let err = compile(m, &Options::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("frobnicate") && text.contains("wibble"), "{text}");
}

#[test]
fn a_dim_bound_becomes_a_check_and_a_maximum_workspace() {
    let mut module = mlp(16);
    module.functions[0].dim_max = vec![("n".into(), 64)];
    let m = compile(module, &Options::default()).unwrap();
    let entry = &m.entries[0];
    assert!(entry.checks.contains(&Check::DimMax { var: "n".into(), max: 64 }), "{:?}", entry.checks);
    // Valid for every accepted batch, and reached at the bound.
    let max = entry.max_workspace_bytes().expect("n is bounded");
    let at = |n: i64| entry.workspace_bytes.eval(&HashMap::from([("n".to_string(), n)])).unwrap() as u64;
    assert!((0..=64).all(|n| at(n) <= max));
    assert_eq!(max, at(64));
    let x = |n: usize| NDArray::random(DType::F32, &[n, 8], 7);
    assert!(run_entry(&m, "forward", &[x(64)]).is_ok());
    let err = run_entry(&m, "forward", &[x(65)]).unwrap_err().to_string();
    assert!(err.contains("DimMax"), "{err}");
    // Unbounded, the size has no maximum.
    assert_eq!(compile(mlp(16), &Options::default()).unwrap().entries[0].max_workspace_bytes(), None);
}

#[test]
fn a_bound_on_a_dim_no_parameter_has_is_an_error() {
    let mut module = mlp(16);
    module.functions[0].dim_max = vec![("m".into(), 4)];
    let err = compile(module, &Options::default()).unwrap_err().to_string();
    assert!(err.contains("`dim_max` bounds `m`, which is not a dim of any parameter"), "{err}");
}
