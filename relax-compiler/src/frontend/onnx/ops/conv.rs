//! `Conv`: convolution of `[N, C, ...]` inputs with `[O, C / group, ...]`
//! weights, as relax's `conv2d` or `conv3d`; a 1-D convolution runs as a 2-D
//! one of height 1. Other spatial ranks are reported as unsupported.

use super::window::{check_window_attrs, from_2d, op_for, spatial_axes, static_kernel, to_2d, Window};
use super::{single, Converter};
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::AttrValue;

pub const CONVERTERS: &[Converter] = &[Converter::new("Conv", conv)
    .attrs(&["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
    .check(|attrs, _| check_window_attrs(attrs))];

fn conv(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, w) = (ctx.input(0)?, ctx.input(1)?);
    let (x_info, w_info) = (x.info(), w.info());
    let spatial = spatial_axes(&x_info, "convolution", 3)?;
    let kernel = static_kernel(ctx, &x_info, &w_info)?;
    let window = Window::new(&ctx.attrs, &kernel, &x_info.shape[2..])?;
    let attrs = window.attrs().with("groups", AttrValue::Int(ctx.attrs.int_or("group", 1)?));
    let (x, w) = if spatial == 1 { (to_2d(ctx, x)?, to_2d(ctx, w)?) } else { (x, w) };
    let mut args = vec![x, w];
    args.extend(ctx.optional_input(2));
    let y = ctx.call(&op_for("conv", spatial), &args, attrs)?;
    single(if spatial == 1 { from_2d(ctx, y)? } else { y })
}
