//! `QuantizeLinear` and `DequantizeLinear`: every granularity (per tensor,
//! per axis, blocked), integer and 8-bit float targets, rounding ties and
//! saturation, against values worked out by hand in the comments. Each model
//! runs through every pass (`verify::check_passes`).

use relax_compiler::frontend::onnx::builder::{attr_int, node, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{Message, NodeProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::{run_function, Value};
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::NDArray;
use relax_rt::DType;
use std::path::Path;

fn model_bytes(opset: i64, node: NodeProto, input: &NDArray, consts: &[(&str, &NDArray)]) -> Vec<u8> {
    let shape: Vec<Dim> = input.shape().iter().map(|&d| Dim::from(d)).collect();
    let mut graph = GraphBuilder::new("q").input("x", input.dtype(), &shape);
    for (name, a) in consts {
        graph = graph.initializer(name, a);
    }
    graph.node(node).output("y").model(opset).encode_to_vec()
}

/// Imports one node reading run-time input `x` and initializers `consts`,
/// checks every pass exactly and returns `y`.
fn run(opset: i64, node: NodeProto, x: &NDArray, consts: &[(&str, &NDArray)]) -> NDArray {
    let bytes = model_bytes(opset, node, x, consts);
    let module = import_bytes(&bytes, Path::new("."), "q", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let inputs = vec![x.clone()];
    let result = run_function(&module, "forward", vec![Value::Tensor(x.clone())]).unwrap_or_else(|e| panic!("{e}"));
    check_passes(module, "forward", &inputs, Tolerance { rtol: 0.0, atol: 0.0 }).unwrap_or_else(|e| panic!("{e}"));
    result.tensors()[0].clone()
}

fn import_error(opset: i64, node: NodeProto, x: &NDArray, consts: &[(&str, &NDArray)]) -> String {
    let bytes = model_bytes(opset, node, x, consts);
    let err = import_bytes(&bytes, Path::new("."), "q", &OnnxOptions::default()).expect_err("should fail");
    err.diagnostics.into_iter().map(|d| d.message).collect::<Vec<_>>().join("\n")
}

fn values(dtype: DType, shape: &[usize], v: &[f64]) -> NDArray {
    NDArray::from_f64_values(dtype, shape, v)
}

fn quantize() -> NodeProto {
    node("QuantizeLinear", &["x", "scale", "zp"], &["y"])
}

fn dequantize() -> NodeProto {
    node("DequantizeLinear", &["x", "scale", "zp"], &["y"])
}

#[test]
fn per_tensor_quantization_rounds_half_to_even_and_saturates() {
    // x / 2 = [0, 1.25, 1.5, 2.5, 3.5, -1, 300, -300]; rounded half to even:
    // [0, 1, 2, 2, 4, -1, 300, -300]; plus 128, clipped to 0..=255.
    let x = values(DType::F32, &[8], &[0.0, 2.5, 3.0, 5.0, 7.0, -2.0, 600.0, -600.0]);
    let scale = values(DType::F32, &[], &[2.0]);
    let zp = values(DType::U8, &[], &[128.0]);
    let y = run(13, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::U8, &[8], &[128.0, 129.0, 130.0, 130.0, 132.0, 127.0, 255.0, 0.0]));
    // Without a zero point the target is u8 and the zero point 0: negatives clip to 0.
    let plain = node("QuantizeLinear", &["x", "scale"], &["y"]);
    let y = run(10, plain, &x, &[("scale", &scale)]);
    assert_eq!(y, values(DType::U8, &[8], &[0.0, 1.0, 2.0, 2.0, 4.0, 0.0, 255.0, 0.0]));
    // i8 with zero point -1: [-1, 0, 1, 1, 3, -2, 127, -128].
    let zp = values(DType::I8, &[], &[-1.0]);
    let y = run(13, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::I8, &[8], &[-1.0, 0.0, 1.0, 1.0, 3.0, -2.0, 127.0, -128.0]));
}

#[test]
fn sixteen_bit_targets_and_dequantization_back() {
    // x / 0.5 = [-70000, 2, 65534, 131070]; int16 with zero point 10 clips to
    // [-32768, 12, 32767, 32767]; uint16 with zero point 0 to [0, 2, 65534, 65535].
    let x = values(DType::F32, &[4], &[-35000.0, 1.0, 32767.0, 65535.0]);
    let scale = values(DType::F32, &[], &[0.5]);
    let zp = values(DType::I16, &[], &[10.0]);
    let y = run(21, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::I16, &[4], &[-32768.0, 12.0, 32767.0, 32767.0]));
    let zp16 = values(DType::U16, &[], &[0.0]);
    let y = run(21, quantize(), &x, &[("scale", &scale), ("zp", &zp16)]);
    assert_eq!(y, values(DType::U16, &[4], &[0.0, 2.0, 65534.0, 65535.0]));
    // Dequantized: (y - 10) * 0.5 = [-16389, 1, 16378.5, 16378.5].
    let q = values(DType::I16, &[4], &[-32768.0, 12.0, 32767.0, 32767.0]);
    let back = run(21, dequantize(), &q, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(back, values(DType::F32, &[4], &[-16389.0, 1.0, 16378.5, 16378.5]));
}

#[test]
fn per_axis_parameters_follow_the_axis() {
    // x is [2, 3]; axis 1 has one scale and zero point per column:
    // column j: round(x / s_j) + z_j with s = [1, 2, 4], z = [0, 10, 20].
    let x = values(DType::F32, &[2, 3], &[1.0, 4.0, 8.0, -3.0, 5.0, -10.0]);
    let scale = values(DType::F32, &[3], &[1.0, 2.0, 4.0]);
    let zp = values(DType::I8, &[3], &[0.0, 10.0, 20.0]);
    let y = run(13, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    // 5 / 2 = 2.5 rounds to 2; -10 / 4 = -2.5 rounds to -2.
    assert_eq!(y, values(DType::I8, &[2, 3], &[1.0, 12.0, 22.0, -3.0, 12.0, 18.0]));
    // axis 0 of the same input: one scale per row, s = [1, 2].
    let per_row = quantize().with_attr(attr_int("axis", 0));
    let (scale, zp) = (values(DType::F32, &[2], &[1.0, 2.0]), values(DType::I8, &[2], &[0.0, 0.0]));
    let y = run(13, per_row, &x, &[("scale", &scale), ("zp", &zp)]);
    // Row 1 halved: [-1.5, 2.5, -5] rounds to [-2, 2, -5].
    assert_eq!(y, values(DType::I8, &[2, 3], &[1.0, 4.0, 8.0, -2.0, 2.0, -5.0]));
    // Dequantizing per axis with a negative axis (-1 is the columns).
    let q = values(DType::U8, &[2, 3], &[10.0, 20.0, 30.0, 0.0, 1.0, 2.0]);
    let (scale, zp) = (values(DType::F32, &[3], &[0.5, 1.0, 2.0]), values(DType::U8, &[3], &[10.0, 0.0, 1.0]));
    let back = run(13, dequantize().with_attr(attr_int("axis", -1)), &q, &[("scale", &scale), ("zp", &zp)]);
    // (q - z) * s: [0, 20, 58, -5, 1, 2].
    assert_eq!(back, values(DType::F32, &[2, 3], &[0.0, 20.0, 58.0, -5.0, 1.0, 2.0]));
}

#[test]
fn blocked_parameters_cover_blocks_of_the_axis_with_a_short_last_one() {
    // x is [2, 5], blocks of 2 along axis 1: columns {0, 1}, {2, 3}, {4}.
    let x = values(DType::U8, &[2, 5], &[10.0, 12.0, 20.0, 22.0, 30.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let scale = values(DType::F32, &[2, 3], &[1.0, 0.5, 2.0, 10.0, 1.0, 0.25]);
    let zp = values(DType::U8, &[2, 3], &[10.0, 20.0, 0.0, 0.0, 1.0, 5.0]);
    let blocked = dequantize().with_attr(attr_int("axis", 1)).with_attr(attr_int("block_size", 2));
    let y = run(21, blocked, &x, &[("scale", &scale), ("zp", &zp)]);
    // Row 0: (10-10)*1, (12-10)*1, (20-20)*0.5, (22-20)*0.5, (30-0)*2.
    // Row 1: (1-0)*10, (2-0)*10, (3-1)*1, (4-1)*1, (5-5)*0.25.
    let want = values(DType::F32, &[2, 5], &[0.0, 2.0, 0.0, 1.0, 60.0, 10.0, 20.0, 2.0, 3.0, 0.0]);
    assert_eq!(y, want);
    // Quantizing blocked: x / s per block, zero points 0.
    let x = values(DType::F32, &[1, 4], &[3.0, 6.0, 7.0, 100.0]);
    let scale = values(DType::F32, &[1, 2], &[3.0, 2.0]);
    let zp = values(DType::I8, &[1, 2], &[0.0, 0.0]);
    let blocked = quantize().with_attr(attr_int("axis", 1)).with_attr(attr_int("block_size", 2));
    // [1, 2, 3.5 -> 4, 50].
    let y = run(21, blocked, &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::I8, &[1, 4], &[1.0, 2.0, 4.0, 50.0]));
    // A parameter count that does not match the blocks is an error.
    let wrong = values(DType::F32, &[1, 3], &[1.0, 1.0, 1.0]);
    let zp3 = values(DType::I8, &[1, 3], &[0.0, 0.0, 0.0]);
    let blocked = quantize().with_attr(attr_int("axis", 1)).with_attr(attr_int("block_size", 2));
    let err = import_error(21, blocked, &x, &[("scale", &wrong), ("zp", &zp3)]);
    assert!(err.contains("block_size 2 needs 2 blocks along axis 1, got 3"), "{err}");
}

#[test]
fn eight_bit_float_targets_saturate_unless_told_not_to() {
    // x / 1 to E4M3FN: 500 saturates to 448 (or becomes NaN with saturate = 0),
    // 0.3 rounds to 0.3125 (1.25 * 2^-2), -1 stays.
    let x = values(DType::F32, &[3], &[500.0, 0.3, -1.0]);
    let scale = values(DType::F32, &[], &[1.0]);
    let zp = values(DType::F8E4M3FN, &[], &[0.0]);
    let y = run(19, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::F8E4M3FN, &[3], &[448.0, 0.3125, -1.0]));
    let no_saturate = quantize().with_attr(attr_int("saturate", 0));
    let y = run(19, no_saturate, &x, &[("scale", &scale), ("zp", &zp)]);
    assert!(y.get(0).to_f64().is_nan());
    // Dequantizing E5M2 to f16 (the scale's dtype): 3 * 0.5 = 1.5, 1024 * 0.5 = 512.
    let q = values(DType::F8E5M2, &[2], &[3.0, 1024.0]);
    let half_scale = values(DType::F16, &[], &[0.5]);
    let y = run(19, node("DequantizeLinear", &["x", "scale"], &["y"]), &q, &[("scale", &half_scale)]);
    assert_eq!(y, values(DType::F16, &[2], &[1.5, 512.0]));
}

#[test]
fn output_type_attributes_are_checked() {
    let x = values(DType::F32, &[2], &[1.0, 2.0]);
    let scale = values(DType::F32, &[], &[1.0]);
    // output_dtype (INT8 = 3) without a zero point chooses the target.
    let y = run(
        21,
        node("QuantizeLinear", &["x", "scale"], &["y"]).with_attr(attr_int("output_dtype", 3)),
        &x,
        &[("scale", &scale)],
    );
    assert_eq!(y, values(DType::I8, &[2], &[1.0, 2.0]));
    // ... and must agree with the zero point's type (here UINT16 = 4 vs u8).
    let zp = values(DType::U8, &[], &[0.0]);
    let err =
        import_error(21, quantize().with_attr(attr_int("output_dtype", 4)), &x, &[("scale", &scale), ("zp", &zp)]);
    assert!(err.contains("output_dtype u16 differs from the zero point's type u8"), "{err}");
    // Dequantize's output_dtype (FLOAT16 = 10) overrides the scale's f32: (2 - 0) * 1.
    let q = values(DType::U8, &[1], &[2.0]);
    let y = run(23, dequantize().with_attr(attr_int("output_dtype", 10)), &q, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::F16, &[1], &[2.0]));
}

#[test]
fn four_and_two_bit_targets_saturate_to_their_ranges() {
    // x / 2 = [0, 1.25, 2.4, 4.3, -15]; rounded [0, 1, 2, 4, -15]; plus 1;
    // clipped to i4's -8..=7: [1, 2, 3, 5, -8]; to u2's 0..=3: [1, 2, 3, 3, 0].
    let x = values(DType::F32, &[5], &[0.0, 2.5, 4.8, 8.6, -30.0]);
    let scale = values(DType::F32, &[], &[2.0]);
    let zp = values(DType::I4, &[], &[1.0]);
    let y = run(25, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::I4, &[5], &[1.0, 2.0, 3.0, 5.0, -8.0]));
    let zp = values(DType::U2, &[], &[1.0]);
    let y = run(25, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::U2, &[5], &[1.0, 2.0, 3.0, 3.0, 0.0]));
    // E2M1 targets: [0, 1.25 -> 1, 2.4 -> 2, 4.3 -> 4, -15 -> -6].
    let zp = values(DType::F4E2M1, &[], &[0.0]);
    let y = run(25, quantize(), &x, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(y, values(DType::F4E2M1, &[5], &[0.0, 1.0, 2.0, 4.0, -6.0]));
    // Dequantizing u4 with zero point 8: (q - 8) * 0.5.
    let q = values(DType::U4, &[3], &[0.0, 8.0, 15.0]);
    let (scale, zp) = (values(DType::F32, &[], &[0.5]), values(DType::U4, &[], &[8.0]));
    let back = run(25, dequantize(), &q, &[("scale", &scale), ("zp", &zp)]);
    assert_eq!(back, values(DType::F32, &[3], &[-4.0, 0.0, 3.5]));
}

#[test]
fn dynamic_quantization_spreads_the_range_including_zero_over_u8() {
    let dynamic = || node("DynamicQuantizeLinear", &["x"], &["y", "scale", "zp"]);
    // Range [-51, 204] is 255 wide: scale 1, zero point 51, y = x + 51.
    let x = values(DType::F32, &[3], &[-51.0, 0.0, 204.0]);
    let bytes = GraphBuilder::new("q")
        .input("x", DType::F32, &[Dim::Int(3)])
        .node(dynamic())
        .output("y")
        .output("scale")
        .output("zp")
        .model(11)
        .encode_to_vec();
    let module = import_bytes(&bytes, Path::new("."), "q", &OnnxOptions::default()).unwrap();
    let out = run_function(&module, "forward", vec![Value::Tensor(x.clone())]).unwrap();
    let out: Vec<NDArray> = out.tensors().into_iter().cloned().collect();
    assert_eq!(out[0], values(DType::U8, &[3], &[0.0, 51.0, 255.0]));
    assert_eq!(out[1], values(DType::F32, &[], &[1.0]));
    assert_eq!(out[2], values(DType::U8, &[], &[51.0]));
    check_passes(module, "forward", &[x], Tolerance { rtol: 0.0, atol: 0.0 }).unwrap();
    // All positive: the range starts at 0, so the zero point is 0 and the
    // scale 2/255; 0.5 is 63.75 steps (64), 2 is 255.
    let x = values(DType::F32, &[2], &[0.5, 2.0]);
    assert_eq!(
        run(11, node("DynamicQuantizeLinear", &["x"], &["y", "s", "z"]), &x, &[]),
        values(DType::U8, &[2], &[64.0, 255.0])
    );
}

#[test]
fn qlinear_matmul_multiplies_in_i32_and_requantizes() {
    // a - 2 = [[0, 2], [100, -2]], b - 1 = [[0], [2]]: the product is [[4], [-4]];
    // times 0.5 * 2 / 0.25 = 4 gives [[16], [-16]], plus 10: [[26], [-6]],
    // which saturates to 0 in u8.
    let a = values(DType::U8, &[2, 2], &[2.0, 4.0, 102.0, 0.0]);
    let b = values(DType::U8, &[2, 1], &[1.0, 3.0]);
    let scalar = |v: f64| values(DType::F32, &[], &[v]);
    let u8s = |v: f64| values(DType::U8, &[1], &[v]);
    let n = node("QLinearMatMul", &["x", "sa", "za", "b", "sb", "zb", "sy", "zy"], &["y"]);
    let consts = [
        ("sa", &scalar(0.5)),
        ("za", &u8s(2.0)),
        ("b", &b),
        ("sb", &scalar(2.0)),
        ("zb", &u8s(1.0)),
        ("sy", &scalar(0.25)),
        ("zy", &u8s(10.0)),
    ];
    let y = run(10, n, &a, &consts);
    assert_eq!(y, values(DType::U8, &[2, 1], &[26.0, 0.0]));
}
