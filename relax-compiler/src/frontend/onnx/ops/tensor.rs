//! Data movement and constants: `Transpose`, `Unsqueeze`, `Squeeze`,
//! `Concat`, `Split`, `Slice`, `Gather`, `Tile`, `Pad`, `Identity`,
//! `Constant`.
//!
//! Operators that exporters apply to shapes (`Gather`, `Slice`, `Concat`,
//! `Unsqueeze`, `Squeeze`) keep shape values symbolic.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::run_time_axes;
use crate::frontend::onnx::shape_value::ShapeValue;
use crate::frontend::onnx::tensor::to_ndarray;
use crate::frontend::onnx::value::Value;
use crate::ir::dim_logic;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Transpose", transpose).attrs(&["perm"]),
    Converter::new("Unsqueeze", unsqueeze).attrs(&["axes"]),
    Converter::new("Squeeze", squeeze).attrs(&["axes"]),
    Converter::new("Concat", concat).attrs(&["axis"]),
    Converter::new("Split", split).attrs(&["axis", "split", "num_outputs"]).outputs(usize::MAX),
    Converter::new("Slice", slice).attrs(&["starts", "ends", "axes"]),
    Converter::new("Gather", gather).attrs(&["axis"]),
    Converter::new("Tile", tile),
    Converter::new("Pad", pad).attrs(&["mode", "pads", "value"]).check(check_pad),
    Converter::new("Identity", identity),
    Converter::new("Constant", constant).attrs(&["value", "value_float", "value_floats", "value_int", "value_ints"]),
];

fn transpose(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let mut attrs = Attrs::new();
    if let Some(perm) = ctx.attrs.ints("perm")? {
        attrs.set("axes", ints_attr(&perm));
    }
    single(ctx.call("permute_dims", &[ctx.input(0)?], attrs)?)
}

/// Axes known at compile time, or (`Err` holding them) the dims of a graph
/// input's values, known only at run time.
type Axes = Result<Vec<i64>, Vec<Dim>>;

/// `axes` is an attribute before opset 13 and an input from it.
fn axes(ctx: &mut NodeCtx) -> Result<Option<Axes>, String> {
    if let Some(axes) = ctx.attrs.ints("axes")? {
        return Ok(Some(Ok(axes)));
    }
    Ok(ctx.int_values(1)?.map(|v| v.dims.iter().map(Dim::as_int).collect::<Option<Vec<i64>>>().ok_or(v.dims)))
}

fn unsqueeze(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axes = match axes(ctx)?.ok_or("the axes to insert are required")? {
        Ok(axes) => axes,
        Err(run_time) => {
            let flags = run_time_axes::named(ctx.importer, &run_time, x.rank() + run_time.len());
            let dims = run_time_axes::insert(ctx.importer, &x.info().shape, &flags);
            return single(ctx.reshape_checked(x, dims)?);
        }
    };
    if let Value::Shape(s) = &x {
        if s.scalar && axes.len() == 1 && matches!(axes[0], 0 | -1) {
            return single(Value::Shape(s.with_rank(1)?));
        }
    }
    single(ctx.call("expand_dims", &[x], Attrs::new().with("axis", ints_attr(&axes)))?)
}

fn squeeze(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axes = match axes(ctx)? {
        Some(Err(run_time)) => {
            let dims = x.info().shape;
            let flags = run_time_axes::named(ctx.importer, &run_time, dims.len());
            let kept = run_time_axes::remove(ctx.importer, &dims, &flags, dims.len().saturating_sub(run_time.len()));
            return single(ctx.reshape_checked(x, kept)?);
        }
        other => other.map(|a| a.unwrap_or_default()),
    };
    if let Value::Shape(s) = &x {
        if s.dims.len() == 1 && axes.as_ref().is_none_or(|a| matches!(a[..], [0] | [-1])) {
            return single(Value::Shape(s.with_rank(0)?));
        }
    }
    let mut attrs = Attrs::new();
    if let Some(axes) = axes {
        attrs.set("axes", ints_attr(&axes));
    }
    single(ctx.call("squeeze", &[x], attrs)?)
}

/// Joining shape vectors (`[n] ++ [-1]`) stays symbolic.
fn concat(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let inputs = ctx.present_inputs();
    let axis = ctx.attrs.int("axis")?.ok_or("attribute `axis` is required")?;
    let symbolic = inputs.iter().any(|v| matches!(v, Value::Shape(_)));
    let parts: Option<Vec<ShapeValue>> = inputs.iter().map(Value::as_shape).collect();
    if let (true, Some(parts), 0 | -1) = (symbolic, parts, axis) {
        return single(Value::from_shape(ShapeValue::concat(&parts)));
    }
    single(ctx.call("concat", &inputs, Attrs::new().with("axis", AttrValue::Int(axis)))?)
}

/// Sizes come from the `split` attribute (before opset 13) or input; without
/// them the axis splits into equal parts, one per output, the last smaller
/// when `num_outputs` (opset 18) does not divide it.
fn split(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    let axis = ctx.attrs.int_or("axis", 0)?;
    let a = if axis < 0 { axis + info.rank() as i64 } else { axis };
    let dim = usize::try_from(a)
        .ok()
        .and_then(|a| info.shape.get(a))
        .ok_or_else(|| format!("axis {axis} is out of range for an input of rank {}", info.rank()))?;
    let sizes = match ctx.attrs.ints("split")? {
        Some(sizes) => Some(sizes),
        None => match ctx.int_values(1)? {
            Some(v) => match v.dims.iter().map(Dim::as_int).collect::<Option<Vec<i64>>>() {
                Some(sizes) => Some(sizes),
                None => return split_run_time(ctx, x, a as usize, &v.dims),
            },
            None => None,
        },
    };
    let parts = ctx.attrs.int_or("num_outputs", ctx.output_count() as i64)?;
    let mut attrs = Attrs::new().with("axis", AttrValue::Int(axis));
    match (sizes, dim.as_int()) {
        (Some(sizes), _) => attrs.set("indices", ints_attr(&split_points(&sizes))),
        (None, Some(d)) if ctx.attrs.has("num_outputs") => attrs.set("indices", ints_attr(&chunk_points(d, parts)?)),
        (None, _) => attrs.set("sections", AttrValue::Int(parts)),
    }
    ctx.call_tuple("split", &[x], attrs)
}

/// Parts of sizes known only at run time, one slice each; a run-time check
/// (a `match_cast` of the input) requires the sizes to add up to the axis.
fn split_run_time(ctx: &mut NodeCtx, x: Value, axis: usize, sizes: &[Dim]) -> Result<Vec<Value>, String> {
    let mut shape = x.info().shape;
    let total = sizes.iter().fold(Dim::Int(0), |acc, s| acc + s.clone());
    let fits = dim_logic::equals(&(total - shape[axis].clone()), 0);
    shape[axis] = ctx.importer.derived_dim("split_total", dim_logic::select(&fits, &shape[axis], &Dim::Int(-1)));
    let x = ctx.match_cast(x, shape)?;
    let mut begin = Dim::Int(0);
    let mut parts = Vec::with_capacity(sizes.len());
    for size in sizes {
        let end = ctx.importer.derived_dim("split_end", begin.clone() + size.clone().max(0));
        let attrs = Attrs::new()
            .with("axes", ints_attr(&[axis as i64]))
            .with("begin", AttrValue::Dims(vec![begin]))
            .with("end", AttrValue::Dims(vec![end.clone()]))
            .with("strides", ints_attr(&[1]));
        parts.push(ctx.call("strided_slice", std::slice::from_ref(&x), attrs)?);
        begin = end;
    }
    Ok(parts)
}

/// Where parts of the given sizes end, but the last.
fn split_points(sizes: &[i64]) -> Vec<i64> {
    let ends = sizes.iter().scan(0, |end, size| {
        *end += size;
        Some(*end)
    });
    ends.take(sizes.len().saturating_sub(1)).collect()
}

/// Split points of `parts` chunks of `ceil(dim / parts)`, the last smaller.
fn chunk_points(dim: i64, parts: i64) -> Result<Vec<i64>, String> {
    if parts < 1 {
        return Err(format!("num_outputs must be positive, got {parts}"));
    }
    let chunk = (dim + parts - 1) / parts;
    Ok((1..parts).map(|k| (k * chunk).min(dim)).collect())
}

/// `starts`, `ends`, `axes` are attributes before opset 10, then inputs
/// (with `steps`): constants, or a graph input's values known at run time.
fn slice(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let (starts, ends, axes, steps) = if ctx.opset < 10 {
        let dims = |v: Option<Vec<i64>>| v.map(|v| v.into_iter().map(Dim::Int).collect::<Vec<_>>());
        (dims(ctx.attrs.ints("starts")?), dims(ctx.attrs.ints("ends")?), dims(ctx.attrs.ints("axes")?), None)
    } else {
        let mut values = |k| ctx.int_values(k).map(|v| v.map(|v| v.dims));
        (values(1)?, values(2)?, values(3)?, values(4)?)
    };
    let (starts, ends) = (starts.ok_or("starts are required")?, ends.ok_or("ends are required")?);
    let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).map(Dim::Int).collect());
    let steps = steps.unwrap_or_else(|| vec![Dim::Int(1); starts.len()]);
    let constant = |v: &[Dim]| v.iter().map(Dim::as_int).collect::<Option<Vec<i64>>>();
    if let Value::Shape(s) = &x {
        let parts = (constant(&starts), constant(&ends), constant(&axes), constant(&steps));
        return match parts {
            (Some(b), Some(e), Some(a), Some(st)) => match (&b[..], &e[..], &a[..], &st[..]) {
                ([start], [end], [0 | -1], [step]) if *step != 0 => single(Value::Shape(s.slice(*start, *end, *step))),
                _ => Err("a shape value can only be sliced along its one axis with a non-zero step".to_string()),
            },
            _ => Err("a shape value can only be sliced by constants".to_string()),
        };
    }
    let (axes, starts, ends, steps) = match constant(&axes) {
        Some(axes) => (axes, starts, ends, steps),
        None => per_axis_slice(ctx, x.rank(), &axes, &starts, &ends, &steps),
    };
    let derive = |ctx: &mut NodeCtx, hint: &str, v: Vec<Dim>| -> Vec<Dim> {
        v.into_iter().map(|d| ctx.importer.derived_dim(hint, d)).collect()
    };
    let (starts, ends, steps) =
        (derive(ctx, "slice_start", starts), derive(ctx, "slice_end", ends), derive(ctx, "slice_step", steps));
    let attrs = Attrs::new()
        .with("axes", ints_attr(&axes))
        .with("begin", AttrValue::Dims(starts))
        .with("end", AttrValue::Dims(ends))
        .with("strides", AttrValue::Dims(steps));
    single(ctx.call("strided_slice", &[x], attrs)?)
}

/// A slice whose axes are known only at run time, as a slice of every axis:
/// axis `i` takes the start, end and step of the entry naming it, or the
/// whole axis when none does.
fn per_axis_slice(
    ctx: &mut NodeCtx,
    rank: usize,
    axes: &[Dim],
    starts: &[Dim],
    ends: &[Dim],
    steps: &[Dim],
) -> (Vec<i64>, Vec<Dim>, Vec<Dim>, Vec<Dim>) {
    let resolved: Vec<Dim> = axes.iter().map(|a| dim_logic::resolve_axis(a, rank)).collect();
    let (mut begin, mut end, mut stride) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rank {
        let picks: Vec<Dim> = resolved.iter().map(|a| dim_logic::equals(&(a.clone() - i as i64), 0)).collect();
        let picks: Vec<Dim> = picks.into_iter().map(|p| ctx.importer.derived_dim("slices_axis", p)).collect();
        let whole = dim_logic::not(&dim_logic::any(picks.iter().cloned()));
        let pick = |values: &[Dim], default: i64| {
            let chosen = picks.iter().zip(values).fold(Dim::Int(0), |acc, (p, v)| acc + p.clone() * v.clone());
            (chosen + whole.clone() * default).simplify()
        };
        begin.push(pick(starts, 0));
        end.push(pick(ends, i64::MAX));
        stride.push(pick(steps, 1));
    }
    ((0..rank as i64).collect(), begin, end, stride)
}

fn gather(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (data, indices) = (ctx.input(0)?, ctx.input(1)?);
    let axis = ctx.attrs.int_or("axis", 0)?;
    if let (Value::Shape(s), Some(indices), 0 | -1) = (&data, indices.as_const(), axis) {
        return single(Value::from_shape(s.gather(indices)?));
    }
    single(ctx.call("take", &[data, indices], Attrs::new().with("axis", AttrValue::Int(axis)))?)
}

/// The most copies `Tile` makes along one axis (each is an operand of one
/// `concat`).
const MAX_REPEATS: i64 = 1 << 16;

/// Copies of the input side by side: `repeats[a]` along each axis `a`.
fn tile(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let mut y = ctx.input(0)?;
    let values = ctx.int_values(1)?.ok_or("the repeats are required")?;
    let Some(repeats) = values.dims.iter().map(Dim::as_int).collect::<Option<Vec<i64>>>() else {
        return single(tile_run_time(ctx, y, &values.dims)?);
    };
    if repeats.len() != y.rank() {
        return Err(format!("repeats {repeats:?} must have one entry per input axis ({})", y.rank()));
    }
    for (axis, &count) in repeats.iter().enumerate() {
        let along = Attrs::new().with("axis", AttrValue::Int(axis as i64));
        y = match count {
            1 => y,
            0 => ctx.call("strided_slice", &[y], range_attrs(axis, 0, 0))?,
            n if n > MAX_REPEATS => return Err(format!("{n} repeats along axis {axis} are more than {MAX_REPEATS}")),
            n if n > 1 => ctx.call("concat", &vec![y; n as usize], along)?,
            n => return Err(format!("repeats must not be negative, got {n}")),
        };
    }
    single(y)
}

/// Tiling by counts known at run time: each axis `d` becomes a pair `[1, d]`,
/// broadcast to `[r, d]`, and each pair is merged back into one axis of
/// `r * d` (a negative count tiles nothing).
fn tile_run_time(ctx: &mut NodeCtx, x: Value, repeats: &[Dim]) -> Result<Value, String> {
    let dims = x.info().shape;
    if repeats.len() != dims.len() {
        return Err(format!("repeats must have one entry per input axis ({}), got {}", dims.len(), repeats.len()));
    }
    let counts: Vec<Dim> = repeats.iter().map(|r| ctx.importer.derived_dim("repeats", r.clone().max(0))).collect();
    let pairs =
        |first: &dyn Fn(usize) -> Dim| dims.iter().enumerate().flat_map(|(i, d)| [first(i), d.clone()]).collect();
    let spread = ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(pairs(&|_| Dim::Int(1)))))?;
    let target = pairs(&|i| counts[i].clone());
    let copies = ctx.call("broadcast_to", &[spread], Attrs::new().with("shape", AttrValue::Dims(target)))?;
    let merged: Vec<Dim> = dims.iter().zip(&counts).map(|(d, r)| (r.clone() * d.clone()).simplify()).collect();
    ctx.call("reshape", &[copies], Attrs::new().with("shape", AttrValue::Dims(merged)))
}

/// `strided_slice` attributes for `begin..end` of one axis.
fn range_attrs(axis: usize, begin: i64, end: i64) -> Attrs {
    Attrs::new()
        .with("axes", ints_attr(&[axis as i64]))
        .with("begin", ints_attr(&[begin]))
        .with("end", ints_attr(&[end]))
        .with("strides", ints_attr(&[1]))
}

/// The modes ONNX defines: `constant` here, the others in `spatial.rs`.
fn check_pad(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.string_or("mode", "constant")?.as_str() {
        "constant" | "edge" | "reflect" | "wrap" => Ok(()),
        other => Err(format!("attribute mode={other} must be constant, edge, reflect or wrap")),
    }
}

/// Constant padding: blocks of the fill value concatenated before and after
/// along each padded axis; negative pads crop. `pads` (and the fill `value`)
/// are attributes before opset 11, inputs from it, with `axes` from 18. The
/// other modes are relax's `pad` operator (`spatial.rs`).
fn pad(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let rank = x.rank() as i64;
    let (pads, fill, axes) = if ctx.opset < 11 {
        let value = Value::scalar(x.dtype(), ctx.attrs.float_or("value", 0.0)?);
        (ctx.attrs.ints("pads")?, value, None)
    } else {
        let fill = ctx.optional_input(2).unwrap_or_else(|| Value::scalar(x.dtype(), 0.0));
        let pads = ctx.int_values(1)?.map(|v| v.dims);
        let axes = ctx.int_values(3)?.map(|v| v.dims);
        let run_time = |v: &[Dim]| v.iter().any(|d| d.as_int().is_none());
        if pads.as_deref().is_some_and(run_time) || axes.as_deref().is_some_and(run_time) {
            let pads = pads.ok_or("the pads are required")?;
            let pads = match axes {
                Some(axes) => pads_of_every_axis(ctx, x.rank(), &axes, &pads)?,
                None => pads,
            };
            return single(pad_run_time(ctx, x, &pads, fill, None)?);
        }
        let pads = pads.map(|p| p.iter().filter_map(Dim::as_int).collect());
        (pads, fill, axes.map(|a| a.iter().filter_map(Dim::as_int).collect()))
    };
    let pads = pads.ok_or("the pads are required")?;
    let axes: Vec<i64> = axes.unwrap_or_else(|| (0..rank).collect());
    if pads.len() != 2 * axes.len() {
        return Err(format!("pads {pads:?} must have two entries per padded axis ({} axes)", axes.len()));
    }
    let mode = ctx.attrs.string_or("mode", "constant")?;
    if mode != "constant" {
        return single(super::spatial::pad_with_mode(ctx, x, &mode, &axes, &pads)?);
    }
    let mut y = x;
    for (k, &axis) in axes.iter().enumerate() {
        let axis = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&axis) {
            return Err(format!("axis {} is out of range for rank {rank}", axes[k]));
        }
        y = pad_axis(ctx, y, axis as usize, pads[k], pads[k + axes.len()], &fill)?;
    }
    single(y)
}

/// Pads for the listed axes (known only at run time) as pads for every axis:
/// each axis takes the pads of the entry naming it, or none.
fn pads_of_every_axis(ctx: &mut NodeCtx, rank: usize, axes: &[Dim], pads: &[Dim]) -> Result<Vec<Dim>, String> {
    if pads.len() != 2 * axes.len() {
        return Err(format!("pads must have two entries per padded axis ({} axes), got {}", axes.len(), pads.len()));
    }
    let resolved: Vec<Dim> = axes.iter().map(|a| dim_logic::resolve_axis(a, rank)).collect();
    let mut every = vec![Dim::Int(0); 2 * rank];
    for i in 0..rank {
        for (j, a) in resolved.iter().enumerate() {
            let here = ctx.importer.derived_dim("pads_axis", dim_logic::equals(&(a.clone() - i as i64), 0));
            every[i] = (every[i].clone() + here.clone() * pads[j].clone()).simplify();
            every[i + rank] = (every[i + rank].clone() + here * pads[j + axes.len()].clone()).simplify();
        }
    }
    Ok(every)
}

/// Constant padding by amounts known only at run time (or symbolic): per
/// axis, a crop by the negative parts, then fill blocks of the positive parts.
fn pad_run_time(
    ctx: &mut NodeCtx,
    x: Value,
    pads: &[Dim],
    fill: Value,
    axes: Option<Vec<i64>>,
) -> Result<Value, String> {
    if ctx.attrs.string_or("mode", "constant")? != "constant" {
        return Err("pads known only at run time are supported in constant mode only".to_string());
    }
    let rank = x.rank() as i64;
    let axes: Vec<i64> = axes.unwrap_or_else(|| (0..rank).collect());
    if pads.len() != 2 * axes.len() {
        return Err(format!("pads must have two entries per padded axis ({} axes), got {}", axes.len(), pads.len()));
    }
    let mut y = x;
    for (k, &axis) in axes.iter().enumerate() {
        let a = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&a) {
            return Err(format!("axis {axis} is out of range for rank {rank}"));
        }
        let (before, after) = (&pads[k], &pads[k + axes.len()]);
        let crop = |ctx: &mut NodeCtx, v: &Dim| ctx.importer.derived_dim("crop", (Dim::Int(0) - v.clone()).max(0));
        let (crop_before, crop_after) = (crop(ctx, before), crop(ctx, after));
        let dim = y.info().shape[a as usize].clone();
        let end = ctx.importer.derived_dim("crop_end", dim - crop_after);
        let attrs = Attrs::new()
            .with("axes", ints_attr(&[a]))
            .with("begin", AttrValue::Dims(vec![crop_before]))
            .with("end", AttrValue::Dims(vec![end]))
            .with("strides", ints_attr(&[1]));
        let cropped = ctx.call("strided_slice", &[y], attrs)?;
        let cropped = ctx.bind(cropped, "cropped");
        let block = |ctx: &mut NodeCtx, v: &Dim| -> Result<Value, String> {
            let mut shape = cropped.info().shape;
            shape[a as usize] = ctx.importer.derived_dim("pad", v.clone().max(0));
            ctx.call("broadcast_to", std::slice::from_ref(&fill), Attrs::new().with("shape", AttrValue::Dims(shape)))
        };
        let parts = [block(ctx, before)?, cropped.clone(), block(ctx, after)?];
        y = ctx.call("concat", &parts, Attrs::new().with("axis", AttrValue::Int(a)))?;
    }
    Ok(y)
}

fn pad_axis(ctx: &mut NodeCtx, x: Value, axis: usize, before: i64, after: i64, fill: &Value) -> Result<Value, String> {
    let mut x = x;
    if before < 0 || after < 0 {
        let end = if after < 0 { after } else { i64::MAX };
        x = ctx.call("strided_slice", &[x], range_attrs(axis, before.min(0).abs(), end))?;
    }
    if before <= 0 && after <= 0 {
        return Ok(x);
    }
    let x = ctx.bind(x, "cropped");
    let block = |ctx: &mut NodeCtx, size: i64| -> Result<Value, String> {
        let mut shape = x.info().shape;
        shape[axis] = Dim::Int(size);
        ctx.call("broadcast_to", std::slice::from_ref(fill), Attrs::new().with("shape", AttrValue::Dims(shape)))
    };
    let mut parts = Vec::with_capacity(3);
    if before > 0 {
        parts.push(block(ctx, before)?);
    }
    parts.push(x.clone());
    if after > 0 {
        parts.push(block(ctx, after)?);
    }
    ctx.call("concat", &parts, Attrs::new().with("axis", AttrValue::Int(axis as i64)))
}

fn identity(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    single(ctx.input(0)?)
}

/// The one value attribute the node has.
fn constant(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let attrs = &ctx.attrs;
    let array = if let Some(t) = attrs.tensor("value")? {
        to_ndarray(t, &ctx.importer.external).map_err(|e| format!("attribute value: {e}"))?
    } else if let Some(v) = attrs.has("value_float").then(|| attrs.float_or("value_float", 0.0)).transpose()? {
        NDArray::from_f64_values(DType::F32, &[], &[v])
    } else if let Some(v) = attrs.floats("value_floats")? {
        NDArray::from_f64_values(DType::F32, &[v.len()], &v)
    } else if let Some(v) = attrs.int("value_int")? {
        NDArray::from_i64_values(DType::I64, &[], &[v])
    } else if let Some(v) = attrs.ints("value_ints")? {
        NDArray::from_i64_values(DType::I64, &[v.len()], &v)
    } else {
        return Err("a value attribute is required".to_string());
    };
    single(Value::constant(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points_from_sizes_and_chunks() {
        assert_eq!(split_points(&[2, 3, 1]), vec![2, 5]);
        assert_eq!(split_points(&[4]), Vec::<i64>::new());
        assert_eq!(chunk_points(10, 3).unwrap(), vec![4, 8]);
        assert_eq!(chunk_points(9, 4).unwrap(), vec![3, 6, 9]);
        assert!(chunk_points(4, 0).is_err());
    }
}
