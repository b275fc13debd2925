//! `RoiAlign` (opsets 10, 16): each region of interest of `X [N, C, H, W]`
//! pooled to `[output_height, output_width]` bins, each bin the average (or
//! maximum) of `sampling_ratio x sampling_ratio` bilinear samples.
//!
//! Sample positions depend on the run-time RoIs, so they are computed as
//! tensors `[R, bins * grid]` per axis, each sample's four neighbours
//! gathered from the RoI's image and weighted. The rules follow the ONNX
//! definition and its reference: `half_pixel` (the default from opset 16)
//! shifts coordinates by -0.5, `output_half_pixel` (opset 10's only
//! behaviour) does not and makes RoIs at least 1x1; a sample beyond one pixel
//! outside the image counts as 0; positions are clamped into the image; in
//! `max` mode a sample is the largest of its four weighted neighbours.
//! The adaptive grid (`sampling_ratio = 0`) needs a sample count per RoI
//! that depends on RoI values, and is not supported.

use super::iota::iota;
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[Converter::new("RoiAlign", roi_align)
    .attrs(&[
        "coordinate_transformation_mode",
        "mode",
        "output_height",
        "output_width",
        "sampling_ratio",
        "spatial_scale",
    ])
    .since(10)
    .check(check)];

fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    if attrs.int_or("sampling_ratio", 0)? <= 0 {
        return Err("sampling_ratio must be positive: the adaptive grid (sampling_ratio=0) needs a sample count per \
                    RoI that depends on the RoI values, which is not supported"
            .to_string());
    }
    match attrs.string_or("mode", "avg")?.as_str() {
        "avg" | "max" => {}
        other => return Err(format!("attribute mode={other} must be avg or max")),
    }
    match attrs.string_or("coordinate_transformation_mode", "half_pixel")?.as_str() {
        "half_pixel" | "output_half_pixel" => Ok(()),
        other => {
            Err(format!("attribute coordinate_transformation_mode={other} must be half_pixel or output_half_pixel"))
        }
    }
}

fn call(ctx: &mut NodeCtx, op: &str, args: &[Value]) -> Result<Value, String> {
    ctx.call(op, args, Attrs::new())
}

fn reshape(ctx: &mut NodeCtx, x: Value, dims: Vec<Dim>) -> Result<Value, String> {
    ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(dims)))
}

/// Column `k` of the RoIs `[R, 4]` as `[R, 1]`.
fn roi_column(ctx: &mut NodeCtx, rois: &Value, k: i64) -> Result<Value, String> {
    let attrs = Attrs::new()
        .with("axes", ints_attr(&[1]))
        .with("begin", ints_attr(&[k]))
        .with("end", ints_attr(&[k + 1]))
        .with("strides", ints_attr(&[1]));
    ctx.call("strided_slice", std::slice::from_ref(rois), attrs)
}

/// The sampling along one axis: for each RoI, `bins * grid` positions.
struct Axis {
    /// The clamped lower neighbour, `[R, S]` i64.
    low: Value,
    /// The upper neighbour.
    high: Value,
    /// The weight of the upper neighbour (`1 -` it is the lower's), `[R, S]`.
    frac: Value,
    /// Whether the sample is more than a pixel outside the image.
    outside: Value,
}

struct Geometry {
    dtype: DType,
    scale: f64,
    offset: f64,
    grid: i64,
    at_least_one: bool,
}

/// Samples along one axis of `size` pixels, `bins` bins, the RoI from
/// column `start` to column `end` of the RoIs.
fn axis(
    ctx: &mut NodeCtx,
    rois: &Value,
    (start, end): (i64, i64),
    size: i64,
    bins: i64,
    g: &Geometry,
) -> Result<Axis, String> {
    let c = |v: f64| Value::scalar(g.dtype, v);
    let mut ends = Vec::new();
    for k in [start, end] {
        let column = roi_column(ctx, rois, k)?;
        let scaled = call(ctx, "mul", &[column, c(g.scale)])?;
        ends.push(call(ctx, "sub", &[scaled, c(g.offset)])?);
    }
    let first = ctx.bind(ends[0].clone(), "roi_start");
    let mut length = call(ctx, "sub", &[ends[1].clone(), first.clone()])?;
    if g.at_least_one {
        length = call(ctx, "maximum", &[length, c(1.0)])?;
    }
    let bin = call(ctx, "div", &[length, c(bins as f64)])?;
    let bin = ctx.bind(bin, "bin");
    // Sample (b, i): start + b * bin + (i + 0.5) * bin / grid, flattened.
    let samples = bins * g.grid;
    let index = iota(ctx, &Dim::Int(samples))?;
    let b = call(ctx, "div", &[index.clone(), Value::scalar(DType::I64, g.grid as f64)])?;
    let i = call(ctx, "floor_mod", &[index, Value::scalar(DType::I64, g.grid as f64)])?;
    let to_float =
        |ctx: &mut NodeCtx, v: Value| ctx.call("cast", &[v], Attrs::new().with("dtype", AttrValue::DType(g.dtype)));
    let (b, i) = (to_float(ctx, b)?, to_float(ctx, i)?);
    let whole = call(ctx, "mul", &[b, bin.clone()])?;
    let at = call(ctx, "add", &[first, whole])?;
    let half = call(ctx, "add", &[i, c(0.5)])?;
    let part = call(ctx, "mul", &[half, bin])?;
    let part = call(ctx, "div", &[part, c(g.grid as f64)])?;
    let at = call(ctx, "add", &[at, part])?;
    let at = ctx.bind(at, "sample");
    let below = call(ctx, "less", &[at.clone(), c(-1.0)])?;
    let beyond = call(ctx, "greater", &[at.clone(), c(size as f64)])?;
    let outside = call(ctx, "logical_or", &[below, beyond])?;
    let at = call(ctx, "maximum", &[at, c(0.0)])?;
    let at = ctx.bind(at, "clamped");
    let floor = call(ctx, "floor", std::slice::from_ref(&at))?;
    let last = call(ctx, "greater_equal", &[floor.clone(), c((size - 1) as f64)])?;
    let last = ctx.bind(last, "last");
    let low = call(ctx, "where", &[last.clone(), c((size - 1) as f64), floor])?;
    let low = ctx.bind(low, "low");
    let at = call(ctx, "where", &[last.clone(), low.clone(), at])?;
    let frac = call(ctx, "sub", &[at, low.clone()])?;
    let next = call(ctx, "add", &[low.clone(), c(1.0)])?;
    let high = call(ctx, "where", &[last, low.clone(), next])?;
    let to_index =
        |ctx: &mut NodeCtx, v: Value| ctx.call("cast", &[v], Attrs::new().with("dtype", AttrValue::DType(DType::I64)));
    Ok(Axis { low: to_index(ctx, low)?, high: to_index(ctx, high)?, frac: ctx.bind(frac, "frac"), outside })
}

fn roi_align(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, rois, batch) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let info = x.info();
    let dims: Option<Vec<i64>> = info.shape.iter().map(Dim::as_int).collect();
    let [_, channels, height, width] = dims
        .as_deref()
        .and_then(|d| <[i64; 4]>::try_from(d).ok())
        .ok_or_else(|| format!("the input must be [N, C, H, W] known at compile time, got {info}"))?;
    if !info.dtype.is_float() || rois.dtype() != info.dtype || rois.rank() != 2 {
        return Err(format!("the RoIs must be [R, 4] of the input's float dtype, got {} and {info}", rois.info()));
    }
    let half_pixel =
        ctx.opset >= 16 && ctx.attrs.string_or("coordinate_transformation_mode", "half_pixel")? == "half_pixel";
    let g = Geometry {
        dtype: info.dtype,
        scale: ctx.attrs.float_or("spatial_scale", 1.0)?,
        offset: if half_pixel { 0.5 } else { 0.0 },
        grid: ctx.attrs.int_or("sampling_ratio", 0)?,
        at_least_one: !half_pixel,
    };
    let (out_h, out_w) = (ctx.attrs.int_or("output_height", 1)?, ctx.attrs.int_or("output_width", 1)?);
    let rois = ctx.bind(rois, "rois");
    let ys = axis(ctx, &rois, (1, 3), height, out_h, &g)?;
    let xs = axis(ctx, &rois, (0, 2), width, out_w, &g)?;
    let r = rois.info().shape[0].clone();
    let (sh, sw) = (out_h * g.grid, out_w * g.grid);
    // Each RoI's image, its pixels flattened: [R, C, H * W].
    let batch = ctx.call("cast", &[batch], Attrs::new().with("dtype", AttrValue::DType(DType::I64)))?;
    let images = ctx.call("take", &[x, batch], Attrs::new().with("axis", AttrValue::Int(0)))?;
    let images = reshape(ctx, images, vec![r.clone(), Dim::Int(channels), Dim::Int(height * width)])?;
    let images = ctx.bind(images, "images");
    let column = |ctx: &mut NodeCtx, v: Value| reshape(ctx, v, vec![r.clone(), Dim::Int(sh), Dim::Int(1)]);
    let row = |ctx: &mut NodeCtx, v: Value| reshape(ctx, v, vec![r.clone(), Dim::Int(1), Dim::Int(sw)]);
    let outside = {
        let (a, b) = (column(ctx, ys.outside.clone())?, row(ctx, xs.outside.clone())?);
        call(ctx, "logical_or", &[a, b])?
    };
    let outside = ctx.bind(outside, "outside");
    let one = Value::scalar(info.dtype, 1.0);
    let (fy, fx) = (column(ctx, ys.frac.clone())?, row(ctx, xs.frac.clone())?);
    let (gy, gx) = (call(ctx, "sub", &[one.clone(), fy.clone()])?, call(ctx, "sub", &[one, fx.clone()])?);
    let mut corners = Vec::new();
    for (y, wy) in [(&ys.low, &gy), (&ys.high, &fy)] {
        for (xi, wx) in [(&xs.low, &gx), (&xs.high, &fx)] {
            let y = column(ctx, y.clone())?;
            let xi = row(ctx, xi.clone())?;
            let base = call(ctx, "mul", &[y, Value::scalar(DType::I64, width as f64)])?;
            let flat = call(ctx, "add", &[base, xi])?;
            let weight = call(ctx, "mul", &[wy.clone(), wx.clone()])?;
            let weight = call(ctx, "where", &[outside.clone(), Value::scalar(info.dtype, 0.0), weight])?;
            corners.push((flat, weight));
        }
    }
    let samples = sh * sw;
    let mut weighted = Vec::new();
    for (flat, weight) in corners {
        let flat = reshape(ctx, flat, vec![r.clone(), Dim::Int(1), Dim::Int(samples)])?;
        let flat = ctx.call(
            "broadcast_to",
            &[flat],
            Attrs::new().with("shape", AttrValue::Dims(vec![r.clone(), Dim::Int(channels), Dim::Int(samples)])),
        )?;
        let value =
            ctx.call("gather_elements", &[images.clone(), flat], Attrs::new().with("axis", AttrValue::Int(2)))?;
        let weight = reshape(ctx, weight, vec![r.clone(), Dim::Int(1), Dim::Int(samples)])?;
        weighted.push(call(ctx, "mul", &[value, weight])?);
    }
    let max = ctx.attrs.string_or("mode", "avg")? == "max";
    let combine = if max { "maximum" } else { "add" };
    let first = weighted.remove(0);
    let sample = weighted.into_iter().try_fold(first, |acc, v| call(ctx, combine, &[acc, v]))?;
    let grid =
        vec![r.clone(), Dim::Int(channels), Dim::Int(out_h), Dim::Int(g.grid), Dim::Int(out_w), Dim::Int(g.grid)];
    let sample = reshape(ctx, sample, grid)?;
    let over = Attrs::new().with("axes", ints_attr(&[3, 5])).with("keepdims", AttrValue::Bool(false));
    single(ctx.call(if max { "max" } else { "mean" }, &[sample], over)?)
}
