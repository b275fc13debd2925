//! `LinearAttention` (opset 27): attention through a recurrent state `S`
//! (`[batch, kv_heads, key_size, value_size]` per sequence) instead of a
//! softmax over all keys.
//!
//! Each token `t` updates the state by one of four rules and reads it with
//! its query: `linear` adds `k_t ⊗ v_t`; `gated` first decays the state by
//! `exp(g_t)`; `delta` adds `k_t ⊗ beta_t (v_t - S^T k_t)`, correcting what
//! the state already recalls for `k_t`; `gated_delta` decays, then corrects.
//! The output is `scale * q_t^T S_t`. ONNX defines this as the sequential
//! recurrence (and computes it in f32 whatever the input type), so that is
//! what is built: one step per token, unrolled, since the IR has no loops
//! yet. The token count must therefore be known at compile time, and at
//! most [`MAX_STEPS`]. Query heads share key/value heads as in `Attention`.

use super::heads;
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs};
use relax_rt::DType;

/// The most tokens one node is unrolled over.
const MAX_STEPS: i64 = 256;

/// Input slots.
const PAST_STATE: usize = 3;
const DECAY: usize = 4;
const BETA: usize = 5;

pub fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    Rule::parse(&attrs.string_or("update_rule", "gated_delta")?)?;
    for name in ["q_num_heads", "kv_num_heads"] {
        if attrs.int(name)?.is_none_or(|h| h <= 0) {
            return Err(format!("attribute {name} is required and must be positive"));
        }
    }
    Ok(())
}

/// Which parts of the update a rule has.
#[derive(Clone, Copy)]
struct Rule {
    /// Decay the state by `exp(decay)` first.
    gated: bool,
    /// Write `beta * (v - S^T k)` rather than `v`.
    delta: bool,
}

impl Rule {
    fn parse(name: &str) -> Result<Rule, String> {
        let (gated, delta) = match name {
            "linear" => (false, false),
            "gated" => (true, false),
            "delta" => (false, true),
            "gated_delta" => (true, true),
            other => return Err(format!("attribute update_rule={other} must be linear, gated, delta or gated_delta")),
        };
        Ok(Rule { gated, delta })
    }
}

/// The per-token inputs, `[batch, heads, tokens, size]` in f32.
struct Sequence {
    q: Value,
    k: Value,
    v: Value,
    /// `exp(decay)`: `[batch, kv_heads, tokens, key_size or 1]`.
    decay: Option<Value>,
    /// `[batch, kv_heads or 1, tokens, 1]`.
    beta: Option<Value>,
}

pub fn convert(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let rule = Rule::parse(&ctx.attrs.string_or("update_rule", "gated_delta")?)?;
    let (q_heads, kv_heads) = (ctx.attrs.int_or("q_num_heads", 0)?, ctx.attrs.int_or("kv_num_heads", 0)?);
    let group = heads::group_size(&q_heads.into(), &kv_heads.into())?;
    let query = ctx.input(0)?;
    let out_dtype = query.dtype();
    let tokens = steps(&query)?;
    let seq = sequence(ctx, rule, q_heads, kv_heads)?;
    let key_size = seq.k.info().shape[3].clone();
    let scale = match ctx.attrs.float_or("scale", 0.0)? {
        0.0 => 1.0 / (key_size.as_int().ok_or("the key size must be known at compile time")? as f64).sqrt(),
        s => s,
    };
    let past = ctx.optional_input(PAST_STATE);
    if let Some(past) = &past {
        check_state_shape(&seq, past)?;
    }
    let state_dtype = past.as_ref().map_or(out_dtype, Value::dtype);
    let mut state = past.map(|p| cast(ctx, p, DType::F32)).transpose()?;
    let mut outputs = Vec::with_capacity(tokens as usize);
    for t in 0..tokens {
        let next = step(ctx, &seq, state, t)?;
        let next = ctx.bind(next, "state");
        let q_t = token(ctx, &seq.q, t)?;
        let read = heads::grouped_matmul(ctx, q_t, next.clone(), group)?;
        outputs.push(ctx.call("mul", &[read, Value::scalar(DType::F32, scale)], Attrs::new())?);
        state = Some(next);
    }
    let y = ctx.call("concat", &outputs, Attrs::new().with("axis", AttrValue::Int(2)))?;
    let y = heads::merge(ctx, y)?;
    let final_state = state.expect("at least one token");
    Ok(vec![cast(ctx, y, out_dtype)?, cast(ctx, final_state, state_dtype)?])
}

/// The token count, which the unrolling needs at compile time.
fn steps(query: &Value) -> Result<i64, String> {
    let shape = query.info().shape;
    match shape.get(1).and_then(|d| d.as_int()) {
        Some(t) if (1..=MAX_STEPS).contains(&t) => Ok(t),
        Some(t) if t > MAX_STEPS => Err(format!(
            "{t} tokens would be unrolled into {t} steps; at most {MAX_STEPS} are supported until the IR has loops"
        )),
        _ => Err(format!(
            "the token count must be known at compile time and positive, got query {}",
            shape_to_string(&shape)
        )),
    }
}

/// The past state must be `[batch, kv_heads, key_size, value_size]` exactly
/// (broadcasting it would be a different model).
fn check_state_shape(seq: &Sequence, past: &Value) -> Result<(), String> {
    let (k, v) = (seq.k.info().shape, seq.v.info().shape);
    let want = [k[0].clone(), k[1].clone(), k[3].clone(), v[3].clone()];
    let got = past.info().shape;
    if got.len() != 4 || got.iter().zip(&want).any(|(a, b)| !a.proven_eq(b)) {
        return Err(format!("past_state must be {}, got {}", shape_to_string(&want), shape_to_string(&got)));
    }
    Ok(())
}

/// Every per-token input must have the query's batch and token count, which
/// the unrolled steps slice.
fn check_tokens(seq: &Sequence) -> Result<(), String> {
    let q = seq.q.info().shape;
    let others = [Some(&seq.k), Some(&seq.v), seq.decay.as_ref(), seq.beta.as_ref()];
    for x in others.into_iter().flatten() {
        let shape = x.info().shape;
        if !shape[0].proven_eq(&q[0]) || !shape[2].proven_eq(&q[2]) {
            return Err(format!(
                "every input must have the query's batch {} and token count {}, got one of {} tokens in batch {}",
                q[0], q[2], shape[2], shape[0]
            ));
        }
    }
    Ok(())
}

/// The inputs split into heads, in f32, with the decay exponentiated.
fn sequence(ctx: &mut NodeCtx, rule: Rule, q_heads: i64, kv_heads: i64) -> Result<Sequence, String> {
    let q = split(ctx, 0, q_heads, "query")?;
    let k = split(ctx, 1, kv_heads, "key")?;
    let v = split(ctx, 2, kv_heads, "value")?;
    let key_size = k.info().shape[3].clone();
    let decay = match (rule.gated, ctx.optional_input(DECAY)) {
        (true, Some(d)) => {
            let last = d.info().shape.last().cloned();
            if !last.is_some_and(|l| l.proven_eq(&kv_heads.into()) || l.proven_eq(&(key_size.clone() * kv_heads))) {
                return Err(format!("decay must be [batch, tokens, kv_num_heads (* key size)], got {}", d.info()));
            }
            let d = split(ctx, DECAY, kv_heads, "decay")?;
            let d = ctx.call("exp", &[d], Attrs::new())?;
            Some(ctx.bind(d, "decay_factor"))
        }
        (false, None) => None,
        (true, None) => return Err("the gated update rules need the decay input".to_string()),
        (false, Some(_)) => return Err("only the gated update rules take a decay input".to_string()),
    };
    let beta = match (rule.delta, ctx.optional_input(BETA)) {
        (true, Some(b)) => {
            let per = match b.info().shape.last().and_then(|l| l.as_int()) {
                Some(1) => 1,
                Some(h) if h == kv_heads => kv_heads,
                _ => return Err(format!("beta must be [batch, tokens, kv_num_heads or 1], got {}", b.info())),
            };
            Some(split(ctx, BETA, per, "beta")?)
        }
        (false, None) => None,
        (true, None) => return Err("the delta update rules need the beta input".to_string()),
        (false, Some(_)) => return Err("only the delta update rules take a beta input".to_string()),
    };
    let seq = Sequence { q, k, v, decay, beta };
    check_tokens(&seq)?;
    Ok(seq)
}

/// Input `k` as `[batch, heads, tokens, size]` in f32.
fn split(ctx: &mut NodeCtx, k: usize, heads: i64, what: &str) -> Result<Value, String> {
    let x = ctx.input(k)?;
    let x = cast(ctx, x, DType::F32)?;
    let x = heads::split(ctx, x, heads, what)?;
    Ok(ctx.bind(x, what))
}

/// The state after token `t`. Without a past state the first step starts
/// from zeros, which need not be built: the decay and the recall of zero are
/// zero.
fn step(ctx: &mut NodeCtx, seq: &Sequence, state: Option<Value>, t: i64) -> Result<Value, String> {
    let k_t = token(ctx, &seq.k, t)?;
    let mut v_t = token(ctx, &seq.v, t)?;
    let state = match (state, &seq.decay) {
        (Some(s), Some(decay)) => {
            let factor = token(ctx, decay, t)?;
            let factor = ctx.call("permute_dims", &[factor], Attrs::new().with("axes", ints_attr(&[0, 1, 3, 2])))?;
            let decayed = ctx.call("mul", &[s, factor], Attrs::new())?;
            Some(ctx.bind(decayed, "decayed"))
        }
        (state, _) => state,
    };
    if let Some(beta) = &seq.beta {
        if let Some(s) = &state {
            let recalled = ctx.call("matmul", &[k_t.clone(), s.clone()], Attrs::new())?;
            v_t = ctx.call("sub", &[v_t, recalled], Attrs::new())?;
        }
        let beta_t = token(ctx, beta, t)?;
        v_t = ctx.call("mul", &[beta_t, v_t], Attrs::new())?;
    }
    let k_col = ctx.call("permute_dims", &[k_t], Attrs::new().with("axes", ints_attr(&[0, 1, 3, 2])))?;
    let written = ctx.call("mul", &[k_col, v_t], Attrs::new())?;
    match state {
        Some(s) => ctx.call("add", &[s, written], Attrs::new()),
        None => Ok(written),
    }
}

/// Token `t` of `[batch, heads, tokens, size]`, keeping the axis.
fn token(ctx: &mut NodeCtx, x: &Value, t: i64) -> Result<Value, String> {
    let attrs = Attrs::new()
        .with("axes", ints_attr(&[2]))
        .with("begin", ints_attr(&[t]))
        .with("end", ints_attr(&[t + 1]))
        .with("strides", ints_attr(&[1]));
    ctx.call("strided_slice", std::slice::from_ref(x), attrs)
}

fn cast(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    if x.dtype() == dtype {
        return Ok(x);
    }
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}
