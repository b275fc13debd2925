//! `Det`: the determinant of each square matrix `[.., M, M]`, by Gaussian
//! elimination with partial pivoting (the LU factorization numerical
//! libraries use), unrolled over the `M` steps since `M` is known at
//! compile time.
//!
//! Step by step on the remaining `m x m` block: the row with the largest
//! magnitude in the first column is swapped to the top (negating the
//! determinant when it moves), the pivot multiplies the determinant, and the
//! block below and right of it becomes its Schur complement. A zero pivot
//! (a singular matrix) makes the determinant 0; it is divided by as 1 so no
//! NaN appears. Computed in f64, returned in the input's dtype.

use super::iota::iota;
use super::{single, Converter};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[Converter::new("Det", det).since(11)];

/// Matrices larger than this are rejected: the elimination is unrolled.
const MAX_SIZE: i64 = 64;

fn call(ctx: &mut NodeCtx, op: &str, args: &[Value]) -> Result<Value, String> {
    ctx.call(op, args, Attrs::new())
}

fn f(v: f64) -> Value {
    Value::scalar(DType::F64, v)
}

/// `x[.., begin..end, ..]` along `axis` (negative from the end).
fn slice(ctx: &mut NodeCtx, x: Value, axis: i64, begin: i64, end: i64) -> Result<Value, String> {
    let attrs = Attrs::new()
        .with("axes", ints_attr(&[axis]))
        .with("begin", ints_attr(&[begin]))
        .with("end", ints_attr(&[end]))
        .with("strides", ints_attr(&[1]));
    ctx.call("strided_slice", &[x], attrs)
}

fn det(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    let rank = info.rank();
    if rank < 2 || !info.dtype.is_float() {
        return Err(format!("the input must be float matrices [.., M, M], got {info}"));
    }
    let size = info.shape[rank - 1].as_int().filter(|&m| (1..=MAX_SIZE).contains(&m));
    let size = size.filter(|&m| info.shape[rank - 2].as_int() == Some(m)).ok_or_else(|| {
        format!("the matrices must be square with a size from 1 to {MAX_SIZE} known at compile time, got {info}")
    })?;
    let batch: Vec<Dim> = info.shape[..rank - 2].to_vec();
    let mut block = ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(DType::F64)))?;
    let mut det = ctx.call("broadcast_to", &[f(1.0)], Attrs::new().with("shape", AttrValue::Dims(batch.clone())))?;
    for m in (1..=size).rev() {
        block = ctx.bind(block, "block");
        let (pivoted, sign) = if m > 1 { pivot(ctx, block, m, &batch)? } else { (block, f(1.0)) };
        let pivoted = ctx.bind(pivoted, "pivoted");
        let corner = slice(ctx, pivoted.clone(), -2, 0, 1)?;
        let corner = slice(ctx, corner, -1, 0, 1)?;
        let corner = ctx.call("reshape", &[corner], Attrs::new().with("shape", AttrValue::Dims(batch.clone())))?;
        let corner = ctx.bind(corner, "pivot");
        let signed = call(ctx, "mul", &[corner.clone(), sign])?;
        det = call(ctx, "mul", &[det, signed])?;
        if m == 1 {
            break;
        }
        block = complement(ctx, pivoted, corner, m, &batch)?;
    }
    let y = ctx.call("cast", &[det], Attrs::new().with("dtype", AttrValue::DType(info.dtype)))?;
    single(y)
}

/// The block with its largest-magnitude first-column row swapped to the
/// top, and the sign of the swap (-1 when a row moved, else 1), per matrix.
fn pivot(ctx: &mut NodeCtx, block: Value, m: i64, batch: &[Dim]) -> Result<(Value, Value), String> {
    let column = slice(ctx, block.clone(), -1, 0, 1)?;
    let column = ctx.call("squeeze", &[column], Attrs::new().with("axes", ints_attr(&[-1])))?;
    let magnitude = call(ctx, "abs", &[column])?;
    let attrs = Attrs::new().with("axis", AttrValue::Int(-1)).with("keepdims", AttrValue::Bool(true));
    let best = ctx.call("argmax", &[magnitude], attrs)?;
    let best = ctx.bind(best, "best");
    // Row r of the result reads row `best` for r = 0, row 0 for r = best,
    // itself otherwise.
    let rows = iota(ctx, &Dim::Int(m))?;
    let zero = Value::scalar(DType::I64, 0.0);
    let is_best = call(ctx, "equal", &[rows.clone(), best.clone()])?;
    let others = call(ctx, "where", &[is_best, zero.clone(), rows.clone()])?;
    let is_top = call(ctx, "equal", &[rows, zero.clone()])?;
    let source = call(ctx, "where", &[is_top, best.clone(), others])?;
    let source = ctx.call("expand_dims", &[source], Attrs::new().with("axis", ints_attr(&[-1])))?;
    let full: Vec<Dim> = batch.iter().cloned().chain([Dim::Int(m), Dim::Int(m)]).collect();
    let source = ctx.call("broadcast_to", &[source], Attrs::new().with("shape", AttrValue::Dims(full)))?;
    let swapped = ctx.call("gather_elements", &[block, source], Attrs::new().with("axis", AttrValue::Int(-2)))?;
    let moved = call(ctx, "not_equal", &[best, zero])?;
    let sign = call(ctx, "where", &[moved, f(-1.0), f(1.0)])?;
    let sign = ctx.call("reshape", &[sign], Attrs::new().with("shape", AttrValue::Dims(batch.to_vec())))?;
    Ok((swapped, sign))
}

/// `block[1.., 1..] - block[1.., 0] * block[0, 1..] / pivot`, the pivot
/// taken as 1 where it is 0.
fn complement(ctx: &mut NodeCtx, block: Value, pivot: Value, m: i64, batch: &[Dim]) -> Result<Value, String> {
    let zero = call(ctx, "equal", &[pivot.clone(), f(0.0)])?;
    let pivot = call(ctx, "where", &[zero, f(1.0), pivot])?;
    let shape: Vec<Dim> = batch.iter().cloned().chain([Dim::Int(1), Dim::Int(1)]).collect();
    let pivot = ctx.call("reshape", &[pivot], Attrs::new().with("shape", AttrValue::Dims(shape)))?;
    let top = slice(ctx, block.clone(), -2, 0, 1)?;
    let top = slice(ctx, top, -1, 1, m)?;
    let below = slice(ctx, block, -2, 1, m)?;
    let left = slice(ctx, below.clone(), -1, 0, 1)?;
    let rest = slice(ctx, below, -1, 1, m)?;
    let factors = call(ctx, "div", &[left, pivot])?;
    let update = call(ctx, "mul", &[factors, top])?;
    call(ctx, "sub", &[rest, update])
}
