//! One ONNX node at a time: each converter's result, run through every pass
//! (`verify::check_passes`), against values computed here from the ONNX
//! definition with plain Rust arithmetic.

mod common;

use common::{run_node, single_node};
use relax_compiler::frontend::onnx::builder::{
    attr_float, attr_int, attr_ints, attr_string, attr_tensor, node, GraphBuilder,
};
use relax_compiler::frontend::onnx::proto::{Message, NodeProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::{run_function, Value};
use relax_compiler::ir::Dim;
use relax_compiler::NDArray;
use relax_rt::DType;
use std::path::Path;

/// Like [`run_node`], in the interpreter only: for results the passes
/// cannot take through (see the Dropout mask below).
fn run_unchecked(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> Vec<NDArray> {
    let bytes = single_node(node, args, &[]).model(opset).encode_to_vec();
    let module =
        import_bytes(&bytes, Path::new("."), "single", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let inputs = args.iter().map(|(_, a)| Value::Tensor((*a).clone())).collect();
    run_function(&module, "forward", inputs).unwrap_or_else(|e| panic!("{e}")).tensors().into_iter().cloned().collect()
}

fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F32, shape, values)
}

fn i64s(shape: &[usize], values: &[i64]) -> NDArray {
    NDArray::from_i64_values(DType::I64, shape, values)
}

fn bools(values: &[bool]) -> NDArray {
    NDArray::from_i64_values(DType::Bool, &[values.len()], &values.iter().map(|&b| b as i64).collect::<Vec<_>>())
}

fn random(shape: &[usize], seed: u64) -> NDArray {
    NDArray::random(DType::F32, shape, seed)
}

/// `f` on every element of `x` (as f64), in `x`'s dtype and shape.
fn map(x: &NDArray, f: impl Fn(f64) -> f64) -> NDArray {
    NDArray::from_f64_values(x.dtype(), x.shape(), &(0..x.numel()).map(|i| f(x.get(i).to_f64())).collect::<Vec<_>>())
}

fn assert_close(got: &NDArray, want: &NDArray) {
    got.assert_close(want, 1e-5, 1e-6).unwrap_or_else(|e| panic!("{e}"));
}

/// An operator and the scalar function it computes.
type UnaryCase<'a> = (&'a str, &'a NDArray, fn(f64) -> f64);
type BinaryCase<'a> = (&'a str, fn(f64, f64) -> f64);
/// An opset, a node and the scalar function it computes.
type NodeCase = (i64, NodeProto, fn(f64) -> f64);

fn unary(opset: i64, n: NodeProto, x: &NDArray) -> NDArray {
    run_node(opset, n, &[("x", x)], &[]).remove(0)
}

#[test]
fn unary_math_follows_the_definitions() {
    let x = f32s(&[2, 3], &[-1.5, -0.25, 0.0, 0.5, 1.0, 2.5]);
    let positive = map(&x, |v| v.abs() + 0.5);
    let cases: &[UnaryCase] = &[
        ("Neg", &x, |v| -v),
        ("Abs", &x, f64::abs),
        ("Exp", &x, f64::exp),
        ("Log", &positive, f64::ln),
        ("Sqrt", &positive, f64::sqrt),
        ("Reciprocal", &positive, |v| 1.0 / v),
        ("Tanh", &x, f64::tanh),
        ("Sigmoid", &x, |v| 1.0 / (1.0 + (-v).exp())),
        ("Relu", &x, |v| v.max(0.0)),
        ("Floor", &x, f64::floor),
        ("Ceil", &x, f64::ceil),
        ("Round", &x, |v| if (v - v.trunc()).abs() == 0.5 { 2.0 * (v / 2.0).round() } else { v.round() }),
        ("Sin", &x, f64::sin),
        ("Cos", &x, f64::cos),
        ("Sign", &x, |v| if v == 0.0 { 0.0 } else { v.signum() }),
        ("Softplus", &x, |v| (v.exp() + 1.0).ln()),
    ];
    for (op, input, f) in cases {
        assert_close(&unary(13, node(op, &["x"], &["y"]), input), &map(input, f));
    }
    let erf = unary(13, node("Erf", &["x"], &["y"]), &f32s(&[2], &[0.5, 0.0]));
    assert_close(&erf, &f32s(&[2], &[0.520_499_877_813_046_5, 0.0]));
}

#[test]
fn activations_with_attributes() {
    let x = f32s(&[5], &[-2.0, -0.5, 0.0, 0.5, 2.0]);
    let leaky = node("LeakyRelu", &["x"], &["y"]).with_attr(attr_float("alpha", 0.1));
    assert_close(&unary(13, leaky, &x), &map(&x, |v| if v < 0.0 { 0.1 * v } else { v }));
    let elu = node("Elu", &["x"], &["y"]).with_attr(attr_float("alpha", 0.5));
    assert_close(&unary(13, elu, &x), &map(&x, |v| if v < 0.0 { 0.5 * (v.exp() - 1.0) } else { v }));
    let (alpha, gamma) = (1.673_263_192_176_818_8, 1.050_701_022_148_132_3);
    let selu = |v: f64| gamma * if v <= 0.0 { alpha * (v.exp() - 1.0) } else { v };
    assert_close(&unary(13, node("Selu", &["x"], &["y"]), &x), &map(&x, selu));
    let hard = node("HardSigmoid", &["x"], &["y"]).with_attr(attr_float("alpha", 0.25));
    assert_close(&unary(13, hard, &x), &map(&x, |v| (0.25 * v + 0.5).clamp(0.0, 1.0)));
    let gelu_exact = |v: f64| if v == 0.5 { 0.5 * 0.691_462_461_274_013_1 } else { v };
    let gelu = unary(20, node("Gelu", &["x"], &["y"]), &f32s(&[1], &[0.5]));
    assert_close(&gelu, &map(&f32s(&[1], &[0.5]), gelu_exact));
    let tanh_form =
        |v: f64| 0.5 * v * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v.powi(3))).tanh());
    let gelu_tanh = node("Gelu", &["x"], &["y"]).with_attr(attr_string("approximate", "tanh"));
    assert_close(&unary(20, gelu_tanh, &x), &map(&x, tanh_form));
    let slope = f32s(&[1], &[0.25]);
    let prelu = run_node(13, node("PRelu", &["x", "slope"], &["y"]), &[("x", &x)], &[("slope", &slope)]);
    assert_close(&prelu[0], &map(&x, |v| if v < 0.0 { 0.25 * v } else { v }));
}

#[test]
fn binary_and_variadic_arithmetic_broadcast() {
    let a = random(&[2, 3], 1);
    let b = map(&random(&[3], 2), |v| v + 2.0);
    let pairs: &[BinaryCase] =
        &[("Add", |x, y| x + y), ("Sub", |x, y| x - y), ("Mul", |x, y| x * y), ("Div", |x, y| x / y)];
    let expect = |f: &dyn Fn(f64, f64) -> f64| {
        NDArray::from_fn(DType::F32, &[2, 3], |i| {
            relax_compiler::Scalar::F(f(a.get(i).to_f64(), b.get(i % 3).to_f64()))
        })
    };
    for (op, f) in pairs {
        let got = run_node(13, node(op, &["a", "b"], &["y"]), &[("a", &a), ("b", &b)], &[]);
        assert_close(&got[0], &expect(f));
    }
    let pow = run_node(13, node("Pow", &["a", "e"], &["y"]), &[("a", &map(&a, f64::abs))], &[("e", &i64s(&[], &[3]))]);
    assert_close(&pow[0], &map(&a, |v| v.abs().powi(3)));
    let c = random(&[2, 3], 3);
    let three = [("a", &a), ("c", &c)];
    let elementwise = |f: fn(f64, f64) -> f64| {
        NDArray::from_fn(DType::F32, &[2, 3], |i| relax_compiler::Scalar::F(f(a.get(i).to_f64(), c.get(i).to_f64())))
    };
    let max = run_node(13, node("Max", &["a", "c", "a"], &["y"]), &three, &[]);
    assert_close(&max[0], &elementwise(f64::max));
    let mean = run_node(13, node("Mean", &["a", "c"], &["y"]), &three, &[]);
    assert_close(&mean[0], &elementwise(|x, y| (x + y) / 2.0));
    let sum = run_node(13, node("Sum", &["a", "c", "c"], &["y"]), &three, &[]);
    assert_close(&sum[0], &elementwise(|x, y| x + 2.0 * y));
}

#[test]
fn mod_follows_fmod() {
    let a = i64s(&[4], &[7, -7, 7, -7]);
    let b = i64s(&[4], &[3, 3, -3, -3]);
    let floor = run_node(13, node("Mod", &["a", "b"], &["y"]), &[("a", &a), ("b", &b)], &[]);
    assert_eq!(floor[0], i64s(&[4], &[1, 2, -2, -1]));
    let c_style = node("Mod", &["a", "b"], &["y"]).with_attr(attr_int("fmod", 1));
    let trunc = run_node(13, c_style, &[("a", &a), ("b", &b)], &[]);
    assert_eq!(trunc[0], i64s(&[4], &[1, -1, 1, -1]));
}

#[test]
fn comparisons_logic_and_where() {
    let a = f32s(&[4], &[1.0, 2.0, 3.0, 4.0]);
    let b = f32s(&[4], &[2.0, 2.0, 2.0, 5.0]);
    let args = [("a", &a), ("b", &b)];
    let cases: &[(&str, [bool; 4])] = &[
        ("Equal", [false, true, false, false]),
        ("Less", [true, false, false, true]),
        ("LessOrEqual", [true, true, false, true]),
        ("Greater", [false, false, true, false]),
        ("GreaterOrEqual", [false, true, true, false]),
    ];
    for (op, want) in cases {
        assert_eq!(run_node(13, node(op, &["a", "b"], &["y"]), &args, &[])[0], bools(want), "{op}");
    }
    let p = bools(&[false, false, true, true]);
    let q = bools(&[false, true, false, true]);
    let logic = [("p", &p), ("q", &q)];
    assert_eq!(run_node(13, node("And", &["p", "q"], &["y"]), &logic, &[])[0], bools(&[false, false, false, true]));
    assert_eq!(run_node(13, node("Or", &["p", "q"], &["y"]), &logic, &[])[0], bools(&[false, true, true, true]));
    assert_eq!(run_node(13, node("Xor", &["p", "q"], &["y"]), &logic, &[])[0], bools(&[false, true, true, false]));
    assert_eq!(run_node(13, node("Not", &["p"], &["y"]), &logic[..1], &[])[0], bools(&[true, true, false, false]));
    let chosen = run_node(13, node("Where", &["p", "a", "b"], &["y"]), &[("p", &p), ("a", &a), ("b", &b)], &[]);
    assert_close(&chosen[0], &f32s(&[4], &[2.0, 2.0, 3.0, 4.0]));
}

#[test]
fn clip_bounds_from_attributes_constants_and_run_time_inputs() {
    let x = f32s(&[4], &[-3.0, -0.5, 0.5, 3.0]);
    let want = f32s(&[4], &[-1.0, -0.5, 0.5, 2.0]);
    let old = node("Clip", &["x"], &["y"]).with_attr(attr_float("min", -1.0)).with_attr(attr_float("max", 2.0));
    assert_close(&unary(7, old, &x), &want);
    let (lo, hi) = (f32s(&[], &[-1.0]), f32s(&[], &[2.0]));
    let new = node("Clip", &["x", "lo", "hi"], &["y"]);
    assert_close(&run_node(13, new.clone(), &[("x", &x)], &[("lo", &lo), ("hi", &hi)])[0], &want);
    assert_close(&run_node(13, new, &[("x", &x), ("lo", &lo), ("hi", &hi)], &[])[0], &want);
    let upper_only = node("Clip", &["x", "", "hi"], &["y"]);
    assert_close(&run_node(13, upper_only, &[("x", &x)], &[("hi", &hi)])[0], &map(&x, |v| v.min(2.0)));
}

#[test]
fn casts() {
    let x = f32s(&[3], &[-1.7, 0.2, 2.9]);
    let to_int = node("Cast", &["x"], &["y"]).with_attr(attr_int("to", 7));
    assert_eq!(unary(13, to_int, &x), i64s(&[3], &[-1, 0, 2]));
    let like = run_node(15, node("CastLike", &["x", "t"], &["y"]), &[("x", &x)], &[("t", &i64s(&[1], &[0]))]);
    assert_eq!(like[0], i64s(&[3], &[-1, 0, 2]));
}

#[test]
fn softmax_before_opset_13_normalizes_flattened_rows() {
    let x = random(&[2, 3, 4], 5);
    let old = unary(11, node("Softmax", &["x"], &["y"]).with_attr(attr_int("axis", 1)), &x);
    let new = unary(13, node("LogSoftmax", &["x"], &["y"]), &x);
    let (mut old_want, mut new_want) = (vec![], vec![]);
    for row in x_rows(&x, 12) {
        let total: f64 = row.iter().map(|v| v.exp()).sum();
        old_want.extend(row.iter().map(|v| v.exp() / total));
    }
    for row in x_rows(&x, 4) {
        let total: f64 = row.iter().map(|v| v.exp()).sum();
        new_want.extend(row.iter().map(|v| v - total.ln()));
    }
    assert_close(&old, &f32s(&[2, 3, 4], &old_want));
    assert_close(&new, &f32s(&[2, 3, 4], &new_want));
}

/// The elements of `x` in rows of `len`.
fn x_rows(x: &NDArray, len: usize) -> Vec<Vec<f64>> {
    (0..x.numel() / len).map(|r| (0..len).map(|k| x.get(r * len + k).to_f64()).collect()).collect()
}

#[test]
fn layer_normalization_and_dropout() {
    let x = random(&[2, 4], 6);
    let (scale, bias) = (random(&[4], 7), random(&[4], 8));
    let ln = node("LayerNormalization", &["x", "scale", "bias"], &["y"]).with_attr(attr_float("epsilon", 1e-3));
    let got = run_node(17, ln, &[("x", &x)], &[("scale", &scale), ("bias", &bias)]);
    let mut want = vec![];
    for row in x_rows(&x, 4) {
        let mean = row.iter().sum::<f64>() / 4.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        let eps = 1e-3f32 as f64;
        want.extend(
            row.iter()
                .enumerate()
                .map(|(k, v)| (v - mean) / (var + eps).sqrt() * scale.get(k).to_f64() + bias.get(k).to_f64()),
        );
    }
    assert_close(&got[0], &f32s(&[2, 4], &want));
    let dropped = run_node(13, node("Dropout", &["x"], &["y"]), &[("x", &x)], &[]);
    assert_close(&dropped[0], &x);
    // The mask is a constant, and native entries cannot return constants yet.
    let with_mask = run_unchecked(13, node("Dropout", &["x"], &["y", "mask"]), &[("x", &x)]);
    assert_eq!(with_mask[1], NDArray::from_fn(DType::Bool, &[2, 4], |_| relax_compiler::Scalar::B(true)));
}

#[test]
fn average_pool_with_padding_and_global_max_pool() {
    let x = random(&[1, 1, 3, 3], 9);
    let pool = node("AveragePool", &["x"], &["y"])
        .with_attr(attr_ints("kernel_shape", &[2, 2]))
        .with_attr(attr_ints("pads", &[1, 1, 0, 0]))
        .with_attr(attr_int("count_include_pad", 1));
    let got = unary(13, pool, &x);
    let v = |r: i64, c: i64| if r < 0 || c < 0 { 0.0 } else { x.at(&[0, 0, r as usize, c as usize]).to_f64() };
    let want: Vec<f64> = (0..3)
        .flat_map(|r| (0..3).map(move |c| (r, c)))
        .map(|(r, c)| (v(r - 1, c - 1) + v(r - 1, c) + v(r, c - 1) + v(r, c)) / 4.0)
        .collect();
    assert_close(&got, &f32s(&[1, 1, 3, 3], &want));
    let global = unary(13, node("GlobalMaxPool", &["x"], &["y"]), &x);
    let max = (0..9).map(|i| x.get(i).to_f64()).fold(f64::MIN, f64::max);
    assert_close(&global, &f32s(&[1, 1, 1, 1], &[max]));
}

#[test]
fn reductions_in_attribute_and_input_forms() {
    let x = random(&[2, 3], 10);
    let rows = x_rows(&x, 3);
    let mean = node("ReduceMean", &["x"], &["y"]).with_attr(attr_ints("axes", &[1]));
    assert_close(
        &unary(13, mean, &x),
        &f32s(&[2, 1], &rows.iter().map(|r| r.iter().sum::<f64>() / 3.0).collect::<Vec<_>>()),
    );
    let sum = node("ReduceSum", &["x", "axes"], &["y"]).with_attr(attr_int("keepdims", 0));
    let got = run_node(13, sum, &[("x", &x)], &[("axes", &i64s(&[1], &[0]))]);
    assert_close(&got[0], &f32s(&[3], &(0..3).map(|c| rows[0][c] + rows[1][c]).collect::<Vec<_>>()));
    let noop = node("ReduceMax", &["x"], &["y"]).with_attr(attr_int("noop_with_empty_axes", 1));
    assert_close(&unary(18, noop, &x), &x);
    let all = unary(18, node("ReduceL2", &["x"], &["y"]).with_attr(attr_int("keepdims", 0)), &x);
    assert_close(&all, &f32s(&[], &[(0..6).map(|i| x.get(i).to_f64().powi(2)).sum::<f64>().sqrt()]));
    let argmax = node("ArgMax", &["x"], &["y"]).with_attr(attr_int("axis", 1)).with_attr(attr_int("keepdims", 0));
    let want: Vec<i64> =
        rows.iter().map(|r| (0..3).fold(0, |best, k| if r[k] > r[best] { k } else { best }) as i64).collect();
    assert_eq!(unary(13, argmax, &x), i64s(&[2], &want));
}

#[test]
fn data_movement() {
    let x = random(&[2, 3], 11);
    let t = unary(13, node("Transpose", &["x"], &["y"]), &x);
    assert_eq!(t, NDArray::from_fn(DType::F32, &[3, 2], |i| x.at(&[i % 2, i / 2])));
    let u = unary(11, node("Unsqueeze", &["x"], &["y"]).with_attr(attr_ints("axes", &[0, 3])), &x);
    assert_eq!(u, x.reshaped(&[1, 2, 3, 1]));
    let s = run_node(13, node("Squeeze", &["u", "axes"], &["y"]), &[("u", &u)], &[("axes", &i64s(&[2], &[0, -1]))]);
    assert_eq!(s[0], x);
    let c = run_node(13, node("Concat", &["x", "x"], &["y"]).with_attr(attr_int("axis", 1)), &[("x", &x)], &[]);
    assert_eq!(c[0], NDArray::from_fn(DType::F32, &[2, 6], |i| x.at(&[i / 6, i % 6 % 3])));
    let rev = node("Slice", &["x", "starts", "ends", "axes", "steps"], &["y"]);
    let consts = [
        ("starts", &i64s(&[1], &[-1])),
        ("ends", &i64s(&[1], &[i64::MIN])),
        ("axes", &i64s(&[1], &[1])),
        ("steps", &i64s(&[1], &[-2])),
    ];
    let sliced = run_node(13, rev, &[("x", &x)], &consts);
    assert_eq!(sliced[0], NDArray::from_fn(DType::F32, &[2, 2], |i| x.at(&[i / 2, 2 - 2 * (i % 2)])));
    let g = run_node(
        13,
        node("Gather", &["x", "idx"], &["y"]).with_attr(attr_int("axis", 1)),
        &[("x", &x)],
        &[("idx", &i64s(&[2], &[2, -3]))],
    );
    assert_eq!(g[0], NDArray::from_fn(DType::F32, &[2, 2], |i| x.at(&[i / 2, if i % 2 == 0 { 2 } else { 0 }])));
    let e = run_node(13, node("Expand", &["x", "shape"], &["y"]), &[("x", &x)], &[("shape", &i64s(&[3], &[2, 1, 1]))]);
    assert_eq!(e[0], NDArray::from_fn(DType::F32, &[2, 2, 3], |i| x.get(i % 6)));
}

#[test]
fn splits() {
    let x = random(&[10], 12);
    let parts = |g: &[NDArray]| g.iter().map(|p| p.numel()).collect::<Vec<_>>();
    let even = node("Split", &["x"], &["a", "b", "c"]).with_attr(attr_int("num_outputs", 3));
    let got = run_node(18, even, &[("x", &x)], &[]);
    assert_eq!(parts(&got), [4, 4, 2]);
    assert_eq!(got[2], NDArray::from_fn(DType::F32, &[2], |i| x.get(8 + i)));
    let sized = node("Split", &["x", "sizes"], &["a", "b"]);
    let got = run_node(13, sized, &[("x", &x)], &[("sizes", &i64s(&[2], &[3, 7]))]);
    assert_eq!(parts(&got), [3, 7]);
    assert_eq!(got[1], NDArray::from_fn(DType::F32, &[7], |i| x.get(3 + i)));
    let attr_form = node("Split", &["x"], &["a", "b"]).with_attr(attr_ints("split", &[6, 4]));
    assert_eq!(parts(&run_node(11, attr_form, &[("x", &x)], &[])), [6, 4]);
}

#[test]
fn constant_generators() {
    let x = random(&[2, 5], 13);
    let size_and_shape = GraphBuilder::new("g")
        .input("x", DType::F32, &[Dim::Int(2), Dim::Int(5)])
        .node(node("Shape", &["x"], &["tail"]).with_attr(attr_int("start", -1)))
        .node(node("ConstantOfShape", &["tail"], &["filled"]).with_attr(attr_tensor("value", &i64s(&[1], &[7]))))
        .node(node("Size", &["x"], &["n"]))
        .node(node("Constant", &[], &["one"]).with_attr(attr_int("value_int", 1)))
        .node(node("Range", &["one", "n", "n"], &["r"]))
        .node(node("Concat", &["filled", "r"], &["y"]).with_attr(attr_int("axis", 0)))
        .output("y")
        .model(15)
        .encode_to_vec();
    let module = import_bytes(&size_and_shape, Path::new("."), "g", &OnnxOptions::default()).unwrap();
    let got = run_function(&module, "forward", vec![Value::Tensor(x)]).unwrap();
    // [7; 5] from the last dim, then range(1, 10, 10) = [1].
    assert_eq!(got.tensors()[0], &i64s(&[6], &[7, 7, 7, 7, 7, 1]));
}

#[test]
fn matmul_of_batched_operands() {
    let (a, b) = (random(&[2, 2, 3], 14), random(&[3, 2], 15));
    let got = run_node(13, node("MatMul", &["a", "b"], &["y"]), &[("a", &a), ("b", &b)], &[]);
    let want = NDArray::from_fn(DType::F32, &[2, 2, 2], |i| {
        let (batch, row, col) = (i / 4, i / 2 % 2, i % 2);
        relax_compiler::Scalar::F((0..3).map(|k| a.at(&[batch, row, k]).to_f64() * b.at(&[k, col]).to_f64()).sum())
    });
    assert_close(&got[0], &want);
}

#[test]
fn composite_activations() {
    let x = f32s(&[6], &[-3.0, -1.0, -0.25, 0.0, 0.75, 4.0]);
    let cases: &[NodeCase] = &[
        (13, node("Softsign", &["x"], &["y"]), |v| v / (1.0 + v.abs())),
        (14, node("HardSwish", &["x"], &["y"]), |v| v * (v / 6.0 + 0.5).clamp(0.0, 1.0)),
        (13, node("ThresholdedRelu", &["x"], &["y"]).with_attr(attr_float("alpha", 0.5)), |v| {
            if v > 0.5 {
                v
            } else {
                0.0
            }
        }),
        (13, node("Celu", &["x"], &["y"]).with_attr(attr_float("alpha", 2.0)), |v| {
            v.max(0.0) + (2.0 * ((v / 2.0).exp() - 1.0)).min(0.0)
        }),
        (18, node("Mish", &["x"], &["y"]), |v| v * ((v.exp() + 1.0).ln()).tanh()),
        (24, node("Swish", &["x"], &["y"]).with_attr(attr_float("alpha", 2.0)), |v| v / (1.0 + (-2.0 * v).exp())),
        (13, node("Tan", &["x"], &["y"]), f64::tan),
    ];
    for (opset, n, f) in cases {
        let op = n.op_type().to_string();
        let got = unary(*opset, n.clone(), &x);
        got.assert_close(&map(&x, f), 1e-5, 1e-6).unwrap_or_else(|e| panic!("{op}: {e}"));
    }
    let special = f32s(&[4], &[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0]);
    assert_eq!(unary(13, node("IsNaN", &["x"], &["y"]), &special), bools(&[true, false, false, false]));
    assert_eq!(unary(13, node("IsInf", &["x"], &["y"]), &special), bools(&[false, true, true, false]));
    let positive_only = node("IsInf", &["x"], &["y"]).with_attr(attr_int("detect_negative", 0));
    assert_eq!(unary(13, positive_only, &special), bools(&[false, true, false, false]));
}

#[test]
fn float_mod_takes_the_divisor_sign_by_default() {
    let a = f32s(&[4], &[-4.5, 4.5, 7.0, -7.0]);
    let b = f32s(&[4], &[2.0, -2.0, 3.0, 3.0]);
    let got = run_node(13, node("Mod", &["a", "b"], &["y"]), &[("a", &a), ("b", &b)], &[]);
    assert_close(&got[0], &f32s(&[4], &[1.5, -1.5, 1.0, 2.0]));
}

#[test]
fn one_dimensional_convolution_and_pooling() {
    let (x, w) = (random(&[1, 2, 7], 20), random(&[3, 2, 3], 21));
    let conv =
        node("Conv", &["x", "w"], &["y"]).with_attr(attr_ints("pads", &[1, 1])).with_attr(attr_ints("strides", &[2]));
    let got = run_node(13, conv, &[("x", &x)], &[("w", &w)]);
    let read = |c: usize, p: i64| if (0..7).contains(&p) { x.at(&[0, c, p as usize]).to_f64() } else { 0.0 };
    let want: Vec<f64> = (0..3)
        .flat_map(|o| (0..4).map(move |t| (o, t)))
        .map(|(o, t)| {
            (0..2)
                .flat_map(|c| (0..3).map(move |k| (c, k)))
                .map(|(c, k)| read(c, 2 * t as i64 + k as i64 - 1) * w.at(&[o, c, k]).to_f64())
                .sum()
        })
        .collect();
    assert_close(&got[0], &f32s(&[1, 3, 4], &want));
    let pool = node("MaxPool", &["x"], &["y"]).with_attr(attr_ints("kernel_shape", &[3]));
    let got = unary(13, pool, &x);
    let want: Vec<f64> = (0..2)
        .flat_map(|c| (0..5).map(move |t| (c, t)))
        .map(|(c, t)| (0..3).map(|k| read(c, (t + k) as i64)).fold(f64::MIN, f64::max))
        .collect();
    assert_close(&got, &f32s(&[1, 2, 5], &want));
}

#[test]
fn arg_reductions_can_pick_the_last_extreme() {
    let x = f32s(&[2, 4], &[1.0, 3.0, 3.0, 0.0, 5.0, 5.0, 5.0, 5.0]);
    let last =
        node("ArgMax", &["x"], &["y"]).with_attr(attr_int("axis", 1)).with_attr(attr_int("select_last_index", 1));
    assert_eq!(unary(13, last, &x), i64s(&[2, 1], &[2, 3]));
    let first = node("ArgMin", &["x"], &["y"]).with_attr(attr_int("axis", -1)).with_attr(attr_int("keepdims", 0));
    assert_eq!(unary(13, first, &x), i64s(&[2], &[3, 0]));
}

#[test]
fn normalization_statistics() {
    let x = random(&[2, 3, 4], 22);
    let scale = random(&[3], 23);
    let bias = random(&[3], 24);
    let ln = node("LayerNormalization", &["x", "gamma"], &["y", "mean", "inv_std"]).with_attr(attr_int("axis", 1));
    let got = run_node(17, ln, &[("x", &x)], &[("gamma", &random(&[3, 4], 25))]);
    let stats: Vec<(f64, f64)> = x_rows(&x, 12)
        .iter()
        .map(|row| {
            let mean = row.iter().sum::<f64>() / 12.0;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 12.0;
            (mean, 1.0 / (var + 1e-5).sqrt())
        })
        .collect();
    assert_close(&got[1], &f32s(&[2, 1, 1], &stats.iter().map(|s| s.0).collect::<Vec<_>>()));
    assert_close(&got[2], &f32s(&[2, 1, 1], &stats.iter().map(|s| s.1).collect::<Vec<_>>()));
    let instance = node("InstanceNormalization", &["x", "scale", "bias"], &["y"]);
    let got = run_node(13, instance, &[("x", &x)], &[("scale", &scale), ("bias", &bias)]);
    let mut want = vec![];
    for (r, row) in x_rows(&x, 4).iter().enumerate() {
        let mean = row.iter().sum::<f64>() / 4.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        let c = r % 3;
        want.extend(
            row.iter().map(|v| (v - mean) / (var + 1e-5).sqrt() * scale.get(c).to_f64() + bias.get(c).to_f64()),
        );
    }
    assert_close(&got[0], &f32s(&[2, 3, 4], &want));
}

#[test]
fn log_sum_exp_is_stable() {
    let x = f32s(&[2, 2], &[1000.0, 1000.0, -1.0, 2.0]);
    let lse =
        node("ReduceLogSumExp", &["x"], &["y"]).with_attr(attr_ints("axes", &[1])).with_attr(attr_int("keepdims", 0));
    let got = unary(13, lse, &x);
    assert_close(&got, &f32s(&[2], &[1000.0 + 2f64.ln(), ((-1f64).exp() + 2f64.exp()).ln()]));
}

#[test]
fn tile_and_constant_pad() {
    let x = f32s(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let tiled = run_node(13, node("Tile", &["x", "r"], &["y"]), &[("x", &x)], &[("r", &i64s(&[2], &[2, 3]))]);
    assert_eq!(tiled[0], NDArray::from_fn(DType::F32, &[4, 6], |i| x.at(&[i / 6 % 2, i % 6 % 2])));
    // One row of 9s on top, the first column cropped away.
    let pads = i64s(&[4], &[1, -1, 0, 0]);
    let value = f32s(&[], &[9.0]);
    let padded =
        run_node(13, node("Pad", &["x", "pads", "v"], &["y"]), &[("x", &x)], &[("pads", &pads), ("v", &value)]);
    assert_eq!(padded[0], f32s(&[3, 1], &[9.0, 2.0, 4.0]));
    let old = node("Pad", &["x"], &["y"]).with_attr(attr_ints("pads", &[0, 1, 0, 2]));
    assert_eq!(unary(7, old, &x), f32s(&[2, 5], &[0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 3.0, 4.0, 0.0, 0.0]));
}
