//! `MaxUnpool`: the values of a max pooling put back where its indices say,
//! zeros elsewhere.
//!
//! The indices are flat positions in the unpooled tensor of the inferred
//! shape (`(in - 1) * stride - pads + kernel` per spatial axis). An
//! `output_shape` input asks for a larger tensor: as in the ONNX reference
//! and test cases, the inferred tensor then sits in its leading corner, so
//! each index is re-flattened into the output's shape before the scatter.
//! `output_shape` may be a constant or a graph input.

use super::int_inputs::int_vector;
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] =
    &[Converter::new("MaxUnpool", max_unpool).attrs(&["kernel_shape", "pads", "strides"]).since(9).check(check)];

fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    attrs.ints("kernel_shape")?.map(|_| ()).ok_or_else(|| "attribute kernel_shape is required".to_string())
}

fn call(ctx: &mut NodeCtx, op: &str, args: &[Value]) -> Result<Value, String> {
    ctx.call(op, args, Attrs::new())
}

fn i64_scalar(v: i64) -> Value {
    Value::scalar(DType::I64, v as f64)
}

/// The unpooled shape `[N, C, (in - 1) * stride - pads + kernel ...]`.
fn inferred_shape(ctx: &NodeCtx, input: &[Dim]) -> Result<Vec<i64>, String> {
    let kernel = ctx.attrs.ints("kernel_shape")?.ok_or("attribute kernel_shape is required")?;
    let spatial = kernel.len();
    if input.len() != spatial + 2 {
        return Err(format!("the input has rank {}, but kernel_shape has {spatial} axes", input.len()));
    }
    let strides = ctx.attrs.ints("strides")?.unwrap_or_else(|| vec![1; spatial]);
    let pads = ctx.attrs.ints("pads")?.unwrap_or_else(|| vec![0; 2 * spatial]);
    if strides.len() != spatial || pads.len() != 2 * spatial {
        return Err(format!("strides {strides:?} and pads {pads:?} must have {spatial} and {} entries", 2 * spatial));
    }
    let dims: Vec<i64> = input.iter().map(Dim::as_int).collect::<Option<_>>().ok_or_else(|| {
        format!("the input's shape must be known at compile time, got {}", crate::ir::dim::shape_to_string(input))
    })?;
    let mut shape = dims[..2].to_vec();
    for a in 0..spatial {
        shape.push((dims[a + 2] - 1) * strides[a] - pads[a] - pads[a + spatial] + kernel[a]);
    }
    Ok(shape)
}

fn max_unpool(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, indices) = (ctx.input(0)?, ctx.input(1)?);
    let info = x.info();
    if indices.dtype() != DType::I64 || indices.info().shape.len() != info.rank() {
        return Err(format!("the indices must be i64 of the input's shape, got {}", indices.info()));
    }
    let inferred = inferred_shape(ctx, &info.shape)?;
    let (out_dims, out_values) = match int_vector(ctx, 2, 0)? {
        None => (inferred.iter().map(|&d| Dim::Int(d)).collect(), inferred.iter().map(|&d| i64_scalar(d)).collect()),
        Some(shape) if shape.dims.len() == info.rank() => (shape.dims, shape.values),
        Some(shape) => {
            return Err(format!("output_shape has {} entries; the input has rank {}", shape.dims.len(), info.rank()))
        }
    };
    let total = Dim::product(&out_dims);
    let flat = |ctx: &mut NodeCtx, v: Value| {
        let n = v.info().numel();
        ctx.call("reshape", &[v], Attrs::new().with("shape", AttrValue::Dims(vec![n])))
    };
    let index = reflatten(ctx, indices, &inferred, &out_values)?;
    let index = flat(ctx, index)?;
    let values = flat(ctx, x)?;
    let zeros = Value::scalar(info.dtype, 0.0);
    let zeros = ctx.call("broadcast_to", &[zeros], Attrs::new().with("shape", AttrValue::Dims(vec![total])))?;
    let attrs = Attrs::new().with("axis", AttrValue::Int(0)).with("reduction", AttrValue::Str("none".to_string()));
    let scattered = ctx.call("scatter_elements", &[zeros, index, values], attrs)?;
    single(ctx.call("reshape", &[scattered], Attrs::new().with("shape", AttrValue::Dims(out_dims)))?)
}

/// Flat positions in a tensor of shape `from` re-flattened for one of shape
/// `to` (given as values), coordinate by coordinate (the positions are not
/// negative, so integer division is floor division).
fn reflatten(ctx: &mut NodeCtx, index: Value, from: &[i64], to: &[Value]) -> Result<Value, String> {
    if from.iter().zip(to).all(|(&f, t)| t.const_ints().as_deref() == Some(&[f])) {
        return Ok(index);
    }
    let mut rest = ctx.bind(index, "index");
    let mut out = i64_scalar(0);
    let mut stride = i64_scalar(1);
    for (&f, t) in from.iter().zip(to).rev() {
        let coordinate = call(ctx, "floor_mod", &[rest.clone(), i64_scalar(f)])?;
        rest = call(ctx, "div", &[rest, i64_scalar(f)])?;
        let term = call(ctx, "mul", &[coordinate, stride.clone()])?;
        out = call(ctx, "add", &[out, term])?;
        stride = call(ctx, "mul", &[stride, t.clone()])?;
    }
    Ok(out)
}
