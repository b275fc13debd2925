//! The head layout of `Attention`: 3-D inputs `[batch, seq, heads * size]`
//! are split into the 4-D `[batch, heads, seq, size]` the computation uses and
//! merged back, and grouped-query attention (fewer key/value heads than query
//! heads) multiplies each key/value head with its group of query heads.

use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};

/// `[batch, seq, heads * size]` as `[batch, heads, seq, size]`.
pub fn split(ctx: &mut NodeCtx, x: Value, heads: i64, what: &str) -> Result<Value, String> {
    let shape = x.info().shape;
    let [batch, seq, hidden] = &shape[..] else {
        return Err(format!("{what} must have rank 3 like the other inputs, got {}", shape_to_string(&shape)));
    };
    if let Some(hidden) = hidden.as_int().filter(|h| h % heads != 0) {
        return Err(format!("the hidden size {hidden} of {what} is not a multiple of its {heads} heads"));
    }
    let target = vec![batch.clone(), seq.clone(), Dim::Int(heads), Dim::Int(-1)];
    let x = ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(target)))?;
    swap_seq_and_heads(ctx, x)
}

/// `[batch, heads, seq, size]` as `[batch, seq, heads * size]`.
pub fn merge(ctx: &mut NodeCtx, y: Value) -> Result<Value, String> {
    let y = swap_seq_and_heads(ctx, y)?;
    let shape = y.info().shape;
    let target = vec![shape[0].clone(), shape[1].clone(), (shape[2].clone() * shape[3].clone()).simplify()];
    ctx.call("reshape", &[y], Attrs::new().with("shape", AttrValue::Dims(target)))
}

fn swap_seq_and_heads(ctx: &mut NodeCtx, x: Value) -> Result<Value, String> {
    ctx.call("permute_dims", &[x], Attrs::new().with("axes", ints_attr(&[0, 2, 1, 3])))
}

/// How many query heads share one key/value head: 1 when the head counts are
/// provably equal, otherwise their quotient, which must be exact.
pub fn group_size(q_heads: &Dim, kv_heads: &Dim) -> Result<i64, String> {
    if q_heads.proven_eq(kv_heads) {
        return Ok(1);
    }
    match (q_heads.as_int(), kv_heads.as_int()) {
        (Some(q), Some(kv)) if kv > 0 && q % kv == 0 => Ok(q / kv),
        (Some(q), Some(kv)) => Err(format!("the {q} query heads are not a multiple of the {kv} key/value heads")),
        _ => Err(format!(
            "the query heads ({q_heads}) and key/value heads ({kv_heads}) must be equal or known at compile time"
        )),
    }
}

/// `a @ b` per head, where `a` is `[batch, q_heads, rows, k]` and `b` is
/// `[batch, kv_heads, k, n]` with `q_heads = kv_heads * group`. Query head `h`
/// uses key/value head `h / group` (each key/value head repeated `group`
/// times, consecutively). Rather than repeating `b`, the `group` query heads
/// of one key/value head are stacked as extra rows of one matrix: `a` viewed
/// as `[batch, kv_heads, group * rows, k]` gives the same products without
/// copying `b`, and the result is viewed back as `[batch, q_heads, rows, n]`.
pub fn grouped_matmul(ctx: &mut NodeCtx, a: Value, b: Value, group: i64) -> Result<Value, String> {
    if group == 1 {
        return ctx.call("matmul", &[a, b], Attrs::new());
    }
    let a_shape = a.info().shape;
    let (batch, q_heads, rows) = (a_shape[0].clone(), a_shape[1].clone(), a_shape[2].clone());
    let kv_heads = b.info().shape[1].clone();
    let stacked = vec![batch.clone(), kv_heads, (rows.clone() * group).simplify(), a_shape[3].clone()];
    let a = ctx.call("reshape", &[a], Attrs::new().with("shape", AttrValue::Dims(stacked)))?;
    let product = ctx.call("matmul", &[a, b], Attrs::new())?;
    let n = product.info().shape[3].clone();
    ctx.call("reshape", &[product], Attrs::new().with("shape", AttrValue::Dims(vec![batch, q_heads, rows, n])))
}
