//! `resize(x, [scales], [roi])`: ONNX's `Resize` (and `Upsample`), any rank.
//!
//! Only the axes listed in `axes` (default: all) are resampled, to the
//! output sizes in the attribute `sizes` (one per listed axis), which may be
//! symbolic dims: the operator works the same whether the importer knew the
//! sizes at compile time or binds them from input values at run time. Other
//! axes are copied.
//!
//! The per-axis `scale` of the coordinate transform (see [`super::sampling`]) is
//! read at run time from the f32/f64 tensor `scales` (second argument, one
//! entry per listed axis) when `scales_input` is set, as ONNX's `scales`
//! input says; otherwise it is `output / input` of the axis, computed in the
//! kernel, as ONNX derives it from `sizes`. With
//! `coordinate_transformation_mode = tf_crop_and_resize` the last argument is
//! the float tensor `roi` (`[starts..., ends...]`, one pair per listed axis).
//!
//! Modes: `nearest` picks one element per axis (rounded by `nearest_mode`,
//! then clamped into the axis); `linear` and `cubic` weigh the taps around
//! the coordinate with a filter ([`super::sampling::Filter`]), reading clamped
//! indices (edge padding), all in f64. `exclude_outside` drops the taps
//! outside the axis and renormalizes; `antialias` stretches the filter by
//! `1 / scale` when downscaling and normalizes its taps; with
//! `tf_crop_and_resize` a coordinate outside `[0, input - 1]` on any axis
//! gives `extrapolation_value`. An empty resized input axis, which has no
//! element to read (ONNX leaves it undefined), gives zeros.

mod kernel;

use super::sampling::{Filter, Rounding, Transform};
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, Dim, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{expect_attrs, expect_dtype_class, infos_of, DTypeClass, InOp};
use crate::op::{OpDef, OpKind};

pub const RESIZE: OpDef = OpDef {
    name: "resize",
    kind: OpKind::Opaque,
    infer: |args, attrs| {
        let r = Resize::check(args, attrs)?;
        Ok(StructInfo::tensor(args[0].dtype, r.output))
    },
    eval,
    legalize: kernel::legalize,
};

const OP: &str = "resize";

const ATTRS: &[&str] = &[
    "sizes",
    "axes",
    "mode",
    "nearest_mode",
    "cubic_coeff_a",
    "coordinate_transformation_mode",
    "exclude_outside",
    "antialias",
    "extrapolation_value",
    "scales_input",
];

/// How output elements are made from input elements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    Nearest(Rounding),
    Filter(Filter),
}

/// A validated resize.
#[derive(Clone, Debug)]
pub struct Resize {
    /// The output shape: the input's, with the resized axes' `sizes`.
    pub output: Vec<Dim>,
    /// The resampled axes, in the order of the `scales` and `roi` entries.
    pub axes: Vec<usize>,
    pub method: Method,
    pub transform: Transform,
    pub exclude_outside: bool,
    pub antialias: bool,
    pub extrapolation: f64,
    /// Whether argument 1 holds the per-axis scales (else `output / input`).
    pub scales_input: bool,
}

impl Resize {
    pub fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<Resize, String> {
        expect_attrs(OP, attrs, ATTRS)?;
        let x = args.first().ok_or_else(|| format!("{OP}: expected at least one argument"))?;
        let axes = parse_axes(attrs, x.rank())?;
        let sizes = attrs.dims("sizes").in_op(OP)?.ok_or_else(|| format!("{OP}: attribute `sizes` is required"))?;
        if sizes.len() != axes.len() {
            return Err(format!(
                "{OP}: attribute `sizes` {} must have one entry per resized axis ({})",
                shape_to_string(&sizes),
                axes.len()
            ));
        }
        let mut output = x.shape.clone();
        for (&a, size) in axes.iter().zip(sizes) {
            output[a] = size;
        }
        let method = parse_method(attrs)?;
        let transform = parse_choice(attrs, "coordinate_transformation_mode", "half_pixel", Transform::NAMES)?;
        let transform = Transform::parse(&transform).expect("checked name");
        if matches!(method, Method::Filter(_)) {
            expect_dtype_class(OP, x.dtype, DTypeClass::Float)
                .map_err(|e| format!("{e} (linear and cubic modes interpolate floats)"))?;
        }
        let resize = Resize {
            output,
            axes,
            method,
            transform,
            exclude_outside: attrs.bool_or("exclude_outside", false).in_op(OP)?,
            antialias: attrs.bool_or("antialias", false).in_op(OP)?,
            extrapolation: attrs.float_or("extrapolation_value", 0.0).in_op(OP)?,
            scales_input: attrs.bool_or("scales_input", false).in_op(OP)?,
        };
        resize.check_args(args)?;
        Ok(resize)
    }

    /// The argument holding the scales, if any.
    pub fn scales_arg(&self) -> Option<usize> {
        self.scales_input.then_some(1)
    }

    /// The argument holding the region of interest, if any.
    pub fn roi_arg(&self) -> Option<usize> {
        (self.transform == Transform::TfCropAndResize).then_some(1 + self.scales_input as usize)
    }

    fn check_args(&self, args: &[TensorInfo]) -> Result<(), String> {
        let expected = 1 + self.scales_arg().is_some() as usize + self.roi_arg().is_some() as usize;
        if args.len() != expected {
            return Err(format!(
                "{OP}: expected {expected} arguments (the input{}{}), got {}",
                if self.scales_input { ", the scales" } else { "" },
                if self.roi_arg().is_some() { ", the region of interest" } else { "" },
                args.len()
            ));
        }
        let k = self.axes.len() as i64;
        for (arg, what, len) in [(self.scales_arg(), "scales", k), (self.roi_arg(), "roi", 2 * k)] {
            let Some(arg) = arg else { continue };
            let t = &args[arg];
            expect_dtype_class(OP, t.dtype, DTypeClass::Float).map_err(|e| format!("{e} for `{what}`"))?;
            if t.rank() != 1 || t.shape[0].as_int() != Some(len) {
                return Err(format!(
                    "{OP}: `{what}` must have shape [{len}] for the {k} resized axes, got {}",
                    shape_to_string(&t.shape)
                ));
            }
        }
        Ok(())
    }
}

fn parse_axes(attrs: &Attrs, rank: usize) -> Result<Vec<usize>, String> {
    let Some(axes) = attrs.ints("axes").in_op(OP)? else { return Ok((0..rank).collect()) };
    let mut seen = vec![false; rank];
    axes.iter()
        .map(|&a| {
            let axis = usize::try_from(a).ok().filter(|&a| a < rank);
            match axis {
                Some(a) if !seen[a] => {
                    seen[a] = true;
                    Ok(a)
                }
                Some(_) => Err(format!("{OP}: axis {a} is listed twice in `axes`")),
                None => Err(format!("{OP}: axis {a} in `axes` is out of range for rank {rank}")),
            }
        })
        .collect()
}

fn parse_choice(attrs: &Attrs, name: &str, default: &str, names: &[&str]) -> Result<String, String> {
    let value = attrs.str_or(name, default).in_op(OP)?;
    if names.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(format!("{OP}: attribute `{name}` must be one of {}, got {value:?}", names.join(", ")))
    }
}

fn parse_method(attrs: &Attrs) -> Result<Method, String> {
    match parse_choice(attrs, "mode", "nearest", &["nearest", "linear", "cubic"])?.as_str() {
        "nearest" => {
            let rounding = parse_choice(attrs, "nearest_mode", "round_prefer_floor", Rounding::NAMES)?;
            Ok(Method::Nearest(Rounding::parse(&rounding).expect("checked name")))
        }
        "linear" => Ok(Method::Filter(Filter::Linear)),
        _ => Ok(Method::Filter(Filter::Cubic { a: attrs.float_or("cubic_coeff_a", -0.75).in_op(OP)? })),
    }
}

/// The sampling of one resized axis for one output position: the input
/// indices read and their weights (one index of weight 1 for `nearest`),
/// or `None` when the coordinate lies outside a `tf_crop_and_resize` region.
fn axis_taps(r: &Resize, coord: f64, scale: f64, input: i64) -> Option<Vec<(i64, f64)>> {
    let last = input - 1;
    if r.transform == Transform::TfCropAndResize && !(coord >= 0.0 && coord <= last as f64) {
        return None;
    }
    let filter = match r.method {
        Method::Nearest(rounding) => return Some(vec![((rounding.round(coord) as i64).clamp(0, last), 1.0)]),
        Method::Filter(f) => f,
    };
    let s = Filter::stretch(r.antialias, scale);
    let half = filter.half_taps(s) as i64;
    let first = coord.floor() as i64 + 1 - half;
    let mut taps: Vec<(i64, f64)> = (first..first + 2 * half)
        .map(|i| {
            let outside = i < 0 || i > last;
            let w = if r.exclude_outside && outside { 0.0 } else { filter.weight((i as f64 - coord) * s) };
            (i.clamp(0, last), w)
        })
        .collect();
    if kernel::normalizes(r) {
        let sum: f64 = taps.iter().map(|t| t.1).sum();
        taps.iter_mut().for_each(|t| t.1 /= sum);
    }
    Some(taps)
}

fn eval(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let r = Resize::check(&infos_of(args), attrs)?;
    let x = args[0];
    let output: Vec<usize> = TensorInfo::new(x.dtype(), r.output.clone())
        .static_shape()
        .ok_or_else(|| format!("{OP}: output shape is not static"))?;
    let floats = |arg: Option<usize>| arg.map(|k| (0..args[k].numel()).map(|i| args[k].get(i).to_f64()).collect());
    let (scales, roi): (Option<Vec<f64>>, Option<Vec<f64>>) = (floats(r.scales_arg()), floats(r.roi_arg()));
    let k = r.axes.len();
    let empty = r.axes.iter().any(|&a| x.shape()[a] == 0);
    let value = |flat: usize| -> Scalar {
        if empty {
            return Scalar::F(0.0);
        }
        let idx = unravel(flat, &output);
        let mut per_axis = Vec::with_capacity(k);
        for (j, &a) in r.axes.iter().enumerate() {
            let (input, out) = (x.shape()[a] as f64, output[a] as f64);
            let scale = scales.as_ref().map_or(out / input, |s| s[j]);
            let region = roi.as_ref().map(|v| (v[j], v[k + j]));
            let coord = r.transform.source(idx[a] as f64, scale, input, out, region);
            match axis_taps(&r, coord, scale, x.shape()[a] as i64) {
                Some(taps) => per_axis.push(taps),
                None => return Scalar::F(r.extrapolation),
            }
        }
        weighted_sum(x, &r.axes, &idx, &per_axis)
    };
    let out = NDArray::from_fn(x.dtype(), &output, value);
    Ok(vec![out])
}

/// `Σ Π weights * x[taps]` over every combination of the axes' taps; a
/// single tap of weight 1 per axis (`nearest`) reads the element exactly.
fn weighted_sum(x: &NDArray, axes: &[usize], out_idx: &[usize], per_axis: &[Vec<(i64, f64)>]) -> Scalar {
    let mut idx = out_idx.to_vec();
    if per_axis.iter().all(|t| t.len() == 1 && t[0].1 == 1.0) {
        for (&a, taps) in axes.iter().zip(per_axis) {
            idx[a] = taps[0].0 as usize;
        }
        return x.at(&idx);
    }
    let counts: Vec<usize> = per_axis.iter().map(Vec::len).collect();
    let mut acc = 0.0;
    for combo in 0..counts.iter().product() {
        let choice = unravel(combo, &counts);
        let mut weight = 1.0;
        for ((&a, taps), &c) in axes.iter().zip(per_axis).zip(&choice) {
            idx[a] = taps[c].0 as usize;
            weight *= taps[c].1;
        }
        acc += weight * x.at(&idx).to_f64();
    }
    Scalar::F(acc)
}

#[cfg(test)]
mod tests;
