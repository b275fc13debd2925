//! Normalizations composed from reductions and element-wise operators:
//! `LpNormalization`, `MeanVarianceNormalization`, `GroupNormalization` and
//! the local response normalization `LRN` (a sum over neighbouring channels,
//! which is an average pool over the channel axis).

use super::nn::{mean_and_variance, moments, per_channel};
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::dtype::dtype_of;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};

pub const CONVERTERS: &[Converter] = &[
    Converter::new("LpNormalization", lp_normalization).attrs(&["axis", "p"]).check(check_lp_normalization),
    Converter::new("MeanVarianceNormalization", mean_variance_normalization).attrs(&["axes"]).since(9),
    Converter::new("GroupNormalization", group_normalization)
        .attrs(&["epsilon", "num_groups", "stash_type"])
        .since(18)
        .check(check_group_normalization),
    Converter::new("LRN", lrn).attrs(&["alpha", "beta", "bias", "size"]).check(check_lrn),
];

fn check_lp_normalization(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.int_or("p", 2)? {
        1 | 2 => Ok(()),
        p => Err(format!("attribute p={p} is not supported (ONNX defines only 1 and 2)")),
    }
}

/// `x / ||x||_p` along `axis`, and 0 where the norm is 0 (a zero vector
/// stays zero instead of becoming 0/0).
fn lp_normalization(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axis = ctx.attrs.int_or("axis", -1)?;
    let along = Attrs::new().with("axes", ints_attr(&[axis])).with("keepdims", AttrValue::Bool(true));
    let norm = match ctx.attrs.int_or("p", 2)? {
        1 => {
            let abs = ctx.call("abs", std::slice::from_ref(&x), Attrs::new())?;
            ctx.call("sum", &[abs], along)?
        }
        _ => {
            let squares = ctx.call("square", std::slice::from_ref(&x), Attrs::new())?;
            let sum = ctx.call("sum", &[squares], along)?;
            ctx.call("sqrt", &[sum], Attrs::new())?
        }
    };
    let norm = ctx.bind(norm, "norm");
    let zero = Value::scalar(x.dtype(), 0.0);
    let is_zero = ctx.call("equal", &[norm.clone(), zero.clone()], Attrs::new())?;
    let normalized = ctx.call("div", &[x, norm], Attrs::new())?;
    single(ctx.call("where", &[is_zero, zero, normalized], Attrs::new())?)
}

/// `(x - mean) / (std + 1e-9)` over `axes` (default `[0, 2, 3]`), with the
/// population standard deviation; the 1e-9 is ONNX's function definition's.
fn mean_variance_normalization(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let axes = ctx.attrs.ints("axes")?.unwrap_or_else(|| vec![0, 2, 3]);
    let (_, centered, var) = mean_and_variance(ctx, x, &axes)?;
    let std = ctx.call("sqrt", &[var], Attrs::new())?;
    let guarded = ctx.call("add", &[std.clone(), Value::scalar(std.dtype(), 1e-9)], Attrs::new())?;
    single(ctx.call("div", &[centered, guarded], Attrs::new())?)
}

fn check_group_normalization(attrs: &Attributes, opset: i64) -> Result<(), String> {
    if attrs.int("num_groups")?.is_none() {
        return Err("attribute num_groups is required".to_string());
    }
    match attrs.int("stash_type")? {
        Some(_) if opset < 21 => Err(format!("attribute stash_type does not exist in opset {opset} (only from 21)")),
        Some(code) => stash_dtype(code).map(|_| ()),
        None => Ok(()),
    }
}

/// The float dtype `stash_type` asks the statistics to be computed in.
fn stash_dtype(code: i64) -> Result<relax_rt::DType, String> {
    let dtype = i32::try_from(code).map_err(|_| format!("attribute stash_type={code} is no element type"))?;
    match dtype_of(dtype) {
        Ok(dtype) if dtype.is_float() => Ok(dtype),
        _ => Err(format!("attribute stash_type={code} must be a float type")),
    }
}

/// Each sample's channels split into `num_groups` groups, each group
/// normalized over its channels and spatial positions together. Opset 18
/// scales and shifts per group (`scale`, `bias` of shape `[num_groups]`);
/// opset 21 per channel (`[C]`) and computes the statistics in `stash_type`
/// (f32 by default) before casting back to the input's dtype.
fn group_normalization(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let (scale, bias) = (ctx.input(1)?, ctx.input(2)?);
    let info = x.info();
    let groups = ctx.attrs.int("num_groups")?.ok_or("attribute num_groups is required")?;
    if info.rank() < 2 {
        return Err(format!("the input must be (N, C, ...), got {info}"));
    }
    if groups <= 0 || info.shape[1].as_int().is_some_and(|c| c % groups != 0) {
        return Err(format!("num_groups={groups} must divide the channel count {}", info.shape[1]));
    }
    let epsilon = ctx.attrs.float_or("epsilon", 1e-5)?;
    let back = Attrs::new().with("shape", AttrValue::Dims(info.shape.clone()));
    if ctx.opset < 21 {
        // [G] as [G, 1], against [N, G, group elements].
        let normalized = normalized_groups(ctx, x, groups, epsilon)?;
        let shifted = scale_and_shift(ctx, normalized, scale, bias, 1)?;
        return single(ctx.call("reshape", &[shifted], back)?);
    }
    let stash = stash_dtype(ctx.attrs.int_or("stash_type", 1)?)?;
    let stashed = cast(ctx, x, stash)?;
    let normalized = normalized_groups(ctx, stashed, groups, epsilon)?;
    let normalized = cast(ctx, normalized, info.dtype)?;
    let normalized = ctx.call("reshape", &[normalized], back)?;
    single(scale_and_shift(ctx, normalized, scale, bias, info.rank() - 2)?)
}

/// `x` as `[N, groups, group elements]`, each group normalized to zero
/// mean and unit (population) variance.
fn normalized_groups(ctx: &mut NodeCtx, x: Value, groups: i64, epsilon: f64) -> Result<Value, String> {
    let shape = vec![x.info().shape[0].clone(), Dim::Int(groups), Dim::Int(-1)];
    let grouped = ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(shape)))?;
    let (_, centered, inv_std) = moments(ctx, grouped, &[2], epsilon)?;
    ctx.call("mul", &[centered, inv_std], Attrs::new())
}

/// `x * scale + bias` with `scale` and `bias` vectors over axis 1 of `x`,
/// which has `trailing` axes after it.
fn scale_and_shift(ctx: &mut NodeCtx, x: Value, scale: Value, bias: Value, trailing: usize) -> Result<Value, String> {
    let (scale, bias) = (per_channel(ctx, scale, trailing)?, per_channel(ctx, bias, trailing)?);
    let scaled = ctx.call("mul", &[x, scale], Attrs::new())?;
    ctx.call("add", &[scaled, bias], Attrs::new())
}

/// `x` in `dtype`, cast only if it is not already.
fn cast(ctx: &mut NodeCtx, x: Value, dtype: relax_rt::DType) -> Result<Value, String> {
    if x.dtype() == dtype {
        return Ok(x);
    }
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}

fn check_lrn(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.int("size")? {
        Some(size) if size > 0 => Ok(()),
        Some(size) => Err(format!("attribute size={size} must be positive")),
        None => Err("attribute size is required".to_string()),
    }
}

/// `x / (bias + alpha / size * square_sum)^beta`, where `square_sum` adds
/// the squares of channels `c - floor((size - 1) / 2) ..= c + ceil((size -
/// 1) / 2)` that exist. That sum over `size` channels, with missing ones as
/// zeros, is `size` times an average pool over the channel axis that counts
/// its zero padding: the squares are laid out as `[N, 1, C, rest]` for a
/// `size x 1` window.
fn lrn(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    if info.rank() < 2 {
        return Err(format!("the input must be (N, C, ...), got {info}"));
    }
    let size = ctx.attrs.int("size")?.ok_or("attribute size is required")?;
    let (alpha, beta, bias) =
        (ctx.attrs.float_or("alpha", 1e-4)?, ctx.attrs.float_or("beta", 0.75)?, ctx.attrs.float_or("bias", 1.0)?);
    let squares = ctx.call("square", std::slice::from_ref(&x), Attrs::new())?;
    let planes = vec![info.shape[0].clone(), Dim::Int(1), info.shape[1].clone(), Dim::Int(-1)];
    let planes = ctx.call("reshape", &[squares], Attrs::new().with("shape", AttrValue::Dims(planes)))?;
    let (before, after) = ((size - 1) / 2, size / 2);
    let window = Attrs::new()
        .with("kernel", ints_attr(&[size, 1]))
        .with("strides", ints_attr(&[1, 1]))
        .with("padding", ints_attr(&[before, 0, after, 0]))
        .with("count_include_pad", AttrValue::Bool(true));
    let average = ctx.call("avg_pool2d", &[planes], window)?;
    let average = ctx.call("reshape", &[average], Attrs::new().with("shape", AttrValue::Dims(info.shape)))?;
    let scaled = ctx.call("mul", &[average, Value::scalar(info.dtype, alpha)], Attrs::new())?;
    let base = ctx.call("add", &[scaled, Value::scalar(info.dtype, bias)], Attrs::new())?;
    let denominator = ctx.call("pow", &[base, Value::scalar(info.dtype, beta)], Attrs::new())?;
    single(ctx.call("div", &[x, denominator], Attrs::new())?)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, f32s, run_node};
    use crate::frontend::onnx::builder::{attr_float, attr_int, node};
    use crate::ndarray::NDArray;
    use relax_rt::DType;

    #[test]
    fn lp_normalization_keeps_zero_vectors_zero() {
        let x = f32s(&[2, 2], &[3., 4., 0., 0.]);
        let l2 = node("LpNormalization", &["x"], &["y"]).with_attr(attr_int("axis", 1));
        assert_close(&run_node(22, l2, &[("x", &x)], &[])[0], &f32s(&[2, 2], &[0.6, 0.8, 0., 0.]));
        // The L1 norm adds magnitudes: |-3| + |1| = 4.
        let x = f32s(&[2, 1], &[-3., 1.]);
        let l1 = node("LpNormalization", &["x"], &["y"]).with_attr(attr_int("axis", 0)).with_attr(attr_int("p", 1));
        assert_close(&run_node(7, l1, &[("x", &x)], &[])[0], &f32s(&[2, 1], &[-0.75, 0.25]));
    }

    #[test]
    fn mean_variance_normalization_over_the_default_axes() {
        // One channel over batch and space: 1, 3, 5, 7 have mean 4 and
        // population variance 5, so y = (x - 4) / sqrt(5).
        let x = f32s(&[2, 1, 1, 2], &[1., 3., 5., 7.]);
        let y = run_node(13, node("MeanVarianceNormalization", &["x"], &["y"]), &[("x", &x)], &[]);
        let s = 5f64.sqrt();
        assert_close(&y[0], &f32s(&[2, 1, 1, 2], &[-3. / s, -1. / s, 1. / s, 3. / s]));
    }

    #[test]
    fn group_normalization_scales_per_group_in_opset_18_and_per_channel_in_21() {
        // Groups [1, 2] and [3, 5] normalize (epsilon 0) to [-1, 1] each.
        let group_norm = || {
            node("GroupNormalization", &["x", "scale", "bias"], &["y"])
                .with_attr(attr_int("num_groups", 2))
                .with_attr(attr_float("epsilon", 0.0))
        };
        let x = f32s(&[1, 4, 1], &[1., 2., 3., 5.]);
        let (scale, bias) = (f32s(&[2], &[2., 3.]), f32s(&[2], &[1., 0.]));
        let y = run_node(18, group_norm(), &[("x", &x)], &[("scale", &scale), ("bias", &bias)]);
        assert_close(&y[0], &f32s(&[1, 4, 1], &[-1., 3., -3., 3.]));
        // f64 input, statistics in the default stash type f32.
        let x = NDArray::from_f64_values(DType::F64, &[1, 4, 1], &[1., 2., 3., 5.]);
        let scale = NDArray::from_f64_values(DType::F64, &[4], &[1., 2., 3., 4.]);
        let bias = NDArray::from_f64_values(DType::F64, &[4], &[0., 0., 0., 1.]);
        let y = run_node(21, group_norm(), &[("x", &x), ("scale", &scale), ("bias", &bias)], &[]);
        assert_close(&y[0], &NDArray::from_f64_values(DType::F64, &[1, 4, 1], &[-1., 2., -3., 5.]));
    }

    #[test]
    fn lrn_sums_an_uneven_window_of_channels() {
        // size 2: channel c sums the squares of c and c + 1 (if present):
        // 1 + 4 = 5, 4 + 9 = 13, 9; y = x / (1 + 3 / 2 * square_sum).
        let x = f32s(&[1, 3, 1, 1], &[1., 2., 3.]);
        let lrn = node("LRN", &["x"], &["y"])
            .with_attr(attr_int("size", 2))
            .with_attr(attr_float("alpha", 3.0))
            .with_attr(attr_float("beta", 1.0));
        let y = run_node(13, lrn, &[("x", &x)], &[]);
        assert_close(&y[0], &f32s(&[1, 3, 1, 1], &[1. / 8.5, 2. / 20.5, 3. / 14.5]));
    }
}
