//! Spatial operators: `pad` (constant, edge, reflect and wrap modes, any
//! rank), `conv2d_transpose` (the gradient of `conv2d` with respect to
//! its input, as ONNX's `ConvTranspose`) and `resize` (ONNX's `Resize` and
//! `Upsample`). Each lives in its own file under `spatial/`.

mod conv2d_transpose;
mod pad;
pub mod resize;

use super::OpDef;

pub const OPS: &[OpDef] = &[pad::PAD, conv2d_transpose::CONV2D_TRANSPOSE, resize::RESIZE];
