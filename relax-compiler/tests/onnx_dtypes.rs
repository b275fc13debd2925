//! ONNX models on the element types beyond f32/f64/i32/i64/i8/u8/bool: 16-bit
//! and unsigned integers, f16 and bf16, and the operators on bits (`BitShift`,
//! `Bitwise*`). Each node runs through every pass (`verify::check_passes`)
//! and is compared with values worked out by hand in the comments.

use relax_compiler::frontend::onnx::builder::{attr_int, attr_string, node, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{Message, NodeProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::{run_function, Value};
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{NDArray, Scalar};
use relax_rt::DType;
use std::path::Path;

fn model_bytes(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> Vec<u8> {
    let mut graph = GraphBuilder::new("single");
    for (name, a) in args {
        let shape: Vec<Dim> = a.shape().iter().map(|&d| Dim::from(d)).collect();
        graph = graph.input(name, a.dtype(), &shape);
    }
    for out in node.output.iter().filter(|o| !o.is_empty()) {
        graph = graph.output(out);
    }
    graph.node(node).model(opset).encode_to_vec()
}

/// Imports a graph of `node` with inputs `args`, checks every pass (exactly:
/// these results are exact in every dtype) and returns the first output.
fn run_node(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> NDArray {
    let bytes = model_bytes(opset, node, args);
    let module =
        import_bytes(&bytes, Path::new("."), "single", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let inputs: Vec<NDArray> = args.iter().map(|(_, a)| (*a).clone()).collect();
    let result = run_function(&module, "forward", inputs.iter().cloned().map(Value::Tensor).collect())
        .unwrap_or_else(|e| panic!("{e}"));
    check_passes(module, "forward", &inputs, Tolerance { rtol: 0.0, atol: 0.0 }).unwrap_or_else(|e| panic!("{e}"));
    result.tensors()[0].clone()
}

fn import_error(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> String {
    let bytes = model_bytes(opset, node, args);
    let err = import_bytes(&bytes, Path::new("."), "single", &OnnxOptions::default()).expect_err("should fail");
    err.diagnostics.into_iter().map(|d| d.message).collect::<Vec<_>>().join("\n")
}

fn ints(dtype: DType, values: &[i64]) -> NDArray {
    NDArray::from_i64_values(dtype, &[values.len()], values)
}

fn u64s(values: &[u64]) -> NDArray {
    NDArray::from_fn(DType::U64, &[values.len()], |i| Scalar::from_u64(values[i]))
}

fn floats(dtype: DType, values: &[f64]) -> NDArray {
    NDArray::from_f64_values(dtype, &[values.len()], values)
}

fn bools(values: &[bool]) -> NDArray {
    NDArray::from_fn(DType::Bool, &[values.len()], |i| Scalar::B(values[i]))
}

fn shift(direction: &str) -> NodeProto {
    node("BitShift", &["x", "y"], &["z"]).with_attr(attr_string("direction", direction))
}

#[test]
fn bit_shift_on_unsigned_types_since_opset_11() {
    // 16 >> 1 = 8, 4 >> 2 = 1, 1 >> 1 = 0; 1 << 7 = 128; 200 << 1 = 400 mod 256 = 144.
    let x = ints(DType::U8, &[16, 4, 1, 1, 200]);
    let y = ints(DType::U8, &[1, 2, 1, 7, 1]);
    assert_eq!(run_node(11, shift("RIGHT"), &[("x", &x), ("y", &y)]), ints(DType::U8, &[8, 1, 0, 0, 100]));
    assert_eq!(run_node(11, shift("LEFT"), &[("x", &x), ("y", &y)]), ints(DType::U8, &[32, 16, 2, 128, 144]));
    // u64: the top bit shifts down to 1; shifting by 64 shifts everything out.
    let x = u64s(&[1 << 63, u64::MAX]);
    let y = u64s(&[63, 64]);
    assert_eq!(run_node(11, shift("RIGHT"), &[("x", &x), ("y", &y)]), u64s(&[1, 0]));
    // u16 broadcast against a scalar amount: 0xffff << 4 = 0xfff0.
    let x = ints(DType::U16, &[0xffff, 3]);
    let by = NDArray::from_i64_values(DType::U16, &[], &[4]);
    assert_eq!(run_node(11, shift("LEFT"), &[("x", &x), ("y", &by)]), ints(DType::U16, &[0xfff0, 48]));
}

#[test]
fn bit_shift_on_signed_types_since_opset_28() {
    // Arithmetic right shifts keep the sign: -8 >> 1 = -4, -1 >> 1 = -1, -128 >> 1 = -64.
    let x = ints(DType::I8, &[-8, -1, -128]);
    let one = ints(DType::I8, &[1, 1, 1]);
    assert_eq!(run_node(28, shift("RIGHT"), &[("x", &x), ("y", &one)]), ints(DType::I8, &[-4, -1, -64]));
    // Amounts that are negative or at least the width leave the sign fill:
    // -1 for negative values, 0 otherwise, and 0 for every left shift.
    let x = ints(DType::I32, &[-8, 4, -1, 5]);
    let y = ints(DType::I32, &[-1, -32, 32, 100]);
    assert_eq!(run_node(28, shift("RIGHT"), &[("x", &x), ("y", &y)]), ints(DType::I32, &[-1, 0, -1, 0]));
    assert_eq!(run_node(28, shift("LEFT"), &[("x", &x), ("y", &y)]), ints(DType::I32, &[0, 0, 0, 0]));
    // Left shifts discard bits moved past the sign bit: 64 << 1 = 128 = -128 in i8.
    let x = ints(DType::I16, &[0x4000, 3]);
    let y = ints(DType::I16, &[1, 14]);
    // 3 << 14 = 49152 = -16384 as i16.
    assert_eq!(run_node(28, shift("LEFT"), &[("x", &x), ("y", &y)]), ints(DType::I16, &[i16::MIN as i64, -16384]));
}

#[test]
fn bit_shift_needs_a_direction() {
    let x = ints(DType::U8, &[1]);
    let no_direction = node("BitShift", &["x", "y"], &["z"]);
    let err = import_error(11, no_direction, &[("x", &x), ("y", &x)]);
    assert!(err.contains("attribute `direction` is required (LEFT or RIGHT)"), "{err}");
    let err = import_error(11, shift("UP"), &[("x", &x), ("y", &x)]);
    assert!(err.contains("attribute direction must be LEFT or RIGHT, got `UP`"), "{err}");
}

#[test]
fn bitwise_operators_keep_the_integer_type() {
    // 0b1100 & 0b1010 = 0b1000, | = 0b1110, ^ = 0b0110; -1 & 0x1234 = 0x1234.
    let a = ints(DType::I16, &[0b1100, -1]);
    let b = ints(DType::I16, &[0b1010, 0x1234]);
    let args = [("a", &a), ("b", &b)];
    let run = |op: &str| run_node(18, node(op, &["a", "b"], &["c"]), &args);
    assert_eq!(run("BitwiseAnd"), ints(DType::I16, &[0b1000, 0x1234]));
    assert_eq!(run("BitwiseOr"), ints(DType::I16, &[0b1110, -1]));
    assert_eq!(run("BitwiseXor"), ints(DType::I16, &[0b0110, !0x1234]));
    // !0 = u64::MAX; !(2^63) = 2^63 - 1.
    let not = run_node(18, node("BitwiseNot", &["x"], &["y"]), &[("x", &u64s(&[0, 1 << 63]))]);
    assert_eq!(not, u64s(&[u64::MAX, (1 << 63) - 1]));
    // Broadcasting a [3] u8 mask over [2, 3]: 0xf0 & 0x3c = 0x30.
    let x = NDArray::from_i64_values(DType::U8, &[2, 3], &[0xff, 0x0f, 0xf0, 0x00, 0xaa, 0x3c]);
    let mask = ints(DType::U8, &[0xf0, 0xf0, 0xf0]);
    let and = run_node(18, node("BitwiseAnd", &["x", "m"], &["y"]), &[("x", &x), ("m", &mask)]);
    assert_eq!(and, NDArray::from_i64_values(DType::U8, &[2, 3], &[0xf0, 0x00, 0xf0, 0x00, 0xa0, 0x30]));
    let err = import_error(
        18,
        node("BitwiseAnd", &["a", "b"], &["c"]),
        &[("a", &floats(DType::F32, &[1.0])), ("b", &floats(DType::F32, &[1.0]))],
    );
    assert!(err.contains("expected integer tensors"), "{err}");
}

#[test]
fn unsigned_and_16_bit_arithmetic_wraps_and_compares_by_value() {
    // u16: 65535 + 1 wraps to 0; 40000 + 30000 = 70000 - 65536 = 4464.
    let a = ints(DType::U16, &[65535, 40000]);
    let b = ints(DType::U16, &[1, 30000]);
    assert_eq!(run_node(14, node("Add", &["a", "b"], &["c"]), &[("a", &a), ("b", &b)]), ints(DType::U16, &[0, 4464]));
    // u32 division of values above i32::MAX: 4_000_000_000 / 3 = 1_333_333_333.
    let a = ints(DType::U32, &[4_000_000_000, 7]);
    let b = ints(DType::U32, &[3, 0]);
    let div = run_node(14, node("Div", &["a", "b"], &["c"]), &[("a", &a), ("b", &b)]);
    assert_eq!(div, ints(DType::U32, &[1_333_333_333, 0]));
    // u64 order is unsigned: u64::MAX > 1.
    let a = u64s(&[u64::MAX, 0]);
    let b = u64s(&[1, 1]);
    let greater = run_node(13, node("Greater", &["a", "b"], &["c"]), &[("a", &a), ("b", &b)]);
    assert_eq!(greater, bools(&[true, false]));
    // i16 Mod takes the divisor's sign (fmod = 0): -7 mod 3 = 2, 7 mod -3 = -2.
    let a = ints(DType::I16, &[-7, 7, -32768]);
    let b = ints(DType::I16, &[3, -3, 7]);
    // -32768 = -4682 * 7 + 6.
    let rem = run_node(13, node("Mod", &["a", "b"], &["c"]), &[("a", &a), ("b", &b)]);
    assert_eq!(rem, ints(DType::I16, &[2, -2, 6]));
}

#[test]
fn half_precision_stays_half_precision() {
    // f16 keeps 10 fraction bits, so 1 + 2^-11 ties back to 1 and 2048 + 1 to
    // 2048, while f32 would keep both.
    let a = floats(DType::F16, &[1.0, 2048.0, 0.1]);
    let b = floats(DType::F16, &[2f64.powi(-11), 1.0, 0.2]);
    let sum = run_node(14, node("Add", &["a", "b"], &["c"]), &[("a", &a), ("b", &b)]);
    assert_eq!(sum.dtype(), DType::F16);
    // 0.1 and 0.2 in f16 are 0.0999755859375 and 0.199951171875; their sum
    // 0.2999267578125 is 1228.5 quanta of 2^-12, a tie between the f16
    // neighbours 1228 and 1229 quanta: to even, 0.2998046875 (numpy agrees).
    assert_eq!(sum, floats(DType::F16, &[1.0, 2048.0, 0.2998046875]));
    // bf16: 7 fraction bits; 1 + 2^-8 ties back to 1.
    let a = floats(DType::BF16, &[1.0]);
    let b = floats(DType::BF16, &[2f64.powi(-8)]);
    let sum = run_node(14, node("Add", &["a", "b"], &["c"]), &[("a", &a), ("b", &b)]);
    assert_eq!(sum, floats(DType::BF16, &[1.0]));
}

#[test]
fn casts_to_and_from_16_bit_floats_round_once_to_nearest_even() {
    let cast = |to: i64| node("Cast", &["x"], &["y"]).with_attr(attr_int("to", to));
    // FLOAT16 = 10, BFLOAT16 = 16, FLOAT = 1, UINT16 = 4.
    // 65519 rounds down to 65504 (the largest f16); 65520 is the tie with
    // 65536 and rounds up, past it: infinity. 2^-25 ties to 0.
    let x = floats(DType::F32, &[65519.0, 65520.0, -65520.0, 2f64.powi(-25), 1.0 / 3.0]);
    let halves = run_node(21, cast(10), &[("x", &x)]);
    let third = 0.333251953125; // 1/3 rounded to 11 significant bits: 1365 * 2^-12
    let want = floats(DType::F16, &[65504.0, f64::INFINITY, f64::NEG_INFINITY, 0.0, third]);
    assert_eq!(halves, want);
    // Back to f32 is exact.
    assert_eq!(
        run_node(21, cast(1), &[("x", &halves)]),
        floats(DType::F32, &[65504.0, f64::INFINITY, f64::NEG_INFINITY, 0.0, third])
    );
    // f64 to bf16 rounds once: 1 + 2^-8 + 2^-30 is just above the tie, so it rounds up to 1 + 2^-7.
    let x = floats(DType::F64, &[1.0 + 2f64.powi(-8) + 2f64.powi(-30)]);
    assert_eq!(run_node(21, cast(16), &[("x", &x)]), floats(DType::BF16, &[1.0 + 2f64.powi(-7)]));
    // Floats to u16 truncate and saturate: -3.7 to 0, 70000 to 65535, 2.9 to 2.
    let x = floats(DType::F16, &[-3.7, 2.9, f64::INFINITY]);
    assert_eq!(run_node(21, cast(4), &[("x", &x)]), ints(DType::U16, &[0, 2, 65535]));
}

#[test]
fn half_precision_sums_accumulate_in_single_precision() {
    // Rounding every step, 2048 + 1 ties back to 2048 twice; numpy sums
    // float16 in float32 (2050) and rounds once: 2050 is an f16.
    let x = floats(DType::F16, &[2048.0, 1.0, 1.0]);
    let sum = run_node(13, node("ReduceSum", &["x"], &["y"]).with_attr(attr_int("keepdims", 0)), &[("x", &x)]);
    assert_eq!(sum, NDArray::from_f64_values(DType::F16, &[], &[2050.0]));
    let ones = floats(DType::F16, &[1.0, 1.0, 1.0]);
    let dot = run_node(13, node("MatMul", &["x", "w"], &["y"]), &[("x", &x), ("w", &ones)]);
    assert_eq!(dot, NDArray::from_f64_values(DType::F16, &[], &[2050.0]));
    // Mean: 2050 / 4 = 512.5, which f16 holds (10 fraction bits below 1024).
    let x = floats(DType::F16, &[2048.0, 1.0, 1.0, 0.0]);
    let mean = run_node(13, node("ReduceMean", &["x"], &["y"]).with_attr(attr_int("keepdims", 0)), &[("x", &x)]);
    assert_eq!(mean, NDArray::from_f64_values(DType::F16, &[], &[512.5]));
}

/// A `Cast` to ONNX element type `to` with `saturate`.
fn cast_node(to: i64, saturate: i64) -> NodeProto {
    node("Cast", &["x"], &["y"]).with_attr(attr_int("to", to)).with_attr(attr_int("saturate", saturate))
}

#[test]
fn casts_to_8_bit_floats_saturate_by_default() {
    // FLOAT8E4M3FN = 17, FLOAT8E4M3FNUZ = 18, FLOAT8E5M2 = 19, FLOAT8E5M2FNUZ = 20.
    // Expected values: ml_dtypes 0.6 `astype` (saturate = 0) and `clip` then
    // `astype` (saturate = 1), checked by hand: E4M3FN's largest value is 448
    // and 464 is the tie between 448 (even) and 480 (NaN's code), so 465
    // overflows; 0.3 rounds to 1.25 * 2^-2; 2^-10 is half the smallest
    // subnormal 2^-9 and ties to 0; E5M2 keeps 1000 as 1024 and overflows to
    // infinity; the FNUZ formats have no -0.
    let x = floats(DType::F32, &[1000.0, -1000.0, 464.0, 465.0, f64::INFINITY, f64::NAN, -0.0, 0.3, 2f64.powi(-10)]);
    let nan = f64::NAN;
    let cases: [(i64, DType, [f64; 9], [f64; 9]); 4] = [
        (
            17,
            DType::F8E4M3FN,
            [nan, nan, 448.0, nan, nan, nan, -0.0, 0.3125, 0.0],
            [448.0, -448.0, 448.0, 448.0, 448.0, nan, -0.0, 0.3125, 0.0],
        ),
        (
            18,
            DType::F8E4M3FNUZ,
            [nan, nan, nan, nan, nan, nan, 0.0, 0.3125, 2f64.powi(-10)],
            [240.0, -240.0, 240.0, 240.0, 240.0, nan, 0.0, 0.3125, 2f64.powi(-10)],
        ),
        (
            19,
            DType::F8E5M2,
            [1024.0, -1024.0, 448.0, 448.0, f64::INFINITY, nan, -0.0, 0.3125, 2f64.powi(-10)],
            [1024.0, -1024.0, 448.0, 448.0, 57344.0, nan, -0.0, 0.3125, 2f64.powi(-10)],
        ),
        (
            20,
            DType::F8E5M2FNUZ,
            [1024.0, -1024.0, 448.0, 448.0, nan, nan, 0.0, 0.3125, 2f64.powi(-10)],
            [1024.0, -1024.0, 448.0, 448.0, 57344.0, nan, 0.0, 0.3125, 2f64.powi(-10)],
        ),
    ];
    for (code, dtype, overflowing, saturating) in cases {
        let got = run_node(21, cast_node(code, 0), &[("x", &x)]);
        assert_same_floats(&got, &floats(dtype, &overflowing), dtype);
        let got = run_node(21, cast_node(code, 1), &[("x", &x)]);
        assert_same_floats(&got, &floats(dtype, &saturating), dtype);
        // Back to f32 is exact.
        let back = run_node(21, cast_node(1, 1), &[("x", &got)]);
        assert_same_floats(&back, &floats(DType::F32, &saturating), DType::F32);
    }
    // f16 sources saturate too (their clip happens in f32, where 57344 is exact).
    let x = floats(DType::F16, &[65504.0, -60000.0]);
    assert_eq!(run_node(21, cast_node(19, 1), &[("x", &x)]), floats(DType::F8E5M2, &[57344.0, -57344.0]));
    // Integers saturate as well: 1000 is beyond E4M3FN's 448.
    let x = ints(DType::I32, &[1000, -3]);
    assert_eq!(run_node(21, cast_node(17, 1), &[("x", &x)]), floats(DType::F8E4M3FN, &[448.0, -3.0]));
}

/// Equal values, NaN equal to NaN, and the same sign of zero.
fn assert_same_floats(got: &NDArray, want: &NDArray, dtype: DType) {
    assert_eq!(got.dtype(), dtype);
    for i in 0..want.numel() {
        let (g, w) = (got.get(i).to_f64(), want.get(i).to_f64());
        let same = (g.is_nan() && w.is_nan()) || (g == w && g.is_sign_negative() == w.is_sign_negative());
        assert!(same, "{dtype} element {i}: got {g}, expected {w}");
    }
}

#[test]
fn casts_to_e8m0_round_up_to_a_power_of_two() {
    // FLOAT8E8M0 = 24. ONNX's default conversion (round_mode up, saturate):
    // 0 becomes the smallest value 2^-127, 0.124 and 1.1 round up to the next
    // power of two (0.125, 2), powers of two stay.
    let x = floats(DType::F32, &[0.0, 0.124, 0.25, 1.1, 8.0]);
    let e8m0 = run_node(24, cast_node(24, 1), &[("x", &x)]);
    assert_eq!(e8m0, floats(DType::F8E8M0, &[2f64.powi(-127), 0.125, 0.25, 2.0, 8.0]));
    assert_eq!(e8m0.to_bytes(), vec![0x00, 0x7c, 0x7d, 0x80, 0x82]);
    let nearest = cast_node(24, 1).with_attr(attr_string("round_mode", "nearest"));
    let err = import_error(24, nearest, &[("x", &x)]);
    assert!(
        err.contains("conversion to FLOAT8E8M0 with round_mode `nearest` and saturate 1 is not supported"),
        "{err}"
    );
}

#[test]
fn four_and_two_bit_types_unpack_and_convert() {
    // UINT4 = 21, INT4 = 22, FLOAT4E2M1 = 23, UINT2 = 25, INT2 = 26.
    // Floats to 4- and 2-bit integers truncate and keep the low bits, as
    // ONNX's reference does: -9 is 7 in i4 (-9 + 16), 8 is -8, 2.7 is 2;
    // -1 is 15 in u4 and 3 in u2; -3 is 1 in i2.
    let x = floats(DType::F32, &[-9.0, 8.0, 2.7, -1.0, -3.0]);
    assert_eq!(run_node(25, cast_node(22, 1), &[("x", &x)]), ints(DType::I4, &[7, -8, 2, -1, -3]));
    assert_eq!(run_node(25, cast_node(21, 1), &[("x", &x)]), ints(DType::U4, &[7, 8, 2, 15, 13]));
    assert_eq!(run_node(25, cast_node(25, 1), &[("x", &x)]), ints(DType::U2, &[3, 0, 2, 3, 1]));
    assert_eq!(run_node(25, cast_node(26, 1), &[("x", &x)]), ints(DType::I2, &[-1, 0, -2, -1, 1]));
    // E2M1's values are 0, 0.5, 1, 1.5, 2, 3, 4, 6: 0.25 ties to 0, 2.5 to 2,
    // 3.5 to 4 (even fraction); beyond 6 and infinities saturate; NaN is -0
    // (ml_dtypes flips NaN's sign into a zero).
    let x = floats(DType::F32, &[0.25, 2.5, -3.5, 100.0, f64::NEG_INFINITY, f64::NAN]);
    let e2m1 = run_node(25, cast_node(23, 1), &[("x", &x)]);
    assert_same_floats(&e2m1, &floats(DType::F4E2M1, &[0.0, 2.0, -4.0, 6.0, -6.0, -0.0]), DType::F4E2M1);
    // An i4 input widens exactly.
    let x = ints(DType::I4, &[-8, 7, -1]);
    assert_eq!(run_node(25, cast_node(3, 1), &[("x", &x)]), ints(DType::I8, &[-8, 7, -1]));
}

#[test]
fn packed_initializers_unpack_in_order() {
    // The builder writes ONNX's packed layout (two i4 to a byte, the first in
    // the low nibble); the importer unpacks it: [1, -2, 7] + [0, 1, 1] in i8.
    let packed = ints(DType::I4, &[1, -2, 7]);
    let graph = GraphBuilder::new("packed")
        .input("x", DType::I8, &[Dim::Int(3)])
        .initializer("w", &packed)
        .node(node("Cast", &["w"], &["w8"]).with_attr(attr_int("to", 3)))
        .node(node("Add", &["x", "w8"], &["y"]))
        .output("y");
    let bytes = graph.model(25).encode_to_vec();
    let module = import_bytes(&bytes, Path::new("."), "packed", &OnnxOptions::default()).unwrap();
    let x = ints(DType::I8, &[0, 1, 1]);
    let result = run_function(&module, "forward", vec![Value::Tensor(x)]).unwrap();
    assert_eq!(result.tensors()[0], &ints(DType::I8, &[1, -1, 8]));
}

#[test]
fn bit_cast_reinterprets_bits_of_the_same_width() {
    let bit_cast = |to: i64| node("BitCast", &["x"], &["y"]).with_attr(attr_int("to", to));
    // 1.0f32 is 0x3f800000 and -0.0 is 0x80000000 (INT32 = 6).
    let x = floats(DType::F32, &[1.0, -0.0]);
    assert_eq!(run_node(26, bit_cast(6), &[("x", &x)]), ints(DType::I32, &[0x3f80_0000, i32::MIN as i64]));
    // u16 0xffff is i16 -1 (INT16 = 5); f16 0x3c00 is 1.0 (FLOAT16 = 10).
    assert_eq!(run_node(26, bit_cast(5), &[("x", &ints(DType::U16, &[0xffff, 1]))]), ints(DType::I16, &[-1, 1]));
    assert_eq!(run_node(26, bit_cast(10), &[("x", &ints(DType::U16, &[0x3c00]))]), floats(DType::F16, &[1.0]));
    // bool is a byte: true is 1 as u8 (UINT8 = 2).
    assert_eq!(run_node(26, bit_cast(2), &[("x", &bools(&[true, false]))]), ints(DType::U8, &[1, 0]));
    // Widths must agree: f32 to INT64 (7) is an error.
    let err = import_error(26, bit_cast(7), &[("x", &x)]);
    assert!(err.contains("bitcast: f32 (32 bits) and i64 (64 bits) differ in width"), "{err}");
}
