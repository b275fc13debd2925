//! `Resize` (opsets 10 to 19) and `Upsample` (opsets 7 and 9), as relax's
//! `resize` (`op/spatial/resize`).
//!
//! A node is converted in two steps. [`plan`] works out what it asks for on
//! each resized axis: the output size, where the coordinate transform's scale
//! comes from (the `scales` input as a tensor, or `output / input` in the
//! kernel when `sizes` is given) and the region of interest. The output sizes
//! must be known now: from constant `scales` (`floor(input * scale)`), or
//! from `sizes` given as constants or as symbolic dims (a shape value). Then
//! [`emit`] calls the operator with the plan; it takes the scales and roi as
//! values of any kind, constants or run-time tensors.
//!
//! `Resize-10` and `Upsample` have only `mode`; they map output position `x`
//! to `x / scale` and `nearest` takes the element at or before it, which
//! repeats each element `scale` times for integral scales as `Upsample`'s
//! definition shows. Their specification does not say how a downscale picks
//! its elements, so a scale below 1 is rejected there.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use crate::op::spatial::sampling::Rounding;
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Resize", resize)
        .attrs(&[
            "antialias",
            "axes",
            "coordinate_transformation_mode",
            "cubic_coeff_a",
            "exclude_outside",
            "extrapolation_value",
            "keep_aspect_ratio_policy",
            "mode",
            "nearest_mode",
        ])
        .since(10)
        .check(check_resize),
    Converter::new("Upsample", upsample).attrs(&["mode", "scales"]).since(7).check(check_upsample),
];

/// The opset each attribute of `Resize` appeared in (`mode` is in every one).
const INTRODUCED: &[(&str, i64)] = &[
    ("coordinate_transformation_mode", 11),
    ("cubic_coeff_a", 11),
    ("exclude_outside", 11),
    ("extrapolation_value", 11),
    ("nearest_mode", 11),
    ("antialias", 18),
    ("axes", 18),
    ("keep_aspect_ratio_policy", 18),
];

fn one_of(attrs: &Attributes, name: &str, default: &str, allowed: &[&str]) -> Result<String, String> {
    let value = attrs.string_or(name, default)?;
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(format!("attribute {name}={value} is not one of {}", allowed.join(", ")))
    }
}

/// The coordinate transforms of Resize-`opset`.
fn transforms(opset: i64) -> Vec<&'static str> {
    let mut names = vec!["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"];
    if opset < 13 {
        names.push("tf_half_pixel_for_nn");
    }
    if opset >= 19 {
        names.push("half_pixel_symmetric");
    }
    names
}

fn check_resize(attrs: &Attributes, opset: i64) -> Result<(), String> {
    if let Some((name, since)) = INTRODUCED.iter().find(|(name, since)| opset < *since && attrs.has(name)) {
        return Err(format!("attribute {name} is only defined from opset {since} on, the model uses {opset}"));
    }
    let modes: &[&str] = if opset < 11 { &["nearest", "linear"] } else { &["nearest", "linear", "cubic"] };
    one_of(attrs, "mode", "nearest", modes)?;
    one_of(attrs, "coordinate_transformation_mode", "half_pixel", &transforms(opset))?;
    one_of(attrs, "nearest_mode", "round_prefer_floor", Rounding::NAMES)?;
    one_of(attrs, "keep_aspect_ratio_policy", "stretch", &["stretch", "not_larger", "not_smaller"])?;
    Ok(())
}

fn check_upsample(attrs: &Attributes, opset: i64) -> Result<(), String> {
    if opset >= 10 {
        return Err(format!("Upsample is deprecated from opset 10 on (the model uses {opset}); Resize replaces it"));
    }
    one_of(attrs, "mode", "nearest", &["nearest", "linear"])?;
    Ok(())
}

/// How the operator samples: the attributes of relax's `resize` besides
/// `sizes`, `axes` and `scales_input`.
fn sampling_attrs(ctx: &NodeCtx, legacy: bool) -> Result<Attrs, String> {
    let a = &ctx.attrs;
    let mode = a.string_or("mode", "nearest")?;
    let mut attrs = Attrs::new().with("mode", AttrValue::Str(mode.clone()));
    if legacy {
        let transform = AttrValue::Str("asymmetric".to_string());
        return Ok(attrs
            .with("coordinate_transformation_mode", transform)
            .with("nearest_mode", AttrValue::Str("floor".to_string())));
    }
    let transform = a.string_or("coordinate_transformation_mode", "half_pixel")?;
    attrs.set("coordinate_transformation_mode", AttrValue::Str(transform));
    attrs.set("nearest_mode", AttrValue::Str(a.string_or("nearest_mode", "round_prefer_floor")?));
    attrs.set("cubic_coeff_a", AttrValue::Float(a.float_or("cubic_coeff_a", -0.75)?));
    attrs.set("exclude_outside", AttrValue::Bool(a.int_or("exclude_outside", 0)? != 0));
    // Antialiasing only changes the filters of linear and cubic modes.
    attrs.set("antialias", AttrValue::Bool(mode != "nearest" && a.int_or("antialias", 0)? != 0));
    attrs.set("extrapolation_value", AttrValue::Float(a.float_or("extrapolation_value", 0.0)?));
    Ok(attrs)
}

/// What a node asks for on its resized axes.
pub struct Plan {
    /// The resized axes, in the order of the entries of `scales` and `roi`.
    pub axes: Vec<usize>,
    /// The output size of each resized axis.
    pub sizes: Vec<Dim>,
    /// The per-axis scales (an f32 or f64 tensor, one entry per axis, of any
    /// kind of value), or `None` for `output / input`.
    pub scales: Option<Value>,
    /// `[starts..., ends...]` (a float tensor) for `tf_crop_and_resize`.
    pub roi: Option<Value>,
}

fn resize(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let legacy = ctx.opset < 11;
    let attrs = sampling_attrs(ctx, legacy)?;
    let plan = plan(ctx, &x, legacy)?;
    if legacy {
        reject_legacy_downscale(&plan)?;
    }
    single(emit(ctx, x, plan, attrs)?)
}

fn upsample(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let attrs = sampling_attrs(ctx, true)?;
    let scales = match ctx.attrs.floats("scales")? {
        Some(values) => Value::constant(NDArray::from_f64_values(DType::F32, &[values.len()], &values)),
        None => ctx.input(1)?,
    };
    let axes: Vec<usize> = (0..x.rank()).collect();
    let plan = plan_from_scales(ctx, &x, axes, scales, None)?;
    reject_legacy_downscale(&plan)?;
    single(emit(ctx, x, plan, attrs)?)
}

/// Resize-10 and Upsample define no coordinates for a downscale.
fn reject_legacy_downscale(plan: &Plan) -> Result<(), String> {
    let scales = plan.scales.as_ref().and_then(Value::as_const);
    match scales.and_then(|s| (0..s.numel()).map(|i| s.get(i).to_f64()).find(|&v| v < 1.0)) {
        Some(v) => Err(format!(
            "scale {v} is a downscale, which this opset's Resize and Upsample leave undefined; use Resize from opset 11"
        )),
        None => Ok(()),
    }
}

/// An input that is present and not an empty tensor (opsets 11 and 12 pass
/// an empty `scales` when `sizes` is given).
fn nonempty(value: Option<Value>) -> Option<Value> {
    value.filter(|v| !v.info().shape.iter().any(|d| d.as_int() == Some(0)))
}

/// The node's resized axes (attribute `axes`, negative ones counting from the
/// end; all axes by default).
fn onnx_axes(ctx: &NodeCtx, rank: usize) -> Result<Vec<usize>, String> {
    let Some(axes) = ctx.attrs.ints("axes")? else { return Ok((0..rank).collect()) };
    axes.iter()
        .map(|&a| {
            let axis = if a < 0 { a + rank as i64 } else { a };
            usize::try_from(axis)
                .ok()
                .filter(|&axis| axis < rank)
                .ok_or_else(|| format!("axis {a} in attribute axes is out of range for rank {rank}"))
        })
        .collect()
}

/// Works out the [`Plan`] of a `Resize` node from its inputs. This is where
/// the output sizes must be known at compile time.
pub fn plan(ctx: &mut NodeCtx, x: &Value, legacy: bool) -> Result<Plan, String> {
    let axes = onnx_axes(ctx, x.rank())?;
    let (roi, scales, sizes) = if legacy {
        (None, ctx.optional_input(1), None)
    } else {
        (ctx.optional_input(1), ctx.optional_input(2), ctx.optional_input(3))
    };
    let crop = ctx.attrs.string_or("coordinate_transformation_mode", "half_pixel")? == "tf_crop_and_resize";
    let roi = match (crop, nonempty(roi)) {
        (false, _) => None,
        (true, Some(roi)) => Some(roi),
        (true, None) => return Err("coordinate_transformation_mode tf_crop_and_resize needs the input roi".into()),
    };
    match (nonempty(scales), nonempty(sizes)) {
        (Some(_), Some(_)) => Err("only one of the inputs scales and sizes may be given".to_string()),
        (None, None) => Err("one of the inputs scales and sizes is required".to_string()),
        (Some(scales), None) => plan_from_scales(ctx, x, axes, scales, roi),
        (None, Some(sizes)) => {
            let policy = ctx.attrs.string_or("keep_aspect_ratio_policy", "stretch")?;
            plan_from_sizes(ctx, x, axes, sizes, &policy, roi)
        }
    }
}

/// The message for an input whose values the output shape depends on.
fn must_be_known(ctx: &NodeCtx, k: usize, what: &str) -> String {
    format!(
        "the {what} input `{}` must be known at compile time or be a graph input: the output shape depends on its \
         values",
        ctx.input_name(k)
    )
}

/// The values of a constant float tensor.
fn const_floats(value: &Value) -> Option<Vec<f64>> {
    let a = value.as_const().filter(|a| a.dtype().is_float())?;
    Some((0..a.numel()).map(|i| a.get(i).to_f64()).collect())
}

/// Output sizes `floor(input * scale)`, from constant scales.
fn plan_from_scales(
    ctx: &mut NodeCtx,
    x: &Value,
    axes: Vec<usize>,
    scales: Value,
    roi: Option<Value>,
) -> Result<Plan, String> {
    let slot = if ctx.node.op_type.as_deref() == Some("Resize") && ctx.opset >= 11 { 2 } else { 1 };
    let Some(values) = const_floats(&scales) else {
        return plan_from_run_time_scales(ctx, x, axes, scales, roi, slot);
    };
    if values.len() != axes.len() {
        return Err(format!("scales {values:?} must have one entry per resized axis ({})", axes.len()));
    }
    if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(format!("scales must be positive and finite, got {bad}"));
    }
    if let Some(roi) = &roi {
        let full = const_floats(roi).is_some_and(|r| (0..axes.len()).all(|j| r[j] == 0.0 && r[axes.len() + j] == 1.0));
        if !full {
            return Err("tf_crop_and_resize with scales (rather than sizes) and a region of interest other than \
                        the whole input is not supported"
                .to_string());
        }
    }
    let shape = x.info().shape;
    let sizes = axes.iter().zip(&values).map(|(&a, &s)| scaled(&shape[a], s)).collect::<Result<_, _>>()?;
    Ok(Plan { axes, sizes, scales: Some(scales), roi })
}

/// Scales the caller passes at run time (a graph input): each output size is
/// a dim the entry binds to `floor(input size * scale)` before any kernel
/// runs, and the kernel reads the same scales.
fn plan_from_run_time_scales(
    ctx: &mut NodeCtx,
    x: &Value,
    axes: Vec<usize>,
    scales: Value,
    roi: Option<Value>,
    slot: usize,
) -> Result<Plan, String> {
    if roi.as_ref().is_some_and(|r| {
        const_floats(r).is_none_or(|r| r.iter().enumerate().any(|(i, &v)| v != (i >= r.len() / 2) as i64 as f64))
    }) {
        return Err("tf_crop_and_resize with run-time scales needs a constant region of interest covering the whole \
                    input"
            .to_string());
    }
    let shape = x.info().shape;
    let factors: Vec<Dim> = axes.iter().map(|&a| shape[a].clone()).collect();
    let sizes = match &scales {
        Value::Tensor(t) => ctx.importer.param_scaled_values(t, factors),
        _ => None,
    };
    let sizes = sizes.ok_or_else(|| must_be_known(ctx, slot, "scales"))?;
    Ok(Plan { axes, sizes, scales: Some(scales), roi })
}

/// `floor(d * s)`, exactly: a float is a dyadic fraction `m / 2^e`, so for a
/// symbolic `d` it is `d * m` floor-divided by `2^e`.
fn scaled(d: &Dim, s: f64) -> Result<Dim, String> {
    if let Some(v) = d.as_int() {
        return Ok(Dim::Int((v as f64 * s).floor() as i64));
    }
    if s.fract() == 0.0 {
        return Ok((d.clone() * s as i64).simplify());
    }
    let (mut m, mut e) = (s, 0u32);
    while m.fract() != 0.0 && e < 62 {
        m *= 2.0;
        e += 1;
    }
    if m.fract() != 0.0 || m >= (1u64 << 31) as f64 {
        return Err(format!("cannot scale the symbolic size {d} by {s} exactly"));
    }
    Ok((d.clone() * m as i64).floor_div(1i64 << e).simplify())
}

/// Output sizes from `sizes` (constants, or symbolic dims from a shape
/// value), adjusted by `keep_aspect_ratio_policy`.
fn plan_from_sizes(
    ctx: &mut NodeCtx,
    x: &Value,
    axes: Vec<usize>,
    sizes: Value,
    policy: &str,
    roi: Option<Value>,
) -> Result<Plan, String> {
    let requested = match (&sizes, sizes.as_shape()) {
        (_, Some(shape)) => Some(shape.dims),
        (Value::Tensor(t), None) => ctx.importer.param_values(t).map(|v| v.dims),
        _ => None,
    };
    let requested = requested.ok_or_else(|| must_be_known(ctx, 3, "sizes"))?;
    if requested.len() != axes.len() {
        return Err(format!(
            "sizes {} must have one entry per resized axis ({})",
            shape_to_string(&requested),
            axes.len()
        ));
    }
    if policy == "stretch" {
        return Ok(Plan { axes, sizes: requested, scales: None, roi });
    }
    // One scale for every axis keeps the aspect ratio: the smallest or the
    // largest of the requested ones; the sizes follow from it, rounded half up.
    let shape = x.info().shape;
    let pairs: Vec<(i64, i64)> = axes
        .iter()
        .zip(&requested)
        .map(|(&a, want)| Some((want.as_int()?, shape[a].as_int()?)))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("keep_aspect_ratio_policy={policy} needs constant sizes and static input sizes"))?;
    let ratios = pairs.iter().map(|&(want, have)| want as f64 / have as f64);
    let scale = if policy == "not_larger" { ratios.fold(f64::INFINITY, f64::min) } else { ratios.fold(0.0, f64::max) };
    let sizes = pairs.iter().map(|&(_, have)| Dim::Int((scale * have as f64 + 0.5).floor() as i64)).collect();
    let scales = Value::constant(NDArray::from_f64_values(DType::F64, &[axes.len()], &vec![scale; axes.len()]));
    Ok(Plan { axes, sizes, scales: Some(scales), roi })
}

/// Calls relax's `resize` for `plan`, leaving out the axes it provably
/// leaves alone (same size, scale exactly 1, whole region of interest),
/// as the reference implementation does; with none left, `x` itself.
///
/// `scales` and `roi` may be run-time tensors: pass `plan.sizes` as dims
/// bound at run time and the kernel reads both when it runs.
pub fn emit(ctx: &mut NodeCtx, x: Value, plan: Plan, sampling: Attrs) -> Result<Value, String> {
    let shape = x.info().shape;
    let k = plan.axes.len();
    let scales = plan.scales.as_ref().map(|s| const_floats(s).ok_or(()));
    let roi = plan.roi.as_ref().map(|r| const_floats(r).ok_or(()));
    let identity = |j: usize| {
        let a = plan.axes[j];
        plan.sizes[j].proven_eq(&shape[a])
            && scales.as_ref().is_none_or(|s| s.as_ref().is_ok_and(|s| s[j] == 1.0))
            && roi.as_ref().is_none_or(|r| r.as_ref().is_ok_and(|r| r[j] == 0.0 && r[k + j] == 1.0))
    };
    let kept: Vec<usize> = (0..k).filter(|&j| !identity(j)).collect();
    if kept.is_empty() {
        return Ok(x);
    }
    let subset = |value: &Value, entries: &[usize]| -> Value {
        if entries.len() == value.info().shape[0].as_int().unwrap_or(-1) as usize {
            return value.clone();
        }
        let a = value.as_const().expect("only constant tensors lose entries");
        let picked: Vec<f64> = entries.iter().map(|&i| a.get(i).to_f64()).collect();
        Value::constant(NDArray::from_f64_values(a.dtype(), &[picked.len()], &picked))
    };
    let mut args = vec![x];
    let mut attrs = sampling
        .with("axes", ints_attr(&kept.iter().map(|&j| plan.axes[j] as i64).collect::<Vec<_>>()))
        .with("sizes", AttrValue::Dims(kept.iter().map(|&j| plan.sizes[j].clone()).collect()));
    if let Some(scales) = &plan.scales {
        attrs.set("scales_input", AttrValue::Bool(true));
        args.push(subset(scales, &kept));
    }
    let crop = attrs.get("coordinate_transformation_mode") == Some(&AttrValue::Str("tf_crop_and_resize".into()));
    if let (Some(roi), true) = (&plan.roi, crop) {
        let ends = kept.iter().map(|&j| k + j);
        args.push(subset(roi, &kept.iter().copied().chain(ends).collect::<Vec<_>>()));
    }
    ctx.call("resize", &args, attrs)
}

#[cfg(test)]
mod tests;
