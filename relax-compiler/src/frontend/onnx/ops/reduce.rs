//! Reductions: `ReduceSum`, `ReduceMean`, `ReduceMax`, `ReduceMin`,
//! `ReduceProd`, the composite `ReduceL1`, `ReduceL2`, `ReduceSumSquare`,
//! `ReduceLogSum` and `ReduceLogSumExp`, and `ArgMax`/`ArgMin`.
//!
//! `axes` is an attribute in early opsets and an input later (opset 13 for
//! `ReduceSum`, 18 for the rest); whichever the node has is used. No axes
//! reduces everything, unless `noop_with_empty_axes` makes it the identity.

use super::{single, Converter};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::run_time_axes;
use crate::frontend::onnx::value::Value;
use crate::ir::dim_logic;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

const REDUCE_ATTRS: &[&str] = &["axes", "keepdims", "noop_with_empty_axes"];
const ARG_ATTRS: &[&str] = &["axis", "keepdims", "select_last_index"];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("ReduceSum", |ctx| reduce(ctx, Reduction::plain("sum"))).attrs(REDUCE_ATTRS),
    Converter::new("ReduceMean", |ctx| reduce(ctx, Reduction::plain("mean"))).attrs(REDUCE_ATTRS),
    Converter::new("ReduceMax", |ctx| reduce(ctx, Reduction::plain("max"))).attrs(REDUCE_ATTRS),
    Converter::new("ReduceMin", |ctx| reduce(ctx, Reduction::plain("min"))).attrs(REDUCE_ATTRS),
    Converter::new("ReduceProd", |ctx| reduce(ctx, Reduction::plain("prod"))).attrs(REDUCE_ATTRS),
    Converter::new("ReduceL1", |ctx| reduce(ctx, Reduction { before: Some("abs"), op: "sum", after: None }))
        .attrs(REDUCE_ATTRS),
    Converter::new("ReduceL2", |ctx| reduce(ctx, Reduction { before: Some("square"), op: "sum", after: Some("sqrt") }))
        .attrs(REDUCE_ATTRS),
    Converter::new("ReduceSumSquare", |ctx| reduce(ctx, Reduction { before: Some("square"), op: "sum", after: None }))
        .attrs(REDUCE_ATTRS),
    Converter::new("ReduceLogSum", |ctx| reduce(ctx, Reduction { before: None, op: "sum", after: Some("log") }))
        .attrs(REDUCE_ATTRS),
    Converter::new("ReduceLogSumExp", log_sum_exp).attrs(REDUCE_ATTRS),
    Converter::new("ArgMax", |ctx| arg_reduce(ctx, "argmax")).attrs(ARG_ATTRS),
    Converter::new("ArgMin", |ctx| arg_reduce(ctx, "argmin")).attrs(ARG_ATTRS),
];

/// A relax reduction, with element-wise operators applied before and after.
struct Reduction {
    before: Option<&'static str>,
    op: &'static str,
    after: Option<&'static str>,
}

impl Reduction {
    fn plain(op: &'static str) -> Reduction {
        Reduction { before: None, op, after: None }
    }
}

/// What a reduction folds: the listed axes, all of them, nothing at all (the
/// identity `noop_with_empty_axes` asks for when no axes are given), or axes
/// given at run time by a graph input.
enum Axes {
    Listed(Vec<i64>),
    All,
    Identity,
    RunTime(Vec<Dim>),
}

fn reduced_axes(ctx: &mut NodeCtx) -> Result<Axes, String> {
    let axes = match ctx.attrs.ints("axes")? {
        Some(axes) => Some(axes.into_iter().map(Dim::Int).collect()),
        None => ctx.int_values(1)?.map(|v| v.dims),
    };
    let constant = axes.as_ref().and_then(|a: &Vec<Dim>| a.iter().map(Dim::as_int).collect::<Option<Vec<i64>>>());
    Ok(match (axes, constant) {
        (Some(axes), None) => Axes::RunTime(axes),
        (_, Some(axes)) if !axes.is_empty() => Axes::Listed(axes),
        _ if ctx.attrs.int_or("noop_with_empty_axes", 0)? != 0 => Axes::Identity,
        _ => Axes::All,
    })
}

/// The attributes of a relax reduction over `axes`.
fn reduction_attrs(axes: &Axes, keepdims: bool) -> Attrs {
    let mut attrs = Attrs::new().with("keepdims", AttrValue::Bool(keepdims));
    if let Axes::Listed(axes) = axes {
        attrs.set("axes", ints_attr(axes));
    }
    attrs
}

/// A reduction's input and axes, with run-time axes turned into fixed ones:
/// each axis `i` of size `d` is reshaped into a pair `[o, e]`, `[1, d]` when
/// it is reduced and `[d, 1]` when not (flags computed from the axes at run
/// time), and the reduction folds every second axis, keeping dims. The
/// result, `[o0, 1, o1, 1, ..]`, is then reshaped to `shape`, the reduction's
/// real output shape.
struct Prepared {
    x: Value,
    axes: Axes,
    keepdims: bool,
    shape: Option<Vec<Dim>>,
}

fn prepare(ctx: &mut NodeCtx, x: Value, axes: Axes, keepdims: bool) -> Result<Prepared, String> {
    let Axes::RunTime(listed) = axes else { return Ok(Prepared { x, axes, keepdims, shape: None }) };
    let dims = x.info().shape;
    let rank = dims.len();
    let flags = run_time_axes::named(ctx.importer, &listed, rank);
    let mut pairs = Vec::with_capacity(2 * rank);
    let mut kept = Vec::with_capacity(rank);
    for (d, flag) in dims.iter().zip(&flags) {
        let o = ctx.importer.derived_dim("kept_dim", dim_logic::select(flag, &Dim::Int(1), d));
        pairs.push(o.clone());
        pairs.push(ctx.importer.derived_dim("reduced_dim", dim_logic::select(flag, d, &Dim::Int(1))));
        kept.push(o);
    }
    let x = ctx.reshape_checked(x, pairs)?;
    let count = rank.saturating_sub(listed.len());
    let shape = if keepdims { kept } else { run_time_axes::remove(ctx.importer, &dims, &flags, count) };
    let axes = Axes::Listed((0..rank as i64).map(|i| 2 * i + 1).collect());
    Ok(Prepared { x, axes, keepdims: true, shape: Some(shape) })
}

/// The reduction's result in its real shape (see [`Prepared`]).
fn finish(ctx: &mut NodeCtx, y: Value, shape: Option<Vec<Dim>>) -> Result<Value, String> {
    match shape {
        Some(shape) => ctx.reshape_checked(y, shape),
        None => Ok(y),
    }
}

fn reduce(ctx: &mut NodeCtx, reduction: Reduction) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axes = reduced_axes(ctx)?;
    if matches!(axes, Axes::Identity) {
        return single(x);
    }
    let keepdims = ctx.attrs.int_or("keepdims", 1)? != 0;
    let Prepared { mut x, axes, keepdims, shape } = prepare(ctx, x, axes, keepdims)?;
    let attrs = reduction_attrs(&axes, keepdims);
    if let Some(op) = reduction.before {
        x = ctx.call(op, &[x], Attrs::new())?;
    }
    let mut y = ctx.call(reduction.op, &[x], attrs)?;
    if let Some(op) = reduction.after {
        y = ctx.call(op, &[y], Attrs::new())?;
    }
    single(finish(ctx, y, shape)?)
}

/// `log(sum(exp(x)))`, computed as `m + log(sum(exp(x - m)))` with `m` the
/// maximum, so large inputs do not overflow.
fn log_sum_exp(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axes = reduced_axes(ctx)?;
    if matches!(axes, Axes::Identity) {
        return single(x);
    }
    let keepdims = ctx.attrs.int_or("keepdims", 1)? != 0;
    let Prepared { x, axes, keepdims, shape } = prepare(ctx, x, axes, keepdims)?;
    let rank = x.rank();
    let max = ctx.call("max", std::slice::from_ref(&x), reduction_attrs(&axes, true))?;
    let max = ctx.bind(max, "max");
    let shifted = ctx.call("sub", &[x, max.clone()], Attrs::new())?;
    let exp = ctx.call("exp", &[shifted], Attrs::new())?;
    let total = ctx.call("sum", &[exp], reduction_attrs(&axes, keepdims))?;
    let log = ctx.call("log", &[total], Attrs::new())?;
    let max = if keepdims { max } else { ctx.call("squeeze", &[max], squeezed(&axes, rank))? };
    let y = ctx.call("add", &[log, max], Attrs::new())?;
    single(finish(ctx, y, shape)?)
}

/// The `squeeze` attributes dropping the reduced axes of a rank-`rank` input.
fn squeezed(axes: &Axes, rank: usize) -> Attrs {
    let axes = match axes {
        Axes::Listed(axes) => axes.clone(),
        _ => (0..rank as i64).collect(),
    };
    Attrs::new().with("axes", ints_attr(&axes))
}

/// relax's `argmax`/`argmin` give the first extreme index on ties; the last
/// one (`select_last_index`) is the first one of the reversed axis, counted
/// from the end.
fn arg_reduce(ctx: &mut NodeCtx, op: &str) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axis = ctx.attrs.int_or("axis", 0)?;
    let attrs = Attrs::new()
        .with("axis", AttrValue::Int(axis))
        .with("keepdims", AttrValue::Bool(ctx.attrs.int_or("keepdims", 1)? != 0));
    if ctx.attrs.int_or("select_last_index", 0)? == 0 {
        return single(ctx.call(op, &[x], attrs)?);
    }
    let info = x.info();
    let a = if axis < 0 { axis + info.rank() as i64 } else { axis };
    let dim = usize::try_from(a).ok().and_then(|a| info.shape.get(a)).and_then(|d| d.as_int()).ok_or_else(|| {
        format!("select_last_index needs axis {axis} to exist and have a size known at compile time ({info})")
    })?;
    let reverse = Attrs::new()
        .with("axes", ints_attr(&[a]))
        .with("begin", ints_attr(&[-1]))
        .with("end", ints_attr(&[i64::MIN]))
        .with("strides", ints_attr(&[-1]));
    let reversed = ctx.call("strided_slice", &[x], reverse)?;
    let from_end = ctx.call(op, &[reversed], attrs)?;
    single(ctx.call("sub", &[Value::scalar(DType::I64, (dim - 1) as f64), from_end], Attrs::new())?)
}
