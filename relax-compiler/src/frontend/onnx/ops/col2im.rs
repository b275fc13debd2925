//! `Col2Im` (opset 18): the inverse of im2col. Each column `l` of the input
//! `[N, C * prod(block), L]` holds one block position's `prod(block)` values
//! per channel; they are added into the image `[N, C, image...]` where the
//! block lands, so overlapping blocks sum and values falling in the padding
//! are dropped.
//!
//! Every input element's image position is computed from its row and column
//! (the block offset and the block position, both decomposed row-major) and
//! the elements are scatter-added there; out-of-image positions go to one
//! extra slot that is cut off. `image_shape` and `block_shape` may be
//! constants or graph inputs (their values become dims bound at run time);
//! `dilations`, `pads` and `strides` are attributes.

use super::int_inputs::{int_vector, IntVector};
use super::iota::iota;
use super::{single, Converter};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] =
    &[Converter::new("Col2Im", col2im).attrs(&["dilations", "pads", "strides"]).since(18)];

fn call(ctx: &mut NodeCtx, op: &str, args: &[Value]) -> Result<Value, String> {
    ctx.call(op, args, Attrs::new())
}

/// `floor(a / b)` for integers (relax's `div` truncates toward zero).
fn floor_div(ctx: &mut NodeCtx, a: Value, b: Value) -> Result<Value, String> {
    let rest = call(ctx, "floor_mod", &[a.clone(), b.clone()])?;
    let exact = call(ctx, "sub", &[a, rest])?;
    call(ctx, "div", &[exact, b])
}

fn int(v: i64) -> Value {
    Value::scalar(DType::I64, v as f64)
}

/// A per-axis attribute, `default` when absent.
fn per_axis(ctx: &NodeCtx, name: &str, count: usize, default: i64) -> Result<Vec<i64>, String> {
    match ctx.attrs.ints(name)? {
        None => Ok(vec![default; count]),
        Some(v) if v.len() == count => Ok(v),
        Some(v) => Err(format!("attribute {name}={v:?} must have {count} entries")),
    }
}

fn col2im(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    if info.rank() != 3 {
        return Err(format!("the input must be [N, C * prod(block_shape), L], got {info}"));
    }
    let image = int_vector(ctx, 1, 0)?.ok_or("input image_shape is required")?;
    let block = int_vector(ctx, 2, 1)?.ok_or("input block_shape is required")?;
    let d = image.dims.len();
    if d == 0 || block.dims.len() != d {
        return Err(format!(
            "image_shape ({d} entries) and block_shape ({}) must name the same axes",
            block.dims.len()
        ));
    }
    let dilations = per_axis(ctx, "dilations", d, 1)?;
    let strides = per_axis(ctx, "strides", d, 1)?;
    let pads = per_axis(ctx, "pads", 2 * d, 0)?;
    // Block positions per axis: (image + pads - (dilation * (block - 1) + 1)) / stride + 1.
    let mut positions = IntVector { dims: Vec::new(), values: Vec::new() };
    for a in 0..d {
        let extent = image.dims[a].clone() + (pads[a] + pads[a + d] - 1) - (block.dims[a].clone() - 1) * dilations[a];
        let dim = ctx.importer.derived_dim("blocks", (extent.floor_div(strides[a]) + 1).max(0));
        let value = call(ctx, "sub", &[block.values[a].clone(), int(1)])?;
        let value = call(ctx, "mul", &[value, int(dilations[a])])?;
        let value = call(ctx, "sub", &[image.values[a].clone(), value])?;
        let value = call(ctx, "add", &[value, int(pads[a] + pads[a + d] - 1)])?;
        let value = floor_div(ctx, value, int(strides[a]))?;
        positions.dims.push(dim);
        positions.values.push(call(ctx, "add", &[value, int(1)])?);
    }
    let block_size = ctx.importer.derived_dim("block", Dim::product(&block.dims));
    let columns = ctx.importer.derived_dim("columns", Dim::product(&positions.dims));
    let channels = ctx.importer.derived_dim("channels", info.shape[1].clone().floor_div(block_size.clone()));
    let (n, rows) = (info.shape[0].clone(), block_size.clone() * columns.clone());
    let x = ctx.match_cast(x, vec![n.clone(), info.shape[1].clone(), columns.clone()])?;
    let x = ctx.reshape_checked(x, vec![n.clone(), channels.clone(), rows.clone()])?;
    let target = targets(ctx, &image, &block, &positions, &rows, (&dilations, &strides, &pads))?;
    let pixels = Dim::product(&image.dims);
    let slots = ctx.importer.derived_dim("slots", pixels.clone() + 1);
    let shape = vec![n.clone(), channels.clone(), rows];
    let target = ctx.call("broadcast_to", &[target], Attrs::new().with("shape", AttrValue::Dims(shape)))?;
    let zeros = Value::scalar(info.dtype, 0.0);
    let zeros = ctx.call(
        "broadcast_to",
        &[zeros],
        Attrs::new().with("shape", AttrValue::Dims(vec![n.clone(), channels.clone(), slots])),
    )?;
    let add = Attrs::new().with("axis", AttrValue::Int(2)).with("reduction", AttrValue::Str("add".to_string()));
    let summed = ctx.call("scatter_elements", &[zeros, target, x], add)?;
    let inside = Attrs::new()
        .with("axes", ints_attr(&[2]))
        .with("begin", ints_attr(&[0]))
        .with("end", AttrValue::Dims(vec![pixels.clone()]))
        .with("strides", ints_attr(&[1]));
    let image_values = ctx.call("strided_slice", &[summed], inside)?;
    // The slice's length is `pixels`, though its min/max form is not proven so.
    let image_values = ctx.match_cast(image_values, vec![n.clone(), channels.clone(), pixels])?;
    let out: Vec<Dim> = [n, channels].into_iter().chain(image.dims.iter().cloned()).collect();
    single(ctx.call("reshape", &[image_values], Attrs::new().with("shape", AttrValue::Dims(out)))?)
}

/// For each input row `r = offset * columns + column`: the flat image
/// position its value goes to, or the number of pixels (the extra slot) when
/// it lands in the padding.
fn targets(
    ctx: &mut NodeCtx,
    image: &IntVector,
    block: &IntVector,
    positions: &IntVector,
    rows: &Dim,
    (dilations, strides, pads): (&[i64], &[i64], &[i64]),
) -> Result<Value, String> {
    let d = image.dims.len();
    let r = iota(ctx, rows)?;
    let columns = positions
        .values
        .iter()
        .skip(1)
        .try_fold(positions.values[0].clone(), |acc, v| call(ctx, "mul", &[acc, v.clone()]))?;
    let columns = ctx.bind(columns, "columns");
    let mut offset = floor_div(ctx, r.clone(), columns.clone())?;
    let mut column = call(ctx, "floor_mod", &[r, columns])?;
    let mut flat = int(0);
    let mut stride = int(1);
    let mut outside: Option<Value> = None;
    for a in (0..d).rev() {
        let k = call(ctx, "floor_mod", &[offset.clone(), block.values[a].clone()])?;
        offset = floor_div(ctx, offset, block.values[a].clone())?;
        let l = call(ctx, "floor_mod", &[column.clone(), positions.values[a].clone()])?;
        column = floor_div(ctx, column, positions.values[a].clone())?;
        let start = call(ctx, "mul", &[l, int(strides[a])])?;
        let step = call(ctx, "mul", &[k, int(dilations[a])])?;
        let at = call(ctx, "add", &[start, step])?;
        let at = call(ctx, "sub", &[at, int(pads[a])])?;
        let at = ctx.bind(at, "at");
        let before = call(ctx, "less", &[at.clone(), int(0)])?;
        let after = call(ctx, "greater_equal", &[at.clone(), image.values[a].clone()])?;
        let out = call(ctx, "logical_or", &[before, after])?;
        outside = Some(match outside {
            None => out,
            Some(o) => call(ctx, "logical_or", &[o, out])?,
        });
        let term = call(ctx, "mul", &[at, stride.clone()])?;
        flat = call(ctx, "add", &[flat, term])?;
        stride = call(ctx, "mul", &[stride, image.values[a].clone()])?;
    }
    let outside = outside.ok_or("internal error: no spatial axis")?;
    call(ctx, "where", &[outside, stride, flat])
}
