//! The optimizer steps of the `ai.onnx.preview.training` domain: `Adagrad`,
//! `Adam` and `Momentum`, each one deterministic update of its tensors.
//!
//! One node updates `n` tensors at once. Its inputs are the learning rate
//! `R` and the update count `T` (scalars), then the `n` tensors of each role
//! in turn (`X1..Xn, G1..Gn, H1..Hn` for Adagrad); its outputs are the `n`
//! new tensors of each updated role in turn (`X1_new..Xn_new, H1_new..`).
//! Each tensor is updated by the formulas of the ONNX definition, written
//! here with element-wise relax operators in the tensor's dtype; `R` and `T`
//! are converted to it.

use super::Converter;
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::opsets::TRAINING;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Adagrad", adagrad)
        .domain(TRAINING)
        .attrs(&["decay_factor", "epsilon", "norm_coefficient"])
        .outputs(usize::MAX),
    Converter::new("Adam", adam)
        .domain(TRAINING)
        .attrs(&["alpha", "beta", "epsilon", "norm_coefficient", "norm_coefficient_post"])
        .outputs(usize::MAX),
    Converter::new("Momentum", momentum)
        .domain(TRAINING)
        .attrs(&["alpha", "beta", "mode", "norm_coefficient"])
        .outputs(usize::MAX)
        .check(check_momentum),
];

/// ONNX's default `epsilon` of `Adagrad` and `Adam`: 1e-6 as an f32.
const EPSILON: f64 = 1e-6_f32 as f64;

/// The element-wise arithmetic the formulas are written in, in one dtype.
struct Arith<'c, 'a, 's> {
    ctx: &'c mut NodeCtx<'a, 's>,
    dtype: DType,
}

impl Arith<'_, '_, '_> {
    fn c(&self, value: f64) -> Value {
        Value::scalar(self.dtype, value)
    }

    fn op(&mut self, op: &str, a: Value, b: Value) -> Result<Value, String> {
        self.ctx.call(op, &[a, b], Attrs::new())
    }

    fn add(&mut self, a: Value, b: Value) -> Result<Value, String> {
        self.op("add", a, b)
    }

    fn sub(&mut self, a: Value, b: Value) -> Result<Value, String> {
        self.op("sub", a, b)
    }

    fn mul(&mut self, a: Value, b: Value) -> Result<Value, String> {
        self.op("mul", a, b)
    }

    fn div(&mut self, a: Value, b: Value) -> Result<Value, String> {
        self.op("div", a, b)
    }

    fn sqrt(&mut self, x: Value) -> Result<Value, String> {
        self.ctx.call("sqrt", &[x], Attrs::new())
    }

    /// A value bound once, since the formulas read it several times.
    fn bind(&mut self, value: Value, what: &str) -> Value {
        self.ctx.bind(value, what)
    }

    /// `x` (a scalar input such as `R` or `T`) in the arithmetic's dtype.
    fn convert(&mut self, x: Value) -> Result<Value, String> {
        if x.dtype() == self.dtype {
            return Ok(x);
        }
        self.ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(self.dtype)))
    }

    /// `norm_coefficient * x + g`: the gradient of `0.5 * norm_coefficient *
    /// ||x||^2` added to `g`.
    fn regularized(&mut self, norm_coefficient: f64, x: &Value, g: Value) -> Result<Value, String> {
        let decay = self.mul(self.c(norm_coefficient), x.clone())?;
        let g = self.add(decay, g)?;
        Ok(self.bind(g, "regularized"))
    }
}

/// The operands of one optimizer node: `R`, `T`, and the tensors of each of
/// `roles` roles (`X`, `G`, ...), `n` of each.
struct Operands {
    rate: Value,
    count: Value,
    /// `tensors[role][k]`: the `k`-th tensor of `role`.
    tensors: Vec<Vec<Value>>,
}

fn operands(ctx: &NodeCtx, roles: &[&str]) -> Result<Operands, String> {
    let (rate, count) = (ctx.input(0)?, ctx.input(1)?);
    for (k, (name, value)) in [("R", &rate), ("T", &count)].into_iter().enumerate() {
        if value.info().numel().as_int() != Some(1) {
            return Err(format!("input {k} (`{name}`) must be a scalar, got {}", value.info()));
        }
    }
    if !rate.dtype().is_float() {
        return Err(format!("the learning rate R must be a float, got {}", rate.dtype()));
    }
    if !count.dtype().is_int() {
        return Err(format!("the update count T must be an integer, got {}", count.dtype()));
    }
    let rest = ctx.node.input.len().saturating_sub(2);
    let per_role = rest / roles.len();
    if per_role == 0 || !rest.is_multiple_of(roles.len()) {
        return Err(format!(
            "after R and T the inputs must be {} groups of equally many tensors ({}), got {rest} inputs",
            roles.len(),
            roles.join(", ")
        ));
    }
    let tensors = (0..roles.len())
        .map(|role| (0..per_role).map(|k| ctx.input(2 + role * per_role + k)).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?;
    let dtype = tensors[0][0].dtype();
    if let Some(other) = tensors.iter().flatten().find(|t| t.dtype() != dtype || !dtype.is_float()) {
        return Err(format!("the optimized tensors must all have one float dtype, got {dtype} and {}", other.dtype()));
    }
    Ok(Operands { rate, count, tensors })
}

/// `Adagrad`: `r = R / (1 + T * decay_factor)`, `H_new = H + G_r^2`,
/// `X_new = X - r * G_r / (sqrt(H_new) + epsilon)` with `G_r` the
/// regularized gradient. Outputs `X_new...`, then `H_new...`.
fn adagrad(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let ops = operands(ctx, &["X", "G", "H"])?;
    let decay = ctx.attrs.float_or("decay_factor", 0.0)?;
    let epsilon = ctx.attrs.float_or("epsilon", EPSILON)?;
    let norm_coefficient = ctx.attrs.float_or("norm_coefficient", 0.0)?;
    let mut a = Arith { dtype: ops.tensors[0][0].dtype(), ctx };
    let (rate, count) = (a.convert(ops.rate)?, a.convert(ops.count)?);
    let decayed = a.mul(count, a.c(decay))?;
    let denominator = a.add(a.c(1.0), decayed)?;
    let r = a.div(rate, denominator)?;
    let r = a.bind(r, "rate");
    let (mut xs, mut hs) = (Vec::new(), Vec::new());
    for k in 0..ops.tensors[0].len() {
        let [x, g, h] = [0, 1, 2].map(|role| ops.tensors[role][k].clone());
        let g = a.regularized(norm_coefficient, &x, g)?;
        let squared = a.mul(g.clone(), g.clone())?;
        let h_new = a.add(h, squared)?;
        let h_new = a.bind(h_new, "h_new");
        let root = a.sqrt(h_new.clone())?;
        let adaptive = a.add(root, a.c(epsilon))?;
        let step = a.mul(r.clone(), g)?;
        let step = a.div(step, adaptive)?;
        xs.push(a.sub(x, step)?);
        hs.push(h_new);
    }
    Ok(xs.into_iter().chain(hs).collect())
}

/// `Adam`: `V_new = alpha * V + (1 - alpha) * G_r`, `H_new = beta * H + (1 -
/// beta) * G_r^2`, `X_new = (1 - norm_coefficient_post) * (X - R_adj * V_new
/// / (sqrt(H_new) + epsilon))` where `R_adj = R * sqrt(1 - beta^T) / (1 -
/// alpha^T)` once `T > 0` (the bias correction) and `R` at `T = 0`. Outputs
/// `X_new...`, `V_new...`, then `H_new...`.
fn adam(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let ops = operands(ctx, &["X", "G", "V", "H"])?;
    let alpha = ctx.attrs.float_or("alpha", 0.9_f32 as f64)?;
    let beta = ctx.attrs.float_or("beta", 0.999_f32 as f64)?;
    let epsilon = ctx.attrs.float_or("epsilon", EPSILON)?;
    let norm_coefficient = ctx.attrs.float_or("norm_coefficient", 0.0)?;
    let post = ctx.attrs.float_or("norm_coefficient_post", 0.0)?;
    let count = ops.count.clone();
    let mut a = Arith { dtype: ops.tensors[0][0].dtype(), ctx };
    let rate = a.convert(ops.rate)?;
    let r = adam_rate(&mut a, rate, count, alpha, beta)?;
    let (mut xs, mut vs, mut hs) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..ops.tensors[0].len() {
        let [x, g, v, h] = [0, 1, 2, 3].map(|role| ops.tensors[role][k].clone());
        let g = a.regularized(norm_coefficient, &x, g)?;
        let v_new = running_average(&mut a, alpha, v, g.clone())?;
        let v_new = a.bind(v_new, "v_new");
        let squared = a.mul(g.clone(), g)?;
        let h_new = running_average(&mut a, beta, h, squared)?;
        let h_new = a.bind(h_new, "h_new");
        let root = a.sqrt(h_new.clone())?;
        let denominator = a.add(root, a.c(epsilon))?;
        let direction = a.div(v_new.clone(), denominator)?;
        let step = a.mul(r.clone(), direction)?;
        let x_new = a.sub(x, step)?;
        xs.push(a.mul(a.c(1.0 - post), x_new)?);
        vs.push(v_new);
        hs.push(h_new);
    }
    Ok(xs.into_iter().chain(vs).chain(hs).collect())
}

/// `coefficient * old + (1 - coefficient) * new`.
fn running_average(a: &mut Arith, coefficient: f64, old: Value, new: Value) -> Result<Value, String> {
    let kept = a.mul(a.c(coefficient), old)?;
    let added = a.mul(a.c(1.0 - coefficient), new)?;
    a.add(kept, added)
}

/// Adam's learning rate with the bias correction, `R` when `T <= 0`.
fn adam_rate(a: &mut Arith, rate: Value, count: Value, alpha: f64, beta: f64) -> Result<Value, String> {
    let started = a.ctx.call("greater", &[count.clone(), Value::scalar(count.dtype(), 0.0)], Attrs::new())?;
    let t = a.convert(count)?;
    let t = a.bind(t, "count");
    let beta_t = a.op("pow", a.c(beta), t.clone())?;
    let alpha_t = a.op("pow", a.c(alpha), t)?;
    let beta_rest = a.sub(a.c(1.0), beta_t)?;
    let alpha_rest = a.sub(a.c(1.0), alpha_t)?;
    let root = a.sqrt(beta_rest)?;
    let scaled = a.mul(rate.clone(), root)?;
    let corrected = a.div(scaled, alpha_rest)?;
    let r = a.ctx.call("where", &[started, corrected, rate], Attrs::new())?;
    Ok(a.bind(r, "rate"))
}

fn momentum_mode(attrs: &Attributes) -> Result<bool, String> {
    match attrs.string_or("mode", "")?.as_str() {
        "standard" => Ok(false),
        "nesterov" => Ok(true),
        "" => Err("attribute mode is required (\"standard\" or \"nesterov\")".to_string()),
        other => Err(format!("attribute mode=\"{other}\" is not supported (expected \"standard\" or \"nesterov\")")),
    }
}

/// `alpha`, `beta` and `norm_coefficient` have no defaults in ONNX.
fn check_momentum(attrs: &Attributes, _: i64) -> Result<(), String> {
    momentum_mode(attrs)?;
    for name in ["alpha", "beta", "norm_coefficient"] {
        if !attrs.has(name) {
            return Err(format!("attribute {name} is required"));
        }
    }
    Ok(())
}

/// `Momentum`: `V_new = alpha * V + beta_adj * G_r` with `beta_adj = beta`
/// once `T > 0` and 1 at `T = 0`; then `X_new = X - R * V_new` (standard) or
/// `X_new = X - R * (G_r + alpha * V_new)` (Nesterov). Outputs `X_new...`,
/// then `V_new...`.
fn momentum(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let ops = operands(ctx, &["X", "G", "V"])?;
    let nesterov = momentum_mode(&ctx.attrs)?;
    let alpha = ctx.attrs.float_or("alpha", 0.0)?;
    let beta = ctx.attrs.float_or("beta", 0.0)?;
    let norm_coefficient = ctx.attrs.float_or("norm_coefficient", 0.0)?;
    let count = ops.count.clone();
    let started = ctx.call("greater", &[count.clone(), Value::scalar(count.dtype(), 0.0)], Attrs::new())?;
    let mut a = Arith { dtype: ops.tensors[0][0].dtype(), ctx };
    let beta = a.ctx.call("where", &[started, a.c(beta), a.c(1.0)], Attrs::new())?;
    let beta = a.bind(beta, "beta");
    let rate = a.convert(ops.rate)?;
    let (mut xs, mut vs) = (Vec::new(), Vec::new());
    for k in 0..ops.tensors[0].len() {
        let [x, g, v] = [0, 1, 2].map(|role| ops.tensors[role][k].clone());
        let g = a.regularized(norm_coefficient, &x, g)?;
        let kept = a.mul(a.c(alpha), v)?;
        let added = a.mul(beta.clone(), g.clone())?;
        let v_new = a.add(kept, added)?;
        let v_new = a.bind(v_new, "v_new");
        let direction = if nesterov {
            let ahead = a.mul(a.c(alpha), v_new.clone())?;
            a.add(g, ahead)?
        } else {
            v_new.clone()
        };
        let step = a.mul(rate.clone(), direction)?;
        xs.push(a.sub(x, step)?);
        vs.push(v_new);
    }
    Ok(xs.into_iter().chain(vs).collect())
}
