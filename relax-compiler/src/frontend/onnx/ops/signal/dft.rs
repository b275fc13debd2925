//! `DFT` (opsets 17 and 20): the transform of `[.., signal.., 1 or 2]` along
//! one signal axis, by [`fourier::transform`](super::fourier::transform).
//!
//! The axis is an attribute before opset 20 (default 1) and an optional
//! input from it (default -2). An axis given at run time is handled by
//! transforming along every axis it may name and selecting the one it does,
//! which needs every candidate to give the same output shape (so not for
//! one-sided transforms or an explicit `dft_length`); an invalid axis gives
//! NaN. `dft_length` may be a constant or a graph input.

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

/// The transform along the axis input `2` names at run time.
fn along_run_time_axis(
    ctx: &mut NodeCtx,
    x: Value,
    length: Option<Length>,
    direction: Direction,
) -> Result<Value, String> {
    let axis = ctx.input(2)?;
    if !axis.dtype().is_int() || axis.info().numel().as_int() != Some(1) {
        return Err(format!("the axis must be an integer scalar, got {}", axis.info()));
    }
    let axis = ctx.call("reshape", &[axis], Attrs::new().with("shape", AttrValue::Dims(vec![])))?;
    let axis = ctx.call("cast", &[axis], Attrs::new().with("dtype", AttrValue::DType(DType::I64)))?;
    let axis = ctx.bind(axis, "axis");
    let rank = x.rank();
    let x = ctx.bind(x, "signal");
    let mut candidates = Vec::new();
    for a in 0..rank - 1 {
        candidates.push(along(ctx, x.clone(), a, length.clone(), direction)?);
    }
    let shape: Vec<Dim> = candidates[0].info().shape;
    if candidates.iter().any(|c| c.info().shape.iter().zip(&shape).any(|(a, b)| !a.proven_eq(b))) {
        return Err("the axis is given at run time, and the output shape depends on it (a one-sided transform or \
                    an explicit dft_length); give the axis as a constant"
            .to_string());
    }
    let nan = Value::scalar(x.dtype(), f64::NAN);
    let mut y = ctx.call("broadcast_to", &[nan], Attrs::new().with("shape", AttrValue::Dims(shape)))?;
    for (a, candidate) in candidates.into_iter().enumerate() {
        let i64_scalar = |v: i64| Value::scalar(DType::I64, v as f64);
        let named = ctx.call("equal", &[axis.clone(), i64_scalar(a as i64)], Attrs::new())?;
        let from_end = ctx.call("equal", &[axis.clone(), i64_scalar(a as i64 - rank as i64)], Attrs::new())?;
        let chosen = ctx.call("logical_or", &[named, from_end], Attrs::new())?;
        y = ctx.call("where", &[chosen, candidate, y], Attrs::new())?;
    }
    Ok(y)
}
