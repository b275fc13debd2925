//! What each form of the graph-level language parses to, and the spans it gets.

use super::*;
use crate::ir::{AttrValue, Callee, Dim, Literal, MemoryPlan, StructInfo};
use crate::text::parse_module_with_decls;
use relax_rt::DType;

/// Wraps a function body in a module with one function `f(x)`.
fn module_with_body(body: &str) -> String {
    format!("mod m {{\n    fn f(x: Tensor<[n], f32>) -> Tensor<[n], f32> {{\n{body}\n    }}\n}}\n")
}

/// The value of the first binding of `f`.
fn first_value(body: &str) -> Expr {
    let m = parse(&module_with_body(body));
    let value = m.functions[0].body.bindings().next().expect("a binding").value.clone();
    value
}

/// The value bound in `let v = <expr>; v`, printed back by the printer.
fn reprinted(expr: &str) -> String {
    let m = parse(&module_with_body(&format!("let v = {expr};\nv")));
    let text = print_module(&m);
    let line = text.lines().find(|l| l.trim_start().starts_with("let v")).unwrap();
    line.trim().trim_start_matches("let v = ").trim_end_matches(';').to_string()
}

fn callee_and_args(e: &Expr) -> (String, Vec<Expr>) {
    let call = e.as_call().expect("a call");
    let name = match &call.callee {
        Callee::Op(n) => format!("op {n}"),
        Callee::Func(n) => format!("fn {n}"),
        Callee::Tir(n) => format!("tir {n}"),
        Callee::Extern(n) => format!("extern {n}"),
    };
    (name, call.args.clone())
}

#[test]
fn infix_operators_call_operators_by_precedence() {
    let e = first_value("let v = x + x * x == x - x / x;\nv");
    let (name, args) = callee_and_args(&e);
    assert_eq!(name, "op equal");
    assert_eq!(callee_and_args(&args[0]).0, "op add");
    assert_eq!(callee_and_args(&callee_and_args(&args[0]).1[1]).0, "op mul");
    assert_eq!(callee_and_args(&args[1]).0, "op sub");
    for (symbol, op) in
        [("!=", "not_equal"), ("<", "less"), ("<=", "less_equal"), (">", "greater"), (">=", "greater_equal")]
    {
        assert_eq!(callee_and_args(&first_value(&format!("let v = x {symbol} x;\nv"))).0, format!("op {op}"));
    }
}

#[test]
fn subtraction_is_left_associative_and_parentheses_are_kept_only_where_needed() {
    assert_eq!(reprinted("x - x - x"), "x - x - x");
    assert_eq!(reprinted("x - (x - x)"), "x - (x - x)");
    assert_eq!(reprinted("((x * x)) + (x)"), "x * x + x");
    assert_eq!(reprinted("(x + x) * -(x + x)"), "(x + x) * -(x + x)");
    assert_eq!(reprinted("(x < x) == (x > x)"), "(x < x) == (x > x)");
    assert_eq!(reprinted("(x + x).0"), "(x + x).0");
}

#[test]
fn minus_before_a_number_is_a_negative_literal() {
    assert_eq!(first_value("let v = -2.5;\nv").kind, ExprKind::Literal(Literal::Float(-2.5)));
    assert_eq!(first_value("let v = - 3;\nv").kind, ExprKind::Literal(Literal::Int(-3)));
    let (name, args) = callee_and_args(&first_value("let v = -x;\nv"));
    assert_eq!((name.as_str(), args[0].kind.clone()), ("op neg", ExprKind::Var("x".into())));
    let (name, args) = callee_and_args(&first_value("let v = -(2);\nv"));
    assert_eq!((name.as_str(), args[0].kind.clone()), ("op neg", ExprKind::Literal(Literal::Int(2))));
    assert_eq!(reprinted("-(2)"), "-(2)");
    assert_eq!(reprinted("x - -1"), "x - -1");
}

#[test]
fn literals_and_their_dtypes() {
    let cases = [
        ("3", ExprKind::Literal(Literal::Int(3))),
        ("2.0", ExprKind::Literal(Literal::Float(2.0))),
        ("1e-5", ExprKind::Literal(Literal::Float(1e-5))),
        ("true", ExprKind::Literal(Literal::Bool(true))),
        ("-inf", ExprKind::Literal(Literal::Float(f64::NEG_INFINITY))),
        ("2.0f32", ExprKind::TypedLiteral(Literal::Float(2.0), DType::F32)),
        ("0.1f32", ExprKind::TypedLiteral(Literal::Float(f64::from(0.1f32)), DType::F32)),
        ("0.1f64", ExprKind::TypedLiteral(Literal::Float(0.1), DType::F64)),
        ("3i64", ExprKind::TypedLiteral(Literal::Int(3), DType::I64)),
        ("3f32", ExprKind::TypedLiteral(Literal::Int(3), DType::F32)),
        ("-128i8", ExprKind::TypedLiteral(Literal::Int(-128), DType::I8)),
        ("0.1 as f32", ExprKind::TypedLiteral(Literal::Float(0.1), DType::F32)),
        ("false as bool", ExprKind::TypedLiteral(Literal::Bool(false), DType::Bool)),
        ("-inf as f32", ExprKind::TypedLiteral(Literal::Float(f64::NEG_INFINITY), DType::F32)),
    ];
    for (text, kind) in cases {
        assert_eq!(first_value(&format!("let v = {text};\nv")).kind, kind, "{text}");
    }
    assert!(matches!(first_value("let v = nan;\nv").kind, ExprKind::Literal(Literal::Float(v)) if v.is_nan()));
    assert_eq!(reprinted("nan"), "nan");
    assert_eq!(reprinted("0.1 as f32"), "0.1 as f32");
    assert_eq!(reprinted("0.5 as f32"), "0.5f32");
    assert_eq!(reprinted("1_000"), "1000");
}

#[test]
fn tuples_and_tuple_access() {
    assert_eq!(first_value("let v = ();\nv").kind, ExprKind::Tuple(vec![]));
    let ExprKind::Tuple(one) = first_value("let v = (x,);\nv").kind else { panic!("a tuple") };
    assert_eq!(one.len(), 1);
    assert_eq!(first_value("let v = (x);\nv").kind, ExprKind::Var("x".into()));
    // Rust reads `t.0.1` as `t`, `.`, `0.1`; both spellings are two accesses.
    for text in ["x.0.1", "x . 0.1", "x.0 .1"] {
        let e = first_value(&format!("let v = {text};\nv"));
        let ExprKind::GetItem(inner, 1) = e.kind else { panic!("{text}: outer index 1") };
        assert!(matches!(inner.kind, ExprKind::GetItem(_, 0)), "{text}");
    }
    assert_eq!(reprinted("x.0.1"), "x.0.1");
}

#[test]
fn calls_resolve_to_functions_of_the_module_or_operators() {
    let src = r#"mod m {
    fn f(x: Tensor<[2], f32>) {
        g(relu(x))
    }

    fn g(y: Tensor<[2], f32>) {
        y
    }
}
"#;
    let m = parse(src);
    let (name, args) = callee_and_args(&m.functions[0].body.result);
    assert_eq!(name, "fn g");
    assert_eq!(callee_and_args(&args[0]).0, "op relu");
    assert_eq!(m.functions[0].ret, StructInfo::Unknown);
    assert_eq!(print_module(&m), src);
}

#[test]
fn attributes_take_every_value_kind() {
    let e = first_value(
        r#"let v = op(x, x, i = -1, f = 0.5, b = true, s = "a\"b", d = f64, l = [n, 2 * n - 1, -1], e = [], g = -inf);
v"#,
    );
    let call = e.as_call().unwrap();
    assert_eq!(call.args.len(), 2);
    let n = || Dim::var("n");
    let expected = [
        ("i", AttrValue::Int(-1)),
        ("f", AttrValue::Float(0.5)),
        ("b", AttrValue::Bool(true)),
        ("s", AttrValue::Str("a\"b".into())),
        ("d", AttrValue::DType(DType::F64)),
        ("l", AttrValue::Dims(vec![n(), Dim::Int(2) * n() - 1, Dim::Int(-1)])),
        ("e", AttrValue::Dims(vec![])),
        ("g", AttrValue::Float(f64::NEG_INFINITY)),
    ];
    let got: Vec<(&str, &AttrValue)> = call.attrs.0.iter().map(|(k, v)| (k.as_str(), v)).collect();
    assert_eq!(got, expected.iter().map(|(k, v)| (*k, v)).collect::<Vec<_>>());
}

#[test]
fn struct_info_and_dims() {
    let src = r#"mod m {
    fn f(a: Tensor<[], bool>, b: (Tensor<[n], i8>, (Tensor<[1], u8>,)), c: _) -> () {
        let d: Tensor<[(h - 3) / 2 + 1, w % 4, min(h, 8), max(w * 2, h)], i64> = c;
        ()
    }
}
"#;
    let m = parse(src);
    let f = &m.functions[0];
    assert_eq!(f.params[0].sinfo, StructInfo::tensor(DType::Bool, vec![]));
    let StructInfo::Tuple(items) = &f.params[1].sinfo else { panic!("a tuple") };
    assert_eq!(items[1], StructInfo::Tuple(vec![StructInfo::tensor(DType::U8, vec![Dim::Int(1)])]));
    assert_eq!(f.params[2].sinfo, StructInfo::Unknown);
    assert_eq!(f.ret, StructInfo::Tuple(vec![]));
    let d = &f.body.bindings().next().unwrap().var.sinfo;
    let (h, w) = (Dim::var("h"), Dim::var("w"));
    let expected = vec![(h.clone() - 3).floor_div(2) + 1, w.clone().floor_mod(4), h.clone().min(8), (w * 2).max(h)];
    assert_eq!(d.as_tensor().unwrap().shape, expected);
    assert_eq!(print_module(&m), src);
}

#[test]
fn shapes_are_kept_as_written() {
    let src = module_with_body("let v: Tensor<[2 * n + 0], f32> = x;\nv");
    let m = parse(&src);
    let v = &m.functions[0].body.bindings().next().unwrap().var;
    assert_eq!(v.sinfo.as_tensor().unwrap().shape, vec![Dim::Int(2) * Dim::var("n") + 0]);
}

#[test]
fn blocks_bindings_and_match_cast() {
    let body = r#"        let a = x;
        let b = a;
        dataflow {
            let c = b;
            let d = match_cast(c, Tensor<[m], f32>);
            output d;
        }
        dataflow {
            let e = d;
        }
        let f: Tensor<[m], f32> = d;
        f"#;
    let m = parse(&module_with_body(body));
    let blocks = &m.functions[0].body.blocks;
    let shape: Vec<(bool, usize, Vec<String>)> =
        blocks.iter().map(|b| (b.dataflow, b.bindings.len(), b.outputs.clone())).collect();
    assert_eq!(shape, vec![(false, 2, vec![]), (true, 2, vec!["d".into()]), (true, 1, vec![]), (false, 1, vec![])]);
    let cast = &blocks[1].bindings[1];
    assert_eq!(cast.cast, Some(StructInfo::tensor(DType::F32, vec![Dim::var("m")])));
    assert_eq!(cast.value.kind, ExprKind::Var("c".into()));
    assert_eq!(cast.var.sinfo, StructInfo::Unknown);
    assert_eq!(print_module(&m), module_with_body(body));
}

#[test]
fn if_expressions_take_blocks_and_else_if() {
    let e = first_value("let v = if x { let a = x; a } else if x { x } else { x };\nv");
    let ExprKind::If { cond, then_branch, else_branch } = e.kind else { panic!("an if") };
    assert_eq!(cond.kind, ExprKind::Var("x".into()));
    assert_eq!(then_branch.blocks.len(), 1);
    assert!(else_branch.blocks.is_empty());
    assert!(matches!(else_branch.result.kind, ExprKind::If { .. }));
}

#[test]
fn special_forms_and_constants() {
    let src = r#"mod m {
    fn f(x: Tensor<[n], f32>) {
        let a = call_tir(k, [x, self::w], (Tensor<[n], f32>, Tensor<[n], f32>), dims = [n, n * 2], mode = "fast");
        let b = call_extern("sym", [], _);
        b
    }

    prim fn k(a: Buffer<[n], f32>, b: Buffer<[n], f32>) -> (c: Buffer<[n], f32>, d: Buffer<[n], f32>) dims(n) {
    }
}
"#;
    let m = parse(src);
    let bindings: Vec<_> = m.functions[0].body.bindings().collect();
    let tir = bindings[0].value.as_call().unwrap();
    assert_eq!(tir.callee, Callee::Tir("k".into()));
    assert_eq!(tir.args[1].kind, ExprKind::Constant("w".into()));
    assert_eq!(tir.tir_dims, vec![Dim::var("n"), Dim::var("n") * 2]);
    assert_eq!(tir.attrs.get("mode"), Some(&AttrValue::Str("fast".into())));
    assert!(matches!(tir.out_sinfo, Some(StructInfo::Tuple(_))));
    let ext = bindings[1].value.as_call().unwrap();
    assert_eq!((ext.callee.clone(), ext.out_sinfo.clone()), (Callee::Extern("sym".into()), None));
    assert_eq!(print_module(&m), src);
}

#[test]
fn module_attributes_items_and_declarations() {
    let src = r#"/// The model.
#[doc = "more"]
#[weights = "w.safetensors"]
mod m {
    const c: Tensor<[2, 2], bool> = [true, false, false, true];
    /// A weight.
    const w: Tensor<[64, n], f32>;

    #[private]
    #[workspace(bytes = n * 8, lv0 = 0, bytes = n * 4)]
    fn f(x: Tensor<[n], f32>) {
        x
    }

    fn g(x: Tensor<[n], f32>) {
        x
    }
}
"#;
    let (m, decls) = parse_module_with_decls(src).unwrap();
    assert_eq!(m.weights_path.as_deref(), Some("w.safetensors"));
    assert_eq!(m.constants["c"].at(&[1, 0]), crate::ndarray::Scalar::B(false));
    assert_eq!(decls.len(), 1);
    let (name, sinfo, span) = &decls[0];
    assert_eq!(name, "w");
    assert_eq!(sinfo, &StructInfo::tensor(DType::F32, vec![Dim::Int(64), Dim::var("n")]));
    assert_eq!(&src[span.start as usize..span.end as usize], "const w: Tensor<[64, n], f32>;");
    let n = || Dim::var("n");
    let plan =
        MemoryPlan { workspace_bytes: n() * 8, offsets: vec![("lv0".into(), Dim::Int(0)), ("bytes".into(), n() * 4)] };
    assert_eq!((m.functions[0].public, m.functions[0].memory.clone()), (false, Some(plan)));
    assert_eq!((m.functions[1].public, m.functions[1].memory.clone()), (true, None));
}

#[test]
fn comments_and_layout_do_not_matter() {
    let tidy = module_with_body("let v = add(x, x);\nv");
    let messy = "mod m{fn f(x:Tensor<[n],f32>)->Tensor<[n],f32>{/* c */let v=add(x,// c\nx);v}}";
    assert_eq!(without_spans(parse(messy)), without_spans(parse(&tidy)));
    // `f32>=` is `>` then `=`, as in Rust.
    let tight = module_with_body("let v: Tensor<[n], f32>= x;\nv");
    assert_eq!(
        parse(&tight).functions[0].body.bindings().next().unwrap().var.sinfo.as_tensor().unwrap().dtype,
        DType::F32
    );
}

#[test]
fn spans_cover_the_source_text_of_each_node() {
    let src = MLP_LIKE;
    let m = parse(src);
    let text = |span: Span| &src[span.start as usize..span.end as usize];
    let f = &m.functions[0];
    assert!(text(f.span).starts_with("fn forward(") && text(f.span).ends_with("}"));
    assert_eq!(text(f.params[0].span), "x: Tensor<[n, 64], f32>");
    let block = &f.body.blocks[0];
    assert!(text(block.span).starts_with("dataflow {") && text(block.span).ends_with("output y;\n        }"));
    let b = &block.bindings[0];
    assert_eq!(text(b.span), "let h: Tensor<[n, 32], f32> = relu(matmul(x, w1) + b1);");
    assert_eq!(text(b.var.span), "h: Tensor<[n, 32], f32>");
    assert_eq!(text(b.value.span), "relu(matmul(x, w1) + b1)");
    let sum = &b.value.as_call().unwrap().args[0];
    assert_eq!(text(sum.span), "matmul(x, w1) + b1");
    assert_eq!(text(sum.as_call().unwrap().args[1].span), "b1");
    let y = &block.bindings[1].value.as_call().unwrap();
    assert_eq!(text(y.args[0].span), "(-h).1");
    assert_eq!(text(y.args[1].span), "-2.0");
    assert_eq!(text(f.body.result.span), "y");
}

const MLP_LIKE: &str = "mod m {
    fn forward(x: Tensor<[n, 64], f32>) -> Tensor<[n, 10], f32> {
        dataflow {
            let h: Tensor<[n, 32], f32> = relu(matmul(x, w1) + b1);
            let y = f((-h).1, -2.0);
            output y;
        }
        y
    }
}
";
