//! Spatial operators: `pad` (constant, edge, reflect and wrap modes, any
//! rank), `conv2d_transpose` (the gradient of `conv2d` with respect to
//! its input, as ONNX's `ConvTranspose`) `resize` (ONNX's `Resize` and
//! `Upsample`) and `grid_sample` (ONNX's `GridSample`), which share the
//! interpolation arithmetic of `sampling`, and `affine_grid` (ONNX's
//! `AffineGrid`, the grids `grid_sample` reads). Each lives in its own file under
//! `spatial/`.

mod affine_grid;
mod conv2d_transpose;
mod grid_sample;
mod pad;
mod resize;
pub mod sampling;

use super::OpDef;

pub const OPS: &[OpDef] = &[
    pad::PAD,
    conv2d_transpose::CONV2D_TRANSPOSE,
    conv2d_transpose::CONV3D_TRANSPOSE,
    resize::RESIZE,
    grid_sample::GRID_SAMPLE,
    affine_grid::AFFINE_GRID,
];
