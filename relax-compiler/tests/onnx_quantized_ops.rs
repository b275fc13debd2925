//! Integer and quantized linear algebra (`MatMulInteger`, `ConvInteger`,
//! `QLinearMatMul`, `QLinearConv`, `DynamicQuantizeLinear`) against values
//! computed here with plain integer loops and f64 (or f32) arithmetic from
//! the ONNX definitions.

mod common;

use common::{f32s, import_error, ints, run_model, single_node, values};
use relax_compiler::frontend::onnx::builder::{attr_ints, node};
use relax_compiler::frontend::onnx::proto::NodeProto;
use relax_compiler::NDArray;
use relax_rt::DType;

/// Runs `node` in the default domain with run-time inputs `args`.
fn run(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> Vec<NDArray> {
    let model = single_node(node, args, &[]).model(opset);
    run_model(&model, &args.iter().map(|(_, a)| *a).collect::<Vec<_>>())
}

fn ivalues(a: &NDArray) -> Vec<i64> {
    (0..a.numel()).map(|i| a.get(i).to_i64()).collect()
}

/// `(a - za[i]) @ (b - zb[j])` for matrices, zero points per row and column.
fn int_matmul(a: &[i64], b: &[i64], (m, k, n): (usize, usize, usize), za: &[i64], zb: &[i64]) -> Vec<i64> {
    let mut out = vec![0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| (a[i * k + p] - za[i]) * (b[p * n + j] - zb[j])).sum();
        }
    }
    out
}

#[test]
fn matmul_integer_with_per_row_and_per_column_zero_points() {
    let a = ints(DType::U8, &[2, 3], &[0, 128, 255, 7, 9, 200]);
    let b = ints(DType::I8, &[3, 2], &[-128, 127, 5, -6, 0, 100]);
    let (za, zb) = (ints(DType::U8, &[2], &[128, 3]), ints(DType::I8, &[2], &[-1, 2]));
    let n = node("MatMulInteger", &["a", "b", "za", "zb"], &["y"]);
    let out = run(10, n, &[("a", &a), ("b", &b), ("za", &za), ("zb", &zb)]);
    let want = int_matmul(&ivalues(&a), &ivalues(&b), (2, 3, 2), &[128, 3], &[-1, 2]);
    assert_eq!(out[0], ints(DType::I32, &[2, 2], &want));
    // Without zero points.
    let n = node("MatMulInteger", &["a", "b"], &["y"]);
    let out = run(10, n, &[("a", &a), ("b", &b)]);
    let want = int_matmul(&ivalues(&a), &ivalues(&b), (2, 3, 2), &[0, 0], &[0, 0]);
    assert_eq!(out[0], ints(DType::I32, &[2, 2], &want));
}

/// `saturate(round_half_even(acc * ratio) + zero)` into `[lo, hi]`.
fn requantize(acc: i64, ratio: f64, zero: i64, (lo, hi): (i64, i64)) -> i64 {
    ((acc as f64 * ratio + zero as f64).round_ties_even() as i64).clamp(lo, hi)
}

#[test]
fn qlinear_matmul_rounds_half_to_even_and_saturates() {
    // Scales 0.5 * 1 / 1 make every odd accumulator a tie.
    let a = ints(DType::U8, &[2, 2], &[11, 12, 13, 250]);
    let b = ints(DType::U8, &[2, 3], &[1, 2, 3, 4, 5, 255]);
    let scale = |v: f64| f32s(&[1], &[v]);
    let (a_scale, b_scale, y_scale) = (scale(0.5), scale(1.0), scale(1.0));
    let (a_zero, b_zero, y_zero) =
        (ints(DType::U8, &[1], &[10]), ints(DType::U8, &[1], &[0]), ints(DType::U8, &[1], &[0]));
    let names = ["a", "as", "az", "b", "bs", "bz", "ys", "yz"];
    let n = node("QLinearMatMul", &names, &["y"]);
    let args = [&a, &a_scale, &a_zero, &b, &b_scale, &b_zero, &y_scale, &y_zero];
    let named: Vec<(&str, &NDArray)> = names.iter().copied().zip(args.iter().copied()).collect();
    let out = run(21, n, &named);
    let acc = int_matmul(&ivalues(&a), &ivalues(&b), (2, 2, 3), &[10, 10], &[0, 0, 0]);
    let want: Vec<i64> = acc.iter().map(|&c| requantize(c, 0.5, 0, (0, 255))).collect();
    // acc row 0 is [1*1 + 2*4, 1*2 + 2*5, 1*3 + 2*255] = [9, 12, 513]: 4.5 -> 4, 6, 256.5 -> saturates.
    assert_eq!(&want[..3], &[4, 6, 255]);
    assert_eq!(out[0], ints(DType::U8, &[2, 3], &want));
}

#[test]
fn qlinear_matmul_per_row_and_per_column_in_batches() {
    let a = NDArray::random(DType::I8, &[2, 2, 3], 1);
    let b = NDArray::random(DType::I8, &[2, 3, 2], 2);
    let a_scale = f32s(&[2, 2, 1], &[0.01, 0.02, 0.03, 0.04]);
    let a_zero = ints(DType::I8, &[2, 2, 1], &[1, -2, 3, 0]);
    let b_scale = f32s(&[2, 1, 2], &[0.5, 0.25, 0.125, 1.0]);
    let b_zero = ints(DType::I8, &[2, 1, 2], &[0, 5, -5, 1]);
    let (y_scale, y_zero) = (f32s(&[], &[0.05]), ints(DType::I8, &[], &[-3]));
    let names = ["a", "as", "az", "b", "bs", "bz", "ys", "yz"];
    let args = [&a, &a_scale, &a_zero, &b, &b_scale, &b_zero, &y_scale, &y_zero];
    let named: Vec<(&str, &NDArray)> = names.iter().copied().zip(args.iter().copied()).collect();
    let out = run(21, node("QLinearMatMul", &names, &["y"]), &named);
    let (av, bv, asv, bsv) = (ivalues(&a), ivalues(&b), values(&a_scale), values(&b_scale));
    let (azv, bzv) = (ivalues(&a_zero), ivalues(&b_zero));
    let mut want = vec![];
    for batch in 0..2 {
        let acc = int_matmul(
            &av[batch * 6..batch * 6 + 6],
            &bv[batch * 6..batch * 6 + 6],
            (2, 3, 2),
            &azv[batch * 2..batch * 2 + 2],
            &bzv[batch * 2..batch * 2 + 2],
        );
        for i in 0..2 {
            for j in 0..2 {
                // The ratio in f32, as the scales' dtype.
                let ratio = (asv[batch * 2 + i] as f32 * bsv[batch * 2 + j] as f32 / 0.05_f32) as f64;
                want.push(requantize(acc[i * 2 + j], ratio, -3, (-128, 127)));
            }
        }
    }
    assert_eq!(out[0], ints(DType::I8, &[2, 2, 2], &want));
}

/// A direct 2-D convolution of one image `[C, H, W]` (already shifted) with
/// `[M, C, kh, kw]` weights, zero padding `pad` on every side, stride 1.
fn conv_direct(
    x: &[i64],
    (c, h, w): (usize, usize, usize),
    wt: &[i64],
    (m, kh, kw): (usize, usize, usize),
    pad: usize,
) -> Vec<i64> {
    let (oh, ow) = (h + 2 * pad - kh + 1, w + 2 * pad - kw + 1);
    let mut out = vec![0; m * oh * ow];
    for o in 0..m {
        for i in 0..oh {
            for j in 0..ow {
                let mut acc = 0;
                for ch in 0..c {
                    for di in 0..kh {
                        for dj in 0..kw {
                            let (y, x_) = ((i + di) as i64 - pad as i64, (j + dj) as i64 - pad as i64);
                            if y >= 0 && x_ >= 0 && (y as usize) < h && (x_ as usize) < w {
                                acc +=
                                    x[(ch * h + y as usize) * w + x_ as usize] * wt[((o * c + ch) * kh + di) * kw + dj];
                            }
                        }
                    }
                }
                out[(o * oh + i) * ow + j] = acc;
            }
        }
    }
    out
}

#[test]
fn conv_integer_pads_with_the_shifted_zero_and_shifts_weights_per_channel() {
    let x = ints(DType::U8, &[1, 2, 3, 3], &(0..18).map(|v| v * 13 % 256).collect::<Vec<_>>());
    let w = ints(DType::I8, &[2, 2, 2, 2], &[1, -2, 3, 4, -5, 6, 7, -8, 9, 10, -11, 12, 0, 1, -1, 2]);
    let (xz, wz) = (ints(DType::U8, &[], &[100]), ints(DType::I8, &[2], &[1, -1]));
    let n = node("ConvInteger", &["x", "w", "xz", "wz"], &["y"]).with_attr(attr_ints("pads", &[1, 1, 1, 1]));
    let out = run(10, n, &[("x", &x), ("w", &w), ("xz", &xz), ("wz", &wz)]);
    let xs: Vec<i64> = ivalues(&x).iter().map(|v| v - 100).collect();
    let ws: Vec<i64> = ivalues(&w).iter().enumerate().map(|(i, v)| v - [1, -1][i / 8]).collect();
    let want = conv_direct(&xs, (2, 3, 3), &ws, (2, 2, 2), 1);
    assert_eq!(out[0], ints(DType::I32, &[1, 2, 4, 4], &want));
}

#[test]
fn qlinear_conv_adds_the_bias_and_rescales_per_output_channel() {
    let x = ints(DType::U8, &[1, 1, 3, 3], &[10, 20, 30, 40, 50, 60, 70, 80, 90]);
    let w = ints(DType::I8, &[2, 1, 2, 2], &[1, 2, 3, 4, -1, 0, 2, -3]);
    let (x_scale, x_zero) = (f32s(&[], &[0.1]), ints(DType::U8, &[], &[50]));
    let (w_scale, w_zero) = (f32s(&[2], &[0.5, 0.2]), ints(DType::I8, &[2], &[0, 1]));
    let (y_scale, y_zero) = (f32s(&[], &[0.3]), ints(DType::U8, &[], &[128]));
    let bias = ints(DType::I32, &[2], &[100, -7]);
    let names = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"];
    let args = [&x, &x_scale, &x_zero, &w, &w_scale, &w_zero, &y_scale, &y_zero, &bias];
    let named: Vec<(&str, &NDArray)> = names.iter().copied().zip(args.iter().copied()).collect();
    let out = run(10, node("QLinearConv", &names, &["y"]), &named);
    let xs: Vec<i64> = ivalues(&x).iter().map(|v| v - 50).collect();
    let ws: Vec<i64> = ivalues(&w).iter().enumerate().map(|(i, v)| v - [0, 1][i / 4]).collect();
    let acc = conv_direct(&xs, (1, 3, 3), &ws, (2, 2, 2), 0);
    let want: Vec<i64> = acc
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let o = i / 4;
            let ratio = (0.1_f32 * [0.5_f32, 0.2][o] / 0.3_f32) as f64;
            requantize(a + [100, -7][o], ratio, 128, (0, 255))
        })
        .collect();
    assert_eq!(out[0], ints(DType::U8, &[1, 2, 2, 2], &want));
}

/// The ONNX definition of `DynamicQuantizeLinear` in f32.
fn dynamic_quantize(x: &[f32]) -> (Vec<i64>, f32, i64) {
    let high = x.iter().fold(0.0_f32, |m, &v| m.max(v));
    let low = x.iter().fold(0.0_f32, |m, &v| m.min(v));
    let scale = if high == low { 1.0 } else { high - low } / 255.0;
    let zero = (0.0 - low / scale).clamp(0.0, 255.0).round_ties_even();
    let y = x.iter().map(|&v| ((v / scale).round_ties_even() + zero).clamp(0.0, 255.0) as i64).collect();
    (y, scale, zero as i64)
}

#[test]
fn dynamic_quantize_linear_widens_the_range_to_zero() {
    for data in [vec![0.0, 2.0, -3.0, -2.5, 1.34, 0.5], vec![1.0, 2.5, 4.0], vec![-1.0, -7.75], vec![0.0, 0.0]] {
        let x = f32s(&[data.len()], &data);
        let out = run(11, node("DynamicQuantizeLinear", &["x"], &["y", "s", "z"]), &[("x", &x)]);
        let (y, scale, zero) = dynamic_quantize(&data.iter().map(|&v| v as f32).collect::<Vec<_>>());
        assert_eq!(out[0], ints(DType::U8, &[data.len()], &y), "{data:?}");
        assert_eq!(out[1], f32s(&[], &[scale as f64]), "{data:?}");
        assert_eq!(out[2], ints(DType::U8, &[], &[zero]), "{data:?}");
    }
}

#[test]
fn quantization_parameters_must_fit_their_tensors() {
    let a = ints(DType::U8, &[2, 3], &[1, 2, 3, 4, 5, 6]);
    let b = ints(DType::U8, &[3, 2], &[1, 2, 3, 4, 5, 6]);
    let odd = ints(DType::U8, &[3], &[1, 2, 3]);
    let n = node("MatMulInteger", &["a", "b", "za"], &["y"]);
    let model = single_node(n, &[("a", &a), ("b", &b), ("za", &odd)], &[]).model(10);
    assert_eq!(
        import_error(&model),
        ["node `y` (MatMulInteger): input `za` of shape Tensor<[3], u8> does not fit its tensor Tensor<[2, 3], u8> \
          (Rows)"]
    );
    let wide = ints(DType::I32, &[2, 3], &[1, 2, 3, 4, 5, 6]);
    let n = node("MatMulInteger", &["a", "b"], &["y"]);
    let model = single_node(n, &[("a", &wide), ("b", &b)], &[]).model(10);
    assert_eq!(import_error(&model), ["node `y` (MatMulInteger): input `a` must be int8 or uint8, got i32"]);
}
