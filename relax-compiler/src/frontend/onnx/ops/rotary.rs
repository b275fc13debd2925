//! `RotaryEmbedding` (opset 23): rotary positional embeddings (RoPE), as
//! slices, element-wise products and concatenations.
//!
//! The first `rotary_embedding_dim` features of each head are read as
//! `rotary_embedding_dim / 2` pairs `(x1, x2)` — the two halves of the
//! rotated part, or with `interleaved` its even and odd features — and each
//! pair is rotated by its position's angle: `(cos * x1 - sin * x2, sin * x1 +
//! cos * x2)`, written back where the pair came from. The remaining features
//! pass through. The angles come as `cos_cache` and `sin_cache`, gathered by
//! `position_ids` when given, else already `[batch, seq, pairs]`.

use super::{single, Converter};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};

pub const CONVERTERS: &[Converter] = &[Converter::new("RotaryEmbedding", rotary_embedding)
    .attrs(&["interleaved", "num_heads", "rotary_embedding_dim"])
    .since(23)];

fn rotary_embedding(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let input_shape = x.info().shape;
    // Heads on axis 1 (`[batch, heads, seq, size]`) or, for 3-D input split
    // into heads, axis 2 (`[batch, seq, heads, size]`); the angles get a unit
    // axis there to broadcast over the heads.
    let (x, heads_axis) = match input_shape.len() {
        4 => (x, 1),
        3 => (split_heads(ctx, x, &input_shape)?, 2),
        rank => return Err(format!("the input must have rank 3 or 4, got {rank}")),
    };
    let head_size = x.info().shape[3].as_int().ok_or("the head size must be known at compile time")?;
    let rotated = match ctx.attrs.int_or("rotary_embedding_dim", 0)? {
        0 => head_size,
        d => d,
    };
    if rotated <= 0 || rotated % 2 != 0 || rotated > head_size {
        return Err(format!("rotary_embedding_dim {rotated} must be even and at most the head size {head_size}"));
    }
    let [cos, sin] = [1, 2].map(|k| angles(ctx, k, rotated / 2, heads_axis));
    let (cos, sin) = (cos?, sin?);
    let x = ctx.bind(x, "x");
    let part = slice(ctx, x.clone(), 0, rotated, 1)?;
    let part = ctx.bind(part, "rotated_part");
    let interleaved = ctx.attrs.int_or("interleaved", 0)? != 0;
    let (x1, x2) = if interleaved {
        (slice(ctx, part.clone(), 0, rotated, 2)?, slice(ctx, part, 1, rotated, 2)?)
    } else {
        (slice(ctx, part.clone(), 0, rotated / 2, 1)?, slice(ctx, part, rotated / 2, rotated, 1)?)
    };
    let (x1, x2) = (ctx.bind(x1, "x1"), ctx.bind(x2, "x2"));
    let real = combine(ctx, "sub", [&cos, &x1], [&sin, &x2])?;
    let imag = combine(ctx, "add", [&sin, &x1], [&cos, &x2])?;
    let mut y = if interleaved { interleave(ctx, real, imag)? } else { concat(ctx, vec![real, imag])? };
    if rotated < head_size {
        let rest = slice(ctx, x, rotated, head_size, 1)?;
        y = concat(ctx, vec![y, rest])?;
    }
    if input_shape.len() == 3 {
        y = ctx.call("reshape", &[y], Attrs::new().with("shape", AttrValue::Dims(input_shape)))?;
    }
    single(y)
}

/// `[batch, seq, heads * size]` as `[batch, seq, heads, size]`.
fn split_heads(ctx: &mut NodeCtx, x: Value, shape: &[Dim]) -> Result<Value, String> {
    let heads = ctx.attrs.int("num_heads")?.filter(|&h| h > 0).ok_or("3-D input needs a positive num_heads")?;
    if let Some(hidden) = shape[2].as_int().filter(|h| h % heads != 0) {
        return Err(format!("the hidden size {hidden} is not a multiple of the {heads} heads"));
    }
    let target = vec![shape[0].clone(), shape[1].clone(), Dim::Int(heads), Dim::Int(-1)];
    ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(target)))
}

/// Input `k` (`cos_cache` or `sin_cache`) as `[batch, seq, pairs]` with a unit
/// axis inserted at `heads_axis`.
fn angles(ctx: &mut NodeCtx, k: usize, pairs: i64, heads_axis: i64) -> Result<Value, String> {
    let mut cache = ctx.input(k)?;
    if let Some(positions) = ctx.optional_input(3) {
        cache = ctx.call("take", &[cache, positions], Attrs::new().with("axis", AttrValue::Int(0)))?;
    }
    let shape = cache.info().shape;
    if shape.len() != 3 || shape[2].as_int().is_some_and(|p| p != pairs) {
        return Err(format!(
            "`{}` must give [batch, seq, {pairs}] angles (half the rotated features), got {}",
            ctx.input_name(k),
            shape_to_string(&shape)
        ));
    }
    ctx.call("expand_dims", &[cache], Attrs::new().with("axis", AttrValue::Int(heads_axis)))
}

/// `a0 * a1 (op) b0 * b1`.
fn combine(ctx: &mut NodeCtx, op: &str, a: [&Value; 2], b: [&Value; 2]) -> Result<Value, String> {
    let a = ctx.call("mul", &[a[0].clone(), a[1].clone()], Attrs::new())?;
    let b = ctx.call("mul", &[b[0].clone(), b[1].clone()], Attrs::new())?;
    ctx.call(op, &[a, b], Attrs::new())
}

/// `real` and `imag` as the even and odd features of one axis.
fn interleave(ctx: &mut NodeCtx, real: Value, imag: Value) -> Result<Value, String> {
    let mut shape = real.info().shape;
    let [real, imag] =
        [real, imag].map(|v| ctx.call("expand_dims", &[v], Attrs::new().with("axis", AttrValue::Int(-1))));
    let pairs = concat(ctx, vec![real?, imag?])?;
    let last = shape.len() - 1;
    shape[last] = (shape[last].clone() * 2).simplify();
    ctx.call("reshape", &[pairs], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

/// Features `begin..end` by `step` of the last axis.
fn slice(ctx: &mut NodeCtx, x: Value, begin: i64, end: i64, step: i64) -> Result<Value, String> {
    let attrs = Attrs::new()
        .with("axes", ints_attr(&[3]))
        .with("begin", ints_attr(&[begin]))
        .with("end", ints_attr(&[end]))
        .with("strides", ints_attr(&[step]));
    ctx.call("strided_slice", &[x], attrs)
}

fn concat(ctx: &mut NodeCtx, parts: Vec<Value>) -> Result<Value, String> {
    ctx.call("concat", &parts, Attrs::new().with("axis", AttrValue::Int(-1)))
}
