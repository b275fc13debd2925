//! Integer and quantized linear algebra on 8-bit tensors: `MatMulInteger`,
//! `ConvInteger`, `QLinearMatMul`, `QLinearConv` and `DynamicQuantizeLinear`.
//!
//! The integer part is exact: operands are widened to i32 and their zero
//! points subtracted before a matmul or convolution in i32 (which, like
//! ONNX's, may only wrap when accumulating). A quantized result is then
//! `saturate(round(acc * (scale_in * scale_w / scale_y)) + zero_y)`,
//! rounding half to even. The scale ratio is computed in the scales' dtype
//! and the rescaling in f64, where every i32 accumulator and the product are
//! exact enough that rounding sees the value the ONNX reference does.

use super::conv::convolve;
use super::window::check_window_attrs;
use super::{single, Converter};
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::op::compute::int_range;
use relax_rt::DType;

const CONV_ATTRIBUTES: &[&str] = &["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("MatMulInteger", matmul_integer).since(10),
    Converter::new("ConvInteger", conv_integer)
        .attrs(CONV_ATTRIBUTES)
        .since(10)
        .check(|attrs, _| check_window_attrs(attrs)),
    Converter::new("QLinearMatMul", qlinear_matmul).since(10),
    Converter::new("QLinearConv", qlinear_conv)
        .attrs(CONV_ATTRIBUTES)
        .since(10)
        .check(|attrs, _| check_window_attrs(attrs)),
    Converter::new("DynamicQuantizeLinear", dynamic_quantize_linear).since(11).outputs(3),
];

fn call(ctx: &mut NodeCtx, op: &str, args: &[Value]) -> Result<Value, String> {
    ctx.call(op, args, Attrs::new())
}

fn cast(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    if x.dtype() == dtype {
        return Ok(x);
    }
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}

fn reshape(ctx: &mut NodeCtx, x: Value, shape: Vec<Dim>) -> Result<Value, String> {
    ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

/// Input `k`, which must be an 8-bit integer tensor.
fn quantized_input(ctx: &NodeCtx, k: usize) -> Result<Value, String> {
    let x = ctx.input(k)?;
    match x.dtype() {
        DType::I8 | DType::U8 => Ok(x),
        other => Err(format!("input `{}` must be int8 or uint8, got {other}", ctx.input_name(k))),
    }
}

/// How a quantization parameter (scale or zero point) lines up with its
/// tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// One per tensor, or one per row of a matmul's left operand (`[M]` for
    /// a matrix, `[.., M, 1]` in general).
    Rows,
    /// One per tensor, or one per column of a matmul's right operand (`[N]`
    /// or `[.., 1, N]`).
    Columns,
    /// One per tensor, or one per output channel of a convolution weight
    /// (`[M]`), to broadcast against a tensor of rank `rank` whose axis
    /// `axis` is the channel.
    Channels { rank: usize, axis: usize },
}

/// Parameter input `k` of `tensor` shaped to broadcast against it (or
/// against the result for `Channels`); a one-element parameter is per
/// tensor.
fn parameter(ctx: &mut NodeCtx, k: usize, tensor: &Value, layout: Layout) -> Result<Value, String> {
    let p = ctx.input(k)?;
    let (info, of) = (p.info(), tensor.info());
    if info.numel().as_int() == Some(1) {
        return reshape(ctx, p, vec![]);
    }
    let name = ctx.input_name(k).to_string();
    let unsupported = || format!("input `{name}` of shape {info} does not fit its tensor {of} ({layout:?})");
    match layout {
        Layout::Rows if info.rank() == 1 && of.rank() == 2 && info.shape[0].proven_eq(&of.shape[0]) => {
            reshape(ctx, p, vec![info.shape[0].clone(), Dim::Int(1)])
        }
        Layout::Rows if info.rank() == of.rank() && info.shape[of.rank() - 1].as_int() == Some(1) => Ok(p),
        Layout::Columns if info.rank() == 1 && of.rank() >= 2 && info.shape[0].proven_eq(&of.shape[of.rank() - 1]) => {
            Ok(p)
        }
        Layout::Columns
            if info.rank() == of.rank() && of.rank() >= 2 && info.shape[of.rank() - 2].as_int() == Some(1) =>
        {
            Ok(p)
        }
        Layout::Channels { rank, axis } if info.rank() == 1 && info.shape[0].proven_eq(&of.shape[0]) => {
            let shape = (0..rank).map(|a| if a == axis { info.shape[0].clone() } else { Dim::Int(1) }).collect();
            reshape(ctx, p, shape)
        }
        _ => Err(unsupported()),
    }
}

/// `x - zero_point` in i32; the zero point (input `k`, optional when
/// `optional`) must have `x`'s dtype.
fn shifted(ctx: &mut NodeCtx, x: Value, k: usize, layout: Layout, optional: bool) -> Result<Value, String> {
    let wide = cast(ctx, x.clone(), DType::I32)?;
    if optional && ctx.optional_input(k).is_none() {
        return Ok(wide);
    }
    let zero = parameter(ctx, k, &x, layout)?;
    if zero.dtype() != x.dtype() {
        return Err(format!("the zero point `{}` must have its tensor's dtype {}", ctx.input_name(k), x.dtype()));
    }
    let zero = cast(ctx, zero, DType::I32)?;
    call(ctx, "sub", &[wide, zero])
}

/// `A @ B` in i32 after subtracting the optional zero points (per tensor,
/// per row of `A`, per column of `B`).
fn matmul_integer(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (a, b) = (quantized_input(ctx, 0)?, quantized_input(ctx, 1)?);
    let a = shifted(ctx, a, 2, Layout::Rows, true)?;
    let b = shifted(ctx, b, 3, Layout::Columns, true)?;
    single(call(ctx, "matmul", &[a, b])?)
}

/// The convolution of `x - x_zero_point` (per tensor) with `w -
/// w_zero_point` (per tensor or per output channel) in i32.
fn conv_integer(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, w) = (quantized_input(ctx, 0)?, quantized_input(ctx, 1)?);
    let weight_channels = Layout::Channels { rank: w.rank(), axis: 0 };
    check_per_tensor(ctx, 2)?;
    let x = shifted(ctx, x, 2, Layout::Rows, true)?;
    let w = shifted(ctx, w, 3, weight_channels, true)?;
    single(convolve(ctx, x, w, None)?)
}

/// Rejects a zero point or scale (input `k`) with more than one element.
fn check_per_tensor(ctx: &NodeCtx, k: usize) -> Result<(), String> {
    match ctx.optional_input(k) {
        Some(p) if p.info().numel().as_int() != Some(1) => {
            Err(format!("input `{}` must be a scalar (per tensor), got {}", ctx.input_name(k), p.info()))
        }
        _ => Ok(()),
    }
}

/// Input `k`, a per-tensor scale or zero point, as a scalar.
fn scalar_input(ctx: &mut NodeCtx, k: usize) -> Result<Value, String> {
    check_per_tensor(ctx, k)?;
    let p = ctx.input(k)?;
    reshape(ctx, p, vec![])
}

/// The quantized result: `saturate(round(acc * ratio + zero))` in the dtype
/// of the zero point `y_zero`, `acc` an i32 accumulator and `ratio` in the
/// scales' dtype.
fn requantize(ctx: &mut NodeCtx, acc: Value, ratio: Value, y_zero: Value) -> Result<Value, String> {
    let out = y_zero.dtype();
    let acc = cast(ctx, acc, DType::F64)?;
    let ratio = cast(ctx, ratio, DType::F64)?;
    let y_zero = cast(ctx, y_zero, DType::F64)?;
    let scaled = call(ctx, "mul", &[acc, ratio])?;
    let shifted = call(ctx, "add", &[scaled, y_zero])?;
    let rounded = call(ctx, "round", &[shifted])?;
    let (lo, hi) = int_range(out);
    let bounds = Attrs::new().with("min", AttrValue::Float(lo as f64)).with("max", AttrValue::Float(hi as f64));
    let saturated = ctx.call("clip", &[rounded], bounds)?;
    cast(ctx, saturated, out)
}

/// Inputs `ks` must be float scales of one dtype.
fn scales(ctx: &NodeCtx, ks: &[usize]) -> Result<Vec<Value>, String> {
    let values = ks.iter().map(|&k| ctx.input(k)).collect::<Result<Vec<_>, _>>()?;
    let dtype = values[0].dtype();
    match values.iter().zip(ks).find(|(v, _)| v.dtype() != dtype || !dtype.is_float()) {
        Some((v, &k)) => {
            Err(format!("the scales must be floats of one dtype; `{}` is {}", ctx.input_name(k), v.dtype()))
        }
        None => Ok(values),
    }
}

/// The output zero point (input `k`): a scalar, int8 or uint8.
fn output_zero_point(ctx: &mut NodeCtx, k: usize) -> Result<Value, String> {
    quantized_input(ctx, k)?;
    scalar_input(ctx, k)
}

/// `a_scale * b_scale / y_scale`, shaped per row of `a` and per column of `b`.
fn qlinear_matmul(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (a, b) = (quantized_input(ctx, 0)?, quantized_input(ctx, 3)?);
    scales(ctx, &[1, 4, 6])?;
    let a_scale = parameter(ctx, 1, &a, Layout::Rows)?;
    let b_scale = parameter(ctx, 4, &b, Layout::Columns)?;
    let y_scale = scalar_input(ctx, 6)?;
    let y_zero = output_zero_point(ctx, 7)?;
    let a = shifted(ctx, a, 2, Layout::Rows, false)?;
    let b = shifted(ctx, b, 5, Layout::Columns, false)?;
    let acc = call(ctx, "matmul", &[a, b])?;
    let product = call(ctx, "mul", &[a_scale, b_scale])?;
    let ratio = call(ctx, "div", &[product, y_scale])?;
    single(requantize(ctx, acc, ratio, y_zero)?)
}

/// The convolution of the shifted operands plus the i32 bias, rescaled by
/// `x_scale * w_scale / y_scale` (`w_scale` per tensor or per output
/// channel).
fn qlinear_conv(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, w) = (quantized_input(ctx, 0)?, quantized_input(ctx, 3)?);
    scales(ctx, &[1, 4, 6])?;
    let x_scale = scalar_input(ctx, 1)?;
    let output_channels = Layout::Channels { rank: x.rank(), axis: 1 };
    let w_scale = parameter(ctx, 4, &w, output_channels)?;
    let y_scale = scalar_input(ctx, 6)?;
    let y_zero = output_zero_point(ctx, 7)?;
    let bias = ctx.optional_input(8);
    if let Some(b) = &bias {
        if b.dtype() != DType::I32 || b.rank() != 1 {
            return Err(format!("the bias must be a vector of int32, got {}", b.info()));
        }
    }
    check_per_tensor(ctx, 2)?;
    let x = shifted(ctx, x, 2, Layout::Rows, false)?;
    let weight_channels = Layout::Channels { rank: w.rank(), axis: 0 };
    let w = shifted(ctx, w, 5, weight_channels, false)?;
    let acc = convolve(ctx, x, w, bias)?;
    let product = call(ctx, "mul", &[x_scale, w_scale])?;
    let ratio = call(ctx, "div", &[product, y_scale])?;
    single(requantize(ctx, acc, ratio, y_zero)?)
}

/// `uint8` quantization of `x` with a scale and zero point chosen from its
/// range, which is widened to include 0: `scale = (max - min) / 255` (1 /
/// 255 when the range is empty, as the ONNX reference has it), `zero =
/// round(saturate(-min / scale))`, `y = saturate(round(x / scale) + zero)`;
/// all in f32, as ONNX defines it for f32 inputs.
fn dynamic_quantize_linear(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    if x.dtype() != DType::F32 {
        return Err(format!("the input must be f32, got {}", x.dtype()));
    }
    let c = |v: f64| Value::scalar(DType::F32, v);
    let all = Attrs::new().with("keepdims", AttrValue::Bool(false));
    let high = ctx.call("max", std::slice::from_ref(&x), all.clone())?;
    let high = call(ctx, "maximum", &[high, c(0.0)])?;
    let low = ctx.call("min", std::slice::from_ref(&x), all)?;
    let low = call(ctx, "minimum", &[low, c(0.0)])?;
    let low = ctx.bind(low, "min");
    let range = call(ctx, "sub", &[high, low.clone()])?;
    let range = ctx.bind(range, "range");
    let empty = call(ctx, "equal", &[range.clone(), c(0.0)])?;
    let range = call(ctx, "where", &[empty, c(1.0), range])?;
    let scale = call(ctx, "div", &[range, c(255.0)])?;
    let scale = ctx.bind(scale, "scale");
    let low_scaled = call(ctx, "div", &[low, scale.clone()])?;
    let zero = call(ctx, "sub", &[c(0.0), low_scaled])?;
    let to_u8 = Attrs::new().with("min", AttrValue::Float(0.0)).with("max", AttrValue::Float(255.0));
    let zero = ctx.call("clip", &[zero], to_u8.clone())?;
    let zero = call(ctx, "round", &[zero])?;
    let zero = ctx.bind(zero, "zero_point");
    let scaled = call(ctx, "div", &[x, scale.clone()])?;
    let rounded = call(ctx, "round", &[scaled])?;
    let y = call(ctx, "add", &[rounded, zero.clone()])?;
    let y = ctx.call("clip", &[y], to_u8)?;
    let y = cast(ctx, y, DType::U8)?;
    let zero = cast(ctx, zero, DType::U8)?;
    Ok(vec![y, scale, zero])
}
