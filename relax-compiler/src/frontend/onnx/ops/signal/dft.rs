//! `DFT` (opsets 17 and 20): the transform of `[.., signal.., 1 or 2]` along
//! one signal axis, by [`fourier::transform`](super::fourier::transform).
//!
//! The axis is an attribute before opset 20 (default 1) and an optional
//! input from it (default -2). An axis given at run time (a graph input) is
//! handled by transforming along every axis it may name and selecting the
//! one it does (see [`along_run_time_axis`]); an invalid axis gives NaN or
//! an empty result. `dft_length` may be a constant or a graph input.

use super::fourier::{join_complex, split_complex, transform, Direction, Length};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub fn convert(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let rank = x.rank();
    if rank < 2 || !x.dtype().is_float() {
        return Err(format!(
            "the input must be a float tensor with a signal axis and a complex axis, got {}",
            x.info()
        ));
    }
    let direction = direction(ctx)?;
    let complex = x.info().shape[rank - 1].as_int() == Some(2);
    match direction {
        Direction::Forward { onesided: true } if complex => {
            return Err("a one-sided forward transform (RFFT) takes a real input ([.., 1])".to_string())
        }
        Direction::InverseReal if !complex => {
            return Err("a one-sided inverse transform (IRFFT) takes a complex input ([.., 2])".to_string())
        }
        _ => {}
    }
    let length = Length::of_input(ctx, 1)?;
    let axis = match ctx.opset {
        ..=19 => Some(ctx.attrs.int_or("axis", 1)?),
        _ => match ctx.optional_input(2) {
            None => Some(-2),
            Some(axis) => match axis.const_ints() {
                Some(v) if v.len() == 1 => Some(v[0]),
                Some(v) => return Err(format!("the axis must be a scalar, got {v:?}")),
                None => None,
            },
        },
    };
    match axis {
        Some(axis) => Ok(vec![along(ctx, x, normalize(axis, rank)?, length, direction)?]),
        None => Ok(vec![along_run_time_axis(ctx, x, length, direction)?]),
    }
}

fn direction(ctx: &NodeCtx) -> Result<Direction, String> {
    let flag = |name: &str| -> Result<bool, String> {
        match ctx.attrs.int_or(name, 0)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("attribute {name}={other} must be 0 or 1")),
        }
    };
    Ok(match (flag("inverse")?, flag("onesided")?) {
        (false, onesided) => Direction::Forward { onesided },
        (true, false) => Direction::Inverse,
        (true, true) => Direction::InverseReal,
    })
}

/// The axis in `[0, rank - 2]`: ONNX accepts `[-rank, -2]` and `[0, rank - 2]`.
fn normalize(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    match axis {
        a if (0..=r - 2).contains(&a) => Ok(a as usize),
        a if (-r..=-2).contains(&a) => Ok((a + r) as usize),
        a => Err(format!("axis {a} is out of range for an input of rank {rank} (its last axis is not a signal axis)")),
    }
}

/// The transform along signal axis `axis`.
fn along(
    ctx: &mut NodeCtx,
    x: Value,
    axis: usize,
    length: Option<Length>,
    direction: Direction,
) -> Result<Value, String> {
    let rank = x.rank();
    let signal = x.info().shape[axis].clone();
    let n = match length {
        Some(n) => n,
        None if direction == Direction::InverseReal => {
            let bins = signal
                .as_int()
                .ok_or_else(|| format!("the signal axis must be known at compile time, got {signal}"))?;
            Length::known(2 * (bins - 1))
        }
        None => Length::of_dim(&signal, "the signal axis")?,
    };
    // The signal axis last, the others in order.
    let order: Vec<i64> = (0..rank as i64 - 1).filter(|&a| a != axis as i64).chain([axis as i64]).collect();
    let (re, im) = split_complex(ctx, x)?;
    let to_last =
        |ctx: &mut NodeCtx, v: Value| ctx.call("permute_dims", &[v], Attrs::new().with("axes", ints_attr(&order)));
    let re = to_last(ctx, re)?;
    let im = im.map(|im| to_last(ctx, im)).transpose()?;
    let (re, im) = transform(ctx, re, im, &n, direction)?;
    let joined = join_complex(ctx, re, im)?;
    // Back: the transformed axis (now at rank - 2) returns to `axis`.
    let mut back: Vec<i64> = (0..rank as i64 - 2).collect();
    back.insert(axis, rank as i64 - 2);
    back.push(rank as i64 - 1);
    ctx.call("permute_dims", &[joined], Attrs::new().with("axes", ints_attr(&back)))
}

/// The transform along the axis input `2` names at run time: along every
/// axis it may name, the one it names selected. When the candidates' shapes
/// differ (a one-sided transform changes its axis's length), each is padded
/// to their largest shape for the selection, and the result cut to the
/// shape of the named axis's candidate: a shape of dims computed from the
/// axis value, bound at run time.
fn along_run_time_axis(
    ctx: &mut NodeCtx,
    x: Value,
    length: Option<Length>,
    direction: Direction,
) -> Result<Value, String> {
    let axis_dim = match ctx.int_values(2)?.map(|v| v.dims) {
        Some(dims) if dims.len() == 1 => dims[0].clone(),
        _ => return Err(format!("the axis must be an integer scalar, got {}", ctx.input(2)?.info())),
    };
    let axis = ctx.input(2)?;
    let axis = ctx.call("reshape", &[axis], Attrs::new().with("shape", AttrValue::Dims(vec![])))?;
    let axis = ctx.call("cast", &[axis], Attrs::new().with("dtype", AttrValue::DType(DType::I64)))?;
    let axis = ctx.bind(axis, "axis");
    let rank = x.rank();
    let x = ctx.bind(x, "signal");
    let mut candidates = Vec::new();
    for a in 0..rank - 1 {
        candidates.push(along(ctx, x.clone(), a, length.clone(), direction)?);
    }
    let shapes: Vec<Vec<i64>> = candidates
        .iter()
        .map(|c| c.info().shape.iter().map(Dim::as_int).collect::<Option<Vec<i64>>>())
        .collect::<Option<_>>()
        .ok_or("with the axis given at run time, the input's shape must be known at compile time")?;
    let largest: Vec<i64> = (0..rank).map(|j| shapes.iter().map(|s| s[j]).max().unwrap_or(0)).collect();
    let nan = Value::scalar(x.dtype(), f64::NAN);
    let full = largest.iter().map(|&d| Dim::Int(d)).collect();
    let mut y = ctx.call("broadcast_to", &[nan], Attrs::new().with("shape", AttrValue::Dims(full)))?;
    for (a, (candidate, shape)) in candidates.into_iter().zip(&shapes).enumerate() {
        let widths: Vec<i64> =
            std::iter::repeat_n(0, rank).chain(largest.iter().zip(shape).map(|(l, s)| l - s)).collect();
        let candidate = match widths.iter().any(|&w| w != 0) {
            true => ctx.call("pad", &[candidate], Attrs::new().with("pad_width", ints_attr(&widths)))?,
            false => candidate,
        };
        let i64_scalar = |v: i64| Value::scalar(DType::I64, v as f64);
        let named = ctx.call("equal", &[axis.clone(), i64_scalar(a as i64)], Attrs::new())?;
        let from_end = ctx.call("equal", &[axis.clone(), i64_scalar(a as i64 - rank as i64)], Attrs::new())?;
        let chosen = ctx.call("logical_or", &[named, from_end], Attrs::new())?;
        y = ctx.call("where", &[chosen, candidate, y], Attrs::new())?;
    }
    if shapes.iter().all(|s| *s == largest) {
        return Ok(y);
    }
    // Axis j's length: the named candidate's, as a dim of the axis value.
    let named = |a: usize| -> Dim {
        let is = |v: i64| (Dim::Int(1) - (axis_dim.clone() - v).max(Dim::Int(v) - axis_dim.clone())).max(0);
        is(a as i64) + is(a as i64 - rank as i64)
    };
    let dims: Vec<Dim> = (0..rank)
        .map(|j| {
            let dim = shapes.iter().enumerate().fold(Dim::Int(0), |acc, (a, shape)| acc + named(a) * shape[j]);
            ctx.importer.derived_dim("dft_dim", dim)
        })
        .collect();
    let all: Vec<i64> = (0..rank as i64).collect();
    let cut = Attrs::new()
        .with("axes", ints_attr(&all))
        .with("begin", ints_attr(&vec![0; rank]))
        .with("end", AttrValue::Dims(dims.clone()))
        .with("strides", ints_attr(&vec![1; rank]));
    let y = ctx.call("strided_slice", &[y], cut)?;
    ctx.match_cast(y, dims)
}
