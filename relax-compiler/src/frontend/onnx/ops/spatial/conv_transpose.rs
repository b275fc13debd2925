//! `ConvTranspose` of `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]` inputs
//! with `[C, O / group, k...]` weights, as relax's `conv2d_transpose` or
//! `conv3d_transpose`; 1-D runs as 2-D of height 1. The padding comes from `pads`, from `auto_pad`, or
//! from `output_shape`, whose total padding per axis is
//! `stride * (in - 1) + output_padding + dilation * (k - 1) + 1 - out`, split
//! with the odd element at the end for `SAME_UPPER` and at the start
//! otherwise (the ONNX definition). A total below zero extends the output.

use super::super::single;
use super::super::window::{from_2d, spatial_axes, static_kernel, to_2d};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::floor_div;
use crate::ir::{AttrValue, Attrs, TensorInfo};

/// The `auto_pad` values ONNX defines.
pub fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.string_or("auto_pad", "NOTSET")?.as_str() {
        "NOTSET" | "VALID" | "SAME_UPPER" | "SAME_LOWER" => Ok(()),
        other => Err(format!("attribute auto_pad={other} must be NOTSET, VALID, SAME_UPPER or SAME_LOWER")),
    }
}

pub fn convert(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, w) = (ctx.input(0)?, ctx.input(1)?);
    let (x_info, w_info) = (x.info(), w.info());
    let spatial = spatial_axes(&x_info, "transposed convolution", 3)?;
    let kernel = static_kernel(ctx, &x_info, &w_info)?;
    let geometry = Geometry::new(&ctx.attrs, &kernel, &x_info)?;
    let attrs = geometry.attrs(spatial).with("groups", AttrValue::Int(ctx.attrs.int_or("group", 1)?));
    let (x, w) = if spatial == 1 { (to_2d(ctx, x)?, to_2d(ctx, w)?) } else { (x, w) };
    let mut args = vec![x, w];
    args.extend(ctx.optional_input(2));
    let y = ctx.call(&format!("conv{}d_transpose", spatial.max(2)), &args, attrs)?;
    single(if spatial == 1 { from_2d(ctx, y)? } else { y })
}

/// Per spatial axis: strides, dilations, output padding, and the pads as
/// `[begin..., end...]`.
struct Geometry {
    strides: Vec<i64>,
    dilations: Vec<i64>,
    output_padding: Vec<i64>,
    pads: Vec<i64>,
}

impl Geometry {
    fn new(attrs: &Attributes, kernel: &[i64], x: &TensorInfo) -> Result<Geometry, String> {
        let spatial = kernel.len();
        let mut g = Geometry {
            strides: per_axis(attrs, "strides", spatial, 1)?,
            dilations: per_axis(attrs, "dilations", spatial, 1)?,
            output_padding: per_axis(attrs, "output_padding", spatial, 0)?,
            pads: vec![0; 2 * spatial],
        };
        let auto_pad = attrs.string_or("auto_pad", "NOTSET")?;
        let target = match attrs.ints("output_shape")? {
            Some(shape) => Some(output_shape(shape, spatial)?),
            None if auto_pad.starts_with("SAME") => Some(Vec::new()),
            None => None,
        };
        match target {
            Some(out) => g.pads = g.pads_for(kernel, x, &out, auto_pad == "SAME_UPPER")?,
            None if auto_pad == "NOTSET" => g.pads = explicit_pads(attrs, spatial)?,
            None => {}
        }
        Ok(g)
    }

    /// The pads giving output sizes `out` (empty: `in * stride`, what
    /// `SAME_*` asks for), the odd element at the end when `upper`.
    fn pads_for(&self, kernel: &[i64], x: &TensorInfo, out: &[i64], upper: bool) -> Result<Vec<i64>, String> {
        let spatial = kernel.len();
        let mut pads = vec![0; 2 * spatial];
        for a in 0..spatial {
            let input = x.shape[a + 2]
                .as_int()
                .ok_or_else(|| format!("deriving pads needs the input's spatial size at compile time, got {x}"))?;
            let target = out.get(a).copied().unwrap_or(input * self.strides[a]);
            let span = self.dilations[a] * (kernel[a] - 1) + 1;
            let total = self.strides[a] * (input - 1) + self.output_padding[a] + span - target;
            let half = floor_div(total, 2).unwrap_or(0);
            let (begin, end) = if upper { (half, total - half) } else { (total - half, half) };
            pads[a] = begin;
            pads[a + spatial] = end;
        }
        Ok(pads)
    }

    /// `conv2d_transpose`'s attributes; a 1-D axis becomes the width.
    fn attrs(&self, spatial: usize) -> Attrs {
        let lift = |v: &[i64], unit: i64| if spatial == 1 { vec![unit, v[0]] } else { v.to_vec() };
        let padding = if spatial == 1 { vec![0, self.pads[0], 0, self.pads[1]] } else { self.pads.clone() };
        Attrs::new()
            .with("strides", ints_attr(&lift(&self.strides, 1)))
            .with("dilation", ints_attr(&lift(&self.dilations, 1)))
            .with("output_padding", ints_attr(&lift(&self.output_padding, 0)))
            .with("padding", ints_attr(&padding))
    }
}

/// `output_shape` gives the spatial sizes, possibly after `N` and `C`.
fn output_shape(shape: Vec<i64>, spatial: usize) -> Result<Vec<i64>, String> {
    match shape.len() {
        n if n == spatial => Ok(shape),
        n if n == spatial + 2 => Ok(shape[2..].to_vec()),
        _ => Err(format!("attribute output_shape={shape:?} must have {spatial} elements, one per spatial axis")),
    }
}

/// One value per spatial axis, `default` when absent.
fn per_axis(attrs: &Attributes, name: &str, spatial: usize, default: i64) -> Result<Vec<i64>, String> {
    match attrs.ints(name)? {
        None => Ok(vec![default; spatial]),
        Some(values) if values.len() == spatial => Ok(values),
        Some(values) => Err(format!("attribute {name}={values:?} must have {spatial} elements, one per spatial axis")),
    }
}

/// `[begin..., end...]`, zeros when absent.
fn explicit_pads(attrs: &Attributes, spatial: usize) -> Result<Vec<i64>, String> {
    match attrs.ints("pads")? {
        None => Ok(vec![0; 2 * spatial]),
        Some(pads) if pads.len() == 2 * spatial => Ok(pads),
        Some(pads) => Err(format!("attribute pads={pads:?} must have {} elements, two per spatial axis", 2 * spatial)),
    }
}
