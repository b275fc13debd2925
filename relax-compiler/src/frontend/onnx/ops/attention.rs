//! `Attention` (opsets 23 to 25): scaled dot-product attention, composed from
//! relax's `matmul`, `softmax` and element-wise operators.
//!
//! The computation, in ONNX's order: Q and K (after the past keys are
//! prepended) are each scaled by `sqrt(scale)`, `QK^T` is soft-capped
//! (`softcap * tanh(x / softcap)`), the bias from the masks is added
//! (`attention/bias.rs`), the softmax over keys (in `softmax_precision` if
//! given) has fully masked rows set to zero, and the probabilities multiply
//! V. 3-D inputs are split into heads and the result merged back; fewer
//! key/value heads than query heads is grouped-query attention
//! (`attention/heads.rs`). The optional outputs are the present key and value
//! caches (past and current keys concatenated) and the scores at the stage
//! `qk_matmul_output_mode` selects.
//!
//! `LinearAttention` (opset 27), which replaces the softmax by a recurrent
//! state, is in `attention/linear.rs`.

mod bias;
mod heads;
mod linear;

use super::Converter;
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::dtype::dtype_of;
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};
use bias::BiasSpec;
use relax_rt::DType;

const ATTRIBUTES: &[&str] = &[
    "is_causal",
    "kv_num_heads",
    "q_num_heads",
    "qk_matmul_output_mode",
    "scale",
    "softcap",
    "softmax_precision",
    "left_window_size",
    "right_window_size",
];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Attention", attention).attrs(ATTRIBUTES).since(23).outputs(4).check(check),
    // `chunk_size` is a tuning hint that does not change the result.
    Converter::new("LinearAttention", linear::convert)
        .attrs(&["chunk_size", "kv_num_heads", "q_num_heads", "scale", "update_rule"])
        .since(27)
        .outputs(2)
        .check(linear::check),
];

/// Input slots.
const ATTN_MASK: usize = 3;
const PAST_KEY: usize = 4;
const PAST_VALUE: usize = 5;
const NONPAD_KV_SEQLEN: usize = 6;

fn check(attrs: &Attributes, opset: i64) -> Result<(), String> {
    let mode = attrs.int_or("qk_matmul_output_mode", 0)?;
    if !(0..=3).contains(&mode) {
        return Err(format!("attribute qk_matmul_output_mode={mode} must be 0, 1, 2 or 3"));
    }
    let causal = attrs.int_or("is_causal", 0)?;
    if !(0..=1).contains(&causal) {
        return Err(format!("attribute is_causal={causal} must be 0 or 1"));
    }
    for name in ["left_window_size", "right_window_size"] {
        match attrs.int(name)? {
            Some(_) if opset < 25 => {
                return Err(format!("attribute `{name}` exists from opset 25, and the model imports opset {opset}"))
            }
            Some(size) if size < -1 => return Err(format!("attribute {name}={size} must be -1 or more")),
            _ => {}
        }
    }
    if let Some(code) = attrs.int("softmax_precision")? {
        softmax_dtype(code)?;
    }
    Ok(())
}

/// The relax dtype `softmax_precision` names (half precisions are computed
/// in f32, as everywhere in the importer).
fn softmax_dtype(code: i64) -> Result<DType, String> {
    let dtype = i32::try_from(code).map_err(|_| format!("unknown ONNX element type {code}")).and_then(dtype_of);
    match dtype {
        Ok(d) if d.is_float() => Ok(d),
        _ => Err(format!("attribute softmax_precision={code} must be a floating-point type")),
    }
}

fn attention(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let Operands { q, k, v, three_d } = operands(ctx)?;
    let (past_key, past_value) = (ctx.optional_input(PAST_KEY), ctx.optional_input(PAST_VALUE));
    let nonpad_kv_seqlen = ctx.optional_input(NONPAD_KV_SEQLEN);
    check_cache_inputs(ctx, &past_key, &past_value, &nonpad_kv_seqlen)?;
    let past_len = past_key.as_ref().map(|p| p.info().shape.get(2).cloned().unwrap_or(Dim::Int(0)));
    let present_key = with_past(ctx, past_key, k)?;
    let present_key = ctx.bind(present_key, "present_key");
    let present_value = with_past(ctx, past_value, v)?;
    let present_value = ctx.bind(present_value, "present_value");
    let dtype = q.dtype();
    if present_key.dtype() != dtype || present_value.dtype() != dtype {
        return Err(format!("Q, K and V (and the past caches) must have one dtype, Q has {dtype}"));
    }
    let (q_shape, k_shape) = (q.info().shape, present_key.info().shape);
    let group = heads::group_size(&q_shape[1], &k_shape[1])?;

    let qk = scaled_product(ctx, q, present_key.clone(), group)?;
    let qk = ctx.bind(qk, "qk");
    let capped = softcap(ctx, qk.clone())?;
    let capped = ctx.bind(capped, "capped");
    let spec = BiasSpec {
        mask: ctx.optional_input(ATTN_MASK),
        nonpad_kv_seqlen,
        causal: ctx.attrs.int_or("is_causal", 0)? == 1,
        left: ctx.attrs.int_or("left_window_size", -1)?,
        right: ctx.attrs.int_or("right_window_size", -1)?,
        q_len: q_shape[2].clone(),
        total_len: k_shape[2].clone(),
        past_len,
        dtype,
    };
    let bias = bias::bias(ctx, &spec)?.map(|b| ctx.bind(b, "bias"));
    let scores = match &bias {
        Some(b) => ctx.call("add", &[capped.clone(), b.clone()], Attrs::new())?,
        None => capped.clone(),
    };
    let scores = ctx.bind(scores, "scores");
    let probs = probabilities(ctx, scores.clone(), bias.as_ref(), dtype)?;
    let probs = ctx.bind(probs, "probs");
    let mut y = heads::grouped_matmul(ctx, probs.clone(), present_value.clone(), group)?;
    if three_d {
        y = heads::merge(ctx, y)?;
    }
    let qk_output = match ctx.attrs.int_or("qk_matmul_output_mode", 0)? {
        0 => qk,
        1 => capped,
        2 => scores,
        _ => probs,
    };
    Ok(vec![y, present_key, present_value, qk_output])
}

/// Q, K and V as `[batch, heads, seq, size]`, and whether they came in 3-D.
struct Operands {
    q: Value,
    k: Value,
    v: Value,
    three_d: bool,
}

/// 3-D inputs need both head counts to be split; 4-D inputs carry them, and
/// head-count attributes, when present, must agree.
fn operands(ctx: &mut NodeCtx) -> Result<Operands, String> {
    let (q, k, v) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let (q_heads, kv_heads) = (ctx.attrs.int("q_num_heads")?, ctx.attrs.int("kv_num_heads")?);
    match (q.rank(), k.rank(), v.rank()) {
        (3, 3, 3) => {
            let (Some(qh), Some(kvh)) = (q_heads.filter(|&h| h > 0), kv_heads.filter(|&h| h > 0)) else {
                return Err("3-D inputs need positive attributes q_num_heads and kv_num_heads".to_string());
            };
            let q = heads::split(ctx, q, qh, "Q")?;
            let k = heads::split(ctx, k, kvh, "K")?;
            let v = heads::split(ctx, v, kvh, "V")?;
            Ok(Operands { q, k, v, three_d: true })
        }
        (4, 4, 4) => {
            for (name, declared, x) in [("q_num_heads", q_heads, &q), ("kv_num_heads", kv_heads, &k)] {
                let heads = x.info().shape[1].clone();
                if let Some(h) = declared.filter(|&h| !heads.proven_eq(&Dim::Int(h))) {
                    return Err(format!("attribute {name}={h} disagrees with the 4-D input's {heads} heads"));
                }
            }
            Ok(Operands { q, k, v, three_d: false })
        }
        (a, b, c) => Err(format!("Q, K and V must all have rank 3 or all rank 4, got ranks {a}, {b} and {c}")),
    }
}

/// The past caches come together and, with an external cache
/// (`nonpad_kv_seqlen`, opset 24), not at all.
fn check_cache_inputs(
    ctx: &NodeCtx,
    past_key: &Option<Value>,
    past_value: &Option<Value>,
    nonpad_kv_seqlen: &Option<Value>,
) -> Result<(), String> {
    if past_key.is_some() != past_value.is_some() {
        return Err("past_key and past_value must be given together".to_string());
    }
    if nonpad_kv_seqlen.is_some() && ctx.opset < 24 {
        return Err(format!("input nonpad_kv_seqlen exists from opset 24, and the model imports opset {}", ctx.opset));
    }
    if nonpad_kv_seqlen.is_some() && past_key.is_some() {
        return Err("nonpad_kv_seqlen cannot be combined with past_key and past_value".to_string());
    }
    for past in [past_key, past_value].into_iter().flatten() {
        if past.rank() != 4 {
            return Err(format!("the past caches must be 4-D, got {}", shape_to_string(&past.info().shape)));
        }
    }
    Ok(())
}

/// The cache after this step: past entries, then the current ones.
fn with_past(ctx: &mut NodeCtx, past: Option<Value>, current: Value) -> Result<Value, String> {
    match past {
        Some(past) => ctx.call("concat", &[past, current], Attrs::new().with("axis", AttrValue::Int(2))),
        None => Ok(current),
    }
}

/// `(Q * sqrt(scale)) @ (K * sqrt(scale))^T`, scaling both sides (in Q's
/// dtype) rather than the product, as ONNX specifies to keep the product in
/// range. The default scale is `1 / sqrt(head_size)`.
fn scaled_product(ctx: &mut NodeCtx, q: Value, k: Value, group: i64) -> Result<Value, String> {
    let scale = if ctx.attrs.has("scale") {
        ctx.attrs.float_or("scale", 1.0)?
    } else {
        let head_size = &q.info().shape[3];
        let size = head_size.as_int().ok_or_else(|| {
            format!("the default scale needs the head size at compile time, got {head_size}; set attribute scale")
        })?;
        1.0 / (size as f64).sqrt()
    };
    let factor = Value::scalar(q.dtype(), scale.sqrt());
    let q = ctx.call("mul", &[q, factor.clone()], Attrs::new())?;
    let k = ctx.call("mul", &[k, factor], Attrs::new())?;
    let k_t = ctx.call("permute_dims", &[k], Attrs::new().with("axes", ints_attr(&[0, 1, 3, 2])))?;
    heads::grouped_matmul(ctx, q, k_t, group)
}

/// `softcap * tanh(x / softcap)` for a positive `softcap`; otherwise `x`.
fn softcap(ctx: &mut NodeCtx, x: Value) -> Result<Value, String> {
    let cap = ctx.attrs.float_or("softcap", 0.0)?;
    if cap <= 0.0 {
        return Ok(x);
    }
    let cap = Value::scalar(x.dtype(), cap);
    let scaled = ctx.call("div", &[x, cap.clone()], Attrs::new())?;
    let squashed = ctx.call("tanh", &[scaled], Attrs::new())?;
    ctx.call("mul", &[squashed, cap], Attrs::new())
}

/// The softmax over keys, computed in `softmax_precision` and returned in
/// `dtype`, with every fully masked row zero (selected, not multiplied, so
/// the NaN softmax gives an all `-inf` row does not leak).
fn probabilities(ctx: &mut NodeCtx, scores: Value, bias: Option<&Value>, dtype: DType) -> Result<Value, String> {
    let precision = match ctx.attrs.int("softmax_precision")? {
        Some(code) => softmax_dtype(code)?,
        None => dtype,
    };
    let scores = cast(ctx, scores, precision)?;
    let mut probs = ctx.call("softmax", &[scores], Attrs::new().with("axis", AttrValue::Int(-1)))?;
    if let Some(rows) = bias.map(|b| bias::fully_masked_rows(ctx, b)).transpose()?.flatten() {
        probs = ctx.call("where", &[rows, Value::scalar(precision, 0.0), probs], Attrs::new())?;
    }
    cast(ctx, probs, dtype)
}

fn cast(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    if x.dtype() == dtype {
        return Ok(x);
    }
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}
