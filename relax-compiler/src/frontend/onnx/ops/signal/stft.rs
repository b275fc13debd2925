//! `STFT` (opset 17): the transforms of the frames of `signal [B, S, 1 or
//! 2]`, each `frame_length` long and `frame_step` after the previous one,
//! optionally windowed: `[B, frames, bins, 2]` with `frames = (S -
//! frame_length) / frame_step + 1` (floor) and `bins = frame_length / 2 + 1`
//! when one-sided (the default), `frame_length` otherwise.
//!
//! The frames are gathered with an index table `f * step + l`; the step and
//! the frame length may be graph inputs (their values become dims bound at
//! run time), so one compiled model serves any of them.

use super::fourier::{join_complex, split_complex, transform, Direction, Length};
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::ops::iota::iota;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};

pub fn convert(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let signal = ctx.input(0)?;
    let info = signal.info();
    if info.rank() != 3 || !info.dtype.is_float() {
        return Err(format!("the signal must be a float tensor [batch, length, 1 or 2], got {info}"));
    }
    let onesided = match ctx.attrs.int_or("onesided", 1)? {
        0 => false,
        1 => true,
        other => return Err(format!("attribute onesided={other} must be 0 or 1")),
    };
    if onesided && info.shape[2].as_int() == Some(2) {
        return Err("a one-sided transform needs a real signal ([.., 1]); this one is complex".to_string());
    }
    let step = Length::of_input(ctx, 1)?.ok_or("input frame_step is required")?;
    let window = ctx.optional_input(2);
    if let Some(w) = &window {
        if w.rank() != 1 || w.dtype() != info.dtype {
            return Err(format!("the window must be a vector of the signal's dtype {}, got {}", info.dtype, w.info()));
        }
    }
    let frame = match (Length::of_input(ctx, 3)?, &window) {
        (Some(frame), _) => frame,
        (None, Some(w)) => Length::of_dim(&w.info().shape[0], "the window length")?,
        (None, None) => Length::of_dim(&info.shape[1], "the signal length")?,
    };
    let frames = ctx
        .importer
        .derived_dim("frames", ((info.shape[1].clone() - frame.dim.clone()).floor_div(step.dim.clone()) + 1).max(0));
    let frames = gather_frames(ctx, signal, &frames, &frame, &step)?;
    let frames = match window {
        Some(w) => {
            let w = ctx.match_cast(w, vec![frame.dim.clone()])?;
            let column = ctx.call(
                "reshape",
                &[w],
                Attrs::new().with("shape", AttrValue::Dims(vec![frame.dim.clone(), Dim::Int(1)])),
            )?;
            ctx.call("mul", &[frames, column], Attrs::new())?
        }
        None => frames,
    };
    let (re, im) = split_complex(ctx, frames)?;
    let (re, im) = transform(ctx, re, im, &frame, Direction::Forward { onesided })?;
    Ok(vec![join_complex(ctx, re, im)?])
}

/// `[B, frames, frame, c]`: frame `f` is the signal from `f * step` on.
fn gather_frames(
    ctx: &mut NodeCtx,
    signal: Value,
    frames: &Dim,
    frame: &Length,
    step: &Length,
) -> Result<Value, String> {
    let starts = iota(ctx, frames)?;
    let starts = ctx.call("mul", &[starts, step.value.clone()], Attrs::new())?;
    let starts =
        ctx.call("reshape", &[starts], Attrs::new().with("shape", AttrValue::Dims(vec![frames.clone(), Dim::Int(1)])))?;
    let offsets = iota(ctx, &frame.dim)?;
    let index = ctx.call("add", &[starts, offsets], Attrs::new())?;
    ctx.call("take", &[signal, index], Attrs::new().with("axis", AttrValue::Int(1)))
}
