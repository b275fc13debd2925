//! The discrete Fourier transform as matrix products, shared by `DFT` and
//! `STFT`.
//!
//! Along the last axis of a signal of length `L`, output bin `k` of a
//! transform of length `n` is `sum_l x[l] * e^(-+2 pi i k l / n)`: a matmul
//! of the real and imaginary parts by `C[l, k] = cos(2 pi (k l mod n) / n)`
//! and `S[l, k] = sin(...)`. Rows `l >= n` are zero, which is the truncation
//! of a signal longer than `n`; a shorter one is zero-padded by having no
//! rows there. The matrices are built from relax operators: with `n` and
//! `L` known they fold to constants at compile time, and with lengths given
//! at run time (symbolic dims bound to graph inputs) they are computed before
//! use. Everything runs in f64, so an f32 signal loses nothing to the
//! angles; `k l mod n` keeps every angle below `2 pi`.

use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::ops::iota::iota;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

/// A length both as a dim (for shapes) and as an i64 scalar value (for
/// arithmetic): the same number, known at compile time or bound at run time.
#[derive(Clone, Debug)]
pub struct Length {
    pub dim: Dim,
    pub value: Value,
}

impl Length {
    pub fn known(n: i64) -> Length {
        Length { dim: Dim::Int(n), value: Value::scalar(DType::I64, n as f64) }
    }

    /// Input `k` (an integer scalar), if present: a constant, or a graph
    /// input whose value becomes a dim bound at run time.
    pub fn of_input(ctx: &mut NodeCtx, k: usize) -> Result<Option<Length>, String> {
        let Some(input) = ctx.optional_input(k) else { return Ok(None) };
        let dims = ctx.int_values(k)?.ok_or_else(|| format!("input {k} is missing"))?;
        match dims.dims.as_slice() {
            [dim] if dim.as_int().is_some() => Ok(dim.as_int().map(Length::known)),
            [dim] => {
                let value = ctx.call("reshape", &[input], Attrs::new().with("shape", AttrValue::Dims(vec![])))?;
                let value = to_dtype(ctx, value, DType::I64)?;
                Ok(Some(Length { dim: dim.clone(), value }))
            }
            _ => Err(format!("input `{}` must be a scalar, got {} elements", ctx.input_name(k), dims.dims.len())),
        }
    }

    /// The length of a static axis.
    pub fn of_dim(dim: &Dim, what: &str) -> Result<Length, String> {
        let n = dim.as_int().ok_or_else(|| format!("{what} must be known at compile time, got {dim}"))?;
        Ok(Length::known(n))
    }
}

fn binary(ctx: &mut NodeCtx, op: &str, a: Value, b: Value) -> Result<Value, String> {
    ctx.call(op, &[a, b], Attrs::new())
}

fn to_dtype(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    if x.dtype() == dtype {
        return Ok(x);
    }
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}

/// Which transform, and so which output bins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `e^(-i ...)`, all `n` bins, or the first `n / 2 + 1` when one-sided.
    Forward { onesided: bool },
    /// `e^(+i ...) / n`, all `n` outputs.
    Inverse,
    /// The real signal of length `n` whose spectrum's first `n / 2 + 1` bins
    /// the input holds (the others being their conjugates).
    InverseReal,
}

/// The transform of the signal `re + i im` (`im` absent for a real one)
/// along its last axis, `n` long: the real and imaginary parts of the result
/// (the imaginary one absent for `InverseReal`), in the signal's dtype.
pub fn transform(
    ctx: &mut NodeCtx,
    re: Value,
    im: Option<Value>,
    n: &Length,
    direction: Direction,
) -> Result<(Value, Option<Value>), String> {
    let dtype = re.dtype();
    let length = re.info().shape.last().cloned().ok_or("the signal must have an axis")?;
    let bins = match direction {
        Direction::Forward { onesided: true } => ctx.importer.derived_dim("bins", n.dim.clone().floor_div(2) + 1),
        _ => n.dim.clone(),
    };
    let (cos, sin) = matrices(ctx, &length, &bins, n, direction)?;
    let re = to_dtype(ctx, re, DType::F64)?;
    let re = ctx.bind(re, "re");
    let im = match im {
        Some(im) => {
            let im = to_dtype(ctx, im, DType::F64)?;
            Some(ctx.bind(im, "im"))
        }
        None => None,
    };
    // (re + i im)(cos -+ i sin): the sign of sin is the direction's.
    let sign = if matches!(direction, Direction::Forward { .. }) { -1.0 } else { 1.0 };
    let re_cos = binary(ctx, "matmul", re.clone(), cos.clone())?;
    let re_sin = binary(ctx, "matmul", re, sin.clone())?;
    let (mut out_re, mut out_im) = match &im {
        None if sign > 0.0 => (re_cos, re_sin),
        None => (re_cos, ctx.call("neg", &[re_sin], Attrs::new())?),
        Some(im) => {
            let im_cos = binary(ctx, "matmul", im.clone(), cos)?;
            let im_sin = binary(ctx, "matmul", im.clone(), sin)?;
            let (re_part, im_part) = if sign < 0.0 {
                (binary(ctx, "add", re_cos, im_sin)?, binary(ctx, "sub", im_cos, re_sin)?)
            } else {
                (binary(ctx, "sub", re_cos, im_sin)?, binary(ctx, "add", im_cos, re_sin)?)
            };
            (re_part, im_part)
        }
    };
    if !matches!(direction, Direction::Forward { .. }) {
        let n = to_dtype(ctx, n.value.clone(), DType::F64)?;
        out_re = binary(ctx, "div", out_re, n.clone())?;
        out_im = binary(ctx, "div", out_im, n)?;
    }
    let out_re = to_dtype(ctx, out_re, dtype)?;
    if direction == Direction::InverseReal {
        return Ok((out_re, None));
    }
    Ok((out_re, Some(to_dtype(ctx, out_im, dtype)?)))
}

/// `C` and `S`, `[length, bins]` in f64, with the rows each direction uses.
fn matrices(
    ctx: &mut NodeCtx,
    length: &Dim,
    bins: &Dim,
    n: &Length,
    direction: Direction,
) -> Result<(Value, Value), String> {
    let rows = iota(ctx, length)?;
    let rows =
        ctx.call("reshape", &[rows], Attrs::new().with("shape", AttrValue::Dims(vec![length.clone(), Dim::Int(1)])))?;
    let rows = ctx.bind(rows, "rows");
    let columns = iota(ctx, bins)?;
    let product = binary(ctx, "mul", rows.clone(), columns)?;
    let turns = binary(ctx, "floor_mod", product, n.value.clone())?;
    let turns = to_dtype(ctx, turns, DType::F64)?;
    let n_f64 = to_dtype(ctx, n.value.clone(), DType::F64)?;
    let scaled = binary(ctx, "mul", turns, Value::scalar(DType::F64, std::f64::consts::TAU))?;
    let angle = binary(ctx, "div", scaled, n_f64)?;
    let angle = ctx.bind(angle, "angle");
    let cos = ctx.call("cos", std::slice::from_ref(&angle), Attrs::new())?;
    let sin = ctx.call("sin", &[angle], Attrs::new())?;
    let weight = row_weights(ctx, rows, n, direction)?;
    let cos = binary(ctx, "mul", cos, weight.clone())?;
    let sin = binary(ctx, "mul", sin, weight)?;
    Ok((ctx.bind(cos, "cos"), ctx.bind(sin, "sin")))
}

/// Each row's weight, `[length, 1]` f64: 1 for the rows below `n` (0 past
/// it, the truncation); for `InverseReal`, 1 for bin 0 and (for even `n`)
/// bin `n / 2`, 2 for the bins between, which stand for their conjugates
/// too, and 0 past `n / 2`.
fn row_weights(ctx: &mut NodeCtx, rows: Value, n: &Length, direction: Direction) -> Result<Value, String> {
    let f = |v: f64| Value::scalar(DType::F64, v);
    if direction != Direction::InverseReal {
        let used = binary(ctx, "less", rows, n.value.clone())?;
        return ctx.call("where", &[used, f(1.0), f(0.0)], Attrs::new());
    }
    let twice = binary(ctx, "mul", rows.clone(), Value::scalar(DType::I64, 2.0))?;
    let twice = ctx.bind(twice, "twice");
    let inside = binary(ctx, "less", twice.clone(), n.value.clone())?;
    let edge = binary(ctx, "equal", twice, n.value.clone())?;
    let first = binary(ctx, "equal", rows, Value::scalar(DType::I64, 0.0))?;
    let once = ctx.call("logical_or", &[first, edge], Attrs::new())?;
    let doubled = ctx.call("where", &[inside, f(2.0), f(0.0)], Attrs::new())?;
    ctx.call("where", &[once, f(1.0), doubled], Attrs::new())
}

/// `x`'s real and imaginary parts along its last axis of 1 or 2 (the
/// imaginary part absent for 1), that axis dropped.
pub fn split_complex(ctx: &mut NodeCtx, x: Value) -> Result<(Value, Option<Value>), String> {
    let info = x.info();
    let last = info.rank().checked_sub(1).ok_or("the input must have a last axis of real and imaginary parts")?;
    let part = |ctx: &mut NodeCtx, k: i64| -> Result<Value, String> {
        let attrs = Attrs::new()
            .with("axes", ints_attr(&[last as i64]))
            .with("begin", ints_attr(&[k]))
            .with("end", ints_attr(&[k + 1]))
            .with("strides", ints_attr(&[1]));
        let slice = ctx.call("strided_slice", std::slice::from_ref(&x), attrs)?;
        ctx.call("squeeze", &[slice], Attrs::new().with("axes", ints_attr(&[last as i64])))
    };
    match info.shape[last].as_int() {
        Some(1) => Ok((
            ctx.call("squeeze", std::slice::from_ref(&x), Attrs::new().with("axes", ints_attr(&[last as i64])))?,
            None,
        )),
        Some(2) => Ok((part(ctx, 0)?, Some(part(ctx, 1)?))),
        _ => Err(format!("the last axis must hold 1 (real) or 2 (complex) values, got {info}")),
    }
}

/// The parts joined on a new last axis: `[.., 2]`, or `[.., 1]` for a real
/// result.
pub fn join_complex(ctx: &mut NodeCtx, re: Value, im: Option<Value>) -> Result<Value, String> {
    let last = |ctx: &mut NodeCtx, v: Value| ctx.call("expand_dims", &[v], Attrs::new().with("axis", ints_attr(&[-1])));
    let re = last(ctx, re)?;
    match im {
        None => Ok(re),
        Some(im) => {
            let im = last(ctx, im)?;
            ctx.call("concat", &[re, im], Attrs::new().with("axis", AttrValue::Int(-1)))
        }
    }
}
