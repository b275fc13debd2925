//! `QuantizeLinear` and `DequantizeLinear` (opsets 10 to 25), written with relax's
//! element-wise operators so the steps fuse into one kernel.
//!
//! - Dequantize: `y = (x - zero_point) * scale`, computed in f32 (exact for
//!   every quantized type but i32, which is rounded to f32 first, as ONNX's
//!   reference does) and converted once to the output dtype (`output_dtype`,
//!   else the scale's).
//! - Quantize: `x / scale` in the division precision (`precision`, else the
//!   scale's dtype), then for integer targets rounded half to even, shifted by
//!   the zero point and saturated to the target's range; for 8-bit float
//!   targets shifted by the zero point and converted as `Cast` does with the
//!   `saturate` attribute.
//!
//! The scale and zero point select the granularity: a scalar (or one-element
//! vector) is per tensor; a vector of the axis' length is per axis; with
//! `block_size`, a tensor of the input's rank whose axis holds one entry per
//! block of `block_size` elements (the last block may be short) is blocked,
//! read through a constant index (`take`), so the axis must be static.
//!
//! The integer linear algebra (`QLinearMatMul`, `DynamicQuantizeLinear`, ...)
//! is in `quantized.rs`.

use super::cast::{self, Saturation};
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::dtype::dtype_of;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use crate::op::compute::int_range;
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("QuantizeLinear", quantize)
        .attrs(&["axis", "saturate", "block_size", "output_dtype", "precision"])
        .since(10),
    Converter::new("DequantizeLinear", dequantize).attrs(&["axis", "block_size", "output_dtype"]).since(10),
];

/// How the scale and zero point map onto the input's elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Granularity {
    PerTensor,
    PerAxis { axis: usize },
    Blocked { axis: usize, block_size: usize },
}

impl Granularity {
    /// From the scale's shape and the `axis` and `block_size` attributes.
    fn of(ctx: &NodeCtx, x: &Value, scale: &Value) -> Result<Granularity, String> {
        let block_size = ctx.attrs.int_or("block_size", 0)?;
        let scale_info = scale.info();
        let per_tensor = scale_info.rank() == 0 || (scale_info.rank() == 1 && scale_info.shape[0] == Dim::Int(1));
        if per_tensor {
            return Ok(Granularity::PerTensor);
        }
        let rank = x.rank() as i64;
        let axis = ctx.attrs.int_or("axis", 1)?;
        if !(-rank..rank).contains(&axis) {
            return Err(format!("axis {axis} is out of range for an input of rank {rank}"));
        }
        let axis = axis.rem_euclid(rank) as usize;
        if block_size < 0 {
            return Err(format!("block_size must be positive, got {block_size}"));
        }
        if block_size == 0 {
            if scale_info.rank() != 1 {
                return Err(format!(
                    "the scale of per-axis quantization must be a vector, got shape {:?}",
                    scale_info.shape
                ));
            }
            return Ok(Granularity::PerAxis { axis });
        }
        Ok(Granularity::Blocked { axis, block_size: block_size as usize })
    }

    /// `param` (the scale or the zero point) arranged to broadcast against `x`.
    fn spread(&self, ctx: &mut NodeCtx, param: Value, x: &Value) -> Result<Value, String> {
        let x_shape = x.info().shape;
        match *self {
            Granularity::PerTensor => reshape(ctx, param, vec![]),
            Granularity::PerAxis { axis } => {
                let expected = &x_shape[axis];
                let found = &param.info().shape[0];
                if expected.as_int().zip(found.as_int()).is_some_and(|(a, b)| a != b) {
                    return Err(format!("the per-axis parameters have {found} entries for an axis of {expected}"));
                }
                let mut shape = vec![Dim::Int(1); x_shape.len()];
                shape[axis] = expected.clone();
                reshape(ctx, param, shape)
            }
            Granularity::Blocked { axis, block_size } => {
                let blocks = check_blocks(&param.info().shape, &x_shape, axis, block_size)?;
                let index: Vec<i64> = (0..blocks.elements).map(|j| (j / block_size) as i64).collect();
                let index = Value::constant(NDArray::from_i64_values(DType::I64, &[index.len()], &index));
                ctx.call("take", &[param, index], Attrs::new().with("axis", AttrValue::Int(axis as i64)))
            }
        }
    }
}

/// The static extent of a blocked axis.
struct Blocks {
    elements: usize,
}

/// Checks the shape of blocked parameters against the input: equal except
/// along `axis`, which holds `ceil(elements / block_size)` entries.
fn check_blocks(param: &[Dim], x: &[Dim], axis: usize, block_size: usize) -> Result<Blocks, String> {
    let shapes = || format!("parameters of shape {param:?} for an input of shape {x:?}");
    if param.len() != x.len() {
        return Err(format!("blocked quantization needs {} of the same rank", shapes()));
    }
    for (k, (p, d)) in param.iter().zip(x).enumerate() {
        if k != axis && p != d {
            return Err(format!("blocked quantization needs {} equal off axis {axis}", shapes()));
        }
    }
    let (Some(elements), Some(count)) = (x[axis].as_int(), param[axis].as_int()) else {
        return Err(format!("blocked quantization needs axis {axis} of static length ({})", shapes()));
    };
    let (elements, count) = (elements as usize, count as usize);
    if count != elements.div_ceil(block_size) {
        return Err(format!(
            "block_size {block_size} needs {} blocks along axis {axis}, got {count}",
            elements.div_ceil(block_size)
        ));
    }
    Ok(Blocks { elements })
}

fn reshape(ctx: &mut NodeCtx, x: Value, shape: Vec<Dim>) -> Result<Value, String> {
    ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

fn cast_to(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}

fn binary(ctx: &mut NodeCtx, op: &str, a: Value, b: Value) -> Result<Value, String> {
    ctx.call(op, &[a, b], Attrs::new())
}

/// A dtype attribute, absent when 0 (ONNX's "not given").
fn dtype_attr(attrs: &Attributes, name: &str) -> Result<Option<DType>, String> {
    match attrs.int_or(name, 0)? {
        0 => Ok(None),
        code => dtype_of(code as i32).map(Some).map_err(|e| format!("attribute {name}: {e}")),
    }
}

fn dequantize(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, scale) = (ctx.input(0)?, ctx.input(1)?);
    let output = dtype_attr(&ctx.attrs, "output_dtype")?.unwrap_or(scale.dtype());
    if !output.is_float() {
        return Err(format!("the output must be a float type, got {output}"));
    }
    let zero_point = ctx.optional_input(2);
    if let Some(zp) = &zero_point {
        if zp.dtype() != x.dtype() {
            return Err(format!("the zero point is {} but the input is {}", zp.dtype(), x.dtype()));
        }
    }
    let granularity = Granularity::of(ctx, &x, &scale)?;
    let compute = DType::F32;
    let mut shifted = cast_to(ctx, x.clone(), compute)?;
    if let Some(zp) = zero_point {
        let zp = granularity.spread(ctx, zp, &x)?;
        let zp = cast_to(ctx, zp, compute)?;
        shifted = binary(ctx, "sub", shifted, zp)?;
    }
    let scale = granularity.spread(ctx, scale, &x)?;
    let scale = cast_to(ctx, scale, compute)?;
    let y = binary(ctx, "mul", shifted, scale)?;
    single(cast_to(ctx, y, output)?)
}

fn quantize(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, scale) = (ctx.input(0)?, ctx.input(1)?);
    let zero_point = ctx.optional_input(2);
    let target = quantized_type(&ctx.attrs, zero_point.as_ref())?;
    let granularity = Granularity::of(ctx, &x, &scale)?;
    let precision = division_precision(&ctx.attrs, &x, &scale)?;
    let saturation = Saturation::of(&ctx.attrs, target)?;
    single(quantize_to(ctx, x, scale, zero_point, Quantization { granularity, precision, target, saturation })?)
}

/// How [`quantize_to`] maps values.
struct Quantization {
    granularity: Granularity,
    precision: DType,
    target: DType,
    saturation: Saturation,
}

/// `x` quantized with `scale` and `zero_point` (as given, before spreading).
fn quantize_to(
    ctx: &mut NodeCtx,
    x: Value,
    scale: Value,
    zero_point: Option<Value>,
    q: Quantization,
) -> Result<Value, String> {
    let Quantization { granularity, precision, target, saturation } = q;
    let wide_x = cast_to(ctx, x.clone(), precision)?;
    let scale = granularity.spread(ctx, scale, &x)?;
    let scale = cast_to(ctx, scale, precision)?;
    let scaled = binary(ctx, "div", wide_x, scale)?;
    let zero_point = match zero_point {
        Some(zp) => Some(granularity.spread(ctx, zp, &x)?),
        None => None,
    };
    if target.is_int() {
        return saturate_to_int(ctx, scaled, zero_point, target);
    }
    let shifted = match zero_point {
        Some(zp) => {
            let zp = cast_to(ctx, zp, precision)?;
            binary(ctx, "add", scaled, zp)?
        }
        None => scaled,
    };
    cast::convert(ctx, shifted, target, saturation)
}

/// The quantized type: the zero point's, else `output_dtype`, else uint8
/// (both given must agree).
fn quantized_type(attrs: &Attributes, zero_point: Option<&Value>) -> Result<DType, String> {
    let declared = dtype_attr(attrs, "output_dtype")?;
    let target = match (zero_point.map(Value::dtype), declared) {
        (Some(zp), Some(out)) if zp != out => {
            return Err(format!("output_dtype {out} differs from the zero point's type {zp}"));
        }
        (Some(zp), _) => zp,
        (None, Some(out)) => out,
        (None, None) => DType::U8,
    };
    let supported = matches!(target, DType::I8 | DType::U8 | DType::I16 | DType::U16)
        || (target.is_int() && target.bits() < 8)
        || (target.float_format().is_some() && target.size() == 1);
    if !supported {
        return Err(format!("quantizing to {target} is not supported"));
    }
    Ok(target)
}

/// The dtype `x / scale` is computed in: the `precision` attribute, else the
/// scale's dtype when it is a float with a fraction (for an int32 or E8M0
/// scale, the input's float dtype, or f32).
fn division_precision(attrs: &Attributes, x: &Value, scale: &Value) -> Result<DType, String> {
    if let Some(p) = dtype_attr(attrs, "precision")? {
        if !p.is_float() || p == DType::F8E8M0 {
            return Err(format!("attribute precision must be a float type with a fraction, got {p}"));
        }
        return Ok(p);
    }
    let has_fraction = |d: DType| d.is_float() && d != DType::F8E8M0;
    Ok(if has_fraction(scale.dtype()) {
        scale.dtype()
    } else if has_fraction(x.dtype()) {
        x.dtype()
    } else {
        DType::F32
    })
}

/// `saturate(round(scaled) + zero_point)` for an integer `target`: the
/// rounded value and the zero point meet in f64, where both are exact and
/// the sum cannot overflow before it is clipped to the target's range.
fn saturate_to_int(
    ctx: &mut NodeCtx,
    scaled: Value,
    zero_point: Option<Value>,
    target: DType,
) -> Result<Value, String> {
    let rounded = ctx.call("round", &[scaled], Attrs::new())?;
    let mut sum = cast_to(ctx, rounded, DType::F64)?;
    if let Some(zp) = zero_point {
        let zp = cast_to(ctx, zp, DType::F64)?;
        sum = binary(ctx, "add", sum, zp)?;
    }
    let (lo, hi) = int_range(target);
    let bounds = Attrs::new().with("min", AttrValue::Float(lo as f64)).with("max", AttrValue::Float(hi as f64));
    let clipped = ctx.call("clip", &[sum], bounds)?;
    cast_to(ctx, clipped, target)
}
