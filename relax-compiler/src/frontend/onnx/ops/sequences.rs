//! `ReverseSequence`: each batch entry's first `sequence_lens[b]` time steps
//! reversed, the rest kept. A gather along the time axis whose index is
//! computed from the run-time lengths: `t < len ? len - 1 - t : t`.

use super::iota::iota;
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] =
    &[Converter::new("ReverseSequence", reverse_sequence).attrs(&["batch_axis", "time_axis"]).since(10).check(check)];

/// The batch and time axes: 0 and 1, one each (defaults: time 0, batch 1).
fn axes(attrs: &Attributes) -> Result<(usize, usize), String> {
    match (attrs.int_or("batch_axis", 1)?, attrs.int_or("time_axis", 0)?) {
        (1, 0) => Ok((1, 0)),
        (0, 1) => Ok((0, 1)),
        (b, t) => Err(format!("batch_axis={b} and time_axis={t} must be 0 and 1, one each")),
    }
}

fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    axes(attrs).map(|_| ())
}

fn reverse_sequence(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, lens) = (ctx.input(0)?, ctx.input(1)?);
    let (batch_axis, time_axis) = axes(&ctx.attrs)?;
    let shape = x.info().shape;
    if shape.len() < 2 {
        return Err(format!("the input must have rank 2 or more, got {}", x.info()));
    }
    if lens.rank() != 1 || !lens.dtype().is_int() {
        return Err(format!("sequence_lens must be a vector of integers, got {}", lens.info()));
    }
    // Time steps along the time axis, lengths along the batch axis, both
    // broadcast to the input's rank.
    let along = |axis: usize, dim: &Dim| -> Vec<Dim> {
        (0..shape.len()).map(|a| if a == axis { dim.clone() } else { Dim::Int(1) }).collect()
    };
    let steps = iota(ctx, &shape[time_axis])?;
    let steps = ctx.call(
        "reshape",
        &[steps],
        Attrs::new().with("shape", AttrValue::Dims(along(time_axis, &shape[time_axis]))),
    )?;
    let steps = ctx.bind(steps, "steps");
    let lens = ctx.call("cast", &[lens], Attrs::new().with("dtype", AttrValue::DType(DType::I64)))?;
    let lens = ctx.call(
        "reshape",
        &[lens],
        Attrs::new().with("shape", AttrValue::Dims(along(batch_axis, &shape[batch_axis]))),
    )?;
    let lens = ctx.bind(lens, "lens");
    let reversed = ctx.call("sub", &[lens.clone(), Value::scalar(DType::I64, 1.0)], Attrs::new())?;
    let reversed = ctx.call("sub", &[reversed, steps.clone()], Attrs::new())?;
    let inside = ctx.call("less", &[steps.clone(), lens], Attrs::new())?;
    let index = ctx.call("where", &[inside, reversed, steps], Attrs::new())?;
    let index = ctx.call("broadcast_to", &[index], Attrs::new().with("shape", AttrValue::Dims(shape)))?;
    let attrs = Attrs::new().with("axis", AttrValue::Int(time_axis as i64));
    single(ctx.call("gather_elements", &[x, index], attrs)?)
}
