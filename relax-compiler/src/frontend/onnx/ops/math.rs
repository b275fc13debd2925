//! Unary math, activations (and the gated `SwiGLU`), `Shrink` and `Clip`; the casts are in `cast.rs`.
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
    Converter::new("Asin", |ctx| unary(ctx, "asin")).since(7),
    Converter::new("Acos", |ctx| unary(ctx, "acos")).since(7),
    Converter::new("Atan", |ctx| unary(ctx, "atan")).since(7),
    Converter::new("Sinh", |ctx| unary(ctx, "sinh")).since(9),
    Converter::new("Cosh", |ctx| unary(ctx, "cosh")).since(9),
    Converter::new("Asinh", |ctx| unary(ctx, "asinh")).since(9),
    Converter::new("Acosh", |ctx| unary(ctx, "acosh")).since(9),
    Converter::new("Atanh", |ctx| unary(ctx, "atanh")).since(9),
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
    Converter::new("SwiGLU", swiglu).attrs(&["alpha"]).since(28),
    Converter::new("Tan", tan),
    Converter::new("IsNaN", is_nan).since(9),
    Converter::new("IsInf", is_inf).attrs(&["detect_negative", "detect_positive"]).since(10),
    Converter::new("Shrink", shrink).attrs(&["bias", "lambd"]).since(9),
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
    single(swish_of(ctx, x)?)
}

/// `x * sigmoid(alpha * x)`.
fn swish_of(ctx: &mut NodeCtx, x: Value) -> Result<Value, String> {
    let alpha = ctx.attrs.float_or("alpha", 1.0)?;
    let x = ctx.bind(x, "x");
    let scaled = ctx.call("mul", &[x.clone(), scalar(&x, alpha)], Attrs::new())?;
    let gate = ctx.call("sigmoid", &[scaled], Attrs::new())?;
    ctx.call("mul", &[x, gate], Attrs::new())
}

/// `Swish(A) * B`, the gated unit of LLaMA-style feed-forward layers. ONNX
/// does not broadcast the two inputs: their shapes must be equal.
fn swiglu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (gate, value) = (ctx.input(0)?, ctx.input(1)?);
    let (a, b) = (gate.info(), value.info());
    if a.rank() != b.rank() || a.shape.iter().zip(&b.shape).any(|(x, y)| !x.proven_eq(y)) {
        return Err(format!("the gate {a} and the value {b} must have the same shape"));
    }
    let gate = swish_of(ctx, gate)?;
    single(ctx.call("mul", &[gate, value], Attrs::new())?)
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

/// `x < -lambd ? x + bias : x > lambd ? x - bias : 0`. On integers the
/// thresholds are compared exactly (an integer is below -1.5 when it is
/// below -1), and a threshold beyond the dtype's range makes its test
/// always or never hold; the bias must then be a whole number.
fn shrink(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let (lambd, bias) = (ctx.attrs.float_or("lambd", 0.5)?, ctx.attrs.float_or("bias", 0.0)?);
    let dtype = x.dtype();
    if !dtype.is_float() && bias.fract() != 0.0 {
        return Err(format!("attribute bias={bias} must be a whole number for {dtype} inputs"));
    }
    let zero = scalar(&x, 0.0);
    let mut y = ctx.call("broadcast_to", &[zero], Attrs::new().with("shape", AttrValue::Dims(x.info().shape)))?;
    // The inner test first: the outer one wins where both hold.
    for (test, shift) in [(Threshold::above(dtype, lambd), "sub"), (Threshold::below(dtype, -lambd), "add")] {
        let shifted = |ctx: &mut NodeCtx| ctx.call(shift, &[x.clone(), scalar(&x, bias)], Attrs::new());
        y = match test {
            Threshold::Never => y,
            Threshold::Always => shifted(ctx)?,
            Threshold::Compare(op, t) => {
                let holds = ctx.call(op, &[x.clone(), scalar(&x, t)], Attrs::new())?;
                let shifted = shifted(ctx)?;
                ctx.call("where", &[holds, shifted, y], Attrs::new())?
            }
        };
    }
    single(y)
}

/// One of `Shrink`'s tests, `x > t` or `x < t`, for a given dtype.
enum Threshold {
    Never,
    Always,
    /// The comparison operator and the threshold, exact in the dtype.
    Compare(&'static str, f64),
}

impl Threshold {
    /// `x > t`: on integers `x > floor(t)`.
    fn above(dtype: DType, t: f64) -> Threshold {
        if dtype.is_float() {
            return Threshold::Compare("greater", t);
        }
        let (lo, hi) = crate::op::compute::int_range(dtype);
        match t.floor() {
            t if t >= hi as f64 => Threshold::Never,
            t if t < lo as f64 => Threshold::Always,
            t => Threshold::Compare("greater", t),
        }
    }

    /// `x < t`: on integers `x < ceil(t)`.
    fn below(dtype: DType, t: f64) -> Threshold {
        if dtype.is_float() {
            return Threshold::Compare("less", t);
        }
        let (lo, hi) = crate::op::compute::int_range(dtype);
        match t.ceil() {
            t if t <= lo as f64 => Threshold::Never,
            t if t > hi as f64 => Threshold::Always,
            t => Threshold::Compare("less", t),
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

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, f32s, run_node};
    use crate::frontend::onnx::builder::{attr_float, node, GraphBuilder};
    use crate::frontend::onnx::proto::{Message, NodeProto};
    use crate::frontend::onnx::{import_bytes, OnnxOptions};
    use crate::interp::{run_function, Value};
    use crate::ir::Dim;
    use crate::ndarray::NDArray;
    use relax_rt::DType;
    use std::f64::consts::{FRAC_PI_3, FRAC_PI_4, FRAC_PI_6, LN_2};
    use std::path::Path;

    fn shrink(lambd: f32, bias: f32) -> NodeProto {
        node("Shrink", &["x"], &["y"]).with_attr(attr_float("lambd", lambd)).with_attr(attr_float("bias", bias))
    }

    fn ints(dtype: DType, values: &[i64]) -> NDArray {
        NDArray::from_i64_values(dtype, &[values.len()], values)
    }

    #[test]
    fn shrink_moves_values_beyond_lambda_toward_zero() {
        let x = f32s(&[5], &[-2., -1., 0., 1., 2.]);
        assert_close(&run_node(9, shrink(1.5, 1.5), &[("x", &x)], &[])[0], &f32s(&[5], &[-0.5, 0., 0., 0., 0.5]));
        // Integers below -1.5 are those below -1, above 1.5 those above 1.
        let x = ints(DType::I32, &[-3, -2, -1, 0, 1, 2, 3]);
        let y = run_node(9, shrink(1.5, 1.0), &[("x", &x)], &[]);
        assert_eq!(y[0], ints(DType::I32, &[-2, -1, 0, 0, 0, 1, 2]));
        // Unsigned values are never below -1; with a negative lambda every
        // one is below 300 (the dtype cannot even hold it), so all get + bias.
        let x = ints(DType::U8, &[0, 1, 2, 5]);
        assert_eq!(run_node(9, shrink(1.0, 1.0), &[("x", &x)], &[])[0], ints(DType::U8, &[0, 0, 1, 4]));
        assert_eq!(run_node(9, shrink(-300.0, 1.0), &[("x", &x)], &[])[0], ints(DType::U8, &[1, 2, 3, 6]));
    }

    /// `op_type` applied to the one-element f64 input `x` (opset 9).
    fn apply(op_type: &str, x: f64) -> f64 {
        let bytes = GraphBuilder::new("g")
            .input("x", DType::F64, &[Dim::Int(1)])
            .output("y")
            .node(node(op_type, &["x"], &["y"]))
            .model(9)
            .encode_to_vec();
        let module = import_bytes(&bytes, Path::new("."), "g", &OnnxOptions::default()).unwrap();
        let input = NDArray::from_f64_values(DType::F64, &[1], &[x]);
        let out = run_function(&module, "forward", vec![Value::Tensor(input)]).unwrap();
        out.tensors()[0].get(0).to_f64()
    }

    #[test]
    fn inverse_trigonometric_and_hyperbolic_functions_at_known_points() {
        // sin(pi/6) = 1/2, cos(pi/3) = 1/2, tan(pi/4) = 1; with e^(ln 2) = 2,
        // sinh(ln 2) = (2 - 1/2) / 2 = 3/4, cosh(ln 2) = (2 + 1/2) / 2 = 5/4 and
        // tanh(ln 2) = (4 - 1) / (4 + 1) = 3/5.
        let cases = [
            ("Asin", 0.5, FRAC_PI_6),
            ("Acos", 0.5, FRAC_PI_3),
            ("Atan", 1.0, FRAC_PI_4),
            ("Sinh", LN_2, 0.75),
            ("Cosh", LN_2, 1.25),
            ("Asinh", 0.75, LN_2),
            ("Acosh", 1.25, LN_2),
            ("Atanh", 0.6, LN_2),
        ];
        for (op, x, want) in cases {
            let got = apply(op, x);
            assert!((got - want).abs() < 1e-15, "{op}({x}) = {got}, expected {want}");
        }
    }
}
