//! Frontends: model sources to an `IRModule`. The `.relax` text format (also
//! the body of the `relax!` macro) and its safetensors weights, and ONNX
//! models.

pub mod onnx;
pub mod relax_text;
pub mod weights;
