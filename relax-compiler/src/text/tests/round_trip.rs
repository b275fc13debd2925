//! Whole models: a canonically formatted source prints back unchanged, parses
//! the same with its tokens joined by single spaces (as `relax!` passes them),
//! and printing any module parses back to an equal one.

use super::*;
use crate::ir::{
    AttrValue, Attrs, BinOp, Binding, Block, Buffer, Call, Callee, Dim, Literal, LoopKind, MemoryPlan, PExpr, PrimFunc,
    Stmt, StructInfo, UnOp, Var,
};
use crate::ndarray::{NDArray, Scalar};
use relax_rt::DType;

const MLP: &str = r#"#[weights = "weights/mlp.safetensors"]
mod mlp {
    fn forward(x: Tensor<[n, 64], f32>) -> Tensor<[n, 10], f32> {
        dataflow {
            let h = relu(matmul(x, w1) + b1);
            let y = softmax(matmul(h, w2) + b2, axis = -1);
            output y;
        }
        y
    }
}
"#;

const CNN: &str = r#"#[weights = "weights/cnn.safetensors"]
mod cnn {
    fn forward(x: Tensor<[n, 1, 28, 28], f32>) -> Tensor<[n, 10], f32> {
        dataflow {
            let c1 = relu(conv2d(x, conv1_w, strides = [1, 1], padding = [1, 1, 1, 1]) + conv1_b);
            let p1 = max_pool2d(c1, pool_size = [2, 2], strides = [2, 2], layout = "NCHW");
            let c2 = relu(conv2d(p1, conv2_w, strides = [1, 1], padding = [0, 0, 0, 0], groups = 1));
            let f = flatten(max_pool2d(c2, pool_size = [2, 2], strides = [2, 2]), axis = 1);
            let logits = matmul(f, fc_w) + fc_b;
            let y = log_softmax(logits / 2.5, axis = -1, dtype = f32);
            output y;
        }
        y
    }
}
"#;

const TUPLES: &str = r#"mod tuples {
    #[dim_max(n = 64)]
    fn halves(x: Tensor<[n, 8], f32>) -> (Tensor<[n, 4], f32>, Tensor<[n, 4], f32>) {
        dataflow {
            let parts = split(x, indices_or_sections = 2, axis = 1);
            let a = parts.0 * 2.0;
            let b = -parts.1 - (parts.0 - parts.1);
            output a, b;
        }
        (a, b)
    }

    fn first(x: Tensor<[n, 8], f32>) -> (Tensor<[n, 4], f32>,) {
        let pair = halves(x);
        let nested = ((pair.0, pair.1), pair);
        (nested.0.1,)
    }
}
"#;

const CONTROL: &str = r#"mod control {
    const scale: Tensor<[3], f32> = [1.0, 0.5, -2.0];
    const table: Tensor<[2, 2], i32> = [1, -2, 3, 4];

    #[private]
    fn helper(x: Tensor<[n, 3], f32>) -> Tensor<[n, 3], f32> {
        x * self::scale
    }

    #[workspace(bytes = n * 24, lv0 = 0, lv1 = n * 12)]
    fn forward(x: Tensor<[n, 3], f32>, flag: Tensor<[], bool>) -> Tensor<[m, 3], f32> {
        let lv0: Tensor<[n, 3], f32> = helper(x);
        let lv1: Tensor<[n, 3], f32> = if flag {
            let t = lv0 + 1.0f32;
            t
        } else if x.0 > 0 {
            lv0
        } else {
            dataflow {
                let u = lv0 - 1;
                output u;
            }
            u
        };
        let y: Tensor<[m, 3], f32> = match_cast(lv1, Tensor<[m, 3], f32>);
        let same = (y == y) != (y < 2f32);
        y
    }
}
"#;

const LOWERED: &str = r#"mod lowered {
    fn forward(x: Tensor<[n, 32], f32>, b: Tensor<[32], f32>) -> Tensor<[n, 32], f32> {
        let y: Tensor<[n, 32], f32> = call_tir(add_relu, [x, b], Tensor<[n, 32], f32>, dims = [n]);
        let z: Tensor<[n, 32], f32> = call_extern("my_gelu", [y], Tensor<[n, 32], f32>);
        let s: Tensor<[n], f32> = call_tir(row_sum, [z], Tensor<[n], f32>, dims = [n]);
        z
    }

    prim fn add_relu(in0: Buffer<[n, 32], f32>, in1: Buffer<[32], f32>) -> (out: Buffer<[n, 32], f32>) dims(n) {
        for i0 in 0..n {
            for i1 in 0..32 {
                out[i0, i1] = max(in0[i0, i1] + in1[i1], 0.0f32);
            }
        }
    }

    prim fn row_sum(a: Buffer<[n, 32], f32>) -> (out: Buffer<[n], f32>) dims(n) {
        for parallel i in 0..n {
            alloc acc: Buffer<[], f32> {
                acc[] = 0.0f32;
                for unrolled k in 0..32 {
                    acc[] = acc[] + a[i, k];
                }
                if acc[] < -inf as f32 || !(acc[] == acc[]) {
                    out[i] = 0.0f32;
                } else if i % 2 == 0 && i >= 1 {
                    out[i] = select(acc[] > 1.0f32, exp(acc[]), -acc[]);
                } else {
                    out[i] = (i as f32 * 2.5f32 - 1e-5 as f32) / floordiv(i + 1, 2) as f32;
                }
            }
        }
    }
}
"#;

const SOURCES: [&str; 5] = [MLP, CNN, TUPLES, CONTROL, LOWERED];

#[test]
fn canonical_sources_print_back_unchanged() {
    for src in SOURCES {
        assert_eq!(print_module(&parse(src)), src);
    }
}

#[test]
fn printed_modules_parse_back_equal() {
    for src in SOURCES {
        assert_reparses(&parse(src));
    }
}

#[test]
fn tokens_joined_by_spaces_parse_the_same() {
    for src in SOURCES {
        let joined = joined_by_spaces(src);
        assert!(!joined.contains('\n'));
        assert_eq!(without_spans(parse(&joined)), without_spans(parse(src)), "joined:\n{joined}");
    }
}

#[test]
fn the_bundled_digits_model_round_trips() {
    let src = include_str!("../../../../models/digits/digits.relax");
    assert_eq!(print_module(&parse(src)), src);
}

/// A module made in code, with the forms sources rarely contain: typed and
/// non-finite literals, negated literals, unknown types, big constants of
/// every dtype, escaped strings, and loop-level edge cases. (No NaN: it is
/// not equal to itself; `syntax` checks it separately.)
#[test]
fn unusual_ir_reparses() {
    let m = IRModule {
        name: "odd".into(),
        functions: vec![unusual_function()],
        prim_funcs: vec![unusual_prim_func()],
        constants: unusual_constants(),
        weights_path: Some("dir with \"quotes\"\\ and\ttab.safetensors".into()),
        entries: vec![],
    };
    assert_reparses(&m);
}

fn call(callee: Callee, args: Vec<Expr>, attrs: Attrs) -> Expr {
    let call = Call { callee, args, attrs, out_sinfo: None, tir_dims: vec![] };
    Expr::new(ExprKind::Call(call), Span::NONE)
}

fn op(name: &str, args: Vec<Expr>) -> Expr {
    call(Callee::Op(name.into()), args, Attrs::new())
}

fn lit(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::NONE)
}

fn unusual_function() -> Function {
    let f32_tensor = StructInfo::tensor(DType::F32, vec![Dim::var("n")]);
    let values = vec![
        lit(ExprKind::TypedLiteral(Literal::Float(f64::from(0.1f32)), DType::F32)),
        lit(ExprKind::TypedLiteral(Literal::Float(1e-5), DType::F32)),
        lit(ExprKind::TypedLiteral(Literal::Float(f64::NEG_INFINITY), DType::F64)),
        lit(ExprKind::TypedLiteral(Literal::Int(-3), DType::F32)),
        lit(ExprKind::TypedLiteral(Literal::Int(7), DType::U8)),
        lit(ExprKind::TypedLiteral(Literal::Bool(true), DType::Bool)),
        lit(ExprKind::TypedLiteral(Literal::Float(2.5), DType::I32)),
        lit(ExprKind::Literal(Literal::Float(-0.0))),
        lit(ExprKind::Literal(Literal::Int(i64::MIN))),
        op("neg", vec![lit(ExprKind::Literal(Literal::Int(2)))]),
        op("neg", vec![lit(ExprKind::Literal(Literal::Int(-2)))]),
        op("neg", vec![op("neg", vec![Expr::var("x")])]),
        op("mul", vec![Expr::var("x"), op("add", vec![Expr::var("x"), Expr::var("x")])]),
        op("sub", vec![Expr::var("x"), op("sub", vec![Expr::var("x"), lit(ExprKind::Literal(Literal::Float(-1.0)))])]),
        op("less", vec![op("equal", vec![Expr::var("x"), Expr::var("x")]), Expr::var("x")]),
        op("add", vec![Expr::var("x"), Expr::var("x"), Expr::var("x")]),
        call(Callee::Op("add".into()), vec![Expr::var("x"), Expr::var("x")], Attrs::new().with("k", AttrValue::Int(1))),
        lit(ExprKind::GetItem(Box::new(lit(ExprKind::Tuple(vec![]))), 0)),
        lit(ExprKind::GetItem(Box::new(lit(ExprKind::Literal(Literal::Int(-1)))), 0)),
        call(
            Callee::Op("attrs".into()),
            vec![],
            Attrs::new()
                .with("s", AttrValue::Str("line\nbreak \u{1F600} \"q\" \\".into()))
                .with("f", AttrValue::Float(f64::NEG_INFINITY))
                .with("g", AttrValue::Float(-1e-300))
                .with("d", AttrValue::Dims(vec![Dim::var("n") - (Dim::var("n") - 1), Dim::Int(-1).floor_div(2)]))
                .with("e", AttrValue::Dims(vec![]))
                .with("t", AttrValue::DType(DType::U8)),
        ),
        Expr::new(
            ExprKind::Call(Call {
                callee: Callee::Extern("sym".into()),
                args: vec![],
                attrs: Attrs::new(),
                out_sinfo: None,
                tir_dims: vec![],
            }),
            Span::NONE,
        ),
    ];
    let bindings = values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let sinfo = if i % 2 == 0 { StructInfo::Unknown } else { StructInfo::Tuple(vec![StructInfo::Unknown]) };
            Binding { var: Var::new(format!("v{i}"), sinfo), value, cast: None, span: Span::NONE }
        })
        .collect();
    Function {
        name: "f".into(),
        params: vec![Var::new("x", f32_tensor)],
        value_dims: vec![],
        derived_dims: vec![],
        dim_max: vec![],
        ret: StructInfo::Unknown,
        body: SeqExpr {
            blocks: vec![Block { dataflow: true, bindings, outputs: vec![], span: Span::NONE }],
            result: Box::new(lit(ExprKind::Tuple(vec![]))),
        },
        public: false,
        memory: Some(MemoryPlan { workspace_bytes: Dim::Int(0), offsets: vec![] }),
        span: Span::NONE,
    }
}

fn unusual_prim_func() -> PrimFunc {
    let i = || PExpr::var("i");
    let value = PExpr::bin(
        BinOp::Add,
        PExpr::cast(DType::F32, PExpr::Int(-1, DType::I64)),
        PExpr::bin(
            BinOp::Sub,
            PExpr::un(UnOp::Neg, PExpr::Float(2.0, DType::F32)),
            PExpr::un(UnOp::Neg, PExpr::un(UnOp::Neg, PExpr::Float(1e-5, DType::F32))),
        ),
    );
    let value = PExpr::select(
        PExpr::bin(BinOp::Lt, PExpr::bin(BinOp::Eq, i(), PExpr::int(0)), PExpr::Bool(true)),
        PExpr::cast(DType::F64, PExpr::cast(DType::F32, value)),
        PExpr::bin(
            BinOp::Pow,
            PExpr::Float(f64::INFINITY, DType::F64),
            PExpr::cast(
                DType::F64,
                PExpr::Int(3, DType::I32) - (PExpr::Int(1, DType::I32) - PExpr::Int(1, DType::I32)),
            ),
        ),
    );
    let body = Stmt::Seq(vec![
        Stmt::For {
            var: "i".into(),
            extent: PExpr::var("n") * (PExpr::var("n") + PExpr::int(1)),
            kind: LoopKind::Vectorized,
            body: Box::new(Stmt::Seq(vec![])),
        },
        Stmt::Seq(vec![
            Stmt::store("out", vec![PExpr::int(0)], PExpr::Float(f64::INFINITY, DType::F64)),
            Stmt::store("out", vec![PExpr::int(1)], PExpr::Float(0.0, DType::F64)),
        ]),
        Stmt::for_(
            "i",
            PExpr::var("n"),
            Stmt::If {
                cond: PExpr::un(UnOp::Not, PExpr::bin(BinOp::Ge, i(), PExpr::int(2))),
                then_branch: Box::new(Stmt::store("out", vec![i()], value)),
                else_branch: Some(Box::new(Stmt::Seq(vec![]))),
            },
        ),
    ]);
    PrimFunc {
        name: "k".into(),
        params: vec![Buffer::new("out", DType::F64, vec![Dim::var("n")])],
        num_outputs: 1,
        dims: vec!["n".into()],
        body,
    }
}

fn unusual_constants() -> std::collections::BTreeMap<String, NDArray> {
    let mut constants = std::collections::BTreeMap::new();
    constants.insert("big".to_string(), NDArray::random(DType::F32, &[4, 50], 7));
    constants.insert("wide".to_string(), NDArray::random(DType::F64, &[30], 8));
    constants.insert("ints".to_string(), NDArray::random(DType::I8, &[2, 3], 9));
    constants.insert("bytes".to_string(), NDArray::from_i64_values(DType::U8, &[2], &[0, 255]));
    constants.insert("long".to_string(), NDArray::from_i64_values(DType::I64, &[1], &[i64::MIN]));
    constants.insert("flags".to_string(), NDArray::random(DType::Bool, &[5], 10));
    constants.insert("scalar".to_string(), NDArray::scalar(DType::F32, Scalar::F(f64::INFINITY)));
    constants.insert("odd".to_string(), NDArray::from_f64_values(DType::F32, &[3], &[f64::NEG_INFINITY, -0.0, 3e38]));
    constants.insert("empty".to_string(), NDArray::zeros(DType::I32, &[0, 4]));
    constants
}

#[test]
fn long_constants_wrap_within_the_line_width() {
    let mut m = IRModule { name: "w".into(), ..IRModule::default() };
    m.constants.insert("big".into(), NDArray::random(DType::F32, &[100], 1));
    let text = print_module(&m);
    assert!(text.lines().all(|l| l.len() <= 100), "{text}");
    assert!(text.lines().count() > 5);
    assert_reparses(&m);
}

/// The bundled model through the real pipeline: after every pass the printed
/// module parses back to an equal one (entries, being compiler output, are
/// printed but not parsed, so they are compared by their text only).
#[test]
fn every_pipeline_stage_of_the_digits_model_reparses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/digits");
    let text = std::fs::read_to_string(dir.join("digits.relax")).unwrap();
    let mut module = crate::frontend::relax_text::load(&text, &dir).unwrap();
    assert_reparses(&module);
    for (name, pass) in crate::pipeline::PASSES {
        module = pass(module).unwrap_or_else(|e| panic!("pass {name}: {e}"));
        let mut without_entries = module.clone();
        let entries = std::mem::take(&mut without_entries.entries);
        assert_reparses(&without_entries);
        if !entries.is_empty() {
            let printed = print_module(&module);
            assert!(
                printed.contains("    entry forward(x: Tensor<[n, 64], f32>) -> (y: Tensor<[n, 10], f32>) {"),
                "{printed}"
            );
            let err = parse_module(&printed).unwrap_err();
            assert_eq!(err.diagnostics[0].message, "entries are compiler output and cannot be parsed");
        }
    }
}
