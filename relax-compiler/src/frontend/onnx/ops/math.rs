//! Unary math, activations and `Clip`.
//!
//! Activations without a relax operator of their own are written as the
//! formula ONNX defines them by (`Elu` is `x < 0 ? alpha * (exp(x) - 1) : x`),
//! in the input's dtype.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Neg", |ctx| unary(ctx, "neg")),
    Converter::new("Abs", |ctx| unary(ctx, "abs")),
    Converter::new("Exp", |ctx| unary(ctx, "exp")),
    Converter::new("Log", |ctx| unary(ctx, "log")),
    Converter::new("Sqrt", |ctx| unary(ctx, "sqrt")),
    Converter::new("Reciprocal", |ctx| unary(ctx, "reciprocal")),
    Converter::new("Tanh", |ctx| unary(ctx, "tanh")),
    Converter::new("Sigmoid", |ctx| unary(ctx, "sigmoid")),
    Converter::new("Relu", |ctx| unary(ctx, "relu")),
    Converter::new("Erf", |ctx| unary(ctx, "erf")).since(9),
    Converter::new("Floor", |ctx| unary(ctx, "floor")),
    Converter::new("Ceil", |ctx| unary(ctx, "ceil")),
    Converter::new("Round", |ctx| unary(ctx, "round")).since(11),
    Converter::new("Sin", |ctx| unary(ctx, "sin")),
    Converter::new("Cos", |ctx| unary(ctx, "cos")),
    Converter::new("Sign", |ctx| unary(ctx, "sign")).since(9),
    Converter::new("LeakyRelu", leaky_relu).attrs(&["alpha"]),
    Converter::new("PRelu", prelu),
    Converter::new("Elu", elu).attrs(&["alpha"]),
    Converter::new("Selu", selu).attrs(&["alpha", "gamma"]),
    Converter::new("HardSigmoid", hard_sigmoid).attrs(&["alpha", "beta"]),
    Converter::new("Softplus", softplus),
    Converter::new("Softsign", softsign),
    Converter::new("HardSwish", hard_swish).since(14),
    Converter::new("ThresholdedRelu", thresholded_relu).attrs(&["alpha"]).since(10),
    Converter::new("Celu", celu).attrs(&["alpha"]).since(12),
    Converter::new("Mish", mish).since(18),
    Converter::new("Swish", swish).attrs(&["alpha"]).since(24),
    Converter::new("Tan", tan),
    Converter::new("IsNaN", is_nan).since(9),
    Converter::new("IsInf", is_inf).attrs(&["detect_negative", "detect_positive"]).since(10),
    Converter::new("Gelu", gelu).attrs(&["approximate"]).since(20).check(check_gelu),
    Converter::new("Clip", clip).attrs(&["min", "max"]),
];

fn unary(ctx: &mut NodeCtx, op: &str) -> Result<Vec<Value>, String> {
    single(ctx.call(op, &[ctx.input(0)?], Attrs::new())?)
}

/// `c` in the dtype of `like`.
fn scalar(like: &Value, c: f64) -> Value {
    Value::scalar(like.dtype(), c)
}

/// `x < 0 ? negative : x`.
fn where_negative(ctx: &mut NodeCtx, x: &Value, negative: Value) -> Result<Value, String> {
    let is_negative = ctx.call("less", &[x.clone(), scalar(x, 0.0)], Attrs::new())?;
    ctx.call("where", &[is_negative, negative, x.clone()], Attrs::new())
}

/// `alpha * (exp(x) - 1)`, the negative side of `Elu` and `Selu`.
fn exponential_side(ctx: &mut NodeCtx, x: &Value, alpha: f64) -> Result<Value, String> {
    let exp = ctx.call("exp", std::slice::from_ref(x), Attrs::new())?;
    let exp_minus_one = ctx.call("sub", &[exp, scalar(x, 1.0)], Attrs::new())?;
    ctx.call("mul", &[exp_minus_one, scalar(x, alpha)], Attrs::new())
}

fn leaky_relu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let alpha = ctx.attrs.float_or("alpha", 0.01)?;
    let scaled = ctx.call("mul", &[x.clone(), scalar(&x, alpha)], Attrs::new())?;
    single(where_negative(ctx, &x, scaled)?)
}

/// `LeakyRelu` with a slope tensor that broadcasts to `x`.
fn prelu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, slope) = (ctx.input(0)?, ctx.input(1)?);
    let scaled = ctx.call("mul", &[x.clone(), slope], Attrs::new())?;
    single(where_negative(ctx, &x, scaled)?)
}

fn elu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let negative = exponential_side(ctx, &x, ctx.attrs.float_or("alpha", 1.0)?)?;
    single(where_negative(ctx, &x, negative)?)
}

fn selu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let alpha = ctx.attrs.float_or("alpha", 1.673_263_192_176_818_8)?;
    let gamma = ctx.attrs.float_or("gamma", 1.050_701_022_148_132_3)?;
    let negative = exponential_side(ctx, &x, alpha)?;
    let unscaled = where_negative(ctx, &x, negative)?;
    single(ctx.call("mul", &[unscaled, scalar(&x, gamma)], Attrs::new())?)
}

/// `clip(alpha * x + beta, 0, 1)`.
fn hard_sigmoid_of(ctx: &mut NodeCtx, x: &Value, alpha: f64, beta: f64) -> Result<Value, String> {
    let scaled = ctx.call("mul", &[x.clone(), scalar(x, alpha)], Attrs::new())?;
    let shifted = ctx.call("add", &[scaled, scalar(x, beta)], Attrs::new())?;
    let bounds = Attrs::new().with("min", AttrValue::Float(0.0)).with("max", AttrValue::Float(1.0));
    ctx.call("clip", &[shifted], bounds)
}

fn hard_sigmoid(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let (alpha, beta) = (ctx.attrs.float_or("alpha", 0.2)?, ctx.attrs.float_or("beta", 0.5)?);
    single(hard_sigmoid_of(ctx, &x, alpha, beta)?)
}

/// `x * hard_sigmoid(x)` with `alpha = 1/6`, `beta = 1/2`.
fn hard_swish(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let gate = hard_sigmoid_of(ctx, &x, 1.0 / 6.0, 0.5)?;
    single(ctx.call("mul", &[x, gate], Attrs::new())?)
}

/// `log(exp(x) + 1)`.
fn softplus_of(ctx: &mut NodeCtx, x: &Value) -> Result<Value, String> {
    let exp = ctx.call("exp", std::slice::from_ref(x), Attrs::new())?;
    let plus_one = ctx.call("add", &[exp, scalar(x, 1.0)], Attrs::new())?;
    ctx.call("log", &[plus_one], Attrs::new())
}

fn softplus(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    single(softplus_of(ctx, &x)?)
}

/// `x * tanh(softplus(x))`.
fn mish(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let soft = softplus_of(ctx, &x)?;
    let gate = ctx.call("tanh", &[soft], Attrs::new())?;
    single(ctx.call("mul", &[x, gate], Attrs::new())?)
}

/// `x / (1 + |x|)`.
fn softsign(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let abs = ctx.call("abs", std::slice::from_ref(&x), Attrs::new())?;
    let denominator = ctx.call("add", &[abs, scalar(&x, 1.0)], Attrs::new())?;
    single(ctx.call("div", &[x, denominator], Attrs::new())?)
}

/// `x > alpha ? x : 0`.
fn thresholded_relu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let alpha = ctx.attrs.float_or("alpha", 1.0)?;
    let above = ctx.call("greater", &[x.clone(), scalar(&x, alpha)], Attrs::new())?;
    single(ctx.call("where", &[above, x.clone(), scalar(&x, 0.0)], Attrs::new())?)
}

/// `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`.
fn celu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let alpha = ctx.attrs.float_or("alpha", 1.0)?;
    let scaled = ctx.call("div", &[x.clone(), scalar(&x, alpha)], Attrs::new())?;
    let negative = exponential_side(ctx, &scaled, alpha)?;
    let negative = ctx.call("minimum", &[negative, scalar(&x, 0.0)], Attrs::new())?;
    let positive = ctx.call("relu", std::slice::from_ref(&x), Attrs::new())?;
    single(ctx.call("add", &[positive, negative], Attrs::new())?)
}

/// `x * sigmoid(alpha * x)`.
fn swish(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let alpha = ctx.attrs.float_or("alpha", 1.0)?;
    let scaled = ctx.call("mul", &[x.clone(), scalar(&x, alpha)], Attrs::new())?;
    let gate = ctx.call("sigmoid", &[scaled], Attrs::new())?;
    single(ctx.call("mul", &[x, gate], Attrs::new())?)
}

fn tan(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let sin = ctx.call("sin", std::slice::from_ref(&x), Attrs::new())?;
    let cos = ctx.call("cos", &[x], Attrs::new())?;
    single(ctx.call("div", &[sin, cos], Attrs::new())?)
}

/// NaN is the one value not equal to itself.
fn is_nan(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    single(ctx.call("not_equal", &[x.clone(), x], Attrs::new())?)
}

fn is_inf(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let mut found: Option<Value> = None;
    for (flag, infinity) in [("detect_positive", f64::INFINITY), ("detect_negative", f64::NEG_INFINITY)] {
        if ctx.attrs.int_or(flag, 1)? == 0 {
            continue;
        }
        let hit = ctx.call("equal", &[x.clone(), scalar(&x, infinity)], Attrs::new())?;
        found = Some(match found {
            Some(other) => ctx.call("logical_or", &[other, hit], Attrs::new())?,
            None => hit,
        });
    }
    match found {
        Some(found) => single(found),
        None => {
            let never = Value::scalar(DType::Bool, 0.0);
            single(ctx.call("broadcast_to", &[never], Attrs::new().with("shape", AttrValue::Dims(x.info().shape)))?)
        }
    }
}

fn gelu_op(attrs: &Attributes) -> Result<&'static str, String> {
    match attrs.string_or("approximate", "none")?.as_str() {
        "none" => Ok("gelu"),
        "tanh" => Ok("gelu_tanh"),
        other => Err(format!("attribute approximate=\"{other}\" is not supported (expected \"none\" or \"tanh\")")),
    }
}

fn check_gelu(attrs: &Attributes, _: i64) -> Result<(), String> {
    gelu_op(attrs).map(|_| ())
}

fn gelu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let op = gelu_op(&ctx.attrs)?;
    unary(ctx, op)
}

/// Bounds known at compile time become `clip`'s attributes; others are
/// applied with `maximum` and `minimum`.
fn clip(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let (lower, upper) = clip_bounds(ctx, &x)?;
    if let (Some(lo), Some(hi)) = (static_bound(&lower, f64::NEG_INFINITY), static_bound(&upper, f64::INFINITY)) {
        let attrs = Attrs::new().with("min", AttrValue::Float(lo)).with("max", AttrValue::Float(hi));
        return single(ctx.call("clip", &[x], attrs)?);
    }
    let mut y = x;
    for (op, bound) in [("maximum", lower), ("minimum", upper)] {
        if let Some(bound) = bound {
            y = ctx.call(op, &[y, bound], Attrs::new())?;
        }
    }
    single(y)
}

/// The bounds: attributes before opset 11, optional inputs after.
fn clip_bounds(ctx: &NodeCtx, x: &Value) -> Result<(Option<Value>, Option<Value>), String> {
    if ctx.opset >= 11 {
        return Ok((ctx.optional_input(1), ctx.optional_input(2)));
    }
    let bound = |name: &str| -> Result<Option<Value>, String> {
        Ok(if ctx.attrs.has(name) { Some(scalar(x, ctx.attrs.float_or(name, 0.0)?)) } else { None })
    };
    Ok((bound("min")?, bound("max")?))
}

/// A bound's value if it is known at compile time (`absent` if omitted).
fn static_bound(bound: &Option<Value>, absent: f64) -> Option<f64> {
    match bound {
        None => Some(absent),
        Some(value) => value.as_const().filter(|a| a.numel() == 1).map(|a| a.get(0).to_f64()),
    }
}
