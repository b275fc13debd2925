//! Normalizations and inference-time no-ops: `Softmax`, `LogSoftmax`,
//! `LayerNormalization`, `RMSNormalization`, `InstanceNormalization`,
//! `BatchNormalization`, `Dropout`; the other normalizations are in `normalization.rs`.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::dtype::dtype_of;
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Softmax", |ctx| softmax(ctx, "softmax")).attrs(&["axis"]),
    Converter::new("LogSoftmax", |ctx| softmax(ctx, "log_softmax")).attrs(&["axis"]),
    Converter::new("LayerNormalization", layer_norm)
        .attrs(&["axis", "epsilon", "stash_type"])
        .since(17)
        .outputs(3)
        .check(check_layer_norm),
    Converter::new("RMSNormalization", rms_norm)
        .attrs(&["axis", "epsilon", "stash_type"])
        .since(23)
        .check(check_rms_norm),
    Converter::new("InstanceNormalization", instance_norm).attrs(&["epsilon"]),
    Converter::new("BatchNormalization", batch_norm)
        .attrs(&["epsilon", "momentum", "spatial", "training_mode"])
        .outputs(3)
        .check(check_batch_norm),
    Converter::new("Dropout", dropout).attrs(&["ratio", "seed"]).outputs(2),
];

/// From opset 13 the operator normalizes along `axis` (default -1). Before,
/// it normalized the input seen as a matrix: dims before `axis` (default 1)
/// are rows, the rest one long row; that is flatten, normalize, reshape back.
fn softmax(ctx: &mut NodeCtx, op: &str) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let rank = x.rank() as i64;
    let along = |axis: i64| Attrs::new().with("axis", AttrValue::Int(axis));
    if ctx.opset >= 13 {
        return single(ctx.call(op, &[x], along(ctx.attrs.int_or("axis", -1)?))?);
    }
    let axis = ctx.attrs.int_or("axis", 1)?;
    let axis = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&axis) {
        return Err(format!("axis {axis} is out of range for an input of rank {rank}"));
    }
    if axis == rank - 1 {
        return single(ctx.call(op, &[x], along(-1))?);
    }
    let shape = x.info().shape;
    let rows = ctx.call("flatten", &[x], Attrs::new().with("axis", AttrValue::Int(axis)))?;
    let normalized = ctx.call(op, &[rows], along(-1))?;
    single(ctx.call("reshape", &[normalized], Attrs::new().with("shape", AttrValue::Dims(shape)))?)
}

/// Computing in f32 (`stash_type = 1`) is what relax's `layer_norm` does for
/// f32 inputs; other precisions are not implemented.
fn check_layer_norm(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.int_or("stash_type", 1)? {
        1 => Ok(()),
        other => Err(format!("attribute stash_type={other} is not supported (only 1, float32)")),
    }
}

/// `Y` is relax's `layer_norm`; the optional `Mean` and `InvStdDev` outputs
/// (keeping the normalized axes as size 1) are computed when asked for.
fn layer_norm(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let (axis, epsilon) = (ctx.attrs.int_or("axis", -1)?, ctx.attrs.float_or("epsilon", 1e-5)?);
    let mut args = vec![x.clone(), ctx.input(1)?];
    args.extend(ctx.optional_input(2));
    let attrs = Attrs::new().with("axis", AttrValue::Int(axis)).with("epsilon", AttrValue::Float(epsilon));
    let mut outputs = vec![ctx.call("layer_norm", &args, attrs)?];
    if ctx.wants_output(1) || ctx.wants_output(2) {
        let rank = x.rank() as i64;
        let first = if axis < 0 { axis + rank } else { axis };
        let axes: Vec<i64> = (first..rank).collect();
        let (mean, _, inv_std) = moments(ctx, x, &axes, epsilon)?;
        outputs.extend([mean, inv_std]);
    }
    Ok(outputs)
}

/// The mean over `axes` (kept as size 1), `x` minus it, and the reciprocal
/// standard deviation `1 / sqrt(var + epsilon)` with the biased variance.
pub(super) fn moments(
    ctx: &mut NodeCtx,
    x: Value,
    axes: &[i64],
    epsilon: f64,
) -> Result<(Value, Value, Value), String> {
    let (mean, centered, var) = mean_and_variance(ctx, x, axes)?;
    let var_eps = ctx.call("add", &[var.clone(), Value::scalar(var.dtype(), epsilon)], Attrs::new())?;
    let inv_std = ctx.call("rsqrt", &[var_eps], Attrs::new())?;
    Ok((mean, centered, inv_std))
}

/// The mean over `axes` (kept as size 1), `x` minus it, and the biased
/// (population) variance, the mean of the centered squares: computing it
/// from the centered values, rather than as `E[x^2] - E[x]^2`, cannot go
/// negative through cancellation.
pub(super) fn mean_and_variance(ctx: &mut NodeCtx, x: Value, axes: &[i64]) -> Result<(Value, Value, Value), String> {
    let over = Attrs::new().with("axes", ints_attr(axes)).with("keepdims", AttrValue::Bool(true));
    let mean = ctx.call("mean", std::slice::from_ref(&x), over.clone())?;
    let mean = ctx.bind(mean, "mean");
    let centered = ctx.call("sub", &[x, mean.clone()], Attrs::new())?;
    let centered = ctx.bind(centered, "centered");
    let squared = ctx.call("square", std::slice::from_ref(&centered), Attrs::new())?;
    let var = ctx.call("mean", &[squared], over)?;
    Ok((mean, centered, ctx.bind(var, "var")))
}

fn check_rms_norm(attrs: &Attributes, _: i64) -> Result<(), String> {
    stash_dtype(attrs).map(|_| ())
}

/// The precision of `RMSNormalization`'s first stage, `stash_type`
/// (default f32; half precisions are f32 in the importer).
fn stash_dtype(attrs: &Attributes) -> Result<DType, String> {
    let code = attrs.int_or("stash_type", 1)?;
    match i32::try_from(code).ok().map(dtype_of) {
        Some(Ok(dtype)) if dtype.is_float() => Ok(dtype),
        _ => Err(format!("attribute stash_type={code} must be a floating-point type")),
    }
}

/// `x / sqrt(mean(x^2) + epsilon) * scale`, the mean over the axes from
/// `axis` on. As in ONNX's definition, the first stage runs in `stash_type`:
/// `x` is cast to it, normalized, and cast back before the scale multiplies.
fn rms_norm(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, scale) = (ctx.input(0)?, ctx.input(1)?);
    let dtype = x.dtype();
    if scale.dtype() != dtype {
        return Err(format!("the scale must have the input's dtype {dtype}, got {}", scale.dtype()));
    }
    let shape = x.info().shape;
    let rank = x.rank() as i64;
    let axis = ctx.attrs.int_or("axis", -1)?;
    let first = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&first) {
        return Err(format!("axis {axis} is out of range for an input of rank {rank}"));
    }
    let stash = stash_dtype(&ctx.attrs)?;
    let x = cast_to(ctx, x, stash)?;
    let x = ctx.bind(x, "stashed");
    let squared = ctx.call("mul", &[x.clone(), x.clone()], Attrs::new())?;
    let axes: Vec<i64> = (first..rank).collect();
    let over = Attrs::new().with("axes", ints_attr(&axes)).with("keepdims", AttrValue::Bool(true));
    let mean = ctx.call("mean", &[squared], over)?;
    let epsilon = Value::scalar(stash, ctx.attrs.float_or("epsilon", 1e-5)?);
    let shifted = ctx.call("add", &[mean, epsilon], Attrs::new())?;
    let rms = ctx.call("sqrt", &[shifted], Attrs::new())?;
    let normalized = ctx.call("div", &[x, rms], Attrs::new())?;
    let normalized = cast_to(ctx, normalized, dtype)?;
    let y = ctx.call("mul", &[normalized, scale], Attrs::new())?;
    let (want, got) = (&shape, y.info().shape);
    if got.len() != want.len() || got.iter().zip(want).any(|(a, b)| !a.proven_eq(b)) {
        return Err(format!("the scale must broadcast to the input's shape {}", shape_to_string(want)));
    }
    single(y)
}

fn cast_to(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    if x.dtype() == dtype {
        return Ok(x);
    }
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}

/// Each channel of each sample normalized over its spatial axes, then scaled
/// and shifted per channel.
fn instance_norm(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, scale, bias) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    let trailing = x.rank().checked_sub(2).filter(|&t| t > 0).ok_or("the input must have spatial axes")?;
    let axes: Vec<i64> = (2..x.rank() as i64).collect();
    let (_, centered, inv_std) = moments(ctx, x, &axes, ctx.attrs.float_or("epsilon", 1e-5)?)?;
    let normalized = ctx.call("mul", &[centered, inv_std], Attrs::new())?;
    let (scale, bias) = (per_channel(ctx, scale, trailing)?, per_channel(ctx, bias, trailing)?);
    let scaled = ctx.call("mul", &[normalized, scale], Attrs::new())?;
    single(ctx.call("add", &[scaled, bias], Attrs::new())?)
}

fn check_batch_norm(attrs: &Attributes, _: i64) -> Result<(), String> {
    if attrs.int_or("spatial", 1)? != 1 {
        return Err("attribute spatial=0 is not supported".to_string());
    }
    Ok(())
}

/// Inference normalizes with the given statistics. Training mode (opset 14's
/// `training_mode = 1`) normalizes with the batch's own and also outputs the
/// updated running statistics. Before opset 14, training was asked for by
/// the extra outputs, whose meaning those opsets leave unclear; that is not
/// supported.
fn batch_norm(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let training = ctx.attrs.int_or("training_mode", 0)? != 0;
    if training {
        return batch_norm_training(ctx);
    }
    if ctx.output_count() > 1 {
        return Err(if ctx.opset >= 14 {
            "the running mean and variance outputs need training_mode=1".to_string()
        } else {
            format!("training-mode outputs (mean, var, ...) are only supported from opset 14, not {}", ctx.opset)
        });
    }
    batch_norm_inference(ctx)
}

/// Inference batch normalization, `(x - mean) / sqrt(var + epsilon) * scale +
/// bias`, as one multiply and one add per element: `x * k + (bias - mean * k)`
/// with `k = scale / sqrt(var + epsilon)` per channel (axis 1). With constant
/// statistics, `k` and the shift are folded at compile time.
fn batch_norm_inference(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let [scale, bias, mean, var] = [1, 2, 3, 4].map(|k| ctx.input(k));
    let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
    let epsilon = Value::scalar(var.dtype(), ctx.attrs.float_or("epsilon", 1e-5)?);
    let var_eps = ctx.call("add", &[var, epsilon], Attrs::new())?;
    let std = ctx.call("sqrt", &[var_eps], Attrs::new())?;
    let k = ctx.call("div", &[scale, std], Attrs::new())?;
    let k = ctx.bind(k, "scale");
    let mean_k = ctx.call("mul", &[mean, k.clone()], Attrs::new())?;
    let shift = ctx.call("sub", &[bias, mean_k], Attrs::new())?;
    let trailing = x.rank().checked_sub(2).ok_or("the input must have a batch and a channel axis")?;
    let [k, shift] = [k, shift].map(|v| per_channel(ctx, v, trailing));
    let scaled = ctx.call("mul", &[x, k?], Attrs::new())?;
    single(ctx.call("add", &[scaled, shift?], Attrs::new())?)
}

/// Training batch normalization: each channel normalized with the mean and
/// population variance of the batch (every axis but 1), then scaled and
/// shifted; the running statistics become `input * momentum + batch * (1 -
/// momentum)`.
fn batch_norm_training(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let [scale, bias, running_mean, running_var] = [1, 2, 3, 4].map(|k| ctx.input(k));
    let trailing = x.rank().checked_sub(2).ok_or("the input must have a batch and a channel axis")?;
    let axes: Vec<i64> = (0..x.rank() as i64).filter(|&a| a != 1).collect();
    let (mean, centered, var) = mean_and_variance(ctx, x, &axes)?;
    let epsilon = Value::scalar(var.dtype(), ctx.attrs.float_or("epsilon", 1e-5)?);
    let var_eps = ctx.call("add", &[var.clone(), epsilon], Attrs::new())?;
    let inv_std = ctx.call("rsqrt", &[var_eps], Attrs::new())?;
    let normalized = ctx.call("mul", &[centered, inv_std], Attrs::new())?;
    let (scale, bias) = (per_channel(ctx, scale?, trailing)?, per_channel(ctx, bias?, trailing)?);
    let scaled = ctx.call("mul", &[normalized, scale], Attrs::new())?;
    let mut outputs = vec![ctx.call("add", &[scaled, bias], Attrs::new())?];
    let momentum = ctx.attrs.float_or("momentum", 0.9)?;
    let per_channel_axes = Attrs::new().with("axes", ints_attr(&axes));
    for (k, (running, batch)) in [(1, (running_mean, mean)), (2, (running_var, var))] {
        if !ctx.wants_output(k) {
            continue;
        }
        let batch = ctx.call("squeeze", &[batch], per_channel_axes.clone())?;
        outputs.resize(k, Value::scalar(batch.dtype(), 0.0));
        outputs.push(blend(ctx, running?, batch, momentum)?);
    }
    Ok(outputs)
}

/// `running * momentum + batch * (1 - momentum)`.
fn blend(ctx: &mut NodeCtx, running: Value, batch: Value, momentum: f64) -> Result<Value, String> {
    let kept = ctx.call("mul", &[running.clone(), Value::scalar(running.dtype(), momentum)], Attrs::new())?;
    let added = ctx.call("mul", &[batch, Value::scalar(running.dtype(), 1.0 - momentum)], Attrs::new())?;
    ctx.call("add", &[kept, added], Attrs::new())
}

/// A per-channel vector `[C]` shaped `[C, 1, ..., 1]` to broadcast against
/// `[N, C, d1, ..., dk]`.
pub(super) fn per_channel(ctx: &mut NodeCtx, v: Value, trailing: usize) -> Result<Value, String> {
    if trailing == 0 {
        return Ok(v);
    }
    let shape: Vec<Dim> = std::iter::once(Dim::Int(-1)).chain(std::iter::repeat_n(Dim::Int(1), trailing)).collect();
    ctx.call("reshape", &[v], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

/// At inference dropout passes its input through; the mask, if asked for,
/// keeps everything. Training mode (an input since opset 12) must be off.
fn dropout(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    if let Some(training) = ctx.optional_input(2) {
        match training.as_const() {
            Some(t) if t.numel() == 1 && !t.get(0).to_bool() => {}
            _ => return Err("training_mode must be a constant false (inference only)".to_string()),
        }
    }
    let mut outputs = vec![x.clone()];
    if ctx.wants_output(1) {
        let shape = x.info().shape;
        let keep = Value::scalar(DType::Bool, 1.0);
        outputs.push(ctx.call("broadcast_to", &[keep], Attrs::new().with("shape", AttrValue::Dims(shape)))?);
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, f32s, import_error, run_node};
    use crate::frontend::onnx::builder::{attr_float, attr_int, node};

    #[test]
    fn batch_norm_training_uses_batch_statistics_and_updates_running_ones() {
        // Channel 0 holds 1, 3 (mean 2, variance 1); channel 1 holds 2, 6
        // (mean 4, variance 4). With epsilon 0 both normalize to [-1, 1].
        let x = f32s(&[2, 2], &[1., 2., 3., 6.]);
        let (scale, bias) = (f32s(&[2], &[1., 2.]), f32s(&[2], &[0., 1.]));
        let (mean, var) = (f32s(&[2], &[0., 10.]), f32s(&[2], &[2., 2.]));
        let n = node("BatchNormalization", &["x", "scale", "bias", "mean", "var"], &["y", "new_mean", "new_var"])
            .with_attr(attr_int("training_mode", 1))
            .with_attr(attr_float("epsilon", 0.0))
            .with_attr(attr_float("momentum", 0.5));
        let consts = [("scale", &scale), ("bias", &bias), ("mean", &mean), ("var", &var)];
        let outs = run_node(15, n, &[("x", &x)], &consts);
        assert_close(&outs[0], &f32s(&[2, 2], &[-1., -1., 1., 3.]));
        // Halfway between the given statistics and the batch's.
        assert_close(&outs[1], &f32s(&[2], &[1., 7.]));
        assert_close(&outs[2], &f32s(&[2], &[1.5, 3.]));
    }

    #[test]
    fn batch_norm_statistics_outputs_need_training_mode() {
        let x = f32s(&[2, 2], &[1., 2., 3., 6.]);
        let inputs = ["x", "scale", "bias", "mean", "var"];
        let args = [("x", &x), ("scale", &x), ("bias", &x), ("mean", &x), ("var", &x)];
        let err = import_error(15, node("BatchNormalization", &inputs, &["y", "m", "v"]), &args);
        assert!(err.contains("the running mean and variance outputs need training_mode=1"), "{err}");
        let err = import_error(9, node("BatchNormalization", &inputs, &["y", "m", "v"]), &args);
        assert!(err.contains("only supported from opset 14, not 9"), "{err}");
    }
}
