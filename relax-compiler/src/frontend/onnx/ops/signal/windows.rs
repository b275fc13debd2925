//! The window generators of opset 17: `HannWindow`, `HammingWindow` and
//! `BlackmanWindow`, each `size` samples of a cosine sum
//! `a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)` with `N = size` when
//! `periodic` (the default) and `size - 1` when symmetric.
//!
//! `size` may be a graph input: its value becomes the output's dim, bound at
//! run time. The samples are computed in f64 and converted to
//! `output_datatype` (default f32).

use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::dtype::dtype_of;
use crate::frontend::onnx::ops::iota::iota;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};
use relax_rt::DType;
use std::f64::consts::TAU;

/// A window's cosine-sum coefficients `a0, a1, a2`.
#[derive(Clone, Copy, Debug)]
pub struct Coefficients(pub f64, pub f64, pub f64);

/// `sin^2(pi n / N) = 0.5 - 0.5 cos(2 pi n / N)`.
pub const HANN: Coefficients = Coefficients(0.5, 0.5, 0.0);
/// `25/46 - 21/46 cos(2 pi n / N)`.
pub const HAMMING: Coefficients = Coefficients(25.0 / 46.0, 21.0 / 46.0, 0.0);
pub const BLACKMAN: Coefficients = Coefficients(0.42, 0.5, 0.08);

/// The output dtype, which must be one relax has.
fn output_dtype(attrs: &Attributes) -> Result<DType, String> {
    let code = attrs.int_or("output_datatype", 1)?;
    i32::try_from(code).map_err(|_| format!("output_datatype {code} is not a data type")).and_then(dtype_of)
}

pub fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    output_dtype(attrs).map_err(|e| format!("attribute output_datatype: {e}"))?;
    match attrs.int_or("periodic", 1)? {
        0 | 1 => Ok(()),
        other => Err(format!("attribute periodic={other} must be 0 or 1")),
    }
}

pub fn convert(ctx: &mut NodeCtx, window: Coefficients) -> Result<Vec<Value>, String> {
    let size = ctx.input(0)?;
    if !matches!(size.dtype(), DType::I32 | DType::I64) || size.info().numel().as_int() != Some(1) {
        return Err(format!("the size must be an int32 or int64 scalar, got {}", size.info()));
    }
    let dims = ctx.int_values(0)?.ok_or("input size is required")?;
    let length = ctx.importer.derived_dim("size", dims.dims[0].clone().max(0));
    let f = |v: f64| Value::scalar(DType::F64, v);
    let n = iota(ctx, &length)?;
    let n = ctx.call("cast", &[n], Attrs::new().with("dtype", AttrValue::DType(DType::F64)))?;
    let size = ctx.call("reshape", &[size], Attrs::new().with("shape", AttrValue::Dims(vec![])))?;
    let size = ctx.call("cast", &[size], Attrs::new().with("dtype", AttrValue::DType(DType::F64)))?;
    let period = match ctx.attrs.int_or("periodic", 1)? {
        0 => ctx.call("sub", &[size, f(1.0)], Attrs::new())?,
        _ => size,
    };
    let turns = ctx.call("div", &[n, period], Attrs::new())?;
    let angle = ctx.call("mul", &[turns, f(TAU)], Attrs::new())?;
    let angle = ctx.bind(angle, "angle");
    let first = ctx.call("cos", std::slice::from_ref(&angle), Attrs::new())?;
    let first = ctx.call("mul", &[first, f(-window.1)], Attrs::new())?;
    let mut y = ctx.call("add", &[first, f(window.0)], Attrs::new())?;
    if window.2 != 0.0 {
        let double = ctx.call("mul", &[angle, f(2.0)], Attrs::new())?;
        let second = ctx.call("cos", &[double], Attrs::new())?;
        let second = ctx.call("mul", &[second, f(window.2)], Attrs::new())?;
        y = ctx.call("add", &[y, second], Attrs::new())?;
    }
    let dtype = output_dtype(&ctx.attrs)?;
    Ok(vec![ctx.call("cast", &[y], Attrs::new().with("dtype", AttrValue::DType(dtype)))?])
}
