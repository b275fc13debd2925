//! The converters on small models whose expected outputs were worked out by
//! hand (each test says how). Each model also runs through every compiler
//! pass (`check_passes`), so the legalized kernel is checked too.

use crate::frontend::onnx::builder::{attr_float, attr_floats, attr_int, attr_ints, attr_string, node, GraphBuilder};
use crate::frontend::onnx::proto::{Message, NodeProto};
use crate::frontend::onnx::{import_bytes, OnnxOptions};
use crate::interp::{run_function, Value};
use crate::ir::Dim;
use crate::ndarray::NDArray;
use crate::verify::{check_passes, Tolerance};
use relax_rt::DType;
use std::path::Path;

/// Imports one node over input `x` (with `shape`, possibly symbolic) and
/// initializers `consts`.
fn import(
    opset: i64,
    node: NodeProto,
    shape: &[Dim],
    consts: &[(&str, &NDArray)],
) -> Result<crate::ir::IRModule, String> {
    let mut graph = GraphBuilder::new("g").input("x", DType::F32, shape).output("y");
    for (name, value) in consts {
        graph = graph.initializer(name, value);
    }
    let bytes = graph.node(node).model(opset).encode_to_vec();
    import_bytes(&bytes, Path::new("."), "g", &OnnxOptions::default()).map_err(|e| e.to_string())
}

/// Runs the node on `x` through every pass and returns the result.
fn run(opset: i64, node: NodeProto, x: &NDArray, consts: &[(&str, &NDArray)]) -> NDArray {
    let shape: Vec<Dim> = x.shape().iter().map(|&d| Dim::from(d)).collect();
    let module = import(opset, node, &shape, consts).unwrap();
    let out = run_function(&module, "forward", vec![Value::Tensor(x.clone())]).unwrap();
    check_passes(module, "forward", std::slice::from_ref(x), Tolerance::default()).unwrap();
    out.tensors()[0].clone()
}

fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F32, shape, values)
}

fn iota(shape: &[usize]) -> NDArray {
    let n: usize = shape.iter().product();
    f32s(shape, &(1..=n).map(|v| v as f64).collect::<Vec<_>>())
}

fn assert_near(got: &NDArray, shape: &[usize], want: &[f64]) {
    assert_eq!(got.shape(), shape);
    let values: Vec<f64> = (0..got.numel()).map(|i| got.get(i).to_f64()).collect();
    for (g, w) in values.iter().zip(want) {
        assert!((g - w).abs() < 1e-5, "{values:?} vs {want:?}");
    }
}

#[test]
fn linear_upsample_with_constant_scales() {
    // [1, 2] to four elements in half_pixel is [1, 1.25, 1.75, 2] (coordinates -0.25, 0.25,
    // 0.75, 1.25, clamped); rows blend the same way: row r = row0 + (row1 - row0) * t_r.
    let scales = f32s(&[4], &[1.0, 1.0, 2.0, 2.0]);
    let resize = node("Resize", &["x", "", "scales"], &["y"]).with_attr(attr_string("mode", "linear"));
    let out = run(19, resize, &iota(&[1, 1, 2, 2]), &[("scales", &scales)]);
    let row = |t: f64| [1.0, 1.25, 1.75, 2.0].map(|v| v + 2.0 * t);
    let want = [row(0.0), row(0.25), row(0.75), row(1.0)].concat();
    assert_near(&out, &[1, 1, 4, 4], &want);
}

#[test]
fn sizes_keeping_the_aspect_ratio() {
    // [2, 4] asked for [3, 2] not larger: scale min(1.5, 0.5) = 0.5, output [1, 2]; nearest
    // half_pixel coordinates 2x + 0.5 round (half down) to 0 and 2: elements 1 and 3.
    let sizes = NDArray::from_i64_values(DType::I64, &[2], &[3, 2]);
    let resize = node("Resize", &["x", "", "", "sizes"], &["y"])
        .with_attr(attr_ints("axes", &[2, 3]))
        .with_attr(attr_string("keep_aspect_ratio_policy", "not_larger"));
    let out = run(18, resize, &iota(&[1, 1, 2, 4]), &[("sizes", &sizes)]);
    assert_near(&out, &[1, 1, 1, 2], &[1.0, 3.0]);
}

#[test]
fn tf_crop_and_resize_with_negative_axes() {
    // roi [0.5, 1.5] of [10, 20, 30, 40] into 3: coordinates 1.5 + 1.5 x = 1.5, 3, 4.5; the
    // last lies outside the input and reads the extrapolation value.
    let x = f32s(&[1, 4], &[10., 20., 30., 40.]);
    let roi = f32s(&[2], &[0.5, 1.5]);
    let sizes = NDArray::from_i64_values(DType::I64, &[1], &[3]);
    let resize = node("Resize", &["x", "roi", "", "sizes"], &["y"])
        .with_attr(attr_ints("axes", &[-1]))
        .with_attr(attr_string("mode", "linear"))
        .with_attr(attr_string("coordinate_transformation_mode", "tf_crop_and_resize"))
        .with_attr(attr_float("extrapolation_value", 7.0));
    let out = run(18, resize, &x, &[("roi", &roi), ("sizes", &sizes)]);
    assert_near(&out, &[1, 3], &[25.0, 40.0, 7.0]);
}

#[test]
fn symbolic_batch_with_constant_sizes() {
    // Nearest 2 -> 4 on the last two axes: half_pixel coordinates -0.25, 0.25, 0.75, 1.25
    // round half down and clamp to 0, 0, 1, 1, so every element repeats twice each way.
    let sizes = NDArray::from_i64_values(DType::I64, &[2], &[4, 4]);
    let resize = node("Resize", &["x", "", "", "sizes"], &["y"]).with_attr(attr_ints("axes", &[2, 3]));
    let module = import(19, resize, &[Dim::var("n"), 1.into(), 2.into(), 2.into()], &[("sizes", &sizes)]).unwrap();
    let x = iota(&[2, 1, 2, 2]);
    let out = check_passes(module, "forward", std::slice::from_ref(&x), Tolerance::default()).unwrap();
    let got = run_function(&out, "forward", vec![Value::Tensor(x)]).unwrap().tensors()[0].clone();
    let block = |a: f64, b: f64| [a, a, b, b];
    let image = |base: f64| {
        [block(base, base + 1.0), block(base, base + 1.0), block(base + 2.0, base + 3.0), block(base + 2.0, base + 3.0)]
            .concat()
    };
    assert_near(&got, &[2, 1, 4, 4], &[image(1.0), image(5.0)].concat());
}

#[test]
fn upsample_repeats_by_integral_scales() {
    // ONNX's Upsample example: scales [1, 1, 2, 3] repeat rows twice and columns three times.
    let row = |a: f64, b: f64| [a, a, a, b, b, b];
    let want = [row(1., 2.), row(1., 2.), row(3., 4.), row(3., 4.)].concat();
    let x = iota(&[1, 1, 2, 2]);
    let seven = node("Upsample", &["x"], &["y"]).with_attr(attr_floats("scales", &[1.0, 1.0, 2.0, 3.0]));
    assert_near(&run(7, seven, &x, &[]), &[1, 1, 4, 6], &want);
    let scales = f32s(&[4], &[1.0, 1.0, 2.0, 3.0]);
    let nine = node("Upsample", &["x", "scales"], &["y"]);
    assert_near(&run(9, nine, &x, &[("scales", &scales)]), &[1, 1, 4, 6], &want);
    // Resize-10 is the same operator.
    let ten = node("Resize", &["x", "scales"], &["y"]);
    assert_near(&run(10, ten, &x, &[("scales", &scales)]), &[1, 1, 4, 6], &want);
}

#[test]
fn explains_what_it_cannot_convert() {
    let shape = [Dim::Int(1), Dim::Int(4)];
    let err =
        |opset: i64, node: NodeProto, consts: &[(&str, &NDArray)]| import(opset, node, &shape, consts).unwrap_err();
    // Scales computed at run time (not a graph input, whose values the entry
    // could read) decide the output shape.
    let bytes = GraphBuilder::new("g")
        .input("x", DType::F32, &shape)
        .input("scales", DType::F32, &[Dim::Int(2)])
        .output("y")
        .node(node("Mul", &["scales", "scales"], &["squared"]))
        .node(node("Resize", &["x", "", "squared"], &["y"]))
        .model(19)
        .encode_to_vec();
    let runtime = import_bytes(&bytes, Path::new("."), "g", &OnnxOptions::default()).unwrap_err().to_string();
    assert!(
        runtime.contains(
            "the scales input `squared` must be known at compile time or be a graph input: the output shape depends \
             on its values"
        ),
        "{runtime}"
    );
    let down = f32s(&[2], &[1.0, 0.5]);
    let legacy = err(10, node("Resize", &["x", "scales"], &["y"]), &[("scales", &down)]);
    assert!(
        legacy.contains("scale 0.5 is a downscale, which this opset's Resize and Upsample leave undefined"),
        "{legacy}"
    );
    let early =
        err(13, node("Resize", &["x", "", "scales"], &["y"]).with_attr(attr_int("antialias", 1)), &[("scales", &down)]);
    assert!(early.contains("attribute antialias is only defined from opset 18 on, the model uses 13"), "{early}");
}
