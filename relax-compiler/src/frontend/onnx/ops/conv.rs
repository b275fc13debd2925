//! `Conv`: convolution of `[N, C, ...]` inputs with `[O, C / group, ...]`
//! weights, as relax's `conv2d` or `conv3d`; a 1-D convolution runs as a 2-D
//! one of height 1. Other spatial ranks are reported as unsupported.
//!
//! `CausalConvWithState` (opset 27) is a depthwise 1-D convolution over the
//! input with a carried state prepended: a `conv2d` with one group per
//! channel and no padding.

use super::window::{check_window_attrs, from_2d, op_for, spatial_axes, static_kernel, to_2d, Window};
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs};

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Conv", conv)
        .attrs(&["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        .check(|attrs, _| check_window_attrs(attrs)),
    Converter::new("CausalConvWithState", causal_conv_with_state)
        .attrs(&["activation"])
        .since(27)
        .outputs(2)
        .check(check_activation),
];

fn conv(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, w) = (ctx.input(0)?, ctx.input(1)?);
    let bias = ctx.optional_input(2);
    single(convolve(ctx, x, w, bias)?)
}

/// `x` convolved with `w` (plus `bias`, one per output channel) by the
/// node's window attributes: what `Conv` is, and what the quantized
/// convolutions do once their operands are shifted to integers.
pub fn convolve(ctx: &mut NodeCtx, x: Value, w: Value, bias: Option<Value>) -> Result<Value, String> {
    let (x_info, w_info) = (x.info(), w.info());
    let spatial = spatial_axes(&x_info, "convolution", 3)?;
    let kernel = static_kernel(ctx, &x_info, &w_info)?;
    let window = Window::new(&ctx.attrs, &kernel, &x_info.shape[2..])?;
    let attrs = window.attrs().with("groups", AttrValue::Int(ctx.attrs.int_or("group", 1)?));
    let (x, w) = if spatial == 1 { (to_2d(ctx, x)?, to_2d(ctx, w)?) } else { (x, w) };
    let mut args = vec![x, w];
    args.extend(bias);
    let y = ctx.call(&op_for("conv", spatial), &args, attrs)?;
    if spatial == 1 {
        from_2d(ctx, y)
    } else {
        Ok(y)
    }
}

fn check_activation(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.string_or("activation", "none")?.as_str() {
        "none" | "silu" | "swish" => Ok(()),
        other => Err(format!("attribute activation={other} must be none, silu or swish")),
    }
}

/// `input` `[B, C, L]` with the state `[B, C, k - 1]` (zeros when absent)
/// prepended is convolved, channel by channel, with `weight` `[C, 1, k]`
/// without padding, giving `L` outputs per channel, plus the bias and the
/// optional SiLU. The next state is the last `k - 1` positions of the
/// extended input.
fn causal_conv_with_state(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, w) = (ctx.input(0)?, ctx.input(1)?);
    let (x_info, w_info) = (x.info(), w.info());
    if x_info.rank() != 3 || w_info.rank() != 3 {
        return Err(format!("the input {x_info} and weight {w_info} must have rank 3"));
    }
    let kernel = w_info.shape[2].as_int().filter(|&k| k >= 1).ok_or_else(|| {
        format!("the kernel size must be known at compile time, got weight {}", shape_to_string(&w_info.shape))
    })?;
    let extended = match ctx.optional_input(3) {
        Some(past) => ctx.call("concat", &[past, x], Attrs::new().with("axis", AttrValue::Int(2)))?,
        None => {
            let widths = ints_attr(&[0, 0, kernel - 1, 0, 0, 0]);
            ctx.call("pad", &[x], Attrs::new().with("pad_width", widths))?
        }
    };
    let extended = ctx.bind(extended, "extended");
    let channels = x_info.shape[1].as_int().ok_or("the channel count must be known at compile time")?;
    let attrs = Attrs::new()
        .with("strides", ints_attr(&[1, 1]))
        .with("padding", ints_attr(&[0, 0, 0, 0]))
        .with("dilation", ints_attr(&[1, 1]))
        .with("groups", AttrValue::Int(channels));
    let mut args = vec![to_2d(ctx, extended.clone())?, to_2d(ctx, w)?];
    args.extend(ctx.optional_input(2));
    let y = ctx.call("conv2d", &args, attrs)?;
    let mut y = from_2d(ctx, y)?;
    if ctx.attrs.string_or("activation", "none")? != "none" {
        y = ctx.bind(y, "conv");
        let gate = ctx.call("sigmoid", std::slice::from_ref(&y), Attrs::new())?;
        y = ctx.call("mul", &[y, gate], Attrs::new())?;
    }
    // The last `k - 1` positions; with `k = 1` none (a start past the end).
    let begin = if kernel > 1 { 1 - kernel } else { i64::MAX };
    let last = Attrs::new()
        .with("axes", ints_attr(&[2]))
        .with("begin", ints_attr(&[begin]))
        .with("end", ints_attr(&[i64::MAX]))
        .with("strides", ints_attr(&[1]));
    let state = ctx.call("strided_slice", &[extended], last)?;
    Ok(vec![y, state])
}
