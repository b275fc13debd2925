//! The additive bias `Attention` adds to the attention scores, and the rows it
//! masks completely.
//!
//! ONNX composes the bias from independent parts by adding them: a float
//! `attn_mask` as is, and `-inf` wherever a key is not allowed by a boolean
//! `attn_mask`, the causal frontier, the sliding window (opset 25) or the
//! padding `nonpad_kv_seqlen` marks. Here the allowed sets are intersected
//! first and turned into one `0 / -inf` term, which is the same sum: `-inf`
//! absorbs every finite mask value and a second `-inf`, and a NaN or `+inf`
//! mask value still gives NaN. With static sequence lengths and no run-time
//! input, the whole bias folds to a constant.
//!
//! Key positions are absolute (past keys first); a query's absolute position
//! is `offset + i`, where `offset` counts the valid keys before the query
//! block: the past length with an internal cache, `nonpad_kv_seqlen[b] -
//! q_len` per batch with an external one, else 0.

use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use relax_rt::DType;

/// Everything the bias depends on.
pub struct BiasSpec {
    pub mask: Option<Value>,
    pub nonpad_kv_seqlen: Option<Value>,
    pub causal: bool,
    /// `left_window_size` and `right_window_size`; negative is unbounded.
    pub left: i64,
    pub right: i64,
    pub q_len: Dim,
    /// Past plus current keys.
    pub total_len: Dim,
    /// The internal cache's length, when there is one.
    pub past_len: Option<Dim>,
    /// The scores' dtype, which a float mask must have.
    pub dtype: DType,
}

impl BiasSpec {
    fn windowed(&self) -> bool {
        self.left >= 0 || self.right >= 0
    }
}

/// The bias broadcastable to the scores `[batch, heads, q_len, total_len]`,
/// or `None` when nothing is masked.
pub fn bias(ctx: &mut NodeCtx, spec: &BiasSpec) -> Result<Option<Value>, String> {
    let mask = match &spec.mask {
        Some(mask) => Some(padded_mask(ctx, mask.clone(), &spec.total_len)?),
        None => None,
    };
    let (bool_mask, float_mask) = match mask {
        Some(m) if m.dtype() == DType::Bool => (Some(m), None),
        Some(m) if m.dtype() == spec.dtype => (None, Some(m)),
        Some(m) => {
            return Err(format!("attn_mask must be bool or have the dtype of Q ({}), got {}", spec.dtype, m.dtype()))
        }
        None => (None, None),
    };
    let mut allowed = bool_mask;
    for part in [positional(ctx, spec)?, padding(ctx, spec)?].into_iter().flatten() {
        allowed = Some(match allowed {
            Some(a) => ctx.call("logical_and", &[a, part], Attrs::new())?,
            None => part,
        });
    }
    let disallowed = match allowed {
        Some(allowed) => {
            let [zero, minus_inf] = [0.0, f64::NEG_INFINITY].map(|v| Value::scalar(spec.dtype, v));
            Some(ctx.call("where", &[allowed, zero, minus_inf], Attrs::new())?)
        }
        None => None,
    };
    Ok(match (float_mask, disallowed) {
        (Some(m), Some(d)) => Some(ctx.call("add", &[m, d], Attrs::new())?),
        (m, d) => m.or(d),
    })
}

/// The mask with its key axis padded to `total_len` when it is shorter (ONNX
/// lets it cover only the first keys): the padding is disallowed, `false` or
/// `-inf`. As in ONNX's reference, a key axis of size 1 is padded too, not
/// broadcast.
fn padded_mask(ctx: &mut NodeCtx, mask: Value, total_len: &Dim) -> Result<Value, String> {
    let shape = mask.info().shape;
    let Some(last) = shape.last().filter(|_| shape.len() <= 4) else {
        return Err(format!("attn_mask must have rank 1 to 4, got {}", shape_to_string(&shape)));
    };
    let short = match (last.as_int(), total_len.as_int()) {
        (Some(have), Some(want)) if have < want => want - have,
        _ => return Ok(mask),
    };
    let rank = shape.len();
    let mut widths = vec![0; 2 * rank];
    widths[2 * rank - 1] = short;
    let fill = if mask.dtype() == DType::Bool { 0.0 } else { f64::NEG_INFINITY };
    let attrs = Attrs::new().with("pad_width", ints_attr(&widths)).with("value", AttrValue::Float(fill));
    ctx.call("pad", &[mask], attrs)
}

/// Which keys the causal frontier and the sliding window allow: with `d = p -
/// j` (query position minus key position), causal needs `d >= 0`, the left
/// window `d <= left` and the right window `-d <= right`.
fn positional(ctx: &mut NodeCtx, spec: &BiasSpec) -> Result<Option<Value>, String> {
    if !spec.causal && !spec.windowed() {
        return Ok(None);
    }
    let (q_len, total_len) = static_lengths(spec, "is_causal or a sliding window")?;
    let in_block = NDArray::from_fn(DType::I64, &[q_len, total_len], |flat| {
        crate::ndarray::Scalar::I((flat / total_len) as i64 - (flat % total_len) as i64)
    });
    let offset = offset(ctx, spec)?;
    let distance = ctx.call("add", &[Value::constant(in_block), offset], Attrs::new())?;
    let distance = ctx.bind(distance, "key_distance");
    let lowest = if spec.causal { Some(0) } else { (spec.right >= 0).then_some(-spec.right) };
    let highest = (spec.left >= 0).then_some(spec.left);
    let mut bounds = vec![];
    if let Some(lo) = lowest {
        bounds.push(ctx.call(
            "greater_equal",
            &[distance.clone(), Value::scalar(DType::I64, lo as f64)],
            Attrs::new(),
        )?);
    }
    if let Some(hi) = highest {
        bounds.push(ctx.call("less_equal", &[distance, Value::scalar(DType::I64, hi as f64)], Attrs::new())?);
    }
    let mut bounds = bounds.into_iter();
    let first = bounds.next().expect("causal or windowed attention has a bound");
    bounds.try_fold(first, |a, b| ctx.call("logical_and", &[a, b], Attrs::new())).map(Some)
}

/// The queries' offset: a constant, or `[batch, 1, 1, 1]` with an external
/// cache.
fn offset(ctx: &mut NodeCtx, spec: &BiasSpec) -> Result<Value, String> {
    if let Some(valid) = &spec.nonpad_kv_seqlen {
        let q_len = spec.q_len.as_int().expect("checked static");
        let valid = per_batch(ctx, valid.clone())?;
        return ctx.call("sub", &[valid, Value::scalar(DType::I64, q_len as f64)], Attrs::new());
    }
    let past = match &spec.past_len {
        Some(len) => len.as_int().ok_or_else(|| {
            format!("is_causal or a sliding window needs the past sequence length at compile time, got {len}")
        })?,
        None => 0,
    };
    Ok(Value::scalar(DType::I64, past as f64))
}

/// Keys at or past `nonpad_kv_seqlen[b]` are padding: `[batch, 1, 1, total]`.
fn padding(ctx: &mut NodeCtx, spec: &BiasSpec) -> Result<Option<Value>, String> {
    let Some(valid) = &spec.nonpad_kv_seqlen else { return Ok(None) };
    let (_, total_len) = static_lengths(spec, "nonpad_kv_seqlen")?;
    let keys = NDArray::from_fn(DType::I64, &[total_len], |j| crate::ndarray::Scalar::I(j as i64));
    let valid = per_batch(ctx, valid.clone())?;
    ctx.call("less", &[Value::constant(keys), valid], Attrs::new()).map(Some)
}

/// `nonpad_kv_seqlen` `[batch]` as `[batch, 1, 1, 1]`, to broadcast against
/// the scores.
fn per_batch(ctx: &mut NodeCtx, valid: Value) -> Result<Value, String> {
    if valid.dtype() != DType::I64 || valid.rank() != 1 {
        return Err(format!("nonpad_kv_seqlen must be an i64 vector, got {}", valid.info()));
    }
    let shape = vec![Dim::Int(-1), Dim::Int(1), Dim::Int(1), Dim::Int(1)];
    ctx.call("reshape", &[valid], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

/// The query and total key lengths, which masks built from positions need
/// at compile time.
fn static_lengths(spec: &BiasSpec, what: &str) -> Result<(usize, usize), String> {
    match (spec.q_len.as_int(), spec.total_len.as_int()) {
        (Some(q), Some(t)) => Ok((q as usize, t as usize)),
        _ => Err(format!(
            "{what} needs the query and key sequence lengths at compile time, got {} and {}",
            spec.q_len, spec.total_len
        )),
    }
}

/// Whether each query row of the bias is `-inf` for every key, `[.., q, 1]`,
/// or `None` when the bias is a constant with no such row. ONNX defines a
/// fully masked row's attention as zero rather than the NaN softmax gives.
pub fn fully_masked_rows(ctx: &mut NodeCtx, bias: &Value) -> Result<Option<Value>, String> {
    let rank = bias.rank() as i64;
    let over_keys = Attrs::new().with("axes", ints_attr(&[rank - 1])).with("keepdims", AttrValue::Bool(true));
    let largest = ctx.call("max", std::slice::from_ref(bias), over_keys)?;
    let minus_inf = Value::scalar(bias.dtype(), f64::NEG_INFINITY);
    let rows = ctx.call("equal", &[largest, minus_inf], Attrs::new())?;
    match rows.as_const() {
        Some(rows) if (0..rows.numel()).all(|i| !rows.get(i).to_bool()) => Ok(None),
        _ => Ok(Some(rows)),
    }
}
