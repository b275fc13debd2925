//! `MatMul` (numpy semantics, as relax's `matmul`) and `Gemm`.

use super::{single, Converter};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::Attrs;

pub const CONVERTERS: &[Converter] =
    &[Converter::new("MatMul", matmul), Converter::new("Gemm", gemm).attrs(&["alpha", "beta", "transA", "transB"])];

fn matmul(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    single(ctx.call("matmul", &[ctx.input(0)?, ctx.input(1)?], Attrs::new())?)
}

/// `alpha * op(A) @ op(B) + beta * C` for matrices, `op` transposing when
/// asked. A transposed constant (the usual `transB = 1` weight) is
/// transposed at compile time.
fn gemm(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let a = transposed_if(ctx, 0, "transA")?;
    let b = transposed_if(ctx, 1, "transB")?;
    let (alpha, beta) = (ctx.attrs.float_or("alpha", 1.0)?, ctx.attrs.float_or("beta", 1.0)?);
    let mut y = ctx.call("matmul", &[a, b], Attrs::new())?;
    if alpha != 1.0 {
        y = ctx.call("mul", &[y.clone(), Value::scalar(y.dtype(), alpha)], Attrs::new())?;
    }
    if let Some(mut c) = ctx.optional_input(2) {
        if beta != 1.0 {
            c = ctx.call("mul", &[c.clone(), Value::scalar(c.dtype(), beta)], Attrs::new())?;
        }
        y = ctx.call("add", &[y, c], Attrs::new())?;
    }
    single(y)
}

/// Input `k`, a matrix, transposed when attribute `flag` is set.
fn transposed_if(ctx: &mut NodeCtx, k: usize, flag: &str) -> Result<Value, String> {
    let x = ctx.input(k)?;
    if x.rank() != 2 {
        return Err(format!("input `{}` must be a matrix, got rank {}", ctx.input_name(k), x.rank()));
    }
    if ctx.attrs.int_or(flag, 0)? == 0 {
        return Ok(x);
    }
    ctx.call("permute_dims", &[x], Attrs::new().with("axes", ints_attr(&[1, 0])))
}
